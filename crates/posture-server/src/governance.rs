//! The programme's governance over HTTP: the policy (`GET /api/v1/policy`, `POST
//! /api/v1/policy/check`), the CI gate (`POST /api/v1/gate`) and the programme metrics (`GET
//! /api/v1/metrics`).
//!
//! Why a module of its own: these answers are the CLI's (`posture policy check`, `posture gate
//! --output json|--sarif|--markdown|--junit`, `posture metrics --output json`), computed by the
//! same `posture_app` functions over the same store, so a pipeline gets one verdict whichever
//! way it asks. Only access control and the HTTP shapes live here.
//!
//! The policy is the file named by `posture.toml`'s `[policy] file` (as the CLI finds it),
//! read on each use ([`crate::Shared::policy`]). Without one, the gate answers 409, as
//! `posture gate` refuses to run without a policy; a file that does not check is a 409 too
//! (`GET /api/v1/policy` shows its diagnostics).
//!
//! Rights:
//! * metrics: every role that reads. A developer sees their teams' findings only: `team=` must
//!   be one of their teams, `asset=` (without `team=`) one of their teams' assets, and without
//!   either the metrics are restricted to their team (when they have exactly one; with several
//!   they must name one, 400, since the metrics restrict to one team at a time). Reading them
//!   applies the acceptances that expired by the date first, as `posture metrics` does (the
//!   metrics replay `expired` events, not `expires_at`); that write is the system's, audited
//!   as `finding.expire` by `posture` with the reader who triggered it.
//! * gate: admin and appsec on any asset, ci tokens on their named assets, developers on their
//!   teams' assets, readers never. Sending a report (which ingests it first, audited as an
//!   upload) needs the upload right on the asset, so a developer gates what is stored.
//! * policy: every role that reads may see the active policy; checking a policy text is for
//!   admin and appsec.

use crate::api::{Caller, audit, read_upload, to_json};
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::{GateJson, MetricsJson, SarifJson};
use crate::{Actor, AppState, Shared};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use posture_app::IngestRequest;
use posture_app::gate::{GateOutcome, GateRequest};
use posture_app::metrics::MetricsRequest;
use posture_app::policy::{Action, Diagnostic, Mode, Policy, RenderStyle, Rule};
use posture_model::Timestamp;
use posture_store::{ExpiredDecision, Right, Role, ScanKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The header that carries the gate's verdict (`passed`, `failed`, `error`) on every answer,
/// whatever its format.
pub const GATE_VERDICT_HEADER: &str = "posture-gate-verdict";
/// The header that carries the exit code `posture gate` would end with (0, 1 or 2).
pub const GATE_EXIT_CODE_HEADER: &str = "posture-gate-exit-code";

/// The default coverage window of the metrics, in days (as `posture metrics --days`).
pub const DEFAULT_METRICS_DAYS: u32 = 30;

/// Routes of the governance endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/metrics", get(get_metrics))
        .route(
            "/api/v1/gate",
            // The size cap (the server's --max-upload-size) is enforced while reading.
            post(run_gate).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/policy", get(get_policy))
        .route(
            "/api/v1/policy/check",
            post(check_policy).layer(DefaultBodyLimit::disable()),
        )
}

// ---------------------------------------------------------------------------------------
// Metrics

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    /// The date (YYYY-MM-DD: the end of that day UTC) or time (RFC 3339) the metrics are
    /// computed as of, from the event log; default now.
    pub as_of: Option<String>,
    /// Scanner coverage window: scans in the N days before the date count (default 30).
    pub days: Option<u32>,
    /// Only this asset (service).
    pub asset: Option<String>,
    /// Only findings owned by this team.
    pub team: Option<String>,
}

