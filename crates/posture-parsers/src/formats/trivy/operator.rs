//! Trivy Operator reports: the custom resources the operator writes in a cluster, as exported
//! with `kubectl get <kind> -o json`.
//!
//! Shapes: one resource (`{apiVersion: aquasecurity.github.io/v1alpha1, kind, metadata,
//! report|status}`); a list (a top-level array, or `{kind: List, items[]}`); or a dict keyed by
//! the resource plural (`{"vulnerabilityreports.aquasecurity.github.io": [...], ...}`).
//!
//! Items:
//! * `VulnerabilityReport`: `report.vulnerabilities[]` → **container**. `rule_id` and the
//!   primary id = `vulnerabilityID`; package = `resource`, `installedVersion`, `fixedVersion`
//!   (comma-separated), ecosystem from `report.os.family` (deb/apk/rpm) for OS packages (empty
//!   `target`); `location.image` = `registry.server/artifact.repository:tag` (or `@digest`);
//!   CVSS from `score` (source `trivy`).
//! * `ConfigAuditReport`, `RbacAssessmentReport`, `InfraAssessmentReport` and their cluster
//!   variants: `report.checks[]` with `success: false` only → **iac**. `rule_id` = `checkID`
//!   with an `AVD-` prefix removed; a check without `checkID` (it happens) falls back to its
//!   title. Identity context = the check's `messages` (not line-dependent).
//! * `ExposedSecretReport`: `report.secrets[]` → **secret**. Trivy masks the secret in `match`
//!   and no plaintext is in the report, so there is no secret hash; the masked `match` is the
//!   identity context. `location.path` = `target`.
//! * `ClusterComplianceReport`: with a detail report, each `status.detailReport.results[]
//!   .checks[]` with `success: false` → **iac** (resource = its `target`); with only a summary,
//!   each `status.summaryReport.controlCheck[]` with `totalFail > 0` → one **iac** occurrence
//!   per failed control (`rule_id` = control id), as DefectDojo counts them.
//! * `SbomReport` and kinds Posture does not know carry no findings and are skipped.
//!
//! Every occurrence of a namespaced workload gets `location.resource` =
//! `namespace/kind/name` from the `trivy-operator.resource.*` labels (else the owner reference
//! and metadata), with `/container` appended when the report is about one container.
//!
//! Severity (`severity`): `CRITICAL` → critical, `HIGH` → high, `MEDIUM` → medium, `LOW` →
//! low, `UNKNOWN`, `NONE` and anything else → info (vulnerabilities without a word: the CVSS band
//! of `score`).

use crate::json::{self, null_default, opt_lenient_f64, opt_lenient_string, opt_lenient_u32};
use crate::support::Entries;
use crate::support::{ecosystem_of, non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity,
    ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct TrivyOperator;

#[derive(Deserialize)]
struct Crd<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default, borrow)]
    report: Option<Report<'a>>,
    #[serde(default, borrow)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    labels: BTreeMap<String, Option<String>>,
    #[serde(rename = "ownerReferences", default, deserialize_with = "null_default")]
    owners: Vec<Owner>,
}

#[derive(Deserialize)]
struct Owner {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
}

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(default)]
    artifact: Option<Artifact>,
    #[serde(default)]
    registry: Option<Registry>,
    #[serde(default)]
    os: Option<Os>,
    #[serde(default)]
    scanner: Option<Scanner>,
    #[serde(default, borrow)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    checks: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    secrets: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Artifact {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    repository: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    tag: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    digest: Option<String>,
}

#[derive(Deserialize)]
struct Registry {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    server: Option<String>,
}

#[derive(Deserialize)]
struct Os {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    family: Option<String>,
}

#[derive(Deserialize)]
struct Scanner {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(rename = "detailReport", default, borrow)]
    detail: Option<Detail<'a>>,
    #[serde(rename = "summaryReport", default, borrow)]
    summary: Option<Summary<'a>>,
}

#[derive(Deserialize)]
struct Detail<'a> {
    #[serde(default, borrow)]
    results: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Summary<'a> {
    #[serde(rename = "controlCheck", default, borrow)]
    controls: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct ControlResult<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, borrow)]
    checks: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Control {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(rename = "totalFail", default, deserialize_with = "opt_lenient_u32")]
    total_fail: Option<u32>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(
        rename = "vulnerabilityID",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    resource: Option<String>,
    #[serde(
        rename = "installedVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    installed: Option<String>,
    #[serde(
        rename = "fixedVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    fixed: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_f64")]
    score: Option<f64>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(
        rename = "primaryLink",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    primary_link: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    links: Vec<Option<String>>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    target: Option<String>,
    #[serde(rename = "pkgPath", default, deserialize_with = "opt_lenient_string")]
    pkg_path: Option<String>,
}

