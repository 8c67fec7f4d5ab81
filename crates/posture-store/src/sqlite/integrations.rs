//! The integrations' tables on SQLite (migration 6): which connection each call takes (the
//! statements are `crate::sql::integrations`); the single writer records a conflict once.

use super::{SqliteStore, write};
use crate::sql::integrations as sql;
use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, IntegrationStore, JiraLink,
    NewConflict, OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;

impl IntegrationStore for SqliteStore {
    fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|c| sql::events_after(&mut &*c, after, limit))
    }

    fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.read(|c| sql::cursor(&mut &*c, name))
    }

    fn enqueue(
        &self,
        entries: Vec<OutboxEntry>,
        cursor: Option<CursorAdvance>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "queueing notifications", |db| {
            sql::enqueue(db, &entries, cursor.as_ref())
        })
    }

    fn due_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        self.read(|c| sql::due_outbox(&mut &*c, now, limit))
    }

    fn outbox(&self, pending_only: bool, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        self.read(|c| sql::outbox(&mut &*c, pending_only, limit))
    }

    fn record_attempt(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let conn = self.lock()?;
        sql::record_attempt(&mut &*conn, id, at, &outcome)
    }

    fn jira_links(&self) -> Result<Vec<JiraLink>, StoreError> {
        self.read(|c| sql::jira_links(&mut &*c))
    }

    fn save_jira_link(&self, link: JiraLink) -> Result<(), StoreError> {
        let conn = self.lock()?;
        sql::save_jira_link(&mut &*conn, &link)
    }

    fn record_conflict(&self, c: NewConflict) -> Result<(ConflictRecord, bool), StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "recording a conflict", |db| {
            sql::record_conflict(db, c)
        })
    }

    fn resolve_conflicts(
        &self,
        system: &str,
        subject: &str,
        at: Timestamp,
    ) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        sql::resolve_conflicts(&mut &*conn, system, subject, at)
    }

    fn conflicts(&self, open_only: bool) -> Result<Vec<ConflictRecord>, StoreError> {
        self.read(|c| sql::conflicts(&mut &*c, open_only))
    }
}
