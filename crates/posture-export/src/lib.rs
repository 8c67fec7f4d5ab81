//! Standard exports of Posture's findings, for tools that read files rather than an API: CSV
//! (spreadsheets, BI), CycloneDX 1.6 VEX and OpenVEX 0.2.0 (what a product's vulnerabilities
//! mean for it, generated from people's triage decisions) and OCSF 1.5.0
//! `vulnerability_finding` (class 2002) JSON lines for a SIEM or data lake. SARIF is written by
//! `posture-app`'s SARIF writer, next to the CI gate.
//!
//! Pure: every writer takes [`ExportFinding`]s and the document time, and returns bytes. The
//! application layer builds the findings from the store (with their risk and owner) and writes
//! the file. Every format is validated against its published schema in this crate's tests
//! (`schemas/` at the repository root says where each schema comes from).
//!
//! Document identifiers (the CycloneDX serial number, the OpenVEX `@id`) are derived from the
//! content and the time, so the same data at the same time gives the same bytes.

mod csv_out;
mod cyclonedx;
mod ocsf;
mod openvex;
mod purl;
mod vex;

pub use csv_out::{CSV_COLUMNS, defuse, write_csv};
pub use cyclonedx::write_cyclonedx_vex;
pub use ocsf::{OCSF_VERSION, write_ocsf};
pub use openvex::write_openvex;
pub use purl::{oci_purl, purl_of};
pub use vex::{VexDecision, vex_decision};

use posture_model::{Category, CvssRating, FindingStatus, Location, Package, Severity, Timestamp};
use serde::Serialize;

/// One finding as exported: what the store knows of it, plus its risk and owner when they
/// were assessed.
#[derive(Debug, Clone, Serialize)]
pub struct ExportFinding {
    /// The database id (`posture show ID`).
    pub id: i64,
    /// The stable identity: the asset and the finding's identity key (the fingerprint of the
    /// occurrence that founded it), the same in every database that ingested the same reports.
    pub uid: String,
    pub asset: String,
    /// The effective status: a person's triage decision, else `open` or `fixed`.
    pub status: FindingStatus,
    /// Why the person decided (the triage reason), when there is a decision.
    pub triage_reason: Option<String>,
    pub severity: Severity,
    pub category: Category,
    pub title: String,
    pub description: Option<String>,
    pub rule_id: String,
    /// Tools that reported it, sorted.
    pub tools: Vec<String>,
    /// Every vulnerability id of every occurrence (CVE first, then the others), deduplicated.
    pub vulnerability_ids: Vec<String>,
    pub cwes: Vec<u32>,
    pub package: Option<Package>,
    pub location: Location,
    /// The best CVSS rating among the occurrences.
    pub cvss: Option<CvssRating>,
    pub references: Vec<String>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub fixed_at: Option<Timestamp>,
    pub reopened: u32,
    pub risk_score: Option<f64>,
    pub risk_band: Option<String>,
    pub team: Option<String>,
    /// The container image the finding is in: the reference the scanner reported, else the
    /// asset's configured image (posture.toml `images`). VEX names the product by its purl
    /// (`pkg:oci/...`), which is how a scanner applying the VEX matches it.
    pub image: Option<String>,
    /// When the current status was decided: the person's triage decision, the fix, else the
    /// first sighting (an open finding is "under investigation" since then). VEX statements
    /// carry this time, not the export's.
    pub status_since: Timestamp,
}

impl ExportFinding {
    /// The CVE ids (normalized upper case), in order.
    pub fn cves(&self) -> Vec<&str> {
        self.vulnerability_ids
            .iter()
            .map(String::as_str)
            .filter(|v| v.starts_with("CVE-"))
            .collect()
    }

    /// The id a VEX statement names: the first CVE, else the first vulnerability id.
    pub fn primary_vulnerability(&self) -> Option<&str> {
        self.cves()
            .first()
            .copied()
            .or_else(|| self.vulnerability_ids.first().map(String::as_str))
    }
}

/// Who produced an export (written into the documents' metadata).
#[derive(Debug, Clone)]
pub struct Producer {
    /// `posture`.
    pub name: String,
    pub version: String,
    /// The VEX author (`--author`, default the tool).
    pub author: String,
}

/// What a writer can refuse.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Empty(String),
}

/// RFC 3339 in UTC with second precision (what every schema's `date-time` accepts).
pub(crate) fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A UUID-shaped identifier derived from content (version 4 and variant bits set, so it
/// matches the usual `urn:uuid:` patterns), stable for the same input.
pub(crate) fn content_uuid(parts: &[&[u8]]) -> String {
    let mut h = blake3::Hasher::new_derive_key("posture export document id v1");
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
