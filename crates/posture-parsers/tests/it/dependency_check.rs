use crate::common::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::dependency_check::json::DependencyCheckJson;
use posture_parsers::formats::dependency_check::xml::DependencyCheckXml;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn json_happy_fixture_snapshot() {
    let report = DependencyCheckJson
        .parse(&fixture("dependency-check-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(
        report.diagnostics[0].locator,
        "/dependencies/0/vulnerabilities/2"
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("8.4.0"));
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Sca);
    assert_eq!(occ[0].severity, Severity::Medium);
    assert_eq!(occ[0].cwes, vec![502]);
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("maven"));
    assert_eq!(pkg.name, "com.fasterxml.jackson.core:jackson-databind");
    assert_eq!(pkg.version.as_deref(), Some("2.9.8"));
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("C:/build/lib/jackson-databind-2.9.8.jar")
    );
    assert_eq!(occ[1].severity, Severity::Critical, "no word: CVSS v3 9.8");
    assert!(occ[2].suppressed);
    assert_eq!(
        occ[2].locator,
        "/dependencies/0/suppressedVulnerabilities/0"
    );
}

#[test]
fn xml_happy_fixture_snapshot() {
    let report = DependencyCheckXml
        .parse(&fixture("dependency-check-xml", "happy.xml"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ[0].locator,
        "/analysis/dependencies/dependency[1]/vulnerabilities/vulnerability[1]"
    );
    assert_eq!(occ[0].severity, Severity::Critical);
    assert_eq!(occ[0].cwes, vec![94]);
    assert!(occ[0].description.as_deref().unwrap().contains("&"));
    assert!(occ[1].suppressed);
    assert_eq!(
        occ[1].locator,
        "/analysis/dependencies/dependency[1]/vulnerabilities/suppressedVulnerability[1]"
    );
    assert_eq!(occ[2].severity, Severity::Medium, "CVSS v2 5.0");
    assert_eq!(occ[2].package.as_ref().unwrap().name, "left-pad.js");
}

#[test]
fn xml_schema_1_3() {
    let report = DependencyCheckXml
        .parse(&fixture("dependency-check-xml", "old.xml"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].severity, Severity::Medium, "Moderate");
    assert_eq!(occ[0].cwes, vec![20]);
    assert_eq!(occ[0].cvss[0].score, Some(7.5));
    let pkg = occ[0].package.as_ref().unwrap();
    assert_eq!(
        (pkg.name.as_str(), pkg.version.as_deref()),
        ("org.owasp:library", Some("6.7.8"))
    );
    assert!(occ[1].suppressed);
    assert_eq!(occ[1].severity, Severity::Low);
}

#[test]
fn empty_and_broken() {
    let r = DependencyCheckJson
        .parse(&fixture("dependency-check-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let r = DependencyCheckXml
        .parse(&fixture("dependency-check-xml", "empty.xml"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = DependencyCheckJson
        .parse(&fixture("dependency-check-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = DependencyCheckXml
        .parse(&fixture("dependency-check-xml", "broken.xml"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = DependencyCheckXml.parse(b"<report/>").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = DependencyCheckJson.parse(b"{\"x\": 1}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_dependency_check_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.rel.starts_with("upstream/dependency-check/") && s.format != "sarif")
            || s.rel.starts_with("defectdojo/dependency_check/")
    });
    assert_eq!(files.len(), 11);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let expected_id = if src.rel.ends_with(".xml") {
            "dependency-check-xml"
        } else {
            "dependency-check-json"
        };
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), expected_id, "{}", src.rel);
        let report = p
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        let n = src.findings.expect("count");
        let active = report.runs[0]
            .occurrences
            .iter()
            .filter(|o| !o.suppressed)
            .count();
        let suppressed = report.occurrence_count() - active;
        match src.rel.as_str() {
            // SOURCES counts the 26 <vulnerability> elements; the 8 <suppressedVulnerability>
            // are emitted too (suppressed = true), which is DefectDojo's 34.
            "defectdojo/dependency_check/PR6439.xml" => {
                assert_eq!((active, suppressed), (n, 8));
                assert_eq!(src.dojo_expected.as_deref(), Some("34"));
                assert_eq!(report.occurrence_count(), 34);
            }
            _ => {
                assert_eq!(report.occurrence_count(), n, "{}", src.rel);
                assert_eq!(suppressed, 0, "{}", src.rel);
                if let Some(d) = &src.dojo_expected {
                    assert_eq!(d, &n.to_string(), "{}", src.rel);
                }
            }
        }
    }
    let r = DependencyCheckXml
        .parse(&read(
            &root,
            "defectdojo/dependency_check/version-6.5.3_multi_cwe_fabricated.xml",
        ))
        .unwrap();
    assert!(
        r.runs[0].occurrences[0].cwes.len() >= 2,
        "{:?}",
        r.runs[0].occurrences[0].cwes
    );
}

#[test]
fn sarif_files_are_not_claimed() {
    let Some(root) = corpus_root() else { return };
    let bytes = read(
        &root,
        "upstream/dependency-check/defectdojo_dependency_check.sarif",
    );
    let p = posture_parsers::detect(&bytes).expect("detected");
    assert_eq!(p.id(), "sarif");
}
