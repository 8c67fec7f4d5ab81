use crate::{SecretEvidence, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of scanner produced an occurrence; decides which identity rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Static analysis of source code.
    Sast,
    /// Vulnerable dependencies declared in manifests and lockfiles.
    Sca,
    /// Dynamic testing of a running application.
    Dast,
    /// Misconfigured infrastructure as code.
    Iac,
    /// Secrets committed to code or images.
    Secret,
    /// Vulnerable packages inside a container image.
    Container,
    /// Evidence from a running workload (runtime inventory).
    Runtime,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Sast,
        Category::Sca,
        Category::Dast,
        Category::Iac,
        Category::Secret,
        Category::Container,
        Category::Runtime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sast => "sast",
            Category::Sca => "sca",
            Category::Dast => "dast",
            Category::Iac => "iac",
            Category::Secret => "secret",
            Category::Container => "container",
            Category::Runtime => "runtime",
        }
    }

    /// Dependency-like categories identify an issue by vulnerability and package, not by place.
    pub fn is_dependency(self) -> bool {
        matches!(
            self,
            Category::Sca | Category::Container | Category::Runtime
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "unknown category `{s}` (expected one of: {})",
                    Category::ALL.map(|c| c.as_str()).join(", ")
                )
            })
    }
}

/// One CVSS rating as a source stated it. A finding may carry several (NVD, the vendor, GHSA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssRating {
    /// Who rated it: `nvd`, `redhat`, `ghsa`, the tool name...
    pub source: String,
    /// The vector string as given (`CVSS:3.1/AV:N/...`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// The base score as given by the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A qualitative rating (no CVSS score) as a source stated it: a distribution's own severity
/// (Trivy's `VendorSeverity` and `SeveritySource`, Grype's distro namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityRating {
    /// Who rated it: `debian`, `ubuntu`, `redhat`, `alpine`, `nvd`, `ghsa`...
    pub source: String,
    pub severity: Severity,
}

/// An EPSS score that a scanner reported with a finding (grype 0.94+ `vulnerability.epss`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation in the next 30 days, 0..=1.
    pub probability: f64,
    /// Percentile of the score among all scored CVEs, 0..=1, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// The date of the EPSS scores the scanner used (`2025-06-18`), as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Who reported it: the tool and its version (`grype 0.94.0`).
    pub source: String,
}

/// A software package, for dependency and container findings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Package {
    /// Package URL (<https://github.com/package-url/purl-spec>) when the tool gives one or it can
    /// be derived unambiguously.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ecosystem in purl type vocabulary where known: `npm`, `pypi`, `maven`, `golang`, `deb`,
    /// `apk`, `rpm`, `cargo`, `gem`, `nuget`, `composer`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
}

/// Where an issue is. Every field is optional; parsers fill what their tool knows.
///
/// Source code: `path` + lines (+ columns). Dependencies: `path` is the manifest or lockfile (or
/// the package's path inside an image). Containers: `image` + `layer`. DAST: `url` + `method` +
/// `parameter`. IaC: `path` + `resource` (e.g. `aws_s3_bucket.data`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The base image the scanned image is built on, when the report names it (the image's
    /// `org.opencontainers.image.base.name` label): set on operating-system packages, which
    /// the base image brings. Not part of identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl Location {
    pub fn is_empty(&self) -> bool {
        self == &Location::default()
    }

    /// `path:line` style one-liner for tables.
    pub fn short(&self) -> String {
        let mut out = String::new();
        if let Some(url) = &self.url {
            if let Some(m) = &self.method {
                out.push_str(m);
                out.push(' ');
            }
            out.push_str(url);
            if let Some(p) = &self.parameter {
                out.push_str(" [");
                out.push_str(p);
                out.push(']');
            }
            return out;
        }
        if let Some(p) = &self.path {
            out.push_str(p);
            if let Some(l) = self.start_line {
                out.push(':');
                out.push_str(&l.to_string());
            }
        } else if let Some(img) = &self.image {
            out.push_str(img);
        }
        if let Some(r) = &self.resource {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(r);
        }
        out
    }
}

/// What a parser knows that helps recognise the same issue in a later scan. The engine turns
/// these into a fingerprint; parsers never compute fingerprints themselves.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IdentityHints {
    /// The scanner's own stable identifier for this result (SARIF `partialFingerprints`, a
    /// tool's hash that does not depend on the line number). Placeholders (`0x42`,
    /// `requires login`) must be dropped by the parser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_fingerprint: Option<String>,
    /// The code or text that the result is about (the matched snippet, or failing that the
    /// message), used when the tool gives no stable id. Never a secret in plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// One scanner's report of one issue in one scan, normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub category: Category,
    /// The tool's rule, check or advisory id (`python.lang.security.eval`, `CVE-2021-44228`).
    pub rule_id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub severity: Severity,
    /// The tool's own severity word or number, as written in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_severity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<u32>,
    /// Vulnerability identifiers, the primary one first, then aliases (CVE, GHSA, OSV, distro).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerability_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<CvssRating>,
    /// Qualitative ratings by source (a distribution's own severity), beside the CVSS ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity_ratings: Vec<SeverityRating>,
    /// The EPSS score the scanner reported, if it did (an imported EPSS feed wins over it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssScore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    #[serde(default, skip_serializing_if = "Location::is_empty")]
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Where the raw item sits in the report: an RFC 6901 JSON Pointer (`/runs/0/results/17`)
    /// for JSON, an equivalent path for XML, `line:N` for line-oriented formats.
    pub locator: String,
    #[serde(default, skip_serializing_if = "is_default_hints")]
    pub identity: IdentityHints,
    /// For secret findings: a hash and a masked preview; never the secret itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretEvidence>,
    /// The tool itself marked the result as suppressed (SARIF `suppressions`, `nosec`...).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// The tool classes the result as code quality (maintainability, reliability,
    /// correctness, style...), not security: the words it used (`SARIF tags: reliability,
    /// correctness`). Such a result never enters the security bands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

