//! GitLab security reports (the `security-report-schemas` JSON: SAST, dependency scanning,
//! container and cluster image scanning, secret detection, DAST, API and coverage fuzzing),
//! schema versions 2.x to 15.x, as GitLab's analyzers and third-party tools write them
//! (`semgrep --gitlab-sast`, `trivy --format template gitlab.tpl`...).
//!
//! Shape: `{version, vulnerabilities[], remediations[], dependency_files[], scan{scanner,
//! analyzer, type, status, messages[]}}`; reports before schema 14 may lack `scan` and carry
//! `category`, `message`, `cve`, `confidence` on each vulnerability. `vulnerabilities: []` (or
//! `null`) is zero occurrences. `scan.status: failure` gives a Warning diagnostic (with the
//! scan's error messages) and whatever vulnerabilities are present are still read.
//!
//! Category, from `scan.type` (else the vulnerability's `category`): `sast` → **sast**,
//! `dependency_scanning` → **sca**, `container_scanning` and `cluster_image_scanning` →
//! **container**, `dast` and `api_fuzzing` → **dast**, `secret_detection` → **secret**,
//! `coverage_fuzzing` → **sast** (it exercises the code's own functions; no URL). Unknown types
//! fall back to sast.
//!
//! Fields: `identifiers[]` of type `cve` and `ghsa` give `vulnerability_ids` (normalized, in
//! order; `gemnasium` ids name GitLab's advisory files, not the vulnerability); type `cwe`
//! gives `cwes`. `rule_id`: for
//! dependency categories the first vulnerability id; else the first identifier that is the
//! tool's own rule (not `cve`/`cwe`/`ghsa`/`owasp`), else the first identifier, else `name`.
//! Title `name` (else `message`); description `description` (else `message`), `solution`
//! appended. Location: `file`, `start_line`, `end_line`; `dependency.package.name` +
//! `dependency.version` → package (ecosystem from `dependency_files[].package_manager` of the
//! same file, else the manifest's name, else for containers the `operating_system`); `image`;
//! `kubernetes_resource` → `namespace/kind/name`; DAST `hostname` + `path` → url, `method`,
//! `param`. References: `links[].url` and identifiers' `url`s.
//!
//! Identity: no `tool_fingerprint` (the vulnerability `id` is a per-report UUID in many
//! analyzers). Context = the legacy `cve` compare key, except for secret detection.
//!
//! Secrets: `raw_source_code_extract` (the secrets analyzer puts the matched secret there) is
//! hashed into a [`SecretEvidence`] at once and never copied; `location.commit` (author,
//! message) is not kept; `cve` is not used for secrets.
//!
//! Severity (`severity`, case-insensitive):
//!
//! | GitLab                        | Posture  |
//! |-------------------------------|----------|
//! | Critical                      | critical |
//! | High                          | high     |
//! | Medium                        | medium   |
//! | Low                           | low      |
//! | Info, Unknown, Undefined, missing | info |
//!
//! Tool: `scan.scanner.name` (else the first vulnerability's `scanner.name`, else
//! `scan.analyzer.name`, else `gitlab`), version `scan.scanner.version` unless masked.
//!
//! [`SecretEvidence`]: posture_model::SecretEvidence

use crate::json::{self, null_default, opt_lenient_string, opt_lenient_u32};
use crate::support::join_url;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, Package, ParsedReport, SecretEvidence, Severity, ToolInfo,
    ToolRun,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

pub struct GitlabSecurity;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default, borrow, deserialize_with = "present")]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    scan: Option<Scan>,
    #[serde(default, deserialize_with = "null_default")]
    dependency_files: Vec<DependencyFile>,
}

fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    null_default(d).map(Some)
}

#[derive(Deserialize)]
struct Scan {
    #[serde(rename = "type", default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    status: Option<String>,
    #[serde(default)]
    scanner: Option<Named>,
    #[serde(default)]
    analyzer: Option<Named>,
    #[serde(default, deserialize_with = "null_default")]
    messages: Vec<ScanMessage>,
}

