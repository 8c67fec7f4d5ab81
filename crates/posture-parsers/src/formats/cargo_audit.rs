//! cargo-audit JSON reports (`cargo audit --json`), 2021 to today.
//!
//! Shape: `{database, lockfile, settings, vulnerabilities{found, count, list[{advisory{id,
//! package, title, description, aliases, related, cvss, informational, url, references},
//! versions{patched, unaffected}, affected, package{name, version, source}}]},
//! warnings{unmaintained[], unsound[], yanked[], notice[]...}}`. `warnings` is `{}` when
//! empty; `cvss` is `null` or a CVSS vector string. Empty: `"found": false, "list": []`.
//!
//! Items:
//! * one occurrence per `vulnerabilities.list[]` entry (locator `/vulnerabilities/list/N`);
//! * one occurrence per warning (locator `/warnings/<kind>/N`): an unmaintained, unsound or
//!   yanked crate is a supply-chain risk the team tracks, at a low severity (table below).
//!   DefectDojo reads only `vulnerabilities.list`, so Posture counts more: `many_findings.json`
//!   has 4 vulnerabilities and 9 warnings (3 unmaintained, 6 yanked): 13 occurrences.
//!
//! Identity: `vulnerability_ids` = the RUSTSEC id, then `aliases[]` (CVE, GHSA), normalized.
//! `rule_id` = the RUSTSEC id (a yanked crate without advisory: `yanked`). Package: ecosystem
//! `cargo`, name, version, fixed versions = the bounds of `versions.patched` entries of the
//! form `>=X` (`^1.2` and other requirements are kept in the description), purl
//! `pkg:cargo/<name>@<version>` for crates from crates.io.
//!
//! Severity: vulnerabilities → **medium**: cargo-audit gives a CVSS vector (kept in `cvss`,
//! source `rustsec`) but no score, and Posture does not compute scores from vectors yet; the
//! vector is kept in `tool_severity`. Warnings: `unsound` → low; `unmaintained`, `yanked`,
//! `notice` and any other kind → info.

use crate::json::{self, null_default, opt_lenient_string};
use crate::support::fixed_from_patched;
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct CargoAudit;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(default, borrow)]
    vulnerabilities: Option<Vulns<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    warnings: BTreeMap<String, Option<Vec<&'a RawValue>>>,
}

#[derive(Deserialize)]
struct Vulns<'a> {
    #[serde(default, borrow, deserialize_with = "null_default")]
    list: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    advisory: Option<Advisory>,
    #[serde(default)]
    versions: Option<Versions>,
    package: CratePackage,
}

#[derive(Deserialize)]
struct Advisory {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    references: Vec<String>,
}

#[derive(Deserialize)]
struct Versions {
    #[serde(default, deserialize_with = "null_default")]
    patched: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    unaffected: Vec<String>,
}

#[derive(Deserialize)]
struct CratePackage {
    name: String,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

impl Parser for CargoAudit {
    fn id(&self) -> &'static str {
        "cargo-audit-json"
    }

    fn description(&self) -> &'static str {
        "cargo-audit JSON report (vulnerabilities and warnings)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["vulnerabilities", "found", "list"])
            && (s.has_key("lockfile") || s.has_key("advisory-count"))
        {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Doc = json::from_slice(input)?;
        let Some(vulns) = doc.vulnerabilities else {
            return Err(ParseError::shape(
                "not a cargo-audit JSON report: expected `vulnerabilities{found, list}`",
            ));
        };
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        let diags = &mut report.diagnostics;
        for (i, raw) in vulns.list.iter().enumerate() {
            let loc = json::pointer_index("/vulnerabilities/list", i);
            if let Some(e) = item::<Entry>(raw, &loc, diags) {
                occurrences.push(to_occurrence(e, None, loc));
            }
        }
        for (kind, list) in &doc.warnings {
            let base = json::pointer("/warnings", kind);
            for (i, raw) in list.iter().flatten().enumerate() {
                let loc = json::pointer_index(&base, i);
                if let Some(e) = item::<Entry>(raw, &loc, diags) {
                    let k = non_empty_trimmed(e.kind.clone()).unwrap_or_else(|| kind.clone());
                    occurrences.push(to_occurrence(e, Some(k), loc));
                }
            }
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("cargo-audit", None),
            occurrences,
        });
        Ok(report)
    }
}

fn to_occurrence(e: Entry, warning: Option<String>, locator: String) -> Occurrence {
    let name = e.package.name.trim().to_string();
    let version = non_empty_trimmed(e.package.version.clone());
    let mut ids = Vec::new();
    if let Some(a) = &e.advisory {
        push_vuln_id(&mut ids, &a.id);
        for al in &a.aliases {
            push_vuln_id(&mut ids, al);
        }
    }
    let rule_id = match (&e.advisory, &warning) {
        (Some(a), _) => a.id.trim().to_string(),
        (None, Some(k)) => k.clone(),
        (None, None) => "cargo-audit".to_string(),
    };
    let ver = version.as_deref().unwrap_or("");
    let title = match (&e.advisory, &warning) {
        (Some(a), _) if a.title.as_deref().is_some_and(|t| !t.trim().is_empty()) => {
            a.title.as_deref().unwrap_or_default().trim().to_string()
        }
        (_, Some(k)) => format!("{name} {ver} is {k}").replace("  ", " "),
        _ => format!("{rule_id} in {name}"),
    };
    let (severity, tool_sev) = match warning.as_deref() {
        Some("unsound") => (Severity::Low, warning.clone()),
        Some(_) => (Severity::Info, warning.clone()),
        None => (
            Severity::Medium,
            e.advisory
                .as_ref()
                .and_then(|a| non_empty_trimmed(a.cvss.clone())),
        ),
    };
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, locator);
    occ.tool_severity = tool_sev;
    occ.vulnerability_ids = ids;
    let mut desc = Vec::new();
    if let Some(a) = &e.advisory {
        if let Some(d) = non_empty_trimmed(a.description.clone()) {
            desc.push(d);
        }
        if let Some(v) = non_empty_trimmed(a.cvss.clone()) {
            occ.cvss.push(CvssRating {
                source: "rustsec".to_string(),
                vector: Some(v),
                score: None,
            });
        }
        if let Some(u) = non_empty_trimmed(a.url.clone()) {
            push_unique(&mut occ.references, u);
        }
        for r in &a.references {
            push_unique(&mut occ.references, r.clone());
        }
    }
    let mut fixed = Vec::new();
    if let Some(v) = &e.versions {
        for p in &v.patched {
            if let Some(f) = fixed_from_patched(p) {
                push_unique(&mut fixed, f);
            }
        }
        if !v.patched.is_empty() {
            desc.push(format!("Patched versions: {}", v.patched.join(", ")));
        }
        if !v.unaffected.is_empty() {
            desc.push(format!("Unaffected versions: {}", v.unaffected.join(", ")));
        }
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n\n"));
    let from_crates_io = e
        .package
        .source
        .as_deref()
        .is_some_and(|s| s.contains("crates.io-index") || s.contains("index.crates.io"));
    let purl = match (&version, from_crates_io) {
        (Some(v), true) => Some(format!("pkg:cargo/{name}@{v}")),
        _ => None,
    };
    occ.package = Some(Package {
        purl,
        ecosystem: Some("cargo".to_string()),
        name,
        version,
        fixed_versions: fixed,
    });
    occ
}
