//! Large uploads taken as jobs (issue 19): `POST /api/v1/scans` with more than
//! `--async-upload-above` bytes answers 202 Accepted at once, with the job's address in
//! `Location`; `GET /api/v1/uploads/{id}` tells where the job is (queued, running, done,
//! failed) and, once it ended, the answer the synchronous upload would have given: its HTTP
//! status and body (the ingest summary, or the `{"error": ...}` naming the report and the
//! place).
//!
//! The job runs on a worker thread of this server and keeps the upload's slot among
//! `--max-concurrent-uploads` until it ends; its state is in the database
//! ([`posture_store::Store::run_upload_job`]), so any server over the same database answers
//! for it, and a job whose server stopped is reported failed ("interrupted"), never running for
//! ever. It is audited as the synchronous upload is (`scan.upload`, in the ingest's
//! transaction, with the job's id) and counted in `/metrics` (`posture_upload_jobs_active`,
//! `posture_upload_jobs_total`).

use super::*;
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::ops::UploadSlot;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use posture_store::{NewUploadJob, UploadJobEnd, UploadJobRecord, UploadJobState};
use serde::Serialize;
use utoipa::ToSchema;

/// Where an upload taken as a job is (`GET /api/v1/uploads/{id}`, and the 202 answer).
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadJobView {
    /// The job's id (random: job addresses cannot be guessed).
    pub id: String,
    /// `queued`, `running`, `done` or `failed`.
    #[schema(value_type = String, example = "running")]
    pub state: UploadJobState,
    pub asset: String,
    /// The reports of the upload.
    pub reports: Vec<String>,
    /// Their size in bytes.
    pub bytes: u64,
    /// The address to poll for the state and the result.
    pub status_url: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: posture_model::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<posture_model::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<posture_model::Timestamp>,
    /// Once finished: the HTTP status the synchronous upload would have answered (200 when
    /// stored; 422 for a report Posture cannot read; 500 when interrupted).
    pub status: Option<u16>,
    /// Once finished: the synchronous upload's answer, the ingest summary (`done`, as
    /// `IngestSummary`) or the error (`failed`, as `ErrorBody`, naming the report and the
    /// place).
    #[schema(value_type = Option<Object>)]
    pub result: Option<Box<serde_json::value::RawValue>>,
}

/// The address of a job under this server.
fn status_url(state: &AppState, id: &str) -> String {
    format!("{}/api/v1/uploads/{id}", state.settings.base_path)
}

fn view_of(state: &AppState, job: UploadJobRecord) -> Result<UploadJobView, ApiError> {
    let result = job
        .result
        .map(serde_json::value::RawValue::from_string)
        .transpose()
        .map_err(|e| ApiError::Internal(format!("upload job {}: its result: {e}", job.id)))?;
    Ok(UploadJobView {
        status_url: status_url(state, &job.id),
        id: job.id,
        state: job.state,
        asset: job.asset,
        reports: job
            .reports
            .split(", ")
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        bytes: job.bytes,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        status: job.status,
        result,
    })
}

/// The error answer of an upload, as its JSON text (what the synchronous upload answers).
fn error_text(error: &ApiError) -> String {
    let body = ErrorBody {
        error: ErrorDetail {
            status: error.status().as_u16(),
            kind: error.kind().to_string(),
            message: error.client_message(),
        },
    };
    serde_json::to_string(&body).unwrap_or_else(|_| posture_store::interrupted_result())
}

/// A fresh job id: 16 random bytes, hex.
fn new_job_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("no randomness from the operating system: {e}")))?;
    Ok(hex::encode(bytes))
}

/// What a job does: the synchronous upload's work, given the job's id (for the audit entry).
pub(crate) type UploadWork =
    Box<dyn FnOnce(&Shared, &str) -> Result<Box<serde_json::value::RawValue>, ApiError> + Send>;

