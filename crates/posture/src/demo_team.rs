//! The people of the demo and what they decided in its last week: the team members, an AppSec
//! lead holding the `appsec-lead` role, and triage decisions taken through the same workflow
//! and approval rules as the server's (the demo's policy asks an AppSec lead to approve any
//! acceptance of a high or critical). So the dashboard opens on a portfolio where risks were
//! accepted with an approver and an expiry (one expiring within days), a false positive was
//! dismissed with its reason, a fix is in progress, and a request waits in the approvals queue.
//!
//! Each decision picks its finding by what it is (an asset, a rule, a severity), so it follows
//! the demo's seed and number of weeks; a decision whose finding this portfolio lacks is
//! skipped and said so.

use anyhow::Context;
use jiff::SignedDuration;
use posture_app::risk::RiskConfig;
use posture_app::workflow::{ApprovalRule, DecisionRequest, DecisionRules, NoApprovalRequired};
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::{AccessStore, AuditEntry, FindingQuery, FindingRecord, NewApproval};

/// A member of the demo company: name, team (developers) and approval role (AppSec).
pub struct Person {
    pub name: &'static str,
    pub team: Option<&'static str>,
    pub role: Option<&'static str>,
}

pub const PEOPLE: &[Person] = &[
    Person {
        name: "alice",
        team: Some("payments"),
        role: None,
    },
    Person {
        name: "bob",
        team: Some("storefront"),
        role: None,
    },
    Person {
        name: "erin",
        team: Some("identity"),
        role: None,
    },
    Person {
        name: "carol",
        team: None,
        role: Some("appsec-lead"),
    },
];

/// The role the demo policy's approvals need.
const APPROVER_ROLE: &str = "appsec-lead";
const APPROVER: &str = "carol";

/// What happened to one planned decision.
pub struct Taken {
    pub summary: String,
}

/// How one decision finds its finding.
struct Pick {
    asset: &'static str,
    rule_contains: Option<&'static str>,
    /// Reported by this tool.
    tool: Option<&'static str>,
    min_severity: Severity,
    /// Only dependency / container findings (a package with a version), not code.
    package: bool,
    /// The least risky candidate (what a team would accept or dismiss), else the most severe
    /// (what a team would work on first).
    least_risky: bool,
}

impl Pick {
    fn find<'a>(&self, open: &'a [FindingRecord], taken: &[i64]) -> Option<&'a FindingRecord> {
        let mut candidates: Vec<&FindingRecord> = open
            .iter()
            .filter(|f| f.asset == self.asset && !taken.contains(&f.id))
            .filter(|f| f.status == FindingStatus::Open && f.severity >= self.min_severity)
            .filter(|f| {
                self.rule_contains
                    .is_none_or(|r| f.rule_id.to_ascii_lowercase().contains(r))
            })
            .filter(|f| {
                self.tool
                    .is_none_or(|t| f.occurrences.iter().any(|o| o.tool == t))
            })
            .filter(|f| !self.package || f.occurrences.iter().any(|o| o.data.package.is_some()))
            .collect();
        let risk = |f: &FindingRecord| f.risk_score.unwrap_or(100.0);
        candidates.sort_by(|a, b| {
            let order = if self.least_risky {
                risk(a)
                    .total_cmp(&risk(b))
                    .then(a.severity.cmp(&b.severity))
            } else {
                b.severity
                    .cmp(&a.severity)
                    .then(risk(b).total_cmp(&risk(a)))
            };
            order
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.id.cmp(&b.id))
        });
        candidates.first().copied()
    }
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn ago(until: Timestamp, d: SignedDuration) -> Timestamp {
    until.checked_sub(d).unwrap_or(until)
}

fn ahead(until: Timestamp, d: SignedDuration) -> Timestamp {
    until.checked_add(d).unwrap_or(until)
}

