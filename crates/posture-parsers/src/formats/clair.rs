//! Clair reports: clair-scanner JSON and klar JSON (both read Clair v2 results).
//!
//! Shapes:
//! * clair-scanner: `{image, unapproved[], vulnerabilities[]}` with `vulnerabilities[] =
//!   {featurename, featureversion, vulnerability, namespace, description, link, severity,
//!   fixedby}`. `unapproved` lists the ids not covered by the scanner's whitelist: when the key
//!   is present, a vulnerability whose id is not in it was whitelisted and is kept with
//!   `suppressed = true`.
//! * klar: `{LayerCount, Vulnerabilities: {Severity: [{Name, NamespaceName, Description, Link,
//!   Severity, FixedBy, FeatureName, FeatureVersion}]}}`; `Vulnerabilities: {}` (or `null`) when
//!   nothing was found. Locators are `/Vulnerabilities/<Severity>/<n>`.
//!
//! Category: **container**. One occurrence per item. `rule_id` and the primary vulnerability id
//! are the advisory name (`CVE-...`, `RHSA-2019:0109`...). Package = feature name and version,
//! fixed version = `fixedby`; ecosystem from the namespace (`ubuntu:18.04` → deb, `alpine:3.9`
//! → apk, `centos:7` → rpm). `location.image` = clair-scanner's `image` (klar writes none).
//!
//! Severity: `Defcon1` and `Critical` → critical, `High` → high, `Medium` → medium, `Low` →
//! low, `Negligible` and `Unknown` (and anything else) → info.

use crate::json::{self, opt_lenient_string};
use crate::support::Entries;
use crate::support::{non_empty_trimmed, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Clair;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    image: Option<String>,
    #[serde(default)]
    unapproved: Option<Vec<Option<String>>>,
    #[serde(default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Vulnerabilities", default, borrow)]
    klar: Option<Option<Entries<&'a RawValue>>>,
    #[serde(rename = "LayerCount", default)]
    layer_count: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(
        alias = "Name",
        alias = "vulnerability",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    name: Option<String>,
    #[serde(
        alias = "NamespaceName",
        alias = "namespace",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    namespace: Option<String>,
    #[serde(
        alias = "Description",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    description: Option<String>,
    #[serde(alias = "Link", default, deserialize_with = "opt_lenient_string")]
    link: Option<String>,
    #[serde(alias = "Severity", default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(
        alias = "FixedBy",
        alias = "fixedby",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    fixed_by: Option<String>,
    #[serde(
        alias = "FeatureName",
        alias = "featurename",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    feature: Option<String>,
    #[serde(
        alias = "FeatureVersion",
        alias = "featureversion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    feature_version: Option<String>,
}

/// Clair's severity words (table in the module docs).
fn severity_of(word: &str) -> Severity {
    match word.trim().to_ascii_lowercase().as_str() {
        "defcon1" | "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

/// Package ecosystem from a Clair namespace (`debian:10`, `alpine:v3.9`, `centos:7`).
fn ecosystem_of(namespace: &str) -> Option<&'static str> {
    let distro = namespace
        .split(':')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match distro.as_str() {
        "debian" | "ubuntu" => "deb",
        "alpine" => "apk",
        "centos" | "rhel" | "redhat" | "oracle" | "amzn" | "amazon" | "fedora" | "opensuse"
        | "suse" | "photon" => "rpm",
        _ => return None,
    })
}

impl Parser for Clair {
    fn id(&self) -> &'static str {
        "clair-json"
    }

    fn description(&self) -> &'static str {
        "Clair vulnerability reports: clair-scanner JSON and klar JSON"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["image", "unapproved", "vulnerabilities"]) {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["LayerCount", "Vulnerabilities"]) {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["vulnerabilities", "featurename", "featureversion"]) {
            return Confidence::MATCH;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let report: Report = json::from_slice(input)?;
        let mut diagnostics: Vec<Diagnostic> = Vec::new();
        let mut occurrences = Vec::new();
        if let Some(items) = report.vulnerabilities {
            let image = non_empty_trimmed(report.image);
            let approved = report.unapproved.map(|u| {
                u.into_iter()
                    .flatten()
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>()
            });
            json::each_item(
                &items,
                "/vulnerabilities",
                &mut diagnostics,
                |_, loc, v: Vuln| {
                    let whitelisted = match (&approved, v.name.as_deref()) {
                        (Some(list), Some(name)) => !list.iter().any(|u| u == name.trim()),
                        _ => false,
                    };
                    let mut occ = to_occurrence(v, loc, image.clone());
                    occ.suppressed = whitelisted;
                    occurrences.push(occ);
                },
            );
        } else if let Some(groups) = report.klar {
            for (severity, raw) in groups.unwrap_or_default().0 {
                let base = json::pointer("/Vulnerabilities", &severity);
                let items = match serde_json::from_str::<Option<Vec<&RawValue>>>(raw.get()) {
                    Ok(items) => items.unwrap_or_default(),
                    Err(_) => {
                        diagnostics.push(json::skipped(&base, "group skipped: not a list"));
                        continue;
                    }
                };
                json::each_item(&items, &base, &mut diagnostics, |_, loc, mut v: Vuln| {
                    if v.severity.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        v.severity = Some(severity.clone());
                    }
                    occurrences.push(to_occurrence(v, loc, None));
                });
            }
        } else if report.layer_count.is_none() && report.unapproved.is_none() {
            return Err(ParseError::shape(
                "not a Clair report: expected `vulnerabilities` (clair-scanner) or `Vulnerabilities` (klar)",
            ));
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("clair", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn to_occurrence(v: Vuln, locator: String, image: Option<String>) -> Occurrence {
    let id = non_empty_trimmed(v.name);
    let feature = non_empty_trimmed(v.feature);
    let rule_id = id.clone().unwrap_or_else(|| "clair".to_string());
    let title = match &feature {
        Some(f) => format!("{rule_id} in {f}"),
        None => rule_id.clone(),
    };
    let tool_severity = non_empty_trimmed(v.severity);
    let severity = tool_severity
        .as_deref()
        .map(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Container, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    if let Some(id) = &id {
        push_vuln_id(&mut occ.vulnerability_ids, id);
    }
    occ.description = non_empty_trimmed(v.description);
    occ.references = non_empty_trimmed(v.link).into_iter().collect();
    let namespace = non_empty_trimmed(v.namespace);
    occ.package = feature.map(|name| Package {
        purl: None,
        ecosystem: namespace
            .as_deref()
            .and_then(ecosystem_of)
            .map(String::from),
        name,
        version: non_empty_trimmed(v.feature_version),
        fixed_versions: non_empty_trimmed(v.fixed_by).into_iter().collect(),
    });
    occ.location = Location {
        image,
        ..Location::default()
    };
    occ
}
