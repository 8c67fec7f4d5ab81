//! CodeQL SARIF (`codeql database analyze --format=sarif-latest --sarif-add-snippets`):
//! SARIF 2.1.0, two-space indentation; rules in `tool.driver.rules` with `security-severity`
//! and CWE tags; results with `ruleId`, `ruleIndex`, `rule`, a location with region and
//! context snippet, `relatedLocations` for the sources of path queries, and
//! `partialFingerprints.primaryLocationLineHash` — a hash of the line's content (not of its
//! number) with CodeQL's `:n` occurrence suffix.

use super::Ctx;
use crate::rng::stable_hex;
use crate::sast::{Issue, SastPlan};
use crate::util::pretty;
use serde::Serialize;

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult>,
    automation_details: AutomationDetails,
    version_control_provenance: Vec<Provenance>,
    column_kind: &'static str,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    organization: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    default_configuration: DefaultConfiguration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct DefaultConfiguration {
    enabled: bool,
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    description: &'static str,
    id: &'static str,
    kind: &'static str,
    name: &'static str,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "str::is_empty")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    tool_execution_notifications: Vec<()>,
    execution_successful: bool,
    end_time_utc: String,
}

#[derive(Serialize)]
struct Artifact {
    location: ArtifactLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: &'static str,
    uri_base_id: &'static str,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    rule: RuleRef,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: PartialFingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
}

#[derive(Serialize)]
struct RuleRef {
    id: &'static str,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_region: Option<ContextRegion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextRegion {
    start_line: u32,
    end_line: u32,
    snippet: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialFingerprints {
    primary_location_line_hash: String,
    primary_location_start_column_fingerprint: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: u32,
    physical_location: PhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Provenance {
    repository_uri: &'static str,
    revision_id: String,
    branch: &'static str,
}

#[derive(Serialize)]
struct RunProperties {
    #[serde(rename = "semmle.formatSpecifier")]
    format_specifier: &'static str,
}

/// How many `[...](n)` links a CodeQL message has.
fn link_count(message: &str) -> u32 {
    (1..=4)
        .take_while(|n| message.contains(&format!("]({n})")))
        .count() as u32
}

fn related(
    plan: &SastPlan,
    issue: &Issue,
    r: u32,
    index: usize,
    message: &str,
) -> Vec<RelatedLocation> {
    let line = plan.line(issue, r);
    (1..=link_count(message))
        .map(|id| {
            let at = line.saturating_sub(3 * id + 1).max(1);
            RelatedLocation {
                id,
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: issue.path,
                        uri_base_id: "%SRCROOT%",
                        index,
                    },
                    region: Region {
                        start_line: at,
                        start_column: issue.indent + 5,
                        end_column: issue.indent + 17,
                    },
                    context_region: None,
                },
                message: Text {
                    text: match id {
                        1 if message.contains("user-provided value") => {
                            "user-provided value".to_string()
                        }
                        _ => "source".to_string(),
                    },
                },
            }
        })
        .collect()
}

/// `codeql database analyze` of the service at this week.
pub(crate) fn write(ctx: &Ctx, plan: &SastPlan, language: &str) -> Vec<u8> {
    let rules = plan.rules.codeql();
    let sarif_rules = rules
        .iter()
        .map(|r| {
            let mut tags: Vec<String> = if r.security_severity.is_empty() {
                vec!["maintainability".to_string(), "correctness".to_string()]
            } else {
                vec!["security".to_string()]
            };
            tags.extend(r.cwes.iter().map(|c| format!("external/cwe/cwe-{c:03}")));
            Rule {
                id: r.id,
                name: r.id,
                short_description: Text {
                    text: r.name.to_string(),
                },
                full_description: Text {
                    text: r.description.to_string(),
                },
                default_configuration: DefaultConfiguration {
                    enabled: true,
                    level: r.level,
                },
                properties: RuleProperties {
                    tags,
                    description: r.description,
                    id: r.id,
                    kind: r.kind,
                    name: r.name,
                    precision: r.precision,
                    problem_severity: if r.level == "note" {
                        "recommendation"
                    } else {
                        r.level
                    },
                    security_severity: r.security_severity,
                },
            }
        })
        .collect();
    let mut live: Vec<&Issue> = plan.live(ctx.r).collect();
    live.sort_by_key(|i| {
        (
            rules.get(i.rule).map_or("", |r| r.id),
            i.path,
            plan.line(i, ctx.r),
        )
    });
    let mut used_files: Vec<&'static str> = live.iter().map(|i| i.path).collect();
    used_files.dedup();
    let mut artifacts: Vec<&'static str> = Vec::new();
    for f in used_files {
        if !artifacts.contains(&f) {
            artifacts.push(f);
        }
    }
    let results = live
        .iter()
        .filter_map(|issue| {
            let rule = rules.get(issue.rule)?;
            let index = artifacts.iter().position(|a| *a == issue.path).unwrap_or(0);
            let line = plan.line(issue, ctx.r);
            let col = issue.indent + 1;
            let len = u32::try_from(issue.code.encode_utf16().count()).unwrap_or(0);
            let text = format!("{}{}\n", " ".repeat(issue.indent as usize), issue.code);
            let line_hash = stable_hex(16, &["codeql-line", &issue.identity.to_string()]);
            Some(SarifResult {
                rule_id: rule.id,
                rule_index: issue.rule,
                rule: RuleRef {
                    id: rule.id,
                    index: issue.rule,
                },
                message: Text {
                    text: rule.message.to_string(),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: issue.path,
                            uri_base_id: "%SRCROOT%",
                            index,
                        },
                        region: Region {
                            start_line: line,
                            start_column: col,
                            end_column: col + len,
                        },
                        context_region: Some(ContextRegion {
                            start_line: line,
                            end_line: line,
                            snippet: Text { text },
                        }),
                    },
                }],
                partial_fingerprints: PartialFingerprints {
                    primary_location_line_hash: format!("{line_hash}:{}", issue.ordinal),
                    primary_location_start_column_fingerprint: issue.indent.to_string(),
                },
                related_locations: if rule.kind == "path-problem" {
                    related(plan, issue, ctx.r, index, rule.message)
                } else {
                    Vec::new()
                },
            })
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "CodeQL",
                    organization: "GitHub",
                    semantic_version: "2.19.3",
                    rules: sarif_rules,
                },
            },
            invocations: vec![Invocation {
                tool_execution_notifications: Vec::new(),
                execution_successful: true,
                end_time_utc: ctx
                    .scanned_at
                    .strftime("%Y-%m-%dT%H:%M:%S.000Z")
                    .to_string(),
            }],
            artifacts: artifacts
                .iter()
                .enumerate()
                .map(|(index, uri)| Artifact {
                    location: ArtifactLocation {
                        uri,
                        uri_base_id: "%SRCROOT%",
                        index,
                    },
                })
                .collect(),
            results,
            automation_details: AutomationDetails {
                id: format!("/language:{language}/"),
            },
            version_control_provenance: vec![Provenance {
                repository_uri: ctx.service.repository,
                revision_id: ctx.commit.clone(),
                branch: "refs/heads/main",
            }],
            column_kind: "utf16CodeUnits",
            properties: RunProperties {
                format_specifier: "sarif-latest",
            },
        }],
    };
    let mut out = pretty(&log, b"  ");
    out.push(b'\n');
    out
}
