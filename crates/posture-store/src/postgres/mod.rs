//! The PostgreSQL back end, for teams: several `posture serve` processes and CI uploads share
//! one database.
//!
//! Why it looks like this: the [`Store`] trait is synchronous (the server calls it from
//! `spawn_blocking`), so the driver is the synchronous `postgres` crate, with a small pool of
//! connections ([`pool`]). The schema mirrors SQLite's column for column (BIGINT ids and
//! unix-millisecond timestamps, BYTEA keys, JSON kept as TEXT), so both back ends read into the
//! same records. Writers of one asset are serialized across processes with a transaction-level
//! advisory lock on the asset's name ([`asset_lock`]), and, within one process, ingests of one
//! asset queue before they borrow a connection ([`AssetTurns`]), on a pool of their own: an
//! ingest holds its connection for its whole transaction, so ingests waiting for their asset
//! would otherwise hold every connection and starve the readers; the ingest's steps are
//! [`crate::ingest_flow`]'s, so the engine decides every lifecycle change on both back ends;
//! bulk rows go in with `COPY ... FROM STDIN BINARY` and set-based statements over arrays.

mod access;
mod branches;
mod decisions;
mod feeds;
mod ingest;
mod integrations;
mod pool;
mod risk;
mod runtime;
pub(crate) mod schema;
mod summary;
pub mod tls;
mod workflow;

use crate::IntegrationStore;
use crate::schema::{MigrationReport, Upgrade};
use crate::sql;
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
use pool::Pool;
use posture_model::Timestamp;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// How many connections one store keeps at most in each of its two pools, one for ingests
/// and one for every other call (each server worker thread borrows one per call).
pub const DEFAULT_POOL_SIZE: usize = 8;

/// A PostgreSQL database, reached by URL (`postgres://user@host:port/dbname`).
pub struct PostgresStore {
    /// Every call but ingests.
    pool: Pool,
    /// Ingests (each holds its connection for its whole transaction).
    ingest_pool: Pool,
    /// In-process queue of ingests per asset.
    turns: AssetTurns,
    /// The installation's secret key given to this handle (`Store::use_secret_key`).
    given_key: std::sync::OnceLock<posture_model::SecretKey>,
    /// The installation's secret key once resolved and checked against the database.
    secret_key: std::sync::OnceLock<posture_model::SecretKey>,
}

/// Ingests of one asset in this process, one at a time, first come first served, before
/// any connection is borrowed (the advisory lock still orders them against other
/// processes).
#[derive(Default)]
struct AssetTurns {
    /// Per asset being ingested: (next ticket to hand out, ticket being served).
    queues: Mutex<HashMap<String, (u64, u64)>>,
    next: Condvar,
}

/// An asset's turn; the next ingest of the asset goes when it drops.
struct AssetTurn<'a> {
    turns: &'a AssetTurns,
    asset: String,
}

impl AssetTurns {
    fn enter(&self, asset: &str) -> Result<AssetTurn<'_>, StoreError> {
        let poisoned = |_| StoreError::Corrupt("a previous ingest panicked".to_string());
        let mut queues = self.queues.lock().map_err(poisoned)?;
        let entry = queues.entry(asset.to_string()).or_insert((0, 0));
        let ticket = entry.0;
        entry.0 += 1;
        while queues.get(asset).is_some_and(|q| q.1 != ticket) {
            queues = self.next.wait(queues).map_err(poisoned)?;
        }
        Ok(AssetTurn {
            turns: self,
            asset: asset.to_string(),
        })
    }
}

impl Drop for AssetTurn<'_> {
    fn drop(&mut self) {
        let mut queues = self
            .turns
            .queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(q) = queues.get_mut(&self.asset) {
            q.1 += 1;
            if q.1 == q.0 {
                queues.remove(&self.asset);
            }
        }
        drop(queues);
        self.turns.next.notify_all();
    }
}

