//! AWS Security Finding Format (ASFF), the JSON of AWS Security Hub findings.
//!
//! Shapes: `{"Findings": [...]}` (Trivy's `asff.tpl` template, `aws securityhub get-findings`
//! output, which may add `NextToken`) or a top-level array of findings (Trivy's template before
//! 2021, Prowler `-M json-asff`). `{"Findings": []}` or `[]` is zero occurrences.
//!
//! One occurrence per finding, except findings that are not problems: a `Compliance.Status` of
//! `PASSED` (a passed control check) and a `RecordState` of `ARCHIVED` (the provider withdrew
//! it) are skipped. `Workflow.Status` `SUPPRESSED` sets `suppressed`.
//!
//! Category, from the first `Types[]` entry (`namespace/category/classifier`):
//! * `Software and Configuration Checks/Vulnerabilities/...` (CVE or otherwise), or a finding
//!   with `Vulnerabilities[]` → **container** when its first resource is a container image
//!   (`Container`, `AwsEcrContainerImage`) or a host (`AwsEc2Instance`, like Trivy's VM scans),
//!   else **sca**;
//! * `Sensitive Data Identifications/...` → **secret** (no value is ever in ASFF: no hash);
//! * everything else (`Software and Configuration Checks/AWS Security Best Practices`,
//!   `Industry and Regulatory Standards`, Trivy's misconfigurations, threat detections `TTPs`,
//!   `Effects`, `Unusual Behaviors`) → **iac**: Posture has no cloud-posture category, and these
//!   are identified like IaC findings, by rule and resource.
//!
//! Fields: `rule_id` = the first vulnerability id for vulnerability findings (`Vulnerabilities[].
//! Id`, else Trivy's `Resources[].Details.Other."CVE ID"`), else `GeneratorId` with a leading
//! `<product>/` removed (Trivy writes `Trivy/DS002`). Package from `Vulnerabilities[].
//! VulnerablePackages[0]` (`Name`, `Version`, `FixedInVersion`, `FilePath`, `PackageManager`),
//! else Trivy's `Details.Other` (`PkgName` or `Package Name`, `Installed Package`,
//! `Patched Package`). CVSS from `Vulnerabilities[].Cvss[]` and Trivy's `NvdCvssScoreV3`/
//! `NvdCvssVectorV3`/`V2` (source `nvd`). Location: `image` = `Details.Container.ImageName` (its
//! ` (alpine 3.10.2)` suffix removed) or the resource id of an image resource; `path` = Trivy's
//! `Details.Other.Filename` or the package's `FilePath`, lines from `Other.StartLine`/`EndLine`;
//! `resource` = the first resource's `Id` when it is not the image or the file.
//! References: `Remediation.Recommendation.Url`, `SourceUrl`, `Vulnerabilities[].ReferenceUrls`;
//! the remediation text (not Trivy's boilerplate) ends the description.
//!
//! Identity: `Id` is the provider's finding id and becomes `tool_fingerprint`, but only when no
//! other finding of the report has the same `Id`: Trivy's template writes `target/CVE` (the
//! same for two packages with one CVE) and, for secrets, the bare target.
//!
//! Tool: `ProductName`, else `ProductFields."aws/securityhub/ProductName"` or
//! `ProductFields."Product Name"`, else the product segment of `ProductArn`
//! (`.../product/<company>/<product>`); one run per tool, in order of first appearance.
//!
//! Severity: `Severity.Label` (else `FindingProviderFields.Severity.Label`), else the bands of
//! `Severity.Normalized` that Security Hub documents:
//!
//! | ASFF label / normalized       | Posture  |
//! |-------------------------------|----------|
//! | `CRITICAL` / 90-100           | critical |
//! | `HIGH` / 70-89                | high     |
//! | `MEDIUM` / 40-69              | medium   |
//! | `LOW` / 1-39                  | low      |
//! | `INFORMATIONAL` / 0, anything else | info |

