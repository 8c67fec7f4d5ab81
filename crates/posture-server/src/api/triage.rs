//! Triage decisions on a finding (API and dashboard).

use super::*;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::*;
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, State};
use posture_app::risk::AssessedFinding;
use posture_model::{FindingStatus, Timestamp};
use posture_store::{ApprovalRecord, AuditEntry, NewApproval, Principal};
use serde::Deserialize;
use utoipa::ToSchema;

/// A triage decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TriageRequest {
    /// confirmed, in-progress, false-positive, accepted, not-affected, or open to clear.
    pub state: String,
    /// Why (kept in the history and the audit log).
    pub reason: String,
    /// For `accepted` (required there): until when the risk is accepted (YYYY-MM-DD, that day
    /// 00:00 UTC, or RFC 3339; in the future).
    #[serde(default)]
    pub expires: Option<String>,
    /// Refused: an approval is given by its approver under their own identity
    /// (`POST /api/v1/approvals/{id}/approve`), never named by the requester.
    #[serde(default)]
    #[schema(deprecated)]
    pub approver: Option<String>,
    /// Refused, as `approver`.
    #[serde(default)]
    #[schema(deprecated)]
    pub role: Option<String>,
}

/// Parses an expiry date (`YYYY-MM-DD` = that day 00:00 UTC, or RFC 3339).
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, ApiError> {
    let text = text.trim();
    let at = posture_app::workflow::parse_date_or_time(text)
        .map_err(|e| ApiError::BadRequest(format!("expires: {e}")))?;
    if at <= now {
        return Err(ApiError::BadRequest(format!(
            "expires: {text} is not in the future"
        )));
    }
    Ok(at)
}

/// What a triage request did: the decision is recorded, or it waits for an approval.
pub enum TriageOutcome {
    Decided(Box<AssessedFinding>),
    Pending(Box<ApprovalRecord>),
}

/// The policy's approval rules for one finding (none without a policy).
pub(crate) fn approval_rules_for(
    shared: &Shared,
    id: i64,
    now: Timestamp,
) -> Result<Option<posture_app::policy::PolicyRules>, ApiError> {
    Ok(match shared.policy()? {
        Some(policy) => posture_app::policy::approval_rules(
            shared.store.as_ref(),
            shared.portfolio.as_ref(),
            policy,
            id,
            now,
        )?,
        None => None,
    })
}

