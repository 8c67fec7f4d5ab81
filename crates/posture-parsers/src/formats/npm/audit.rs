//! npm audit JSON reports (`npm audit --json`): npm 7+ (`auditReportVersion: 2`) and the
//! legacy npm 6 shape.
//!
//! npm 7+: `{auditReportVersion: 2, vulnerabilities{<package>: {name, severity, isDirect,
//! via[], effects[], range, nodes[], fixAvailable}}, metadata}`. `via[]` mixes advisory
//! objects (`{source, name, dependency, title, url, severity, cwe[], cvss{score,
//! vectorString}, range}`; the earliest npm 7 wrote `id` and `vulnerable_versions`) and package
//! names (strings: "vulnerable because it depends on that package").
//!
//! npm 6: `{actions[], advisories{<id>: {id, title, module_name, cves[], cwe (string or list),
//! severity, vulnerable_versions, patched_versions, overview, recommendation, url,
//! github_advisory_id, cvss, findings[{version, paths[]}]}}, muted[], metadata}`. Yarn berry's
//! `yarn npm audit --json` writes this shape too.
//!
//! Error document: `{"error": {"code": "ENOAUDIT", "summary": ...}}` (the registry refused the
//! audit) is a `ParseError` of kind `ToolError`: no audit took place, so it is not "zero
//! vulnerabilities".
//!
//! What one occurrence is:
//! * npm 7+: **one per advisory object in `via[]`, per package** (locator
//!   `/vulnerabilities/<package>/via/<i>`). Package-name strings in `via[]` are transitive
//!   "depends on a vulnerable package" links, not issues of their own: the advisory is
//!   reported on the package that has it. So Posture's count is the number of advisory
//!   objects, not npm's (and DefectDojo's) count of `vulnerabilities{}` keys: 6 keys but 3
//!   advisories in `many_vulns.json`; 16 keys but 18 advisories in `all-severity-levels.json`.
//! * npm 6: **one per advisory and installed version** (locator
//!   `/advisories/<id>/findings/<i>`, the first finding of that version; all of its paths are
//!   listed in the description). Two installed versions of a package are two vulnerable
//!   copies to upgrade. DefectDojo counts one per advisory: `multiple_cwes.json` has 41
//!   advisories, three of which are installed in two versions (44 occurrences).
//!
//! Identity: `vulnerability_ids` = the GHSA id (npm 7+: from the advisory `url`; npm 6:
//! `github_advisory_id` or the url), then `cves[]`; an advisory with neither gets
//! `npm-advisory-<number>`. `rule_id` = the first of these. Package: ecosystem `npm`, name,
//! installed version (npm 6 findings; npm 7+ does not state it), fixed version (npm 7+:
//! `fixAvailable.version` when the fix is an upgrade of this very package; npm 6: the bound of a
//! `patched_versions` of the form `>=X`). Location path: npm 7+ the first `nodes[]` entry
//! (`node_modules/x`); npm 6 none. No tool fingerprint: npm's advisory numbers are in the ids.
//!
//! Severity (the advisory's, else the package's): `critical` → critical, `high` → high,
//! `moderate` → medium, `low` → low, `info` → info; missing or unknown → medium.
//! CVSS: `cvss.vectorString` / `cvss.score` when there is a vector or a score above 0
//! (npm writes `{"score": 0, "vectorString": null}` for "none").

use crate::json::{
    self, null_default, one_or_many, opt_lenient_f64, opt_lenient_string, parse_cwe, tidy_cwes,
};
use crate::support::fixed_from_patched;
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity,
    ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct NpmAudit;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(
        rename = "auditReportVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    audit_report_version: Option<String>,
    #[serde(default, borrow)]
    vulnerabilities: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default, borrow)]
    advisories: Option<BTreeMap<String, &'a RawValue>>,
    #[serde(default)]
    error: Option<ToolErr>,
}

#[derive(Deserialize)]
pub(crate) struct ToolErr {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub summary: Option<String>,
}