fn is_default_hints(h: &IdentityHints) -> bool {
    h == &IdentityHints::default()
}

impl Occurrence {
    /// A minimal occurrence; parsers fill the rest field by field.
    pub fn new(
        category: Category,
        rule_id: impl Into<String>,
        title: impl Into<String>,
        severity: Severity,
        locator: impl Into<String>,
    ) -> Self {
        Occurrence {
            category,
            rule_id: rule_id.into(),
            title: title.into(),
            description: None,
            severity,
            tool_severity: None,
            cwes: Vec::new(),
            vulnerability_ids: Vec::new(),
            cvss: Vec::new(),
            severity_ratings: Vec::new(),
            epss: None,
            package: None,
            location: Location::default(),
            references: Vec::new(),
            locator: locator.into(),
            identity: IdentityHints::default(),
            secret: None,
            suppressed: false,
            quality: None,
        }
    }
}

/// The tool that wrote a report (or one run of a multi-run SARIF log).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Normalized name, lowercase (`trivy`, `semgrep`, `codeql`). Part of a scan's scope.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl ToolInfo {
    pub fn new(name: impl AsRef<str>, version: Option<String>) -> Self {
        ToolInfo {
            name: normalize_tool_name(name.as_ref()),
            version: version.filter(|v| !v.trim().is_empty()),
        }
    }
}

/// Lowercases a tool's display name and folds the editions of one product into one name, so
/// that `Semgrep OSS`, `Semgrep Pro` and `semgrep` share a scope.
pub fn normalize_tool_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let folded = lower
        .trim_end_matches(" oss")
        .trim_end_matches(" pro")
        .trim_end_matches(" command line tool")
        .trim();
    if folded.is_empty() {
        "unknown".to_string()
    } else {
        folded.to_string()
    }
}

/// Everything one tool reported in one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRun {
    pub tool: ToolInfo,
    pub occurrences: Vec<Occurrence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// Something odd that did not cost any data.
    Warning,
    /// An item was skipped: its data is not in the result.
    Skipped,
}

/// A problem with one item of an otherwise readable report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// Where in the report (same convention as [`Occurrence::locator`]).
    pub locator: String,
    pub message: String,
}

/// What a parser returns: the runs of the tools in the report, the diagnostics, and for SBOM
/// and VEX documents the components and statements they carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ParsedReport {
    /// The format id of the parser that read it (`sarif`, `trivy-json`...).
    pub format: String,
    pub runs: Vec<ToolRun>,
    pub diagnostics: Vec<Diagnostic>,
    /// VEX statements (OpenVEX, CycloneDX VEX `analysis`): assertions that later apply to
    /// findings, never findings themselves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vex: Vec<VexStatement>,
    /// Components of an SBOM or a runtime inventory (what is installed, or loaded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

/// The status a VEX statement asserts, in OpenVEX vocabulary (CycloneDX `analysis.state` maps
/// onto it: `not_affected`/`false_positive` -> not_affected, `exploitable` -> affected,
/// `resolved` -> fixed, `in_triage` -> under_investigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

/// One VEX assertion about a vulnerability in some products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability, primary id first, then aliases.
    pub vulnerability_ids: Vec<String>,
    /// The products (or components) it is about: purls, BOM refs or names as written.
    pub products: Vec<String>,
    pub status: VexStatus,
    /// For `not_affected`: why (`component_not_present`, `vulnerable_code_not_in_execute_path`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
    /// When the statement was made, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub locator: String,
}

/// One component of an SBOM or runtime inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ecosystem in purl type vocabulary, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    pub locator: String,
}

impl ParsedReport {
    /// An empty report of a format.
    pub fn new(format: impl Into<String>) -> Self {
        ParsedReport {
            format: format.into(),
            ..ParsedReport::default()
        }
    }

    pub fn occurrence_count(&self) -> usize {
        self.runs.iter().map(|r| r.occurrences.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_fold_editions() {
        assert_eq!(normalize_tool_name("Semgrep OSS"), "semgrep");
        assert_eq!(normalize_tool_name("  CodeQL "), "codeql");
        assert_eq!(normalize_tool_name(""), "unknown");
    }

    #[test]
    fn location_short_forms() {
        let l = Location {
            path: Some("app.py".into()),
            start_line: Some(12),
            ..Default::default()
        };
        assert_eq!(l.short(), "app.py:12");
        let d = Location {
            url: Some("https://x/a".into()),
            method: Some("GET".into()),
            parameter: Some("q".into()),
            ..Default::default()
        };
        assert_eq!(d.short(), "GET https://x/a [q]");
    }
}
