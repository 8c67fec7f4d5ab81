use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state of a finding, as shown to people and scripts (`status` in JSON output).
///
/// `Open` and `Fixed` are decided by scans: a finding is fixed when no scan reports it any
/// more. The other states are triage decisions made by a person; they survive re-imports.
/// A finding that a person triaged and that scanners stop reporting becomes `Fixed`; if it
/// comes back, it returns to its triage state (the decision is kept) and counts a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    Open,
    Confirmed,
    InProgress,
    FalsePositive,
    Accepted,
    NotAffected,
    Fixed,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 7] = [
        FindingStatus::Open,
        FindingStatus::Confirmed,
        FindingStatus::InProgress,
        FindingStatus::FalsePositive,
        FindingStatus::Accepted,
        FindingStatus::NotAffected,
        FindingStatus::Fixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Confirmed => "confirmed",
            FindingStatus::InProgress => "in-progress",
            FindingStatus::FalsePositive => "false-positive",
            FindingStatus::Accepted => "accepted",
            FindingStatus::NotAffected => "not-affected",
            FindingStatus::Fixed => "fixed",
        }
    }

    /// States a person can set with triage (everything but `open` and `fixed`, which scans decide,
    /// plus `open` to undo a decision).
    pub fn is_triage_state(self) -> bool {
        !matches!(self, FindingStatus::Fixed)
    }
}

impl fmt::Display for FindingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FindingStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        FindingStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "unknown status `{s}` (expected one of: {})",
                    FindingStatus::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// Kinds of entries in the append-only event log. MTTR and trends are computed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// First time any scan reported the finding.
    Opened,
    /// No scan reports it any more.
    Fixed,
    /// A fixed finding was reported again (a regression).
    Reopened,
    /// A person changed its triage state (or a VEX statement did, actor `vex:<report>`).
    Triaged,
    /// A risk acceptance (or deferral) reached its expiry date: the finding is open again.
    Expired,
    /// The finding passed its SLA due date (recorded once per open cycle, at the due time).
    SlaBreached,
    /// A fact recorded without a state change (a VEX `fixed` statement).
    Noted,
    /// Its risk score or band moved (a feed import, runtime evidence, the asset's context, a
    /// new model version): bands as from/to, the scores and the terms that moved as reason.
    Rescored,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Fixed => "fixed",
            EventKind::Reopened => "reopened",
            EventKind::Triaged => "triaged",
            EventKind::Expired => "expired",
            EventKind::SlaBreached => "sla-breached",
            EventKind::Noted => "noted",
            EventKind::Rescored => "rescored",
        }
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "opened" => EventKind::Opened,
            "fixed" => EventKind::Fixed,
            "reopened" => EventKind::Reopened,
            "triaged" => EventKind::Triaged,
            "expired" => EventKind::Expired,
            "sla-breached" => EventKind::SlaBreached,
            "noted" => EventKind::Noted,
            "rescored" => EventKind::Rescored,
            other => return Err(format!("unknown event kind `{other}`")),
        })
    }
}
