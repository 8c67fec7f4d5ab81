//! The portfolio summary: grouped counts of every finding, computed by the database in one
//! pass, for the dashboard's overview.
//!
//! Why a store method: the overview (open by band and severity, past SLA, opened vs fixed per
//! week, time to fix by team) read every finding and assessed it in memory, 40 seconds at a
//! million findings. The store has what it needs in columns (status, triage, severity, the
//! stored risk band and owning team, first seen, fixed at), so one `GROUP BY` over a covering
//! index answers it, and the groups are few (assets x statuses x severities x bands x teams)
//! whatever the portfolio's size. The caller applies its scope (which assets and teams a
//! person may read) to the groups.
//!
//! The SQL is written once here, for both back ends: the only inputs are integers computed
//! from timestamps (inlined, never text from a request) and the statement uses only syntax
//! SQLite and PostgreSQL share.
//!
//! [`crate::Store::data_version`] tells when a cached summary is stale.

use posture_model::{FindingStatus, Severity, Timestamp};

/// What to count, besides the groups themselves.
#[derive(Debug, Clone, Default)]
pub struct SummaryQuery {
    /// Per severity, the instant before which a finding first seen is past its SLA (now minus
    /// the SLA's days). Severities without an entry have no SLA.
    pub sla_cutoffs: Vec<(Severity, Timestamp)>,
    /// Per risk band (`P1`..`P4`), the same instant: an assessed finding's band sets its SLA
    /// (the one priority), its severity only until it is assessed. Informational findings
    /// have no SLA either way.
    pub band_cutoffs: Vec<(String, Timestamp)>,
    /// Half-open time ranges `[start, end)`: per range, how many findings were first seen
    /// and how many fixed in it (the weekly trend).
    pub buckets: Vec<(Timestamp, Timestamp)>,
}

/// Findings sharing asset, status, severity, risk band and owning team.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryGroup {
    pub asset: String,
    pub status: FindingStatus,
    pub severity: Severity,
    /// The stored risk band (`None`: not assessed yet).
    pub band: Option<String>,
    /// The owning team, as the last risk assessment stored it.
    pub team: Option<String>,
    pub count: u64,
    /// Of these, first seen before their SLA cutoff (their band's, else their severity's).
    pub past_cutoff: u64,
    /// Of these, with a fix time (fixed now, or fixed once and reopened).
    pub fixed: u64,
    /// Sum over those of (fixed at - first seen), in milliseconds (0 where negative).
    pub fixed_ms_sum: f64,
    /// Per [`SummaryQuery::buckets`] range: first seen in it.
    pub opened_in: Vec<u64>,
    /// Per [`SummaryQuery::buckets`] range: fixed in it.
    pub fixed_in: Vec<u64>,
}

/// Scans of one asset by one tool in one format.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanGroup {
    pub asset: String,
    pub tool: String,
    pub format: String,
    pub scans: u64,
    pub last_at: Timestamp,
}

/// The answer of [`crate::Store::finding_summary`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingSummary {
    pub groups: Vec<SummaryGroup>,
    pub scans: Vec<ScanGroup>,
    /// Every asset the store knows (also those without findings or scans).
    pub assets: Vec<String>,
}

