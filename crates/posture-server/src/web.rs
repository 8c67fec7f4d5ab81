//! The dashboard: server-rendered pages over the same functions as the API, for people.
//!
//! Security: no script at all (the CSP forbids them), every value escaped by the templates,
//! sign-in trades an API token for a session (random id in an HttpOnly, SameSite=Strict
//! cookie, stored hashed), and every form carries a CSRF token (derived from the session id,
//! or a double-submit cookie on the sign-in form) that is checked before anything is done.

use crate::api::{self, TriageRequest};
use crate::auth::{Scope, constant_time_eq, csrf_for_session, hash_secret, new_secret};
use crate::charts::{self, Bar};
use crate::error::ApiError;
use crate::listing::{self, FindingFilter};
use crate::overview::{self, COVERAGE_CATEGORIES};
use crate::pages::STYLE_CSS;
use crate::{AppState, Shared};
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::Value;
use posture_app::risk::AssessedFinding;
use posture_model::{Severity, Timestamp};
use posture_store::{AuditEntry, NewSession, Principal, Right, ScanQuery};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[path = "web_work.rs"]
mod work;

pub(crate) const SESSION_COOKIE: &str = "posture_session";
const LOGIN_CSRF_COOKIE: &str = "posture_login_csrf";
const PAGE_SIZE: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview_page))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/findings", get(findings_page))
        .route("/findings/triage", post(work::bulk_triage_form))
        .route("/components", get(work::components_page))
        .route("/fixes", get(fixes_page))
        .route("/findings/{id}", get(finding_page))
        .route("/findings/{id}/triage", post(triage_form))
        .route("/approvals", get(approvals_page))
        .route("/approvals/{id}/{verdict}", post(approval_form))
        .route("/assets/{name}", get(asset_page))
        .route("/teams/{name}", get(team_page))
        .route("/static/style.css", get(stylesheet))
        .merge(crate::dashboard::routes())
        .merge(crate::identity_pages::routes())
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

/// A signed-in person.
pub struct Viewer {
    pub principal: Principal,
    pub csrf: String,
    pub(crate) session_id: String,
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to(&at(state, "/login")).into_response();
        let Some(session_id) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(to_login());
        };
        let hash = hash_secret(&session_id);
        let now = state.now();
        match state
            .blocking(move |s| Ok(s.store.session_principal(&hash, now)?))
            .await
        {
            Ok(Some(principal)) => {
                crate::ops::note_caller(principal.token_id, &principal.user);
                Ok(Viewer {
                    csrf: csrf_for_session(&session_id),
                    principal,
                    session_id,
                })
            }
            Ok(None) => Err(to_login()),
            Err(e) => Err(error_page(state, None, &e)),
        }
    }
}

/// The client's address of a request (from the connection).
pub(crate) struct Client(pub(crate) Option<String>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(api::client_of(parts)))
    }
}

pub(crate) fn viewer_context(shared: &Shared, viewer: &Viewer) -> Value {
    let scope = Scope::new(&viewer.principal, shared.portfolio.as_ref());
    sv(serde_json::json!({
        "user": viewer.principal.user,
        "role": viewer.principal.role,
        "teams": scope.teams(),
    }))
}

pub(crate) fn render(shared: &Shared, name: &str, ctx: Value) -> Response {
    match shared
        .templates
        .get_template(name)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page {name} cannot be drawn: {e}"),
        )
            .into_response(),
    }
}

/// An error as a page (with the navigation when someone is signed in).
pub fn error_page(shared: &Shared, viewer: Option<&Viewer>, error: &ApiError) -> Response {
    let ctx = minijinja::context! {
        status => error.status().as_u16(),
        message => error.client_message(),
        viewer => viewer.map(|v| viewer_context(shared, v)),
        csrf => viewer.map(|v| v.csrf.clone()),
    };
    let mut response = render(shared, "error.html", ctx);
    *response.status_mut() = error.status();
    response
}

pub(crate) fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

pub(crate) fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

/// Percent-encodes a query value.
pub(crate) fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One row of a findings table.
#[derive(Serialize)]
pub(crate) struct FindingRow {
    id: i64,
    band: String,
    score: String,
    severity: String,
    title: String,
    place: String,
    asset: String,
    team: Option<String>,
    tools: String,
    status: String,
    past_sla: bool,
    age: String,
}

fn place_of(f: &AssessedFinding) -> String {
    posture_app::views::place_of(&f.finding, |pkg, loc| format!("{pkg} · {loc}"))
}

