//! GitHub code scanning alerts, as the REST API lists them
//! (`GET /repos/{owner}/{repo}/code-scanning/alerts`, `gh api ... --paginate` pages joined into
//! one array).
//!
//! Shape: a top-level array of alerts: `number`, `state` (`open`, `dismissed`, `fixed`),
//! `dismissed_reason`, `dismissed_comment`, `url`, `html_url`, `rule {id, name, severity,
//! security_severity_level, description, tags}`, `tool {name, version, guid}`,
//! `most_recent_instance {ref, state, commit_sha, message {text}, location {path,
//! start_line, end_line, start_column, end_column}, classifications}`. `[]` is zero
//! occurrences. Exports written by scripts that stringify Python's `None` (`"None"`) read as
//! absent.
//!
//! Tools: alerts come from any tool that uploads SARIF to GitHub (CodeQL, Semgrep, Trivy...);
//! one run per `tool.name` (and version), in order of first appearance.
//!
//! Severity: `rule.security_severity_level` (the CVSS-like rating GitHub shows for security
//! queries) when present, else `rule.severity` (the SARIF level):
//!
//! | GitHub                                  | Posture |
//! |-----------------------------------------|---------|
//! | `critical`                              | critical |
//! | `high`, `error`                         | high    |
//! | `medium`, `warning`                     | medium  |
//! | `low`, `note`                           | low     |
//! | `none`, missing, other                  | info    |
//!
//! State: `open` alerts are occurrences; `dismissed` alerts are occurrences with `suppressed`
//! set (reason and comment in the description); `fixed` (and `closed`) alerts are not current
//! findings and are left out, counted in one `Warning` diagnostic.
//!
//! Identity hints: GitHub tracks an alert across commits and line moves, so its API `url`
//! (which names the repository and the alert number) is the `tool_fingerprint`; without a url,
//! `html_url`. No code snippet is given, so no `context`.
//!
//! Other fields: CWE ids from tags `external/cwe/cwe-079`; `html_url` and the rule's help URI
//! to `references`; the instance message is the description.
//!
//! Collapsing: none, one occurrence per alert.

use crate::json::{self, null_default, opt_lenient_string, opt_lenient_u32};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct GithubCodeScanning;

#[derive(Deserialize)]
struct Alert {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    number: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    dismissed_reason: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    dismissed_comment: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    html_url: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    rule: Rule,
    #[serde(default, deserialize_with = "null_default")]
    tool: Tool,
    #[serde(default, deserialize_with = "null_default")]
    most_recent_instance: Instance,
}

#[derive(Deserialize, Default)]
struct Rule {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    security_severity_level: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    help_uri: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    tags: Vec<Option<String>>,
}

#[derive(Deserialize, Default)]
struct Tool {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize, Default)]
struct Instance {
    #[serde(default, deserialize_with = "null_default")]
    message: Msg,
    #[serde(default, deserialize_with = "null_default")]
    location: Loc,
    #[serde(default, rename = "ref", deserialize_with = "opt_lenient_string")]
    git_ref: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    commit_sha: Option<String>,
}

#[derive(Deserialize, Default)]
struct Msg {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct Loc {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_column: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_column: Option<u32>,
}

impl Parser for GithubCodeScanning {
    fn id(&self) -> &'static str {
        "github-code-scanning-json"
    }