/// The asset and team filters the caller's scope allows (see the module docs).
fn metrics_scope(
    scope: &Scope<'_>,
    asset: Option<String>,
    team: Option<String>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    scope.require(Right::Read)?;
    if scope.reads_everything() {
        return Ok((asset, team));
    }
    let teams = scope.teams();
    match (asset, team) {
        (asset, Some(team)) => {
            if teams.contains(&team) {
                Ok((asset, Some(team)))
            } else {
                Err(ApiError::Forbidden(format!(
                    "a {} token may read the metrics of its teams only ({}), not of team {team}",
                    scope.principal.role,
                    none_if_empty(&teams)
                )))
            }
        }
        (Some(asset), None) => {
            if scope.may_read_asset(&asset) {
                Ok((Some(asset), None))
            } else {
                Err(ApiError::Forbidden(format!(
                    "asset {asset} is not one of your teams' ({})",
                    none_if_empty(&teams)
                )))
            }
        }
        (None, None) => match teams.as_slice() {
            [] => Err(ApiError::Forbidden(
                "this token belongs to no team, so it may read no metrics".into(),
            )),
            [only] => Ok((None, Some(only.clone()))),
            several => Err(ApiError::BadRequest(format!(
                "name one of your teams: team={}",
                several.join("|")
            ))),
        },
    }
}

fn none_if_empty(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The metrics for a caller, as `posture metrics --output json` prints them: expiries up to
/// the date first, SLA days chosen by the configured policy (else the defaults).
pub fn metrics_for(
    shared: &Shared,
    scope: &Scope<'_>,
    params: MetricsParams,
) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    let (asset, team) = metrics_scope(scope, non_empty(params.asset), non_empty(params.team))?;
    let now = shared.clock.now();
    let as_of = match non_empty(params.as_of) {
        Some(text) => posture_app::metrics::parse_as_of(&text)?,
        None => now,
    };
    let days = params.days.unwrap_or(DEFAULT_METRICS_DAYS);
    if days == 0 {
        return Err(ApiError::BadRequest("days must be at least 1".into()));
    }
    let store = shared.store.as_ref();
    let config = shared.portfolio.as_ref();
    // Expiries up to the date are part of the history (as `posture metrics`): the replay
    // reads `expired` events and ignores a decision's `expires_at`, so the sweep must run
    // first. It writes each event at the acceptance's own expiry time, so the history does
    // not depend on who swept or when; a read by any role may therefore trigger it, and the
    // audit log records the write as the system's, naming who asked.
    let expired = posture_app::workflow::expire(store, as_of.min(now))?;
    audit_expiries(shared, Some(scope), "GET /api/v1/metrics", &expired)?;
    let request = MetricsRequest {
        as_of,
        days,
        asset,
        team,
    };
    let input = posture_app::metrics::load(store, config, &request)?;
    let rule =
        posture_app::policy::sla_rule(store, config, shared.policy()?, &input.findings, as_of)?;
    to_json(&posture_app::metrics::compute(
        &input,
        rule.as_ref(),
        &request,
    ))
}

/// The name the system acts under in the audit log (the actor of the `expired` events too).
pub(crate) const SYSTEM_ACTOR: &str = "posture";

/// Records a sweep that expired decisions (nothing when it expired none) as a system action:
/// `finding.expire`, the findings with their expiry times, and who asked through what.
fn audit_expiries(
    shared: &Shared,
    requested_by: Option<&Scope<'_>>,
    via: &str,
    expired: &[ExpiredDecision],
) -> Result<(), ApiError> {
    if expired.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = expired.iter().map(|d| d.finding_id.to_string()).collect();
    let target = match ids.as_slice() {
        [one] => format!("finding {one}"),
        many => format!("findings {}", many.join(", ")),
    };
    let findings: Vec<serde_json::Value> = expired
        .iter()
        .map(|d| serde_json::json!({ "id": d.finding_id, "expired_at": d.expired_at }))
        .collect();
    audit(
        shared,
        &Actor {
            name: SYSTEM_ACTOR.into(),
            token_id: None,
            client: None,
        },
        "finding.expire",
        target,
        serde_json::json!({
            "findings": findings,
            "via": via,
            "requested_by": requested_by.map(|s| s.principal.user.clone()),
            "token_id": requested_by.map(|s| s.principal.token_id),
        }),
    )
}