/// Takes an upload (already read) as a job: records it, starts it on a worker thread holding
/// `slot`, and answers 202 with its address once it is recorded.
pub(crate) async fn take_as_job(
    state: &AppState,
    actor: &Actor,
    asset: &str,
    reports: Vec<String>,
    bytes: u64,
    slot: Option<UploadSlot>,
    work: UploadWork,
) -> Result<Response, ApiError> {
    let job = NewUploadJob {
        id: new_job_id()?,
        asset: asset.to_string(),
        reports: reports.join(", "),
        bytes,
        created_by: actor.name.clone(),
        token_id: actor.token_id,
        at: state.now(),
    };
    let id = job.id.clone();
    let (tx, rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let worker = state.clone();
    state.metrics.upload_job_started();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut work = Some(work);
        let mut outcome = "failed";
        let recorded_tx = tx.clone();
        let ran = worker.store.run_upload_job(
            &job,
            &mut || {
                let _ = recorded_tx.send(Ok(()));
            },
            &mut || {
                let Some(work) = work.take() else {
                    return UploadJobEnd {
                        state: UploadJobState::Failed,
                        status: 500,
                        result: posture_store::interrupted_result(),
                    };
                };
                let started = std::time::Instant::now();
                let end = match work(&worker, &job.id) {
                    Ok(summary) => {
                        outcome = "done";
                        UploadJobEnd {
                            state: UploadJobState::Done,
                            status: 200,
                            result: summary.get().to_string(),
                        }
                    }
                    Err(e) => UploadJobEnd {
                        state: UploadJobState::Failed,
                        status: e.status().as_u16(),
                        result: error_text(&e),
                    },
                };
                tracing::info!(
                    target: "posture::upload_job",
                    job = %job.id, asset = %job.asset, bytes = job.bytes,
                    state = end.state.as_str(), status = end.status,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "upload job ended"
                );
                end
            },
        );
        worker.metrics.upload_job_finished(outcome);
        if let Err(e) = ran {
            tracing::error!(target: "posture::upload_job", job = %job.id, cause = %e, "upload job");
            let _ = tx.send(Err(e.to_string()));
        }
        if outcome == "done" {
            let as_of = crate::overview::as_of_minute(worker.clock.now());
            let _ = worker.summary.warm(worker.store.as_ref(), as_of);
        }
    });
    // Answer once the job is recorded (a poll right after the 202 finds it).
    let recorded = tokio::task::spawn_blocking(move || rx.recv())
        .await
        .map_err(|e| ApiError::Internal(format!("a worker failed: {e}")))?;
    match recorded {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ApiError::Internal(format!("recording the upload job: {e}"))),
        Err(_) => return Err(ApiError::Internal("the upload job was not recorded".into())),
    }
    let found = state
        .blocking({
            let id = id.clone();
            move |s| Ok(s.store.upload_job(&id, s.clock.now())?)
        })
        .await?
        .ok_or_else(|| ApiError::Internal(format!("upload job {id} is not recorded")))?;
    let view = view_of(state, found)?;
    let location = view.status_url.clone();
    let mut response = (StatusCode::ACCEPTED, Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Where an upload taken as a job is, and once it ended, the synchronous upload's answer.
#[utoipa::path(
    get, path = "/api/v1/uploads/{id}", tag = "scans",
    params(("id" = String, Path, description = "The job's id, from the 202 answer of POST /api/v1/scans")),
    responses(
        (status = 200, description = "The job: its state, and once finished the upload's answer (status and body)", body = UploadJobView),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such job, or not one this token may read", body = ErrorBody)
    )
)]
pub(crate) async fn get_upload_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no upload job {id}"));
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let job = state
        .blocking({
            let id = id.clone();
            move |s| Ok(s.store.upload_job(&id, s.clock.now())?)
        })
        .await?
        .ok_or_else(not_found)?;
    // The token that uploaded it, or anyone who may read the asset.
    let scope = Scope::new(&caller.principal, state.portfolio.as_ref());
    if job.token_id != Some(caller.principal.token_id) && !scope.may_read_asset(&job.asset) {
        return Err(not_found());
    }
    let finished = job.state.is_finished();
    let mut response = Json(view_of(&state, job)?).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !finished {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    Ok(response)
}
