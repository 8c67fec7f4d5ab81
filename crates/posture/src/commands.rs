//! One function per subcommand.

use crate::cli::*;
use crate::output::{self, clip};
use anyhow::{Context, bail};
use posture_app::{Clock, IngestRequest, SystemClock};
use posture_model::{Category, FindingStatus, Severity, Timestamp};
use posture_store::{
    BranchFilter, FindingQuery, FindingRecord, MergeDecision, ScanKind, ScanQuery, SplitDecision,
    Store, SuggestionDecision,
};
use std::process::ExitCode;

/// The database used when `--database` and `POSTURE_DATABASE` are not given.
pub const DEFAULT_DATABASE: &str = "posture.db";

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Healthcheck(a) = cli.command {
        return crate::serve::healthcheck(a);
    }
    if let Command::Demo(a) = cli.command {
        return crate::demo::run(
            cli.database.as_deref().unwrap_or("posture-demo.db"),
            cli.config.as_deref(),
            a,
        );
    }
    let database = cli.database.as_deref().unwrap_or(DEFAULT_DATABASE);
    let config = cli.config.as_deref();
    match cli.command {
        Command::Formats(a) => formats(a),
        Command::Ingest(a) => ingest(database, config, a),
        Command::Findings(a) => findings(database, config, a),
        Command::Show(a) => show(database, config, a),
        Command::Explain(a) => explain(database, config, a),
        Command::Feeds(c) => crate::risk::feeds(database, config, c),
        Command::Owners(a) => crate::risk::owners(database, config, a),
        Command::Risk(RiskCommand::Diff(a)) => crate::risk::diff(database, config, a),
        Command::Risk(RiskCommand::Evaluate(a)) => crate::risk::evaluate(database, config, a),
        Command::Merge(a) => merge(database, a),
        Command::Split(a) => split(database, a),
        Command::Suggestions(a) => suggestions(database, a),
        Command::Evaluate(a) => evaluate(a),
        Command::Fixes(a) => crate::fixes::fixes(database, config, a),
        Command::Components(a) => components(database, config, a),
        Command::Scans(a) => scans(database, a),
        Command::Branches(c) => crate::branches::run(database, config, c),
        Command::Triage(a) => crate::workflow::triage(database, config, a),
        Command::Metrics(a) => crate::workflow::metrics(database, config, a),
        Command::Gate(a) => crate::gate::gate(database, config, *a),
        Command::Push(a) => crate::push::push(*a),
        Command::Policy(c) => crate::gate::policy(database, config, c),
        Command::Assets(c) => crate::assets::run(config, c),
        Command::Export(a) => crate::integrations::export(database, config, a),
        Command::Notify(a) => crate::integrations::notify(database, config, a),
        Command::Jira(c) => crate::integrations::jira(database, config, c),
        Command::Serve(a) => crate::serve::serve(database, config, a),
        Command::Token(c) => crate::serve::token(database, c),
        Command::User(c) => crate::serve::user(database, c),
        Command::Team(c) => crate::serve::team(database, c),
        Command::Approvals(c) => crate::approvals::run(c),
        Command::Migrate(a) => crate::maintenance::migrate(database, a),
        Command::Backup(a) => crate::maintenance::backup(database, a),
        Command::Restore(a) => crate::maintenance::restore(database, a),
        Command::Demo(_) | Command::Healthcheck(_) => unreachable!("handled above"),
    }
}

pub fn open_store(database: &str) -> anyhow::Result<Box<dyn Store>> {
    posture_store::open(database).with_context(|| {
        format!(
            "cannot open the database {}",
            posture_store::display_location(database)
        )
    })
}

fn formats(a: FormatsArgs) -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = posture_parsers::PARSERS
        .iter()
        .map(|p| {
            vec![
                p.id().to_string(),
                p.categories()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                p.description().to_string(),
            ]
        })
        .collect();
    match output::resolve(a.output) {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::json!({"id": r[0], "categories": r[1].split(", ").filter(|s| !s.is_empty()).collect::<Vec<_>>(), "description": r[2]}))
                .collect();
            output::json(&v)?;
        }
        OutputFormat::Csv => output::csv(&["id", "categories", "description"], rows)?,
        OutputFormat::Table => output::table(&["FORMAT", "CATEGORIES", "DESCRIPTION"], rows)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `--format` values into the batch's format (`FORMAT`) and per-file formats
