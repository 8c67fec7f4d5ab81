use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::hadolint::Hadolint;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Hadolint
        .parse(&fixture("hadolint-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 4);
    assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.level == DiagnosticLevel::Skipped)
    );
    assert_eq!(report.diagnostics[0].locator, "/4");
    assert_eq!(report.diagnostics[1].locator, "/5");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Iac);
    assert_eq!(occ[0].location.path.as_deref(), Some("docker/Dockerfile"));
    assert_eq!(occ[0].severity, Severity::Medium);
    assert_eq!(occ[1].location.start_line, Some(7));
    assert_eq!(occ[1].severity, Severity::Low);
    assert_eq!(occ[2].severity, Severity::High);
    assert_eq!(occ[3].severity, Severity::Info);
    assert_eq!(occ[3].locator, "/3");
}

#[test]
fn empty_and_broken() {
    let r = Hadolint
        .parse(&fixture("hadolint-json", "empty.json"))
        .expect("empty parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = Hadolint
        .parse(&fixture("hadolint-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Hadolint.parse(b"{\"a\": 1}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert_eq!(Hadolint.parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
}

#[test]
fn corpus_hadolint_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/hadolint/") || s.rel.starts_with("defectdojo/hadolint/")
    });
    assert_eq!(files.len(), 4);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Hadolint
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        let n = src.findings.expect("every hadolint row has a count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        if let Some(d) = &src.dojo_expected {
            assert_eq!(d, &n.to_string(), "{}", src.rel);
        }
        for o in &report.runs[0].occurrences {
            let p = o.location.path.as_deref().unwrap_or("");
            assert!(!p.contains('\\'), "{}: {p}", src.rel);
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "hadolint-json", "{}", src.rel);
    }
}
