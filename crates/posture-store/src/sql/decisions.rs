//! People's correlation decisions: merge two findings, split an occurrence out, accept or
//! reject a suggested duplicate. Each runs in one write transaction the back end opens (on
//! PostgreSQL under the asset's writer lock, so it never interleaves with an ingest of the
//! same asset), is logged in the event log, and is respected by every later ingest (merged
//! findings' keys lead to the surviving finding; separations are loaded with the correlation
//! candidates).

use super::ingest::merge_findings;
use super::{Db, Sql, args};
use crate::stored::to_ms;
use crate::{MergeDecision, SplitDecision, StoreError, SuggestionDecision, SuggestionRecord};

static FINDING_ASSET: Sql = Sql::new(
    "reading a finding",
    "SELECT a.name FROM findings f JOIN assets a ON a.id = f.asset_id WHERE f.id = ?",
);

/// The name of the asset of finding `id` (what a back end locks before deciding on it).
pub(crate) fn finding_asset(db: &mut dyn Db, id: i64) -> Result<String, StoreError> {
    db.opt(&FINDING_ASSET, args![id], |r| r.get(0))?
        .ok_or_else(|| StoreError::NotFound(format!("finding {id}")))
}

static OCCURRENCE_FINDING: Sql = Sql::new(
    "splitting a finding",
    "SELECT o.finding_id FROM occurrences o WHERE o.id = ?",
);

/// The finding occurrence `id` belongs to now.
pub(crate) fn occurrence_finding(db: &mut dyn Db, id: i64) -> Result<i64, StoreError> {
    db.opt(&OCCURRENCE_FINDING, args![id], |r| r.get(0))?
        .ok_or_else(|| StoreError::NotFound(format!("occurrence {id}")))
}

static LIVE_FINDING: Sql = Sql::new(
    "reading a finding",
    "SELECT asset_id, merged_into FROM findings WHERE id = ?",
);

/// The asset id of finding `id`, which must exist and not be merged away.
fn live_finding(db: &mut dyn Db, id: i64) -> Result<i64, StoreError> {
    let row = db.opt(&LIVE_FINDING, args![id], |r| {
        Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?))
    })?;
    match row {
        None => Err(StoreError::NotFound(format!("finding {id}"))),
        Some((_, Some(into))) => Err(StoreError::Invalid(format!(
            "finding {id} was merged into finding {into}"
        ))),
        Some((asset, None)) => Ok(asset),
    }
}

/// Checks a merge before any database work.
pub(crate) fn check_merge(d: &MergeDecision) -> Result<(), StoreError> {
    if d.from == d.into {
        return Err(StoreError::Invalid(
            "a finding cannot be merged into itself".into(),
        ));
    }
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a merge needs a reason".into()));
    }
    Ok(())
}

static SETTLE_SUGGESTIONS: Sql = Sql::new(
    "merging findings",
    "UPDATE suggestions SET state = 'accepted', decided_at = ?1, decided_by = ?2
      WHERE state = 'open' AND ((finding_id = ?3 AND other_finding_id = ?4)
                             OR (finding_id = ?4 AND other_finding_id = ?3))",
);

/// A person merges finding `from` into `into` (inside the caller's write transaction).
pub(crate) fn merge(db: &mut dyn Db, d: &MergeDecision) -> Result<(), StoreError> {
    check_merge(d)?;
    let (a, b) = (live_finding(db, d.from)?, live_finding(db, d.into)?);
    if a != b {
        return Err(StoreError::Invalid(format!(
            "findings {} and {} belong to different assets",
            d.from, d.into
        )));
    }
    merge_findings(
        db,
        d.from,
        d.into,
        0,
        to_ms(d.at),
        Some(&d.actor),
        &d.reason,
    )?;
    // a merge settles any suggestion between the two
    db.execute(
        &SETTLE_SUGGESTIONS,
        args![to_ms(d.at), d.actor.as_str(), d.from, d.into],
    )?;
    Ok(())
}

