//! Brakeman JSON reports (`brakeman -f json`), Brakeman 3.x to 7.x.
//!
//! Shape: an object with `scan_info` (`brakeman_version`, `app_path`, `rails_version`...),
//! `warnings[]`, `ignored_warnings[]` (warnings silenced in `brakeman.ignore`), `errors[]`
//! (`{error, location}`) and `obsolete[]` (fingerprints of stale ignore entries, not read).
//! Each warning has `warning_type` (`SQL Injection`), `warning_code`, `fingerprint`,
//! `check_name` (`SQL`), `message`, `file`, `line` (may be `null`), `link`, `code` (may be
//! `null`), `render_path`, `location` (`{type, class, method}`), `user_input`, `confidence`
//! and, since Brakeman 5.4, `cwe_id` (a list of ints).
//!
//! Severity: Brakeman has only a confidence, which is also how it ranks warnings:
//!
//! | Brakeman `confidence` | Posture |
//! |-----------------------|---------|
//! | `High`                | high    |
//! | `Medium`              | medium  |
//! | `Weak`, `Low`         | low     |
//! | missing or anything else | medium (with a warning diagnostic for an unknown word) |
//!
//! Identity hints: `fingerprint` is Brakeman's own digest of the warning (type, code, location
//! by class and method, not the line number) and becomes `tool_fingerprint`. `code` (the
//! offending Ruby expression) becomes `context`.
//!
//! Other fields: CVE ids named in the message (Brakeman's Rails and gem version checks:
//! `Rails 3.2.3 does not escape single quotes (CVE-2012-3464)`) go to `vulnerability_ids`;
//! `link` to `references`; `cwe_id` to `cwes`; location, render path and user input are
//! summarised in the description. Ignored warnings are occurrences with `suppressed` set (their
//! ignore note, when there is one, is in the description). `errors[]` items become `Warning`
//! diagnostics.
//!
//! Collapsing: none, one occurrence per warning.

use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::support::vuln_ids_in;
use crate::support::{present_list, reshape};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Brakeman;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(default, borrow, deserialize_with = "present_list")]
    warnings: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present_list")]
    ignored_warnings: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present_list")]
    errors: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    scan_info: Option<ScanInfo>,
}

#[derive(Deserialize)]
struct ScanInfo {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    brakeman_version: Option<String>,
}

#[derive(Deserialize)]
struct Warning {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    warning_type: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    warning_code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    fingerprint: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    check_name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    link: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default)]
    location: Option<WarnLocation>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    user_input: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    confidence: Option<String>,
    #[serde(default, deserialize_with = "cwe_ids")]
    cwe_id: Vec<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    note: Option<String>,
}

#[derive(Deserialize)]
struct WarnLocation {
    #[serde(default, rename = "type", deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    class: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    method: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    template: Option<String>,
}

#[derive(Deserialize)]
struct BrakemanError {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    error: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    location: Option<String>,
}

/// `cwe_id`: a list of ints (or numeric strings), a single one, or `null`.
fn cwe_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let v: Vec<Option<json::Scalar>> = json::one_or_many(d)?;
    Ok(json::tidy_cwes(
        v.into_iter()
            .flatten()
            .filter_map(|s| s.into_string())
            .filter_map(|s| json::parse_cwe(&s))
            .collect(),
    ))
}

