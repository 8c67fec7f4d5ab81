//! trufflehog3 JSON reports (`trufflehog3 --format json`), legacy (1.x/2.x) and current (3.x).
//!
//! Shapes: a top-level array (`[]` when nothing was found).
//! * current: `[{rule {id, message, severity}, path, line (a string), secret, context, id,
//!   branch, message, author, commit, date}]`; `context` (a map of line number to line text, or
//!   its Python repr as a string in some versions) contains the secret and is never read.
//! * legacy: `[{date, path, branch, commit (the commit message), commitHash, reason,
//!   stringsFound[]}]` as TruffleHog v2 wrote; `stringsFound` holds whole diff lines (`+  "password":
//!   "…",`), several per item.
//!
//! Items, all category **secret**, CWE-798:
//! * current: one occurrence per item (locator `/N`); `rule_id` = `rule.id`, title =
//!   `rule.message`; the secret is `secret`, hashed. `tool_fingerprint` = `id`: trufflehog3
//!   derives this UUID from the file, rule and secret, not the line (the same secret on lines 71
//!   and 99 of one file has one id), so it survives edits.
//! * legacy: one occurrence per string of `stringsFound` (locator `/N/stringsFound/K`), each string
//!   reduced to its likely secret token by [`crate::support::likely_secret_token`] (one diff line
//!   holds one secret, the assigned value) and hashed; `rule_id` = `reason`. No line numbers.
//!
//! Counting: DefectDojo merges items by file + reason + ... (`many_vulns_legacy.json`: 32 items
//! → 7 findings). Posture keeps one occurrence per found string (74 for that file): the item
//! for `fixtures/users.json` lists ten different password hashes, which are ten secrets; the
//! engine's secret + file + rule fingerprint then merges the repeats across commits.
//!
//! Severity: current `rule.severity` `HIGH` → high, `MEDIUM` → medium, `LOW` → low (and
//! `CRITICAL` → critical, anything else → high); legacy items have none → **high**.

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, opt_lenient_string, opt_lenient_u32, pointer, pointer_index};
use crate::support::likely_secret_token;
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

pub struct Trufflehog3;

#[derive(Deserialize)]
struct Item {
    // current
    #[serde(default)]
    rule: Option<Rule>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    // both
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    // legacy
    #[serde(rename = "commitHash", default)]
    commit_hash: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(rename = "stringsFound", default)]
    strings_found: Option<Value>,
}

#[derive(Deserialize)]
struct Rule {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

impl Parser for Trufflehog3 {
    fn id(&self) -> &'static str {
        "trufflehog3-json"
    }

    fn description(&self) -> &'static str {
        "trufflehog3 JSON report (legacy and 3.x)"
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
        if s.has_keys(&["rule", "secret", "context", "path"]) {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["stringsFound", "reason", "path"]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items: Option<Vec<&RawValue>> = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a trufflehog3 report: expected an array of findings ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let items = items.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let mut parsed = Vec::new();
        json::each_item(&items, "", &mut diagnostics, |_, loc, it: Item| {
            parsed.push((loc, it))
        });
        for (loc, it) in parsed {
            if it.rule.is_some() || it.secret.is_some() {
                occurrences.push(current(it, loc));
            } else if it.strings_found.is_some() || it.reason.is_some() {
                legacy(it, &loc, &mut occurrences, &mut diagnostics);
            } else {
                diagnostics.push(json::skipped(
                    &loc,
                    "item skipped: neither `rule`/`secret` nor `stringsFound`/`reason`",
                ));
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("trufflehog3", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn current(it: Item, locator: String) -> Occurrence {
    let rule = it.rule.unwrap_or(Rule {
        id: None,
        message: None,
        severity: None,
    });
    let rule_id = non_empty(rule.id).unwrap_or_else(|| "trufflehog3".to_string());
    let tool_severity = non_empty(rule.severity);
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("CRITICAL") => Severity::Critical,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::High,
    };
    let title = non_empty(rule.message).unwrap_or_else(|| format!("Secret detected: {rule_id}"));
    let mut occ = Occurrence::new(Category::Secret, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.secret = it
        .secret
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(SecretEvidence::from_plaintext);
    occ.identity.tool_fingerprint = non_empty(it.id);
    occ.location = Location {
        path: non_empty(it.path),
        start_line: it.line.filter(|l| *l > 0),
        end_line: it.line.filter(|l| *l > 0),
        ..Location::default()
    };
    let mut desc = Vec::new();
    if let Some(c) = non_empty(it.commit) {
        desc.push(format!("Found in commit {c}."));
    }
    if let Some(b) = non_empty(it.branch) {
        desc.push(format!("Branch: {b}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join(" "));
    occ.cwes = vec![798];
    occ
}

fn legacy(
    it: Item,
    locator: &str,
    out: &mut Vec<Occurrence>,
    diags: &mut Vec<posture_model::Diagnostic>,
) {
    let reason = non_empty(it.reason).unwrap_or_else(|| "trufflehog3".to_string());
    let path = non_empty(it.path);
    let mut desc = Vec::new();
    if let Some(c) = non_empty(it.commit_hash) {
        desc.push(format!("Found in commit {c}."));
    }
    if let Some(b) = non_empty(it.branch) {
        desc.push(format!("Branch: {b}."));
    }
    let base = pointer(locator, "stringsFound");
    let strings: Vec<(String, &str)> = match &it.strings_found {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(k, v)| v.as_str().map(|s| (pointer_index(&base, k), s)))
            .collect(),
        Some(Value::String(s)) => vec![(base.clone(), s.as_str())],
        _ => Vec::new(),
    };
    if strings.is_empty() {
        diags.push(json::warning(
            locator,
            "no found strings: nothing to report",
        ));
    }
    for (loc, s) in strings {
        let mut occ = Occurrence::new(
            Category::Secret,
            reason.clone(),
            format!("Secret detected: {reason}"),
            Severity::High,
            loc,
        );
        // a diff line: drop the `+`/`-` marker before looking for the value
        let line = s
            .strip_prefix('+')
            .or_else(|| s.strip_prefix('-'))
            .unwrap_or(s);
        occ.secret = likely_secret_token(line).map(SecretEvidence::from_plaintext);
        occ.location.path = path.clone();
        occ.description = (!desc.is_empty()).then(|| desc.join(" "));
        occ.cwes = vec![798];
        out.push(occ);
    }
}