impl PostgresStore {
    /// Connects, and creates or migrates the schema.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with_pool_size(url, DEFAULT_POOL_SIZE)
    }

    /// [`PostgresStore::open`] with at most `max_connections` connections in each pool (one
    /// for ingests, one for everything else).
    pub fn open_with_pool_size(url: &str, max_connections: usize) -> Result<Self, StoreError> {
        let (config, connector) = parse_url(url)?;
        let store = PostgresStore {
            pool: Pool::new(
                config.clone(),
                connector.clone(),
                redact_url(url),
                max_connections.max(1),
            ),
            ingest_pool: Pool::new(config, connector, redact_url(url), max_connections.max(1)),
            turns: AssetTurns::default(),
            given_key: std::sync::OnceLock::new(),
            secret_key: std::sync::OnceLock::new(),
        };
        let mut client = store.pool.get()?;
        schema::migrate(&mut client, store.pool.name(), Upgrade::Refuse)?;
        drop(client);
        Ok(store)
    }

    /// `posture migrate` on a PostgreSQL database: creates or upgrades its schema (see
    /// [`crate::migrate`]).
    pub(crate) fn migrate_database(url: &str) -> Result<MigrationReport, StoreError> {
        let (config, connector) = parse_url(url)?;
        let pool = Pool::new(config, connector, redact_url(url), 1);
        let mut client = pool.get()?;
        let from = schema::migrate(&mut client, pool.name(), Upgrade::Apply)?;
        Ok(MigrationReport::new(
            redact_url(url),
            from,
            schema::MIGRATIONS.len() as i64,
        ))
    }
}

/// The driver's configuration and TLS connector of a URL. TLS parameters (sslmode,
/// sslrootcert) are ours to read: the driver knows only disable/prefer/require and no CA file.
fn parse_url(url: &str) -> Result<(postgres::Config, tls::MakeRustls), StoreError> {
    let tls = tls::split_url(url, |k| std::env::var(k).ok())?;
    let connector = tls::connector(&tls)?;
    let mut config: postgres::Config = tls.url.parse().map_err(|e: postgres::Error| {
        StoreError::Invalid(format!(
            "{} is not a PostgreSQL connection URL: {}",
            redact_url(url),
            // the driver's message may quote the URL's parts; never its password
            redact_url(&e.to_string())
        ))
    })?;
    config.ssl_mode(tls::driver_mode(tls.mode));
    if config.get_application_name().is_none() {
        config.application_name("posture");
    }
    Ok((config, connector))
}

/// An ingest that changed at least this many occurrences refreshes the planner's statistics
/// of the tables it grew.
const ANALYZE_AFTER_ROWS: usize = 10_000;

/// The URL with its password hidden, for messages (in the user part and in a `password=`
/// parameter).
pub(crate) fn redact_url(url: &str) -> String {
    // `password=...` parameters (the URL's query, or a key=value connection string).
    let mut url = url.to_string();
    let mut from = 0;
    while let Some(i) = url[from..].find("password=").map(|i| from + i) {
        let start = i + "password=".len();
        let end = url[start..]
            .find(['&', ' '])
            .map_or(url.len(), |e| start + e);
        url.replace_range(start..end, "***");
        from = start + 3;
    }
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let rest = &url[scheme_end + 3..];
    // The user information ends at an `@`; the driver takes the first, but a password may
    // hold `/`, `?`, `:` or `@` that its writer did not percent-encode: everything up to the
    // last `@` is hidden (too much, at worst, never too little).
    let Some(at) = rest.rfind('@') else {
        return url;
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url,
    }
}

/// The advisory lock key that serializes every writer of one asset (ingests and people's
/// correlation decisions) across connections and processes.
/// The advisory lock an upload job's server holds while the job is queued or running.
fn upload_job_lock(id: &str) -> i64 {
    asset_lock(&format!("\0upload job {id}"))
}

