//! Gitleaks v8 JSON (`gitleaks dir --report-format json`): a top-level array, one-space
//! indentation, Go's HTML escaping, `[]` when nothing leaked. Directory mode has no commit
//! metadata, so `Commit`, `Author`, `Email`, `Date` and `Message` are empty and the
//! fingerprint is `file:rule:line`.

use super::Ctx;
use crate::secrets::LEAKS;
use crate::util::{go_json, shannon_entropy};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Finding {
    #[serde(rename = "RuleID")]
    rule_id: &'static str,
    description: &'static str,
    start_line: u32,
    end_line: u32,
    start_column: u32,
    end_column: u32,
    #[serde(rename = "Match")]
    matched: String,
    secret: &'static str,
    file: &'static str,
    symlink_file: &'static str,
    commit: &'static str,
    entropy: f32,
    author: &'static str,
    email: &'static str,
    date: &'static str,
    message: &'static str,
    tags: Vec<&'static str>,
    fingerprint: String,
}

/// `gitleaks dir .` of the service at this week.
pub(crate) fn write(ctx: &Ctx) -> Vec<u8> {
    let findings: Vec<Finding> = LEAKS
        .iter()
        .filter(|l| l.service == ctx.service.name && l.presence().at(ctx.r))
        .map(|l| {
            let line = l.line_at(ctx.r);
            let matched = l.matched_text();
            let start_column = l.start_column();
            let last = matched.lines().last().unwrap_or("");
            let extra = l.extra_lines();
            let end_column = if extra == 0 {
                start_column + u32::try_from(matched.chars().count()).unwrap_or(0) - 1
            } else {
                u32::try_from(last.chars().count()).unwrap_or(0)
            };
            Finding {
                rule_id: l.rule,
                description: l.description,
                start_line: line,
                end_line: line + extra,
                start_column,
                end_column,
                matched,
                secret: l.secret,
                file: l.file,
                symlink_file: "",
                commit: "",
                entropy: shannon_entropy(l.secret),
                author: "",
                email: "",
                date: "",
                message: "",
                tags: Vec::new(),
                fingerprint: format!("{}:{}:{line}", l.file, l.rule),
            }
        })
        .collect();
    if findings.is_empty() {
        return b"[]\n".to_vec();
    }
    go_json(&findings, b" ")
}
