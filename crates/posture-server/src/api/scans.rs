//! Scans: report uploads (`POST /api/v1/scans`, the same ingest as `posture ingest`) and the
//! scan history.

use super::*;
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::*;
use crate::{Actor, AppState, Shared};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use posture_app::{IngestRequest, ReportSource};
use posture_store::{Right, ScanKind, ScanQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    /// `findings` (default) or `runtime`: an SBOM of what is loaded, or code coverage
    /// (lcov, JaCoCo, Cobertura, coverage.py JSON, Go coverprofile) of which lines run.
    kind: Option<String>,
    /// For coverage (`kind=runtime`): where it was recorded, `production`, `staging` or
    /// `test` (default `test`, the weakest evidence).
    environment: Option<String>,
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

/// Reads an upload of one report (raw body, or a multipart form with one `file` field),
/// refusing it past `limit` bytes. A form with several reports is refused: the endpoint takes
/// one.
pub(crate) async fn read_upload(
    state: &AppState,
    request: Request,
    name: Option<String>,
    limit: u64,
) -> Result<ReportSource, ApiError> {
    let mut sources = read_uploads(state, request, name, limit).await?;
    if sources.len() > 1 {
        return Err(ApiError::BadRequest(format!(
            "the multipart body has {} `file` fields: this endpoint takes one report",
            sources.len()
        )));
    }
    sources.pop().ok_or_else(|| {
        ApiError::BadRequest(
            "the multipart body has no `file` field: send the report as `file`".into(),
        )
    })
}

/// Reads the reports of an upload: the raw body (one report), or a multipart form with one
/// `file` field per report, each optionally preceded by a `format` field naming its format
/// (what `posture push --format FILE=FORMAT` sends); fields of other names are skipped.
/// Refused past `limit` bytes in all; a `format` with no report after it, two reports of one
/// name, or a form without a report is a 400, never a partial read.
pub(crate) async fn read_uploads(
    state: &AppState,
    request: Request,
    name: Option<String>,
    limit: u64,
) -> Result<Vec<ReportSource>, ApiError> {
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
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit) {
            return Err(too_large(&name));
        }
        let bytes = read_body(request.into_body(), declared, limit)
            .await
            .map_err(|_| too_large(&name))?;
        return Ok(vec![ReportSource {
            name,
            bytes,
            format: None,
        }]);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|len| len.min(limit));
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("the multipart body cannot be read: {e}")))?;
    let mut sources: Vec<ReportSource> = Vec::new();
    let mut pending_format: Option<String> = None;
    let mut total: u64 = 0;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("the multipart body cannot be read: {e}")))?;
        let Some(mut field) = field else {
            break;
        };
        match field.name() {
            Some("file") => {}
            Some("format") => {
                let text = field.text().await.map_err(|e| {
                    ApiError::BadRequest(format!(
                        "the multipart `format` field cannot be read: {e}"
                    ))
                })?;
                let text = text.trim().to_string();
                if text.is_empty() || text.len() > 100 {
                    return Err(ApiError::BadRequest(
                        "a multipart `format` field names a format (see GET /api/v1/formats or `posture formats`)".into(),
                    ));
                }
                if pending_format.replace(text).is_some() {
                    return Err(ApiError::BadRequest(
                        "two `format` fields in a row: each names the format of the `file` after it".into(),
                    ));
                }
                continue;
            }
            // Other fields (a form's submit button, a note) carry no report: skipped, as
            // before; every `file` is read.
            _ => continue,
        }
        let n = sources.len();
        let name = match (&name, n) {
            (Some(given), 0) => Some(given.clone()),
            _ => None,
        }
        .or_else(|| field.file_name().map(str::to_string))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| {
            if n == 0 {
                "upload".to_string()
            } else {
                format!("upload-{}", n + 1)
            }
        });
        // At most what is left of the declared body (no doubling growth of a large report);
        // the spare capacity is given back once the field is read.
        let mut bytes = Vec::with_capacity(
            usize::try_from(declared.unwrap_or(0).saturating_sub(total)).unwrap_or(0),
        );
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::BadRequest(format!("{name}: the upload broke off: {e}")))?
        {
            total += chunk.len() as u64;
            if total > limit {
                return Err(too_large(&name));
            }
            bytes.extend_from_slice(&chunk);
        }
        bytes.shrink_to_fit();
        sources.push(ReportSource {
            name,
            bytes,
            format: pending_format.take(),
        });
    }
    if pending_format.is_some() {
        return Err(ApiError::BadRequest(
            "a `format` field with no `file` after it".into(),
        ));
    }
    if sources.is_empty() {
        return Err(ApiError::BadRequest(
            "the multipart body has no `file` field: send the report as `file`".into(),
        ));
    }
    if name.is_some() && sources.len() > 1 {
        return Err(ApiError::BadRequest(format!(
            "`name` names one report, and this upload has {}: the reports keep their file names",
            sources.len()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &sources {
        if !seen.insert(s.name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "two reports are named {}: give each report its own file name",
                s.name
            )));
        }
    }
    Ok(sources)
}

