//! `posture gate` (the CI gate) and `posture policy check|test`.

use crate::cli::{GateArgs, OutputFormat, PolicyCheckArgs, PolicyCommand, PolicyTestArgs};
use crate::commands::{open_store, parse_time};
use crate::output::{self, clip};
use anyhow::{Context, bail};
use posture_app::gate::{Exception, GateOutcome, GateRequest};
use posture_app::gate_report::{exception_text, verdict};
use posture_app::risk::RiskConfig;
use posture_app::{Clock, IngestRequest, SystemClock};
use posture_policy::Policy;
use posture_store::ScanKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn load_policy(explicit: Option<&Path>, config: Option<&RiskConfig>) -> anyhow::Result<Policy> {
    let Some(path) = posture_app::policy::policy_path(explicit, config) else {
        bail!(
            "no policy: give --policy FILE, or `[policy] file = \"...\"` in the portfolio configuration ({})",
            crate::risk::DEFAULT_CONFIG
        );
    };
    Ok(posture_app::policy::load_policy(&path)?)
}

fn write_file(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The policy of posture.toml's `[policy] file` as the approval rules of one finding's triage
/// decision (`None` when no policy is configured there).
pub fn approval_rules(
    store: &dyn posture_store::Store,
    config: Option<&Path>,
    finding_id: i64,
    now: jiff::Timestamp,
) -> anyhow::Result<Option<posture_app::policy::PolicyRules>> {
    let config = crate::risk::load(config)?;
    let Some(path) = posture_app::policy::policy_path(None, config.as_ref()) else {
        return Ok(None);
    };
    let policy = posture_app::policy::load_policy(&path)?;
    Ok(posture_app::policy::approval_rules(
        store,
        config.as_ref(),
        policy,
        finding_id,
        now,
    )?)
}

/// The approval rules of the policy of posture.toml's `[policy] file` over several findings
/// (a bulk triage), `None` without a policy.
pub fn approval_rules_for(
    store: &dyn posture_store::Store,
    config: Option<&RiskConfig>,
    ids: &[i64],
    now: jiff::Timestamp,
) -> anyhow::Result<Option<posture_app::policy::PolicyRules>> {
    let Some(path) = posture_app::policy::policy_path(None, config) else {
        return Ok(None);
    };
    let policy = posture_app::policy::load_policy(&path)?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        match store.finding(*id)? {
            Some(f) => found.push(f),
            None => anyhow::bail!("no finding with id {id}: nothing was changed"),
        }
    }
    let mut events: std::collections::HashMap<i64, Vec<posture_store::EventRecord>> =
        std::collections::HashMap::new();
    for e in store.event_log(&posture_store::EventQuery {
        finding_ids: Some(ids.to_vec()),
        ..Default::default()
    })? {
        events.entry(e.finding_id).or_default().push(e);
    }
    let assessed = posture_app::risk::assess_findings(store, config, found)?;
    Ok(Some(posture_app::policy::PolicyRules::new(
        policy,
        config.cloned(),
        &assessed,
        &events,
        now,
    )))
}

/// The SLA rule for these findings: the policy of posture.toml's `[policy] file` (its
/// `set_sla` rules, over the findings assessed with their event logs), else the defaults.
pub fn sla_rule(
    store: &dyn posture_store::Store,
    config: Option<&RiskConfig>,
    findings: &[posture_store::FindingRecord],
    now: jiff::Timestamp,
) -> anyhow::Result<Box<dyn posture_app::workflow::SlaRule>> {
    let policy = posture_app::policy::policy_path(None, config)
        .map(|path| posture_app::policy::load_policy(&path))
        .transpose()?;
    Ok(posture_app::policy::sla_rule(
        store, config, policy, findings, now,
    )?)
}

