//! Nancy JSON reports (`nancy sleuth --output json`, Sonatype OSS Index for Go modules).
//!
//! Shape: `{audited[], excluded[], invalid[], num_audited, num_vulnerable, version,
//! vulnerable[{Coordinates (a purl), Reference, Vulnerabilities[{Id, Title, Description,
//! CvssScore (a string!), CvssVector, Cve, Reference, Excluded}], InvalidSemVer}]}`.
//! `audited[]` repeats the vulnerable packages beside the clean ones and is not read;
//! `invalid[]` entries (a version nancy could not read) are Warning diagnostics.
//! Empty: `"vulnerable": []` (or `null`).
//!
//! Items: one occurrence per vulnerability per vulnerable package (locator
//! `/vulnerable/P/Vulnerabilities/V`); entries marked `Excluded: true` are kept with
//! `suppressed: true`. The corpus counts vulnerable packages (`nancy_many_findings.json`: 6
//! packages carrying 13 vulnerabilities → 13 occurrences).
//!
//! Identity: `vulnerability_ids` = `Cve` (else the CVE in a `[CVE-...]` title prefix), then
//! the OSS Index `Id` (a UUID, or `sonatype-...`) as written. `rule_id` = the CVE, else the
//! OSS Index id. `tool_fingerprint` = the OSS Index id (stable, not line-based). Package: from
//! the purl `Coordinates` (`pkg:golang/<module>@<version>`): ecosystem = purl type, name,
//! version, purl.
//!
//! Severity: `CvssScore` band (`Severity::from_cvss_score`: 9.0+ critical, 7.0+ high, 4.0+
//! medium, above 0 low, 0 info); no readable score → medium. The score is kept in
//! `tool_severity`, the vector in `cvss` (source `ossindex`).

use crate::json::{self, null_default, opt_lenient_f64, opt_lenient_string};
use crate::support::item;
use crate::support::{Purl, non_empty_trimmed, push_vuln_id};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Nancy;

#[derive(Deserialize)]
struct Doc<'a> {
    /// `None` when the key is missing; `null` reads as an empty list.
    #[serde(borrow, default, deserialize_with = "present")]
    vulnerable: Option<Vec<&'a RawValue>>,
    #[serde(default, deserialize_with = "null_default")]
    invalid: Vec<Invalid>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Invalid {
    #[serde(rename = "Coordinates", default)]
    coordinates: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerable<'a> {
    #[serde(rename = "Coordinates")]
    coordinates: String,
    #[serde(
        rename = "Vulnerabilities",
        borrow,
        default,
        deserialize_with = "null_default"
    )]
    vulnerabilities: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(rename = "Id", default, deserialize_with = "opt_lenient_string")]
    id: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "CvssScore", default, deserialize_with = "opt_lenient_f64")]
    cvss_score: Option<f64>,
    #[serde(rename = "CvssVector", default)]
    cvss_vector: Option<String>,
    #[serde(rename = "Cve", default)]
    cve: Option<String>,
    #[serde(rename = "Reference", default)]
    reference: Option<String>,
    #[serde(rename = "Excluded", default)]
    excluded: Option<bool>,
}

impl Parser for Nancy {
    fn id(&self) -> &'static str {
        "nancy-json"
    }

    fn description(&self) -> &'static str {
        "Nancy (Sonatype OSS Index) JSON report"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.is_json_object()
            && s.has_key("vulnerable")
            && (s.has_keys(&["audited", "num_audited"]) || s.has_key("Coordinates"))
        {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Doc = json::from_slice(input)?;
        let Some(vulnerable) = doc.vulnerable else {
            return Err(ParseError::shape(
                "not a Nancy JSON report: expected a `vulnerable` list",
            ));
        };
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        let diags = &mut report.diagnostics;
        for (i, inv) in doc.invalid.iter().enumerate() {
            diags.push(json::warning(
                &json::pointer_index("/invalid", i),
                format!(
                    "nancy could not audit {}",
                    inv.coordinates.as_deref().unwrap_or("a package")
                ),
            ));
        }
        for (pi, raw) in vulnerable.iter().enumerate() {
            let ploc = json::pointer_index("/vulnerable", pi);
            let Some(p) = item::<Vulnerable>(raw, &ploc, diags) else {
                continue;
            };
            let package = package_of(&p.coordinates);
            let vbase = json::pointer(&ploc, "Vulnerabilities");
            for (vi, raw) in p.vulnerabilities.iter().enumerate() {
                let vloc = json::pointer_index(&vbase, vi);
                if let Some(v) = item::<Vuln>(raw, &vloc, diags) {
                    occurrences.push(to_occurrence(v, package.clone(), vloc));
                }
            }
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("nancy", non_empty_trimmed(doc.version)),
            occurrences,
        });
        Ok(report)
    }
}

/// A key that is present: its value, `null` read as the default.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    null_default(d).map(Some)
}

/// `pkg:golang/github.com/x/y@1.2` → name `github.com/x/y`, version `1.2`; coordinates that
/// are not a package URL read as `name@version`.
fn package_of(coordinates: &str) -> Package {
    let c = coordinates.trim();
    if let Some(p) = Purl::parse(c) {
        return Package {
            purl: Some(c.to_string()),
            name: p.full_name("/"),
            ecosystem: Some(p.ty),
            version: non_empty_trimmed(p.version),
            fixed_versions: Vec::new(),
        };
    }
    let (name, version) = match c.rsplit_once('@') {
        Some((n, v)) => (n.to_string(), non_empty_trimmed(Some(v.to_string()))),
        None => (c.to_string(), None),
    };
    Package {
        purl: c.starts_with("pkg:").then(|| c.to_string()),
        ecosystem: None,
        name,
        version,
        fixed_versions: Vec::new(),
    }
}

/// `[CVE-2017-1000070]  Title` → the CVE.
fn title_cve(title: &str) -> Option<String> {
    let rest = title.trim().strip_prefix('[')?;
    let (id, _) = rest.split_once(']')?;
    id.trim()
        .to_ascii_uppercase()
        .starts_with("CVE-")
        .then(|| id.trim().to_string())
}

fn to_occurrence(v: Vuln, package: Package, locator: String) -> Occurrence {
    let oss_id = non_empty_trimmed(v.id.clone());
    let cve = non_empty_trimmed(v.cve.clone()).or_else(|| v.title.as_deref().and_then(title_cve));
    let mut ids = Vec::new();
    if let Some(c) = &cve {
        push_vuln_id(&mut ids, c);
    }
    if let Some(o) = &oss_id {
        push_vuln_id(&mut ids, o);
    }
    let rule_id = ids.first().cloned().unwrap_or_else(|| "nancy".to_string());
    let title = non_empty_trimmed(v.title.clone())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| format!("{rule_id} in {}", package.name));
    let severity = v
        .cvss_score
        .and_then(Severity::from_cvss_score)
        .unwrap_or(Severity::Medium);
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, locator);
    occ.tool_severity = v.cvss_score.map(|s| s.to_string());
    occ.vulnerability_ids = ids;
    occ.description = non_empty_trimmed(v.description);
    let vector = non_empty_trimmed(v.cvss_vector);
    if vector.is_some() || v.cvss_score.is_some() {
        occ.cvss.push(CvssRating {
            source: "ossindex".to_string(),
            vector,
            score: v.cvss_score,
        });
    }
    if let Some(r) = non_empty_trimmed(v.reference) {
        occ.references.push(r);
    }
    occ.identity.tool_fingerprint = oss_id;
    occ.suppressed = v.excluded == Some(true);
    occ.package = Some(package);
    occ
}
