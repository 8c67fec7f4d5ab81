//! Burp Suite REST API scan results (`GET /v0.1/scan/{task_id}`): `{"task_id", "scan_status",
//! "issue_events": [{"id", "type": "issue_found", "issue": {name, type_index, serial_number,
//! origin, path, severity, confidence, description, caption, evidence[]...}}]}`.
//!
//! Severity (`issue.severity`): `high` -> high, `medium` -> medium, `low` -> low, `info` ->
//! info (anything else -> info, the word kept).
//!
//! Occurrences: one per issue event with an `issue`. Location: `url` = origin + path; `method`
//! from the first request segment of the evidence (base64, only the request line is decoded);
//! no parameter (the API does not name the insertion point apart from the free-text caption).
//! Rule = `type_index`. Request and response segments are never stored; `serial_number` is not
//! a tool fingerprint (new per scan).

use super::xml::{burp_severity, request_method};
use crate::json::{self, null_default, opt_lenient_string};
use crate::support::base64::decode_prefix;
use crate::support::html_to_text;
use crate::support::join_url;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct BurpApi;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(default, borrow)]
    issue_events: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    issue: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Issue {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    type_index: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    origin: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    remediation: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    evidence: Vec<serde_json::Value>,
}

impl Parser for BurpApi {
    fn id(&self) -> &'static str {
        "burp-api-json"
    }

    fn description(&self) -> &'static str {
        "Burp Suite REST API scan result (issue_events)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Dast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("issue_events") {
            return Confidence::NO;
        }
        if s.has_key("task_id") || s.has_key("scan_status") || s.has_key("type_index") {
            Confidence::CERTAIN
        } else {
            Confidence::MATCH
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let raw: &RawValue = json::from_slice(input)?;
        let shape = || {
            ParseError::shape(
                "expected a Burp REST API scan result (an object with `issue_events`)",
            )
        };
        if !raw.get().starts_with('{') {
            return Err(shape());
        }
        let report: Report =
            serde_json::from_str(raw.get()).map_err(|e| ParseError::from_json(&e))?;
        let Some(events) = report.issue_events else {
            return Err(shape());
        };
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        json::each_item(
            &events,
            "/issue_events",
            &mut diagnostics,
            |_, loc, ev: Event| {
                if let Some(raw) = ev.issue.filter(|r| r.get() != "null") {
                    occurrences.push((loc, raw));
                }
            },
        );
        let mut out = Vec::with_capacity(occurrences.len());
        for (loc, raw) in occurrences {
            if !raw.get().starts_with('{') {
                diagnostics.push(json::skipped(
                    &loc,
                    "issue skipped: `issue` is not an object",
                ));
                continue;
            }
            let issue: Issue = match serde_json::from_str(raw.get()) {
                Ok(i) => i,
                Err(e) => {
                    diagnostics.push(json::skipped(&loc, format!("issue skipped: {e}")));
                    continue;
                }
            };
            match to_occurrence(issue, &loc) {
                Some(o) => out.push(o),
                None => diagnostics.push(json::skipped(
                    &loc,
                    "issue skipped: it has neither type_index nor name",
                )),
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("burp", None),
                occurrences: out,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn ne(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn method_of(evidence: &[serde_json::Value]) -> Option<String> {
    for ev in evidence {
        let segments = ev
            .pointer("/request_response/request")
            .and_then(|r| r.as_array());
        let Some(first) = segments.and_then(|s| s.first()) else {
            continue;
        };
        let data = first.get("data").and_then(|d| d.as_str()).unwrap_or("");
        if let Some(m) = decode_prefix(data, 64).as_deref().and_then(request_method) {
            return Some(m);
        }
    }
    None
}

fn to_occurrence(issue: Issue, loc: &str) -> Option<Occurrence> {
    let name = ne(issue.name);
    let rule = ne(issue.type_index).or_else(|| name.clone())?;
    let title = name.unwrap_or_else(|| format!("Burp issue {rule}"));
    let word = ne(issue.severity);
    let severity = word.as_deref().map(burp_severity).unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Dast, rule, title, severity, loc.to_string());
    occ.tool_severity = word;
    let mut parts = Vec::new();
    if let Some(d) = ne(issue.description).map(|d| html_to_text(&d)) {
        parts.push(d);
    }
    if let Some(r) = ne(issue.remediation).map(|r| html_to_text(&r)) {
        parts.push(format!("Remediation: {r}"));
    }
    occ.description = (!parts.is_empty()).then(|| parts.join("\n\n"));
    let origin = ne(issue.origin);
    let path = ne(issue.path);
    occ.location = Location {
        url: join_url(origin.as_deref(), path.as_deref()),
        method: method_of(&issue.evidence),
        ..Location::default()
    };
    Some(occ)
}
