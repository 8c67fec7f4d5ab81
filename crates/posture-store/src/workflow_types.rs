//! Types of the triage workflow's storage: decisions with expiry and approver, event queries
//! for metrics and SLAs, scan coverage.

use posture_model::{Category, EventKind, FindingStatus, Timestamp};
use serde::Serialize;

/// A triage decision to record. The caller (posture-app's workflow) has checked the transition
/// against the state machine; the store re-reads the finding inside its transaction and refuses
/// the change if the finding is no longer in `expected_from`.
#[derive(Debug, Clone)]
pub struct DecisionChange {
    pub finding_id: i64,
    /// The state the caller decided from (the displayed status).
    pub expected_from: FindingStatus,
    /// The new state; `Open` clears the decision.
    pub state: FindingStatus,
    pub reason: String,
    /// Who decided: a person, or `vex:<report>` for a VEX statement.
    pub actor: String,
    /// Who approved it, when the decision needed (or was given) an approval.
    pub approver: Option<String>,
    /// The approver's role.
    pub role: Option<String>,
    /// For an acceptance (or deferral): when it expires and the finding opens again.
    pub expires_at: Option<Timestamp>,
    pub at: Timestamp,
}

/// The triage decision currently on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    pub finding_id: i64,
    pub state: FindingStatus,
    pub reason: Option<String>,
    /// Who decided (absent for decisions recorded before the workflow existed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl DecisionRecord {
    /// Whether a person made it (VEX statements are recorded with actor `vex:<report>`).
    pub fn by_person(&self) -> bool {
        !self.actor.as_deref().is_some_and(|a| a.starts_with("vex:"))
    }
}

/// An acceptance that reached its expiry and was turned back to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredDecision {
    pub finding_id: i64,
    pub expired_at: Timestamp,
}

/// Which events to read. Every filter is optional; events of merged findings are left out.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub finding_ids: Option<Vec<i64>>,
    pub asset: Option<String>,
    /// Only events at or before this time.
    pub until: Option<Timestamp>,
}

/// An event to append to the log (one without a state change of its own, or whose change the
/// caller recorded: `sla-breached`, `noted`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub finding_id: i64,
    pub at: Timestamp,
    pub kind: EventKind,
    pub actor: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
}

/// One findings scan (not a runtime inventory) with the categories its scope has ever
/// reported, for scanner coverage.
#[derive(Debug, Clone, Serialize)]
pub struct ScanCoverageRow {
    pub asset: String,
    pub tool: String,
    /// The parser's format id (to fall back on its categories when the scope reported none).
    pub format: String,
    pub at: Timestamp,
    /// Categories the scope's own occurrences were reported with, ever (each occurrence's
    /// category, not that of the finding correlation joined it to).
    pub observed: Vec<Category>,
}
