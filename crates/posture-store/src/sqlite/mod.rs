//! The embedded SQLite back end: one file, created on first use, WAL journal.
//!
//! Connections: one writer (every method that writes, behind a mutex: SQLite has one writer
//! at a time anyway) and a few read-only connections over the same WAL file for the methods
//! that only read, so a reader never queues behind an ingest (WAL lets readers run while a
//! writer commits). Each read runs in its own read transaction, so it sees every write
//! committed before it started and one consistent snapshot across its statements, as it did
//! on the single connection. An in-memory database cannot be shared between connections:
//! there the writer serves the reads too.

mod access;
pub(crate) mod backup;
mod branches;
mod decisions;
mod feeds;
mod ingest;
mod integrations;
mod risk;
mod runtime;
pub(crate) mod schema;
mod summary;
mod workflow;

use crate::schema::{MigrationReport, Upgrade};
use crate::sql;
pub(crate) use crate::stored::to_ms;
use crate::{
    ComponentRow, CoverageFileRecord, CoverageImport, CoverageOutcome, EpssImport, EventRecord,
    FeedFacts, FeedImportRecord, FindingQuery, FindingRecord, IngestBatch, IngestOutcome,
    KevImport, MergeDecision, RuntimeComponentRecord, ScanQuery, ScanRecord, ScopeOutcome,
    SplitDecision, Store, StoreError, StoredRisk, SuggestionDecision, SuggestionRecord,
    TriageChange,
};
use crate::{
    DecisionChange, DecisionRecord, EventQuery, ExpiredDecision, NewEvent, ScanCoverageRow,
    WorkflowStore,
};
use posture_model::Timestamp;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// How many read-only connections a store opens by default (besides its writer).
pub const DEFAULT_SQLITE_READERS: usize = 4;

/// How long a statement waits for a lock another connection or process holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A SQLite database file (or `:memory:`).
pub struct SqliteStore {
    path: String,
    /// The writer: every method that writes, and every read of an in-memory database.
    conn: Mutex<Connection>,
    /// Read-only connections over the same file; empty for an in-memory database.
    readers: Vec<Mutex<Connection>>,
    /// Where the next reader that must wait queues (round robin).
    next_reader: AtomicUsize,
    /// A connection that never writes, opened on first use, whose `PRAGMA data_version`
    /// tells when anyone committed (`Store::data_version`).
    watch: Mutex<Option<Connection>>,
    /// The installation's secret key given to this handle (`Store::use_secret_key`).
    given_key: std::sync::OnceLock<posture_model::SecretKey>,
    /// The installation's secret key once resolved and checked against the database.
    secret_key: std::sync::OnceLock<posture_model::SecretKey>,
    /// The schema version the file was at when this handle opened it.
    opened_at_version: i64,
    /// The scheduled jobs running in this process (`Store::run_job`).
    running_jobs: Mutex<std::collections::HashSet<String>>,
}

/// Creates a new database file readable and writable by its owner only (0600) before SQLite
/// opens it: SQLite gives its `-wal` and `-shm` files the mode of the database file, so they
/// are private too. An existing file keeps its mode.
fn create_private_file(path: &str) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database {
            context: "creating the database file",
            source: Box::new(e),
        }),
    }
}

