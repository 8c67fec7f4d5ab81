//! The integrations' storage: the event feed the outbox reads, cursors, the outbox, Jira links
//! and the conflict log.

use super::workflow::event_row;
use super::{Db, Row, Sql, args};
use crate::stored::{from_ms, to_ms};
use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, JiraLink, NewConflict,
    OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;

static EVENTS_AFTER: Sql = Sql::new(
    "reading the event log",
    "SELECT id, finding_id, at, kind, scan_id, actor, from_status, to_status, reason,
            approver, role, expires_at
       FROM events WHERE id > ? ORDER BY id LIMIT ?",
);

/// Events after `after` (by id), at most `limit`.
pub(crate) fn events_after(
    db: &mut dyn Db,
    after: i64,
    limit: usize,
) -> Result<Vec<EventRecord>, StoreError> {
    db.rows(&EVENTS_AFTER, args![after, limit], event_row)
}

static CURSOR: Sql = Sql::new(
    "reading a cursor",
    "SELECT position FROM integration_cursors WHERE name = ?",
);

/// Where the named consumer of the event feed stands.
pub(crate) fn cursor(db: &mut dyn Db, name: &str) -> Result<Option<i64>, StoreError> {
    db.opt(&CURSOR, args![name], |r| r.get(0))
}

static QUEUE: Sql = Sql::new(
    "queueing notifications",
    "INSERT INTO outbox (event, dedup_key, destination, payload, created_at,
                         attempts, next_attempt_at)
     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?5)
     ON CONFLICT (destination, dedup_key) DO NOTHING",
);

static ADVANCE: Sql = Sql::new(
    "queueing notifications",
    "INSERT INTO integration_cursors (name, position) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position",
);

/// Queues notifications (each once per destination and dedup key) and moves the consumer's
/// cursor, inside the caller's write transaction; answers how many were queued.
pub(crate) fn enqueue(
    db: &mut dyn Db,
    entries: &[OutboxEntry],
    cursor: Option<&CursorAdvance>,
) -> Result<usize, StoreError> {
    let mut queued = 0u64;
    for entry in entries {
        queued += db.execute(
            &QUEUE,
            args![
                entry.event.as_str(),
                entry.dedup_key.as_str(),
                entry.destination.as_str(),
                entry.payload.as_str(),
                to_ms(entry.created_at)
            ],
        )?;
    }
    if let Some(c) = cursor {
        db.execute(&ADVANCE, args![c.name.as_str(), c.position])?;
    }
    Ok(usize::try_from(queued).unwrap_or(usize::MAX))
}

const OUTBOX_COLUMNS: &str = "id, event, dedup_key, destination, payload, created_at, attempts,
     next_attempt_at, delivered_at, last_error";

fn outbox_row(r: &Row<'_>) -> Result<OutboxRecord, StoreError> {
    Ok(OutboxRecord {
        id: r.get(0)?,
        event: r.get(1)?,
        dedup_key: r.get(2)?,
        destination: r.get(3)?,
        payload: r.get(4)?,
        created_at: r.time(5)?,
        attempts: u32::try_from(r.get::<i64>(6)?.max(0)).unwrap_or(u32::MAX),
        next_attempt_at: r.time(7)?,
        delivered_at: r.get::<Option<i64>>(8)?.map(from_ms),
        last_error: r.get(9)?,
    })
}

static DUE_OUTBOX: Sql = Sql::new(
    "reading the outbox",
    "SELECT id, event, dedup_key, destination, payload, created_at, attempts,
            next_attempt_at, delivered_at, last_error
       FROM outbox
      WHERE delivered_at IS NULL AND next_attempt_at <= ?
      ORDER BY id LIMIT ?",
);

