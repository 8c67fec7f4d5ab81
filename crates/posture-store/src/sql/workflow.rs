//! The triage workflow: decisions with expiry and approver, the set-based expiry sweep, bulk
//! event reads and scan coverage. Rows a decision reads are locked (`FOR UPDATE`, a no-op on
//! SQLite, whose single writer already serializes it), so two people deciding on one finding
//! at once cannot both pass the "it is still in the state I saw" check.

use super::{Db, Row, Sql, Value, args};
use crate::stored::{display_status, to_ms};
use crate::{
    DecisionChange, DecisionRecord, EventQuery, EventRecord, ExpiredDecision, ScanCoverageRow,
    StoreError,
};
use posture_model::{Category, FindingStatus, Timestamp};
use std::collections::HashMap;

static DECISION_STATE: Sql = Sql::new(
    "recording triage decisions",
    "SELECT status, triage, merged_into FROM findings WHERE id = ? FOR UPDATE",
);

static SET_DECISION: Sql = Sql::new(
    "recording triage decisions",
    "UPDATE findings SET triage = ?2, triage_reason = ?3, triage_actor = ?4,
            triage_at = ?5, triage_expires_at = ?6, triage_approver = ?7,
            triage_role = ?8
      WHERE id = ?1",
);

static DECISION_EVENT: Sql = Sql::new(
    "recording triage decisions",
    "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                         approver, role, expires_at)
     VALUES (?, ?, 'triaged', ?, ?, ?, ?, ?, ?, ?)",
);

/// Records triage decisions (inside the caller's write transaction), each checked against
/// the finding's state now.
pub(crate) fn record_decisions(
    db: &mut dyn Db,
    changes: &[DecisionChange],
) -> Result<usize, StoreError> {
    for c in changes {
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
        let row = db.opt(&DECISION_STATE, args![c.finding_id], |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<Option<String>>(1)?,
                r.get::<Option<i64>>(2)?,
            ))
        })?;
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
        db.execute(
            &SET_DECISION,
            args![
                c.finding_id,
                (!clear).then(|| c.state.as_str()),
                (!clear).then_some(c.reason.as_str()),
                (!clear).then_some(c.actor.as_str()),
                (!clear).then(|| to_ms(c.at)),
                c.expires_at.filter(|_| !clear).map(to_ms),
                c.approver.as_deref().filter(|_| !clear),
                c.role.as_deref().filter(|_| !clear),
            ],
        )?;
        db.execute(
            &DECISION_EVENT,
            args![
                c.finding_id,
                to_ms(c.at),
                c.actor.as_str(),
                c.expected_from.as_str(),
                c.state.as_str(),
                c.reason.as_str(),
                c.approver.as_deref(),
                c.role.as_deref(),
                c.expires_at.map(to_ms),
            ],
        )?;
    }
    Ok(changes.len())
}

static DECISION: Sql = Sql::new(
    "reading a triage decision",
    "SELECT f.id, f.triage, f.triage_reason, f.triage_actor, f.triage_at,
            f.triage_approver, f.triage_role, f.triage_expires_at
       FROM findings f WHERE f.id = ?",
);

static DECISIONS: Sql = Sql::new(
    "reading triage decisions",
    "SELECT f.id, f.triage, f.triage_reason, f.triage_actor, f.triage_at,
            f.triage_approver, f.triage_role, f.triage_expires_at
       FROM findings f JOIN assets a ON a.id = f.asset_id
      WHERE f.triage IS NOT NULL AND f.merged_into IS NULL
        AND (CAST(?1 AS TEXT) IS NULL OR a.name = ?1)
      ORDER BY f.id",
);

fn decision_row(r: &Row<'_>) -> Result<Option<DecisionRecord>, StoreError> {
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
        decided_at: r.get::<Option<i64>>(4)?.map(crate::stored::from_ms),
        approver: r.get(5)?,
        role: r.get(6)?,
        expires_at: r.get::<Option<i64>>(7)?.map(crate::stored::from_ms),
    }))
}

pub(crate) fn decision(
    db: &mut dyn Db,
    finding_id: i64,
) -> Result<Option<DecisionRecord>, StoreError> {
    Ok(db
        .opt(&DECISION, args![finding_id], decision_row)?
        .flatten())
}

pub(crate) fn decisions(
    db: &mut dyn Db,
    asset: Option<&str>,
) -> Result<Vec<DecisionRecord>, StoreError> {
    Ok(db
        .rows(&DECISIONS, args![asset], decision_row)?
        .into_iter()
        .flatten()
        .collect())
}

static ANY_EXPIRING: Sql = Sql::new(
    "expiring risk acceptances",
    "SELECT EXISTS (SELECT 1 FROM findings
                     WHERE triage = 'accepted' AND triage_expires_at IS NOT NULL
                       AND triage_expires_at <= ? AND merged_into IS NULL)",
);

static EXPIRING: Sql = Sql::new(
    "expiring risk acceptances",
    "SELECT id, triage_expires_at FROM findings
      WHERE triage = 'accepted' AND triage_expires_at IS NOT NULL
        AND triage_expires_at <= ? AND merged_into IS NULL
      ORDER BY id FOR UPDATE",
);

static EXPIRY_EVENTS: Sql = Sql::new(
    "expiring risk acceptances",
    "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                         approver, role, expires_at)
     SELECT id, triage_expires_at, 'expired', 'posture',
            CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'accepted' END,
            CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'open' END,
            'the risk acceptance expired (it said: ' || COALESCE(triage_reason, '') || ')',
            triage_approver, triage_role, triage_expires_at
       FROM findings WHERE id = ANY(?) ORDER BY id",
);

