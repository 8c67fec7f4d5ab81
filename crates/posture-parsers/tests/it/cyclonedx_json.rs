use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity, VexStatus};
use posture_parsers::formats::cyclonedx::json::CycloneDxJson;
use posture_parsers::{ParseErrorKind, Parser};
use std::path::Path;

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("cyclonedx-json", "happy.json");
    let report = CycloneDxJson.parse(&bytes).expect("parses");
    assert_eq!(
        report.runs[0].tool.name, "examplescanner",
        "not the CycloneDX library"
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("2.1.0"));
    // components: log4j-core, nested lodash, django (the nameless one is skipped)
    let names: Vec<&str> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["org.apache.logging.log4j:log4j-core", "lodash", "django"]
    );
    assert_eq!(report.components[1].locator, "/components/0/components/0");
    assert_eq!(report.components[1].ecosystem.as_deref(), Some("npm"));
    // occurrences: log4shell x2 affects, GHSA x1, CVE-2023-0001 x2 affects
    assert_eq!(report.occurrence_count(), 5);
    let occ = &report.runs[0].occurrences;
    assert!(occ.iter().all(|o| o.category == Category::Sca));
    assert_eq!(
        occ[0].vulnerability_ids,
        vec!["CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"]
    );
    assert_eq!(occ[0].severity, Severity::Critical);
    assert_eq!(occ[0].locator, "/vulnerabilities/0/affects/0");
    assert_eq!(occ[0].cvss.len(), 1, "the EPSS rating is not CVSS");
    assert_eq!(occ[0].cwes, vec![502, 917]);
    let p0 = occ[0].package.as_ref().expect("package");
    assert_eq!(p0.ecosystem.as_deref(), Some("maven"));
    assert_eq!(p0.version.as_deref(), Some("2.14.1"));
    let p1 = occ[1].package.as_ref().expect("BOM-Link resolved");
    assert_eq!(p1.name, "django");
    assert_eq!(
        occ[2].severity,
        Severity::Medium,
        "score 5.3 without a word"
    );
    assert_eq!(occ[2].locator, "/vulnerabilities/1");
    assert_eq!(
        occ[2].package.as_ref().map(|p| p.name.as_str()),
        Some("lodash")
    );
    assert_eq!(
        occ[3].package.as_ref().map(|p| p.name.as_str()),
        Some("unknown-ref")
    );
    assert!(occ[4].package.is_none(), "ref {{}} gives no package");
    assert_eq!(occ[4].severity, Severity::Info);
    // VEX: two known states; the unknown state is a warning
    assert_eq!(report.vex.len(), 2);
    assert_eq!(report.vex[0].status, VexStatus::Affected);
    assert_eq!(
        report.vex[0].products,
        vec![
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:pypi/django@3.2.0"
        ]
    );
    assert_eq!(report.vex[0].action_statement.as_deref(), Some("update"));
    assert_eq!(report.vex[1].status, VexStatus::NotAffected);
    assert_eq!(
        report.vex[1].justification.as_deref(),
        Some("code_not_reachable")
    );
    let skipped: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Skipped)
        .map(|d| d.locator.as_str())
        .collect();
    assert_eq!(
        skipped,
        vec!["/vulnerabilities/3", "/components/2", "/vulnerabilities/4"]
    );
    let warnings = report.diagnostics.len() - skipped.len();
    assert_eq!(warnings, 2, "{:?}", report.diagnostics);
}