pub(crate) fn due_outbox(
    db: &mut dyn Db,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxRecord>, StoreError> {
    db.rows(&DUE_OUTBOX, args![to_ms(now), limit], outbox_row)
}

pub(crate) fn outbox(
    db: &mut dyn Db,
    pending_only: bool,
    limit: usize,
) -> Result<Vec<OutboxRecord>, StoreError> {
    let filter = if pending_only {
        "WHERE delivered_at IS NULL"
    } else {
        ""
    };
    let sql = Sql::dynamic(
        "reading the outbox",
        format!("SELECT {OUTBOX_COLUMNS} FROM outbox {filter} ORDER BY id DESC LIMIT ?"),
    );
    db.rows(&sql, args![limit], outbox_row)
}

static DELIVERED: Sql = Sql::new(
    "recording a delivery attempt",
    "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, last_error = NULL
      WHERE id = ?1 AND delivered_at IS NULL",
);

static FAILED: Sql = Sql::new(
    "recording a delivery attempt",
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
      WHERE id = ?1 AND delivered_at IS NULL",
);

pub(crate) fn record_attempt(
    db: &mut dyn Db,
    id: i64,
    at: Timestamp,
    outcome: &DeliveryOutcome,
) -> Result<(), StoreError> {
    let changed = match outcome {
        DeliveryOutcome::Delivered => db.execute(&DELIVERED, args![id, to_ms(at)])?,
        DeliveryOutcome::Failed { error, retry_at } => {
            db.execute(&FAILED, args![id, error.as_str(), to_ms(*retry_at)])?
        }
    };
    if changed == 0 {
        return Err(StoreError::NotFound(format!(
            "no undelivered outbox entry {id}"
        )));
    }
    Ok(())
}

static JIRA_LINKS: Sql = Sql::new(
    "reading the Jira links",
    "SELECT group_key, issue_key, state_hash, closed_by_sync, previous_issue_key,
            created_at, synced_at
       FROM jira_links ORDER BY group_key COLLATE \"C\"",
);

pub(crate) fn jira_links(db: &mut dyn Db) -> Result<Vec<JiraLink>, StoreError> {
    db.rows(&JIRA_LINKS, args![], |r| {
        Ok(JiraLink {
            group_key: r.get(0)?,
            issue_key: r.get(1)?,
            state_hash: r.get(2)?,
            closed_by_sync: r.get(3)?,
            previous_issue_key: r.get(4)?,
            created_at: r.time(5)?,
            synced_at: r.time(6)?,
        })
    })
}

static SAVE_JIRA_LINK: Sql = Sql::new(
    "saving a Jira link",
    "INSERT INTO jira_links (group_key, issue_key, state_hash, closed_by_sync,
                             previous_issue_key, created_at, synced_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (group_key) DO UPDATE SET
         issue_key = excluded.issue_key, state_hash = excluded.state_hash,
         closed_by_sync = excluded.closed_by_sync,
         previous_issue_key = excluded.previous_issue_key,
         synced_at = excluded.synced_at",
);

pub(crate) fn save_jira_link(db: &mut dyn Db, link: &JiraLink) -> Result<(), StoreError> {
    db.execute(
        &SAVE_JIRA_LINK,
        args![
            link.group_key.as_str(),
            link.issue_key.as_str(),
            link.state_hash.as_str(),
            link.closed_by_sync,
            link.previous_issue_key.as_deref(),
            to_ms(link.created_at),
            to_ms(link.synced_at)
        ],
    )?;
    Ok(())
}

fn conflict_row(r: &Row<'_>) -> Result<ConflictRecord, StoreError> {
    Ok(ConflictRecord {
        id: r.get(0)?,
        system: r.get(1)?,
        subject: r.get(2)?,
        reference: r.get(3)?,
        kind: r.get(4)?,
        detail: r.get(5)?,
        created_at: r.time(6)?,
        resolved_at: r.get::<Option<i64>>(7)?.map(from_ms),
    })
}

const CONFLICT_COLUMNS: &str =
    "id, system, subject, reference, kind, detail, created_at, resolved_at";

static OPEN_CONFLICT: Sql = Sql::new(
    "recording a conflict",
    "SELECT id, system, subject, reference, kind, detail, created_at, resolved_at
       FROM integration_conflicts
      WHERE system = ? AND subject = ? AND reference = ? AND kind = ?
        AND resolved_at IS NULL
      ORDER BY id LIMIT 1",
);

static NEW_CONFLICT: Sql = Sql::new(
    "recording a conflict",
    "INSERT INTO integration_conflicts (system, subject, reference, kind, detail, created_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
);

/// Records a conflict unless the same one is open (inside the caller's write transaction,
/// which serializes concurrent recorders); answers it and whether it is new.
pub(crate) fn record_conflict(
    db: &mut dyn Db,
    c: NewConflict,
) -> Result<(ConflictRecord, bool), StoreError> {
    let key = args![
        c.system.as_str(),
        c.subject.as_str(),
        c.reference.as_str(),
        c.kind.as_str()
    ];
    if let Some(found) = db.opt(&OPEN_CONFLICT, key, conflict_row)? {
        return Ok((found, false));
    }
    let id: i64 = db.one(
        &NEW_CONFLICT,
        args![
            c.system.as_str(),
            c.subject.as_str(),
            c.reference.as_str(),
            c.kind.as_str(),
            c.detail.as_str(),
            to_ms(c.at)
        ],
        |r| r.get(0),
    )?;
    Ok((
        ConflictRecord {
            id,
            system: c.system,
            subject: c.subject,
            reference: c.reference,
            kind: c.kind,
            detail: c.detail,
            created_at: c.at,
            resolved_at: None,
        },
        true,
    ))
}

static RESOLVE: Sql = Sql::new(
    "resolving conflicts",
    "UPDATE integration_conflicts SET resolved_at = ?3
      WHERE system = ?1 AND subject = ?2 AND resolved_at IS NULL",
);

pub(crate) fn resolve_conflicts(
    db: &mut dyn Db,
    system: &str,
    subject: &str,
    at: Timestamp,
) -> Result<usize, StoreError> {
    let n = db.execute(&RESOLVE, args![system, subject, to_ms(at)])?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub(crate) fn conflicts(
    db: &mut dyn Db,
    open_only: bool,
) -> Result<Vec<ConflictRecord>, StoreError> {
    let filter = if open_only {
        "WHERE resolved_at IS NULL"
    } else {
        ""
    };
    let sql = Sql::dynamic(
        "reading the conflict log",
        format!("SELECT {CONFLICT_COLUMNS} FROM integration_conflicts {filter} ORDER BY id DESC"),
    );
    db.rows(&sql, args![], conflict_row)
}