/// (`FILE=FORMAT`, keyed by the index of the file among `files`). `FILE` is a report as given
/// on the command line, or the file name of exactly one of them.
pub fn split_formats(
    values: &[String],
    files: &[std::path::PathBuf],
) -> anyhow::Result<(Option<String>, std::collections::HashMap<usize, String>)> {
    let mut batch: Option<String> = None;
    let mut per_file = std::collections::HashMap::new();
    for value in values {
        let Some((file, format)) = value.rsplit_once('=') else {
            if let Some(other) = batch.as_ref().filter(|b| *b != value) {
                bail!(
                    "--format {value}: the reports' format is already {other}; give one format per file with --format FILE=FORMAT"
                );
            }
            batch = Some(value.clone());
            continue;
        };
        let (file, format) = (file.trim(), format.trim());
        if file.is_empty() || format.is_empty() {
            bail!("--format {value}: expected FORMAT or FILE=FORMAT");
        }
        let as_given: Vec<usize> = files
            .iter()
            .enumerate()
            .filter(|(_, f)| f.as_os_str() == std::ffi::OsStr::new(file))
            .map(|(i, _)| i)
            .collect();
        let matches = if as_given.is_empty() {
            files
                .iter()
                .enumerate()
                .filter(|(_, f)| f.file_name() == Some(std::ffi::OsStr::new(file)))
                .map(|(i, _)| i)
                .collect()
        } else {
            as_given
        };
        match matches.as_slice() {
            [] => bail!("--format {value}: {file} is not one of the reports given"),
            [i] => {
                if let Some(previous) = per_file.insert(*i, format.to_string())
                    && previous != format
                {
                    bail!("--format {value}: {file} already has the format {previous}");
                }
            }
            _ => bail!(
                "--format {value}: several reports are named {file}; give the path as on the command line"
            ),
        }
    }
    Ok((batch, per_file))
}

