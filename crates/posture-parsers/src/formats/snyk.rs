//! Snyk CLI JSON reports: `snyk test --json` (open source), `snyk container test --json` and
//! `snyk iac test --json`. Snyk Code and every Snyk SARIF output are read by the SARIF parser.
//!
//! Shapes: one project object, or (`--all-projects`, several images, IaC) an array of project
//! objects. A project: `{ok, projectName, displayTargetFile|targetFile, path, packageManager,
//! vulnerabilities[], applications[]?, docker?, infrastructureAsCodeIssues[]?}`. An array may
//! mix in error objects `{ok: false, error, path, code}` (a target Snyk could not test): each is
//! a Warning diagnostic and the rest is read. A document that is only an error object is a
//! `ToolError`.
//!
//! Items (one occurrence per raw item; Snyk lists a vulnerability once per dependency path, and
//! Posture keeps that, as DefectDojo does, the engine merging same vulnerability + package):
//! * `vulnerabilities[]` → **sca**, or **container** when the project is a container image
//!   (`docker` key, `projectName` `docker-image|...`, or a `platform`). `rule_id` = Snyk's id
//!   (`SNYK-JS-LODASH-567746`); `vulnerability_ids` = the CVEs, then GHSA ids, then the Snyk id.
//!   Package: `packageName` (else `name`), `version`, `fixedIn[]`; ecosystem from the item's
//!   `packageManager` (else the project's): npm/yarn/pnpm → npm, pip/poetry/pipenv → pypi,
//!   maven/gradle/sbt → maven, gomodules/golangdep/govendor → golang, rubygems → gem,
//!   nuget/paket → nuget, composer, cargo, cocoapods, hex, swift, deb, apk, rpm.
//!   `location.path` = the project's `displayTargetFile`/`targetFile`; container images:
//!   `location.image` = `projectName` without its `docker-image|` prefix. CVSS: `CVSSv3` with
//!   `cvssScore` (source `snyk`), then `cvssDetails[]` per assigner. The dependency path
//!   (`from`) and `upgradePath` go into the description.
//! * `applications[]` of a container project (language packages found inside the image) are
//!   projects too: their vulnerabilities are **container** occurrences of the same image, with
//!   `location.path` = the application's target file. DefectDojo ignores `applications`: for
//!   `snykcontainer_issue_9270.json` it counts the 25 OS-package vulnerabilities where Posture
//!   reads 37 (25 + the 12 npm vulnerabilities of `/juice-shop/package.json`).
//! * `infrastructureAsCodeIssues[]` → **iac**: `rule_id` = `publicId`/`id` (`SNYK-CC-00151`),
//!   `location.path` = the project's `targetFile`, `location.resource` = the issue's `msg`
//!   (`resource.aws_vpc[mainvpc]`), line from `lineNumber` when positive. Identity context =
//!   `msg` (it does not depend on line numbers).
//! * `filtered.ignore[]` (ignored by a Snyk policy) is not read: Snyk leaves those out of its
//!   own results.
//!
//! Severity: `severityWithCritical`, else `severity`: `critical` → critical, `high` → high,
//! `medium` → medium, `low` → low; missing → the CVSS band of `cvssScore`, else info.

use crate::json::{self, one_or_many, opt_lenient_f64, opt_lenient_string, opt_lenient_u32};
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity,
    ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Snyk;

