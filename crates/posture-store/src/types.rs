use posture_engine::{Identified, PlanSummary};
use posture_model::{
    Category, Component, Diagnostic, FindingStatus, Occurrence, Severity, Timestamp, ToolInfo,
};
use serde::Serialize;

/// One report of an ingest, already parsed and identified.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The file name as given to `ingest` (or the upload's name).
    pub name: String,
    /// Hex SHA-256 of the report bytes.
    pub sha256: String,
    /// Format id of the parser that read it.
    pub format: String,
    /// One entry per tool in the report, each already identified by the engine.
    pub runs: Vec<(ToolInfo, Identified)>,
    pub diagnostics: Vec<Diagnostic>,
    /// SBOM components (CycloneDX); stored as the asset's runtime inventory when the batch is
    /// [`ScanKind::Runtime`], ignored otherwise.
    pub components: Vec<Component>,
}

/// What kind of evidence a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    /// A scanner's findings.
    #[default]
    Findings,
    /// A runtime inventory (what is actually loaded in a running workload).
    Runtime,
}

impl ScanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanKind::Findings => "findings",
            ScanKind::Runtime => "runtime",
        }
    }
}

/// One ingest: reports for one asset and branch, written in one transaction.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    pub asset: String,
    pub branch: String,
    /// What was scanned, when a report covers only part of the asset (one manifest of a
    /// monorepo, one image): part of the scope, so per-target scans do not close each other's
    /// findings. Empty = the whole asset.
    pub target: String,
    pub commit: Option<String>,
    pub kind: ScanKind,
    /// When the scan happened (injected: the CLI passes the clock's now, tests a fixed time).
    pub at: Timestamp,
    pub reports: Vec<ReportInput>,
    /// Re-run the full comparison even when the reports are byte-identical to the scope's
    /// last scan (the benchmark uses it to measure the comparison itself).
    pub force: bool,
    /// Correlation thresholds (merge and suggest).
    pub thresholds: posture_engine::Thresholds,
}

/// The outcome for one tool's scope.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeOutcome {
    pub tool: String,
    pub branch: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    pub scan_ids: Vec<i64>,
    /// The reports were byte-identical to the scope's last scan: nothing changed.
    pub identical: bool,
    pub occurrences: usize,
    #[serde(flatten)]
    pub summary: PlanSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestOutcome {
    pub asset: String,
    pub scopes: Vec<ScopeOutcome>,
}

impl IngestOutcome {
    /// Totals over every scope.
    pub fn total(&self) -> PlanSummary {
        let mut t = PlanSummary::default();
        for s in &self.scopes {
            t.new += s.summary.new;
            t.linked += s.summary.linked;
            t.unchanged += s.summary.unchanged;
            t.updated += s.summary.updated;
            t.closed += s.summary.closed;
            t.fixed += s.summary.fixed;
            t.reopened += s.summary.reopened;
            t.collapsed += s.summary.collapsed;
            t.correlated += s.summary.correlated;
            t.partial |= s.summary.partial;
            t.suggested += s.summary.suggested;
            t.promoted += s.summary.promoted;
        }
        t
    }
}

/// Which branch a findings list looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BranchFilter {
    /// The assets' default branches: findings reported there (their status is the default
    /// branch's); branch findings of merge requests are not listed.
    #[default]
    Default,
    /// Findings with an open occurrence on this branch (a branch view). Every finding listed
    /// is open on the branch; a status filter then applies to the triage state (`open` = no
    /// decision; `fixed` selects nothing).
    Only(String),
    /// Every finding of every branch (the gate, which compares branches itself).
    Any,
}

