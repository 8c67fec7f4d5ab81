//! Trivy JSON reports (`trivy image|fs|repo|rootfs|vm|sbom --format json`).
//!
//! Shapes:
//! * `SchemaVersion 2` (Trivy ≥ 0.20): `{SchemaVersion, ArtifactName, ArtifactType, Metadata,
//!   Results[]}`; `Results` may be missing (nothing scanned or nothing found), a result may hold
//!   no list at all. Newer versions add `Trivy.Version`, `CreatedAt`, `ReportID`, `ArtifactID`.
//! * Before 0.20: a top-level array of results (`[{Target, Type, Vulnerabilities}]`), the literal
//!   `null` when nothing was found, and `"Vulnerabilities": null` for clean targets.
//!
//! Not this format (detection says no, `parse` gives a Shape error): the `trivy k8s` report
//! (`ClusterName` with `Resources[]` or per-resource `Vulnerabilities[]`), Trivy Operator CRDs,
//! and Trivy's other outputs (SARIF, CycloneDX, SPDX, ASFF, templates). A `trivy sbom` JSON
//! report whose input was a KBOM is an ordinary schema-2 report and is read here.
//!
//! Items (one occurrence per raw item, nothing collapsed here):
//! * `Results[].Vulnerabilities[]` → category **container** when the artifact is a container
//!   image or a VM (`ArtifactType` `container_image`/`vm`; for the legacy array, when a result is
//!   an OS-package result: Trivy < 0.20 only found OS packages in images), else **sca**.
//!   Ecosystem from the result `Type` (table in [`ecosystem_of`]), falling back to the purl type.
//!   `location.path` is `PkgPath` when given, else the result `Target` for language packages
//!   (the lockfile); OS packages have no path. `location.layer` = `Layer.DiffID` (else
//!   `Digest`), `location.image` = `ArtifactName` for images; `location.base_image` = the
//!   image's `org.opencontainers.image.base.name` label (`Metadata.ImageConfig.config.Labels`)
//!   for OS packages, when the image has it.
//!   `vulnerability_ids` = `VulnerabilityID`, then `VendorIDs` and `Aliases`, normalized. Note:
//!   vendor ids may be distribution advisories (`DSA-4808-1`) that cover several CVEs; the engine
//!   must not treat a shared distro advisory as "same issue".
//!   Trivy's own `Fingerprint` is NOT used as `tool_fingerprint`: it hashes the `ArtifactID`
//!   (the image digest), so every rebuild of an image would look like new findings.
//!   `Status` values other than `fixed`/`affected`/`unknown` (`not_affected`, `will_not_fix`,
//!   `fix_deferred`, `end_of_life`, `under_investigation`) are kept as a last line of the
//!   description; the item is still an occurrence (DefectDojo also counts all 8 statuses).
//!   CVSS: one rating per source and version (`V2*`, `V3*`, `V40*`), the `SeveritySource`'s
//!   ratings first.
//! * `Results[].Misconfigurations[]` → **iac**. `Status: PASS` items (written only with
//!   `--include-non-failures`) are not findings and are skipped; `FAIL` and anything else are
//!   kept; `EXCEPTION` (waived by a Trivy exception policy) is kept with `suppressed = true`.
//!   `rule_id` is the check id in its current form (`DS-0002`): `AVDID` without its `AVD-`
//!   prefix, else `ID` with the pre-2025 compact form (`DS002`, `KSV001`) rewritten, so that a
//!   Trivy upgrade does not rename every check. Identity context: the code lines marked
//!   `IsCause` (whitespace-normalized), else the `Message`.
//! * `Results[].Secrets[]` → **secret**. Trivy masks the secret with `*` in `Match` and in the
//!   code lines, and no plaintext exists in the report, so there is no [`SecretEvidence`] hash
//!   (hashing a masked value would correlate unrelated secrets). `Match` (masked) is the
//!   identity context; `Code` lines are never read (lines around the match can hold other
//!   unmasked text).
//! * `Licenses` are ignored and count nothing.
//!
//! Severity (`Severity`, also for misconfigurations and secrets): `CRITICAL` → critical,
//! `HIGH` → high, `MEDIUM` → medium, `LOW` → low, `UNKNOWN` (and anything else) → info. A
//! vulnerability without `Severity` takes the CVSS band of its best rating, else info.
//!
//! Tool version: `Trivy.Version`; the placeholder `dev` of upstream golden files is dropped.
//!
//! [`SecretEvidence`]: posture_model::SecretEvidence