/// `posture ingest --kind runtime` of coverage reports (with runtime SBOMs, if any, ingested
/// after them as a runtime inventory).
fn ingest_coverage(
    database: &str,
    config: Option<&std::path::Path>,
    a: IngestArgs,
    at: Timestamp,
    sources: Vec<posture_app::ReportSource>,
    coverage: Vec<Option<&'static str>>,
    batch_format: Option<String>,
) -> anyhow::Result<ExitCode> {
    use crate::cli::CoverageEnvironmentArg as E;
    use posture_model::coverage::CoverageEnvironment;
    let environment = match a.environment.unwrap_or(E::Test) {
        E::Production => CoverageEnvironment::Production,
        E::Staging => CoverageEnvironment::Staging,
        E::Test => CoverageEnvironment::Test,
    };
    let mut cov_sources: Vec<(posture_app::ReportSource, &'static str)> = Vec::new();
    let mut rest: Vec<posture_app::ReportSource> = Vec::new();
    for (s, f) in sources.into_iter().zip(coverage) {
        match f {
            Some(f) => cov_sources.push((s, f)),
            None => rest.push(s),
        }
    }
    let cov: Vec<(&posture_app::ReportSource, &'static str)> =
        cov_sources.iter().map(|(s, f)| (s, *f)).collect();
    let risk_config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let mut sbom_outcome = None;
    if !rest.is_empty() {
        let branches = posture_app::branches::BranchSettings::of(
            risk_config.as_ref().map(|c| &c.portfolio),
            &a.asset,
        );
        let (outcome, _) = posture_app::ingest(
            store.as_ref(),
            &rest,
            IngestRequest {
                asset: a.asset.clone(),
                target: a.target.clone(),
                branch: a.branch.clone(),
                commit: a.commit.clone(),
                format: batch_format,
                kind: ScanKind::Runtime,
                at,
                force: a.force,
                thresholds: Default::default(),
                branches,
            },
        )?;
        sbom_outcome = Some(outcome);
    }
    let outcomes = posture_app::execution::ingest_coverage(
        store.as_ref(),
        risk_config.as_ref(),
        &cov,
        &posture_app::execution::CoverageRequest {
            asset: a.asset.clone(),
            environment,
            recorded_at: a.at.as_deref().map(parse_time).transpose()?,
            at,
        },
    )?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&serde_json::json!({
            "asset": a.asset.trim(),
            "coverage": outcomes,
            "scopes": sbom_outcome.as_ref().map(|o| &o.scopes),
        }))?,
        _ => {
            for o in &outcomes {
                println!(
                    "{}: {} coverage, {} recorded {}: {} files, {} of {} lines executed (runtime evidence: no finding created)",
                    o.report,
                    o.format,
                    o.environment.as_str(),
                    o.recorded_at,
                    o.files,
                    o.executed_lines,
                    o.lines
                );
            }
            if let Some(o) = &sbom_outcome {
                println!(
                    "runtime inventory of asset {}: {} report(s) recorded",
                    o.asset,
                    o.scopes.len()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn parse_time(s: &str) -> anyhow::Result<Timestamp> {
    s.parse::<Timestamp>()
        .with_context(|| format!("`{s}` is not an RFC 3339 time such as 2026-01-31T12:00:00Z"))
}

fn ingest(
    database: &str,
    config: Option<&std::path::Path>,
    a: IngestArgs,
) -> anyhow::Result<ExitCode> {
    let given_at = a.at.as_deref().map(parse_time).transpose()?;
    crate::progress::install();
    // Read and check every file before opening the database: a bad file changes nothing.
    let (batch_format, per_file) = split_formats(&a.format, &a.files)?;
    let mut sources = Vec::with_capacity(a.files.len());
    for (i, f) in a.files.iter().enumerate() {
        let mut source = posture_app::read_report_file(f, a.max_report_size)?;
        source.format = per_file.get(&i).cloned();
        sources.push(source);
    }
    // Coverage reports (`--kind runtime`) are runtime evidence of which code runs, never
    // findings: read and recorded apart, then the rest (runtime SBOMs) is ingested as before.
    let coverage: Vec<Option<&'static str>> = sources
        .iter()
        .map(|s| match a.kind {
            KindArg::Runtime => posture_app::execution::coverage_format(s, batch_format.as_deref()),
            KindArg::Findings => None,
        })
        .collect();
    if a.environment.is_some() && coverage.iter().all(Option::is_none) {
        bail!("--environment applies to coverage reports ingested with --kind runtime only");
    }
    if coverage.iter().any(Option::is_some) {
        let at = given_at.unwrap_or_else(|| SystemClock.now());
        return ingest_coverage(database, config, a, at, sources, coverage, batch_format);
    }
    // posture.toml names each asset's default branch and when idle branches retire
    let portfolio = crate::risk::load(config)?;
    let branches = posture_app::branches::BranchSettings::of(
        portfolio.as_ref().map(|c| &c.portfolio),
        &a.asset,
    );
    let store = open_store(database)?;
    // Unless given, the scan's time is the database's (PostgreSQL), so that CI hosts with
    // clocks off date their scans alike.
    let at = match given_at {
        Some(at) => at,
        None => posture_app::now_on(store.as_ref())?,
    };
    let (outcome, reports) = posture_app::ingest(
        store.as_ref(),
        &sources,
        IngestRequest {
            asset: a.asset.clone(),
            target: a.target.clone(),
            branch: a.branch.clone(),
            commit: a.commit.clone(),
            format: batch_format,
            kind: match a.kind {
                KindArg::Findings => ScanKind::Findings,
                KindArg::Runtime => ScanKind::Runtime,
            },
            at,
            force: a.force,
            thresholds: Default::default(),
            branches,
        },
    )?;
    crate::integrations::after_ingest(store.as_ref(), config, at);
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&serde_json::json!({
            "asset": outcome.asset,
            "reports": reports,
            "scopes": outcome.scopes,
            "total": outcome.total(),
        }))?,
        _ => {
            for r in &reports {
                let skipped = if r.skipped > 0 {
                    format!(", {} item(s) skipped", r.skipped)
                } else {
                    String::new()
                };
                println!(
                    "{}: {} ({} occurrences{skipped})",
                    r.name, r.format, r.parsed
                );
                for d in r.diagnostics.iter().take(20) {
                    println!("  {:?} at {}: {}", d.level, d.locator, d.message);
                }
                if r.diagnostics.len() > 20 {
                    println!("  ... and {} more diagnostics", r.diagnostics.len() - 20);
                }
            }
            let rows = outcome
                .scopes
                .iter()
                .map(|s| {
                    vec![
                        s.tool.clone(),
                        s.branch.clone(),
                        if s.identical {
                            "identical to last scan".into()
                        } else {
                            s.occurrences.to_string()
                        },
                        s.summary.new.to_string(),
                        s.summary.linked.to_string(),
                        s.summary.unchanged.to_string(),
                        s.summary.fixed.to_string(),
                        s.summary.reopened.to_string(),
                        s.summary.collapsed.to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "TOOL",
                    "BRANCH",
                    "OCCURRENCES",
                    "NEW",
                    "LINKED",
                    "UNCHANGED",
                    "FIXED",
                    "REOPENED",
                    "COLLAPSED",
                ],
                rows,
            )?;
            let t = outcome.total();
            println!(
                "asset {}: {} new, {} unchanged, {} fixed, {} reopened, {} duplicates collapsed within the reports",
                outcome.asset, t.new, t.unchanged, t.fixed, t.reopened, t.collapsed
            );
            if t.correlated + t.suggested > 0 {
                println!(
                    "correlation: {} occurrence(s) joined another tool's finding, {} suggested duplicate(s)",
                    t.correlated, t.suggested
                );
            }
            if t.partial {
                println!(
                    "note: items were skipped, so this scan closed nothing (an unread item is not a fix)"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_statuses(words: &[String]) -> anyhow::Result<Option<Vec<FindingStatus>>> {
    let mut out = Vec::new();
    for w in words {
        let w = w.trim();
        if w.eq_ignore_ascii_case("all") {
            return Ok(None);
        }
        out.push(w.parse::<FindingStatus>().map_err(anyhow::Error::msg)?);
    }
    Ok(Some(out))
}

/// `posture components`: the inventory, most open findings first.
fn components(
    database: &str,
    config: Option<&std::path::Path>,
    a: crate::cli::ComponentsArgs,
) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    if let Some(asset) = &a.asset {
        posture_app::names::require_known_asset(store.as_ref(), config.as_ref(), asset)?;
    }
    let only = a.asset.clone();
    let mut list = posture_app::components::inventory(
        store.as_ref(),
        a.search.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        &|asset| only.as_deref().is_none_or(|o| o == asset),
    )?;
    if let Some(n) = a.limit {
        list.truncate(n);
    }
    let fmt = output::resolve(a.output);
    if fmt == OutputFormat::Json {
        return output::json(&list).map(|()| ExitCode::SUCCESS);
    }
    let mut rows = Vec::new();
    for c in &list {
        for on in &c.assets {
            let source = match (on.in_findings, on.in_sbom) {
                (true, true) => "findings, sbom",
                (false, true) => "sbom",
                _ => "findings",
            };
            rows.push(vec![
                c.name.clone(),
                c.ecosystems.join(","),
                on.asset.clone(),
                on.versions.join(", "),
                on.open_findings.to_string(),
                source.to_string(),
            ]);
        }
    }
    output::rows(
        fmt,
        &[
            "PACKAGE",
            "ECOSYSTEM",
            "ASSET",
            "VERSIONS",
            "OPEN FINDINGS",
            "SEEN IN",
        ],
        rows,
    )?;
    if fmt == OutputFormat::Table {
        println!("{} package(s)", list.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// The search flags (`--search`, `--cve`, `--package`, `--path`, `--updated-after`) as the
/// store's search: empty texts are no filter.
pub(crate) fn finding_search(
    text: Option<&str>,
    cve: Option<&str>,
    package: Option<&str>,
    path: Option<&str>,
    updated_after: Option<&str>,
) -> anyhow::Result<posture_store::FindingSearch> {
    let given = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(posture_store::FindingSearch {
        text: given(text),
        vulnerability: given(cve),
        package: given(package),
        path: given(path),
        changed_since: given(updated_after)
            .map(|t| {
                posture_app::workflow::parse_date_or_time(&t).map_err(|e| {
                    anyhow::anyhow!("--updated-after: {e} (a date YYYY-MM-DD or an RFC 3339 time)")
                })
            })
            .transpose()?,
    })
}

fn findings(
    database: &str,
    config: Option<&std::path::Path>,
    a: FindingsArgs,
) -> anyhow::Result<ExitCode> {
    let severity = if a.severity.is_empty() {
        None
    } else {
        Some(
            a.severity
                .iter()
                .map(|s| s.parse::<Severity>().map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
    };
    let category = a
        .category
        .as_deref()
        .map(|c| c.parse::<Category>().map_err(anyhow::Error::msg))
        .transpose()?;
    let by_risk = a.sort.is_some()
        || !a.band.is_empty()
        || a.kev
        || a.team.is_some()
        || !a.ssvc.is_empty()
        || a.reachable;
    let branch = match a.branch.as_deref().map(str::trim) {
        None => BranchFilter::Default,
        Some("") => anyhow::bail!("--branch: the branch name is empty"),
        Some(b) => BranchFilter::Only(b.to_string()),
    };
    let query = FindingQuery {
        asset: a.asset.clone(),
        branch,
        status: parse_statuses(&a.status)?,
        severity,
        tool: a.tool.clone(),
        category,
        // Risk and SLA filters and order apply after the assessment, so the limit does too.
        limit: if by_risk || !a.sla.is_empty() {
            None
        } else {
            a.limit
        },
        search: finding_search(
            a.search.as_deref(),
            a.cve.as_deref(),
            a.package.as_deref(),
            a.path.as_deref(),
            a.updated_after.as_deref(),
        )?,
        ..FindingQuery::default()
    };
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    // A typo in a name is an error naming the closest, never an empty list.
    if let Some(asset) = &a.asset {
        posture_app::names::require_known_asset(store.as_ref(), config.as_ref(), asset)?;
    }
    if let Some(team) = &a.team {
        posture_app::names::require_known_team(config.as_ref(), team)?;
    }
    crate::workflow::sweep_before_listing(store.as_ref())?;
    // stored scores, bands and teams shown in the list are brought up to date first
    posture_app::risk::refresh_stored_risk(store.as_ref(), config.as_ref())?;
    // a ranking on a stale KEV catalog misses what attackers use this week: say so
    crate::risk::warn_stale_feeds(store.as_ref(), config.as_ref());
    // A limited risk view reads a page from the store, as the API does (issue 22).
    if by_risk
        && a.sla.is_empty()
        && let Some(limit) = a.limit
    {
        return crate::risk::findings_page(store.as_ref(), config.as_ref(), query, &a, limit);
    }
    let mut list = store.findings(&query)?;
    if let Some(code) =
        crate::workflow::findings_sla(store.as_ref(), config.as_ref(), &mut list, &a, by_risk)?
    {
        return Ok(code);
    }
    // JSON is always the one document the API answers too (`posture_app::views::FindingView`:
    // with owner and risk); tables show the risk columns when there is risk to show.
    if by_risk
        || config.is_some()
        || output::resolve(a.output) == OutputFormat::Json
        || !store.feed_imports()?.is_empty()
    {
        return crate::risk::findings(store.as_ref(), config.as_ref(), list, &a);
    }
    print_findings(&list, output::resolve(a.output))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn tools_of(f: &FindingRecord) -> String {
    posture_app::views::tools_of(f, ",")
}

pub(crate) use posture_app::views::where_of;

pub(crate) fn print_findings(list: &[FindingRecord], fmt: OutputFormat) -> anyhow::Result<()> {
    match fmt {
        OutputFormat::Json => output::json(&list),
        OutputFormat::Csv => output::csv(
            &[
                "id",
                "asset",
                "status",
                "severity",
                "category",
                "tools",
                "title",
                "rule_id",
                "where",
                "first_seen",
                "last_seen",
                "fixed_at",
                "reopened",
                "occurrences",
            ],
            list.iter()
                .map(|f| {
                    vec![
                        f.id.to_string(),
                        f.asset.clone(),
                        f.status.to_string(),
                        f.severity.to_string(),
                        f.category.to_string(),
                        tools_of(f),
                        f.title.clone(),
                        f.rule_id.clone(),
                        where_of(f),
                        f.first_seen.to_string(),
                        f.last_seen.to_string(),
                        f.fixed_at.map(|t| t.to_string()).unwrap_or_default(),
                        f.reopened.to_string(),
                        f.occurrences.len().to_string(),
                    ]
                })
                .collect(),
        ),
        OutputFormat::Table => {
            output::table(
                &[
                    "ID", "SEVERITY", "STATUS", "ASSET", "CATEGORY", "TOOLS", "TITLE", "WHERE",
                ],
                list.iter()
                    .map(|f| {
                        vec![
                            f.id.to_string(),
                            f.severity.to_string(),
                            f.status.to_string(),
                            f.asset.clone(),
                            f.category.to_string(),
                            tools_of(f),
                            clip(&f.title, 60),
                            clip(&where_of(f), 50),
                        ]
                    })
                    .collect(),
            )?;
            println!("{} finding(s)", list.len());
            Ok(())
        }
    }
}

fn show(database: &str, config: Option<&std::path::Path>, a: ShowArgs) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let Some(detail) = posture_app::views::finding_detail(store.as_ref(), config.as_ref(), a.id)?
    else {
        bail!("no finding with id {}", a.id);
    };
    match output::resolve(a.output) {
        OutputFormat::Json | OutputFormat::Csv => output::json(&detail)?,
        OutputFormat::Table => {
            let (f, events) = (&detail.finding.finding, &detail.events);
            println!("#{} [{}] {} ({})", f.id, f.severity, f.title, f.status);
            println!("asset {} · {} · rule {}", f.asset, f.category, f.rule_id);
            println!(
                "first seen {} · last seen {}{} · reopened {} time(s)",
                f.first_seen,
                f.last_seen,
                f.fixed_at
                    .map(|t| format!(" · fixed {t}"))
                    .unwrap_or_default(),
                f.reopened
            );
            if let Some(t) = f.triage {
                println!("triage: {t} ({})", f.triage_reason.as_deref().unwrap_or(""));
                if let Some(d) = detail.decision.as_ref().filter(|d| d.state == t) {
                    let mut by = Vec::new();
                    if let Some(a) = &d.actor {
                        by.push(format!("by {a}"));
                    }
                    if let Some(at) = d.decided_at {
                        by.push(format!("on {}", at.strftime("%Y-%m-%d")));
                    }
                    if let Some(ap) = &d.approver {
                        by.push(format!(
                            "approved by {ap}{}",
                            d.role
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        ));
                    }
                    if let Some(until) = d.expires_at {
                        by.push(format!("expires {}", until.strftime("%Y-%m-%d")));
                    }
                    if !by.is_empty() {
                        println!("  {}", by.join(" · "));
                    }
                }
            }
            println!("\noccurrences:");
            for o in &f.occurrences {
                println!(
                    "  {} {} on {} [{}] {} — {}#{} (identity: {})",
                    if o.open { "open  " } else { "closed" },
                    o.tool,
                    o.branch,
                    o.data.severity,
                    o.data.location.short(),
                    o.report,
                    o.data.locator,
                    o.identity_tier
                );
            }
            print_history(events);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scans(database: &str, a: ScansArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(database)?;
    let list = posture_app::views::scan_views(
        store.as_ref(),
        &ScanQuery {
            asset: a.asset,
            tool: a.tool,
            limit: a.limit,
        },
        |_| true,
        a.limit,
    )?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&list)?,
        fmt => {
            let header = [
                "ID",
                "AT",
                "ASSET",
                "TOOL",
                "BRANCH",
                "FORMAT",
                "REPORT",
                "OCCURRENCES",
            ];
            let rows = list
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.at.to_string(),
                        s.asset.clone(),
                        format!(
                            "{}{}",
                            s.tool,
                            s.tool_version
                                .as_deref()
                                .map(|v| format!(" {v}"))
                                .unwrap_or_default()
                        ),
                        s.branch.clone(),
                        s.format.clone(),
                        clip(&s.report, 40),
                        s.occurrences.to_string(),
                    ]
                })
                .collect();
            output::rows(fmt, &header, rows)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn actor_or_user(actor: Option<String>) -> String {
    actor
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

fn explain(
    database: &str,
    config: Option<&std::path::Path>,
    a: ShowArgs,
) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let Some(assessed) =
        posture_app::explain::assessed_finding(store.as_ref(), config.as_ref(), a.id)?
    else {
        bail!("no finding with id {}", a.id);
    };
    let x = posture_app::explain::explanation(store.as_ref(), assessed)?;
    let (f, assessed, events, suggestions) =
        (&x.finding.finding, &x.finding, &x.events, &x.suggestions);
    match output::resolve(a.output) {
        OutputFormat::Json | OutputFormat::Csv => output::json(&x)?,
        OutputFormat::Table => {
            println!("#{} [{}] {} ({})", f.id, f.severity, f.title, f.status);
            println!("asset {} · {} · rule {}", f.asset, f.category, f.rule_id);
            println!(
                "first seen {} · last seen {}{} · reopened {} time(s)",
                f.first_seen,
                f.last_seen,
                f.fixed_at
                    .map(|t| format!(" · fixed {t}"))
                    .unwrap_or_default(),
                f.reopened
            );
            println!("\n{} occurrence(s):", f.occurrences.len());
            for o in &f.occurrences {
                println!(
                    "  occurrence {} · {} on {} · {} · {} [{}]",
                    o.id,
                    o.tool,
                    o.branch,
                    if o.open { "open" } else { "closed" },
                    o.data.rule_id,
                    o.data.severity
                );
                println!("      where:   {}", o.data.location.short());
                println!("      evidence: {} at {}", o.report, o.data.locator);
                println!("      identity: {} ({})", o.identity_tier, o.fingerprint);
                match &o.correlation {
                    None => println!("      why here: founded the finding"),
                    Some(c) => println!(
                        "      why here: {:.2} {}{}",
                        c.confidence,
                        c.reason,
                        c.matched_occurrence
                            .map(|m| format!(" (matched occurrence {m})"))
                            .unwrap_or_default()
                    ),
                }
            }
            if !suggestions.is_empty() {
                println!("\nsuggested duplicates:");
                for s in suggestions {
                    let other = if s.finding_id == f.id {
                        s.other_finding_id
                    } else {
                        s.finding_id
                    };
                    println!(
                        "  suggestion {} · finding {other} · {:.2} {} ({})",
                        s.id, s.confidence, s.reason, s.state
                    );
                }
            }
            print_history(events);
            crate::risk::print_explanation(assessed);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(database: &str, a: MergeArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(database)?;
    let f = store.merge(MergeDecision {
        from: a.from,
        into: a.into,
        actor: actor_or_user(a.actor),
        reason: a.reason,
        at: SystemClock.now(),
    })?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&f)?,
        _ => println!(
            "finding #{} merged into #{} ({} occurrences)",
            a.from,
            f.id,
            f.occurrences.len()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn split(database: &str, a: SplitArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(database)?;
    let f = store.split(SplitDecision {
        occurrence_id: a.occurrence,
        actor: actor_or_user(a.actor),
        reason: a.reason,
        at: SystemClock.now(),
    })?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&f)?,
        _ => println!("occurrence {} is now finding #{}", a.occurrence, f.id),
    }
    Ok(ExitCode::SUCCESS)
}

fn suggestions(database: &str, a: SuggestionsArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(database)?;
    if let Some(id) = a.accept.or(a.reject) {
        let s = store.decide_suggestion(SuggestionDecision {
            id,
            accept: a.accept.is_some(),
            actor: actor_or_user(a.actor),
            at: SystemClock.now(),
        })?;
        match output::resolve(a.output) {
            OutputFormat::Json => output::json(&s)?,
            _ => println!("suggestion {} {}", s.id, s.state),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let list = store.suggestions(a.asset.as_deref(), !a.all)?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&list)?,
        fmt => {
            let header = [
                "ID",
                "ASSET",
                "FINDING",
                "OTHER",
                "CONFIDENCE",
                "STATE",
                "REASON",
            ];
            let rows = list
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.asset.clone(),
                        s.finding_id.to_string(),
                        s.other_finding_id.to_string(),
                        format!("{:.2}", s.confidence),
                        s.state.clone(),
                        clip(&s.reason, 80),
                    ]
                })
                .collect();
            output::rows(fmt, &header, rows)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn evaluate(a: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let mut targets = Vec::new();
    for d in &a.dirs {
        if d.join("LABELS.tsv").is_file() {
            targets.push(d.clone());
        } else {
            let mut inner: Vec<_> = std::fs::read_dir(d)
                .with_context(|| format!("cannot read {}", d.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.join("LABELS.tsv").is_file())
                .collect();
            inner.sort();
            if inner.is_empty() {
                bail!("{}: no LABELS.tsv here or in its folders", d.display());
            }
            targets.extend(inner);
        }
    }
    let mut results = Vec::new();
    let mut pass = true;
    for t in &targets {
        let e = posture_app::evaluate::evaluate_target(t, Default::default())?;
        pass &= e.total.precision() >= a.min_precision
            && e.total.recall() >= a.min_recall
            && e.moved_on_reingest == 0;
        results.push(e);
    }
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&serde_json::json!(results.iter().map(|e| serde_json::json!({
            "target": e.target, "rows": e.rows, "issues": e.issues, "findings": e.findings,
            "precision": e.total.precision(), "recall": e.total.recall(), "pairs": e.total,
            "by_category": e.by_category.iter().map(|(k, c)| (k.clone(), serde_json::json!({"precision": c.precision(), "recall": c.recall(), "pairs": c}))).collect::<serde_json::Map<_, _>>(),
            "false_merges": e.false_merges, "misses": e.misses, "unmapped": e.unmapped,
            "moved_on_reingest": e.moved_on_reingest,
        })).collect::<Vec<_>>()))?,
        _ => {
            for e in &results {
                println!(
                    "{}: precision {:.3}, recall {:.3} ({} labeled occurrences, {} issues, {} findings; {} true merges, {} false merges, {} missed pairs; {} moved on re-ingest)",
                    e.target, e.total.precision(), e.total.recall(), e.rows, e.issues, e.findings,
                    e.total.true_merges, e.total.false_merges, e.total.missed, e.moved_on_reingest
                );
                for (cat, c) in &e.by_category {
                    println!("  {cat:<14} precision {:.3} recall {:.3} ({} / {} / {})", c.precision(), c.recall(), c.true_merges, c.false_merges, c.missed);
                }
                for f in &e.false_merges {
                    println!("  false merge: {} <> {}\n      {}", f.a, f.b, f.detail);
                }
                for m in &e.misses {
                    println!("  miss: {} <> {}\n      {}", m.a, m.b, m.detail);
                }
                for u in &e.unmapped {
                    println!("  unmapped label: {u}");
                }
            }
        }
    }
    Ok(if pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The event log of a finding, oldest first, one line per event.
fn print_history(events: &[posture_store::EventRecord]) {
    println!("\nhistory:");
    for e in events {
        // a rescore says which band it moved between
        let bands = match (&e.from_status, &e.to_status) {
            (Some(from), Some(to)) if e.kind == "rescored" => format!(" {from} -> {to}"),
            _ => String::new(),
        };
        println!(
            "  {} {}{bands}{}{}",
            e.at,
            e.kind,
            e.actor
                .as_deref()
                .map(|a| format!(" by {a}"))
                .unwrap_or_default(),
            e.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        if let Some(ap) = &e.approver {
            println!(
                "      approved by {ap}{}",
                e.role
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
        }
        if let Some(until) = e.expires_at {
            println!("      expires {until}");
        }
    }
}
