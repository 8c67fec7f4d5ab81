//! The reconciling Jira sync (see [`sync`]), its REST client and the ADF converter.

pub mod adf;
pub mod client;
pub mod sync;

pub use client::{CallCounts, IssueState, JiraClient, Transition};
pub use sync::{Action, ActionKind, JiraDecision, SyncReport, TicketFinding, plan_groups, sync};
