//! retire.js JSON reports (`retire --outputformat json`).
//!
//! Shapes: retire ≥ 2: `{version, start, data[], messages[], errors[], time}`; retire 1.x: the
//! `data` list alone at the top level. `data[] = {file?, results[{component, version,
//! detection, vulnerabilities[{severity, identifiers {summary, CVE[], githubID, issue, bug,
//! retid...}, info[], below, atOrAbove, cwe[]}]}]}`; a result without `vulnerabilities` is an
//! inventory entry and not a finding. `errors[]` become Warning diagnostics at `/errors/N`.
//!
//! Category: **sca** (a vulnerable JavaScript library). One occurrence per
//! `data[].results[].vulnerabilities[]` item. `rule_id` = the first CVE, else the GHSA id
//! (`githubID`), else retire's `retid`, else `retirejs:<component>`; `vulnerability_ids` = the
//! CVEs then the GHSA id. Title = `<component> <version>: <summary>`. Package: ecosystem `npm`
//! (retire.js names components after their npm packages), installed version, fixed version =
//! `below`. `location.path` = the scanned file; `info[]` → references; issue and bug numbers are
//! kept in the description. No identity hints: retire.js has no per-result id or snippet.
//!
//! Count: DefectDojo reports 23 findings for its `latest.json` where Posture keeps the 26 raw
//! vulnerabilities: DefectDojo merges items with the same title in the same file (jQuery's
//! CVE-2020-11022 and CVE-2020-11023 share one summary, in three files). They are two distinct
//! advisories with distinct CVEs, so Posture keeps both.
//!
//! Severity (`severity`): `critical` → critical, `high` → high, `medium` → medium, `low` →
//! low, missing or anything else → info.

use crate::json::{self, one_or_many, opt_lenient_string};
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Retirejs;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default, borrow)]
    data: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    errors: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    start: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct FileEntry<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file: Option<String>,
    #[serde(default, borrow)]
    results: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Component<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    component: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
struct Identifiers {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    summary: Option<String>,
    #[serde(rename = "CVE", default, deserialize_with = "one_or_many")]
    cve: Vec<Option<String>>,
    #[serde(rename = "githubID", default, deserialize_with = "opt_lenient_string")]
    github_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    retid: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    issue: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    bug: Option<String>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default)]
    identifiers: Option<Identifiers>,
    #[serde(default, deserialize_with = "one_or_many")]
    info: Vec<Option<String>>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    below: Option<String>,
    #[serde(rename = "atOrAbove", default, deserialize_with = "opt_lenient_string")]
    at_or_above: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    cwe: Vec<Option<String>>,
}