#[derive(Deserialize)]
struct Vuln<'a> {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    via: Vec<&'a RawValue>,
    #[serde(default)]
    range: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    nodes: Vec<String>,
    #[serde(rename = "fixAvailable", default)]
    fix_available: Option<FixAvailable>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FixAvailable {
    Flag(bool),
    Upgrade {
        #[serde(default)]
        name: Option<String>,
        #[serde(default, deserialize_with = "opt_lenient_string")]
        version: Option<String>,
        #[serde(rename = "isSemVerMajor", default)]
        is_semver_major: Option<bool>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Via {
    /// A package name: "vulnerable through that dependency" (not an issue of its own).
    Package(#[allow(dead_code)] String),
    Advisory(Box<ViaAdvisory>),
}

#[derive(Deserialize)]
struct ViaAdvisory {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    source: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    cwe: Vec<String>,
    #[serde(default)]
    cvss: Option<Cvss>,
    #[serde(default)]
    range: Option<String>,
    #[serde(default)]
    vulnerable_versions: Option<String>,
}

#[derive(Deserialize, Clone)]
pub(crate) struct Cvss {
    #[serde(default, deserialize_with = "opt_lenient_f64")]
    pub score: Option<f64>,
    #[serde(rename = "vectorString", default)]
    pub vector_string: Option<String>,
}

/// An npm registry advisory as npm 6 and yarn classic write it.
#[derive(Deserialize, Clone)]
pub(crate) struct Advisory {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub module_name: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub cves: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub cwe: Vec<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub severity: Option<String>,
    #[serde(default)]
    pub vulnerable_versions: Option<String>,
    #[serde(default)]
    pub patched_versions: Option<String>,
    #[serde(default)]
    pub overview: Option<String>,
    #[serde(default)]
    pub recommendation: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub github_advisory_id: Option<String>,
    #[serde(default)]
    pub cvss: Option<Cvss>,
    #[serde(default, deserialize_with = "null_default")]
    pub findings: Vec<Finding>,
}

#[derive(Deserialize, Clone)]
pub(crate) struct Finding {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub paths: Vec<String>,
}

/// npm's severity words; unknown or missing → medium.
pub(crate) fn npm_severity(word: Option<&str>) -> Severity {
    word.and_then(Severity::from_common_word)
        .filter(|_| word.is_some_and(|w| !w.trim().is_empty()))
        .unwrap_or(Severity::Medium)
}

/// The GHSA id at the end of a GitHub advisory url.
pub(crate) fn ghsa_from_url(url: &str) -> Option<String> {
    let last = url.trim().trim_end_matches('/').rsplit('/').next()?;
    last.to_ascii_uppercase()
        .starts_with("GHSA-")
        .then(|| last.to_string())
}

pub(crate) fn cvss_rating(c: Option<&Cvss>, source: &str) -> Option<CvssRating> {
    let c = c?;
    let vector = non_empty_trimmed(c.vector_string.clone());
    let score = c.score.filter(|s| *s > 0.0);
    (vector.is_some() || score.is_some()).then(|| CvssRating {
        source: source.to_string(),
        vector,
        score,
    })
}

impl Advisory {
    /// Vulnerability ids: GHSA, CVEs, else `npm-advisory-<id>`.
    pub(crate) fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some(g) = non_empty_trimmed(self.github_advisory_id.clone()) {
            push_vuln_id(&mut ids, &g);
        } else if let Some(g) = self.url.as_deref().and_then(ghsa_from_url) {
            push_vuln_id(&mut ids, &g);
        }
        for c in &self.cves {
            push_vuln_id(&mut ids, c);
        }
        if ids.is_empty() {
            let n = self.id.clone().unwrap_or_default();
            push_vuln_id(&mut ids, &format!("npm-advisory-{}", n.trim()));
        }
        ids
    }

    /// The occurrence of this advisory for one installed version with its dependency paths.
    pub(crate) fn occurrence(
        &self,
        version: Option<String>,
        paths: &[String],
        extra_cwes: &[String],
        locator: String,
    ) -> Occurrence {
        let ids = self.ids();
        let name = self.module_name.clone().unwrap_or_default();
        let rule_id = ids.first().cloned().unwrap_or_default();
        let title = non_empty_trimmed(self.title.clone())
            .map(|t| format!("{t} in {}", name.trim()))
            .unwrap_or_else(|| format!("{rule_id} in {}", name.trim()));
        let mut occ = Occurrence::new(
            Category::Sca,
            rule_id,
            title,
            npm_severity(self.severity.as_deref()),
            locator,
        );
        occ.tool_severity = non_empty_trimmed(self.severity.clone());
        occ.vulnerability_ids = ids;
        occ.cwes = tidy_cwes(
            self.cwe
                .iter()
                .chain(extra_cwes)
                .filter_map(|c| parse_cwe(c))
                .collect(),
        );
        occ.cvss.extend(cvss_rating(self.cvss.as_ref(), "npm"));
        let mut desc = Vec::new();
        if let Some(o) = non_empty_trimmed(self.overview.clone()) {
            desc.push(o);
        }
        if let Some(r) = non_empty_trimmed(self.recommendation.clone()) {
            desc.push(format!("Recommendation: {r}"));
        }
        if let Some(v) = non_empty_trimmed(self.vulnerable_versions.clone()) {
            desc.push(format!("Vulnerable versions: {v}"));
        }
        if let Some(p) = non_empty_trimmed(self.patched_versions.clone()) {
            desc.push(format!("Patched versions: {p}"));
        }
        if !paths.is_empty() {
            desc.push(format!("Dependency paths: {}", paths.join(", ")));
        }
        occ.description = (!desc.is_empty()).then(|| desc.join("\n\n"));
        if let Some(u) = non_empty_trimmed(self.url.clone()) {
            occ.references.push(u);
        }
        let fixed: Vec<String> = self
            .patched_versions
            .as_deref()
            .and_then(fixed_from_patched)
            .into_iter()
            .collect();
        occ.package = Some(Package {
            purl: None,
            ecosystem: Some("npm".to_string()),
            name: name.trim().to_string(),
            version,
            fixed_versions: fixed,
        });
        occ
    }

    /// Distinct installed versions, each with its first finding's index and all its paths.
    pub(crate) fn versions(&self) -> Vec<(usize, Option<String>, Vec<String>)> {
        let mut out: Vec<(usize, Option<String>, Vec<String>)> = Vec::new();
        for (i, f) in self.findings.iter().enumerate() {
            let v = non_empty_trimmed(f.version.clone());
            let slot = match out.iter().position(|(_, ov, _)| *ov == v) {
                Some(k) => k,
                None => {
                    out.push((i, v, Vec::new()));
                    out.len() - 1
                }
            };
            if let Some((_, _, paths)) = out.get_mut(slot) {
                for p in &f.paths {
                    push_unique(paths, p.clone());
                }
            }
        }
        out
    }
}

impl Parser for NpmAudit {
    fn id(&self) -> &'static str {
        "npm-audit-json"
    }

    fn description(&self) -> &'static str {
        "npm audit JSON report (npm 7+ auditReportVersion 2, and npm 6 advisories)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_key("auditReportVersion") {
            return Confidence::CERTAIN;
        }
        if s.has_key("advisories") && (s.has_key("actions") || s.has_key("muted")) {
            return Confidence::CERTAIN;
        }
        if s.has_key("error") && (s.contains("\"ENOAUDIT\"") || s.contains("\"EAUDIT")) {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Doc = json::from_slice(input)?;
        if let Some(err) = doc.error {
            return Err(ParseError::new(
                ParseErrorKind::ToolError,
                format!(
                    "npm audit failed ({}): {}",
                    err.code.as_deref().unwrap_or("no code"),
                    err.summary.as_deref().unwrap_or("no summary").trim()
                ),
            ));
        }
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        let diags = &mut report.diagnostics;
        match (
            doc.vulnerabilities,
            doc.advisories,
            doc.audit_report_version,
        ) {
            (Some(vulns), _, _) => {
                for (key, raw) in &vulns {
                    let loc = json::pointer("/vulnerabilities", key);
                    if let Some(v) = item::<Vuln>(raw, &loc, diags) {
                        v7_occurrences(key, v, &loc, &mut occurrences, diags);
                    }
                }
            }
            (None, Some(advisories), _) => {
                for (key, raw) in &advisories {
                    let loc = json::pointer("/advisories", key);
                    let Some(a) = item::<Advisory>(raw, &loc, diags) else {
                        continue;
                    };
                    let versions = a.versions();
                    if versions.is_empty() {
                        occurrences.push(a.occurrence(None, &[], &[], loc));
                        continue;
                    }
                    for (i, version, paths) in versions {
                        let floc = json::pointer_index(&json::pointer(&loc, "findings"), i);
                        occurrences.push(a.occurrence(version, &paths, &[], floc));
                    }
                }
            }
            (None, None, Some(_)) => {}
            (None, None, None) => {
                return Err(ParseError::shape(
                    "not an npm audit report: expected `vulnerabilities` (npm 7+) or \
                     `advisories` (npm 6)",
                ));
            }
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("npm", None),
            occurrences,
        });
        Ok(report)
    }
}