use crate::json::{self, opt_lenient_f64, opt_lenient_u32};
use crate::support::{
    ecosystem_of, non_empty, non_empty_trimmed, normalize_ws, purl_type, push_unique, push_vuln_id,
    trimmed,
};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity,
    SeverityRating, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

pub struct Trivy;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(rename = "SchemaVersion", default)]
    schema_version: Option<IgnoredAny>,
    #[serde(rename = "ArtifactName", default)]
    artifact_name: Option<String>,
    #[serde(rename = "ArtifactType", default)]
    artifact_type: Option<String>,
    #[serde(rename = "Trivy", default)]
    trivy: Option<TrivyMeta>,
    #[serde(rename = "Metadata", default)]
    metadata: Option<Metadata>,
    #[serde(rename = "Results", default, borrow)]
    results: Option<Vec<&'a RawValue>>,
    #[serde(rename = "ClusterName", default)]
    cluster_name: Option<IgnoredAny>,
    #[serde(rename = "Resources", default)]
    resources: Option<IgnoredAny>,
}

/// `Metadata.ImageConfig.config.Labels`: where an image built with the OCI annotations names
/// its base image.
#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(rename = "ImageConfig", default)]
    image_config: Option<ImageConfig>,
}

#[derive(Deserialize, Default)]
struct ImageConfig {
    #[serde(default)]
    config: Option<ImageConfigConfig>,
}

#[derive(Deserialize, Default)]
struct ImageConfigConfig {
    #[serde(rename = "Labels", default)]
    labels: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// The OCI label naming the base image.
const BASE_IMAGE_LABEL: &str = "org.opencontainers.image.base.name";

impl Metadata {
    fn base_image(self) -> Option<String> {
        let labels = self.image_config?.config?.labels?;
        labels
            .get(BASE_IMAGE_LABEL)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    }
}

#[derive(Deserialize)]
struct TrivyMeta {
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TResult<'a> {
    #[serde(rename = "Target", default)]
    target: Option<String>,
    #[serde(rename = "Class", default)]
    class: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Vulnerabilities", default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Misconfigurations", default, borrow)]
    misconfigurations: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Secrets", default, borrow)]
    secrets: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize, Default)]
struct Layer {
    #[serde(rename = "DiffID", default)]
    diff_id: Option<String>,
    #[serde(rename = "Digest", default)]
    digest: Option<String>,
}

impl Layer {
    fn id(self) -> Option<String> {
        non_empty(self.diff_id).or(non_empty(self.digest))
    }
}