static CLEAR_EXPIRED: Sql = Sql::new(
    "expiring risk acceptances",
    "UPDATE findings SET triage = NULL, triage_reason = NULL, triage_actor = NULL,
            triage_at = NULL, triage_expires_at = NULL, triage_approver = NULL,
            triage_role = NULL
      WHERE id = ANY(?)",
);

/// Whether any acceptance is due to expire as of `now` (read before taking any write lock:
/// the common case is none).
pub(crate) fn any_expiring(db: &mut dyn Db, now: Timestamp) -> Result<bool, StoreError> {
    db.one(&ANY_EXPIRING, args![to_ms(now)], |r| r.get(0))
}

/// Turns the acceptances due as of `now` back to open, with an `expired` event each (inside
/// the caller's write transaction; their rows are locked, so a concurrent sweep of another
/// server finds nothing left to do).
pub(crate) fn expire_decisions(
    db: &mut dyn Db,
    now: Timestamp,
) -> Result<Vec<ExpiredDecision>, StoreError> {
    let expired = db.rows(&EXPIRING, args![to_ms(now)], |r| {
        Ok(ExpiredDecision {
            finding_id: r.get(0)?,
            expired_at: r.time(1)?,
        })
    })?;
    if expired.is_empty() {
        return Ok(expired);
    }
    let ids: Vec<i64> = expired.iter().map(|d| d.finding_id).collect();
    db.execute(&EXPIRY_EVENTS, args![Value::Ints(ids.clone())])?;
    db.execute(&CLEAR_EXPIRED, args![Value::Ints(ids)])?;
    Ok(expired)
}

/// An `events` row read with [`EVENT_COLUMNS`].
pub(crate) fn event_row(r: &Row<'_>) -> Result<EventRecord, StoreError> {
    Ok(EventRecord {
        id: r.get(0)?,
        finding_id: r.get(1)?,
        at: r.time(2)?,
        kind: r.get(3)?,
        scan_id: r.get(4)?,
        actor: r.get(5)?,
        from_status: r.get(6)?,
        to_status: r.get(7)?,
        reason: r.get(8)?,
        approver: r.get(9)?,
        role: r.get(10)?,
        expires_at: r.get::<Option<i64>>(11)?.map(crate::stored::from_ms),
    })
}

/// The columns [`event_row`] reads, of `events e`.
pub(crate) const EVENT_COLUMNS: &str = "e.id, e.finding_id, e.at, e.kind, e.scan_id, e.actor,
     e.from_status, e.to_status, e.reason, e.approver, e.role, e.expires_at";

pub(crate) fn event_log(db: &mut dyn Db, q: &EventQuery) -> Result<Vec<EventRecord>, StoreError> {
    let mut conds = vec!["f.merged_into IS NULL"];
    let mut args: Vec<Value<'_>> = Vec::new();
    if let Some(asset) = &q.asset {
        conds.push("a.name = ?");
        args.push(Value::text(asset));
    }
    if let Some(until) = q.until {
        conds.push("e.at <= ?");
        args.push(Value::Int(to_ms(until)));
    }
    if let Some(ids) = &q.finding_ids {
        conds.push("e.finding_id = ANY(?)");
        args.push(Value::Ints(ids.clone()));
    }
    let sql = Sql::dynamic(
        "reading the event log",
        format!(
            "SELECT {EVENT_COLUMNS}
               FROM events e JOIN findings f ON f.id = e.finding_id
               JOIN assets a ON a.id = f.asset_id
              WHERE {}
              ORDER BY e.at, e.id",
            conds.join(" AND ")
        ),
    );
    db.rows(&sql, &args, event_row)
}

static OBSERVED: Sql = Sql::new(
    "reading scan coverage",
    "SELECT DISTINCT o.scope_id, f.category
       FROM occurrences o JOIN findings f ON f.id = o.finding_id
       JOIN scopes s ON s.id = o.scope_id JOIN assets a ON a.id = s.asset_id
      WHERE CAST(?1 AS TEXT) IS NULL OR a.name = ?1",
);

static COVERAGE: Sql = Sql::new(
    "reading scan coverage",
    "SELECT s.id, a.name, s.tool, sc.format, sc.at
       FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
      WHERE sc.kind = 'findings' AND sc.at > ?1 AND sc.at <= ?2
        AND (CAST(?3 AS TEXT) IS NULL OR a.name = ?3)
      ORDER BY sc.at, sc.id",
);

pub(crate) fn scan_coverage(
    db: &mut dyn Db,
    asset: Option<&str>,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<ScanCoverageRow>, StoreError> {
    let mut observed: HashMap<i64, Vec<Category>> = HashMap::new();
    let pairs = db.rows(&OBSERVED, args![asset], |r| {
        Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
    })?;
    for (scope, cat) in pairs {
        if let Ok(c) = cat.parse::<Category>() {
            observed.entry(scope).or_default().push(c);
        }
    }
    db.rows(&COVERAGE, args![to_ms(since), to_ms(until), asset], |r| {
        let scope: i64 = r.get(0)?;
        Ok(ScanCoverageRow {
            asset: r.get(1)?,
            tool: r.get(2)?,
            format: r.get(3)?,
            at: r.time(4)?,
            observed: observed.get(&scope).cloned().unwrap_or_default(),
        })
    })
}

static ASSET_NAMES: Sql = Sql::new(
    "listing assets",
    "SELECT name FROM assets ORDER BY name COLLATE \"C\"",
);

pub(crate) fn asset_names(db: &mut dyn Db) -> Result<Vec<String>, StoreError> {
    db.rows(&ASSET_NAMES, args![], |r| r.get(0))
}
