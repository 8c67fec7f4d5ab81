//! `posture feeds`, `posture owners`, and the risk view of `posture findings` / `explain`.

use crate::cli::*;
use crate::commands::{open_store, tools_of, where_of};
use crate::output::{self, clip};
use anyhow::bail;
use posture_app::risk::{AssessedFinding, RiskConfig};
use posture_app::{Clock, SystemClock};
use posture_model::FindingStatus;
use posture_store::{FindingCursor, FindingQuery, FindingRecord, FindingSort, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The configuration file used when `--config` and `POSTURE_CONFIG` are not given (only when
/// present).
pub const DEFAULT_CONFIG: &str = "posture.toml";

/// Loads `--config` (an error if it cannot be read or is invalid), else `posture.toml` in the
/// current directory when present.
pub fn load(asked: Option<&Path>) -> anyhow::Result<Option<RiskConfig>> {
    let path = match asked {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    Ok(Some(posture_app::risk::load_config(&path)?))
}

fn team_of(f: &AssessedFinding) -> String {
    f.owner
        .as_ref()
        .and_then(|o| o.team.clone())
        .unwrap_or_else(|| "-".to_string())
}

pub fn findings(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    list: Vec<FindingRecord>,
    a: &FindingsArgs,
) -> anyhow::Result<ExitCode> {
    let filters = risk_filters(config, a)?;
    let mut list = posture_app::risk::assess_findings(store, config, list)?;
    list.retain(|f| filters.keep(f, a));
    if a.sort == Some(SortArg::Risk) {
        posture_app::risk::sort_by_risk(&mut list);
    }
    if let Some(n) = a.limit {
        list.truncate(n);
    }
    print_assessed(list, config, a)
}

/// The filters of `posture findings` on assessed findings, checked.
struct RiskFilters {
    bands: Vec<String>,
    ssvc: Vec<String>,
}

impl RiskFilters {
    fn keep(&self, f: &AssessedFinding, a: &FindingsArgs) -> bool {
        (self.bands.is_empty() || self.bands.iter().any(|b| b == f.risk.band.as_str()))
            && (self.ssvc.is_empty()
                || self
                    .ssvc
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(f.risk.ssvc.decision.as_str())))
            && (!a.kev || f.in_kev)
            && (!a.reachable || f.reachable)
            && a.team.as_ref().is_none_or(|t| {
                f.owner
                    .as_ref()
                    .is_some_and(|o| o.team.as_deref() == Some(t))
            })
    }
}

/// `posture findings --limit N` with risk filters or order, read a page at a time from the
/// store as the API reads it (issue 22): the stored risk (brought up to date before) orders
/// and filters by band and team in SQL with keyset pagination, chunks are assessed and
/// filtered (SSVC, KEV, reachability) until N are found. The riskiest five of 100,000
/// findings then cost five findings' reads, not the whole store's; the rows are those the
/// whole-list path gives (tested). SLA breaches are recorded for the listed findings, as a
/// list limited in the store always did.
pub fn findings_page(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    mut query: FindingQuery,
    a: &FindingsArgs,
    limit: usize,
) -> anyhow::Result<ExitCode> {
    let filters = risk_filters(config, a)?;
    query.sort = if a.sort == Some(SortArg::Risk) {
        FindingSort::Risk
    } else {
        FindingSort::Severity
    };
    query.band = (!filters.bands.is_empty()).then(|| filters.bands.clone());
    query.team = a.team.clone();
    query.after = None;
    // A page's worth and a margin per read, for the filters the store cannot apply.
    let chunk = (limit + 1).max(64);
    query.limit = Some(chunk);
    let mut list: Vec<AssessedFinding> = Vec::with_capacity(limit.min(chunk));
    while list.len() < limit {
        let rows = store.findings(&query)?;
        let exhausted = rows.len() < chunk;
        query.after = rows.last().map(|f| FindingCursor::after(f, query.sort));
        for f in posture_app::risk::assess_findings(store, config, rows)? {
            if list.len() < limit && filters.keep(&f, a) {
                list.push(f);
            }
        }
        if exhausted || query.after.is_none() {
            break;
        }
    }
    if a.sort == Some(SortArg::Risk) {
        // Within a read the store's order already is this one; kept for findings not yet
        // assessed when the list was read (none after the refresh).
        posture_app::risk::sort_by_risk(&mut list);
    }
    let mut listed: Vec<FindingRecord> = list.iter().map(|f| f.finding.clone()).collect();
    if let Some(code) = crate::workflow::findings_sla(store, config, &mut listed, a, true)? {
        return Ok(code);
    }
    print_assessed(list, config, a)
}

/// The risk filters of `posture findings`, checked (names the bad value).
fn risk_filters(config: Option<&RiskConfig>, a: &FindingsArgs) -> anyhow::Result<RiskFilters> {
    if a.team.is_some() && config.is_none() {
        bail!(
            "--team needs a portfolio configuration (--config FILE, or {DEFAULT_CONFIG} in the current directory)"
        );
    }
    let bands: Vec<String> = a
        .band
        .iter()
        .map(|b| b.trim().to_ascii_uppercase())
        .collect();
    for b in &bands {
        if !["P1", "P2", "P3", "P4"].contains(&b.as_str()) {
            bail!("unknown band `{b}` (bands are P1, P2, P3, P4)");
        }
    }
    let ssvc: Vec<String> = a
        .ssvc
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    for d in &ssvc {
        if !["track", "track*", "attend", "act"].contains(&d.as_str()) {
            bail!("unknown SSVC decision `{d}` (decisions are track, track*, attend, act)");
        }
    }
    Ok(RiskFilters { bands, ssvc })
}

/// Prints assessed findings as `posture findings` does (JSON, CSV or a table).
fn print_assessed(
    list: Vec<AssessedFinding>,
    config: Option<&RiskConfig>,
    a: &FindingsArgs,
) -> anyhow::Result<ExitCode> {
    let with_owner = config.is_some();
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&list)?,
        OutputFormat::Csv => {
            let mut header = vec![
                "id", "risk", "band", "ssvc", "asset", "status", "severity", "category", "tools",
                "title", "rule_id", "where",
            ];
            if with_owner {
                header.push("team");
            }
            let rows = list
                .iter()
                .map(|f| {
                    let mut r = vec![
                        f.finding.id.to_string(),
                        format!("{:.1}", f.risk.score),
                        f.risk.band.to_string(),
                        format!("{:?}", f.risk.ssvc.decision),
                        f.finding.asset.clone(),
                        f.finding.status.to_string(),
                        f.finding.severity.to_string(),
                        f.finding.category.to_string(),
                        tools_of(&f.finding),
                        f.finding.title.clone(),
                        f.finding.rule_id.clone(),
                        where_of(&f.finding),
                    ];
                    if with_owner {
                        r.push(team_of(f));
                    }
                    r
                })
                .collect();
            output::csv(&header, rows)?
        }
        OutputFormat::Table => {
            let mut header = vec![
                "ID", "RISK", "BAND", "SEVERITY", "STATUS", "ASSET", "CATEGORY", "TOOLS", "TITLE",
                "WHERE",
            ];
            if with_owner {
                header.push("TEAM");
            }
            let rows = list
                .iter()
                .map(|f| {
                    let mut r = vec![
                        f.finding.id.to_string(),
                        format!("{:.1}", f.risk.score),
                        f.risk.band.to_string(),
                        f.finding.severity.to_string(),
                        f.finding.status.to_string(),
                        f.finding.asset.clone(),
                        f.finding.category.to_string(),
                        tools_of(&f.finding),
                        clip(&f.finding.title, 50),
                        clip(&where_of(&f.finding), 40),
                    ];
                    if with_owner {
                        r.push(team_of(f));
                    }
                    r
                })
                .collect();
            output::table(&header, rows)?;
            println!("{} finding(s)", list.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The risk section of `posture explain`.
pub fn print_explanation(f: &AssessedFinding) {
    let r = &f.risk;
    println!(
        "\nrisk: {:.1} ({}) · SSVC {:?} · model {}",
        r.score, r.band, r.ssvc.decision, r.model_version
    );
    for t in &r.terms {
        println!(
            "  {:<16} {:<28} weight {:<6} {:>+7.1}  {}",
            t.name,
            clip(&t.value, 28),
            format!("{}", t.weight),
            t.contribution,
            t.source
        );
    }
    for reason in &r.ssvc.reasons {
        println!("  ssvc: {reason}");
    }
    if let Some(o) = &f.owner {
        println!("\nowner: {}", o.source);
    }
}

pub fn feeds(database: &str, config: Option<&Path>, c: FeedsCommand) -> anyhow::Result<ExitCode> {
    match c {
        FeedsCommand::Import(a) => {
            let config = load(config)?;
            let store = open_store(database)?;
            let at = SystemClock.now();
            let mut done = Vec::new();
            for f in &a.files {
                done.push(posture_app::risk::import_feed_file(store.as_ref(), f, at)?);
            }
            print_feed_imports(store.as_ref(), config.as_ref(), &done, a.output)?;
        }
        FeedsCommand::Update(a) => {
            let Some(config) = load(config)? else {
                anyhow::bail!(posture_app::AppError::Invalid(
                    "no posture.toml: `posture feeds update` reads the feeds its [feeds] table names (or use `posture feeds import FILE`)".into()
                ));
            };
            let store = open_store(database)?;
            let source = posture_app::feeds::NetworkOrFile {
                client: posture_integrations::http::HttpClient::new(
                    std::time::Duration::from_secs(300),
                ),
            };
            let done =
                posture_app::feeds::update(store.as_ref(), &config, &source, SystemClock.now())?;
            print_feed_imports(store.as_ref(), Some(&config), &done, a.output)?;
        }
        FeedsCommand::Status(a) => {
            let config = load(config)?;
            let store = open_store(database)?;
            let states =
                posture_app::feeds::freshness(store.as_ref(), config.as_ref(), SystemClock.now())?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&states)?,
                fmt => {
                    let header = [
                        "FEED",
                        "SOURCE",
                        "LAST IMPORT",
                        "DATE",
                        "AGE (DAYS)",
                        "STATE",
                    ];
                    let rows = states
                        .iter()
                        .map(|s| {
                            vec![
                                s.name.clone(),
                                s.source.clone().unwrap_or_else(|| "-".into()),
                                s.last_import
                                    .as_ref()
                                    .map_or("never".into(), |i| i.imported_at.to_string()),
                                s.last_import
                                    .as_ref()
                                    .and_then(|i| i.date.clone())
                                    .unwrap_or_default(),
                                s.age_days.map_or(String::new(), |d| d.to_string()),
                                if s.stale {
                                    format!("stale (over {} days)", s.max_age_days)
                                } else if s.last_import.is_some() {
                                    "fresh".into()
                                } else {
                                    "not used".into()
                                },
                            ]
                        })
                        .collect();
                    output::rows(fmt, &header, rows)?
                }
            }
            if states.iter().any(|s| s.stale) {
                return Ok(ExitCode::from(1));
            }
        }
        FeedsCommand::List(a) => {
            let store = open_store(database)?;
            let list = store.feed_imports()?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&list)?,
                fmt => {
                    let header = ["ID", "FEED", "VERSION", "DATE", "IMPORTED", "ENTRIES"];
                    let rows = list
                        .iter()
                        .map(|i| {
                            vec![
                                i.id.to_string(),
                                i.kind.clone(),
                                i.version.clone().unwrap_or_default(),
                                i.date.clone().unwrap_or_default(),
                                i.imported_at.to_string(),
                                i.entries.to_string(),
                            ]
                        })
                        .collect();
                    output::rows(fmt, &header, rows)?
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What an import did, then the rescore it causes (now, not at the next listing: each move is
/// a `rescored` event of the import's time).
fn print_feed_imports(
    store: &dyn posture_store::Store,
    config: Option<&posture_app::risk::RiskConfig>,
    done: &[posture_app::risk::FeedImportOutcome],
    out: Option<OutputFormat>,
) -> anyhow::Result<()> {
    let refreshed = posture_app::risk::refresh_stored_risk(store, config)?;
    match output::resolve(out) {
        OutputFormat::Json => output::json(&done)?,
        _ => {
            for d in done {
                let what = if d.import.kind == "kev" {
                    "CISA KEV catalog"
                } else {
                    "FIRST EPSS scores"
                };
                println!(
                    "{}: {what}{}{}: {} entries imported (replacing the previous {})",
                    d.file,
                    d.import
                        .version
                        .as_deref()
                        .map(|v| format!(" version {v}"))
                        .unwrap_or_default(),
                    d.import
                        .date
                        .as_deref()
                        .map(|v| format!(" of {v}"))
                        .unwrap_or_default(),
                    d.import.entries,
                    d.import.kind
                );
            }
            println!(
                "risk: {} findings assessed, {} moved in score or band (their history says why: posture show ID)",
                refreshed.assessed, refreshed.rescored
            );
        }
    }
    Ok(())
}

/// Says on stderr which feeds are stale (never on stdout: JSON stays one document).
pub fn warn_stale_feeds(
    store: &dyn posture_store::Store,
    config: Option<&posture_app::risk::RiskConfig>,
) {
    if let Ok(states) = posture_app::feeds::freshness(store, config, SystemClock.now()) {
        for s in states.iter().filter_map(|s| s.warning.as_ref()) {
            eprintln!("warning: {s}");
        }
    }
}

#[derive(serde::Serialize, Default)]
struct TeamRow {
    team: String,
    assets: Vec<String>,
    findings: Vec<i64>,
    bands: BTreeMap<String, usize>,
}

#[derive(serde::Serialize)]
struct Unowned {
    id: i64,
    asset: String,
    title: String,
    #[serde(rename = "where")]
    location: String,
    risk: f64,
    band: String,
    reason: String,
}

pub fn owners(database: &str, config: Option<&Path>, a: OwnersArgs) -> anyhow::Result<ExitCode> {
    let Some(mut config) = load(config)? else {
        bail!(
            "`posture owners` needs a portfolio configuration (--config FILE, or {DEFAULT_CONFIG} in the current directory)"
        );
    };
    if let Some(file) = &a.codeowners {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        let co = posture_config::CodeOwners::parse(&name, &text)
            .map_err(|e| anyhow::anyhow!(e.render(posture_config::RenderStyle::Plain)))?;
        let assets: Vec<String> = match &a.asset {
            Some(one) => vec![one.clone()],
            None => config
                .portfolio
                .assets()
                .iter()
                .map(|x| x.name.clone())
                .collect(),
        };
        for asset in assets {
            config.codeowners.insert(asset, co.clone());
        }
    }
    let store = open_store(database)?;
    let list = store.findings(&FindingQuery {
        asset: a.asset.clone(),
        status: Some(vec![FindingStatus::Open]),
        ..FindingQuery::default()
    })?;
    let mut list = posture_app::risk::assess_findings(store.as_ref(), Some(&config), list)?;
    posture_app::risk::sort_by_risk(&mut list);
    let mut teams: BTreeMap<String, TeamRow> = BTreeMap::new();
    for t in config.portfolio.teams() {
        let row = teams.entry(t.name.clone()).or_default();
        row.team = t.name.clone();
        row.assets = config
            .portfolio
            .assets_of_team(&t.name)
            .map(|a| a.name.clone())
            .collect();
    }
    let mut unowned = Vec::new();
    for f in &list {
        match f.owner.as_ref().and_then(|o| o.team.clone()) {
            Some(team) => {
                let row = teams.entry(team.clone()).or_default();
                row.team = team;
                row.findings.push(f.finding.id);
                *row.bands.entry(f.risk.band.to_string()).or_default() += 1;
            }
            None => unowned.push(Unowned {
                id: f.finding.id,
                asset: f.finding.asset.clone(),
                title: f.finding.title.clone(),
                location: where_of(&f.finding),
                risk: f.risk.score,
                band: f.risk.band.to_string(),
                reason: f
                    .owner
                    .as_ref()
                    .map(|o| o.source.clone())
                    .unwrap_or_default(),
            }),
        }
    }
    let teams: Vec<TeamRow> = teams.into_values().collect();
    match output::resolve(a.output) {
        OutputFormat::Json | OutputFormat::Csv => output::json(&serde_json::json!({
            "teams": teams, "unowned": unowned,
        }))?,
        OutputFormat::Table => {
            let band = |t: &TeamRow, b: &str| t.bands.get(b).copied().unwrap_or(0).to_string();
            output::table(
                &["TEAM", "ASSETS", "OPEN", "P1", "P2", "P3", "P4"],
                teams
                    .iter()
                    .map(|t| {
                        vec![
                            t.team.clone(),
                            clip(&t.assets.join(", "), 50),
                            t.findings.len().to_string(),
                            band(t, "P1"),
                            band(t, "P2"),
                            band(t, "P3"),
                            band(t, "P4"),
                        ]
                    })
                    .collect(),
            )?;
            println!("\n{} unowned finding(s)", unowned.len());
            if !unowned.is_empty() {
                output::table(
                    &["ID", "RISK", "BAND", "ASSET", "TITLE", "WHERE", "WHY"],
                    unowned
                        .iter()
                        .map(|u| {
                            vec![
                                u.id.to_string(),
                                format!("{:.1}", u.risk),
                                u.band.clone(),
                                u.asset.clone(),
                                clip(&u.title, 40),
                                clip(&u.location, 30),
                                clip(&u.reason, 50),
                            ]
                        })
                        .collect(),
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct Move {
    id: i64,
    asset: String,
    title: String,
    old_score: f64,
    old_band: String,
    new_score: f64,
    new_band: String,
}

/// `posture risk diff --weights FILE` / `--from posture-risk/2`.
pub fn evaluate(
    database: &str,
    config: Option<&Path>,
    a: RiskEvaluateArgs,
) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let Some(old) = posture_app::risk::earlier_model(&a.from) else {
        eprintln!(
            "error: --from {}: unknown model version (known: posture-risk/2; the current one is {})",
            a.from,
            posture_app::risk::MODEL_VERSION
        );
        return Ok(ExitCode::from(2));
    };
    let current = config
        .as_ref()
        .map(|c| c.weights.clone())
        .unwrap_or_default();
    let store = open_store(database)?;
    if let Some(asset) = &a.asset {
        posture_app::names::require_known_asset(store.as_ref(), config.as_ref(), asset)?;
    }
    let list = store.findings(&FindingQuery {
        asset: a.asset.clone(),
        status: Some(vec![FindingStatus::Open]),
        ..FindingQuery::default()
    })?;
    let list = posture_app::risk::assess_findings(store.as_ref(), config.as_ref(), list)?;
    let figures = [
        posture_app::risk_eval::figures(&list, &old, &a.from),
        posture_app::risk_eval::figures(&list, &current, posture_app::risk::MODEL_VERSION),
    ];
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&figures)?,
        fmt => {
            let header = [
                "MODEL",
                "OPEN",
                "KEV IN TOP 10%",
                "TOP 20 EXPLOITED",
                "LOW IN TOP 10",
                "LOW IN TOP 20",
                "QUALITY IN P1-P3",
                "P1/P2/P3/P4",
            ];
            let rows = figures
                .iter()
                .map(|f| {
                    vec![
                        f.model.clone(),
                        f.findings.to_string(),
                        format!(
                            "{} of {} listed ({:.0}% of the room: top 10% = {})",
                            f.kev_in_top_decile,
                            f.kev_listed,
                            f.kev_share_in_top_decile * 100.0,
                            f.top_decile
                        ),
                        format!("{} of {}", f.top20_with_exploitation, f.top20),
                        f.low_in_top10.to_string(),
                        f.low_in_top20.to_string(),
                        f.quality_in_security_bands.to_string(),
                        f.bands
                            .iter()
                            .map(usize::to_string)
                            .collect::<Vec<_>>()
                            .join("/"),
                    ]
                })
                .collect();
            output::rows(fmt, &header, rows)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn diff(database: &str, config: Option<&Path>, a: RiskDiffArgs) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let current = config
        .as_ref()
        .map(|c| c.weights.clone())
        .unwrap_or_default();
    let (old, new) = match (&a.weights, a.from.as_deref()) {
        (Some(file), _) => (current, posture_app::risk::load_weights(file)?),
        (None, Some(version)) => match posture_app::risk::earlier_model(version) {
            Some(old) => (old, current),
            None => {
                eprintln!(
                    "error: --from {version}: unknown model version (known: posture-risk/2; the current one is {})",
                    posture_app::risk::MODEL_VERSION
                );
                return Ok(ExitCode::from(2));
            }
        },
        (None, None) => unreachable!("clap requires --weights or --from"),
    };
    let store = open_store(database)?;
    let list = store.findings(&FindingQuery {
        asset: a.asset.clone(),
        status: Some(vec![FindingStatus::Open]),
        ..FindingQuery::default()
    })?;
    let list = posture_app::risk::assess_findings(store.as_ref(), config.as_ref(), list)?;
    let moves = posture_app::risk::diff_weights(&list, &old, &new);
    let by_id: std::collections::HashMap<String, &AssessedFinding> =
        list.iter().map(|f| (f.finding.id.to_string(), f)).collect();
    let rows: Vec<Move> = moves
        .iter()
        .filter_map(|m| {
            let f = by_id.get(&m.id)?;
            Some(Move {
                id: f.finding.id,
                asset: f.finding.asset.clone(),
                title: f.finding.title.clone(),
                old_score: m.old_score,
                old_band: m.old_band.to_string(),
                new_score: m.new_score,
                new_band: m.new_band.to_string(),
            })
        })
        .collect();
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&rows)?,
        fmt => {
            let header = ["id", "asset", "title", "old", "new", "band"];
            let data: Vec<Vec<String>> = rows
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        m.asset.clone(),
                        clip(&m.title, 60),
                        format!("{:.1}", m.old_score),
                        format!("{:.1}", m.new_score),
                        if m.old_band == m.new_band {
                            m.new_band.clone()
                        } else {
                            format!("{} -> {}", m.old_band, m.new_band)
                        },
                    ]
                })
                .collect();
            if fmt == OutputFormat::Csv {
                output::csv(&header, data)?;
            } else {
                let upper: Vec<String> = header.iter().map(|h| h.to_ascii_uppercase()).collect();
                let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
                output::table(&upper, data)?;
                let change = match (&a.weights, &a.from) {
                    (Some(file), _) => format!("current weights -> {}", file.display()),
                    (None, Some(version)) => {
                        format!("{version} -> {}", posture_app::risk::MODEL_VERSION)
                    }
                    (None, None) => String::new(),
                };
                println!(
                    "{} of {} open findings move ({change})",
                    rows.len(),
                    list.len(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
