//! Posture's policies as code: a TOML file, reviewed like code, of `[[rule]]`s whose
//! condition is a [CEL](https://cel.dev) expression over a typed context (the finding, its
//! asset and its owner: [`PolicyContext`]).
//!
//! This crate exists so the CI gate, SLA selection, approvals and the policy backtest share
//! one parser and one evaluator, and so a policy file is checked completely (every error at
//! once, with file, line and column) before it decides anything. Pure: it parses text handed
//! to it and evaluates contexts handed to it; no I/O, no clock (times are passed in).
//!
//! ```toml
//! [[rule]]
//! id = "prod-high-blocks"                    # stable, unique: shown in gate output
//! description = "High severity in a production-tagged asset blocks merge"
//! when = 'finding.severity_rank >= 3 && "production" in asset.tags'
//! action = "block"                           # block | warn | require_approval | escalate | set_sla
//! mode = "enforce"                           # enforce (default) | log-only
//! valid_from = "2026-01-01"                  # optional validity window, inclusive, UTC dates
//! valid_until = "2026-12-31"
//!
//! [[rule]]
//! id = "customer-data-critical-needs-vp"
//! when = 'finding.severity == "critical" && "customer-data" in asset.data'
//! action = "require_approval"
//! role = "vp"
//! for = ["accepted"]                         # optional: default accepted, false-positive, not-affected
//! max_days = 90                              # optional: the longest acceptance allowed
//! allow_unauthenticated = false              # optional: refuse approvals from the CLI on a local database
//!
//! [[rule]]
//! id = "pci-old-escalate"
//! when = '"pci-dss" in asset.compliance'
//! action = "escalate"
//! after_days = 30                            # optional: only findings at least this old
//! target = "jira:SEC"                        # optional: where the escalation goes
//!
//! [[rule]]
//! id = "internet-critical-sla"
//! when = 'asset.exposure == "internet-facing" && finding.severity == "critical"'
//! action = "set_sla"
//! days = 3
//! ```
//!
//! # Semantics
//!
//! * `block` fails the gate (exit 1) in `enforce` mode; `warn` is reported only. A
//!   `log-only` rule of any action is reported ("would block") and never changes anything.
//! * `require_approval`: a triage decision to one of the `for` states counts as an exception
//!   only when its approver holds `role` (on a server, the decision waits as a request until
//!   a holder of the role approves it). `max_days = 90` caps how long an acceptance under the
//!   rule may last; `allow_unauthenticated = false` refuses approvals given without
//!   authentication (the CLI on a local database).
//! * `escalate`: reported by the gate and the backtest for the ticketing integration.
//! * `set_sla`: the first enforced `set_sla` rule that holds, in file order, sets the SLA
//!   days; without one the defaults apply (critical 7, high 30, medium 90, low 180 days).
//!   Its condition sees `finding.sla` computed under the defaults.
//!
//! # Diagnostic codes
//!
//! | code | meaning |
//! |---|---|
//! | `P001` | TOML syntax |
//! | `P002` | unknown key (with "did you mean") |
//! | `P003` | wrong type (`[rule]` instead of `[[rule]]`, a number where a string goes) |
//! | `P004` | missing key (`id`, `when`, `action`; `days` for `set_sla`) |
//! | `P005` | unknown action |
//! | `P006` | `require_approval` without `role` |
//! | `P007` | CEL syntax error, at its position in the expression |
//! | `P008` | unknown variable or field (`finding.sevrity`), with "did you mean" |
//! | `P009` | type error: the expression fails or is not a boolean on a sample finding |
//! | `P010` | invalid value (mode, date, days, `for` state, window end before start) |
//! | `P011` | duplicate rule id |
//! | `P012` | a key that does not apply to the rule's action (`role` on `block`) |

mod context;
mod eval;
mod parse;

use std::sync::Arc;

use serde::Serialize;

pub use context::{
    AssetContext, FindingContext, OwnerContext, PolicyContext, SlaContext, severity_rank,
};
pub use eval::{Evaluation, RuleError, RuleMatch};
pub use parse::{APPROVAL_STATES, VARIABLES};
pub use posture_config::{ConfigErrors as Diagnostics, Diagnostic, RenderStyle};

/// What a rule does when its condition holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Action {
    /// Fails the gate.
    Block,
    /// Reported, never fails the gate.
    Warn,
    /// A triage decision to one of `states` needs the approval of `role`.
    RequireApproval {
        role: String,
        states: Vec<String>,
        /// The longest an acceptance under this rule may last, in days from the decision.
        max_days: Option<u32>,
        /// Whether a decision taken without authentication (the CLI on a local database,
        /// which records the operating-system user) may carry this approval (default true).
        allow_unauthenticated: bool,
    },
    /// Open or bump a ticket (the ticketing integration reads it).
    Escalate {
        after_days: Option<u32>,
        target: Option<String>,
    },
    /// The finding's SLA in days.
    SetSla { days: u32 },
}

impl Action {
    /// The word used in the policy file.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Warn => "warn",
            Action::RequireApproval { .. } => "require_approval",
            Action::Escalate { .. } => "escalate",
            Action::SetSla { .. } => "set_sla",
        }
    }
}

/// Whether a rule acts or is only reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Enforce,
    LogOnly,
}

/// One `[[rule]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: Option<String>,
    /// The CEL source of the condition.
    pub when: String,
    pub(crate) program: Arc<cel::Program>,
    pub action: Action,
    pub mode: Mode,
    pub valid_from: Option<jiff::civil::Date>,
    pub valid_until: Option<jiff::civil::Date>,
    /// Line of the `[[rule]]` header in the file.
    pub line: usize,
}

/// A checked policy file.
#[derive(Clone)]
pub struct Policy {
    source_name: String,
    rules: Vec<Rule>,
    env: Arc<cel::Env>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("source_name", &self.source_name)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Parses and checks a policy file; every problem is reported at once.
    pub fn parse(source: &str, file_name: &str) -> Result<Policy, Diagnostics> {
        parse::parse_policy(file_name, source)
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The name the policy was parsed from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
}
