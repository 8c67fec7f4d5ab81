//! KICS JSON reports (`kics scan --report-formats json`), KICS 1.x and 2.x.
//!
//! Shape: `{kics_version?, files_scanned, ..., severity_counters, total_counter, queries[]}`;
//! `queries` is `[]` (or `null`) when nothing was found. Each query lists `files[]`, one entry
//! per place the query matched.
//!
//! Items: one occurrence per `queries[i].files[j]` (the locator points at the file entry), category
//! **iac** (KICS's "Passwords And Secrets" query stays iac: the report carries no secret value).
//! * `rule_id` = `query_id` (a UUID, stable across KICS versions), title = `query_name`,
//!   description = `description` plus expected/actual values, `cwes` from `cwe`, `references`
//!   = `query_url`.
//! * `location.path` = `file_name` with Windows backslashes turned into `/`, `start_line` =
//!   `line`, `location.resource` = `search_key` (the path of the offending element,
//!   `resource.aws_s3_bucket[b].acl`). `search_line` (`-1` when unknown) is not used.
//! * `tool_fingerprint` = `similarity_id`: KICS computes it from the file, query, search key and
//!   expected value, not from the line number, so it survives edits above the issue.
//! * Identity context: `search_key` plus the expected value.
//!
//! Counting: every file entry is one occurrence, also when KICS lists the same place several
//! times (DefectDojo `many_findings.json`: `RBAC Wildcard In Rule` lists one `similarity_id` four
//! times; 18 entries, 18 occurrences; the engine merges them through their shared fingerprint).
//!
//! Severity (`severity` of the query): `CRITICAL` → critical, `HIGH` → high, `MEDIUM` → medium,
//! `LOW` → low, `INFO`/`TRACE` (and anything unknown) → info.

use crate::json::{self, opt_lenient_string, opt_lenient_u32, parse_cwe, pointer};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Kics;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(borrow)]
    queries: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    kics_version: Option<String>,
}

#[derive(Deserialize)]
struct Query<'a> {
    #[serde(default)]
    query_name: Option<String>,
    #[serde(default)]
    query_id: Option<String>,
    #[serde(default)]
    query_url: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    cwe: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, borrow)]
    files: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct FileEntry {
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    similarity_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    issue_type: Option<String>,
    #[serde(default)]
    search_key: Option<String>,
    #[serde(default)]
    expected_value: Option<String>,
    #[serde(default)]
    actual_value: Option<String>,
}

impl Parser for Kics {
    fn id(&self) -> &'static str {
        "kics-json"
    }

    fn description(&self) -> &'static str {
        "KICS JSON report"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Iac]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("queries") {
            return Confidence::NO;
        }
        if s.has_key("query_id") && s.has_key("similarity_id") {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["severity_counters", "total_counter"])
            || s.has_keys(&["queries_total", "files_scanned"])
        {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        require_key(input, "queries", "KICS report")?;
        let report: Report = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a KICS report: expected an object with `queries` ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let queries = report.queries.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let mut parsed = Vec::with_capacity(queries.len());
        json::each_item(
            &queries,
            "/queries",
            &mut diagnostics,
            |_, loc, q: Query| parsed.push((loc, q)),
        );
        for (qloc, q) in parsed {
            let files = q.files.clone().unwrap_or_default();
            let base = pointer(&qloc, "files");
            json::each_item(&files, &base, &mut diagnostics, |_, loc, f: FileEntry| {
                occurrences.push(to_occurrence(&q, f, loc));
            });
        }
        let version = report.kics_version.filter(|v| v != "development");
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("kics", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

fn to_occurrence(q: &Query, f: FileEntry, locator: String) -> Occurrence {
    let rule = non_empty(q.query_id.as_deref())
        .or(non_empty(q.query_name.as_deref()))
        .unwrap_or_else(|| "kics".to_string());
    let tool_severity = non_empty(q.severity.as_deref());
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Info,
    };
    let title = non_empty(q.query_name.as_deref()).unwrap_or_else(|| rule.clone());
    let mut occ = Occurrence::new(Category::Iac, rule, title, severity, locator);
    occ.tool_severity = tool_severity;
    let search_key = non_empty(f.search_key.as_deref());
    occ.location = Location {
        path: non_empty(f.file_name.as_deref()).map(|p| p.replace('\\', "/")),
        start_line: f.line.filter(|l| *l > 0),
        end_line: f.line.filter(|l| *l > 0),
        resource: search_key.clone(),
        ..Location::default()
    };
    occ.identity.tool_fingerprint = non_empty(f.similarity_id.as_deref());
    let expected = non_empty(f.expected_value.as_deref());
    occ.identity.context = match (&search_key, &expected) {
        (Some(k), Some(e)) => Some(format!("{k}: {e}")),
        (Some(k), None) => Some(k.clone()),
        (None, e) => e.clone(),
    };
    let mut desc = Vec::new();
    if let Some(d) = non_empty(q.description.as_deref()) {
        desc.push(d);
    }
    if let Some(e) = expected {
        desc.push(format!("Expected: {e}"));
    }
    if let Some(a) = non_empty(f.actual_value.as_deref()) {
        desc.push(format!("Actual: {a}"));
    }
    let mut meta = Vec::new();
    for (k, v) in [
        ("Platform", &q.platform),
        ("Category", &q.category),
        ("Issue type", &f.issue_type),
    ] {
        if let Some(v) = non_empty(v.as_deref()) {
            meta.push(format!("{k}: {v}."));
        }
    }
    if !meta.is_empty() {
        desc.push(meta.join(" "));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ.cwes = q.cwe.as_deref().and_then(parse_cwe).into_iter().collect();
    if let Some(u) = non_empty(q.query_url.as_deref()) {
        occ.references.push(u);
    }
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