/// Whether `path` names a database that lives in one connection's memory (`:memory:`, an
/// empty name = a private temporary database, or a `mode=memory` URI): other connections
/// would see another, empty database.
fn is_private(path: &str) -> bool {
    let p = path.trim();
    p.is_empty() || p == ":memory:" || p.contains("mode=memory") || p.starts_with("file::memory:")
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, with
    /// [`DEFAULT_SQLITE_READERS`] read-only connections.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        Self::open_with_readers(path, DEFAULT_SQLITE_READERS)
    }

    /// [`SqliteStore::open`] with `readers` read-only connections (0: the writer reads too).
    pub fn open_with_readers(path: &str, readers: usize) -> Result<Self, StoreError> {
        Self::open_with(path, readers, Upgrade::Refuse)
    }

    fn open_with(path: &str, readers: usize, upgrade: Upgrade) -> Result<Self, StoreError> {
        if !is_private(path) && !path.starts_with("file:") {
            create_private_file(path)?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(StoreError::db("opening the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(StoreError::db("configuring the database"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )
        .map_err(StoreError::db("configuring the database"))?;
        let mut store = SqliteStore {
            path: path.to_string(),
            conn: Mutex::new(conn),
            watch: Mutex::new(None),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
            given_key: std::sync::OnceLock::new(),
            secret_key: std::sync::OnceLock::new(),
            opened_at_version: 0,
            running_jobs: Mutex::new(std::collections::HashSet::new()),
        };
        store.opened_at_version = store.migrate(upgrade)?;
        // Readers open after the migration (they never see a half-made schema) and only
        // over a file in WAL mode (in another journal mode a reader would block the writer).
        let wal = {
            let conn = store.lock()?;
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .map_err(StoreError::db("configuring the database"))?;
            mode.eq_ignore_ascii_case("wal")
        };
        if wal && !is_private(path) {
            for _ in 0..readers {
                store.readers.push(Mutex::new(open_reader(path)?));
            }
        }
        Ok(store)
    }

    /// Brings the schema to this build's: a new, empty database is created at it; an older
    /// one is upgraded only with [`Upgrade::Apply`] (`posture migrate`), refused otherwise; a
    /// newer one is refused. Returns the version found.
    fn migrate(&self, upgrade: Upgrade) -> Result<i64, StoreError> {
        let mut conn = self.lock()?;
        let known = schema::MIGRATIONS.len() as i64;
        let found = user_version(&conn)?;
        if found == known {
            return Ok(found);
        }
        if found > known {
            return Err(StoreError::SchemaTooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        // Several processes may open a new database at once: the version is read again
        // under the write lock (`BEGIN IMMEDIATE` waits for the other migration).
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::db("migrating the schema"))?;
        let version = user_version(&tx)?;
        if version > known {
            return Err(StoreError::SchemaTooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        let tables: i64 = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::db("reading the schema version"))?;
        let fresh = version == 0 && tables == 0;
        if version < known && !fresh && upgrade == Upgrade::Refuse {
            return Err(StoreError::SchemaOutdated {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .map_err(StoreError::db("migrating the schema"))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(StoreError::db("migrating the schema"))?;
        }
        tx.commit()
            .map_err(StoreError::db("migrating the schema"))?;
        Ok(version)
    }

    /// `posture migrate` on a SQLite file: creates or upgrades it (see [`crate::migrate`]).
    pub(crate) fn migrate_database(path: &str) -> Result<MigrationReport, StoreError> {
        let store = Self::open_with(path, 0, Upgrade::Apply)?;
        let from = store.opened_at_version;
        Ok(MigrationReport::new(
            path.to_string(),
            from,
            schema::MIGRATIONS.len() as i64,
        ))
    }

    /// The key check value the database records, after recording `record` when it has none.
    fn key_check(&self, record: Option<&str>) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        sql::secret_key::key_check(&mut &*conn, record)
    }

    /// The writer connection.
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| poisoned())
    }

    /// A read-only connection: a free one, else the next in turn (or the writer when the
    /// database has no readers).
    fn reader(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        if self.readers.is_empty() {
            return self.lock();
        }
        for r in &self.readers {
            match r.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].lock().map_err(|_| poisoned())
    }

    /// A reader inside a fresh read transaction: it sees every write committed before it
    /// began, and the same snapshot in all of its statements; the transaction ends when the
    /// guard drops.
    fn read_conn(&self) -> Result<ReadGuard<'_>, StoreError> {
        ReadGuard::begin(self.reader()?)
    }

    /// Runs a read on [`SqliteStore::read_conn`].
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.read_conn()?;
        f(&conn)
    }
}

/// A connection in a read transaction (`BEGIN` on creation, ended on drop).
pub(super) struct ReadGuard<'a> {
    conn: MutexGuard<'a, Connection>,
}

impl<'a> ReadGuard<'a> {
    fn begin(conn: MutexGuard<'a, Connection>) -> Result<Self, StoreError> {
        if !conn.is_autocommit() {
            // a transaction a failed call left open (never expected): end it first
            conn.execute_batch("ROLLBACK")
                .map_err(StoreError::db("starting a read"))?;
        }
        conn.execute_batch("BEGIN")
            .map_err(StoreError::db("starting a read"))?;
        Ok(ReadGuard { conn })
    }
}