pub(crate) fn row(f: &AssessedFinding, now: Timestamp) -> FindingRow {
    let days = (now.as_millisecond() - f.finding.first_seen.as_millisecond()) / 86_400_000;
    FindingRow {
        id: f.finding.id,
        band: f.risk.band.as_str().to_string(),
        score: format!("{:.1}", f.risk.score),
        severity: f.finding.severity.as_str().to_string(),
        title: f.finding.title.clone(),
        place: place_of(f),
        asset: f.finding.asset.clone(),
        team: f.owner.as_ref().and_then(|o| o.team.clone()),
        tools: posture_app::views::tools_of(&f.finding, ", "),
        status: f.finding.status.as_str().to_string(),
        past_sla: overview::is_actionable(f.finding.status) && overview::past_sla(f, now),
        age: format!("{} d", days.max(0)),
    }
}

// ---------------------------------------------------------------------------------------
// Sign-in

async fn login_page(State(state): State<AppState>) -> Response {
    login_form(&state, None, StatusCode::OK)
}

pub(crate) fn login_form(shared: &Shared, error: Option<&str>, status: StatusCode) -> Response {
    let secret = match new_secret("") {
        Ok(s) => s.value,
        Err(e) => return error_page(shared, None, &e),
    };
    let mut response = render(
        shared,
        "login.html",
        minijinja::context! {
            login_csrf => secret.clone(), error => error,
            sso => crate::sso::sign_in_config(shared).is_some(),
        },
    );
    *response.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={secret}; Path={}; HttpOnly; SameSite=Strict{}",
        at(shared, "/login"),
        secure(shared)
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// A path of the dashboard as the browser reaches it (under the base path).
pub(crate) fn at(shared: &Shared, path: &str) -> String {
    format!("{}{path}", shared.settings.base_path)
}

pub(crate) fn secure(shared: &Shared) -> &'static str {
    if shared.settings.secure_cookies || crate::ops::request_is_https() {
        "; Secure"
    } else {
        ""
    }
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected, form.csrf.trim()) {
        return login_form(
            &state,
            Some("The sign-in form expired (or came from another site): please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let hash = hash_secret(&form.token);
    let now = state.now();
    let hours = state.settings.session_hours.max(1);
    let result = state
        .blocking(move |s| {
            let Some(principal) = s.store.authenticate(&hash, now)? else {
                return Ok(None);
            };
            if !principal.role.can(Right::Read) {
                return Err(ApiError::Forbidden(format!(
                    "a {} token cannot use the dashboard",
                    principal.role
                )));
            }
            let session = new_secret("pss_")?;
            let expires_at = now
                .checked_add(jiff::SignedDuration::from_hours(hours))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            s.store.create_session(NewSession {
                secret_hash: session.hash,
                token_id: principal.token_id,
                at: now,
                expires_at,
            })?;
            s.store.record_audit(AuditEntry {
                at: now,
                actor: principal.user.clone(),
                token_id: Some(principal.token_id),
                client,
                action: "session.create".into(),
                target: format!("token {}", principal.token_id),
                detail: serde_json::json!({ "expires_at": expires_at }),
            })?;
            Ok(Some(session.value))
        })
        .await;
    match result {
        Ok(Some(session)) => {
            let mut response = Redirect::to(&at(&state, "/")).into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            let cookies = [
                format!(
                    "{SESSION_COOKIE}={session}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}{}",
                    at(&state, "/"),
                    hours * 3600,
                    secure(&state)
                ),
                format!(
                    "{LOGIN_CSRF_COOKIE}=; Path={}; HttpOnly; SameSite=Strict; Max-Age=0",
                    at(&state, "/login")
                ),
            ];
            for c in cookies {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Ok(None) => login_form(
            &state,
            Some("That token is unknown, expired or revoked."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => login_form(&state, Some(&e.to_string()), e.status()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

pub(crate) fn check_csrf(viewer: &Viewer, given: &str) -> Result<(), ApiError> {
    if constant_time_eq(&viewer.csrf, given.trim()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form's CSRF token is missing or wrong: reload the page and try again".into(),
        ))
    }
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let hash = hash_secret(&viewer.session_id);
    let principal = viewer.principal.clone();
    let now = state.now();
    let done = state
        .blocking(move |s| {
            s.store.delete_session(&hash)?;
            s.store.record_audit(AuditEntry {
                at: now,
                actor: principal.user.clone(),
                token_id: Some(principal.token_id),
                client,
                action: "session.delete".into(),
                target: format!("token {}", principal.token_id),
                detail: serde_json::json!({}),
            })?;
            Ok(())
        })
        .await;
    if let Err(e) = done {
        return error_page(&state, Some(&viewer), &e);
    }
    let mut response = Redirect::to(&at(&state, "/login")).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path={}; HttpOnly; SameSite=Strict; Max-Age=0",
        at(&state, "/")
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

// ---------------------------------------------------------------------------------------
// Pages

const BAND_COLORS: [(&str, &str); 4] = [
    ("P1", "#c81e1e"),
    ("P2", "#e8590c"),
    ("P3", "#d4a106"),
    ("P4", "#5f7d95"),
];

async fn overview_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            // The top risks first: listing brings the stored risk up to date, so the summary
            // read next groups by current bands.
            let now = s.clock.now();
            let top: Vec<FindingRow> =
                listing::page_findings(s, &scope, &FindingFilter::work_queue(), None, 10)?
                    .items
                    .iter()
                    .map(|f| row(f, now))
                    .collect();
            let summary = s
                .summary
                .get(s.store.as_ref(), overview::as_of_minute(now))?;
            let o = overview::compute(
                &summary,
                |g| scope.may_read_group(&g.asset, g.team.as_deref()),
                |asset| scope.may_read_asset(asset),
                s.portfolio.as_ref(),
                overview::as_of_minute(now),
            );
            // a ranking on stale feeds misses what attackers use this week: say so on top
            let stale: Vec<String> =
                posture_app::feeds::freshness(s.store.as_ref(), s.portfolio.as_ref(), now)?
                    .into_iter()
                    .filter_map(|f| f.warning)
                    .collect();
            Ok((o, top, stale))
        })
        .await;
    let (o, top, stale_feeds) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&state, Some(&viewer), &e),
    };
    let bars: Vec<Bar> = o
        .open_by_band
        .iter()
        .map(|(band, n)| Bar {
            label: band.clone(),
            value: *n,
            color: BAND_COLORS
                .iter()
                .find(|(b, _)| b == band)
                .map(|(_, c)| *c)
                .unwrap_or("#5f7d95"),
            href: Some(at(&state, &format!("/findings?sort=risk&band={band}"))),
        })
        .collect();
    let trend: Vec<(String, usize, usize)> = o
        .trend
        .iter()
        .map(|w| (w.week.clone(), w.opened, w.fixed))
        .collect();
    let p1 = o
        .open_by_band
        .iter()
        .find(|(b, _)| b == "P1")
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let coverage: Vec<serde_json::Value> = o
        .coverage
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["last_scan_text"] =
                serde_json::Value::String(c.last_scan.map(when).unwrap_or_else(|| "never".into()));
            v
        })
        .collect();
    let mut o_json = serde_json::to_value(&o).unwrap_or_default();
    o_json["coverage"] = serde_json::Value::Array(coverage);
    let ctx = minijinja::context! {
        nav => "overview",
        viewer => viewer_context(&state, &viewer),
        csrf => viewer.csrf.clone(),
        o => sv(&o_json),
        p1 => p1,
        stale_feeds => stale_feeds,
        top => sv(&top),
        severities => Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        categories => COVERAGE_CATEGORIES.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        band_chart => Value::from_safe_string(charts::horizontal_bars("Open findings by risk band", &bars)),
        trend_chart => Value::from_safe_string(charts::grouped_bars(
            "Findings opened and fixed per week",
            &trend,
            ("opened", "fixed"),
            ("#c2410c", "#2f855a"),
        )),
        sla_chart => Value::from_safe_string(charts::percent_bar(
            "Share of open findings past SLA",
            o.past_sla_percent,
            if o.past_sla_percent > 25.0 { "#c81e1e" } else { "#dd6b20" },
        )),
    };
    render(&state, "overview.html", ctx)
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct FindingsPageParams {
    #[serde(default)]
    asset: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    band: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    sort: String,
    /// Search (`q`): text, CVE/GHSA ids and aliases, package, path.
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
    /// After a bulk decision: how many were decided, how many wait for approval.
    #[serde(default, skip_serializing)]
    decided: String,
    #[serde(default, skip_serializing)]
    waiting: String,
}

impl FindingsPageParams {
    fn query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("asset", &self.asset),
            ("severity", &self.severity),
            ("band", &self.band),
            ("status", &self.status),
            ("team", &self.team),
            ("tool", &self.tool),
            ("sort", &self.sort),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", enc(v)));
            }
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", enc(c)));
        }
        format!("/findings?{}", parts.join("&"))
    }
}

