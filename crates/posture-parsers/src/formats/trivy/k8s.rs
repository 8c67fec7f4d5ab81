//! The `trivy k8s --format json` report (a cluster scan), which `trivy-json` refuses.
//!
//! Shapes:
//! * current (Trivy ≥ 0.38 or so): `{ClusterName, Resources[]}`; each resource is `{Namespace,
//!   Kind, Name, Metadata?, Results[], Error?}`;
//! * 2022-era (≈ 0.27-0.37): `{ClusterName, Vulnerabilities[], Misconfigurations[]}`, two lists
//!   of the same resource objects (a workload appears in both lists);
//! * empty: a cluster with nothing found has empty or missing lists (or `Results: null`).
//!
//! Each resource's `Results[]` are Trivy JSON results and go through the very conversion of
//! `trivy-json` (same severity table, ids, CVSS, package, check ids, `PASS` skipped,
//! `EXCEPTION` suppressed, masked secrets never hashed):
//! * `Vulnerabilities[]` → **container** (a cluster's packages live in its workloads' images):
//!   `location.image` = the image of the result (the OS result's `Target` without its
//!   ` (debian 10.4)` suffix; a language result takes the image of the OS result before it in
//!   the same resource, else the resource's `Metadata.RepoTags[0]`), `path` = `PkgPath` or the
//!   lockfile target.
//! * `Misconfigurations[]` → **iac**; the result `Target` (`Deployment/redis`) names the object,
//!   not a file, so `path` and `image` are cleared and the resource carries the location.
//! * `Secrets[]` → **secret** (inside an image; no hash, the masked match is the context).
//!
//! Every occurrence gets `location.resource` = `namespace/kind/name` of its resource (`kind/name`
//! for cluster-scoped objects). A resource with an `Error` (Trivy could not scan it) gives a
//! Warning diagnostic; its results, if any, are still read.
//!
//! Severity (Trivy's words, as in `trivy-json`): `CRITICAL` → critical, `HIGH` → high, `MEDIUM` →
//! medium, `LOW` → low, `UNKNOWN` and anything else → info (a vulnerability without a word: the
//! CVSS band of its best rating).
//!
//! Locators: `/Resources/3/Results/0/Vulnerabilities/7` (or `/Vulnerabilities/1/Results/...`,
//! `/Misconfigurations/2/Results/...` in the 2022 shape). Nothing is collapsed: the 2022
//! shape's duplicated resources stay duplicated occurrences (the engine's identity merges them).

use super::json::{Ctx, TResult, emit, legacy_image, parse_results};
use crate::json::{self, null_default, opt_lenient_string};
use crate::support::non_empty_trimmed;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport, ToolInfo, ToolRun};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

pub struct TrivyK8s;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(rename = "ClusterName", default)]
    cluster_name: Option<IgnoredAny>,
    #[serde(rename = "Resources", default, borrow)]
    resources: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Vulnerabilities", default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Misconfigurations", default, borrow)]
    misconfigurations: Option<Vec<&'a RawValue>>,
    #[serde(rename = "Trivy", default)]
    trivy: Option<TrivyMeta>,
}

#[derive(Deserialize)]
struct TrivyMeta {
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(rename = "Namespace", default, deserialize_with = "opt_lenient_string")]
    namespace: Option<String>,
    #[serde(rename = "Kind", default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(rename = "Name", default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(rename = "Metadata", default)]
    metadata: Option<ImageMeta>,
    #[serde(rename = "Results", default, deserialize_with = "null_default", borrow)]
    results: Vec<&'a RawValue>,
    #[serde(rename = "Error", default, deserialize_with = "opt_lenient_string")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ImageMeta {
    #[serde(rename = "RepoTags", default, deserialize_with = "null_default")]
    repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests", default, deserialize_with = "null_default")]
    repo_digests: Vec<String>,
}

impl Parser for TrivyK8s {
    fn id(&self) -> &'static str {
        "trivy-k8s-json"
    }

    fn description(&self) -> &'static str {
        "Trivy Kubernetes cluster report (trivy k8s --format json): Resources[] or Vulnerabilities[]/Misconfigurations[]"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container, Category::Iac, Category::Secret]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("ClusterName") {
            return Confidence::NO;
        }
        if s.has_key("apiVersion") || s.has_key("bomFormat") || s.has_key("spdxVersion") {
            return Confidence::NO;
        }
        let lists = s.has_key("Resources")
            || s.has_key("Vulnerabilities")
            || s.has_key("Misconfigurations");
        if lists && (s.has_keys(&["Namespace", "Kind"]) || s.has_key("Results")) {
            Confidence::CERTAIN
        } else if lists {
            Confidence::MATCH
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let _: IgnoredAny = json::from_slice(input)?;
            return Err(ParseError::shape(
                "not a trivy k8s report: expected an object with ClusterName and Resources[]",
            ));
        }
        let report: Report = json::from_slice(input)?;
        if report.cluster_name.is_none() {
            return Err(ParseError::shape(
                "not a trivy k8s report: expected ClusterName with Resources[] (or the older \
                 Vulnerabilities[]/Misconfigurations[] lists)",
            ));
        }
        let version = report
            .trivy
            .and_then(|t| t.version)
            .filter(|v| !v.trim().is_empty() && v.trim() != "dev");
        let mut ctx = Ctx::default();
        for (key, list) in [
            ("/Resources", report.resources),
            ("/Vulnerabilities", report.vulnerabilities),
            ("/Misconfigurations", report.misconfigurations),
        ] {
            let items = list.unwrap_or_default();
            let mut resources = Vec::with_capacity(items.len());
            json::each_item(&items, key, &mut ctx.diagnostics, |_, loc, r: Resource| {
                resources.push((loc, r));
            });
            for (loc, r) in resources {
                read_resource(r, &loc, &mut ctx);
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

fn read_resource(r: Resource<'_>, base: &str, ctx: &mut Ctx) {
    let resource = resource_name(&r);
    if let Some(err) = non_empty_trimmed(r.error) {
        ctx.diagnostics.push(json::warning(
            base,
            format!(
                "trivy could not scan {}: {err}",
                resource.as_deref().unwrap_or("a resource")
            ),
        ));
    }
    let meta_image = r.metadata.and_then(|m| {
        m.repo_tags
            .into_iter()
            .chain(m.repo_digests)
            .find(|t| !t.trim().is_empty())
    });
    let rbase = format!("{base}/Results");
    let results: Vec<(usize, TResult<'_>)> = parse_results(r.results, &rbase, ctx);
    let mut current: Option<String> = None;
    for (i, result) in results {
        let single = vec![(i, result)];
        if let Some(os_image) = legacy_image(&single) {
            current = os_image;
        }
        ctx.image = Some(current.clone().or_else(|| meta_image.clone()));
        let start = ctx.occurrences.len();
        emit(single, &rbase, ctx);
        for occ in ctx.occurrences.iter_mut().skip(start) {
            if occ.category == Category::Iac {
                occ.location.path = None;
                occ.location.image = None;
            }
            occ.location.resource = resource.clone();
        }
    }
}

/// `namespace/kind/name`, without the namespace for cluster-scoped objects.
fn resource_name(r: &Resource<'_>) -> Option<String> {
    let parts: Vec<String> = [&r.namespace, &r.kind, &r.name]
        .into_iter()
        .filter_map(|p| non_empty_trimmed(p.clone()))
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}
