//! Four eyes: decisions the policy says need a role's approval wait here as requests. A holder
//! of the role (a person, never the requester) approves or rejects each under their own
//! identity; only an approval changes the finding, recorded with the approver and the role.
//! Every request, approval and refusal is audited.

use super::*;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, Query, State};
use posture_model::{FindingStatus, Timestamp};
use posture_store::{ApprovalRecord, AuditEntry, Principal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A decision waiting for (or given) a role's approval, with what the approver approves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalView {
    pub id: i64,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub finding_id: i64,
    /// The finding: title, asset, severity and status as they are now.
    pub finding_title: String,
    pub asset: String,
    pub severity: String,
    pub finding_status: String,
    /// The decision asked for.
    pub state: String,
    pub reason: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// The role whose holder must approve.
    pub role: String,
    /// The policy rule that asks for it.
    pub rule_id: Option<String>,
    pub requested_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub decided_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    pub note: Option<String>,
    /// Whether the caller may approve or reject it (holds the role, is not the requester).
    pub you_may_decide: bool,
}

/// Whether the caller may decide on a request: a person holding its role, not its requester.
fn may_decide(shared: &Shared, principal: &Principal, a: &ApprovalRecord) -> bool {
    let scope = crate::auth::Scope::new(principal, shared.portfolio.as_ref());
    a.status == "pending"
        && scope.holds_role(&a.role)
        && !a.requested_by.eq_ignore_ascii_case(&principal.user)
}