pub(crate) fn asset_lock(asset: &str) -> i64 {
    let mut h = blake3::Hasher::new();
    h.update(b"posture-asset-writer\0");
    h.update(asset.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&h.finalize().as_bytes()[..8]);
    i64::from_le_bytes(bytes)
}

/// The advisory lock key of a feed's import.
pub(crate) fn feed_lock(kind: &str) -> i64 {
    asset_lock(&format!("\0feed {kind}"))
}

pub(crate) fn lock(
    tx: &mut postgres::Transaction<'_>,
    key: i64,
    context: &'static str,
) -> Result<(), StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
        .map_err(StoreError::pg(context))?;
    Ok(())
}

/// PostgreSQL text cannot hold NUL characters (SQLite can): the bulk writes store a NUL in a
/// scanner's text as U+FFFD, as the port does for every argument of `crate::sql`.
pub(crate) use crate::sql::pg_text as text;

pub(crate) fn opt_text(s: Option<&str>) -> Option<Cow<'_, str>> {
    s.map(text)
}

/// Runs `f` in a transaction (committed when `f` succeeds, rolled back otherwise): the
/// statements of `crate::sql` that write.
fn write<T>(
    client: &mut postgres::Client,
    context: &'static str,
    f: impl FnOnce(&mut dyn sql::Db) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut tx = client.transaction().map_err(StoreError::pg(context))?;
    let out = f(&mut tx)?;
    tx.commit().map_err(StoreError::pg(context))?;
    Ok(out)
}

impl Store for PostgresStore {
    fn secret_key(&self) -> Result<posture_model::SecretKey, StoreError> {
        use crate::secret_key as sk;
        if let Some(key) = self.secret_key.get() {
            return Ok(key.clone());
        }
        let key = match self.given_key.get() {
            Some(key) => key.clone(),
            None => sk::key_from_environment()?
                .ok_or_else(|| sk::missing_for_postgres(self.pool.name()))?,
        };
        let mut client = self.pool.get()?;
        let stored = sql::secret_key::key_check(&mut *client, Some(&key.check_value()))?
            .ok_or_else(|| {
                StoreError::Corrupt("the secret key's check value was not recorded".into())
            })?;
        sk::verify(&key, &stored, self.pool.name())?;
        Ok(self.secret_key.get_or_init(|| key).clone())
    }

    fn use_secret_key(&self, key: posture_model::SecretKey) {
        let _ = self.given_key.set(key);
    }

    fn database_time(&self) -> Result<Option<Timestamp>, StoreError> {
        let e = StoreError::pg("reading the database's clock");
        let mut client = self.pool.get()?;
        let ms: i64 = client
            .query_one(
                "SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)",
                &[],
            )
            .map_err(e)?
            .try_get(0)
            .map_err(e)?;
        Timestamp::from_millisecond(ms)
            .map(Some)
            .map_err(|err| StoreError::Corrupt(format!("the database's clock: {err}")))
    }

    fn run_job(
        &self,
        job: &str,
        every: std::time::Duration,
        now: Timestamp,
        work: &mut dyn FnMut() -> Result<String, String>,
    ) -> Result<bool, StoreError> {
        let e = StoreError::pg("taking a job's lock");
        let key = asset_lock(&format!("\0job {job}"));
        // This connection holds the job's session lock for the whole run; the work borrows
        // others. Should this server die, PostgreSQL ends the session and frees the lock.
        let mut holder = self.pool.get()?;
        let got: bool = holder
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .map_err(e)?
            .try_get(0)
            .map_err(e)?;
        if !got {
            return Ok(false);
        }
        let ran = (|| {
            if !sql::jobs::claim(&mut *holder, job, now, crate::jobs::due_after(now, every))? {
                return Ok(false);
            }
            let started = std::time::Instant::now();
            let outcome = crate::jobs::run_caught(work);
            let end = crate::jobs::end_of(now, started.elapsed());
            sql::jobs::finish(&mut *holder, job, end, &outcome)?;
            Ok(true)
        })();
        holder
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .map_err(StoreError::pg("releasing a job's lock"))?;
        ran
    }