#[derive(Deserialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL", default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Vuln<'a> {
    #[serde(rename = "VulnerabilityID", default)]
    id: Option<String>,
    #[serde(rename = "VendorIDs", default)]
    vendor_ids: Option<Vec<String>>,
    #[serde(rename = "Aliases", default)]
    aliases: Option<Vec<String>>,
    #[serde(rename = "PkgName", default)]
    pkg_name: Option<String>,
    #[serde(rename = "PkgID", default)]
    pkg_id: Option<String>,
    #[serde(rename = "PkgPath", default)]
    pkg_path: Option<String>,
    #[serde(rename = "PkgIdentifier", default)]
    pkg_identifier: Option<PkgIdentifier>,
    #[serde(rename = "InstalledVersion", default)]
    installed_version: Option<String>,
    #[serde(rename = "FixedVersion", default)]
    fixed_version: Option<String>,
    #[serde(rename = "Status", default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(rename = "Layer", default)]
    layer: Option<Layer>,
    #[serde(rename = "SeveritySource", default, borrow)]
    severity_source: Option<Cow<'a, str>>,
    #[serde(rename = "VendorSeverity", default)]
    vendor_severity: Option<std::collections::BTreeMap<String, u8>>,
    #[serde(rename = "PrimaryURL", default)]
    primary_url: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "Severity", default, borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(rename = "CweIDs", default)]
    cwe_ids: Option<Vec<String>>,
    #[serde(rename = "CVSS", default, deserialize_with = "ordered_map")]
    cvss: Vec<(String, Cvss)>,
    #[serde(rename = "References", default)]
    references: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(rename = "V2Vector", default)]
    v2_vector: Option<String>,
    #[serde(rename = "V3Vector", default)]
    v3_vector: Option<String>,
    #[serde(rename = "V40Vector", default)]
    v40_vector: Option<String>,
    #[serde(rename = "V2Score", default, deserialize_with = "opt_lenient_f64")]
    v2_score: Option<f64>,
    #[serde(rename = "V3Score", default, deserialize_with = "opt_lenient_f64")]
    v3_score: Option<f64>,
    #[serde(rename = "V40Score", default, deserialize_with = "opt_lenient_f64")]
    v40_score: Option<f64>,
}

/// A JSON object (or `null`) as its entries in document order.
fn ordered_map<'de, D, V>(d: D) -> Result<Vec<(String, V)>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Entries<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Entries<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(2));
            while let Some(entry) = map.next_entry::<String, V>()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_option(Entries(std::marker::PhantomData))
}

#[derive(Deserialize)]
struct Misconf<'a> {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "AVDID", default)]
    avd_id: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
    #[serde(rename = "Resolution", default)]
    resolution: Option<String>,
    #[serde(rename = "Severity", default, borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(rename = "PrimaryURL", default)]
    primary_url: Option<String>,
    #[serde(rename = "References", default)]
    references: Option<Vec<String>>,
    #[serde(rename = "Status", default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(rename = "Layer", default)]
    layer: Option<Layer>,
    #[serde(rename = "CauseMetadata", default)]
    cause: Option<Cause>,
}

#[derive(Deserialize)]
struct Cause {
    #[serde(rename = "Resource", default)]
    resource: Option<String>,
    #[serde(rename = "StartLine", default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(rename = "EndLine", default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(rename = "Code", default)]
    code: Option<Code>,
}

#[derive(Deserialize)]
struct Code {
    #[serde(rename = "Lines", default)]
    lines: Option<Vec<CodeLine>>,
}

#[derive(Deserialize)]
struct CodeLine {
    #[serde(rename = "Content", default)]
    content: Option<String>,
    #[serde(rename = "IsCause", default)]
    is_cause: Option<bool>,
}

#[derive(Deserialize)]
struct Secret<'a> {
    #[serde(rename = "RuleID", default)]
    rule_id: Option<String>,
    #[serde(rename = "Category", default)]
    category: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "Severity", default, borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(rename = "StartLine", default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(rename = "EndLine", default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(rename = "Match", default)]
    matched: Option<String>,
    #[serde(rename = "Layer", default)]
    layer: Option<Layer>,
}

