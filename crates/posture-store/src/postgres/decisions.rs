//! People's correlation decisions on PostgreSQL (merge, split, accept or reject a suggested
//! duplicate): each one transaction under the asset's writer lock, so it never interleaves
//! with an ingest of the same asset; the same rules as `src/sqlite/decisions.rs`.

use super::ingest::merge_findings;
use super::{asset_lock, lock, text};
use crate::stored::{from_ms, to_ms};
use crate::{
    FindingRecord, MergeDecision, SplitDecision, StoreError, SuggestionDecision, SuggestionRecord,
};
use postgres::{Client, GenericClient, Transaction};

/// Takes the writer lock of the asset of finding `id` (read first: names never change).
fn lock_asset_of_finding(
    tx: &mut Transaction<'_>,
    id: i64,
    context: &'static str,
) -> Result<(), StoreError> {
    let name: Option<String> = tx
        .query_opt(
            "SELECT a.name FROM findings f JOIN assets a ON a.id = f.asset_id WHERE f.id = $1",
            &[&id],
        )
        .map_err(StoreError::pg(context))?
        .map(|r| r.get(0));
    match name {
        Some(name) => lock(tx, asset_lock(&name), context),
        None => Err(StoreError::NotFound(format!("finding {id}"))),
    }
}

fn live_finding(tx: &mut Transaction<'_>, id: i64) -> Result<i64, StoreError> {
    let row = tx
        .query_opt(
            "SELECT asset_id, merged_into FROM findings WHERE id = $1",
            &[&id],
        )
        .map_err(StoreError::pg("reading a finding"))?;
    match row.map(|r| (r.get::<_, i64>(0), r.get::<_, Option<i64>>(1))) {
        None => Err(StoreError::NotFound(format!("finding {id}"))),
        Some((_, Some(into))) => Err(StoreError::Invalid(format!(
            "finding {id} was merged into finding {into}"
        ))),
        Some((asset, None)) => Ok(asset),
    }
}

pub(super) fn merge(client: &mut Client, d: MergeDecision) -> Result<FindingRecord, StoreError> {
    if d.from == d.into {
        return Err(StoreError::Invalid(
            "a finding cannot be merged into itself".into(),
        ));
    }
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a merge needs a reason".into()));
    }
    let e = StoreError::pg("merging findings");
    let mut tx = client.transaction().map_err(e)?;
    lock_asset_of_finding(&mut tx, d.from, "merging findings")?;
    let (a, b) = (
        live_finding(&mut tx, d.from)?,
        live_finding(&mut tx, d.into)?,
    );
    if a != b {
        return Err(StoreError::Invalid(format!(
            "findings {} and {} belong to different assets",
            d.from, d.into
        )));
    }
    merge_findings(
        &mut tx,
        d.from,
        d.into,
        0,
        to_ms(d.at),
        Some(&d.actor),
        &d.reason,
    )?;
    // a merge settles any suggestion between the two
    tx.execute(
        "UPDATE suggestions SET state = 'accepted', decided_at = $1, decided_by = $2
          WHERE state = 'open' AND ((finding_id = $3 AND other_finding_id = $4)
                                 OR (finding_id = $4 AND other_finding_id = $3))",
        &[&to_ms(d.at), &text(&d.actor), &d.from, &d.into],
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    crate::sql::query::finding(client, d.into)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {}", d.into)))
}