async fn findings_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<FindingsPageParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let p = serde_json::to_value(&params).unwrap_or_default();
    let filter = listing::parse_filter(
        Some(&params.asset),
        Some(&params.status),
        Some(&params.severity),
        Some(&params.tool),
        None,
        Some(&params.band),
        Some(&params.team),
        false,
        false,
        None,
        Some(if params.sort.is_empty() {
            "risk"
        } else {
            &params.sort
        }),
    );
    let filter = filter.and_then(|mut f| {
        listing::parse_search(&mut f, Some(&params.q), None, None, None, None, None)?;
        Ok(f)
    });
    let filter = match filter {
        Ok(f) => f,
        Err(e) => return error_page(&state, Some(&viewer), &e),
    };
    let cursor = params.cursor.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            // One page from the store (risk order and keyset cursor in SQL); the total from
            // the cached summary when the filters are ones it groups by.
            let page = listing::page_findings(s, &scope, &filter, Some(&cursor), PAGE_SIZE)?;
            let now = s.clock.now();
            let summary = s
                .summary
                .get(s.store.as_ref(), overview::as_of_minute(now))?;
            let total = overview::count_matching(&summary, &filter, |g| {
                scope.may_read_group(&g.asset, g.team.as_deref())
            });
            let rows: Vec<FindingRow> = page.items.iter().map(|f| row(f, now)).collect();
            let assets: Vec<String> = api::assets_for(s, &principal)?
                .into_iter()
                .map(|a| a.name)
                .collect();
            let teams: Vec<String> = api::teams_for(s, &principal)?
                .into_iter()
                .map(|t| t.name)
                .collect();
            Ok((rows, total, page.next_cursor, assets, teams))
        })
        .await;
    let (rows, total, next, assets, teams) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&state, Some(&viewer), &e),
    };
    let mut f = p;
    if params.sort.is_empty() {
        f["sort"] = "risk".into();
    }
    if params.status.is_empty() {
        f["status"] = "open".into();
    }
    let ctx = minijinja::context! {
        nav => "findings",
        viewer => viewer_context(&state, &viewer),
        csrf => viewer.csrf.clone(),
        findings => sv(&rows),
        total => total,
        f => sv(&f),
        assets => assets,
        teams => teams,
        severities => Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        statuses => ["open", "all", "fixed", "confirmed", "in-progress", "false-positive", "accepted", "not-affected"],
        next_href => next.map(|c| params.query(Some(&c))),
        first_href => (!params.cursor.is_empty()).then(|| params.query(None)),
        // built of percent-encoded values only: safe in an attribute
        export_href => Value::from_safe_string(params.query(None).replacen("/findings", "/export", 1)),
        view_query => params.query(None).trim_start_matches("/findings?").to_string(),
        // The bulk form: the states a person decides, and the way back to this list.
        triage_states => ["confirmed", "in-progress", "false-positive", "accepted", "not-affected", "open"],
        back => params.query(None),
        may_triage => viewer.principal.role != posture_store::Role::Reader,
        notice => work::bulk_notice(&params.decided, &params.waiting),
    };
    render(&state, "findings.html", ctx)
}