/// Adds the people, then records the demo's decisions as of `until`.
pub fn record(
    store: &dyn AccessStore,
    config: Option<&RiskConfig>,
    until: Timestamp,
) -> anyhow::Result<Vec<Taken>> {
    let joined = ago(until, days(30));
    for p in PEOPLE {
        store.ensure_user(p.name, false, joined)?;
        if let Some(team) = p.team {
            store.add_membership(team, p.name, joined)?;
        }
        if let Some(role) = p.role {
            store.grant_user_role(p.name, role, "posture demo", joined)?;
        }
    }
    let policy = match posture_app::policy::policy_path(None, config) {
        Some(path) if path.is_file() => Some(posture_app::policy::load_policy(&path)?),
        _ => None,
    };
    let open = store.findings(&FindingQuery {
        status: Some(vec![FindingStatus::Open]),
        ..Default::default()
    })?;
    let mut taken_ids = Vec::new();
    let mut out = Vec::new();

    // 1. An acceptance approved by the AppSec lead that expires within days: the stale
    //    certificate-validation finding of the legacy ERP integration.
    let plan: Vec<(Pick, Plan)> = vec![
        (
            Pick {
                asset: "orders-worker",
                rule_contains: Some("cert"),
                tool: None,
                min_severity: Severity::Low,
                package: false,
                least_risky: false,
            },
            Plan::Accept {
                by: "alice",
                reason: "The legacy ERP endpoint only serves a self-signed certificate; the ERP gateway that replaces it ships next sprint (PAY-812).",
                decided: days(26),
                approved: days(25),
                expires: days(4),
            },
        ),
        // 2. A longer acceptance of a vulnerable package without reachable code, approved.
        (
            Pick {
                asset: "payments-api",
                rule_contains: None,
                tool: None,
                min_severity: Severity::High,
                package: true,
                least_risky: true,
            },
            Plan::Accept {
                by: "erin",
                reason: "The vulnerable code is not reachable from the service (no caller of the affected function); revisit when the base image is rebuilt.",
                decided: days(6),
                approved: days(5),
                expires: days(60),
            },
        ),
        // 3. A false positive dismissed by the AppSec lead.
        (
            Pick {
                asset: "checkout-web",
                rule_contains: None,
                tool: Some("semgrep"),
                min_severity: Severity::Low,
                package: false,
                least_risky: true,
            },
            Plan::Decide {
                by: APPROVER,
                state: FindingStatus::FalsePositive,
                reason: "The value comes from the build-time configuration, never from a request: not attacker-controlled.",
                decided: days(3),
            },
        ),
        // 4. A fix in progress.
        (
            Pick {
                asset: "payments-api",
                rule_contains: None,
                tool: None,
                min_severity: Severity::High,
                package: true,
                least_risky: false,
            },
            Plan::Decide {
                by: "alice",
                state: FindingStatus::InProgress,
                reason: "Upgrade in review (payments-api#482).",
                decided: days(2),
            },
        ),
        // 5. A request waiting in the approvals queue.
        (
            Pick {
                asset: "mobile-bff",
                rule_contains: None,
                tool: None,
                min_severity: Severity::High,
                package: true,
                least_risky: true,
            },
            Plan::Request {
                by: "bob",
                reason: "Only reachable behind the API gateway's WAF rule; the upgrade waits for the mobile release train (MOB-77).",
                decided: days(1),
                expires: days(45),
            },
        ),
    ];
    for (pick, plan) in plan {
        let Some(f) = pick.find(&open, &taken_ids) else {
            out.push(Taken {
                summary: format!(
                    "skipped: no open finding of {} for the planned {} in this portfolio",
                    pick.asset,
                    plan.what()
                ),
            });
            continue;
        };
        taken_ids.push(f.id);
        let rules = match &policy {
            Some(p) => posture_app::policy::approval_rules(
                store,
                config,
                p.clone(),
                f.id,
                ago(until, plan.decided()),
            )?,
            None => None,
        };
        let approval: &dyn ApprovalRule = match &rules {
            Some(r) => r,
            None => &NoApprovalRequired,
        };
        let needs = approval
            .required_role(f, plan.state())
            .is_some_and(|r| r.eq_ignore_ascii_case(APPROVER_ROLE));
        out.push(plan.apply(store, f, approval, needs, until)?);
    }
    Ok(out)
}

enum Plan {
    Accept {
        by: &'static str,
        reason: &'static str,
        decided: SignedDuration,
        approved: SignedDuration,
        expires: SignedDuration,
    },
    Decide {
        by: &'static str,
        state: FindingStatus,
        reason: &'static str,
        decided: SignedDuration,
    },
    Request {
        by: &'static str,
        reason: &'static str,
        decided: SignedDuration,
        expires: SignedDuration,
    },
}

