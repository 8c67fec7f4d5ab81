//! Grype JSON lines: own fixtures, the corpus file, snapshot, detection.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::grype::jsonl::GrypeJsonl;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let report = GrypeJsonl
        .parse(&fixture("grype-jsonl", "happy.jsonl"))
        .expect("parses");
    assert_eq!(report.format, "grype-jsonl");
    assert_eq!(report.runs[0].tool.name, "grype");
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/2");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].locator, "/0");
    assert_eq!(occ[0].category, Category::Sca, "a python package, no layer");
    assert_eq!(occ[0].rule_id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(
        occ[0].vulnerability_ids,
        ["CVE-2026-4000", "GHSA-aaaa-bbbb-cccc"]
    );
    assert_eq!(occ[0].severity, Severity::High);
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("pypi"));
    assert_eq!(pkg.fixed_versions, ["2.0.1"]);
    assert_eq!(occ[1].locator, "/1");
    assert_eq!(occ[1].category, Category::Container, "a deb package");
    assert_eq!(occ[1].severity, Severity::Info);
    assert_eq!(occ[1].location.layer.as_deref(), Some("sha256:layer1"));
}

#[test]
fn whole_documents_per_line() {
    let line = br#"{"matches":[{"vulnerability":{"id":"CVE-2026-1","severity":"Low"},"artifact":{"name":"a","version":"1","type":"npm"}},{"vulnerability":{},"artifact":{}}]}"#;
    let r = GrypeJsonl.parse(line).unwrap();
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(r.runs[0].occurrences[0].locator, "/0/matches/0");
    assert_eq!(r.diagnostics[0].locator, "/0/matches/1");
}

#[test]
fn empty_shapes_are_zero_findings() {
    for input in [
        &fixture("grype-jsonl", "empty.jsonl")[..],
        b"\n\n",
        b"\xEF\xBB\xBF",
    ] {
        let r = GrypeJsonl.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = GrypeJsonl
        .parse(&fixture("grype-jsonl", "broken.jsonl"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let r = GrypeJsonl.parse(b"[1, 2]\n\"text\"\n").unwrap();
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 2, "non-objects are skipped items");
}

#[test]
fn detection() {
    let d = |b: &[u8]| GrypeJsonl.detect(&Sniff::new(b));
    assert_eq!(
        d(&fixture("grype-jsonl", "happy.jsonl")),
        Confidence::CERTAIN
    );
    // a whole grype -o json document belongs to grype-json
    assert_eq!(
        d(br#"{"matches":[{"vulnerability":{},"artifact":{},"matchDetails":[]}],"source":{}}"#),
        Confidence::NO
    );
    assert_eq!(
        posture_parsers::detect(&fixture("grype-jsonl", "happy.jsonl"))
            .map(|p| p.id())
            .ok(),
        Some("grype-jsonl")
    );
}

#[test]
fn corpus_grype_jsonl() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.tool == "grype" && s.format == "jsonl");
    assert_eq!(
        files.len(),
        1,
        "expected jsonl_TestJSONLImgsPresenter.golden"
    );
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = GrypeJsonl
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "grype-jsonl", "{}", src.rel);
        let occ = &report.runs[0].occurrences;
        // rpm and deb artifacts: OS packages, so container findings
        assert!(occ.iter().all(|o| o.category == Category::Container));
        assert_eq!(occ[0].severity, Severity::Low);
        assert_eq!(occ[1].severity, Severity::Critical);
        assert_eq!(
            occ[0].package.as_ref().map(|p| p.fixed_versions.len()),
            Some(3)
        );
    }
}
