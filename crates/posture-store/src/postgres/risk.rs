//! Stored risk on PostgreSQL (see `src/sqlite/risk.rs` for why the store keeps it): the basis,
//! the reset, and scores written in one statement over arrays.

use crate::{StoreError, StoredRisk};
use postgres::Client;

pub(super) fn risk_basis(client: &mut Client) -> Result<Option<String>, StoreError> {
    Ok(client
        .query_opt("SELECT basis FROM risk_state WHERE id = 1", &[])
        .map_err(StoreError::pg("reading the risk basis"))?
        .map(|r| r.get(0)))
}

/// Marks every finding "to assess" and records the new basis, in one transaction.
pub(super) fn reset_risk(client: &mut Client, basis: &str) -> Result<usize, StoreError> {
    let e = StoreError::pg("resetting stored risk");
    let mut tx = client.transaction().map_err(e)?;
    let n = tx
        .execute(
            "UPDATE findings SET risk_score = -1 WHERE risk_score >= 0",
            &[],
        )
        .map_err(e)?;
    tx.execute(
        "INSERT INTO risk_state (id, basis) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET basis = excluded.basis",
        &[&super::text(basis)],
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    Ok(n as usize)
}

/// Stores assessed scores in one statement (one transaction).
pub(super) fn store_risk(client: &mut Client, rows: &[StoredRisk]) -> Result<usize, StoreError> {
    if let Some(r) = rows.iter().find(|r| !r.score.is_finite() || r.score < 0.0) {
        return Err(StoreError::Invalid(format!(
            "risk score {} of finding {} is not a score",
            r.score, r.finding_id
        )));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.finding_id).collect();
    let scores: Vec<f64> = rows.iter().map(|r| r.score).collect();
    let bands: Vec<String> = rows
        .iter()
        .map(|r| super::text(&r.band).into_owned())
        .collect();
    let teams: Vec<Option<String>> = rows
        .iter()
        .map(|r| r.team.as_deref().map(|t| super::text(t).into_owned()))
        .collect();
    // the last row of a finding wins, as one UPDATE per row would have it
    let n = client
        .execute(
            "UPDATE findings f SET risk_score = v.score, risk_band = v.band, team = v.team
               FROM (SELECT DISTINCT ON (id) id, score, band, team
                       FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[])
                            WITH ORDINALITY AS t(id, score, band, team, n)
                      ORDER BY id, n DESC) v
              WHERE f.id = v.id",
            &[&ids, &scores, &bands, &teams],
        )
        .map_err(StoreError::pg("storing assessed risk"))?;
    Ok(n as usize)
}
