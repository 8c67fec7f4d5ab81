//! Single sign-on for the dashboard (OpenID Connect authorization code flow with PKCE, state
//! and nonce) and "sign out everywhere" for admins.
//!
//! `GET /login/oidc` sends the browser to the provider with a fresh state, nonce and PKCE
//! challenge; the three secrets travel back in a short-lived HttpOnly cookie (SameSite=Lax, as
//! the provider's redirect back is a cross-site navigation), so nothing is held in the
//! server's memory and any server behind a load balancer can finish the sign-in. The callback
//! checks the state, redeems the code with the verifier, checks the ID token
//! ([`crate::oidc::Verifier::verify`]: signature with the issuer's keys, issuer, audience,
//! expiry, nonce), maps the ID token's groups to a role, teams and approval roles
//! (`[[oidc.map]]`), and signs the user in ([`posture_store::AccessStore::sso_sign_in`]: the
//! user record, the refreshed rights, the session and the audit entry in one transaction).
//! Codes, tokens and the client secret are never logged, stored or shown.

use crate::api::{Caller, require_admin};
use crate::auth::{constant_time_eq, hash_secret, new_secret};
use crate::error::ApiError;
use crate::oidc::{self, Expect, OidcError};
use crate::web::{SESSION_COOKIE, at, cookie, error_page, login_form, secure};
use crate::{AppState, Shared};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{delete, get};
use posture_app::oidc_config::{OidcSignIn, SIGN_IN_ROLES};
use posture_store::{AuditEntry, Role, SsoSignIn};
use serde::Deserialize;

const FLOW_COOKIE: &str = "posture_oidc";
/// How long a sign-in may take at the provider.
const FLOW_MINUTES: i64 = 10;

/// The sign-in routes (the callback at the configured `redirect_path`) and the admin's
/// "sign out everywhere".
pub fn routes(redirect_path: Option<&str>) -> Router<AppState> {
    let router = Router::new()
        .route("/login/oidc", get(start))
        .route("/api/v1/users/{name}/sessions", delete(end_sessions_api));
    router.route(
        redirect_path.unwrap_or("/login/oidc/callback"),
        get(callback),
    )
}

/// `[oidc]`'s sign-in part, when configured.
pub fn sign_in_config(shared: &Shared) -> Option<&OidcSignIn> {
    shared
        .portfolio
        .as_ref()
        .and_then(|c| c.portfolio.oidc())
        .and_then(|o| o.sign_in.as_ref())
}

/// The redirect URI registered at the provider: the base URL and `redirect_path`.
fn redirect_uri(shared: &Shared, config: &OidcSignIn) -> Result<String, ApiError> {
    let base = shared.settings.base_url.as_deref().ok_or_else(|| {
        ApiError::Conflict(
            "single sign-on needs the address people reach the server at: start it with --base-url"
                .into(),
        )
    })?;
    Ok(format!(
        "{}{}",
        base.trim_end_matches('/'),
        config.redirect_path
    ))
}

fn random_hex() -> Result<String, ApiError> {
    new_secret("").map(|s| s.value)
}

async fn start(State(state): State<AppState>) -> Response {
    let Some(config) = sign_in_config(&state).cloned() else {
        return error_page(
            &state,
            None,
            &ApiError::NotFound("single sign-on is not configured ([oidc] in posture.toml)".into()),
        );
    };
    let prepared = state
        .blocking(move |s| {
            let redirect = redirect_uri(s, &config)?;
            let discovery = s.oidc.discovery(&config.issuer).map_err(provider_error)?;
            if discovery.authorization_endpoint.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "the OpenID provider {} has no authorization_endpoint",
                    config.issuer
                )));
            }
            let (flow_state, nonce, verifier) = (random_hex()?, random_hex()?, random_hex()?);
            let query = [
                ("response_type", "code".to_string()),
                ("client_id", config.client_id.clone()),
                ("redirect_uri", redirect),
                ("scope", config.scopes.join(" ")),
                ("state", flow_state.clone()),
                ("nonce", nonce.clone()),
                ("code_challenge", oidc::pkce_challenge(&verifier)),
                ("code_challenge_method", "S256".to_string()),
            ]
            .iter()
            .map(|(k, v)| format!("{k}={}", oidc::form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
            let sep = if discovery.authorization_endpoint.contains('?') {
                '&'
            } else {
                '?'
            };
            Ok((
                format!("{}{sep}{query}", discovery.authorization_endpoint),
                format!("{flow_state}.{nonce}.{verifier}"),
                config.redirect_path.clone(),
            ))
        })
        .await;
    match prepared {
        Ok((url, flow, redirect_path)) => {
            let mut response = Redirect::to(&url).into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{FLOW_COOKIE}={flow}; Path={}; HttpOnly; SameSite=Lax; Max-Age={}{}",
                at(&state, &redirect_path),
                FLOW_MINUTES * 60,
                secure(&state)
            )) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Err(e) => login_form(&state, Some(&e.to_string()), e.status()),
    }
}