/// Records a triage decision for a caller (API and dashboard): checks the right and scope;
/// when the policy says the decision needs a role's approval, stores it as a pending request
/// that changes nothing until a holder of the role approves it; else writes it. Audited.
pub fn apply_triage(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    id: i64,
    request: TriageRequest,
) -> Result<TriageOutcome, ApiError> {
    let state: FindingStatus = request
        .state
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("state: {e}")))?;
    if state == FindingStatus::Fixed {
        return Err(ApiError::BadRequest(
            "state: fixed is decided by scans, not by triage".into(),
        ));
    }
    let named = |v: &Option<String>| v.as_deref().is_some_and(|x| !x.trim().is_empty());
    if named(&request.approver) || named(&request.role) {
        return Err(ApiError::BadRequest(
            "approver, role: a decision does not name its approver. When the policy asks for a role's approval, the decision waits as a request that a holder of the role approves under their own identity (POST /api/v1/approvals/{id}/approve)".into(),
        ));
    }
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::BadRequest(
            "reason: say why (it is kept in the history)".into(),
        ));
    }
    let now = shared.clock.now();
    let expires = match request
        .expires
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(text) if state == FindingStatus::Accepted => Some(parse_expiry(text, now)?),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "expires: only an accepted risk has an expiry".into(),
            ));
        }
        None => None,
    };
    let finding = readable_finding(shared, principal, id)?;
    Scope::new(principal, shared.portfolio.as_ref()).require_triage(&finding)?;
    // The policy of `posture.toml` decides who must approve (its `require_approval` rules),
    // as for `posture triage`; without a policy nobody needs to.
    let policy_rules = approval_rules_for(shared, id, now)?;
    let approval: &dyn posture_app::workflow::ApprovalRule = match &policy_rules {
        Some(rules) => rules,
        None => &posture_app::workflow::NoApprovalRequired,
    };
    let decision = posture_app::workflow::DecisionRequest {
        finding_id: id,
        state,
        reason: reason.clone(),
        actor: principal.user.clone(),
        until: expires,
        approver: None,
        role: None,
        at: now,
        unauthenticated: false,
    };
    if let Some(need) = approval.requirement(&finding.finding, state) {
        // Four eyes: the decision waits, and changes nothing, until a holder of the role
        // approves it.
        let current =
            posture_app::workflow::check_request(shared.store.as_ref(), &decision, &need)?;
        if let Some(open) = shared
            .store
            .approvals(Some("pending"))?
            .into_iter()
            .find(|a| a.finding_id == id)
        {
            return Err(ApiError::Conflict(format!(
                "finding {id} already has a pending request (#{}, {} by {}): approve or reject it first",
                open.id, open.state, open.requested_by
            )));
        }
        let record = shared.store.create_approval(NewApproval {
            finding_id: id,
            from_status: current.status.as_str().to_string(),
            state: state.as_str().to_string(),
            reason: reason.clone(),
            expires_at: expires,
            role: need.role.clone(),
            rule_id: need.rule_id.clone(),
            requested_by: principal.user.clone(),
            requested_token: Some(principal.token_id),
            at: now,
        })?;
        shared.store.record_audit(AuditEntry {
            at: now,
            actor: principal.user.clone(),
            token_id: Some(principal.token_id),
            client,
            action: "approval.request".into(),
            target: format!("finding {id}"),
            detail: serde_json::json!({
                "approval": record.id, "from": current.status, "to": state,
                "reason": reason, "expires": expires, "asset": finding.finding.asset,
                "role": need.role, "rule": need.rule_id,
            }),
        })?;
        return Ok(TriageOutcome::Pending(Box::new(record)));
    }
    // The workflow's state machine and acceptance rules (an acceptance needs an expiry), as
    // `posture triage`; the audit entry is written in the decision's transaction.
    let entry = AuditEntry {
        at: now,
        actor: principal.user.clone(),
        token_id: Some(principal.token_id),
        client,
        action: "finding.triage".into(),
        target: format!("finding {id}"),
        detail: serde_json::json!({
            "from": finding.finding.status, "to": state, "reason": reason,
            "expires": expires, "asset": finding.finding.asset,
        }),
    };
    posture_app::workflow::decide_audited(
        shared.store.as_ref(),
        decision,
        &posture_app::workflow::DecisionRules {
            approval,
            acceptance_needs_expiry: true,
        },
        Some(entry),
    )?;
    Ok(TriageOutcome::Decided(Box::new(readable_finding(
        shared, principal, id,
    )?)))
}

/// Record a triage decision (admin, appsec; developers on their teams' assets). 200 with the
/// finding when recorded; 202 with the approval request when the policy asks for a role's
/// approval (nothing changes until a holder of the role approves it).
#[utoipa::path(
    post, path = "/api/v1/findings/{id}/triage", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    request_body = TriageRequest,
    responses(
        (status = 200, description = "The finding after the decision", body = FindingJson),
        (status = 202, description = "The decision waits for approval", body = ApprovalView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub(crate) async fn triage_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(request): Json<TriageRequest>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    enum Answer {
        Finding(FindingJson),
        Pending(Box<ApprovalView>),
    }
    let answer = state
        .blocking(move |s| {
            Ok(
                match apply_triage(s, &caller.principal, caller.client.clone(), id, request)? {
                    TriageOutcome::Decided(f) => Answer::Finding(FindingJson(to_json(&*f)?)),
                    TriageOutcome::Pending(a) => {
                        Answer::Pending(Box::new(approval_view(s, &caller.principal, *a)?))
                    }
                },
            )
        })
        .await?;
    Ok(match answer {
        Answer::Finding(f) => (axum::http::StatusCode::OK, Json(f)).into_response(),
        Answer::Pending(v) => (axum::http::StatusCode::ACCEPTED, Json(*v)).into_response(),
    })
}
