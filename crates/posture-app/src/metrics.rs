//! Programme metrics computed from the event log, as of any date.
//!
//! Why a module of its own: leadership asks "how fast do we fix, how much is overdue, what is
//! scanned", and the answers must be reproducible for any past date. So every figure here is
//! replayed from the append-only event log (`opened`, `fixed`, `reopened`, `triaged`,
//! `expired`) and the scan records, never read from a finding's current columns: the state of
//! a finding as of a date is what its events up to that date say.
//!
//! The store is read in a few set-based queries (findings without occurrences, every event up to
//! the date, scans of the coverage window, asset names); everything else is pure
//! ([`compute`]) and tested against hand-computed histories.
//!
//! Definitions:
//! * **MTTR**: for each remediation cycle (from `opened` or `reopened` to the next `fixed`)
//!   that ended by the date, its length in days; mean and median per service (asset), team
//!   (owner) and severity. A finding fixed twice counts twice; a false positive or a
//!   not-affected finding is not a remediation and does not count.
//! * **open**: unresolved as of the date: open, confirmed, in progress or accepted.
//! * **criticals past SLA**: open critical findings whose SLA state is `breached`, over all
//!   open criticals (accepted ones are paused, so never past SLA while accepted).
//! * **density**: open findings per service (per KLOC when the portfolio gives a size; it
//!   does not yet, so per service).
//! * **scanner coverage**: the categories (SAST, SCA, secrets, IaC, container, DAST) a service
//!   had a findings scan of in the `days` before the date. A scan covers the categories its
//!   scope (asset, tool, branch, target) has ever reported findings in; a scope that never
//!   reported anything covers its parser's primary category (the first it declares).
//! * **weekly trend**: `opened`, `fixed` and `reopened` (regressions) events per ISO week.

use crate::AppError;
use crate::risk::{RiskConfig, owner_of};
use crate::sla::{SlaState, replay, sla_at};
use crate::workflow::{SlaRule, is_resolved};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use posture_model::{Category, FindingStatus, Severity, Timestamp};
use posture_store::{EventQuery, EventRecord, FindingQuery, FindingRecord, ScanCoverageRow, Store};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const DAY_MS: f64 = 86_400_000.0;

pub use crate::coverage::SUITE;

/// What to compute.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub as_of: Timestamp,
    /// The scanner coverage window, in days before `as_of`.
    pub days: u32,
    pub asset: Option<String>,
    pub team: Option<String>,
}

/// Everything [`compute`] reads, loaded by [`load`].
#[derive(Debug, Clone, Default)]
pub struct MetricsInput {
    pub findings: Vec<FindingRecord>,
    pub events: Vec<EventRecord>,
    pub scans: Vec<ScanCoverageRow>,
    /// Every service (asset) to report on.
    pub assets: Vec<String>,
    /// The owning team of each finding (by id), when known.
    pub finding_teams: HashMap<i64, String>,
    /// The owning team of each asset, when known.
    pub asset_teams: HashMap<String, String>,
}