impl Parser for Trivy {
    fn id(&self) -> &'static str {
        "trivy-json"
    }

    fn description(&self) -> &'static str {
        "Trivy JSON report (schema 2 and the pre-0.20 array): vulnerabilities, misconfigurations, secrets"
    }

    fn categories(&self) -> &'static [Category] {
        &[
            Category::Container,
            Category::Sca,
            Category::Iac,
            Category::Secret,
        ]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Null]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.is_json_object() {
            // Kubernetes reports, Operator CRDs and SBOMs are other formats.
            if s.has_key("ClusterName")
                || s.has_key("bomFormat")
                || s.has_key("spdxVersion")
                || s.has_key("apiVersion")
                || s.has_key("runs")
            {
                return Confidence::NO;
            }
            if s.has_key("SchemaVersion")
                && (s.has_key("ArtifactName") || s.has_key("ArtifactType") || s.has_key("Results"))
            {
                return Confidence::CERTAIN;
            }
            if s.has_key("Results") && s.has_key("Target") && s.has_key("Class") {
                return Confidence::MATCH;
            }
            return Confidence::NO;
        }
        if s.is_json_array() {
            if !s.has_key("Target") {
                return Confidence::NO;
            }
            if s.has_key("Vulnerabilities") && (s.has_key("Type") || s.has_key("Class")) {
                return Confidence::CERTAIN;
            }
            if s.has_key("Type") || s.has_key("Class") {
                return Confidence::MATCH;
            }
            return Confidence::NO;
        }
        if s.complete && s.head.trim_end() == "null" {
            // trivy < 0.20 with nothing found; gitleaks v7 writes it too.
            return Confidence::RESEMBLES;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let mut ctx = Ctx::default();
        let version;
        match first {
            Some(b'{') => {
                let report: Report = json::from_slice(input)?;
                if report.schema_version.is_none()
                    && (report.cluster_name.is_some() || report.resources.is_some())
                {
                    return Err(ParseError::shape(
                        "this is a `trivy k8s` report (ClusterName/Resources), which trivy-json does not read",
                    ));
                }
                if report.schema_version.is_none()
                    && report.results.is_none()
                    && report.artifact_name.is_none()
                {
                    return Err(ParseError::shape(
                        "not a Trivy JSON report: expected SchemaVersion, ArtifactName and Results",
                    ));
                }
                version = report
                    .trivy
                    .and_then(|t| t.version)
                    .filter(|v| !v.trim().is_empty() && v.trim() != "dev");
                ctx.base_image = report.metadata.and_then(Metadata::base_image);
                let results =
                    parse_results(report.results.unwrap_or_default(), "/Results", &mut ctx);
                ctx.image = match report.artifact_type.as_deref().map(str::trim) {
                    Some("container_image") | Some("vm") => Some(non_empty(report.artifact_name)),
                    Some(t) if !t.is_empty() => None,
                    _ => legacy_image(&results).map(|n| non_empty(report.artifact_name).or(n)),
                };
                emit(results, "/Results", &mut ctx);
            }
            Some(b'[') | Some(b'n') => {
                let items: Option<Vec<&RawValue>> = json::from_slice(input)?;
                version = None;
                let results = parse_results(items.unwrap_or_default(), "", &mut ctx);
                ctx.image = legacy_image(&results);
                emit(results, "", &mut ctx);
            }
            _ => {
                // Empty, or JSON of the wrong type: let the JSON reader say which.
                let _: Option<Vec<IgnoredAny>> = json::from_slice(input)?;
                return Err(ParseError::shape("not a Trivy JSON report"));
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("trivy", version),
                occurrences: ctx.occurrences,
            }],
            diagnostics: ctx.diagnostics,
            ..ParsedReport::default()
        })
    }
}

#[derive(Default)]
pub(crate) struct Ctx {
    /// `None`: not an image scan. `Some(name)`: an image (or VM) scan, with its name if known.
    pub(crate) image: Option<Option<String>>,
    /// The base image the report names (image scans only).
    pub(crate) base_image: Option<String>,
    pub(crate) occurrences: Vec<Occurrence>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

pub(crate) fn parse_results<'a>(
    raw: Vec<&'a RawValue>,
    base: &str,
    ctx: &mut Ctx,
) -> Vec<(usize, TResult<'a>)> {
    let mut out = Vec::with_capacity(raw.len());
    json::each_item(&raw, base, &mut ctx.diagnostics, |i, _, r: TResult<'a>| {
        out.push((i, r));
    });
    out
}

