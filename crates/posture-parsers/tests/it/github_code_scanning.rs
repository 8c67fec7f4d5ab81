use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::github_code_scanning::GithubCodeScanning;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = GithubCodeScanning
        .parse(&fixture("github-code-scanning-json", "happy.json"))
        .expect("parses");
    assert_eq!(
        report.occurrence_count(),
        2,
        "open + dismissed; fixed left out"
    );
    let names: Vec<_> = report.runs.iter().map(|r| r.tool.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["codeql", "semgrep"],
        "one run per uploading tool"
    );
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(d.contains(&(DiagnosticLevel::Skipped, "/3")), "{d:?}");
    assert!(
        d.contains(&(DiagnosticLevel::Warning, "")),
        "fixed alerts counted: {d:?}"
    );
    let o = &report.runs[0].occurrences[0];
    assert_eq!(
        o.severity,
        Severity::Critical,
        "security_severity_level wins"
    );
    assert_eq!(o.cwes, vec![89, 90]);
    assert_eq!(o.location.end_line, Some(23));
    assert_eq!(
        o.identity.tool_fingerprint.as_deref(),
        Some("https://api.github.com/repos/acme/shop/code-scanning/alerts/7")
    );
    let s = &report.runs[1].occurrences[0];
    assert_eq!(s.severity, Severity::Medium, "SARIF level warning");
    assert!(s.suppressed, "dismissed");
    assert_eq!(s.locator, "/1");
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&GithubCodeScanning, "github-code-scanning-json", "json");
    assert_eq!(
        GithubCodeScanning
            .parse(b"{\"message\": \"Not Found\"}")
            .unwrap_err()
            .kind,
        ParseErrorKind::Shape
    );
}

/// `github_sast_zero_vul.json` is `[]`, which every list-shaped format could be: it parses as
/// zero occurrences but is not detected by content (pass --format).
#[test]
fn corpus_github_sast_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/github_sast/"));
    assert_eq!(files.len(), 2, "{files:?}");
    for src in &files {
        let empty = src.rel.ends_with("zero_vul.json");
        let report = parse_corpus(&GithubCodeScanning, &root, &src.rel, !empty);
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
    let r = parse_corpus(
        &GithubCodeScanning,
        &root,
        "defectdojo/github_sast/github_sast_many_vul.json",
        true,
    );
    assert_eq!(r.runs[0].tool.name, "codeql");
    // "None" strings (a Python export) read as absent
    assert!(r.runs[0].occurrences.iter().all(|o| !o.suppressed));
}
