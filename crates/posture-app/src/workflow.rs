//! Triage workflow seams: the rules that decide how long a finding may stay open (SLA) and who
//! must approve a triage decision.
//!
//! They are traits so that the policy engine (crate `posture-policy`) can supply them from a
//! policy file while the CLI, the server and the tests fall back to the defaults defined here:
//! [`DefaultSla`] (critical 7 days, high 30, medium 90, low 180, info none) and
//! [`NoApprovalRequired`].
//!
//! It also holds the triage state machine ([`allowed_transitions`]) and the use cases that
//! change a finding's triage state: a person's decision ([`decide`]: acceptance with expiry and
//! approver), the expiry sweep ([`expire`]) and VEX statements ([`apply_vex`]). Every change
//! goes to the event log with who, why, the approver, the role and the expiry.

use crate::AppError;
use posture_model::{
    EventKind, FindingStatus, Severity, Timestamp, VexStatement, VexStatus, normalize_vuln_id,
};
use posture_store::{
    DecisionChange, DecisionRecord, ExpiredDecision, FindingRecord, NewEvent, Store,
};
use std::collections::HashMap;

/// Reads a date (`2026-03-31`: that day at 00:00 UTC) or an RFC 3339 time: the one reading of
/// every date a person types (triage and token expiries, `--at`), in the CLI and the API.
pub fn parse_date_or_time(text: &str) -> Result<Timestamp, AppError> {
    let text = text.trim();
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| AppError::Invalid(format!("`{text}` is out of range: {e}")));
    }
    text.parse::<Timestamp>().map_err(|_| {
        AppError::Invalid(format!(
            "`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time"
        ))
    })
}

/// How many days a finding may stay unresolved before it breaches its SLA; `None` means no SLA.
pub trait SlaRule: Send + Sync {
    fn sla_days(&self, finding: &FindingRecord) -> Option<u32>;
}

/// Who must approve moving a finding to `to`; `None` means anyone may decide alone.
pub trait ApprovalRule: Send + Sync {
    fn required_role(&self, finding: &FindingRecord, to: FindingStatus) -> Option<String>;

    /// The whole requirement (role, the rule that asks, a cap on an acceptance's length,
    /// whether an unauthenticated decision may carry the approval). By default only the role.
    fn requirement(&self, finding: &FindingRecord, to: FindingStatus) -> Option<ApprovalNeed> {
        self.required_role(finding, to).map(|role| ApprovalNeed {
            role,
            rule_id: None,
            max_days: None,
            allow_unauthenticated: true,
        })
    }
}

/// What a policy's `require_approval` rule asks of one decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalNeed {
    /// The role whose holder must approve (another person than the one who decides).
    pub role: String,
    /// The rule that asks for it.
    pub rule_id: Option<String>,
    /// The longest an acceptance may last, in days from the decision.
    pub max_days: Option<u32>,
    /// Whether a decision taken without authentication may carry the approval.
    pub allow_unauthenticated: bool,
}

/// The SLA most programmes start from: critical 7 days, high 30, medium 90, low 180, info none.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultSla;

impl DefaultSla {
    /// The default number of days for a severity (a finding not yet assessed).
    pub fn days_for(severity: Severity) -> Option<u32> {
        posture_model::default_sla_days(None, severity)
    }
}