/// How often a running server applies the acceptances that expired, so the dashboard and
/// the lists show a lapsed acceptance as open again without waiting for an upload.
pub const EXPIRY_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Applies every acceptance that expired by now (one set-based sweep, `expired` events dated
/// at each expiry, as the CLI's `posture triage expire`), audited as the system's action.
/// Returns how many expired.
pub fn sweep_expiries(shared: &Shared) -> Result<usize, ApiError> {
    let expired = posture_app::workflow::expire(shared.store.as_ref(), shared.clock.now())?;
    audit_expiries(shared, None, "scheduled sweep", &expired)?;
    Ok(expired.len())
}

/// Programme metrics computed from the event log as of a date (as `posture metrics --output
/// json`): MTTR by service, team and severity, criticals past SLA, density, scanner coverage,
/// the weekly trend. Developers see their teams' findings only.
#[utoipa::path(
    get, path = "/api/v1/metrics", tag = "governance", params(MetricsParams),
    responses(
        (status = 200, description = "The metrics", body = MetricsJson),
        (status = 400, description = "A bad date or window; a developer of several teams must name one", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not read these metrics (ci; another team's)", body = ErrorBody),
        (status = 409, description = "The configured policy (its SLA rules) cannot be read or does not check", body = ErrorBody)
    )
)]
pub async fn get_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<MetricsParams>,
) -> Result<Json<MetricsJson>, ApiError> {
    let report = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            metrics_for(s, &scope, params)
        })
        .await?;
    Ok(Json(MetricsJson(report)))
}

// ---------------------------------------------------------------------------------------
// The gate

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GateParams {
    /// The asset (service) to gate.
    pub asset: Option<String>,
    /// The branch under review (default main).
    pub branch: Option<String>,
    /// The branch findings must be new relative to (default main).
    pub baseline: Option<String>,
    /// Evaluate every finding open on the branch, not only the new ones.
    #[serde(default)]
    pub all: bool,
    /// Gate an asset that has no scans and that posture.toml does not declare (a first run);
    /// without it such a name is answered 400 (a typo must not pass).
    #[serde(default)]
    pub allow_new_asset: bool,
    /// The answer: `json` (default), `sarif` (SARIF 2.1.0), `markdown` or `junit` (XML).
    pub format: Option<String>,
    /// Read the report sent along as this format instead of detecting it.
    pub report_format: Option<String>,
    /// The part of the asset the report covers (a manifest, an image).
    pub target: Option<String>,
    /// The commit the report is of.
    pub commit: Option<String>,
    /// The report's name in Posture (default: the multipart file name, else `upload`).
    pub name: Option<String>,
    /// With `format=markdown`: link findings to their pages under this address (the server's
    /// public address) instead of writing `#ID`.
    pub base_url: Option<String>,
}

/// What the gate answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateFormat {
    Json,
    Sarif,
    Markdown,
    Junit,
}

impl GateFormat {
    fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        match text.map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("json") => Ok(GateFormat::Json),
            Some("sarif") => Ok(GateFormat::Sarif),
            Some("markdown") | Some("md") => Ok(GateFormat::Markdown),
            Some("junit") => Ok(GateFormat::Junit),
            Some(other) => Err(ApiError::BadRequest(format!(
                "unknown format `{other}` (json, sarif, markdown or junit)"
            ))),
        }
    }
}

/// 403 unless the caller may gate this asset (see the module docs); sending a report is
/// checked apart, as an upload.
pub fn require_gate(scope: &Scope<'_>, asset: &str) -> Result<(), ApiError> {
    let p = scope.principal;
    let allowed = match p.role {
        Role::Admin | Role::Appsec => true,
        Role::Ci => p.assets.iter().any(|a| a == asset),
        Role::Developer => scope.may_read_asset(asset),
        Role::Reader => false,
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::Forbidden(match p.role {
        Role::Reader => "a reader token may not run the gate".to_string(),
        Role::Ci => format!(
            "this ci token may gate only {}, not {asset}",
            none_if_empty(&p.assets)
        ),
        _ => format!(
            "asset {asset} is not one of your teams' ({})",
            none_if_empty(&scope.teams())
        ),
    }))
}

/// The verdict word and the exit code of `posture gate` for an outcome.
pub fn verdict_of(o: &GateOutcome) -> (&'static str, u8) {
    if !o.errors.is_empty() {
        ("error", 2)
    } else if o.passed {
        ("passed", 0)
    } else {
        ("failed", 1)
    }
}

/// The JSON answer: the verdict and exit code, then `posture gate --output json` as it is.
#[derive(Serialize)]
struct GateAnswer<'a> {
    verdict: &'static str,
    exit_code: u8,
    #[serde(flatten)]
    outcome: &'a GateOutcome,
}