#[derive(Deserialize, Serialize, Default)]
struct FixesPageParams {
    #[serde(default)]
    asset: String,
    #[serde(default)]
    team: String,
}

/// The actions a page shows at most.
const FIXES_SHOWN: usize = 100;

/// Remediation by fix: the actions that close the viewer's open findings, ranked by the risk
/// they remove (the API's `GET /api/v1/fixes`, one use case).
async fn fixes_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<FixesPageParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let (asset, team) = (params.asset.clone(), params.team.clone());
    let data = state
        .blocking(move |s| {
            let some = |v: String| Some(v).filter(|v| !v.trim().is_empty());
            let plan = api::fix_plan(s, &principal, some(asset), some(team))?;
            let assets: Vec<String> = api::assets_for(s, &principal)?
                .into_iter()
                .map(|a| a.name)
                .collect();
            let teams: Vec<String> = api::teams_for(s, &principal)?
                .into_iter()
                .map(|t| t.name)
                .collect();
            Ok((plan, assets, teams))
        })
        .await;
    let (plan, assets, teams) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&state, Some(&viewer), &e),
    };
    let shown: Vec<_> = plan.actions.iter().take(FIXES_SHOWN).collect();
    let unfixable_findings: usize = plan
        .unfixable
        .iter()
        .map(|u| u.findings.len())
        .sum::<usize>()
        + plan
            .actions
            .iter()
            .map(|a| a.unfixable.len())
            .sum::<usize>();
    let ctx = minijinja::context! {
        nav => "fixes",
        viewer => viewer_context(&state, &viewer),
        csrf => viewer.csrf.clone(),
        plan => sv(&plan),
        shown => sv(&shown),
        more => plan.actions.len() > FIXES_SHOWN,
        unfixable_findings => unfixable_findings,
        f => sv(&params),
        assets => assets,
        teams => teams,
    };
    render(&state, "fixes.html", ctx)
}

