//! Bandit JSON reports (`bandit -r . -f json`), from 1.4/1.5 (2018) to 1.9 (2026).
//!
//! Shape: an object with `results[]`, `errors[]`, `generated_at` and `metrics` (per-file and
//! `_totals` counters, floats in 2020-era reports and ints later; not read). Each result has
//! `test_id` (`B602`), `test_name`, `issue_severity`, `issue_confidence`, `issue_text`,
//! `filename`, `line_number`, `line_range`, `code`, `more_info`; since 1.7 `col_offset`,
//! since 1.7.5 `issue_cwe {id, link}` and `end_col_offset`. `results: null` reads as empty.
//!
//! Severity (`issue_severity`):
//!
//! | Bandit      | Posture |
//! |-------------|---------|
//! | `HIGH`      | high    |
//! | `MEDIUM`    | medium  |
//! | `LOW`       | low     |
//! | `UNDEFINED` | info    |
//! | missing or anything else | medium (with a warning diagnostic for an unknown word) |
//!
//! `issue_confidence` is written in the description.
//!
//! Identity hints: Bandit has no stable id of its own, so no `tool_fingerprint`. `context` is
//! the flagged code: the lines of `code` inside `line_range` (Bandit adds a line of context
//! before and after), with Bandit's line-number prefixes (`84     x = 1`) removed and
//! whitespace collapsed, because the numbers change whenever code moves.
//!
//! Paths: a leading `./` (Bandit run on `.`) is removed so that paths match other scanners'.
//! Columns: `col_offset` is 0-based (Python's AST); Posture's columns are 1-based.
//!
//! Errors: each `errors[]` item (`{filename, reason}`) becomes a `Warning` diagnostic.
//!
//! Tool version: Bandit's JSON does not carry it; it is read from the versioned documentation
//! link of `more_info` (`https://bandit.readthedocs.io/en/1.7.6/...`) when there is one.
//!
//! Collapsing: none, one occurrence per `results[]` item.

use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::support::{flagged_code, present_list, reshape, tidy_path};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Bandit;

#[derive(Deserialize)]
struct Doc<'a> {
    /// `Some` when the key is present, even as `null`.
    #[serde(default, borrow, deserialize_with = "present_list")]
    results: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    errors: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    test_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    test_name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    issue_severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    issue_confidence: Option<String>,
    #[serde(default)]
    issue_cwe: Option<Cwe>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    issue_text: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line_number: Option<u32>,
    #[serde(default, deserialize_with = "lenient_lines")]
    line_range: Vec<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    col_offset: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_col_offset: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    more_info: Option<String>,
}

#[derive(Deserialize)]
struct Cwe {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    link: Option<String>,
}

#[derive(Deserialize)]
struct BanditError {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    reason: Option<String>,
}

/// A list of line numbers; anything unreadable in it is dropped rather than failing the item.
fn lenient_lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let v = Option::<Vec<Option<json::Scalar>>>::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_u32())
        .collect())
}