/// The grouped-count statement for `q`. Columns: asset name, status, triage, severity rank,
/// band, team, count, past cutoff, fixed, fixed ms sum, then one opened column per bucket,
/// then one fixed column per bucket.
pub(crate) fn summary_sql(q: &SummaryQuery) -> String {
    let ms = |t: &Timestamp| t.as_millisecond();
    let cutoffs: Vec<String> = q
        .sla_cutoffs
        .iter()
        .map(|(s, t)| format!("WHEN {} THEN {}", *s as i64, ms(t)))
        .collect();
    // bands are Posture's own words (P1..P4), never input: safe as literals
    let bands: Vec<String> = q
        .band_cutoffs
        .iter()
        .filter(|(b, _)| {
            b.len() == 2 && b.starts_with('P') && b[1..].bytes().all(|c| c.is_ascii_digit())
        })
        .map(|(b, t)| format!("WHEN '{b}' THEN {}", ms(t)))
        .collect();
    let past = if cutoffs.is_empty() && bands.is_empty() {
        "CAST(0 AS BIGINT)".to_string()
    } else {
        let by_severity = if cutoffs.is_empty() {
            "NULL".to_string()
        } else {
            format!("CASE f.severity {} ELSE NULL END", cutoffs.join(" "))
        };
        let cutoff = if bands.is_empty() {
            by_severity
        } else {
            format!(
                "COALESCE(CASE f.risk_band {} ELSE NULL END, {by_severity})",
                bands.join(" ")
            )
        };
        format!(
            "SUM(CASE WHEN f.severity <> {info} AND f.first_seen < ({cutoff}) THEN 1 ELSE 0 END)",
            info = Severity::Info as i64
        )
    };
    let mut columns = vec![
        "f.asset_id".to_string(),
        "f.status".to_string(),
        "f.triage".to_string(),
        "f.severity".to_string(),
        "f.risk_band".to_string(),
        "f.team".to_string(),
        "COUNT(*) AS n".to_string(),
        format!("{past} AS past"),
        "SUM(CASE WHEN f.fixed_at IS NOT NULL THEN 1 ELSE 0 END) AS fixed".to_string(),
        "CAST(SUM(CASE WHEN f.fixed_at > f.first_seen THEN f.fixed_at - f.first_seen ELSE 0 END) \
         AS DOUBLE PRECISION) AS fixed_ms"
            .to_string(),
    ];
    for (i, (start, end)) in q.buckets.iter().enumerate() {
        columns.push(format!(
            "SUM(CASE WHEN f.first_seen >= {} AND f.first_seen < {} THEN 1 ELSE 0 END) AS o{i}",
            ms(start),
            ms(end)
        ));
    }
    for (i, (start, end)) in q.buckets.iter().enumerate() {
        columns.push(format!(
            "SUM(CASE WHEN f.fixed_at >= {} AND f.fixed_at < {} THEN 1 ELSE 0 END) AS x{i}",
            ms(start),
            ms(end)
        ));
    }
    let mut outer = vec![
        "a.name".to_string(),
        "g.status".to_string(),
        "g.triage".to_string(),
        "g.severity".to_string(),
        "g.risk_band".to_string(),
        "g.team".to_string(),
        "g.n".to_string(),
        "g.past".to_string(),
        "g.fixed".to_string(),
        "g.fixed_ms".to_string(),
    ];
    outer.extend((0..q.buckets.len()).map(|i| format!("g.o{i}")));
    outer.extend((0..q.buckets.len()).map(|i| format!("g.x{i}")));
    // Grouped in the order of the `findings_summary` index, so the database reads the index
    // alone, in order, without sorting. Default-branch findings only: a branch finding (a
    // merge request's) is not the portfolio's.
    format!(
        "SELECT {} FROM (SELECT {} FROM findings f
           WHERE f.merged_into IS NULL AND f.on_default = TRUE
           GROUP BY f.asset_id, f.status, f.triage, f.severity, f.risk_band, f.team) g
         JOIN assets a ON a.id = g.asset_id
         ORDER BY a.name, g.status, g.triage, g.severity, g.risk_band, g.team",
        outer.join(", "),
        columns.join(", ")
    )
}

/// Scans grouped by asset, tool and format.
pub(crate) const SCAN_GROUPS_SQL: &str = "SELECT a.name, s.tool, sc.format, COUNT(*), MAX(sc.at)
   FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
  GROUP BY a.name, s.tool, sc.format ORDER BY a.name, s.tool, sc.format";

pub(crate) const ASSET_NAMES_SQL: &str = "SELECT name FROM assets ORDER BY name";

/// The number of columns before the bucket columns in [`summary_sql`].
pub(crate) const FIXED_COLUMNS: usize = 10;
