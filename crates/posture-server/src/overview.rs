//! The portfolio at a glance: open findings by risk band, opened vs fixed per week, MTTR by
//! team and severity, the share past SLA, and scanner coverage per service.
//!
//! Computed from the store's grouped counts ([`posture_store::FindingSummary`], one pass of
//! the database over an index, a few thousand groups whatever the portfolio's size) filtered
//! to what the viewer may read, never from the findings one by one: at a million findings
//! that took 40 seconds. [`SummaryCache`] keeps the last summary until the store's data
//! version changes (any commit, by this server or another process) or the minute turns (the
//! SLA clock and the weekly buckets move with time), so a dashboard read costs a version
//! check while nothing changes.
//!
//! The programme metrics replayed from the event log (`posture metrics`, `GET
//! /api/v1/metrics`) answer "as of any date" and count remediation cycles; this overview
//! answers "now", per finding, from its current columns.

use posture_app::risk::{AssessedFinding, RiskConfig};
use posture_model::{Category, FindingStatus, Severity, Timestamp};
use posture_store::{FindingSummary, Store, StoreError, SummaryGroup, SummaryQuery};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// How many weeks the trend shows.
pub const TREND_WEEKS: usize = 12;

/// Days to fix by default: by risk band once assessed (P1 7, P2 30, P3 90, P4 180), else by
/// severity; info none ([`posture_model::default_sla_days`], the one table).
pub fn sla_days(band: Option<&str>, severity: Severity) -> Option<i64> {
    posture_model::default_sla_days(band, severity).map(i64::from)
}

/// The risk bands, in order.
const BANDS: [&str; 4] = ["P1", "P2", "P3", "P4"];

/// The categories shown in the coverage table, in order.
pub const COVERAGE_CATEGORIES: [Category; 6] = [
    Category::Sast,
    Category::Sca,
    Category::Container,
    Category::Iac,
    Category::Secret,
    Category::Dast,
];

/// What the dashboard's overview reads, cached together: the store's grouped counts and the
/// scans of the coverage window (coverage is computed by `posture_app::coverage`, as the
/// metrics compute it).
#[derive(Debug)]
pub struct Summary {
    pub findings: FindingSummary,
    pub coverage: Vec<posture_store::ScanCoverageRow>,
}

impl std::ops::Deref for Summary {
    type Target = FindingSummary;
    fn deref(&self) -> &FindingSummary {
        &self.findings
    }
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
    /// Per risk band (P1 first; then per severity, findings not assessed yet): (band or
    /// severity, SLA days, open, past SLA).
    pub sla_by_band: Vec<(String, i64, usize, usize)>,
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
    /// One per [`COVERAGE_CATEGORIES`]: whether a tool that ran on the asset in the coverage
    /// window reported that category (`posture_app::coverage`).
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
    sla_days(Some(f.risk.band.as_str()), f.finding.severity).is_some_and(|days| {
        now.as_millisecond() - f.finding.first_seen.as_millisecond() > days * DAY_MS
    })
}

/// The instant the summary is computed as of: `now` to the minute (a cached summary serves
/// the whole minute).
pub fn as_of_minute(now: Timestamp) -> Timestamp {
    let ms = now.as_millisecond();
    Timestamp::from_millisecond(ms - ms.rem_euclid(60_000)).unwrap_or(now)
}

/// The weekly ranges of the trend, oldest first: weeks end at `now`; the last one also holds
/// the minute after `now` (see [`as_of_minute`]).
fn trend_ranges(now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let now_ms = now.as_millisecond();
    let first_start = now_ms - TREND_WEEKS as i64 * WEEK_MS;
    let at = |ms: i64| Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    (0..TREND_WEEKS as i64)
        .map(|i| {
            let end = if i + 1 == TREND_WEEKS as i64 {
                now_ms + 60_000
            } else {
                first_start + (i + 1) * WEEK_MS
            };
            (at(first_start + i * WEEK_MS), at(end))
        })
        .collect()
}

