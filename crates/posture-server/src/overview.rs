//! The portfolio at a glance: open findings by risk band, opened vs fixed per week, MTTR by
//! team and severity, the share past SLA, and scanner coverage per service.
//!
//! Computed here from the findings (first seen, fixed at, owner, risk) and the scans, behind
//! the one function [`compute`]. When the metrics module of the workflow issue (computed from
//! the event log, with SLA pauses and per-policy SLAs) is in, `compute` delegates to it and
//! the dashboard does not change.

use posture_app::risk::{AssessedFinding, RiskConfig};
use posture_model::{Category, FindingStatus, Severity, Timestamp};
use posture_store::ScanRecord;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// How many weeks the trend shows.
pub const TREND_WEEKS: usize = 12;

/// Days to fix by severity (the default SLA: critical 7, high 30, medium 90, low 180, info
/// none), the numbers of the workflow issue's `DefaultSla`.
pub fn sla_days(severity: Severity) -> Option<i64> {
    match severity {
        Severity::Critical => Some(7),
        Severity::High => Some(30),
        Severity::Medium => Some(90),
        Severity::Low => Some(180),
        Severity::Info => None,
    }
}

/// The categories shown in the coverage table, in order.
pub const COVERAGE_CATEGORIES: [Category; 6] = [
    Category::Sast,
    Category::Sca,
    Category::Container,
    Category::Iac,
    Category::Secret,
    Category::Dast,
];

