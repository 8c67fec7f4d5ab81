use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::kics::Kics;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Kics
        .parse(&fixture("kics-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 2);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/queries/0/files/1");
    let first = &occ[0];
    assert_eq!(first.category, Category::Iac);
    assert_eq!(first.rule_id, "38c5ee0d-7f22-4260-ab72-5073048df100");
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.locator, "/queries/0/files/0");
    assert_eq!(
        first.location.path.as_deref(),
        Some("infra/s3.tf"),
        "backslashes normalized"
    );
    assert_eq!(
        first.location.resource.as_deref(),
        Some("aws_s3_bucket[data].acl")
    );
    assert_eq!(first.cwes, vec![732]);
    assert!(
        first
            .identity
            .tool_fingerprint
            .as_deref()
            .is_some_and(|f| f.len() == 64)
    );
    assert!(
        occ[1].identity.tool_fingerprint.is_none(),
        "empty similarity_id dropped"
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("v1.7.13"));
}

#[test]
fn empty_and_broken() {
    assert_eq!(
        Kics.parse(&fixture("kics-json", "empty.json"))
            .unwrap()
            .occurrence_count(),
        0
    );
    let e = Kics
        .parse(&fixture("kics-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(Kics.parse(b"[]").unwrap_err().kind, ParseErrorKind::Shape);
    assert_eq!(
        Kics.parse(b"{\"x\": 1}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

fn is_kics_json(rel: &str) -> bool {
    (rel.starts_with("upstream/kics/") || rel.starts_with("defectdojo/kics/"))
        && rel.ends_with(".json")
}

#[test]
fn corpus_kics_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| is_kics_json(&s.rel));
    assert_eq!(files.len(), 5, "expected the kics corpus");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Kics
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = src.findings.expect("every kics row has a count");
        // one occurrence per files[] entry, as DefectDojo counts (18 for many_findings.json,
        // whose "RBAC Wildcard In Rule" lists one place four times: four occurrences sharing
        // one similarity_id fingerprint, merged by the engine)
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "kics-json", "{}", src.rel);
        for o in &report.runs[0].occurrences {
            assert!(!o.location.path.as_deref().unwrap_or("").contains('\\'));
        }
        if src.rel.ends_with("many_findings.json") {
            let fps: std::collections::BTreeSet<_> = report.runs[0]
                .occurrences
                .iter()
                .filter_map(|o| o.identity.tool_fingerprint.clone())
                .collect();
            assert_eq!(fps.len(), 15, "18 entries, 15 distinct similarity ids");
        }
    }
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Kics, &fixture("kics-json", "happy.json"));
}
