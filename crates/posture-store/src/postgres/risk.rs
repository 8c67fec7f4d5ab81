//! Stored risk on PostgreSQL (see `src/sqlite/risk.rs` for why the store keeps it): scores
//! written in one statement over arrays (the basis and the reset are `sql::risk`), each only over the
//! `risk_version` its assessment read. Storing never waits for a row an ingest holds (its
//! locks last the whole ingest, and waiting on them in another order than the ingest's
//! deadlocked under concurrent uploads): such a row keeps its mark for the next refresh.

use crate::{StoreError, StoredRisk};
use postgres::Client;

/// Stores assessed scores in one statement (one transaction): only rows still at the version
/// read and not locked by a writer now; returns how many were stored.
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
    let versions: Vec<i64> = rows.iter().map(|r| r.version).collect();
    // the last row of a finding wins, as one UPDATE per row would have it; rows are locked
    // in id order, skipping those a writer holds
    let n = client
        .execute(
            "WITH v AS (
                 SELECT DISTINCT ON (id) id, score, band, team, version
                   FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[], $5::bigint[])
                        WITH ORDINALITY AS t(id, score, band, team, version, n)
                  ORDER BY id, n DESC),
             free AS (
                 SELECT f.id FROM findings f JOIN v ON v.id = f.id AND f.risk_version = v.version
                  ORDER BY f.id
                    FOR UPDATE OF f SKIP LOCKED)
             UPDATE findings f SET risk_score = v.score, risk_band = v.band, team = v.team
               FROM v JOIN free ON free.id = v.id
              WHERE f.id = v.id AND f.risk_version = v.version",
            &[&ids, &scores, &bands, &teams, &versions],
        )
        .map_err(StoreError::pg("storing assessed risk"))?;
    Ok(n as usize)
}
