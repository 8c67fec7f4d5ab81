//! The integrations' tables on PostgreSQL (migration 6): which connection each call takes (the
//! statements are `crate::sql::integrations`); a transaction-level advisory lock on a
//! conflict's identity serializes concurrent servers recording it, so it is recorded once.

use super::{PostgresStore, asset_lock, lock, write};
use crate::sql::integrations as sql;
use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, IntegrationStore, JiraLink,
    NewConflict, OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;

/// The advisory lock key serializing the recording of one conflict.
fn conflict_lock(c: &NewConflict) -> i64 {
    asset_lock(&format!(
        "\0conflict {}\0{}\0{}\0{}",
        c.system, c.subject, c.reference, c.kind
    ))
}

impl IntegrationStore for PostgresStore {
    fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::events_after(&mut *client, after, limit)
    }

    fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let mut client = self.pool.get()?;
        sql::cursor(&mut *client, name)
    }

    fn enqueue(
        &self,
        entries: Vec<OutboxEntry>,
        cursor: Option<CursorAdvance>,
    ) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "queueing notifications", |db| {
            sql::enqueue(db, &entries, cursor.as_ref())
        })
    }

    fn due_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::due_outbox(&mut *client, now, limit)
    }

    fn outbox(&self, pending_only: bool, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::outbox(&mut *client, pending_only, limit)
    }

    fn record_attempt(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        sql::record_attempt(&mut *client, id, at, &outcome)
    }

    fn jira_links(&self) -> Result<Vec<JiraLink>, StoreError> {
        let mut client = self.pool.get()?;
        sql::jira_links(&mut *client)
    }

    fn save_jira_link(&self, link: JiraLink) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        sql::save_jira_link(&mut *client, &link)
    }

    fn record_conflict(&self, c: NewConflict) -> Result<(ConflictRecord, bool), StoreError> {
        let e = StoreError::pg("recording a conflict");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        // Two servers seeing the same disagreement at once record it once.
        lock(&mut tx, conflict_lock(&c), "recording a conflict")?;
        let recorded = sql::record_conflict(&mut tx, c)?;
        tx.commit().map_err(e)?;
        Ok(recorded)
    }

    fn resolve_conflicts(
        &self,
        system: &str,
        subject: &str,
        at: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        sql::resolve_conflicts(&mut *client, system, subject, at)
    }

    fn conflicts(&self, open_only: bool) -> Result<Vec<ConflictRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::conflicts(&mut *client, open_only)
    }
}
