//! The REST API under `/api/v1`, with bearer tokens. Every handler checks the caller's right
//! and scope (401 without a valid token, 403 without the right), calls the store off the async
//! threads, and answers JSON (errors as `{"error": {...}}`). The OpenAPI document is generated
//! from these handlers' annotations and served at `/api/v1/openapi.json`.
//!
//! One module per resource; each handler extracts the request, calls one use case (mostly in
//! posture-app) and answers. The extractor of the caller and the helpers every resource uses
//! are here.

mod approvals;
mod assets;
mod audit;
mod bulk;
mod components;
mod feeds;
mod findings;
mod fixes;
mod openapi;
mod scans;
mod suggestions;
mod teams;
mod tokens;
mod triage;
mod uploads;
mod users;
mod vex;

pub use approvals::*;
pub use assets::*;
pub use audit::*;
pub use bulk::*;
pub use components::*;
pub use feeds::*;
pub use findings::*;
pub use fixes::*;
pub use openapi::*;
pub use scans::*;
pub use suggestions::*;
pub use teams::*;
pub use tokens::*;
pub use triage::*;
pub use uploads::*;
pub use users::*;
pub use vex::*;

use crate::auth::{Scope, hash_secret};
use crate::error::ApiError;
use crate::{Actor, AppState, Shared};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use posture_store::{AuditEntry, Principal, Right};
use serde::Serialize;
use std::net::SocketAddr;

/// The largest page of findings.
pub const MAX_PAGE: usize = 500;
/// The default page of findings.
pub const DEFAULT_PAGE: usize = 50;

/// A `limit` parameter: `default` when absent, else 1 to `max`; outside, a 400 naming the
/// bound (never a silent cap).
pub fn bounded_limit(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "limit: {n} is out of range (1 to {max})"
        ))),
    }
}

/// A caller authenticated by a bearer token.
pub struct Caller {
    pub principal: Principal,
    pub client: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.principal.user.clone(),
            token_id: Some(self.principal.token_id),
            client: self.client.clone(),
        }
    }
}

/// The client's address: the connection's peer, or the address a trusted proxy forwarded
/// (`--trusted-proxy`, see [`crate::ops::client_address`]).
pub fn client_of(parts: &Parts) -> Option<String> {
    if let Some(client) = parts.extensions.get::<crate::ops::ClientAddr>() {
        return client.ip.map(|ip| ip.to_string());
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = client_of(parts);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim().to_string())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "this API needs a token: send `Authorization: Bearer pst_...` (create one with `posture token create`)".into(),
                )
            })?;
        let hash = hash_secret(&token);
        let now = state.now();
        let principal = state
            .blocking(move |s| Ok(s.store.authenticate(&hash, now)?))
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("the token is unknown, expired or revoked".into())
            })?;
        crate::ops::note_caller(principal.token_id, &principal.user);
        Ok(Caller { principal, client })
    }
}

pub(crate) fn audit(
    shared: &Shared,
    actor: &Actor,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    shared
        .store
        .record_audit(audit_entry(shared, actor, action, target, detail))?;
    Ok(())
}

/// The audit entry of a write by `actor`, to store with the write (`*_audited` store calls).
pub(crate) fn audit_entry(
    shared: &Shared,
    actor: &Actor,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at: shared.clock.now(),
        actor: actor.name.clone(),
        token_id: actor.token_id,
        client: actor.client.clone(),
        action: action.to_string(),
        target,
        detail,
    }
}

/// Serialized JSON, as the CLI prints it (field order kept).
pub(crate) fn to_json<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    serde_json::value::to_raw_value(value)
        .map_err(|e| ApiError::Internal(format!("cannot serialize: {e}")))
}

pub(crate) fn require_admin(shared: &Shared, principal: &Principal) -> Result<(), ApiError> {
    Scope::new(principal, shared.portfolio.as_ref()).require(Right::Administer)
}

/// Routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(
            "/api/v1/scans",
            post(upload_scan)
                .get(list_scans)
                // The size cap is enforced while reading, with a JSON 413.
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/uploads/{id}", get(get_upload_job))
        .route("/api/v1/findings", get(list_findings))
        .route("/api/v1/findings/triage", post(bulk_triage))
        .route("/api/v1/findings/{id}", get(get_finding))
        .route("/api/v1/findings/{id}/explain", get(explain_finding))
        .route("/api/v1/findings/{id}/events", get(finding_events))
        .route("/api/v1/findings/{id}/triage", post(triage_finding))
        .route("/api/v1/fixes", get(list_fixes))
        .route("/api/v1/assets", get(list_assets))
        .route("/api/v1/components", get(list_components))
        .route(
            "/api/v1/assets/{asset}/branches",
            get(crate::branches_api::list_branches),
        )
        .route(
            "/api/v1/assets/{asset}/branches/{branch}",
            delete(crate::branches_api::delete_branch),
        )
        .route("/api/v1/teams", get(list_teams))
        .route("/api/v1/teams/{team}/members", get(team_members))
        .route(
            "/api/v1/teams/{team}/members/{user}",
            axum::routing::put(add_team_member).delete(remove_team_member),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route(
            "/api/v1/users/{name}/roles/{role}",
            axum::routing::put(grant_role).delete(revoke_role),
        )
        .route("/api/v1/approvals", get(list_approvals))
        .route("/api/v1/approvals/{id}/approve", post(approve_request))
        .route("/api/v1/approvals/{id}/reject", post(reject_request))
        .route("/api/v1/vex-suggestions", get(list_vex_suggestions))
        .route(
            "/api/v1/vex-suggestions/{id}/apply",
            post(apply_vex_suggestion),
        )
        .route(
            "/api/v1/vex-suggestions/{id}/dismiss",
            post(dismiss_vex_suggestion),
        )
        .route("/api/v1/suggestions", get(list_suggestions))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/feeds", get(list_feeds))
        .route("/api/v1/me", get(me))
}
