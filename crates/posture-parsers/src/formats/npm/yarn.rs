//! yarn audit JSON lines (`yarn audit --json`, yarn classic 1.x) and yarn berry's
//! `yarn npm audit --json` lines.
//!
//! yarn classic: one JSON object per line, `{"type": ..., "data": ...}`: `auditAdvisory`
//! (`data{resolution{id, path, dev}, advisory{<npm registry advisory, as npm 6>}}`, one line
//! per dependency path), `auditSummary`, `auditAction`, `info`, `warning`, `error`.
//! yarn berry: one line per vulnerable package, `{"value": <package>, "children": {ID, Issue,
//! URL, Severity, "Vulnerable Versions", "Tree Versions"[], Dependents[]}}`.
//! A single npm-6-shaped object (`{advisories{}, actions[]}`, what some yarn berry versions
//! print) is read as npm 6 does (see [`crate::formats::npm::audit`]); detection gives it to
//! `npm-audit-json`.
//!
//! Errors: a stream with `error` lines and no audit line (yarn could not reach the registry)
//! is a `ParseError` of kind `ToolError`; `error` lines beside audit results are Warning
//! diagnostics. `info` and `warning` lines are ignored.
//!
//! What one occurrence is:
//! * yarn classic: yarn writes one `auditAdvisory` line per dependency **path**; Posture emits
//!   **one occurrence per advisory and installed version**, the paths merged (listed in the
//!   description) and the CWEs of all its lines united; the locator is the first line (`/N`,
//!   N = 0-based line index among the JSON values). DefectDojo also collapses per advisory:
//!   `yarn_audit_multiple_cwes.json` has 11 lines, 3 advisories, 3 occurrences.
//! * yarn berry: one occurrence per line and installed version (`Tree Versions`).
//!
//! Identity and package: as npm 6 (GHSA from `github_advisory_id`/url, then `cves[]`, else
//! `npm-advisory-<id>`); yarn berry: GHSA from `URL`, else `npm-advisory-<ID>` for numeric ids,
//! else the `ID` as written (deprecation notices: `<package> (deprecation)`). Ecosystem `npm`.
//!
//! Severity: npm's words (`critical`, `high`, `moderate` → medium, `low`, `info`); missing or
//! unknown → medium.

use super::audit::{Advisory, NpmAudit, ghsa_from_url, npm_severity};
use crate::json::{self, null_default, opt_lenient_string};
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{Category, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct YarnAudit;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default, borrow)]
    children: Option<&'a RawValue>,
    #[serde(default, borrow)]
    advisories: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct AdvisoryData {
    #[serde(default)]
    resolution: Option<Resolution>,
    advisory: Advisory,
}

#[derive(Deserialize)]
struct Resolution {
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct BerryChildren {
    #[serde(rename = "ID", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(rename = "Issue", default)]
    issue: Option<String>,
    #[serde(rename = "URL", default)]
    url: Option<String>,
    #[serde(rename = "Severity", default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(rename = "Vulnerable Versions", default)]
    vulnerable_versions: Option<String>,
    #[serde(rename = "Tree Versions", default, deserialize_with = "null_default")]
    tree_versions: Vec<String>,
    #[serde(rename = "Dependents", default, deserialize_with = "null_default")]
    dependents: Vec<String>,
}

/// One advisory + version of yarn classic, its lines merged.
struct Merged {
    key: (String, Option<String>),
    advisory: Advisory,
    locator: String,
    paths: Vec<String>,
    cwes: Vec<String>,
}

impl Parser for YarnAudit {
    fn id(&self) -> &'static str {
        "yarn-audit-jsonl"
    }

