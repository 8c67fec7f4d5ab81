//! Types of the integrations' storage: the outbox of notifications, the Jira links, the
//! integration conflict log and the event-log cursors.

use posture_model::Timestamp;
use serde::Serialize;

/// A notification to deliver: written once per (destination, dedup key).
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The event kind (`new-critical`, `regression`, `sla-breach`, `gate-failure`...).
    pub event: String,
    /// What makes the event unique (`regression:event-42`): the same event is never queued
    /// twice for one destination.
    pub dedup_key: String,
    /// The name of the `[[webhook]]` to deliver to (never its URL: URLs can hold secrets).
    pub destination: String,
    /// The body to send, already in the destination's format.
    pub payload: String,
    pub created_at: Timestamp,
}

/// An outbox row as stored.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRecord {
    pub id: i64,
    pub event: String,
    pub dedup_key: String,
    pub destination: String,
    #[serde(skip)]
    pub payload: String,
    pub created_at: Timestamp,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone)]
pub enum DeliveryOutcome {
    Delivered,
    /// Not delivered: try again at `retry_at`.
    Failed {
        error: String,
        retry_at: Timestamp,
    },
}

/// Where an event-log reader stopped, moved in the transaction that writes what it read.
#[derive(Debug, Clone)]
pub struct CursorAdvance {
    pub name: String,
    /// The last event id read.
    pub position: i64,
}

/// The stored link between a Jira issue and a group of findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JiraLink {
    /// The group (`finding:12`, `package:shop:npm/lodash@4.17.20`, `rule:...`, `asset:shop`).
    pub group_key: String,
    pub issue_key: String,
    /// Hash of the fields the sync last pushed (to update only what changed).
    pub state_hash: String,
    /// Whether the sync itself closed the issue (so a done issue was not closed by a person).
    pub closed_by_sync: bool,
    /// The issue this one replaced, when a regression created a new linked issue.
    pub previous_issue_key: Option<String>,
    pub created_at: Timestamp,
    pub synced_at: Timestamp,
}

/// A disagreement between Posture and another system that a person must settle.
#[derive(Debug, Clone, Serialize)]
pub struct ConflictRecord {
    pub id: i64,
    /// `jira`.
    pub system: String,
    /// What in Posture (`package:shop:npm/lodash@4.17.20`).
    pub subject: String,
    /// What in the other system (`SEC-12`).
    pub reference: String,
    /// A stable code (`closed-wont-fix-not-allowed`, `closed-while-open`).
    pub kind: String,
    pub detail: String,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// A new conflict to record.
#[derive(Debug, Clone)]
pub struct NewConflict {
    pub system: String,
    pub subject: String,
    pub reference: String,
    pub kind: String,
    pub detail: String,
    pub at: Timestamp,
}
