//! The typed views both adapters answer: the JSON contract of the CLI's `--output json` and of
//! the API (`posture findings`/`GET /api/v1/findings`, `posture show N`/`GET
//! /api/v1/findings/{id}` and `/events`, `posture scans`/`GET /api/v1/scans`). The use cases
//! here decide everything a view shows (owner, risk, the scan's fields) once; the CLI and the
//! server only call them and serialize. The server's OpenAPI schemas are checked against these
//! types by `documented_schemas_name_the_keys_of_the_app_views` in
//! `crates/posture-server/tests/api.rs`.

use crate::AppError;
use crate::risk::{AssessedFinding, RiskConfig};
use crate::sla::Sla;
use posture_model::{Diagnostic, Timestamp};
use posture_store::{EventRecord, FindingRecord, ScanQuery, ScanRecord, Store};
use serde::Serialize;

/// A finding as every listing and every single-finding answer gives it: the stored finding
/// with its occurrences, its owner (when a portfolio is configured) and its risk, both
/// computed on read from the same inputs as the stored score.
pub type FindingView = AssessedFinding;

/// A finding with its SLA state (`posture findings --sla ... --output json`): the
/// [`FindingView`] with one more key, `sla`.
#[derive(Debug, Clone, Serialize)]
pub struct SlaFindingView {
    #[serde(flatten)]
    pub finding: FindingView,
    pub sla: Sla,
}

/// One finding and its event log (`posture show N --output json`; the API answers the two
/// halves at `GET /api/v1/findings/{id}` and `GET /api/v1/findings/{id}/events`).
#[derive(Debug, Clone, Serialize)]
pub struct FindingDetail {
    pub finding: FindingView,
    /// The person's current decision (state, reason, who, approver and role, expiry), when
    /// there is one; `null` otherwise.
    pub decision: Option<posture_store::DecisionRecord>,
    /// Oldest first.
    pub events: Vec<EventRecord>,
}

/// Findings as views (owner and risk assessed in one pass over the feeds and the runtime
/// inventory).
pub fn finding_views(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    findings: Vec<FindingRecord>,
) -> Result<Vec<FindingView>, AppError> {
    crate::risk::assess_findings(store, config, findings)
}

/// One finding as a view, or `None` when there is no finding with that id.
pub fn finding_view(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    id: i64,
) -> Result<Option<FindingView>, AppError> {
    crate::explain::assessed_finding(store, config, id)
}

/// One finding with its event log, or `None` when there is no finding with that id.
pub fn finding_detail(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    id: i64,
) -> Result<Option<FindingDetail>, AppError> {
    let Some(finding) = finding_view(store, config, id)? else {
        return Ok(None);
    };
    let events = store.events(id)?;
    let decision = store.decision(id)?;
    Ok(Some(FindingDetail {
        finding,
        decision,
        events,
    }))
}

/// One ingested report, as `posture scans` and `GET /api/v1/scans` list it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanView {
    pub id: i64,
    pub asset: String,
    pub tool: String,
    pub tool_version: Option<String>,
    /// The parser's id.
    pub format: String,
    pub branch: String,
    pub commit: Option<String>,
    /// `findings` or `runtime`.
    pub kind: String,
    /// The report file as given to ingest (or the upload's name).
    pub report: String,
    /// SHA-256 of the report's bytes, in hex.
    pub sha256: String,
    pub at: Timestamp,
    /// How many occurrences the report had.
    pub occurrences: usize,
    /// What the ingest changed (new, fixed, reopened...).
    pub summary: serde_json::Value,
    /// What the parser could not read.
    pub diagnostics: Vec<Diagnostic>,
}

impl From<ScanRecord> for ScanView {
    fn from(s: ScanRecord) -> Self {
        let ScanRecord {
            id,
            asset,
            tool,
            tool_version,
            format,
            branch,
            commit,
            kind,
            report,
            sha256,
            at,
            occurrences,
            summary,
            diagnostics,
        } = s;
        ScanView {
            id,
            asset,
            tool,
            tool_version,
            format,
            branch,
            commit,
            kind,
            report,
            sha256,
            at,
            occurrences,
            summary,
            diagnostics,
        }
    }
}

/// Scans, newest first, that `readable` lets through (every scan for the CLI; the caller's
/// assets for the API), at most `limit`. `query.limit` is what the store may stop at (set it
/// only when `readable` lets everything through).
pub fn scan_views(
    store: &dyn Store,
    query: &ScanQuery,
    readable: impl Fn(&str) -> bool,
    limit: Option<usize>,
) -> Result<Vec<ScanView>, AppError> {
    Ok(store
        .scans(query)?
        .into_iter()
        .filter(|s| readable(&s.asset))
        .take(limit.unwrap_or(usize::MAX))
        .map(ScanView::from)
        .collect())
}

/// The tools that reported a finding, sorted, joined by `sep` (`semgrep,trivy`).
pub fn tools_of(f: &FindingRecord, sep: &str) -> String {
    let mut tools: Vec<&str> = f.occurrences.iter().map(|o| o.tool.as_str()).collect();
    tools.sort_unstable();
    tools.dedup();
    tools.join(sep)
}

/// Where a finding is, in a few words: its first open occurrence's package (`name@version`)
/// and its location joined by `join`, or the location alone.
pub fn place_of(f: &FindingRecord, join: impl Fn(&str, &str) -> String) -> String {
    f.occurrences
        .iter()
        .find(|o| o.open)
        .or(f.occurrences.first())
        .map(|o| {
            let loc = o.data.location.short();
            match &o.data.package {
                Some(p) => {
                    let pkg = format!("{}@{}", p.name, p.version.as_deref().unwrap_or("?"));
                    if loc.is_empty() {
                        pkg
                    } else {
                        join(&pkg, &loc)
                    }
                }
                None => loc,
            }
        })
        .unwrap_or_default()
}

/// Where a finding is, as the CLI's tables and CSV show it: `name@version (path)`, or the
/// location alone.
pub fn where_of(f: &FindingRecord) -> String {
    place_of(f, |pkg, loc| format!("{pkg} ({loc})"))
}
