//! The dashboard's work pages beside the finding page (issue 20): the asset and team indexes,
//! the accepted-risk register, scans and uploads, suggested duplicates with their actions
//! (accept, reject, merge, split), uploading a report, and the export of a filter.
//!
//! Each page has its own handler and template, and goes through the same use cases and rights
//! as the API: a developer sees only their teams' assets; an action needs the right the API
//! asks for (triage for suggestions, merges and splits; upload for a report), is checked
//! against the form's CSRF token first, and is audited.

use crate::api;
use crate::auth::Scope;
use crate::error::ApiError;
use crate::listing::{self, FindingFilter};
use crate::web::{
    Client, Viewer, at, check_csrf, date, enc, error_page, render, sv, viewer_context, when,
};
use crate::{Actor, AppState};
use axum::Form;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use posture_app::risk::AssessedFinding;
use posture_model::{FindingStatus, Timestamp};
use posture_store::{
    AuditEntry, MergeDecision, Right, ScanKind, ScanQuery, SplitDecision, SuggestionDecision,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets", get(assets_page))
        .route("/teams", get(teams_page))
        .route("/risks", get(risks_page))
        .route("/scans", get(scans_page))
        .route("/suggestions", get(suggestions_page))
        .route("/suggestions/{id}/{verdict}", post(suggestion_form))
        .route("/merge", post(merge_form))
        .route("/findings/{id}/split", post(split_form))
        .route(
            "/upload",
            get(upload_page)
                .post(upload_form)
                // The size cap is enforced while reading (the server's --max-upload-size).
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/views", get(views_page).post(save_view_form))
        .route("/views/{id}/delete", post(delete_view_form))
        .route("/export", get(export_page))
        .route("/export/download", get(export_download))
}

pub(crate) fn see_other(state: &AppState, path: &str) -> Response {
    let mut r = Redirect::to(&at(state, path)).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

pub(crate) fn actor_of(viewer: &Viewer, client: Option<String>) -> Actor {
    Actor {
        name: viewer.principal.user.clone(),
        token_id: Some(viewer.principal.token_id),
        client,
    }
}

fn audit_entry(
    actor: &Actor,
    at: Timestamp,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.name.clone(),
        token_id: actor.token_id,
        client: actor.client.clone(),
        action: action.into(),
        target,
        detail,
    }
}

/// A page, or the error page.
pub(crate) fn page(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    nav: &str,
    data: Result<serde_json::Value, ApiError>,
) -> Response {
    match data {
        Ok(data) => render(
            state,
            name,
            minijinja::context! {
                nav => nav,
                viewer => viewer_context(state, viewer),
                csrf => viewer.csrf.clone(),
                d => sv(data),
            },
        ),
        Err(e) => error_page(state, Some(viewer), &e),
    }
}

// ---------------------------------------------------------------------------------------
// Indexes

/// Every asset the viewer may read, with its open findings and last scan.
async fn assets_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let assets: Vec<serde_json::Value> = api::assets_for(s, &principal)?
                .into_iter()
                .map(|a| {
                    let mut v = serde_json::to_value(&a).unwrap_or_default();
                    v["last_scan_text"] = a.last_scan.map(when).unwrap_or_default().into();
                    v
                })
                .collect();
            Ok(serde_json::json!({ "assets": assets }))
        })
        .await;
    page(&state, &viewer, "assets.html", "assets", data)
}

/// Every team the viewer may see (a developer: their own), with members and assets.
async fn teams_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let teams = api::teams_for(s, &principal)?;
            Ok(serde_json::json!({ "teams": teams }))
        })
        .await;
    page(&state, &viewer, "teams.html", "teams", data)
}

// ---------------------------------------------------------------------------------------
// Accepted risks

/// Acceptances ending within this many days are "expiring soon".
const EXPIRING_SOON_DAYS: i64 = 30;

/// Every finding the viewer may read that is accepted (at most this many), in `filter`.
fn readable_findings(
    s: &crate::Shared,
    scope: &Scope<'_>,
    filter: &FindingFilter,
    most: usize,
) -> Result<(Vec<AssessedFinding>, bool), ApiError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = listing::page_findings(s, scope, filter, cursor.as_deref(), api::MAX_PAGE)?;
        out.extend(page.items);
        if out.len() >= most {
            out.truncate(most);
            return Ok((out, true));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok((out, false)),
        }
    }
}

