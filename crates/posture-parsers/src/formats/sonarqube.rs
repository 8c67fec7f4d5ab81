//! SonarQube / SonarCloud JSON: the Web API's issue and hotspot searches, and the JSON that the
//! `sonar-report` tool writes.
//!
//! Shapes read:
//! * issues search (`GET /api/issues/search`): `{total, p, ps, paging, effortTotal, issues[],
//!   components[], rules?, facets}`; each issue has `key`, `rule`, `severity`
//!   (`BLOCKER`..`INFO`; since 10.x also `impacts[{softwareQuality, severity}]`), `component`
//!   (`project:path/to/file`), `line`, `textRange`, `message`, `type` (`VULNERABILITY`, `BUG`,
//!   `CODE_SMELL`, `SECURITY_HOTSPOT`), `status`, `resolution`, `tags`;
//! * hotspots search (`GET /api/hotspots/search`): `{paging, hotspots[], components[]}`;
//!   each hotspot has `key`, `component`, `securityCategory`, `vulnerabilityProbability`,
//!   `status` (`TO_REVIEW`, `REVIEWED`), `resolution`, `line`, `message`, `ruleKey`;
//! * `sonar-report` JSON (soprasteria/sonar-report): `{date, projectName, sonarBaseURL,
//!   sonarComponent, rules {key: {name, htmlDesc}}, issues[{rule, severity, status, component,
//!   line, description, message, key}], hotspotKeys}`.
//!
//! A document with both `issues` and `hotspots` reads both. Pages of a paginated search are
//! separate documents (one ingest each).
//!
//! Not read: the HTML report of `sonar-report` and zip archives of API answers (DefectDojo's
//! fixtures `sonar.html`, `sonar-6-findings.html`, `sonar-6-findings-1-unique_id_changed.html`,
//! `sonar-table-in-table.html`, `findings_over_api.zip`, `empty_zip.zip`): both are refused
//! with a Shape error that says what to import instead.
//!
//! Severity (`severity`; without it, the highest of `impacts[].severity`; hotspots:
//! `vulnerabilityProbability`):
//!
//! | SonarQube                       | Posture  |
//! |---------------------------------|----------|
//! | `BLOCKER`                       | critical |
//! | `CRITICAL`, `HIGH`              | high     |
//! | `MAJOR`, `MEDIUM`               | medium   |
//! | `MINOR`, `LOW`                  | low      |
//! | `INFO`, missing, anything else  | info     |
//!
//! (`Severity::from_common_word` would read `MAJOR` as high; Sonar's scale is one step lower
//! than the words suggest, and DefectDojo maps it the same way.)
//!
//! Status: issues `CLOSED` (fixed or removed) and hotspots `REVIEWED` + `FIXED` are not current
//! findings and are left out (counted in one `Warning` diagnostic). Resolutions
//! `FALSE-POSITIVE`, `WONTFIX`, `ACCEPTED` and hotspots reviewed `SAFE` are occurrences with
//! `suppressed` set.
//!
//! Category: `sast` for every type (bugs and code smells included: they are what the report
//! holds, and the `type` is written in the description).
//!
//! Identity hints: `key`, SonarQube's issue key, is kept by the server across analyses and
//! line moves: `tool_fingerprint`. No code snippet is given, so no `context`.
//!
//! Other fields: CWE ids from `cwe-NNN` tags and `CWE-NNN` in the message (dependency-check's
//! plugin writes `Category: CWE-120`); CVE/GHSA ids named in the message to
//! `vulnerability_ids`; the path is the component's `path` from `components[]`, else the
//! component key after the project prefix (`project:src/a.py` → `src/a.py`); a component
//! that is the project itself gives no path.
//!
//! Collapsing: none, one occurrence per issue or hotspot.

use crate::json::{self, null_default, opt_lenient_string, opt_lenient_u32};
use crate::support::quality_concern;
use crate::support::reshape;
use crate::support::vuln_ids_in;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

pub struct SonarQube;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc<'a> {
    #[serde(default, borrow, deserialize_with = "crate::support::present_list")]
    issues: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "crate::support::present_list")]
    hotspots: Option<Vec<&'a RawValue>>,
    #[serde(default, deserialize_with = "null_default")]
    components: Vec<Component>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    sonar_component: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    sonar_base_url: Option<String>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    key: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    qualifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    key: Option<String>,
    #[serde(default, alias = "ruleKey", deserialize_with = "opt_lenient_string")]
    rule: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    impacts: Vec<Impact>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    vulnerability_probability: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    security_category: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    component: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    project: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    text_range: Option<TextRange>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    resolution: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    tags: Vec<Option<String>>,
}

#[derive(Deserialize)]
struct Impact {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextRange {
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_offset: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_offset: Option<u32>,
}

impl Parser for SonarQube {
    fn id(&self) -> &'static str {
        "sonarqube-json"
    }

