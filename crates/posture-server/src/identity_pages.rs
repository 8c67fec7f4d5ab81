//! The dashboard's identity pages (issues 18 and 20): each person's own tokens (any signed-in
//! user: what exists in their name, when each expires and was last used, and a revoke button),
//! and for admins the users and service accounts (roles, teams, active tokens, "sign out
//! everywhere") and the audit log.
//!
//! Same rights as the API: the users page, sign-out-everywhere and the audit log need the
//! administer right; a person revokes only tokens in their own name here (an admin revokes any
//! through the API). Every form is checked against the session's CSRF token first, and every
//! write is audited in its own transaction.

use crate::AppState;
use crate::api;
use crate::dashboard::{actor_of, page, see_other};
use crate::error::ApiError;
use crate::web::{Client, Viewer, check_csrf, error_page, when};
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

/// The pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(tokens_page))
        .route("/tokens/{id}/revoke", post(revoke_form))
        .route("/users", get(users_page))
        .route("/users/{name}/sign-out", post(sign_out_form))
        .route("/audit", get(audit_page))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

// ---------------------------------------------------------------------------------------
// My tokens

/// The tokens in the viewer's name, newest first: role, teams or assets, created, expires,
/// last used, revoked; the one behind this session is marked.
async fn tokens_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let now = s.clock.now();
            let mut mine: Vec<_> = s
                .store
                .tokens()?
                .into_iter()
                .filter(|t| t.user.eq_ignore_ascii_case(&principal.user))
                .collect();
            mine.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let soon = now.as_millisecond() + 14 * 86_400_000;
            let rows: Vec<serde_json::Value> = mine
                .iter()
                .map(|t| {
                    let expired = t.expires_at.is_some_and(|e| e <= now);
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else if expired {
                        "expired"
                    } else {
                        "active"
                    };
                    serde_json::json!({
                        "id": t.id,
                        "name": t.name,
                        "prefix": t.prefix,
                        "role": t.role,
                        "teams": t.teams,
                        "assets": t.assets,
                        "created": when(t.created_at),
                        "expires": t.expires_at.map(when),
                        "expires_soon": state == "active"
                            && t.expires_at.is_some_and(|e| e.as_millisecond() <= soon),
                        "last_used": t.last_used_at.map(when),
                        "state": state,
                        "current": t.id == principal.token_id,
                    })
                })
                .collect();
            Ok(serde_json::json!({
                "tokens": rows,
                "notice": notice.done,
            }))
        })
        .await;
    page(&state, &viewer, "tokens.html", "tokens", data)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// Revokes a token in the viewer's own name (its sessions end; revoking the one behind this
/// session signs the viewer out).
async fn revoke_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            // What is not the viewer's does not exist for them.
            let owned = s
                .store
                .tokens()?
                .into_iter()
                .find(|t| t.id == id && t.user.eq_ignore_ascii_case(&principal.user))
                .ok_or_else(|| ApiError::NotFound(format!("no token {id} of yours")))?;
            if owned.revoked_at.is_some() {
                return Err(ApiError::Conflict(format!(
                    "token {} ({}) is already revoked",
                    owned.name, owned.prefix
                )));
            }
            s.store.revoke_token_audited(id, s.clock.now(), &|record| {
                Some(api::audit_entry(
                    s,
                    &actor,
                    "token.revoke",
                    format!("token {id}"),
                    serde_json::json!({ "name": record.name, "prefix": record.prefix, "own": true }),
                ))
            })?;
            Ok(id == principal.token_id)
        })
        .await;
    match done {
        // the session's own token: the session ended with it
        Ok(true) => see_other(&state, "/login"),
        Ok(false) => see_other(&state, "/tokens?done=revoked"),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

// ---------------------------------------------------------------------------------------
// Users and service accounts (admin)

async fn users_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(notice): Query<Notice>,
) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            api::require_admin(s, &principal)?;
            let now = s.clock.now();
            let tokens = s.store.tokens()?;
            let users: Vec<serde_json::Value> = s
                .store
                .users(now)?
                .into_iter()
                .map(|u| {
                    let last_used = tokens
                        .iter()
                        .filter(|t| t.user.eq_ignore_ascii_case(&u.name))
                        .filter_map(|t| t.last_used_at)
                        .max();
                    serde_json::json!({
                        "name": u.name,
                        "kind": u.kind,
                        "roles": u.roles,
                        "teams": u.teams,
                        "active_tokens": u.active_tokens,
                        "created": when(u.created_at),
                        "last_used": last_used.map(when),
                    })
                })
                .collect();
            Ok(serde_json::json!({ "users": users, "notice": notice.done }))
        })
        .await;
    page(&state, &viewer, "users.html", "users", data)
}

/// Ends every dashboard session of a user (admin): the same use case as
/// `DELETE /api/v1/users/{name}/sessions`.
async fn sign_out_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            api::require_admin(s, &principal)?;
            let entry = api::audit_entry(
                s,
                &actor,
                "user.sessions.end",
                format!("user {name}"),
                serde_json::json!({}),
            );
            let ended = s.store.end_user_sessions(&name, Some(entry))?;
            Ok((name, ended))
        })
        .await;
    match done {
        Ok((name, ended)) => see_other(
            &state,
            &format!(
                "/users?done={}",
                crate::web::enc(&format!(
                    "{name} signed out everywhere ({ended} session{})",
                    if ended == 1 { "" } else { "s" }
                ))
            ),
        ),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

// ---------------------------------------------------------------------------------------
// Audit log (admin)

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Only actions starting with this (`token.`, `finding.triage`...).
    #[serde(default)]
    action: String,
    /// Only this actor.
    #[serde(default)]
    actor: String,
}

/// How many of the latest entries the page reads (the API pages further).
const AUDIT_PAGE: usize = 500;

async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AuditParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            api::require_admin(s, &principal)?;
            let action = params.action.trim().to_string();
            let actor = params.actor.trim().to_string();
            let entries: Vec<serde_json::Value> = s
                .store
                .audit_log(AUDIT_PAGE)?
                .into_iter()
                .filter(|e| action.is_empty() || e.action.starts_with(&action))
                .filter(|e| actor.is_empty() || e.actor.eq_ignore_ascii_case(&actor))
                .map(|e| {
                    let detail = if e.detail.is_null()
                        || e.detail.as_object().is_some_and(|o| o.is_empty())
                    {
                        String::new()
                    } else {
                        e.detail.to_string()
                    };
                    serde_json::json!({
                        "id": e.id,
                        "at": when(e.at),
                        "actor": e.actor,
                        "token": e.token_id,
                        "client": e.client,
                        "action": e.action,
                        "target": e.target,
                        "detail": detail,
                    })
                })
                .collect();
            Ok(serde_json::json!({
                "entries": entries,
                "action": action,
                "actor": actor,
                "limit": AUDIT_PAGE,
            }))
        })
        .await;
    page(&state, &viewer, "audit.html", "audit", data)
}