fn v7_occurrences(
    key: &str,
    v: Vuln<'_>,
    loc: &str,
    out: &mut Vec<Occurrence>,
    diags: &mut Vec<Diagnostic>,
) {
    let pkg_name = non_empty_trimmed(v.name.clone()).unwrap_or_else(|| key.trim().to_string());
    let via_loc = json::pointer(loc, "via");
    let mut seen: Vec<String> = Vec::new();
    for (i, raw) in v.via.iter().enumerate() {
        let vloc = json::pointer_index(&via_loc, i);
        let Some(via) = item::<Via>(raw, &vloc, diags) else {
            continue;
        };
        let Via::Advisory(a) = via else {
            continue;
        };
        let number = non_empty_trimmed(a.source.clone()).or(non_empty_trimmed(a.id.clone()));
        let ghsa = a.url.as_deref().and_then(ghsa_from_url);
        let mut ids = Vec::new();
        if let Some(g) = &ghsa {
            push_vuln_id(&mut ids, g);
        }
        if ids.is_empty() {
            let n = number.clone().unwrap_or_else(|| "unknown".to_string());
            push_vuln_id(&mut ids, &format!("npm-advisory-{n}"));
        }
        let rule_id = ids.first().cloned().unwrap_or_default();
        if seen.contains(&rule_id) {
            // the same advisory listed twice for one package is one issue
            continue;
        }
        seen.push(rule_id.clone());
        let name = non_empty_trimmed(a.name.clone()).unwrap_or_else(|| pkg_name.clone());
        let title = non_empty_trimmed(a.title.clone())
            .map(|t| format!("{t} in {name}"))
            .unwrap_or_else(|| format!("{rule_id} in {name}"));
        let word = non_empty_trimmed(a.severity.clone()).or(non_empty_trimmed(v.severity.clone()));
        let mut occ = Occurrence::new(
            Category::Sca,
            rule_id,
            title,
            npm_severity(word.as_deref()),
            vloc,
        );
        occ.tool_severity = word;
        occ.vulnerability_ids = ids;
        occ.cwes = tidy_cwes(a.cwe.iter().filter_map(|c| parse_cwe(c)).collect());
        let source = if ghsa.is_some() { "ghsa" } else { "npm" };
        occ.cvss.extend(cvss_rating(a.cvss.as_ref(), source));
        let mut desc = Vec::new();
        if let Some(r) = non_empty_trimmed(a.range.clone())
            .or(non_empty_trimmed(a.vulnerable_versions.clone()))
            .or(non_empty_trimmed(v.range.clone()))
        {
            desc.push(format!("Vulnerable versions: {r}"));
        }
        let mut fixed = Vec::new();
        match &v.fix_available {
            Some(FixAvailable::Flag(true)) => desc.push("Fix available: yes.".to_string()),
            Some(FixAvailable::Flag(false)) => desc.push("Fix available: no.".to_string()),
            Some(FixAvailable::Upgrade {
                name: fname,
                version,
                is_semver_major,
            }) => {
                let fname = fname.clone().unwrap_or_default();
                let fver = version.clone().unwrap_or_default();
                desc.push(format!(
                    "Fix available: upgrade {} to {}{}.",
                    fname.trim(),
                    fver.trim(),
                    if *is_semver_major == Some(true) {
                        " (semver-major)"
                    } else {
                        ""
                    }
                ));
                if fname.trim() == name && !fver.trim().is_empty() {
                    fixed.push(fver.trim().to_string());
                }
            }
            None => {}
        }
        if v.nodes.len() > 1 {
            desc.push(format!("Installed at: {}", v.nodes.join(", ")));
        }
        occ.description = Some(desc.join("\n"));
        if let Some(u) = non_empty_trimmed(a.url.clone()) {
            occ.references.push(u);
        }
        occ.package = Some(Package {
            purl: None,
            ecosystem: Some("npm".to_string()),
            name,
            version: None,
            fixed_versions: fixed,
        });
        occ.location = Location {
            path: v
                .nodes
                .first()
                .cloned()
                .and_then(|n| non_empty_trimmed(Some(n))),
            ..Location::default()
        };
        out.push(occ);
    }
}
