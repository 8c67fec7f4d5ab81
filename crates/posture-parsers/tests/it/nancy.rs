//! Nancy JSON: own fixtures, every Nancy file of the corpus, snapshot.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::nancy::Nancy;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "nancy-json";

#[test]
fn happy_fixture_snapshot() {
    let report = Nancy.parse(&fixture(ID, "happy.json")).expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.0.42"));
    assert_eq!(report.occurrence_count(), 2);
    let diags: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        diags,
        [
            (DiagnosticLevel::Warning, "/invalid/0"),
            (DiagnosticLevel::Skipped, "/vulnerable/0/Vulnerabilities/2"),
        ]
    );
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ[0].rule_id, "CVE-2017-1000070",
        "CVE from the title prefix"
    );
    assert_eq!(
        occ[0].vulnerability_ids,
        ["CVE-2017-1000070", "9eb9a5bc-8310-4104-bf85-3a820d28ba79"]
    );
    assert_eq!(occ[0].severity, Severity::Medium, "6.1 as a string");
    assert_eq!(occ[0].tool_severity.as_deref(), Some("6.1"));
    assert_eq!(
        occ[0].identity.tool_fingerprint.as_deref(),
        Some("9eb9a5bc-8310-4104-bf85-3a820d28ba79")
    );
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.name, "github.com/bitly/oauth2_proxy");
    assert_eq!(pkg.version.as_deref(), Some("0.1"));
    assert_eq!(pkg.ecosystem.as_deref(), Some("golang"));
    assert_eq!(occ[1].severity, Severity::Critical);
    assert!(occ[1].suppressed, "Excluded: true");
}

#[test]
fn empty_and_broken() {
    let r = Nancy.parse(&fixture(ID, "empty.json")).expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(
        Nancy.parse(&fixture(ID, "broken.json")).unwrap_err().kind,
        ParseErrorKind::Truncated
    );
    assert_eq!(
        Nancy.parse(br#"{"audited": []}"#).unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn detection() {
    let d = |b: &[u8]| Nancy.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "empty.json")), Confidence::CERTAIN);
    assert_eq!(d(br#"{"vulnerable": true}"#), Confidence::NO);
}

#[test]
fn corpus_files() {
    let per_vuln = "the corpus counts vulnerable packages; Posture emits one occurrence per \
                    vulnerability of each package";
    check_corpus(
        &Nancy,
        &["upstream/nancy/"],
        &[
            count(
                "upstream/nancy/defectdojo_nancy_many_findings.json",
                13,
                per_vuln,
            ),
            count("upstream/nancy/defectdojo_nancy_one_findings.json", 1, ""),
            count("upstream/nancy/defectdojo_nancy_no_findings.json", 0, ""),
        ],
    );
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&Nancy, &fixture(ID, "happy.json"));
}
