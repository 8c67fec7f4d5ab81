//! gosec JSON reports (`gosec -fmt json ./...`), gosec 2.x (2019 to 2026).
//!
//! Shape: an object with `Issues[]`, `Stats {files, lines, nosec, found}`, `Golang errors`
//! (`{file: [{line, column, error}]}`) and, in recent versions, `GosecVersion`. Each issue has
//! `severity`, `confidence`, `cwe` (`{id, url}` with the id a string; absent before 2.0 and
//! `null` for the taint rules G70x), `rule_id`, `details`, `file`, `code`, `line` (a string,
//! `"12"` or a range `"12-14"`), `column` (a string), and in recent versions `nosec`,
//! `suppressions` (`null` or `[{kind, justification}]`) and `autofix`. `Issues: null` reads as
//! empty.
//!
//! Severity (`severity`):
//!
//! | gosec    | Posture |
//! |----------|---------|
//! | `HIGH`   | high    |
//! | `MEDIUM` | medium  |
//! | `LOW`    | low     |
//! | missing or anything else | medium (with a warning diagnostic for an unknown word) |
//!
//! `confidence` is written in the description.
//!
//! Identity hints: gosec has no stable id, so no `tool_fingerprint`. `context` is the flagged
//! line(s) of `code` (gosec prints a line of context around them), with gosec's `NNN: `
//! prefixes removed and whitespace collapsed (older reports give the bare expression).
//!
//! Suppressions: `nosec: true` or a non-empty `suppressions` list (reports written with
//! `-track-suppressions`) mark the occurrence `suppressed`; justifications go to the
//! description.
//!
//! Errors: each entry of `Golang errors` becomes a `Warning` diagnostic at
//! `/Golang errors/<file>/N`.
//!
//! Collapsing: none, one occurrence per `Issues[]` item.

use crate::json::{self, null_default, opt_lenient_string, opt_lenient_u32};
use crate::support::{flagged_code, present_list, reshape};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct Gosec;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(rename = "Issues", default, borrow, deserialize_with = "present_list")]
    issues: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Golang errors", default, borrow)]
    golang_errors: Option<BTreeMap<String, Option<Vec<&'a RawValue>>>>,
    #[serde(
        rename = "GosecVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Issue {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    confidence: Option<String>,
    #[serde(default)]
    cwe: Option<Cwe>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    rule_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    details: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    line: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column: Option<u32>,
    #[serde(default)]
    nosec: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    suppressions: Vec<Suppression>,
}

#[derive(Deserialize)]
struct Cwe {
    #[serde(
        default,
        rename = "id",
        alias = "ID",
        deserialize_with = "opt_lenient_string"
    )]
    id: Option<String>,
    #[serde(
        default,
        rename = "url",
        alias = "URL",
        deserialize_with = "opt_lenient_string"
    )]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Suppression {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    justification: Option<String>,
}

#[derive(Deserialize)]
struct GoError {
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    error: Option<String>,
}

