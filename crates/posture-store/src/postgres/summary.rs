//! The portfolio summary's snapshot on PostgreSQL (the statements are written once:
//! `crate::sql::summary`), and the data version.

use crate::StoreError;
use crate::summary::{FindingSummary, SummaryQuery};
use postgres::Client;

/// The summary (written once: `crate::sql::summary`) in one read-only snapshot for groups,
/// scans and assets.
pub(super) fn finding_summary(
    client: &mut Client,
    q: &SummaryQuery,
) -> Result<FindingSummary, StoreError> {
    let err = StoreError::pg("summarizing the findings");
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(err)?;
    let summary = crate::sql::summary::finding_summary(&mut tx, q)?;
    tx.commit().map_err(err)?;
    Ok(summary)
}

/// The current snapshot (`xmin:xmax:in-progress ids`): two equal snapshots see the same
/// committed transactions, so equal text means no commit happened in between (transaction
/// ids are cluster-wide, so another database's commits change it too: a cache miss, never a
/// stale hit).
pub(super) fn data_version(client: &mut Client) -> Result<String, StoreError> {
    let row = client
        .query_one("SELECT pg_current_snapshot()::text", &[])
        .map_err(StoreError::pg("reading the data version"))?;
    row.try_get(0)
        .map_err(StoreError::pg("reading the data version"))
}
