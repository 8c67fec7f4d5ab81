//! The server's scheduled jobs as the store sees them: who runs a job's period
//! ([`crate::Store::run_job`]) and what each job last did ([`JobRunRecord`]).
//!
//! Why: webhook delivery, the Jira sync, feed refresh and the sweeps run inside
//! `posture serve`, and a team runs several servers over one PostgreSQL database. Each
//! period's run must happen once: a delivery run twice sends every webhook twice. Two locks
//! make it so. A session advisory lock per job (`pg_try_advisory_lock`, held on one
//! connection for the run, released by PostgreSQL if the server dies) keeps two runs of a job
//! from overlapping; inside it, the run is claimed in `job_runs` only when the last one started
//! a whole period ago, so servers ticking one after the other do not each run it. On SQLite
//! (one server per file) a lock in the process stands for the advisory lock, and the claim is
//! the same.

use posture_model::Timestamp;
use serde::Serialize;

/// What a job last did.
#[derive(Debug, Clone, Serialize)]
pub struct JobRunRecord {
    pub name: String,
    /// When its last run started.
    pub started_at: Timestamp,
    /// When its last finished run ended (`None` while the first one runs).
    pub finished_at: Option<Timestamp>,
    /// `ok: <summary>` or `failed: <error>`.
    pub outcome: Option<String>,
    pub runs: i64,
    pub failures: i64,
}

/// Runs a job's work, a panic counted as a failure (so that no lock outlives it).
pub(crate) fn run_caught(
    work: &mut dyn FnMut() -> Result<String, String>,
) -> Result<String, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(outcome) => outcome,
        Err(_) => Err("the job panicked".to_string()),
    }
}

/// When a run that started at `now` and took `elapsed` ended.
pub(crate) fn end_of(now: Timestamp, elapsed: std::time::Duration) -> Timestamp {
    let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
    crate::stored::from_ms(crate::stored::to_ms(now).saturating_add(ms))
}

/// The last start of a run that leaves the period of `every` before `now` due.
pub(crate) fn due_after(now: Timestamp, every: std::time::Duration) -> Timestamp {
    let ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    crate::stored::from_ms(crate::stored::to_ms(now).saturating_sub(ms))
}
