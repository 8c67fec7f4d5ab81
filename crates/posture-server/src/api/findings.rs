//! Findings: the listing with the CLI's filters, one finding, its explanation and its event
//! log.

use super::*;
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::listing::{self, FindingFilter};
use crate::schemas::*;
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, State};
use posture_app::risk::AssessedFinding;
use posture_store::{Principal, Right};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    /// Search: text, any case, in the title, rule id, vulnerability ids and their aliases
    /// (CVE, GHSA, ...), package name and purl, and path (`q=glibc`, `q=CVE-2019-1010022`).
    pub q: Option<String>,
    /// A vulnerability id (CVE, GHSA, ...), exactly, the primary id or an alias.
    pub cve: Option<String>,
    /// A package: its name exactly (any case), or a purl prefix (`pkg:deb/debian/glibc`).
    pub package: Option<String>,
    /// Text in the path of the finding's location (`path=tests/`).
    pub path: Option<String>,
    /// Only findings changed (an event: new, fixed, reopened, triaged, rescored) at or after
    /// this time (YYYY-MM-DD or RFC 3339): for incremental sync.
    pub updated_after: Option<String>,
    /// SLA states now (within, due-soon, breached, paused, none), comma-separated.
    pub sla: Option<String>,
    /// Page size (default 50, 1 to 500; more is a 400).
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
        .and_then(|mut f| {
            f.branch = self
                .branch
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_string);
            listing::parse_search(
                &mut f,
                self.q.as_deref(),
                self.cve.as_deref(),
                self.package.as_deref(),
                self.path.as_deref(),
                self.updated_after.as_deref(),
                self.sla.as_deref(),
            )?;
            Ok(f)
        })
    }

    /// The page size asked: 1 to [`MAX_PAGE`] (a 400 naming the bound, never a silent cap).
    pub fn page_size(&self) -> Result<usize, ApiError> {
        page_size(self.limit)
    }
}

/// A `limit` parameter: default [`DEFAULT_PAGE`], 1 to [`MAX_PAGE`], else a 400.
pub fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    bounded_limit(limit, DEFAULT_PAGE, MAX_PAGE)
        .map_err(|e| ApiError::BadRequest(format!("{e}; follow next_cursor for the next page")))
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
pub(crate) async fn list_findings(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<FindingsParams>,
) -> Result<Json<FindingPage>, ApiError> {
    let filter = params.filter()?;
    let limit = params.page_size()?;
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
    .ok_or_else(|| crate::auth::not_found_finding(id))?;
    // Another team's finding answers exactly as an unknown id: no asset name, no 403 that
    // would tell which ids exist.
    if !scope.may_read_finding(&assessed) {
        return Err(crate::auth::not_found_finding(id));
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
pub(crate) async fn get_finding(
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
pub(crate) async fn explain_finding(
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
pub(crate) async fn finding_events(
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
