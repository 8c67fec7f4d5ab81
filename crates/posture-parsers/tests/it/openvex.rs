use crate::common::*;
use posture_model::{DiagnosticLevel, VexStatus};
use posture_parsers::formats::openvex::OpenVex;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("openvex-json", "happy.json");
    let report = OpenVex.parse(&bytes).expect("parses");
    assert_eq!(report.occurrence_count(), 0, "VEX reports no findings");
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].tool.name, "openvex");
    assert_eq!(report.vex.len(), 2);
    let a = &report.vex[0];
    assert_eq!(
        a.vulnerability_ids,
        vec!["GO-2021-0054", "CVE-2020-36067", "GHSA-p64j-r5f4-pwwx"]
    );
    assert_eq!(
        a.products,
        vec![
            "pkg:oci/shop@sha256%3Aabc",
            "pkg:golang/github.com%2Ftidwall%2Fgjson@v1.6.5"
        ]
    );
    assert_eq!(a.status, VexStatus::NotAffected);
    assert_eq!(
        a.timestamp.as_deref(),
        Some("2024-03-01T10:00:00Z"),
        "document time"
    );
    assert_eq!(a.locator, "/statements/0");
    let b = &report.vex[1];
    assert_eq!(b.status, VexStatus::Affected);
    assert_eq!(b.action_statement.as_deref(), Some("Upgrade to 2.39.1"));
    assert_eq!(b.timestamp.as_deref(), Some("2024-03-02T09:00:00Z"));
    let skipped: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Skipped)
        .map(|d| d.locator.as_str())
        .collect();
    assert_eq!(
        skipped,
        vec!["/statements/2", "/statements/3", "/statements/4"]
    );
}

#[test]
fn empty_and_broken() {
    let r = OpenVex
        .parse(&fixture("openvex-json", "empty.json"))
        .expect("parses");
    assert!(r.vex.is_empty());
    let e = OpenVex
        .parse(&fixture("openvex-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = OpenVex.parse(br#"{"bomFormat": "CycloneDX"}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("OpenVEX"));
}

#[test]
fn corpus_openvex_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/openvex/")
            || s.rel == "upstream/govulncheck/source_call_vex.openvex.json"
    });
    assert_eq!(files.len(), 7);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = OpenVex
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(report.occurrence_count(), 0);
        // SOURCES.tsv counts statements
        let n = src.findings.expect("count");
        assert_eq!(report.vex.len(), n, "{}", src.rel);
        for st in &report.vex {
            assert!(!st.products.is_empty(), "{}: {}", src.rel, st.locator);
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "openvex-json", "{}", src.rel);
    }
    let r = OpenVex
        .parse(&read(&root, "upstream/openvex/v0.0.1.json"))
        .expect("v0.0.1");
    assert_eq!(r.vex[0].vulnerability_ids, vec!["CVE-2023-12345"]);
    assert_eq!(r.vex[0].products.len(), 2);
    assert_eq!(r.vex[0].status, VexStatus::Fixed);
}