    fn job_runs(&self) -> Result<Vec<crate::JobRunRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::jobs::runs(&mut *client)
    }

    fn run_upload_job(
        &self,
        job: &crate::NewUploadJob,
        recorded: &mut dyn FnMut(),
        work: &mut dyn FnMut() -> crate::UploadJobEnd,
    ) -> Result<(), StoreError> {
        let e = StoreError::pg("taking an upload job's lock");
        let key = upload_job_lock(&job.id);
        // This connection holds the job's session lock from before its record exists to
        // after its end is recorded: any server reading the job while it is queued or running
        // finds the lock taken. Should this server die, PostgreSQL frees it with the session.
        let mut holder = self.pool.get()?;
        let got: bool = holder
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .map_err(e)?
            .try_get(0)
            .map_err(e)?;
        if !got {
            return Err(StoreError::Invalid(format!(
                "upload job {} runs already",
                job.id
            )));
        }
        let ran = (|| {
            sql::upload_jobs::insert(&mut *holder, job)?;
            recorded();
            sql::upload_jobs::start(&mut *holder, &job.id, job.at)?;
            let started = std::time::Instant::now();
            let end = crate::upload_jobs::run_caught(work);
            let at = crate::jobs::end_of(job.at, started.elapsed());
            sql::upload_jobs::finish(
                &mut *holder,
                &job.id,
                end.state,
                at,
                end.status,
                &end.result,
            )?;
            Ok(())
        })();
        holder
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .map_err(StoreError::pg("releasing an upload job's lock"))?;
        ran
    }

    fn upload_job(
        &self,
        id: &str,
        now: Timestamp,
    ) -> Result<Option<crate::UploadJobRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let Some(found) = sql::upload_jobs::get(&mut *client, id)? else {
            return Ok(None);
        };
        if found.state.is_finished() {
            return Ok(Some(found));
        }
        // The lock free means no server runs the job any more: it stopped before the end.
        let e = StoreError::pg("checking an upload job's lock");
        let key = upload_job_lock(id);
        let free: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .map_err(e)?
            .try_get(0)
            .map_err(e)?;
        if !free {
            return Ok(Some(found));
        }
        let marked = sql::upload_jobs::finish(
            &mut *client,
            id,
            crate::UploadJobState::Failed,
            now,
            500,
            &crate::interrupted_result(),
        );
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .map_err(StoreError::pg("releasing an upload job's lock"))?;
        marked?;
        sql::upload_jobs::get(&mut *client, id)
    }

    fn ingest_audited(
        &self,
        batch: IngestBatch,
        audit: crate::AuditOf<'_, IngestOutcome>,
    ) -> Result<IngestOutcome, StoreError> {
        let _turn = self.turns.enter(&batch.asset)?;
        let mut client = self.ingest_pool.get()?;
        let outcome = ingest::ingest(&mut client, batch, audit)?;
        let t = outcome.total();
        if t.new + t.linked + t.updated + t.closed + t.fixed + t.reopened >= ANALYZE_AFTER_ROWS {
            // A bulk load leaves the planner's statistics behind (autovacuum gets to it
            // later, or under load not for a long while): with the table believed empty, a
            // risk-ordered page of a million findings was sorted in full (1.5 s) instead of
            // read from `findings_by_risk` (0.4 ms). The ingest is committed; refreshing
            // the statistics is best effort.
            let _ = client.batch_execute("ANALYZE findings, occurrences");
        }
        Ok(outcome)
    }

    fn identical_report(
        &self,
        asset: &str,
        branch: &str,
        target: &str,
        sha256: &str,
    ) -> Result<Option<Vec<ScopeOutcome>>, StoreError> {
        let mut client = self.pool.get()?;
        sql::ingest::identical_report(&mut *client, asset, branch, target, sha256)
    }

    fn findings(&self, query: &FindingQuery) -> Result<Vec<FindingRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::query::findings(&mut *client, query)
    }

    fn finding(&self, id: i64) -> Result<Option<FindingRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::query::finding(&mut *client, id)
    }

    fn events(&self, finding_id: i64) -> Result<Vec<EventRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::query::events(&mut *client, finding_id)
    }

    fn scans(&self, query: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::query::scans(&mut *client, query)
    }

    fn triage(&self, change: TriageChange) -> Result<FindingRecord, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "recording the triage decision", |db| {
            sql::query::triage(db, &change)
        })?;
        sql::query::finding(&mut *client, change.finding_id)?
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
        let mut client = self.pool.get()?;
        sql::decisions::suggestions(&mut *client, asset, open_only, None)
    }

    fn decide_suggestion(
        &self,
        decision: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError> {
        self.suggestion_decision(decision)
    }

    fn import_kev(&self, catalog: KevImport) -> Result<FeedImportRecord, StoreError> {
        let mut client = self.pool.get()?;
        feeds::import_kev(&mut client, catalog)
    }

    fn import_epss(&self, feed: EpssImport) -> Result<FeedImportRecord, StoreError> {
        let mut client = self.pool.get()?;
        feeds::import_epss(&mut client, feed)
    }

    fn feed_facts(&self, cves: &[String]) -> Result<HashMap<String, FeedFacts>, StoreError> {
        let mut client = self.pool.get()?;
        sql::feeds::feed_facts(&mut *client, cves)
    }

    fn feed_imports(&self) -> Result<Vec<FeedImportRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::feeds::feed_imports(&mut *client)
    }

    fn runtime_components(
        &self,
        assets: &[String],
    ) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::runtime::runtime_components(&mut *client, assets)
    }

    fn components(&self, search: Option<&str>) -> Result<Vec<ComponentRow>, StoreError> {
        let mut client = self.pool.get()?;
        sql::components::components(&mut *client, search)
    }

    fn record_coverage(&self, import: CoverageImport) -> Result<CoverageOutcome, StoreError> {
        let mut client = self.pool.get()?;
        let e = StoreError::pg("recording runtime coverage");
        let mut tx = client.transaction().map_err(e)?;
        lock(
            &mut tx,
            asset_lock(&import.asset),
            "recording runtime coverage",
        )?;
        let asset_id =
            sql::ingest::asset_id(&mut tx, &import.asset, crate::stored::to_ms(import.at))?;
        let outcome = sql::coverage::replace(&mut tx, asset_id, &import)?;
        tx.commit().map_err(e)?;
        Ok(outcome)
    }

    fn runtime_coverage(&self, assets: &[String]) -> Result<Vec<CoverageFileRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::coverage::coverage_files(&mut *client, assets)
    }

    fn unassessed_findings(&self, limit: usize) -> Result<Vec<FindingRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::query::unassessed_findings(&mut *client, limit)
    }

    fn last_assessments(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let mut client = self.pool.get()?;
        sql::risk::last_assessments(&mut *client, ids)
    }

    fn store_risk(&self, rows: Vec<StoredRisk>) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        risk::store_risk(&mut client, &rows)
    }

    fn risk_basis(&self) -> Result<Option<String>, StoreError> {
        let mut client = self.pool.get()?;
        sql::risk::risk_basis(&mut *client)
    }

    fn reset_risk(&self, basis: &str) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "resetting stored risk", |db| {
            sql::risk::reset_risk(db, basis)
        })
    }

    fn finding_summary(
        &self,
        query: &crate::SummaryQuery,
    ) -> Result<crate::FindingSummary, StoreError> {
        let mut client = self.pool.get()?;
        summary::finding_summary(&mut client, query)
    }

    fn ready(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        let e = StoreError::pg("reading the schema version");
        let version: i64 = client
            .query_one("SELECT version FROM posture_schema", &[])
            .map_err(e)?
            .try_get(0)
            .map_err(e)?;
        let known = schema::MIGRATIONS.len() as i64;
        if version != known {
            return Err(StoreError::Unsupported(format!(
                "the database's schema is version {version}, this build's is {known}"
            )));
        }
        Ok(())
    }

    fn data_version(&self) -> Result<String, StoreError> {
        let mut client = self.pool.get()?;
        summary::data_version(&mut client)
    }

    fn integrations(&self) -> Option<&dyn IntegrationStore> {
        Some(self)
    }
}

