//! Gitleaks JSON reports (`gitleaks detect --report-format json`), versions 6, 7 and 8.
//!
//! Shapes: a top-level array of leaks; `null` (v7) or `[]` (v8) when nothing leaked.
//! v6/v7 use camelCase keys (`line`, `lineNumber`, `offender`, `rule`, `tags` as a comma
//! string); v8.0 uses PascalCase with `Context`; later v8 `Match`, `Fingerprint`, `Tags[]`.
//!
//! Severity: Gitleaks has none. Every leak maps to **high**: a live credential in a repository
//! is an incident-grade finding until someone proves it revoked or fake.
//!
//! Secrets: `Secret`/`offender` becomes a hash and a masked preview; `Match`, `Context` and
//! `line` contain the secret and are never kept. A redacted report (`--redact`, where the
//! secret reads `REDACTED`) gives no hash: its identity falls back to rule, file and line.
//!
//! Collapsing: the same secret in the same file reported in several commits is one occurrence
//! (the engine's fingerprint is secret + file + rule), as DefectDojo merges `version_7.5.0.json`.

use crate::json::{self, null_default, opt_lenient_u32};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Gitleaks;

#[derive(Deserialize)]
pub(crate) struct Leak {
    #[serde(alias = "RuleID", alias = "rule", default)]
    rule_id: Option<String>,
    #[serde(alias = "Description", default, deserialize_with = "null_default")]
    description: String,
    #[serde(alias = "File", alias = "file", default)]
    file: Option<String>,
    #[serde(alias = "SymlinkFile", default)]
    symlink_file: Option<String>,
    #[serde(
        alias = "StartLine",
        alias = "lineNumber",
        default,
        deserialize_with = "opt_lenient_u32"
    )]
    start_line: Option<u32>,
    #[serde(alias = "EndLine", default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(alias = "StartColumn", default, deserialize_with = "opt_lenient_u32")]
    start_column: Option<u32>,
    #[serde(alias = "EndColumn", default, deserialize_with = "opt_lenient_u32")]
    end_column: Option<u32>,
    #[serde(alias = "Secret", alias = "offender", default)]
    secret: Option<String>,
    #[serde(alias = "Commit", alias = "commit", default)]
    commit: Option<String>,
    #[serde(alias = "Tags", alias = "tags", default)]
    tags: Option<Tags>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
}

impl Parser for Gitleaks {
    fn id(&self) -> &'static str {
        "gitleaks-json"
    }

    fn description(&self) -> &'static str {
        "Gitleaks JSON report (v6, v7, v8)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray, BareEmpty::Null]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_array() {
            return if s.head.trim_end() == "null" && s.complete {
                // gitleaks v7's empty report; trivy < 0.20 writes it too
                Confidence::RESEMBLES
            } else {
                Confidence::NO
            };
        }
        if s.complete && s.head.trim_end() == "[]" {
            // gitleaks v8's empty report, but also every other tool's empty list
            return Confidence::RESEMBLES;
        }
        let v8 = s.has_key("RuleID") && (s.has_key("Secret") || s.has_key("Match"));
        let v7 = s.has_keys(&["offender", "rule", "commit"]);
        if v8 || v7 {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items: Option<Vec<&RawValue>> = json::from_slice(input)?;
        let items = items.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        json::each_item(&items, "", &mut diagnostics, |_, locator, leak: Leak| {
            occurrences.push(to_occurrence(leak, locator));
        });
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("gitleaks", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn is_redacted(secret: &str) -> bool {
    let t = secret.trim();
    t.is_empty() || t.eq_ignore_ascii_case("redacted") || t.chars().all(|c| c == '*')
}

pub(crate) fn to_occurrence(leak: Leak, locator: String) -> Occurrence {
    let rule = leak
        .rule_id
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "gitleaks".to_string());
    let title = if leak.description.trim().is_empty() {
        format!("Secret detected: {rule}")
    } else {
        leak.description.trim().to_string()
    };
    let mut occ = Occurrence::new(Category::Secret, rule, title, Severity::High, locator);
    occ.secret = leak
        .secret
        .as_deref()
        .filter(|s| !is_redacted(s))
        .map(SecretEvidence::from_plaintext);
    let path = leak
        .file
        .filter(|f| !f.is_empty())
        .or(leak.symlink_file.filter(|f| !f.is_empty()));
    occ.location = Location {
        path,
        start_line: leak.start_line.filter(|l| *l > 0),
        end_line: leak.end_line.filter(|l| *l > 0),
        start_column: leak.start_column.filter(|c| *c > 0),
        end_column: leak.end_column.filter(|c| *c > 0),
        ..Location::default()
    };
    let tags: Vec<String> = match leak.tags {
        Some(Tags::List(l)) => l,
        Some(Tags::Text(t)) => t
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        None => Vec::new(),
    };
    let mut desc = String::new();
    if let Some(c) = leak.commit.filter(|c| !c.is_empty()) {
        desc.push_str(&format!("Found in commit {c}."));
    }
    if !tags.is_empty() {
        if !desc.is_empty() {
            desc.push(' ');
        }
        desc.push_str(&format!("Tags: {}.", tags.join(", ")));
    }
    occ.description = (!desc.is_empty()).then_some(desc);
    occ.cwes = vec![798];
    occ
}