impl SlaRule for DefaultSla {
    /// By the finding's stored risk band when assessed, else by its severity
    /// ([`posture_model::default_sla_days`]).
    fn sla_days(&self, finding: &FindingRecord) -> Option<u32> {
        posture_model::default_sla_days(finding.risk_band.as_deref(), finding.severity)
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

// ---------------------------------------------------------------------------------------------
// The triage state machine
// ---------------------------------------------------------------------------------------------

/// The moves a finding may make by triage, from each displayed state.
///
/// | from \ to      | open | confirmed | in-progress | false-positive | accepted | not-affected |
/// |----------------|------|-----------|-------------|----------------|----------|--------------|
/// | open           |      | ✔         | ✔           | ✔              | ✔        | ✔            |
/// | confirmed      | ✔    |           | ✔           | ✔              | ✔        | ✔            |
/// | in-progress    | ✔    | ✔         |             | ✔              | ✔        | ✔            |
/// | false-positive | ✔    | ✔         |             |                |          |              |
/// | accepted       | ✔    | ✔         | ✔           | ✔              | ✔ (renew)| ✔            |
/// | not-affected   | ✔    | ✔         | ✔           |                |          |              |
/// | fixed          |      |           |             | ✔              |          | ✔            |
///
/// `fixed` is never a target: scans decide it (a finding no scan reports any more). A fixed
/// finding may still be classified after the fact as a false positive or not affected (so it
/// does not count as a regression if it comes back). A resolved finding (false positive, not
/// affected) is reopened or confirmed before any other decision, so that the reversal is its own
/// event. `accepted -> accepted` renews an acceptance (a new expiry, a new approval).
pub fn allowed_transitions(from: FindingStatus) -> &'static [FindingStatus] {
    use FindingStatus::*;
    match from {
        Open => &[Confirmed, InProgress, FalsePositive, Accepted, NotAffected],
        Confirmed => &[Open, InProgress, FalsePositive, Accepted, NotAffected],
        InProgress => &[Open, Confirmed, FalsePositive, Accepted, NotAffected],
        FalsePositive => &[Open, Confirmed],
        Accepted => &[
            Open,
            Confirmed,
            InProgress,
            FalsePositive,
            Accepted,
            NotAffected,
        ],
        NotAffected => &[Open, Confirmed, InProgress],
        Fixed => &[FalsePositive, NotAffected],
    }
}

/// Whether triage may move a finding from `from` to `to`.
pub fn can_transition(from: FindingStatus, to: FindingStatus) -> bool {
    allowed_transitions(from).contains(&to)
}

/// Checks a move against [`allowed_transitions`].
pub fn check_transition(
    finding: i64,
    from: FindingStatus,
    to: FindingStatus,
) -> Result<(), AppError> {
    if can_transition(from, to) {
        return Ok(());
    }
    let allowed = allowed_transitions(from)
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Err(AppError::Transition {
        finding,
        from,
        to,
        allowed: if to == FindingStatus::Fixed {
            format!("{allowed}; `fixed` is decided by scans, not by triage")
        } else {
            allowed
        },
    })
}

/// The VEX status a triage state stands for (CISA's minimum VEX requirements, OpenVEX words):
/// open is still under investigation; confirmed, in progress and accepted are affected (an
/// accepted risk is still a risk); false positive and not affected are not affected; fixed is
/// fixed.
pub fn vex_status(state: FindingStatus) -> VexStatus {
    match state {
        FindingStatus::Open => VexStatus::UnderInvestigation,
        FindingStatus::Confirmed | FindingStatus::InProgress | FindingStatus::Accepted => {
            VexStatus::Affected
        }
        FindingStatus::FalsePositive | FindingStatus::NotAffected => VexStatus::NotAffected,
        FindingStatus::Fixed => VexStatus::Fixed,
    }
}

/// Whether the finding needs no more work in this state (the SLA clock stops).
pub fn is_resolved(state: FindingStatus) -> bool {
    matches!(
        state,
        FindingStatus::Fixed | FindingStatus::FalsePositive | FindingStatus::NotAffected
    )
}

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/// A person's triage decision, as asked on the command line or through the API.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub finding_id: i64,
    pub state: FindingStatus,
    pub reason: String,
    pub actor: String,
    /// For `accepted`: when the acceptance (or deferral) ends and the finding opens again.
    pub until: Option<Timestamp>,
    pub approver: Option<String>,
    pub role: Option<String>,
    pub at: Timestamp,
    /// Taken without authentication (the CLI on a local database): the actor is the
    /// operating-system user's word, and a policy may refuse such approvals.
    pub unauthenticated: bool,
}

/// What a decision must satisfy beyond the state machine.
pub struct DecisionRules<'a> {
    /// Who must approve which decision (a policy, or nobody).
    pub approval: &'a dyn ApprovalRule,
    /// An acceptance must say when it expires (the default; a policy may waive it).
    pub acceptance_needs_expiry: bool,
}