#[derive(Deserialize, Default)]
struct FindingPageParams {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    pending: Option<String>,
}

/// Whether a reference may be a link: only http(s) (never `javascript:`, `data:`...).
fn safe_link(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What a developer needs to act, gathered from every occurrence: description, fixed
/// versions, references, aliases, CVSS ratings, code snippets (never a secret: a secret's
/// occurrence shows its masked preview only).
fn remediation(f: &AssessedFinding) -> serde_json::Value {
    let mut descriptions: Vec<String> = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    let mut references: Vec<serde_json::Value> = Vec::new();
    let mut aliases: Vec<String> = Vec::new();
    let mut cvss: Vec<serde_json::Value> = Vec::new();
    let mut snippets: Vec<serde_json::Value> = Vec::new();
    let push = |list: &mut Vec<String>, v: &str| {
        let v = v.trim();
        if !v.is_empty() && !list.iter().any(|x| x == v) {
            list.push(v.to_string());
        }
    };
    for o in &f.finding.occurrences {
        let d = &o.data;
        if let Some(text) = &d.description {
            push(&mut descriptions, text);
        }
        if let Some(p) = &d.package {
            push(
                &mut packages,
                &format!("{}@{}", p.name, p.version.as_deref().unwrap_or("?")),
            );
            for v in &p.fixed_versions {
                push(&mut fixed, v);
            }
        }
        for r in &d.references {
            let r = r.trim();
            if !r.is_empty() && !references.iter().any(|x| x["url"] == r) {
                references.push(serde_json::json!({ "url": r, "link": safe_link(r) }));
            }
        }
        for id in &d.vulnerability_ids {
            push(&mut aliases, id);
        }
        for c in &d.cvss {
            let entry = serde_json::json!({
                "source": c.source, "vector": c.vector,
                "score": c.score.map(|s| format!("{s:.1}")),
            });
            if !cvss.contains(&entry) {
                cvss.push(entry);
            }
        }
        if let Some(secret) = &d.secret {
            snippets
                .push(serde_json::json!({ "tool": o.tool, "masked": true, "text": secret.masked }));
        } else if let Some(text) = d
            .identity
            .context
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            snippets.push(serde_json::json!({ "tool": o.tool, "masked": false, "text": text }));
        }
    }
    if !f.finding.rule_id.is_empty() && f.finding.rule_id.contains('-') {
        let r = f.finding.rule_id.to_ascii_uppercase();
        if r.starts_with("CVE-") || r.starts_with("GHSA-") {
            push(&mut aliases, &f.finding.rule_id);
        }
    }
    serde_json::json!({
        "descriptions": descriptions,
        "is_dependency": !packages.is_empty(),
        "packages": packages,
        "fixed_versions": fixed,
        "references": references,
        "aliases": aliases,
        "cvss": cvss,
        "snippets": snippets,
    })
}

