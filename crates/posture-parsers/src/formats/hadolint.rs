//! Hadolint JSON reports (`hadolint -f json Dockerfile...`).
//!
//! Shape: a top-level array of `{line, code, message, column, file, level}`; `[]` when the
//! Dockerfiles are clean. Paths written on Windows (`dir\Dockerfile`) are normalized to `/`.
//!
//! Category: **iac** (Dockerfile lint). One occurrence per item; nothing collapsed. `rule_id` is
//! the rule code (`DL3008`, or a ShellCheck `SC2086`); the title is the message. Hadolint gives
//! no snippet and no stable id of its own, so no identity hints are set: the engine identifies a
//! result by rule, file and place.
//!
//! Severity (`level`): `error` → high, `warning` → medium, `info` → low, `style` → info;
//! anything else → info.

use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::support::non_empty_trimmed;
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Hadolint;

#[derive(Deserialize)]
struct Item {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    level: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column: Option<u32>,
}

/// Hadolint's levels (table in the module docs).
fn severity_of(level: &str) -> Severity {
    match level.trim().to_ascii_lowercase().as_str() {
        "error" => Severity::High,
        "warning" => Severity::Medium,
        "info" => Severity::Low,
        _ => Severity::Info,
    }
}

impl Parser for Hadolint {
    fn id(&self) -> &'static str {
        "hadolint-json"
    }

    fn description(&self) -> &'static str {
        "Hadolint JSON report (Dockerfile lint)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Iac]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_array() || !s.has_keys(&["code", "message", "level", "file", "line"]) {
            return Confidence::NO;
        }
        if s.contains("\"DL") || s.contains("\"SC") {
            Confidence::CERTAIN
        } else {
            Confidence::MATCH
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items: Option<Vec<&RawValue>> = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape("not a Hadolint JSON report: expected a list of {code, message, level, file, line}")
            } else {
                e
            }
        })?;
        let items = items.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        let mut empty = Vec::new();
        json::each_item(&items, "", &mut diagnostics, |_, locator, it: Item| {
            let code = non_empty_trimmed(it.code);
            let message = non_empty_trimmed(it.message);
            if code.is_none() && message.is_none() {
                empty.push(locator);
                return;
            }
            let rule = code.unwrap_or_else(|| "hadolint".to_string());
            let title = message.unwrap_or_else(|| rule.clone());
            let tool_severity = non_empty_trimmed(it.level);
            let severity = tool_severity
                .as_deref()
                .map(severity_of)
                .unwrap_or(Severity::Info);
            let mut occ = Occurrence::new(Category::Iac, rule, title, severity, locator);
            occ.tool_severity = tool_severity;
            occ.location = Location {
                path: non_empty_trimmed(it.file).map(|f| f.replace('\\', "/")),
                start_line: it.line.filter(|l| *l > 0),
                start_column: it.column.filter(|c| *c > 0),
                ..Location::default()
            };
            occurrences.push(occ);
        });
        for locator in empty {
            diagnostics.push(json::skipped(
                &locator,
                "item skipped: no code and no message",
            ));
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("hadolint", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}
