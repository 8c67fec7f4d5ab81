//! osv-scanner JSON reports (`osv-scanner --format json`), v1 and v2.
//!
//! Shape: `{results[{source{path, type}, packages[{package{name, version, ecosystem},
//! vulnerabilities[] (full OSV records), groups[{ids, aliases, max_severity,
//! experimental_analysis}], licenses, license_violations}]}], experimental_config}`.
//! Empty: `"results": []`, and a 0-byte file (what DefectDojo keeps as osv-scanner's output
//! when nothing was found) reads as zero occurrences.
//!
//! Not this format: single OSV records (`{id, affected, ...}` at the top level: advisory data,
//! not findings), osv-scanner's SARIF and CycloneDX outputs.
//!
//! Items: osv-scanner groups the records that describe one issue (a GHSA and its PYSEC twin)
//! in `groups[]`. Posture emits **one occurrence per group per package**
//! (locator `/results/R/packages/P/groups/G`), with the group's ids as the primary id and
//! aliases, and the records' data merged. A record that no group lists (v1 reports written
//! before groups existed, hand-made files) is one occurrence of its own (locator
//! `/results/R/packages/P/vulnerabilities/V`). So Posture counts fewer items than DefectDojo,
//! which counts records: `many_findings.json` has 66 records in 37 groups.
//!
//! Identity: `vulnerability_ids` = the group's ids (record order), then the group's and the
//! records' aliases, normalized and deduplicated. Package: name, version, ecosystem (OSV
//! ecosystem mapped to the purl type, table in [`osv_ecosystem`]), fixed versions from the
//! `fixed` events of the records' `affected[]` ranges for this package, purl from
//! `affected[].package.purl` + version. Location: `source.path`, with the `<rootdir>/`
//! placeholder of osv-scanner's snapshots removed. No tool fingerprint (osv-scanner has none).
//!
//! Severity: osv-scanner states CVSS vectors in `severity[]` (kept in `cvss`), but Posture does
//! not compute scores from vectors yet. In order:
//! 1. the group's `max_severity` (a CVSS base score osv-scanner computed, `"7.8"`): the CVSS
//!    band (`Severity::from_cvss_score`), the score kept in `tool_severity`;
//! 2. else the highest `database_specific.severity` word of the records (GHSA's `CRITICAL` →
//!    critical, `HIGH` → high, `MODERATE` → medium, `LOW` → low), the word kept;
//! 3. else **medium** (a known vulnerability with no rating), `tool_severity` empty.
//!
//! Reachability: `experimental_analysis.<id>.called` is written into the description
//! (`Reachability: called` / `not called`) for a later issue to use.

use crate::json::{self, null_default, opt_lenient_string, parse_cwe, tidy_cwes};
use crate::support::item;
use crate::support::{non_empty_trimmed, purl_type, push_unique, push_vuln_id};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, Location, Occurrence, Package, ParsedReport, Severity,
    ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct OsvScanner;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    results: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct ResultItem<'a> {
    #[serde(default)]
    source: Option<Source>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    packages: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    path: Option<String>,
}

#[derive(Deserialize)]
struct PackageEntry<'a> {
    package: PkgInfo,
    #[serde(default, borrow, deserialize_with = "null_default")]
    vulnerabilities: Vec<&'a RawValue>,
    #[serde(default, deserialize_with = "null_default")]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct PkgInfo {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(default)]
    ecosystem: Option<String>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default, deserialize_with = "null_default")]
    ids: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    aliases: Vec<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    max_severity: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    experimental_analysis: BTreeMap<String, Analysis>,
}

#[derive(Deserialize)]
struct Analysis {
    #[serde(default)]
    called: Option<bool>,
}

/// The parts of an OSV record Posture uses (shared with govulncheck, which embeds OSV too).
#[derive(Deserialize)]
pub(crate) struct OsvRecord {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub severity: Vec<OsvSeverity>,
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub database_specific: Option<DbSpecific>,
    #[serde(default, deserialize_with = "null_default")]
    pub references: Vec<Reference>,
}