/// Evaluate the configured policy on an asset's branch, as `posture gate`: optionally ingest a
/// report first (raw body or multipart `file`, as `POST /api/v1/scans`; audited as an
/// upload), then judge the findings open on the branch that are new relative to the baseline
/// (or all). The verdict is the answer (200 whether it passes or fails): `verdict` and
/// `exit_code` (0 passed, 1 failed, 2 a rule could not be evaluated), every finding with the
/// rules that matched and the exception that excuses it. `format=sarif|markdown|junit`
/// answers with those renderings instead; the verdict is also in the `Posture-Gate-Verdict`
/// and `Posture-Gate-Exit-Code` headers.
#[utoipa::path(
    post, path = "/api/v1/gate", tag = "governance",
    params(GateParams),
    request_body(
        description = "Optional: a report to ingest first, as the raw bytes or a multipart form with a `file` field. Empty: gate what is stored.",
        content(
            (Vec<u8> = "application/octet-stream"),
            (crate::api::UploadForm = "multipart/form-data")
        )
    ),
    responses(
        (status = 200, description = "The gate's verdict",
            content(
                (GateJson = "application/json"),
                (SarifJson = "application/sarif+json"),
                (String = "text/markdown"),
                (String = "application/xml")
            ),
            headers(
                ("Posture-Gate-Verdict" = String, description = "passed, failed or error"),
                ("Posture-Gate-Exit-Code" = u8, description = "The exit code of `posture gate`: 0, 1 or 2")
            )
        ),
        (status = 400, description = "A missing asset, an unknown format, a broken multipart body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not gate this asset (or upload to it)", body = ErrorBody),
        (status = 409, description = "No policy is configured (`[policy] file` in posture.toml), or it does not check", body = ErrorBody),
        (status = 413, description = "The report is over the size cap", body = ErrorBody),
        (status = 422, description = "Not a report Posture reads", body = ErrorBody)
    )
)]
pub async fn run_gate(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<GateParams>,
    request: Request,
) -> Result<Response, ApiError> {
    let asset = non_empty(params.asset.clone()).ok_or_else(|| {
        ApiError::BadRequest("name the asset: POST /api/v1/gate?asset=NAME".into())
    })?;
    let format = GateFormat::parse(params.format.as_deref())?;
    require_gate(
        &Scope::new(&caller.principal, state.portfolio.as_ref()),
        &asset,
    )?;
    if state.policy_file.is_none() {
        return Err(no_policy());
    }
    let source = read_upload(
        &state,
        request,
        params.name.clone(),
        state.settings.max_upload_bytes,
    )
    .await?;
    let report = (!source.bytes.is_empty()).then_some(source);
    let ingests = report.is_some();
    let actor = caller.actor();
    let (outcome, rendered) = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            // The policy is checked before the report is ingested (as `posture gate`).
            let policy = s.policy()?.ok_or_else(no_policy)?;
            let branch = non_empty(params.branch.clone()).unwrap_or_else(|| "main".into());
            let now = s.clock.now();
            if let Some(source) = report {
                scope.require_upload(&asset)?;
                let vex = crate::api::vex_handling(&caller.principal);
                ingest_for_gate(s, &actor, &asset, &branch, &params, source, now, vex)?;
            }
            let outcome = posture_app::gate::run_gate(
                s.store.as_ref(),
                s.portfolio.as_ref(),
                &policy,
                &GateRequest {
                    asset: asset.clone(),
                    branch,
                    baseline: non_empty(params.baseline.clone()).unwrap_or_else(|| "main".into()),
                    all: params.all,
                    now,
                    allow_new_asset: params.allow_new_asset,
                },
            )?;
            let rendered = render_gate(&outcome, format, params.base_url.as_deref())?;
            Ok((outcome, rendered))
        })
        .await?;
    if ingests {
        crate::api::warm_summary(&state);
    }
    let (verdict, code) = verdict_of(&outcome);
    let content_type = match format {
        GateFormat::Json => "application/json",
        GateFormat::Sarif => "application/sarif+json",
        GateFormat::Markdown => "text/markdown; charset=utf-8",
        GateFormat::Junit => "application/xml; charset=utf-8",
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], rendered).into_response();
    let headers = response.headers_mut();
    headers.insert(GATE_VERDICT_HEADER, HeaderValue::from_static(verdict));
    headers.insert(GATE_EXIT_CODE_HEADER, HeaderValue::from(u16::from(code)));
    Ok(response)
}

