//! `posture backup` and `posture restore` of a SQLite database, through SQLite's online
//! backup API.
//!
//! Why not `cp`: in WAL mode the committed data lives partly in `posture.db-wal` until a
//! checkpoint, and a file copied while a writer commits can be torn. The backup API copies the
//! pages in one step, inside one read transaction on the source: a consistent snapshot of
//! every commit made before it began, while writers go on (WAL readers never block writers).
//! The copy is written beside its destination under a temporary name, switched to a
//! self-contained rollback journal, checked (`PRAGMA integrity_check`) and only then renamed
//! into place, so a backup file is always whole. It is created 0600, as the database is.
//!
//! The installation's secret key is not in the database (`<database>.key` or
//! `POSTURE_SECRET_KEY`), so not in a backup either: a restore needs the same key.

use super::{BUSY_TIMEOUT, create_private_file, is_private};
use crate::StoreError;
use crate::schema::SCHEMA_VERSION;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What a backup or a restore copied.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// The database copied from.
    pub from: String,
    /// The file (or database) copied to.
    pub to: String,
    /// The schema version of the copy.
    pub schema: i64,
    /// The size of the copy in bytes.
    pub bytes: u64,
    pub assets: i64,
    pub findings: i64,
    pub scans: i64,
    /// `PRAGMA integrity_check` of the copy ("ok").
    pub integrity: String,
}

fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    move |e| StoreError::Database {
        context,
        source: Box::new(e),
    }
}

fn read_only(path: &str) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(StoreError::db("opening the database to copy"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::db("configuring the database"))?;
    Ok(conn)
}

/// Copies every page of `src` into `dst` in one step (one read transaction on the source: a
/// consistent snapshot), retrying while another connection holds a lock the copy needs.
fn copy(src: &Connection, dst: &mut Connection) -> Result<(), StoreError> {
    let e = StoreError::db("copying the database");
    let backup = Backup::new(src, dst).map_err(e)?;
    let started = Instant::now();
    loop {
        match backup
            .step(-1)
            .map_err(StoreError::db("copying the database"))?
        {
            StepResult::Done => return Ok(()),
            StepResult::More => continue,
            StepResult::Busy | StepResult::Locked if started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            _ => {
                return Err(StoreError::Invalid(
                    "the database stayed locked for 30 s: the copy could not start".into(),
                ));
            }
        }
    }
}

/// The facts of a database a report gives (schema, counts, integrity).
fn facts(conn: &Connection) -> Result<(i64, i64, i64, i64, String), StoreError> {
    let e = || StoreError::db("checking the copy");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(e())?;
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(e())?;
    let count = |table: &str| -> Result<i64, StoreError> {
        let exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .map_err(e())?;
        if exists == 0 {
            return Ok(0);
        }
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(e())
    };
    Ok((
        schema,
        count("assets")?,
        count("findings")?,
        count("scans")?,
        integrity,
    ))
}

fn report(from: &str, to: &str, conn: &Connection, bytes: u64) -> Result<BackupReport, StoreError> {
    let (schema, assets, findings, scans, integrity) = facts(conn)?;
    Ok(BackupReport {
        from: from.to_string(),
        to: to.to_string(),
        schema,
        bytes,
        assets,
        findings,
        scans,
        integrity,
    })
}

/// Writes a consistent copy of the database at `path` to the new file `file`.
pub(crate) fn backup(path: &str, file: &Path) -> Result<BackupReport, StoreError> {
    if is_private(path) {
        return Err(StoreError::Invalid(format!(
            "{path} is an in-memory database: there is nothing on disk to back up"
        )));
    }
    if !path.starts_with("file:") && !Path::new(path).is_file() {
        return Err(StoreError::Invalid(format!(
            "there is no database at {path}"
        )));
    }
    if file.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists: a backup never overwrites a file (choose a new name, or remove it)",
            file.display()
        )));
    }
    let src = read_only(path)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "posture-backup".into());
    let partial = file.with_file_name(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let partial_text = partial.to_string_lossy().into_owned();
    create_private_file(&partial_text)?;
    let result = (|| {
        let mut dst =
            Connection::open(&partial).map_err(StoreError::db("creating the backup file"))?;
        copy(&src, &mut dst)?;
        // One self-contained file: no `-wal` beside it.
        let _: String = dst
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .map_err(StoreError::db("writing the backup file"))?;
        let bytes = std::fs::metadata(&partial)
            .map_err(io("writing the backup file"))?
            .len();
        let out = report(path, &file.to_string_lossy(), &dst, bytes)?;
        if out.integrity != "ok" {
            return Err(StoreError::Corrupt(format!(
                "the copy fails its integrity check: {}",
                out.integrity
            )));
        }
        dst.close()
            .map_err(|(_, e)| StoreError::db("writing the backup file")(e))?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io("writing the backup file"))?;
        std::fs::rename(&partial, file).map_err(io("writing the backup file"))?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Replaces the database at `path` with the backup `file`: refused when `path` already holds
/// data, unless `force`. The copy goes through the backup API too, so other connections to
/// the database (a running server) see the old data or the restored data, never a mix.
pub(crate) fn restore(path: &str, file: &Path, force: bool) -> Result<BackupReport, StoreError> {
    if is_private(path) {
        return Err(StoreError::Invalid(format!(
            "{path} is an in-memory database: restore into a file"
        )));
    }
    if !file.is_file() {
        return Err(StoreError::Invalid(format!(
            "there is no backup file at {}",
            file.display()
        )));
    }
    let file_text = file.to_string_lossy().into_owned();
    let src = read_only(&file_text)
        .map_err(|_| StoreError::Invalid(format!("{file_text} is not a SQLite database")))?;
    let checked = report(&file_text, path, &src, 0)
        .map_err(|_| StoreError::Invalid(format!("{file_text} is not a SQLite database")))?;
    if checked.integrity != "ok" {
        return Err(StoreError::Invalid(format!(
            "{file_text} fails its integrity check ({}): not restored",
            checked.integrity
        )));
    }
    if checked.schema == 0 || checked.schema > SCHEMA_VERSION {
        return Err(StoreError::Invalid(if checked.schema == 0 {
            format!("{file_text} is not a Posture database (no schema version)")
        } else {
            format!(
                "{file_text} was written by a newer posture (schema {}, this posture knows up to {SCHEMA_VERSION}): restore it with that version",
                checked.schema
            )
        }));
    }
    let exists = !path.starts_with("file:") && Path::new(path).is_file();
    if exists && !force {
        let conn = read_only(path)?;
        let (_, assets, findings, scans, _) = facts(&conn)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(StoreError::db("reading the database"))?;
        if tables > 0 {
            return Err(StoreError::Invalid(format!(
                "{path} holds a database ({assets} assets, {findings} findings, {scans} scans): restoring would replace it; stop the servers using it and pass --force"
            )));
        }
    }
    if !path.starts_with("file:") {
        create_private_file(path)?;
    }
    let mut dst = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(StoreError::db("opening the database to restore into"))?;
    dst.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::db("configuring the database"))?;
    copy(&src, &mut dst)?;
    let _: String = dst
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(StoreError::db("restoring the database"))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    report(&file_text, path, &dst, bytes)
}
