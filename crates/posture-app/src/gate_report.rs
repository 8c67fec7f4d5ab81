//! The gate's reports: Markdown (a pull-request comment), JUnit XML (CI test reports) and
//! SARIF (code scanning, through [`crate::sarif_out`]).

use crate::gate::{Exception, GateFinding, GateOutcome};
use crate::sarif_out::{SarifError, SarifResult, sarif_log};
use posture_policy::{Action, Mode, RuleMatch};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde_json::{Value, json};

/// One line saying what a match means: `block`, `warn`, `would block (log-only)`...
pub fn verdict(m: &RuleMatch) -> String {
    let what = match &m.action {
        Action::Block => "blocks".to_string(),
        Action::Warn => "warns".to_string(),
        Action::RequireApproval { role, .. } => format!("needs approval by role `{role}` to defer"),
        Action::Escalate { target, .. } => match target {
            Some(t) => format!("escalates to {t}"),
            None => "escalates".to_string(),
        },
        Action::SetSla { days } => format!("sets SLA {days} days"),
    };
    match m.mode {
        Mode::Enforce => what,
        Mode::LogOnly => format!("would have: {what} (log-only)"),
    }
}

/// What a finding's exception means, in words (empty when none).
pub fn exception_text(e: &Exception) -> String {
    match e {
        Exception::None => String::new(),
        Exception::Honoured {
            state,
            reason,
            approver,
        } => {
            let mut s = format!("excepted: triaged {state}");
            if let Some(a) = approver {
                s.push_str(&format!(", approved by {a}"));
            }
            if let Some(r) = reason {
                s.push_str(&format!(" ({r})"));
            }
            s
        }
        Exception::NeedsApproval {
            state,
            role,
            rule_id,
        } => format!(
            "triaged {state}, but rule `{rule_id}` needs approval by role `{role}`: not an exception"
        ),
        Exception::Expired { state } => format!("triaged {state}, but the decision expired"),
    }
}

