//! `posture serve`: the shared place where pipelines upload reports, people triage and
//! leaders read the dashboard.
//!
//! * [`api`]: the REST API under `/api/v1` (bearer tokens), described by an OpenAPI 3 document
//!   generated from the code at `/api/v1/openapi.json`.
//! * [`web`]: the server-rendered dashboard (no scripts at all, a strict CSP, escaped
//!   templates, CSRF tokens on every form, session cookies).
//! * [`auth`]: tokens, sessions, roles and scopes; every write is recorded in the audit log.
//! * [`governance`]: the policy (`[policy] file` of `posture.toml`), the CI gate and the
//!   programme metrics over HTTP, through the same `posture_app` functions as the CLI.
//!
//! The store is synchronous; every call goes through [`AppState::blocking`]
//! (`tokio::task::spawn_blocking`). Ingest goes through `posture_app::ingest`, exactly as the
//! CLI does (same detection, size cap and all-or-nothing transaction).

pub mod api;
pub mod auth;
pub mod branches_api;
mod charts;
mod dashboard;
mod error;
pub mod exchange;
pub mod governance;
mod identity_pages;
pub mod jobs;
pub mod listing;
pub mod oidc;
pub mod ops;
pub mod overview;
mod pages;
mod rejections;
pub mod schemas;
pub mod sso;
pub mod web;

pub use error::{ApiError, ErrorBody};

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use posture_app::Clock;
use posture_app::risk::RiskConfig;
use posture_model::Timestamp;
use posture_store::{AccessStore, AuditEntry, NewToken, Role, TokenRecord};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// The content security policy of every answer: nothing but this origin, no scripts at all,
/// no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Uploads larger than this are refused with 413 unless `--max-upload-size` says otherwise.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// A secret setting: kept, compared, never shown (`Debug` prints `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Knobs of a server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The largest report accepted by `POST /api/v1/scans` (413 above).
    pub max_upload_bytes: u64,
    /// How long a dashboard session lasts.
    pub session_hours: i64,
    /// Mark cookies `Secure` (set when served behind HTTPS).
    pub secure_cookies: bool,
    /// The address people reach the server at (`--base-url`), for links the server writes
    /// outside its pages (notifications, tickets); `None` when not configured.
    pub base_url: Option<String>,
    /// The path the server is reached under (`/posture` for `https://tools.example/posture/`),
    /// without a trailing slash; empty at the root. Routes and links are under it.
    pub base_path: String,
    /// Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed.
    pub trusted_proxies: Vec<ops::Cidr>,
    /// When set, `/metrics` answers only `Authorization: Bearer <this>`.
    pub metrics_token: Option<Secret>,
    /// Uploads read or ingested at once; beyond, 429 with Retry-After.
    pub max_concurrent_uploads: usize,
    /// Uploads of more bytes than this are taken as jobs (202 and a status address).
    pub async_upload_above: u64,
    /// The accept loop's connection cap and timeouts.
    pub limits: ops::Limits,
    /// The scheduled jobs (webhook delivery, Jira sync, feed refresh, sweeps).
    pub jobs: jobs::JobSettings,
    /// The OpenID client secret (`[oidc] client_secret_env`, read once at start); `None`: read
    /// the variable when a sign-in needs it.
    pub oidc_client_secret: Option<Secret>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            session_hours: 12,
            secure_cookies: false,
            base_url: None,
            base_path: String::new(),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            max_concurrent_uploads: DEFAULT_MAX_CONCURRENT_UPLOADS,
            async_upload_above: DEFAULT_ASYNC_UPLOAD_ABOVE,
            limits: ops::Limits::default(),
            jobs: jobs::JobSettings::default(),
            oidc_client_secret: None,
        }
    }
}

/// Uploads above this size are taken as jobs unless `--async-upload-above` says otherwise: at
/// the ingest's pace (about 15 MB/s on two busy cores) the answer of a larger one could come
/// after a proxy's usual 60 s timeout would have cut it off under load.
pub const DEFAULT_ASYNC_UPLOAD_ABOVE: u64 = 32 * 1024 * 1024;

/// Uploads taken at once unless `--max-concurrent-uploads` says otherwise (each may hold a
/// few times its size in memory while it is parsed).
pub const DEFAULT_MAX_CONCURRENT_UPLOADS: usize = 4;

