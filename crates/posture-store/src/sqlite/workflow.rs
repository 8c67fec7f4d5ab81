//! The triage workflow on SQLite: decisions with expiry and approver, the set-based expiry
//! sweep, bulk event reads and scan coverage. Plain SQL (no SQLite-only functions), integer
//! millisecond timestamps, so the PostgreSQL port is a transliteration.

use super::query::{display_status, event_row};
use super::{from_ms, to_ms};
use crate::{
    DecisionChange, DecisionRecord, EventQuery, EventRecord, ExpiredDecision, NewEvent,
    ScanCoverageRow, StoreError,
};
use posture_model::{Category, FindingStatus, Timestamp};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::collections::HashMap;

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    StoreError::db(context)
}

pub(super) fn record_decisions(
    conn: &mut Connection,
    changes: Vec<DecisionChange>,
) -> Result<usize, StoreError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let context = "recording triage decisions";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db(context))?;
    {
        let mut read = tx
            .prepare_cached("SELECT status, triage, merged_into FROM findings WHERE id = ?1")
            .map_err(db(context))?;
        let mut update = tx
            .prepare_cached(
                "UPDATE findings SET triage = ?2, triage_reason = ?3, triage_actor = ?4,
                        triage_at = ?5, triage_expires_at = ?6, triage_approver = ?7,
                        triage_role = ?8
                  WHERE id = ?1",
            )
            .map_err(db(context))?;
        let mut event = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                                     approver, role, expires_at)
                 VALUES (?1, ?2, 'triaged', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(db(context))?;
        for c in &changes {
            if c.state == FindingStatus::Fixed {
                return Err(StoreError::Invalid(
                    "`fixed` is decided by scans, not by triage".into(),
                ));
            }
            if c.reason.trim().is_empty() {
                return Err(StoreError::Invalid(format!(
                    "finding {}: a triage decision needs a reason",
                    c.finding_id
                )));
            }
            let row: Option<(String, Option<String>, Option<i64>)> = read
                .query_row([c.finding_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(db(context))?;
            let Some((status, triage, merged)) = row else {
                return Err(StoreError::NotFound(format!("finding {}", c.finding_id)));
            };
            if let Some(into) = merged {
                return Err(StoreError::Invalid(format!(
                    "finding {} was merged into finding {into}",
                    c.finding_id
                )));
            }
            let now_state = display_status(&status, triage.as_deref());
            if now_state != c.expected_from {
                return Err(StoreError::Invalid(format!(
                    "finding {} is {now_state} now, not {} (it changed meanwhile)",
                    c.finding_id, c.expected_from
                )));
            }
            let clear = c.state == FindingStatus::Open;
            update
                .execute(params![
                    c.finding_id,
                    (!clear).then(|| c.state.as_str()),
                    (!clear).then_some(c.reason.as_str()),
                    (!clear).then_some(c.actor.as_str()),
                    (!clear).then(|| to_ms(c.at)),
                    c.expires_at.filter(|_| !clear).map(to_ms),
                    c.approver.as_deref().filter(|_| !clear),
                    c.role.as_deref().filter(|_| !clear),
                ])
                .map_err(db(context))?;
            event
                .execute(params![
                    c.finding_id,
                    to_ms(c.at),
                    c.actor,
                    c.expected_from.as_str(),
                    c.state.as_str(),
                    c.reason,
                    c.approver,
                    c.role,
                    c.expires_at.map(to_ms),
                ])
                .map_err(db(context))?;
        }
    }
    tx.commit().map_err(db(context))?;
    Ok(changes.len())
}

const DECISION_COLUMNS: &str = "f.id, f.triage, f.triage_reason, f.triage_actor, f.triage_at,
     f.triage_approver, f.triage_role, f.triage_expires_at";

fn decision_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<DecisionRecord>> {
    let triage: Option<String> = r.get(1)?;
    let Some(state) = triage
        .as_deref()
        .and_then(|t| t.parse::<FindingStatus>().ok())
    else {
        return Ok(None);
    };
    Ok(Some(DecisionRecord {
        finding_id: r.get(0)?,
        state,
        reason: r.get(2)?,
        actor: r.get(3)?,
        decided_at: r.get::<_, Option<i64>>(4)?.map(from_ms),
        approver: r.get(5)?,
        role: r.get(6)?,
        expires_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
    }))
}

pub(super) fn decision(
    conn: &Connection,
    finding_id: i64,
) -> Result<Option<DecisionRecord>, StoreError> {
    let sql = format!("SELECT {DECISION_COLUMNS} FROM findings f WHERE f.id = ?1");
    conn.query_row(&sql, [finding_id], decision_row)
        .optional()
        .map(Option::flatten)
        .map_err(db("reading a triage decision"))
}

pub(super) fn decisions(
    conn: &Connection,
    asset: Option<&str>,
) -> Result<Vec<DecisionRecord>, StoreError> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id
          WHERE f.triage IS NOT NULL AND f.merged_into IS NULL AND (?1 IS NULL OR a.name = ?1)
          ORDER BY f.id"
    );
    let mut stmt = conn.prepare(&sql).map_err(db("reading triage decisions"))?;
    let rows = stmt
        .query_map([asset], decision_row)
        .map_err(db("reading triage decisions"))?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(d) = r.map_err(db("reading triage decisions"))? {
            out.push(d);
        }
    }
    Ok(out)
}

/// The acceptances due to expire as of `now`.
const EXPIRING: &str = "triage = 'accepted' AND triage_expires_at IS NOT NULL
     AND triage_expires_at <= ?1 AND merged_into IS NULL";