/// The accepted-risk register: each accepted finding with its expiry, approver and reason,
/// expiring soonest first (those within 30 days highlighted).
async fn risks_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            let filter = FindingFilter {
                status: Some(vec![FindingStatus::Accepted]),
                risk_order: true,
                ..Default::default()
            };
            let (found, more) = readable_findings(s, &scope, &filter, 2000)?;
            let now = s.clock.now();
            let soon = now.as_millisecond() + EXPIRING_SOON_DAYS * 86_400_000;
            let mut rows: Vec<(Option<i64>, serde_json::Value)> = Vec::new();
            for f in &found {
                let events = s.store.events(f.finding.id)?;
                let decision = events.iter().rev().find(|e| {
                    e.kind == "triaged" && e.to_status.as_deref() == Some("accepted")
                });
                let expires = decision.and_then(|e| e.expires_at);
                let expires_ms = expires.map(|t| t.as_millisecond());
                rows.push((
                    expires_ms,
                    serde_json::json!({
                        "id": f.finding.id,
                        "title": f.finding.title,
                        "asset": f.finding.asset,
                        "team": f.owner.as_ref().and_then(|o| o.team.clone()),
                        "band": f.risk.band.as_str(),
                        "severity": f.finding.severity.as_str(),
                        "expires": expires.map(date),
                        "days_left": expires_ms.map(|e| (e - now.as_millisecond()).div_euclid(86_400_000)),
                        "soon": expires_ms.is_some_and(|e| e <= soon),
                        "by": decision.and_then(|e| e.actor.clone()),
                        "approver": decision.and_then(|e| e.approver.clone()),
                        "role": decision.and_then(|e| e.role.clone()),
                        "reason": decision.and_then(|e| e.reason.clone()).or_else(|| f.finding.triage_reason.clone()),
                        "decided": decision.map(|e| date(e.at)),
                    }),
                ));
            }
            // Expiring soonest first; an acceptance without an expiry (older data) last.
            rows.sort_by_key(|(e, _)| (e.is_none(), e.unwrap_or(i64::MAX)));
            let soon_count = rows.iter().filter(|(_, r)| r["soon"] == true).count();
            Ok(serde_json::json!({
                "risks": rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
                "more": more,
                "soon": soon_count,
                "soon_days": EXPIRING_SOON_DAYS,
            }))
        })
        .await;
    page(&state, &viewer, "risks.html", "risks", data)
}

// ---------------------------------------------------------------------------------------
// Scans and uploads

#[derive(Deserialize, Default)]
struct ScansPageParams {
    #[serde(default)]
    asset: String,
}

/// Recent scans of the assets the viewer may read: report, tool, counts, and who uploaded
/// (from the audit log's `scan.upload` entries; `posture ingest` runs are not uploads).
async fn scans_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ScansPageParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            let asset = Some(params.asset.trim().to_string()).filter(|a| !a.is_empty());
            if let Some(a) = &asset
                && !scope.may_read_asset(a)
            {
                return Err(ApiError::NotFound(format!("no asset named {a}")));
            }
            let scans = s.store.scans(&ScanQuery {
                asset: asset.clone(),
                tool: None,
                limit: Some(400),
            })?;
            let mut uploader: HashMap<i64, String> = HashMap::new();
            for entry in s.store.audit_log(2000)? {
                if entry.action != "scan.upload" {
                    continue;
                }
                for id in entry.detail["scans"].as_array().into_iter().flatten() {
                    if let Some(id) = id.as_i64() {
                        uploader.entry(id).or_insert_with(|| entry.actor.clone());
                    }
                }
            }
            let rows: Vec<serde_json::Value> = scans
                .iter()
                .filter(|x| scope.may_read_asset(&x.asset))
                .take(200)
                .map(|x| {
                    let n = |k: &str| x.summary[k].as_u64().unwrap_or(0);
                    serde_json::json!({
                        "id": x.id, "at": when(x.at), "asset": x.asset, "branch": x.branch,
                        "tool": x.tool, "tool_version": x.tool_version, "format": x.format,
                        "report": x.report, "kind": x.kind, "occurrences": x.occurrences,
                        "new": n("new"), "fixed": n("fixed"), "reopened": n("reopened"),
                        "partial": x.summary["partial"] == true,
                        "diagnostics": x.diagnostics.len(),
                        "by": uploader.get(&x.id),
                    })
                })
                .collect();
            let assets: Vec<String> = api::assets_for(s, &principal)?
                .into_iter()
                .map(|a| a.name)
                .collect();
            Ok(serde_json::json!({
                "scans": rows,
                "asset": asset,
                "assets": assets,
                "may_upload": principal.role.can(Right::Upload),
            }))
        })
        .await;
    page(&state, &viewer, "scans.html", "scans", data)
}