/// Escapes scanner text for Markdown, and neutralizes what could ping people or mislead in a
/// pull-request comment: a word holding `@` (a mention, an email address) or a bare URL
/// (`http://`, `https://`, `www.`) is written as code, which GitHub and GitLab neither link nor
/// notify from.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut first = true;
    for word in s.split([' ', '\n', '\r', '\t']) {
        if !first {
            out.push(' ');
        }
        first = false;
        let lower = word.to_ascii_lowercase();
        if word.contains('@')
            || lower.contains("://")
            || lower.starts_with("www.")
            || lower.contains("(www.")
        {
            out.push('`');
            out.push_str(&word.replace('`', "'").replace('|', "\\|"));
            out.push('`');
            continue;
        }
        for c in word.chars() {
            match c {
                '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\' | '#' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

/// A finding's reference: a link to its page on the Posture server when the base URL is
/// known, else its id as code (`#70` alone would link issue 70 of the repository).
fn finding_ref(id: i64, base_url: Option<&str>) -> String {
    match base_url
        .map(|b| b.trim_end_matches('/'))
        .filter(|b| !b.is_empty())
    {
        Some(base) => format!("[finding {id}]({base}/findings/{id})"),
        None => format!("`#{id}`"),
    }
}

fn rules_cell(g: &GateFinding) -> String {
    g.matches
        .iter()
        .map(|m| format!("`{}` {}", m.rule_id, md_escape(&verdict(m))))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The gate's outcome as Markdown for a pull-request comment, findings linked to `base_url`
/// (the Posture server's address) when given.
pub fn markdown(o: &GateOutcome, base_url: Option<&str>) -> String {
    let mut s = String::new();
    let head = if !o.errors.is_empty() {
        "❌ **Posture gate: error**"
    } else if o.passed {
        "✅ **Posture gate passed**"
    } else {
        "❌ **Posture gate failed**"
    };
    s.push_str(&format!(
        "### {head}\n\n`{}` on `{}` (baseline `{}`), policy `{}`: {} finding(s) evaluated ({}), {} blocking, {} reported, {} excepted.\n",
        md_escape(&o.asset),
        md_escape(&o.branch),
        md_escape(&o.baseline),
        md_escape(&o.policy),
        o.evaluated,
        if o.scope == "all" { "all open on the branch" } else { "new relative to the baseline" },
        o.blocked,
        o.warnings,
        o.excepted,
    ));
    for n in &o.notes {
        s.push_str(&format!("\n> {}\n", md_escape(n)));
    }
    let section = |s: &mut String, title: &str, rows: Vec<&GateFinding>| {
        if rows.is_empty() {
            return;
        }
        s.push_str(&format!(
            "\n#### {title}\n\n| Finding | Severity | Title | Location | Rules |\n|---|---|---|---|---|\n"
        ));
        for g in rows {
            s.push_str(&format!(
                "| {} | {} | {} | `{}` | {} |\n",
                finding_ref(g.id, base_url),
                g.severity,
                md_escape(&g.title),
                g.location.replace('`', "'"),
                rules_cell(g)
            ));
        }
    };
    section(
        &mut s,
        "Blocking",
        o.findings.iter().filter(|g| g.blocked).collect(),
    );
    let fixes = blocking_fixes(o);
    if !fixes.is_empty() {
        s.push_str("\n#### Fixes\n\n");
        for a in &fixes {
            let refs: Vec<String> = a
                .findings
                .iter()
                .map(|id| finding_ref(*id, base_url))
                .collect();
            s.push_str(&format!(
                "- {}{}: {}\n",
                md_escape(&a.sentence()),
                if a.major { " (major version)" } else { "" },
                refs.join(", ")
            ));
        }
    }
    section(
        &mut s,
        "Reported",
        o.findings
            .iter()
            .filter(|g| !g.blocked && !matches!(g.exception, Exception::Honoured { .. }))
            .collect(),
    );
    let excepted: Vec<&GateFinding> = o
        .findings
        .iter()
        .filter(|g| matches!(g.exception, Exception::Honoured { .. }))
        .collect();
    if !excepted.is_empty() {
        s.push_str("\n#### Exceptions\n\n| Finding | Title | Decision |\n|---|---|---|\n");
        for g in excepted {
            s.push_str(&format!(
                "| {} | {} | {} |\n",
                finding_ref(g.id, base_url),
                md_escape(&g.title),
                md_escape(&exception_text(&g.exception))
            ));
        }
    }
    if !o.errors.is_empty() {
        s.push_str("\n#### Rules that could not be evaluated\n\n");
        for e in &o.errors {
            s.push_str(&format!(
                "- rule `{}` (line {}) on {}: {}\n",
                e.rule_id,
                e.line,
                finding_ref(e.finding_id, base_url),
                md_escape(&e.message)
            ));
        }
    }
    s
}

/// The remediation actions of the blocking findings (`crate::fixes`, over those findings
/// alone, their gate risk): package upgrades and base images, and code actions closing more
/// than one finding, ranked by the risk they remove.
pub fn blocking_fixes(o: &GateOutcome) -> Vec<crate::fixes::FixAction> {
    let inputs: Vec<posture_engine::fixes::FixInput> = o
        .findings
        .iter()
        .filter(|g| g.blocked)
        .map(|g| {
            let mut input = crate::fixes::fix_input(&g.record);
            input.risk = g.risk;
            input
        })
        .collect();
    posture_engine::fixes::plan(&inputs)
        .actions
        .into_iter()
        .filter(|a| a.kind != crate::fixes::FixKind::Code || a.closes > 1)
        .collect()
}

/// The gate's outcome as SARIF 2.1.0: one result per finding the policy said something
/// about; level `error` when it blocks, `warning` when reported, `note` when excepted. The run
/// id names the gate's branch (`posture/<asset>/<branch>`).
pub fn sarif(o: &GateOutcome, version: &str) -> Result<Value, SarifError> {
    // what closes each blocking finding: the action's sentence in the message and `fix`
    let fixes = blocking_fixes(o);
    let fix_of = |id: i64| fixes.iter().find(|a| a.findings.contains(&id));
    let results: Vec<SarifResult<'_>> = o
        .findings
        .iter()
        .map(|g| {
            let mut r = SarifResult::of(&g.record);
            let why: Vec<String> = g
                .matches
                .iter()
                .map(|m| {
                    format!(
                        "{} ({}): {}",
                        m.rule_id,
                        verdict(m),
                        m.description.clone().unwrap_or_default()
                    )
                })
                .collect();
            let mut message = format!("{}. Policy: {}", g.title, why.join("; "));
            let exception = exception_text(&g.exception);
            if !exception.is_empty() {
                message.push_str(&format!(". {exception}"));
            }
            if let Some(a) = fix_of(g.id).filter(|_| g.blocked) {
                message.push_str(&format!(". Fix: {}", a.sentence()));
                r.properties.insert(
                    "fix".into(),
                    json!({"summary": a.summary, "closes": a.closes, "major": a.major, "findings": a.findings}),
                );
            }
            r.message = Some(message);
            r.level = Some(if g.blocked {
                "error"
            } else if matches!(g.exception, Exception::Honoured { .. }) {
                "note"
            } else {
                "warning"
            });
            r.properties.insert(
                "policyRules".into(),
                json!(g.matches.iter().map(|m| &m.rule_id).collect::<Vec<_>>()),
            );
            r.properties.insert("blocked".into(), json!(g.blocked));
            r.properties.insert("new".into(), json!(g.new));
            r
        })
        .collect();
    let branch = o.branch.clone();
    Ok(sarif_log(version, &results, &|_| branch.clone())?.log)
}

/// The gate's outcome as JUnit XML: one test case for the gate itself, and one failing test
/// case per blocked finding (reported and excepted findings are listed as passing cases
/// with their reasons in `system-out`).
pub fn junit(o: &GateOutcome) -> Result<String, std::io::Error> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = 1 + o.findings.len();
    let failures = o.blocked;
    let errors = usize::from(!o.errors.is_empty());
    let suite = format!("posture gate {} {}", o.asset, o.branch);
    w.create_element("testsuites")
        .with_attributes([
            ("name", "posture gate"),
            ("tests", tests.to_string().as_str()),
            ("failures", failures.to_string().as_str()),
            ("errors", errors.to_string().as_str()),
        ])
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attributes([
                    ("name", suite.as_str()),
                    ("tests", tests.to_string().as_str()),
                    ("failures", failures.to_string().as_str()),
                    ("errors", errors.to_string().as_str()),
                ])
                .write_inner_content(|w| {
                    let gate_case = w.create_element("testcase").with_attributes([
                        ("classname", "posture.gate"),
                        ("name", format!("policy {}", o.policy).as_str()),
                    ]);
                    if o.errors.is_empty() {
                        gate_case.write_empty()?;
                    } else {
                        let text: Vec<String> = o
                            .errors
                            .iter()
                            .map(|e| {
                                format!(
                                    "rule {} (line {}) on finding #{}: {}",
                                    e.rule_id, e.line, e.finding_id, e.message
                                )
                            })
                            .collect();
                        gate_case.write_inner_content(|w| {
                            w.create_element("error")
                                .with_attribute(("message", "rules could not be evaluated"))
                                .write_text_content(BytesText::new(&text.join("\n")))?;
                            Ok(())
                        })?;
                    }
                    for g in &o.findings {
                        let classname = format!(
                            "posture.gate.{}",
                            g.matches
                                .first()
                                .map(|m| m.rule_id.as_str())
                                .unwrap_or("policy")
                        );
                        let name = format!("#{} {} ({})", g.id, g.title, g.location);
                        let reasons: Vec<String> = g
                            .matches
                            .iter()
                            .map(|m| {
                                format!(
                                    "{}: {}{}",
                                    m.rule_id,
                                    verdict(m),
                                    m.description
                                        .as_deref()
                                        .map(|d| format!(" ({d})"))
                                        .unwrap_or_default()
                                )
                            })
                            .collect();
                        let mut body = reasons.join("\n");
                        let exception = exception_text(&g.exception);
                        if !exception.is_empty() {
                            body.push('\n');
                            body.push_str(&exception);
                        }
                        w.create_element("testcase")
                            .with_attributes([
                                ("classname", classname.as_str()),
                                ("name", name.as_str()),
                            ])
                            .write_inner_content(|w| {
                                if g.blocked {
                                    let rule = g
                                        .matches
                                        .iter()
                                        .find(|m| m.blocks())
                                        .map(|m| m.rule_id.clone())
                                        .unwrap_or_default();
                                    w.create_element("failure")
                                        .with_attributes([
                                            (
                                                "message",
                                                format!("blocked by policy rule {rule}").as_str(),
                                            ),
                                            ("type", "policy-violation"),
                                        ])
                                        .write_text_content(BytesText::new(&body))?;
                                } else {
                                    w.create_element("system-out")
                                        .write_text_content(BytesText::new(&body))?;
                                }
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    String::from_utf8(w.into_inner()).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::{finding_ref, md_escape};

    #[test]
    fn scanner_text_cannot_ping_people_or_link_elsewhere() {
        assert_eq!(
            md_escape("ask @alice or mail sec@acme.example"),
            "ask `@alice` or mail `sec@acme.example`"
        );
        assert_eq!(
            md_escape("see https://evil.example/login and www.evil.example"),
            "see `https://evil.example/login` and `www.evil.example`"
        );
        // Code spans keep their own delimiters out, and table cells their pipes.
        assert_eq!(md_escape("x@`y|z"), "`x@'y\\|z`");
        // Ordinary Markdown is still escaped; line breaks cannot end a table row.
        assert_eq!(md_escape("a *b* #1\nc|d"), "a \\*b\\* \\#1 c\\|d");
    }

    #[test]
    fn findings_link_to_the_server_not_to_repository_issues() {
        assert_eq!(finding_ref(70, None), "`#70`");
        assert_eq!(
            finding_ref(70, Some("https://posture.acme.example/")),
            "[finding 70](https://posture.acme.example/findings/70)"
        );
    }
}
