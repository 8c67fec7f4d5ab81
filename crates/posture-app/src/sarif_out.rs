//! A SARIF 2.1.0 writer for Posture findings (the gate's `--sarif`, and exports).
//!
//! It exists so every SARIF Posture writes has the same shape: one run whose driver is
//! Posture, one rule per distinct scanner rule (with help text and a default level from the
//! severity, plus GitHub's `security-severity`), one result per finding with its location,
//! and `partialFingerprints` from Posture's own fingerprint of the finding's founding
//! occurrence, so code scanning recognises a result across uploads even when lines move.
//! The output validates against the OASIS schema (`schemas/sarif-2.1.0.json`).

use posture_model::Severity;
use posture_store::FindingRecord;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The key of Posture's fingerprint in `partialFingerprints` (versioned: a change of
/// fingerprint scheme gets a new key, so old alerts are not matched wrongly).
pub const FINGERPRINT_KEY: &str = "postureFinding/v1";

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

fn location(f: &FindingRecord) -> Option<Value> {
    let mut occ: Vec<_> = f.occurrences.iter().collect();
    occ.sort_by_key(|o| (!o.open, o.id));
    let o = occ.iter().find(|o| o.data.location.path.is_some())?;
    let l = &o.data.location;
    let path = l.path.as_deref()?;
    let mut physical = json!({ "artifactLocation": { "uri": uri_reference(path) } });
    if let Some(start) = l.start_line.filter(|n| *n >= 1) {
        let mut region = json!({ "startLine": start });
        if let Some(end) = l.end_line.filter(|e| *e >= start) {
            region["endLine"] = json!(end);
        }
        if let Some(c) = l.start_column.filter(|c| *c >= 1) {
            region["startColumn"] = json!(c);
        }
        physical["region"] = region;
    }
    Some(json!([{ "physicalLocation": physical }]))
}

/// The rule key of a finding: its scanner rule id, else its category.
fn rule_key(f: &FindingRecord) -> String {
    if f.rule_id.trim().is_empty() {
        format!("posture/{}", f.category.as_str())
    } else {
        f.rule_id.clone()
    }
}

/// Writes a SARIF 2.1.0 log: one run, driver `posture` at `version`.
pub fn sarif_log(version: &str, results: &[SarifResult<'_>]) -> Value {
    // Rules: one per distinct rule key, in order of first appearance sorted by key.
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
                    if !tags.contains(&t) {
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
            let mut properties = Map::new();
            properties.insert("findingId".into(), json!(f.id));
            properties.insert("asset".into(), json!(f.asset));
            properties.insert("severity".into(), json!(f.severity.as_str()));
            properties.insert("category".into(), json!(f.category.as_str()));
            properties.insert("status".into(), json!(f.status.as_str()));
            properties.insert("tools".into(), json!(tools));
            for (k, v) in &r.properties {
                properties.insert(k.clone(), v.clone());
            }
            let mut v = json!({
                "ruleId": key,
                "ruleIndex": index.get(key.as_str()).copied().unwrap_or(0),
                "level": r.level.unwrap_or_else(|| level_of(f.severity)),
                "message": { "text": r.message.clone().unwrap_or_else(|| f.title.clone()) },
                "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
                "properties": properties,
            });
            if let Some(loc) = location(f) {
                v["locations"] = loc;
            }
            v
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
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
        }]
    })
}
