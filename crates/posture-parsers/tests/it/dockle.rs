use crate::common::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::dockle::Dockle;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Dockle
        .parse(&fixture("dockle-json", "happy.json"))
        .expect("parses");
    // FATAL, WARN, INFO, IGNORE kept; SKIP and PASS dropped; the last item is broken
    assert_eq!(report.occurrence_count(), 4);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/details/6");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].severity, Severity::High);
    assert_eq!(occ[0].category, Category::Container);
    assert_eq!(occ[0].location.image.as_deref(), Some("example/app:1.2"));
    assert_eq!(occ[1].severity, Severity::Medium);
    assert_eq!(occ[2].severity, Severity::Low);
    assert!(occ[2].description.is_none());
    assert!(occ[3].suppressed);
    assert_eq!(occ[3].locator, "/details/4");
}

#[test]
fn empty_and_broken() {
    let r = Dockle
        .parse(&fixture("dockle-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = Dockle
        .parse(&fixture("dockle-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Dockle.parse(b"{\"results\": []}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = Dockle.parse(b"[1]").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_dockle_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/dockle/"));
    assert_eq!(files.len(), 2);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Dockle
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        let n = src.findings.expect("count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        match src.rel.as_str() {
            // DefectDojo drops the IGNORE-level detail (CIS-DI-0006); Posture keeps it as a
            // suppressed occurrence: 4 = DefectDojo's 3 + 1 suppressed.
            "defectdojo/dockle/many_findings.json" => {
                assert_eq!(src.dojo_expected.as_deref(), Some("3"));
                let active = report.runs[0]
                    .occurrences
                    .iter()
                    .filter(|o| !o.suppressed)
                    .count();
                assert_eq!(active, 3);
            }
            _ => assert_eq!(src.dojo_expected.as_deref(), Some(n.to_string().as_str())),
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "dockle-json", "{}", src.rel);
    }
}