fn no_policy() -> ApiError {
    ApiError::Conflict(
        "no policy: the server's posture.toml names none (`[policy] file = \"...\"`), so there is nothing to gate with".into(),
    )
}

/// Ingests the report sent to the gate through the upload path of `POST /api/v1/scans`
/// (audited as `scan.upload` via `gate`).
#[allow(clippy::too_many_arguments)]
fn ingest_for_gate(
    s: &Shared,
    actor: &crate::Actor,
    asset: &str,
    branch: &str,
    params: &GateParams,
    source: posture_app::ReportSource,
    now: Timestamp,
    vex: posture_app::VexHandling,
) -> Result<(), ApiError> {
    crate::api::ingest_upload(
        s,
        actor,
        vec![source],
        IngestRequest {
            asset: asset.to_string(),
            branch: branch.to_string(),
            target: non_empty(params.target.clone()),
            commit: non_empty(params.commit.clone()),
            format: non_empty(params.report_format.clone()),
            kind: ScanKind::Findings,
            at: now,
            force: false,
            thresholds: Default::default(),
            branches: posture_app::branches::BranchSettings::of(
                s.portfolio.as_ref().map(|c| &c.portfolio),
                asset,
            ),
        },
        Some("gate"),
        vex,
    )?;
    Ok(())
}

/// The gate's outcome in the asked format (the CLI's `--output json`, `--sarif`,
/// `--markdown`, `--junit` writers).
fn render_gate(
    outcome: &GateOutcome,
    format: GateFormat,
    base_url: Option<&str>,
) -> Result<String, ApiError> {
    let (verdict, exit_code) = verdict_of(outcome);
    let cannot = |e: &dyn std::fmt::Display| ApiError::Internal(format!("cannot render: {e}"));
    match format {
        GateFormat::Json => serde_json::to_string(&GateAnswer {
            verdict,
            exit_code,
            outcome,
        })
        .map_err(|e| cannot(&e)),
        GateFormat::Sarif => posture_app::gate_report::sarif(outcome, env!("CARGO_PKG_VERSION"))
            .map_err(|e| cannot(&e))
            .and_then(|log| serde_json::to_string(&log).map_err(|e| cannot(&e))),
        GateFormat::Markdown => Ok(posture_app::gate_report::markdown(outcome, base_url)),
        GateFormat::Junit => posture_app::gate_report::junit(outcome).map_err(|e| cannot(&e)),
    }
}

// ---------------------------------------------------------------------------------------
// The policy

/// One rule of a policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyRuleView {
    pub id: String,
    pub description: Option<String>,
    /// block, warn, require_approval, escalate or set_sla.
    pub action: String,
    /// enforce or log-only.
    pub mode: String,
    /// The CEL condition, as written.
    pub when: String,
    /// Line of the rule's `[[rule]]` in the file.
    pub line: usize,
    /// First day the rule applies (UTC, inclusive).
    pub valid_from: Option<String>,
    /// Last day the rule applies (UTC, inclusive).
    pub valid_until: Option<String>,
    /// Whether today is inside the rule's validity window.
    pub in_force: bool,
    /// `require_approval`: the approver's role.
    pub role: Option<String>,
    /// `require_approval`: the triage states that need the approval.
    pub states: Option<Vec<String>>,
    /// `set_sla`: the SLA in days.
    pub days: Option<u32>,
    /// `escalate`: only findings at least this many days old.
    pub after_days: Option<u32>,
    /// `escalate`: where the escalation goes.
    pub target: Option<String>,
}

impl PolicyRuleView {
    fn of(r: &Rule, now: Timestamp) -> Self {
        let mut view = PolicyRuleView {
            id: r.id.clone(),
            description: r.description.clone(),
            action: r.action.as_str().to_string(),
            mode: match r.mode {
                Mode::Enforce => "enforce",
                Mode::LogOnly => "log-only",
            }
            .to_string(),
            when: r.when.clone(),
            line: r.line,
            valid_from: r.valid_from.map(|d| d.to_string()),
            valid_until: r.valid_until.map(|d| d.to_string()),
            in_force: r.is_valid_at(now),
            role: None,
            states: None,
            days: None,
            after_days: None,
            target: None,
        };
        match &r.action {
            Action::RequireApproval { role, states, .. } => {
                view.role = Some(role.clone());
                view.states = Some(states.clone());
            }
            Action::SetSla { days } => view.days = Some(*days),
            Action::Escalate { after_days, target } => {
                view.after_days = *after_days;
                view.target = target.clone();
            }
            Action::Block | Action::Warn => {}
        }
        view
    }
}