impl Plan {
    fn what(&self) -> &'static str {
        match self {
            Plan::Accept { .. } => "approved acceptance",
            Plan::Decide { .. } => "decision",
            Plan::Request { .. } => "approval request",
        }
    }

    fn decided(&self) -> SignedDuration {
        match self {
            Plan::Accept { decided, .. }
            | Plan::Decide { decided, .. }
            | Plan::Request { decided, .. } => *decided,
        }
    }

    fn state(&self) -> FindingStatus {
        match self {
            Plan::Accept { .. } | Plan::Request { .. } => FindingStatus::Accepted,
            Plan::Decide { state, .. } => *state,
        }
    }

    fn apply(
        &self,
        store: &dyn AccessStore,
        f: &FindingRecord,
        approval: &dyn ApprovalRule,
        needs_approval: bool,
        until: Timestamp,
    ) -> anyhow::Result<Taken> {
        let audit =
            |actor: &str, action: &str, at: Timestamp, detail: serde_json::Value| AuditEntry {
                at,
                actor: actor.to_string(),
                token_id: None,
                client: Some("posture demo".into()),
                action: action.to_string(),
                target: format!("finding {}", f.id),
                detail,
            };
        let title = format!("#{} {} ({}, {})", f.id, f.title, f.asset, f.severity);
        match *self {
            Plan::Accept {
                by,
                reason,
                decided,
                approved,
                expires,
            } => {
                let asked = ago(until, decided);
                let at = ago(until, approved);
                let expires_at = ahead(until, expires);
                let approver = if needs_approval {
                    let request = store.create_approval(NewApproval {
                        finding_id: f.id,
                        from_status: f.status.to_string(),
                        state: FindingStatus::Accepted.to_string(),
                        reason: reason.to_string(),
                        expires_at: Some(expires_at),
                        role: APPROVER_ROLE.to_string(),
                        rule_id: Some("accepting-high-needs-appsec-lead".into()),
                        requested_by: by.to_string(),
                        requested_token: None,
                        at: asked,
                    })?;
                    store.record_audit(audit(
                        by,
                        "approval.request",
                        asked,
                        serde_json::json!({"request": request.id, "state": "accepted", "reason": reason}),
                    ))?;
                    store
                        .close_approval(
                            request.id,
                            "pending",
                            "approved",
                            Some(APPROVER),
                            Some(at),
                            Some("Compensating control confirmed; expiry tracked."),
                        )?
                        .context("the demo's approval request was decided meanwhile")?;
                    Some(APPROVER)
                } else {
                    None
                };
                posture_app::workflow::decide_audited(
                    store,
                    DecisionRequest {
                        finding_id: f.id,
                        state: FindingStatus::Accepted,
                        reason: reason.to_string(),
                        actor: by.to_string(),
                        until: Some(expires_at),
                        approver: approver.map(str::to_string),
                        role: approver.map(|_| APPROVER_ROLE.to_string()),
                        at,
                        unauthenticated: false,
                    },
                    &DecisionRules {
                        approval,
                        acceptance_needs_expiry: true,
                    },
                    Some(audit(
                        approver.unwrap_or(by),
                        if approver.is_some() {
                            "approval.approve"
                        } else {
                            "finding.triage"
                        },
                        at,
                        serde_json::json!({"state": "accepted", "reason": reason, "expires": expires_at.to_string()}),
                    )),
                )
                .with_context(|| format!("the demo's acceptance of finding {}", f.id))?;
                Ok(Taken {
                    summary: match approver {
                        Some(a) => format!(
                            "accepted {title} by {by}, approved by {a} ({APPROVER_ROLE}), until {}",
                            expires_at.strftime("%Y-%m-%d")
                        ),
                        None => format!(
                            "accepted {title} by {by}, until {}",
                            expires_at.strftime("%Y-%m-%d")
                        ),
                    },
                })
            }
            Plan::Decide {
                by,
                state,
                reason,
                decided,
            } => {
                let at = ago(until, decided);
                posture_app::workflow::decide_audited(
                    store,
                    DecisionRequest {
                        finding_id: f.id,
                        state,
                        reason: reason.to_string(),
                        actor: by.to_string(),
                        until: None,
                        approver: None,
                        role: None,
                        at,
                        unauthenticated: false,
                    },
                    &DecisionRules {
                        approval,
                        acceptance_needs_expiry: true,
                    },
                    Some(audit(
                        by,
                        "finding.triage",
                        at,
                        serde_json::json!({"state": state.to_string(), "reason": reason}),
                    )),
                )
                .with_context(|| format!("the demo's decision on finding {}", f.id))?;
                Ok(Taken {
                    summary: format!("{state} {title} by {by}"),
                })
            }
            Plan::Request {
                by,
                reason,
                decided,
                expires,
            } => {
                let at = ago(until, decided);
                let request = store.create_approval(NewApproval {
                    finding_id: f.id,
                    from_status: f.status.to_string(),
                    state: FindingStatus::Accepted.to_string(),
                    reason: reason.to_string(),
                    expires_at: Some(ahead(until, expires)),
                    role: APPROVER_ROLE.to_string(),
                    rule_id: Some("accepting-high-needs-appsec-lead".into()),
                    requested_by: by.to_string(),
                    requested_token: None,
                    at,
                })?;
                store.record_audit(audit(
                    by,
                    "approval.request",
                    at,
                    serde_json::json!({"request": request.id, "state": "accepted", "reason": reason}),
                ))?;
                Ok(Taken {
                    summary: format!(
                        "acceptance of {title} asked by {by}: waits for an {APPROVER_ROLE} (request {})",
                        request.id
                    ),
                })
            }
        }
    }
}