impl Default for DecisionRules<'_> {
    fn default() -> Self {
        DecisionRules {
            approval: &NoApprovalRequired,
            acceptance_needs_expiry: true,
        }
    }
}

/// A recorded decision: the finding as it is now, and the decision on it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decided {
    pub finding: FindingRecord,
    pub decision: Option<DecisionRecord>,
}

fn trimmed(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks a decision against the state machine, the acceptance rules and the approval rule,
/// and records it with its event (who, why, approver, role, expiry).
pub fn decide(
    store: &dyn Store,
    request: DecisionRequest,
    rules: &DecisionRules<'_>,
) -> Result<Decided, AppError> {
    decide_audited(store, request, rules, None)
}

/// [`decide`], with `audit` written in the decision's own transaction.
pub fn decide_audited(
    store: &dyn Store,
    request: DecisionRequest,
    rules: &DecisionRules<'_>,
    audit: Option<posture_store::AuditEntry>,
) -> Result<Decided, AppError> {
    let id = request.finding_id;
    let change = prepare_decision(store, request, rules)?;
    store.record_decisions_audited(vec![change], audit)?;
    let finding = store
        .finding(id)?
        .ok_or_else(|| AppError::Invalid(format!("no finding with id {id}")))?;
    let decision = store.decision(id)?;
    Ok(Decided { finding, decision })
}

/// Several decisions, all or none (bulk triage): every one is checked as [`decide`] checks
/// one before anything is written, then all are recorded in one transaction (with `audit`).
/// The first refusal is the error, naming its finding; nothing is written then. Answers how
/// many were recorded.
pub fn decide_many(
    store: &dyn Store,
    requests: Vec<DecisionRequest>,
    rules: &DecisionRules<'_>,
    audit: Option<posture_store::AuditEntry>,
) -> Result<usize, AppError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut changes = Vec::with_capacity(requests.len());
    for request in requests {
        if !seen.insert(request.finding_id) {
            return Err(AppError::Invalid(format!(
                "finding {} is named twice",
                request.finding_id
            )));
        }
        changes.push(prepare_decision(store, request, rules)?);
    }
    if changes.is_empty() {
        return Ok(0);
    }
    Ok(store.record_decisions_audited(changes, audit)?)
}