/// Filters for listing findings. `None` means any.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub asset: Option<String>,
    pub branch: BranchFilter,
    /// `None` = every status.
    pub status: Option<Vec<FindingStatus>>,
    pub severity: Option<Vec<Severity>>,
    pub tool: Option<String>,
    pub category: Option<Category>,
    /// Stored risk bands (`P1` .. `P4`, any case), as last assessed.
    pub band: Option<Vec<String>>,
    /// The owning team, as last assessed.
    pub team: Option<String>,
    pub sort: FindingSort,
    /// Keyset pagination: only findings after this one in `sort` order.
    pub after: Option<FindingCursor>,
    pub limit: Option<usize>,
    /// What a person looks for ([`FindingSearch`]): text, a vulnerability id, a package, a
    /// path, a time of change. All in SQL, so a search reads only what it finds.
    pub search: FindingSearch,
    /// Leave `FindingRecord::occurrences` empty: for whole-portfolio reads that need only
    /// the findings' own columns (at a million findings, the occurrences are most of the
    /// time and memory).
    pub without_occurrences: bool,
}

/// One line of the component inventory ([`crate::Store::components`]): a package in one
/// version on one asset, from the findings' packages or from a runtime SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRow {
    pub asset: String,
    /// The package's name, lowercased.
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub ecosystem: Option<String>,
    /// Open findings (open, confirmed, in progress) of this package version on the asset.
    pub open_findings: usize,
    /// From a runtime SBOM (`--kind runtime`); else from the findings' packages.
    pub in_sbom: bool,
}

/// The search filters of a findings list (every field optional; all given must match).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingSearch {
    /// Text, any case, anywhere in the title, the rule id, the vulnerability ids and their
    /// aliases (CVE, GHSA, OSV, distro ids), the package's name and purl, or the path.
    pub text: Option<String>,
    /// A vulnerability id, any case, exactly: the primary id or one of its aliases.
    pub vulnerability: Option<String>,
    /// A package: its name exactly (any case), or a purl prefix (`pkg:deb/debian/glibc`).
    pub package: Option<String>,
    /// Text, any case, anywhere in the path of the finding's location.
    pub path: Option<String>,
    /// Only findings whose history has an event at or after this time (a change of state,
    /// a triage decision, a rescoring): for incremental sync.
    pub changed_since: Option<posture_model::Timestamp>,
}

impl FindingSearch {
    pub fn is_empty(&self) -> bool {
        *self == FindingSearch::default()
    }
}

/// The order of a findings list. Every order ends with the id, so pages never overlap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingSort {
    /// Severity, highest first, then id.
    #[default]
    Severity,
    /// Stored risk score, highest first (not yet assessed last), then id.
    Risk,
    /// Id, oldest first.
    Id,
}

/// Where a page ends: the sort key and id of its last finding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct FindingCursor {
    /// The sort key of the last finding: its risk score (`None`: not assessed) for
    /// [`FindingSort::Risk`], its severity rank (0 info .. 4 critical) for
    /// [`FindingSort::Severity`], unused for [`FindingSort::Id`].
    pub key: Option<f64>,
    pub id: i64,
}

impl FindingCursor {
    /// The cursor after `f` in `sort` order.
    pub fn after(f: &FindingRecord, sort: FindingSort) -> Self {
        let key = match sort {
            FindingSort::Risk => f.risk_score,
            FindingSort::Severity => Some(f.severity as i64 as f64),
            FindingSort::Id => None,
        };
        FindingCursor { key, id: f.id }
    }
}

/// A finding's risk as assessed by the application, stored so lists can sort by it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRisk {
    pub finding_id: i64,
    pub score: f64,
    pub band: String,
    pub team: Option<String>,
    /// The finding's [`FindingRecord::risk_version`] as read for this assessment: the score
    /// is stored only while the finding still has it (not marked "to assess" again since).
    pub version: i64,
    /// This assessment in short (score, band, model, each term's fact; JSON), kept through
    /// later marks so that the next assessment can say what moved.
    pub last: String,
    /// The score or band moved since the last stored assessment: recorded as a `rescored`
    /// event with the score (only if the score is stored).
    pub change: Option<RiskChange>,
}