pub(super) fn split(client: &mut Client, d: SplitDecision) -> Result<FindingRecord, StoreError> {
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a split needs a reason".into()));
    }
    let now = to_ms(d.at);
    let e = StoreError::pg("splitting a finding");
    let mut tx = client.transaction().map_err(e)?;
    let Some(owner) = tx
        .query_opt(
            "SELECT o.finding_id FROM occurrences o WHERE o.id = $1",
            &[&d.occurrence_id],
        )
        .map_err(e)?
    else {
        return Err(StoreError::NotFound(format!(
            "occurrence {}",
            d.occurrence_id
        )));
    };
    lock_asset_of_finding(&mut tx, owner.get(0), "splitting a finding")?;
    // read again under the lock: an ingest may have moved it meanwhile
    let Some(row) = tx
        .query_opt(
            "SELECT o.finding_id, o.fingerprint, s.asset_id, o.open, o.severity, o.data,
                    o.first_seen, f.title, f.rule_id, f.category
               FROM occurrences o JOIN scopes s ON s.id = o.scope_id
               JOIN findings f ON f.id = o.finding_id
              WHERE o.id = $1",
            &[&d.occurrence_id],
        )
        .map_err(e)?
    else {
        return Err(StoreError::NotFound(format!(
            "occurrence {}",
            d.occurrence_id
        )));
    };
    let finding_id: i64 = row.get(0);
    let fp: Vec<u8> = row.get(1);
    let asset_id: i64 = row.get(2);
    let open: bool = row.get(3);
    let others: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM occurrences WHERE finding_id = $1 AND id <> $2",
            &[&finding_id, &d.occurrence_id],
        )
        .map_err(e)?
        .get(0);
    if others == 0 {
        return Err(StoreError::Invalid(format!(
            "occurrence {} is the only occurrence of finding {finding_id}: nothing to split",
            d.occurrence_id
        )));
    }
    // the new finding is named after the occurrence (its stored data), as on SQLite
    let data: serde_json::Value =
        serde_json::from_str(row.get::<_, &str>(5)).unwrap_or(serde_json::Value::Null);
    let field = |name: &str, fallback: &str| -> String {
        data.get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or(fallback)
            .to_string()
    };
    let title = field("title", row.get(7));
    let rule_id = field("rule_id", row.get(8));
    let key = crate::ingest_flow::split_key(&fp, d.occurrence_id);
    let new_id: i64 = tx
        .query_one(
            "INSERT INTO findings (asset_id, key, category, severity, title, rule_id, status,
                                   first_seen, fixed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &asset_id,
                &key,
                &row.get::<_, &str>(9),
                &row.get::<_, i64>(4),
                &text(&title),
                &text(&rule_id),
                &if open { "open" } else { "fixed" },
                &row.get::<_, i64>(6),
                &(!open).then_some(now),
            ],
        )
        .map_err(e)?
        .get(0);
    // never correlate it with the finding's other occurrences again
    tx.execute(
        "INSERT INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
         SELECT $1, $2, o.fingerprint, $3, $4, $5 FROM occurrences o
          WHERE o.finding_id = $6 AND o.id <> $7
         ON CONFLICT DO NOTHING",
        &[
            &asset_id,
            &fp,
            &now,
            &text(&d.actor),
            &text(&d.reason),
            &finding_id,
            &d.occurrence_id,
        ],
    )
    .map_err(e)?;
    tx.execute(
        "UPDATE occurrences SET finding_id = $1, link_confidence = NULL, link_reason = NULL,
                                link_occurrence = NULL
          WHERE id = $2",
        &[&new_id, &d.occurrence_id],
    )
    .map_err(e)?;
    // the old finding lost evidence: assess it again (the new one starts unassessed)
    tx.execute(
        "UPDATE findings SET risk_score = -1 WHERE id = $1",
        &[&finding_id],
    )
    .map_err(e)?;
    // the old finding is fixed if nothing of it is open any more
    tx.execute(
        "UPDATE findings SET status = 'fixed', fixed_at = $1
          WHERE id = $2 AND status = 'open'
            AND NOT EXISTS (SELECT 1 FROM occurrences WHERE finding_id = $2 AND open)",
        &[&now, &finding_id],
    )
    .map_err(e)?;
    tx.execute(
        "INSERT INTO events (finding_id, at, kind, actor, reason)
         VALUES ($1, $3, 'split', $4, $5), ($2, $3, 'opened', $4, $6)",
        &[
            &finding_id,
            &new_id,
            &now,
            &text(&d.actor),
            &text(&format!(
                "occurrence {} split into finding {new_id}: {}",
                d.occurrence_id, d.reason
            )),
            &text(&format!("split from finding {finding_id}: {}", d.reason)),
        ],
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    crate::sql::query::finding(client, new_id)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {new_id}")))
}

pub(super) fn suggestions(
    client: &mut impl GenericClient,
    asset: Option<&str>,
    open_only: bool,
    id: Option<i64>,
) -> Result<Vec<SuggestionRecord>, StoreError> {
    let rows = client
        .query(
            "SELECT sg.id, a.name, sg.finding_id, sg.other_finding_id, sg.confidence, sg.reason,
                    sg.state, sg.created_at, sg.decided_by
               FROM suggestions sg JOIN assets a ON a.id = sg.asset_id
              WHERE ($1::text IS NULL OR a.name = $1) AND (NOT $2::boolean OR sg.state = 'open')
                AND ($3::bigint IS NULL OR sg.id = $3)
              ORDER BY sg.created_at DESC, sg.id DESC",
            &[&asset.map(text), &open_only, &id],
        )
        .map_err(StoreError::pg("listing suggestions"))?;
    Ok(rows
        .iter()
        .map(|r| SuggestionRecord {
            id: r.get(0),
            asset: r.get(1),
            finding_id: r.get(2),
            other_finding_id: r.get(3),
            confidence: r.get(4),
            reason: r.get(5),
            state: r.get(6),
            created_at: from_ms(r.get(7)),
            decided_by: r.get(8),
        })
        .collect())
}

pub(super) fn decide_suggestion(
    client: &mut Client,
    d: SuggestionDecision,
) -> Result<SuggestionRecord, StoreError> {
    let Some(s) = suggestions(client, None, false, Some(d.id))?.pop() else {
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
            client,
            MergeDecision {
                from: s.finding_id,
                into: s.other_finding_id,
                actor: d.actor.clone(),
                reason: format!("suggested duplicate {} accepted: {}", d.id, s.reason),
                at: d.at,
            },
        )?;
    } else {
        let e = StoreError::pg("rejecting a suggestion");
        let mut tx = client.transaction().map_err(e)?;
        lock(&mut tx, asset_lock(&s.asset), "rejecting a suggestion")?;
        let changed = tx
            .execute(
                "UPDATE suggestions SET state = 'rejected', decided_at = $1, decided_by = $2
                  WHERE id = $3 AND state = 'open'",
                &[&to_ms(d.at), &text(&d.actor), &d.id],
            )
            .map_err(e)?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!(
                "suggestion {} was decided meanwhile",
                d.id
            )));
        }
        // a rejected pair is never suggested or merged again
        tx.execute(
            "INSERT INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
             SELECT sg.asset_id, oa.fingerprint, ob.fingerprint, $1, $2, 'suggested duplicate rejected'
               FROM suggestions sg
               JOIN occurrences oa ON oa.finding_id = sg.finding_id
               JOIN occurrences ob ON ob.finding_id = sg.other_finding_id
              WHERE sg.id = $3
             ON CONFLICT DO NOTHING",
            &[&to_ms(d.at), &text(&d.actor), &d.id],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
    }
    suggestions(client, None, false, Some(d.id))?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("suggestion {}", d.id)))
}
