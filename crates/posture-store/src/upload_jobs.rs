//! Large uploads taken as jobs: `POST /api/v1/scans` above `--async-upload-above` answers 202
//! with the job's address, and the job's record holds what the upload came to.
//!
//! Why the state is in the database: a client polls the job's address, possibly through
//! another server over the same PostgreSQL, and a server that stops (a deploy, a kill) must
//! not leave a job "running" for ever nor forget it. So a job is alive only while the process
//! running it says so: on PostgreSQL it holds a session advisory lock for the job's whole run
//! (PostgreSQL frees it with the session if the server dies); on SQLite (one server per file)
//! the process keeps the ids of the jobs it runs. A read of a job that is queued or running
//! but that no one holds any more records it `failed` ("interrupted") and answers that.

use posture_model::Timestamp;
use serde::Serialize;

/// Where an upload job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadJobState {
    /// Read, not yet being ingested.
    Queued,
    /// Being ingested.
    Running,
    /// Stored: the result is the synchronous upload's answer.
    Done,
    /// Not stored: the result is the error answer (naming the report and the place).
    Failed,
}

impl UploadJobState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadJobState::Queued => "queued",
            UploadJobState::Running => "running",
            UploadJobState::Done => "done",
            UploadJobState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => UploadJobState::Queued,
            "running" => UploadJobState::Running,
            "done" => UploadJobState::Done,
            "failed" => UploadJobState::Failed,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, UploadJobState::Done | UploadJobState::Failed)
    }
}

/// A job to record (`queued`).
#[derive(Debug, Clone)]
pub struct NewUploadJob {
    /// Chosen by the caller: random, so that job addresses cannot be guessed.
    pub id: String,
    pub asset: String,
    /// The report names, comma-separated.
    pub reports: String,
    pub bytes: u64,
    pub created_by: String,
    pub token_id: Option<i64>,
    pub at: Timestamp,
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct UploadJobEnd {
    pub state: UploadJobState,
    /// The HTTP status the synchronous upload would have answered.
    pub status: u16,
    /// The answer's JSON text (the ingest summary, or `{"error": {...}}`).
    pub result: String,
}

/// What an upload job is at.
#[derive(Debug, Clone, Serialize)]
pub struct UploadJobRecord {
    pub id: String,
    pub asset: String,
    pub reports: String,
    pub bytes: u64,
    pub state: UploadJobState,
    pub created_by: String,
    pub token_id: Option<i64>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The HTTP status of the result, once finished.
    pub status: Option<u16>,
    /// The result's JSON text, once finished.
    pub result: Option<String>,
}

/// The error answer of a job its server stopped running.
pub fn interrupted_result() -> String {
    serde_json::json!({
        "error": {
            "status": 500,
            "kind": "interrupted",
            "message": "the upload job was interrupted: the server running it stopped before it finished; nothing of it was stored, upload the report again",
        }
    })
    .to_string()
}

/// Runs a job's work, a panic ending it as failed (so that its record is finished).
pub(crate) fn run_caught(work: &mut dyn FnMut() -> UploadJobEnd) -> UploadJobEnd {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(end) => end,
        Err(_) => UploadJobEnd {
            state: UploadJobState::Failed,
            status: 500,
            result: serde_json::json!({
                "error": {
                    "status": 500,
                    "kind": "internal",
                    "message": "the upload job failed inside the server (its log has the cause); nothing of it was stored",
                }
            })
            .to_string(),
        },
    }
}