#[test]
fn empty_and_broken() {
    let r = CycloneDxJson
        .parse(&fixture("cyclonedx-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.runs[0].tool.name, "cyclonedx");
    let e = CycloneDxJson
        .parse(&fixture("cyclonedx-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = CycloneDxJson.parse(br#"{"SchemaVersion": 2}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("CycloneDX"));
    assert_eq!(
        CycloneDxJson.parse(b"[]").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

/// (file, occurrences, VEX statements, components). SOURCES.tsv counts vulnerabilities[]
/// entries; Posture emits one occurrence per affected component, so the VEX case files with
/// several `affects` differ (explained per row).
pub const EXPECTED: &[(&str, usize, usize, usize)] = &[
    ("defectdojo/cyclonedx/issue_8022.json", 1, 1, 1),
    ("defectdojo/cyclonedx/log4j.json", 8, 8, 1),
    ("defectdojo/cyclonedx/no-severity.json", 1, 0, 0),
    ("defectdojo/cyclonedx/valid-vulnerability-1.4.json", 1, 1, 1),
    ("upstream/cyclonedx/CBOM_Protocol_bom.json", 0, 0, 8),
    (
        "upstream/cyclonedx/SBOM_cern-lhc-vdm-editor_bom.json",
        0,
        0,
        43,
    ),
    (
        "upstream/cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json",
        0,
        0,
        62,
    ),
    ("upstream/cyclonedx/SaaSBOM_apigateway_bom.json", 0, 0, 0),
    (
        "upstream/cyclonedx/VEX_CISA-Case-1_vex-affected.json",
        1,
        1,
        0,
    ),
    (
        "upstream/cyclonedx/VEX_CISA-Case-1_vex-not_affected.json",
        1,
        1,
        0,
    ),
    (
        "upstream/cyclonedx/VEX_CISA-Case-1_vex-under_investigation.json",
        1,
        1,
        0,
    ),
    // 8 vulnerabilities[] entries, 11 affects (3 entries name product ABC and product JKL)
    ("upstream/cyclonedx/VEX_CISA-Case-8_vex.json", 11, 8, 0),
    // 2 entries, 3 affects (the first names acme-product-1 and acme-product-2)
    ("upstream/cyclonedx/VEX_Use-Cases_Case-13_vex.json", 3, 2, 0),
    ("upstream/cyclonedx/VEX_bom.json", 0, 0, 3),
    ("upstream/cyclonedx/VEX_vex.json", 1, 1, 0),
    ("upstream/cyclonedx/defectdojo_jake2.json", 7, 0, 67),
    ("upstream/cyclonedx/defectdojo_log4j.json", 8, 8, 1),
    ("upstream/cyclonedx/defectdojo_no-severity.json", 1, 0, 0),
    ("upstream/grype/TestCycloneDxPresenterImage.golden", 2, 0, 2),
    (
        "upstream/osv-scanner/scan-source_cyclonedx_1.5_output.cdx.json",
        1,
        0,
        5,
    ),
    ("upstream/trivy/npm-cyclonedx.json.golden", 1, 0, 13),
];

pub fn is_cyclonedx_json(rel: &str) -> bool {
    EXPECTED.iter().any(|e| e.0 == rel)
}

#[test]
fn corpus_cyclonedx_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.rel.starts_with("upstream/cyclonedx/") || s.rel.starts_with("defectdojo/cyclonedx/"))
            && s.rel.ends_with(".json")
            || is_cyclonedx_json(&s.rel)
    });
    assert_eq!(files.len(), EXPECTED.len(), "every corpus file is listed");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = CycloneDxJson
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        let got = (
            report.occurrence_count(),
            report.vex.len(),
            report.components.len(),
        );
        let (_, occ, vex, comps) = EXPECTED
            .iter()
            .find(|e| e.0 == src.rel)
            .unwrap_or_else(|| panic!("{} not listed", src.rel));
        assert_eq!(got, (*occ, *vex, *comps), "{}", src.rel);
        if let Some(n) = src.findings {
            let entries: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            let vulns = entries["vulnerabilities"].as_array().map_or(0, Vec::len);
            assert_eq!(n, vulns, "{}: SOURCES counts vulnerabilities[]", src.rel);
        }
        if let Some(d) = &src.dojo_expected {
            assert_eq!(d, &occ.to_string(), "{}", src.rel);
        }
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        for o in &report.runs[0].occurrences {
            assert!(
                o.package.is_some(),
                "{}: {} has no package",
                src.rel,
                o.locator
            );
            assert_eq!(o.category, Category::Sca);
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "cyclonedx-json", "{}", src.rel);
    }
}

fn pip_audit_json_ids(path: &Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    let mut ids: Vec<String> = v["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["vulns"].as_array().cloned().unwrap_or_default())
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[test]
fn pip_audit_cyclonedx_matches_its_json() {
    let Some(root) = corpus_root() else { return };
    let pairs = [
        (
            "multiscan/terragoat/pip-audit.cdx.json",
            "multiscan/terragoat/pip-audit.json",
        ),
        (
            "multiscan/terragoat/pip-audit.1.cdx.json",
            "multiscan/terragoat/pip-audit.1.json",
        ),
        (
            "multiscan/vulnerable-flask-app/pip-audit.cdx.json",
            "multiscan/vulnerable-flask-app/pip-audit.json",
        ),
    ];
    for (cdx, js) in pairs {
        let bytes = read(&root, cdx);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{cdx}: {e}"));
        assert_eq!(p.id(), "cyclonedx-json", "{cdx}");
        let report = CycloneDxJson.parse(&bytes).expect("parses");
        let mut ids: Vec<String> = report.runs[0]
            .occurrences
            .iter()
            .map(|o| o.vulnerability_ids[0].clone())
            .collect();
        ids.sort();
        let expected = pip_audit_json_ids(&root.join(js));
        assert!(!expected.is_empty());
        assert_eq!(ids, expected, "{cdx} vs {js}");
        // pip-audit writes `"ref": {}`: no package can be resolved, one warning says so
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
        assert!(report.components.iter().all(|c| c.ecosystem.is_none()));
    }
}
