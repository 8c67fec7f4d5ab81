//! Bulk triage: one decision on many findings, all or nothing (API and dashboard).
//!
//! Every finding goes through what a single triage goes through (the caller's right and
//! scope, the state machine, the acceptance rules, the policy's approval rules) before
//! anything is written; the first refusal answers, naming its finding, and nothing changes.
//! Then the decisions that need no approval are recorded in one transaction, and each one the
//! policy asks a role to approve becomes a pending request (as `POST .../{id}/triage` does).

use super::*;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::State;
use posture_app::workflow::{ApprovalRule, DecisionRequest, DecisionRules, NoApprovalRequired};
use posture_model::FindingStatus;
use posture_store::{AuditEntry, EventQuery, NewApproval, Principal};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

/// The most findings one bulk decision names.
pub const MAX_BULK: usize = 500;

/// One triage decision for several findings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTriageRequest {
    /// The findings (1 to 500 ids, each once).
    pub ids: Vec<i64>,
    /// confirmed, in-progress, false-positive, accepted, not-affected, or open to clear.
    pub state: String,
    /// Why (kept in each finding's history and the audit log).
    pub reason: String,
    /// For `accepted` (required there): until when (YYYY-MM-DD, that day 00:00 UTC, or RFC
    /// 3339; in the future).
    #[serde(default)]
    pub expires: Option<String>,
}

/// A decision that waits for a role's approval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PendingDecision {
    pub finding_id: i64,
    /// The approval request (`POST /api/v1/approvals/{id}/approve`).
    pub approval_id: i64,
    /// The role whose holder must approve it.
    pub role: String,
}

/// What a bulk decision did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkTriageOutcome {
    /// The findings whose decision is recorded, in the order given.
    pub decided: Vec<i64>,
    /// The decisions the policy asks a role to approve: nothing changed on these findings
    /// until a holder of the role approves.
    pub pending: Vec<PendingDecision>,
}