impl Parser for Bandit {
    fn id(&self) -> &'static str {
        "bandit-json"
    }

    fn description(&self) -> &'static str {
        "Bandit JSON report (bandit -f json, 1.4 to 1.9)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["test_id", "issue_severity", "issue_confidence"]) {
            return Confidence::CERTAIN;
        }
        // an empty report, or one whose per-file metrics fill the head: `generated_at` and
        // Bandit's metrics counters
        if s.has_keys(&[
            "generated_at",
            "metrics",
            "SEVERITY.HIGH",
            "CONFIDENCE.HIGH",
        ]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str =
            "expected a Bandit JSON report (an object with `results` and `errors`)";
        let doc: Doc = json::from_slice(input).map_err(|e| reshape(e, EXPECTED))?;
        let Some(results) = doc.results else {
            return Err(ParseError::shape(format!("{EXPECTED}; no `results` key")));
        };
        let mut diagnostics = Vec::new();
        let mut warnings = Vec::new();
        if let Some(errors) = &doc.errors {
            json::each_item(
                errors,
                "/errors",
                &mut diagnostics,
                |_, loc, e: BanditError| {
                    warnings.push(json::warning(
                        &loc,
                        format!(
                            "bandit could not scan {}: {}",
                            e.filename.as_deref().unwrap_or("a file"),
                            e.reason.as_deref().unwrap_or("no reason given")
                        ),
                    ));
                },
            );
        }
        let mut occurrences = Vec::with_capacity(results.len());
        let mut version = None;
        json::each_item(
            &results,
            "/results",
            &mut diagnostics,
            |_, locator, item: Item| {
                if version.is_none() {
                    version = item.more_info.as_deref().and_then(docs_version);
                }
                occurrences.push(to_occurrence(item, locator, &mut warnings));
            },
        );
        diagnostics.extend(warnings);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("bandit", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// `https://bandit.readthedocs.io/en/1.7.6/plugins/...` -> `1.7.6`.
fn docs_version(url: &str) -> Option<String> {
    let rest = url.split("/en/").nth(1)?;
    let v = rest.split('/').next()?;
    (v.chars().next().is_some_and(|c| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    .then(|| v.to_string())
}

/// Severity table of the module documentation.
fn severity(word: Option<&str>) -> (Severity, bool) {
    match word.map(|w| w.trim().to_ascii_uppercase()).as_deref() {
        Some("HIGH") => (Severity::High, true),
        Some("MEDIUM") => (Severity::Medium, true),
        Some("LOW") => (Severity::Low, true),
        Some("UNDEFINED") => (Severity::Info, true),
        None => (Severity::Medium, true),
        Some(_) => (Severity::Medium, false),
    }
}

fn to_occurrence(item: Item, locator: String, diags: &mut Vec<Diagnostic>) -> Occurrence {
    let rule = item
        .test_id
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| item.test_name.clone().filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| "bandit".to_string());
    let text = item
        .issue_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let title = text
        .and_then(|t| t.lines().next())
        .map(String::from)
        .or_else(|| item.test_name.clone())
        .unwrap_or_else(|| rule.clone());
    let (sev, known) = severity(item.issue_severity.as_deref());
    if !known {
        diags.push(json::warning(
            &locator,
            format!(
                "unknown bandit severity `{}`, read as medium",
                item.issue_severity.as_deref().unwrap_or_default()
            ),
        ));
    }
    let mut occ = Occurrence::new(Category::Sast, rule, title, sev, locator);
    occ.tool_severity = item.issue_severity.clone().filter(|s| !s.is_empty());
    let mut desc = Vec::new();
    if let Some(t) = text {
        desc.push(t.to_string());
    }
    if let Some(name) = item.test_name.as_deref().filter(|n| !n.is_empty()) {
        desc.push(format!("Bandit test: {name}."));
    }
    if let Some(c) = item.issue_confidence.as_deref().filter(|c| !c.is_empty()) {
        desc.push(format!("Confidence: {c}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    if let Some(id) = item
        .issue_cwe
        .as_ref()
        .and_then(|c| c.id.as_deref())
        .and_then(json::parse_cwe)
    {
        occ.cwes = vec![id];
    }
    let start = item.line_number.filter(|l| *l > 0);
    let range_max = item.line_range.iter().copied().max();
    let range_min = item.line_range.iter().copied().filter(|l| *l > 0).min();
    let end = range_max.filter(|e| start.is_none_or(|s| *e > s));
    occ.location = Location {
        path: item
            .filename
            .as_deref()
            .map(tidy_path)
            .filter(|p| !p.is_empty()),
        start_line: start,
        end_line: end,
        start_column: item.col_offset.map(|c| c.saturating_add(1)),
        end_column: item.end_col_offset.filter(|c| *c > 0),
        ..Location::default()
    };
    occ.identity.context = item.code.as_deref().and_then(|c| {
        flagged_code(
            c,
            range_min.or(start),
            range_max.filter(|_| range_min.is_some()).or(start),
        )
    });
    for r in [
        item.more_info.as_deref(),
        item.issue_cwe.as_ref().and_then(|c| c.link.as_deref()),
    ]
    .into_iter()
    .flatten()
    {
        let r = r.trim();
        if !r.is_empty() && !occ.references.iter().any(|x| x == r) {
            occ.references.push(r.to_string());
        }
    }
    occ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_prefixes_are_removed() {
        let code = "84     result = run(\n85         x, shell=True\n86     )\n87 return 1\n88 \n";
        assert_eq!(
            flagged_code(code, Some(84), Some(86)).as_deref(),
            Some("result = run( x, shell=True )")
        );
        let go = "538: \treturn a\n539: \t\treturn b\n540: \t})\n";
        assert_eq!(
            flagged_code(go, Some(539), None).as_deref(),
            Some("return b")
        );
        assert_eq!(
            flagged_code("s.Listen()", Some(79), None).as_deref(),
            Some("s.Listen()")
        );
    }

    #[test]
    fn version_from_docs_link() {
        assert_eq!(
            docs_version("https://bandit.readthedocs.io/en/1.7.6/plugins/b602.html").as_deref(),
            Some("1.7.6")
        );
        assert_eq!(
            docs_version("https://bandit.readthedocs.io/en/latest/x.html"),
            None
        );
    }
}