#[derive(Deserialize)]
pub(crate) struct OsvSeverity {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub score: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Affected {
    #[serde(default)]
    pub package: Option<AffectedPackage>,
    #[serde(default, deserialize_with = "null_default")]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub database_specific: Option<AffectedDbSpecific>,
}

#[derive(Deserialize)]
pub(crate) struct AffectedPackage {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Range {
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
}

#[derive(Deserialize)]
pub(crate) struct Event {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub fixed: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct AffectedDbSpecific {
    #[serde(default, deserialize_with = "null_default")]
    pub cwes: Vec<CweEntry>,
}

#[derive(Deserialize)]
pub(crate) struct CweEntry {
    #[serde(rename = "cweId", default)]
    pub cwe_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DbSpecific {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pub severity: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub cwe_ids: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct Reference {
    #[serde(default)]
    pub url: Option<String>,
}

impl OsvRecord {
    /// Fixed versions of the `affected[]` entries about `package` (all entries when none
    /// names it).
    pub(crate) fn fixed_versions(&self, package: &str) -> Vec<String> {
        let named: Vec<&Affected> = self
            .affected
            .iter()
            .filter(|a| {
                a.package
                    .as_ref()
                    .and_then(|p| p.name.as_deref())
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(package.trim()))
            })
            .collect();
        let pool: Vec<&Affected> = if named.is_empty() {
            self.affected.iter().collect()
        } else {
            named
        };
        let mut out = Vec::new();
        for a in pool {
            for r in &a.ranges {
                for e in &r.events {
                    if let Some(f) = e.fixed.clone() {
                        push_unique(&mut out, f);
                    }
                }
            }
        }
        out
    }

    pub(crate) fn cwes(&self) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        if let Some(db) = &self.database_specific {
            out.extend(db.cwe_ids.iter().filter_map(|c| parse_cwe(c)));
        }
        for a in &self.affected {
            if let Some(db) = &a.database_specific {
                out.extend(
                    db.cwes
                        .iter()
                        .filter_map(|c| c.cwe_id.as_deref().and_then(parse_cwe)),
                );
            }
        }
        out
    }

    pub(crate) fn cvss(&self) -> Vec<CvssRating> {
        let source = if self.id.to_ascii_uppercase().starts_with("GHSA-") {
            "ghsa"
        } else {
            "osv"
        };
        self.severity
            .iter()
            .filter_map(|s| {
                let score = s.score.as_deref()?.trim();
                if score.is_empty() {
                    return None;
                }
                let numeric = score.parse::<f64>().ok().filter(|f| f.is_finite());
                let kind = s.kind.as_deref().unwrap_or("").to_ascii_uppercase();
                if numeric.is_none() && !kind.starts_with("CVSS") && !score.starts_with("CVSS:") {
                    return None;
                }
                Some(CvssRating {
                    source: source.to_string(),
                    vector: numeric.is_none().then(|| score.to_string()),
                    score: numeric,
                })
            })
            .collect()
    }

    pub(crate) fn references(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.references {
            if let Some(u) = r.url.clone() {
                push_unique(&mut out, u);
            }
        }
        out
    }
}

/// Package ecosystem (purl type vocabulary) from an OSV ecosystem name (`PyPI`, `crates.io`,
/// `Packagist`, `Debian:11`...).
pub(crate) fn osv_ecosystem(eco: &str) -> Option<String> {
    let base = eco
        .split(':')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let t = match base.as_str() {
        "npm" => "npm",
        "pypi" => "pypi",
        "go" => "golang",
        "crates.io" => "cargo",
        "maven" => "maven",
        "packagist" => "composer",
        "nuget" => "nuget",
        "rubygems" => "gem",
        "hex" => "hex",
        "pub" => "pub",
        "cran" => "cran",
        "swifturl" => "swift",
        "conancenter" => "conan",
        "debian" | "ubuntu" => "deb",
        "alpine" | "wolfi" | "chainguard" => "apk",
        "rocky linux" | "almalinux" | "red hat" | "suse" | "opensuse" | "mageia" => "rpm",
        "github actions" => "github",
        "" => return None,
        other => other,
    };
    Some(t.to_string())
}

/// Highest severity word of GHSA's scale among the records (`MODERATE` is medium).
pub(crate) fn max_db_severity<'a>(
    records: impl Iterator<Item = &'a OsvRecord>,
) -> Option<(Severity, String)> {
    records
        .filter_map(|r| {
            let w = r.database_specific.as_ref()?.severity.as_deref()?.trim();
            Severity::from_common_word(w)
                .filter(|_| !w.is_empty())
                .map(|s| (s, w.to_string()))
        })
        .max_by_key(|(s, _)| *s)
}

impl Parser for OsvScanner {
    fn id(&self) -> &'static str {
        "osv-scanner-json"
    }

