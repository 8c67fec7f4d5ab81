//! yarn audit JSON lines (yarn classic and berry): own fixtures, every yarn file of the corpus.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::npm::yarn::YarnAudit;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "yarn-audit-jsonl";

#[test]
fn happy_fixture_snapshot() {
    let report = YarnAudit
        .parse(&fixture(ID, "happy.jsonl"))
        .expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.runs[0].tool.name, "yarn");
    // two lines of one advisory (two paths) merge; one more advisory; one line without data
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/4/data");
    let occ = &report.runs[0].occurrences;
    let nf = &occ[0];
    assert_eq!(nf.locator, "/1", "the first line of the advisory");
    assert_eq!(
        nf.vulnerability_ids,
        ["GHSA-r683-j2x4-v87g", "CVE-2022-0235"]
    );
    assert_eq!(nf.cwes, [173, 200, 601], "CWEs of both lines");
    let desc = nf.description.as_deref().unwrap_or("");
    assert!(
        desc.contains("react-native>metro>node-fetch")
            && desc.contains("react-native>cli>node-fetch"),
        "{desc}"
    );
    assert_eq!(nf.severity, Severity::High);
    let pkg = nf.package.as_ref().expect("package");
    assert_eq!(pkg.version.as_deref(), Some("2.6.5"));
    assert_eq!(pkg.fixed_versions, ["2.6.7"]);
    let mm = &occ[1];
    assert_eq!(mm.vulnerability_ids, ["npm-advisory-1179"]);
    assert_eq!(mm.severity, Severity::Medium);
}

#[test]
fn berry_lines() {
    let report = YarnAudit
        .parse(&fixture(ID, "berry.jsonl"))
        .expect("parses");
    // transformers in two installed versions, one deprecation notice
    assert_eq!(report.occurrence_count(), 3);
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].vulnerability_ids, ["GHSA-37q5-v5qm-c9v8"]);
    assert_eq!(occ[0].severity, Severity::Low);
    assert_eq!(occ[0].locator, "/0");
    assert_eq!(
        occ[1].package.as_ref().and_then(|p| p.version.as_deref()),
        Some("4.36.1")
    );
    assert_eq!(
        occ[2].rule_id,
        "@babel/plugin-proposal-class-properties (deprecation)"
    );
    assert_eq!(occ[2].severity, Severity::Medium);
}

#[test]
fn empty_errors_and_broken() {
    let r = YarnAudit
        .parse(&fixture(ID, "empty.jsonl"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.diagnostics.is_empty());
    let e = YarnAudit
        .parse(&fixture(ID, "broken-tool-error.jsonl"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ToolError);
    assert!(e.message.contains("ECONNREFUSED"), "{e}");
    let e = YarnAudit.parse(&fixture(ID, "broken.jsonl")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(
        YarnAudit.parse(b"").unwrap_err().kind,
        ParseErrorKind::Empty
    );
    assert_eq!(
        YarnAudit.parse(b"{\"a\": 1}\n").unwrap_err().kind,
        ParseErrorKind::Shape
    );
    // an error line beside results is a warning
    let mut mixed = fixture(ID, "happy.jsonl");
    mixed.extend_from_slice(b"{\"type\":\"error\",\"data\":\"late failure\"}\n");
    let r = YarnAudit.parse(&mixed).expect("parses");
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Warning && d.message.contains("late failure"))
    );
}

#[test]
fn detection() {
    let d = |b: &[u8]| YarnAudit.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.jsonl")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "berry.jsonl")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "empty.jsonl")), Confidence::CERTAIN);
    assert_eq!(
        d(&fixture(ID, "broken-tool-error.jsonl")),
        Confidence::MATCH
    );
    assert_eq!(d(br#"{"type": "error", "data": "x"}"#), Confidence::NO);
}

#[test]
fn corpus_files() {
    check_corpus(
        &YarnAudit,
        &["defectdojo/yarn_audit/"],
        &[
            count("defectdojo/yarn_audit/yarn_audit_many_vul.json", 3, ""),
            count(
                "defectdojo/yarn_audit/yarn_audit_multiple_cwes.json",
                3,
                "11 auditAdvisory lines (one per dependency path) of 3 advisories, each in one \
                 installed version: one occurrence per advisory and version, paths merged (as \
                 DefectDojo's 3)",
            ),
            count("defectdojo/yarn_audit/yarn_audit_zero_vul.json", 0, ""),
            count("defectdojo/yarn_audit/yarn2_audit_issue9911.json", 4, ""),
            fails(
                "defectdojo/yarn_audit/empty_with_error.json",
                ParseErrorKind::ToolError,
                "yarn could not reach the registry: only warning/error/info lines",
            ),
            other(
                "defectdojo/yarn_audit/issue_6495_multi_cwe_fabricated.json",
                "npm-audit-json",
                "npm 6 advisories{} shape (yarn berry); read by npm-audit-json",
            ),
        ],
    );
    // the npm-6-shaped file also reads with --format yarn-audit-jsonl
    let Some(root) = corpus_root() else { return };
    let r = YarnAudit
        .parse(&read(
            &root,
            "defectdojo/yarn_audit/issue_6495_multi_cwe_fabricated.json",
        ))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 3);
    assert_eq!(r.format, ID);
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&YarnAudit, &fixture(ID, "happy.jsonl"));
    truncations_never_panic(&YarnAudit, &fixture(ID, "berry.jsonl"));
}
