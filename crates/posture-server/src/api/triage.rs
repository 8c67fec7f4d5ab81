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
use posture_store::{AuditEntry, Principal};
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
    /// Who approved the decision, when the policy's `require_approval` rule asks for one
    /// (another person than the caller).
    #[serde(default)]
    pub approver: Option<String>,
    /// The approver's role (the `role` of the `require_approval` rule).
    #[serde(default)]
    pub role: Option<String>,
}

/// Parses an expiry date (`YYYY-MM-DD` = that day at 00:00 UTC, or RFC 3339).
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

/// Records a triage decision for a caller (API and dashboard): checks the right and scope,
/// writes it, audits it, and returns the finding as it is now.
pub fn apply_triage(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    id: i64,
    request: TriageRequest,
) -> Result<AssessedFinding, ApiError> {
    let state: FindingStatus = request
        .state
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("state: {e}")))?;
    if state == FindingStatus::Fixed {
        return Err(ApiError::BadRequest(
            "state: fixed is decided by scans, not by triage".into(),
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
    let policy_rules = match shared.policy()? {
        Some(policy) => posture_app::policy::approval_rules(
            shared.store.as_ref(),
            shared.portfolio.as_ref(),
            policy,
            id,
            now,
        )?,
        None => None,
    };
    let approval: &dyn posture_app::workflow::ApprovalRule = match &policy_rules {
        Some(rules) => rules,
        None => &posture_app::workflow::NoApprovalRequired,
    };
    let approver = request.approver.clone();
    let role = request.role.clone();
    // The workflow's state machine, acceptance rules (an acceptance needs an expiry) and
    // approvals, as `posture triage`; the audit entry is written in the decision's
    // transaction.
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
            "approver": approver, "role": role,
        }),
    };
    posture_app::workflow::decide_audited(
        shared.store.as_ref(),
        posture_app::workflow::DecisionRequest {
            finding_id: id,
            state,
            reason: reason.clone(),
            actor: principal.user.clone(),
            until: expires,
            approver: approver.clone(),
            role: role.clone(),
            at: now,
        },
        &posture_app::workflow::DecisionRules {
            approval,
            acceptance_needs_expiry: true,
        },
        Some(entry),
    )?;
    readable_finding(shared, principal, id)
}

/// Record a triage decision (admin, appsec; developers on their teams' assets).
#[utoipa::path(
    post, path = "/api/v1/findings/{id}/triage", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    request_body = TriageRequest,
    responses(
        (status = 200, description = "The finding after the decision", body = FindingJson),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn triage_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(request): Json<TriageRequest>,
) -> Result<Json<FindingJson>, ApiError> {
    let f = state
        .blocking(move |s| {
            let f = apply_triage(s, &caller.principal, caller.client.clone(), id, request)?;
            to_json(&f)
        })
        .await?;
    Ok(Json(FindingJson(f)))
}