/// The scanner's own fields of an occurrence, as label/value pairs (escaped by the template).
fn evidence_of(o: &posture_store::OccurrenceRecord) -> Vec<(String, String)> {
    let d = &o.data;
    let mut out: Vec<(String, String)> = vec![
        ("tool".into(), o.tool.clone()),
        ("rule".into(), d.rule_id.clone()),
        ("report".into(), o.report.clone()),
        ("locator".into(), d.locator.clone()),
        ("title".into(), d.title.clone()),
        ("severity".into(), d.severity.as_str().to_string()),
    ];
    let mut opt = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.push((k.to_string(), v));
        }
    };
    opt("tool severity", d.tool_severity.clone());
    let l = &d.location;
    opt("path", l.path.clone());
    opt(
        "lines",
        l.start_line.map(|s| match l.end_line {
            Some(e) if e != s => format!("{s}-{e}"),
            _ => s.to_string(),
        }),
    );
    opt("image", l.image.clone());
    opt("layer", l.layer.clone());
    opt("base image", l.base_image.clone());
    opt("url", l.url.clone());
    opt("method", l.method.clone());
    opt("parameter", l.parameter.clone());
    opt("resource", l.resource.clone());
    if let Some(p) = &d.package {
        opt("package", Some(p.name.clone()));
        opt("version", p.version.clone());
        opt("purl", p.purl.clone());
        opt("fixed in", Some(p.fixed_versions.join(", ")));
    }
    opt(
        "CWE",
        Some(
            d.cwes
                .iter()
                .map(|c| format!("CWE-{c}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    opt(
        "ratings",
        Some(
            d.severity_ratings
                .iter()
                .map(|r| format!("{}: {}", r.source, r.severity.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    opt(
        "EPSS",
        d.epss
            .as_ref()
            .map(|e| format!("{:.4} ({})", e.probability, e.source)),
    );
    opt("quality", d.quality.clone());
    opt("tool fingerprint", d.identity.tool_fingerprint.clone());
    opt("secret", d.secret.as_ref().map(|s| s.masked.clone()));
    if d.suppressed {
        out.push(("suppressed".into(), "yes (by the tool)".into()));
    }
    out.push(("fingerprint".into(), o.fingerprint.clone()));
    out.push(("first seen".into(), when(o.first_seen)));
    out.push(("last seen".into(), when(o.last_seen)));
    out
}

/// What the triage form had typed, kept when the decision is refused.
#[derive(Serialize, Default)]
struct Typed {
    state: String,
    reason: String,
    expires: String,
}

fn finding_context(
    shared: &Shared,
    viewer: &Viewer,
    id: i64,
) -> Result<minijinja::Value, ApiError> {
    let f = api::readable_finding(shared, &viewer.principal, id)?;
    let events = shared.store.events(id)?;
    let suggestions: Vec<serde_json::Value> = shared
        .store
        .suggestions(Some(&f.finding.asset), false)?
        .into_iter()
        .filter(|s| s.finding_id == id || s.other_finding_id == id)
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "other": if s.finding_id == id { s.other_finding_id } else { s.finding_id },
                "confidence": format!("{:.2}", s.confidence),
                "reason": s.reason,
                "state": s.state,
            })
        })
        .collect();
    let scope = Scope::new(&viewer.principal, shared.portfolio.as_ref());
    let can_triage = scope.require_triage(&f).is_ok();
    // Decisions waiting for a role's approval (four eyes), with approve/reject for a holder.
    let approvals: Vec<api::ApprovalView> =
        api::approvals_for(shared, &viewer.principal, Some("pending"))?
            .into_iter()
            .filter(|a| a.finding_id == id)
            .collect();
    let now = shared.clock.now();
    let occurrences: Vec<serde_json::Value> = f
        .finding
        .occurrences
        .iter()
        .map(|o| {
            let loc = o.data.location.short();
            let place = match &o.data.package {
                Some(p) => format!(
                    "{}@{}{}",
                    p.name,
                    p.version.as_deref().unwrap_or("?"),
                    if loc.is_empty() {
                        String::new()
                    } else {
                        format!(" · {loc}")
                    }
                ),
                None => loc,
            };
            serde_json::json!({
                "id": o.id,
                "tool": o.tool, "rule_id": o.data.rule_id, "branch": o.branch, "open": o.open,
                "place": place, "report": o.report, "locator": o.data.locator,
                "identity_tier": o.identity_tier,
                "correlation": o.correlation.as_ref().map(|c| serde_json::json!({
                    "confidence": format!("{:.2}", c.confidence), "reason": c.reason,
                    "matched": c.matched_occurrence,
                })),
                "evidence": evidence_of(o),
            })
        })
        .collect();
    // The decision in force: the last triage event that set the current status.
    let decision = f.finding.triage.and_then(|_| {
        events
            .iter()
            .rev()
            .find(|e| e.kind == "triaged")
            .filter(|e| e.to_status.as_deref() == Some(f.finding.status.as_str()))
            .map(|e| {
                serde_json::json!({
                    "state": e.to_status, "by": e.actor, "at": when(e.at),
                    "reason": e.reason, "expires": e.expires_at.map(date),
                    "approver": e.approver, "role": e.role,
                })
            })
    });
    // The SLA as the CLI and the policy compute it (paused while accepted).
    let days = overview::sla_days(Some(f.risk.band.as_str()), f.finding.severity)
        .and_then(|d| u32::try_from(d).ok());
    let sla = posture_app::sla::sla_with_days(&f.finding, &events, days, now);
    let sla_state = sla.state.as_str();
    let sla_due = sla.due.map(date);
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            serde_json::json!({
                "at": when(e.at), "kind": e.kind, "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor, "reason": e.reason, "expires": e.expires_at.map(date),
                "approver": e.approver,
            })
        })
        .collect();
    let tomorrow = now
        .checked_add(jiff::SignedDuration::from_hours(24))
        .map(date)
        .unwrap_or_default();
    // Only the moves the state machine allows from here (`fixed` is never a target).
    let triage_states: Vec<&str> = posture_app::workflow::allowed_transitions(f.finding.status)
        .iter()
        .map(|s| s.as_str())
        .collect();
    Ok(sv(serde_json::json!({
        "f": f.finding,
        "risk": f.risk,
        "related": f.related,
        "owner": f.owner,
        "first_seen": when(f.finding.first_seen),
        "last_seen": when(f.finding.last_seen),
        "fixed_at": f.finding.fixed_at.map(when),
        "sla_due": sla_due,
        "sla_state": sla_state,
        "past_sla": overview::is_actionable(f.finding.status)
            && sla.state != posture_app::sla::SlaState::Paused
            && overview::past_sla(&f, now),
        "fix": remediation(&f),
        "decision": decision,
        "occurrences": occurrences,
        "events": events,
        "suggestions": suggestions,
        "can_triage": can_triage,
        "approvals": approvals,
        "tomorrow": tomorrow,
        "triage_states": triage_states,
    })))
}