impl WorkflowStore for PostgresStore {
    fn record_decisions_audited(
        &self,
        changes: Vec<DecisionChange>,
        audit: Option<crate::AuditEntry>,
    ) -> Result<usize, StoreError> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut client = self.pool.get()?;
        write(&mut client, "recording triage decisions", |db| {
            let n = sql::workflow::record_decisions(db, &changes)?;
            if let Some(entry) = &audit {
                sql::access::record_audit(db, entry)?;
            }
            Ok(n)
        })
    }

    fn decision(&self, finding_id: i64) -> Result<Option<DecisionRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::workflow::decision(&mut *client, finding_id)
    }

    fn decisions(&self, asset: Option<&str>) -> Result<Vec<DecisionRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::workflow::decisions(&mut *client, asset)
    }

    fn expire_decisions(&self, now: Timestamp) -> Result<Vec<ExpiredDecision>, StoreError> {
        let mut client = self.pool.get()?;
        // The common case (nothing expired) writes nothing.
        if !sql::workflow::any_expiring(&mut *client, now)? {
            return Ok(Vec::new());
        }
        write(&mut client, "expiring risk acceptances", |db| {
            sql::workflow::expire_decisions(db, now)
        })
    }

    fn event_log(&self, query: &EventQuery) -> Result<Vec<EventRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::workflow::event_log(&mut *client, query)
    }

    fn append_events(&self, events: Vec<NewEvent>) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        workflow::append_events(&mut client, events)
    }

    fn scan_coverage(
        &self,
        asset: Option<&str>,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<ScanCoverageRow>, StoreError> {
        let mut client = self.pool.get()?;
        sql::workflow::scan_coverage(&mut *client, asset, since, until)
    }

    fn asset_names(&self) -> Result<Vec<String>, StoreError> {
        let mut client = self.pool.get()?;
        sql::workflow::asset_names(&mut *client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/posture"),
            "postgres://app:***@db:5432/posture"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            redact_url("postgresql://h/db?user=a"),
            "postgresql://h/db?user=a"
        );
        assert_eq!(
            redact_url("postgresql://h/db?user=a&password=s3cret&sslmode=require"),
            "postgresql://h/db?user=a&password=***&sslmode=require"
        );
        // Passwords that were not percent-encoded, and key=value strings.
        assert_eq!(
            redact_url("postgres://app:pa/ss@db/posture"),
            "postgres://app:***@db/posture"
        );
        assert_eq!(
            redact_url("postgres://app:p@ss?w:rd@db:5432/posture?sslmode=require"),
            "postgres://app:***@db:5432/posture?sslmode=require"
        );
        assert_eq!(
            redact_url("host=db user=app password=s3cret dbname=x"),
            "host=db user=app password=*** dbname=x"
        );
    }

    #[test]
    fn lock_keys_differ_by_asset_and_kind() {
        assert_ne!(asset_lock("a"), asset_lock("b"));
        assert_eq!(asset_lock("shop"), asset_lock("shop"));
        assert_ne!(feed_lock("kev"), feed_lock("epss"));
    }

    #[test]
    fn nul_becomes_replacement_character() {
        assert_eq!(text("a\0b"), "a\u{FFFD}b");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
    }
}
