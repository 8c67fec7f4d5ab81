//! whispers JSON reports (`whispers -o report.json <path>`), whispers 2.x.
//!
//! Shape: a top-level array of `{key, value, file, line, rule_id, message, severity}`; `[]` when
//! nothing was found.
//!
//! Items: one occurrence per item (locator `/N`), category **secret**, CWE-798. Every whispers
//! rule reports a key/value pair whose `value` may be a credential (also its `comment` and
//! `file-known` rules, whose values can quote one), so `value` is always hashed and never kept,
//! and `key` is not kept either when it is longer than a name (a `comment` key is the comment).
//! `rule_id` = `rule_id`, title = `message`, `location.path` = `file`, `start_line` = `line`.
//!
//! Severity (SonarQube words): `BLOCKER` → critical, `CRITICAL` → high, `MAJOR` → medium,
//! `MINOR` → low, `INFO` (and anything else) → info.

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Whispers;

#[derive(Deserialize)]
struct Item {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    key: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    value: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

impl Parser for Whispers {
    fn id(&self) -> &'static str {
        "whispers-json"
    }

    fn description(&self) -> &'static str {
        "whispers JSON report"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_array() {
            return Confidence::NO;
        }
        if s.has_keys(&["key", "value", "rule_id", "severity", "file"])
            && !s.has_key("check_id")
            && !s.has_key("RuleID")
        {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items: Option<Vec<&RawValue>> = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a whispers report: expected an array of findings ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let items = items.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        let mut lacking = Vec::new();
        json::each_item(&items, "", &mut diagnostics, |_, loc, it: Item| {
            // every whispers finding names its rule and file: an item without them is another
            // tool's (a format given by mistake), not a finding to invent
            if it.rule_id.is_none() || it.file.is_none() {
                lacking.push(json::skipped(
                    &loc,
                    "item skipped: not a whispers finding (it lacks `rule_id` or `file`)",
                ));
                return;
            }
            occurrences.push(to_occurrence(it, loc));
        });
        diagnostics.extend(lacking);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("whispers", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn to_occurrence(it: Item, locator: String) -> Occurrence {
    let rule = non_empty(it.rule_id).unwrap_or_else(|| "whispers".to_string());
    let tool_severity = non_empty(it.severity);
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("BLOCKER") => Severity::Critical,
        Some("CRITICAL") => Severity::High,
        Some("MAJOR") => Severity::Medium,
        Some("MINOR") => Severity::Low,
        _ => Severity::Info,
    };
    let title = non_empty(it.message).unwrap_or_else(|| format!("Secret detected: {rule}"));
    let mut occ = Occurrence::new(Category::Secret, rule, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.secret = it
        .value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(SecretEvidence::from_plaintext);
    occ.location = Location {
        path: non_empty(it.file),
        start_line: it.line.filter(|l| *l > 0),
        end_line: it.line.filter(|l| *l > 0),
        ..Location::default()
    };
    // the key names the setting (`password`, `AWS_SECRET_KEY`); a long or spaced key is text
    if let Some(k) = non_empty(it.key).filter(|k| {
        k.len() <= 64
            && !k.contains(char::is_whitespace)
            && occ.secret.is_some()
            && !it
                .value
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty() && k.contains(v.trim()))
    }) {
        occ.description = Some(format!("Key: {k}."));
    }
    occ.cwes = vec![798];
    occ
}
