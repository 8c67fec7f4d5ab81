//! cargo-audit JSON: own fixtures, every cargo-audit file of the corpus, snapshot.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::cargo_audit::CargoAudit;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "cargo-audit-json";

#[test]
fn happy_fixture_snapshot() {
    let report = CargoAudit
        .parse(&fixture(ID, "happy.json"))
        .expect("parses");
    assert_eq!(report.format, ID);
    // 2 vulnerabilities (+1 broken), 3 warnings
    assert_eq!(report.occurrence_count(), 5);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/vulnerabilities/list/2");
    let occ = &report.runs[0].occurrences;
    let rsa = &occ[0];
    assert_eq!(
        rsa.vulnerability_ids,
        ["RUSTSEC-2023-0071", "CVE-2023-49092", "GHSA-c38w-74pg-36hr"]
    );
    assert_eq!(rsa.severity, Severity::Medium, "a vector without a score");
    assert_eq!(rsa.cvss[0].source, "rustsec");
    assert_eq!(rsa.cvss[0].score, None);
    let pkg = rsa.package.as_ref().expect("package");
    assert_eq!(pkg.purl.as_deref(), Some("pkg:cargo/rsa@0.9.8"));
    assert_eq!(pkg.ecosystem.as_deref(), Some("cargo"));
    let arc = &occ[1];
    let apkg = arc.package.as_ref().expect("package");
    assert_eq!(apkg.fixed_versions, ["1.1.0"]);
    assert_eq!(apkg.purl, None, "not from crates.io");
    assert!(arc.description.as_deref().unwrap_or("").contains("^0.4.8"));
    let kinds: Vec<(&str, Severity, &str)> = occ[2..]
        .iter()
        .map(|o| (o.rule_id.as_str(), o.severity, o.locator.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "RUSTSEC-2020-0016",
                Severity::Info,
                "/warnings/unmaintained/0"
            ),
            ("RUSTSEC-2021-0145", Severity::Low, "/warnings/unsound/0"),
            ("yanked", Severity::Info, "/warnings/yanked/0"),
        ]
    );
    assert!(
        occ[4].vulnerability_ids.is_empty(),
        "a yanked crate has no advisory"
    );
}

#[test]
fn empty_and_broken() {
    let r = CargoAudit
        .parse(&fixture(ID, "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(
        CargoAudit
            .parse(&fixture(ID, "broken.json"))
            .unwrap_err()
            .kind,
        ParseErrorKind::Truncated
    );
    assert_eq!(
        CargoAudit.parse(br#"{"database": {}}"#).unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn detection() {
    let d = |b: &[u8]| CargoAudit.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "empty.json")), Confidence::CERTAIN);
    assert_eq!(
        d(br#"{"vulnerabilities": {"list": [], "found": false}}"#),
        Confidence::NO
    );
}

/// Corpus checks skip occurrences without vulnerability ids; yanked warnings have none, so
/// the corpus files are checked here directly as well.
#[test]
fn corpus_files() {
    let Some(root) = corpus_root() else { return };
    let many = CargoAudit
        .parse(&read(
            &root,
            "upstream/cargo-audit/defectdojo_many_findings.json",
        ))
        .expect("parses");
    // 4 vulnerabilities + 3 unmaintained + 6 yanked warnings
    assert_eq!(many.occurrence_count(), 13);
    let vulns = many.runs[0]
        .occurrences
        .iter()
        .filter(|o| o.locator.starts_with("/vulnerabilities/"))
        .count();
    assert_eq!(vulns, 4, "DefectDojo's 4");
    check_corpus(
        &CargoAudit,
        &[],
        &[
            count("upstream/cargo-audit/Tools_cargo-audit.json", 1, ""),
            count("upstream/cargo-audit/defectdojo_no_findings.json", 0, ""),
        ],
    );
    assert_eq!(
        posture_parsers::detect(&read(
            &root,
            "upstream/cargo-audit/defectdojo_many_findings.json"
        ))
        .map(|p| p.id()),
        Ok(ID)
    );
    // every cargo-audit corpus file is listed above
    let listed = [
        "upstream/cargo-audit/Tools_cargo-audit.json",
        "upstream/cargo-audit/defectdojo_many_findings.json",
        "upstream/cargo-audit/defectdojo_no_findings.json",
    ];
    for f in all_corpus_files(&root)
        .iter()
        .filter(|f| f.starts_with("upstream/cargo-audit/"))
    {
        assert!(listed.contains(&f.as_str()), "{f} without an expectation");
    }
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&CargoAudit, &fixture(ID, "happy.json"));
}