use crate::json::{self, null_default, opt_lenient_f64, opt_lenient_string, opt_lenient_u32};
use crate::support::{non_empty_trimmed, normalize_ws, purl_type, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Location, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

pub struct Asff;

#[derive(Deserialize)]
struct Doc<'a> {
    /// `None` when the key is missing; `null` reads as an empty list.
    #[serde(rename = "Findings", default, borrow, deserialize_with = "present")]
    findings: Option<Vec<&'a RawValue>>,
}

/// A key that is present: its value, `null` read as the default.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    null_default(d).map(Some)
}

#[derive(Deserialize)]
struct Finding {
    #[serde(rename = "Id", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(
        rename = "ProductArn",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    product_arn: Option<String>,
    #[serde(
        rename = "ProductName",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    product_name: Option<String>,
    #[serde(rename = "ProductFields", default, deserialize_with = "null_default")]
    product_fields: BTreeMap<String, serde_json::Value>,
    #[serde(
        rename = "GeneratorId",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    generator_id: Option<String>,
    #[serde(rename = "Types", default, deserialize_with = "null_default")]
    types: Vec<String>,
    #[serde(rename = "Severity", default)]
    severity: Option<AsffSeverity>,
    #[serde(rename = "FindingProviderFields", default)]
    provider_fields: Option<ProviderFields>,
    #[serde(rename = "Title", default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(
        rename = "Description",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    description: Option<String>,
    #[serde(rename = "SourceUrl", default, deserialize_with = "opt_lenient_string")]
    source_url: Option<String>,
    #[serde(rename = "Remediation", default)]
    remediation: Option<Remediation>,
    #[serde(rename = "Resources", default, deserialize_with = "null_default")]
    resources: Vec<Resource>,
    #[serde(rename = "Vulnerabilities", default, deserialize_with = "null_default")]
    vulnerabilities: Vec<Vulnerability>,
    #[serde(rename = "Compliance", default)]
    compliance: Option<StatusOnly>,
    #[serde(rename = "Workflow", default)]
    workflow: Option<StatusOnly>,
    #[serde(
        rename = "RecordState",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    record_state: Option<String>,
}

#[derive(Deserialize, Default)]
struct AsffSeverity {
    #[serde(rename = "Label", default, deserialize_with = "opt_lenient_string")]
    label: Option<String>,
    #[serde(rename = "Normalized", default, deserialize_with = "opt_lenient_f64")]
    normalized: Option<f64>,
}

#[derive(Deserialize)]
struct ProviderFields {
    #[serde(rename = "Severity", default)]
    severity: Option<AsffSeverity>,
}

#[derive(Deserialize)]
struct Remediation {
    #[serde(rename = "Recommendation", default)]
    recommendation: Option<Recommendation>,
}

#[derive(Deserialize)]
struct Recommendation {
    #[serde(rename = "Text", default, deserialize_with = "opt_lenient_string")]
    text: Option<String>,
    #[serde(rename = "Url", default, deserialize_with = "opt_lenient_string")]
    url: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(rename = "Type", default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(rename = "Id", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(rename = "Details", default)]
    details: Option<Details>,
}

#[derive(Deserialize)]
struct Details {
    #[serde(rename = "Container", default)]
    container: Option<ContainerDetails>,
    #[serde(rename = "Other", default, deserialize_with = "null_default")]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ContainerDetails {
    #[serde(rename = "ImageName", default, deserialize_with = "opt_lenient_string")]
    image_name: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(rename = "Id", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(
        rename = "RelatedVulnerabilities",
        default,
        deserialize_with = "null_default"
    )]
    related: Vec<String>,
    #[serde(
        rename = "VulnerablePackages",
        default,
        deserialize_with = "null_default"
    )]
    packages: Vec<VulnPackage>,
    #[serde(rename = "Cvss", default, deserialize_with = "null_default")]
    cvss: Vec<AsffCvss>,
    #[serde(rename = "ReferenceUrls", default, deserialize_with = "null_default")]
    reference_urls: Vec<String>,
}