#[derive(Deserialize, Clone)]
struct Named {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct ScanMessage {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    level: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    value: Option<String>,
}

#[derive(Deserialize)]
struct DependencyFile {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    package_manager: Option<String>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    category: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    solution: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    cve: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default)]
    scanner: Option<Named>,
    #[serde(default, deserialize_with = "null_default")]
    identifiers: Vec<Identifier>,
    #[serde(default, deserialize_with = "null_default")]
    links: Vec<Link>,
    #[serde(default)]
    location: Option<VLocation>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    raw_source_code_extract: Option<String>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(rename = "type", default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    value: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Link {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct VLocation {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    file: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(default)]
    dependency: Option<Dependency>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    image: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    operating_system: Option<String>,
    #[serde(default)]
    kubernetes_resource: Option<K8sResource>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    hostname: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    method: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    param: Option<String>,
}

#[derive(Deserialize)]
struct Dependency {
    #[serde(default)]
    package: Option<DepPackage>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct DepPackage {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct K8sResource {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    container_name: Option<String>,
}

impl Parser for GitlabSecurity {
    fn id(&self) -> &'static str {
        "gitlab-security-json"
    }

    fn description(&self) -> &'static str {
        "GitLab security report (SAST, dependency/container scanning, secret detection, DAST; schema 2-15)"
    }

    fn categories(&self) -> &'static [Category] {
        &[
            Category::Sast,
            Category::Sca,
            Category::Container,
            Category::Dast,
            Category::Secret,
        ]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("vulnerabilities") {
            return Confidence::NO;
        }
        if s.has_key("bomFormat") || s.has_key("auditReportVersion") || s.has_key("apiVersion") {
            return Confidence::NO;
        }
        let schema = s.contains("security-report-schemas");
        let scan = s.has_key("scan") && (s.has_key("analyzer") || s.has_key("scanner"));
        let item = s.has_keys(&["identifiers", "location", "severity"]);
        let scan_shape = scan && s.has_keys(&["version", "type", "status"]);
        if (schema && (scan || item)) || (scan && item) || scan_shape {
            Confidence::CERTAIN
        } else if scan || (item && s.has_keys(&["scanner", "category", "cve"])) {
            Confidence::MATCH
        } else if schema {
            Confidence::RESEMBLES
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let _: IgnoredAny = json::from_slice(input)?;
            return Err(ParseError::shape(
                "not a GitLab security report: expected an object with `vulnerabilities` and `scan`",
            ));
        }
        let doc: Doc = json::from_slice(input)?;
        let Some(items) = doc.vulnerabilities else {
            return Err(ParseError::shape(
                "not a GitLab security report: no `vulnerabilities` list",
            ));
        };
        if doc.version.is_none() && doc.scan.is_none() && !items.is_empty() {
            // a bare `{vulnerabilities: [...]}`: only read when the items look like GitLab's
            let looks = items.iter().take(1).any(|r| {
                serde_json::from_str::<serde_json::Value>(r.get())
                    .ok()
                    .is_some_and(|v| v.get("identifiers").is_some() && v.get("location").is_some())
            });
            if !looks {
                return Err(ParseError::shape(
                    "not a GitLab security report: expected `version`, `scan` and vulnerabilities \
                     with `identifiers` and `location`",
                ));
            }
        }
        let mut diagnostics = Vec::new();
        let scan_type = doc
            .scan
            .as_ref()
            .and_then(|s| s.kind.clone())
            .filter(|t| !t.trim().is_empty());
        let mut tool: Option<Named> = None;
        if let Some(scan) = &doc.scan {
            tool = scan
                .scanner
                .clone()
                .filter(|n| n.name.as_deref().is_some_and(|n| !n.trim().is_empty()));
            if scan
                .status
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("failure"))
            {
                let errors: Vec<String> = scan
                    .messages
                    .iter()
                    .filter(|m| {
                        m.level.as_deref().is_none_or(|l| {
                            l.eq_ignore_ascii_case("fatal") || l.eq_ignore_ascii_case("error")
                        })
                    })
                    .filter_map(|m| non_empty_trimmed(m.value.clone()))
                    .collect();
                let mut msg = "the scan reported status `failure`".to_string();
                if !errors.is_empty() {
                    msg.push_str(&format!(": {}", errors.join("; ")));
                }
                diagnostics.push(json::warning("/scan/status", msg));
            }
        }
        let analyzer = doc.scan.as_ref().and_then(|s| s.analyzer.clone());
        let files = doc.dependency_files;
        let mut occurrences = Vec::with_capacity(items.len());
        let mut first_vuln_scanner: Option<Named> = None;
        json::each_item(
            &items,
            "/vulnerabilities",
            &mut diagnostics,
            |_, locator, v: Vuln| {
                if first_vuln_scanner.is_none() {
                    first_vuln_scanner = v
                        .scanner
                        .clone()
                        .filter(|n| n.name.as_deref().is_some_and(|n| !n.trim().is_empty()));
                }
                occurrences.push(to_occurrence(v, locator, scan_type.as_deref(), &files));
            },
        );
        let named = tool
            .or(first_vuln_scanner)
            .or(analyzer.filter(|n| n.name.as_deref().is_some_and(|n| !n.trim().is_empty())));
        let (name, version) = match named {
            Some(n) => (
                n.name.unwrap_or_default(),
                non_empty_trimmed(n.version).filter(|v| !v.contains('<')),
            ),
            None => ("gitlab".to_string(), None),
        };
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new(name, version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn category_of(kind: &str) -> Category {
    match kind.trim().to_ascii_lowercase().as_str() {
        "dependency_scanning" => Category::Sca,
        "container_scanning" | "cluster_image_scanning" => Category::Container,
        "dast" | "api_fuzzing" => Category::Dast,
        "secret_detection" => Category::Secret,
        _ => Category::Sast, // sast, coverage_fuzzing, anything new
    }
}

/// GitLab's severity words (table in the module docs).
fn severity_of(word: &str) -> Severity {
    match word.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

/// Identifier types that name the vulnerability or weakness rather than the tool's rule.
fn is_reference_type(kind: &str) -> bool {
    matches!(
        kind.trim().to_ascii_lowercase().as_str(),
        "cve" | "cwe" | "ghsa" | "owasp" | "osvdb" | "usn" | "rhsa" | "elsa" | "dsa"
    )
}

fn is_vuln_id_type(kind: &str) -> bool {
    matches!(kind.trim().to_ascii_lowercase().as_str(), "cve" | "ghsa")
}

fn to_occurrence(
    v: Vuln,
    locator: String,
    scan_type: Option<&str>,
    files: &[DependencyFile],
) -> Occurrence {
    let kind = scan_type
        .map(str::to_string)
        .or_else(|| non_empty_trimmed(v.category.clone()))
        .unwrap_or_default();
    let category = category_of(&kind);

    let mut ids = Vec::new();
    let mut cwes = Vec::new();
    let mut refs = Vec::new();
    let mut own_rule: Option<String> = None;
    let mut first_identifier: Option<String> = None;
    for ident in &v.identifiers {
        let t = ident.kind.as_deref().unwrap_or("");
        let Some(value) = non_empty_trimmed(ident.value.clone()) else {
            continue;
        };
        if first_identifier.is_none() {
            first_identifier = Some(value.clone());
        }
        if is_vuln_id_type(t) {
            push_vuln_id(&mut ids, &value);
        } else if t.trim().eq_ignore_ascii_case("cwe") {
            if let Some(c) = json::parse_cwe(&value) {
                cwes.push(c);
            }
        } else if own_rule.is_none() && !is_reference_type(t) {
            own_rule = Some(value);
        }
        if let Some(u) = non_empty_trimmed(ident.url.clone()).filter(|u| u.contains("://")) {
            push_unique(&mut refs, u);
        }
    }
    for l in &v.links {
        if let Some(u) = non_empty_trimmed(l.url.clone()).filter(|u| u.contains("://")) {
            push_unique(&mut refs, u);
        }
    }

    let name = non_empty_trimmed(v.name);
    let message = non_empty_trimmed(v.message);
    let rule_id = if category.is_dependency() {
        ids.first().cloned().or(own_rule).or(first_identifier)
    } else {
        own_rule.or(first_identifier)
    }
    .or_else(|| name.clone())
    .unwrap_or_else(|| "gitlab-vulnerability".to_string());
    let title = name
        .clone()
        .or_else(|| message.clone())
        .unwrap_or_else(|| rule_id.clone());
    let tool_severity = non_empty_trimmed(v.severity);
    let severity = tool_severity
        .as_deref()
        .map(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(category, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.vulnerability_ids = ids;
    occ.cwes = json::tidy_cwes(cwes);
    occ.references = refs;

    let mut description =
        non_empty_trimmed(v.description).or_else(|| message.filter(|m| Some(m) != name.as_ref()));
    if let Some(sol) = non_empty_trimmed(v.solution) {
        let note = format!("Solution: {sol}");
        description = Some(match description {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        });
    }
    occ.description = description;

    let loc = v.location.unwrap_or_default();
    let file = non_empty_trimmed(loc.file);
    let os = non_empty_trimmed(loc.operating_system);
    if let Some(dep) = loc.dependency
        && let Some(pkg_name) = dep.package.and_then(|p| non_empty_trimmed(p.name))
    {
        let ecosystem = file
            .as_deref()
            .and_then(|f| {
                files
                    .iter()
                    .find(|d| d.path.as_deref().map(str::trim) == Some(f))
                    .and_then(|d| d.package_manager.as_deref())
                    .and_then(manager_ecosystem)
            })
            .or_else(|| file.as_deref().and_then(manifest_ecosystem))
            .or_else(|| os.as_deref().and_then(os_ecosystem))
            .map(str::to_string);
        occ.package = Some(Package {
            purl: None,
            ecosystem,
            name: pkg_name,
            version: non_empty_trimmed(dep.version),
            fixed_versions: Vec::new(),
        });
    }
    let resource = loc.kubernetes_resource.and_then(|k| {
        let parts: Vec<String> = [k.namespace, k.kind, k.name, k.container_name]
            .into_iter()
            .filter_map(non_empty_trimmed)
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    });
    let hostname = non_empty_trimmed(loc.hostname);
    let url_path = non_empty_trimmed(loc.path);
    let url = if category == Category::Dast {
        join_url(hostname.as_deref(), url_path.as_deref())
    } else {
        None
    };
    occ.location = Location {
        path: file,
        start_line: loc.start_line.filter(|l| *l > 0),
        end_line: loc.end_line.filter(|l| *l > 0),
        image: non_empty_trimmed(loc.image),
        url,
        method: non_empty_trimmed(loc.method).filter(|_| category == Category::Dast),
        parameter: non_empty_trimmed(loc.param).filter(|_| category == Category::Dast),
        resource,
        ..Location::default()
    };

    if category == Category::Secret {
        occ.secret = v
            .raw_source_code_extract
            .as_deref()
            .filter(|s| !s.trim().is_empty() && !s.trim().chars().all(|c| c == '*'))
            .map(SecretEvidence::from_plaintext);
        if occ.cwes.is_empty() {
            occ.cwes = vec![798];
        }
    } else {
        occ.identity.context = non_empty_trimmed(v.cve);
    }
    occ
}

/// Ecosystem from a `dependency_files[].package_manager` (GitLab's names).
fn manager_ecosystem(pm: &str) -> Option<&'static str> {
    Some(match pm.trim().to_ascii_lowercase().as_str() {
        "npm" | "yarn" | "pnpm" => "npm",
        "pip" | "pipenv" | "poetry" | "setuptools" | "conda" => "pypi",
        "maven" | "gradle" | "sbt" => "maven",
        "go" => "golang",
        "bundler" => "gem",
        "nuget" => "nuget",
        "composer" => "composer",
        "cargo" => "cargo",
        "conan" => "conan",
        _ => return None,
    })
}

/// Ecosystem from a manifest or lockfile name.
fn manifest_ecosystem(path: &str) -> Option<&'static str> {
    let file = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    Some(match file.as_str() {
        "package-lock.json"
        | "npm-shrinkwrap.json"
        | "yarn.lock"
        | "pnpm-lock.yaml"
        | "package.json" => "npm",
        "pipfile.lock" | "poetry.lock" | "pipdeptree.json" | "setup.py" => "pypi",
        "go.sum" | "go.mod" => "golang",
        "pom.xml" | "gradle.lockfile" | "build.gradle" | "build.gradle.kts" | "build.sbt" => {
            "maven"
        }
        "gemfile.lock" | "gems.locked" => "gem",
        "packages.lock.json" => "nuget",
        "composer.lock" => "composer",
        "cargo.lock" => "cargo",
        "conan.lock" => "conan",
        f if f.starts_with("requirements") && f.ends_with(".txt") => "pypi",
        _ => return None,
    })
}

/// Ecosystem from a container scanning `operating_system` (`alpine 3.7`, `debian:10`).
fn os_ecosystem(os: &str) -> Option<&'static str> {
    let o = os.trim().to_ascii_lowercase();
    if o.starts_with("alpine") || o.starts_with("wolfi") {
        Some("apk")
    } else if o.starts_with("debian") || o.starts_with("ubuntu") {
        Some("deb")
    } else if [
        "centos",
        "rhel",
        "red hat",
        "redhat",
        "fedora",
        "amazon",
        "oracle",
        "rocky",
        "alma",
        "suse",
        "opensuse",
        "photon",
        "mariner",
        "azurelinux",
    ]
    .iter()
    .any(|p| o.starts_with(p))
    {
        Some("rpm")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(category_of("dependency_scanning"), Category::Sca);
        assert_eq!(category_of("cluster_image_scanning"), Category::Container);
        assert_eq!(category_of("secret_detection"), Category::Secret);
        assert_eq!(category_of("api_fuzzing"), Category::Dast);
        assert_eq!(severity_of("Unknown"), Severity::Info);
        assert_eq!(severity_of("Critical"), Severity::Critical);
        assert_eq!(manifest_ecosystem("web/yarn.lock"), Some("npm"));
        assert_eq!(manifest_ecosystem("requirements-dev.txt"), Some("pypi"));
        assert_eq!(os_ecosystem("alpine 3.7"), Some("apk"));
        assert_eq!(os_ecosystem("debian:10"), Some("deb"));
    }
}
