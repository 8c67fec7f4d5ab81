//! CycloneDX JSON (1.0 to 1.6, 1.7 read leniently): SBOMs, VEX documents and BOMs with
//! vulnerabilities (Grype, Trivy, osv-scanner, pip-audit, jake, Dependency-Track...).
//!
//! * `components` (nested ones too; `metadata.component`, the thing described, excluded) ->
//!   [`ParsedReport::components`], ecosystem from the purl type. A BOM with only components is
//!   a valid SBOM with zero occurrences.
//! * `vulnerabilities[]` -> occurrences of category `sca`, **one per affected component**
//!   (`affects[].ref`, a bom-ref or a BOM-Link `urn:cdx:serial/version#ref`): the engine
//!   identifies dependency issues by vulnerability + package, and one vulnerability entry may
//!   name several components. The package comes from the referenced component (purl, name,
//!   version); an unresolvable ref keeps the ref as the package name; a ref that is not a
//!   string (pip-audit writes `"ref": {}`) gives an occurrence without package and a warning.
//!   Ids: `id` first, then `references[].id` (aliases), normalized.
//! * a vulnerability with `analysis.state` is ALSO a [`VexStatement`]: `not_affected` and
//!   `false_positive` -> not_affected, `exploitable` -> affected, `resolved` and
//!   `resolved_with_pedigree` -> fixed, `in_triage` -> under_investigation; justification as
//!   written, `detail` as impact statement, `response[]` joined as action statement; products
//!   are the affected components' purls (else the refs as written).
//!
//! Severity: the highest severity word among `ratings[].severity`:
//!
//! | CycloneDX          | Posture  |
//! |--------------------|----------|
//! | critical           | critical |
//! | high               | high     |
//! | medium             | medium   |
//! | low                | low      |
//! | info, none, unknown| info     |
//!
//! With no word, the highest CVSS score (ratings whose method is CVSS or unstated) through
//! [`Severity::from_cvss_score`]; with neither, info. Ratings with a CVSS method or a vector
//! become `cvss` entries (source = the rating's source name).
//!
//! Tool: the first of `metadata.tools` (1.4 list or 1.5+ `{components: [...]}`) that is not a
//! CycloneDX library, else the first, else `cyclonedx`.

use crate::json;
use crate::support::purl_type;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Component, CvssRating, Diagnostic, Occurrence, Package, ParsedReport, Severity,
    ToolInfo, ToolRun, VexStatement, VexStatus, normalize_vuln_id,
};
use serde_json::Value;

pub struct CycloneDxJson;