/// A moved score or band, as the event log keeps it (score history): the bands as from/to
/// states, the scores and the terms that moved as the reason, the model as the actor.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskChange {
    pub at: Timestamp,
    /// The model that scored it (`posture-risk/3`).
    pub actor: String,
    pub from_band: String,
    pub to_band: String,
    /// `78.9 -> 93.6: kev: not listed -> listed (CISA KEV 2024-01-10)`.
    pub reason: String,
}

/// One occurrence as stored and shown.
#[derive(Debug, Clone, Serialize)]
pub struct OccurrenceRecord {
    pub id: i64,
    pub tool: String,
    pub branch: String,
    /// The report the stored evidence (and its locator) comes from.
    pub report: String,
    pub scan_id: i64,
    pub open: bool,
    pub fingerprint: String,
    /// Which identity rule matched it across scans (`tool`, `content`, `dependency`...).
    pub identity_tier: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// How this occurrence joined its finding; absent for the occurrence that founded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<CorrelationRecord>,
    /// The normalized occurrence as last reported (rule_id, locator, location, package...).
    #[serde(flatten)]
    pub data: Occurrence,
}

/// Why an occurrence belongs to its finding.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationRecord {
    /// 1.0 for an exact identity match; the rule's confidence for a correlation.
    pub confidence: f64,
    pub reason: String,
    /// The occurrence it was matched with, when the match was with one occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_occurrence: Option<i64>,
}

/// A finding with its occurrences.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    pub id: i64,
    pub asset: String,
    pub status: FindingStatus,
    pub severity: Severity,
    pub category: Category,
    pub title: String,
    pub rule_id: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub fixed_at: Option<Timestamp>,
    /// How many times it came back after being fixed.
    pub reopened: u32,
    /// The person's triage decision, kept across re-imports (also when fixed).
    pub triage: Option<FindingStatus>,
    pub triage_reason: Option<String>,
    /// Risk score (0-100) as last assessed and stored; `None` until assessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_band: Option<String>,
    /// The owning team as last assessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// How many times the stored risk was marked "to assess" (opaque, never shown): an
    /// assessment hands it back in [`StoredRisk::version`], so a score computed from data
    /// read before a later mark is not stored over that mark.
    #[serde(skip)]
    pub risk_version: i64,
    pub occurrences: Vec<OccurrenceRecord>,
}

/// An entry of the event log.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub id: i64,
    pub finding_id: i64,
    pub at: Timestamp,
    pub kind: String,
    pub scan_id: Option<i64>,
    pub actor: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    /// Who approved a triage decision, and in which role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For an acceptance: when it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default)]
pub struct ScanQuery {
    pub asset: Option<String>,
    pub tool: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanRecord {
    pub id: i64,
    pub asset: String,
    pub tool: String,
    pub tool_version: Option<String>,
    pub format: String,
    pub branch: String,
    pub commit: Option<String>,
    pub kind: String,
    pub report: String,
    pub sha256: String,
    pub at: Timestamp,
    pub occurrences: usize,
    pub summary: serde_json::Value,
    pub diagnostics: Vec<Diagnostic>,
}

/// A person's triage decision.
#[derive(Debug, Clone)]
pub struct TriageChange {
    pub finding_id: i64,
    /// `Open` clears the decision.
    pub state: FindingStatus,
    pub reason: String,
    pub actor: String,
    pub at: Timestamp,
}

/// A person's decision that two findings are one.
#[derive(Debug, Clone)]
pub struct MergeDecision {
    pub from: i64,
    pub into: i64,
    pub actor: String,
    pub reason: String,
    pub at: Timestamp,
}

/// A person's decision that an occurrence is not the same issue as its finding.
#[derive(Debug, Clone)]
pub struct SplitDecision {
    pub occurrence_id: i64,
    pub actor: String,
    pub reason: String,
    pub at: Timestamp,
}

/// A suggested duplicate (a correlation below the merge threshold).
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionRecord {
    pub id: i64,
    pub asset: String,
    pub finding_id: i64,
    pub other_finding_id: i64,
    pub confidence: f64,
    pub reason: String,
    pub state: String,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

/// Accept or reject a suggestion.
#[derive(Debug, Clone)]
pub struct SuggestionDecision {
    pub id: i64,
    pub accept: bool,
    pub actor: String,
    pub at: Timestamp,
}

/// One CISA KEV listing as stored (dates as `YYYY-MM-DD` text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct KevRow {
    pub cve: String,
    pub date_added: Option<String>,
    pub ransomware: bool,
    pub catalog_version: Option<String>,
    pub due_date: Option<String>,
}

/// One FIRST EPSS score as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EpssRow {
    pub cve: String,
    pub probability: f64,
    pub percentile: f64,
    pub model_version: Option<String>,
    pub score_date: Option<String>,
}

