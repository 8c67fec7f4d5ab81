//! Semgrep SARIF (`semgrep ci --sarif`): SARIF 2.1.0 with Semgrep's shape — rules with
//! `defaultConfiguration`, `help`, tags (CWE, confidence, OWASP); results with `ruleId`,
//! one physical location with a region and its snippet, and `fingerprints.matchBasedId/v1`
//! (which depends on the matched code, not the line). Like real Semgrep output, results
//! carry no `ruleIndex`. Compact, keys in alphabetical order.

use super::Ctx;
use super::semgrep_json::match_based_id;
use crate::sast::SastPlan;
use crate::util::compact;
use serde::Serialize;

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: Vec<Run>,
    version: &'static str,
}

#[derive(Serialize)]
struct Run {
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    tool: Tool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<()>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    rules: Vec<Rule>,
    semantic_version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    default_configuration: Level,
    full_description: Text,
    help: Help,
    help_uri: String,
    id: &'static str,
    name: &'static str,
    properties: RuleProperties,
    short_description: Text,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    markdown: String,
    text: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    precision: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    fingerprints: Fingerprints,
    locations: Vec<SarifLocation>,
    message: Text,
    properties: Empty,
    rule_id: &'static str,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "matchBasedId/v1")]
    match_based_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: &'static str,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    end_column: u32,
    end_line: u32,
    snippet: Text,
    start_column: u32,
    start_line: u32,
}

/// `semgrep ci --sarif` of the service at this week.
pub(crate) fn write(ctx: &Ctx, plan: &SastPlan) -> Vec<u8> {
    let rules = plan.rules.semgrep();
    let sarif_rules = rules
        .iter()
        .map(|r| {
            let mut tags = Vec::new();
            if !r.cwe.is_empty() {
                tags.push(r.cwe.to_string());
            }
            if !r.confidence.is_empty() {
                tags.push(format!("{} CONFIDENCE", r.confidence));
            }
            tags.extend(r.owasp.iter().map(|o| format!("OWASP-{o}")));
            if !r.cwe.is_empty() {
                tags.push("security".to_string());
            }
            let uri = format!("https://semgrep.dev/r/{}", r.id);
            Rule {
                default_configuration: Level {
                    level: r.sarif_level(),
                },
                full_description: Text {
                    text: r.message.to_string(),
                },
                help: Help {
                    markdown: format!(
                        "{}\n\n<b>References:</b>\n - [Semgrep Rule]({uri})\n",
                        r.message
                    ),
                    text: r.message,
                },
                help_uri: uri,
                id: r.id,
                name: r.id,
                properties: RuleProperties {
                    precision: "very-high",
                    tags,
                },
                short_description: Text {
                    text: format!("Semgrep Finding: {}", r.id),
                },
            }
        })
        .collect();
    let mut results: Vec<(&'static str, u32, SarifResult)> = plan
        .live(ctx.r)
        .filter_map(|issue| {
            let rule = rules.get(issue.rule)?;
            let line = plan.line(issue, ctx.r);
            let col = issue.indent + 1;
            let len = u32::try_from(issue.code.chars().count()).unwrap_or(0);
            let indent = " ".repeat(issue.indent as usize);
            let res = SarifResult {
                fingerprints: Fingerprints {
                    match_based_id: match_based_id(issue.identity),
                },
                locations: vec![SarifLocation {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: issue.path,
                            uri_base_id: "%SRCROOT%",
                        },
                        region: Region {
                            end_column: col + len,
                            end_line: line,
                            snippet: Text {
                                text: format!("{indent}{}", issue.code),
                            },
                            start_column: col,
                            start_line: line,
                        },
                    },
                }],
                message: Text {
                    text: rule.message.to_string(),
                },
                properties: Empty {},
                rule_id: rule.id,
            };
            Some((issue.path, line, res))
        })
        .collect();
    results.sort_by(|a, b| (a.0, a.1, a.2.rule_id).cmp(&(b.0, b.1, b.2.rule_id)));
    let log = Log {
        schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json",
        runs: vec![Run {
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: Vec::new(),
            }],
            results: results.into_iter().map(|r| r.2).collect(),
            tool: Tool {
                driver: Driver {
                    name: "Semgrep OSS",
                    rules: sarif_rules,
                    semantic_version: "1.97.0",
                },
            },
        }],
        version: "2.1.0",
    };
    compact(&log)
}