#[derive(Deserialize)]
struct VulnPackage {
    #[serde(rename = "Name", default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(rename = "Version", default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(
        rename = "FixedInVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    fixed_in_version: Option<String>,
    #[serde(
        rename = "PackageManager",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    package_manager: Option<String>,
    #[serde(rename = "FilePath", default, deserialize_with = "opt_lenient_string")]
    file_path: Option<String>,
}

#[derive(Deserialize)]
struct AsffCvss {
    #[serde(rename = "BaseScore", default, deserialize_with = "opt_lenient_f64")]
    base_score: Option<f64>,
    #[serde(
        rename = "BaseVector",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    base_vector: Option<String>,
    #[serde(rename = "Source", default, deserialize_with = "opt_lenient_string")]
    source: Option<String>,
}

#[derive(Deserialize)]
struct StatusOnly {
    #[serde(rename = "Status", default, deserialize_with = "opt_lenient_string")]
    status: Option<String>,
}

/// For the duplicate-`Id` check, read before the findings themselves.
#[derive(Deserialize)]
struct IdOnly {
    #[serde(rename = "Id", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
}

impl Parser for Asff {
    fn id(&self) -> &'static str {
        "asff-json"
    }

    fn description(&self) -> &'static str {
        "AWS Security Finding Format (Security Hub findings; Trivy's ASFF template, Prowler)"
    }

    fn categories(&self) -> &'static [Category] {
        &[
            Category::Container,
            Category::Sca,
            Category::Secret,
            Category::Iac,
        ]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        let asff = s.has_keys(&["SchemaVersion", "ProductArn", "GeneratorId"])
            && (s.has_key("AwsAccountId") || s.has_key("Types"));
        if s.is_json_object() && s.has_key("Findings") {
            if asff {
                return Confidence::CERTAIN;
            }
            let compact: String = s
                .head
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(16)
                .collect();
            if compact.starts_with("{\"Findings\":[]") {
                // `{"Findings": []}`: an empty ASFF export, or something else's empty list
                return Confidence::RESEMBLES;
            }
            return if s.has_key("ProductArn") {
                Confidence::MATCH
            } else {
                Confidence::NO
            };
        }
        if s.is_json_array() && asff {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let (items, base): (Vec<&RawValue>, &str) = match body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
        {
            Some(b'{') => {
                let doc: Doc = json::from_slice(input)?;
                let Some(list) = doc.findings else {
                    return Err(ParseError::shape(
                        "not an ASFF document: expected {\"Findings\": [...]}",
                    ));
                };
                (list, "/Findings")
            }
            Some(b'[') => (json::from_slice(input)?, ""),
            _ => {
                let _: IgnoredAny = json::from_slice(input)?;
                return Err(ParseError::shape(
                    "not an ASFF document: expected {\"Findings\": [...]} or an array of findings",
                ));
            }
        };
        let mut id_counts: HashMap<String, usize> = HashMap::new();
        for raw in &items {
            if let Ok(IdOnly { id: Some(id) }) = serde_json::from_str::<IdOnly>(raw.get()) {
                *id_counts.entry(id.trim().to_string()).or_default() += 1;
            }
        }
        let mut diagnostics = Vec::new();
        let mut runs: Vec<ToolRun> = Vec::new();
        let mut lacking = Vec::new();
        json::each_item(&items, base, &mut diagnostics, |_, locator, f: Finding| {
            // every ASFF finding has an `Id` and a `ProductArn` or `GeneratorId`: an item without
            // them is another tool's (a format given by mistake), not a finding to invent
            if f.id.is_none() || f.product_arn.is_none() && f.generator_id.is_none() {
                lacking.push(json::skipped(
                    &locator,
                    "item skipped: not an ASFF finding (it lacks `Id`, or `ProductArn` and `GeneratorId`)",
                ));
                return;
            }
            let tool = tool_of(&f);
            if let Some(occ) = to_occurrence(f, locator, &id_counts) {
                match runs.iter_mut().find(|r| r.tool.name == tool.name) {
                    Some(run) => run.occurrences.push(occ),
                    None => runs.push(ToolRun {
                        tool,
                        occurrences: vec![occ],
                    }),
                }
            }
        });
        diagnostics.extend(lacking);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs,
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn value_str(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => {
            non_empty_trimmed(Some(s.clone())).filter(|s| s != "<no value>" && s != "<nil>")
        }
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn tool_of(f: &Finding) -> ToolInfo {
    let name = non_empty_trimmed(f.product_name.clone())
        .or_else(|| value_str(f.product_fields.get("aws/securityhub/ProductName")))
        .or_else(|| value_str(f.product_fields.get("Product Name")))
        .or_else(|| {
            let arn = f.product_arn.as_deref()?;
            let (_, rest) = arn.split_once("product/")?;
            rest.rsplit('/').next().map(str::to_string)
        })
        .unwrap_or_else(|| "asff".to_string());
    ToolInfo::new(name, None)
}

fn severity_of(label: &str) -> Option<Severity> {
    crate::support::severity::lookup(crate::support::severity::ASFF_LABEL, label)
}

fn severity_of_normalized(n: f64) -> Severity {
    if n >= 90.0 {
        Severity::Critical
    } else if n >= 70.0 {
        Severity::High
    } else if n >= 40.0 {
        Severity::Medium
    } else if n >= 1.0 {
        Severity::Low
    } else {
        Severity::Info
    }
}

/// `alpine-310.tar.gz (alpine 3.10.2)` → `alpine-310.tar.gz` (Trivy's OS result target).
fn image_name(s: &str) -> String {
    let t = s.trim();
    match t.rfind(" (") {
        Some(cut) if t.ends_with(')') && cut > 0 => t[..cut].trim().to_string(),
        _ => t.to_string(),
    }
}

fn to_occurrence(
    f: Finding,
    locator: String,
    id_counts: &HashMap<String, usize>,
) -> Option<Occurrence> {
    let compliance = f.compliance.and_then(|c| c.status).unwrap_or_default();
    let record = f.record_state.as_deref().unwrap_or("").trim();
    if compliance.trim().eq_ignore_ascii_case("passed") || record.eq_ignore_ascii_case("archived") {
        return None;
    }
    let suppressed = f
        .workflow
        .and_then(|w| w.status)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("suppressed"));
    let first_type = f.types.first().map(|t| t.trim()).unwrap_or("");
    let mut resources = f.resources.into_iter();
    let resource = resources.next();
    let (res_kind, res_id, details) = match resource {
        Some(r) => (
            r.kind.unwrap_or_default(),
            non_empty_trimmed(r.id),
            r.details,
        ),
        None => (String::new(), None, None),
    };
    let (container, other) = match details {
        Some(d) => (d.container.and_then(|c| c.image_name), d.other),
        None => (None, BTreeMap::new()),
    };
    let is_image_resource = matches!(
        res_kind.trim(),
        "Container" | "AwsEcrContainerImage" | "AwsEc2Instance"
    );
    let vuln_type =
        first_type.contains("/Vulnerabilities") || first_type.ends_with("Vulnerabilities");
    let other_cve = value_str(other.get("CVE ID"));
    let category = if vuln_type || !f.vulnerabilities.is_empty() || other_cve.is_some() {
        if is_image_resource {
            Category::Container
        } else {
            Category::Sca
        }
    } else if first_type.starts_with("Sensitive Data Identifications") {
        Category::Secret
    } else {
        Category::Iac
    };

    // ids, package, cvss, references from Vulnerabilities[]
    let mut ids = Vec::new();
    let mut cvss = Vec::new();
    let mut refs = Vec::new();
    let mut package: Option<Package> = None;
    let mut package_path = None;
    for v in f.vulnerabilities {
        if let Some(id) = v.id.as_deref() {
            push_vuln_id(&mut ids, id);
        }
        for r in &v.related {
            push_vuln_id(&mut ids, r);
        }
        for c in v.cvss {
            let vector = non_empty_trimmed(c.base_vector);
            if vector.is_some() || c.base_score.is_some() {
                let rating = CvssRating {
                    source: non_empty_trimmed(c.source).unwrap_or_else(|| "asff".to_string()),
                    vector,
                    score: c.base_score,
                };
                if !cvss.contains(&rating) {
                    cvss.push(rating);
                }
            }
        }
        for u in v.reference_urls {
            push_unique(&mut refs, u);
        }
        if package.is_none()
            && let Some(p) = v
                .packages
                .into_iter()
                .find(|p| p.name.as_deref().is_some_and(|n| !n.trim().is_empty()))
        {
            package_path = non_empty_trimmed(p.file_path);
            package = Some(Package {
                purl: None,
                ecosystem: p.package_manager.as_deref().and_then(ecosystem_of),
                name: p.name.unwrap_or_default().trim().to_string(),
                version: non_empty_trimmed(p.version),
                fixed_versions: non_empty_trimmed(p.fixed_in_version)
                    .map(|v| split_versions(&v))
                    .unwrap_or_default(),
            });
        }
    }
    // Trivy's template: Details.Other
    if let Some(cve) = &other_cve {
        push_vuln_id(&mut ids, cve);
    }
    if package.is_none()
        && let Some(name) =
            value_str(other.get("PkgName")).or_else(|| value_str(other.get("Package Name")))
    {
        package = Some(Package {
            purl: None,
            ecosystem: None,
            name,
            version: value_str(other.get("Installed Package")),
            fixed_versions: value_str(other.get("Patched Package"))
                .map(|v| split_versions(&v))
                .unwrap_or_default(),
        });
    }
    for (score_key, vector_key) in [
        ("NvdCvssScoreV3", "NvdCvssVectorV3"),
        ("NvdCvssScoreV2", "NvdCvssVectorV2"),
    ] {
        let score = value_str(other.get(score_key))
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0);
        let vector = value_str(other.get(vector_key));
        if score.is_some() || vector.is_some() {
            let rating = CvssRating {
                source: "nvd".to_string(),
                vector,
                score,
            };
            if !cvss.contains(&rating) {
                cvss.push(rating);
            }
        }
    }
    if let Some(p) = &mut package
        && p.ecosystem.is_none()
    {
        p.ecosystem = p.purl.as_deref().and_then(purl_type);
    }

    // rule id
    let tool_prefix = tool_prefix(f.generator_id.as_deref());
    let generator = non_empty_trimmed(f.generator_id).map(|g| match &tool_prefix {
        Some(prefix) => g
            .strip_prefix(prefix.as_str())
            .map(str::to_string)
            .unwrap_or(g),
        None => g,
    });
    let rule_id = if category.is_dependency() {
        ids.first().cloned().or(generator)
    } else {
        generator.or_else(|| ids.first().cloned())
    }
    .filter(|r| !r.trim().is_empty())
    .unwrap_or_else(|| "asff-finding".to_string());

    // severity
    let sev = f
        .severity
        .filter(|s| s.label.is_some() || s.normalized.is_some())
        .or_else(|| f.provider_fields.and_then(|p| p.severity))
        .unwrap_or_default();
    let label = non_empty_trimmed(sev.label);
    let (severity, tool_severity) = match (&label, sev.normalized) {
        (Some(l), _) if severity_of(l).is_some() => (severity_of(l), Some(l.clone())),
        (_, Some(n)) if (0.0..=100.0).contains(&n) => {
            (Some(severity_of_normalized(n)), Some(format!("{n}")))
        }
        (l, _) => (None, l.clone()),
    };
    let severity = severity.unwrap_or(Severity::Info);

    let title = non_empty_trimmed(f.title).unwrap_or_else(|| rule_id.clone());
    let mut occ = Occurrence::new(category, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.suppressed = suppressed;
    occ.vulnerability_ids = ids;
    occ.cvss = cvss;

    let mut description = non_empty_trimmed(f.description);
    let mut remediation_url = None;
    if let Some(rec) = f.remediation.and_then(|r| r.recommendation) {
        remediation_url = non_empty_trimmed(rec.url);
        if let Some(text) = non_empty_trimmed(rec.text)
            && !text
                .starts_with("More information on this vulnerability is provided in the hyperlink")
        {
            let note = format!("Remediation: {text}");
            description = Some(match description {
                Some(d) => format!("{d}\n\n{note}"),
                None => note,
            });
        }
    }
    occ.description = description;
    let mut references = Vec::new();
    for r in remediation_url
        .into_iter()
        .chain(non_empty_trimmed(f.source_url))
        .chain(refs)
        .filter(|u| u.contains("://"))
    {
        push_unique(&mut references, r);
    }
    occ.references = references;

    // location
    let image = container.as_deref().map(image_name).or_else(|| {
        matches!(res_kind.trim(), "Container" | "AwsEcrContainerImage")
            .then(|| res_id.as_deref().map(image_name))
            .flatten()
    });
    let path = value_str(other.get("Filename")).or(package_path);
    let resource = res_id.filter(|id| {
        image.as_deref().is_none_or(|i| image_name(id) != i)
            && path.as_deref().is_none_or(|p| p != id)
    });
    occ.location = Location {
        path,
        start_line: line_of(other.get("StartLine")),
        end_line: line_of(other.get("EndLine")),
        image,
        resource,
        ..Location::default()
    };
    if category == Category::Iac
        && let Some(msg) = value_str(other.get("Message"))
    {
        occ.identity.context = Some(normalize_ws(&msg));
    }
    occ.package = package;
    occ.identity.tool_fingerprint =
        f.id.map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty() && id_counts.get(id).copied().unwrap_or(0) == 1);
    Some(occ)
}