/// A whole KEV catalog to import: replaces the previous one.
#[derive(Debug, Clone, Default)]
pub struct KevImport {
    pub catalog_version: Option<String>,
    /// When CISA released it.
    pub date: Option<String>,
    pub entries: Vec<KevRow>,
    pub at: Timestamp,
}

/// A whole EPSS score file to import: replaces the previous one.
#[derive(Debug, Clone, Default)]
pub struct EpssImport {
    pub model_version: Option<String>,
    pub score_date: Option<String>,
    pub entries: Vec<EpssRow>,
    pub at: Timestamp,
}

/// One recorded feed import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedImportRecord {
    pub id: i64,
    /// `kev` or `epss`.
    pub kind: String,
    pub version: Option<String>,
    pub date: Option<String>,
    pub imported_at: Timestamp,
    pub entries: usize,
}

/// What the feeds say of one CVE.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FeedFacts {
    pub kev: Option<KevRow>,
    pub epss: Option<EpssRow>,
}

/// One component of an asset's runtime inventory (what a runtime SBOM says is loaded).
#[derive(Debug, Clone, Serialize)]
pub struct RuntimeComponentRecord {
    pub asset: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    pub ecosystem: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub scan_id: i64,
    /// The report the inventory came from.
    pub report: String,
    pub seen_at: Timestamp,
}

/// A coverage report of one asset and environment, already read (`--kind runtime`): it
/// replaces the asset's coverage of that environment. Coverage never creates a finding.
#[derive(Debug, Clone)]
pub struct CoverageImport {
    pub asset: String,
    pub environment: posture_model::coverage::CoverageEnvironment,
    /// The file name as given to `ingest`.
    pub report: String,
    /// Hex SHA-256 of the report bytes.
    pub sha256: String,
    /// The coverage format id (`lcov`...).
    pub format: String,
    /// When the coverage was recorded (`--at`, else the report's own time, else the ingest's).
    pub recorded_at: Timestamp,
    /// When it was ingested.
    pub at: Timestamp,
    /// Files with their line hits, paths as the report writes them.
    pub files: Vec<posture_model::coverage::FileCoverage>,
}

/// What a coverage ingest recorded.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageOutcome {
    pub asset: String,
    pub environment: posture_model::coverage::CoverageEnvironment,
    pub report: String,
    pub format: String,
    pub recorded_at: Timestamp,
    pub files: usize,
    /// Instrumented lines, and of them those that ran at least once.
    pub lines: usize,
    pub executed_lines: usize,
    /// Files of the previous coverage of this asset and environment, replaced.
    pub replaced_files: usize,
}

/// One file of an asset's runtime coverage.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageFileRecord {
    pub asset: String,
    pub environment: posture_model::coverage::CoverageEnvironment,
    /// As the report wrote it (the path map is applied when it is matched).
    pub path: String,
    /// `(line, hits)`, sorted by line.
    pub lines: Vec<(u32, u64)>,
    pub report: String,
    pub format: String,
    pub recorded_at: Timestamp,
}
