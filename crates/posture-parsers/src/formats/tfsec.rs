//! tfsec JSON reports (`tfsec --format json`), legacy v0.x and current v1.x.
//!
//! Shape: `{"results": [...]}`; `"results": null` when nothing was found.
//! * v0.x (legacy): `rule_id` is the short code (`GEN003`, `AWS050`), `link` a sentence with a
//!   URL, `passed: bool`, severity words `ERROR`/`WARNING`/`INFO`.
//! * v1.x (current): `rule_id` is the long id (`aws-vpc-no-excessive-port-access`),
//!   `legacy_rule_id` the short code, `long_id` (newer), `links[]`, `status`
//!   (`failed`/`passed`/`ignored`), `resource` (newer), severity `CRITICAL`..`LOW`.
//!
//! Items: one occurrence per `results[]` item, category **iac**. Items whose `status` is
//! `passed` (or `passed: true`; written only with `--include-passed`) are not findings and are
//! skipped; `ignored` items (waived with `tfsec:ignore`) are kept with `suppressed = true`.
//! * `rule_id` = `long_id`, else `rule_id`; `legacy_rule_id` is kept in the description.
//! * `location.path` = `location.filename`, lines from `start_line`/`end_line`,
//!   `location.resource` = `resource`, else the `Resource '<address>'` quoted at the start of
//!   the description (tfsec v1.0-1.2 has no `resource` field). The resource address includes
//!   the module path (`module.EKS:module.eks:aws_eks_cluster.this`).
//! * Identity context: the `description` (the tool's message naming the resource); tfsec has
//!   no stable per-result id, so there is no `tool_fingerprint`.
//! * References: `links[]`, or the URL inside the legacy `link` sentence.
//!
//! Counting: one occurrence per item. DefectDojo merges items with the same severity, file,
//! line and rule into one finding (`many_findings_current.json`: 19 → 13, because one module
//! instantiated six times reports the same line six times). Posture keeps all 19: each item is
//! a different resource address (a different module instance), which the engine sees through
//! `location.resource`.
//!
//! Severity: `CRITICAL` → critical, `HIGH`/`ERROR` → high, `MEDIUM`/`WARNING` → medium,
//! `LOW` → low, `INFO` (and anything unknown) → info.

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, opt_lenient_u32};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Tfsec;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(borrow)]
    results: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    long_id: Option<String>,
    #[serde(default)]
    legacy_rule_id: Option<String>,
    #[serde(default)]
    rule_description: Option<String>,
    #[serde(default)]
    rule_provider: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    #[serde(default)]
    passed: Option<bool>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    links: Option<Vec<String>>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    location: Option<Loc>,
}

#[derive(Deserialize)]
struct Loc {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
}

impl Parser for Tfsec {
    fn id(&self) -> &'static str {
        "tfsec-json"
    }

    fn description(&self) -> &'static str {
        "tfsec JSON report (legacy v0.x and v1.x)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Iac]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("results") {
            return Confidence::NO;
        }
        if s.has_key("rule_id")
            && s.has_key("location")
            && (s.has_key("rule_description") || s.has_key("legacy_rule_id"))
        {
            return Confidence::CERTAIN;
        }
        if s.complete && s.head.split_whitespace().collect::<String>() == r#"{"results":null}"# {
            // tfsec's empty report (and nothing else writes exactly that)
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        require_key(input, "results", "tfsec report")?;
        let report: Report = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a tfsec report: expected an object with `results` ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let items = report.results.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        json::each_item(&items, "/results", &mut diagnostics, |_, loc, it: Item| {
            if let Some(o) = to_occurrence(it, loc) {
                occurrences.push(o);
            }
        });
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("tfsec", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// `Resource 'module.x:aws_s3_bucket.b' has ...` → `module.x:aws_s3_bucket.b`.
fn resource_in(description: &str) -> Option<String> {
    let rest = description.trim_start().strip_prefix("Resource '")?;
    let end = rest.find('\'')?;
    let r = rest.get(..end)?.trim();
    (!r.is_empty()).then(|| r.to_string())
}

fn to_occurrence(it: Item, locator: String) -> Option<Occurrence> {
    let status = match &it.status {
        Some(serde_json::Value::String(s)) => s.to_ascii_lowercase(),
        // tfsec 1.x briefly wrote the status as a number: 0 failed, 1 passed, 2 ignored
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(1) => "passed".to_string(),
            Some(2) => "ignored".to_string(),
            _ => "failed".to_string(),
        },
        _ => String::new(),
    };
    if status == "passed" || (status.is_empty() && it.passed == Some(true)) {
        return None;
    }
    let rule = non_empty(it.long_id)
        .or(non_empty(it.rule_id))
        .or(non_empty(it.legacy_rule_id.clone()))
        .unwrap_or_else(|| "tfsec".to_string());
    let tool_severity = non_empty(it.severity);
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") | Some("ERROR") => Severity::High,
        Some("MEDIUM") | Some("WARNING") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    };
    let description = non_empty(it.description);
    let title = non_empty(it.rule_description.clone())
        .or(description.clone())
        .unwrap_or_else(|| rule.clone());
    let mut occ = Occurrence::new(Category::Iac, rule.clone(), title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.suppressed = status == "ignored";
    let loc = it.location.unwrap_or(Loc {
        filename: None,
        start_line: None,
        end_line: None,
    });
    let start = loc.start_line.filter(|l| *l > 0);
    occ.location = Location {
        path: non_empty(loc.filename),
        start_line: start,
        end_line: loc.end_line.filter(|l| *l > 0).or(start),
        resource: non_empty(it.resource).or_else(|| description.as_deref().and_then(resource_in)),
        ..Location::default()
    };
    let mut desc = Vec::new();
    if let Some(d) = &description {
        desc.push(d.clone());
    }
    if let Some(i) = non_empty(it.impact) {
        desc.push(format!("Impact: {i}"));
    }
    if let Some(r) = non_empty(it.resolution) {
        desc.push(format!("Resolution: {r}"));
    }
    if let Some(l) = non_empty(it.legacy_rule_id).filter(|l| *l != rule) {
        desc.push(format!("Legacy rule id: {l}."));
    }
    if let Some(p) = non_empty(it.rule_provider) {
        desc.push(format!("Provider: {p}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ.identity.context = description;
    occ.references = it
        .links
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if occ.references.is_empty()
        && let Some(link) = it.link
        && let Some(start) = link.find("http")
    {
        let url: String = link[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        occ.references.push(url);
    }
    Some(occ)
}

/// The report must be a JSON object holding `key` (serde would also read a struct from an
/// array, and treats a missing optional field as absent). Returns the raw value of `key`.
fn require_key<'a>(input: &'a [u8], key: &str, what: &str) -> Result<&'a RawValue, ParseError> {
    let top: std::collections::BTreeMap<String, &RawValue> =
        json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!("not a {what}: expected a JSON object with `{key}`"))
            } else {
                e
            }
        })?;
    top.get(key).copied().ok_or_else(|| {
        ParseError::shape(format!("not a {what}: expected a JSON object with `{key}`"))
    })
}
