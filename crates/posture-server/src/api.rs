//! The REST API under `/api/v1`, with bearer tokens. Every handler checks the caller's right
//! and scope (401 without a valid token, 403 without the right), calls the store off the async
//! threads, and answers JSON (errors as `{"error": {...}}`). The OpenAPI document is generated
//! from these handlers' annotations and served at `/api/v1/openapi.json`.

use crate::auth::{Scope, hash_secret};
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::listing::{self, FindingFilter};
use crate::schemas::*;
use crate::{Actor, AppState, Shared, TokenRequest};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use posture_app::risk::AssessedFinding;
use posture_app::{IngestRequest, ReportSource};
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::{AuditEntry, Principal, Right, Role, ScanKind, ScanQuery, TokenRecord};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// The largest page of findings.
pub const MAX_PAGE: usize = 500;
/// The default page of findings.
pub const DEFAULT_PAGE: usize = 50;

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

/// The client's address as the server saw it.
pub fn client_of(parts: &Parts) -> Option<String> {
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
    shared.store.record_audit(AuditEntry {
        at: shared.clock.now(),
        actor: actor.name.clone(),
        token_id: actor.token_id,
        client: actor.client.clone(),
        action: action.to_string(),
        target,
        detail,
    })?;
    Ok(())
}

/// Serialized JSON, as the CLI prints it (field order kept).
pub(crate) fn to_json<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    serde_json::value::to_raw_value(value)
        .map_err(|e| ApiError::Internal(format!("cannot serialize: {e}")))
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
        .route("/api/v1/findings", get(list_findings))
        .route("/api/v1/findings/{id}", get(get_finding))
        .route("/api/v1/findings/{id}/explain", get(explain_finding))
        .route("/api/v1/findings/{id}/events", get(finding_events))
        .route("/api/v1/findings/{id}/triage", post(triage_finding))
        .route("/api/v1/assets", get(list_assets))
        .route(
            "/api/v1/assets/{asset}/branches",
            get(crate::branches_api::list_branches),
        )
        .route(
            "/api/v1/assets/{asset}/branches/{branch}",
            delete(crate::branches_api::delete_branch),
        )
        .route("/api/v1/teams", get(list_teams))
        .route("/api/v1/suggestions", get(list_suggestions))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/me", get(me))
}

/// The OpenAPI 3 document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Posture API",
        description = "Upload scanner reports, list and triage findings, read assets, teams and scans, run the CI gate, read the policy and programme metrics. Every request needs `Authorization: Bearer <token>` (`posture token create`). 401: no valid token; 403: the token's role or scope does not allow it.",
        license(name = "Apache-2.0")
    ),
    paths(
        upload_scan, list_scans, list_findings, get_finding, explain_finding, finding_events,
        triage_finding, list_assets, list_teams, list_suggestions, list_tokens, create_token,
        revoke_token, audit_log, me,
        crate::branches_api::list_branches, crate::branches_api::delete_branch,
        crate::governance::get_metrics, crate::governance::run_gate,
        crate::governance::get_policy, crate::governance::check_policy
    ),
    components(schemas(
        ErrorBody, FindingJson, OccurrenceJson, RiskJson, EventJson, SuggestionJson,
        ExplanationJson, ScanJson, IngestSummaryJson, SeverityJson, StatusJson, FindingPage,
        TriageRequest, AssetView, TeamView, TokenView, TokenCreateRequest, TokenCreated,
        AuditView, Me, UploadForm,
        crate::branches_api::BranchView, crate::branches_api::RetiredBranchView,
        MetricsJson, GateJson, SarifJson, crate::governance::PolicyView,
        crate::governance::PolicyRuleView, crate::governance::PolicyDiagnostic,
        crate::governance::PolicyCheck
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "scans", description = "Report uploads and the scan history"),
        (name = "findings", description = "Findings, their evidence, history and triage"),
        (name = "portfolio", description = "Assets, teams, suggested duplicates"),
        (name = "access", description = "Tokens and the audit log (admin)"),
        (name = "governance", description = "The policy, the CI gate and programme metrics (as `posture policy check`, `posture gate`, `posture metrics`)")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A Posture API token (pst_...)"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document (no token needed).
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

// ---------------------------------------------------------------------------------------
// Scans

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// The asset (service) the report belongs to.
    asset: Option<String>,
    /// The branch that was scanned (default main).
    branch: Option<String>,
    /// The part of the asset that was scanned (a manifest, an image).
    target: Option<String>,
    /// The commit that was scanned.
    commit: Option<String>,
    /// Read the report as this format instead of detecting it.
    format: Option<String>,
    /// `findings` (default) or `runtime` (an SBOM of what is loaded).
    kind: Option<String>,
    /// The report's name in Posture (default: the multipart file name, else `upload`).
    name: Option<String>,
}

