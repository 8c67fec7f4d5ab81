//! Users (admin): people and service accounts, the approval roles people hold (the roles a
//! policy's `require_approval` names) and their team memberships.

use super::*;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, State};
use posture_model::Timestamp;
use posture_store::UserRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user: a person or a service account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub name: String,
    /// `person` or `service`.
    pub kind: String,
    /// Approval roles held (`appsec-lead`, `vp`...).
    pub roles: Vec<String>,
    /// Recorded team memberships.
    pub teams: Vec<String>,
    /// Tokens neither revoked nor expired.
    pub active_tokens: usize,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        UserView {
            name: u.name,
            kind: u.kind,
            roles: u.roles,
            teams: u.teams,
            active_tokens: u.active_tokens,
            created_at: u.created_at,
        }
    }
}

/// A user to create (or to complete: roles and teams are added to an existing user).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreateRequest {
    pub name: String,
    /// A service account (a pipeline), not a person: it holds no approval role.
    #[serde(default)]
    pub service_account: bool,
    /// Approval roles to give (`appsec-lead`, `vp`...).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Teams to record the user as a member of.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// The user named, as listed.
pub fn user_view(s: &Shared, name: &str) -> Result<UserView, ApiError> {
    s.store
        .users(s.clock.now())?
        .into_iter()
        .find(|u| u.name == name)
        .map(UserView::from)
        .ok_or_else(|| ApiError::NotFound(format!("no user named {name}")))
}

/// Every user (admin).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "access",
    responses(
        (status = 200, description = "Users, by name", body = Vec<UserView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            Ok(s.store
                .users(s.clock.now())?
                .into_iter()
                .map(UserView::from)
                .collect())
        })
        .await?;
    Ok(Json(list))
}

/// Create a user, or give an existing one roles and teams (admin). Audited.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "access", request_body = UserCreateRequest,
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<UserCreateRequest>,
) -> Result<Json<UserView>, ApiError> {
    let view = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            let now = s.clock.now();
            let name = request.name.clone();
            s.store.ensure_user(&name, request.service_account, now)?;
            for role in &request.roles {
                s.store
                    .grant_user_role(&name, role, &caller.principal.user, now)?;
            }
            for team in &request.teams {
                s.store.add_membership(team, &name, now)?;
            }
            let view = user_view(s, &name)?;
            audit(
                s,
                &caller.actor(),
                "user.update",
                format!("user {name}"),
                serde_json::json!({
                    "kind": view.kind, "roles_given": request.roles, "teams_added": request.teams,
                }),
            )?;
            Ok(view)
        })
        .await?;
    Ok(Json(view))
}

/// Give a person an approval role (admin). Audited.
#[utoipa::path(
    put, path = "/api/v1/users/{name}/roles/{role}", tag = "access",
    params(("name" = String, Path), ("role" = String, Path)),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn grant_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, role)): Path<(String, String)>,
) -> Result<Json<UserView>, ApiError> {
    let view = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            s.store
                .grant_user_role(&name, &role, &caller.principal.user, s.clock.now())?;
            audit(
                s,
                &caller.actor(),
                "user.role.grant",
                format!("user {name}"),
                serde_json::json!({ "role": role }),
            )?;
            user_view(s, &name)
        })
        .await?;
    Ok(Json(view))
}

/// Take an approval role away (admin). Audited.
#[utoipa::path(
    delete, path = "/api/v1/users/{name}/roles/{role}", tag = "access",
    params(("name" = String, Path), ("role" = String, Path)),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn revoke_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, role)): Path<(String, String)>,
) -> Result<Json<UserView>, ApiError> {
    let view = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            if !s.store.revoke_user_role(&name, &role)? {
                return Err(ApiError::NotFound(format!(
                    "{name} does not hold the role {role}"
                )));
            }
            audit(
                s,
                &caller.actor(),
                "user.role.revoke",
                format!("user {name}"),
                serde_json::json!({ "role": role }),
            )?;
            user_view(s, &name)
        })
        .await?;
    Ok(Json(view))
}