pub(super) fn expire_decisions(
    conn: &mut Connection,
    now: Timestamp,
) -> Result<Vec<ExpiredDecision>, StoreError> {
    let context = "expiring risk acceptances";
    let now = to_ms(now);
    // The common case (nothing expired) takes no write lock.
    let any: bool = conn
        .query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM findings WHERE {EXPIRING})"),
            [now],
            |r| r.get(0),
        )
        .map_err(db(context))?;
    if !any {
        return Ok(Vec::new());
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db(context))?;
    let expired = {
        let mut stmt = tx
            .prepare(&format!(
                "SELECT id, triage_expires_at FROM findings WHERE {EXPIRING} ORDER BY id"
            ))
            .map_err(db(context))?;
        let rows = stmt
            .query_map([now], |r| {
                Ok(ExpiredDecision {
                    finding_id: r.get(0)?,
                    expired_at: from_ms(r.get(1)?),
                })
            })
            .map_err(db(context))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db(context))?
    };
    tx.execute(
        &format!(
            "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                                 approver, role, expires_at)
             SELECT id, triage_expires_at, 'expired', 'posture',
                    CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'accepted' END,
                    CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'open' END,
                    'the risk acceptance expired (it said: ' || COALESCE(triage_reason, '') || ')',
                    triage_approver, triage_role, triage_expires_at
               FROM findings WHERE {EXPIRING}"
        ),
        [now],
    )
    .map_err(db(context))?;
    tx.execute(
        &format!(
            "UPDATE findings SET triage = NULL, triage_reason = NULL, triage_actor = NULL,
                    triage_at = NULL, triage_expires_at = NULL, triage_approver = NULL,
                    triage_role = NULL
              WHERE {EXPIRING}"
        ),
        [now],
    )
    .map_err(db(context))?;
    tx.commit().map_err(db(context))?;
    Ok(expired)
}

pub(super) fn event_log(conn: &Connection, q: &EventQuery) -> Result<Vec<EventRecord>, StoreError> {
    let context = "reading the event log";
    let mut conds = vec!["f.merged_into IS NULL".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(asset) = &q.asset {
        conds.push("a.name = ?".into());
        args.push(Value::Text(asset.clone()));
    }
    if let Some(until) = q.until {
        conds.push("e.at <= ?".into());
        args.push(Value::Integer(to_ms(until)));
    }
    let base = |extra: &str| {
        format!(
            "SELECT e.id, e.finding_id, e.at, e.kind, e.scan_id, e.actor, e.from_status,
                    e.to_status, e.reason, e.approver, e.role, e.expires_at
               FROM events e JOIN findings f ON f.id = e.finding_id
               JOIN assets a ON a.id = f.asset_id
              WHERE {}{extra}",
            conds.join(" AND ")
        )
    };
    let mut out = Vec::new();
    match &q.finding_ids {
        None => {
            let mut stmt = conn.prepare(&base("")).map_err(db(context))?;
            let rows = stmt
                .query_map(params_from_iter(args.iter()), event_row)
                .map_err(db(context))?;
            for r in rows {
                out.push(r.map_err(db(context))?);
            }
        }
        Some(ids) => {
            for chunk in ids.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let sql = base(&format!(" AND e.finding_id IN ({marks})"));
                let mut stmt = conn.prepare(&sql).map_err(db(context))?;
                let all = args
                    .iter()
                    .cloned()
                    .chain(chunk.iter().map(|i| Value::Integer(*i)));
                let rows = stmt
                    .query_map(params_from_iter(all), event_row)
                    .map_err(db(context))?;
                for r in rows {
                    out.push(r.map_err(db(context))?);
                }
            }
        }
    }
    out.sort_by_key(|e| (e.at, e.id));
    Ok(out)
}

pub(super) fn append_events(
    conn: &mut Connection,
    events: Vec<NewEvent>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let context = "appending events";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db(context))?;
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db(context))?;
        for e in &events {
            stmt.execute(params![
                e.finding_id,
                to_ms(e.at),
                e.kind.as_str(),
                e.actor,
                e.from_status,
                e.to_status,
                e.reason
            ])
            .map_err(db(context))?;
        }
    }
    tx.commit().map_err(db(context))?;
    Ok(events.len())
}

pub(super) fn scan_coverage(
    conn: &Connection,
    asset: Option<&str>,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<ScanCoverageRow>, StoreError> {
    let context = "reading scan coverage";
    let mut observed: HashMap<i64, Vec<Category>> = HashMap::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT o.scope_id, f.category
                   FROM occurrences o JOIN findings f ON f.id = o.finding_id
                   JOIN scopes s ON s.id = o.scope_id JOIN assets a ON a.id = s.asset_id
                  WHERE ?1 IS NULL OR a.name = ?1",
            )
            .map_err(db(context))?;
        let rows = stmt
            .query_map([asset], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db(context))?;
        for r in rows {
            let (scope, cat) = r.map_err(db(context))?;
            if let Ok(c) = cat.parse::<Category>() {
                observed.entry(scope).or_default().push(c);
            }
        }
    }
    let mut stmt = conn
        .prepare(
            "SELECT s.id, a.name, s.tool, sc.format, sc.at
               FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
              WHERE sc.kind = 'findings' AND sc.at > ?1 AND sc.at <= ?2
                AND (?3 IS NULL OR a.name = ?3)
              ORDER BY sc.at, sc.id",
        )
        .map_err(db(context))?;
    let rows = stmt
        .query_map(params![to_ms(since), to_ms(until), asset], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(db(context))?;
    let mut out = Vec::new();
    for r in rows {
        let (scope, asset, tool, format, at) = r.map_err(db(context))?;
        out.push(ScanCoverageRow {
            asset,
            tool,
            format,
            at: from_ms(at),
            observed: observed.get(&scope).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

pub(super) fn asset_names(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT name FROM assets ORDER BY name")
        .map_err(db("listing assets"))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db("listing assets"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(db("listing assets"))
}
