//! The portfolio summary on PostgreSQL (the statement is shared: `crate::summary`).

use crate::StoreError;
use crate::stored::{display_status, from_ms, severity_from_rank};
use crate::summary::{
    ASSET_NAMES_SQL, FIXED_COLUMNS, FindingSummary, SCAN_GROUPS_SQL, ScanGroup, SummaryGroup,
    SummaryQuery, summary_sql,
};
use postgres::Client;

pub(super) fn finding_summary(
    client: &mut Client,
    q: &SummaryQuery,
) -> Result<FindingSummary, StoreError> {
    let err = || StoreError::pg("summarizing the findings");
    // One snapshot for groups, scans and assets.
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(err())?;
    let n = q.buckets.len();
    let count = |row: &postgres::Row, i: usize| -> Result<u64, StoreError> {
        Ok(row
            .try_get::<_, Option<i64>>(i)
            .map_err(err())?
            .unwrap_or(0)
            .max(0) as u64)
    };
    let mut groups = Vec::new();
    for row in tx.query(&summary_sql(q), &[]).map_err(err())? {
        let status: String = row.try_get(1).map_err(err())?;
        let triage: Option<String> = row.try_get(2).map_err(err())?;
        groups.push(SummaryGroup {
            asset: row.try_get(0).map_err(err())?,
            status: display_status(&status, triage.as_deref()),
            severity: severity_from_rank(row.try_get(3).map_err(err())?),
            band: row.try_get(4).map_err(err())?,
            team: row.try_get(5).map_err(err())?,
            count: count(&row, 6)?,
            past_cutoff: count(&row, 7)?,
            fixed: count(&row, 8)?,
            fixed_ms_sum: row
                .try_get::<_, Option<f64>>(9)
                .map_err(err())?
                .unwrap_or(0.0),
            opened_in: (0..n)
                .map(|i| count(&row, FIXED_COLUMNS + i))
                .collect::<Result<_, _>>()?,
            fixed_in: (0..n)
                .map(|i| count(&row, FIXED_COLUMNS + n + i))
                .collect::<Result<_, _>>()?,
        });
    }
    let mut scans = Vec::new();
    for row in tx.query(SCAN_GROUPS_SQL, &[]).map_err(err())? {
        scans.push(ScanGroup {
            asset: row.try_get(0).map_err(err())?,
            tool: row.try_get(1).map_err(err())?,
            format: row.try_get(2).map_err(err())?,
            scans: count(&row, 3)?,
            last_at: from_ms(row.try_get(4).map_err(err())?),
        });
    }
    let assets = tx
        .query(ASSET_NAMES_SQL, &[])
        .map_err(err())?
        .iter()
        .map(|r| r.try_get::<_, String>(0).map_err(err()))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().map_err(err())?;
    Ok(FindingSummary {
        groups,
        scans,
        assets,
    })
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
