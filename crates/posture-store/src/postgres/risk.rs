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
    let lasts: Vec<String> = rows
        .iter()
        .map(|r| super::text(&r.last).into_owned())
        .collect();
    let mut tx = client
        .transaction()
        .map_err(StoreError::pg("storing assessed risk"))?;
    // the last row of a finding wins, as one UPDATE per row would have it; rows are locked
    // in id order, skipping those a writer holds
    let stored = tx
        .query(
            "WITH v AS (
                 SELECT DISTINCT ON (id) id, score, band, team, version, last
                   FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[], $5::bigint[],
                               $6::text[])
                        WITH ORDINALITY AS t(id, score, band, team, version, last, n)
                  ORDER BY id, n DESC),
             free AS (
                 SELECT f.id FROM findings f JOIN v ON v.id = f.id AND f.risk_version = v.version
                  ORDER BY f.id
                    FOR UPDATE OF f SKIP LOCKED)
             UPDATE findings f SET risk_score = v.score, risk_band = v.band, team = v.team,
                    risk_last = v.last
               FROM v JOIN free ON free.id = v.id
              WHERE f.id = v.id AND f.risk_version = v.version
             RETURNING f.id",
            &[&ids, &scores, &bands, &teams, &versions, &lasts],
        )
        .map_err(StoreError::pg("storing assessed risk"))?;
    // score history: a `rescored` event for each stored row that moved (the last row of a
    // finding wins, as above)
    let stored: std::collections::HashSet<i64> = stored.iter().map(|r| r.get(0)).collect();
    let mut recorded = std::collections::HashSet::new();
    let changes: Vec<(i64, &crate::RiskChange)> = rows
        .iter()
        .rev()
        .filter_map(|r| Some((r.finding_id, r.change.as_ref()?)))
        .filter(|(id, _)| stored.contains(id) && recorded.insert(*id))
        .collect();
    if !changes.is_empty() {
        // one statement for every moved score (a feed import can move thousands)
        let ids: Vec<i64> = changes.iter().map(|(id, _)| *id).collect();
        let ats: Vec<i64> = changes
            .iter()
            .map(|(_, c)| crate::stored::to_ms(c.at))
            .collect();
        let col = |f: fn(&crate::RiskChange) -> &str| -> Vec<String> {
            changes
                .iter()
                .map(|(_, c)| super::text(f(c)).into_owned())
                .collect()
        };
        let (actors, froms, tos, reasons) = (
            col(|c| &c.actor),
            col(|c| &c.from_band),
            col(|c| &c.to_band),
            col(|c| &c.reason),
        );
        tx.execute(
            "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
             SELECT id, at, 'rescored', actor, from_status, to_status, reason
               FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                           $6::text[]) AS t(id, at, actor, from_status, to_status, reason)",
            &[&ids, &ats, &actors, &froms, &tos, &reasons],
        )
        .map_err(StoreError::pg("recording score changes"))?;
    }
    tx.commit()
        .map_err(StoreError::pg("storing assessed risk"))?;
    Ok(stored.len())
}
