//! API tokens (admin): list, create (the value shown once), revoke.

use super::*;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, TokenRequest};
use axum::Json;
use axum::extract::{Path, State};
use posture_model::Timestamp;
use posture_store::{Role, TokenRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub user: String,
    pub name: String,
    /// admin, appsec, developer, reader or ci.
    pub role: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    /// Whom it belongs to: `person` or `service` (a service account).
    pub owner_kind: String,
    /// The teams the token acts for (its own grant).
    pub teams: Vec<String>,
    pub assets: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub created_by: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        TokenView {
            id: t.id,
            user: t.user,
            name: t.name,
            role: t.role.to_string(),
            prefix: t.prefix,
            owner_kind: t.owner_kind,
            teams: t.teams,
            assets: t.assets,
            created_at: t.created_at,
            created_by: t.created_by,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// Every token (admin).
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "access",
    responses(
        (status = 200, description = "Tokens, newest first", body = Vec<TokenView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            Ok(s.store.tokens()?.into_iter().map(TokenView::from).collect())
        })
        .await?;
    Ok(Json(list))
}

/// A token to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TokenCreateRequest {
    /// admin, appsec, developer, reader or ci.
    pub role: String,
    /// The person or service account it belongs to (default: the name).
    pub user: Option<String>,
    pub name: Option<String>,
    /// The developer's team (the token acts for it).
    pub team: Option<String>,
    /// More teams the developer token acts for.
    #[serde(default)]
    pub teams: Vec<String>,
    /// The assets a ci token may upload to.
    #[serde(default)]
    pub assets: Vec<String>,
    /// The user is a service account (ci tokens always belong to one).
    #[serde(default)]
    pub service_account: bool,
    /// Expiry (YYYY-MM-DD or RFC 3339), or `never`; default 90 days.
    pub expires: Option<String>,
}

/// A new token: `token` is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenCreated {
    pub token: String,
    pub record: TokenView,
}

/// Create a token (admin); its value is in this answer only.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "access", request_body = TokenCreateRequest,
    responses(
        (status = 200, description = "The token, shown once", body = TokenCreated),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(request): Json<TokenCreateRequest>,
) -> Result<Json<TokenCreated>, ApiError> {
    let created = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            let role: Role = request
                .role
                .parse()
                .map_err(|e: String| ApiError::BadRequest(e))?;
            let now = s.clock.now();
            let expires = crate::TokenExpiry::parse(request.expires.as_deref())?;
            let mut teams = request.teams;
            if let Some(team) = request.team {
                teams.insert(0, team);
            }
            let (token, record) = crate::create_token(
                s.store.as_ref(),
                TokenRequest {
                    role,
                    user: request.user,
                    name: request.name,
                    teams,
                    assets: request.assets,
                    service_account: request.service_account,
                    expires,
                },
                &caller.actor(),
                now,
            )?;
            Ok(TokenCreated {
                token,
                record: record.into(),
            })
        })
        .await?;
    Ok(Json(created))
}

/// Revoke a token (admin); its sessions end.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "access",
    params(("id" = i64, Path, description = "The token id")),
    responses(
        (status = 200, description = "The revoked token", body = TokenView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TokenView>, ApiError> {
    let record = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            let actor = caller.actor();
            let record = s.store.revoke_token_audited(id, s.clock.now(), &|record| {
                Some(audit_entry(
                    s,
                    &actor,
                    "token.revoke",
                    format!("token {id}"),
                    serde_json::json!({ "name": record.name, "prefix": record.prefix }),
                ))
            })?;
            Ok(TokenView::from(record))
        })
        .await?;
    Ok(Json(record))
}