/// A raw upload's body, read into one buffer of its declared length (issue 22: collecting
/// the frames and copying them out held a 241 MB upload two to three times over before the
/// parse began). Refused past `limit` bytes; an error when the body breaks off.
async fn read_body(
    mut body: axum::body::Body,
    declared: Option<u64>,
    limit: u64,
) -> Result<Vec<u8>, String> {
    use hyper::body::Body as _;
    let reserve = declared.unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else {
            return Ok(bytes);
        };
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if (bytes.len() + data.len()) as u64 > limit {
                return Err("over the limit".into());
            }
            bytes.extend_from_slice(&data);
        }
    }
}

/// What `posture ingest --output json` prints.
#[derive(Serialize)]
struct IngestSummary<'a, Total: Serialize> {
    asset: &'a str,
    reports: &'a [posture_app::PreparedSummary],
    scopes: &'a [posture_store::ScopeOutcome],
    total: &'a Total,
    /// Coverage reports recorded (`kind=runtime`): runtime evidence, never findings.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    coverage: &'a [posture_store::CoverageOutcome],
}

/// Upload reports (raw body, or a multipart form with one `file` field per report, each
/// optionally after a `format` field). Same ingest as `posture ingest`: formats are detected
/// from the content, and the reports are stored all together or not at all.
#[utoipa::path(
    post, path = "/api/v1/scans", tag = "scans",
    params(UploadParams),
    request_body(
        description = "The report as raw bytes, or a multipart form with one `file` field per report (each optionally after a `format` field naming its format): all stored or none.",
        content(
            (Vec<u8> = "application/octet-stream"),
            (UploadForm = "multipart/form-data")
        )
    ),
    responses(
        (status = 200, description = "What the scan changed", body = IngestSummaryJson),
        (status = 202, description = "An upload of more than --async-upload-above bytes, taken as a job: poll the `Location` (GET /api/v1/uploads/{id}) for its state and, once it ended, the answer it would have had here", body = UploadJobView,
            headers(("Location" = String, description = "The job's address"))),
        (status = 400, description = "A missing asset, an unknown format, a broken multipart body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not upload to this asset", body = ErrorBody),
        (status = 413, description = "The upload is over the size cap", body = ErrorBody),
        (status = 422, description = "Not a report Posture reads; names the upload and the place", body = ErrorBody)
    )
)]
pub(crate) async fn upload_scan(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<UploadParams>,
    request: Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let held = request
        .extensions()
        .get::<crate::ops::HeldUpload>()
        .cloned();
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
    let environment = match params.environment.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(
            posture_model::coverage::CoverageEnvironment::parse(e).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown environment `{e}` (production, staging or test)"
                ))
            })?,
        ),
    };
    let sources = read_uploads(
        &state,
        request,
        params.name.clone(),
        state.settings.max_upload_bytes,
    )
    .await?;
    let actor = caller.actor();
    // Coverage (`kind=runtime`) is runtime evidence of which code runs, never findings: every
    // report of the upload must then be coverage (all or nothing, as an ingest).
    let formats: Vec<Option<&'static str>> = sources
        .iter()
        .map(|s| match kind {
            ScanKind::Runtime => {
                posture_app::execution::coverage_format(s, params.format.as_deref())
            }
            ScanKind::Findings => None,
        })
        .collect();
    if environment.is_some() && formats.iter().all(Option::is_none) {
        return Err(ApiError::BadRequest(
            "`environment` applies to coverage reports uploaded with kind=runtime only".into(),
        ));
    }
    if formats.iter().any(Option::is_some) {
        if let Some(i) = formats.iter().position(Option::is_none) {
            return Err(ApiError::BadRequest(format!(
                "{}: not a coverage report (lcov, JaCoCo, Cobertura, coverage.py, Go); upload coverage and runtime SBOMs apart",
                sources[i].name
            )));
        }
        let summary = state
            .blocking(move |s| {
                let req = posture_app::execution::CoverageRequest {
                    asset: asset.clone(),
                    environment: environment
                        .unwrap_or(posture_model::coverage::CoverageEnvironment::Test),
                    recorded_at: None,
                    at: s.clock.now(),
                };
                let cov: Vec<(&ReportSource, &'static str)> = sources
                    .iter()
                    .zip(&formats)
                    .filter_map(|(src, f)| f.map(|f| (src, f)))
                    .collect();
                let outcome = posture_app::execution::ingest_coverage(
                    s.store.as_ref(),
                    s.portfolio.as_ref(),
                    &cov,
                    &req,
                )?;
                audit(
                    s,
                    &actor,
                    "coverage.upload",
                    format!("asset {asset}"),
                    serde_json::json!({
                        "reports": outcome.iter().map(|o| o.report.clone()).collect::<Vec<_>>(),
                        "environment": req.environment.as_str(),
                        "files": outcome.iter().map(|o| o.files).sum::<usize>(),
                    }),
                )?;
                // nothing was ingested as findings: the totals of an empty ingest
                let total = posture_store::IngestOutcome {
                    asset: asset.clone(),
                    scopes: Vec::new(),
                }
                .total();
                to_json(&IngestSummary {
                    asset: &asset,
                    reports: &[],
                    scopes: &[],
                    total: &total,
                    coverage: &outcome,
                })
            })
            .await?;
        warm_summary(&state);
        return Ok(Json(IngestSummaryJson(summary)).into_response());
    }
    let vex = vex_handling(&caller.principal);
    let bytes: u64 = sources.iter().map(|s| s.bytes.len() as u64).sum();
    if bytes > state.settings.async_upload_above {
        // Taken as a job: the same work, off this request, holding the upload's slot.
        let reports = sources.iter().map(|s| s.name.clone()).collect();
        let slot = held.and_then(|h| h.take());
        let job_actor = actor.clone();
        let job_asset = asset.clone();
        let work: super::UploadWork = Box::new(move |s, job| {
            ingest_findings(
                s,
                &job_actor,
                sources,
                &job_asset,
                &params,
                kind,
                vex,
                Some(job),
            )
        });
        return super::take_as_job(&state, &actor, &asset, reports, bytes, slot, work).await;
    }
    let summary = state
        .blocking(move |s| ingest_findings(s, &actor, sources, &asset, &params, kind, vex, None))
        .await?;
    warm_summary(&state);
    Ok(Json(IngestSummaryJson(summary)).into_response())
}