static SPLIT_SOURCE: Sql = Sql::new(
    "splitting a finding",
    "SELECT o.finding_id, o.fingerprint, s.asset_id, o.open, o.severity, o.data,
            o.first_seen, f.title, f.rule_id, f.category
       FROM occurrences o JOIN scopes s ON s.id = o.scope_id
       JOIN findings f ON f.id = o.finding_id
      WHERE o.id = ?",
);
static OTHER_OCCURRENCES: Sql = Sql::new(
    "splitting a finding",
    "SELECT COUNT(*) FROM occurrences WHERE finding_id = ? AND id <> ?",
);
static SPLIT_FINDING: Sql = Sql::new(
    "splitting a finding",
    "INSERT INTO findings (asset_id, key, category, severity, title, rule_id, status,
                           first_seen, fixed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
);
static SEPARATE: Sql = Sql::new(
    "splitting a finding",
    "INSERT INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
     SELECT ?, ?, o.fingerprint, ?, ?, ? FROM occurrences o
      WHERE o.finding_id = ? AND o.id <> ?
     ON CONFLICT DO NOTHING",
);
static MOVE_OCCURRENCE: Sql = Sql::new(
    "splitting a finding",
    "UPDATE occurrences SET finding_id = ?, link_confidence = NULL, link_reason = NULL,
                            link_occurrence = NULL
      WHERE id = ?",
);
static REASSESS: Sql = Sql::new(
    "splitting a finding",
    "UPDATE findings SET risk_score = -1 WHERE id = ?",
);
static FIX_IF_CLOSED: Sql = Sql::new(
    "splitting a finding",
    "UPDATE findings SET status = 'fixed', fixed_at = ?1
      WHERE id = ?2 AND status = 'open'
        AND NOT EXISTS (SELECT 1 FROM occurrences WHERE finding_id = ?2 AND open)",
);
static SPLIT_EVENTS: Sql = Sql::new(
    "splitting a finding",
    "INSERT INTO events (finding_id, at, kind, actor, reason)
     VALUES (?1, ?3, 'split', ?4, ?5), (?2, ?3, 'opened', ?4, ?6)",
);

/// A person splits an occurrence out of its finding (inside the caller's write
/// transaction); answers the new finding's id.
pub(crate) fn split(db: &mut dyn Db, d: &SplitDecision) -> Result<i64, StoreError> {
    if d.reason.trim().is_empty() {
        return Err(StoreError::Invalid("a split needs a reason".into()));
    }
    let now = to_ms(d.at);
    struct Source {
        finding_id: i64,
        fp: Vec<u8>,
        asset_id: i64,
        open: bool,
        severity: i64,
        data: String,
        first_seen: i64,
        title: String,
        rule_id: String,
        category: String,
    }
    let Some(src) = db.opt(&SPLIT_SOURCE, args![d.occurrence_id], |r| {
        Ok(Source {
            finding_id: r.get(0)?,
            fp: r.get(1)?,
            asset_id: r.get(2)?,
            open: r.get(3)?,
            severity: r.get(4)?,
            data: r.get(5)?,
            first_seen: r.get(6)?,
            title: r.get(7)?,
            rule_id: r.get(8)?,
            category: r.get(9)?,
        })
    })?
    else {
        return Err(StoreError::NotFound(format!(
            "occurrence {}",
            d.occurrence_id
        )));
    };
    let finding_id = src.finding_id;
    let others: i64 = db.one(
        &OTHER_OCCURRENCES,
        args![finding_id, d.occurrence_id],
        |r| r.get(0),
    )?;
    if others == 0 {
        return Err(StoreError::Invalid(format!(
            "occurrence {} is the only occurrence of finding {finding_id}: nothing to split",
            d.occurrence_id
        )));
    }
    // the new finding is named after the occurrence (its stored data)
    let data: serde_json::Value =
        serde_json::from_str(&src.data).unwrap_or(serde_json::Value::Null);
    let field = |name: &str, fallback: &str| -> String {
        data.get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or(fallback)
            .to_string()
    };
    let title = field("title", &src.title);
    let rule_id = field("rule_id", &src.rule_id);
    // the new finding's key: the occurrence's fingerprint, made distinct from the old key
    let key = crate::ingest_flow::split_key(&src.fp, d.occurrence_id);
    let new_id: i64 = db.one(
        &SPLIT_FINDING,
        args![
            src.asset_id,
            &key[..],
            src.category.as_str(),
            src.severity,
            title,
            rule_id,
            if src.open { "open" } else { "fixed" },
            src.first_seen,
            (!src.open).then_some(now)
        ],
        |r| r.get(0),
    )?;
    // never correlate it with the finding's other occurrences again
    db.execute(
        &SEPARATE,
        args![
            src.asset_id,
            &src.fp[..],
            now,
            d.actor.as_str(),
            d.reason.as_str(),
            finding_id,
            d.occurrence_id
        ],
    )?;
    db.execute(&MOVE_OCCURRENCE, args![new_id, d.occurrence_id])?;
    // the old finding lost evidence: assess it again (the new one starts unassessed)
    db.execute(&REASSESS, args![finding_id])?;
    // the old finding is fixed if nothing of it is open any more
    db.execute(&FIX_IF_CLOSED, args![now, finding_id])?;
    db.execute(
        &SPLIT_EVENTS,
        args![
            finding_id,
            new_id,
            now,
            d.actor.as_str(),
            format!(
                "occurrence {} split into finding {new_id}: {}",
                d.occurrence_id, d.reason
            ),
            format!("split from finding {finding_id}: {}", d.reason)
        ],
    )?;
    Ok(new_id)
}