fn severity_of(word: &str) -> Severity {
    match word.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

impl Parser for Retirejs {
    fn id(&self) -> &'static str {
        "retirejs-json"
    }

    fn description(&self) -> &'static str {
        "retire.js JSON report (vulnerable JavaScript libraries)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        let retire_item = s.has_keys(&["results", "component", "detection"]);
        if s.is_json_object() {
            if s.has_keys(&["data", "start", "messages", "errors", "time"]) {
                return Confidence::CERTAIN;
            }
            if s.has_key("data") && retire_item {
                return Confidence::MATCH;
            }
        } else if s.is_json_array() && retire_item && s.has_key("file") {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let mut diagnostics: Vec<Diagnostic> = Vec::new();
        let (data, base, version) = if first == Some(b'[') {
            let items: Vec<&RawValue> = json::from_slice(input)?;
            (items, "", None)
        } else {
            let r: Report = json::from_slice(input)?;
            if r.data.is_none() && r.start.is_none() {
                return Err(ParseError::shape(
                    "not a retire.js JSON report: expected `data` (and `start`, `errors`)",
                ));
            }
            for (i, e) in r.errors.into_iter().flatten().enumerate() {
                let text = match e {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                diagnostics.push(json::warning(
                    &json::pointer_index("/errors", i),
                    format!("retire.js reported an error: {text}"),
                ));
            }
            (
                r.data.unwrap_or_default(),
                "/data",
                non_empty_trimmed(r.version),
            )
        };
        let mut occurrences = Vec::new();
        let mut entries = Vec::new();
        json::each_item(&data, base, &mut diagnostics, |_, loc, f: FileEntry| {
            entries.push((loc, f));
        });
        for (floc, f) in entries {
            let file = non_empty_trimmed(f.file);
            let mut comps = Vec::new();
            let rbase = format!("{floc}/results");
            json::each_item(
                &f.results.unwrap_or_default(),
                &rbase,
                &mut diagnostics,
                |_, loc, c: Component| comps.push((loc, c)),
            );
            for (cloc, c) in comps {
                let name = non_empty_trimmed(c.component);
                let version = non_empty_trimmed(c.version);
                let vbase = format!("{cloc}/vulnerabilities");
                json::each_item(
                    &c.vulnerabilities.unwrap_or_default(),
                    &vbase,
                    &mut diagnostics,
                    |_, loc, v: Vuln| {
                        occurrences.push(to_occurrence(
                            v,
                            loc,
                            name.as_deref(),
                            version.as_deref(),
                            file.as_deref(),
                        ));
                    },
                );
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("retire.js", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn to_occurrence(
    v: Vuln,
    locator: String,
    name: Option<&str>,
    version: Option<&str>,
    file: Option<&str>,
) -> Occurrence {
    let ids_in = v.identifiers.unwrap_or_default();
    let mut ids = Vec::new();
    for c in ids_in.cve.iter().flatten() {
        push_vuln_id(&mut ids, c);
    }
    if let Some(g) = &ids_in.github_id {
        push_vuln_id(&mut ids, g);
    }
    let retid = non_empty_trimmed(ids_in.retid);
    let rule_id = ids
        .first()
        .cloned()
        .or_else(|| retid.as_ref().map(|r| format!("retire-{r}")))
        .unwrap_or_else(|| format!("retirejs:{}", name.unwrap_or("unknown")));
    let summary = non_empty_trimmed(ids_in.summary);
    let subject = match (name, version) {
        (Some(n), Some(v)) => Some(format!("{n} {v}")),
        (Some(n), None) => Some(n.to_string()),
        _ => None,
    };
    let title = match (&subject, &summary) {
        (Some(s), Some(m)) => format!("{s}: {m}"),
        (None, Some(m)) => m.clone(),
        (Some(s), None) => format!("{rule_id} in {s}"),
        (None, None) => rule_id.clone(),
    };
    let tool_severity = non_empty_trimmed(v.severity);
    let severity = tool_severity
        .as_deref()
        .map(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.vulnerability_ids = ids;
    occ.cwes = json::tidy_cwes(
        v.cwe
            .iter()
            .flatten()
            .filter_map(|c| json::parse_cwe(c))
            .collect(),
    );
    let mut desc = Vec::new();
    if let Some(s) = &summary {
        desc.push(s.clone());
    }
    let mut range = Vec::new();
    if let Some(a) = non_empty_trimmed(v.at_or_above.clone()) {
        range.push(format!(">= {a}"));
    }
    if let Some(b) = non_empty_trimmed(v.below.clone()) {
        range.push(format!("< {b}"));
    }
    if !range.is_empty() {
        desc.push(format!("Vulnerable versions: {}.", range.join(", ")));
    }
    if let Some(i) = non_empty_trimmed(ids_in.issue) {
        desc.push(format!("Issue: {i}."));
    }
    if let Some(b) = non_empty_trimmed(ids_in.bug) {
        desc.push(format!("Bug: {b}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    let mut refs = Vec::new();
    for r in v.info.into_iter().flatten() {
        push_unique(&mut refs, r);
    }
    occ.references = refs;
    occ.package = name.map(|n| Package {
        purl: None,
        ecosystem: Some("npm".to_string()),
        name: n.to_string(),
        version: version.map(String::from),
        fixed_versions: non_empty_trimmed(v.below).into_iter().collect(),
    });
    occ.location = Location {
        path: file.map(String::from),
        ..Location::default()
    };
    occ
}
