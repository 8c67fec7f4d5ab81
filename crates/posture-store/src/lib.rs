//! Storage for scans, occurrences, findings and the event log, behind one trait.
//!
//! [`Store`] is the only way the rest of Posture reaches the database. Its signatures carry
//! Posture's own types, never a database driver's: the embedded SQLite back end
//! ([`SqliteStore`]) and the PostgreSQL one ([`PostgresStore`], for teams) implement it alike
//! and pass the same tests. It is bulk-oriented: an ingest is one call that
//! writes a whole scan in one transaction, loads the scope's state in one query, lets
//! `posture-engine` decide every change in memory, then writes the plan with prepared
//! statements (no per-finding round trips for reads).
//!
//! Async: the trait is synchronous, `Send + Sync`, and its methods take owned inputs, so an
//! async server calls it from `tokio::task::spawn_blocking` (a database call is blocking work
//! either way; SQLite has no async I/O). Each back end serializes writers itself.
//!
//! Architecture invariant: no parser and no terminal code here; the store never decides a
//! lifecycle transition itself: the engine does, so both back ends behave the same.

mod access;
mod access_types;
mod branches;
mod error;
mod ingest_flow;
mod integration_store;
mod integration_types;
mod jobs;
mod postgres;
pub mod schema;
pub mod secret_key;
mod sql;
mod sqlite;
mod stored;
mod summary;
#[cfg(feature = "testing")]
pub mod testing;
mod types;
mod upload_jobs;
mod workflow;
mod workflow_types;

pub use crate::postgres::{DEFAULT_POOL_SIZE, PostgresStore};
pub use access::AccessStore;
pub use access_types::*;
pub use branches::{BranchRecord, BranchStore, RetiredBranch};
pub use error::StoreError;
pub use integration_store::IntegrationStore;
pub use integration_types::*;
pub use jobs::JobRunRecord;
pub use schema::{MigrationReport, SCHEMA_VERSION, migrate};
pub use sqlite::backup::BackupReport;
pub use sqlite::{DEFAULT_SQLITE_READERS, SqliteStore};
pub use summary::{FindingSummary, ScanGroup, SummaryGroup, SummaryQuery};
pub use types::*;
pub use upload_jobs::{
    NewUploadJob, UploadJobEnd, UploadJobRecord, UploadJobState, interrupted_result,
};
pub use workflow::WorkflowStore;
pub use workflow_types::*;

/// Everything Posture stores, as one bulk-oriented interface.
pub trait Store: WorkflowStore + BranchStore + Send + Sync {
    /// The installation's secret key (see [`secret_key`]): the key every secret hash is keyed
    /// with before it is stored. Resolved on first use and checked against the check value the
    /// database records (recorded by the first writer); a different key is an error.
    fn secret_key(&self) -> Result<posture_model::SecretKey, StoreError>;

    /// Uses `key` as the installation's secret key for this handle, before the environment or
    /// a key file (tests; an embedding program). Has no effect once a key is in use.
    fn use_secret_key(&self, key: posture_model::SecretKey);

    /// Writes one ingest (one or more reports for one asset and branch) in one transaction:
    /// all or nothing.
    fn ingest(&self, batch: IngestBatch) -> Result<IngestOutcome, StoreError> {
        self.ingest_audited(batch, &|_| None)
    }

    /// [`Store::ingest`], with the audit entry `audit` builds from the outcome written in the
    /// same transaction (an upload is never stored unaudited, nor audited unstored).
    fn ingest_audited(
        &self,
        batch: IngestBatch,
        audit: AuditOf<'_, IngestOutcome>,
    ) -> Result<IngestOutcome, StoreError>;

    /// When this exact report (by SHA-256) was ingested for the asset and branch and is still
    /// the last scan of every scope it went into, re-ingesting it changes nothing: returns the
    /// outcome of such a re-ingest without parsing it again. `None` otherwise.
    fn identical_report(
        &self,
        asset: &str,
        branch: &str,
        target: &str,
        sha256: &str,
    ) -> Result<Option<Vec<ScopeOutcome>>, StoreError>;

    /// Findings matching the query, with their occurrences.
    fn findings(&self, query: &FindingQuery) -> Result<Vec<FindingRecord>, StoreError>;

    /// One finding with its occurrences, or `None`.
    fn finding(&self, id: i64) -> Result<Option<FindingRecord>, StoreError>;

    /// The event log of one finding, oldest first.
    fn events(&self, finding_id: i64) -> Result<Vec<EventRecord>, StoreError>;