/// The finding page, with a notice, or with a refused decision's message and what was typed.
async fn finding_response(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    notice: Option<&'static str>,
    refused: Option<(ApiError, Typed)>,
) -> Response {
    let v = Viewer {
        principal: viewer.principal.clone(),
        csrf: viewer.csrf.clone(),
        session_id: viewer.session_id.clone(),
    };
    let data = state.blocking(move |s| finding_context(s, &v, id)).await;
    match data {
        Ok(ctx) => {
            let (error, status, typed) = match refused {
                Some((e, typed)) => (Some(e.client_message()), e.status(), Some(typed)),
                None => (None, StatusCode::OK, None),
            };
            let mut response = render(
                state,
                "finding.html",
                minijinja::context! {
                    nav => "findings",
                    viewer => viewer_context(state, viewer),
                    csrf => viewer.csrf.clone(),
                    notice => notice,
                    error => error,
                    typed => typed.map(sv),
                    ..ctx
                },
            );
            *response.status_mut() = status;
            response
        }
        Err(e) => error_page(state, Some(viewer), &e),
    }
}

async fn finding_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(params): Query<FindingPageParams>,
) -> Response {
    let notice = if params.pending.is_some() {
        Some(
            "The decision waits for approval: a holder of the role the policy names approves or rejects it; nothing changes until then.",
        )
    } else {
        params.done.as_ref().map(|_| "Decision recorded.")
    };
    finding_response(&state, &viewer, id, notice, None).await
}

#[derive(Deserialize)]
struct TriageForm {
    csrf: String,
    state: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires: String,
}

async fn triage_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path(id): Path<i64>,
    Form(form): Form<TriageForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let typed = Typed {
        state: form.state.clone(),
        reason: form.reason.clone(),
        expires: form.expires.clone(),
    };
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            api::apply_triage(
                s,
                &principal,
                client,
                id,
                TriageRequest {
                    state: form.state,
                    reason: form.reason,
                    expires: Some(form.expires),
                    approver: None,
                    role: None,
                },
            )
        })
        .await;
    match done {
        Ok(outcome) => {
            let to = match outcome {
                api::TriageOutcome::Decided(_) => format!("/findings/{id}?done=1"),
                api::TriageOutcome::Pending(a) => format!("/findings/{id}?pending={}", a.id),
            };
            let mut r = Redirect::to(&at(&state, &to)).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        // A finding the viewer may not read (or that does not exist) is an error page; a
        // refused decision is the finding page again, with the message and the typed input.
        Err(e @ (ApiError::NotFound(_) | ApiError::Unauthorized(_))) => {
            error_page(&state, Some(&viewer), &e)
        }
        Err(e) => finding_response(&state, &viewer, id, None, Some((e, typed))).await,
    }
}