/// The path part of a base URL (`https://x.example/posture/` gives `/posture`), checked.
pub fn base_path_of(base_url: &str) -> Result<String, String> {
    let rest = base_url
        .strip_prefix("https://")
        .or_else(|| base_url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{base_url}`: the base URL starts with https:// or http://"))?;
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    if path.contains(['?', '#']) {
        return Err(format!(
            "`{base_url}`: the base URL has no query or fragment"
        ));
    }
    let path = path.trim_end_matches('/');
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~%/".contains(*c)))
    {
        return Err(format!(
            "`{base_url}`: the base URL's path may hold letters, digits and -._~%/ only, not `{c}`"
        ));
    }
    if path
        .split('/')
        .skip(1)
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(format!(
            "`{base_url}`: the base URL's path has an empty, `.` or `..` segment"
        ));
    }
    Ok(path.to_string())
}

/// What every handler shares.
pub struct Shared {
    pub store: Arc<dyn AccessStore>,
    /// `posture.toml` (assets, teams, ownership, risk weights), when given.
    pub portfolio: Option<RiskConfig>,
    /// The policy file named by `posture.toml`'s `[policy] file` (relative to it), as the CLI
    /// finds it. It is read on each use, so an edited policy applies without a restart, and a
    /// broken one is refused where it is needed (409) rather than stopping the server.
    pub policy_file: Option<PathBuf>,
    pub settings: ServerSettings,
    pub clock: Arc<dyn Clock>,
    /// The dashboard's last portfolio summary (see [`overview::SummaryCache`]).
    pub summary: overview::SummaryCache,
    /// One stored-risk refresh at a time over `store` (after uploads, before lists).
    pub risk_refresh: posture_app::risk::RiskRefresher,
    /// What `/metrics` exposes.
    pub metrics: Arc<ops::Metrics>,
    /// Uploads in progress, against `settings.max_concurrent_uploads`.
    pub upload_slots: ops::UploadSlots,
    /// The OpenID providers' discovery documents and key sets (sign-in, token exchange).
    pub oidc: oidc::Verifier,
    templates: minijinja::Environment<'static>,
}

/// The server's state: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn AccessStore>,
        portfolio: Option<RiskConfig>,
        settings: ServerSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ServerError> {
        Ok(AppState(Arc::new(Shared {
            store,
            policy_file: posture_app::policy::policy_path(None, portfolio.as_ref()),
            portfolio,
            clock,
            summary: overview::SummaryCache::default(),
            risk_refresh: Default::default(),
            metrics: Arc::default(),
            upload_slots: ops::UploadSlots::new(settings.max_concurrent_uploads),
            oidc: oidc::Verifier::default(),
            templates: pages::templates(&settings.base_path)
                .map_err(|e| ServerError::Templates(e.to_string()))?,
            settings,
        })))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Runs blocking work (the store) off the async threads.
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.0.clone();
        tokio::task::spawn_blocking(move || work(&state))
            .await
            .map_err(|e| ApiError::Internal(format!("a worker failed: {e}")))?
    }
}

impl Shared {
    /// The configured policy, read and checked now: `None` when `posture.toml` names none; 409
    /// when the named file cannot be read or does not check (the message holds every
    /// diagnostic, rustc-style).
    pub fn policy(&self) -> Result<Option<posture_app::policy::Policy>, ApiError> {
        let Some(path) = &self.policy_file else {
            return Ok(None);
        };
        // Callers see the file's name, not where the server keeps it.
        let full = path.display().to_string();
        let name = path
            .file_name()
            .map_or_else(|| "policy".to_string(), |n| n.to_string_lossy().to_string());
        match posture_app::policy::read_policy(path) {
            Ok(Ok(policy)) => Ok(Some(policy)),
            Ok(Err(diagnostics)) => Err(ApiError::Conflict(format!(
                "the server's policy is invalid (check it with `posture policy check` or GET /api/v1/policy):\n{}",
                diagnostics
                    .render(posture_app::policy::RenderStyle::Plain)
                    .replace(&full, &name)
            ))),
            Err(e) => Err(ApiError::Conflict(format!(
                "the server's policy cannot be read: {}",
                e.to_string().replace(&full, &name)
            ))),
        }
    }
}

#[cfg(test)]
mod base_path_tests {
    use super::base_path_of;

    #[test]
    fn the_base_url_gives_the_sub_path() {
        assert_eq!(base_path_of("https://posture.example"), Ok(String::new()));
        assert_eq!(base_path_of("https://posture.example/"), Ok(String::new()));
        assert_eq!(
            base_path_of("https://tools.example/sec/posture/"),
            Ok("/sec/posture".into())
        );
        assert!(base_path_of("tools.example/posture").is_err());
        assert!(base_path_of("https://x.example/a//b").is_err());
        assert!(base_path_of("https://x.example/a/../b").is_err());
        assert!(base_path_of("https://x.example/p?x=1").is_err());
        assert!(base_path_of("https://x.example/p\"onmouseover=").is_err());
    }
}

/// Errors of starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: String, error: std::io::Error },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("the dashboard templates do not compile: {0}")]
    Templates(String),
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// The whole application: API, dashboard, static files, the probes and `/metrics`, with
/// security headers on every answer and the request layer ([`ops::observe`]: request id,
/// metrics, log line, client address, upload cap) around everything. Routes are at the root:
/// under a sub-path (`settings.base_path`) the accept loop takes the prefix off before
/// routing ([`ops::serve_with_limits`]), and links and redirects put it back.
pub fn router(state: AppState) -> Router {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let app = Router::new()
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/readyz", axum::routing::get(ops::readyz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .merge(api::routes())
        .merge(governance::routes())
        .merge(web::routes())
        .merge(sso::routes(
            sso::sign_in_config(&state).map(|c| c.redirect_path.as_str()),
        ))
        .merge(exchange::routes());
    app.fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rejections::shape_errors,
        ))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .with_state(state)
}

/// 404: JSON under `/api/`, a page elsewhere.
async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let error = ApiError::NotFound(format!("nothing at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        error.into_response()
    } else {
        web::error_page(&state, None, &error)
    }
}

/// How long a token lives unless its request says otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;

/// When a new token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenExpiry {
    /// [`DEFAULT_TOKEN_DAYS`] from its creation.
    Default,
    At(Timestamp),
    /// Never (said explicitly: `--expires never`).
    Never,
}

impl TokenExpiry {
    /// Reads `--expires` / `"expires"`: absent or empty is the default, `never` is never,
    /// else a date (that day 00:00 UTC) or an RFC 3339 time.
    pub fn parse(text: Option<&str>) -> Result<TokenExpiry, ApiError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(TokenExpiry::Default),
            Some(t) if t.eq_ignore_ascii_case("never") => Ok(TokenExpiry::Never),
            Some(t) => posture_app::workflow::parse_date_or_time(t)
                .map(TokenExpiry::At)
                .map_err(|e| ApiError::BadRequest(format!("expires: {e}"))),
        }
    }

    /// The expiry time of a token made at `now`.
    pub fn at(self, now: Timestamp) -> Option<Timestamp> {
        match self {
            TokenExpiry::Default => now
                .checked_add(jiff::SignedDuration::from_hours(DEFAULT_TOKEN_DAYS * 24))
                .ok(),
            TokenExpiry::At(t) => Some(t),
            TokenExpiry::Never => None,
        }
    }
}

/// What a new token is for (the CLI's `posture token create` and `POST /api/v1/tokens`).
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub role: Role,
    /// The person or service account it belongs to (default: the name).
    pub user: Option<String>,
    pub name: Option<String>,
    /// The teams a developer token acts for (the token carries them).
    pub teams: Vec<String>,
    pub assets: Vec<String>,
    /// The user is a service account (ci tokens always belong to one).
    pub service_account: bool,
    pub expires: TokenExpiry,
}

/// Who did something, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub token_id: Option<i64>,
    pub client: Option<String>,
}

/// Creates a token: returns its value (to show once) and its record. Audited.
pub fn create_token(
    store: &dyn AccessStore,
    request: TokenRequest,
    by: &Actor,
    now: Timestamp,
) -> Result<(String, TokenRecord), ApiError> {
    let secret = auth::new_secret(auth::TOKEN_PREFIX)?;
    let name = request
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("{} token", request.role));
    let user = request
        .user
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| name.clone());
    let expires_at = request.expires.at(now);
    if expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::BadRequest(
            "the token's expiry is in the past".into(),
        ));
    }
    // A grant names real things: an empty name or a wildcard would read as "every asset" to
    // someone and as nothing to the scope check.
    for asset in &request.assets {
        let a = asset.trim();
        if a.is_empty() || a != asset || a.contains(['*', '?', '%']) {
            return Err(ApiError::BadRequest(format!(
                "asset `{asset}`: a token names each asset it may use by its exact name (no empty names, spaces around it or wildcards)"
            )));
        }
    }
    for team in &request.teams {
        if team.trim().is_empty() || team.trim() != team || team.contains(['*', '?', '%']) {
            return Err(ApiError::BadRequest(format!(
                "team `{team}`: a token names its team by its exact name (no empty name, spaces around it or wildcards)"
            )));
        }
    }
    let audit = |record: &TokenRecord| {
        Some(AuditEntry {
            at: now,
            actor: by.name.clone(),
            token_id: by.token_id,
            client: by.client.clone(),
            action: "token.create".into(),
            target: format!("token {}", record.id),
            detail: serde_json::json!({
                "role": record.role, "user": record.user, "owner_kind": record.owner_kind,
                "name": record.name,
                "teams": record.teams, "assets": record.assets, "prefix": record.prefix,
                "expires_at": record.expires_at,
            }),
        })
    };
    // The token and its audit entry are one transaction.
    let record = store.create_token_audited(
        NewToken {
            user,
            name,
            role: request.role,
            teams: request.teams.clone(),
            assets: request.assets.clone(),
            service_account: request.service_account,
            secret_hash: secret.hash,
            prefix: secret.prefix,
            expires_at,
            created_by: by.name.clone(),
            at: now,
        },
        &audit,
    )?;
    Ok((secret.value, record))
}

/// Secure default for a first start: when no usable token exists, creates an admin token
/// (returned once, to print) so that the server is never open.
pub fn bootstrap_token(
    store: &dyn AccessStore,
    now: Timestamp,
) -> Result<Option<String>, ApiError> {
    if store.active_token_count(now)? > 0 {
        return Ok(None);
    }
    let (value, _) = create_token(
        store,
        TokenRequest {
            role: Role::Admin,
            user: Some("admin".into()),
            name: Some("bootstrap".into()),
            teams: Vec::new(),
            assets: Vec::new(),
            service_account: false,
            expires: TokenExpiry::Default,
        },
        &Actor {
            name: "bootstrap".into(),
            token_id: None,
            client: None,
        },
        now,
    )?;
    Ok(Some(value))
}

/// Serves until Ctrl-C (or SIGTERM), then drains within the shutdown deadline.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> Result<(), ServerError> {
    // The scheduled jobs: lapsed acceptances reopen and idle branches retire on schedule
    // (not only when someone uploads), webhooks are delivered, Jira synced, feeds refreshed;
    // each period once across the servers sharing the database.
    jobs::spawn(&state);
    let metrics = state.metrics.clone();
    let limits = state.settings.limits;
    let base = state.settings.base_path.clone();
    let app = router(state);
    ops::serve_with_limits(listener, app, &base, metrics, limits, shutdown_signal())
        .await
        .map_err(ServerError::Serve)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// For synchronous callers (the CLI): starts a runtime, binds `listen`, calls `ready` with the
/// bound address (port 0 picks a free one), then serves until stopped.
pub fn run(
    listen: &str,
    state: AppState,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Serve)?;
    // The last reference to the state (and so to the store) is dropped here, on this thread,
    // after the runtime stopped: a PostgreSQL client closes its connection with a blocking
    // call of its own, which must not happen on an async worker (it would abort the process;
    // a start on a busy port ended with a panic, not exit 2).
    let keep = state.clone();
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|error| ServerError::Bind {
                addr: listen.to_string(),
                error,
            })?;
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        ready(addr);
        serve(listener, state).await
    });
    // Store calls still running on the blocking threads get a moment; then the process ends
    // (a runtime dropped plainly would wait for them without limit).
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    drop(keep);
    served
}
