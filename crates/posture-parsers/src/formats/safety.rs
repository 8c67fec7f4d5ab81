//! Safety JSON reports (`safety check --json`), 1.x and 2.x/3.x.
//!
//! Safety 1.x: a list of lists, one per vulnerability:
//! `[name, vulnerable_spec, installed_version, advisory, id, cvssv2, cvssv3]` (the last two
//! `null` with the free database). Empty: `[]`.
//! Safety 2.x and `safety check` of 3.x: `{report_meta{safety_version...}, scanned_packages,
//! vulnerabilities[{vulnerability_id, package_name, analyzed_version, vulnerable_spec,
//! advisory, CVE, fixed_versions, more_info_url, severity{cvssv2, cvssv3}}],
//! ignored_vulnerabilities[], remediations}`. Not read: `safety scan --output json` (3.x
//! "scan" schema): refused as another shape.
//!
//! Items: one occurrence per vulnerability (locator `/N`, or `/vulnerabilities/N`).
//! `ignored_vulnerabilities[]` are not read (the user silenced them in Safety).
//!
//! Identity: `vulnerability_ids` = the pyup id as Safety's database writes it
//! (`pyup.io-37771`), then the `CVE` (2.x) or, in 1.x which has no CVE field, the CVE that the
//! advisory text cites as `See CVE-...` or states as "has been assigned CVE-..." (a mention
//! such as "may overlap CVE-..." is not an
//! alias). `rule_id` = Safety's id (`37771`). Package: ecosystem `pypi`, name, installed
//! version, `fixed_versions` (2.x). No tool fingerprint, no location.
//!
//! Severity: Safety 1.x states none → **medium**. 2.x: the CVSS v3 base score band, else the
//! v2 band (`Severity::from_cvss_score`), else the `base_severity` word, else **medium**;
//! the score or word is kept in `tool_severity`.

use crate::json::{self, Scalar, null_default, one_or_many, opt_lenient_f64, opt_lenient_string};
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Safety;

#[derive(Deserialize)]
struct Doc2<'a> {
    #[serde(default)]
    report_meta: Option<ReportMeta>,
    #[serde(borrow, default)]
    vulnerabilities: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct ReportMeta {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    safety_version: Option<String>,
}

#[derive(Deserialize)]
struct Vuln2 {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    vulnerability_id: Option<String>,
    package_name: String,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    analyzed_version: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    vulnerable_spec: Vec<String>,
    #[serde(default)]
    advisory: Option<String>,
    #[serde(rename = "CVE", default, deserialize_with = "opt_lenient_string")]
    cve: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    fixed_versions: Vec<String>,
    #[serde(default)]
    more_info_url: Option<String>,
    #[serde(default)]
    severity: Option<Sev2>,
}

#[derive(Deserialize)]
struct Sev2 {
    #[serde(default)]
    cvssv3: Option<CvssObj>,
    #[serde(default)]
    cvssv2: Option<CvssObj>,
}

#[derive(Deserialize)]
struct CvssObj {
    #[serde(default, deserialize_with = "opt_lenient_f64")]
    base_score: Option<f64>,
    #[serde(default)]
    base_severity: Option<String>,
    #[serde(default)]
    vector_string: Option<String>,
}

impl Parser for Safety {
    fn id(&self) -> &'static str {
        "safety-json"
    }

    fn description(&self) -> &'static str {
        "Safety JSON report (1.x list of lists, 2.x/3.x `safety check` object)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.is_json_object() {
            if s.has_keys(&["report_meta", "vulnerabilities"])
                && (s.has_key("safety_version") || s.has_key("scanned_packages"))
            {
                return Confidence::CERTAIN;
            }
            return Confidence::NO;
        }
        if !s.is_json_array() {
            return Confidence::NO;
        }
        // `[ [ "name", "<spec", "version", "advisory", "id", ...`
        let mut rest = s.head[1..].trim_start();
        let Some(r) = rest.strip_prefix('[') else {
            return Confidence::NO;
        };
        rest = r.trim_start();
        let mut strings = 0;
        for _ in 0..3 {
            let Some(r) = rest.strip_prefix('"') else {
                break;
            };
            let Some(end) = r.find('"') else { break };
            strings += 1;
            rest = r[end + 1..].trim_start();
            match rest.strip_prefix(',') {
                Some(r) => rest = r.trim_start(),
                None => break,
            }
        }
        if strings == 3 {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let raw: &RawValue = json::from_slice(input)?;
        let text = raw.get().trim_start();
        let mut report = ParsedReport::new(self.id());
        let mut occurrences = Vec::new();
        let mut version = None;
        let diags = &mut report.diagnostics;
        if text.starts_with('[') {
            let rows: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| ParseError::from_json(&e))?;
            for (i, raw) in rows.iter().enumerate() {
                let loc = json::pointer_index("", i);
                let Some(cells) = item::<Vec<&RawValue>>(raw, &loc, diags) else {
                    continue;
                };
                let cell = |k: usize| {
                    cells
                        .get(k)
                        .and_then(|c| serde_json::from_str::<Option<Scalar>>(c.get()).ok())
                        .flatten()
                        .and_then(Scalar::into_string)
                        .and_then(|s| non_empty_trimmed(Some(s)))
                };
                let (Some(name), Some(id)) = (cell(0), cell(4)) else {
                    diags.push(json::skipped(
                        &loc,
                        "item skipped: expected [name, spec, version, advisory, id, ...]",
                    ));
                    continue;
                };
                let advisory = cell(3);
                let mut ids = Vec::new();
                push_vuln_id(&mut ids, &pyup_id(&id));
                if let Some(cve) = advisory.as_deref().and_then(cited_cve) {
                    push_vuln_id(&mut ids, &cve);
                }
                let mut occ = base(&id, &name, cell(2), ids, advisory, loc);
                if let Some(spec) = cell(1) {
                    occ.description = Some(format!(
                        "{}\n\nVulnerable versions: {spec}",
                        occ.description.unwrap_or_default()
                    ));
                }
                occurrences.push(occ);
            }
        } else if text.starts_with('{') {
            let doc: Doc2 = serde_json::from_str(text).map_err(|e| ParseError::from_json(&e))?;
            let (Some(meta), Some(vulns)) = (doc.report_meta, doc.vulnerabilities) else {
                return Err(ParseError::shape(
                    "not a Safety JSON report: expected `report_meta` and `vulnerabilities` \
                     (safety check --json)",
                ));
            };
            version = non_empty_trimmed(meta.safety_version);
            for (i, raw) in vulns.iter().enumerate() {
                let loc = json::pointer_index("/vulnerabilities", i);
                if let Some(v) = item::<Vuln2>(raw, &loc, diags) {
                    occurrences.push(v2_occurrence(v, loc));
                }
            }
        } else {
            return Err(ParseError::shape(
                "not a Safety JSON report: expected a list of lists or a `report_meta` object",
            ));
        }
        report.runs.push(ToolRun {
            tool: ToolInfo::new("safety", version),
            occurrences,
        });
        Ok(report)
    }
}