/// Checks one decision (state machine, acceptance and approval rules) and answers the change
/// to record; writes nothing.
fn prepare_decision(
    store: &dyn Store,
    request: DecisionRequest,
    rules: &DecisionRules<'_>,
) -> Result<DecisionChange, AppError> {
    let id = request.finding_id;
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return Err(AppError::Invalid(format!(
            "finding {id}: a triage decision needs a reason (--reason)"
        )));
    }
    let actor = request.actor.trim().to_string();
    if actor.is_empty() {
        return Err(AppError::Invalid(format!(
            "finding {id}: a triage decision needs an actor"
        )));
    }
    let Some(finding) = store.finding(id)? else {
        return Err(AppError::Invalid(format!("no finding with id {id}")));
    };
    check_transition(id, finding.status, request.state)?;
    let until = request.until;
    if request.state == FindingStatus::Accepted {
        match until {
            None if rules.acceptance_needs_expiry => {
                return Err(AppError::Invalid(format!(
                    "finding {id}: a risk acceptance needs an expiry date (--until YYYY-MM-DD)"
                )));
            }
            Some(u) if u <= request.at => {
                return Err(AppError::Invalid(format!(
                    "finding {id}: the expiry {u} is not in the future (now {})",
                    request.at
                )));
            }
            _ => {}
        }
    } else if until.is_some() {
        return Err(AppError::Invalid(format!(
            "finding {id}: --until applies to `accepted` only, not to {}",
            request.state
        )));
    }
    let need = rules.approval.requirement(&finding, request.state);
    check_max_days(id, need.as_ref(), request.state, until, request.at)?;
    if let Some(need) = &need
        && request.unauthenticated
        && !need.allow_unauthenticated
        && request
            .approver
            .as_deref()
            .is_some_and(|a| !a.trim().is_empty())
    {
        return Err(AppError::Approval {
            finding: id,
            message: format!(
                "the policy rule `{}` refuses approvals given without authentication (the CLI on a local database): ask a holder of the `{}` role to approve it through the server",
                need.rule_id.as_deref().unwrap_or("require_approval"),
                need.role
            ),
        });
    }
    let approver = trimmed(request.approver.as_deref());
    let role = trimmed(request.role.as_deref());
    if role.is_some() && approver.is_none() {
        return Err(AppError::Approval {
            finding: id,
            message: "a role was given without an approver (--approver NAME)".into(),
        });
    }
    if let Some(required) = rules.approval.required_role(&finding, request.state) {
        let hint = format!("--approver NAME --role {required}");
        match (&approver, &role) {
            (None, _) => {
                return Err(AppError::Approval {
                    finding: id,
                    message: format!(
                        "moving it to {} needs the approval of the `{required}` role ({hint})",
                        request.state
                    ),
                });
            }
            (Some(_), r)
                if !r
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&required)) =>
            {
                return Err(AppError::Approval {
                    finding: id,
                    message: format!(
                        "moving it to {} needs the approval of the `{required}` role, but the approver's role is {} ({hint})",
                        request.state,
                        r.as_deref()
                            .map(|r| format!("`{r}`"))
                            .unwrap_or_else(|| "not given".into())
                    ),
                });
            }
            (Some(a), _) if a.eq_ignore_ascii_case(&actor) => {
                return Err(AppError::Approval {
                    finding: id,
                    message: format!(
                        "{actor} cannot approve their own decision: the approver must be another person"
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(DecisionChange {
        finding_id: id,
        expected_from: finding.status,
        state: request.state,
        reason,
        actor,
        approver,
        role,
        expires_at: until.filter(|_| request.state == FindingStatus::Accepted),
        at: request.at,
    })
}

/// Refuses an acceptance longer than a policy's `max_days`.
pub fn check_max_days(
    id: i64,
    need: Option<&ApprovalNeed>,
    state: FindingStatus,
    until: Option<Timestamp>,
    at: Timestamp,
) -> Result<(), AppError> {
    let (Some(need), Some(until)) = (need, until) else {
        return Ok(());
    };
    let Some(max) = need.max_days.filter(|_| state == FindingStatus::Accepted) else {
        return Ok(());
    };
    let days = until.duration_since(at).as_secs_f64() / 86_400.0;
    if days > f64::from(max) {
        return Err(AppError::Invalid(format!(
            "finding {id}: the policy rule `{}` caps an acceptance at {max} days; {} is {} days away",
            need.rule_id.as_deref().unwrap_or("require_approval"),
            until,
            days.ceil() as i64
        )));
    }
    Ok(())
}

/// Checks a decision that needs an approval before it is stored as a request: the finding
/// exists, the move is allowed, an acceptance has a future expiry within the policy's cap.
/// Answers the finding as it is now.
pub fn check_request(
    store: &dyn Store,
    request: &DecisionRequest,
    need: &ApprovalNeed,
) -> Result<FindingRecord, AppError> {
    let id = request.finding_id;
    let Some(finding) = store.finding(id)? else {
        return Err(AppError::Invalid(format!("no finding with id {id}")));
    };
    check_transition(id, finding.status, request.state)?;
    if request.state == FindingStatus::Accepted {
        match request.until {
            None => {
                return Err(AppError::Invalid(format!(
                    "finding {id}: a risk acceptance needs an expiry date"
                )));
            }
            Some(u) if u <= request.at => {
                return Err(AppError::Invalid(format!(
                    "finding {id}: the expiry {u} is not in the future (now {})",
                    request.at
                )));
            }
            _ => {}
        }
    }
    check_max_days(id, Some(need), request.state, request.until, request.at)?;
    Ok(finding)
}

/// Turns the acceptances that expired as of `now` back to open (each with an `expired` event
/// dated at its expiry). Cheap when nothing expired: ingest and listings call it first.
pub fn expire(store: &dyn Store, now: Timestamp) -> Result<Vec<ExpiredDecision>, AppError> {
    Ok(store.expire_decisions(now)?)
}

// ---------------------------------------------------------------------------------------------
// VEX
// ---------------------------------------------------------------------------------------------

/// What applying a report's VEX statements did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VexOutcome {
    pub statements: usize,
    /// Findings set to not-affected.
    pub not_affected: usize,
    /// Findings set to confirmed (affected) or in-progress (under investigation).
    pub affected: usize,
    /// `fixed` statements recorded as notes.
    pub noted: usize,
    /// Matching findings left alone: a person decided, or the state machine forbids the move.
    pub kept: usize,
    /// Statements not applied but held as a suggestion for someone with the triage right
    /// (the uploader has none): every statement of the document, then.
    #[serde(skip_serializing_if = "is_zero")]
    pub held: usize,
    /// Each change made: the finding, from and to (the audit log records them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<VexChange>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One finding a VEX statement moved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VexChange {
    pub finding_id: i64,
    pub from: FindingStatus,
    pub to: FindingStatus,
    pub vulnerability: String,
}

/// The package a VEX product purl names: (type, namespace/name lower-cased, version).
fn purl_parts(purl: &str) -> Option<(String, String, Option<String>)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (ty, path) = rest.split_once('/')?;
    let (path, version) = match path.rsplit_once('@') {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (path, None),
    };
    let path = path
        .replace("%2F", "/")
        .replace("%2f", "/")
        .replace("%40", "@")
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace(':', "/");
    Some((ty.to_ascii_lowercase(), path.to_ascii_lowercase(), version))
}

/// Product purls that name a package (not the product image itself).
fn package_purls(products: &[String]) -> Vec<(String, String, Option<String>)> {
    products
        .iter()
        .filter_map(|p| purl_parts(p))
        .filter(|(ty, _, _)| !matches!(ty.as_str(), "oci" | "docker" | "github"))
        .collect()
}

fn package_matches(f: &FindingRecord, wanted: &[(String, String, Option<String>)]) -> bool {
    f.occurrences.iter().any(|o| {
        let Some(p) = &o.data.package else {
            return false;
        };
        let mine = p.purl.as_deref().and_then(purl_parts).or_else(|| {
            p.ecosystem.as_ref().map(|e| {
                (
                    e.to_ascii_lowercase(),
                    p.name.to_ascii_lowercase().replace(':', "/"),
                    p.version.clone(),
                )
            })
        });
        let Some((ty, name, version)) = mine else {
            return false;
        };
        wanted.iter().any(|(wty, wname, wver)| {
            let name_ok = *wname == name || wname.rsplit('/').next() == Some(name.as_str());
            wty == &ty
                && name_ok
                && match (wver, &version) {
                    (Some(w), Some(v)) => w == v,
                    _ => true,
                }
        })
    })
}

fn vuln_matches(f: &FindingRecord, ids: &[String]) -> bool {
    f.occurrences.iter().any(|o| {
        o.data
            .vulnerability_ids
            .iter()
            .chain(std::iter::once(&o.data.rule_id))
            .any(|v| {
                let v = normalize_vuln_id(v);
                ids.contains(&v)
            })
    })
}

/// Applies VEX statements to the findings of an asset: `not_affected` sets not-affected (the
/// justification as reason, actor `vex:<report>`) unless the finding is already resolved as not
/// a problem; no statement ever overrides a person's decision (a VEX document is a supplier's
/// or a pipeline's word, a person's triage stands until a person changes it); `affected` and
/// `under_investigation` set confirmed and in-progress; `fixed` is recorded as a note (scans decide fixed). A statement naming
/// package purls applies only to findings of those packages (a version, when given, must match);
/// one naming none applies to every finding of the vulnerability in the asset.
pub fn apply_vex(
    store: &dyn Store,
    asset: &str,
    report: &str,
    statements: &[VexStatement],
    at: Timestamp,
) -> Result<VexOutcome, AppError> {
    apply_vex_audited(store, asset, report, statements, at, None)
}

/// [`apply_vex`], the decisions written with an audit entry (`audit`, its detail replaced by
/// what the statements did) in their own transaction.
pub fn apply_vex_audited(
    store: &dyn Store,
    asset: &str,
    report: &str,
    statements: &[VexStatement],
    at: Timestamp,
    audit: Option<posture_store::AuditEntry>,
) -> Result<VexOutcome, AppError> {
    let mut outcome = VexOutcome {
        statements: statements.len(),
        ..VexOutcome::default()
    };
    if statements.is_empty() {
        return Ok(outcome);
    }
    let findings = store.findings(&posture_store::FindingQuery {
        asset: Some(asset.to_string()),
        status: None,
        ..Default::default()
    })?;
    let decisions: HashMap<i64, DecisionRecord> = store
        .decisions(Some(asset))?
        .into_iter()
        .map(|d| (d.finding_id, d))
        .collect();
    let actor = format!("vex:{report}");
    let mut changes: Vec<DecisionChange> = Vec::new();
    let mut notes: Vec<NewEvent> = Vec::new();
    // the state each finding will be in after the changes so far (several statements may
    // name one finding: the later one wins, as in the document's order)
    let mut planned: HashMap<i64, FindingStatus> = HashMap::new();
    for st in statements {
        let ids: Vec<String> = st
            .vulnerability_ids
            .iter()
            .map(|v| normalize_vuln_id(v))
            .collect();
        let packages = package_purls(&st.products);
        for f in &findings {
            if !vuln_matches(f, &ids) || (!packages.is_empty() && !package_matches(f, &packages)) {
                continue;
            }
            let current = planned.get(&f.id).copied().unwrap_or(f.status);
            let person_decided = decisions.get(&f.id).is_some_and(|d| d.by_person());
            let vuln = ids.first().cloned().unwrap_or_default();
            let target = match st.status {
                VexStatus::NotAffected => {
                    if person_decided
                        || matches!(
                            current,
                            FindingStatus::NotAffected | FindingStatus::FalsePositive
                        )
                    {
                        outcome.kept += 1;
                        continue;
                    }
                    FindingStatus::NotAffected
                }
                VexStatus::Affected | VexStatus::UnderInvestigation => {
                    let t = if st.status == VexStatus::Affected {
                        FindingStatus::Confirmed
                    } else {
                        FindingStatus::InProgress
                    };
                    if person_decided || current == t || current == FindingStatus::Fixed {
                        outcome.kept += 1;
                        continue;
                    }
                    t
                }
                VexStatus::Fixed => {
                    notes.push(NewEvent {
                        finding_id: f.id,
                        at,
                        kind: EventKind::Noted,
                        actor: Some(actor.clone()),
                        from_status: None,
                        to_status: None,
                        reason: Some(format!(
                            "VEX: {vuln} fixed{}",
                            st.action_statement
                                .as_deref()
                                .map(|a| format!(" ({a})"))
                                .unwrap_or_default()
                        )),
                    });
                    outcome.noted += 1;
                    continue;
                }
            };
            if !can_transition(current, target) {
                outcome.kept += 1;
                continue;
            }
            let mut reason = format!(
                "VEX {}: {vuln}",
                match st.status {
                    VexStatus::NotAffected => "not_affected",
                    VexStatus::Affected => "affected",
                    VexStatus::UnderInvestigation => "under_investigation",
                    VexStatus::Fixed => "fixed",
                }
            );
            if let Some(j) = &st.justification {
                reason.push_str(&format!(", justification {j}"));
            }
            if let Some(i) = st
                .impact_statement
                .as_deref()
                .or(st.action_statement.as_deref())
            {
                reason.push_str(&format!(": {i}"));
            }
            changes.push(DecisionChange {
                finding_id: f.id,
                expected_from: current,
                state: target,
                reason,
                actor: actor.clone(),
                approver: None,
                role: None,
                expires_at: None,
                at,
            });
            planned.insert(f.id, target);
            outcome.changes.push(VexChange {
                finding_id: f.id,
                from: current,
                to: target,
                vulnerability: vuln.clone(),
            });
            if target == FindingStatus::NotAffected {
                outcome.not_affected += 1;
            } else {
                outcome.affected += 1;
            }
        }
    }
    let audit = audit.map(|mut entry| {
        entry.detail = serde_json::json!({
            "report": report, "statements": outcome.statements,
            "not_affected": outcome.not_affected, "affected": outcome.affected,
            "kept": outcome.kept,
            "findings": changes.iter().map(|c| c.finding_id).collect::<Vec<_>>(),
            "changes": outcome.changes,
        });
        entry
    });
    store.record_decisions_audited(changes, audit)?;
    store.append_events(notes)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_date_is_that_day_at_midnight_utc_and_a_time_is_kept() {
        let day = super::parse_date_or_time(" 2026-03-31 ").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(day.to_string(), "2026-03-31T00:00:00Z");
        let t = super::parse_date_or_time("2026-03-31T12:30:00Z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.to_string(), "2026-03-31T12:30:00Z");
        let e = super::parse_date_or_time("next week").map(|t| t.to_string());
        assert!(
            e.as_ref()
                .is_err_and(|e| e.to_string().contains("`next week` is neither a date")),
            "{e:?}"
        );
    }

    use super::*;

    #[test]
    fn purls_are_decoded_and_split() {
        assert_eq!(
            purl_parts("pkg:golang/github.com%2Ftidwall%2Fgjson@v1.6.5"),
            Some((
                "golang".into(),
                "github.com/tidwall/gjson".into(),
                Some("v1.6.5".into())
            ))
        );
        assert_eq!(
            purl_parts("pkg:npm/%40angular/core@17.0.0?x=1"),
            Some(("npm".into(), "@angular/core".into(), Some("17.0.0".into())))
        );
        assert_eq!(
            purl_parts("pkg:PyPI/Requests"),
            Some(("pypi".into(), "requests".into(), None))
        );
        assert_eq!(purl_parts("shop-image"), None);
        // the product image is not a package
        assert!(package_purls(&["pkg:oci/shop@sha256%3Aabc".into()]).is_empty());
    }

    #[test]
    fn triage_states_map_to_vex_statuses() {
        use FindingStatus::*;
        let map: Vec<(FindingStatus, VexStatus)> = FindingStatus::ALL
            .iter()
            .map(|s| (*s, vex_status(*s)))
            .collect();
        assert_eq!(
            map,
            vec![
                (Open, VexStatus::UnderInvestigation),
                (Confirmed, VexStatus::Affected),
                (InProgress, VexStatus::Affected),
                (FalsePositive, VexStatus::NotAffected),
                (Accepted, VexStatus::Affected),
                (NotAffected, VexStatus::NotAffected),
                (Fixed, VexStatus::Fixed),
            ]
        );
    }

    #[test]
    fn default_sla_days() {
        assert_eq!(DefaultSla::days_for(Severity::Critical), Some(7));
        assert_eq!(DefaultSla::days_for(Severity::High), Some(30));
        assert_eq!(DefaultSla::days_for(Severity::Medium), Some(90));
        assert_eq!(DefaultSla::days_for(Severity::Low), Some(180));
        assert_eq!(DefaultSla::days_for(Severity::Info), None);
    }

    /// One priority (issue 15): once assessed, the band sets the default clock, whatever the
    /// severity: a low-severity P1 is due in 7 days, a critical P4 in 180; info has none.
    #[test]
    fn the_default_sla_follows_the_band() {
        let days = |band: &str, s: Severity| posture_model::default_sla_days(Some(band), s);
        assert_eq!(days("P1", Severity::Low), Some(7));
        assert_eq!(days("P2", Severity::Critical), Some(30));
        assert_eq!(days("P3", Severity::High), Some(90));
        assert_eq!(days("P4", Severity::Critical), Some(180));
        assert_eq!(days("P1", Severity::Info), None);
    }
}
