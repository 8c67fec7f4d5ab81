//! Checkov JSON reports (`checkov -o json`), Checkov 1.x to 3.x.
//!
//! Shapes:
//! * one framework scanned: an object `{check_type, results {passed_checks, failed_checks,
//!   skipped_checks, parsing_errors}, summary}`;
//! * several frameworks: an array of those objects (one per `check_type`);
//! * nothing scanned: a summary-only object (`{passed: 0, failed: 0, ..., checkov_version}`),
//!   which is zero occurrences.
//!
//! Items: one occurrence per `results.failed_checks[]` item. `skipped_checks[]` (waived in the
//! code with `checkov:skip`, or by `--skip-check`) are kept with `suppressed = true`;
//! `passed_checks` are not findings. `parsing_errors` (files Checkov could not read) become one
//! Warning diagnostic each.
//!
//! * Categories: **secret** for the `secrets` framework (`CKV_SECRET_*`), **sca** for checks
//!   carrying `vulnerability_details` (the `sca_package` framework), else **iac** (Terraform,
//!   CloudFormation, Kubernetes, Dockerfile, GitHub Actions... are all configuration as code).
//! * `rule_id` = `check_id`, title = `check_name`, `references` = `guideline`, `location.path`
//!   = `file_path` (Checkov writes it relative to the scanned directory with a leading `/`,
//!   which is dropped when `file_abs_path` shows the path is not absolute, so that it matches
//!   other tools' relative paths), lines from `file_line_range`, `location.resource` =
//!   `resource` (`aws_s3_bucket.data`; the file name plus `.` for Dockerfile checks).
//! * Identity context: the texts of `code_block` joined (no line numbers). Checkov has no
//!   per-result id, so there is no `tool_fingerprint`.
//! * Secrets: Checkov masks the secret in `code_block` (`AKIAI**********`) and puts the SHA-1
//!   of the plaintext in `resource` (the same hash detect-secrets writes as `hashed_secret`).
//!   The secret evidence is therefore `sha1:<resource>` with the masked preview `********` (the
//!   mask is never hashed, the code block is never kept); `location.resource` stays empty
//!   (the hash is not a resource) and the end line is the start line (Checkov writes `[l, l+1]`).
//!
//! Severity (`severity`, only filled when Checkov has a platform API key, else `null`):
//! `CRITICAL` → critical, `HIGH` → high, `MEDIUM` → medium, `LOW` → low, `INFO` → info;
//! `null`/absent → **medium** for iac and sca checks (a failed policy with no rating: the
//! middle of the scale, as DefectDojo does) and **high** for secrets (a committed credential,
//! as for every secret scanner here).

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, pointer, pointer_index};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, Package, ParsedReport, SecretEvidence, Severity,
    ToolInfo, ToolRun, normalize_vuln_id,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

pub struct Checkov;

#[derive(Deserialize)]
struct Framework<'a> {
    #[serde(default)]
    check_type: Option<String>,
    #[serde(default, borrow)]
    results: Option<Results<'a>>,
    #[serde(default)]
    summary: Option<Summary>,
    #[serde(default)]
    checkov_version: Option<String>,
}

#[derive(Deserialize)]
struct Results<'a> {
    #[serde(default, borrow)]
    failed_checks: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    skipped_checks: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    parsing_errors: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    checkov_version: Option<String>,
}

#[derive(Deserialize)]
struct Check {
    #[serde(default)]
    check_id: Option<String>,
    #[serde(default)]
    bc_check_id: Option<String>,
    #[serde(default)]
    check_name: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    file_path: Option<String>,
    #[serde(default)]
    file_abs_path: Option<String>,
    #[serde(default)]
    file_line_range: Option<Vec<Value>>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    guideline: Option<String>,
    #[serde(default)]
    code_block: Option<Vec<Value>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    short_description: Option<String>,
    #[serde(default)]
    details: Option<Vec<Value>>,
    #[serde(default)]
    vulnerability_details: Option<VulnDetails>,
}

#[derive(Deserialize)]
struct VulnDetails {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    package_name: Option<String>,
    #[serde(default)]
    package_version: Option<String>,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    cvss: Option<f64>,
}

