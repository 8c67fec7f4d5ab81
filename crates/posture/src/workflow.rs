//! `posture triage` (decisions with expiry and approver, `triage expire`), `posture metrics`,
//! and the SLA view of `posture findings --sla`: argument handling and rendering over
//! `posture_app::{workflow, sla, metrics}`.

use crate::cli::*;
use crate::commands::open_store;
use crate::output::{self, clip};
use anyhow::{Context, bail};
use posture_app::metrics::{MetricsReport, MetricsRequest};
use posture_app::sla::{Sla, SlaState};
use posture_app::views::SlaFindingView;
use posture_app::workflow::{DecisionRequest, DecisionRules, NoApprovalRequired, SlaRule};
use posture_app::{Clock, SystemClock};
use posture_model::{FindingStatus, Timestamp};
use posture_store::{EventQuery, EventRecord, FindingRecord, Store};
use std::collections::HashMap;
use std::process::ExitCode;

/// Reads a date (`2026-03-31`: 00:00 UTC that day) or an RFC 3339 time.
pub fn parse_date_or_time(s: &str) -> anyhow::Result<Timestamp> {
    Ok(posture_app::workflow::parse_date_or_time(s)?)
}

fn now_or(at: Option<&str>) -> anyhow::Result<Timestamp> {
    match at {
        Some(s) => parse_date_or_time(s),
        None => Ok(SystemClock.now()),
    }
}