    /// Scans, newest first.
    fn scans(&self, query: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError>;

    /// Records a person's triage decision on a finding (and its event).
    fn triage(&self, change: TriageChange) -> Result<FindingRecord, StoreError>;

    /// A person merges finding `from` into `into` (same asset): its occurrences move, it is
    /// kept as merged for the record, and later ingests respect it.
    fn merge(&self, decision: MergeDecision) -> Result<FindingRecord, StoreError>;

    /// A person splits an occurrence out of its finding into a finding of its own; later
    /// ingests never correlate it with the finding's other occurrences again.
    fn split(&self, decision: SplitDecision) -> Result<FindingRecord, StoreError>;

    /// Suggested duplicates, newest first.
    fn suggestions(
        &self,
        asset: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<SuggestionRecord>, StoreError>;

    /// Accepts (merges) or rejects a suggested duplicate.
    fn decide_suggestion(
        &self,
        decision: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError>;

    /// Replaces the stored CISA KEV catalog with this one (one transaction) and records the
    /// import.
    fn import_kev(&self, catalog: KevImport) -> Result<FeedImportRecord, StoreError>;

    /// Replaces the stored FIRST EPSS scores with these (one transaction) and records the
    /// import.
    fn import_epss(&self, feed: EpssImport) -> Result<FeedImportRecord, StoreError>;

    /// What the feeds say of each of these CVE ids (set-based; ids the feeds do not list are
    /// absent from the map). Ids are matched exactly: pass them normalized (`CVE-2021-44228`).
    fn feed_facts(
        &self,
        cves: &[String],
    ) -> Result<std::collections::HashMap<String, FeedFacts>, StoreError>;

    /// Feed imports, newest first.
    fn feed_imports(&self) -> Result<Vec<FeedImportRecord>, StoreError>;

    /// The runtime inventory (components of the last runtime ingest of each target) of these
    /// assets.
    fn runtime_components(
        &self,
        assets: &[String],
    ) -> Result<Vec<RuntimeComponentRecord>, StoreError>;

    /// The component inventory: packages per asset and version, from the findings' open
    /// occurrences and the runtime SBOMs, with open findings counts; `search`: text, any
    /// case, in the package's name or purl.
    fn components(&self, search: Option<&str>) -> Result<Vec<ComponentRow>, StoreError>;

    /// Replaces the runtime coverage of (asset, environment) with this report's (one
    /// transaction, under the asset's writer lock; the asset is recorded on first sight) and
    /// marks the asset's findings to assess again. Never creates or changes a finding.
    fn record_coverage(&self, import: CoverageImport) -> Result<CoverageOutcome, StoreError>;

    /// The runtime coverage of these assets (every environment), by asset, environment, path.
    fn runtime_coverage(&self, assets: &[String]) -> Result<Vec<CoverageFileRecord>, StoreError>;

    /// Up to `limit` findings whose stored risk is to (re)assess: never assessed, or touched
    /// since by an ingest, a feed import, a runtime inventory, a merge or a split. Oldest
    /// first, with occurrences.
    fn unassessed_findings(&self, limit: usize) -> Result<Vec<FindingRecord>, StoreError>;

    /// Stores assessed risk (score, band, owning team, the assessment in short) in one
    /// transaction, with a `rescored` event for each stored row that carries a change;
    /// returns how many findings were updated.
    fn store_risk(&self, rows: Vec<StoredRisk>) -> Result<usize, StoreError>;

    /// The last stored assessment in short ([`StoredRisk::last`]) of these findings, where
    /// one was stored.
    fn last_assessments(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError>;

    /// The fingerprint of the configuration (portfolio, CODEOWNERS, weights, model) the
    /// stored scores were computed under; `None` before any assessment.
    fn risk_basis(&self) -> Result<Option<String>, StoreError>;

    /// Marks every finding "to assess" under a new basis (the configuration changed).
    fn reset_risk(&self, basis: &str) -> Result<usize, StoreError>;

    /// Grouped counts of every finding (not merged away) and of the scans: the dashboard's
    /// overview, computed by the database in one pass (see the `summary` module).
    fn finding_summary(&self, query: &SummaryQuery) -> Result<FindingSummary, StoreError>;

    /// A token that changes whenever data was committed (by this process or any other)
    /// since it was last read: equal tokens mean nothing changed, so a cache computed after
    /// reading a token is good while the token stays the same. Compare for equality only.
    fn data_version(&self) -> Result<String, StoreError>;

    /// Whether the database answers and its schema is the one this build knows (the server's
    /// readiness probe): an error says which is not so.
    fn ready(&self) -> Result<(), StoreError> {
        self.data_version().map(|_| ())
    }

    /// The database server's current time, when the back end has a clock of its own
    /// (PostgreSQL's `clock_timestamp()`); `None` for a SQLite file, whose only clock is the
    /// local one. Processes sharing a database take their time from it
    /// (`posture_app::DatabaseClock`), so that one fast or slow host neither expires
    /// acceptances early nor dates scans in the past.
    fn database_time(&self) -> Result<Option<posture_model::Timestamp>, StoreError> {
        Ok(None)
    }

    /// Runs `work` as this period's run of the scheduled job `job`, unless another process
    /// runs the job now (PostgreSQL: `pg_try_advisory_lock` per job, held on one connection
    /// for the run; SQLite: a lock in this process) or its last run started less than `every`
    /// before `now` (the claim in `job_runs`): servers sharing a database run each period
    /// once. Records how the run ended (`work`'s summary or error; a panic is a failure).
    /// Answers whether it ran. See the `jobs` module.
    fn run_job(
        &self,
        job: &str,
        every: std::time::Duration,
        now: posture_model::Timestamp,
        work: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, StoreError>;

    /// What each scheduled job last did, by name.
    fn job_runs(&self) -> Result<Vec<JobRunRecord>, StoreError>;

    /// Runs an upload job (see the `upload_jobs` module): records `job` as queued, calls
    /// `recorded` (the caller may now answer 202 with the job's address), marks it running,
    /// runs `work` and records how it ended. The job counts as alive for the whole call
    /// (PostgreSQL: a session advisory lock; SQLite: this process's list of its jobs), so a
    /// read by any server tells a running job from one whose server stopped. A panic in `work`
    /// ends the job as failed. Errors are the store's own (recording the job).
    fn run_upload_job(
        &self,
        job: &NewUploadJob,
        recorded: &mut dyn FnMut(),
        work: &mut dyn FnMut() -> UploadJobEnd,
    ) -> Result<(), StoreError>;

    /// An upload job by id; one queued or running whose server no longer runs it is recorded
    /// failed (interrupted, at `now`) and answered so. `None` when there is no such job.
    fn upload_job(
        &self,
        id: &str,
        now: posture_model::Timestamp,
    ) -> Result<Option<UploadJobRecord>, StoreError>;

    /// The integrations' storage (outbox, Jira links, conflicts), when this back end has it.
    fn integrations(&self) -> Option<&dyn IntegrationStore> {
        None
    }
}

/// Opens the store a `--database` value names: a `postgres://` or `postgresql://` URL opens
/// the PostgreSQL back end; anything else is a SQLite file path. A new, empty database is
/// created at this build's schema; one at an older or newer schema is refused
/// ([`StoreError::SchemaOutdated`], [`StoreError::SchemaTooNew`]): only [`migrate`] upgrades.
pub fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    if is_postgres_url(location) {
        return Ok(Box::new(PostgresStore::open(location)?));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// A `--database` value as messages show it: a PostgreSQL URL without its password, a SQLite
/// path as it is.
pub fn display_location(location: &str) -> String {
    if is_postgres_url(location) {
        postgres::redact_url(location)
    } else {
        location.to_string()
    }
}

/// Whether a `--database` value names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// [`open_with_access`] with at most `pool_size` connections in each PostgreSQL pool (one
/// for ingests, one for every other call); `None` keeps the default. SQLite ignores it.
pub fn open_with_access_pool(
    location: &str,
    pool_size: Option<usize>,
) -> Result<Box<dyn AccessStore>, StoreError> {
    if is_postgres_url(location) {
        return Ok(Box::new(PostgresStore::open_with_pool_size(
            location,
            pool_size.unwrap_or(DEFAULT_POOL_SIZE),
        )?));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// Opens the store a `--database` value names with access control (the server's handle):
/// one object for [`Store`] and [`AccessStore`].
pub fn open_with_access(location: &str) -> Result<Box<dyn AccessStore>, StoreError> {
    if is_postgres_url(location) {
        return Ok(Box::new(PostgresStore::open(location)?));
    }
    Ok(Box::new(SqliteStore::open(location)?))
}

/// How to back up and restore a PostgreSQL database (Posture's own commands copy SQLite files).
pub const POSTGRES_BACKUP_HINT: &str = "back a PostgreSQL database up with its own tools: `pg_dump --format=custom --file=posture.dump \"$DATABASE_URL\"`, and restore with `pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" posture.dump` (docs/design/storage.md)";

/// `posture backup`: writes a consistent copy of the SQLite database `location` names to the
/// new file `file` while writers go on (SQLite's online backup API), checked before it is
/// renamed into place. PostgreSQL databases are backed up with `pg_dump`
/// ([`POSTGRES_BACKUP_HINT`]).
pub fn backup(location: &str, file: &std::path::Path) -> Result<BackupReport, StoreError> {
    if is_postgres_url(location) {
        return Err(StoreError::Unsupported(POSTGRES_BACKUP_HINT.to_string()));
    }
    sqlite::backup::backup(location, file)
}

/// `posture restore`: replaces the SQLite database `location` names with the backup `file`
/// (checked first); refused over a database that holds data unless `force`.
pub fn restore(
    location: &str,
    file: &std::path::Path,
    force: bool,
) -> Result<BackupReport, StoreError> {
    if is_postgres_url(location) {
        return Err(StoreError::Unsupported(POSTGRES_BACKUP_HINT.to_string()));
    }
    sqlite::backup::restore(location, file, force)
}