/// Which scan formats cover which category (the parsers' declared categories).
pub fn format_categories(format: &str) -> Vec<Category> {
    posture_parsers::parser_by_id(format)
        .map(|p| p.categories().to_vec())
        .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Findings a person still has to act on (open, confirmed, in progress).
    pub open_total: usize,
    /// Open findings per risk band, P1 first.
    pub open_by_band: Vec<(String, usize)>,
    pub open_by_severity: Vec<(String, usize)>,
    /// Findings whose risk a person accepted.
    pub accepted: usize,
    pub trend: Vec<WeekPoint>,
    pub mttr: Vec<MttrRow>,
    /// Open findings with an SLA, and how many are past it.
    pub with_sla: usize,
    pub past_sla: usize,
    /// `past_sla / with_sla` in percent, one decimal.
    pub past_sla_percent: f64,
    /// Per severity with an SLA (critical first): (severity, SLA days, open, past SLA).
    pub sla_by_severity: Vec<(String, i64, usize, usize)>,
    pub coverage: Vec<CoverageRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekPoint {
    /// First day of the week (`YYYY-MM-DD`).
    pub week: String,
    pub opened: usize,
    pub fixed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MttrRow {
    pub team: String,
    /// Mean days from first seen to fixed, per severity (critical first); `None` when the team
    /// fixed none of that severity.
    pub days: Vec<Option<f64>>,
    pub fixed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub asset: String,
    pub team: Option<String>,
    /// One per [`COVERAGE_CATEGORIES`]: whether a scanner of that kind ran on the asset.
    pub covered: Vec<bool>,
    pub tools: Vec<String>,
    pub last_scan: Option<Timestamp>,
}

/// Whether a person still has to act on it.
pub fn is_actionable(status: FindingStatus) -> bool {
    matches!(
        status,
        FindingStatus::Open | FindingStatus::Confirmed | FindingStatus::InProgress
    )
}

fn day(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

/// Whether an open finding is past its SLA at `now`.
pub fn past_sla(f: &AssessedFinding, now: Timestamp) -> bool {
    sla_days(f.finding.severity).is_some_and(|days| {
        now.as_millisecond() - f.finding.first_seen.as_millisecond() > days * DAY_MS
    })
}

/// The overview of these findings (all statuses) and scans, as of `now`.
pub fn compute(
    findings: &[AssessedFinding],
    scans: &[ScanRecord],
    portfolio: Option<&RiskConfig>,
    now: Timestamp,
) -> Overview {
    let open: Vec<&AssessedFinding> = findings
        .iter()
        .filter(|f| is_actionable(f.finding.status))
        .collect();
    let open_by_band = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|b| {
            (
                b.to_string(),
                open.iter().filter(|f| f.risk.band.as_str() == *b).count(),
            )
        })
        .collect();
    let open_by_severity = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                open.iter().filter(|f| f.finding.severity == *s).count(),
            )
        })
        .collect();
    let accepted = findings
        .iter()
        .filter(|f| f.finding.status == FindingStatus::Accepted)
        .count();

    // Weeks end at `now`: the last bucket is the last seven days.
    let now_ms = now.as_millisecond();
    let first_start = now_ms - TREND_WEEKS as i64 * WEEK_MS;
    let mut trend: Vec<WeekPoint> = (0..TREND_WEEKS)
        .map(|i| WeekPoint {
            week: day(
                Timestamp::from_millisecond(first_start + i as i64 * WEEK_MS)
                    .unwrap_or(Timestamp::UNIX_EPOCH),
            ),
            opened: 0,
            fixed: 0,
        })
        .collect();
    let bucket = |t: Timestamp| -> Option<usize> {
        let ms = t.as_millisecond();
        if ms < first_start || ms > now_ms {
            return None;
        }
        Some((((ms - first_start) / WEEK_MS) as usize).min(TREND_WEEKS - 1))
    };
    for f in findings {
        if let Some(i) = bucket(f.finding.first_seen) {
            trend[i].opened += 1;
        }
        if let Some(i) = f.finding.fixed_at.and_then(bucket) {
            trend[i].fixed += 1;
        }
    }

    let mut fix_days: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    for f in findings {
        let Some(fixed) = f.finding.fixed_at else {
            continue;
        };
        let team = f
            .owner
            .as_ref()
            .and_then(|o| o.team.clone())
            .unwrap_or_else(|| "(unowned)".to_string());
        let days =
            (fixed.as_millisecond() - f.finding.first_seen.as_millisecond()) as f64 / DAY_MS as f64;
        let row = fix_days
            .entry(team)
            .or_insert_with(|| vec![Vec::new(); Severity::ALL.len()]);
        if let Some(i) = Severity::ALL.iter().position(|s| *s == f.finding.severity) {
            row[i].push(days.max(0.0));
        }
    }
    let mttr = fix_days
        .into_iter()
        .map(|(team, per)| MttrRow {
            team,
            fixed: per.iter().map(Vec::len).sum(),
            days: per
                .iter()
                .map(|d| {
                    (!d.is_empty())
                        .then(|| (d.iter().sum::<f64>() / d.len() as f64 * 10.0).round() / 10.0)
                })
                .collect(),
        })
        .collect();

    let with_sla = open
        .iter()
        .filter(|f| sla_days(f.finding.severity).is_some())
        .count();
    let past = open.iter().filter(|f| past_sla(f, now)).count();
    let sla_by_severity = Severity::ALL
        .iter()
        .filter_map(|s| {
            let days = sla_days(*s)?;
            let mine: Vec<_> = open.iter().filter(|f| f.finding.severity == *s).collect();
            Some((
                s.as_str().to_string(),
                days,
                mine.len(),
                mine.iter().filter(|f| past_sla(f, now)).count(),
            ))
        })
        .collect();
    let past_sla_percent = if with_sla == 0 {
        0.0
    } else {
        (past as f64 * 1000.0 / with_sla as f64).round() / 10.0
    };

    let mut assets: BTreeSet<String> = findings.iter().map(|f| f.finding.asset.clone()).collect();
    assets.extend(scans.iter().map(|s| s.asset.clone()));
    if let Some(c) = portfolio {
        assets.extend(c.portfolio.assets().iter().map(|a| a.name.clone()));
    }
    let coverage = assets
        .into_iter()
        .map(|asset| {
            let mine: Vec<&ScanRecord> = scans.iter().filter(|s| s.asset == asset).collect();
            let mut covered = vec![false; COVERAGE_CATEGORIES.len()];
            for s in &mine {
                for c in format_categories(&s.format) {
                    if let Some(i) = COVERAGE_CATEGORIES.iter().position(|x| *x == c) {
                        covered[i] = true;
                    }
                }
            }
            let tools: BTreeSet<String> = mine.iter().map(|s| s.tool.clone()).collect();
            CoverageRow {
                team: portfolio
                    .and_then(|c| c.portfolio.asset(&asset))
                    .and_then(|a| a.team.clone()),
                last_scan: mine.iter().map(|s| s.at).max(),
                asset,
                covered,
                tools: tools.into_iter().collect(),
            }
        })
        .collect();

    Overview {
        open_total: open.len(),
        open_by_band,
        open_by_severity,
        accepted,
        trend,
        mttr,
        with_sla,
        past_sla: past,
        past_sla_percent,
        sla_by_severity,
        coverage,
    }
}
