use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::eslint::Eslint;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = Eslint
        .parse(&fixture("eslint-json", "happy.json"))
        .expect("parses");
    // two rule messages + one suppressed message; the notice without ruleId is dropped
    assert_eq!(report.occurrence_count(), 3);
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(
        d.contains(&(DiagnosticLevel::Skipped, "/1/messages/3")),
        "{d:?}"
    );
    assert!(
        d.contains(&(DiagnosticLevel::Warning, "/2/messages/0")),
        "fatal parse error: {d:?}"
    );
    assert_eq!(d.len(), 2, "{d:?}");
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].rule_id, "security/detect-object-injection");
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].tool_severity.as_deref(), Some("error"));
    assert_eq!(
        o[0].identity.context.as_deref(),
        Some("x[req.query.k] = 1"),
        "cut from the file source"
    );
    assert_eq!(o[1].severity, Severity::Medium);
    assert!(o[2].suppressed);
    assert_eq!(o[2].locator, "/1/suppressedMessages/0");
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&Eslint, "eslint-json", "json");
    assert_eq!(
        Eslint.parse(b"{\"a\": 1}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
    let legacy = br#"[{"filePath": "a.js", "messages": [{"ruleId": "no-eval", "severity": 2, "message": "eval can be harmful.", "line": 1, "column": 1, "source": "  eval(x)  "}], "errorCount": 1}]"#;
    let r = Eslint.parse(legacy).unwrap();
    assert_eq!(
        r.runs[0].occurrences[0].identity.context.as_deref(),
        Some("eval(x)")
    );
}

#[test]
fn corpus_eslint_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/eslint/"));
    assert_eq!(files.len(), 2, "{files:?}");
    for src in &files {
        let report = parse_corpus(&Eslint, &root, &src.rel, true);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        assert_eq!(
            src.dojo_expected,
            src.findings.map(|n| n.to_string()),
            "{}",
            src.rel
        );
    }
}
