use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::terrascan::Terrascan;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Terrascan
        .parse(&fixture("terrascan-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ.len(),
        3,
        "2 violations + 1 skipped; the string item is skipped"
    );
    let levels: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        levels,
        vec![
            (DiagnosticLevel::Skipped, "/results/violations/2"),
            (DiagnosticLevel::Warning, "/results/scan_errors/0")
        ]
    );
    let first = &occ[0];
    assert_eq!(first.category, Category::Iac);
    assert_eq!(first.rule_id, "AC_AWS_0210");
    assert_eq!(first.severity, Severity::High);
    assert_eq!(
        first.location.resource.as_deref(),
        Some("aws_s3_bucket.data")
    );
    assert_eq!(first.location.path.as_deref(), Some("s3.tf"));
    assert_eq!(occ[1].location.path.as_deref(), Some("app/Dockerfile"));
    assert_eq!(occ[1].location.start_line, Some(1));
    assert!(occ[2].suppressed);
    assert_eq!(occ[2].locator, "/results/skipped_violations/0");
}

#[test]
fn empty_and_broken() {
    let r = Terrascan
        .parse(&fixture("terrascan-json", "empty.json"))
        .unwrap();
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.diagnostics.is_empty());
    let e = Terrascan
        .parse(&fixture("terrascan-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(
        Terrascan.parse(b"{\"results\": []}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
    assert_eq!(
        Terrascan.parse(b"{}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

fn is_terrascan(rel: &str) -> bool {
    rel.starts_with("defectdojo/terrascan/")
}

#[test]
fn corpus_terrascan_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| is_terrascan(&s.rel));
    assert_eq!(files.len(), 2, "expected the terrascan corpus");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Terrascan
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        // both files carry two benign scan errors (no kustomize/helm input): warnings
        assert_eq!(report.diagnostics.len(), 2, "{}", src.rel);
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| d.level == DiagnosticLevel::Warning)
        );
        let n = src.findings.expect("every terrascan row has a count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "terrascan-json", "{}", src.rel);
    }
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Terrascan, &fixture("terrascan-json", "happy.json"));
}