/// One problem in a policy file (the codes P001-P012 of `posture policy check`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyDiagnostic {
    /// P001 (TOML syntax) ... P012; see the policy documentation.
    pub code: String,
    pub message: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Short label of the place.
    pub label: String,
    /// How to fix it, when Posture knows ("did you mean `severity`?").
    pub help: Option<String>,
}

impl From<&Diagnostic> for PolicyDiagnostic {
    fn from(d: &Diagnostic) -> Self {
        PolicyDiagnostic {
            code: d.code.to_string(),
            message: d.message.clone(),
            line: d.line,
            column: d.column,
            label: d.label.clone(),
            help: d.help.clone(),
        }
    }
}

/// The result of checking a policy text: its rules when it checks, every diagnostic when not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyCheck {
    /// The name the diagnostics point at.
    pub name: String,
    pub valid: bool,
    pub rules: Vec<PolicyRuleView>,
    pub diagnostics: Vec<PolicyDiagnostic>,
    /// The diagnostics rendered as `posture policy check` prints them (empty when valid).
    pub rendered: String,
}

fn check_text(name: &str, text: &str, now: Timestamp) -> PolicyCheck {
    match Policy::parse(text, name) {
        Ok(policy) => checked(name, &policy, now),
        Err(d) => PolicyCheck {
            name: name.to_string(),
            valid: false,
            rules: Vec::new(),
            diagnostics: d.diagnostics().iter().map(PolicyDiagnostic::from).collect(),
            rendered: d.render(RenderStyle::Plain),
        },
    }
}

fn checked(name: &str, policy: &Policy, now: Timestamp) -> PolicyCheck {
    PolicyCheck {
        name: name.to_string(),
        valid: true,
        rules: policy
            .rules()
            .iter()
            .map(|r| PolicyRuleView::of(r, now))
            .collect(),
        diagnostics: Vec::new(),
        rendered: String::new(),
    }
}

/// The server's active policy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyView {
    /// Whether `posture.toml` names a policy file (`[policy] file`).
    pub configured: bool,
    /// The policy file: its name (its path on the server for an admin).
    pub file: Option<String>,
    /// Whether the file reads and checks (the gate refuses to run otherwise).
    pub valid: bool,
    /// Its rules, in file order (when valid).
    pub rules: Vec<PolicyRuleView>,
    /// Every problem in the file (when it does not check).
    pub diagnostics: Vec<PolicyDiagnostic>,
    /// Why there is no usable policy (none configured, the file cannot be read, or the
    /// rendered diagnostics).
    pub error: Option<String>,
}

/// The active policy as the server sees it now, naming the file by its name only (the
/// server's directories are not the reader's business; an admin sees the path with
/// [`policy_view_for`]).
pub fn policy_view(shared: &Shared) -> PolicyView {
    policy_view_for(shared, false)
}

/// The active policy; `full_path`: name the file by its path on the server (admins).
pub fn policy_view_for(shared: &Shared, full_path: bool) -> PolicyView {
    let now = shared.clock.now();
    let Some(path) = &shared.policy_file else {
        return PolicyView {
            configured: false,
            file: None,
            valid: false,
            rules: Vec::new(),
            diagnostics: Vec::new(),
            error: Some(
                "no policy: the server's posture.toml names none (`[policy] file = \"...\"`)"
                    .into(),
            ),
        };
    };
    let full = path.display().to_string();
    let file = if full_path {
        full.clone()
    } else {
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "policy".to_string())
    };
    // Messages name the file as shown, never by the path the caller may not see.
    let hide = |text: String| {
        if full_path {
            text
        } else {
            text.replace(&full, &file)
        }
    };
    let (valid, rules, diagnostics, error) = match posture_app::policy::read_policy(path) {
        Ok(Ok(policy)) => (true, checked(&file, &policy, now).rules, Vec::new(), None),
        Ok(Err(d)) => (
            false,
            Vec::new(),
            d.diagnostics().iter().map(PolicyDiagnostic::from).collect(),
            Some(hide(d.render(RenderStyle::Plain))),
        ),
        Err(e) => (false, Vec::new(), Vec::new(), Some(hide(e.to_string()))),
    };
    PolicyView {
        configured: true,
        file: Some(file),
        valid,
        rules,
        diagnostics,
        error,
    }
}