/// The four-eyes queue: pending decisions of findings the viewer may read, with Approve and
/// Reject for those the viewer may decide.
async fn approvals_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| api::approvals_for(s, &principal, Some("pending")))
        .await;
    match data {
        Ok(approvals) => render(
            &state,
            "approvals.html",
            minijinja::context! {
                nav => "approvals",
                viewer => viewer_context(&state, &viewer),
                csrf => viewer.csrf.clone(),
                approvals => sv(&approvals),
                roles => viewer.principal.user_roles.clone(),
            },
        ),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

#[derive(Deserialize)]
struct ApprovalForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// Approve or reject a pending decision from the finding page (a holder of its role).
async fn approval_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path((id, verdict)): Path<(i64, String)>,
    Form(form): Form<ApprovalForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let approve = match verdict.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return error_page(
                &state,
                Some(&viewer),
                &ApiError::NotFound(format!("nothing at /approvals/{id}/{verdict}")),
            );
        }
    };
    let principal = viewer.principal.clone();
    let note = Some(form.note).filter(|n| !n.trim().is_empty());
    let done = state
        .blocking(move |s| api::decide_approval(s, &principal, client, id, approve, note))
        .await;
    match done {
        Ok(a) => {
            let mut r = Redirect::to(&at(&state, &format!("/findings/{}?done=1", a.finding_id)))
                .into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

async fn asset_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            if !scope.may_read_asset(&name) {
                scope.require(Right::Read)?;
                // As for an asset that does not exist: names cannot be probed.
                return Err(ApiError::NotFound(format!("no asset named {name}")));
            }
            let asset = api::assets_for(s, &principal)?
                .into_iter()
                .find(|a| a.name == name)
                .ok_or_else(|| ApiError::NotFound(format!("no asset named {name}")))?;
            let page = listing::page_findings(
                s,
                &scope,
                &FindingFilter {
                    asset: Some(name.clone()),
                    ..FindingFilter::work_queue()
                },
                None,
                25,
            )?;
            let now = s.clock.now();
            let more = page.next_cursor.is_some();
            let rows: Vec<FindingRow> = page.items.iter().map(|f| row(f, now)).collect();
            let scans: Vec<serde_json::Value> = s
                .store
                .scans(&ScanQuery {
                    asset: Some(name.clone()),
                    tool: None,
                    limit: Some(12),
                })?
                .iter()
                .map(|x| {
                    serde_json::json!({
                        "at": when(x.at), "tool": x.tool, "branch": x.branch,
                        "format": x.format, "report": x.report, "occurrences": x.occurrences,
                    })
                })
                .collect();
            Ok((asset, rows, more, scans))
        })
        .await;
    match data {
        Ok((asset, rows, more, scans)) => render(
            &state,
            "asset.html",
            minijinja::context! {
                nav => "asset",
                viewer => viewer_context(&state, &viewer),
                csrf => viewer.csrf.clone(),
                a => sv(&asset),
                findings => sv(&rows),
                more => more,
                scans => sv(&scans),
            },
        ),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

async fn team_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(team): Path<String>,
) -> Response {
    let principal = viewer.principal.clone();
    let name = team.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            let teams = api::teams_for(s, &principal)?;
            let t = teams
                .into_iter()
                .find(|t| t.name == name)
                .ok_or_else(|| ApiError::NotFound(format!("no team named {name}")))?;
            let page = listing::page_findings(
                s,
                &scope,
                &FindingFilter {
                    team: Some(name.clone()),
                    ..FindingFilter::work_queue()
                },
                None,
                100,
            )?;
            let now = s.clock.now();
            let rows: Vec<FindingRow> = page.items.iter().map(|f| row(f, now)).collect();
            // Counts from the summary (the team's work queue, as the viewer may read it).
            let summary = s
                .summary
                .get(s.store.as_ref(), overview::as_of_minute(now))?;
            let mut per_asset: BTreeMap<String, usize> = BTreeMap::new();
            let mut overdue = 0;
            for g in summary.groups.iter().filter(|g| {
                g.team.as_deref() == Some(name.as_str())
                    && overview::is_actionable(g.status)
                    && scope.may_read_group(&g.asset, g.team.as_deref())
            }) {
                *per_asset.entry(g.asset.clone()).or_default() += g.count as usize;
                overdue += g.past_cutoff as usize;
            }
            let total = per_asset.values().sum::<usize>();
            Ok((t, rows, total, overdue, per_asset))
        })
        .await;
    match data {
        Ok((t, rows, total, overdue, per_asset)) => render(
            &state,
            "team.html",
            minijinja::context! {
                nav => format!("team:{team}"),
                viewer => viewer_context(&state, &viewer),
                csrf => viewer.csrf.clone(),
                team => t.name,
                members => t.members,
                assets => t.assets,
                per_asset => per_asset,
                findings => sv(&rows),
                total => total,
                more => total > 100,
                overdue => overdue,
            },
        ),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

/// A serializable value for a template.
pub(crate) fn sv<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}