/// The findings upload's work (synchronous, or as the job `job`): the ingest, audited, and
/// its summary.
#[allow(clippy::too_many_arguments)]
fn ingest_findings(
    s: &Shared,
    actor: &Actor,
    sources: Vec<ReportSource>,
    asset: &str,
    params: &UploadParams,
    kind: ScanKind,
    vex: posture_app::VexHandling,
    job: Option<&str>,
) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    let asset = asset.to_string();
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
    let (outcome, reports) = ingest_upload_as(s, actor, sources, request, None, vex, job)?;
    to_json(&IngestSummary {
        asset: &outcome.asset,
        reports: &reports,
        scopes: &outcome.scopes,
        total: &outcome.total(),
        coverage: &[],
    })
}

/// What an upload by this caller does with VEX statements: applied for a caller with the
/// triage right, held as a suggestion otherwise (a ci token may upload, never triage).
pub(crate) fn vex_handling(principal: &posture_store::Principal) -> posture_app::VexHandling {
    if principal.role.can(Right::Triage) {
        posture_app::VexHandling::Apply
    } else {
        posture_app::VexHandling::Hold
    }
}

/// An uploaded report into the store (the CLI's all-or-nothing ingest), audited as
/// `scan.upload` (with `via` when another endpoint took the upload). VEX statements are
/// applied (each change audited as `vex.apply` with the document and the caller) or, for a
/// caller without the triage right, recorded as a suggestion (`vex.suggest`). Then the stored risk of
/// what it marked assessed unless a refresh is running (the next one, a list's or an
/// upload's, assesses it; until then its findings are listed as "to assess"). The ingest is
/// committed either way: should the refresh fail, its findings stay marked, and the next
/// refresh reports the error to its caller.
pub(crate) fn ingest_upload(
    s: &Shared,
    actor: &Actor,
    sources: Vec<ReportSource>,
    request: IngestRequest,
    via: Option<&str>,
    vex: posture_app::VexHandling,
) -> Result<
    (
        posture_store::IngestOutcome,
        Vec<posture_app::PreparedSummary>,
    ),
    ApiError,
