//! What the in-process server tests share (`tests/api.rs`, `tests/api_workflow.rs`): the
//! environment (the real router over a fresh store on SQLite or PostgreSQL, a token per role,
//! a clock the case can move), the macro that runs each case on both back ends, and the
//! request helpers (JSON calls, forms, sign-in with its CSRF cookies).
//!
//! Why the cases are not `#[tokio::test]`: the PostgreSQL store is the synchronous `postgres`
//! crate, whose connections own a small Tokio runtime of their own; using, opening or dropping
//! one on a Tokio worker panics ("Cannot start a runtime from within a runtime"). So the
//! environment is built and dropped outside any runtime, each case runs in a runtime of its
//! own, and the cases reach the store directly only through [`Env::db`], on a plain thread,
//! as the server itself does through `Shared::blocking`. A case that needs a second
//! environment gets it from [`Env::another`], built and dropped on a plain thread too.

// Each test target uses a part of this module.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use posture_app::Clock;
use posture_model::Timestamp;
use posture_server::{Actor, AppState, ServerSettings, TokenExpiry, TokenRequest};
use posture_store::testing::TestBackend;
use posture_store::{AccessStore, Role};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// When every environment starts.
pub const NOW: &str = "2026-06-01T12:00:00Z";

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A clock that says [`NOW`] until a case moves it.
pub struct TestClock(Mutex<Timestamp>);

impl TestClock {
    pub fn set(&self, to: Timestamp) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How to build one environment.
pub struct Setup<'a> {
    /// `posture.toml`.
    pub toml: &'a str,
    /// Other files written beside it (`policy.toml`, ...).
    pub files: Vec<(&'a str, String)>,
    /// The assets the ci token may upload to.
    pub ci_assets: &'a [&'a str],
    pub settings: ServerSettings,
}

/// One case's server: the router over a fresh store, with a token per role. Fields drop in
/// order: the router and store (closing their connections) before the database.
pub struct Env {
    pub app: Router,
    /// The state behind `app` (for calling server functions directly).
    pub state: AppState,
    pub store: Arc<dyn AccessStore>,
    pub admin: String,
    pub appsec: String,
    pub developer: String,
    pub reader: String,
    pub ci: String,
    pub clock: Arc<TestClock>,
    pub portfolio: posture_app::risk::RiskConfig,
    /// Holds `posture.toml` and the files of [`Setup::files`].
    pub config_dir: tempfile::TempDir,
    pub backend: TestBackend,
}

impl Env {
    /// Runs `work` on the store from a plain thread (never on a Tokio worker: see the module
    /// docs), and answers what it answers.
    pub fn db<T: Send>(&self, work: impl FnOnce(&dyn AccessStore) -> T + Send) -> T {
        on_thread(|| work(self.store.as_ref()))
    }

    /// The token of a role named as in the API (`admin`, ..., `ci`).
    pub fn token(&self, role: &str) -> &str {
        match role {
            "admin" => &self.admin,
            "appsec" => &self.appsec,
            "developer" => &self.developer,
            "reader" => &self.reader,
            _ => &self.ci,
        }
    }