fn pyup_id(id: &str) -> String {
    let t = id.trim();
    if t.to_ascii_lowercase().starts_with("pyup.io-") {
        t.to_string()
    } else {
        format!("pyup.io-{t}")
    }
}

/// The CVE a Safety 1.x advisory says it is: cited as `See CVE-YYYY-NNNN`, or stated as
/// "has been assigned CVE-YYYY-NNNN" (a mention such as "may overlap CVE-…" is not taken).
fn cited_cve(text: &str) -> Option<String> {
    let (at, skip) = match (text.find("See CVE-"), text.find("assigned CVE-")) {
        (Some(a), _) => (a, 4),
        (None, Some(a)) => (a, 9),
        (None, None) => return None,
    };
    let rest = text.get(at + skip..)?;
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let id = id.trim_end_matches('-');
    let mut parts = id.splitn(3, '-');
    let (_, year, num) = (parts.next()?, parts.next()?, parts.next()?);
    (year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && num.len() >= 4
        && num.chars().all(|c| c.is_ascii_digit()))
    .then(|| id.to_string())
}

fn base(
    id: &str,
    name: &str,
    version: Option<String>,
    ids: Vec<String>,
    advisory: Option<String>,
    locator: String,
) -> Occurrence {
    let title = match &version {
        Some(v) => format!("Safety {id} in {name} {v}"),
        None => format!("Safety {id} in {name}"),
    };
    let mut occ = Occurrence::new(Category::Sca, id, title, Severity::Medium, locator);
    occ.vulnerability_ids = ids;
    occ.description = advisory;
    occ.package = Some(Package {
        purl: None,
        ecosystem: Some("pypi".to_string()),
        name: name.to_string(),
        version,
        fixed_versions: Vec::new(),
    });
    occ
}

fn v2_occurrence(v: Vuln2, locator: String) -> Occurrence {
    let id = non_empty_trimmed(v.vulnerability_id.clone()).unwrap_or_else(|| "safety".into());
    let mut ids = Vec::new();
    push_vuln_id(&mut ids, &pyup_id(&id));
    if let Some(c) = non_empty_trimmed(v.cve.clone()) {
        push_vuln_id(&mut ids, &c);
    }
    let advisory = non_empty_trimmed(v.advisory.clone());
    let mut occ = base(
        &id,
        v.package_name.trim(),
        non_empty_trimmed(v.analyzed_version.clone()),
        ids,
        advisory,
        locator,
    );
    if !v.vulnerable_spec.is_empty() {
        let spec = v.vulnerable_spec.join(", ");
        occ.description = Some(match occ.description.take() {
            Some(d) => format!("{d}\n\nVulnerable versions: {spec}"),
            None => format!("Vulnerable versions: {spec}"),
        });
    }
    if let Some(p) = occ.package.as_mut() {
        for f in v.fixed_versions {
            push_unique(&mut p.fixed_versions, f);
        }
    }
    if let Some(u) = non_empty_trimmed(v.more_info_url) {
        occ.references.push(u);
    }
    let sev = v.severity;
    let v3 = sev.as_ref().and_then(|s| s.cvssv3.as_ref());
    let v2 = sev.as_ref().and_then(|s| s.cvssv2.as_ref());
    for c in [v3, v2].into_iter().flatten() {
        let vector = non_empty_trimmed(c.vector_string.clone());
        if vector.is_some() || c.base_score.is_some() {
            occ.cvss.push(CvssRating {
                source: "safety".to_string(),
                vector,
                score: c.base_score,
            });
        }
    }
    let scored = [v3, v2].into_iter().flatten().find_map(|c| {
        c.base_score
            .and_then(|s| Severity::from_cvss_score(s).map(|x| (x, s)))
    });
    if let Some((s, score)) = scored {
        occ.severity = s;
        occ.tool_severity = Some(score.to_string());
    } else if let Some(w) = [v3, v2]
        .into_iter()
        .flatten()
        .find_map(|c| non_empty_trimmed(c.base_severity.clone()))
    {
        if let Some(s) = Severity::from_common_word(&w) {
            occ.severity = s;
        }
        occ.tool_severity = Some(w);
    }
    occ
}
