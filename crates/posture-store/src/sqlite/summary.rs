//! SQLite's data version (the portfolio summary is written once: `crate::sql::summary`), and
//! the check that the summary reads its covering index.

use crate::StoreError;
use rusqlite::Connection;

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
            band_cutoffs: vec![("P1".to_string(), t)],
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
