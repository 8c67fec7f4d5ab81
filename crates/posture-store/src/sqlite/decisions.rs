//! People's correlation decisions: merge two findings, split an occurrence out, accept or
//! reject a suggested duplicate. Each is one transaction, logged in the event log, and
//! respected by every later ingest (merged findings' keys lead to the surviving finding;
//! separations are loaded with the correlation candidates).

use super::{from_ms, to_ms};
use crate::{
    FindingRecord, MergeDecision, SplitDecision, StoreError, SuggestionDecision, SuggestionRecord,
};
use rusqlite::{Connection, OptionalExtension, params};

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    StoreError::db(context)
}

fn live_finding(tx: &rusqlite::Transaction<'_>, id: i64) -> Result<i64, StoreError> {
    let row: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT asset_id, merged_into FROM findings WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("reading a finding"))?;
    match row {
        None => Err(StoreError::NotFound(format!("finding {id}"))),
        Some((_, Some(into))) => Err(StoreError::Invalid(format!(
            "finding {id} was merged into finding {into}"
        ))),
        Some((asset, None)) => Ok(asset),
    }
}

pub(super) fn merge(conn: &mut Connection, d: MergeDecision) -> Result<FindingRecord, StoreError> {
    if d.from == d.into {
        return Err(StoreError::Invalid(
            "a finding cannot be merged into itself".into(),
        ));
    }
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a merge needs a reason".into()));
    }
    let tx = conn.transaction().map_err(db("merging findings"))?;
    let (a, b) = (live_finding(&tx, d.from)?, live_finding(&tx, d.into)?);
    if a != b {
        return Err(StoreError::Invalid(format!(
            "findings {} and {} belong to different assets",
            d.from, d.into
        )));
    }
    super::ingest::merge_findings(
        &tx,
        d.from,
        d.into,
        0,
        to_ms(d.at),
        Some(&d.actor),
        &d.reason,
    )?;
    // a merge settles any suggestion between the two
    tx.execute(
        "UPDATE suggestions SET state = 'accepted', decided_at = ?1, decided_by = ?2
          WHERE state = 'open' AND ((finding_id = ?3 AND other_finding_id = ?4) OR (finding_id = ?4 AND other_finding_id = ?3))",
        params![to_ms(d.at), d.actor, d.from, d.into],
    )
    .map_err(db("merging findings"))?;
    tx.commit().map_err(db("merging findings"))?;
    crate::sql::query::finding(&mut &*conn, d.into)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {}", d.into)))
}

pub(super) fn split(conn: &mut Connection, d: SplitDecision) -> Result<FindingRecord, StoreError> {
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a split needs a reason".into()));
    }
    let now = to_ms(d.at);
    let tx = conn.transaction().map_err(db("splitting a finding"))?;
    let row: Option<(i64, Vec<u8>, i64, i64)> = tx
        .query_row(
            "SELECT o.finding_id, o.fingerprint, s.asset_id, o.open
               FROM occurrences o JOIN scopes s ON s.id = o.scope_id WHERE o.id = ?1",
            [d.occurrence_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db("splitting a finding"))?;
    let Some((finding_id, fp, asset_id, open)) = row else {
        return Err(StoreError::NotFound(format!(
            "occurrence {}",
            d.occurrence_id
        )));
    };
    let others: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM occurrences WHERE finding_id = ?1 AND id <> ?2",
            params![finding_id, d.occurrence_id],
            |r| r.get(0),
        )
        .map_err(db("splitting a finding"))?;
    if others == 0 {
        return Err(StoreError::Invalid(format!(
            "occurrence {} is the only occurrence of finding {finding_id}: nothing to split",
            d.occurrence_id
        )));
    }
    // the new finding's key: the occurrence's fingerprint, made distinct from the old key
    let key = crate::ingest_flow::split_key(&fp, d.occurrence_id);
    tx.execute(
        "INSERT INTO findings (asset_id, key, category, severity, title, rule_id, status, triage, triage_reason, first_seen, fixed_at)
         SELECT asset_id, ?1, category, (SELECT severity FROM occurrences WHERE id = ?2),
                json_extract((SELECT data FROM occurrences WHERE id = ?2), '$.title'),
                json_extract((SELECT data FROM occurrences WHERE id = ?2), '$.rule_id'),
                CASE WHEN ?3 = 1 THEN 'open' ELSE 'fixed' END, NULL, NULL,
                (SELECT first_seen FROM occurrences WHERE id = ?2),
                CASE WHEN ?3 = 1 THEN NULL ELSE ?4 END
           FROM findings WHERE id = ?5",
        params![key, d.occurrence_id, open, now, finding_id],
    )
    .map_err(db("splitting a finding"))?;
    let new_id = tx.last_insert_rowid();
    // never correlate it with the finding's other occurrences again
    tx.execute(
        "INSERT OR IGNORE INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
         SELECT ?1, ?2, o.fingerprint, ?3, ?4, ?5 FROM occurrences o
          WHERE o.finding_id = ?6 AND o.id <> ?7",
        params![
            asset_id,
            fp,
            now,
            d.actor,
            d.reason,
            finding_id,
            d.occurrence_id
        ],
    )
    .map_err(db("splitting a finding"))?;
    tx.execute(
        "UPDATE occurrences SET finding_id = ?1, link_confidence = NULL, link_reason = NULL, link_occurrence = NULL WHERE id = ?2",
        params![new_id, d.occurrence_id],
    )
    .map_err(db("splitting a finding"))?;
    // the old finding lost evidence: assess it again (the new one starts unassessed)
    tx.execute(
        "UPDATE findings SET risk_score = -1 WHERE id = ?1",
        [finding_id],
    )
    .map_err(db("splitting a finding"))?;
    // the old finding is fixed if nothing of it is open any more
    tx.execute(
        "UPDATE findings SET status = 'fixed', fixed_at = ?1
          WHERE id = ?2 AND status = 'open'
            AND NOT EXISTS (SELECT 1 FROM occurrences WHERE finding_id = ?2 AND open = 1)",
        params![now, finding_id],
    )
    .map_err(db("splitting a finding"))?;
    let mut ev = tx
        .prepare_cached(
            "INSERT INTO events (finding_id, at, kind, actor, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db("splitting a finding"))?;
    ev.execute(params![
        finding_id,
        now,
        "split",
        d.actor,
        format!(
            "occurrence {} split into finding {new_id}: {}",
            d.occurrence_id, d.reason
        )
    ])
    .map_err(db("splitting a finding"))?;
    ev.execute(params![
        new_id,
        now,
        "opened",
        d.actor,
        format!("split from finding {finding_id}: {}", d.reason)
    ])
    .map_err(db("splitting a finding"))?;
    drop(ev);
    tx.commit().map_err(db("splitting a finding"))?;
    crate::sql::query::finding(&mut &*conn, new_id)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {new_id}")))
}