/// A multipart upload: the report in the `file` field.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The report (any supported format, detected from its content).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads the upload (raw body or multipart `file`), refusing it past `limit` bytes.
pub(crate) async fn read_upload(
    state: &AppState,
    request: Request,
    name: Option<String>,
    limit: u64,
) -> Result<ReportSource, ApiError> {
    let too_large = |name: &str| {
        ApiError::TooLarge(format!(
            "{name}: the upload is over the limit of {limit} bytes (the server's --max-upload-size)"
        ))
    };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| {
            c.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_multipart {
        let name = name.unwrap_or_else(|| "upload".to_string());
        if let Some(len) = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && len > limit
        {
            return Err(too_large(&name));
        }
        let bytes = axum::body::to_bytes(
            request.into_body(),
            usize::try_from(limit).unwrap_or(usize::MAX),
        )
        .await
        .map_err(|_| too_large(&name))?;
        return Ok(ReportSource {
            name,
            bytes: bytes.to_vec(),
            format: None,
        });
    }
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("the multipart body cannot be read: {e}")))?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("the multipart body cannot be read: {e}")))?;
        let Some(mut field) = field else {
            return Err(ApiError::BadRequest(
                "the multipart body has no `file` field: send the report as `file`".into(),
            ));
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = name
            .clone()
            .or_else(|| field.file_name().map(str::to_string))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "upload".to_string());
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::BadRequest(format!("{name}: the upload broke off: {e}")))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(too_large(&name));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(ReportSource {
            name,
            bytes,
            format: None,
        });
    }
}

/// What `posture ingest --output json` prints.
#[derive(Serialize)]
struct IngestSummary<'a, Total: Serialize> {
    asset: &'a str,
    reports: &'a [posture_app::PreparedSummary],
    scopes: &'a [posture_store::ScopeOutcome],
    total: &'a Total,
}

