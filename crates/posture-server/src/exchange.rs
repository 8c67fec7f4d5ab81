//! CI without stored secrets: OAuth 2.0 token exchange (RFC 8693) at `POST
//! /api/v1/oauth/token`. A CI job sends its platform's OIDC token (a GitHub Actions or GitLab
//! CI ID token) as `subject_token`; when a `[[oidc.ci_bindings]]` entry of `posture.toml`
//! trusts its issuer and audience and every claim it names has the required value, the job gets
//! a `ci` token for the binding's assets that lives `minutes` (15 unless said). The subject
//! token is checked like an ID token ([`crate::oidc::Verifier::verify`]). Every exchange is
//! audited (`token.exchange` in the token's own transaction; refusals of a token that names a
//! trusted issuer as `token.exchange.refused`), without the tokens. Answers use RFC 6749's
//! error shape: `{"error": "invalid_grant", "error_description": "..."}`.

use crate::auth::{TOKEN_PREFIX, new_secret};
use crate::oidc::{self, Expect, OidcError};
use crate::{AppState, Shared};
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use posture_app::oidc_config::CiBinding;
use posture_store::{AuditEntry, NewToken, Role, TokenRecord};
use serde::Serialize;
use std::collections::HashMap;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPES: &[&str] = &[
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
];
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/oauth/token", post(token))
}

/// RFC 6749 section 5.2 error codes used here.
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

fn invalid_request(description: impl Into<String>) -> OAuthError {
    OAuthError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_request",
        description: description.into(),
    }
}

fn invalid_grant(description: impl Into<String>) -> OAuthError {
    OAuthError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_grant",
        description: description.into(),
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(serde_json::json!({
                "error": self.code, "error_description": self.description,
            })),
        )
            .into_response();
        no_store(&mut response);
        response
    }
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A successful exchange (RFC 8693 section 2.2.1).
#[derive(Debug, Serialize)]
pub struct Exchanged {
    pub access_token: String,
    pub issued_token_type: &'static str,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// The assets the token may upload to (not in RFC 8693; for the job's log).
    pub assets: Vec<String>,
}

/// The claims of a token against one binding: the names of those that differ.
fn mismatches(
    binding: &CiBinding,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    binding
        .claims
        .iter()
        .filter(|(name, want)| oidc::claim_text(claims, name).as_deref() != Some(want.as_str()))
        .map(|(name, _)| name.clone())
        .collect()
}

