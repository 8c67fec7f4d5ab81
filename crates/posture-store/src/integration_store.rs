//! Storage for the integrations (issue 8), a sub-trait of [`crate::Store`] so the main trait
//! stays small: the notification outbox, the event-log cursors that feed it, the Jira links and
//! the conflict log. Reached from a `dyn Store` through [`crate::Store::integrations`].

use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, JiraLink, NewConflict,
    OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;

/// The integrations' tables.
pub trait IntegrationStore: Send + Sync {
    /// Events of every finding after the event id `after`, oldest first, at most `limit`.
    fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRecord>, StoreError>;

    /// The position of an event-log reader (`None` before its first run).
    fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError>;

    /// Queues notifications and moves the cursor, in one transaction. An entry whose
    /// (destination, dedup key) is already queued is skipped. Returns how many were queued.
    fn enqueue(
        &self,
        entries: Vec<OutboxEntry>,
        cursor: Option<CursorAdvance>,
    ) -> Result<usize, StoreError>;

    /// Undelivered entries due at `now` (next attempt at or before it), oldest first.
    fn due_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxRecord>, StoreError>;

    /// Outbox entries, newest first: all, or only the undelivered ones.
    fn outbox(&self, pending_only: bool, limit: usize) -> Result<Vec<OutboxRecord>, StoreError>;

    /// Records a delivery attempt of an entry.
    fn record_attempt(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError>;

    /// Every Jira link.
    fn jira_links(&self) -> Result<Vec<JiraLink>, StoreError>;

    /// Creates or replaces the link of a group.
    fn save_jira_link(&self, link: JiraLink) -> Result<(), StoreError>;

    /// Records a conflict unless the same one (system, subject, reference, kind) is still
    /// unresolved. Returns it and whether it is new.
    fn record_conflict(&self, conflict: NewConflict) -> Result<(ConflictRecord, bool), StoreError>;

    /// Marks the unresolved conflicts of a subject in a system resolved.
    fn resolve_conflicts(
        &self,
        system: &str,
        subject: &str,
        at: Timestamp,
    ) -> Result<usize, StoreError>;

    /// Conflicts, newest first: all, or only the unresolved ones.
    fn conflicts(&self, open_only: bool) -> Result<Vec<ConflictRecord>, StoreError>;
}