/// What the upload form had typed, kept when the upload is refused.
#[derive(Serialize, Default)]
struct UploadTyped {
    asset: String,
    branch: String,
    format: String,
}

fn upload_response(
    state: &AppState,
    viewer: &Viewer,
    typed: UploadTyped,
    outcome: Result<Option<serde_json::Value>, ApiError>,
) -> Response {
    let assets: Vec<String> = state
        .portfolio
        .as_ref()
        .map(|c| {
            c.portfolio
                .assets()
                .iter()
                .map(|a| a.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let (status, error, done) = match outcome {
        Ok(done) => (StatusCode::OK, None, done),
        Err(e) => (e.status(), Some(e.client_message()), None),
    };
    let mut response = render(
        state,
        "upload.html",
        minijinja::context! {
            nav => "upload",
            viewer => viewer_context(state, viewer),
            csrf => viewer.csrf.clone(),
            may_upload => viewer.principal.role.can(Right::Upload),
            assets => assets,
            typed => sv(typed),
            error => error,
            done => done.map(sv),
        },
    );
    *response.status_mut() = status;
    response
}

async fn upload_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    upload_response(
        &state,
        &viewer,
        UploadTyped {
            branch: "main".into(),
            ..Default::default()
        },
        Ok(None),
    )
}

/// The upload form's fields: the CSRF token, asset, branch, an optional format, the report.
struct UploadFields {
    csrf: String,
    typed: UploadTyped,
    file: Option<posture_app::ReportSource>,
}

async fn read_upload_form(
    state: &AppState,
    request: Request,
    limit: u64,
) -> Result<UploadFields, ApiError> {
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("the upload form cannot be read: {e}")))?;
    let mut fields = UploadFields {
        csrf: String::new(),
        typed: UploadTyped::default(),
        file: None,
    };
    let mut total = 0u64;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("the upload form cannot be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field
                .file_name()
                .map(str::to_string)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "upload".into());
            if fields.file.is_some() {
                return Err(ApiError::BadRequest(
                    "file: the form takes one report at a time".into(),
                ));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                ApiError::BadRequest(format!("{file_name}: the upload broke off: {e}"))
            })? {
                total += chunk.len() as u64;
                if total > limit {
                    return Err(ApiError::TooLarge(format!(
                        "{file_name}: the upload is over the limit of {limit} bytes (the server's --max-upload-size)"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            fields.file = Some(posture_app::ReportSource {
                name: file_name,
                bytes,
                format: None,
            });
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|e| ApiError::BadRequest(format!("{name}: cannot be read: {e}")))?;
        total += text.len() as u64;
        if total > limit {
            return Err(ApiError::TooLarge(format!(
                "the upload is over the limit of {limit} bytes (the server's --max-upload-size)"
            )));
        }
        match name.as_str() {
            "csrf" => fields.csrf = text,
            "asset" => fields.typed.asset = text.trim().to_string(),
            "branch" => fields.typed.branch = text.trim().to_string(),
            "format" => fields.typed.format = text.trim().to_string(),
            _ => {}
        }
    }
    Ok(fields)
}

/// Uploads one report through the API's ingest (same detection, size cap, all-or-nothing
/// transaction and audit); a refused report is shown in the page, naming the file and place.
async fn upload_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    request: Request,
) -> Response {
    let fields = match read_upload_form(&state, request, state.settings.max_upload_bytes).await {
        Ok(f) => f,
        Err(e) => return upload_response(&state, &viewer, UploadTyped::default(), Err(e)),
    };
    if let Err(e) = check_csrf(&viewer, &fields.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let typed = fields.typed;
    let asset = typed.asset.clone();
    let branch = if typed.branch.is_empty() {
        "main".to_string()
    } else {
        typed.branch.clone()
    };
    let format = Some(typed.format.clone()).filter(|f| !f.is_empty());
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let file = fields.file;
    let outcome = state
        .blocking(move |s| {
            if asset.is_empty() {
                return Err(ApiError::BadRequest(
                    "asset: name the asset (service) the report belongs to".into(),
                ));
            }
            Scope::new(&principal, s.portfolio.as_ref()).require_upload(&asset)?;
            let file = file
                .filter(|f| !f.bytes.is_empty())
                .ok_or_else(|| ApiError::BadRequest("file: choose a report to upload".into()))?;
            let report = file.name.clone();
            let request = posture_app::IngestRequest {
                asset: asset.clone(),
                branch: branch.clone(),
                target: None,
                commit: None,
                format,
                kind: ScanKind::Findings,
                at: s.clock.now(),
                force: false,
                thresholds: Default::default(),
                branches: posture_app::branches::BranchSettings::of(
                    s.portfolio.as_ref().map(|c| &c.portfolio),
                    &asset,
                ),
            };
            let vex = api::vex_handling(&principal);
            let (outcome, _) = api::ingest_upload(s, &actor, vec![file], request, None, vex)?;
            let t = outcome.total();
            Ok(Some(serde_json::json!({
                "asset": asset, "branch": branch, "report": report,
                "new": t.new, "fixed": t.fixed, "reopened": t.reopened,
                "unchanged": t.unchanged, "partial": t.partial,
            })))
        })
        .await;
    if outcome.is_ok() {
        api::warm_summary(&state);
    }
    upload_response(&state, &viewer, typed, outcome)
}

// ---------------------------------------------------------------------------------------
// Suggested duplicates: accept, reject, merge, split

#[derive(Deserialize, Default)]
struct SuggestionsParams {
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn suggestions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SuggestionsParams>,
) -> Response {
    let principal = viewer.principal.clone();
    let all = params.all.is_some();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            let may_triage = principal.role.can(Right::Triage);
            let titles = |id: i64| -> String {
                s.store
                    .finding(id)
                    .ok()
                    .flatten()
                    .map(|f| f.title)
                    .unwrap_or_default()
            };
            let rows: Vec<serde_json::Value> = s
                .store
                .suggestions(None, !all)?
                .into_iter()
                .filter(|x| scope.may_read_asset(&x.asset))
                .take(300)
                .map(|x| {
                    serde_json::json!({
                        "id": x.id, "asset": x.asset, "finding": x.finding_id,
                        "finding_title": titles(x.finding_id),
                        "other": x.other_finding_id, "other_title": titles(x.other_finding_id),
                        "confidence": format!("{:.2}", x.confidence), "reason": x.reason,
                        "state": x.state, "at": date(x.created_at), "decided_by": x.decided_by,
                    })
                })
                .collect();
            Ok(serde_json::json!({
                "suggestions": rows, "all": all, "may_triage": may_triage,
                "notice": params.done,
            }))
        })
        .await;
    page(&state, &viewer, "suggestions.html", "suggestions", data)
}