#[derive(Deserialize)]
struct Project<'a> {
    #[serde(default)]
    ok: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    error: Option<String>,
    #[serde(
        rename = "projectName",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    project_name: Option<String>,
    #[serde(
        rename = "displayTargetFile",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    display_target_file: Option<String>,
    #[serde(
        rename = "targetFile",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    target_file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(
        rename = "packageManager",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    package_manager: Option<String>,
    #[serde(default)]
    docker: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    platform: Option<serde::de::IgnoredAny>,
    #[serde(default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    applications: Option<Vec<&'a RawValue>>,
    #[serde(rename = "infrastructureAsCodeIssues", default, borrow)]
    iac_issues: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
struct Identifiers {
    #[serde(rename = "CVE", default, deserialize_with = "one_or_many")]
    cve: Vec<Option<String>>,
    #[serde(rename = "GHSA", default, deserialize_with = "one_or_many")]
    ghsa: Vec<Option<String>>,
    #[serde(rename = "CWE", default, deserialize_with = "one_or_many")]
    cwe: Vec<Option<String>>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RefItem {
    Obj(Reference),
    Url(String),
}

#[derive(Deserialize)]
struct CvssDetail {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    assigner: Option<String>,
    #[serde(
        rename = "cvssV3Vector",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    vector: Option<String>,
    #[serde(
        rename = "cvssV3BaseScore",
        default,
        deserialize_with = "opt_lenient_f64"
    )]
    score: Option<f64>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(
        rename = "severityWithCritical",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    severity_with_critical: Option<String>,
    #[serde(rename = "cvssScore", default, deserialize_with = "opt_lenient_f64")]
    cvss_score: Option<f64>,
    #[serde(rename = "CVSSv3", default, deserialize_with = "opt_lenient_string")]
    cvss_v3: Option<String>,
    #[serde(
        rename = "cvssDetails",
        default,
        deserialize_with = "json::null_default"
    )]
    cvss_details: Vec<CvssDetail>,
    #[serde(default)]
    identifiers: Option<Identifiers>,
    #[serde(
        rename = "packageName",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    package_name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(
        rename = "packageManager",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    package_manager: Option<String>,
    #[serde(rename = "fixedIn", default, deserialize_with = "one_or_many")]
    fixed_in: Vec<Option<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    from: Vec<Option<String>>,
    #[serde(rename = "upgradePath", default, deserialize_with = "one_or_many")]
    upgrade_path: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "one_or_many")]
    references: Vec<RefItem>,
}

#[derive(Deserialize)]
struct IacIssue {
    #[serde(rename = "publicId", default, deserialize_with = "opt_lenient_string")]
    public_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    msg: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    impact: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    resolve: Option<String>,
    #[serde(rename = "lineNumber", default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    documentation: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    references: Vec<RefItem>,
    #[serde(rename = "isIgnored", default)]
    is_ignored: Option<bool>,
}

fn severity_of(word: &str) -> Option<Severity> {
    Some(match word.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => return None,
    })
}

fn ecosystem_of(pm: &str) -> Option<&'static str> {
    Some(match pm.trim().to_ascii_lowercase().as_str() {
        "npm" | "yarn" | "pnpm" | "js" => "npm",
        "pip" | "poetry" | "pipenv" | "python" => "pypi",
        "maven" | "gradle" | "sbt" => "maven",
        "gomodules" | "golangdep" | "govendor" | "golang" => "golang",
        "rubygems" => "gem",
        "nuget" | "paket" => "nuget",
        "composer" => "composer",
        "cargo" => "cargo",
        "cocoapods" => "cocoapods",
        "hex" => "hex",
        "swift" => "swift",
        "deb" => "deb",
        "apk" => "apk",
        "rpm" => "rpm",
        _ => return None,
    })
}

