//! Semgrep JSON (`semgrep ci --json`, logged in, so `extra.fingerprint` is the match-based id
//! and `extra.lines` the matched code): compact, keys in alphabetical order as Semgrep's
//! generated serializers write them.

use super::Ctx;
use crate::rng::stable_hex;
use crate::sast::SastPlan;
use crate::util::compact;
use serde::Serialize;

#[derive(Serialize)]
struct Document {
    errors: Vec<()>,
    interfile_languages_used: Vec<&'static str>,
    paths: Paths,
    results: Vec<Finding>,
    skipped_rules: Vec<()>,
    version: &'static str,
}

#[derive(Serialize)]
struct Paths {
    scanned: Vec<&'static str>,
}

#[derive(Serialize)]
struct Finding {
    check_id: &'static str,
    end: Position,
    extra: Extra,
    path: &'static str,
    start: Position,
}

#[derive(Serialize, Clone, Copy)]
struct Position {
    col: u32,
    line: u32,
    offset: u32,
}

#[derive(Serialize)]
struct Extra {
    engine_kind: &'static str,
    fingerprint: String,
    is_ignored: bool,
    lines: String,
    message: &'static str,
    metadata: Metadata,
    metavars: Empty,
    severity: &'static str,
    validation_state: &'static str,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "str::is_empty")]
    category: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    confidence: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cwe: Vec<&'static str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    impact: &'static str,
    license: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    likelihood: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    owasp: Vec<&'static str>,
    references: Vec<String>,
    shortlink: String,
    source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subcategory: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    technology: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerability_class: Vec<&'static str>,
}

/// Semgrep's match-based id: 128 hex digits and the match index.
pub(crate) fn match_based_id(identity: u64) -> String {
    format!(
        "{}_0",
        stable_hex(128, &["semgrep-match", &identity.to_string()])
    )
}

/// A short, stable `https://sg.run/xxxx` link for a rule.
pub(crate) fn shortlink(rule: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let h = crate::rng::hash64(&["shortlink", rule]);
    let s: String = (0..4)
        .map(|i| {
            let k = (h >> (i * 8)) % ALPHABET.len() as u64;
            char::from(ALPHABET.get(k as usize).copied().unwrap_or(b'x'))
        })
        .collect();
    format!("https://sg.run/{s}")
}

/// `semgrep ci --json` of the service at this week.
pub(crate) fn write(ctx: &Ctx, plan: &SastPlan) -> Vec<u8> {
    let rules = plan.rules.semgrep();
    let mut results: Vec<Finding> = plan
        .live(ctx.r)
        .filter_map(|issue| {
            let rule = rules.get(issue.rule)?;
            let line = plan.line(issue, ctx.r);
            let col = issue.indent + 1;
            let len = u32::try_from(issue.code.chars().count()).unwrap_or(0);
            // a plausible byte offset: ~38 bytes per line above
            let offset = line.saturating_sub(1).saturating_mul(38) + issue.indent;
            let start = Position { col, line, offset };
            let end = Position { col: col + len, line, offset: offset + len };
            let indent = " ".repeat(issue.indent as usize);
            Some(Finding {
                check_id: rule.id,
                end,
                extra: Extra {
                    engine_kind: "OSS",
                    fingerprint: match_based_id(issue.identity),
                    is_ignored: false,
                    lines: format!("{indent}{}", issue.code),
                    message: rule.message,
                    metadata: Metadata {
                        category: if rule.cwe.is_empty() { "correctness" } else { "security" },
                        confidence: rule.confidence,
                        cwe: if rule.cwe.is_empty() { Vec::new() } else { vec![rule.cwe] },
                        impact: rule.impact,
                        license: "Semgrep Rules License v1.0. For more details, visit semgrep.dev/legal/rules-license",
                        likelihood: rule.likelihood,
                        owasp: rule.owasp.to_vec(),
                        references: vec![format!("https://semgrep.dev/r/{}", rule.id)],
                        shortlink: shortlink(rule.id),
                        source: format!("https://semgrep.dev/r/{}", rule.id),
                        subcategory: if rule.subcategory.is_empty() { Vec::new() } else { vec![rule.subcategory] },
                        technology: rule.technology.to_vec(),
                        vulnerability_class: if rule.vuln_class.is_empty() { Vec::new() } else { vec![rule.vuln_class] },
                    },
                    metavars: Empty {},
                    severity: rule.severity,
                    validation_state: "NO_VALIDATOR",
                },
                path: issue.path,
                start,
            })
        })
        .collect();
    // Semgrep sorts results by path, then position
    results.sort_by(|a, b| {
        (a.path, a.start.line, a.start.col, a.check_id).cmp(&(
            b.path,
            b.start.line,
            b.start.col,
            b.check_id,
        ))
    });
    let doc = Document {
        errors: Vec::new(),
        interfile_languages_used: Vec::new(),
        paths: Paths {
            scanned: plan.files.to_vec(),
        },
        results,
        skipped_rules: Vec::new(),
        version: "1.97.0",
    };
    compact(&doc)
}