impl Parser for Checkov {
    fn id(&self) -> &'static str {
        "checkov-json"
    }

    fn description(&self) -> &'static str {
        "Checkov JSON report (one framework object, or an array of frameworks)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Iac, Category::Secret, Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !(s.is_json_object() || s.is_json_array()) {
            return Confidence::NO;
        }
        if s.has_key("check_type")
            && (s.has_key("failed_checks")
                || s.has_key("passed_checks")
                || s.has_key("checkov_version"))
        {
            return Confidence::CERTAIN;
        }
        if s.is_json_object() && s.has_key("checkov_version") && s.has_key("passed") {
            // the summary-only report of a scan that found nothing to scan
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: &RawValue = json::from_slice(input)?;
        let text = doc.get().trim_start();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let mut version = None;
        let frameworks: Vec<(String, Framework)> = if text.starts_with('[') {
            let items: Vec<&RawValue> = json::from_slice(input)?;
            let mut v = Vec::with_capacity(items.len());
            json::each_item(&items, "", &mut diagnostics, |_, loc, f: Framework| {
                v.push((loc, f))
            });
            v
        } else if text.starts_with('{') {
            let f: Framework = serde_json::from_str(text).map_err(|e| {
                ParseError::shape(format!(
                    "not a Checkov report: expected an object with `check_type` and `results` ({e})"
                ))
            })?;
            if f.results.is_none() && f.check_type.is_none() && f.checkov_version.is_none() {
                return Err(ParseError::shape(
                    "not a Checkov report: expected `check_type` and `results`, or a summary with `checkov_version`",
                ));
            }
            vec![(String::new(), f)]
        } else {
            return Err(ParseError::shape(
                "not a Checkov report: expected an object or an array of per-framework objects",
            ));
        };
        for (base, fw) in frameworks {
            if version.is_none() {
                version = fw
                    .summary
                    .as_ref()
                    .and_then(|s| s.checkov_version.clone())
                    .or(fw.checkov_version.clone());
            }
            let Some(results) = fw.results else { continue };
            let check_type = fw.check_type.unwrap_or_default();
            let results_ptr = pointer(&base, "results");
            for (list, items, suppressed) in [
                ("failed_checks", results.failed_checks, false),
                ("skipped_checks", results.skipped_checks, true),
            ] {
                let items = items.unwrap_or_default();
                let list_ptr = pointer(&results_ptr, list);
                json::each_item(&items, &list_ptr, &mut diagnostics, |_, loc, c: Check| {
                    let mut occ = to_occurrence(c, &check_type, loc);
                    occ.suppressed = suppressed;
                    occurrences.push(occ);
                });
            }
            for (i, e) in results
                .parsing_errors
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let what = match e {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                diagnostics.push(Diagnostic {
                    level: posture_model::DiagnosticLevel::Warning,
                    locator: pointer_index(&pointer(&results_ptr, "parsing_errors"), i),
                    message: format!("Checkov could not parse {what}"),
                });
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("checkov", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn line_of(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
}

fn to_occurrence(c: Check, check_type: &str, locator: String) -> Occurrence {
    let rule = non_empty(c.check_id)
        .or(non_empty(c.bc_check_id.clone()))
        .unwrap_or_else(|| "checkov".to_string());
    let is_secret = check_type == "secrets" || rule.starts_with("CKV_SECRET_");
    let vuln = c.vulnerability_details.filter(|v| v.id.is_some());
    let category = if is_secret {
        Category::Secret
    } else if vuln.is_some() {
        Category::Sca
    } else {
        Category::Iac
    };
    let tool_severity = non_empty(c.severity);
    let severity = match tool_severity
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") => Severity::High,
        Some("MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        Some("INFO") => Severity::Info,
        _ if is_secret => Severity::High,
        _ => Severity::Medium,
    };
    let title = non_empty(c.check_name).unwrap_or_else(|| rule.clone());
    let mut occ = Occurrence::new(category, rule, title, severity, locator);
    occ.tool_severity = tool_severity;

    let range = c.file_line_range.unwrap_or_default();
    let start = line_of(range.first());
    let end = line_of(range.get(1));
    let path = non_empty(c.file_path).map(|p| {
        let abs = c.file_abs_path.as_deref().unwrap_or("");
        match p.strip_prefix('/') {
            Some(rel) if !abs.is_empty() && abs != p => rel.to_string(),
            _ => p,
        }
    });
    occ.location = Location {
        path,
        start_line: start,
        end_line: if is_secret { start } else { end.or(start) },
        ..Location::default()
    };
    let resource = non_empty(c.resource);
    if is_secret {
        occ.secret = resource.as_deref().and_then(SecretEvidence::from_sha1);
        occ.cwes = vec![798];
    } else {
        occ.location.resource = resource;
        let code: String = c
            .code_block
            .unwrap_or_default()
            .iter()
            .filter_map(|l| match l {
                Value::Array(parts) => parts.get(1).and_then(Value::as_str),
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .map(|t| t.trim_end_matches(['\n', '\r']))
            .collect::<Vec<_>>()
            .join("\n");
        let code = code.trim();
        if !code.is_empty() {
            occ.identity.context = Some(code.to_string());
        }
    }
    if let Some(g) = non_empty(c.guideline) {
        occ.references.push(g);
    }
    let mut desc: Vec<String> = Vec::new();
    if let Some(d) = non_empty(c.description).or(non_empty(c.short_description)) {
        desc.push(d);
    }
    for d in c.details.unwrap_or_default() {
        if let Value::String(s) = d
            && !s.trim().is_empty()
            && !is_secret
        {
            desc.push(s.trim().to_string());
        }
    }
    if !check_type.is_empty() {
        desc.push(format!("Checkov framework: {check_type}."));
    }
    if let Some(bc) = non_empty(c.bc_check_id) {
        desc.push(format!("Platform id: {bc}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n"));
    if let Some(v) = vuln {
        if let Some(id) = v.id.as_deref().map(normalize_vuln_id) {
            occ.vulnerability_ids.push(id);
        }
        if let Some(name) = non_empty(v.package_name) {
            occ.package = Some(Package {
                name,
                version: non_empty(v.package_version),
                fixed_versions: non_empty(v.fixed_version).into_iter().collect(),
                ..Package::default()
            });
        }
        if let Some(score) = v.cvss.filter(|s| s.is_finite()) {
            occ.cvss.push(posture_model::CvssRating {
                source: "checkov".to_string(),
                vector: None,
                score: Some(score),
            });
            if occ.tool_severity.is_none()
                && let Some(s) = Severity::from_cvss_score(score)
            {
                occ.severity = s;
            }
        }
    }
    occ
}