/// The active policy: the file `posture.toml` names, its rules (id, action, mode, condition,
/// validity window) or, when it does not check, its diagnostics.
#[utoipa::path(
    get, path = "/api/v1/policy", tag = "governance",
    responses(
        (status = 200, description = "The active policy (`configured: false` without one)", body = PolicyView),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not read (ci)", body = ErrorBody)
    )
)]
pub async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PolicyView>, ApiError> {
    let view = state
        .blocking(move |s| {
            Scope::new(&caller.principal, s.portfolio.as_ref()).require(Right::Read)?;
            Ok(policy_view_for(s, caller.principal.role == Role::Admin))
        })
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PolicyCheckParams {
    /// The name the diagnostics point at (default `policy.toml`).
    pub name: Option<String>,
}

/// 403 unless the caller is admin or appsec (the people who write policies).
fn require_policy_author(scope: &Scope<'_>) -> Result<(), ApiError> {
    match scope.principal.role {
        Role::Admin | Role::Appsec => Ok(()),
        other => Err(ApiError::Forbidden(format!(
            "a {other} token may not check policies (admin and appsec may)"
        ))),
    }
}

/// Check a policy text (the body, TOML) as `posture policy check` does, changing nothing:
/// 200 with `valid: true` and its rules, or `valid: false` and every diagnostic with its code,
/// line and column (admin, appsec).
#[utoipa::path(
    post, path = "/api/v1/policy/check", tag = "governance",
    params(PolicyCheckParams),
    request_body(
        description = "The policy file (TOML).",
        content((String = "application/toml"), (String = "text/plain"))
    ),
    responses(
        (status = 200, description = "Whether it checks, its rules or its diagnostics", body = PolicyCheck),
        (status = 400, description = "The body is not UTF-8 text", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only admin and appsec check policies", body = ErrorBody),
        (status = 413, description = "Over the size of a policy file (4 MiB)", body = ErrorBody)
    )
)]
pub async fn check_policy(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<PolicyCheckParams>,
    request: Request,
) -> Result<Json<PolicyCheck>, ApiError> {
    require_policy_author(&Scope::new(&caller.principal, state.portfolio.as_ref()))?;
    let limit = posture_app::policy::MAX_POLICY_BYTES;
    let too_large = || {
        ApiError::TooLarge(format!(
            "the policy is over the limit of {limit} bytes of a policy file"
        ))
    };
    if request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit)
    {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(
        request.into_body(),
        usize::try_from(limit).unwrap_or(usize::MAX),
    )
    .await
    .map_err(|_| too_large())?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::BadRequest(format!("the policy is not UTF-8 text: {e}")))?;
    let name = non_empty(params.name).unwrap_or_else(|| "policy.toml".into());
    let now = state.now();
    Ok(Json(check_text(&name, &text, now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_broken_policy_reports_every_position() {
        let text = "[[rule]]\nid = \"a\"\nwhen = 'finding.sevrity == \"high\"'\naction = \"block\"\n\n[[rule]]\nid = \"b\"\nwhen = 'true'\naction = \"escalte\"\n";
        let c = check_text("p.toml", text, at("2026-06-01T00:00:00Z"));
        assert!(!c.valid);
        let codes: Vec<(&str, usize)> = c
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.line))
            .collect();
        assert_eq!(codes, vec![("P008", 3), ("P005", 9)], "{c:?}");
        assert!(c.rendered.contains("p.toml has 2 errors"), "{}", c.rendered);
    }

    #[test]
    fn a_valid_policy_lists_its_rules_with_their_windows() {
        let text = "[[rule]]\nid = \"vp\"\nwhen = 'true'\naction = \"require_approval\"\nrole = \"vp\"\nvalid_until = \"2026-01-31\"\n";
        let c = check_text("p.toml", text, at("2026-06-01T00:00:00Z"));
        assert!(c.valid, "{c:?}");
        let r = &c.rules[0];
        assert_eq!(
            (r.action.as_str(), r.role.as_deref(), r.in_force),
            ("require_approval", Some("vp"), false)
        );
        assert_eq!(r.valid_until.as_deref(), Some("2026-01-31"));
    }
}