    fn description(&self) -> &'static str {
        "yarn audit JSON lines (yarn classic auditAdvisory lines, yarn berry npm audit lines)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["type", "data"])
            && (s.contains("\"auditAdvisory\"") || s.contains("\"auditSummary\""))
        {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["value", "children"])
            && (s.has_key("Vulnerable Versions") || s.has_key("Tree Versions"))
        {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["type", "data"])
            && (s.contains("\"type\":\"error\"") || s.contains("\"type\":\"warning\""))
            && s.contains("yarn")
        {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        if json::is_blank(input) {
            return Err(ParseError::new(ParseErrorKind::Empty, "the file is empty"));
        }
        let items = json::stream_items(input)?;
        let mut report = ParsedReport::new(self.id());
        let mut errors: Vec<(String, String)> = Vec::new();
        let mut audit_lines = 0usize;
        let mut merged: Vec<Merged> = Vec::new();
        let mut occurrences = Vec::new();
        let diags = &mut report.diagnostics;

        for (i, raw) in items.iter().enumerate() {
            let loc = json::pointer_index("", i);
            let Some(line) = item::<Line>(raw, &loc, diags) else {
                continue;
            };
            if line.advisories.is_some() && items.len() == 1 {
                // npm 6 shape written by yarn berry
                let mut r = NpmAudit.parse(input)?;
                r.format = self.id().to_string();
                for run in &mut r.runs {
                    run.tool = ToolInfo::new("yarn", None);
                }
                return Ok(r);
            }
            if let (Some(pkg), Some(children)) = (line.value.as_deref(), line.children) {
                audit_lines += 1;
                let cloc = json::pointer(&loc, "children");
                if let Some(c) = item::<BerryChildren>(children, &cloc, diags) {
                    berry_occurrences(pkg, c, &loc, &mut occurrences);
                }
                continue;
            }
            match line.kind.as_deref().map(str::trim) {
                Some("auditAdvisory") => {
                    audit_lines += 1;
                    let dloc = json::pointer(&loc, "data");
                    let Some(data) = line
                        .data
                        .and_then(|d| item::<AdvisoryData>(d, &dloc, diags))
                    else {
                        if line.data.is_none() {
                            diags.push(json::skipped(&loc, "auditAdvisory line without data"));
                        }
                        continue;
                    };
                    merge(data, &loc, &mut merged);
                }
                Some("auditSummary") | Some("auditAction") => audit_lines += 1,
                Some("error") => {
                    let text = line
                        .data
                        .map(|d| {
                            serde_json::from_str::<String>(d.get())
                                .unwrap_or_else(|_| d.get().to_string())
                        })
                        .unwrap_or_default();
                    errors.push((loc, text));
                }
                _ => {}
            }
        }
        if audit_lines == 0 && !errors.is_empty() {
            let msg = errors
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            return Err(ParseError::new(
                ParseErrorKind::ToolError,
                format!("yarn audit failed: {msg}"),
            ));
        }
        if audit_lines == 0 && report.diagnostics.is_empty() {
            let any_yarn = items.iter().any(|r| {
                serde_json::from_str::<Line>(r.get())
                    .ok()
                    .and_then(|l| l.kind)
                    .is_some()
            });
            if !any_yarn {
                return Err(ParseError::shape(
                    "not a yarn audit report: expected JSON lines with `type`/`data` or \
                     `value`/`children`",
                ));
            }
        }
        for (loc, text) in errors {
            report.diagnostics.push(json::warning(
                &loc,
                format!("yarn reported an error: {text}"),
            ));
        }
        for m in merged {
            let occ = m
                .advisory
                .occurrence(m.key.1.clone(), &m.paths, &m.cwes, m.locator);
            occurrences.push(occ);
        }
        occurrences.sort_by_key(|o| line_of(&o.locator));
        report.runs.push(ToolRun {
            tool: ToolInfo::new("yarn", None),
            occurrences,
        });
        Ok(report)
    }
}

fn line_of(locator: &str) -> usize {
    locator
        .trim_start_matches('/')
        .split('/')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

fn merge(data: AdvisoryData, loc: &str, merged: &mut Vec<Merged>) {
    let adv_key = data
        .advisory
        .id
        .clone()
        .or(data.advisory.github_advisory_id.clone())
        .unwrap_or_default();
    let mut versions = data.advisory.versions();
    if versions.is_empty() {
        versions.push((0, None, Vec::new()));
    }
    let res_path = data.resolution.and_then(|r| non_empty_trimmed(r.path));
    for (_, version, paths) in versions {
        let key = (adv_key.clone(), version);
        let slot = match merged.iter().position(|m| m.key == key) {
            Some(k) => k,
            None => {
                merged.push(Merged {
                    key,
                    advisory: data.advisory.clone(),
                    locator: loc.to_string(),
                    paths: Vec::new(),
                    cwes: Vec::new(),
                });
                merged.len() - 1
            }
        };
        if let Some(m) = merged.get_mut(slot) {
            if let Some(p) = &res_path {
                push_unique(&mut m.paths, p.clone());
            }
            for p in paths {
                push_unique(&mut m.paths, p);
            }
            for c in &data.advisory.cwe {
                push_unique(&mut m.cwes, c.clone());
            }
        }
    }
}

fn berry_occurrences(pkg: &str, c: BerryChildren, loc: &str, out: &mut Vec<Occurrence>) {
    let raw_id = non_empty_trimmed(c.id.clone()).unwrap_or_else(|| "unknown".to_string());
    let mut ids = Vec::new();
    if let Some(g) = c.url.as_deref().and_then(ghsa_from_url) {
        push_vuln_id(&mut ids, &g);
    } else if raw_id.chars().all(|ch| ch.is_ascii_digit()) {
        push_vuln_id(&mut ids, &format!("npm-advisory-{raw_id}"));
    } else {
        push_vuln_id(&mut ids, &raw_id);
    }
    let rule_id = ids.first().cloned().unwrap_or_default();
    let title = non_empty_trimmed(c.issue.clone())
        .map(|t| format!("{t} in {}", pkg.trim()))
        .unwrap_or_else(|| format!("{rule_id} in {}", pkg.trim()));
    let mut versions: Vec<Option<String>> = Vec::new();
    for v in &c.tree_versions {
        let v = non_empty_trimmed(Some(v.clone()));
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    if versions.is_empty() {
        versions.push(None);
    }
    for version in versions {
        let sev: Severity = npm_severity(c.severity.as_deref());
        let mut occ = Occurrence::new(Category::Sca, rule_id.clone(), title.clone(), sev, loc);
        occ.tool_severity = non_empty_trimmed(c.severity.clone());
        occ.vulnerability_ids = ids.clone();
        let mut desc = Vec::new();
        if let Some(v) = non_empty_trimmed(c.vulnerable_versions.clone()) {
            desc.push(format!("Vulnerable versions: {v}"));
        }
        if !c.dependents.is_empty() {
            desc.push(format!("Dependents: {}", c.dependents.join(", ")));
        }
        occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
        if let Some(u) = non_empty_trimmed(c.url.clone()) {
            occ.references.push(u);
        }
        occ.package = Some(Package {
            purl: None,
            ecosystem: Some("npm".to_string()),
            name: pkg.trim().to_string(),
            version,
            fixed_versions: Vec::new(),
        });
        out.push(occ);
    }
}