/// What to ask the store for an overview as of `now`.
pub fn summary_query(now: Timestamp) -> SummaryQuery {
    let now_ms = now.as_millisecond();
    SummaryQuery {
        sla_cutoffs: Severity::ALL
            .iter()
            .filter_map(|s| {
                let days = sla_days(None, *s)?;
                Some((
                    *s,
                    Timestamp::from_millisecond(now_ms - days * DAY_MS)
                        .unwrap_or(Timestamp::UNIX_EPOCH),
                ))
            })
            .collect(),
        band_cutoffs: BANDS
            .iter()
            .filter_map(|b| {
                let days = sla_days(Some(b), Severity::Critical)?;
                Some((
                    b.to_string(),
                    Timestamp::from_millisecond(now_ms - days * DAY_MS)
                        .unwrap_or(Timestamp::UNIX_EPOCH),
                ))
            })
            .collect(),
        buckets: trend_ranges(now),
    }
}

/// The last summary read from the store, good while the data version and the minute stay.
/// One reader computes at a time; the others wait for it and take its answer when it is of
/// the version they need (at a million findings a summary costs the better part of a
/// second, and a dashboard full of people should not multiply that).
pub struct SummaryCache {
    last: Mutex<Option<(String, Timestamp, Arc<Summary>)>>,
    /// Held while computing; holds when the last computation ended.
    computing: Mutex<Option<std::time::Instant>>,
    warm_interval: std::time::Duration,
}

impl Default for SummaryCache {
    fn default() -> Self {
        SummaryCache::with_warm_interval(WARM_INTERVAL)
    }
}

/// [`SummaryCache::warm`] computes at most this often: under a stream of uploads the
/// summary is not recomputed after every one (a reader pays for it only when it comes).
const WARM_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl SummaryCache {
    /// A cache whose [`SummaryCache::warm`] computes at most once per `interval`.
    pub fn with_warm_interval(interval: std::time::Duration) -> Self {
        SummaryCache {
            last: Mutex::new(None),
            computing: Mutex::new(None),
            warm_interval: interval,
        }
    }

    fn cached(&self, version: &str, as_of: Timestamp) -> Option<Arc<Summary>> {
        let last = self.last.lock().ok()?;
        let (v, at, summary) = last.as_ref()?;
        (v == version && *at == as_of).then(|| summary.clone())
    }

    /// The summary as of `as_of` (a minute, see [`as_of_minute`]): the cached one when no
    /// commit happened since it was read, else a fresh one. The version is read before the
    /// summary, so a commit between the two makes the next call read again (never a stale
    /// hit).
    pub fn get(&self, store: &dyn Store, as_of: Timestamp) -> Result<Arc<Summary>, StoreError> {
        let version = store.data_version()?;
        if let Some(hit) = self.cached(&version, as_of) {
            return Ok(hit);
        }
        let mut turn = self
            .computing
            .lock()
            .map_err(|_| StoreError::Corrupt("a summary computation panicked".into()))?;
        // Whoever computed while this one waited may have read the same version.
        let version = store.data_version()?;
        if let Some(hit) = self.cached(&version, as_of) {
            return Ok(hit);
        }
        let summary = self.compute(store, version, as_of);
        *turn = Some(std::time::Instant::now());
        summary
    }

    /// Brings the cache up to date unless someone is already computing or the last
    /// computation ended less than [`WARM_INTERVAL`] ago (after a write, so the next reader
    /// usually finds it warm; a busy cache is left alone rather than queued up).
    pub fn warm(&self, store: &dyn Store, as_of: Timestamp) -> Result<(), StoreError> {
        let Ok(mut turn) = self.computing.try_lock() else {
            return Ok(());
        };
        if turn.is_some_and(|ended| ended.elapsed() < self.warm_interval) {
            return Ok(());
        }
        let version = store.data_version()?;
        if self.cached(&version, as_of).is_none() {
            self.compute(store, version, as_of)?;
            *turn = Some(std::time::Instant::now());
        }
        Ok(())
    }

    fn compute(
        &self,
        store: &dyn Store,
        version: String,
        as_of: Timestamp,
    ) -> Result<Arc<Summary>, StoreError> {
        let summary = Arc::new(Summary {
            findings: store.finding_summary(&summary_query(as_of))?,
            coverage: store.scan_coverage(
                None,
                posture_app::coverage::window_start(as_of, posture_app::coverage::DEFAULT_DAYS),
                as_of,
            )?,
        });
        if let Ok(mut last) = self.last.lock() {
            *last = Some((version, as_of, summary.clone()));
        }
        Ok(summary)
    }
}