> {
    ingest_upload_as(s, actor, sources, request, via, vex, None)
}

/// [`ingest_upload`], for the upload job `job` when it is one (its audit entry names it).
fn ingest_upload_as(
    s: &Shared,
    actor: &Actor,
    sources: Vec<ReportSource>,
    request: IngestRequest,
    via: Option<&str>,
    vex: posture_app::VexHandling,
    job: Option<&str>,
) -> Result<
    (
        posture_store::IngestOutcome,
        Vec<posture_app::PreparedSummary>,
    ),
    ApiError,
> {
    let size: usize = sources.iter().map(|s| s.bytes.len()).sum();
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let asset = request.asset.clone();
    let branch = request.branch.clone();
    let at = request.at;
    // The audit entry is written in the ingest's own transaction (a kill or a failed audit
    // write can leave neither an unaudited scan nor an audited scan that was not stored);
    // a report identical to the last scan stores nothing, and its upload is audited alone.
    let entry = |outcome: &posture_store::IngestOutcome| {
        let total = outcome.total();
        let mut detail = serde_json::json!({
            "report": names.join(", "), "reports": names, "bytes": size,
            "scans": outcome.scopes.iter().flat_map(|x| x.scan_ids.clone()).collect::<Vec<_>>(),
            "new": total.new, "fixed": total.fixed, "reopened": total.reopened,
        });
        if let Some(job) = job {
            detail["job"] = job.into();
        }
        if let Some(via) = via {
            detail["via"] = via.into();
            detail["branch"] = branch.clone().into();
        }
        audit_entry(s, actor, "scan.upload", format!("asset {asset}"), detail)
    };
    let audited = std::cell::Cell::new(false);
    let started = std::time::Instant::now();
    let ingested = posture_app::ingest_audited(
        s.store.as_ref(),
        &sources,
        request,
        &|outcome| {
            audited.set(true);
            Some(entry(outcome))
        },
        vex,
    );
    s.metrics
        .record_ingest_result(&ingested, size, started.elapsed());
    let (outcome, reports) = ingested?;
    if !audited.get() {
        s.store.record_audit(entry(&outcome))?;
    }
    // VEX held for someone with the triage right becomes a suggestion (applied VEX was
    // audited with its decisions, in their transaction)
    for r in &reports {
        record_vex(s, actor, &asset, r, at)?;
    }
    let _ = s
        .risk_refresh
        .refresh_if_idle(s.store.as_ref(), s.portfolio.as_ref());
    Ok((outcome, reports))
}

/// The VEX side of one uploaded report: the changes applied, audited with the document and
/// the caller; or the statements held, recorded as a suggestion and audited.
fn record_vex(
    s: &Shared,
    actor: &Actor,
    asset: &str,
    report: &posture_app::PreparedSummary,
    at: posture_model::Timestamp,
) -> Result<(), ApiError> {
    if report.vex.is_some() && !report.held_vex.is_empty() {
        let suggestion = s
            .store
            .create_vex_suggestion(posture_store::NewVexSuggestion {
                asset: asset.to_string(),
                report: report.name.clone(),
                statements: serde_json::to_value(&report.held_vex)
                    .map_err(|e| ApiError::Internal(format!("cannot serialize: {e}")))?,
                uploaded_by: actor.name.clone(),
                token_id: actor.token_id,
                at,
            })?;
        audit(
            s,
            actor,
            "vex.suggest",
            format!("asset {asset}"),
            serde_json::json!({
                "suggestion": suggestion.id, "report": report.name,
                "statements": report.held_vex.len(),
            }),
        )?;
    }
    Ok(())
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
    /// At most this many scans (default 100, 1 to 10000; more is a 400).
    limit: Option<usize>,
}

/// Scans, newest first.
#[utoipa::path(
    get, path = "/api/v1/scans", tag = "scans", params(ScansParams),
    responses(
        (status = 200, description = "Scans, newest first", body = Vec<ScanJson>),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_scans(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ScansParams>,
) -> Result<Json<Vec<ScanJson>>, ApiError> {
    let limit = bounded_limit(params.limit, 100, 10_000)?;
    let list = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            posture_app::views::scan_views(
                s.store.as_ref(),
                &ScanQuery {
                    asset: params.asset.clone(),
                    tool: params.tool.clone(),
                    limit: scope.reads_everything().then_some(limit),
                },
                |asset| scope.may_read_asset(asset),
                Some(limit),
            )?
            .iter()
            .map(|x| to_json(x).map(ScanJson))
            .collect()
        })
        .await?;
    Ok(Json(list))
}
