use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::retirejs::Retirejs;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Retirejs
        .parse(&fixture("retirejs-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
    assert_eq!(report.diagnostics[0].locator, "/errors/0");
    assert_eq!(report.diagnostics[1].level, DiagnosticLevel::Skipped);
    assert_eq!(
        report.diagnostics[1].locator,
        "/data/0/results/0/vulnerabilities/3"
    );
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Sca);
    assert_eq!(occ[0].rule_id, "CVE-2012-6708");
    assert_eq!(
        occ[0].vulnerability_ids,
        vec![
            "CVE-2012-6708".to_string(),
            "GHSA-2pqj-h3vj-pqgw".to_string()
        ]
    );
    assert_eq!(occ[0].cwes, vec![64, 79]);
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("static/js/jquery-1.8.0.min.js")
    );
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.fixed_versions, vec!["1.9.0b1".to_string()]);
    assert_eq!(occ[1].severity, Severity::High);
    assert_eq!(occ[1].vulnerability_ids, vec!["CVE-2015-9251".to_string()]);
    assert_eq!(occ[2].rule_id, "retire-54");
    assert!(occ[2].vulnerability_ids.is_empty());
}

#[test]
fn empty_legacy_and_broken() {
    let r = Retirejs
        .parse(&fixture("retirejs-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    // retire 1.x: the data list at the top level
    let legacy = br#"[{"file": "a.js", "results": [{"component": "jquery", "version": "1.2", "detection": "filename", "vulnerabilities": [{"severity": "medium", "identifiers": {"summary": "x"}}]}]}]"#;
    let r = Retirejs.parse(legacy).expect("parses");
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(
        r.runs[0].occurrences[0].locator,
        "/0/results/0/vulnerabilities/0"
    );
    let e = Retirejs
        .parse(&fixture("retirejs-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Retirejs.parse(b"{\"other\": 1}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_retirejs_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/retirejs/"));
    assert_eq!(files.len(), 1);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Retirejs
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        let n = src.findings.expect("count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        match src.rel.as_str() {
            // DefectDojo merges same-titled items of one file (CVE-2020-11022 and
            // CVE-2020-11023 share a summary, in 3 jQuery files): 26 - 3 = 23. Posture keeps
            // the distinct advisories apart.
            "defectdojo/retirejs/latest.json" => {
                assert_eq!(n, 26);
                assert_eq!(src.dojo_expected.as_deref(), Some("23"));
                let merged = report.runs[0]
                    .occurrences
                    .iter()
                    .filter(|o| o.vulnerability_ids == vec!["CVE-2020-11023".to_string()])
                    .count();
                assert_eq!(merged, 3);
            }
            other => panic!("unexpected corpus file {other}"),
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "retirejs-json", "{}", src.rel);
    }
}
