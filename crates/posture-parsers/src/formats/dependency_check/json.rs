//! OWASP Dependency-Check JSON reports (`dependency-check -f JSON`, `reportSchema` 1.1 and the
//! unversioned reports before it).
//!
//! Shape: `{reportSchema, scanInfo {engineVersion}, projectInfo, dependencies[]}` with
//! `dependencies[] = {fileName, filePath, packages[{id (purl)}], vulnerabilities[],
//! suppressedVulnerabilities[]}` and a vulnerability `{source, name, severity, cvssv2 {score,
//! severity...}, cvssv3 {baseScore, baseSeverity, attackVector...}, cwes[], description, notes,
//! references[{url}], vulnerableSoftware[]}`. The XML report is read by
//! [`super::xml`], which shares this module's mapping.
//!
//! Category: **sca**. One occurrence per vulnerability of each dependency; `relatedDependencies`
//! (the same library found again) produce nothing, as in DefectDojo. `rule_id` and the primary
//! vulnerability id = `name` (`CVE-2020-15522`, an OSS Index or npm advisory id). Package from
//! the first purl of `packages` (`pkg:maven/g/a@v` → maven, `g:a`, `v`), else the file name;
//! `location.path` = `filePath` with `\` normalized to `/`. CVSS v3 then v2 ratings (source:
//! the vulnerability's `source`, lowercased, else `nvd`).
//!
//! Suppressed vulnerabilities (`suppressedVulnerabilities[]`, or `<suppressedVulnerability>` in
//! XML) are emitted with `suppressed = true`: the project decided to accept them, and keeping
//! them lets Posture show the decision (DefectDojo also counts them: 26 + 8 = 34 for
//! `PR6439.xml`).
//!
//! Severity: the given word when there is one (`CRITICAL` → critical, `HIGH` → high, `MEDIUM`
//! and `MODERATE` → medium, `LOW` → low, `INFO` → info; case-insensitive), else the CVSS band
//! of the v3 base score, else of the v2 score, else info.

use crate::json::{self, opt_lenient_f64, opt_lenient_string};
use crate::support::{Purl, non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Location, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct DependencyCheckJson;

/// A dependency as both report formats describe it.
#[derive(Default)]
pub(crate) struct DcDependency {
    pub file_name: Option<String>,
    pub file_path: Option<String>,
    pub purl: Option<String>,
    /// `group:artifact:version` from old XML `<identifier type="maven">`.
    pub maven_gav: Option<String>,
}

/// A vulnerability as both report formats describe it.
#[derive(Default)]
pub(crate) struct DcVuln {
    pub source: Option<String>,
    pub name: Option<String>,
    pub severity: Option<String>,
    pub v3_score: Option<f64>,
    pub v3_severity: Option<String>,
    pub v2_score: Option<f64>,
    pub v2_severity: Option<String>,
    pub cwes: Vec<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub references: Vec<String>,
    pub suppressed: bool,
}

fn severity_word(word: &str) -> Option<Severity> {
    crate::support::severity::lookup(crate::support::severity::DEPENDENCY_CHECK, word)
}

/// Splits a purl into (type, name with namespace, version).
fn split_purl(purl: &str) -> Option<(String, String, Option<String>)> {
    let p = Purl::parse(purl)?;
    let name = p.display_name();
    Some((p.ty, name, p.version.filter(|v| !v.is_empty())))
}

pub(crate) fn dc_occurrence(dep: &DcDependency, v: DcVuln, locator: String) -> Occurrence {
    let name = non_empty_trimmed(v.name);
    let rule_id = name
        .clone()
        .unwrap_or_else(|| "dependency-check".to_string());
    let package = if let Some((t, n, ver)) = dep.purl.as_deref().and_then(split_purl) {
        Some(Package {
            purl: dep.purl.clone(),
            ecosystem: Some(t),
            name: n,
            version: ver,
            fixed_versions: Vec::new(),
        })
    } else if let Some(gav) = &dep.maven_gav {
        let parts: Vec<&str> = gav.split(':').collect();
        let (n, ver) = match parts.as_slice() {
            [g, a, ver] => (format!("{g}:{a}"), Some(ver.to_string())),
            _ => (gav.clone(), None),
        };
        Some(Package {
            purl: None,
            ecosystem: Some("maven".to_string()),
            name: n,
            version: ver,
            fixed_versions: Vec::new(),
        })
    } else {
        dep.file_name.clone().map(|f| Package {
            name: f,
            ..Package::default()
        })
    };
    let subject = package
        .as_ref()
        .map(|p| p.name.clone())
        .or(dep.file_name.clone());
    let title = match &subject {
        Some(s) => format!("{rule_id} in {s}"),
        None => rule_id.clone(),
    };
    let tool_severity = non_empty_trimmed(v.severity);
    let severity = tool_severity
        .as_deref()
        .and_then(severity_word)
        .or_else(|| v.v3_score.and_then(Severity::from_cvss_score))
        .or_else(|| v.v2_score.and_then(Severity::from_cvss_score))
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity
        .or(non_empty_trimmed(v.v3_severity))
        .or(non_empty_trimmed(v.v2_severity));
    if let Some(n) = &name {
        push_vuln_id(&mut occ.vulnerability_ids, n);
    }
    let source = non_empty_trimmed(v.source)
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_else(|| "nvd".to_string());
    for score in [v.v3_score, v.v2_score].into_iter().flatten() {
        occ.cvss.push(CvssRating {
            source: source.clone(),
            vector: None,
            score: Some(score),
        });
    }
    occ.cwes = json::tidy_cwes(v.cwes.iter().filter_map(|c| json::parse_cwe(c)).collect());
    let mut desc = non_empty_trimmed(v.description)
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
    if let Some(n) = non_empty_trimmed(v.notes) {
        let note = format!("Notes: {n}");
        desc = Some(match desc {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        });
    }
    occ.description = desc;
    let mut refs = Vec::new();
    for r in v.references {
        push_unique(&mut refs, r);
    }
    occ.references = refs;
    occ.package = package;
    occ.location = Location {
        path: dep
            .file_path
            .as_deref()
            .map(|p| p.trim().replace('\\', "/"))
            .filter(|p| !p.is_empty())
            .or(dep.file_name.clone()),
        ..Location::default()
    };
    occ.suppressed = v.suppressed;
    occ
}

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(rename = "reportSchema", default)]
    report_schema: Option<serde::de::IgnoredAny>,
    #[serde(rename = "scanInfo", default)]
    scan_info: Option<ScanInfo>,
    #[serde(default, borrow)]
    dependencies: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct ScanInfo {
    #[serde(
        rename = "engineVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    engine_version: Option<String>,
}

