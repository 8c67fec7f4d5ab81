//! OWASP Dependency-Check XML reports (`dependency-check -f XML`), schema 1.3 (2016) to 2.5,
//! with or without the `https://jeremylong.github.io/DependencyCheck/dependency-check.N.xsd`
//! namespace (names are matched without prefix).
//!
//! Shape: `<analysis><scanInfo><engineVersion/></scanInfo><dependencies><dependency>` with
//! `<fileName>`, `<filePath>`, `<identifiers>` (`<package><id>pkg:...</id></package>` in 2.x;
//! `<identifier type="maven"><name>g:a:v</name></identifier>` in 1.x), `<vulnerabilities>`
//! holding `<vulnerability>` and (2.x) `<suppressedVulnerability>`, or (1.x)
//! `<suppressedVulnerabilities>`. A vulnerability: `<name>`, `<severity>`, `<cvssV2><score>`
//! (1.x: `<cvssScore>`), `<cvssV3><baseScore>`, `<cwes><cwe>` (1.x: `<cwe>`), `<description>`,
//! `<notes>`, `<references><reference><url>`.
//!
//! Locators are XPath-style: `/analysis/dependencies/dependency[3]/vulnerabilities/vulnerability[2]`.
//! The mapping (category **sca**, severity table, suppressed items kept with `suppressed =
//! true`, package from the purl) is the JSON report's: see [`super::json`].

use super::json::{DcDependency, DcVuln, dc_occurrence};
use crate::support::non_empty_trimmed;
use crate::xml::{self, Element};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport, ToolInfo, ToolRun};

pub struct DependencyCheckXml;

fn text(e: &Element, name: &str) -> Option<String> {
    e.child_text(name).map(String::from)
}

fn score(e: Option<&Element>, names: &[&str]) -> Option<f64> {
    let e = e?;
    names
        .iter()
        .find_map(|n| e.child_text(n))
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|f| f.is_finite())
}

fn read_vuln(v: &Element, suppressed: bool) -> DcVuln {
    let v3 = v.child("cvssV3");
    let v2 = v.child("cvssV2");
    let mut cwes: Vec<String> = v
        .child("cwes")
        .map(|c| {
            c.children_named("cwe")
                .filter_map(|(_, e)| e.trimmed_text().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if let Some(c) = text(v, "cwe") {
        cwes.push(c);
    }
    let references = v
        .child("references")
        .map(|r| {
            r.children_named("reference")
                .filter_map(|(_, e)| text(e, "url"))
                .collect()
        })
        .unwrap_or_default();
    DcVuln {
        source: v.attr("source").map(String::from),
        name: text(v, "name"),
        severity: text(v, "severity"),
        v3_score: score(v3, &["baseScore"]),
        v3_severity: v3.and_then(|c| text(c, "baseSeverity")),
        v2_score: score(v2, &["score"]).or_else(|| score(Some(v), &["cvssScore"])),
        v2_severity: v2.and_then(|c| text(c, "severity")),
        cwes,
        description: text(v, "description"),
        notes: text(v, "notes"),
        references,
        suppressed,
    }
}

impl Parser for DependencyCheckXml {
    fn id(&self) -> &'static str {
        "dependency-check-xml"
    }

    fn description(&self) -> &'static str {
        "OWASP Dependency-Check XML report (schema 1.3 to 2.5)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() != Some('<') || !s.contains("<analysis") {
            return Confidence::NO;
        }
        if s.contains("DependencyCheck") || s.contains("dependency-check") {
            Confidence::CERTAIN
        } else if s.contains("<dependencies") {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let root = xml::parse(input)?;
        if root.name != "analysis" {
            return Err(ParseError::shape(format!(
                "not a Dependency-Check XML report: the root element is <{}>, expected <analysis>",
                root.name
            )));
        }
        let version = root
            .path(&["scanInfo", "engineVersion"])
            .and_then(|e| non_empty_trimmed(e.trimmed_text().map(String::from)));
        let mut occurrences = Vec::new();
        if let Some(deps) = root.child("dependencies") {
            let dbase = "/analysis/dependencies";
            for (i, d) in deps.children_named("dependency") {
                let dloc = xml::xpath(dbase, "dependency", i);
                let ids = d.child("identifiers");
                let purl = ids.and_then(|ids| {
                    ids.children_named("package")
                        .find_map(|(_, p)| text(p, "id"))
                });
                let maven_gav = ids.and_then(|ids| {
                    ids.children_named("identifier")
                        .find(|(_, e)| e.attr("type") == Some("maven"))
                        .and_then(|(_, e)| text(e, "name"))
                });
                let dep = DcDependency {
                    file_name: text(d, "fileName"),
                    file_path: text(d, "filePath"),
                    purl,
                    maven_gav,
                };
                for wrapper in ["vulnerabilities", "suppressedVulnerabilities"] {
                    let Some(w) = d.child(wrapper) else { continue };
                    let wloc = format!("{dloc}/{wrapper}");
                    for (tag, suppressed) in [
                        ("vulnerability", wrapper == "suppressedVulnerabilities"),
                        ("suppressedVulnerability", true),
                    ] {
                        for (j, v) in w.children_named(tag) {
                            let loc = xml::xpath(&wloc, tag, j);
                            occurrences.push(dc_occurrence(&dep, read_vuln(v, suppressed), loc));
                        }
                    }
                }
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("dependency-check", version),
                occurrences,
            }],
            ..ParsedReport::new(self.id())
        })
    }
}