/// Applies one decision to several findings for a caller, all or nothing (see the module).
pub fn apply_bulk_triage(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    request: BulkTriageRequest,
) -> Result<BulkTriageOutcome, ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    if request.ids.is_empty() {
        return bad("ids: name at least one finding".into());
    }
    if request.ids.len() > MAX_BULK {
        return bad(format!(
            "ids: {} findings, at most {MAX_BULK} in one decision",
            request.ids.len()
        ));
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = request.ids.iter().find(|id| !seen.insert(**id)) {
        return bad(format!("ids: finding {twice} is named twice"));
    }
    let state: FindingStatus = request
        .state
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("state: {e}")))?;
    if state == FindingStatus::Fixed {
        return bad("state: fixed is decided by scans, not by triage".into());
    }
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return bad("reason: say why (it is kept in the history)".into());
    }
    let now = shared.clock.now();
    let expires = match request
        .expires
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(text) if state == FindingStatus::Accepted => Some(parse_expiry(text, now)?),
        Some(_) => return bad("expires: only an accepted risk has an expiry".into()),
        None => None,
    };
    // Read and scope: an unreadable id answers as an unknown one.
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    let mut findings = Vec::with_capacity(request.ids.len());
    for id in &request.ids {
        let f = readable_finding(shared, principal, *id)?;
        scope.require_triage(&f)?;
        findings.push(f);
    }
    // The policy's approval rules, over all of them at once.
    let rules = match shared.policy()? {
        Some(policy) => {
            let mut events: HashMap<i64, Vec<posture_store::EventRecord>> = HashMap::new();
            for e in shared.store.event_log(&EventQuery {
                finding_ids: Some(request.ids.clone()),
                ..EventQuery::default()
            })? {
                events.entry(e.finding_id).or_default().push(e);
            }
            Some(posture_app::policy::PolicyRules::new(
                policy,
                shared.portfolio.clone(),
                &findings,
                &events,
                now,
            ))
        }
        None => None,
    };
    let approval: &dyn ApprovalRule = match &rules {
        Some(r) => r,
        None => &NoApprovalRequired,
    };
    let open_requests = shared.store.approvals(Some("pending"))?;
    let decision = |id: i64| DecisionRequest {
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
    let mut direct = Vec::new();
    let mut waiting = Vec::new();
    for f in &findings {
        let id = f.finding.id;
        match approval.requirement(&f.finding, state) {
            Some(need) => {
                let current = posture_app::workflow::check_request(
                    shared.store.as_ref(),
                    &decision(id),
                    &need,
                )?;
                if let Some(open) = open_requests.iter().find(|a| a.finding_id == id) {
                    return Err(ApiError::Conflict(format!(
                        "finding {id} already has a pending request (#{}, {} by {}): approve or reject it first; nothing was changed",
                        open.id, open.state, open.requested_by
                    )));
                }
                waiting.push((id, need, current.status, f.finding.asset.clone()));
            }
            None => direct.push(decision(id)),
        }
    }
    // Everything checked: write. The decisions in one transaction with their audit entry
    // (decide_many checks each again under the state machine before writing any).
    let decided: Vec<i64> = direct.iter().map(|d| d.finding_id).collect();
    if !direct.is_empty() {
        let froms: serde_json::Map<String, serde_json::Value> = findings
            .iter()
            .filter(|f| decided.contains(&f.finding.id))
            .map(|f| {
                (
                    f.finding.id.to_string(),
                    serde_json::json!(f.finding.status),
                )
            })
            .collect();
        let entry = AuditEntry {
            at: now,
            actor: principal.user.clone(),
            token_id: Some(principal.token_id),
            client: client.clone(),
            action: "finding.triage".into(),
            target: format!(
                "findings {}",
                decided
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            detail: serde_json::json!({
                "bulk": true, "ids": decided, "from": froms, "to": state,
                "reason": reason, "expires": expires,
            }),
        };
        posture_app::workflow::decide_many(
            shared.store.as_ref(),
            direct,
            &DecisionRules {
                approval,
                acceptance_needs_expiry: true,
            },
            Some(entry),
        )?;
    }
    let mut pending = Vec::new();
    for (id, need, from, asset) in waiting {
        let record = shared.store.create_approval(NewApproval {
            finding_id: id,
            from_status: from.as_str().to_string(),
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
            client: client.clone(),
            action: "approval.request".into(),
            target: format!("finding {id}"),
            detail: serde_json::json!({
                "approval": record.id, "from": from, "to": state, "bulk": true,
                "reason": reason, "expires": expires, "asset": asset,
                "role": need.role, "rule": need.rule_id,
            }),
        })?;
        pending.push(PendingDecision {
            finding_id: id,
            approval_id: record.id,
            role: need.role,
        });
    }
    Ok(BulkTriageOutcome { decided, pending })
}

/// One triage decision for several findings, all or nothing (admin, appsec; developers on
/// their teams' assets): each goes through the state machine and the approval rules before
/// anything is written. Decisions the policy asks a role to approve become pending requests.
#[utoipa::path(
    post, path = "/api/v1/findings/triage", tag = "findings",
    request_body = BulkTriageRequest,
    responses(
        (status = 200, description = "What was decided, and what waits for approval", body = BulkTriageOutcome),
        (status = 400, description = "A bad field, or a move the state machine refuses (naming the finding); nothing changed", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not triage", body = ErrorBody),
        (status = 404, description = "A finding is unknown or not readable by this token; nothing changed", body = ErrorBody),
        (status = 409, description = "A finding already has a pending request; nothing changed", body = ErrorBody)
    )
)]
pub(crate) async fn bulk_triage(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<BulkTriageRequest>,
) -> Result<Json<BulkTriageOutcome>, ApiError> {
    let outcome = state
        .blocking(move |s| apply_bulk_triage(s, &caller.principal, caller.client.clone(), request))
        .await?;
    Ok(Json(outcome))
}
