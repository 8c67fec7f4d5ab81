//! ESLint JSON reports (`eslint -f json`), ESLint 2 to 9, typically with security plugins
//! (`eslint-plugin-security`, `eslint-plugin-no-unsanitized`...).
//!
//! Shape: a top-level array with one item per linted file: `filePath`, `messages[]`
//! (`ruleId`, `severity` 1|2, `message`, `line`, `column`, `endLine`, `endColumn`,
//! `nodeType`, `fatal`, and in ESLint < 4 a `source` line), `errorCount`, `warningCount`,
//! `fatalErrorCount`, `source` (the whole file, when it has problems), `usedDeprecatedRules`,
//! and since ESLint 8.8 `suppressedMessages[]` (messages silenced by `eslint-disable`
//! comments, each with `suppressions[{kind, justification}]`). `[]` is zero occurrences.
//!
//! What is read: each message with a `ruleId` is an occurrence. A message without a `ruleId`
//! and `fatal: true` is ESLint's parse error for the file: a `Warning` diagnostic (that file
//! was not analysed). Other messages without a `ruleId` (notices such as "Unused
//! eslint-disable directive") are not findings and are dropped. Suppressed messages are
//! occurrences with `suppressed` set.
//!
//! Severity: ESLint's level is the project's configuration of the rule, not a risk rating; it
//! is mapped the way ESLint's own SARIF formatter writes it (2 → `error`, 1 → `warning`) and
//! Posture reads SARIF levels, so that one result imported both ways agrees:
//!
//! | ESLint `severity`  | Posture |
//! |--------------------|---------|
//! | `2` (error)        | high    |
//! | `1` (warn)         | medium  |
//! | `0`, missing, other | info   |
//!
//! Identity hints: no `tool_fingerprint` (ESLint has none). `context` is the message's
//! `source` line when given, otherwise the lines `line..endLine` cut out of the file's
//! `source`, whitespace collapsed.
//!
//! Collapsing: none, one occurrence per message.

use crate::json::{self, null_default, opt_lenient_string, opt_lenient_u32};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Eslint;

/// Longest span of lines cut out of a file's source as context.
const MAX_CONTEXT_LINES: u32 = 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file_path: Option<String>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    messages: Vec<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    suppressed_messages: Vec<&'a RawValue>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    rule_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    severity: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_column: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    node_type: Option<String>,
    #[serde(default)]
    fatal: Option<bool>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    source: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    suppressions: Vec<Suppression>,
}

#[derive(Deserialize)]
struct Suppression {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    justification: Option<String>,
}

impl Parser for Eslint {
    fn id(&self) -> &'static str {
        "eslint-json"
    }

    fn description(&self) -> &'static str {
        "ESLint JSON report (eslint -f json)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_array() {
            return Confidence::NO;
        }
        if s.has_keys(&["filePath", "messages"])
            && (s.has_key("errorCount") || s.has_key("warningCount"))
        {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let files: Vec<&RawValue> = json::from_slice(input).map_err(|e| {
            crate::support::reshape(
                e,
                "expected an ESLint JSON report (an array of {filePath, messages})",
            )
        })?;
        let mut diagnostics = Vec::new();
        let mut warnings = Vec::new();
        let mut occurrences = Vec::new();
        json::each_item(
            &files,
            "",
            &mut diagnostics,
            |_, file_loc, f: FileResult| {
                let mut inner = Vec::new();
                for (key, suppressed) in [("messages", false), ("suppressedMessages", true)] {
                    let items = if suppressed {
                        &f.suppressed_messages
                    } else {
                        &f.messages
                    };
                    let base = json::pointer(&file_loc, key);
                    json::each_item(items, &base, &mut inner, |_, loc, m: Message| {
                        if m.rule_id.as_deref().is_none_or(|r| r.trim().is_empty()) {
                            if m.fatal == Some(true) {
                                warnings.push(json::warning(
                                    &loc,
                                    format!(
                                        "ESLint could not parse {}{}: {}",
                                        f.file_path.as_deref().unwrap_or("a file"),
                                        m.line.map(|l| format!(":{l}")).unwrap_or_default(),
                                        m.message.as_deref().unwrap_or("no message")
                                    ),
                                ));
                            }
                            return;
                        }
                        occurrences.push(to_occurrence(
                            m,
                            f.file_path.as_deref(),
                            f.source.as_deref(),
                            loc,
                            suppressed,
                        ));
                    });
                }
                warnings.extend(inner);
            },
        );
        diagnostics.extend(warnings);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("eslint", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn severity(level: Option<u32>) -> Severity {
    match level {
        Some(2) => Severity::High,
        Some(1) => Severity::Medium,
        _ => Severity::Info,
    }
}

fn collapse(text: &str) -> Option<String> {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// Lines `start..=end` (1-based) of a file's source.
fn source_lines(source: &str, start: u32, end: u32) -> Option<String> {
    let end = end
        .max(start)
        .min(start.saturating_add(MAX_CONTEXT_LINES - 1));
    let skip = usize::try_from(start.checked_sub(1)?).ok()?;
    let take = usize::try_from(end - start + 1).ok()?;
    let picked: Vec<&str> = source.lines().skip(skip).take(take).collect();
    collapse(&picked.join("\n"))
}

fn to_occurrence(
    m: Message,
    path: Option<&str>,
    source: Option<&str>,
    locator: String,
    suppressed: bool,
) -> Occurrence {
    let rule = m.rule_id.as_deref().unwrap_or("eslint").trim().to_string();
    let title = m
        .message
        .as_deref()
        .map(str::trim)
        .and_then(|t| t.lines().next())
        .filter(|t| !t.is_empty())
        .unwrap_or(&rule)
        .to_string();
    let mut occ = Occurrence::new(Category::Sast, rule, title, severity(m.severity), locator);
    occ.tool_severity = m.severity.map(|s| match s {
        2 => "error".to_string(),
        1 => "warning".to_string(),
        0 => "off".to_string(),
        n => n.to_string(),
    });
    let start = m.line.filter(|l| *l > 0);
    occ.location = Location {
        path: path
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from),
        start_line: start,
        end_line: m.end_line.filter(|e| start.is_some_and(|s| *e > s)),
        start_column: m.column.filter(|c| *c > 0),
        end_column: m.end_column.filter(|c| *c > 0),
        ..Location::default()
    };
    occ.identity.context = m.source.as_deref().and_then(collapse).or_else(|| {
        let s = start?;
        source_lines(source?, s, m.end_line.unwrap_or(s))
    });
    let mut desc = Vec::new();
    if let Some(msg) = m
        .message
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        desc.push(msg.to_string());
    }
    if let Some(n) = m.node_type.as_deref().filter(|n| !n.is_empty()) {
        desc.push(format!("Node type: {n}."));
    }
    for s in &m.suppressions {
        let kind = s.kind.as_deref().unwrap_or("directive");
        match s.justification.as_deref().filter(|j| !j.trim().is_empty()) {
            Some(j) => desc.push(format!("Suppressed ({kind}): {j}")),
            None => desc.push(format!("Suppressed ({kind}).")),
        }
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ.suppressed = suppressed;
    occ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_from_file_source() {
        let src = "a\n  b  = c[d]\ne\n";
        assert_eq!(source_lines(src, 2, 2).as_deref(), Some("b = c[d]"));
        assert_eq!(source_lines(src, 2, 3).as_deref(), Some("b = c[d] e"));
        assert_eq!(source_lines(src, 9, 9), None);
        assert_eq!(source_lines(src, 0, 0), None);
    }
}