    fn description(&self) -> &'static str {
        "SonarQube JSON (issues and hotspots API searches, sonar-report JSON)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() == Some('<') {
            // the sonar-report HTML: named in errors, never read
            return if s.contains("SonarQube") {
                Confidence::RESEMBLES
            } else {
                Confidence::NO
            };
        }
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_key("issues") && (s.has_key("sonarComponent") || s.has_key("sonarBaseURL")) {
            return Confidence::CERTAIN;
        }
        if s.has_key("issues") && s.has_key("paging") && s.has_key("effortTotal") {
            return Confidence::CERTAIN;
        }
        if s.has_key("hotspots") && s.has_key("paging") && s.has_key("vulnerabilityProbability") {
            return Confidence::CERTAIN;
        }
        if s.has_key("issues")
            && s.has_key("paging")
            && s.has_keys(&["component", "rule", "severity"])
            && (s.has_key("textRange") || s.has_key("effort") || s.has_key("debt"))
        {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str = "expected SonarQube JSON (an issues or hotspots API answer, or \
                                sonar-report JSON)";
        let head = json::strip_bom(input);
        let trimmed = head.trim_ascii_start();
        if trimmed.starts_with(b"PK\x03\x04") || trimmed.starts_with(b"PK\x05\x06") {
            return Err(ParseError::shape(
                "this is a zip archive; unzip it and import the SonarQube JSON files inside \
                 one by one",
            ));
        }
        if trimmed.starts_with(b"<") {
            return Err(ParseError::shape(
                "this is an HTML (or XML) report; Posture reads SonarQube's JSON: the \
                 /api/issues/search and /api/hotspots/search answers, or sonar-report's JSON",
            ));
        }
        let doc: Doc = json::from_slice(input).map_err(|e| reshape(e, EXPECTED))?;
        if doc.issues.is_none() && doc.hotspots.is_none() {
            return Err(ParseError::shape(format!(
                "{EXPECTED}; no `issues` or `hotspots` key"
            )));
        }
        let paths: HashMap<&str, &str> = doc
            .components
            .iter()
            .filter_map(|c| {
                let k = c.key.as_deref()?;
                let p = c.path.as_deref().filter(|p| !p.is_empty())?;
                (c.qualifier.as_deref() != Some("TRK")).then_some((k, p))
            })
            .collect();
        let project = doc.sonar_component.as_deref();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let mut closed = 0usize;
        for (key, hotspot) in [("issues", false), ("hotspots", true)] {
            let items = if hotspot { &doc.hotspots } else { &doc.issues };
            let items = items.as_deref().unwrap_or_default();
            json::each_item(
                items,
                &format!("/{key}"),
                &mut diagnostics,
                |_, loc, i: Issue| match to_occurrence(i, hotspot, &paths, project, loc) {
                    Some(o) => occurrences.push(o),
                    None => closed += 1,
                },
            );
        }
        if closed > 0 {
            diagnostics.push(json::warning(
                "",
                format!(
                    "{closed} closed or fixed issue(s) left out: they are not current findings"
                ),
            ));
        }
        let _ = doc.sonar_base_url;
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("sonarqube", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn severity(word: Option<&str>) -> Severity {
    match word.map(|w| w.trim().to_ascii_uppercase()).as_deref() {
        Some("BLOCKER") => Severity::Critical,
        Some("CRITICAL") | Some("HIGH") => Severity::High,
        Some("MAJOR") | Some("MEDIUM") => Severity::Medium,
        Some("MINOR") | Some("LOW") => Severity::Low,
        _ => Severity::Info,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `project:src/a.py` → `src/a.py`, using `components[]` when it names the file.
fn path_of(
    component: Option<&str>,
    project: Option<&str>,
    paths: &HashMap<&str, &str>,
) -> Option<String> {
    let c = component?.trim();
    if c.is_empty() || Some(c) == project {
        return None;
    }
    if let Some(p) = paths.get(c) {
        return Some((*p).to_string());
    }
    match c.split_once(':') {
        Some((_, rest)) if !rest.is_empty() => Some(rest.to_string()),
        // a key without a project prefix is the project itself when it has no dot or slash
        _ if !c.contains(['.', '/']) => None,
        _ => Some(c.to_string()),
    }
}

fn to_occurrence(
    i: Issue,
    hotspot: bool,
    paths: &HashMap<&str, &str>,
    project: Option<&str>,
    locator: String,
) -> Option<Occurrence> {
    let status = non_empty(&i.status).map(str::to_ascii_uppercase);
    let resolution = non_empty(&i.resolution).map(str::to_ascii_uppercase);
    if status.as_deref() == Some("CLOSED")
        || (status.as_deref() == Some("REVIEWED") && resolution.as_deref() == Some("FIXED"))
        || (status.as_deref() == Some("RESOLVED") && resolution.as_deref() == Some("FIXED"))
    {
        return None;
    }
    let rule = non_empty(&i.rule).unwrap_or("sonarqube").to_string();
    let message = non_empty(&i.message);
    let title = message
        .and_then(|m| m.lines().next())
        .or(non_empty(&i.description))
        .unwrap_or(&rule)
        .to_string();
    let impact_max = i
        .impacts
        .iter()
        .filter_map(|im| non_empty(&im.severity))
        .max_by_key(|w| severity(Some(w)));
    let word = if hotspot {
        non_empty(&i.vulnerability_probability).or(non_empty(&i.severity))
    } else {
        non_empty(&i.severity)
            .or(impact_max)
            .or(non_empty(&i.vulnerability_probability))
    };
    let mut occ = Occurrence::new(Category::Sast, rule, title, severity(word), locator);
    occ.tool_severity = word.map(String::from);
    let range = i.text_range.as_ref();
    let start = range
        .and_then(|r| r.start_line)
        .or(i.line)
        .filter(|l| *l > 0);
    let end = range
        .and_then(|r| r.end_line)
        .filter(|e| start.is_some_and(|s| *e > s));
    let project = non_empty(&i.project).or(project);
    occ.location = Location {
        path: path_of(i.component.as_deref(), project, paths),
        start_line: start,
        end_line: end,
        // Sonar offsets are 0-based columns
        start_column: range
            .and_then(|r| r.start_offset)
            .map(|c| c.saturating_add(1)),
        end_column: range.and_then(|r| r.end_offset).filter(|c| *c > 0),
        ..Location::default()
    };
    occ.identity.tool_fingerprint = non_empty(&i.key).map(String::from);
    let mut cwes: Vec<u32> = i
        .tags
        .iter()
        .flatten()
        .filter_map(|t| {
            t.to_ascii_lowercase()
                .strip_prefix("cwe-")
                .and_then(json::parse_cwe)
        })
        .collect();
    if let Some(m) = message {
        let upper = m.to_ascii_uppercase();
        for (pos, _) in upper.match_indices("CWE-") {
            if let Some(id) = upper.get(pos..).and_then(json::parse_cwe) {
                cwes.push(id);
            }
        }
        occ.vulnerability_ids = vuln_ids_in(m);
    }
    occ.cwes = json::tidy_cwes(cwes);
    let mut desc = Vec::new();
    if let Some(m) = message {
        desc.push(m.to_string());
    }
    if let Some(d) = non_empty(&i.description).filter(|d| Some(*d) != message) {
        desc.push(d.to_string());
    }
    let kind = if hotspot {
        Some("SECURITY_HOTSPOT")
    } else {
        non_empty(&i.kind)
    };
    if let Some(k) = kind {
        desc.push(format!("Type: {k}."));
    }
    if let Some(c) = non_empty(&i.security_category) {
        desc.push(format!("Security category: {c}."));
    }
    let tags: Vec<&str> = i.tags.iter().flatten().map(String::as_str).collect();
    // a BUG or CODE_SMELL with no security tag, category or CWE is code quality
    if non_empty(&i.security_category).is_none() {
        occ.quality = quality_concern(kind.into_iter().chain(tags.iter().copied()), &occ.cwes)
            .map(|words| format!("SonarQube type and tags: {words}"));
    }
    if !tags.is_empty() {
        desc.push(format!("Tags: {}.", tags.join(", ")));
    }
    if let Some(s) = &status {
        match &resolution {
            Some(r) => desc.push(format!("Status: {s} ({r}).")),
            None => desc.push(format!("Status: {s}.")),
        }
    }
    occ.suppressed = matches!(
        resolution.as_deref(),
        Some("FALSE-POSITIVE") | Some("WONTFIX") | Some("ACCEPTED") | Some("SAFE")
    );
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    Some(occ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_paths() {
        let m = HashMap::new();
        assert_eq!(
            path_of(Some("app:src/a.py"), Some("app"), &m).as_deref(),
            Some("src/a.py")
        );
        assert_eq!(path_of(Some("app"), Some("app"), &m), None);
        assert_eq!(path_of(Some("testapplication"), None, &m), None);
        assert_eq!(
            path_of(
                Some("vulnerable-flask-app.py"),
                Some("vulnerable-flask-app"),
                &m
            )
            .as_deref(),
            Some("vulnerable-flask-app.py")
        );
    }

    #[test]
    fn sonar_scale_is_one_step_lower() {
        assert_eq!(severity(Some("BLOCKER")), Severity::Critical);
        assert_eq!(severity(Some("MAJOR")), Severity::Medium);
        assert_eq!(severity(Some("INFO")), Severity::Info);
    }
}