fn actor_or_user(actor: Option<String>) -> String {
    actor
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

pub fn triage(
    database: &str,
    config: Option<&std::path::Path>,
    a: TriageArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(TriageCommand::Expire(e)) = a.command {
        return expire(database, config, e);
    }
    if !a.ids.is_empty() && a.filter.is_given() {
        bail!(
            "posture triage takes finding ids or filter flags (--asset, --search, ...), not both"
        );
    }
    let bulk = a.ids.len() > 1 || a.filter.is_given();
    if !bulk && a.filter.dry_run {
        bail!("--dry-run shows what a filter selects: give filter flags (--asset, --search, ...)");
    }
    let (Some(state), Some(reason)) = (a.state.clone(), a.reason.clone()) else {
        bail!("posture triage needs a finding id, --state and --reason (or `triage expire`)");
    };
    if bulk {
        return triage_many(database, config, a, state, reason);
    }
    let Some(&id) = a.ids.first() else {
        bail!(
            "posture triage needs finding ids (or filter flags: --asset, --search, ...), --state and --reason (or `triage expire`)"
        );
    };
    // A deferral is an acceptance with an expiry whose reason says it is a deferral (fix
    // later, not "won't fix"), so the audit trail tells them apart.
    let deferral = matches!(
        state.trim().to_ascii_lowercase().as_str(),
        "deferred" | "defer"
    );
    let (state, reason) = if deferral {
        (
            FindingStatus::Accepted,
            format!("deferral: {}", reason.trim()),
        )
    } else {
        (state.parse().map_err(anyhow::Error::msg)?, reason)
    };
    let at = now_or(a.at.as_deref())?;
    let until = a
        .until
        .as_deref()
        .map(parse_date_or_time)
        .transpose()
        .context("--until")?;
    let store = open_store(database)?;
    posture_app::workflow::expire(store.as_ref(), at)?;
    // The policy named by posture.toml `[policy] file` decides who must approve.
    let policy_rules = crate::gate::approval_rules(store.as_ref(), config, id, at)?;
    let approval: &dyn posture_app::workflow::ApprovalRule = match &policy_rules {
        Some(rules) => rules,
        None => &NoApprovalRequired,
    };
    let decided = posture_app::workflow::decide(
        store.as_ref(),
        DecisionRequest {
            finding_id: id,
            state,
            reason,
            actor: actor_or_user(a.actor),
            until,
            approver: a.approver,
            role: a.role,
            at,
            // A local database: nobody signed in, the names are the caller's word.
            unauthenticated: true,
        },
        &DecisionRules {
            approval,
            acceptance_needs_expiry: true,
        },
    )?;
    match output::resolve(a.output) {
        // The document the API's triage answers: the finding as a view (owner and risk).
        OutputFormat::Json => {
            let risk_config = crate::risk::load(config)?;
            let view = posture_app::views::finding_view(store.as_ref(), risk_config.as_ref(), id)?
                .with_context(|| format!("finding {id} is gone"))?;
            output::json(&view)?
        }
        _ => {
            let f = &decided.finding;
            let mut line = format!("finding #{} is now {}", f.id, f.status);
            if let Some(d) = &decided.decision {
                if let Some(u) = d.expires_at {
                    line.push_str(&format!(" until {u}"));
                }
                if let Some(ap) = &d.approver {
                    line.push_str(&format!(
                        ", approved by {ap}{}",
                        d.role
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ));
                }
            }
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The state and reason of a decision, a deferral being an acceptance whose reason says so.
fn decision_state(state: &str, reason: String) -> anyhow::Result<(FindingStatus, String)> {
    if matches!(
        state.trim().to_ascii_lowercase().as_str(),
        "deferred" | "defer"
    ) {
        return Ok((
            FindingStatus::Accepted,
            format!("deferral: {}", reason.trim()),
        ));
    }
    Ok((state.parse().map_err(anyhow::Error::msg)?, reason))
}

/// One decision on several findings (ids, or the findings a filter selects): every one is
/// checked (state machine, acceptance and approval rules) before any is written, then all are
/// recorded in one transaction. The first refusal names its finding and nothing changes.
fn triage_many(
    database: &str,
    config: Option<&std::path::Path>,
    a: TriageArgs,
    state: String,
    reason: String,
) -> anyhow::Result<ExitCode> {
    let (state, reason) = decision_state(&state, reason)?;
    let at = now_or(a.at.as_deref())?;
    let until = a
        .until
        .as_deref()
        .map(parse_date_or_time)
        .transpose()
        .context("--until")?;
    let risk_config = crate::risk::load(config)?;
    let store = open_store(database)?;
    posture_app::workflow::expire(store.as_ref(), at)?;
    let ids: Vec<i64> = if a.ids.is_empty() {
        let f = &a.filter;
        if let Some(asset) = &f.asset {
            posture_app::names::require_known_asset(store.as_ref(), risk_config.as_ref(), asset)?;
        }
        let status_words = if f.status.is_empty() {
            vec!["open".to_string()]
        } else {
            f.status.clone()
        };
        let mut statuses = Vec::new();
        for w in &status_words {
            if w.trim().eq_ignore_ascii_case("all") {
                bail!("--status all: a bulk decision names the statuses it changes");
            }
            statuses.push(
                w.trim()
                    .parse::<FindingStatus>()
                    .map_err(anyhow::Error::msg)?,
            );
        }
        let severity = f
            .severity
            .iter()
            .map(|s| {
                s.parse::<posture_model::Severity>()
                    .map_err(anyhow::Error::msg)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let category = f
            .category
            .as_deref()
            .map(|c| {
                c.parse::<posture_model::Category>()
                    .map_err(anyhow::Error::msg)
            })
            .transpose()?;
        let list = store.findings(&posture_store::FindingQuery {
            asset: f.asset.clone(),
            status: Some(statuses),
            severity: (!severity.is_empty()).then_some(severity),
            tool: f.tool.clone(),
            category,
            search: crate::commands::finding_search(
                f.search.as_deref(),
                f.cve.as_deref(),
                f.package.as_deref(),
                f.path.as_deref(),
                None,
            )?,
            sort: posture_store::FindingSort::Id,
            without_occurrences: true,
            ..Default::default()
        })?;
        if f.dry_run {
            let rows = list
                .iter()
                .map(|f| {
                    vec![
                        f.id.to_string(),
                        f.severity.to_string(),
                        f.status.to_string(),
                        f.asset.clone(),
                        clip(&f.title, 60),
                    ]
                })
                .collect();
            output::rows(
                output::resolve(a.output),
                &["ID", "SEVERITY", "STATUS", "ASSET", "TITLE"],
                rows,
            )?;
            println!(
                "{} finding(s) would become {state} (dry run: nothing changed)",
                list.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if list.is_empty() {
            bail!("the filter selects no finding: nothing to decide");
        }
        list.iter().map(|f| f.id).collect()
    } else {
        a.ids.clone()
    };
    let rules = crate::gate::approval_rules_for(store.as_ref(), risk_config.as_ref(), &ids, at)?;
    let approval: &dyn posture_app::workflow::ApprovalRule = match &rules {
        Some(r) => r,
        None => &NoApprovalRequired,
    };
    let actor = actor_or_user(a.actor.clone());
    let requests = ids
        .iter()
        .map(|&id| DecisionRequest {
            finding_id: id,
            state,
            reason: reason.clone(),
            actor: actor.clone(),
            until,
            approver: a.approver.clone(),
            role: a.role.clone(),
            at,
            unauthenticated: true,
        })
        .collect();
    let n = posture_app::workflow::decide_many(
        store.as_ref(),
        requests,
        &DecisionRules {
            approval,
            acceptance_needs_expiry: true,
        },
        None,
    )?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&serde_json::json!({
            "decided": ids, "state": state, "until": until,
        }))?,
        _ => {
            let list = ids
                .iter()
                .map(|id| format!("#{id}"))
                .collect::<Vec<_>>()
                .join(", ");
            let until = until.map(|u| format!(" until {u}")).unwrap_or_default();
            println!("{n} finding(s) are now {state}{until}: {list}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn expire(
    database: &str,
    config: Option<&std::path::Path>,
    a: TriageExpireArgs,
) -> anyhow::Result<ExitCode> {
    let at = now_or(a.at.as_deref())?;
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let expired = posture_app::workflow::expire(store.as_ref(), at)?;
    // the same sweep records SLA breaches of every unresolved finding
    let open = store.findings(&posture_store::FindingQuery {
        status: Some(vec![
            FindingStatus::Open,
            FindingStatus::Confirmed,
            FindingStatus::InProgress,
            FindingStatus::Accepted,
        ]),
        ..Default::default()
    })?;
    let rule = crate::gate::sla_rule(store.as_ref(), config.as_ref(), &open, at)?;
    let breaches = record_breaches(store.as_ref(), &open, rule.as_ref(), at)?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&serde_json::json!({
            "at": at, "expired": expired, "sla_breaches_recorded": breaches,
        }))?,
        _ => {
            for e in &expired {
                println!(
                    "finding #{}: risk acceptance expired {} — open again",
                    e.finding_id, e.expired_at
                );
            }
            println!(
                "{} acceptance(s) expired, {} SLA breach(es) recorded",
                expired.len(),
                breaches
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The events of these findings (one query per 500 findings; one query for big lists).
fn events_of(store: &dyn Store, list: &[FindingRecord]) -> anyhow::Result<Vec<EventRecord>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let query = if list.len() > 5000 {
        EventQuery::default()
    } else {
        EventQuery {
            finding_ids: Some(list.iter().map(|f| f.id).collect()),
            ..EventQuery::default()
        }
    };
    Ok(store.event_log(&query)?)
}

/// Records `sla-breached` events not recorded yet; returns how many.
fn record_breaches(
    store: &dyn Store,
    list: &[FindingRecord],
    rule: &dyn SlaRule,
    at: Timestamp,
) -> anyhow::Result<usize> {
    let events = events_of(store, list)?;
    let new = posture_app::sla::breaches_to_record(list, &events, rule, at);
    Ok(store.append_events(new)?)
}

/// What `posture findings` does first: expired acceptances open again, and SLA breaches of the
/// listed findings are recorded once.
pub fn sweep_before_listing(store: &dyn Store) -> anyhow::Result<()> {
    // The database's clock (PostgreSQL): a host running fast must not expire acceptances early.
    posture_app::workflow::expire(store, posture_app::now_on(store)?)?;
    Ok(())
}

/// Records breaches of the listed findings, then filters by SLA state when `--sla` is given
/// and prints the SLA view (unless risk filters or order were asked for: then the risk view
/// prints the filtered list). Returns `None` when another printer should run.
pub fn findings_sla(
    store: &dyn Store,
    config: Option<&posture_app::risk::RiskConfig>,
    list: &mut Vec<FindingRecord>,
    a: &FindingsArgs,
    by_risk: bool,
) -> anyhow::Result<Option<ExitCode>> {
    let now = SystemClock.now();
    let events = events_of(store, list)?;
    // SLA days chosen by the policy of posture.toml `[policy] file`, else the defaults.
    let rule = crate::gate::sla_rule(store, config, list, now)?;
    let new = posture_app::sla::breaches_to_record(list, &events, rule.as_ref(), now);
    store.append_events(new)?;
    if a.sla.is_empty() {
        return Ok(None);
    }
    let wanted: Vec<SlaState> = a
        .sla
        .iter()
        .map(|s| s.parse::<SlaState>().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    let mut by_finding: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    for e in events {
        by_finding.entry(e.finding_id).or_default().push(e);
    }
    let empty = Vec::new();
    let mut rows: Vec<(FindingRecord, Sla)> = std::mem::take(list)
        .into_iter()
        .map(|f| {
            let sla = posture_app::sla::sla_at(
                &f,
                by_finding.get(&f.id).unwrap_or(&empty),
                rule.as_ref(),
                now,
            );
            (f, sla)
        })
        .filter(|(_, s)| wanted.contains(&s.state))
        .collect();
    if by_risk {
        *list = rows.into_iter().map(|(f, _)| f).collect();
        return Ok(None);
    }
    // most overdue first
    rows.sort_by_key(|(f, s)| (s.due.unwrap_or(Timestamp::MAX), f.id));
    if let Some(l) = a.limit {
        rows.truncate(l);
    }
    match output::resolve(a.output) {
        OutputFormat::Json => {
            // The API's finding document (owner and risk) with its `sla`.
            let (list, slas): (Vec<FindingRecord>, Vec<Sla>) = rows.into_iter().unzip();
            let v: Vec<SlaFindingView> = posture_app::views::finding_views(store, config, list)?
                .into_iter()
                .zip(slas)
                .map(|(finding, sla)| SlaFindingView { finding, sla })
                .collect();
            output::json(&v)?;
        }
        fmt => {
            let header = [
                "ID",
                "SEVERITY",
                "STATUS",
                "ASSET",
                "TITLE",
                "SLA",
                "DUE",
                "DAYS LEFT",
            ];
            let body = rows
                .iter()
                .map(|(f, s)| {
                    vec![
                        f.id.to_string(),
                        f.severity.to_string(),
                        f.status.to_string(),
                        f.asset.clone(),
                        clip(&f.title, 50),
                        s.state.to_string(),
                        s.due
                            .map(|d| d.strftime("%Y-%m-%d").to_string())
                            .unwrap_or_default(),
                        s.remaining_ms
                            .map(|r| format!("{:.1}", r as f64 / 86_400_000.0))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            output::rows(fmt, &header, body)?;
            if fmt == OutputFormat::Table {
                println!("{} finding(s)", rows.len());
            }
        }
    }
    Ok(Some(ExitCode::SUCCESS))
}

pub fn metrics(
    database: &str,
    config: Option<&std::path::Path>,
    a: MetricsArgs,
) -> anyhow::Result<ExitCode> {
    let as_of = match a.as_of.as_deref() {
        // a date means the end of that day
        Some(s) => posture_app::metrics::parse_as_of(s).context("--as-of")?,
        None => SystemClock.now(),
    };
    if a.days == 0 {
        bail!("--days must be at least 1");
    }
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    // expiries up to the date are part of the history
    posture_app::workflow::expire(store.as_ref(), as_of.min(SystemClock.now()))?;
    let request = MetricsRequest {
        as_of,
        days: a.days,
        asset: a.asset,
        team: a.team,
    };
    let input = posture_app::metrics::load(store.as_ref(), config.as_ref(), &request)?;
    // SLA days chosen by the policy of posture.toml `[policy] file`, else the defaults.
    let rule = crate::gate::sla_rule(store.as_ref(), config.as_ref(), &input.findings, as_of)?;
    let report = posture_app::metrics::compute(&input, rule.as_ref(), &request);
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&report)?,
        OutputFormat::Csv => output::csv(
            &["section", "dimension", "group", "measure", "value"],
            csv_rows(&report),
        )?,
        OutputFormat::Table => print_metrics(&report)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

fn csv_rows(r: &MetricsReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut push = |s: &str, d: &str, g: &str, m: &str, v: String| {
        rows.push(vec![s.into(), d.into(), g.into(), m.into(), v]);
    };
    for (dim, list) in [
        ("all", std::slice::from_ref(&r.mttr.overall)),
        ("service", r.mttr.by_service.as_slice()),
        ("team", r.mttr.by_team.as_slice()),
        ("severity", r.mttr.by_severity.as_slice()),
    ] {
        for m in list {
            push("mttr", dim, &m.group, "fixes", m.fixes.to_string());
            push("mttr", dim, &m.group, "mean_days", opt(m.mean_days));
            push("mttr", dim, &m.group, "median_days", opt(m.median_days));
        }
    }
    let c = &r.criticals_past_sla;
    push(
        "criticals_past_sla",
        "all",
        "all",
        "open",
        c.open.to_string(),
    );
    push(
        "criticals_past_sla",
        "all",
        "all",
        "past_sla",
        c.past_sla.to_string(),
    );
    push(
        "criticals_past_sla",
        "all",
        "all",
        "percent",
        opt(c.percent),
    );
    for d in &r.density {
        push("density", "service", &d.service, "open", d.open.to_string());
        push(
            "density",
            "service",
            &d.service,
            "critical",
            d.critical.to_string(),
        );
        push("density", "service", &d.service, "high", d.high.to_string());
        push(
            "density",
            "service",
            &d.service,
            "medium",
            d.medium.to_string(),
        );
        push("density", "service", &d.service, "low", d.low.to_string());
    }
    for row in &r.coverage.rows {
        let cats = |v: &[posture_model::Category]| {
            v.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
        };
        push(
            "coverage",
            "service",
            &row.service,
            "covered",
            cats(&row.covered),
        );
        push(
            "coverage",
            "service",
            &row.service,
            "missing",
            cats(&row.missing),
        );
        push(
            "coverage",
            "service",
            &row.service,
            "full_suite",
            row.full_suite.to_string(),
        );
    }
    push(
        "coverage",
        "all",
        "all",
        "full_suite_percent",
        opt(r.coverage.full_suite_percent),
    );
    for w in &r.weekly {
        push("weekly", "week", &w.week, "opened", w.opened.to_string());
        push("weekly", "week", &w.week, "fixed", w.fixed.to_string());
        push(
            "weekly",
            "week",
            &w.week,
            "reopened",
            w.reopened.to_string(),
        );
    }
    rows
}

fn print_metrics(r: &MetricsReport) -> anyhow::Result<()> {
    println!(
        "metrics as of {}{}{}: {} finding(s), {} open",
        r.as_of.strftime("%Y-%m-%d %H:%M UTC"),
        r.asset
            .as_deref()
            .map(|a| format!(", asset {a}"))
            .unwrap_or_default(),
        r.team
            .as_deref()
            .map(|t| format!(", team {t}"))
            .unwrap_or_default(),
        r.findings,
        r.open
    );
    let c = &r.criticals_past_sla;
    println!(
        "open criticals past SLA: {} of {} ({})\n",
        c.past_sla,
        c.open,
        c.percent
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "n/a".into())
    );
    println!("MTTR (days, opened -> fixed, each reopen cycle counted):");
    let mut rows = vec![vec![
        "all".to_string(),
        "all".to_string(),
        r.mttr.overall.fixes.to_string(),
        opt(r.mttr.overall.mean_days),
        opt(r.mttr.overall.median_days),
    ]];
    for (dim, list) in [
        ("service", &r.mttr.by_service),
        ("team", &r.mttr.by_team),
        ("severity", &r.mttr.by_severity),
    ] {
        for m in list {
            rows.push(vec![
                dim.to_string(),
                m.group.clone(),
                m.fixes.to_string(),
                opt(m.mean_days),
                opt(m.median_days),
            ]);
        }
    }
    output::table(&["BY", "GROUP", "FIXES", "MEAN", "MEDIAN"], rows)?;
    println!(
        "\nfinding density and scanner coverage (last {} days):",
        r.coverage.days
    );
    let rows = r
        .density
        .iter()
        .zip(&r.coverage.rows)
        .map(|(d, c)| {
            vec![
                d.service.clone(),
                d.open.to_string(),
                format!("{}/{}/{}/{}", d.critical, d.high, d.medium, d.low),
                c.covered
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                c.missing
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                c.last_scan
                    .map(|t| t.strftime("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(
        &[
            "SERVICE",
            "OPEN",
            "C/H/M/L",
            "COVERED",
            "MISSING",
            "LAST SCAN",
        ],
        rows,
    )?;
    println!(
        "services covered by the full suite (SAST, SCA, secrets, IaC, container, DAST): {} of {} ({})",
        r.coverage.full_suite_services,
        r.coverage.services,
        r.coverage
            .full_suite_percent
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_else(|| "n/a".into())
    );
    const SHOWN: usize = 16;
    let skip = r.weekly.len().saturating_sub(SHOWN);
    println!(
        "\nopened vs fixed per ISO week{}:",
        if skip > 0 {
            format!(" (last {SHOWN}; {skip} earlier in --output json/csv)")
        } else {
            String::new()
        }
    );
    let rows = r
        .weekly
        .iter()
        .skip(skip)
        .map(|w| {
            vec![
                w.week.clone(),
                w.opened.to_string(),
                w.fixed.to_string(),
                w.reopened.to_string(),
            ]
        })
        .collect();
    output::table(&["WEEK", "OPENED", "FIXED", "REGRESSIONS"], rows)?;
    Ok(())
}
