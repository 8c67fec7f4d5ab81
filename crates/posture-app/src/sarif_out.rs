//! A SARIF 2.1.0 writer for Posture findings (the gate's `--sarif`, and exports).
//!
//! It exists so every SARIF Posture writes has the same shape: one run whose driver is
//! Posture, one rule per distinct scanner rule (with help text and a default level from the
//! severity, plus GitHub's `security-severity`), one result per finding with its location,
//! and `partialFingerprints` from Posture's own fingerprint of the finding's founding
//! occurrence, so code scanning recognises a result across uploads even when lines move.
//! The output validates against the OASIS schema (`schemas/sarif-2.1.0.json`).
//!
//! What GitHub code scanning needs of it (tested in `crates/posture/tests/integrations/export.rs`):
//! - **One run per asset**, each with `automationDetails.id` = `posture/<asset>/<branch>`: the
//!   category (`posture/<asset>/`) is the same on every branch, so code scanning compares a pull
//!   request's results with its base branch's; the run id names the branch.
//! - **Every result has a location** ([`location`]): the reported file and region; for a package
//!   without a file, the file that another occurrence of the finding names, else the ecosystem's
//!   manifest (`requirements.txt`, `package.json`, ...; marked `postureLocation: "manifest"`);
//!   for an image, the image repository (as Trivy writes it); for a URL, the URL.
//! - **Triaged results carry `suppressions`** (`external`, `accepted`, the decision's reason) for
//!   false positives, acceptances and not-affected decisions, so code scanning shows them
//!   dismissed instead of open.
//! - **GitHub's limits** ([`GITHUB_MAX_RUNS`], [`GITHUB_MAX_RESULTS_PER_RUN`],
//!   [`GITHUB_MAX_TAGS_PER_RULE`]): results beyond the per-run limit are left out in the caller's
//!   order (callers put the riskiest or blocking first) and counted in the run's
//!   `properties.postureResultsLeftOut`; [`SarifLog::left_out`] lets the caller say so.

use posture_model::{FindingStatus, Severity};
use posture_store::FindingRecord;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The key of Posture's fingerprint in `partialFingerprints` (versioned: a change of
/// fingerprint scheme gets a new key, so old alerts are not matched wrongly).
pub const FINGERPRINT_KEY: &str = "postureFinding/v1";

/// GitHub code scanning refuses a file with more runs than this.
pub const GITHUB_MAX_RUNS: usize = 20;
/// GitHub code scanning refuses a run with more results than this.
pub const GITHUB_MAX_RESULTS_PER_RUN: usize = 25_000;
/// GitHub code scanning refuses a rule with more tags than this.
pub const GITHUB_MAX_TAGS_PER_RULE: usize = 20;

/// A SARIF log and what the limits left out of it.
#[derive(Debug, Clone)]
pub struct SarifLog {
    pub log: Value,
    /// Results left out per asset because of [`GITHUB_MAX_RESULTS_PER_RUN`].
    pub left_out: BTreeMap<String, usize>,
}

/// Why no SARIF log can be written for GitHub.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SarifError {
    #[error(
        "SARIF for code scanning holds at most {GITHUB_MAX_RUNS} runs (one per asset), and {0} assets are selected: export one asset at a time (--asset)"
    )]
    TooManyAssets(usize),
}

/// One result to write.
#[derive(Debug, Clone)]
pub struct SarifResult<'a> {
    pub finding: &'a FindingRecord,
    /// The message; the finding's title when `None`.
    pub message: Option<String>,
    /// `error`, `warning`, `note`; from the severity when `None`.
    pub level: Option<&'static str>,
    /// Extra result properties (merged into `properties`).
    pub properties: Map<String, Value>,
}

impl<'a> SarifResult<'a> {
    /// A result with the defaults (title as message, level from severity).
    pub fn of(finding: &'a FindingRecord) -> Self {
        SarifResult {
            finding,
            message: None,
            level: None,
            properties: Map::new(),
        }
    }
}

/// SARIF level of a severity: critical and high `error`, medium `warning`, low and info
/// `note`.
pub fn level_of(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score as text) of a severity.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encodes what a URI reference cannot hold (spaces, `#`, `?`, non-ASCII), keeping
/// the path readable.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The manifest an ecosystem's packages are declared in, for a package finding whose report
/// names no file (pip-audit, a runtime SBOM): GitHub places such results on that file.
fn manifest_of(ecosystem: &str) -> Option<&'static str> {
    Some(match ecosystem.to_ascii_lowercase().as_str() {
        "pypi" | "pip" | "python" => "requirements.txt",
        "poetry" => "poetry.lock",
        "pipenv" => "Pipfile.lock",
        "npm" | "node" | "nodejs" => "package.json",
        "yarn" => "yarn.lock",
        "pnpm" => "pnpm-lock.yaml",
        "maven" | "java" => "pom.xml",
        "gradle" => "build.gradle",
        "go" | "golang" | "gomod" => "go.mod",
        "cargo" | "crates.io" | "rust" => "Cargo.lock",
        "gem" | "rubygems" | "bundler" | "ruby" => "Gemfile.lock",
        "nuget" | ".net" | "dotnet" => "packages.lock.json",
        "composer" | "packagist" | "php" => "composer.lock",
        "hex" | "erlang" | "elixir" => "mix.lock",
        "pub" | "dart" => "pubspec.lock",
        "swift" => "Package.resolved",
        "cocoapods" => "Podfile.lock",
        _ => return None,
    })
}