static SUGGESTIONS: Sql = Sql::new(
    "listing suggestions",
    "SELECT sg.id, a.name, sg.finding_id, sg.other_finding_id, sg.confidence, sg.reason,
            sg.state, sg.created_at, sg.decided_by
       FROM suggestions sg JOIN assets a ON a.id = sg.asset_id
      WHERE (CAST(?1 AS TEXT) IS NULL OR a.name = ?1) AND (NOT ?2 OR sg.state = 'open')
        AND (CAST(?3 AS BIGINT) IS NULL OR sg.id = ?3)
      ORDER BY sg.created_at DESC, sg.id DESC",
);

/// Suggested duplicates, newest first (one of them when `id` is given).
pub(crate) fn suggestions(
    db: &mut dyn Db,
    asset: Option<&str>,
    open_only: bool,
    id: Option<i64>,
) -> Result<Vec<SuggestionRecord>, StoreError> {
    db.rows(&SUGGESTIONS, args![asset, open_only, id], |r| {
        Ok(SuggestionRecord {
            id: r.get(0)?,
            asset: r.get(1)?,
            finding_id: r.get(2)?,
            other_finding_id: r.get(3)?,
            confidence: r.get(4)?,
            reason: r.get(5)?,
            state: r.get(6)?,
            created_at: r.time(7)?,
            decided_by: r.get(8)?,
        })
    })
}

/// The open suggestion a decision is about.
pub(crate) fn open_suggestion(db: &mut dyn Db, id: i64) -> Result<SuggestionRecord, StoreError> {
    let Some(s) = suggestions(db, None, false, Some(id))?.pop() else {
        return Err(StoreError::NotFound(format!("suggestion {id}")));
    };
    if s.state != "open" {
        return Err(StoreError::Invalid(format!(
            "suggestion {id} is already {}",
            s.state
        )));
    }
    Ok(s)
}

/// The merge that accepting suggestion `s` makes.
pub(crate) fn acceptance(s: &SuggestionRecord, d: &SuggestionDecision) -> MergeDecision {
    MergeDecision {
        from: s.finding_id,
        into: s.other_finding_id,
        actor: d.actor.clone(),
        reason: format!("suggested duplicate {} accepted: {}", d.id, s.reason),
        at: d.at,
    }
}

static REJECT: Sql = Sql::new(
    "rejecting a suggestion",
    "UPDATE suggestions SET state = 'rejected', decided_at = ?, decided_by = ?
      WHERE id = ? AND state = 'open'",
);
static SEPARATE_REJECTED: Sql = Sql::new(
    "rejecting a suggestion",
    "INSERT INTO separations (asset_id, fp_a, fp_b, created_at, actor, reason)
     SELECT sg.asset_id, oa.fingerprint, ob.fingerprint, ?, ?, 'suggested duplicate rejected'
       FROM suggestions sg
       JOIN occurrences oa ON oa.finding_id = sg.finding_id
       JOIN occurrences ob ON ob.finding_id = sg.other_finding_id
      WHERE sg.id = ?
     ON CONFLICT DO NOTHING",
);

/// Rejects a suggestion (inside the caller's write transaction): the pair is never
/// suggested or merged again.
pub(crate) fn reject(db: &mut dyn Db, d: &SuggestionDecision) -> Result<(), StoreError> {
    let changed = db.execute(&REJECT, args![to_ms(d.at), d.actor.as_str(), d.id])?;
    if changed == 0 {
        return Err(StoreError::Invalid(format!(
            "suggestion {} was decided meanwhile",
            d.id
        )));
    }
    db.execute(
        &SEPARATE_REJECTED,
        args![to_ms(d.at), d.actor.as_str(), d.id],
    )?;
    Ok(())
}