impl std::ops::Deref for ReadGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        // a read transaction has nothing to keep: ending it releases the snapshot
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Runs `f` in a write transaction (`BEGIN IMMEDIATE`) on the writer (committed when `f` succeeds, rolled back
/// otherwise): the statements of `crate::sql` that write.
fn write<T>(
    conn: &mut Connection,
    context: &'static str,
    f: impl FnOnce(&mut dyn sql::Db) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::db(context))?;
    let out = f(&mut &*tx)?;
    tx.commit().map_err(StoreError::db(context))?;
    Ok(out)
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("a previous database call panicked".to_string())
}

/// A read-only connection to the database file the writer opened (and migrated).
fn open_reader(path: &str) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(StoreError::db("opening the database for reading"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::db("configuring the database"))?;
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384;",
    )
    .map_err(StoreError::db("configuring the database"))?;
    Ok(conn)
}

fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(StoreError::db("reading the schema version"))
}

impl Store for SqliteStore {
    fn secret_key(&self) -> Result<posture_model::SecretKey, StoreError> {
        use crate::secret_key as sk;
        if let Some(key) = self.secret_key.get() {
            return Ok(key.clone());
        }
        let stored = self.key_check(None)?;
        let key = match self.given_key.get() {
            Some(key) => key.clone(),
            None => match sk::key_from_environment()? {
                Some(key) => key,
                None if is_private(&self.path) => sk::ephemeral_key()?,
                None => {
                    let file = sk::key_file_beside(&self.path);
                    if stored.is_some() && !file.exists() {
                        return Err(sk::missing_key_file(&file, &self.path));
                    }
                    sk::load_or_create_key_file(&file, true)?
                }
            },
        };
        let stored = match stored {
            Some(stored) => stored,
            None => self
                .key_check(Some(&key.check_value()))?
                .unwrap_or_default(),
        };
        sk::verify(&key, &stored, &self.path)?;
        Ok(self.secret_key.get_or_init(|| key).clone())
    }

    fn use_secret_key(&self, key: posture_model::SecretKey) {
        let _ = self.given_key.set(key);
    }

    fn ingest_audited(
        &self,
        batch: IngestBatch,
        audit: crate::AuditOf<'_, IngestOutcome>,
    ) -> Result<IngestOutcome, StoreError> {
        let mut conn = self.lock()?;
        ingest::ingest(&mut conn, batch, audit)
    }

    fn identical_report(
        &self,
        asset: &str,
        branch: &str,
        target: &str,
        sha256: &str,
    ) -> Result<Option<Vec<ScopeOutcome>>, StoreError> {
        self.read(|c| sql::ingest::identical_report(&mut &*c, asset, branch, target, sha256))
    }

    fn findings(&self, query: &FindingQuery) -> Result<Vec<FindingRecord>, StoreError> {
        self.read(|c| sql::query::findings(&mut &*c, query))
    }

    fn finding(&self, id: i64) -> Result<Option<FindingRecord>, StoreError> {
        self.read(|c| sql::query::finding(&mut &*c, id))
    }

