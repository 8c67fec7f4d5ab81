//! VEX as a decision: a VEX document uploaded by a caller without the triage right (a ci
//! token) is held as a suggestion, shown here and applied only by someone who may triage the
//! asset, under their own name. Applying or dismissing is audited with the document.

use super::*;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, Query, State};
use posture_model::{Timestamp, VexStatement};
use posture_store::{Principal, Right, VexSuggestionRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A VEX document held as a suggestion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VexSuggestionView {
    pub id: i64,
    pub asset: String,
    /// The uploaded document's name.
    pub report: String,
    /// The statements (vulnerability ids, products, status, justification...).
    #[schema(value_type = Vec<Object>)]
    pub statements: serde_json::Value,
    pub uploaded_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// `pending`, `applied` or `dismissed`.
    pub status: String,
    pub decided_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    /// What applying it did (the answer of `apply` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<serde_json::Value>,
}

impl From<VexSuggestionRecord> for VexSuggestionView {
    fn from(v: VexSuggestionRecord) -> Self {
        VexSuggestionView {
            id: v.id,
            asset: v.asset,
            report: v.report,
            statements: v.statements,
            uploaded_by: v.uploaded_by,
            created_at: v.created_at,
            status: v.status,
            decided_by: v.decided_by,
            decided_at: v.decided_at,
            outcome: None,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VexSuggestionsParams {
    /// pending (default), applied, dismissed or all.
    status: Option<String>,
}

fn readable(shared: &Shared, principal: &Principal) -> impl Fn(&VexSuggestionRecord) -> bool {
    let scope_principal = principal.clone();
    let portfolio = shared.portfolio.clone();
    move |v| crate::auth::Scope::new(&scope_principal, portfolio.as_ref()).may_read_asset(&v.asset)
}

/// VEX suggestions of the assets the caller may read (pending by default).
#[utoipa::path(
    get, path = "/api/v1/vex-suggestions", tag = "findings", params(VexSuggestionsParams),
    responses(
        (status = 200, description = "Suggestions, newest first", body = Vec<VexSuggestionView>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_vex_suggestions(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<VexSuggestionsParams>,
) -> Result<Json<Vec<VexSuggestionView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            crate::auth::Scope::new(&caller.principal, s.portfolio.as_ref())
                .require(Right::Read)?;
            let status = match params.status.as_deref().map(str::trim) {
                None | Some("") => Some("pending"),
                Some("all") => None,
                Some(x @ ("pending" | "applied" | "dismissed")) => Some(x),
                Some(other) => {
                    return Err(ApiError::BadRequest(format!(
                        "status: unknown `{other}` (pending, applied, dismissed or all)"
                    )));
                }
            };
            let keep = readable(s, &caller.principal);
            Ok(s.store
                .vex_suggestions(status)?
                .into_iter()
                .filter(|v| keep(v))
                .map(VexSuggestionView::from)
                .collect())
        })
        .await?;
    Ok(Json(list))
}

/// Applies (or dismisses) a pending suggestion as `principal`, who must be able to triage its
/// asset. Audited as `vex.apply` (every change, the document, the uploader) or `vex.dismiss`.
pub fn decide_vex_suggestion(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    id: i64,
    apply: bool,
) -> Result<VexSuggestionView, ApiError> {
    let scope = crate::auth::Scope::new(principal, shared.portfolio.as_ref());
    let not_found = || ApiError::NotFound(format!("no VEX suggestion {id}"));
    let suggestion = shared
        .store
        .vex_suggestions(None)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(not_found)?;
    if !scope.may_read_asset(&suggestion.asset) {
        scope.require(Right::Read)?;
        return Err(not_found());
    }
    scope.require(Right::Triage)?;
    if suggestion.status != "pending" {
        return Err(ApiError::Conflict(format!(
            "VEX suggestion {id} is already {}",
            suggestion.status
        )));
    }
    let now = shared.clock.now();
    let closed = shared
        .store
        .close_vex_suggestion(
            id,
            if apply { "applied" } else { "dismissed" },
            &principal.user,
            now,
        )?
        .ok_or_else(|| ApiError::Conflict(format!("VEX suggestion {id} was decided meanwhile")))?;
    let mut view = VexSuggestionView::from(closed);
    let actor = crate::Actor {
        name: principal.user.clone(),
        token_id: Some(principal.token_id),
        client,
    };
    if apply {
        let statements: Vec<VexStatement> = serde_json::from_value(suggestion.statements.clone())
            .map_err(|e| {
            ApiError::Internal(format!("VEX suggestion {id} cannot be read: {e}"))
        })?;
        let outcome = posture_app::workflow::apply_vex(
            shared.store.as_ref(),
            &suggestion.asset,
            &suggestion.report,
            &statements,
            now,
        )?;
        audit(
            shared,
            &actor,
            "vex.apply",
            format!("asset {}", suggestion.asset),
            serde_json::json!({
                "suggestion": id, "report": suggestion.report,
                "uploaded_by": suggestion.uploaded_by, "statements": outcome.statements,
                "changes": outcome.changes, "noted": outcome.noted, "kept": outcome.kept,
            }),
        )?;
        view.outcome = Some(
            serde_json::to_value(&outcome)
                .map_err(|e| ApiError::Internal(format!("cannot serialize: {e}")))?,
        );
    } else {
        audit(
            shared,
            &actor,
            "vex.dismiss",
            format!("asset {}", suggestion.asset),
            serde_json::json!({
                "suggestion": id, "report": suggestion.report,
                "uploaded_by": suggestion.uploaded_by,
            }),
        )?;
    }
    Ok(view)
}

/// Apply a VEX suggestion (a caller who may triage its asset): its statements apply as they
/// would have at upload, never over a person's decision.
#[utoipa::path(
    post, path = "/api/v1/vex-suggestions/{id}/apply", tag = "findings",
    params(("id" = i64, Path, description = "The suggestion")),
    responses(
        (status = 200, description = "The suggestion, applied, with what it did", body = VexSuggestionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)
    )
)]
pub(crate) async fn apply_vex_suggestion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<VexSuggestionView>, ApiError> {
    let view = state
        .blocking(move |s| {
            decide_vex_suggestion(s, &caller.principal, caller.client.clone(), id, true)
        })
        .await?;
    Ok(Json(view))
}

/// Dismiss a VEX suggestion (a caller who may triage its asset): nothing changes.
#[utoipa::path(
    post, path = "/api/v1/vex-suggestions/{id}/dismiss", tag = "findings",
    params(("id" = i64, Path, description = "The suggestion")),
    responses(
        (status = 200, description = "The suggestion, dismissed", body = VexSuggestionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)
    )
)]
pub(crate) async fn dismiss_vex_suggestion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<VexSuggestionView>, ApiError> {
    let view = state
        .blocking(move |s| {
            decide_vex_suggestion(s, &caller.principal, caller.client.clone(), id, false)
        })
        .await?;
    Ok(Json(view))
}