pub(super) fn suggestions(
    conn: &Connection,
    asset: Option<&str>,
    open_only: bool,
    id: Option<i64>,
) -> Result<Vec<SuggestionRecord>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT sg.id, a.name, sg.finding_id, sg.other_finding_id, sg.confidence, sg.reason,
                    sg.state, sg.created_at, sg.decided_by
               FROM suggestions sg JOIN assets a ON a.id = sg.asset_id
              WHERE (?1 IS NULL OR a.name = ?1) AND (?2 = 0 OR sg.state = 'open')
                AND (?3 IS NULL OR sg.id = ?3)
              ORDER BY sg.created_at DESC, sg.id DESC",
        )
        .map_err(db("listing suggestions"))?;
    let rows = stmt
        .query_map(params![asset, open_only as i64, id], |r| {
            Ok(SuggestionRecord {
                id: r.get(0)?,
                asset: r.get(1)?,
                finding_id: r.get(2)?,
                other_finding_id: r.get(3)?,
                confidence: r.get(4)?,
                reason: r.get(5)?,
                state: r.get(6)?,
                created_at: from_ms(r.get(7)?),
                decided_by: r.get(8)?,
            })
        })
        .map_err(db("listing suggestions"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(db("listing suggestions"))
}

pub(super) fn decide_suggestion(
    conn: &mut Connection,
    d: SuggestionDecision,
) -> Result<SuggestionRecord, StoreError> {
    let Some(s) = suggestions(conn, None, false, Some(d.id))?.pop() else {
        return Err(StoreError::NotFound(format!("suggestion {}", d.id)));
    };
    if s.state != "open" {
        return Err(StoreError::Invalid(format!(
            "suggestion {} is already {}",
            d.id, s.state
        )));
    }
    if d.accept {
        merge(
            conn,
            MergeDecision {
                from: s.finding_id,
                into: s.other_finding_id,
                actor: d.actor.clone(),
                reason: format!("suggested duplicate {} accepted: {}", d.id, s.reason),
                at: d.at,
            },
        )?;
    } else {
        let tx = conn.transaction().map_err(db("rejecting a suggestion"))?;
        tx.execute(
            "UPDATE suggestions SET state = 'rejected', decided_at = ?1, decided_by = ?2 WHERE id = ?3",
            params![to_ms(d.at), d.actor, d.id],
        )
        .map_err(db("rejecting a suggestion"))?;
        // a rejected pair is never suggested or merged again
        tx.execute(
            "INSERT OR IGNORE INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
             SELECT sg.asset_id, oa.fingerprint, ob.fingerprint, ?1, ?2, 'suggested duplicate rejected'
               FROM suggestions sg
               JOIN occurrences oa ON oa.finding_id = sg.finding_id
               JOIN occurrences ob ON ob.finding_id = sg.other_finding_id
              WHERE sg.id = ?3",
            params![to_ms(d.at), d.actor, d.id],
        )
        .map_err(db("rejecting a suggestion"))?;
        tx.commit().map_err(db("rejecting a suggestion"))?;
    }
    suggestions(conn, None, false, Some(d.id))?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("suggestion {}", d.id)))
}