/// For reports without `ArtifactType`: an OS-package result means an image scan; the image name
/// is that result's target without its ` (alpine 3.10.2)` suffix.
pub(crate) fn legacy_image(results: &[(usize, TResult<'_>)]) -> Option<Option<String>> {
    let os = results.iter().find(|(_, r)| is_os_result(r))?;
    let name = os.1.target.as_deref().map(|t| match t.rfind(" (") {
        Some(cut) if t.ends_with(')') => t[..cut].trim().to_string(),
        _ => t.trim().to_string(),
    });
    Some(name.filter(|n| !n.is_empty()))
}

fn is_os_result(r: &TResult<'_>) -> bool {
    match r.class.as_deref() {
        Some("os-pkgs") => true,
        Some(c) if !c.is_empty() => false,
        _ => r.kind.as_deref().is_some_and(is_os_type),
    }
}

fn is_os_type(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    matches!(
        t.as_str(),
        "debian"
            | "ubuntu"
            | "alpine"
            | "wolfi"
            | "chainguard"
            | "redhat"
            | "centos"
            | "rocky"
            | "alma"
            | "amazon"
            | "oracle"
            | "fedora"
            | "photon"
            | "suse"
            | "sles"
            | "cbl-mariner"
            | "azurelinux"
            | "bottlerocket"
            | "echo"
            | "minimos"
    ) || t.starts_with("opensuse")
        || t.starts_with("suse ")
}

pub(crate) fn emit(results: Vec<(usize, TResult<'_>)>, base: &str, ctx: &mut Ctx) {
    let category = if ctx.image.is_some() {
        Category::Container
    } else {
        Category::Sca
    };
    let image = ctx.image.clone().flatten();
    let base_image = ctx.base_image.clone().filter(|_| ctx.image.is_some());
    for (i, r) in results {
        let rbase = json::pointer_index(base, i);
        let os = is_os_result(&r);
        let ecosystem = r.kind.as_deref().and_then(ecosystem_of);
        let target = non_empty(r.target);
        if let Some(items) = r.vulnerabilities {
            let vbase = format!("{rbase}/Vulnerabilities");
            ctx.occurrences.reserve(items.len());
            let occs = &mut ctx.occurrences;
            let diags = &mut ctx.diagnostics;
            json::each_item(&items, &vbase, diags, |_, locator, v: Vuln| {
                let lockfile = if os { None } else { target.as_deref() };
                let mut o =
                    vuln_occurrence(v, locator, category, ecosystem, lockfile, image.as_deref());
                // the base image brings the operating system's packages
                if os {
                    o.location.base_image = base_image.clone();
                }
                occs.push(o);
            });
        }
        if let Some(items) = r.misconfigurations {
            let mbase = format!("{rbase}/Misconfigurations");
            let occs = &mut ctx.occurrences;
            json::each_item(
                &items,
                &mbase,
                &mut ctx.diagnostics,
                |_, locator, m: Misconf| {
                    if let Some(o) =
                        misconf_occurrence(m, locator, target.as_deref(), image.as_deref())
                    {
                        occs.push(o);
                    }
                },
            );
        }
        if let Some(items) = r.secrets {
            let sbase = format!("{rbase}/Secrets");
            let occs = &mut ctx.occurrences;
            json::each_item(
                &items,
                &sbase,
                &mut ctx.diagnostics,
                |_, locator, s: Secret| {
                    occs.push(secret_occurrence(
                        s,
                        locator,
                        target.as_deref(),
                        image.as_deref(),
                    ));
                },
            );
        }
    }
}

fn vuln_occurrence(
    v: Vuln<'_>,
    locator: String,
    category: Category,
    ecosystem: Option<&'static str>,
    lockfile: Option<&str>,
    image: Option<&str>,
) -> Occurrence {
    let primary = non_empty_trimmed(v.id);
    let name = non_empty(v.pkg_name)
        .or_else(|| {
            non_empty(v.pkg_id).map(|id| match id.rfind('@') {
                Some(cut) if cut > 0 => id[..cut].to_string(),
                _ => id,
            })
        })
        .unwrap_or_default();
    let version = non_empty(v.installed_version);
    let purl = v.pkg_identifier.and_then(|p| non_empty(p.purl));
    let ecosystem = ecosystem
        .map(str::to_string)
        .or_else(|| purl.as_deref().and_then(purl_type));
    let fixed_versions: Vec<String> = v
        .fixed_version
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();

    let mut cvss = Vec::new();
    {
        let first = v.severity_source.as_deref().unwrap_or("");
        let (mut preferred, others): (Vec<_>, Vec<_>) =
            v.cvss.into_iter().partition(|(source, _)| source == first);
        preferred.extend(others);
        for (source, c) in preferred {
            for (vector, score) in [
                (c.v40_vector, c.v40_score),
                (c.v3_vector, c.v3_score),
                (c.v2_vector, c.v2_score),
            ] {
                let vector = non_empty(vector);
                if vector.is_some() || score.is_some() {
                    cvss.push(CvssRating {
                        source: source.clone(),
                        vector,
                        score,
                    });
                }
            }
        }
    }

    let tool_severity = v
        .severity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let severity = match tool_severity {
        Some(word) => severity_of(word),
        None => cvss
            .iter()
            .filter_map(|c| c.score.and_then(Severity::from_cvss_score))
            .max()
            .unwrap_or(Severity::Info),
    };

    let rule_id = primary.clone().unwrap_or_else(|| "unknown".to_string());
    let title = match non_empty(v.title) {
        Some(t) => trimmed(t),
        None if name.is_empty() => rule_id.clone(),
        None => format!("{rule_id} in {name}"),
    };
    let mut occ = Occurrence::new(category, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity.map(String::from);
    occ.severity_ratings = severity_ratings(
        v.vendor_severity.unwrap_or_default(),
        v.severity_source.as_deref(),
        tool_severity
            .filter(|w| !w.eq_ignore_ascii_case("unknown"))
            .map(severity_of),
    );

    let mut ids = Vec::new();
    for id in primary
        .iter()
        .chain(v.vendor_ids.iter().flatten())
        .chain(v.aliases.iter().flatten())
    {
        push_vuln_id(&mut ids, id);
    }
    occ.vulnerability_ids = ids;

    let mut description = non_empty_trimmed(v.description);
    if let Some(status) = v.status.as_deref().map(str::trim)
        && !matches!(status, "" | "fixed" | "affected" | "unknown")
    {
        let note = format!("Vendor status: {status}.");
        description = Some(match description {
            Some(d) => format!("{d}\n\n{note}"),
            None => note,
        });
    }
    occ.description = description;
    occ.cwes = json::tidy_cwes(
        v.cwe_ids
            .iter()
            .flatten()
            .filter_map(|c| json::parse_cwe(c))
            .collect(),
    );
    occ.cvss = cvss;
    let mut refs = Vec::new();
    for r in v
        .primary_url
        .into_iter()
        .chain(v.references.into_iter().flatten())
    {
        push_unique(&mut refs, r);
    }
    occ.references = refs;
    let path = non_empty(v.pkg_path).or_else(|| lockfile.map(String::from));
    occ.location = Location {
        path,
        image: image.map(String::from),
        layer: v.layer.and_then(Layer::id),
        ..Location::default()
    };
    occ.package = (!name.is_empty()).then_some(Package {
        purl,
        ecosystem,
        name,
        version,
        fixed_versions,
    });
    occ
}

/// Every source's own severity: `VendorSeverity` (0 unknown, 1 low .. 4 critical), and the
/// `SeveritySource`'s (Trivy's `Severity`) when `VendorSeverity` does not name it. The
/// `SeveritySource` comes first.
fn severity_ratings(
    vendor: std::collections::BTreeMap<String, u8>,
    severity_source: Option<&str>,
    severity: Option<Severity>,
) -> Vec<SeverityRating> {
    let first = severity_source.map(str::trim).filter(|s| !s.is_empty());
    let mut out: Vec<SeverityRating> = vendor
        .into_iter()
        .filter_map(|(source, n)| {
            let severity = match n {
                1 => Severity::Low,
                2 => Severity::Medium,
                3 => Severity::High,
                4 => Severity::Critical,
                _ => return None,
            };
            Some(SeverityRating { source, severity })
        })
        .collect();
    if let (Some(first), Some(severity)) = (first, severity)
        && !out.iter().any(|r| r.source == first)
    {
        out.push(SeverityRating {
            source: first.to_string(),
            severity,
        });
    }
    out.sort_by_key(|r| Some(r.source.as_str()) != first);
    out
}

fn misconf_occurrence(
    m: Misconf<'_>,
    locator: String,
    target: Option<&str>,
    image: Option<&str>,
) -> Option<Occurrence> {
    let status = m.status.as_deref().map(str::trim).unwrap_or("");
    if status.eq_ignore_ascii_case("pass") {
        return None;
    }
    let rule_id = check_id(m.avd_id.as_deref(), m.id.as_deref());
    let tool_severity = m
        .severity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let severity = tool_severity.map(severity_of).unwrap_or(Severity::Info);
    let message = non_empty_trimmed(m.message);
    let title = non_empty_trimmed(m.title)
        .or_else(|| message.clone())
        .unwrap_or_else(|| rule_id.clone());
    let mut occ = Occurrence::new(Category::Iac, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity.map(String::from);
    occ.suppressed = status.eq_ignore_ascii_case("exception");

    let mut parts: Vec<String> = Vec::new();
    if let Some(msg) = &message {
        parts.push(msg.clone());
    }
    if let Some(d) = non_empty(m.description) {
        parts.push(trimmed(d));
    }
    if let Some(r) = non_empty(m.resolution) {
        parts.push(format!("Resolution: {}", r.trim()));
    }
    occ.description = (!parts.is_empty()).then(|| parts.join("\n\n"));

    let mut refs = Vec::new();
    for r in m
        .primary_url
        .into_iter()
        .chain(m.references.into_iter().flatten())
    {
        push_unique(&mut refs, r);
    }
    occ.references = refs;

    let mut location = Location {
        path: target.map(String::from),
        image: image.map(String::from),
        layer: m.layer.and_then(Layer::id),
        ..Location::default()
    };
    let mut context = None;
    if let Some(cause) = m.cause {
        location.start_line = cause.start_line.filter(|l| *l > 0);
        location.end_line = cause.end_line.filter(|l| *l > 0);
        location.resource = non_empty_trimmed(cause.resource);
        let code: Vec<String> = cause
            .code
            .and_then(|c| c.lines)
            .unwrap_or_default()
            .into_iter()
            .filter(|l| l.is_cause == Some(true))
            .filter_map(|l| l.content)
            .map(|c| normalize_ws(&c))
            .filter(|c| !c.is_empty())
            .collect();
        if !code.is_empty() {
            context = Some(code.join("\n"));
        }
    }
    occ.location = location;
    occ.identity.context = context.or_else(|| message.as_deref().map(normalize_ws));
    Some(occ)
}

fn secret_occurrence(
    s: Secret<'_>,
    locator: String,
    target: Option<&str>,
    image: Option<&str>,
) -> Occurrence {
    let rule_id = non_empty_trimmed(s.rule_id).unwrap_or_else(|| "trivy-secret".to_string());
    let tool_severity = s
        .severity
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty());
    let severity = tool_severity.map(severity_of).unwrap_or(Severity::Info);
    let title = non_empty_trimmed(s.title).unwrap_or_else(|| format!("Secret detected: {rule_id}"));
    let mut occ = Occurrence::new(Category::Secret, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity.map(String::from);
    occ.description = non_empty(s.category).map(|c| format!("Category: {}.", c.trim()));
    occ.cwes = vec![798];
    occ.location = Location {
        path: target.map(String::from),
        start_line: s.start_line.filter(|l| *l > 0),
        end_line: s.end_line.filter(|l| *l > 0),
        image: image.map(String::from),
        layer: s.layer.and_then(Layer::id),
        ..Location::default()
    };
    // `Match` is the line with the secret replaced by `*`: safe context, never a secret hash.
    occ.identity.context = s
        .matched
        .as_deref()
        .map(normalize_ws)
        .filter(|m| !m.is_empty());
    occ
}

/// Trivy's severity words; anything unknown is info (the table is in the module docs).
fn severity_of(word: &str) -> Severity {
    crate::support::severity::lookup(crate::support::severity::CRITICAL_TO_LOW, word)
        .unwrap_or(Severity::Info)
}

/// The current form of a Trivy check id: `AVD-DS-0002` and `DS002` both read `DS-0002`.
fn check_id(avd_id: Option<&str>, id: Option<&str>) -> String {
    fn pick(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(avd) = pick(avd_id).and_then(|a| a.strip_prefix("AVD-"))
        && !avd.is_empty()
    {
        return avd.to_string();
    }
    let Some(id) = pick(id) else {
        return "trivy-misconfiguration".to_string();
    };
    if let Some(rest) = id.strip_prefix("AVD-")
        && !rest.is_empty()
    {
        return rest.to_string();
    }
    // compact form: letters then digits, no dash (DS002, KSV001, AWS086)
    let split = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
    let (letters, digits) = id.split_at(split);
    if !letters.is_empty()
        && letters.chars().all(|c| c.is_ascii_uppercase())
        && !digits.is_empty()
        && digits.len() <= 4
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        return format!("{letters}-{digits:0>4}");
    }
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_take_their_current_form() {
        assert_eq!(check_id(None, Some("DS002")), "DS-0002");
        assert_eq!(check_id(None, Some("KSV001")), "KSV-0001");
        assert_eq!(check_id(None, Some("DS-0002")), "DS-0002");
        assert_eq!(check_id(Some("AVD-DS-0002"), Some("DS002")), "DS-0002");
        assert_eq!(check_id(None, Some("AVD-AWS-0086")), "AWS-0086");
        assert_eq!(check_id(None, Some("custom-check")), "custom-check");
        assert_eq!(check_id(None, None), "trivy-misconfiguration");
    }

    /// The base image the image's OCI label names goes with its OS packages only.
    #[test]
    fn the_labelled_base_image_goes_with_os_packages() {
        let report = br#"{"SchemaVersion":2,"ArtifactName":"shop:1.4","ArtifactType":"container_image",
            "Metadata":{"OS":{"Family":"debian","Name":"12.5"},"ImageConfig":{"config":{"Labels":{"org.opencontainers.image.base.name":"docker.io/library/debian:12"}}}},
            "Results":[
              {"Target":"shop:1.4 (debian 12.5)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[{"VulnerabilityID":"CVE-2024-1","PkgName":"openssl","InstalledVersion":"3.0.11-1~deb12u2","FixedVersion":"3.0.13-1~deb12u1","Severity":"HIGH"}]},
              {"Target":"app/package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":[{"VulnerabilityID":"CVE-2024-2","PkgName":"lodash","InstalledVersion":"4.17.4","FixedVersion":"4.17.21","Severity":"HIGH"}]}
            ]}"#;
        let parsed = Trivy.parse(report).unwrap_or_else(|e| panic!("{e:?}"));
        let occ = &parsed.runs[0].occurrences;
        assert_eq!(occ.len(), 2);
        assert_eq!(
            occ[0].location.base_image.as_deref(),
            Some("docker.io/library/debian:12")
        );
        assert_eq!(occ[1].location.base_image, None);
    }
}