/// Upload a report (raw body, or multipart field `file`). Same ingest as `posture ingest`:
/// the format is detected from the content, and the report is stored whole or not at all.
#[utoipa::path(
    post, path = "/api/v1/scans", tag = "scans",
    params(UploadParams),
    request_body(
        description = "The report: the raw bytes, or a multipart form with a `file` field.",
        content(
            (Vec<u8> = "application/octet-stream"),
            (UploadForm = "multipart/form-data")
        )
    ),
    responses(
        (status = 200, description = "What the scan changed", body = IngestSummaryJson),
        (status = 400, description = "A missing asset, an unknown format, a broken multipart body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not upload to this asset", body = ErrorBody),
        (status = 413, description = "The upload is over the size cap", body = ErrorBody),
        (status = 422, description = "Not a report Posture reads; names the upload and the place", body = ErrorBody)
    )
)]
async fn upload_scan(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    request: Request,
) -> Result<Json<IngestSummaryJson>, ApiError> {
    let asset = params
        .asset
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ApiError::BadRequest("name the asset: POST /api/v1/scans?asset=NAME".into())
        })?
        .to_string();
    Scope::new(&caller.principal, state.portfolio.as_ref()).require_upload(&asset)?;
    let kind = match params.kind.as_deref().map(str::trim) {
        None | Some("") | Some("findings") => ScanKind::Findings,
        Some("runtime") => ScanKind::Runtime,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown kind `{other}` (findings or runtime)"
            )));
        }
    };
    let source = read_upload(
        &state,
        request,
        params.name.clone(),
        state.settings.max_upload_bytes,
    )
    .await?;
    let actor = caller.actor();
    let summary = state
        .blocking(move |s| {
            let request = IngestRequest {
                asset: asset.clone(),
                branch: params
                    .branch
                    .clone()
                    .filter(|b| !b.trim().is_empty())
                    .unwrap_or_else(|| "main".into()),
                target: params.target.clone().filter(|t| !t.trim().is_empty()),
                commit: params.commit.clone().filter(|c| !c.trim().is_empty()),
                format: params.format.clone().filter(|f| !f.trim().is_empty()),
                kind,
                at: s.clock.now(),
                force: false,
                thresholds: Default::default(),
                branches: posture_app::branches::BranchSettings::of(
                    s.portfolio.as_ref().map(|c| &c.portfolio),
                    &asset,
                ),
            };
            let (outcome, reports) = ingest_upload(s, &actor, source, request, None)?;
            let summary = to_json(&IngestSummary {
                asset: &outcome.asset,
                reports: &reports,
                scopes: &outcome.scopes,
                total: &outcome.total(),
            })?;
            Ok(summary)
        })
        .await?;
    warm_summary(&state);
    Ok(Json(IngestSummaryJson(summary)))
}

/// An uploaded report into the store (the CLI's all-or-nothing ingest), audited as
/// `scan.upload` (with `via` when another endpoint took the upload), then the stored risk of
/// what it marked assessed unless a refresh is running (the next one, a list's or an
/// upload's, assesses it; until then its findings are listed as "to assess"). The ingest is
/// committed either way: should the refresh fail, its findings stay marked, and the next
/// refresh reports the error to its caller.
pub(crate) fn ingest_upload(
    s: &Shared,
    actor: &Actor,
    source: ReportSource,
    request: IngestRequest,
    via: Option<&str>,
) -> Result<
    (
        posture_store::IngestOutcome,
        Vec<posture_app::PreparedSummary>,
    ),
    ApiError,
> {
    let size = source.bytes.len();
    let name = source.name.clone();
    let asset = request.asset.clone();
    let branch = request.branch.clone();
    let (outcome, reports) = posture_app::ingest(s.store.as_ref(), &[source], request)?;
    let total = outcome.total();
    let mut detail = serde_json::json!({
        "report": name, "bytes": size,
        "scans": outcome.scopes.iter().flat_map(|x| x.scan_ids.clone()).collect::<Vec<_>>(),
        "new": total.new, "fixed": total.fixed, "reopened": total.reopened,
    });
    if let Some(via) = via {
        detail["via"] = via.into();
        detail["branch"] = branch.into();
    }
    audit(s, actor, "scan.upload", format!("asset {asset}"), detail)?;
    let _ = s
        .risk_refresh
        .refresh_if_idle(s.store.as_ref(), s.portfolio.as_ref());
    Ok((outcome, reports))
}