/// A component, from JSON or XML.
#[derive(Debug, Clone, Default)]
pub(crate) struct CdxComponent {
    pub name: Option<String>,
    pub group: Option<String>,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub bom_ref: Option<String>,
    pub locator: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CdxRating {
    pub source: Option<String>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CdxAnalysis {
    pub state: Option<String>,
    pub justification: Option<String>,
    pub response: Vec<String>,
    pub detail: Option<String>,
    pub last_updated: Option<String>,
}

/// An `affects` entry: its locator and its ref (`None` when the ref is not a string).
#[derive(Debug, Clone)]
pub(crate) struct CdxAffect {
    pub locator: String,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CdxVuln {
    pub locator: String,
    pub id: Option<String>,
    pub source_name: Option<String>,
    pub urls: Vec<String>,
    pub aliases: Vec<String>,
    pub ratings: Vec<CdxRating>,
    pub cwes: Vec<u32>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub recommendation: Option<String>,
    pub affects: Vec<CdxAffect>,
    /// Legacy XML extension: the vulnerability sits inside this component (index).
    pub parent: Option<usize>,
    pub analysis: Option<CdxAnalysis>,
}

#[derive(Debug, Default)]
pub(crate) struct CdxDoc {
    pub tool: Option<(String, Option<String>)>,
    pub metadata_component: Option<CdxComponent>,
    pub components: Vec<CdxComponent>,
    pub vulns: Vec<CdxVuln>,
}

/// Picks the tool from `(name, version)` pairs in document order.
pub(crate) fn pick_tool(tools: Vec<(String, Option<String>)>) -> Option<(String, Option<String>)> {
    let clean = |(n, v): (String, Option<String>)| {
        let v = v.filter(|v| !v.trim().is_empty() && !v.starts_with('['));
        (n, v)
    };
    let first = tools.first().cloned();
    tools
        .into_iter()
        .find(|(n, _)| !n.to_ascii_lowercase().starts_with("cyclonedx"))
        .or(first)
        .map(clean)
}

fn package_name(c: &CdxComponent, ecosystem: Option<&str>) -> Option<String> {
    let name = c.name.clone()?;
    Some(match (&c.group, ecosystem) {
        (Some(g), Some("maven")) => format!("{g}:{name}"),
        (Some(g), _) if !g.is_empty() => format!("{g}/{name}"),
        _ => name,
    })
}

impl CdxComponent {
    fn to_component(&self) -> Option<Component> {
        let ecosystem = self.purl.as_deref().and_then(purl_type);
        Some(Component {
            name: package_name(self, ecosystem.as_deref())?,
            version: self.version.clone(),
            purl: self.purl.clone(),
            ecosystem,
            locator: self.locator.clone(),
        })
    }

    fn to_package(&self) -> Option<Package> {
        let ecosystem = self.purl.as_deref().and_then(purl_type);
        Some(Package {
            purl: self.purl.clone(),
            name: package_name(self, ecosystem.as_deref())?,
            version: self.version.clone(),
            ecosystem,
            fixed_versions: Vec::new(),
        })
    }
}

/// The fragment of a BOM-Link (`urn:cdx:serial/1#ref` -> `ref`), else the ref itself.
fn local_ref(r: &str) -> &str {
    if r.starts_with("urn:cdx:") {
        r.split_once('#').map(|(_, f)| f).unwrap_or(r)
    } else {
        r
    }
}

fn vex_status(state: &str) -> Option<VexStatus> {
    Some(match state.trim().to_ascii_lowercase().as_str() {
        "not_affected" | "false_positive" => VexStatus::NotAffected,
        "exploitable" => VexStatus::Affected,
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "in_triage" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

fn is_cvss(method: Option<&str>) -> bool {
    method.is_none_or(|m| m.to_ascii_lowercase().starts_with("cvss"))
}

fn severity_of(v: &CdxVuln) -> (Severity, Option<String>) {
    let mut best: Option<(Severity, String)> = None;
    for r in &v.ratings {
        if let Some(w) = r.severity.as_deref()
            && let Some(s) = Severity::from_common_word(w)
            && best.as_ref().is_none_or(|(b, _)| s > *b)
        {
            best = Some((s, w.to_string()));
        }
    }
    if let Some((s, w)) = best {
        return (s, Some(w));
    }
    let score = v
        .ratings
        .iter()
        .filter(|r| is_cvss(r.method.as_deref()))
        .filter_map(|r| r.score)
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    match score.and_then(|s| Severity::from_cvss_score(s).map(|sev| (sev, s))) {
        Some((sev, s)) => (sev, Some(s.to_string())),
        None => (Severity::Info, None),
    }
}

/// Turns a read document into the report.
pub(crate) fn build_report(
    format: &str,
    doc: CdxDoc,
    mut diagnostics: Vec<Diagnostic>,
) -> ParsedReport {
    let mut components = Vec::new();
    for c in &doc.components {
        match c.to_component() {
            Some(comp) => components.push(comp),
            None => diagnostics.push(json::skipped(&c.locator, "component skipped: no name")),
        }
    }
    let resolve = |r: &str| -> Option<&CdxComponent> {
        let local = local_ref(r);
        doc.components
            .iter()
            .chain(doc.metadata_component.iter())
            .find(|c| {
                c.bom_ref.as_deref().is_some_and(|b| b == r || b == local)
                    || c.purl.as_deref().is_some_and(|p| p == r)
            })
    };
    let mut occurrences = Vec::new();
    let mut vex = Vec::new();
    let mut non_string_refs: Vec<String> = Vec::new();
    for v in &doc.vulns {
        let Some(id) = v.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) else {
            diagnostics.push(json::skipped(&v.locator, "vulnerability skipped: no id"));
            continue;
        };
        let primary = normalize_vuln_id(id);
        let mut ids = vec![primary.clone()];
        for a in &v.aliases {
            let a = normalize_vuln_id(a);
            if !a.is_empty() && !ids.contains(&a) {
                ids.push(a);
            }
        }
        let (severity, tool_severity) = severity_of(v);
        let cvss: Vec<CvssRating> = v
            .ratings
            .iter()
            .filter(|r| r.vector.is_some() || (r.method.is_some() && is_cvss(r.method.as_deref())))
            .filter(|r| r.vector.is_some() || r.score.is_some())
            .map(|r| CvssRating {
                source: r
                    .source
                    .clone()
                    .or_else(|| v.source_name.clone())
                    .unwrap_or_else(|| "cyclonedx".to_string())
                    .to_ascii_lowercase(),
                vector: r.vector.clone(),
                score: r.score,
            })
            .collect();
        let mut description = v
            .description
            .clone()
            .or_else(|| v.detail.clone())
            .unwrap_or_default();
        if let Some(rec) = &v.recommendation {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str("Recommendation: ");
            description.push_str(rec);
        }
        // (locator, package, product) per affected component
        let mut places: Vec<(String, Option<Package>, Option<String>)> = Vec::new();
        if let Some(pi) = v.parent {
            let c = doc.components.get(pi);
            places.push((
                v.locator.clone(),
                c.and_then(CdxComponent::to_package),
                c.and_then(|c| c.purl.clone().or_else(|| c.bom_ref.clone())),
            ));
        } else {
            let many = v.affects.len() > 1;
            for a in &v.affects {
                let loc = if many {
                    a.locator.clone()
                } else {
                    v.locator.clone()
                };
                match &a.reference {
                    Some(r) => {
                        let (pkg, product) = match resolve(r) {
                            Some(c) => {
                                (c.to_package(), c.purl.clone().unwrap_or_else(|| r.clone()))
                            }
                            None if r.starts_with("pkg:") => (
                                Some(Package {
                                    purl: Some(r.clone()),
                                    ecosystem: purl_type(r),
                                    name: r.clone(),
                                    ..Package::default()
                                }),
                                r.clone(),
                            ),
                            None => (
                                Some(Package {
                                    name: local_ref(r).to_string(),
                                    ..Package::default()
                                }),
                                r.clone(),
                            ),
                        };
                        places.push((loc, pkg, Some(product)));
                    }
                    None => {
                        non_string_refs.push(a.locator.clone());
                        places.push((loc, None, None));
                    }
                }
            }
            if v.affects.is_empty() {
                places.push((v.locator.clone(), None, None));
            }
        }
        for (loc, pkg, _) in &places {
            let title = match pkg {
                Some(p) => format!("{primary} in {}", p.name),
                None => primary.clone(),
            };
            let mut occ = Occurrence::new(Category::Sca, primary.clone(), title, severity, loc);
            occ.tool_severity = tool_severity.clone();
            occ.description = Some(description.clone()).filter(|d| !d.is_empty());
            occ.vulnerability_ids = ids.clone();
            occ.cwes = json::tidy_cwes(v.cwes.clone());
            occ.cvss = cvss.clone();
            occ.references = v.urls.clone();
            occ.package = pkg.clone();
            occurrences.push(occ);
        }
        if let Some(an) = &v.analysis
            && let Some(state) = an.state.as_deref()
        {
            match vex_status(state) {
                Some(status) => {
                    let mut products: Vec<String> = Vec::new();
                    for p in places.iter().filter_map(|p| p.2.clone()) {
                        if !products.contains(&p) {
                            products.push(p);
                        }
                    }
                    vex.push(VexStatement {
                        vulnerability_ids: ids.clone(),
                        products,
                        status,
                        justification: an.justification.clone(),
                        impact_statement: an.detail.clone(),
                        action_statement: (!an.response.is_empty()).then(|| an.response.join(", ")),
                        timestamp: an.last_updated.clone(),
                        locator: v.locator.clone(),
                    });
                }
                None => diagnostics.push(json::warning(
                    &v.locator,
                    format!("unknown analysis.state `{state}`: no VEX statement"),
                )),
            }
        }
    }
    if let Some(first) = non_string_refs.first() {
        diagnostics.push(json::warning(
            first,
            format!(
                "{} affects ref(s) are not strings (pip-audit writes `\"ref\": {{}}`): those occurrences have no package",
                non_string_refs.len()
            ),
        ));
    }
    let (name, version) = doc.tool.unwrap_or_else(|| ("cyclonedx".to_string(), None));
    ParsedReport {
        format: format.to_string(),
        runs: vec![ToolRun {
            tool: ToolInfo::new(name, version),
            occurrences,
        }],
        diagnostics,
        vex,
        components,
    }
}

// ---- JSON reading ----

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn read_component(v: &Value, locator: String, out: &mut Vec<CdxComponent>, depth: usize) {
    if !v.is_object() {
        return;
    }
    out.push(CdxComponent {
        name: s(v, "name"),
        group: s(v, "group"),
        version: s(v, "version"),
        purl: s(v, "purl"),
        bom_ref: s(v, "bom-ref"),
        locator: locator.clone(),
    });
    if depth < 64 {
        for (i, c) in arr(v, "components").iter().enumerate() {
            let l = json::pointer_index(&format!("{locator}/components"), i);
            read_component(c, l, out, depth + 1);
        }
    }
}

fn read_vuln(v: &Value, locator: String) -> CdxVuln {
    let mut urls = Vec::new();
    let mut push_url = |u: Option<String>| {
        if let Some(u) = u
            && !urls.contains(&u)
        {
            urls.push(u);
        }
    };
    let source = v.get("source");
    push_url(source.and_then(|s2| s(s2, "url")));
    for a in arr(v, "advisories") {
        push_url(s(a, "url"));
    }
    let aliases = arr(v, "references")
        .iter()
        .filter_map(|r| s(r, "id"))
        .collect();
    let ratings = arr(v, "ratings")
        .iter()
        .map(|r| CdxRating {
            source: r.get("source").and_then(|x| s(x, "name")),
            score: r.get("score").and_then(|x| match x {
                Value::Number(n) => n.as_f64(),
                Value::String(t) => t.trim().parse().ok(),
                _ => None,
            }),
            severity: s(r, "severity"),
            method: s(r, "method"),
            vector: s(r, "vector"),
        })
        .collect();
    let cwes = arr(v, "cwes")
        .iter()
        .filter_map(|c| match c {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(t) => json::parse_cwe(t),
            _ => None,
        })
        .collect();
    let affects = arr(v, "affects")
        .iter()
        .enumerate()
        .map(|(i, a)| CdxAffect {
            locator: json::pointer_index(&format!("{locator}/affects"), i),
            reference: s(a, "ref"),
        })
        .collect();
    let analysis = v
        .get("analysis")
        .filter(|a| a.is_object())
        .map(|a| CdxAnalysis {
            state: s(a, "state"),
            justification: s(a, "justification"),
            response: arr(a, "response")
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
            detail: s(a, "detail"),
            last_updated: s(a, "lastUpdated"),
        });
    CdxVuln {
        locator,
        id: s(v, "id"),
        source_name: source.and_then(|x| s(x, "name")),
        urls,
        aliases,
        ratings,
        cwes,
        description: s(v, "description"),
        detail: s(v, "detail"),
        recommendation: s(v, "recommendation"),
        affects,
        parent: None,
        analysis,
    }
}

fn read_tools(meta: &Value) -> Option<(String, Option<String>)> {
    let tools = meta.get("tools")?;
    let list: &[Value] = match tools {
        Value::Array(a) => a,
        Value::Object(_) => arr(tools, "components"),
        _ => &[],
    };
    pick_tool(
        list.iter()
            .filter_map(|t| Some((s(t, "name")?, s(t, "version"))))
            .collect(),
    )
}

impl Parser for CycloneDxJson {
    fn id(&self) -> &'static str {
        "cyclonedx-json"
    }

    fn description(&self) -> &'static str {
        "CycloneDX JSON 1.0-1.6 (SBOM components, vulnerabilities, VEX analysis)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_key("bomFormat") && s.contains("CycloneDX") {
            Confidence::CERTAIN
        } else if s.has_key("specVersion") && s.contains("cyclonedx.org/schema") {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Value = json::from_slice(input)?;
        let is_cdx = doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
            || (doc.get("specVersion").is_some()
                && (doc.get("components").is_some()
                    || doc.get("vulnerabilities").is_some()
                    || doc.get("metadata").is_some()));
        if !doc.is_object() || !is_cdx {
            return Err(ParseError::shape(
                "expected a CycloneDX JSON document (`bomFormat: \"CycloneDX\"`)",
            ));
        }
        let mut diagnostics = Vec::new();
        let meta = doc.get("metadata");
        let mut cdx = CdxDoc {
            tool: meta.and_then(read_tools),
            ..CdxDoc::default()
        };
        if let Some(mc) = meta.and_then(|m| m.get("component")) {
            let mut v = Vec::new();
            read_component(mc, "/metadata/component".into(), &mut v, 64);
            cdx.metadata_component = v.into_iter().next();
        }
        for (i, c) in arr(&doc, "components").iter().enumerate() {
            let loc = json::pointer_index("/components", i);
            if !c.is_object() {
                diagnostics.push(json::skipped(&loc, "component skipped: not an object"));
                continue;
            }
            read_component(c, loc, &mut cdx.components, 0);
        }
        for (i, v) in arr(&doc, "vulnerabilities").iter().enumerate() {
            let loc = json::pointer_index("/vulnerabilities", i);
            if !v.is_object() {
                diagnostics.push(json::skipped(&loc, "vulnerability skipped: not an object"));
                continue;
            }
            cdx.vulns.push(read_vuln(v, loc));
        }
        Ok(build_report(self.id(), cdx, diagnostics))
    }
}
