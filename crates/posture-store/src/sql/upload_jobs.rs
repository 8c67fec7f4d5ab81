//! Large uploads taken as jobs (`upload_jobs`, migration 18): a job is recorded `queued` when
//! its upload has been read, `running` while it is ingested, then `done` with the answer the
//! synchronous upload gives, or `failed` with its error answer. A job whose server stopped
//! before it ended is marked `failed` when it is next read (see `crate::upload_jobs`).

use super::{Db, Sql, args};
use crate::StoreError;
use crate::stored::{from_ms, to_ms};
use crate::upload_jobs::{NewUploadJob, UploadJobRecord, UploadJobState};
use posture_model::Timestamp;

static INSERT: Sql = Sql::new(
    "recording an upload job",
    "INSERT INTO upload_jobs (id, asset, reports, bytes, state, created_by, token_id, created_at)
     VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
);

static START: Sql = Sql::new(
    "starting an upload job",
    "UPDATE upload_jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
);

static FINISH: Sql = Sql::new(
    "recording the end of an upload job",
    "UPDATE upload_jobs SET state = ?, finished_at = ?, status = ?, result = ?
      WHERE id = ? AND state IN ('queued', 'running')",
);

static GET: Sql = Sql::new(
    "reading an upload job",
    "SELECT id, asset, reports, bytes, state, created_by, token_id, created_at, started_at,
            finished_at, status, result
       FROM upload_jobs WHERE id = ?",
);

pub(crate) fn insert(db: &mut dyn Db, job: &NewUploadJob) -> Result<(), StoreError> {
    db.execute(
        &INSERT,
        args![
            job.id.as_str(),
            job.asset.as_str(),
            job.reports.as_str(),
            i64::try_from(job.bytes).unwrap_or(i64::MAX),
            job.created_by.as_str(),
            job.token_id,
            to_ms(job.at)
        ],
    )?;
    Ok(())
}

pub(crate) fn start(db: &mut dyn Db, id: &str, at: Timestamp) -> Result<(), StoreError> {
    db.execute(&START, args![to_ms(at), id])?;
    Ok(())
}

/// Records how a job ended (`done` or `failed`), unless it ended already; answers whether
/// this call recorded it.
pub(crate) fn finish(
    db: &mut dyn Db,
    id: &str,
    state: UploadJobState,
    at: Timestamp,
    status: u16,
    result: &str,
) -> Result<bool, StoreError> {
    Ok(db.execute(
        &FINISH,
        args![state.as_str(), to_ms(at), i64::from(status), result, id],
    )? == 1)
}

pub(crate) fn get(db: &mut dyn Db, id: &str) -> Result<Option<UploadJobRecord>, StoreError> {
    db.opt(&GET, args![id], |r| {
        let state: String = r.get(4)?;
        Ok(UploadJobRecord {
            id: r.get(0)?,
            asset: r.get(1)?,
            reports: r.get(2)?,
            bytes: u64::try_from(r.get::<i64>(3)?).unwrap_or(0),
            state: UploadJobState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("upload job state `{state}`")))?,
            created_by: r.get(5)?,
            token_id: r.get(6)?,
            created_at: r.time(7)?,
            started_at: r.get::<Option<i64>>(8)?.map(from_ms),
            finished_at: r.get::<Option<i64>>(9)?.map(from_ms),
            status: r
                .get::<Option<i64>>(10)?
                .and_then(|s| u16::try_from(s).ok()),
            result: r.get(11)?,
        })
    })
}