/// `posture gate`.
pub fn gate(database: &str, config: Option<&Path>, a: GateArgs) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let policy = load_policy(a.policy.as_deref(), config.as_ref())?;
    let now = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    // Where to comment, checked before anything is ingested: a pipeline set up wrongly fails
    // at once and says what is missing.
    let review = if a.pr_comment {
        Some(posture_integrations::review::ReviewHost::from_env(
            &|k| std::env::var(k).ok(),
            &|p| std::fs::read_to_string(p).map_err(|e| e.to_string()),
        )?)
    } else {
        None
    };
    let mut sources = Vec::with_capacity(a.reports.len());
    for f in &a.reports {
        sources.push(posture_app::read_report_file(f, a.max_report_size)?);
    }
    let store = open_store(database)?;
    if !sources.is_empty() {
        posture_app::ingest(
            store.as_ref(),
            &sources,
            IngestRequest {
                asset: a.asset.clone(),
                target: a.target.clone(),
                branch: a.branch.clone(),
                commit: a.commit.clone(),
                format: a.format.clone(),
                kind: ScanKind::Findings,
                at: now,
                force: false,
                thresholds: Default::default(),
                branches: posture_app::branches::BranchSettings::of(
                    config.as_ref().map(|c| &c.portfolio),
                    &a.asset,
                ),
            },
        )?;
    }
    let outcome = posture_app::gate::run_gate(
        store.as_ref(),
        config.as_ref(),
        &policy,
        &GateRequest {
            asset: a.asset.clone(),
            branch: a.branch.clone(),
            baseline: a.baseline.clone(),
            all: a.all,
            now,
            allow_new_asset: a.allow_new_asset,
        },
    )?;
    if let Some(p) = &a.markdown {
        write_file(
            p,
            &posture_app::gate_report::markdown(&outcome, a.base_url.as_deref()),
        )?;
    }
    if let Some(p) = &a.sarif {
        let log = posture_app::gate_report::sarif(&outcome, env!("CARGO_PKG_VERSION"))?;
        write_file(p, &serde_json::to_string_pretty(&log)?)?;
    }
    if let Some(p) = &a.junit {
        write_file(p, &posture_app::gate_report::junit(&outcome)?)?;
    }
    match a.output {
        Some(OutputFormat::Json) => {
            // the outcome, and what closes its blocking findings (as the Markdown's "Fixes")
            let mut v = serde_json::to_value(&outcome)?;
            if let Some(map) = v.as_object_mut() {
                map.insert(
                    "fixes".into(),
                    serde_json::to_value(posture_app::gate_report::blocking_fixes(&outcome))?,
                );
            }
            output::json(&v)?
        }
        _ => print_gate(&outcome)?,
    }
    let mut comment_failed = false;
    if let Some(host) = &review {
        let client = posture_integrations::HttpClient::new(std::time::Duration::from_secs(30));
        let body = posture_app::gate_report::markdown(&outcome, a.base_url.as_deref());
        match posture_integrations::review::upsert_comment(&client, host, &outcome.asset, &body) {
            Ok(posture_integrations::review::CommentAction::Created { id }) => {
                eprintln!("posture gate: comment {id} posted on {host:?}")
            }
            Ok(posture_integrations::review::CommentAction::Updated { id }) => {
                eprintln!("posture gate: comment {id} updated on {host:?}")
            }
            Err(e) => {
                eprintln!("error: the pull-request comment could not be posted: {e}");
                comment_failed = true;
            }
        }
    }
    Ok(if !outcome.errors.is_empty() || comment_failed {
        ExitCode::from(2)
    } else if outcome.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The gate's text report, finding by finding (written at once, so a closed pipe is an
/// error `main` recognises rather than a panic).
fn print_gate(o: &GateOutcome) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut s = String::new();
    let verdict_word = if !o.errors.is_empty() {
        "ERROR"
    } else if o.passed {
        "PASSED"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        s,
        "posture gate {verdict_word}: asset {} branch {} (baseline {}), policy {}",
        o.asset, o.branch, o.baseline, o.policy
    );
    let _ = writeln!(
        s,
        "{} finding(s) open on the branch, {} evaluated ({}): {} blocking, {} reported, {} excepted",
        o.open_on_branch,
        o.evaluated,
        if o.scope == "all" {
            "all"
        } else {
            "new relative to the baseline"
        },
        o.blocked,
        o.warnings,
        o.excepted
    );
    for n in &o.notes {
        let _ = writeln!(s, "note: {n}");
    }
    for g in &o.findings {
        let tag = if g.blocked {
            "BLOCK"
        } else if matches!(g.exception, Exception::Honoured { .. }) {
            "EXCEPTED"
        } else {
            "REPORT"
        };
        let _ = writeln!(
            s,
            "\n{tag} finding #{} [{}] {} at {}{}",
            g.id,
            g.severity,
            g.title,
            if g.location.is_empty() {
                "-"
            } else {
                g.location.as_str()
            },
            if g.new { "" } else { " (not new)" }
        );
        for m in &g.matches {
            let _ = writeln!(
                s,
                "  rule {} (line {}): {}{}",
                m.rule_id,
                m.line,
                verdict(m),
                m.description
                    .as_deref()
                    .map(|d| format!(" — {d}"))
                    .unwrap_or_default()
            );
        }
        let e = exception_text(&g.exception);
        if !e.is_empty() {
            let _ = writeln!(s, "  {e}");
        }
    }
    for e in &o.errors {
        let _ = writeln!(
            s,
            "\nerror: rule {} (line {}) could not be evaluated on finding #{}: {}",
            e.rule_id, e.line, e.finding_id, e.message
        );
    }
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, s.as_bytes())?;
    std::io::Write::flush(&mut out)
}

pub fn policy(database: &str, config: Option<&Path>, c: PolicyCommand) -> anyhow::Result<ExitCode> {
    match c {
        PolicyCommand::Check(a) => check(database, config, a),
        PolicyCommand::Test(a) => test(database, config, a),
    }
}

