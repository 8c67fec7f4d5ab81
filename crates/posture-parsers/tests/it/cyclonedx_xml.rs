use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity, VexStatus};
use posture_parsers::formats::cyclonedx::xml::CycloneDxXml;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("cyclonedx-xml", "happy.xml");
    let report = CycloneDxXml.parse(&bytes).expect("parses");
    assert_eq!(report.runs[0].tool.name, "grype");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("0.41.0"));
    let names: Vec<&str> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["org.example:example", "Django", "sqlparse"]);
    assert_eq!(
        report.components[2].locator,
        "/bom/components/component[2]/components/component[1]"
    );
    assert_eq!(report.occurrence_count(), 2);
    let occ = &report.runs[0].occurrences;
    // legacy v: extension inside the Django component
    assert_eq!(occ[0].vulnerability_ids, vec!["GHSA-xgxc-v2qg-chmh"]);
    assert_eq!(
        occ[0].severity,
        Severity::Low,
        "the word wins over the score"
    );
    assert_eq!(
        occ[0].package.as_ref().map(|p| p.name.as_str()),
        Some("Django")
    );
    assert_eq!(
        occ[0].locator,
        "/bom/components/component[2]/vulnerabilities/vulnerability[1]"
    );
    assert_eq!(occ[1].severity, Severity::High);
    assert_eq!(occ[1].cwes, vec![79, 89]);
    assert_eq!(occ[1].cvss[0].score, Some(9.8));
    let pkg = occ[1].package.as_ref().expect("resolved by bom-ref");
    assert_eq!(
        pkg.purl.as_deref(),
        Some("pkg:maven/org.example/example@1.0.0")
    );
    assert!(occ.iter().all(|o| o.category == Category::Sca));
    assert_eq!(report.vex.len(), 1);
    assert_eq!(report.vex[0].status, VexStatus::Fixed);
    assert_eq!(
        report.vex[0].impact_statement.as_deref(),
        Some("Fixed in 1.0.1.")
    );
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(
        report.diagnostics[0].locator,
        "/bom/vulnerabilities/vulnerability[2]"
    );
}

#[test]
fn empty_and_broken() {
    let r = CycloneDxXml
        .parse(&fixture("cyclonedx-xml", "empty.xml"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.components.is_empty());
    let e = CycloneDxXml
        .parse(&fixture("cyclonedx-xml", "broken.xml"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = CycloneDxXml.parse(b"<issues/>").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("bom"));
}

/// (file, occurrences, VEX statements, components). One occurrence per vulnerability here
/// (each names one component), equal to SOURCES.tsv's `<vulnerability>` count.
const EXPECTED: &[(&str, usize, usize, usize)] = &[
    ("defectdojo/cyclonedx/cyclonedx_bom.xml", 0, 0, 73),
    ("defectdojo/cyclonedx/dd_1_15_0.xml", 381, 0, 308),
    ("defectdojo/cyclonedx/grype_dd_1_14_1.xml", 312, 0, 307),
    ("defectdojo/cyclonedx/jake.xml", 0, 0, 204),
    ("defectdojo/cyclonedx/log4j.xml", 8, 8, 1),
    ("defectdojo/cyclonedx/multiple_cwes_fabricated.xml", 1, 0, 1),
    ("defectdojo/cyclonedx/retirejs.latest.xml", 0, 0, 6),
    ("defectdojo/cyclonedx/spec1.xml", 1, 0, 1),
    ("upstream/checkov/sca_results_cyclonedx_1_0.xml", 0, 0, 8),
    ("upstream/checkov/sca_results_cyclonedx_1_4.xml", 6, 0, 8),
    (
        "upstream/cyclonedx/SBOM_laravel-7.12.0_bom.1.1.xml",
        0,
        0,
        62,
    ),
    (
        "upstream/cyclonedx/defectdojo_grype_dd_1_14_1.xml",
        312,
        0,
        307,
    ),
    ("upstream/cyclonedx/defectdojo_jake.xml", 0, 0, 204),
    ("upstream/cyclonedx/defectdojo_retirejs.latest.xml", 0, 0, 6),
    (
        "upstream/grype/cyclonedxvex_TestCycloneDxPresenterImage_xml.golden",
        2,
        2,
        2,
    ),
];

pub fn is_cyclonedx_xml(rel: &str) -> bool {
    EXPECTED.iter().any(|e| e.0 == rel)
}

#[test]
fn corpus_cyclonedx_xml_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| is_cyclonedx_xml(&s.rel));
    assert_eq!(files.len(), EXPECTED.len(), "every corpus file is listed");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = CycloneDxXml
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        let (_, occ, vex, comps) = EXPECTED.iter().find(|e| e.0 == src.rel).expect("listed");
        let got = (
            report.occurrence_count(),
            report.vex.len(),
            report.components.len(),
        );
        assert_eq!(got, (*occ, *vex, *comps), "{}", src.rel);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        if let Some(n) = src.findings {
            assert_eq!(n, *occ, "{}", src.rel);
        }
        if let Some(d) = &src.dojo_expected {
            assert_eq!(d, &occ.to_string(), "{}", src.rel);
        }
        for o in &report.runs[0].occurrences {
            assert!(o.package.is_some(), "{}: {}", src.rel, o.locator);
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "cyclonedx-xml", "{}", src.rel);
    }
    // grype 0.7's legacy extension: every vulnerability is tied to its enclosing component
    let r = CycloneDxXml
        .parse(&read(&root, "defectdojo/cyclonedx/grype_dd_1_14_1.xml"))
        .expect("parses");
    assert_eq!(r.runs[0].tool.name, "grype");
    assert_eq!(r.runs[0].tool.version.as_deref(), Some("0.7.0"));
    let first = &r.runs[0].occurrences[0];
    assert_eq!(first.vulnerability_ids, vec!["GHSA-xgxc-v2qg-chmh"]);
    assert_eq!(
        first.package.as_ref().map(|p| p.name.as_str()),
        Some("Django")
    );
    assert_eq!(
        first.package.as_ref().and_then(|p| p.version.as_deref()),
        Some("2.2.18")
    );
}