    fn events(&self, finding_id: i64) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|c| sql::query::events(&mut &*c, finding_id))
    }

    fn scans(&self, query: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError> {
        self.read(|c| sql::query::scans(&mut &*c, query))
    }

    fn triage(&self, change: TriageChange) -> Result<FindingRecord, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "recording the triage decision", |db| {
            sql::query::triage(db, &change)
        })?;
        sql::query::finding(&mut &*conn, change.finding_id)?
            .ok_or_else(|| StoreError::NotFound(format!("finding {}", change.finding_id)))
    }

    fn merge(&self, decision: MergeDecision) -> Result<FindingRecord, StoreError> {
        self.merge_decision(decision)
    }

    fn split(&self, decision: SplitDecision) -> Result<FindingRecord, StoreError> {
        self.split_decision(decision)
    }

    fn suggestions(
        &self,
        asset: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<SuggestionRecord>, StoreError> {
        self.read(|c| sql::decisions::suggestions(&mut &*c, asset, open_only, None))
    }

    fn decide_suggestion(
        &self,
        decision: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError> {
        self.suggestion_decision(decision)
    }

    fn import_kev(&self, catalog: KevImport) -> Result<FeedImportRecord, StoreError> {
        let mut conn = self.lock()?;
        feeds::import_kev(&mut conn, catalog)
    }

    fn import_epss(&self, feed: EpssImport) -> Result<FeedImportRecord, StoreError> {
        let mut conn = self.lock()?;
        feeds::import_epss(&mut conn, feed)
    }

    fn feed_facts(&self, cves: &[String]) -> Result<HashMap<String, FeedFacts>, StoreError> {
        self.read(|c| sql::feeds::feed_facts(&mut &*c, cves))
    }

    fn feed_imports(&self) -> Result<Vec<FeedImportRecord>, StoreError> {
        self.read(|c| sql::feeds::feed_imports(&mut &*c))
    }

    fn runtime_components(
        &self,
        assets: &[String],
    ) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
        self.read(|c| sql::runtime::runtime_components(&mut &*c, assets))
    }

    fn components(&self, search: Option<&str>) -> Result<Vec<ComponentRow>, StoreError> {
        self.read(|c| sql::components::components(&mut &*c, search))
    }

    fn record_coverage(&self, import: CoverageImport) -> Result<CoverageOutcome, StoreError> {
        let mut conn = self.lock()?;
        let e = StoreError::db("recording runtime coverage");
        let tx = conn.transaction().map_err(e)?;
        let asset_id = sql::ingest::asset_id(&mut &*tx, &import.asset, to_ms(import.at))?;
        let outcome = sql::coverage::replace(&mut &*tx, asset_id, &import)?;
        tx.commit()
            .map_err(StoreError::db("recording runtime coverage"))?;
        Ok(outcome)
    }

    fn runtime_coverage(&self, assets: &[String]) -> Result<Vec<CoverageFileRecord>, StoreError> {
        self.read(|c| sql::coverage::coverage_files(&mut &*c, assets))
    }

    fn unassessed_findings(&self, limit: usize) -> Result<Vec<FindingRecord>, StoreError> {
        self.read(|c| sql::query::unassessed_findings(&mut &*c, limit))
    }

    fn last_assessments(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        self.read(|c| sql::risk::last_assessments(&mut &*c, ids))
    }

    fn store_risk(&self, rows: Vec<StoredRisk>) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        risk::store_risk(&mut conn, &rows)
    }

    fn risk_basis(&self) -> Result<Option<String>, StoreError> {
        self.read(|c| sql::risk::risk_basis(&mut &*c))
    }

    fn reset_risk(&self, basis: &str) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "resetting stored risk", |db| {
            sql::risk::reset_risk(db, basis)
        })
    }

    fn finding_summary(
        &self,
        query: &crate::SummaryQuery,
    ) -> Result<crate::FindingSummary, StoreError> {
        // A reader's transaction: groups, scans and assets are of one moment.
        self.read(|conn| sql::summary::finding_summary(&mut &*conn, query))
    }

    fn ready(&self) -> Result<(), StoreError> {
        // A connection of its own: the writer may be held by a long ingest, and a probe must
        // not wait for it.
        let version = if is_private(&self.path) {
            user_version(&*self.lock()?)?
        } else {
            user_version(&open_reader(&self.path)?)?
        };
        let known = schema::MIGRATIONS.len() as i64;
        if version != known {
            return Err(StoreError::Unsupported(format!(
                "the database's schema is version {version}, this build's is {known}"
            )));
        }
        Ok(())
    }

    fn data_version(&self) -> Result<String, StoreError> {
        if is_private(&self.path) {
            // One connection sees everything: its own change count is the version.
            let conn = self.lock()?;
            return Ok(format!("changes:{}", conn.total_changes()));
        }
        let mut watch = self
            .watch
            .lock()
            .map_err(|_| StoreError::Corrupt("a previous database call panicked".to_string()))?;
        if watch.is_none() {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI;
            *watch = Some(
                Connection::open_with_flags(&self.path, flags)
                    .map_err(StoreError::db("opening the database"))?,
            );
        }
        match watch.as_ref() {
            Some(conn) => Ok(format!("data:{}", summary::data_version(conn)?)),
            None => Err(StoreError::Corrupt("no watch connection".to_string())),
        }
    }

    fn run_job(
        &self,
        job: &str,
        every: std::time::Duration,
        now: Timestamp,
        work: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, StoreError> {
        // One run of a job at a time in this process (one server per SQLite file).
        let Some(_running) = JobTurn::take(&self.running_jobs, job)? else {
            return Ok(false);
        };
        let claimed = {
            let mut conn = self.lock()?;
            write(&mut conn, "claiming a job's run", |db| {
                sql::jobs::claim(db, job, now, crate::jobs::due_after(now, every))
            })?
        };
        if !claimed {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let outcome = crate::jobs::run_caught(work);
        let end = crate::jobs::end_of(now, started.elapsed());
        let mut conn = self.lock()?;
        write(&mut conn, "recording a job's run", |db| {
            sql::jobs::finish(db, job, end, &outcome)
        })?;
        Ok(true)
    }

    fn job_runs(&self) -> Result<Vec<crate::JobRunRecord>, StoreError> {
        self.read(|c| sql::jobs::runs(&mut &*c))
    }

    fn run_upload_job(
        &self,
        job: &crate::NewUploadJob,
        recorded: &mut dyn FnMut(),
        work: &mut dyn FnMut() -> crate::UploadJobEnd,
    ) -> Result<(), StoreError> {
        // Alive while this process holds its name (one server per SQLite file).
        let Some(_alive) = JobTurn::take(&self.running_jobs, &upload_job_key(&job.id))? else {
            return Err(StoreError::Invalid(format!(
                "upload job {} runs already",
                job.id
            )));
        };
        {
            let mut conn = self.lock()?;
            write(&mut conn, "recording an upload job", |db| {
                sql::upload_jobs::insert(db, job)
            })?;
        }
        recorded();
        {
            let mut conn = self.lock()?;
            write(&mut conn, "starting an upload job", |db| {
                sql::upload_jobs::start(db, &job.id, job.at)
            })?;
        }
        let started = std::time::Instant::now();
        let end = crate::upload_jobs::run_caught(work);
        let at = crate::jobs::end_of(job.at, started.elapsed());
        let mut conn = self.lock()?;
        write(&mut conn, "recording the end of an upload job", |db| {
            sql::upload_jobs::finish(db, &job.id, end.state, at, end.status, &end.result)
        })?;
        Ok(())
    }

    fn upload_job(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<crate::UploadJobRecord>, StoreError> {
        let Some(found) = self.read(|c| sql::upload_jobs::get(&mut &*c, id))? else {
            return Ok(None);
        };
        if found.state.is_finished() {
            return Ok(Some(found));
        }
        // Not finished and not run by this process (the only server of the file): its
        // server stopped before the end.
        let alive = self
            .running_jobs
            .lock()
            .map_err(|_| poisoned())?
            .contains(&upload_job_key(id));
        if alive {
            return Ok(Some(found));
        }
        let mut conn = self.lock()?;
        write(&mut conn, "recording an interrupted upload job", |db| {
            sql::upload_jobs::finish(
                db,
                id,
                crate::UploadJobState::Failed,
                now,
                500,
                &crate::interrupted_result(),
            )
        })?;
        drop(conn);
        self.read(|c| sql::upload_jobs::get(&mut &*c, id))
    }

    fn integrations(&self) -> Option<&dyn crate::IntegrationStore> {
        Some(self)
    }
}

/// The name an upload job is held under among this process's running jobs.
fn upload_job_key(id: &str) -> String {
    format!("\0upload {id}")
}

/// A job running in this process; the name is freed when it drops.
struct JobTurn<'a> {
    running: &'a Mutex<std::collections::HashSet<String>>,
    job: String,
}

impl<'a> JobTurn<'a> {
    fn take(
        running: &'a Mutex<std::collections::HashSet<String>>,
        job: &str,
    ) -> Result<Option<Self>, StoreError> {
        let mut set = running.lock().map_err(|_| poisoned())?;
        if !set.insert(job.to_string()) {
            return Ok(None);
        }
        Ok(Some(JobTurn {
            running,
            job: job.to_string(),
        }))
    }
}

impl Drop for JobTurn<'_> {
    fn drop(&mut self) {
        let mut set = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        set.remove(&self.job);
    }
}

