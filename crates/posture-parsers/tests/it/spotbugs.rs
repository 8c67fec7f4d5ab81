use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::Severity;
use posture_parsers::formats::spotbugs::SpotBugs;
use posture_parsers::{ParseErrorKind, Parser};
use std::collections::HashSet;

#[test]
fn happy_fixture() {
    let report = SpotBugs
        .parse(&fixture("spotbugs-xml", "happy.xml"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("4.8.6"));
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].rule_id, "SQL_INJECTION_JDBC");
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].cwes, vec![89]);
    assert_eq!(o[0].locator, "/BugCollection/BugInstance[1]");
    assert_eq!(o[0].location.path.as_deref(), Some("com/acme/UserDao.java"));
    assert_eq!(o[0].location.start_line, Some(34), "the primary SourceLine");
    // two instances of one bug in one method share the instanceHash: two occurrences, one identity
    assert_eq!(o[1].location.start_line, Some(39));
    assert_eq!(
        o[0].identity.tool_fingerprint,
        o[1].identity.tool_fingerprint
    );
    assert_eq!(o[2].severity, Severity::Low);
    assert_eq!(o[2].cwes, vec![476], "cweid from the BugPattern");
    assert_eq!(
        o[2].location.start_line,
        Some(5),
        "the class's SourceLine when the bug has none"
    );
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&SpotBugs, "spotbugs-xml", "xml");
    let e = SpotBugs
        .parse(b"<analysis><dependencies/></analysis>")
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("BugCollection"));
    let xxe = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><BugCollection><BugInstance type=\"&e;\"/></BugCollection>";
    assert!(
        SpotBugs.parse(xxe).is_err(),
        "external entities are refused"
    );
}

/// DefectDojo's `many_findings.xml` has 83 BugInstances; its test asserts 81 because DefectDojo
/// merges instances with the same `instanceHash` (two hashes appear twice: two instances of
/// one bug type in one method). Posture emits all 83 occurrences, each with its own locator
/// and line, and gives both of a pair the same `tool_fingerprint`: the engine collapses them
/// into 81 findings by identity.
#[test]
fn corpus_spotbugs_xml_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/spotbugs/"));
    assert_eq!(files.len(), 2, "{files:?}");
    for src in &files {
        let report = parse_corpus(&SpotBugs, &root, &src.rel, true);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        let hashes: HashSet<_> = report.runs[0]
            .occurrences
            .iter()
            .map(|o| o.identity.tool_fingerprint.clone().expect("instanceHash"))
            .collect();
        let dojo: usize = src.dojo_expected.as_deref().unwrap().parse().unwrap();
        assert_eq!(
            hashes.len(),
            dojo,
            "{}: distinct identities = DefectDojo's count",
            src.rel
        );
    }
}
