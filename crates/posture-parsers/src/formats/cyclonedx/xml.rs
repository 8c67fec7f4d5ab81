//! CycloneDX XML (1.0 to 1.6): the same reading as [`super::json`] (components,
//! vulnerabilities -> one `sca` occurrence per affected component, `analysis` -> VEX
//! statements, same severity table and tool choice), from the XML form.
//!
//! Also read: the legacy vulnerability extension `http://cyclonedx.org/schema/ext/vulnerability/1.0`
//! (`<v:vulnerabilities>`), which grype 0.7-0.11 and others wrote in CycloneDX 1.2 XML, either
//! inside a `<component>` (the affected component is that component) or at the BOM level with
//! a `ref` attribute naming the component. Its `v:ratings/v:rating/v:score/v:base` is the
//! CVSS score. Locators are XPath-style with prefixes dropped
//! (`/bom/components/component[3]/vulnerabilities/vulnerability[1]`).

use super::json::{
    CdxAffect, CdxAnalysis, CdxComponent, CdxDoc, CdxRating, CdxVuln, build_report, pick_tool,
};
use crate::json;
use crate::xml::{self, Element};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport};

pub struct CycloneDxXml;

fn text(el: &Element, name: &str) -> Option<String> {
    el.child_text(name).map(str::to_string)
}

fn read_components(
    list: &Element,
    base: &str,
    out: &mut Vec<CdxComponent>,
    vulns: &mut Vec<CdxVuln>,
    depth: usize,
) {
    for (i, c) in list.children_named("component") {
        let loc = xml::xpath(base, "component", i);
        let index = out.len();
        out.push(CdxComponent {
            name: text(c, "name"),
            group: text(c, "group"),
            version: text(c, "version"),
            purl: text(c, "purl"),
            bom_ref: c.attr("bom-ref").map(str::to_string),
            locator: loc.clone(),
        });
        // legacy extension: vulnerabilities inside the component
        if let Some(vs) = c.child("vulnerabilities") {
            let vbase = format!("{loc}/vulnerabilities");
            for (vi, v) in vs.children_named("vulnerability") {
                let mut vuln = read_vuln(v, xml::xpath(&vbase, "vulnerability", vi));
                vuln.parent = Some(index);
                vuln.affects.clear();
                vulns.push(vuln);
            }
        }
        if depth < 64
            && let Some(nested) = c.child("components")
        {
            read_components(nested, &format!("{loc}/components"), out, vulns, depth + 1);
        }
    }
}

