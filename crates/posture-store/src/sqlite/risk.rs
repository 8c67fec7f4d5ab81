//! Stored risk: the application assesses findings (`posture-app`'s risk module, which knows
//! the feeds, the portfolio and the weights) and stores each score, band and owning team here
//! so lists sort and page by risk from an index. The store only remembers and invalidates:
//! an ingest, a feed import, a runtime inventory or a merge marks what it touched as "to
//! assess" (a negative score); the application re-assesses those before it reads by risk.
//! Every mark also moves the finding's `risk_version` (a trigger, migration 9), and a score
//! is stored only over the version its assessment read, so a refresh that read a finding
//! before an ingest marked it again never hides that mark under a stale score.

use crate::{StoreError, StoredRisk};
use rusqlite::{Connection, params};

fn err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + Copy {
    move |e| StoreError::db(context)(e)
}

/// Stores assessed scores (one transaction). Each is stored only while its finding still has
/// the `risk_version` the assessment read: a finding marked "to assess" again since (an
/// ingest racing the refresh) keeps its mark and is assessed again by the next refresh.
/// Returns how many were stored.
pub(super) fn store_risk(conn: &mut Connection, rows: &[StoredRisk]) -> Result<usize, StoreError> {
    let e = err("storing assessed risk");
    let tx = conn.transaction().map_err(e)?;
    let mut n = 0;
    {
        let mut st = tx
            .prepare_cached(
                "UPDATE findings SET risk_score = ?1, risk_band = ?2, team = ?3, risk_last = ?6
                  WHERE id = ?4 AND risk_version = ?5",
            )
            .map_err(e)?;
        for r in rows {
            if !r.score.is_finite() || r.score < 0.0 {
                return Err(StoreError::Invalid(format!(
                    "risk score {} of finding {} is not a score",
                    r.score, r.finding_id
                )));
            }
            let stored = st
                .execute(params![
                    r.score,
                    r.band,
                    r.team,
                    r.finding_id,
                    r.version,
                    r.last
                ])
                .map_err(e)?;
            if stored > 0
                && let Some(change) = &r.change
            {
                crate::sql::risk::record_change(&mut &*tx, r.finding_id, change)?;
            }
            n += stored;
        }
    }
    tx.commit().map_err(e)?;
    Ok(n)
}