    fn description(&self) -> &'static str {
        "GitHub code scanning alerts (REST API list, JSON)"
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
        if s.has_key("most_recent_instance") && s.has_keys(&["rule", "tool", "number"]) {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items: Vec<&RawValue> = json::from_slice(input).map_err(|e| {
            crate::support::reshape(
                e,
                "expected a GitHub code scanning alerts list (a JSON array of alerts)",
            )
        })?;
        let mut diagnostics = Vec::new();
        let mut runs: Vec<ToolRun> = Vec::new();
        let mut fixed = 0usize;
        let mut lacking = Vec::new();
        json::each_item(&items, "", &mut diagnostics, |_, locator, a: Alert| {
            // every alert has its number and its rule: an item without them is another tool's
            // (a format given by mistake), not an alert to invent
            if a.number.is_none() || a.rule.id.is_none() && a.rule.name.is_none() {
                lacking.push(json::skipped(
                    &locator,
                    "item skipped: not a code scanning alert (it lacks `number` or `rule`)",
                ));
                return;
            }
            let state = present(&a.state).map(str::to_ascii_lowercase);
            if matches!(state.as_deref(), Some("fixed") | Some("closed")) {
                fixed += 1;
                return;
            }
            let tool = ToolInfo::new(
                present(&a.tool.name).unwrap_or("github-code-scanning"),
                present(&a.tool.version).map(String::from),
            );
            let occ = to_occurrence(a, state.as_deref(), locator);
            match runs.iter_mut().find(|r| r.tool == tool) {
                Some(run) => run.occurrences.push(occ),
                None => runs.push(ToolRun {
                    tool,
                    occurrences: vec![occ],
                }),
            }
        });
        diagnostics.extend(lacking);
        if fixed > 0 {
            diagnostics.push(json::warning(
                "",
                format!("{fixed} fixed alert(s) left out: they are not current findings"),
            ));
        }
        if runs.is_empty() {
            runs.push(ToolRun {
                tool: ToolInfo::new("github-code-scanning", None),
                occurrences: Vec::new(),
            });
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs,
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// A non-empty value that is not a stringified `None`/`null`.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "None" && *s != "null")
}

fn severity(word: Option<&str>) -> Severity {
    match word.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => Severity::Critical,
        Some("high") | Some("error") => Severity::High,
        Some("medium") | Some("warning") => Severity::Medium,
        Some("low") | Some("note") => Severity::Low,
        _ => Severity::Info,
    }
}

fn to_occurrence(a: Alert, state: Option<&str>, locator: String) -> Occurrence {
    let rule = present(&a.rule.id)
        .or(present(&a.rule.name))
        .unwrap_or("github-code-scanning")
        .to_string();
    let message = present(&a.most_recent_instance.message.text).map(String::from);
    let title = present(&a.rule.description)
        .map(String::from)
        .or_else(|| {
            message
                .as_deref()
                .and_then(|m| m.lines().next())
                .map(String::from)
        })
        .unwrap_or_else(|| rule.clone());
    let word = present(&a.rule.security_severity_level).or(present(&a.rule.severity));
    let mut occ = Occurrence::new(Category::Sast, rule, title, severity(word), locator);
    occ.tool_severity = word.map(String::from);
    let l = &a.most_recent_instance.location;
    let start = l.start_line.filter(|n| *n > 0);
    occ.location = Location {
        path: present(&l.path).map(String::from),
        start_line: start,
        end_line: l.end_line.filter(|e| start.is_some_and(|s| *e > s)),
        start_column: l.start_column.filter(|c| *c > 0),
        end_column: l.end_column.filter(|c| *c > 0),
        ..Location::default()
    };
    occ.cwes = json::tidy_cwes(
        a.rule
            .tags
            .iter()
            .flatten()
            .filter_map(|t| {
                t.to_ascii_lowercase()
                    .strip_prefix("external/cwe/cwe-")
                    .and_then(json::parse_cwe)
            })
            .collect(),
    );
    occ.identity.tool_fingerprint = present(&a.url).or(present(&a.html_url)).map(String::from);
    for r in [present(&a.html_url), present(&a.rule.help_uri)]
        .into_iter()
        .flatten()
    {
        occ.references.push(r.to_string());
    }
    let mut desc = Vec::new();
    if let Some(m) = &message {
        desc.push(m.clone());
    }
    if let Some(n) = present(&a.number) {
        desc.push(format!("GitHub code scanning alert #{n}."));
    }
    if let (Some(r), Some(c)) = (
        present(&a.most_recent_instance.git_ref),
        present(&a.most_recent_instance.commit_sha),
    ) {
        desc.push(format!("Most recent instance: {r} at {c}."));
    }
    if state == Some("dismissed") {
        occ.suppressed = true;
        let reason = present(&a.dismissed_reason).unwrap_or("no reason given");
        match present(&a.dismissed_comment) {
            Some(c) => desc.push(format!("Dismissed ({reason}): {c}")),
            None => desc.push(format!("Dismissed ({reason}).")),
        }
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    occ
}