fn provider_error(e: OidcError) -> ApiError {
    match e {
        OidcError::Provider { .. } => ApiError::Conflict(e.to_string()),
        OidcError::Rejected(m) => ApiError::Unauthorized(format!("sign-in refused: {m}")),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: the issuer that answers (a defence against mixing up providers).
    iss: Option<String>,
}

/// What the groups of an ID token give, by `[[oidc.map]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub role: Role,
    pub teams: Vec<String>,
    pub approval_roles: Vec<String>,
}

/// Maps groups to the strongest access role any of them gives (admin > appsec > developer >
/// reader), the teams of the developer entries (when that role is developer) and every
/// approval role. `None` when no group gives an access role.
pub fn grant_of(config: &OidcSignIn, groups: &[String]) -> Option<Granted> {
    let rank = |r: &str| {
        SIGN_IN_ROLES
            .iter()
            .position(|x| *x == r)
            .unwrap_or(usize::MAX)
    };
    let matching: Vec<_> = config
        .map
        .iter()
        .filter(|m| groups.contains(&m.group))
        .collect();
    let best = matching
        .iter()
        .filter_map(|m| m.role.as_deref())
        .min_by_key(|r| rank(r))?;
    let role: Role = best.parse().ok()?;
    let mut teams: Vec<String> = if role == Role::Developer {
        matching
            .iter()
            .filter(|m| m.role.as_deref() == Some("developer"))
            .filter_map(|m| m.team.clone())
            .collect()
    } else {
        Vec::new()
    };
    teams.sort();
    teams.dedup();
    let mut approval_roles: Vec<String> = matching
        .iter()
        .filter_map(|m| m.approval_role.clone())
        .collect();
    approval_roles.sort();
    approval_roles.dedup();
    Some(Granted {
        role,
        teams,
        approval_roles,
    })
}

fn refused(state: &Shared, message: &str, status: StatusCode) -> Response {
    let mut response = login_form(state, Some(message), status);
    clear_flow_cookie(state, &mut response);
    response
}

fn clear_flow_cookie(state: &Shared, response: &mut Response) {
    let path = sign_in_config(state).map_or("/login/oidc", |c| c.redirect_path.as_str());
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLOW_COOKIE}=; Path={}; HttpOnly; SameSite=Lax; Max-Age=0",
        at(state, path)
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: crate::web::Client,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(config) = sign_in_config(&state).cloned() else {
        return error_page(
            &state,
            None,
            &ApiError::NotFound("single sign-on is not configured ([oidc] in posture.toml)".into()),
        );
    };
    if let Some(error) = &query.error {
        // The provider's own refusal (the person cancelled, or is not allowed the client).
        let description = query.error_description.as_deref().unwrap_or("");
        return refused(
            &state,
            &format!(
                "The identity provider refused the sign-in ({error}{}{description}).",
                if description.is_empty() { "" } else { ": " }
            ),
            StatusCode::UNAUTHORIZED,
        );
    }
    let flow = cookie(&headers, FLOW_COOKIE).unwrap_or("").to_string();
    let mut parts = flow.split('.');
    let (Some(expected_state), Some(nonce), Some(verifier)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return refused(
            &state,
            "The sign-in expired or was started in another browser: please sign in again.",
            StatusCode::BAD_REQUEST,
        );
    };
    let given_state = query.state.as_deref().unwrap_or("");
    if expected_state.is_empty() || !constant_time_eq(expected_state, given_state) {
        return refused(
            &state,
            "The sign-in's state does not match (an old or forged answer): please sign in again.",
            StatusCode::BAD_REQUEST,
        );
    }
    if query.iss.as_deref().is_some_and(|iss| iss != config.issuer) {
        return refused(
            &state,
            "The answer comes from another identity provider than the configured one.",
            StatusCode::BAD_REQUEST,
        );
    }
    let Some(code) = query.code.clone().filter(|c| !c.is_empty()) else {
        return refused(
            &state,
            "The identity provider sent no authorization code.",
            StatusCode::BAD_REQUEST,
        );
    };
    let (nonce, verifier) = (nonce.to_string(), verifier.to_string());
    let hours = state.settings.session_hours.max(1);
    let client = client.0;
    let outcome = state
        .blocking(move |s| finish(s, &config, &code, &nonce, &verifier, hours, client))
        .await;
    match outcome {
        Ok(session) => {
            // A page of our own, not a redirect: the session cookie is SameSite=Strict, and a
            // redirect chain that started at the provider is cross-site, so the browser would
            // not send it on the redirected request.
            let home = at(&state, "/");
            let mut response = Html(format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={home}\"><title>Signed in</title></head><body><p>Signed in. <a href=\"{home}\">Continue to Posture</a>.</p></body></html>"
            ))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={session}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}{}",
                home,
                hours * 3600,
                secure(&state)
            )) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            clear_flow_cookie(&state, &mut response);
            response
        }
        Err(e) => refused(&state, &e.to_string(), e.status()),
    }
}

