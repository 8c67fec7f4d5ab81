//! osv-scanner JSON: own fixtures, every osv-scanner file of the corpus, snapshot.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::osv::scanner::OsvScanner;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "osv-scanner-json";

#[test]
fn happy_fixture_snapshot() {
    let report = OsvScanner
        .parse(&fixture(ID, "happy.json"))
        .expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.runs[0].tool.name, "osv-scanner");
    // one group of two records, one ungrouped record, one broken record, one crate
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(
        report.diagnostics[0].locator,
        "/results/0/packages/1/vulnerabilities/1"
    );
    let occ = &report.runs[0].occurrences;
    let g = &occ[0];
    assert_eq!(g.category, Category::Sca);
    assert_eq!(g.locator, "/results/0/packages/0/groups/0");
    assert_eq!(g.rule_id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(
        g.vulnerability_ids,
        ["GHSA-aaaa-bbbb-cccc", "OSV-2026-1", "CVE-2026-1000"]
    );
    assert_eq!(g.severity, Severity::High, "max_severity 8.1");
    assert_eq!(g.tool_severity.as_deref(), Some("8.1"));
    assert_eq!(g.cwes, [22, 23], "CWEs of both records");
    assert_eq!(g.cvss[0].source, "ghsa");
    assert!(
        g.cvss[0]
            .vector
            .as_deref()
            .unwrap_or("")
            .starts_with("CVSS:3.1/")
    );
    let pkg = g.package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("npm"));
    assert_eq!(pkg.fixed_versions, ["2.0.1"]);
    assert_eq!(pkg.purl.as_deref(), Some("pkg:npm/uploadlib@2.0.0"));
    assert_eq!(g.location.path.as_deref(), Some("web/package-lock.json"));
    assert!(
        g.description
            .as_deref()
            .unwrap_or("")
            .ends_with("Reachability: called")
    );

    let py = &occ[1];
    assert_eq!(py.locator, "/results/0/packages/1/vulnerabilities/0");
    assert_eq!(py.severity, Severity::Medium, "GHSA MODERATE");
    assert_eq!(py.tool_severity.as_deref(), Some("MODERATE"));
    assert_eq!(
        py.package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("pypi")
    );
    let rs = &occ[2];
    assert_eq!(rs.severity, Severity::Medium, "no rating: medium");
    assert_eq!(rs.tool_severity, None);
    assert_eq!(rs.vulnerability_ids, ["RUSTSEC-2026-0001", "CVE-2026-2000"]);
    assert_eq!(
        rs.package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("cargo")
    );
}

#[test]
fn empty_shapes_are_zero_findings() {
    for input in [
        &fixture(ID, "empty.json")[..],
        b"",
        b"  \n",
        br#"{"results": []}"#,
        br#"{"results": [{"source": {"path": "x"}, "packages": null}]}"#,
    ] {
        let r = OsvScanner.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = OsvScanner.parse(&fixture(ID, "broken.json")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    for shape in [
        &br#"{"id": "GHSA-1", "affected": []}"#[..],
        b"[]",
        br#"{"results": 3}"#,
    ] {
        assert_eq!(
            OsvScanner.parse(shape).unwrap_err().kind,
            ParseErrorKind::Shape
        );
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| OsvScanner.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(
        d(br#"{"results": [], "experimental_config": {}}"#),
        Confidence::CERTAIN
    );
    assert_eq!(d(br#"{"results": [{"check_id": "x"}]}"#), Confidence::NO);
    assert_eq!(
        d(b""),
        Confidence::NO,
        "0-byte files are parsed with --format"
    );
}

#[test]
fn corpus_files() {
    check_corpus(
        &OsvScanner,
        &["upstream/osv-scanner/", "defectdojo/osv_scanner/"],
        &[
            count(
                "defectdojo/osv_scanner/many_findings.json",
                37,
                "66 OSV records in 37 groups: one occurrence per group per package (a GHSA and \
                 its PYSEC twin are one issue); DefectDojo counts records",
            ),
            count("defectdojo/osv_scanner/multi_cwe_fabricated.json", 1, ""),
            undetectable(
                "defectdojo/osv_scanner/no_findings.json",
                0,
                "0-byte file: zero findings with --format",
            ),
            count(
                "upstream/osv-scanner/defectdojo_many_findings.json",
                37,
                "66 records in 37 groups (see above)",
            ),
            count("upstream/osv-scanner/defectdojo_some_findings.json", 1, ""),
            undetectable(
                "upstream/osv-scanner/defectdojo_no_findings.json",
                0,
                "0-byte file",
            ),
            count(
                "upstream/osv-scanner/machinejson_mixed_called_vulns_and_license_violations.json",
                3,
                "",
            ),
            count(
                "upstream/osv-scanner/scan-source_json_output_empty.json",
                0,
                "",
            ),
            other(
                "upstream/osv-scanner/scan-source_Sarif_with_vulns.sarif",
                "sarif",
                "SARIF",
            ),
            other(
                "upstream/osv-scanner/scan-source_Empty_sarif_output.sarif",
                "sarif",
                "SARIF",
            ),
            other(
                "upstream/osv-scanner/scan-source_cyclonedx_1.5_output.cdx.json",
                "",
                "CycloneDX",
            ),
        ],
    );
}

#[test]
fn corpus_details() {
    let Some(root) = corpus_root() else { return };
    let r = OsvScanner
        .parse(&read(
            &root,
            "upstream/osv-scanner/machinejson_mixed_called_vulns_and_license_violations.json",
        ))
        .expect("parses");
    let occ = &r.runs[0].occurrences;
    assert_eq!(occ[0].severity, Severity::High, "max_severity 7.8");
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("path/to/my/first/lockfile")
    );
    assert!(
        occ[0]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("not called")
    );
    assert!(
        occ[1]
            .description
            .as_deref()
            .unwrap_or("")
            .contains("Reachability: called")
    );
    let many = OsvScanner
        .parse(&read(&root, "defectdojo/osv_scanner/many_findings.json"))
        .expect("parses");
    let records: usize = 66;
    let ids: usize = many.runs[0]
        .occurrences
        .iter()
        .map(|o| {
            o.vulnerability_ids
                .iter()
                .filter(|i| !i.starts_with("CVE-") && !i.starts_with("BIT-"))
                .count()
        })
        .sum();
    assert!(ids >= records, "every record id is kept in a group: {ids}");
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&OsvScanner, &fixture(ID, "happy.json"));
}
