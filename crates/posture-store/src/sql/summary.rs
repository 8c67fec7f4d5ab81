//! The portfolio summary (the statements and why: `crate::summary`), read in the caller's
//! read transaction, so groups, scans and assets are of one moment.

use super::{Db, Sql, args};
use crate::StoreError;
use crate::stored::{display_status, severity_from_rank};
use crate::summary::{
    ASSET_NAMES_SQL, FIXED_COLUMNS, FindingSummary, SCAN_GROUPS_SQL, ScanGroup, SummaryGroup,
    SummaryQuery, summary_sql,
};

static SCAN_GROUPS: Sql = Sql::new("summarizing the findings", SCAN_GROUPS_SQL);
static ASSET_NAMES: Sql = Sql::new("summarizing the findings", ASSET_NAMES_SQL);

pub(crate) fn finding_summary(
    db: &mut dyn Db,
    q: &SummaryQuery,
) -> Result<FindingSummary, StoreError> {
    let n = q.buckets.len();
    let groups_sql = Sql::dynamic("summarizing the findings", summary_sql(q));
    let count = |r: &super::Row<'_>, i: usize| -> Result<u64, StoreError> {
        Ok(r.get::<Option<i64>>(i)?.unwrap_or(0).max(0).unsigned_abs())
    };
    let groups = db.rows(&groups_sql, args![], |r| {
        let status: String = r.get(1)?;
        let triage: Option<String> = r.get(2)?;
        Ok(SummaryGroup {
            asset: r.get(0)?,
            status: display_status(&status, triage.as_deref()),
            severity: severity_from_rank(r.get(3)?),
            band: r.get(4)?,
            team: r.get(5)?,
            count: count(r, 6)?,
            past_cutoff: count(r, 7)?,
            fixed: count(r, 8)?,
            fixed_ms_sum: r.get::<Option<f64>>(9)?.unwrap_or(0.0),
            opened_in: (0..n)
                .map(|i| count(r, FIXED_COLUMNS + i))
                .collect::<Result<_, _>>()?,
            fixed_in: (0..n)
                .map(|i| count(r, FIXED_COLUMNS + n + i))
                .collect::<Result<_, _>>()?,
        })
    })?;
    let scans = db.rows(&SCAN_GROUPS, args![], |r| {
        Ok(ScanGroup {
            asset: r.get(0)?,
            tool: r.get(1)?,
            format: r.get(2)?,
            scans: count(r, 3)?,
            last_at: r.time(4)?,
        })
    })?;
    let assets = db.rows(&ASSET_NAMES, args![], |r| r.get::<String>(0))?;
    Ok(FindingSummary {
        groups,
        scans,
        assets,
    })
}
