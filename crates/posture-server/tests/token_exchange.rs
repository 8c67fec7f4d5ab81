//! CI without stored secrets (issue 18): a CI job's OIDC token exchanged for a short-lived ci
//! token at `POST /api/v1/oauth/token` (RFC 8693), allowed by `[[oidc.ci_bindings]]`. The
//! issuers are local: this test serves their discovery documents and key sets, and signs
//! tokens shaped like GitHub Actions' and GitLab CI's ID tokens (ES256 keys made by ring).

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use common::*;
use posture_app::Clock;
use posture_server::ServerSettings;

use posture_store::testing::TestBackend;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::OnceLock;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

struct Key {
    kid: &'static str,
    pkcs8: Vec<u8>,
    jwk: Value,
}

fn key(kid: &'static str) -> Key {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .unwrap_or_else(|e| panic!("{e}"));
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .unwrap_or_else(|e| panic!("{e}"));
    let public = pair.public_key().as_ref();
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    Key {
        kid,
        jwk: json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": b64(&public[1..33]), "y": b64(&public[33..65]),
        }),
        pkcs8: pkcs8.as_ref().to_vec(),
    }
}

/// The two local CI issuers (`<base>/github`, `<base>/gitlab`) and a key nobody publishes.
struct Issuers {
    base: String,
    github: Key,
    gitlab: Key,
    stranger: Key,
}

/// Serves the issuers' discovery documents and key sets, once per test process.
fn issuers() -> &'static Issuers {
    static ISSUERS: OnceLock<Issuers> = OnceLock::new();
    ISSUERS.get_or_init(|| {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let base = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().map(|a| a.port()).unwrap_or_default()
        );
        let issuers = Issuers {
            base: base.clone(),
            github: key("github-1"),
            gitlab: key("gitlab-1"),
            stranger: key("github-1"),
        };
        let keys = [
            ("github", issuers.github.jwk.clone()),
            ("gitlab", issuers.gitlab.jwk.clone()),
        ];
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let body = keys.iter().find_map(|(name, jwk)| {
                    let issuer = format!("{base}/{name}");
                    if path == format!("/{name}/.well-known/openid-configuration") {
                        Some(json!({
                            "issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
                            "response_types_supported": ["id_token"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["ES256"],
                        }))
                    } else if path == format!("/{name}/jwks") {
                        Some(json!({ "keys": [jwk] }))
                    } else {
                        None
                    }
                });
                let (status, body) = match body {
                    Some(b) => ("200 OK", b.to_string()),
                    None => ("404 Not Found", "{}".to_string()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        issuers
    })
}

fn sign(key: &Key, claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid.to_string());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&key.pkcs8),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn now(e: &Env) -> i64 {
    e.clock.now().as_second()
}

/// A GitHub Actions ID token's claims (as documented by GitHub), for `repo` at `git_ref`.
fn github_claims(e: &Env, repo: &str, git_ref: &str) -> Value {
    let t = now(e);
    json!({
        "iss": format!("{}/github", issuers().base), "aud": "posture",
        "sub": format!("repo:{repo}:ref:{git_ref}"),
        "repository": repo, "repository_owner": "acme", "ref": git_ref, "ref_type": "branch",
        "sha": "4f1c0a7e", "workflow": "ci", "event_name": "push", "run_id": "1234",
        "actor": "alice", "jti": "8e1b7a2c", "iat": t, "nbf": t, "exp": t + 300,
    })
}

/// A GitLab CI ID token's claims (`id_tokens:` with `aud: posture`).
fn gitlab_claims(e: &Env, project: &str, git_ref: &str) -> Value {
    let t = now(e);
    json!({
        "iss": format!("{}/gitlab", issuers().base), "aud": "posture",
        "sub": format!("project_path:{project}:ref_type:branch:ref:{git_ref}"),
        "project_path": project, "namespace_path": "acme", "ref": git_ref, "ref_type": "branch",
        "pipeline_id": "991", "user_login": "bob", "jti": "c0ffee", "iat": t, "nbf": t,
        "exp": t + 300,
    })
}