/// Mean and median time to remediate of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MttrRow {
    pub group: String,
    /// Remediation cycles that ended by the date.
    pub fixes: usize,
    pub mean_days: Option<f64>,
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mttr {
    pub overall: MttrRow,
    pub by_service: Vec<MttrRow>,
    pub by_team: Vec<MttrRow>,
    pub by_severity: Vec<MttrRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalsPastSla {
    pub open: usize,
    pub past_sla: usize,
    /// `past_sla / open` in percent; `None` when there is no open critical.
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DensityRow {
    pub service: String,
    pub open: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// Open findings per thousand lines of code, when the size is known.
    pub per_kloc: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub service: String,
    pub covered: Vec<Category>,
    pub missing: Vec<Category>,
    pub full_suite: bool,
    pub scans: usize,
    pub last_scan: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub days: u32,
    pub services: usize,
    pub full_suite_services: usize,
    /// Share of services covered by the full suite, in percent (`None` without services).
    pub full_suite_percent: Option<f64>,
    pub rows: Vec<CoverageRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    /// ISO week, `2026-W05`.
    pub week: String,
    /// Its Monday.
    pub starts: Date,
    pub opened: usize,
    pub fixed: usize,
    /// Regressions: fixed findings reported again.
    pub reopened: usize,
}

/// The metrics as of a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsReport {
    pub as_of: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Findings that existed by the date (in the asset or team asked for).
    pub findings: usize,
    pub open: usize,
    pub mttr: Mttr,
    pub criticals_past_sla: CriticalsPastSla,
    pub density: Vec<DensityRow>,
    pub coverage: Coverage,
    pub weekly: Vec<WeekRow>,
}

const UNOWNED: &str = "(unowned)";

/// Reads what the metrics need in a few set-based queries: findings (without occurrences; the
/// owning team from their stored risk), the event log up to the date, the scans of the
/// coverage window, the assets.
pub fn load(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    req: &MetricsRequest,
) -> Result<MetricsInput, AppError> {
    if req.team.is_some() && config.is_none() {
        return Err(AppError::Invalid(
            "--team needs a portfolio configuration (posture.toml or --config) that declares teams"
                .into(),
        ));
    }
    // The owning team of each finding is the one its stored risk records (brought up to
    // date first: cheap when nothing changed), so the findings are read without their
    // occurrences (at a million findings those were 30 s and gigabytes).
    if let Some(config) = config {
        crate::risk::refresh_stored_risk(store, Some(config))?;
    }
    let findings = store.findings(&FindingQuery {
        asset: req.asset.clone(),
        status: None,
        without_occurrences: true,
        ..Default::default()
    })?;
    let events = store.event_log(&EventQuery {
        finding_ids: None,
        asset: req.asset.clone(),
        until: Some(req.as_of),
    })?;
    let since = crate::coverage::window_start(req.as_of, req.days);
    let scans = store.scan_coverage(req.asset.as_deref(), since, req.as_of)?;
    let mut assets = store.asset_names()?;
    let mut finding_teams = HashMap::new();
    let mut asset_teams = HashMap::new();
    if let Some(config) = config {
        for f in &findings {
            // Assessed: the team the assessment found (CODEOWNERS over the occurrences'
            // paths). Not yet (marked by a write racing this read): the owner from the
            // finding alone (its asset's team).
            let team = if f.risk_score.is_some() {
                f.team.clone()
            } else {
                owner_of(config, f).team
            };
            if let Some(team) = team {
                finding_teams.insert(f.id, team);
            }
        }
        for a in config.portfolio.assets() {
            if let Some(team) = &a.team {
                asset_teams.insert(a.name.clone(), team.clone());
            }
            if !assets.contains(&a.name) {
                assets.push(a.name.clone());
            }
        }
    }
    if let Some(a) = &req.asset {
        assets.retain(|n| n == a);
        if assets.is_empty() {
            assets.push(a.clone());
        }
    }
    assets.sort();
    Ok(MetricsInput {
        findings,
        events,
        scans,
        assets,
        finding_teams,
        asset_teams,
    })
}

fn mean_median(mut days: Vec<f64>, group: String) -> MttrRow {
    days.sort_by(f64::total_cmp);
    let n = days.len();
    let mean = (n > 0).then(|| days.iter().sum::<f64>() / n as f64);
    let median = (n > 0).then(|| {
        if n % 2 == 1 {
            days[n / 2]
        } else {
            (days[n / 2 - 1] + days[n / 2]) / 2.0
        }
    });
    MttrRow {
        group,
        fixes: n,
        mean_days: mean.map(round2),
        median_days: median.map(round2),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

/// Remediation cycle lengths in days of one finding's events (sorted), up to `as_of`.
fn remediations(events: &[&EventRecord], as_of: Timestamp) -> Vec<f64> {
    let mut out = Vec::new();
    let mut start: Option<Timestamp> = None;
    for e in events.iter().filter(|e| e.at <= as_of) {
        match e.kind.as_str() {
            "opened" | "reopened" => start = Some(e.at),
            "fixed" => {
                if let Some(s) = start.take() {
                    out.push((e.at.as_millisecond() - s.as_millisecond()) as f64 / DAY_MS);
                }
            }
            _ => {}
        }
    }
    out
}

fn utc_date(t: Timestamp) -> Date {
    t.to_zoned(TimeZone::UTC).date()
}

fn iso_monday(d: Date) -> Date {
    let w = d.iso_week_date();
    jiff::civil::ISOWeekDate::new(w.year(), w.week(), Weekday::Monday)
        .map(|w| w.date())
        .unwrap_or(d)
}

fn week_label(d: Date) -> String {
    let w = d.iso_week_date();
    format!("{:04}-W{:02}", w.year(), w.week())
}

/// Computes every metric from loaded data (pure).
pub fn compute(input: &MetricsInput, rule: &dyn SlaRule, req: &MetricsRequest) -> MetricsReport {
    let as_of = req.as_of;
    let team_of = |f: &FindingRecord| input.finding_teams.get(&f.id).cloned();
    let findings: Vec<&FindingRecord> = input
        .findings
        .iter()
        .filter(|f| req.asset.as_ref().is_none_or(|a| &f.asset == a))
        .filter(|f| {
            req.team
                .as_ref()
                .is_none_or(|t| team_of(f).as_deref() == Some(t.as_str()))
        })
        .collect();
    let mut events_of: HashMap<i64, Vec<&EventRecord>> = HashMap::new();
    for e in input.events.iter().filter(|e| e.at <= as_of) {
        events_of.entry(e.finding_id).or_default().push(e);
    }
    for evs in events_of.values_mut() {
        evs.sort_by_key(|e| (e.at, e.id));
    }
    let no_events: Vec<&EventRecord> = Vec::new();

    let mut all = Vec::new();
    let mut by_service: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_team: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_severity: BTreeMap<Severity, Vec<f64>> = BTreeMap::new();
    let mut existing = 0usize;
    let mut open_total = 0usize;
    let mut crit_open = 0usize;
    let mut crit_past = 0usize;
    let mut density: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut weekly: BTreeMap<Date, [usize; 3]> = BTreeMap::new();

    for f in &findings {
        let evs = events_of.get(&f.id).unwrap_or(&no_events);
        let owned: Vec<EventRecord> = evs.iter().map(|e| (*e).clone()).collect();
        let state = replay(f, &owned, as_of);
        let Some(status) = state.status else {
            continue;
        };
        existing += 1;
        let team = team_of(f).unwrap_or_else(|| UNOWNED.to_string());
        for d in remediations(evs, as_of) {
            all.push(d);
            by_service.entry(f.asset.clone()).or_default().push(d);
            by_team.entry(team.clone()).or_default().push(d);
            by_severity.entry(f.severity).or_default().push(d);
        }
        for e in evs {
            let slot = match e.kind.as_str() {
                "opened" => 0,
                "fixed" => 1,
                "reopened" => 2,
                _ => continue,
            };
            weekly.entry(iso_monday(utc_date(e.at))).or_insert([0; 3])[slot] += 1;
        }
        if is_resolved(status) {
            continue;
        }
        open_total += 1;
        let counts = density.entry(f.asset.clone()).or_insert([0; 5]);
        counts[4 - f.severity as usize] += 1;
        if f.severity == Severity::Critical {
            crit_open += 1;
            if sla_at(f, &owned, rule, as_of).state == SlaState::Breached {
                crit_past += 1;
            }
        }
    }

    let severity_rows = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            by_severity
                .get(s)
                .map(|d| mean_median(d.clone(), s.to_string()))
        })
        .collect();
    let mttr = Mttr {
        overall: mean_median(all, "all".into()),
        by_service: by_service
            .into_iter()
            .map(|(k, v)| mean_median(v, k))
            .collect(),
        by_team: by_team
            .into_iter()
            .map(|(k, v)| mean_median(v, k))
            .collect(),
        by_severity: severity_rows,
    };

    // services in scope: the assets asked for (by asset or team)
    let services: Vec<String> = input
        .assets
        .iter()
        .filter(|a| req.asset.as_ref().is_none_or(|x| x == *a))
        .filter(|a| {
            req.team.as_ref().is_none_or(|t| {
                input.asset_teams.get(*a) == Some(t) || findings.iter().any(|f| &f.asset == *a)
            })
        })
        .cloned()
        .collect();

    let density_rows = services
        .iter()
        .map(|s| {
            let c = density.get(s).copied().unwrap_or([0; 5]);
            DensityRow {
                service: s.clone(),
                open: c.iter().sum(),
                critical: c[0],
                high: c[1],
                medium: c[2],
                low: c[3],
                info: c[4],
                per_kloc: None,
            }
        })
        .collect();

    let covered = crate::coverage::by_service(&input.scans, as_of);
    let coverage_rows: Vec<CoverageRow> = services
        .iter()
        .map(|s| {
            let c = covered.get(s.as_str()).cloned().unwrap_or_default();
            let (cats, scans, last) = (c.categories, c.scans, c.last_scan);
            let covered: Vec<Category> =
                SUITE.iter().copied().filter(|c| cats.contains(c)).collect();
            let missing: Vec<Category> = SUITE
                .iter()
                .copied()
                .filter(|c| !cats.contains(c))
                .collect();
            CoverageRow {
                service: s.clone(),
                full_suite: missing.is_empty(),
                covered,
                missing,
                scans,
                last_scan: last,
            }
        })
        .collect();
    let full = coverage_rows.iter().filter(|r| r.full_suite).count();
    let coverage = Coverage {
        days: req.days,
        services: coverage_rows.len(),
        full_suite_services: full,
        full_suite_percent: percent(full, coverage_rows.len()),
        rows: coverage_rows,
    };

    // every ISO week from the first event to the date, zeros included
    let mut weeks = Vec::new();
    if let Some((&first, _)) = weekly.iter().next() {
        let last = iso_monday(utc_date(as_of));
        let mut d = first;
        while d <= last {
            let c = weekly.get(&d).copied().unwrap_or([0; 3]);
            weeks.push(WeekRow {
                week: week_label(d),
                starts: d,
                opened: c[0],
                fixed: c[1],
                reopened: c[2],
            });
            match d.checked_add(jiff::Span::new().days(7)) {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
    }

    MetricsReport {
        as_of,
        asset: req.asset.clone(),
        team: req.team.clone(),
        findings: existing,
        open: open_total,
        mttr,
        criticals_past_sla: CriticalsPastSla {
            open: crit_open,
            past_sla: crit_past,
            percent: percent(crit_past, crit_open),
        },
        density: density_rows,
        coverage,
        weekly: weeks,
    }
}

/// Reads the date the metrics are computed as of: a date (`YYYY-MM-DD`) means the end of that
/// day UTC; anything else must be an RFC 3339 time (`posture metrics --as-of`, the API's
/// `as_of`).
pub fn parse_as_of(text: &str) -> Result<Timestamp, AppError> {
    let text = text.trim();
    match text.parse::<Date>() {
        Ok(d) => d
            .tomorrow()
            .and_then(|t| t.to_zoned(TimeZone::UTC))
            .map(|z| z.timestamp() - jiff::SignedDuration::from_millis(1))
            .map_err(|_| AppError::Invalid(format!("as of `{text}`: the date is out of range"))),
        Err(_) => text.parse::<Timestamp>().map_err(|_| {
            AppError::Invalid(format!(
                "as of `{text}`: not a date (YYYY-MM-DD) or an RFC 3339 time such as 2026-01-31T12:00:00Z"
            ))
        }),
    }
}

/// Loads and computes the metrics.
pub fn metrics(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    rule: &dyn SlaRule,
    req: &MetricsRequest,
) -> Result<MetricsReport, AppError> {
    let input = load(store, config, req)?;
    Ok(compute(&input, rule, req))
}

/// A status as of a date, for callers that list findings as of a date.
pub fn status_as_of(
    finding: &FindingRecord,
    events: &[EventRecord],
    as_of: Timestamp,
) -> Option<FindingStatus> {
    replay(finding, events, as_of).status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::DefaultSla;

    const DAY: i64 = 86_400_000;

    fn t(days: f64) -> Timestamp {
        // 2026-03-02T00:00:00Z, a Monday (ISO week 2026-W10)
        Timestamp::from_millisecond(1_772_409_600_000 + (days * DAY as f64) as i64).expect("time")
    }

    fn finding(id: i64, asset: &str, severity: Severity, first_seen: f64) -> FindingRecord {
        FindingRecord {
            id,
            asset: asset.into(),
            status: FindingStatus::Open,
            severity,
            category: Category::Sca,
            title: format!("f{id}"),
            rule_id: "r".into(),
            first_seen: t(first_seen),
            last_seen: t(first_seen),
            fixed_at: None,
            reopened: 0,
            triage: None,
            triage_reason: None,
            risk_score: None,
            risk_band: None,
            team: None,
            risk_version: 0,
            occurrences: Vec::new(),
        }
    }

    fn event(id: i64, finding: i64, at: f64, kind: &str, to: Option<&str>) -> EventRecord {
        EventRecord {
            id,
            finding_id: finding,
            at: t(at),
            kind: kind.into(),
            scan_id: None,
            actor: None,
            from_status: None,
            to_status: to.map(str::to_string),
            reason: None,
            approver: None,
            role: None,
            expires_at: None,
        }
    }

    #[test]
    fn as_of_replays_only_the_past_and_median_of_an_even_count() {
        // f1: opened d0, fixed d2, reopened d3, fixed d9 -> cycles 2 and 6
        // f2: opened d1, fixed d5 -> cycle 4; f3: opened d20 (after the first as-of)
        // f4: opened d0, false positive d1 (resolved, not a remediation)
        let input = MetricsInput {
            findings: vec![
                finding(1, "a", Severity::High, 0.0),
                finding(2, "b", Severity::Low, 1.0),
                finding(3, "a", Severity::Critical, 20.0),
                finding(4, "a", Severity::Critical, 0.0),
            ],
            events: vec![
                event(1, 1, 0.0, "opened", Some("open")),
                event(2, 4, 0.0, "opened", Some("open")),
                event(3, 2, 1.0, "opened", Some("open")),
                event(4, 4, 1.0, "triaged", Some("false-positive")),
                event(5, 1, 2.0, "fixed", Some("fixed")),
                event(6, 1, 3.0, "reopened", Some("open")),
                event(7, 2, 5.0, "fixed", Some("fixed")),
                event(8, 1, 9.0, "fixed", Some("fixed")),
                event(9, 3, 20.0, "opened", Some("open")),
            ],
            assets: vec!["a".into(), "b".into()],
            ..MetricsInput::default()
        };
        let req = |as_of: f64| MetricsRequest {
            as_of: t(as_of),
            days: 30,
            asset: None,
            team: None,
        };
        let m = compute(&input, &DefaultSla, &req(10.0));
        assert_eq!(m.findings, 3, "f3 did not exist yet");
        assert_eq!(m.open, 0);
        assert_eq!(m.mttr.overall.fixes, 3);
        assert_eq!(m.mttr.overall.mean_days, Some(4.0));
        assert_eq!(m.mttr.overall.median_days, Some(4.0));
        let a = &m.mttr.by_service[0];
        assert_eq!(
            (a.group.as_str(), a.fixes, a.median_days),
            ("a", 2, Some(4.0))
        );
        assert_eq!(m.criticals_past_sla.percent, None, "no open critical");
        // as of day 4: f1 reopened (open), f2 open; one remediation so far (f1, 2 days)
        let m = compute(&input, &DefaultSla, &req(4.0));
        assert_eq!((m.open, m.mttr.overall.fixes), (2, 1));
        // as of day 30: f3 open critical since day 20, 7-day SLA: breached
        let m = compute(&input, &DefaultSla, &req(30.0));
        assert_eq!(m.criticals_past_sla.past_sla, 1);
        assert_eq!(m.criticals_past_sla.percent, Some(100.0));
        assert_eq!(m.weekly.first().map(|w| w.week.as_str()), Some("2026-W10"));
        assert_eq!(m.weekly.len(), 5, "W10..W14, empty weeks included");
        assert_eq!(
            m.weekly.iter().map(|w| w.opened).sum::<usize>(),
            4,
            "every opened event counted once"
        );
    }
}