async fn token(
    State(state): State<AppState>,
    client: crate::web::Client,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let client = client.0;
    match state
        .blocking(move |s| Ok(exchange(s, &form, client)))
        .await
    {
        Ok(Ok(answer)) => {
            let mut response = (StatusCode::OK, axum::Json(answer)).into_response();
            no_store(&mut response);
            response
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => OAuthError {
            status: e.status(),
            code: "server_error",
            description: e.to_string(),
        }
        .into_response(),
    }
}

fn exchange(
    s: &Shared,
    form: &HashMap<String, String>,
    client: Option<String>,
) -> Result<Exchanged, OAuthError> {
    let field = |name: &str| form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    match field("grant_type") {
        None => return Err(invalid_request("grant_type is missing")),
        Some(GRANT_TYPE) => {}
        Some(other) => {
            return Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                code: "unsupported_grant_type",
                description: format!("grant_type `{other}` is not supported: use {GRANT_TYPE}"),
            });
        }
    }
    let subject_token =
        field("subject_token").ok_or_else(|| invalid_request("subject_token is missing"))?;
    match field("subject_token_type") {
        None => return Err(invalid_request("subject_token_type is missing")),
        Some(t) if JWT_TYPES.contains(&t) => {}
        Some(t) => {
            return Err(invalid_request(format!(
                "subject_token_type `{t}` is not supported: send the CI platform's OIDC token as {}",
                JWT_TYPES[0]
            )));
        }
    }
    if let Some(t) = field("requested_token_type")
        && t != ACCESS_TOKEN_TYPE
    {
        return Err(invalid_request(format!(
            "requested_token_type `{t}` is not supported: Posture issues {ACCESS_TOKEN_TYPE}"
        )));
    }
    let bindings: Vec<&CiBinding> = s
        .portfolio
        .as_ref()
        .and_then(|c| c.portfolio.oidc())
        .map(|o| o.ci_bindings.iter().collect())
        .unwrap_or_default();
    if bindings.is_empty() {
        return Err(invalid_grant(
            "this server trusts no CI platform: posture.toml has no [[oidc.ci_bindings]]",
        ));
    }
    let unverified =
        oidc::unverified_claims(subject_token).map_err(|e| invalid_request(e.to_string()))?;
    let issuer = oidc::claim_text(&unverified, "iss").unwrap_or_default();
    let of_issuer: Vec<&CiBinding> = bindings
        .into_iter()
        .filter(|b| b.issuer == issuer)
        .collect();
    if of_issuer.is_empty() {
        return Err(invalid_grant(format!(
            "no [[oidc.ci_bindings]] entry trusts the issuer `{issuer}`"
        )));
    }
    let now = s.clock.now();
    let audiences: Vec<&str> = of_issuer.iter().map(|b| b.audience.as_str()).collect();
    let refuse = |reason: String, claims: Option<&serde_json::Map<String, serde_json::Value>>| {
        let sub = claims.and_then(|c| oidc::claim_text(c, "sub"));
        let entry = AuditEntry {
            at: now,
            actor: sub
                .clone()
                .map_or_else(|| "oidc-exchange".to_string(), |s| format!("oidc:{s}")),
            token_id: None,
            client: client.clone(),
            action: "token.exchange.refused".into(),
            target: format!("issuer {issuer}"),
            detail: serde_json::json!({ "reason": reason, "subject": sub }),
        };
        if let Err(e) = s.store.record_audit(entry) {
            tracing::error!("cannot audit a refused token exchange: {e}");
        }
        invalid_grant(reason)
    };
    let claims = match s.oidc.verify(
        subject_token,
        &Expect {
            issuer: &issuer,
            audiences: &audiences,
            nonce: None,
            now: now.as_second(),
        },
    ) {
        Ok(c) => c,
        Err(OidcError::Rejected(m)) => return Err(refuse(m, None)),
        Err(e @ OidcError::Provider { .. }) => {
            return Err(OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "temporarily_unavailable",
                description: e.to_string(),
            });
        }
    };
    let token_audiences: Vec<String> = oidc::claim_list(&claims, "aud");
    let candidates: Vec<&CiBinding> = of_issuer
        .iter()
        .copied()
        .filter(|b| token_audiences.contains(&b.audience))
        .collect();
    let Some(binding) = candidates
        .iter()
        .copied()
        .find(|b| mismatches(b, &claims).is_empty())
    else {
        let described: Vec<String> = candidates
            .iter()
            .flat_map(|b| b.claims.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|name| {
                format!(
                    "{name}={}",
                    oidc::claim_text(&claims, name).unwrap_or_else(|| "(absent)".into())
                )
            })
            .collect();
        return Err(refuse(
            format!(
                "no [[oidc.ci_bindings]] entry of issuer {issuer} allows this token's claims ({})",
                described.join(", ")
            ),
            Some(&claims),
        ));
    };
    let secret = new_secret(TOKEN_PREFIX).map_err(|e| OAuthError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "server_error",
        description: e.to_string(),
    })?;
    let minutes = i64::from(binding.minutes);
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .map_err(|e| invalid_request(e.to_string()))?;
    let subject = oidc::claim_text(&claims, "sub").unwrap_or_else(|| "unknown".into());
    let matched: serde_json::Map<String, serde_json::Value> = binding
        .claims
        .keys()
        .map(|k| {
            (
                k.clone(),
                oidc::claim_text(&claims, k).unwrap_or_default().into(),
            )
        })
        .collect();
    let jti = oidc::claim_text(&claims, "jti");
    let audit = |record: &TokenRecord| {
        Some(AuditEntry {
            at: now,
            actor: record.user.clone(),
            token_id: Some(record.id),
            client: client.clone(),
            action: "token.exchange".into(),
            target: format!("token {}", record.id),
            detail: serde_json::json!({
                "issuer": issuer, "subject": subject, "binding_line": binding.line,
                "claims": matched, "jti": jti, "assets": record.assets,
                "prefix": record.prefix, "expires_at": record.expires_at,
            }),
        })
    };
    let record = s
        .store
        .create_token_audited(
            NewToken {
                user: format!("oidc:{subject}"),
                name: format!("exchanged by {issuer}"),
                role: Role::Ci,
                teams: Vec::new(),
                service_account: true,
                assets: binding.assets.clone(),
                secret_hash: secret.hash,
                prefix: secret.prefix,
                expires_at: Some(expires_at),
                created_by: "oidc:exchange".into(),
                at: now,
            },
            &audit,
        )
        .map_err(|e| OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: crate::error::ApiError::from(e).to_string(),
        })?;
    Ok(Exchanged {
        access_token: secret.value,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: minutes * 60,
        assets: record.assets,
    })
}
