use crate::common::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::clair::Clair;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Clair
        .parse(&fixture("clair-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/vulnerabilities/3");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Container);
    assert_eq!(occ[0].severity, Severity::Medium);
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("deb"));
    assert_eq!(pkg.fixed_versions, vec!["1.44.1-1ubuntu1.2".to_string()]);
    assert_eq!(
        occ[0].location.image.as_deref(),
        Some("registry.example.com/app:2.0")
    );
    assert!(!occ[0].suppressed);
    assert!(
        occ[1]
            .package
            .as_ref()
            .is_some_and(|p| p.fixed_versions.is_empty())
    );
    assert!(occ[2].suppressed, "not in `unapproved`: whitelisted");
    assert_eq!(occ[2].severity, Severity::Info);
}

#[test]
fn klar_shape() {
    let report = Clair
        .parse(&fixture("clair-json", "klar.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].severity, Severity::Critical);
    assert_eq!(occ[0].locator, "/Vulnerabilities/Defcon1/0");
    assert_eq!(occ[1].vulnerability_ids, vec!["RHSA-2019:0109".to_string()]);
    assert_eq!(
        occ[1].package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("rpm")
    );
}

#[test]
fn empty_and_broken() {
    let r = Clair
        .parse(&fixture("clair-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let r = Clair
        .parse(b"{\"LayerCount\": 3, \"Vulnerabilities\": null}")
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = Clair
        .parse(&fixture("clair-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Clair.parse(b"{\"foo\": []}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_clair_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/clair/"));
    assert_eq!(files.len(), 4);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Clair
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        let n = src.findings.expect("count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        assert_eq!(src.dojo_expected.as_deref(), Some(n.to_string().as_str()));
        assert!(report.runs[0].occurrences.iter().all(|o| !o.suppressed));
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "clair-json", "{}", src.rel);
    }
}