/// Redeems the code, checks the ID token, maps its groups and signs the user in. Refusals of
/// a token that was checked (no role for the groups) are audited.
fn finish(
    s: &Shared,
    config: &OidcSignIn,
    code: &str,
    nonce: &str,
    verifier: &str,
    hours: i64,
    client: Option<String>,
) -> Result<String, ApiError> {
    let redirect = redirect_uri(s, config)?;
    let secret = match (&s.settings.oidc_client_secret, &config.client_secret_env) {
        (Some(secret), _) => Some(secret.0.clone()),
        (None, Some(var)) => Some(std::env::var(var).map_err(|_| {
            ApiError::Conflict(format!(
                "the client secret is missing: the environment variable {var} named by [oidc] client_secret_env is not set"
            ))
        })?),
        (None, None) => None,
    };
    let id_token = s
        .oidc
        .redeem_code(
            &config.issuer,
            &oidc::CodeRedemption {
                code,
                redirect_uri: &redirect,
                verifier,
                client_id: &config.client_id,
                client_secret: secret.as_deref(),
            },
        )
        .map_err(provider_error)?;
    let now = s.clock.now();
    let claims = s
        .oidc
        .verify(
            &id_token,
            &Expect {
                issuer: &config.issuer,
                audiences: &[config.client_id.as_str()],
                nonce: Some(nonce),
                now: now.as_second(),
            },
        )
        .map_err(provider_error)?;
    let subject = oidc::claim_text(&claims, "sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("sign-in refused: the ID token has no `sub`".into())
        })?;
    let user = oidc::claim_text(&claims, &config.username_claim)
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "sign-in refused: the ID token has no `{}` claim to name the user (ask for its scope, or set [oidc] username_claim)",
                config.username_claim
            ))
        })?;
    if config.username_claim == "email"
        && claims.get("email_verified") == Some(&serde_json::Value::Bool(false))
    {
        return Err(ApiError::Unauthorized(
            "sign-in refused: the provider has not verified this e-mail address".into(),
        ));
    }
    let groups = oidc::claim_list(&claims, &config.groups_claim);
    let Some(granted) = grant_of(config, &groups) else {
        s.store.record_audit(AuditEntry {
            at: now,
            actor: user.clone(),
            token_id: None,
            client,
            action: "session.sso.refused".into(),
            target: format!("user {user}"),
            detail: serde_json::json!({
                "issuer": config.issuer, "subject": subject, "groups": groups,
                "reason": "no [[oidc.map]] entry gives these groups an access role",
            }),
        })?;
        return Err(ApiError::Forbidden(format!(
            "{user} signed in, but none of their groups ({}) gives a role in Posture: an admin maps groups in [[oidc.map]]",
            if groups.is_empty() {
                "none".to_string()
            } else {
                groups.join(", ")
            }
        )));
    };
    let session = new_secret("pss_")?;
    let token = new_secret(crate::auth::TOKEN_PREFIX)?;
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(hours))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let issuer = config.issuer.clone();
    let subject2 = subject.clone();
    let groups2 = groups.clone();
    s.store.sso_sign_in(
        SsoSignIn {
            issuer: config.issuer.clone(),
            subject,
            user,
            role: granted.role,
            teams: granted.teams,
            approval_roles: granted.approval_roles,
            groups,
            token_hash: token.hash,
            token_prefix: token.prefix,
            session_hash: hash_secret(&session.value),
            at: now,
            expires_at,
        },
        &|o: &posture_store::SsoOutcome| {
            Some(AuditEntry {
                at: now,
                actor: o.user.clone(),
                token_id: Some(o.token_id),
                client: client.clone(),
                action: "session.sso".into(),
                target: format!("user {}", o.user),
                detail: serde_json::json!({
                    "issuer": issuer, "subject": subject2, "groups": groups2,
                    "role": o.role, "teams": o.teams, "approval_roles": o.approval_roles,
                    "removed": o.removed, "user_created": o.created,
                    "expires_at": expires_at,
                }),
            })
        },
    )?;
    Ok(session.value)
}

/// What "sign out everywhere" did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionsEnded {
    /// Dashboard sessions of the user that ended.
    pub sessions_ended: usize,
}

/// End every dashboard session of a user (admin): "sign out everywhere". Audited.
#[utoipa::path(
    delete, path = "/api/v1/users/{name}/sessions", tag = "access",
    params(("name" = String, Path)),
    responses(
        (status = 200, description = "How many sessions ended", body = SessionsEnded),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)
    )
)]
pub(crate) async fn end_sessions_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<SessionsEnded>, ApiError> {
    let ended = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            let entry = crate::api::audit_entry(
                s,
                &caller.actor(),
                "user.sessions.end",
                format!("user {name}"),
                serde_json::json!({}),
            );
            Ok(s.store.end_user_sessions(&name, Some(entry))?)
        })
        .await?;
    Ok(Json(SessionsEnded {
        sessions_ended: ended,
    }))
}