/// An approval request as the caller sees it (404 when the caller may not read its finding).
pub fn approval_view(
    shared: &Shared,
    principal: &Principal,
    a: ApprovalRecord,
) -> Result<ApprovalView, ApiError> {
    let f = readable_finding(shared, principal, a.finding_id)?;
    Ok(ApprovalView {
        you_may_decide: may_decide(shared, principal, &a),
        id: a.id,
        status: a.status,
        finding_id: a.finding_id,
        finding_title: f.finding.title.clone(),
        asset: f.finding.asset.clone(),
        severity: f.finding.severity.as_str().to_string(),
        finding_status: f.finding.status.as_str().to_string(),
        state: a.state,
        reason: a.reason,
        expires_at: a.expires_at,
        role: a.role,
        rule_id: a.rule_id,
        requested_by: a.requested_by,
        requested_at: a.requested_at,
        decided_by: a.decided_by,
        decided_at: a.decided_at,
        note: a.note,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsParams {
    /// pending (default), approved, rejected, withdrawn or all.
    status: Option<String>,
}

/// The approval requests of findings the caller may read (pending by default).
pub fn approvals_for(
    shared: &Shared,
    principal: &Principal,
    status: Option<&str>,
) -> Result<Vec<ApprovalView>, ApiError> {
    let scope = crate::auth::Scope::new(principal, shared.portfolio.as_ref());
    scope.require(posture_store::Right::Read)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some("pending"),
        Some("all") => None,
        Some(s @ ("pending" | "approved" | "rejected" | "withdrawn")) => Some(s),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "status: unknown `{other}` (pending, approved, rejected, withdrawn or all)"
            )));
        }
    };
    let mut out = Vec::new();
    for a in shared.store.approvals(status)? {
        match approval_view(shared, principal, a) {
            Ok(v) => out.push(v),
            Err(ApiError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Approval requests (pending by default) of the findings the caller may read.
#[utoipa::path(
    get, path = "/api/v1/approvals", tag = "findings", params(ApprovalsParams),
    responses(
        (status = 200, description = "Requests, newest first", body = Vec<ApprovalView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_approvals(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ApprovalsParams>,
) -> Result<Json<Vec<ApprovalView>>, ApiError> {
    let list = state
        .blocking(move |s| approvals_for(s, &caller.principal, params.status.as_deref()))
        .await?;
    Ok(Json(list))
}

/// An approver's word on a request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalDecision {
    /// Why (kept with the request and in the audit log).
    #[serde(default)]
    pub note: Option<String>,
}

/// Approves (`approve = true`) or rejects a pending request as `principal`: they must read the
/// finding, hold the request's role, and not be its requester. An approval records the
/// decision (the requester's, approved by the caller in the role) through the workflow; it is
/// audited either way.
pub fn decide_approval(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    id: i64,
    approve: bool,
    note: Option<String>,
) -> Result<ApprovalView, ApiError> {
    let request = shared
        .store
        .approval(id)?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request {id}")))?;
    // What the caller may not read does not exist for them.
    let finding = readable_finding(shared, principal, request.finding_id)
        .map_err(|_| ApiError::NotFound(format!("no approval request {id}")))?;
    if request.status != "pending" {
        return Err(ApiError::Conflict(format!(
            "approval request {id} is already {} (by {})",
            request.status,
            request.decided_by.as_deref().unwrap_or("nobody")
        )));
    }
    let scope = crate::auth::Scope::new(principal, shared.portfolio.as_ref());
    if request.requested_by.eq_ignore_ascii_case(&principal.user) {
        return Err(ApiError::Forbidden(format!(
            "{} cannot approve or reject their own request: a holder of the `{}` role decides",
            principal.user, request.role
        )));
    }
    if !scope.holds_role(&request.role) {
        return Err(ApiError::Forbidden(format!(
            "deciding on request {id} needs the `{}` role, which {} does not hold (an admin gives it: posture user grant)",
            request.role, principal.user
        )));
    }
    let now = shared.clock.now();
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let to = if approve { "approved" } else { "rejected" };
    let closed = shared
        .store
        .close_approval(
            id,
            "pending",
            to,
            Some(&principal.user),
            Some(now),
            note.as_deref(),
        )?
        .ok_or_else(|| {
            ApiError::Conflict(format!("approval request {id} was decided meanwhile"))
        })?;
    if approve {
        let state: FindingStatus = request
            .state
            .parse()
            .map_err(|e: String| ApiError::Internal(format!("approval request {id}: {e}")))?;
        let rules = super::triage::approval_rules_for(shared, request.finding_id, now)?;
        let approval: &dyn posture_app::workflow::ApprovalRule = match &rules {
            Some(r) => r,
            None => &posture_app::workflow::NoApprovalRequired,
        };
        let decided = posture_app::workflow::decide(
            shared.store.as_ref(),
            posture_app::workflow::DecisionRequest {
                finding_id: request.finding_id,
                state,
                reason: request.reason.clone(),
                actor: request.requested_by.clone(),
                until: request.expires_at,
                approver: Some(principal.user.clone()),
                role: Some(request.role.clone()),
                at: now,
                unauthenticated: false,
            },
            &posture_app::workflow::DecisionRules {
                approval,
                acceptance_needs_expiry: true,
            },
        );
        if let Err(e) = decided {
            // Nothing was recorded: the request waits again (to be rejected, or approved once
            // the finding allows it).
            shared
                .store
                .close_approval(id, "approved", "pending", None, None, None)?;
            return Err(e.into());
        }
    }
    shared.store.record_audit(AuditEntry {
        at: now,
        actor: principal.user.clone(),
        token_id: Some(principal.token_id),
        client,
        action: format!("approval.{}", if approve { "approve" } else { "reject" }),
        target: format!("finding {}", request.finding_id),
        detail: serde_json::json!({
            "approval": id, "from": request.from_status, "to": request.state,
            "reason": request.reason, "expires": request.expires_at,
            "asset": finding.finding.asset, "requested_by": request.requested_by,
            "approver": principal.user, "role": request.role, "rule": request.rule_id,
            "note": note,
        }),
    })?;
    approval_view(shared, principal, closed)
}

/// Approve a pending decision (a holder of its role, not its requester): the decision is
/// recorded, with the caller as approver.
#[utoipa::path(
    post, path = "/api/v1/approvals/{id}/approve", tag = "findings",
    params(("id" = i64, Path, description = "The approval request")),
    request_body(content = Option<ApprovalDecision>),
    responses(
        (status = 200, description = "The request, approved", body = ApprovalView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub(crate) async fn approve_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<ApprovalDecision>>,
) -> Result<Json<ApprovalView>, ApiError> {
    let note = body.and_then(|b| b.0.note);
    let view = state
        .blocking(move |s| {
            decide_approval(s, &caller.principal, caller.client.clone(), id, true, note)
        })
        .await?;
    Ok(Json(view))
}

/// Reject a pending decision (a holder of its role, not its requester): nothing changes.
#[utoipa::path(
    post, path = "/api/v1/approvals/{id}/reject", tag = "findings",
    params(("id" = i64, Path, description = "The approval request")),
    request_body(content = Option<ApprovalDecision>),
    responses(
        (status = 200, description = "The request, rejected", body = ApprovalView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)
    )
)]
pub(crate) async fn reject_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Option<Json<ApprovalDecision>>,
) -> Result<Json<ApprovalView>, ApiError> {
    let note = body.and_then(|b| b.0.note);
    let view = state
        .blocking(move |s| {
            decide_approval(s, &caller.principal, caller.client.clone(), id, false, note)
        })
        .await?;
    Ok(Json(view))
}
