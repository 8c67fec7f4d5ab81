//! The integrations' storage: the event feed the outbox reads, cursors, the outbox, Jira links
//! and the conflict log.

use super::workflow::event_row;
use super::{Db, Sql, args};
use crate::{EventRecord, StoreError};

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