#[derive(Deserialize)]
struct SuggestionForm {
    csrf: String,
}

/// Accepts (merges the pair) or rejects a suggested duplicate: the triage right on its asset.
async fn suggestion_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path((id, verdict)): Path<(i64, String)>,
    Form(form): Form<SuggestionForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let accept = match verdict.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return error_page(
                &state,
                Some(&viewer),
                &ApiError::NotFound(format!("nothing at /suggestions/{id}/{verdict}")),
            );
        }
    };
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            scope.require(Right::Triage)?;
            let known = s
                .store
                .suggestions(None, false)?
                .into_iter()
                .find(|x| x.id == id)
                .filter(|x| scope.may_read_asset(&x.asset))
                .ok_or_else(|| ApiError::NotFound(format!("no suggestion {id}")))?;
            let now = s.clock.now();
            let decided = s.store.decide_suggestion(SuggestionDecision {
                id,
                accept,
                actor: principal.user.clone(),
                at: now,
            })?;
            s.store.record_audit(audit_entry(
                &actor,
                now,
                if accept {
                    "suggestion.accept"
                } else {
                    "suggestion.reject"
                },
                format!("suggestion {id}"),
                serde_json::json!({
                    "asset": known.asset, "finding": known.finding_id,
                    "other": known.other_finding_id, "state": decided.state,
                }),
            ))?;
            let _ = s
                .risk_refresh
                .refresh_if_idle(s.store.as_ref(), s.portfolio.as_ref());
            Ok(decided.state)
        })
        .await;
    match done {
        Ok(st) => see_other(&state, &format!("/suggestions?done={}", enc(&st))),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

#[derive(Deserialize)]
struct MergeForm {
    csrf: String,
    from: String,
    into: String,
    #[serde(default)]
    reason: String,
}

/// Merges finding `from` into another of the same asset (`posture merge`): the triage right
/// on both.
async fn merge_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Form(form): Form<MergeForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            let id_of = |field: &str, text: &str| -> Result<i64, ApiError> {
                text.trim().trim_start_matches('#').parse().map_err(|_| {
                    ApiError::BadRequest(format!("{field}: `{}` is not a finding id", text.trim()))
                })
            };
            let id = id_of("from", &form.from)?;
            let into = id_of("into", &form.into)?;
            let reason = form.reason.trim().to_string();
            if reason.is_empty() {
                return Err(ApiError::BadRequest(
                    "reason: say why (it is kept in the history)".into(),
                ));
            }
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            for f in [id, into] {
                let found = api::readable_finding(s, &principal, f)?;
                scope.require_triage(&found)?;
            }
            let now = s.clock.now();
            let merged = s.store.merge(MergeDecision {
                from: id,
                into,
                actor: principal.user.clone(),
                reason: reason.clone(),
                at: now,
            })?;
            s.store.record_audit(audit_entry(
                &actor,
                now,
                "finding.merge",
                format!("finding {id}"),
                serde_json::json!({ "into": into, "reason": reason, "asset": merged.asset }),
            ))?;
            Ok(merged.id)
        })
        .await;
    match done {
        Ok(into) => see_other(&state, &format!("/findings/{into}?done=1")),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

#[derive(Deserialize)]
struct SplitForm {
    csrf: String,
    occurrence: i64,
    #[serde(default)]
    reason: String,
}

/// Splits an occurrence of finding `id` into a finding of its own (`posture split`).
async fn split_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Client(client): Client,
    Path(id): Path<i64>,
    Form(form): Form<SplitForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let actor = actor_of(&viewer, client);
    let principal = viewer.principal.clone();
    let done = state
        .blocking(move |s| {
            let reason = form.reason.trim().to_string();
            if reason.is_empty() {
                return Err(ApiError::BadRequest(
                    "reason: say why (it is kept in the history)".into(),
                ));
            }
            let found = api::readable_finding(s, &principal, id)?;
            Scope::new(&principal, s.portfolio.as_ref()).require_triage(&found)?;
            if !found
                .finding
                .occurrences
                .iter()
                .any(|o| o.id == form.occurrence)
            {
                return Err(ApiError::BadRequest(format!(
                    "occurrence: {} is not an occurrence of finding {id}",
                    form.occurrence
                )));
            }
            let now = s.clock.now();
            let split = s.store.split(SplitDecision {
                occurrence_id: form.occurrence,
                actor: principal.user.clone(),
                reason: reason.clone(),
                at: now,
            })?;
            s.store.record_audit(audit_entry(
                &actor,
                now,
                "finding.split",
                format!("finding {id}"),
                serde_json::json!({
                    "occurrence": form.occurrence, "new_finding": split.id,
                    "reason": reason, "asset": split.asset,
                }),
            ))?;
            Ok(split.id)
        })
        .await;
    match done {
        Ok(new_id) => see_other(&state, &format!("/findings/{new_id}?done=1")),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

// ---------------------------------------------------------------------------------------
// Export of a filter

/// The findings list's filters (as on `/findings`), and the format.
#[derive(Deserialize, Serialize, Default, Debug)]
struct ExportParams {
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
    /// The findings list's search text.
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
}

impl ExportParams {
    fn filter(&self) -> Result<FindingFilter, ApiError> {
        listing::parse_filter(
            Some(&self.asset),
            Some(&self.status),
            Some(&self.severity),
            Some(&self.tool),
            None,
            Some(&self.band),
            Some(&self.team),
            false,
            false,
            None,
            Some("risk"),
        )
        .and_then(|mut f| {
            listing::parse_search(&mut f, Some(&self.q), None, None, None, None, None)?;
            Ok(f)
        })
    }

    /// The filter as a query string (without the format).
    fn query(&self) -> String {
        [
            ("asset", &self.asset),
            ("severity", &self.severity),
            ("band", &self.band),
            ("status", &self.status),
            ("team", &self.team),
            ("tool", &self.tool),
            ("q", &self.q),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The export formats the dashboard offers: (name, label, file extension, content type).
const EXPORT_FORMATS: [(&str, &str, &str, &str); 4] = [
    (
        "csv",
        "CSV (spreadsheet; formulas defused)",
        "csv",
        "text/csv; charset=utf-8",
    ),
    (
        "sarif",
        "SARIF 2.1.0 (code scanning)",
        "sarif",
        "application/sarif+json",
    ),
    ("openvex", "OpenVEX", "openvex.json", "application/json"),
    (
        "cyclonedx",
        "CycloneDX VEX",
        "cdx.json",
        "application/vnd.cyclonedx+json",
    ),
];

/// The most findings one export holds.
const EXPORT_MAX: usize = 50_000;

async fn export_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ExportParams>,
) -> Response {
    let data = params.filter().map(|_| {
        let query = params.query();
        let formats: Vec<serde_json::Value> = EXPORT_FORMATS
            .iter()
            .map(|(name, label, _, _)| {
                let q = if query.is_empty() {
                    format!("format={name}")
                } else {
                    format!("{query}&format={name}")
                };
                serde_json::json!({ "name": name, "label": label, "href": format!("/export/download?{q}") })
            })
            .collect();
        serde_json::json!({
            "filter": params,
            "formats": formats,
            "back": if query.is_empty() { "/findings".to_string() } else { format!("/findings?{query}") },
        })
    });
    page(&state, &viewer, "export.html", "findings", data)
}

/// The findings of the filter that the viewer may read, in a format of `posture export`.
async fn export_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ExportParams>,
) -> Response {
    let Some(&(name, _, ext, content_type)) =
        EXPORT_FORMATS.iter().find(|f| f.0 == params.format.trim())
    else {
        return error_page(
            &state,
            Some(&viewer),
            &ApiError::BadRequest(format!(
                "format: `{}` is not an export format (csv, sarif, openvex, cyclonedx)",
                params.format
            )),
        );
    };
    let format = match name {
        "csv" => posture_app::export::ExportFormat::Csv,
        "sarif" => posture_app::export::ExportFormat::Sarif,
        "openvex" => posture_app::export::ExportFormat::OpenVex,
        _ => posture_app::export::ExportFormat::CycloneDxVex,
    };
    let filter = match params.filter() {
        Ok(f) => f,
        Err(e) => return error_page(&state, Some(&viewer), &e),
    };
    let principal = viewer.principal.clone();
    let data = state
        .blocking(move |s| {
            let scope = Scope::new(&principal, s.portfolio.as_ref());
            let (found, more) = readable_findings(s, &scope, &filter, EXPORT_MAX)?;
            if more {
                return Err(ApiError::BadRequest(format!(
                    "the filter selects more than {EXPORT_MAX} findings: narrow it (or use `posture export`)"
                )));
            }
            let exported = posture_app::export::write_assessed(
                s.store.as_ref(),
                s.portfolio.as_ref(),
                found,
                format,
                Some(principal.user.clone()),
                s.clock.now(),
            )?;
            Ok(exported.bytes)
        })
        .await;
    match data {
        Ok(bytes) => {
            let mut r = (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                bytes,
            )
                .into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("attachment; filename=\"posture-findings.{ext}\""))
            {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}

// ---------------------------------------------------------------------------------------
// Saved views: a person's named filters of the findings list

/// The findings list's parameters a view keeps.
const VIEW_KEYS: [&str; 8] = [
    "asset", "severity", "band", "status", "team", "tool", "q", "sort",
];

/// A findings query string checked as the findings list reads it, in a fixed order: unknown
/// parameters and bad values are refused, naming them.
fn canonical_view_query(query: &str) -> Result<String, ApiError> {
    let query = query.trim().trim_start_matches('?');
    let uri: axum::http::Uri = format!("/findings?{query}")
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("query: `{query}` is not a query string")))?;
    let Query(pairs): Query<Vec<(String, String)>> =
        Query::try_from_uri(&uri).map_err(|e| ApiError::BadRequest(format!("query: {e}")))?;
    let mut kept: Vec<(&str, String)> = Vec::new();
    for (k, v) in &pairs {
        let Some(key) = VIEW_KEYS.iter().find(|x| **x == k.as_str()) else {
            return Err(ApiError::BadRequest(format!(
                "query: unknown parameter `{k}` (a view keeps {})",
                VIEW_KEYS.join(", ")
            )));
        };
        if kept.iter().any(|(x, _)| x == key) {
            return Err(ApiError::BadRequest(format!("query: `{k}` given twice")));
        }
        if !v.trim().is_empty() {
            kept.push((key, v.trim().to_string()));
        }
    }
    let get = |k: &str| kept.iter().find(|(x, _)| *x == k).map(|(_, v)| v.as_str());
    listing::parse_filter(
        get("asset"),
        get("status"),
        get("severity"),
        get("tool"),
        None,
        get("band"),
        get("team"),
        false,
        false,
        None,
        get("sort"),
    )
    .and_then(|mut f| listing::parse_search(&mut f, get("q"), None, None, None, None, None))?;
    Ok(VIEW_KEYS
        .iter()
        .filter_map(|k| get(k).map(|v| format!("{k}={}", enc(v))))
        .collect::<Vec<_>>()
        .join("&"))
}

#[derive(Deserialize, Default)]
struct ViewsParams {
    #[serde(default)]
    query: String,
    #[serde(default)]
    saved: Option<String>,
}

fn views_response(
    state: &AppState,
    viewer: &Viewer,
    views: Result<Vec<posture_store::SavedViewRecord>, ApiError>,
    query: String,
    name: String,
    notice: Option<String>,
    error: Option<ApiError>,
) -> Response {
    let views = match views {
        Ok(v) => v,
        Err(e) => return error_page(state, Some(viewer), &e),
    };
    let rows: Vec<serde_json::Value> = views
        .iter()
        .map(|v| {
            serde_json::json!({
                "id": v.id, "name": v.name, "query": v.query, "saved": date(v.created_at),
            })
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, ApiError::status);
    let mut r = render(
        state,
        "views.html",
        minijinja::context! {
            nav => "views",
            viewer => viewer_context(state, viewer),
            csrf => viewer.csrf.clone(),
            views => sv(rows),
            query => query,
            name => name,
            notice => notice,
            error => error.map(|e| e.client_message()),
        },
    );
    *r.status_mut() = status;
    r
}

async fn user_views(
    state: &AppState,
    user: String,
) -> Result<Vec<posture_store::SavedViewRecord>, ApiError> {
    state
        .blocking(move |s| Ok(s.store.saved_views(&user)?))
        .await
}

async fn views_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<ViewsParams>,
) -> Response {
    let views = user_views(&state, viewer.principal.user.clone()).await;
    let notice = params.saved.map(|n| format!("View “{n}” saved."));
    views_response(
        &state,
        &viewer,
        views,
        params.query,
        String::new(),
        notice,
        None,
    )
}

#[derive(Deserialize)]
struct SaveViewForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// Saves the viewer's named filter (a view of the same name is replaced).
async fn save_view_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SaveViewForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let user = viewer.principal.user.clone();
    let (name, query) = (form.name.trim().to_string(), form.query.clone());
    let checked = if name.is_empty() || name.chars().count() > 80 {
        Err(ApiError::BadRequest(
            "name: give the view a name of 1 to 80 characters".into(),
        ))
    } else {
        canonical_view_query(&query)
    };
    let saved = match checked {
        Ok(q) => {
            let (user, name) = (user.clone(), name.clone());
            state
                .blocking(move |s| {
                    s.store.save_view(&user, &name, &q, s.clock.now())?;
                    Ok(())
                })
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => see_other(&state, &format!("/views?saved={}", enc(&name))),
        Err(e) => {
            let views = user_views(&state, user).await;
            views_response(&state, &viewer, views, query, name, None, Some(e))
        }
    }
}

async fn delete_view_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<SuggestionForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &form.csrf) {
        return error_page(&state, Some(&viewer), &e);
    }
    let user = viewer.principal.user.clone();
    let done = state
        .blocking(move |s| {
            if s.store.delete_saved_view(&user, id)? {
                Ok(())
            } else {
                Err(ApiError::NotFound(format!("you have no saved view {id}")))
            }
        })
        .await;
    match done {
        Ok(()) => see_other(&state, "/views"),
        Err(e) => error_page(&state, Some(&viewer), &e),
    }
}
