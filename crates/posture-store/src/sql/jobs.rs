//! The server's scheduled jobs (`job_runs`, migration 15): a run is claimed by moving the
//! job's `started_at`, only when its last run started a whole period ago, so that servers
//! sharing a database run each period once; its end is recorded with how it went.

use super::{Db, Sql, args};
use crate::stored::to_ms;
use crate::{JobRunRecord, StoreError};
use posture_model::Timestamp;

static CLAIM: Sql = Sql::new(
    "claiming a job's run",
    "INSERT INTO job_runs (name, started_at) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at
     WHERE job_runs.started_at <= ?",
);

static FINISH: Sql = Sql::new(
    "recording a job's run",
    "UPDATE job_runs SET finished_at = ?, outcome = ?, runs = runs + 1, failures = failures + ?
      WHERE name = ?",
);

static LIST: Sql = Sql::new(
    "reading the job runs",
    "SELECT name, started_at, finished_at, outcome, runs, failures FROM job_runs ORDER BY name",
);

/// Claims the run of `job` at `now` when its last run started at or before `due_after` (or it
/// never ran); answers whether this caller got it.
pub(crate) fn claim(
    db: &mut dyn Db,
    job: &str,
    now: Timestamp,
    due_after: Timestamp,
) -> Result<bool, StoreError> {
    Ok(db.execute(&CLAIM, args![job, to_ms(now), to_ms(due_after)])? == 1)
}

/// Records the end of a run: its outcome (a summary, or the error of a failed run).
pub(crate) fn finish(
    db: &mut dyn Db,
    job: &str,
    at: Timestamp,
    outcome: &Result<String, String>,
) -> Result<(), StoreError> {
    let (text, failed) = match outcome {
        Ok(summary) => (format!("ok: {summary}"), 0i64),
        Err(error) => (format!("failed: {error}"), 1i64),
    };
    db.execute(&FINISH, args![to_ms(at), text.as_str(), failed, job])?;
    Ok(())
}

pub(crate) fn runs(db: &mut dyn Db) -> Result<Vec<JobRunRecord>, StoreError> {
    db.rows(&LIST, args![], |r| {
        Ok(JobRunRecord {
            name: r.get(0)?,
            started_at: r.time(1)?,
            finished_at: r.get::<Option<i64>>(2)?.map(crate::stored::from_ms),
            outcome: r.get(3)?,
            runs: r.get(4)?,
            failures: r.get(5)?,
        })
    })
}