#[derive(Deserialize)]
struct Check {
    #[serde(rename = "checkID", default, deserialize_with = "opt_lenient_string")]
    check_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    remediation: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    category: Option<String>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    messages: Vec<Option<String>>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    target: Option<String>,
}

#[derive(Deserialize)]
struct Secret {
    #[serde(rename = "ruleID", default, deserialize_with = "opt_lenient_string")]
    rule_id: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    category: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    target: Option<String>,
    #[serde(rename = "match", default, deserialize_with = "opt_lenient_string")]
    matched: Option<String>,
}

fn severity_of(word: &str) -> Severity {
    crate::support::severity::lookup(crate::support::severity::CRITICAL_TO_LOW, word)
        .unwrap_or(Severity::Info)
}

#[derive(Default)]
struct Out {
    occurrences: Vec<Occurrence>,
    diagnostics: Vec<Diagnostic>,
    version: Option<String>,
}

impl Parser for TrivyOperator {
    fn id(&self) -> &'static str {
        "trivy-operator-json"
    }

    fn description(&self) -> &'static str {
        "Trivy Operator custom resources (VulnerabilityReport, ConfigAuditReport, ExposedSecretReport, ClusterComplianceReport...)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container, Category::Iac, Category::Secret]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !(s.is_json_object() || s.is_json_array()) || !s.contains("aquasecurity.github.io") {
            return Confidence::NO;
        }
        let crd = s.has_key("apiVersion") && s.contains("\"aquasecurity.github.io/");
        if crd || s.has_key("report") || s.contains(".aquasecurity.github.io\"") {
            Confidence::CERTAIN
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let mut out = Out::default();
        if first == Some(b'[') {
            let items: Vec<&RawValue> = json::from_slice(input)?;
            read_list(&items, "", &mut out);
        } else {
            let top: Entries<&RawValue> = json::from_slice(input)?;
            let has = |k: &str| top.0.iter().any(|(key, _)| key == k);
            if has("report") || has("status") || (has("kind") && !has("items")) {
                let raw = serde_json::from_slice::<&RawValue>(json::strip_bom(input))
                    .map_err(|e| ParseError::from_json(&e))?;
                read_crd(raw, "", &mut out);
            } else if has("items") {
                for (k, v) in &top.0 {
                    if k == "items" {
                        let items: Vec<&RawValue> =
                            serde_json::from_str::<Option<Vec<&RawValue>>>(v.get())
                                .map_err(|e| ParseError::from_json(&e))?
                                .unwrap_or_default();
                        read_list(&items, "/items", &mut out);
                    }
                }
            } else {
                let mut any = false;
                for (k, v) in &top.0 {
                    if !k.ends_with("aquasecurity.github.io") {
                        continue;
                    }
                    any = true;
                    let base = json::pointer("", k);
                    match serde_json::from_str::<Option<Vec<&RawValue>>>(v.get()) {
                        Ok(items) => read_list(&items.unwrap_or_default(), &base, &mut out),
                        Err(_) => out
                            .diagnostics
                            .push(json::skipped(&base, "not a list of reports")),
                    }
                }
                if !any {
                    return Err(ParseError::shape(
                        "not a Trivy Operator report: expected a resource with `report`/`status`, a list or `items[]` of them, or a dict keyed by `*.aquasecurity.github.io`",
                    ));
                }
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("trivy-operator", out.version),
                occurrences: out.occurrences,
            }],
            diagnostics: out.diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn read_list(items: &[&RawValue], base: &str, out: &mut Out) {
    for (i, raw) in items.iter().enumerate() {
        read_crd(raw, &json::pointer_index(base, i), out);
    }
}

fn label(m: &Metadata, key: &str) -> Option<String> {
    m.labels
        .get(key)
        .cloned()
        .flatten()
        .filter(|v| !v.trim().is_empty())
}

fn resource_of(m: &Metadata) -> Option<String> {
    let owner = m.owners.first();
    let kind = label(m, "trivy-operator.resource.kind")
        .or_else(|| owner.and_then(|o| non_empty_trimmed(o.kind.clone())));
    let name = label(m, "trivy-operator.resource.name")
        .or_else(|| owner.and_then(|o| non_empty_trimmed(o.name.clone())));
    let ns = label(m, "trivy-operator.resource.namespace")
        .or_else(|| non_empty_trimmed(m.namespace.clone()));
    let mut parts: Vec<String> = Vec::new();
    if let Some(ns) = ns {
        parts.push(ns);
    }
    match (kind, name) {
        (Some(k), Some(n)) => {
            parts.push(k);
            parts.push(n);
        }
        (None, Some(n)) => parts.push(n),
        _ => {
            if let Some(n) = non_empty_trimmed(m.name.clone()) {
                parts.push(n);
            }
        }
    }
    if let Some(c) = label(m, "trivy-operator.container.name") {
        parts.push(c);
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn read_crd(raw: &RawValue, base: &str, out: &mut Out) {
    let crd: Crd = match serde_json::from_str(raw.get()) {
        Ok(c) => c,
        Err(e) => {
            out.diagnostics.push(json::skipped(
                if base.is_empty() { "/" } else { base },
                format!("report skipped: {e}"),
            ));
            return;
        }
    };
    let meta = crd.metadata.unwrap_or_default();
    let resource = resource_of(&meta);
    let kind = crd.kind.unwrap_or_default();
    if let Some(report) = crd.report {
        if out.version.is_none() {
            out.version = report.scanner.and_then(|s| non_empty_trimmed(s.version));
        }
        let image = report.artifact.and_then(|a| {
            let repo = non_empty_trimmed(a.repository)?;
            let server = report.registry.and_then(|r| non_empty_trimmed(r.server));
            let mut s = match server {
                Some(srv) => format!("{srv}/{repo}"),
                None => repo,
            };
            if let Some(d) = non_empty_trimmed(a.digest) {
                s.push('@');
                s.push_str(&d);
            } else if let Some(t) = non_empty_trimmed(a.tag) {
                s.push(':');
                s.push_str(&t);
            }
            Some(s)
        });
        let family = report.os.and_then(|o| non_empty_trimmed(o.family));
        if let Some(items) = report.vulnerabilities {
            let vbase = format!("{base}/report/vulnerabilities");
            json::each_item(&items, &vbase, &mut out.diagnostics, |_, loc, v: Vuln| {
                out.occurrences.push(vuln_occurrence(
                    v,
                    loc,
                    image.clone(),
                    resource.clone(),
                    family.as_deref(),
                ));
            });
        }
        if let Some(items) = report.checks {
            let cbase = format!("{base}/report/checks");
            json::each_item(&items, &cbase, &mut out.diagnostics, |_, loc, c: Check| {
                if let Some(o) = check_occurrence(c, loc, resource.clone()) {
                    out.occurrences.push(o);
                }
            });
        }
        if let Some(items) = report.secrets {
            let sbase = format!("{base}/report/secrets");
            json::each_item(&items, &sbase, &mut out.diagnostics, |_, loc, s: Secret| {
                out.occurrences
                    .push(secret_occurrence(s, loc, image.clone(), resource.clone()));
            });
        }
    } else if let Some(status) = crd.status {
        if let Some(detail) = status.detail {
            let rbase = format!("{base}/status/detailReport/results");
            let mut results = Vec::new();
            json::each_item(
                &detail.results.unwrap_or_default(),
                &rbase,
                &mut out.diagnostics,
                |_, loc, r: ControlResult| results.push((loc, r)),
            );
            for (rloc, r) in results {
                let control = non_empty_trimmed(r.id);
                let cname = non_empty_trimmed(r.name);
                let cbase = format!("{rloc}/checks");
                json::each_item(
                    &r.checks.unwrap_or_default(),
                    &cbase,
                    &mut out.diagnostics,
                    |_, loc, c: Check| {
                        let target = non_empty_trimmed(c.target.clone());
                        if let Some(mut o) = check_occurrence(c, loc, target.or(resource.clone())) {
                            if let Some(ctl) = &control {
                                let note = match &cname {
                                    Some(n) => format!("Compliance control {ctl}: {n}."),
                                    None => format!("Compliance control {ctl}."),
                                };
                                o.description = Some(match o.description.take() {
                                    Some(d) => format!("{d}\n\n{note}"),
                                    None => note,
                                });
                            }
                            out.occurrences.push(o);
                        }
                    },
                );
            }
        } else if let Some(summary) = status.summary {
            let sbase = format!("{base}/status/summaryReport/controlCheck");
            json::each_item(
                &summary.controls.unwrap_or_default(),
                &sbase,
                &mut out.diagnostics,
                |_, loc, c: Control| {
                    let fails = c.total_fail.unwrap_or(0);
                    if fails == 0 {
                        return;
                    }
                    let id =
                        non_empty_trimmed(c.id).unwrap_or_else(|| "compliance-control".to_string());
                    let title = non_empty_trimmed(c.name).unwrap_or_else(|| id.clone());
                    let tool_severity = non_empty_trimmed(c.severity);
                    let sev = tool_severity
                        .as_deref()
                        .map(severity_of)
                        .unwrap_or(Severity::Info);
                    let mut o = Occurrence::new(Category::Iac, id, title, sev, loc);
                    o.tool_severity = tool_severity;
                    o.description = Some(format!("{fails} failing resource(s) in the cluster."));
                    o.location.resource = non_empty_trimmed(meta.name.clone());
                    out.occurrences.push(o);
                },
            );
        }
    } else if kind.is_empty() {
        out.diagnostics.push(json::skipped(
            if base.is_empty() { "/" } else { base },
            "not a Trivy Operator resource: no `report` or `status`",
        ));
    }
}

fn vuln_occurrence(
    v: Vuln,
    locator: String,
    image: Option<String>,
    resource: Option<String>,
    family: Option<&str>,
) -> Occurrence {
    let id = non_empty_trimmed(v.id);
    let rule_id = id
        .clone()
        .unwrap_or_else(|| "trivy-operator-vulnerability".to_string());
    let name = non_empty_trimmed(v.resource);
    let title = non_empty_trimmed(v.title).unwrap_or_else(|| match &name {
        Some(n) => format!("{rule_id} in {n}"),
        None => rule_id.clone(),
    });
    let tool_severity = non_empty_trimmed(v.severity);
    let severity = match &tool_severity {
        Some(w) => severity_of(w),
        None => v
            .score
            .and_then(Severity::from_cvss_score)
            .unwrap_or(Severity::Info),
    };
    let mut occ = Occurrence::new(Category::Container, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    if let Some(i) = &id {
        push_vuln_id(&mut occ.vulnerability_ids, i);
    }
    if let Some(s) = v.score {
        occ.cvss.push(CvssRating {
            source: "trivy".to_string(),
            vector: None,
            score: Some(s),
        });
    }
    occ.description = non_empty_trimmed(v.description);
    let mut refs = Vec::new();
    for r in v
        .primary_link
        .into_iter()
        .chain(v.links.into_iter().flatten())
    {
        push_unique(&mut refs, r);
    }
    occ.references = refs;
    let target = non_empty_trimmed(v.target);
    let os_package = target.is_none();
    occ.package = name.map(|name| Package {
        purl: None,
        ecosystem: family
            .filter(|_| os_package)
            .and_then(ecosystem_of)
            .map(String::from),
        name,
        version: non_empty_trimmed(v.installed),
        fixed_versions: v
            .fixed
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    });
    occ.location = Location {
        path: non_empty_trimmed(v.pkg_path).or(target),
        image,
        resource,
        ..Location::default()
    };
    occ
}

fn check_occurrence(c: Check, locator: String, resource: Option<String>) -> Option<Occurrence> {
    if c.success == Some(true) {
        return None;
    }
    let title = non_empty_trimmed(c.title);
    let rule_id = non_empty_trimmed(c.check_id)
        .map(|id| id.strip_prefix("AVD-").map(String::from).unwrap_or(id))
        .or_else(|| title.clone())
        .unwrap_or_else(|| "trivy-operator-check".to_string());
    let tool_severity = non_empty_trimmed(c.severity);
    let severity = tool_severity
        .as_deref()
        .map(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(
        Category::Iac,
        rule_id.clone(),
        title.unwrap_or(rule_id),
        severity,
        locator,
    );
    occ.tool_severity = tool_severity;
    let messages: Vec<String> = c
        .messages
        .into_iter()
        .flatten()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let mut parts = messages.clone();
    if let Some(d) = non_empty_trimmed(c.description)
        && !parts.contains(&d)
    {
        parts.push(d);
    }
    if let Some(r) = non_empty_trimmed(c.remediation) {
        parts.push(format!("Remediation: {r}"));
    }
    if let Some(cat) = non_empty_trimmed(c.category) {
        parts.push(format!("Category: {cat}."));
    }
    occ.description = (!parts.is_empty()).then(|| parts.join("\n\n"));
    occ.identity.context = (!messages.is_empty()).then(|| messages.join("\n"));
    occ.location.resource = resource;
    Some(occ)
}

fn secret_occurrence(
    s: Secret,
    locator: String,
    image: Option<String>,
    resource: Option<String>,
) -> Occurrence {
    let rule_id =
        non_empty_trimmed(s.rule_id).unwrap_or_else(|| "trivy-operator-secret".to_string());
    let title = non_empty_trimmed(s.title).unwrap_or_else(|| format!("Secret detected: {rule_id}"));
    let tool_severity = non_empty_trimmed(s.severity);
    let severity = tool_severity
        .as_deref()
        .map(severity_of)
        .unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Secret, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.cwes = vec![798];
    occ.description = non_empty_trimmed(s.category).map(|c| format!("Category: {c}."));
    // `match` is masked by Trivy (`****`): safe as context, never hashed.
    occ.identity.context =
        non_empty_trimmed(s.matched).map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "));
    occ.location = Location {
        path: non_empty_trimmed(s.target),
        image,
        resource,
        ..Location::default()
    };
    occ
}