#[derive(Deserialize)]
struct Dependency<'a> {
    #[serde(rename = "fileName", default, deserialize_with = "opt_lenient_string")]
    file_name: Option<String>,
    #[serde(rename = "filePath", default, deserialize_with = "opt_lenient_string")]
    file_path: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    packages: Vec<PackageId>,
    #[serde(default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(rename = "suppressedVulnerabilities", default, borrow)]
    suppressed: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct PackageId {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(
        rename = "baseScore",
        alias = "score",
        default,
        deserialize_with = "opt_lenient_f64"
    )]
    score: Option<f64>,
    #[serde(
        rename = "baseSeverity",
        alias = "severity",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    source: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default)]
    cvssv2: Option<Cvss>,
    #[serde(default)]
    cvssv3: Option<Cvss>,
    #[serde(default, deserialize_with = "json::one_or_many")]
    cwes: Vec<Option<String>>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    notes: Option<String>,
    #[serde(default, deserialize_with = "json::null_default")]
    references: Vec<Reference>,
}

impl Parser for DependencyCheckJson {
    fn id(&self) -> &'static str {
        "dependency-check-json"
    }

    fn description(&self) -> &'static str {
        "OWASP Dependency-Check JSON report (reportSchema 1.1 and older)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["reportSchema", "scanInfo", "dependencies"]) {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["scanInfo", "projectInfo", "dependencies"]) {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let r: Report = json::from_slice(input)?;
        if r.dependencies.is_none() && r.report_schema.is_none() && r.scan_info.is_none() {
            return Err(ParseError::shape(
                "not a Dependency-Check JSON report: expected `reportSchema`, `scanInfo` and `dependencies`",
            ));
        }
        let version = r
            .scan_info
            .and_then(|s| non_empty_trimmed(s.engine_version));
        let mut diagnostics = Vec::new();
        let mut deps = Vec::new();
        json::each_item(
            &r.dependencies.unwrap_or_default(),
            "/dependencies",
            &mut diagnostics,
            |_, loc, d: Dependency| deps.push((loc, d)),
        );
        let mut occurrences = Vec::new();
        for (loc, d) in deps {
            let dep = DcDependency {
                file_name: non_empty_trimmed(d.file_name),
                file_path: non_empty_trimmed(d.file_path),
                purl: d.packages.into_iter().find_map(|p| non_empty_trimmed(p.id)),
                maven_gav: None,
            };
            for (key, items, suppressed) in [
                ("vulnerabilities", d.vulnerabilities, false),
                ("suppressedVulnerabilities", d.suppressed, true),
            ] {
                let base = format!("{loc}/{key}");
                json::each_item(
                    &items.unwrap_or_default(),
                    &base,
                    &mut diagnostics,
                    |_, vloc, v: Vuln| {
                        let (v3_score, v3_severity) =
                            v.cvssv3.map(|c| (c.score, c.severity)).unwrap_or_default();
                        let (v2_score, v2_severity) =
                            v.cvssv2.map(|c| (c.score, c.severity)).unwrap_or_default();
                        let dv = DcVuln {
                            source: v.source,
                            name: v.name,
                            severity: v.severity,
                            v3_score,
                            v3_severity,
                            v2_score,
                            v2_severity,
                            cwes: v.cwes.into_iter().flatten().collect(),
                            description: v.description,
                            notes: v.notes,
                            references: v.references.into_iter().filter_map(|r| r.url).collect(),
                            suppressed,
                        };
                        occurrences.push(dc_occurrence(&dep, dv, vloc));
                    },
                );
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("dependency-check", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}
