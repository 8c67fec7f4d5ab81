use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::brakeman::Brakeman;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = Brakeman
        .parse(&fixture("brakeman-json", "happy.json"))
        .expect("parses");
    assert_eq!(
        report.occurrence_count(),
        3,
        "two warnings and one ignored warning"
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("6.1.2"));
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(
        d.contains(&(DiagnosticLevel::Skipped, "/warnings/2")),
        "{d:?}"
    );
    assert!(
        d.contains(&(DiagnosticLevel::Warning, "/errors/0")),
        "{d:?}"
    );
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].rule_id, "SQL");
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].cwes, vec![89]);
    assert_eq!(
        o[0].identity.tool_fingerprint.as_deref(),
        Some("6f5f6a1c1b0a4a1b3d3b0e4a0e2d9e8f7c6b5a4d3c2b1a0f9e8d7c6b5a4f3e2d")
    );
    assert_eq!(
        o[0].identity.context.as_deref(),
        Some("User.where(\"name = '#{params[:name]}'\")")
    );
    assert_eq!(o[1].severity, Severity::Low, "Weak confidence");
    assert_eq!(o[1].vulnerability_ids, vec!["CVE-2016-6316"]);
    assert_eq!(o[1].location.start_line, None, "line: null");
    assert!(
        o[2].suppressed,
        "ignored warnings are suppressed occurrences"
    );
    assert_eq!(o[2].locator, "/ignored_warnings/0");
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&Brakeman, "brakeman-json", "json");
    assert_eq!(
        Brakeman.parse(b"{\"scan_info\": {}}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
    assert_eq!(
        Brakeman.parse(b"[]").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn corpus_brakeman_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/brakeman/"));
    assert_eq!(files.len(), 2, "{files:?}");
    for src in &files {
        let report = parse_corpus(&Brakeman, &root, &src.rel, true);
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
        assert!(
            report.runs[0]
                .occurrences
                .iter()
                .all(|o| o.identity.tool_fingerprint.is_some())
        );
    }
}
