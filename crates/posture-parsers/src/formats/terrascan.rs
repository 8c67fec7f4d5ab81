//! Terrascan JSON reports (`terrascan scan -o json`).
//!
//! Shape: `{"results": {"violations": [...] | null, "skipped_violations": [...] | null,
//! "scan_errors": [...], "scan_summary": {...}}}`.
//!
//! Items: one occurrence per `results.violations[]` item, category **iac**;
//! `results.skipped_violations[]` (waived with `#ts:skip` or `--skip-rules`) are kept with
//! `suppressed = true`. Each `scan_errors[]` entry (an IaC type Terrascan could not load, e.g.
//! "no helm charts found") is a Warning diagnostic: the scan still ran for the other types.
//! * `rule_id` = `rule_id` (`AC_AWS_0207`, `accurics.gcp.NS.109`), title = `description`,
//!   `rule_name` and `category` in the description.
//! * `location.path` = `file` (joined under `plan_root` when that is a real directory, not
//!   `./`), `start_line` = `line`, `location.resource` = `resource_type.resource_name`
//!   (`google_container_cluster.k8s_cluster`, Terraform's own address form, as Checkov writes).
//! * No stable per-result id: no `tool_fingerprint`; identity context = the resource address.
//!
//! Severity: `HIGH` → high, `MEDIUM` → medium, `LOW` → low, anything else → info (Terrascan
//! has no critical).

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, opt_lenient_u32, pointer, pointer_index};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

pub struct Terrascan;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(borrow)]
    results: Results<'a>,
}

#[derive(Deserialize)]
struct Results<'a> {
    #[serde(default, borrow)]
    violations: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    skipped_violations: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    scan_errors: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Violation {
    #[serde(default)]
    rule_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    resource_name: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    plan_root: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    skip_comment: Option<String>,
}

impl Parser for Terrascan {
    fn id(&self) -> &'static str {
        "terrascan-json"
    }

    fn description(&self) -> &'static str {
        "Terrascan JSON report"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Iac]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("results") {
            return Confidence::NO;
        }
        if s.has_key("violations")
            && (s.has_key("scan_summary")
                || s.has_key("skipped_violations")
                || s.has_key("scan_errors"))
        {
            return Confidence::CERTAIN;
        }
        if s.has_key("scan_summary") && s.has_key("policies_validated") {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let results_raw = require_key(input, "results", "Terrascan report")?;
        if !results_raw.get().trim_start().starts_with('{') {
            return Err(ParseError::shape(
                "not a Terrascan report: expected `results` to be an object with `violations`",
            ));
        }
        let report: Report = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a Terrascan report: expected `results` with `violations` ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let r = report.results;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (list, items, suppressed) in [
            ("violations", r.violations, false),
            ("skipped_violations", r.skipped_violations, true),
        ] {
            let items = items.unwrap_or_default();
            let base = pointer("/results", list);
            json::each_item(&items, &base, &mut diagnostics, |_, loc, v: Violation| {
                let mut o = to_occurrence(v, loc);
                o.suppressed = suppressed;
                occurrences.push(o);
            });
        }
        for (i, e) in r.scan_errors.unwrap_or_default().iter().enumerate() {
            let msg = e
                .get("errMsg")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| e.to_string());
            let kind = e.get("iac_type").and_then(Value::as_str).unwrap_or("?");
            diagnostics.push(json::warning(
                &pointer_index("/results/scan_errors", i),
                format!("Terrascan scan error ({kind}): {msg}"),
            ));
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("terrascan", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn to_occurrence(v: Violation, locator: String) -> Occurrence {
    let rule = non_empty(v.rule_id)
        .or(non_empty(v.rule_name.clone()))
        .unwrap_or_else(|| "terrascan".to_string());
    let tool_severity = non_empty(v.severity);
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    };
    let title = non_empty(v.description)
        .or(non_empty(v.rule_name.clone()))
        .unwrap_or_else(|| rule.clone());
    let mut occ = Occurrence::new(Category::Iac, rule, title, severity, locator);
    occ.tool_severity = tool_severity;
    let resource = match (non_empty(v.resource_type), non_empty(v.resource_name)) {
        (Some(t), Some(n)) => Some(format!("{t}.{n}")),
        (None, Some(n)) => Some(n),
        (Some(t), None) => Some(t),
        (None, None) => None,
    };
    let root = non_empty(v.plan_root).filter(|r| r != "./" && r != ".");
    let path = non_empty(v.file).map(|f| match &root {
        Some(r) if !f.starts_with('/') && !f.starts_with(r.as_str()) => {
            format!("{}/{}", r.trim_end_matches('/'), f.trim_start_matches("./"))
        }
        _ => f,
    });
    occ.location = Location {
        path,
        start_line: v.line.filter(|l| *l > 0),
        end_line: v.line.filter(|l| *l > 0),
        resource: resource.clone(),
        ..Location::default()
    };
    occ.identity.context = resource;
    let mut desc = Vec::new();
    if let Some(n) = non_empty(v.rule_name) {
        desc.push(format!("Rule: {n}."));
    }
    if let Some(c) = non_empty(v.category) {
        desc.push(format!("Category: {c}."));
    }
    if let Some(c) = non_empty(v.skip_comment) {
        desc.push(format!("Skipped: {c}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join(" "));
    occ
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
