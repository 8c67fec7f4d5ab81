//! The embedded SQLite back end: one file, created on first use, WAL journal.

mod access;
mod decisions;
mod feeds;
mod ingest;
mod integrations;
mod query;
mod risk;
mod runtime;
mod schema;
mod summary;
mod workflow;

pub(crate) use crate::stored::{from_ms, to_ms};
use crate::{
    DecisionChange, DecisionRecord, EventQuery, ExpiredDecision, NewEvent, ScanCoverageRow,
    WorkflowStore,
};
use crate::{
    EpssImport, EventRecord, FeedFacts, FeedImportRecord, FindingQuery, FindingRecord, IngestBatch,
    IngestOutcome, KevImport, MergeDecision, RuntimeComponentRecord, ScanQuery, ScanRecord,
    ScopeOutcome, SplitDecision, Store, StoreError, StoredRisk, SuggestionDecision,
    SuggestionRecord, TriageChange,
};
use posture_model::Timestamp;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::sync::Mutex;

/// A SQLite database file (or `:memory:`).
pub struct SqliteStore {
    path: String,
    conn: Mutex<Connection>,
    /// A connection that never writes, opened on first use, whose `PRAGMA data_version`
    /// tells when anyone committed (`Store::data_version`).
    watch: Mutex<Option<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(StoreError::db("opening the database"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(StoreError::db("configuring the database"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )
        .map_err(StoreError::db("configuring the database"))?;
        let store = SqliteStore {
            path: path.to_string(),
            conn: Mutex::new(conn),
            watch: Mutex::new(None),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let known = schema::MIGRATIONS.len() as i64;
        if user_version(&conn)? == known {
            return Ok(());
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
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .map_err(StoreError::db("migrating the schema"))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(StoreError::db("migrating the schema"))?;
        }
        tx.commit().map_err(StoreError::db("migrating the schema"))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Corrupt("a previous database call panicked".to_string()))
    }
}

/// Whether `path` names a database only this connection can see.
fn in_memory(path: &str) -> bool {
    path == ":memory:" || path.is_empty() || path.contains("mode=memory")
}

fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(StoreError::db("reading the schema version"))
}

impl Store for SqliteStore {
    fn ingest(&self, batch: IngestBatch) -> Result<IngestOutcome, StoreError> {
        let mut conn = self.lock()?;
        ingest::ingest(&mut conn, batch)
    }

    fn identical_report(
        &self,
        asset: &str,
        branch: &str,
        target: &str,
        sha256: &str,
    ) -> Result<Option<Vec<ScopeOutcome>>, StoreError> {
        let conn = self.lock()?;
        ingest::identical_report(&conn, asset, branch, target, sha256)
    }

    fn findings(&self, query: &FindingQuery) -> Result<Vec<FindingRecord>, StoreError> {
        let conn = self.lock()?;
        query::findings(&conn, query)
    }

    fn finding(&self, id: i64) -> Result<Option<FindingRecord>, StoreError> {
        let conn = self.lock()?;
        query::finding(&conn, id)
    }

    fn events(&self, finding_id: i64) -> Result<Vec<EventRecord>, StoreError> {
        let conn = self.lock()?;
        query::events(&conn, finding_id)
    }

    fn scans(&self, query: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError> {
        let conn = self.lock()?;
        query::scans(&conn, query)
    }

    fn triage(&self, change: TriageChange) -> Result<FindingRecord, StoreError> {
        let mut conn = self.lock()?;
        query::triage(&mut conn, change)
    }

    fn merge(&self, decision: MergeDecision) -> Result<FindingRecord, StoreError> {
        let mut conn = self.lock()?;
        decisions::merge(&mut conn, decision)
    }

    fn split(&self, decision: SplitDecision) -> Result<FindingRecord, StoreError> {
        let mut conn = self.lock()?;
        decisions::split(&mut conn, decision)
    }

    fn suggestions(
        &self,
        asset: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<SuggestionRecord>, StoreError> {
        let conn = self.lock()?;
        decisions::suggestions(&conn, asset, open_only, None)
    }

    fn decide_suggestion(
        &self,
        decision: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError> {
        let mut conn = self.lock()?;
        decisions::decide_suggestion(&mut conn, decision)
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
        let conn = self.lock()?;
        feeds::feed_facts(&conn, cves)
    }

    fn feed_imports(&self) -> Result<Vec<FeedImportRecord>, StoreError> {
        let conn = self.lock()?;
        feeds::feed_imports(&conn)
    }

    fn runtime_components(
        &self,
        assets: &[String],
    ) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
        let conn = self.lock()?;
        runtime::runtime_components(&conn, assets)
    }

    fn unassessed_findings(&self, limit: usize) -> Result<Vec<FindingRecord>, StoreError> {
        let conn = self.lock()?;
        query::unassessed_findings(&conn, limit)
    }

    fn store_risk(&self, rows: Vec<StoredRisk>) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        risk::store_risk(&mut conn, &rows)
    }

    fn risk_basis(&self) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        risk::risk_basis(&conn)
    }

    fn reset_risk(&self, basis: &str) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        risk::reset_risk(&mut conn, basis)
    }

    fn finding_summary(
        &self,
        query: &crate::SummaryQuery,
    ) -> Result<crate::FindingSummary, StoreError> {
        let conn = self.lock()?;
        summary::finding_summary(&conn, query)
    }

    fn data_version(&self) -> Result<String, StoreError> {
        if in_memory(&self.path) {
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

    fn integrations(&self) -> Option<&dyn crate::IntegrationStore> {
        Some(self)
    }
}

impl WorkflowStore for SqliteStore {
    fn record_decisions(&self, changes: Vec<DecisionChange>) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        workflow::record_decisions(&mut conn, changes)
    }

    fn decision(&self, finding_id: i64) -> Result<Option<DecisionRecord>, StoreError> {
        let conn = self.lock()?;
        workflow::decision(&conn, finding_id)
    }

    fn decisions(&self, asset: Option<&str>) -> Result<Vec<DecisionRecord>, StoreError> {
        let conn = self.lock()?;
        workflow::decisions(&conn, asset)
    }

    fn expire_decisions(&self, now: Timestamp) -> Result<Vec<ExpiredDecision>, StoreError> {
        let mut conn = self.lock()?;
        workflow::expire_decisions(&mut conn, now)
    }

    fn event_log(&self, query: &EventQuery) -> Result<Vec<EventRecord>, StoreError> {
        let conn = self.lock()?;
        workflow::event_log(&conn, query)
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
        let conn = self.lock()?;
        workflow::scan_coverage(&conn, asset, since, until)
    }

    fn asset_names(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.lock()?;
        workflow::asset_names(&conn)
    }
}