    fn description(&self) -> &'static str {
        "osv-scanner JSON report (v1, v2; one occurrence per vulnerability group and package)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("results") {
            return Confidence::NO;
        }
        if s.has_key("experimental_config") {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["packages", "package", "ecosystem", "source"])
            && (s.has_key("vulnerabilities") || s.has_key("groups"))
        {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        if !json::is_blank(input) {
            let doc: Doc = json::from_slice(input)?;
            let results = doc.results.ok_or_else(|| {
                ParseError::shape("not an osv-scanner JSON report: expected a `results` list")
            })?;
            let diags = &mut report.diagnostics;
            for (ri, raw) in results.iter().enumerate() {
                let rloc = json::pointer_index("/results", ri);
                let Some(r) = item::<ResultItem>(raw, &rloc, diags) else {
                    continue;
                };
                let path = r
                    .source
                    .and_then(|s| non_empty_trimmed(s.path))
                    .map(|p| strip_placeholder(&p));
                let ploc = json::pointer(&rloc, "packages");
                for (pi, raw) in r.packages.iter().enumerate() {
                    let loc = json::pointer_index(&ploc, pi);
                    if let Some(p) = item::<PackageEntry>(raw, &loc, diags) {
                        package_occurrences(p, &loc, path.as_deref(), &mut occurrences, diags);
                    }
                }
            }
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("osv-scanner", None),
            occurrences,
        });
        Ok(report)
    }
}

fn strip_placeholder(p: &str) -> String {
    p.strip_prefix("<rootdir>/")
        .or_else(|| p.strip_prefix("<rootdir>"))
        .unwrap_or(p)
        .to_string()
}

fn package_occurrences(
    p: PackageEntry,
    loc: &str,
    path: Option<&str>,
    out: &mut Vec<Occurrence>,
    diags: &mut Vec<Diagnostic>,
) {
    let name = p.package.name.clone().unwrap_or_default();
    let vbase = json::pointer(loc, "vulnerabilities");
    let mut records: Vec<(usize, OsvRecord)> = Vec::new();
    for (i, raw) in p.vulnerabilities.iter().enumerate() {
        if let Some(r) = item::<OsvRecord>(raw, &json::pointer_index(&vbase, i), diags) {
            records.push((i, r));
        }
    }
    let mut used = vec![false; records.len()];
    for (gi, g) in p.groups.iter().enumerate() {
        let members: Vec<usize> = records
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| g.ids.iter().any(|id| id.trim() == r.id.trim()))
            .map(|(k, _)| k)
            .collect();
        if g.ids.iter().all(|i| i.trim().is_empty()) && members.is_empty() {
            continue;
        }
        for k in &members {
            if let Some(u) = used.get_mut(*k) {
                *u = true;
            }
        }
        let recs: Vec<&OsvRecord> = members
            .iter()
            .filter_map(|k| records.get(*k).map(|(_, r)| r))
            .collect();
        let gloc = json::pointer_index(&json::pointer(loc, "groups"), gi);
        out.push(build(
            &p.package,
            &name,
            path,
            g.ids.clone(),
            Some(g),
            &recs,
            gloc,
        ));
    }
    for (k, (vi, r)) in records.iter().enumerate() {
        if used.get(k).copied().unwrap_or(false) {
            continue;
        }
        let vloc = json::pointer_index(&json::pointer(loc, "vulnerabilities"), *vi);
        out.push(build(
            &p.package,
            &name,
            path,
            vec![r.id.clone()],
            None,
            &[r],
            vloc,
        ));
    }
}