/// The repository part of an image reference, without tag or digest (`python:3.4-alpine` →
/// `python`, `ghcr.io/acme/api@sha256:..` → `ghcr.io/acme/api`): what Trivy writes as the
/// artifact location of an image's results.
pub fn image_repository(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    // A tag is a `:` after the last `/` (a `:` before it is a registry port).
    let last_slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let repo = match no_digest[last_slash..].find(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    };
    // `alpine:3.10 (alpine 3.10.9)`: Trivy's target adds the OS in parentheses.
    repo.split_whitespace().next().unwrap_or(repo).to_string()
}

/// The location of a finding's result and where it came from (`reported`, `manifest`,
/// `image`, `url`, `asset`).
fn location(f: &FindingRecord) -> (Value, &'static str) {
    let mut occ: Vec<_> = f.occurrences.iter().collect();
    occ.sort_by_key(|o| (!o.open, o.id));
    let physical = |uri: String, region: Option<Value>| {
        let mut p = json!({ "artifactLocation": { "uri": uri } });
        if let Some(r) = region {
            p["region"] = r;
        }
        json!([{ "physicalLocation": p }])
    };
    if let Some(o) = occ.iter().find(|o| o.data.location.path.is_some()) {
        let l = &o.data.location;
        let path = l.path.as_deref().unwrap_or_default();
        let region = l.start_line.filter(|n| *n >= 1).map(|start| {
            let mut region = json!({ "startLine": start });
            if let Some(end) = l.end_line.filter(|e| *e >= start) {
                region["endLine"] = json!(end);
            }
            if let Some(c) = l.start_column.filter(|c| *c >= 1) {
                region["startColumn"] = json!(c);
            }
            region
        });
        return (physical(uri_reference(path), region), "reported");
    }
    if let Some(image) = occ.iter().find_map(|o| o.data.location.image.as_deref())
        && !image.trim().is_empty()
    {
        return (
            physical(uri_reference(&image_repository(image)), None),
            "image",
        );
    }
    if let Some(manifest) = occ.iter().find_map(|o| {
        let p = o.data.package.as_ref()?;
        manifest_of(p.ecosystem.as_deref()?)
    }) {
        return (physical(manifest.to_string(), None), "manifest");
    }
    if let Some(url) = occ.iter().find_map(|o| o.data.location.url.as_deref())
        && url.contains("://")
    {
        return (physical(url_reference(url), None), "url");
    }
    (physical(uri_reference(&f.asset), None), "asset")
}

/// A URL as a URI: what a URI cannot hold percent-encoded, the rest kept.
fn url_reference(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@?#%[]".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF suppression of a triaged finding: false positives, acceptances and not-affected
/// decisions are dismissed in code scanning, with the person's reason.
fn suppression(f: &FindingRecord) -> Option<Value> {
    let (status, default) = match f.status {
        FindingStatus::FalsePositive => ("false-positive", "false positive"),
        FindingStatus::Accepted => ("accepted", "risk accepted"),
        FindingStatus::NotAffected => ("not-affected", "not affected"),
        _ => return None,
    };
    let reason = f
        .triage_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(default);
    Some(json!([{
        "kind": "external",
        "status": "accepted",
        "justification": format!("{status}: {reason}"),
    }]))
}

/// The rule key of a finding: its scanner rule id, else its category.
fn rule_key(f: &FindingRecord) -> String {
    if f.rule_id.trim().is_empty() {
        format!("posture/{}", f.category.as_str())
    } else {
        f.rule_id.clone()
    }
}

/// Writes a SARIF 2.1.0 log: one run per asset (in name order), driver `posture` at `version`;
/// `branch_of` names the branch each asset's results describe (the run id of
/// `automationDetails`). At most [`GITHUB_MAX_RESULTS_PER_RUN`] results per run, the first ones
/// in the order given.
pub fn sarif_log(
    version: &str,
    results: &[SarifResult<'_>],
    branch_of: &dyn Fn(&str) -> String,
) -> Result<SarifLog, SarifError> {
    let mut by_asset: BTreeMap<&str, Vec<&SarifResult<'_>>> = BTreeMap::new();
    for r in results {
        by_asset
            .entry(r.finding.asset.as_str())
            .or_default()
            .push(r);
    }
    if by_asset.len() > GITHUB_MAX_RUNS {
        return Err(SarifError::TooManyAssets(by_asset.len()));
    }
    let mut left_out = BTreeMap::new();
    let mut runs: Vec<Value> = by_asset
        .into_iter()
        .map(|(asset, mut rs)| {
            if rs.len() > GITHUB_MAX_RESULTS_PER_RUN {
                left_out.insert(asset.to_string(), rs.len() - GITHUB_MAX_RESULTS_PER_RUN);
                rs.truncate(GITHUB_MAX_RESULTS_PER_RUN);
            }
            let mut run = run(version, &rs);
            run["automationDetails"] = json!({
                "id": format!("posture/{asset}/{}", branch_of(asset)),
                "description": { "text": format!("Posture findings of asset {asset}") },
            });
            if let Some(n) = left_out.get(asset) {
                run["properties"] = json!({ "postureResultsLeftOut": n });
            }
            run
        })
        .collect();
    if runs.is_empty() {
        // A log without results still names its tool (an empty run).
        runs.push(run(version, &[]));
    }
    Ok(SarifLog {
        log: json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": runs,
        }),
        left_out,
    })
}