fn portfolio() -> String {
    let base = &issuers().base;
    format!(
        r#"
[[team]]
name = "payments"

[[asset]]
name = "payments-api"
team = "payments"

[[asset]]
name = "identity-api"

[[oidc.ci_bindings]]
issuer = "{base}/github"
audience = "posture"
claims = {{ repository = "acme/payments-api", ref = "refs/heads/main" }}
assets = ["payments-api"]

[[oidc.ci_bindings]]
issuer = "{base}/gitlab"
audience = "posture"
claims = {{ project_path = "acme/identity-api", ref = "main", ref_type = "branch" }}
assets = ["identity-api"]
minutes = 10
"#
    )
}

fn env(backend: TestBackend) -> Env {
    let e = common::build(
        backend,
        Setup {
            toml: &portfolio(),
            files: Vec::new(),
            ci_assets: &["payments-api"],
            settings: ServerSettings::default(),
        },
    );
    // The tokens are signed with the real time, like a CI platform's.
    e.clock.set(jiff::Timestamp::now());
    e
}

on_both_backends_async!(
    env, env;
    a_github_job_gets_a_short_lived_ci_token_for_its_asset,
    a_gitlab_job_gets_its_own_binding,
    tokens_the_bindings_do_not_allow_are_refused_as_invalid_grant,
    malformed_requests_are_invalid_request,
);

async fn exchange(e: &Env, fields: &[(&str, &str)]) -> Answer {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", posture_server::oidc::form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = Request::post("/api/v1/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&e.app, req).await
}

async fn exchange_jwt(e: &Env, jwt: &str) -> Answer {
    exchange(
        e,
        &[
            ("grant_type", GRANT),
            ("subject_token", jwt),
            ("subject_token_type", JWT_TYPE),
        ],
    )
    .await
}

fn token_count(e: &Env) -> usize {
    e.db(|s| s.tokens())
        .unwrap_or_else(|err| panic!("{err}"))
        .len()
}

fn audit(e: &Env) -> Vec<posture_store::AuditRecord> {
    e.db(|s| s.audit_log(500))
        .unwrap_or_else(|err| panic!("{err}"))
}

