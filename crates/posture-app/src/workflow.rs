//! Triage workflow seams: the rules that decide how long a finding may stay open (SLA) and who
//! must approve a triage decision.
//!
//! They are traits so that the policy engine (crate `posture-policy`) can supply them from a
//! policy file while the CLI, the server and the tests fall back to the defaults defined here:
//! [`DefaultSla`] (critical 7 days, high 30, medium 90, low 180, info none) and
//! [`NoApprovalRequired`].

use posture_model::{FindingStatus, Severity};
use posture_store::FindingRecord;

/// How many days a finding may stay unresolved before it breaches its SLA; `None` means no SLA.
pub trait SlaRule: Send + Sync {
    fn sla_days(&self, finding: &FindingRecord) -> Option<u32>;
}

/// Who must approve moving a finding to `to`; `None` means anyone may decide alone.
pub trait ApprovalRule: Send + Sync {
    fn required_role(&self, finding: &FindingRecord, to: FindingStatus) -> Option<String>;
}

/// The SLA most programmes start from: critical 7 days, high 30, medium 90, low 180, info none.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultSla;

impl DefaultSla {
    /// The default number of days for a severity.
    pub fn days_for(severity: Severity) -> Option<u32> {
        match severity {
            Severity::Critical => Some(7),
            Severity::High => Some(30),
            Severity::Medium => Some(90),
            Severity::Low => Some(180),
            Severity::Info => None,
        }
    }
}

impl SlaRule for DefaultSla {
    fn sla_days(&self, finding: &FindingRecord) -> Option<u32> {
        Self::days_for(finding.severity)
    }
}

/// No decision needs an approver with a particular role.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoApprovalRequired;

impl ApprovalRule for NoApprovalRequired {
    fn required_role(&self, _finding: &FindingRecord, _to: FindingStatus) -> Option<String> {
        None
    }
}