/// One run: the rules of its results, then the results.
fn run(version: &str, results: &[&SarifResult<'_>]) -> Value {
    // Rules: one per distinct rule key, sorted by key.
    let mut rules: BTreeMap<String, &FindingRecord> = BTreeMap::new();
    for r in results {
        rules.entry(rule_key(r.finding)).or_insert(r.finding);
    }
    let index: BTreeMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|(key, f)| {
            let description = f
                .occurrences
                .iter()
                .find_map(|o| o.data.description.clone())
                .unwrap_or_else(|| f.title.clone());
            let references: Vec<&String> = f
                .occurrences
                .iter()
                .flat_map(|o| o.data.references.iter())
                .take(5)
                .collect();
            let mut help = description.clone();
            if !references.is_empty() {
                help.push_str("\n\nReferences:");
                for r in &references {
                    help.push_str("\n- ");
                    help.push_str(r);
                }
            }
            let mut tags = vec![f.category.as_str().to_string(), "security".to_string()];
            for o in &f.occurrences {
                for c in &o.data.cwes {
                    let t = format!("external/cwe/cwe-{c}");
                    if !tags.contains(&t) && tags.len() < GITHUB_MAX_TAGS_PER_RULE {
                        tags.push(t);
                    }
                }
            }
            json!({
                "id": key,
                "name": key,
                "shortDescription": { "text": f.title },
                "fullDescription": { "text": description },
                "help": { "text": help },
                "defaultConfiguration": { "level": level_of(f.severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(f.severity),
                    "precision": "high",
                }
            })
        })
        .collect();
    let result_values: Vec<Value> = results
        .iter()
        .map(|r| {
            let f = r.finding;
            let key = rule_key(f);
            let fingerprint = f
                .occurrences
                .iter()
                .min_by_key(|o| o.id)
                .map(|o| o.fingerprint.clone())
                .unwrap_or_else(|| format!("finding-{}", f.id));
            let tools: Vec<&str> = {
                let mut t: Vec<&str> = f.occurrences.iter().map(|o| o.tool.as_str()).collect();
                t.sort_unstable();
                t.dedup();
                t
            };
            let (locations, located_by) = location(f);
            let mut properties = Map::new();
            properties.insert("findingId".into(), json!(f.id));
            properties.insert("asset".into(), json!(f.asset));
            properties.insert("severity".into(), json!(f.severity.as_str()));
            properties.insert("category".into(), json!(f.category.as_str()));
            properties.insert("status".into(), json!(f.status.as_str()));
            properties.insert("tools".into(), json!(tools));
            if located_by != "reported" {
                properties.insert("postureLocation".into(), json!(located_by));
            }
            for (k, v) in &r.properties {
                properties.insert(k.clone(), v.clone());
            }
            let mut v = json!({
                "ruleId": key,
                "ruleIndex": index.get(key.as_str()).copied().unwrap_or(0),
                "level": r.level.unwrap_or_else(|| level_of(f.severity)),
                "message": { "text": r.message.clone().unwrap_or_else(|| f.title.clone()) },
                "locations": locations,
                "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
                "properties": properties,
            });
            if let Some(s) = suppression(f) {
                v["suppressions"] = s;
            }
            v
        })
        .collect();
    json!({
        "tool": {
            "driver": {
                "name": "posture",
                "version": version,
                "informationUri": "https://example.invalid/posture",
                "rules": rule_values,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": result_values,
    })
}
