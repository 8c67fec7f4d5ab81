//! Safety JSON (1.x list of lists, 2.x object): own fixtures, the Safety files of the corpus.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::safety::Safety;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "safety-json";

#[test]
fn happy_fixture_snapshot() {
    let report = Safety.parse(&fixture(ID, "happy.json")).expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/2");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].rule_id, "37771");
    assert_eq!(
        occ[0].vulnerability_ids,
        ["pyup.io-37771", "CVE-2019-19844"]
    );
    assert_eq!(occ[0].severity, Severity::Medium);
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(
        (pkg.name.as_str(), pkg.version.as_deref()),
        ("django", Some("1.2"))
    );
    // "See: CVE-..." is not the "See CVE-" citation form, and "overlap CVE-..." is no alias
    assert_eq!(occ[1].vulnerability_ids, ["pyup.io-38654"]);
    assert_eq!(occ[2].rule_id, "39525", "numeric id read as text");
    assert_eq!(occ[2].locator, "/3");
}

#[test]
fn v2_object() {
    let report = Safety.parse(&fixture(ID, "v2.json")).expect("parses");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("2.3.5"));
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics[0].locator, "/vulnerabilities/2");
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ[0].vulnerability_ids,
        ["pyup.io-37771", "CVE-2019-19844"]
    );
    assert_eq!(occ[0].severity, Severity::Critical, "CVSS v3 9.8");
    assert_eq!(occ[0].cvss.len(), 2);
    assert_eq!(
        occ[0].package.as_ref().map(|p| p.fixed_versions.len()),
        Some(2)
    );
    assert_eq!(occ[1].severity, Severity::Medium, "no rating");
    assert!(
        occ[1]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("<1.2.2")
    );
}

#[test]
fn empty_and_broken() {
    let r = Safety.parse(&fixture(ID, "empty.json")).expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(
        Safety.parse(&fixture(ID, "broken.json")).unwrap_err().kind,
        ParseErrorKind::Truncated
    );
    for shape in [&br#"{"scan_results": {}}"#[..], b"\"x\""] {
        assert_eq!(Safety.parse(shape).unwrap_err().kind, ParseErrorKind::Shape);
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| Safety.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::MATCH);
    assert_eq!(d(&fixture(ID, "v2.json")), Confidence::CERTAIN);
    assert_eq!(d(b"[[1, 2, 3]]"), Confidence::NO);
    assert_eq!(d(b"[]"), Confidence::NO);
}

#[test]
fn corpus_files() {
    check_corpus(
        &Safety,
        &[],
        &[
            count("multiscan/terragoat/safety.json", 23, ""),
            count("multiscan/terragoat/safety.1.json", 23, ""),
            count("multiscan/vulnerable-flask-app/safety.json", 18, ""),
        ],
    );
    let Some(root) = corpus_root() else { return };
    let r = Safety
        .parse(&read(&root, "multiscan/terragoat/safety.json"))
        .expect("parses");
    let first = &r.runs[0].occurrences[0];
    assert_eq!(first.vulnerability_ids, ["pyup.io-37771", "CVE-2019-19844"]);
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&Safety, &fixture(ID, "happy.json"));
    truncations_never_panic(&Safety, &fixture(ID, "v2.json"));
}