impl WorkflowStore for SqliteStore {
    fn record_decisions_audited(
        &self,
        changes: Vec<DecisionChange>,
        audit: Option<crate::AuditEntry>,
    ) -> Result<usize, StoreError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut conn = self.lock()?;
        write(&mut conn, "recording triage decisions", |db| {
            let n = sql::workflow::record_decisions(db, &changes)?;
            if let Some(entry) = &audit {
                sql::access::record_audit(db, entry)?;
            }
            Ok(n)
        })
    }

    fn decision(&self, finding_id: i64) -> Result<Option<DecisionRecord>, StoreError> {
        self.read(|c| sql::workflow::decision(&mut &*c, finding_id))
    }

    fn decisions(&self, asset: Option<&str>) -> Result<Vec<DecisionRecord>, StoreError> {
        self.read(|c| sql::workflow::decisions(&mut &*c, asset))
    }

    fn expire_decisions(&self, now: Timestamp) -> Result<Vec<ExpiredDecision>, StoreError> {
        let mut conn = self.lock()?;
        // The common case (nothing expired) takes no write lock.
        if !sql::workflow::any_expiring(&mut &*conn, now)? {
            return Ok(Vec::new());
        }
        write(&mut conn, "expiring risk acceptances", |db| {
            sql::workflow::expire_decisions(db, now)
        })
    }

    fn event_log(&self, query: &EventQuery) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|c| sql::workflow::event_log(&mut &*c, query))
    }

    fn append_events(&self, events: Vec<NewEvent>) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        workflow::append_events(&mut conn, events)
    }

    fn scan_coverage(
        &self,
        asset: Option<&str>,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<ScanCoverageRow>, StoreError> {
        self.read(|c| sql::workflow::scan_coverage(&mut &*c, asset, since, until))
    }

    fn asset_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| sql::workflow::asset_names(&mut &*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    fn file_store(dir: &tempfile::TempDir, readers: usize) -> SqliteStore {
        let path = dir.path().join("posture.db");
        SqliteStore::open_with_readers(&path.to_string_lossy(), readers).expect("open")
    }

    /// The reason for the readers: a read never queues behind the writer (an ingest holds it
    /// for its whole transaction). Fails with `open_with_readers(.., 0)`.
    #[test]
    fn reads_do_not_wait_for_the_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(file_store(&dir, DEFAULT_SQLITE_READERS));
        store.reset_risk("config:a").expect("write");
        let writer = store.lock().expect("writer");
        let (tx, rx) = std::sync::mpsc::channel();
        let reading = store.clone();
        std::thread::spawn(move || {
            let basis = reading.risk_basis();
            let listed = reading.findings(&FindingQuery::default()).map(|l| l.len());
            let _ = tx.send((basis, listed));
        });
        let got = rx.recv_timeout(Duration::from_secs(10));
        drop(writer);
        let (basis, listed) = got.expect("a read waited for the writer");
        assert_eq!(basis.expect("basis").as_deref(), Some("config:a"));
        assert_eq!(listed.expect("list"), 0);
    }

    /// Each read is a new read transaction: it sees what was committed before it, never an
    /// older snapshot the reader kept.
    #[test]
    fn readers_see_every_committed_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = file_store(&dir, 2);
        assert_eq!(store.readers.len(), 2);
        assert_eq!(store.risk_basis().expect("read"), None);
        for basis in ["config:a", "config:b", "config:c"] {
            store.reset_risk(basis).expect("write");
            assert_eq!(store.risk_basis().expect("read").as_deref(), Some(basis));
        }
        // a reader left holding a read transaction would still see the old basis
        let held = store.read_conn().expect("reader");
        store.reset_risk("config:d").expect("write");
        assert_eq!(
            store.risk_basis().expect("read").as_deref(),
            Some("config:d"),
            "the other reader reads the new basis"
        );
        drop(held);
        assert_eq!(
            store.risk_basis().expect("read").as_deref(),
            Some("config:d")
        );
    }

    /// An in-memory database exists in one connection only: the writer reads too.
    #[test]
    fn in_memory_databases_read_on_the_writer() {
        for path in [":memory:", "file:x?mode=memory&cache=shared", ""] {
            let store = SqliteStore::open(path).expect("open");
            assert!(store.readers.is_empty(), "{path}");
            store.reset_risk("config:m").expect("write");
            assert_eq!(
                store.risk_basis().expect("read").as_deref(),
                Some("config:m"),
                "{path}"
            );
        }
    }
}
