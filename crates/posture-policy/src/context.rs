//! The typed context a policy's `when` expression sees: `finding`, `asset` and `owner`.
//!
//! These serde structs go straight into CEL (`cel::to_value`), so the field names here are
//! the policy language's vocabulary. Numbers are CEL `int` (i64) or `double` (f64); unknown
//! text is the empty string rather than `null`, so a comparison never fails on a missing
//! value (`reachable` and the SLA figures are the exceptions: `null` there means "unknown" /
//! "no SLA"). The type check of a policy file compares every field an expression selects
//! with [`PolicyContext::sample`], so a new field here is immediately usable in policies.

use serde::{Deserialize, Serialize};

/// Everything a rule's `when` expression can read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PolicyContext {
    pub finding: FindingContext,
    pub asset: AssetContext,
    pub owner: OwnerContext,
}

/// One finding, as a policy sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FindingContext {
    pub id: i64,
    pub title: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// 4 critical, 3 high, 2 medium, 1 low, 0 info.
    pub severity_rank: i64,
    /// Risk score 0-100 (posture-risk model).
    pub risk: f64,
    /// Risk band `P1`..`P4`.
    pub band: String,
    /// CISA SSVC decision: `track`, `track*`, `attend`, `act`.
    pub ssvc: String,
    /// `sast`, `sca`, `dast`, `iac`, `secret`, `container`, `runtime`.
    pub category: String,
    /// The tool of the finding's first occurrence.
    pub tool: String,
    /// Every tool that reports it.
    pub tools: Vec<String>,
    pub rule_id: String,
    /// File path of the first occurrence with one (empty when none).
    pub path: String,
    /// `CWE-79` style ids.
    pub cwe: Vec<String>,
    /// `CVE-...` ids.
    pub cve: Vec<String>,
    /// One of its CVEs is in the CISA KEV catalog.
    pub kev: bool,
    /// Highest EPSS probability (0.0 when unknown).
    pub epss: f64,
    /// `true` reachable, `false` unreachable, `null` unknown.
    pub reachable: Option<bool>,
    /// Whole days since first seen, as of the evaluation time.
    pub age_days: i64,
    /// `open`, `confirmed`, `in-progress`, `false-positive`, `accepted`, `not-affected`, `fixed`.
    pub status: String,
    /// New relative to the gate's baseline branch (always true outside the gate).
    pub new: bool,
    pub sla: SlaContext,
}

/// The finding's SLA as of the evaluation time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SlaContext {
    /// Days allowed from first seen; `null` when no SLA applies.
    pub days: Option<i64>,
    /// Due date `YYYY-MM-DD`; `null` when no SLA applies.
    pub due: Option<String>,
    /// `none` (no SLA), `within`, `breached`, `paused` (accepted risk), `closed` (fixed).
    pub state: String,
    /// Days until due (negative when breached); `null` when no SLA applies.
    pub days_left: Option<i64>,
}

/// The finding's asset, from the portfolio (`posture.toml`); empty when not configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AssetContext {
    pub name: String,
    /// The asset's `tags` of posture.toml, plus its environment, exposure and criticality
    /// (`production`, `internet-facing`, `tier-1`), so `"production" in asset.tags` holds
    /// whether posture.toml says `tags = ["production"]` or `environment = "production"`.
    pub tags: Vec<String>,
    /// `tier-1`, `tier-2`, `tier-3` or empty.
    pub criticality: String,
    /// `internet-facing`, `internal` or empty.
    pub exposure: String,
    /// `production`, `staging`, `development`, `test` or empty.
    pub environment: String,
    /// Data classes (`pci`, `customer-data`, ...).
    pub data: Vec<String>,
    /// Compliance scopes (`pci-dss`, `soc2`, ...).
    pub compliance: Vec<String>,
}

/// Who owns the finding (posture.toml and CODEOWNERS); `team` is empty when nobody does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OwnerContext {
    pub team: String,
}

impl PolicyContext {
    /// A context with every field filled: what a policy file's expressions are type-checked
    /// against (so `finding.sevrity` is an error before any finding is evaluated).
    pub fn sample() -> Self {
        PolicyContext {
            finding: FindingContext {
                id: 1,
                title: "SQL injection".into(),
                severity: "high".into(),
                severity_rank: 3,
                risk: 50.0,
                band: "P2".into(),
                ssvc: "attend".into(),
                category: "sast".into(),
                tool: "semgrep".into(),
                tools: vec!["semgrep".into()],
                rule_id: "python.sqli".into(),
                path: "src/app.py".into(),
                cwe: vec!["CWE-89".into()],
                cve: vec!["CVE-2021-44228".into()],
                kev: false,
                epss: 0.1,
                reachable: Some(true),
                age_days: 10,
                status: "open".into(),
                new: true,
                sla: SlaContext {
                    days: Some(30),
                    due: Some("2026-01-31".into()),
                    state: "within".into(),
                    days_left: Some(20),
                },
            },
            asset: AssetContext {
                name: "payments-api".into(),
                tags: vec!["production".into()],
                criticality: "tier-1".into(),
                exposure: "internet-facing".into(),
                environment: "production".into(),
                data: vec!["customer-data".into()],
                compliance: vec!["pci-dss".into()],
            },
            owner: OwnerContext {
                team: "payments".into(),
            },
        }
    }
}

/// 4 critical, 3 high, 2 medium, 1 low, 0 info (and anything else).
pub fn severity_rank(severity: &str) -> i64 {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}