fn build(
    pkg: &PkgInfo,
    name: &str,
    path: Option<&str>,
    ids: Vec<String>,
    group: Option<&Group>,
    recs: &[&OsvRecord],
    locator: String,
) -> Occurrence {
    let mut vids = Vec::new();
    for id in &ids {
        push_vuln_id(&mut vids, id);
    }
    for r in recs {
        push_vuln_id(&mut vids, &r.id);
    }
    if let Some(g) = group {
        for a in &g.aliases {
            push_vuln_id(&mut vids, a);
        }
    }
    for r in recs {
        for a in &r.aliases {
            push_vuln_id(&mut vids, a);
        }
    }
    let rule_id = vids.first().cloned().unwrap_or_else(|| "osv".to_string());
    let title = recs
        .iter()
        .find_map(|r| non_empty_trimmed(r.summary.clone()))
        .unwrap_or_else(|| format!("{rule_id} in {name}"));

    let (severity, tool_severity) = match group
        .and_then(|g| g.max_severity.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s)
            if s.parse::<f64>()
                .ok()
                .and_then(Severity::from_cvss_score)
                .is_some() =>
        {
            (
                s.parse::<f64>()
                    .ok()
                    .and_then(Severity::from_cvss_score)
                    .unwrap_or(Severity::Medium),
                Some(s.to_string()),
            )
        }
        _ => match max_db_severity(recs.iter().copied()) {
            Some((sev, word)) => (sev, Some(word)),
            None => (Severity::Medium, None),
        },
    };
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.vulnerability_ids = vids;

    let mut desc = recs
        .iter()
        .find_map(|r| non_empty_trimmed(r.details.clone()))
        .unwrap_or_default();
    if let Some(g) = group {
        let called: Vec<bool> = g
            .experimental_analysis
            .values()
            .filter_map(|a| a.called)
            .collect();
        if !called.is_empty() {
            if !desc.is_empty() {
                desc.push_str("\n\n");
            }
            desc.push_str(if called.iter().any(|c| *c) {
                "Reachability: called"
            } else {
                "Reachability: not called"
            });
        }
    }
    occ.description = (!desc.is_empty()).then_some(desc);

    let mut cwes = Vec::new();
    let mut fixed = Vec::new();
    let mut purl_base = None;
    for r in recs {
        cwes.extend(r.cwes());
        occ.cvss.extend(r.cvss());
        for f in r.fixed_versions(name) {
            push_unique(&mut fixed, f);
        }
        for u in r.references() {
            push_unique(&mut occ.references, u);
        }
        if purl_base.is_none() {
            purl_base = r
                .affected
                .iter()
                .filter_map(|a| a.package.as_ref())
                .find(|p| {
                    p.name
                        .as_deref()
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(name.trim()))
                })
                .and_then(|p| non_empty_trimmed(p.purl.clone()));
        }
    }
    occ.cwes = tidy_cwes(cwes);
    let version = non_empty_trimmed(pkg.version.clone());
    let purl = non_empty_trimmed(pkg.purl.clone()).or_else(|| {
        purl_base.map(|b| match &version {
            Some(v) if !b.contains('@') => format!("{b}@{v}"),
            _ => b,
        })
    });
    let ecosystem = pkg
        .ecosystem
        .as_deref()
        .and_then(osv_ecosystem)
        .or_else(|| purl.as_deref().and_then(purl_type));
    occ.package = Some(Package {
        purl,
        ecosystem,
        name: name.trim().to_string(),
        version,
        fixed_versions: fixed,
    });
    occ.location = Location {
        path: path.map(String::from),
        ..Location::default()
    };
    occ
}