/// Brings the dashboard's summary up to date after a write, off the caller's time, so the
/// next reader finds it warm (skipped when one is being computed or was a moment ago).
pub(crate) fn warm_summary(state: &AppState) {
    let warm = state.clone();
    tokio::task::spawn_blocking(move || {
        let as_of = crate::overview::as_of_minute(warm.clock.now());
        let _ = warm.summary.warm(warm.store.as_ref(), as_of);
    });
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScansParams {
    asset: Option<String>,
    tool: Option<String>,
    /// At most this many scans (default 100).
    limit: Option<usize>,
}

/// Scans, newest first.
#[utoipa::path(
    get, path = "/api/v1/scans", tag = "scans", params(ScansParams),
    responses(
        (status = 200, description = "Scans, newest first", body = Vec<ScanJson>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_scans(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ScansParams>,
) -> Result<Json<Vec<ScanJson>>, ApiError> {
    let list = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            let limit = params.limit.unwrap_or(100).clamp(1, 10_000);
            let scans = s.store.scans(&ScanQuery {
                asset: params.asset.clone(),
                tool: params.tool.clone(),
                limit: scope.reads_everything().then_some(limit),
            })?;
            scans
                .iter()
                .filter(|x| scope.may_read_asset(&x.asset))
                .take(limit)
                .map(|x| to_json(x).map(ScanJson))
                .collect()
        })
        .await?;
    Ok(Json(list))
}

// ---------------------------------------------------------------------------------------
// Findings

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindingsParams {
    /// Only this asset.
    pub asset: Option<String>,
    /// A branch view: the findings open on this branch (status = triage state). Default: the
    /// default branch's findings.
    pub branch: Option<String>,
    /// open (default), fixed, all, or triage states, comma-separated.
    pub status: Option<String>,
    /// critical, high, medium, low, info, comma-separated.
    pub severity: Option<String>,
    /// Only findings reported by this tool.
    pub tool: Option<String>,
    /// sast, sca, dast, iac, secret, container or runtime.
    pub category: Option<String>,
    /// Risk bands (P1..P4), comma-separated.
    pub band: Option<String>,
    /// Only findings owned by this team.
    pub team: Option<String>,
    /// Only findings with a vulnerability in CISA KEV.
    #[serde(default)]
    pub kev: bool,
    /// Only findings known to be reachable.
    #[serde(default)]
    pub reachable: bool,
    /// SSVC decisions (track, track*, attend, act), comma-separated.
    pub ssvc: Option<String>,
    /// `risk` (highest first) or `severity` (default).
    pub sort: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl FindingsParams {
    pub fn filter(&self) -> Result<FindingFilter, ApiError> {
        listing::parse_filter(
            self.asset.as_deref(),
            self.status.as_deref(),
            self.severity.as_deref(),
            self.tool.as_deref(),
            self.category.as_deref(),
            self.band.as_deref(),
            self.team.as_deref(),
            self.kev,
            self.reachable,
            self.ssvc.as_deref(),
            self.sort.as_deref(),
        )
        .map(|mut f| {
            f.branch = self
                .branch
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_string);
            f
        })
    }
}

/// A page of findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingPage {
    pub findings: Vec<FindingJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Findings, with the CLI's filters, sorted by severity or risk, a page at a time.
#[utoipa::path(
    get, path = "/api/v1/findings", tag = "findings", params(FindingsParams),
    responses(
        (status = 200, description = "A page of findings", body = FindingPage),
        (status = 400, description = "A bad filter or cursor", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_findings(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<FindingsParams>,
) -> Result<Json<FindingPage>, ApiError> {
    let filter = params.filter()?;
    let page = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            // A name nobody knows is a 400, never an empty page (without listing the known
            // names: a caller may not read every asset).
            if let Some(asset) = &filter.asset {
                let known = posture_app::names::known_assets(s.store.as_ref(), s.portfolio.as_ref())?;
                if !known.contains(asset) {
                    return Err(ApiError::BadRequest(format!(
                        "asset: no asset `{asset}` (it has no scans and posture.toml does not declare it)"
                    )));
                }
            }
            if let Some(team) = &filter.team
                && s.portfolio.as_ref().and_then(|c| c.portfolio.team(team)).is_none()
            {
                return Err(ApiError::BadRequest(format!(
                    "team: no team `{team}` in posture.toml"
                )));
            }
            let limit = params.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
            let page = listing::page_findings(s, &scope, &filter, params.cursor.as_deref(), limit)?;
            Ok(FindingPage {
                findings: page
                    .items
                    .iter()
                    .map(|f| to_json(f).map(FindingJson))
                    .collect::<Result<_, _>>()?,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(Json(page))
}

/// One finding, assessed, if the caller may read it.
pub fn readable_finding(
    shared: &Shared,
    principal: &Principal,
    id: i64,
) -> Result<AssessedFinding, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    let assessed = posture_app::explain::assessed_finding(
        shared.store.as_ref(),
        shared.portfolio.as_ref(),
        id,
    )?
    .ok_or_else(|| ApiError::NotFound(format!("no finding with id {id}")))?;
    if !scope.may_read_finding(&assessed) {
        return Err(ApiError::Forbidden(format!(
            "finding {id} belongs to asset {}, which is not one of your teams'",
            assessed.finding.asset
        )));
    }
    Ok(assessed)
}

/// One finding with its occurrences, owner and risk.
#[utoipa::path(
    get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    responses(
        (status = 200, description = "The finding", body = FindingJson),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
async fn get_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<FindingJson>, ApiError> {
    let f = state
        .blocking(move |s| to_json(&readable_finding(s, &caller.principal, id)?))
        .await?;
    Ok(Json(FindingJson(f)))
}

/// The explanation of a finding for a caller: the same document as `posture explain --output
/// json` (one use case, `posture_app::explain`).
pub fn explanation(
    shared: &Shared,
    principal: &Principal,
    id: i64,
) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    let assessed = readable_finding(shared, principal, id)?;
    to_json(&posture_app::explain::explanation(
        shared.store.as_ref(),
        assessed,
    )?)
}

/// Everything about a finding: occurrences across tools, why each belongs (correlation rule,
/// confidence, reason), suggested duplicates, history, and the risk explanation.
#[utoipa::path(
    get, path = "/api/v1/findings/{id}/explain", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    responses(
        (status = 200, description = "The explanation", body = ExplanationJson),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
async fn explain_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ExplanationJson>, ApiError> {
    let v = state
        .blocking(move |s| explanation(s, &caller.principal, id))
        .await?;
    Ok(Json(ExplanationJson(v)))
}

/// The event log of a finding, oldest first.
#[utoipa::path(
    get, path = "/api/v1/findings/{id}/events", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    responses(
        (status = 200, description = "Events, oldest first", body = Vec<EventJson>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
async fn finding_events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<EventJson>>, ApiError> {
    let events = state
        .blocking(move |s| {
            readable_finding(s, &caller.principal, id)?;
            s.store
                .events(id)?
                .iter()
                .map(|e| to_json(e).map(EventJson))
                .collect()
        })
        .await?;
    Ok(Json(events))
}

/// A triage decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TriageRequest {
    /// confirmed, in-progress, false-positive, accepted, not-affected, or open to clear.
    pub state: String,
    /// Why (kept in the history and the audit log).
    pub reason: String,
    /// For `accepted` (required there): until when the risk is accepted (YYYY-MM-DD, that day
    /// 00:00 UTC, or RFC 3339; in the future).
    #[serde(default)]
    pub expires: Option<String>,
    /// Who approved the decision, when the policy's `require_approval` rule asks for one
    /// (another person than the caller).
    #[serde(default)]
    pub approver: Option<String>,
    /// The approver's role (the `role` of the `require_approval` rule).
    #[serde(default)]
    pub role: Option<String>,
}

/// Parses an expiry date (`YYYY-MM-DD` = that day at 00:00 UTC, or RFC 3339).
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Timestamp, ApiError> {
    let text = text.trim();
    let at = if let Ok(date) = text.parse::<jiff::civil::Date>() {
        date.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| ApiError::BadRequest(format!("expires: {e}")))?
    } else {
        text.parse::<Timestamp>().map_err(|_| {
            ApiError::BadRequest(format!(
                "expires: `{text}` is not a date (YYYY-MM-DD) or an RFC 3339 time"
            ))
        })?
    };
    if at <= now {
        return Err(ApiError::BadRequest(format!(
            "expires: {text} is not in the future"
        )));
    }
    Ok(at)
}

/// Records a triage decision for a caller (API and dashboard): checks the right and scope,
/// writes it, audits it, and returns the finding as it is now.
pub fn apply_triage(
    shared: &Shared,
    principal: &Principal,
    client: Option<String>,
    id: i64,
    request: TriageRequest,
) -> Result<AssessedFinding, ApiError> {
    let state: FindingStatus = request
        .state
        .parse()
        .map_err(|e: String| ApiError::BadRequest(format!("state: {e}")))?;
    if state == FindingStatus::Fixed {
        return Err(ApiError::BadRequest(
            "state: fixed is decided by scans, not by triage".into(),
        ));
    }
    let reason = request.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::BadRequest(
            "reason: say why (it is kept in the history)".into(),
        ));
    }
    let now = shared.clock.now();
    let expires = match request
        .expires
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(text) if state == FindingStatus::Accepted => Some(parse_expiry(text, now)?),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "expires: only an accepted risk has an expiry".into(),
            ));
        }
        None => None,
    };
    let finding = readable_finding(shared, principal, id)?;
    Scope::new(principal, shared.portfolio.as_ref()).require_triage(&finding)?;
    // The policy of `posture.toml` decides who must approve (its `require_approval` rules),
    // as for `posture triage`; without a policy nobody needs to.
    let policy_rules = match shared.policy()? {
        Some(policy) => posture_app::policy::approval_rules(
            shared.store.as_ref(),
            shared.portfolio.as_ref(),
            policy,
            id,
            now,
        )?,
        None => None,
    };
    let approval: &dyn posture_app::workflow::ApprovalRule = match &policy_rules {
        Some(rules) => rules,
        None => &posture_app::workflow::NoApprovalRequired,
    };
    let approver = request.approver.clone();
    let role = request.role.clone();
    // The workflow's state machine, acceptance rules (an acceptance needs an expiry) and
    // approvals, as `posture triage`.
    posture_app::workflow::decide(
        shared.store.as_ref(),
        posture_app::workflow::DecisionRequest {
            finding_id: id,
            state,
            reason: reason.clone(),
            actor: principal.user.clone(),
            until: expires,
            approver: approver.clone(),
            role: role.clone(),
            at: now,
        },
        &posture_app::workflow::DecisionRules {
            approval,
            acceptance_needs_expiry: true,
        },
    )?;
    shared.store.record_audit(AuditEntry {
        at: now,
        actor: principal.user.clone(),
        token_id: Some(principal.token_id),
        client,
        action: "finding.triage".into(),
        target: format!("finding {id}"),
        detail: serde_json::json!({
            "from": finding.finding.status, "to": state, "reason": reason,
            "expires": expires, "asset": finding.finding.asset,
            "approver": approver, "role": role,
        }),
    })?;
    readable_finding(shared, principal, id)
}

