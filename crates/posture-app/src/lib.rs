//! Application services: the glue between files (or uploads), parsers, engine and store.
//!
//! The CLI and the server both call [`ingest`]; neither talks to parsers or the store's ingest
//! directly, so the two entry points behave the same (same size cap, same detection, same
//! all-or-nothing transaction).

pub mod assets;
pub mod branches;
pub mod components;
pub mod coverage;
mod error;
pub mod evaluate;
pub mod execution;
pub mod explain;
pub mod export;
pub mod feeds;
pub mod fixes;
pub mod gate;
pub mod gate_report;
mod ingest;
pub mod integrations;
pub mod metrics;
pub mod names;
pub mod policy;
pub mod progress;
pub mod risk;
pub mod risk_eval;
pub mod sarif_out;
pub mod sla;
pub mod story;
pub mod views;
pub mod workflow;

pub use error::AppError;

/// `[oidc]` of `posture.toml` as the server reads it: single sign-on and the CI token exchange's
/// bindings (issue 18).
pub mod oidc_config {
    pub use posture_config::{
        CiBinding, GroupMapping, OidcConfig, OidcSignIn, SIGN_IN_ROLES, issuer_url_ok,
    };
}
pub use ingest::{
    DEFAULT_MAX_REPORT_BYTES, IngestRequest, PreparedReport, PreparedSummary, ReportSource,
    Timings, VexHandling, ingest, ingest_audited, ingest_with, prepare_report, read_report_file,
};

/// Where "now" comes from: the system clock in production, a fixed time in tests and in the
/// demo, so that outputs are byte-stable.
pub trait Clock: Send + Sync {
    fn now(&self) -> posture_model::Timestamp;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> posture_model::Timestamp {
        posture_model::Timestamp::now()
    }
}

/// A clock that always says the same time.
pub struct FixedClock(pub posture_model::Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> posture_model::Timestamp {
        self.0
    }
}

/// The database's clock, for processes that share a PostgreSQL database (servers, CI jobs):
/// every one of them dates scans and checks expiries by one clock, the database server's, so
/// a host whose clock is off (a CI runner 60 days behind, a server running fast) neither
/// records fixes before first sightings nor expires acceptances early. It reads the
/// database's time once at start and then every `refresh` on a background thread, and answers
/// the local clock plus the last offset measured: `now()` never waits for the database (the
/// server calls it on its async threads). A SQLite file has no clock of its own: `start`
/// answers `None` there, and the local clock is the one.
pub struct DatabaseClock {
    offset_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl DatabaseClock {
    pub fn start(
        store: std::sync::Arc<dyn posture_store::Store>,
        refresh: std::time::Duration,
    ) -> Result<Option<DatabaseClock>, AppError> {
        let Some(offset) = measure_offset(store.as_ref())? else {
            return Ok(None);
        };
        let offset_ms = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(offset));
        let shared = offset_ms.clone();
        let store = std::sync::Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("posture-database-clock".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(refresh);
                    // The clock ends with the store (or when nobody reads it any more).
                    let Some(store) = store.upgrade() else { break };
                    if std::sync::Arc::strong_count(&shared) == 1 {
                        break;
                    }
                    // A failed reading (the database away for a moment) keeps the last offset.
                    if let Ok(Some(offset)) = measure_offset(store.as_ref()) {
                        shared.store(offset, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            })
            .map_err(|e| AppError::Invalid(format!("cannot start the database clock: {e}")))?;
        Ok(Some(DatabaseClock { offset_ms }))
    }

    /// The database's clock minus the local one, in milliseconds, as last measured.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The database's time minus the local time (at the middle of the round trip), or `None` when
/// the store has no clock of its own.
fn measure_offset(store: &dyn posture_store::Store) -> Result<Option<i64>, AppError> {
    let before = posture_model::Timestamp::now().as_millisecond();
    let Some(db) = store.database_time()? else {
        return Ok(None);
    };
    let after = posture_model::Timestamp::now().as_millisecond();
    Ok(Some(db.as_millisecond() - (before + after) / 2))
}

impl Clock for DatabaseClock {
    fn now(&self) -> posture_model::Timestamp {
        let local = posture_model::Timestamp::now();
        let shifted = local.as_millisecond().saturating_add(self.offset_ms());
        posture_model::Timestamp::from_millisecond(shifted).unwrap_or(local)
    }
}

/// The clock a process working on `store` should use: the database's ([`DatabaseClock`]) when
/// it has one, else the system clock.
pub fn clock_for(
    store: std::sync::Arc<dyn posture_store::Store>,
) -> Result<std::sync::Arc<dyn Clock>, AppError> {
    Ok(
        match DatabaseClock::start(store, std::time::Duration::from_secs(60))? {
            Some(clock) => std::sync::Arc::new(clock),
            None => std::sync::Arc::new(SystemClock),
        },
    )
}

/// Now, by the database's clock when it has one (PostgreSQL), else by the local clock: what a
/// command that writes once (an ingest, a triage decision) dates its write with.
pub fn now_on(store: &dyn posture_store::Store) -> Result<posture_model::Timestamp, AppError> {
    Ok(store
        .database_time()?
        .unwrap_or_else(posture_model::Timestamp::now))
}