fn read_vuln(v: &Element, locator: String) -> CdxVuln {
    let mut urls: Vec<String> = Vec::new();
    let mut push_url = |u: Option<String>| {
        if let Some(u) = u
            && !urls.contains(&u)
        {
            urls.push(u);
        }
    };
    let source = v.child("source");
    push_url(source.and_then(|s| text(s, "url")));
    if let Some(adv) = v.child("advisories") {
        for (_, a) in adv.children_named("advisory") {
            push_url(text(a, "url").or_else(|| a.trimmed_text().map(str::to_string)));
        }
    }
    let aliases = v
        .child("references")
        .map(|r| {
            r.children_named("reference")
                .filter_map(|(_, x)| text(x, "id"))
                .collect()
        })
        .unwrap_or_default();
    let ratings = v
        .child("ratings")
        .map(|r| {
            r.children_named("rating")
                .map(|(_, x)| {
                    let score_el = x.child("score");
                    let score = score_el.and_then(|s| {
                        s.trimmed_text()
                            .or_else(|| s.child_text("base"))
                            .and_then(|t| t.parse::<f64>().ok())
                            .filter(|f| f.is_finite())
                    });
                    CdxRating {
                        source: x.child("source").and_then(|s| {
                            text(s, "name").or_else(|| s.attr("name").map(str::to_string))
                        }),
                        score,
                        severity: text(x, "severity"),
                        method: text(x, "method"),
                        vector: text(x, "vector"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let cwes = v
        .child("cwes")
        .map(|c| {
            c.children_named("cwe")
                .filter_map(|(_, x)| x.trimmed_text().and_then(json::parse_cwe))
                .collect()
        })
        .unwrap_or_default();
    let recommendation = text(v, "recommendation").or_else(|| {
        v.child("recommendations").map(|r| {
            r.children_named("recommendation")
                .filter_map(|(_, x)| x.trimmed_text())
                .collect::<Vec<_>>()
                .join("\n")
        })
    });
    let mut affects = Vec::new();
    if let Some(a) = v.child("affects") {
        for (ti, t) in a.children_named("target") {
            affects.push(CdxAffect {
                locator: xml::xpath(&format!("{locator}/affects"), "target", ti),
                reference: text(t, "ref"),
            });
        }
    }
    if affects.is_empty()
        && let Some(r) = v.attr("ref")
    {
        // legacy extension at BOM level: the vulnerability's `ref` names the component
        affects.push(CdxAffect {
            locator: locator.clone(),
            reference: Some(r.to_string()),
        });
    }
    let analysis = v.child("analysis").map(|a| CdxAnalysis {
        state: text(a, "state"),
        justification: text(a, "justification"),
        response: a
            .child("responses")
            .map(|r| {
                r.children_named("response")
                    .filter_map(|(_, x)| x.trimmed_text().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        detail: text(a, "detail"),
        last_updated: text(a, "lastUpdated"),
    });
    CdxVuln {
        locator,
        id: text(v, "id"),
        source_name: source
            .and_then(|s| text(s, "name").or_else(|| s.attr("name").map(str::to_string))),
        urls,
        aliases,
        ratings,
        cwes,
        description: text(v, "description"),
        detail: text(v, "detail"),
        recommendation: recommendation.filter(|r| !r.is_empty()),
        affects,
        parent: None,
        analysis,
    }
}

fn read_tools(meta: &Element) -> Option<(String, Option<String>)> {
    let tools = meta.child("tools")?;
    let mut list: Vec<(String, Option<String>)> = tools
        .children_named("tool")
        .filter_map(|(_, t)| Some((text(t, "name")?, text(t, "version"))))
        .collect();
    if let Some(comps) = tools.child("components") {
        list.extend(
            comps
                .children_named("component")
                .filter_map(|(_, t)| Some((text(t, "name")?, text(t, "version")))),
        );
    }
    pick_tool(list)
}

impl Parser for CycloneDxXml {
    fn id(&self) -> &'static str {
        "cyclonedx-xml"
    }

    fn description(&self) -> &'static str {
        "CycloneDX XML 1.0-1.6 (SBOM components, vulnerabilities incl. the legacy v: extension, VEX analysis)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() == Some('<')
            && s.contains("<bom")
            && s.contains("cyclonedx.org/schema/bom")
        {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let root = xml::parse(input)?;
        if root.name != "bom" {
            return Err(ParseError::shape(format!(
                "expected a CycloneDX XML document (root <bom>), found <{}>",
                root.name
            )));
        }
        let mut cdx = CdxDoc::default();
        if let Some(meta) = root.child("metadata") {
            cdx.tool = read_tools(meta);
            if let Some(mc) = meta.child("component") {
                cdx.metadata_component = Some(CdxComponent {
                    name: text(mc, "name"),
                    group: text(mc, "group"),
                    version: text(mc, "version"),
                    purl: text(mc, "purl"),
                    bom_ref: mc.attr("bom-ref").map(str::to_string),
                    locator: "/bom/metadata/component".into(),
                });
            }
        }
        let mut vulns = Vec::new();
        if let Some(list) = root.child("components") {
            read_components(list, "/bom/components", &mut cdx.components, &mut vulns, 0);
        }
        if let Some(list) = root.child("vulnerabilities") {
            for (i, v) in list.children_named("vulnerability") {
                vulns.push(read_vuln(
                    v,
                    xml::xpath("/bom/vulnerabilities", "vulnerability", i),
                ));
            }
        }
        cdx.vulns = vulns;
        Ok(build_report(self.id(), cdx, Vec::new()))
    }
}