/// Record a triage decision (admin, appsec; developers on their teams' assets).
#[utoipa::path(
    post, path = "/api/v1/findings/{id}/triage", tag = "findings",
    params(("id" = i64, Path, description = "The finding id")),
    request_body = TriageRequest,
    responses(
        (status = 200, description = "The finding after the decision", body = FindingJson),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
async fn triage_finding(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(request): Json<TriageRequest>,
) -> Result<Json<FindingJson>, ApiError> {
    let f = state
        .blocking(move |s| {
            let f = apply_triage(s, &caller.principal, caller.client.clone(), id, request)?;
            to_json(&f)
        })
        .await?;
    Ok(Json(FindingJson(f)))
}

// ---------------------------------------------------------------------------------------
// Portfolio

/// An asset: its context from `posture.toml` and its findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetView {
    pub name: String,
    pub team: Option<String>,
    pub criticality: Option<String>,
    pub environment: Option<String>,
    pub exposure: Option<String>,
    /// Whether `posture.toml` declares it.
    pub declared: bool,
    /// Findings a person still has to act on.
    pub open: usize,
    /// Open findings per severity, critical first.
    pub open_by_severity: Vec<SeverityCount>,
    /// Findings in any state.
    pub findings: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_scan: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityCount {
    #[schema(value_type = SeverityJson)]
    pub severity: Severity,
    pub count: usize,
}

/// The assets a caller may read, with counts.
pub fn assets_for(shared: &Shared, principal: &Principal) -> Result<Vec<AssetView>, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    // Counts from the store's summary (cached per data version), never from listing every
    // finding: this list is on every findings page.
    let summary = shared.summary.get(
        shared.store.as_ref(),
        crate::overview::as_of_minute(shared.clock.now()),
    )?;
    let mut names: std::collections::BTreeSet<String> = summary.assets.iter().cloned().collect();
    if let Some(c) = &shared.portfolio {
        names.extend(c.portfolio.assets().iter().map(|a| a.name.clone()));
    }
    Ok(names
        .into_iter()
        .filter(|n| scope.may_read_asset(n))
        .map(|name| {
            let declared = shared
                .portfolio
                .as_ref()
                .and_then(|c| c.portfolio.asset(&name));
            let mine: Vec<_> = summary.groups.iter().filter(|g| g.asset == name).collect();
            let open: Vec<_> = mine
                .iter()
                .filter(|g| crate::overview::is_actionable(g.status))
                .collect();
            AssetView {
                team: declared.and_then(|a| a.team.clone()),
                criticality: declared
                    .and_then(|a| a.criticality)
                    .map(|c| c.as_str().to_string()),
                environment: declared
                    .and_then(|a| a.environment)
                    .map(|e| e.as_str().to_string()),
                exposure: declared
                    .and_then(|a| a.exposure)
                    .map(|e| e.as_str().to_string()),
                declared: declared.is_some(),
                open: open.iter().map(|g| g.count as usize).sum(),
                open_by_severity: Severity::ALL
                    .iter()
                    .map(|s| SeverityCount {
                        severity: *s,
                        count: open
                            .iter()
                            .filter(|g| g.severity == *s)
                            .map(|g| g.count as usize)
                            .sum(),
                    })
                    .collect(),
                findings: mine.iter().map(|g| g.count as usize).sum(),
                last_scan: summary
                    .scans
                    .iter()
                    .filter(|s| s.asset == name)
                    .map(|s| s.last_at)
                    .max(),
                name,
            }
        })
        .collect())
}

