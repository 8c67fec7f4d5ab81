//! The storage the triage workflow needs, as a part of [`crate::Store`] kept in its own trait
//! (every back end implements it): decisions with expiry and approver, the set-based expiry
//! sweep, bulk event reads for SLAs and metrics, and scan coverage.

use crate::{
    DecisionChange, DecisionRecord, EventQuery, EventRecord, ExpiredDecision, NewEvent,
    ScanCoverageRow, StoreError,
};
use posture_model::Timestamp;

pub trait WorkflowStore: Send + Sync {
    /// Records triage decisions (and their `triaged` events) in one transaction: all or none.
    /// Each is refused if its finding is not in `expected_from` any more, is merged or absent.
    fn record_decisions(&self, changes: Vec<DecisionChange>) -> Result<usize, StoreError> {
        self.record_decisions_audited(changes, None)
    }

    /// [`WorkflowStore::record_decisions`] with an audit entry written in the same transaction.
    fn record_decisions_audited(
        &self,
        changes: Vec<DecisionChange>,
        audit: Option<crate::AuditEntry>,
    ) -> Result<usize, StoreError>;

    /// The decision currently on a finding, if any.
    fn decision(&self, finding_id: i64) -> Result<Option<DecisionRecord>, StoreError>;

    /// The decisions currently on the findings of an asset (every asset when `None`).
    fn decisions(&self, asset: Option<&str>) -> Result<Vec<DecisionRecord>, StoreError>;

    /// Turns every acceptance whose expiry is at or before `now` back to open, with an
    /// `expired` event dated at the expiry; one set-based statement each, nothing written when
    /// nothing expired.
    fn expire_decisions(&self, now: Timestamp) -> Result<Vec<ExpiredDecision>, StoreError>;

    /// Events matching the query in one read, oldest first.
    fn event_log(&self, query: &EventQuery) -> Result<Vec<EventRecord>, StoreError>;

    /// Appends events (one transaction).
    fn append_events(&self, events: Vec<NewEvent>) -> Result<usize, StoreError>;

    /// Findings scans with `since < at <= until` (of one asset when given), with the
    /// categories each scan's scope has reported.
    fn scan_coverage(
        &self,
        asset: Option<&str>,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<ScanCoverageRow>, StoreError>;

    /// The names of every asset Posture has scans for.
    fn asset_names(&self) -> Result<Vec<String>, StoreError>;
}