    /// A person who holds the approval role `approval_role` (given as an admin would), with a
    /// token of `role` (a developer's on `team`): answers the token.
    pub fn person_with_role(
        &self,
        name: &str,
        approval_role: &str,
        role: Role,
        team: Option<&str>,
    ) -> String {
        let now = self.clock.now();
        self.db(|s| {
            let (token, _) = posture_server::create_token(
                s,
                TokenRequest {
                    role,
                    user: Some(name.into()),
                    name: Some(format!("{name}'s token")),
                    teams: team.map(str::to_string).into_iter().collect(),
                    assets: Vec::new(),
                    service_account: false,
                    expires: TokenExpiry::Never,
                },
                &Actor {
                    name: "test".into(),
                    token_id: None,
                    client: None,
                },
                now,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            s.grant_user_role(name, approval_role, "test", now)
                .unwrap_or_else(|e| panic!("{e}"));
            token
        })
    }

    /// A second environment on a fresh database of the same back end, made by `make` (called
    /// on a plain thread, as its drop will be).
    pub fn another(&self, make: impl FnOnce(TestBackend) -> Env + Send) -> Another {
        let kind = self.backend.kind();
        Another(Some(on_thread(move || {
            let backend = match kind {
                "postgres" => TestBackend::postgres(module_path!())
                    .unwrap_or_else(|| panic!("PostgreSQL answered the first environment only")),
                _ => TestBackend::sqlite(),
            };
            make(backend)
        })))
    }
}

/// An environment made inside a case: dropped on a plain thread.
pub struct Another(Option<Env>);

impl std::ops::Deref for Another {
    type Target = Env;
    fn deref(&self) -> &Env {
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Another {
    fn drop(&mut self) {
        if let Some(env) = self.0.take() {
            on_thread(move || drop(env));
        }
    }
}

/// Runs `work` on a new thread outside any Tokio runtime, re-raising its panic.
pub fn on_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(work).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Builds the server over `backend` (call outside a runtime).
pub fn build(backend: TestBackend, setup: Setup<'_>) -> Env {
    let config_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in &setup.files {
        std::fs::write(config_dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let config = config_dir.path().join("posture.toml");
    std::fs::write(&config, setup.toml).unwrap_or_else(|e| panic!("{e}"));
    let portfolio = posture_app::risk::load_config(&config).unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn AccessStore> = Arc::from(backend.access_store());
    let now = at(NOW);
    let by = Actor {
        name: "test".into(),
        token_id: None,
        client: None,
    };
    let mk = |role: Role, team: Option<&str>, assets: &[&str], user: &str| {
        posture_server::create_token(
            store.as_ref(),
            TokenRequest {
                role,
                user: Some(user.into()),
                name: None,
                teams: team.map(str::to_string).into_iter().collect(),
                assets: assets.iter().map(|a| a.to_string()).collect(),
                service_account: false,
                expires: TokenExpiry::Never,
            },
            &by,
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .0
    };
    let admin = mk(Role::Admin, None, &[], "ada");
    let appsec = mk(Role::Appsec, None, &[], "sam");
    let developer = mk(Role::Developer, Some("payments"), &[], "dev");
    let reader = mk(Role::Reader, None, &[], "rita");
    let ci = mk(Role::Ci, None, setup.ci_assets, "pipeline");
    let clock = Arc::new(TestClock(Mutex::new(now)));
    let state = AppState::new(
        store.clone(),
        Some(portfolio.clone()),
        setup.settings,
        clock.clone(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Env {
        app: posture_server::router(state.clone()),
        state,
        store,
        admin,
        appsec,
        developer,
        reader,
        ci,
        clock,
        portfolio,
        config_dir,
        backend,
    }
}

/// Runs one case in a runtime of its own (dropped before the environment is).
pub fn block_on<F: std::future::Future>(case: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build a Tokio runtime: {e}"));
    runtime.block_on(case)
}

/// Writes, for each `async fn case(e: &Env)`, a module of the same name with two tests:
/// `sqlite` (always) and `postgres` (when a server is reachable or required), each over a
/// fresh database. `on_both_backends_async!(make, make_with; a, b(arg))` builds case `a`'s
/// environment with `make(backend)` and `b`'s with `make_with(backend, arg)`.
macro_rules! on_both_backends_async {
    (@build $backend:ident, $make:path, $make_with:path) => {
        $make($backend)
    };
    (@build $backend:ident, $make:path, $make_with:path, $arg:expr) => {
        $make_with($backend, $arg)
    };
    ($make:path, $make_with:path; $($case:ident $(($arg:expr))?),* $(,)?) => {
        $(
            mod $case {
                use super::*;

                fn make(backend: TestBackend) -> Env {
                    on_both_backends_async!(@build backend, $make, $make_with $(, $arg)?)
                }

                #[test]
                fn sqlite() {
                    let e = make(TestBackend::sqlite());
                    block_on(super::$case(&e));
                }

                #[test]
                fn postgres() {
                    if let Some(backend) = TestBackend::postgres(module_path!()) {
                        let e = make(backend);
                        block_on(super::$case(&e));
                    }
                }
            }
        )*
    };
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let response = app
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

/// A request with an optional bearer token and an optional JSON body.
pub async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send(app, req.body(body).unwrap_or_else(|e| panic!("{e}"))).await
}

// ---------------------------------------------------------------------------------------
// Dashboard

pub fn set_cookies(a: &Answer) -> Vec<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

pub fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.split(';')
            .next()
            .and_then(|kv| kv.trim().strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    })
}

pub fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string()
}

pub async fn form(app: &Router, uri: &str, cookie: &str, body: &str) -> Answer {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    send(app, req).await
}

pub async fn get_html(app: &Router, uri: &str, cookie: &str) -> Answer {
    let req = Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    send(app, req).await
}

/// Signs in with a token; returns the session cookie pair.
pub async fn sign_in(e: &Env, token: &str) -> String {
    let page = call(&e.app, Method::GET, "/login", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let login_csrf = cookie_value(&set_cookies(&page), "posture_login_csrf").unwrap_or_default();
    assert_eq!(hidden_csrf(&page.text()), login_csrf);
    let a = form(
        &e.app,
        "/login",
        &format!("posture_login_csrf={login_csrf}"),
        &format!("token={token}&csrf={login_csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let cookies = set_cookies(&a);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("posture_session="))
        .cloned()
        .unwrap_or_default();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    format!(
        "posture_session={}",
        cookie_value(&cookies, "posture_session").unwrap_or_default()
    )
}
