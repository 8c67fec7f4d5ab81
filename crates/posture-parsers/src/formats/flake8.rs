//! flake8 JSON reports (`flake8 --format=json`, the `flake8-json` formatter), typically with a
//! security plugin: dlint (`DUO1xx` rules) or flake8-bandit (`S1xx`...).
//!
//! Shape: an object keyed by file path, each value the list of that file's violations
//! (`code`, `filename`, `line_number`, `column_number`, `text`, `physical_line`). A file
//! without violations has `[]` (or `null`); `{}` is zero occurrences.
//!
//! Severity: flake8 has none. By the code's plugin:
//!
//! | code                                   | Posture |
//! |----------------------------------------|---------|
//! | `DUO…` (dlint)                         | medium  |
//! | `S…` (flake8-bandit)                   | medium  |
//! | `E999` (the file does not parse)       | low     |
//! | anything else (pycodestyle `E`/`W`, pyflakes `F`, `C`, `N`...) | info |
//!
//! dlint documents no severities of its own; its rules flag insecure API use (like Bandit's
//! MEDIUM), so medium. flake8-bandit drops Bandit's severity in flake8 output. `tool_severity`
//! is not set (the tool gives no word).
//!
//! Identity hints: no `tool_fingerprint`. `context` is `physical_line` (the source line),
//! whitespace collapsed.
//!
//! Paths: a leading `./` (flake8 run on `.`) is removed. `column_number` is 1-based as given.
//! Tool: one run named `flake8`, whatever plugins produced the codes (the rule id says which).
//!
//! Locators: `/<path>/<index>` (the path escaped as RFC 6901 says, `/` → `~1`).
//!
//! Collapsing: none, one occurrence per violation.

use super::bandit::tidy_path;
use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Flake8;

#[derive(Deserialize)]
struct Violation {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line_number: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column_number: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    text: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    physical_line: Option<String>,
}

impl Parser for Flake8 {
    fn id(&self) -> &'static str {
        "flake8-json"
    }

    fn description(&self) -> &'static str {
        "flake8 JSON report (flake8-json formatter; dlint, flake8-bandit)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["code", "filename", "line_number", "column_number", "text"])
            && s.has_key("physical_line")
        {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str = "expected a flake8 JSON report (an object mapping each file to \
                                its list of violations)";
        let files: Vec<(String, Option<Vec<&RawValue>>)> = json::from_slice::<OrderedMap>(input)
            .map_err(|e| super::bandit::reshape(e, EXPECTED))?
            .0;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (path, items) in &files {
            let base = json::pointer("", path);
            let items = items.as_deref().unwrap_or_default();
            json::each_item(items, &base, &mut diagnostics, |_, loc, v: Violation| {
                occurrences.push(to_occurrence(v, path, loc));
            });
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("flake8", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// The top-level object in document order (serde_json's map would sort it).
struct OrderedMap<'a>(Vec<(String, Option<Vec<&'a RawValue>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for OrderedMap<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = OrderedMap<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object mapping file paths to lists of violations")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Option<Vec<&'de RawValue>>>()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

fn severity(code: &str) -> Severity {
    let c = code.trim().to_ascii_uppercase();
    let bandit_plugin = c
        .strip_prefix('S')
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
    if c.starts_with("DUO") || bandit_plugin {
        Severity::Medium
    } else if c == "E999" {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn to_occurrence(v: Violation, key: &str, locator: String) -> Occurrence {
    let rule = v
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("flake8")
        .to_string();
    let title = v
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&rule)
        .to_string();
    let mut occ = Occurrence::new(
        Category::Sast,
        rule.clone(),
        title,
        severity(&rule),
        locator,
    );
    let path = v
        .filename
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or(key);
    occ.location = Location {
        path: Some(tidy_path(path)).filter(|p| !p.is_empty()),
        start_line: v.line_number.filter(|l| *l > 0),
        start_column: v.column_number.filter(|c| *c > 0),
        ..Location::default()
    };
    occ.identity.context = v.physical_line.as_deref().and_then(|l| {
        let t = l.split_whitespace().collect::<Vec<_>>().join(" ");
        (!t.is_empty()).then_some(t)
    });
    occ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_by_plugin() {
        assert_eq!(severity("DUO130"), Severity::Medium);
        assert_eq!(severity("S101"), Severity::Medium);
        assert_eq!(severity("E501"), Severity::Info);
        assert_eq!(severity("SIM102"), Severity::Info);
        assert_eq!(severity("E999"), Severity::Low);
        assert_eq!(severity("S"), Severity::Info);
    }
}
