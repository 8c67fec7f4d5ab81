//! Application services: the glue between files (or uploads), parsers, engine and store.
//!
//! The CLI and the server both call [`ingest`]; neither talks to parsers or the store's ingest
//! directly, so the two entry points behave the same (same size cap, same detection, same
//! all-or-nothing transaction).

pub mod assets;
pub mod branches;
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
pub mod risk;
pub mod risk_eval;
pub mod sarif_out;
pub mod sla;
pub mod story;
pub mod views;
pub mod workflow;

pub use error::AppError;
pub use ingest::{
    DEFAULT_MAX_REPORT_BYTES, IngestRequest, PreparedReport, PreparedSummary, ReportSource,
    Timings, VexHandling, ingest, ingest_with, prepare_report, read_report_file,
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