fn mean_days(ms_sum: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| (ms_sum / n as f64 / DAY_MS as f64 * 10.0).round() / 10.0)
}

/// The overview of the summary's groups and scans the viewer may read (`visible(asset,
/// team)`, for groups; `asset_visible(asset)` for scans and assets), as of `now`.
pub fn compute(
    summary: &Summary,
    visible: impl Fn(&SummaryGroup) -> bool,
    asset_visible: impl Fn(&str) -> bool,
    portfolio: Option<&RiskConfig>,
    now: Timestamp,
) -> Overview {
    let groups: Vec<&SummaryGroup> = summary.groups.iter().filter(|g| visible(g)).collect();
    let open: Vec<&&SummaryGroup> = groups.iter().filter(|g| is_actionable(g.status)).collect();
    let sum = |pred: &dyn Fn(&SummaryGroup) -> bool| -> usize {
        open.iter()
            .filter(|g| pred(g))
            .map(|g| g.count as usize)
            .sum()
    };
    let open_by_band = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|b| (b.to_string(), sum(&|g| g.band.as_deref() == Some(*b))))
        .collect();
    let open_by_severity = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), sum(&|g| g.severity == *s)))
        .collect();
    let accepted = groups
        .iter()
        .filter(|g| g.status == FindingStatus::Accepted)
        .map(|g| g.count as usize)
        .sum();

    let mut trend: Vec<WeekPoint> = trend_ranges(now)
        .iter()
        .map(|(start, _)| WeekPoint {
            week: day(*start),
            opened: 0,
            fixed: 0,
        })
        .collect();
    for g in &groups {
        for (i, point) in trend.iter_mut().enumerate() {
            point.opened += g.opened_in.get(i).copied().unwrap_or(0) as usize;
            point.fixed += g.fixed_in.get(i).copied().unwrap_or(0) as usize;
        }
    }

    // Per team, per severity: (fixed, sum of days to fix in ms).
    let mut fixes: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    for g in groups.iter().filter(|g| g.fixed > 0) {
        let team = g.team.clone().unwrap_or_else(|| "(unowned)".to_string());
        let row = fixes
            .entry(team)
            .or_insert_with(|| vec![(0, 0.0); Severity::ALL.len()]);
        if let Some(i) = Severity::ALL.iter().position(|s| *s == g.severity) {
            row[i].0 += g.fixed;
            row[i].1 += g.fixed_ms_sum;
        }
    }
    let mttr = fixes
        .into_iter()
        .map(|(team, per)| MttrRow {
            team,
            fixed: per.iter().map(|(n, _)| *n as usize).sum(),
            days: per.iter().map(|(n, ms)| mean_days(*ms, *n)).collect(),
        })
        .collect();

    let with_sla = sum(&|g| sla_days(g.band.as_deref(), g.severity).is_some());
    let past: usize = open.iter().map(|g| g.past_cutoff as usize).sum();
    // per band (the clock follows the priority), then by severity what is not assessed yet
    let mut sla_by_band: Vec<(String, i64, usize, usize)> = Vec::new();
    let classes = BANDS.iter().map(|b| (b.to_string(), Some(*b), None)).chain(
        Severity::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), None, Some(*s))),
    );
    for (name, band, severity) in classes {
        let mine: Vec<_> = open
            .iter()
            .filter(|g| g.severity != Severity::Info)
            .filter(|g| match (band, severity) {
                (Some(b), _) => g.band.as_deref() == Some(b),
                (None, Some(s)) => g.band.is_none() && g.severity == s,
                _ => false,
            })
            .collect();
        let Some(days) = sla_days(band, severity.unwrap_or(Severity::Critical)) else {
            continue;
        };
        let n: usize = mine.iter().map(|g| g.count as usize).sum();
        if band.is_none() && n == 0 {
            continue;
        }
        sla_by_band.push((
            name,
            days,
            n,
            mine.iter().map(|g| g.past_cutoff as usize).sum(),
        ));
    }
    let past_sla_percent = if with_sla == 0 {
        0.0
    } else {
        (past as f64 * 1000.0 / with_sla as f64).round() / 10.0
    };

    let mut assets: BTreeSet<String> = groups.iter().map(|g| g.asset.clone()).collect();
    assets.extend(summary.assets.iter().filter(|a| asset_visible(a)).cloned());
    if let Some(c) = portfolio {
        assets.extend(
            c.portfolio
                .assets()
                .iter()
                .filter(|a| asset_visible(&a.name))
                .map(|a| a.name.clone()),
        );
    }
    // Coverage as the metrics compute it: the categories of what the tools that ran in the
    // window reported (a clean scan counts), never every category a parser could emit.
    let covered = posture_app::coverage::by_service(&summary.coverage, now);
    let coverage = assets
        .into_iter()
        .map(|asset| {
            let mine = covered.get(&asset).cloned().unwrap_or_default();
            CoverageRow {
                team: portfolio
                    .and_then(|c| c.portfolio.asset(&asset))
                    .and_then(|a| a.team.clone()),
                last_scan: summary
                    .scans
                    .iter()
                    .filter(|s| s.asset == asset)
                    .map(|s| s.last_at)
                    .max(),
                covered: COVERAGE_CATEGORIES
                    .iter()
                    .map(|c| mine.covers(*c))
                    .collect(),
                tools: mine.tools.into_iter().collect(),
                asset,
            }
        })
        .collect();

    Overview {
        open_total: open.iter().map(|g| g.count as usize).sum(),
        open_by_band,
        open_by_severity,
        accepted,
        trend,
        mttr,
        with_sla,
        past_sla: past,
        past_sla_percent,
        sla_by_band,
        coverage,
    }
}