fn line_of(v: Option<&serde_json::Value>) -> Option<u32> {
    #[derive(Deserialize)]
    struct L(#[serde(deserialize_with = "opt_lenient_u32")] Option<u32>);
    let v = v?;
    serde_json::from_value::<L>(v.clone())
        .ok()
        .and_then(|l| l.0)
        .filter(|l| *l > 0)
}

/// `Trivy/CVE-2019-1549` → `Some("Trivy/")`: a generator id prefixed with a product name.
fn tool_prefix(generator: Option<&str>) -> Option<String> {
    let g = generator?.trim();
    let (head, rest) = g.split_once('/')?;
    (head.eq_ignore_ascii_case("trivy") && !rest.is_empty()).then(|| format!("{head}/"))
}

fn split_versions(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Ecosystem (purl type) from an ASFF `PackageManager` (Amazon Inspector's values).
fn ecosystem_of(pm: &str) -> Option<String> {
    let e = match pm.trim().to_ascii_uppercase().as_str() {
        "NPM" | "NODEPKG" | "YARN" | "PNPM" => "npm",
        "PIP" | "PIPENV" | "POETRY" | "PYTHONPKG" | "PYTHON" => "pypi",
        "JAR" | "POM" | "GRADLE" | "MAVEN" => "maven",
        "GOMOD" | "GOBINARY" | "GO" => "golang",
        "CARGO" | "RUST" => "cargo",
        "GEMSPEC" | "BUNDLER" | "GEM" => "gem",
        "NUGET" | "DOTNET_CORE" => "nuget",
        "COMPOSER" => "composer",
        _ => return None,
    };
    Some(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_tables() {
        assert_eq!(severity_of("CRITICAL"), Some(Severity::Critical));
        assert_eq!(severity_of("INFORMATIONAL"), Some(Severity::Info));
        assert_eq!(severity_of("whatever"), None);
        assert_eq!(severity_of_normalized(95.0), Severity::Critical);
        assert_eq!(severity_of_normalized(70.0), Severity::High);
        assert_eq!(severity_of_normalized(40.0), Severity::Medium);
        assert_eq!(severity_of_normalized(1.0), Severity::Low);
        assert_eq!(severity_of_normalized(0.0), Severity::Info);
        assert_eq!(
            image_name("alpine-310.tar.gz (alpine 3.10.2)"),
            "alpine-310.tar.gz"
        );
        assert_eq!(tool_prefix(Some("Trivy/DS002")).as_deref(), Some("Trivy/"));
        assert_eq!(tool_prefix(Some("arn:aws:securityhub:::ruleset/cis")), None);
    }
}