impl Parser for Gosec {
    fn id(&self) -> &'static str {
        "gosec-json"
    }

    fn description(&self) -> &'static str {
        "gosec JSON report (gosec -fmt json, 2.x)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_key("Issues") && (s.has_key("Golang errors") || s.has_key("GosecVersion")) {
            return Confidence::CERTAIN;
        }
        if s.has_key("Issues") && s.has_keys(&["rule_id", "details", "confidence"]) {
            return Confidence::CERTAIN;
        }
        if s.has_key("Issues") && s.has_keys(&["Stats", "nosec", "found"]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str =
            "expected a gosec JSON report (an object with `Issues`, `Stats`, `Golang errors`)";
        let doc: Doc = json::from_slice(input).map_err(|e| reshape(e, EXPECTED))?;
        let Some(issues) = doc.issues else {
            return Err(ParseError::shape(format!("{EXPECTED}; no `Issues` key")));
        };
        let mut diagnostics = Vec::new();
        let mut warnings = Vec::new();
        for (file, errs) in doc.golang_errors.iter().flatten() {
            let base = json::pointer("/Golang errors", file);
            let errs = errs.as_deref().unwrap_or_default();
            json::each_item(errs, &base, &mut diagnostics, |_, loc, e: GoError| {
                let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                warnings.push(json::warning(
                    &loc,
                    format!(
                        "gosec could not build {file}{at}: {}",
                        e.error.as_deref().unwrap_or("no message")
                    ),
                ));
            });
        }
        let mut occurrences = Vec::with_capacity(issues.len());
        json::each_item(&issues, "/Issues", &mut diagnostics, |_, loc, i: Issue| {
            occurrences.push(to_occurrence(i, loc, &mut warnings));
        });
        diagnostics.extend(warnings);
        let version = doc
            .version
            .filter(|v| !v.trim().is_empty() && v.trim() != "dev");
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("gosec", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn severity(word: Option<&str>) -> (Severity, bool) {
    match word.map(|w| w.trim().to_ascii_uppercase()).as_deref() {
        Some("HIGH") => (Severity::High, true),
        Some("MEDIUM") => (Severity::Medium, true),
        Some("LOW") => (Severity::Low, true),
        None | Some("") => (Severity::Medium, true),
        Some(_) => (Severity::Medium, false),
    }
}

/// `"12"` -> (12, None); `"12-14"` -> (12, Some(14)).
fn line_range(line: Option<&str>) -> (Option<u32>, Option<u32>) {
    let Some(l) = line.map(str::trim) else {
        return (None, None);
    };
    let mut parts = l.splitn(2, '-');
    let start = parts
        .next()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|n| *n > 0);
    let end = parts
        .next()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|e| start.is_some_and(|s| *e > s));
    (start, end)
}

fn to_occurrence(i: Issue, locator: String, diags: &mut Vec<Diagnostic>) -> Occurrence {
    let rule = i
        .rule_id
        .clone()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "gosec".to_string());
    let details = i
        .details
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let title = details
        .and_then(|d| d.lines().next())
        .map(String::from)
        .unwrap_or_else(|| rule.clone());
    let (sev, known) = severity(i.severity.as_deref());
    if !known {
        diags.push(json::warning(
            &locator,
            format!(
                "unknown gosec severity `{}`, read as medium",
                i.severity.as_deref().unwrap_or_default()
            ),
        ));
    }
    let mut occ = Occurrence::new(Category::Sast, rule, title, sev, locator);
    occ.tool_severity = i.severity.clone().filter(|s| !s.trim().is_empty());
    let (start, end) = line_range(i.line.as_deref());
    occ.location = Location {
        path: i.file.clone().filter(|f| !f.trim().is_empty()),
        start_line: start,
        end_line: end,
        start_column: i.column.filter(|c| *c > 0),
        ..Location::default()
    };
    occ.identity.context = i
        .code
        .as_deref()
        .and_then(|c| flagged_code(c, start, end.or(start)));
    if let Some(cwe) = &i.cwe {
        if let Some(id) = cwe.id.as_deref().and_then(json::parse_cwe) {
            occ.cwes = vec![id];
        }
        if let Some(u) = cwe.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            occ.references.push(u.to_string());
        }
    }
    let mut desc = Vec::new();
    if let Some(d) = details {
        desc.push(d.to_string());
    }
    if let Some(c) = i.confidence.as_deref().filter(|c| !c.trim().is_empty()) {
        desc.push(format!("Confidence: {c}."));
    }
    occ.suppressed = i.nosec == Some(true) || !i.suppressions.is_empty();
    for s in &i.suppressions {
        let kind = s.kind.as_deref().unwrap_or("suppressed");
        match s.justification.as_deref().filter(|j| !j.trim().is_empty()) {
            Some(j) => desc.push(format!("Suppressed ({kind}): {j}")),
            None => desc.push(format!("Suppressed ({kind}).")),
        }
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ranges() {
        assert_eq!(line_range(Some("12")), (Some(12), None));
        assert_eq!(line_range(Some("12-14")), (Some(12), Some(14)));
        assert_eq!(line_range(Some("x")), (None, None));
        assert_eq!(line_range(None), (None, None));
    }
}