impl Parser for Brakeman {
    fn id(&self) -> &'static str {
        "brakeman-json"
    }

    fn description(&self) -> &'static str {
        "Brakeman JSON report (brakeman -f json)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["scan_info", "warnings"])
            && (s.has_key("brakeman_version") || s.has_key("rails_version"))
        {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["warnings", "warning_type", "check_name", "fingerprint"]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str =
            "expected a Brakeman JSON report (an object with `scan_info` and `warnings`)";
        let doc: Doc = json::from_slice(input).map_err(|e| reshape(e, EXPECTED))?;
        if doc.warnings.is_none() && doc.ignored_warnings.is_none() {
            return Err(ParseError::shape(format!("{EXPECTED}; no `warnings` key")));
        }
        let mut diagnostics = Vec::new();
        let mut warnings = Vec::new();
        let errors = doc.errors.unwrap_or_default();
        json::each_item(
            &errors,
            "/errors",
            &mut diagnostics,
            |_, loc, e: BrakemanError| {
                let at = e.location.map(|l| format!(" ({l})")).unwrap_or_default();
                warnings.push(json::warning(
                    &loc,
                    format!(
                        "brakeman error{at}: {}",
                        e.error.as_deref().unwrap_or("no message")
                    ),
                ));
            },
        );
        let mut occurrences = Vec::new();
        for (key, suppressed) in [("warnings", false), ("ignored_warnings", true)] {
            let items = match key {
                "warnings" => doc.warnings.as_deref(),
                _ => doc.ignored_warnings.as_deref(),
            }
            .unwrap_or_default();
            json::each_item(
                items,
                &format!("/{key}"),
                &mut diagnostics,
                |_, loc, w: Warning| {
                    occurrences.push(to_occurrence(w, loc, suppressed, &mut warnings));
                },
            );
        }
        diagnostics.extend(warnings);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("brakeman", doc.scan_info.and_then(|s| s.brakeman_version)),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn severity(word: Option<&str>) -> (Severity, bool) {
    match word.map(|w| w.trim().to_ascii_lowercase()).as_deref() {
        Some("high") => (Severity::High, true),
        Some("medium") => (Severity::Medium, true),
        Some("weak") | Some("low") => (Severity::Low, true),
        None | Some("") => (Severity::Medium, true),
        Some(_) => (Severity::Medium, false),
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn to_occurrence(
    w: Warning,
    locator: String,
    suppressed: bool,
    diags: &mut Vec<Diagnostic>,
) -> Occurrence {
    let rule = non_empty(&w.check_name)
        .or(non_empty(&w.warning_type))
        .or(non_empty(&w.warning_code))
        .unwrap_or("brakeman")
        .to_string();
    let message = non_empty(&w.message);
    let title = message
        .and_then(|m| m.lines().next())
        .or(non_empty(&w.warning_type))
        .unwrap_or(&rule)
        .to_string();
    let (sev, known) = severity(w.confidence.as_deref());
    if !known {
        diags.push(json::warning(
            &locator,
            format!(
                "unknown brakeman confidence `{}`, read as medium",
                w.confidence.as_deref().unwrap_or_default()
            ),
        ));
    }
    let mut occ = Occurrence::new(Category::Sast, rule, title, sev, locator);
    occ.tool_severity = non_empty(&w.confidence).map(String::from);
    occ.location = Location {
        path: non_empty(&w.file).map(String::from),
        start_line: w.line.filter(|l| *l > 0),
        ..Location::default()
    };
    occ.identity.tool_fingerprint = non_empty(&w.fingerprint).map(String::from);
    occ.identity.context = non_empty(&w.code).map(String::from);
    occ.cwes = w.cwe_id.clone();
    if let Some(m) = message {
        occ.vulnerability_ids = vuln_ids_in(m);
    }
    if let Some(l) = non_empty(&w.link) {
        occ.references.push(l.to_string());
    }
    let mut desc = Vec::new();
    if let Some(m) = message {
        desc.push(m.to_string());
    }
    if let Some(t) = non_empty(&w.warning_type) {
        desc.push(format!("Warning type: {t}."));
    }
    if let Some(l) = &w.location {
        let mut parts = Vec::new();
        for (k, v) in [
            ("type", &l.kind),
            ("class", &l.class),
            ("method", &l.method),
            ("template", &l.template),
        ] {
            if let Some(v) = non_empty(v) {
                parts.push(format!("{k} {v}"));
            }
        }
        if !parts.is_empty() {
            desc.push(format!("Location: {}.", parts.join(", ")));
        }
    }
    if let Some(u) = non_empty(&w.user_input) {
        desc.push(format!("User input: {u}"));
    }
    if let Some(c) = non_empty(&w.confidence) {
        desc.push(format!("Confidence: {c}."));
    }
    if suppressed {
        match non_empty(&w.note) {
            Some(n) => desc.push(format!("Ignored in brakeman.ignore: {n}")),
            None => desc.push("Ignored in brakeman.ignore.".to_string()),
        }
    }
    occ.suppressed = suppressed;
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vuln_ids_from_messages() {
        assert_eq!(
            vuln_ids_in("Rails 3.2.3 does not escape (CVE-2012-3464). Upgrade; cve-2016-6316"),
            vec!["CVE-2012-3464", "CVE-2016-6316"]
        );
        assert_eq!(
            vuln_ids_in("Reference: GHSA-frr2-c345-p7c2 | CVE-2024-2529 | CVE-24"),
            vec!["GHSA-frr2-c345-p7c2", "CVE-2024-2529"]
        );
    }
}
