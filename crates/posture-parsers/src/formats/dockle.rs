//! Dockle JSON reports (`dockle -f json IMAGE`).
//!
//! Shape: `{image?, summary {fatal, warn, info, skip, pass}, details[]}` with
//! `details[] = {code, title, level, alerts[]}`; `details: []` (or `null`) when nothing failed.
//!
//! Category: **container** (image best-practice checks). One occurrence per `details[]` item:
//! `rule_id` = `code` (`CIS-DI-0001`, `DKL-DI-0006`), title = `title`, the `alerts` are the
//! description (one per line). `location.image` = the report's `image` when the version of
//! Dockle writes it. No identity hints: Dockle has no per-result id, and the alerts (lists of
//! setuid files...) change with every rebuild, so they would make poor identity context.
//!
//! Levels (severity table):
//! * `FATAL` → high, `WARN` → medium, `INFO` → low;
//! * `IGNORE` (the check was waived with `DOCKLE_IGNORES`/`.dockleignore`) → kept as an
//!   occurrence with `suppressed = true` and severity info: Posture shows waived items instead of
//!   losing them. DefectDojo drops them (its count for `many_findings.json` is 3, Posture's 4).
//! * `PASS` and `SKIP` are not findings (the check passed or could not run) and are skipped
//!   silently, as DefectDojo does;
//! * anything else → info.

use crate::json::{self, null_default, opt_lenient_string};
use crate::support::non_empty_trimmed;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Dockle;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    image: Option<String>,
    #[serde(default)]
    summary: Option<serde::de::IgnoredAny>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    details: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    level: Option<String>,
    #[serde(default, deserialize_with = "json::one_or_many")]
    alerts: Vec<Option<String>>,
}

impl Parser for Dockle {
    fn id(&self) -> &'static str {
        "dockle-json"
    }

    fn description(&self) -> &'static str {
        "Dockle JSON report (container image best practices, CIS Docker benchmark)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_keys(&["summary", "details"]) {
            return Confidence::NO;
        }
        let summary = s.count_keys(&["fatal", "warn", "info", "skip", "pass"]);
        if summary >= 4 && (s.contains("\"CIS-DI-") || s.contains("\"DKL-")) {
            Confidence::CERTAIN
        } else if summary >= 4 {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let report: Report = json::from_slice(input)?;
        if report.details.is_none() && report.summary.is_none() {
            return Err(ParseError::shape(
                "not a Dockle JSON report: expected `summary` and `details`",
            ));
        }
        let image = non_empty_trimmed(report.image);
        let items = report.details.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        json::each_item(
            &items,
            "/details",
            &mut diagnostics,
            |_, locator, d: Detail| {
                let level = non_empty_trimmed(d.level);
                let upper = level.as_deref().unwrap_or("").to_ascii_uppercase();
                let (severity, suppressed) = match upper.as_str() {
                    "PASS" | "SKIP" => return,
                    "FATAL" => (Severity::High, false),
                    "WARN" => (Severity::Medium, false),
                    "INFO" => (Severity::Low, false),
                    "IGNORE" => (Severity::Info, true),
                    _ => (Severity::Info, false),
                };
                let code = non_empty_trimmed(d.code).unwrap_or_else(|| "dockle".to_string());
                let title = non_empty_trimmed(d.title).unwrap_or_else(|| code.clone());
                let mut occ = Occurrence::new(Category::Container, code, title, severity, locator);
                occ.tool_severity = level;
                occ.suppressed = suppressed;
                let alerts: Vec<String> = d
                    .alerts
                    .into_iter()
                    .flatten()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect();
                occ.description = (!alerts.is_empty()).then(|| alerts.join("\n"));
                occ.location = Location {
                    image: image.clone(),
                    ..Location::default()
                };
                occurrences.push(occ);
            },
        );
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("dockle", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}
