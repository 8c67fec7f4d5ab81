//! The portfolio summary on SQLite (the statement is shared: `crate::summary`).

use super::from_ms;
use crate::StoreError;
use crate::stored::{display_status, severity_from_rank};
use crate::summary::{
    ASSET_NAMES_SQL, FIXED_COLUMNS, FindingSummary, SCAN_GROUPS_SQL, ScanGroup, SummaryGroup,
    SummaryQuery, summary_sql,
};
use rusqlite::Connection;

/// The summary, read in the caller's read transaction (one moment for groups, scans and
/// assets).
pub(super) fn finding_summary(
    conn: &Connection,
    q: &SummaryQuery,
) -> Result<FindingSummary, StoreError> {
    let err = || StoreError::db("summarizing the findings");
    let n = q.buckets.len();
    let mut stmt = conn.prepare(&summary_sql(q)).map_err(err())?;
    let groups = stmt
        .query_map([], |r| {
            let status: String = r.get(1)?;
            let triage: Option<String> = r.get(2)?;
            let count = |i: usize| {
                r.get::<_, Option<i64>>(i)
                    .map(|v| v.unwrap_or(0).max(0) as u64)
            };
            Ok(SummaryGroup {
                asset: r.get(0)?,
                status: display_status(&status, triage.as_deref()),
                severity: severity_from_rank(r.get(3)?),
                band: r.get(4)?,
                team: r.get(5)?,
                count: count(6)?,
                past_cutoff: count(7)?,
                fixed: count(8)?,
                fixed_ms_sum: r.get::<_, Option<f64>>(9)?.unwrap_or(0.0),
                opened_in: (0..n)
                    .map(|i| count(FIXED_COLUMNS + i))
                    .collect::<Result<_, _>>()?,
                fixed_in: (0..n)
                    .map(|i| count(FIXED_COLUMNS + n + i))
                    .collect::<Result<_, _>>()?,
            })
        })
        .map_err(err())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err())?;
    let mut stmt = conn.prepare(SCAN_GROUPS_SQL).map_err(err())?;
    let scans = stmt
        .query_map([], |r| {
            Ok(ScanGroup {
                asset: r.get(0)?,
                tool: r.get(1)?,
                format: r.get(2)?,
                scans: r.get::<_, i64>(3)?.max(0) as u64,
                last_at: from_ms(r.get(4)?),
            })
        })
        .map_err(err())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err())?;
    let mut stmt = conn.prepare(ASSET_NAMES_SQL).map_err(err())?;
    let assets = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(err())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err())?;
    Ok(FindingSummary {
        groups,
        scans,
        assets,
    })
}

/// `PRAGMA data_version` of a connection that never writes changes whenever any other
/// connection (this process's writer, another process) commits.
pub(super) fn data_version(watch: &Connection) -> Result<i64, StoreError> {
    watch
        .query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(StoreError::db("reading the data version"))
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use crate::summary::{SummaryQuery, summary_sql};
    use posture_model::{Severity, Timestamp};

    /// The summary must read the `findings_summary` index alone (at a million findings, a
    /// lookup of each row in the table costs seconds instead of a fraction of one).
    #[test]
    fn the_summary_reads_the_covering_index_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("plan.db").display().to_string();
        let store = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let conn = store.lock().unwrap_or_else(|e| panic!("{e}"));
        let t = Timestamp::UNIX_EPOCH;
        let sql = summary_sql(&SummaryQuery {
            sla_cutoffs: vec![(Severity::Critical, t)],
            buckets: vec![(t, t)],
        });
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap_or_else(|e| panic!("{e}"))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            plan.iter()
                .any(|step| step.contains("COVERING INDEX findings_summary")),
            "{plan:#?}"
        );
    }
}