impl Parser for Snyk {
    fn id(&self) -> &'static str {
        "snyk-json"
    }

    fn description(&self) -> &'static str {
        "Snyk CLI JSON (snyk test, --all-projects, snyk container test, snyk iac test)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca, Category::Container, Category::Iac]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() && !s.is_json_array() {
            return Confidence::NO;
        }
        if s.has_key("infrastructureAsCodeIssues") {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["vulnerabilities", "packageManager"])
            && s.count_keys(&[
                "dependencyCount",
                "uniqueCount",
                "projectName",
                "licensesPolicy",
            ]) >= 2
        {
            return Confidence::CERTAIN;
        }
        // a large project: the head holds only the first vulnerabilities
        if s.has_key("vulnerabilities")
            && s.count_keys(&[
                "upgradePath",
                "isUpgradable",
                "isPatchable",
                "semver",
                "from",
                "packageName",
            ]) >= 4
        {
            return if s.contains("\"SNYK-") {
                Confidence::CERTAIN
            } else {
                Confidence::MATCH
            };
        }
        if s.has_keys(&["ok", "error", "path"]) && s.contains("snyk") {
            return Confidence::RESEMBLES;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let mut diagnostics: Vec<Diagnostic> = Vec::new();
        let mut occurrences = Vec::new();
        if first == Some(b'[') {
            let items: Vec<&RawValue> = json::from_slice(input)?;
            let mut projects = Vec::new();
            json::each_item(&items, "", &mut diagnostics, |_, loc, p: Project| {
                projects.push((loc, p));
            });
            for (loc, p) in projects {
                read_project(p, &loc, None, &mut occurrences, &mut diagnostics);
            }
        } else {
            let p: Project = json::from_slice(input)?;
            if p.vulnerabilities.is_none() && p.iac_issues.is_none() {
                if let Some(e) = non_empty_trimmed(p.error.clone()) {
                    return Err(ParseError::new(
                        ParseErrorKind::ToolError,
                        format!("Snyk reported an error instead of results: {e}"),
                    ));
                }
                return Err(ParseError::shape(
                    "not a Snyk JSON report: expected a project with `vulnerabilities` or `infrastructureAsCodeIssues`, or a list of them",
                ));
            }
            read_project(p, "", None, &mut occurrences, &mut diagnostics);
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("snyk", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// Reads one project; `image` is set for the applications of a container project.
fn read_project(
    p: Project<'_>,
    base: &str,
    image: Option<&str>,
    occurrences: &mut Vec<Occurrence>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let is_error = p.vulnerabilities.is_none()
        && p.iac_issues.is_none()
        && (p.error.is_some()
            || p.ok
                .as_ref()
                .is_some_and(|o| o == &serde_json::Value::Bool(false)));
    if is_error {
        let what = non_empty_trimmed(p.path.clone()).unwrap_or_else(|| "a target".to_string());
        let msg = non_empty_trimmed(p.error.clone()).unwrap_or_else(|| "no message".to_string());
        diagnostics.push(json::warning(
            if base.is_empty() { "/" } else { base },
            format!("Snyk could not test {what}: {msg}"),
        ));
        return;
    }
    let name = non_empty_trimmed(p.project_name.clone());
    let container = image.is_some()
        || p.docker.is_some()
        || p.platform.is_some()
        || name
            .as_deref()
            .is_some_and(|n| n.starts_with("docker-image|"));
    let own_image = if container && image.is_none() {
        name.as_deref()
            .map(|n| {
                n.strip_prefix("docker-image|")
                    .unwrap_or(n)
                    .trim()
                    .to_string()
            })
            .or_else(|| non_empty_trimmed(p.path.clone()))
    } else {
        image.map(String::from)
    };
    let target = non_empty_trimmed(p.display_target_file.clone())
        .or_else(|| non_empty_trimmed(p.target_file.clone()));
    let ctx = Ctx {
        category: if container {
            Category::Container
        } else {
            Category::Sca
        },
        image: own_image.clone(),
        target: target.clone(),
        package_manager: non_empty_trimmed(p.package_manager.clone()),
    };
    if let Some(items) = p.vulnerabilities {
        let vbase = format!("{base}/vulnerabilities");
        json::each_item(&items, &vbase, diagnostics, |_, loc, v: Vuln| {
            occurrences.push(vuln_occurrence(v, loc, &ctx));
        });
    }
    if let Some(items) = p.iac_issues {
        let ibase = format!("{base}/infrastructureAsCodeIssues");
        json::each_item(&items, &ibase, diagnostics, |_, loc, i: IacIssue| {
            occurrences.push(iac_occurrence(i, loc, target.as_deref()));
        });
    }
    if let Some(apps) = p.applications {
        let abase = format!("{base}/applications");
        let mut parsed = Vec::new();
        json::each_item(&apps, &abase, diagnostics, |_, loc, a: Project| {
            parsed.push((loc, a));
        });
        let img = own_image.or_else(|| Some(String::new()));
        for (loc, a) in parsed {
            read_project(a, &loc, img.as_deref(), occurrences, diagnostics);
        }
    }
}

struct Ctx {
    category: Category,
    image: Option<String>,
    target: Option<String>,
    package_manager: Option<String>,
}

fn refs_of(items: Vec<RefItem>) -> Vec<String> {
    let mut refs = Vec::new();
    for r in items {
        let url = match r {
            RefItem::Obj(o) => o.url,
            RefItem::Url(u) => Some(u),
        };
        if let Some(u) = url {
            push_unique(&mut refs, u);
        }
    }
    refs
}

fn vuln_occurrence(v: Vuln, locator: String, ctx: &Ctx) -> Occurrence {
    let snyk_id = non_empty_trimmed(v.id);
    let idents = v.identifiers.unwrap_or_default();
    let mut ids = Vec::new();
    for c in idents.cve.iter().chain(idents.ghsa.iter()).flatten() {
        push_vuln_id(&mut ids, c);
    }
    if let Some(s) = &snyk_id {
        push_vuln_id(&mut ids, s);
    }
    let rule_id = snyk_id
        .or_else(|| ids.first().cloned())
        .unwrap_or_else(|| "snyk".to_string());
    let name = non_empty_trimmed(v.package_name).or(non_empty_trimmed(v.name));
    let title = non_empty_trimmed(v.title).unwrap_or_else(|| rule_id.clone());
    let title = match &name {
        Some(n) if title.starts_with("CVE-") && !title.contains(' ') => format!("{title} in {n}"),
        _ => title,
    };

    let mut cvss = Vec::new();
    let main_vector = non_empty_trimmed(v.cvss_v3);
    if main_vector.is_some() || v.cvss_score.is_some() {
        cvss.push(CvssRating {
            source: "snyk".to_string(),
            vector: main_vector,
            score: v.cvss_score,
        });
    }
    for d in v.cvss_details {
        let vector = non_empty_trimmed(d.vector);
        if vector.is_some() || d.score.is_some() {
            cvss.push(CvssRating {
                source: non_empty_trimmed(d.assigner)
                    .map(|a| a.to_ascii_lowercase())
                    .unwrap_or_else(|| "unknown".to_string()),
                vector,
                score: d.score,
            });
        }
    }
    let tool_severity =
        non_empty_trimmed(v.severity_with_critical).or(non_empty_trimmed(v.severity));
    let severity = tool_severity
        .as_deref()
        .and_then(severity_of)
        .or_else(|| v.cvss_score.and_then(Severity::from_cvss_score))
        .unwrap_or(Severity::Info);

    let mut occ = Occurrence::new(ctx.category, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.vulnerability_ids = ids;
    occ.cvss = cvss;
    occ.cwes = json::tidy_cwes(
        idents
            .cwe
            .iter()
            .flatten()
            .filter_map(|c| json::parse_cwe(c))
            .collect(),
    );
    let mut desc = non_empty_trimmed(v.description).unwrap_or_default();
    let from: Vec<String> = v.from.into_iter().flatten().collect();
    if !from.is_empty() {
        if !desc.is_empty() {
            desc.push_str("\n\n");
        }
        desc.push_str(&format!("Introduced through: {}", from.join(" > ")));
    }
    let upgrade: Vec<String> = v
        .upgrade_path
        .iter()
        .filter_map(|u| u.as_str().map(String::from))
        .collect();
    if !upgrade.is_empty() {
        desc.push_str(&format!("\nUpgrade path: {}", upgrade.join(" > ")));
    }
    occ.description = (!desc.is_empty()).then_some(desc);
    occ.references = refs_of(v.references);
    let pm = non_empty_trimmed(v.package_manager).or(ctx.package_manager.clone());
    occ.package = name.map(|name| Package {
        purl: None,
        ecosystem: pm.as_deref().and_then(ecosystem_of).map(String::from),
        name,
        version: non_empty_trimmed(v.version),
        fixed_versions: v
            .fixed_in
            .into_iter()
            .flatten()
            .filter(|f| !f.trim().is_empty())
            .collect(),
    });
    occ.location = Location {
        path: ctx.target.clone(),
        image: ctx.image.clone().filter(|i| !i.is_empty()),
        ..Location::default()
    };
    occ
}

fn iac_occurrence(i: IacIssue, locator: String, target: Option<&str>) -> Occurrence {
    let rule_id = non_empty_trimmed(i.public_id)
        .or(non_empty_trimmed(i.id))
        .unwrap_or_else(|| "snyk-iac".to_string());
    let title = non_empty_trimmed(i.title).unwrap_or_else(|| rule_id.clone());
    let tool_severity = non_empty_trimmed(i.severity);
    let severity = tool_severity
        .as_deref()
        .and_then(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Iac, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    let mut parts = Vec::new();
    if let Some(d) = non_empty_trimmed(i.impact).or(non_empty_trimmed(i.description)) {
        parts.push(d);
    }
    if let Some(r) = non_empty_trimmed(i.resolve) {
        parts.push(format!("Resolution: {r}"));
    }
    occ.description = (!parts.is_empty()).then(|| parts.join("\n\n"));
    let mut refs = Vec::new();
    if let Some(d) = non_empty_trimmed(i.documentation) {
        push_unique(&mut refs, d);
    }
    for r in refs_of(i.references) {
        push_unique(&mut refs, r);
    }
    occ.references = refs;
    let msg = non_empty_trimmed(i.msg);
    occ.location = Location {
        path: target.map(String::from),
        start_line: i.line.filter(|l| *l > 0),
        resource: msg.clone(),
        ..Location::default()
    };
    occ.identity.context = msg;
    occ.suppressed = i.is_ignored == Some(true);
    occ
}
