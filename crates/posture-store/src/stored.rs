//! How stored values read back, the same on every back end: timestamps (integer milliseconds
//! UTC), severities (integer ranks), the status shown to people, fingerprints as hex.
//!
//! Why this module exists: both back ends store the same plain values, and a finding must read
//! the same whichever one holds it.

use posture_model::{FindingStatus, Severity, Timestamp};

/// Timestamps are stored as integer milliseconds since the Unix epoch (UTC).
pub(crate) fn to_ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn severity_from_rank(r: i64) -> Severity {
    match r {
        4 => Severity::Critical,
        3 => Severity::High,
        2 => Severity::Medium,
        1 => Severity::Low,
        _ => Severity::Info,
    }
}

/// The status shown to people: `fixed` when no scan reports it, else the triage decision, else
/// `open`.
pub(crate) fn display_status(status: &str, triage: Option<&str>) -> FindingStatus {
    if status == "fixed" {
        return FindingStatus::Fixed;
    }
    triage
        .and_then(|t| t.parse().ok())
        .unwrap_or(FindingStatus::Open)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a triage change before any back end writes it.
pub(crate) fn check_triage(c: &crate::TriageChange) -> Result<(), crate::StoreError> {
    if c.state == FindingStatus::Fixed {
        return Err(crate::StoreError::Invalid(
            "`fixed` is decided by scans, not by triage".into(),
        ));
    }
    if c.reason.trim().is_empty() {
        return Err(crate::StoreError::Invalid(
            "a triage decision needs a reason".into(),
        ));
    }
    Ok(())
}
