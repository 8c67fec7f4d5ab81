//! Posture's vocabulary, shared by every other crate.
//!
//! Three layers describe what scanners say and what people work on:
//!
//! * a [`ToolRun`] is what one tool said in one ingested report (its occurrences);
//! * an [`Occurrence`] is one scanner's report of one issue, normalized;
//! * a finding (in the store) is the deduplicated thing a person works on, backed by occurrences.
//!
//! Architecture invariant: this crate does no I/O, knows no storage engine, no parser and no
//! terminal. Everything here is plain data with serde derives, plus the few pure helpers that
//! every layer must agree on (severity scale, secret masking, identifiers).

pub mod coverage;
mod occurrence;
mod secret;
mod severity;
mod status;
mod vuln;

pub use occurrence::{
    Category, Component, CvssRating, Diagnostic, DiagnosticLevel, EpssScore, IdentityHints,
    Location, Occurrence, Package, ParsedReport, SeverityRating, ToolInfo, ToolRun, VexStatement,
    VexStatus,
};
pub use secret::{
    MIN_KEY_MATERIAL, SEALED_PREFIX, SECRET_MASK, SecretEvidence, SecretKey, UNSEALED_PREFIX,
    mask_secret, redact_values,
};
pub use severity::{Severity, default_sla_days};
pub use status::{EventKind, FindingStatus};
pub use vuln::{VulnIdKind, classify_vuln_id, normalize_vuln_id};

/// A point in time (UTC). Re-exported so that every crate agrees on one clock type.
pub type Timestamp = jiff::Timestamp;
