//! The audit log of every write (admin), and the caller's own identity (`/me`).

use super::*;
use crate::AppState;
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::State;
use posture_model::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A recorded write.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    pub token_id: Option<i64>,
    pub client: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// At most this many entries (default 200, 1 to 10000; more is a 400).
    limit: Option<usize>,
}

/// The audit log, newest first (admin).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "access", params(AuditParams),
    responses(
        (status = 200, description = "Audit entries, newest first", body = Vec<AuditView>),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let limit = bounded_limit(params.limit, 200, 10_000)?;
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            Ok(s.store
                .audit_log(limit)?
                .into_iter()
                .map(|a| AuditView {
                    id: a.id,
                    at: a.at,
                    actor: a.actor,
                    token_id: a.token_id,
                    client: a.client,
                    action: a.action,
                    target: a.target,
                    detail: a.detail,
                })
                .collect())
        })
        .await?;
    Ok(Json(list))
}

/// Who the token belongs to and what it may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub token_name: String,
    pub role: String,
    pub teams: Vec<String>,
    pub assets: Vec<String>,
    /// `person` or `service` (a service account).
    pub user_kind: String,
    /// The approval roles the user holds (`appsec-lead`, `vp`...).
    pub approval_roles: Vec<String>,
}

/// The caller.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "access",
    responses((status = 200, description = "The caller", body = Me), (status = 401, body = ErrorBody))
)]
pub(crate) async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    let scope = Scope::new(&caller.principal, state.portfolio.as_ref());
    Json(Me {
        teams: scope.teams(),
        user: caller.principal.user.clone(),
        token_name: caller.principal.token_name.clone(),
        role: caller.principal.role.to_string(),
        assets: caller.principal.assets.clone(),
        user_kind: caller.principal.user_kind.clone(),
        approval_roles: caller.principal.user_roles.clone(),
    })
}
