//! pip-audit JSON reports (`pip-audit -f json`).
//!
//! Shapes: pip-audit 2.x writes `{"dependencies": [{name, version, vulns[{id, fix_versions,
//! aliases, description}]}], "fixes": []}`; before 2.0 the report was the bare list of
//! dependencies (`[{name, version, vulns[]}]`). A dependency that could not be audited has
//! `skip_reason` instead of `version`/`vulns`: it becomes a Warning diagnostic (coverage is
//! missing; no finding is lost). Empty: `[ ]`, `{"dependencies": []}`.
//!
//! Items: one occurrence per vulnerability per dependency (locator
//! `/dependencies/D/vulns/V`, or `/D/vulns/V` for the old list).
//!
//! Identity: `vulnerability_ids` = `id` (PYSEC-, GHSA-...), then `aliases[]`, normalized;
//! package: ecosystem `pypi`, name, version, `fix_versions`. No location (pip-audit does not
//! say which requirements file), no tool fingerprint.
//!
//! Severity: pip-audit states none. Every vulnerability is **medium** (a known, unrated
//! vulnerability); `tool_severity` stays empty.

use crate::json::{self, null_default, opt_lenient_string};
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct PipAudit;

#[derive(Deserialize)]
struct NewDoc<'a> {
    #[serde(borrow, deserialize_with = "null_default")]
    dependencies: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Dependency<'a> {
    name: String,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    vulns: Vec<&'a RawValue>,
    #[serde(default)]
    skip_reason: Option<String>,
}

#[derive(Deserialize)]
struct Vuln {
    id: String,
    #[serde(default, deserialize_with = "null_default")]
    fix_versions: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    aliases: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

impl Parser for PipAudit {
    fn id(&self) -> &'static str {
        "pip-audit-json"
    }

    fn description(&self) -> &'static str {
        "pip-audit JSON report (2.x dependencies object, and the older list)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.is_json_object() && s.has_key("dependencies") {
            if s.has_key("vulns") || s.has_key("skip_reason") {
                return Confidence::CERTAIN;
            }
            let compact: String = s.head.split_whitespace().collect();
            if s.complete
                && (compact == r#"{"dependencies":[]}"#
                    || compact == r#"{"dependencies":[],"fixes":[]}"#)
            {
                return Confidence::MATCH;
            }
            return Confidence::NO;
        }
        // the old list: `[{"name": ..., "version": ..., "vulns": [...]}]` (Snyk's list of
        // projects also has `vulns` keys, inside `vulnerabilities`)
        if s.is_json_array()
            && s.has_keys(&["name", "version", "vulns"])
            && !s.has_key("dependencies")
            && !s.has_key("vulnerabilities")
            && !s.has_key("packageManager")
        {
            return Confidence::CERTAIN;
        }
        if s.is_json_array() && s.has_keys(&["name", "skip_reason"]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let shape = || {
            ParseError::shape(
                "not a pip-audit JSON report: expected `{\"dependencies\": [...]}` or a list \
                 of dependencies",
            )
        };
        let raw: &RawValue = json::from_slice(input)?;
        let text = raw.get().trim_start();
        let (deps, base) = if text.starts_with('[') {
            let list: Vec<&RawValue> = serde_json::from_str(text).map_err(|_| shape())?;
            (list, "")
        } else if text.starts_with('{') {
            let doc: NewDoc = serde_json::from_str(text).map_err(|_| shape())?;
            (doc.dependencies, "/dependencies")
        } else {
            return Err(shape());
        };
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        let diags = &mut report.diagnostics;
        for (di, raw) in deps.iter().enumerate() {
            let dloc = json::pointer_index(base, di);
            let Some(dep) = item::<Dependency>(raw, &dloc, diags) else {
                continue;
            };
            if let Some(reason) = non_empty_trimmed(dep.skip_reason.clone()) {
                diags.push(json::warning(
                    &dloc,
                    format!("pip-audit did not audit {}: {reason}", dep.name.trim()),
                ));
            }
            let vbase = json::pointer(&dloc, "vulns");
            for (vi, raw) in dep.vulns.iter().enumerate() {
                let vloc = json::pointer_index(&vbase, vi);
                let Some(v) = item::<Vuln>(raw, &vloc, diags) else {
                    continue;
                };
                occurrences.push(to_occurrence(&dep, v, vloc));
            }
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("pip-audit", None),
            occurrences,
        });
        Ok(report)
    }
}

fn to_occurrence(dep: &Dependency<'_>, v: Vuln, locator: String) -> Occurrence {
    let mut ids = Vec::new();
    push_vuln_id(&mut ids, &v.id);
    for a in &v.aliases {
        push_vuln_id(&mut ids, a);
    }
    let rule_id = ids
        .first()
        .cloned()
        .unwrap_or_else(|| v.id.trim().to_string());
    let name = dep.name.trim().to_string();
    let version = non_empty_trimmed(dep.version.clone());
    let title = match &version {
        Some(ver) => format!("{rule_id} in {name} {ver}"),
        None => format!("{rule_id} in {name}"),
    };
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, Severity::Medium, locator);
    occ.vulnerability_ids = ids;
    occ.description = non_empty_trimmed(v.description);
    let mut fixed = Vec::new();
    for f in v.fix_versions {
        push_unique(&mut fixed, f);
    }
    occ.package = Some(Package {
        purl: None,
        ecosystem: Some("pypi".to_string()),
        name,
        version,
        fixed_versions: fixed,
    });
    occ
}