async fn a_github_job_gets_a_short_lived_ci_token_for_its_asset(e: &Env) {
    let jwt = sign(
        &issuers().github,
        &github_claims(e, "acme/payments-api", "refs/heads/main"),
    );
    let a = exchange_jwt(e, &jwt).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("cache-control"), "no-store");
    let body = a.json();
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(token.starts_with("pst_"));

    // The token is a ci token of a service account, for the binding's asset only.
    let me = call(&e.app, Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    let me = me.json();
    assert_eq!(me["role"], "ci");
    assert_eq!(me["assets"], json!(["payments-api"]));
    assert_eq!(me["user_kind"], "service");
    assert_eq!(
        me["user"],
        "oidc:repo:acme/payments-api:ref:refs/heads/main"
    );
    // It may not read findings, nor upload to another asset.
    let read = call(&e.app, Method::GET, "/api/v1/findings", Some(&token), None).await;
    assert_eq!(read.status, StatusCode::FORBIDDEN);
    let upload = Request::post("/api/v1/scans?asset=identity-api&name=trivy.json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap_or_else(|err| panic!("{err}"));
    let other = send(&e.app, upload).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());

    // The exchange is audited with the job's claims, never the tokens.
    let entry = audit(e)
        .into_iter()
        .find(|x| x.action == "token.exchange")
        .unwrap_or_else(|| panic!("not audited"));
    assert_eq!(entry.detail["claims"]["repository"], "acme/payments-api");
    assert_eq!(entry.detail["claims"]["ref"], "refs/heads/main");
    assert_eq!(entry.detail["binding_line"], 12);
    assert_eq!(entry.detail["jti"], "8e1b7a2c");
    let log = serde_json::to_string(&audit(e).iter().map(|x| &x.detail).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(!log.contains(&jwt[..40]) && !log.contains(&token));

    // 15 minutes later it is dead.
    e.clock.set(
        e.clock
            .now()
            .checked_add(jiff::SignedDuration::from_mins(16))
            .unwrap_or_else(|err| panic!("{err}")),
    );
    let late = call(&e.app, Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
}

async fn a_gitlab_job_gets_its_own_binding(e: &Env) {
    let jwt = sign(
        &issuers().gitlab,
        &gitlab_claims(e, "acme/identity-api", "main"),
    );
    let a = exchange_jwt(e, &jwt).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["expires_in"], 600);
    let token = a.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let me = call(&e.app, Method::GET, "/api/v1/me", Some(&token), None)
        .await
        .json();
    assert_eq!(me["assets"], json!(["identity-api"]));
    // A GitLab token naming GitHub's repository claims matches nothing of GitLab's binding.
    let mut claims = gitlab_claims(e, "acme/payments-api", "main");
    claims["repository"] = json!("acme/payments-api");
    let refused = exchange_jwt(e, &sign(&issuers().gitlab, &claims)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["error"], "invalid_grant");
}

async fn tokens_the_bindings_do_not_allow_are_refused_as_invalid_grant(e: &Env) {
    let iss = issuers();
    let before = token_count(e);
    let good = || github_claims(e, "acme/payments-api", "refs/heads/main");
    let mut expired = good();
    expired["iat"] = json!(now(e) - 7200);
    expired["nbf"] = json!(now(e) - 7200);
    expired["exp"] = json!(now(e) - 3600);
    let mut wrong_aud = good();
    wrong_aud["aud"] = json!("https://github.com/acme");
    let mut foreign = good();
    foreign["iss"] = json!("https://token.actions.githubusercontent.com");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong repository",
            sign(
                &iss.github,
                &github_claims(e, "acme/other-repo", "refs/heads/main"),
            ),
            "repository=acme/other-repo",
        ),
        (
            "wrong ref",
            sign(
                &iss.github,
                &github_claims(e, "acme/payments-api", "refs/heads/feature"),
            ),
            "ref=refs/heads/feature",
        ),
        ("expired", sign(&iss.github, &expired), "expired"),
        (
            "bad signature",
            sign(&iss.stranger, &good()),
            "signature is wrong",
        ),
        (
            "wrong audience",
            sign(&iss.github, &wrong_aud),
            "another audience",
        ),
        (
            "another issuer's key",
            sign(&iss.gitlab, &good()),
            "does not publish",
        ),
        (
            "untrusted issuer",
            sign(&iss.github, &foreign),
            "trusts the issuer",
        ),
    ];
    for (what, jwt, says) in &cases {
        let a = exchange_jwt(e, jwt).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{what}: {}", a.text());
        assert_eq!(a.header("cache-control"), "no-store");
        let body = a.json();
        assert_eq!(body["error"], "invalid_grant", "{what}: {body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(says), "{what}: {description}");
    }
    // An HMAC token under the issuer's key id (algorithm confusion) is refused too.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some("github-1".into()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &good(),
        &jsonwebtoken::EncodingKey::from_secret(b"public"),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let a = exchange_jwt(e, &hs).await;
    assert_eq!(a.json()["error"], "invalid_grant", "{}", a.text());
    assert!(a.text().contains("shared-secret"), "{}", a.text());

    assert_eq!(token_count(e), before, "no token was made");
    let refusals = audit(e)
        .into_iter()
        .filter(|x| x.action == "token.exchange.refused")
        .count();
    // Every refusal of a token naming a trusted issuer is audited: the six above and the HMAC
    // one (a token of an untrusted issuer is not: anyone can make those).
    assert_eq!(refusals, cases.len() - 1 + 1);
}

async fn malformed_requests_are_invalid_request(e: &Env) {
    let jwt = sign(
        &issuers().github,
        &github_claims(e, "acme/payments-api", "refs/heads/main"),
    );
    let jwt = jwt.as_str();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("subject_token", jwt), ("subject_token_type", JWT_TYPE)],
            "invalid_request",
        ),
        (
            vec![("grant_type", "client_credentials"), ("subject_token", jwt)],
            "unsupported_grant_type",
        ),
        (
            vec![("grant_type", GRANT), ("subject_token_type", JWT_TYPE)],
            "invalid_request",
        ),
        (
            vec![("grant_type", GRANT), ("subject_token", jwt)],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", GRANT),
                ("subject_token", jwt),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:saml2",
                ),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("grant_type", GRANT),
                ("subject_token", "not-a-jwt"),
                ("subject_token_type", JWT_TYPE),
            ],
            "invalid_request",
        ),
    ];
    for (fields, code) in cases {
        let a = exchange(e, &fields).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{fields:?}: {}",
            a.text()
        );
        assert_eq!(a.json()["error"], code, "{fields:?}: {}", a.text());
        assert!(
            a.json()["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
}