fn check(database: &str, config: Option<&Path>, a: PolicyCheckArgs) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let policy = load_policy(a.policy.as_deref(), config.as_ref())?;
    // Rules are tried against what is stored when there is a database (never created here).
    let hits = if posture_store::is_postgres_url(database) || Path::new(database).is_file() {
        let store = open_store(database)?;
        let now = SystemClock.now();
        let any = !store
            .findings(&posture_store::FindingQuery {
                limit: Some(1),
                status: None,
                ..posture_store::FindingQuery::default()
            })?
            .is_empty();
        let hits =
            posture_app::policy::rule_hits(store.as_ref(), config.as_ref(), &policy, None, now)?;
        Some((hits, any))
    } else {
        None
    };
    println!(
        "{}: {} rule(s), no errors",
        policy.source_name(),
        policy.rules().len()
    );
    for r in policy.rules() {
        let matched = hits
            .as_ref()
            .and_then(|(h, _)| h.iter().find(|h| h.rule_id == r.id))
            .map(|h| format!("{} finding(s) match now", h.matched))
            .unwrap_or_default();
        println!(
            "  {:<36} {:<17} {:<9} line {:<4} {matched}",
            r.id,
            r.action.as_str(),
            match r.mode {
                posture_policy::Mode::Enforce => "enforce",
                posture_policy::Mode::LogOnly => "log-only",
            },
            r.line
        );
    }
    match &hits {
        Some((hits, any)) => {
            for w in posture_app::policy::unmatched_warnings(hits, *any) {
                println!("{w}");
            }
        }
        None => {
            println!("(no database at {database}: the rules were not tried on stored findings)")
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn test(database: &str, config: Option<&Path>, a: PolicyTestArgs) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let policy = load_policy(a.policy.as_deref(), config.as_ref())?;
    let now = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    let store = open_store(database)?;
    let bt = posture_app::gate::backtest(
        store.as_ref(),
        config.as_ref(),
        &policy,
        a.asset.as_deref(),
        &a.baseline,
        now,
    )?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&bt)?,
        _ => {
            let rows = bt
                .runs
                .iter()
                .map(|r| {
                    vec![
                        r.at.to_string(),
                        r.asset.clone(),
                        r.branch.clone(),
                        r.evaluated.to_string(),
                        if r.failed { "FAIL" } else { "pass" }.to_string(),
                        clip(
                            &r.blocked
                                .iter()
                                .map(|i| format!("#{i}"))
                                .collect::<Vec<_>>()
                                .join(" "),
                            40,
                        ),
                        r.reported.len().to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "SCAN TIME",
                    "ASSET",
                    "BRANCH",
                    "EVALUATED",
                    "GATE",
                    "BLOCKED",
                    "REPORTED",
                ],
                rows,
            )?;
            println!(
                "{} of {} gate run(s) would have failed (baseline {})",
                bt.gates_failed,
                bt.runs.len(),
                bt.baseline
            );
            println!(
                "\n{} finding(s) would have been escalated",
                bt.escalations.len()
            );
            if !bt.escalations.is_empty() {
                output::table(
                    &[
                        "FINDING", "ASSET", "TITLE", "RULE", "TARGET", "FIRST AT", "MODE",
                    ],
                    bt.escalations
                        .iter()
                        .map(|e| {
                            vec![
                                format!("#{}", e.finding_id),
                                e.asset.clone(),
                                clip(&e.title, 40),
                                e.rule_id.clone(),
                                e.target.clone().unwrap_or_default(),
                                e.first_at.to_string(),
                                match e.mode {
                                    posture_policy::Mode::Enforce => "enforce".into(),
                                    posture_policy::Mode::LogOnly => "log-only".into(),
                                },
                            ]
                        })
                        .collect(),
                )?;
            }
            println!("\nWhat each rule matches now (findings not fixed):");
            output::table(
                &["RULE", "LINE", "ACTION", "MODE", "MATCHES", "E.G."],
                bt.rules
                    .iter()
                    .map(|h| {
                        vec![
                            h.rule_id.clone(),
                            h.line.to_string(),
                            h.action.clone(),
                            if h.in_force {
                                h.mode.clone()
                            } else {
                                format!("{} (not in force)", h.mode)
                            },
                            h.matched.to_string(),
                            h.examples
                                .iter()
                                .map(|i| format!("#{i}"))
                                .collect::<Vec<_>>()
                                .join(" "),
                        ]
                    })
                    .collect(),
            )?;
            println!(
                "\nSLA now: {} open finding(s); past SLA {} under the defaults, {} under the policy ({} with other SLA days)",
                bt.sla.open,
                bt.sla.past_sla_default,
                bt.sla.past_sla_policy,
                bt.sla.changed.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
