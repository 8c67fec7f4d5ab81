//! Evaluation of a parsed policy against one finding's context.

use std::sync::Arc;

use serde::Serialize;

use crate::context::PolicyContext;
use crate::{Action, Mode, Policy, Rule};

/// A rule whose condition held for a finding (and whose validity window covers the time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMatch {
    pub rule_id: String,
    pub description: Option<String>,
    pub action: Action,
    pub mode: Mode,
    /// Line of the rule's `[[rule]]` in the policy file.
    pub line: usize,
}

impl RuleMatch {
    /// Whether this match fails the gate: an enforced `block`.
    pub fn blocks(&self) -> bool {
        self.mode == Mode::Enforce && self.action == Action::Block
    }
}

/// A rule that could not be evaluated for a finding (a `null` compared, a function given
/// the wrong type): the gate treats it as an error, never as a pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleError {
    pub rule_id: String,
    pub line: usize,
    pub message: String,
}

/// Every match and every evaluation error of one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evaluation {
    pub matches: Vec<RuleMatch>,
    pub errors: Vec<RuleError>,
}

/// A CEL context holding `finding`, `asset` and `owner`.
pub(crate) fn cel_context<'a>(
    env: &Arc<cel::Env>,
    ctx: &PolicyContext,
) -> Result<cel::Context<'a, 'a>, cel::ExecutionError> {
    let mut c = cel::Context::with_env(env.clone());
    let conv = |e: cel::SerializationError| cel::ExecutionError::FunctionError {
        function: "policy context".into(),
        message: e.to_string(),
    };
    c.add_variable_from_value("finding", cel::to_value(&ctx.finding).map_err(conv)?);
    c.add_variable_from_value("asset", cel::to_value(&ctx.asset).map_err(conv)?);
    c.add_variable_from_value("owner", cel::to_value(&ctx.owner).map_err(conv)?);
    Ok(c)
}

impl Rule {
    /// Whether the rule's validity window covers `now` (dates in UTC; both ends inclusive).
    pub fn is_valid_at(&self, now: jiff::Timestamp) -> bool {
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        self.valid_from.is_none_or(|from| today >= from)
            && self.valid_until.is_none_or(|until| today <= until)
    }
}

impl Policy {
    /// The rules that hold for this context at `now` (errors are left out: see
    /// [`Policy::evaluate_checked`]).
    pub fn evaluate(&self, ctx: &PolicyContext, now: jiff::Timestamp) -> Vec<RuleMatch> {
        self.evaluate_checked(ctx, now).matches
    }

    /// Every rule, in file order: the matches, and the rules that failed to evaluate.
    ///
    /// A rule counts only inside its validity window; an `escalate` rule with `after_days`
    /// only when the finding is at least that many days old.
    pub fn evaluate_checked(&self, ctx: &PolicyContext, now: jiff::Timestamp) -> Evaluation {
        let mut out = Evaluation::default();
        let active: Vec<&Rule> = self.rules.iter().filter(|r| r.is_valid_at(now)).collect();
        if active.is_empty() {
            return out;
        }
        let cel_ctx = match cel_context(&self.env, ctx) {
            Ok(c) => c,
            Err(e) => {
                for r in active {
                    out.errors.push(RuleError {
                        rule_id: r.id.clone(),
                        line: r.line,
                        message: e.to_string(),
                    });
                }
                return out;
            }
        };
        for r in active {
            if let Action::Escalate {
                after_days: Some(d),
                ..
            } = &r.action
                && ctx.finding.age_days < i64::from(*d)
            {
                continue;
            }
            match r.program.execute(&cel_ctx) {
                Ok(cel::Value::Bool(true)) => out.matches.push(RuleMatch {
                    rule_id: r.id.clone(),
                    description: r.description.clone(),
                    action: r.action.clone(),
                    mode: r.mode,
                    line: r.line,
                }),
                Ok(cel::Value::Bool(false)) => {}
                Ok(other) => out.errors.push(RuleError {
                    rule_id: r.id.clone(),
                    line: r.line,
                    message: format!("`when` gave {other:?}, not a boolean"),
                }),
                Err(e) => out.errors.push(RuleError {
                    rule_id: r.id.clone(),
                    line: r.line,
                    message: e.to_string(),
                }),
            }
        }
        out
    }

    /// The SLA days the policy sets for this context: the first enforced `set_sla` rule that
    /// holds (in file order), with its id; `None` when no rule sets one.
    pub fn sla_days(&self, ctx: &PolicyContext, now: jiff::Timestamp) -> Option<(u32, String)> {
        self.evaluate(ctx, now)
            .into_iter()
            .find_map(|m| match m.action {
                Action::SetSla { days } if m.mode == Mode::Enforce => Some((days, m.rule_id)),
                _ => None,
            })
    }

    /// The roles whose approval a triage decision to `state` needs (enforced
    /// `require_approval` rules that hold and name that state).
    pub fn required_roles(
        &self,
        ctx: &PolicyContext,
        state: &str,
        now: jiff::Timestamp,
    ) -> Vec<RuleMatch> {
        self.evaluate(ctx, now)
            .into_iter()
            .filter(|m| {
                m.mode == Mode::Enforce
                    && matches!(&m.action, Action::RequireApproval { states, .. } if states.iter().any(|s| s == state))
            })
            .collect()
    }
}