/// Assets (from `posture.toml` and the scans) with open finding counts.
#[utoipa::path(
    get, path = "/api/v1/assets", tag = "portfolio",
    responses(
        (status = 200, description = "Assets the caller may read", body = Vec<AssetView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_assets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AssetView>>, ApiError> {
    let list = state
        .blocking(move |s| assets_for(s, &caller.principal))
        .await?;
    Ok(Json(list))
}

/// A team: its members (from `posture.toml` and tokens) and its assets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub name: String,
    pub members: Vec<String>,
    pub assets: Vec<String>,
}

/// Teams of the portfolio and of access control.
pub fn teams_for(shared: &Shared, principal: &Principal) -> Result<Vec<TeamView>, ApiError> {
    Scope::new(principal, shared.portfolio.as_ref()).require(Right::Read)?;
    let mut teams: std::collections::BTreeMap<String, TeamView> = Default::default();
    if let Some(c) = &shared.portfolio {
        for t in c.portfolio.teams() {
            teams.insert(
                t.name.clone(),
                TeamView {
                    name: t.name.clone(),
                    members: t.members.clone(),
                    assets: c
                        .portfolio
                        .assets_of_team(&t.name)
                        .map(|a| a.name.clone())
                        .collect(),
                },
            );
        }
    }
    for t in shared.store.teams()? {
        let view = teams.entry(t.name.clone()).or_insert_with(|| TeamView {
            name: t.name.clone(),
            members: Vec::new(),
            assets: Vec::new(),
        });
        view.members.extend(t.members);
        view.members.sort();
        view.members.dedup();
    }
    Ok(teams.into_values().collect())
}

/// Teams with their members and assets.
#[utoipa::path(
    get, path = "/api/v1/teams", tag = "portfolio",
    responses(
        (status = 200, description = "Teams", body = Vec<TeamView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    let list = state
        .blocking(move |s| teams_for(s, &caller.principal))
        .await?;
    Ok(Json(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsParams {
    asset: Option<String>,
    /// Also decided suggestions.
    #[serde(default)]
    all: bool,
}

/// Suggested duplicates, newest first.
#[utoipa::path(
    get, path = "/api/v1/suggestions", tag = "portfolio", params(SuggestionsParams),
    responses(
        (status = 200, description = "Suggested duplicates", body = Vec<SuggestionJson>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_suggestions(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SuggestionsParams>,
) -> Result<Json<Vec<SuggestionJson>>, ApiError> {
    let list = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            s.store
                .suggestions(params.asset.as_deref(), !params.all)?
                .iter()
                .filter(|x| scope.may_read_asset(&x.asset))
                .map(|x| to_json(x).map(SuggestionJson))
                .collect()
        })
        .await?;
    Ok(Json(list))
}

// ---------------------------------------------------------------------------------------
// Access

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

fn require_admin(shared: &Shared, principal: &Principal) -> Result<(), ApiError> {
    Scope::new(principal, shared.portfolio.as_ref()).require(Right::Administer)
}

/// Every token (admin).
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "access",
    responses(
        (status = 200, description = "Tokens, newest first", body = Vec<TokenView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn list_tokens(
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
    /// The person or pipeline (default: the name).
    pub user: Option<String>,
    pub name: Option<String>,
    /// The developer's team.
    pub team: Option<String>,
    /// The assets a ci token may upload to.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Expiry (YYYY-MM-DD or RFC 3339).
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
async fn create_token(
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
            let expires_at = request
                .expires
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| parse_expiry(e, now))
                .transpose()?;
            let (token, record) = crate::create_token(
                s.store.as_ref(),
                TokenRequest {
                    role,
                    user: request.user,
                    name: request.name,
                    team: request.team,
                    assets: request.assets,
                    expires_at,
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
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TokenView>, ApiError> {
    let record = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            let record = s.store.revoke_token(id, s.clock.now())?;
            audit(
                s,
                &caller.actor(),
                "token.revoke",
                format!("token {id}"),
                serde_json::json!({ "name": record.name, "prefix": record.prefix }),
            )?;
            Ok(TokenView::from(record))
        })
        .await?;
    Ok(Json(record))
}

/// A recorded write.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    pub token_id: Option<i64>,
    pub client: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// At most this many entries (default 200).
    limit: Option<usize>,
}

/// The audit log, newest first (admin).
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "access", params(AuditParams),
    responses(
        (status = 200, description = "Audit entries, newest first", body = Vec<AuditView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            Ok(s.store
                .audit_log(params.limit.unwrap_or(200).clamp(1, 10_000))?
                .into_iter()
                .map(|a| AuditView {
                    id: a.id,
                    at: a.at,
                    actor: a.actor,
                    token_id: a.token_id,
                    client: a.client,
                    action: a.action,
                    target: a.target,
                    detail: a.detail,
                })
                .collect())
        })
        .await?;
    Ok(Json(list))
}

/// Who the token belongs to and what it may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Me {
    pub user: String,
    pub token_name: String,
    pub role: String,
    pub teams: Vec<String>,
    pub assets: Vec<String>,
}

/// The caller.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "access",
    responses((status = 200, description = "The caller", body = Me), (status = 401, body = ErrorBody))
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    let scope = Scope::new(&caller.principal, state.portfolio.as_ref());
    Json(Me {
        teams: scope.teams(),
        user: caller.principal.user.clone(),
        token_name: caller.principal.token_name.clone(),
        role: caller.principal.role.to_string(),
        assets: caller.principal.assets.clone(),
    })
}