/// How many findings of the summary match these filters (`None` for a filter the summary
/// cannot answer: tool, category, KEV, reachability, SSVC).
pub fn count_matching(
    summary: &FindingSummary,
    filter: &crate::listing::FindingFilter,
    visible: impl Fn(&SummaryGroup) -> bool,
) -> Option<usize> {
    if filter.tool.is_some()
        || filter.category.is_some()
        || filter.kev
        || filter.reachable
        || !filter.ssvc.is_empty()
        || !filter.search.is_empty()
        || !filter.sla.is_empty()
    {
        return None;
    }
    Some(
        summary
            .groups
            .iter()
            .filter(|g| {
                filter.asset.as_ref().is_none_or(|a| *a == g.asset)
                    && filter.status.as_ref().is_none_or(|s| s.contains(&g.status))
                    && (filter.severity.is_empty() || filter.severity.contains(&g.severity))
                    && (filter.bands.is_empty()
                        || g.band.as_ref().is_some_and(|b| filter.bands.contains(b)))
                    && filter
                        .team
                        .as_ref()
                        .is_none_or(|t| g.team.as_deref() == Some(t.as_str()))
                    && visible(g)
            })
            .map(|g| g.count as usize)
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn bandit(n: usize) -> Vec<u8> {
        let results: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                serde_json::json!({
                    "code": format!("{i} x = run_{i}(data)\n"),
                    "filename": format!("app/mod_{i}.py"),
                    "issue_confidence": "HIGH",
                    "issue_severity": "HIGH",
                    "issue_text": format!("issue {i}"),
                    "line_number": 10 + i,
                    "line_range": [10 + i],
                    "test_id": "B602",
                    "test_name": "check",
                })
            })
            .collect();
        serde_json::json!({ "errors": [], "results": results })
            .to_string()
            .into_bytes()
    }

    fn ingest(store: &dyn Store, n: usize, at: Timestamp) {
        posture_app::ingest(
            store,
            &[posture_app::ReportSource {
                name: format!("bandit-{n}.json"),
                bytes: bandit(n),
                format: None,
            }],
            posture_app::IngestRequest {
                asset: "shop".into(),
                branch: "main".into(),
                target: None,
                commit: None,
                format: None,
                kind: posture_store::ScanKind::Findings,
                at,
                force: false,
                thresholds: Default::default(),
                branches: Default::default(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn the_cache_serves_until_a_commit_or_the_next_minute() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("p.db").display().to_string();
        let store = posture_store::SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let now = ts("2026-06-01T12:00:00Z");
        ingest(&store, 3, now);
        let cache = SummaryCache::default();
        let open = |s: &FindingSummary| -> u64 {
            s.groups
                .iter()
                .filter(|g| is_actionable(g.status))
                .map(|g| g.count)
                .sum()
        };
        let first = cache.get(&store, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(open(&first), 3);
        let again = cache.get(&store, now).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            Arc::ptr_eq(&first, &again),
            "nothing changed: the cached one"
        );
        // Another process (another handle on the file) commits: read again.
        let other = posture_store::SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        ingest(&other, 5, ts("2026-06-01T12:00:30Z"));
        let after = cache.get(&store, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(open(&after), 5);
        // The next minute: read again (SLA cutoffs and weeks moved).
        let later = cache
            .get(&store, ts("2026-06-01T12:01:00Z"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!Arc::ptr_eq(&after, &later));
        // Warming right after a computation is skipped (the default interval): the next
        // reader computes.
        let minute = ts("2026-06-01T12:01:00Z");
        ingest(&store, 4, ts("2026-06-01T12:01:10Z"));
        cache.warm(&store, minute).unwrap_or_else(|e| panic!("{e}"));
        let read = cache.get(&store, minute).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(open(&read), 4);
        // Without the interval, warming after a write leaves a hit for the next reader.
        let eager = SummaryCache::with_warm_interval(std::time::Duration::ZERO);
        eager.warm(&store, minute).unwrap_or_else(|e| panic!("{e}"));
        ingest(&store, 6, ts("2026-06-01T12:01:20Z"));
        eager.warm(&store, minute).unwrap_or_else(|e| panic!("{e}"));
        let warmed = eager.cached(&store.data_version().unwrap_or_default(), minute);
        assert_eq!(warmed.as_deref().map(|s| open(s)), Some(6));
    }

    #[test]
    fn trend_ranges_tile_twelve_weeks_ending_after_now() {
        let now = ts("2026-06-01T12:00:00Z");
        let r = trend_ranges(now);
        assert_eq!(r.len(), TREND_WEEKS);
        for w in r.windows(2) {
            assert_eq!(w[0].1, w[1].0, "ranges must touch");
        }
        assert_eq!(r[0].0.as_millisecond(), now.as_millisecond() - 12 * WEEK_MS);
        assert_eq!(r[11].1.as_millisecond(), now.as_millisecond() + 60_000);
        assert_eq!(
            as_of_minute(ts("2026-06-01T12:00:59.999Z")),
            ts("2026-06-01T12:00:00Z")
        );
    }
}
