//! npm audit JSON (npm 7+ and npm 6): own fixtures, every npm audit file of the corpus.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::npm::audit::NpmAudit;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "npm-audit-json";

#[test]
fn happy_fixture_snapshot() {
    let report = NpmAudit.parse(&fixture(ID, "happy.json")).expect("parses");
    assert_eq!(report.format, ID);
    // express: 1 advisory (+ the transitive string "qs"); qs: 1 advisory listed twice + 1
    // broken; minimist: 1
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/vulnerabilities/qs/via/2");
    let occ = &report.runs[0].occurrences;
    let express = occ
        .iter()
        .find(|o| o.locator == "/vulnerabilities/express/via/1")
        .expect("express");
    assert_eq!(express.vulnerability_ids, ["GHSA-rv95-896h-c2vc"]);
    assert_eq!(express.severity, Severity::Medium);
    assert_eq!(express.tool_severity.as_deref(), Some("moderate"));
    assert_eq!(express.cwes, [601, 1286]);
    assert_eq!(express.cvss[0].score, Some(6.1));
    let pkg = express.package.as_ref().expect("package");
    assert_eq!(pkg.fixed_versions, ["4.19.2"]);
    assert_eq!(pkg.ecosystem.as_deref(), Some("npm"));
    assert_eq!(
        express.location.path.as_deref(),
        Some("node_modules/express")
    );
    let qs = occ
        .iter()
        .find(|o| o.locator == "/vulnerabilities/qs/via/0")
        .expect("qs");
    assert!(qs.cvss.is_empty(), "score 0 without a vector is no rating");
    assert_eq!(qs.severity, Severity::High);
    let minimist = occ
        .iter()
        .find(|o| o.rule_id == "npm-advisory-1")
        .expect("no GHSA");
    assert_eq!(minimist.severity, Severity::Medium, "unknown word → medium");
}

#[test]
fn legacy_npm6() {
    let report = NpmAudit.parse(&fixture(ID, "legacy.json")).expect("parses");
    // advisory 1179 in two installed versions, advisory 99 without findings, one broken
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics[0].locator, "/advisories/100");
    let occ = &report.runs[0].occurrences;
    let v008 = occ
        .iter()
        .find(|o| o.locator == "/advisories/1179/findings/0")
        .expect("0.0.8");
    assert_eq!(
        v008.vulnerability_ids,
        ["GHSA-vh95-rmgr-6w4m", "CVE-2020-7598"]
    );
    assert_eq!(
        v008.package.as_ref().and_then(|p| p.version.as_deref()),
        Some("0.0.8")
    );
    assert_eq!(
        v008.package.as_ref().map(|p| p.fixed_versions.clone()),
        Some(vec!["1.2.3".to_string()])
    );
    let desc = v008.description.as_deref().unwrap_or("");
    assert!(
        desc.contains("mkdirp>minimist") && desc.contains("c>minimist"),
        "{desc}"
    );
    assert_eq!(v008.severity, Severity::Low);
    assert_eq!(v008.cwes, [471]);
    let v120 = occ
        .iter()
        .find(|o| o.locator == "/advisories/1179/findings/1")
        .expect("1.2.0");
    assert_eq!(
        v120.package.as_ref().and_then(|p| p.version.as_deref()),
        Some("1.2.0")
    );
    let growl = occ
        .iter()
        .find(|o| o.locator == "/advisories/99")
        .expect("growl");
    assert_eq!(growl.vulnerability_ids, ["npm-advisory-99"]);
    assert_eq!(growl.cwes, [78, 94]);
    assert_eq!(growl.severity, Severity::Critical);
}

#[test]
fn empty_and_errors() {
    let r = NpmAudit.parse(&fixture(ID, "empty.json")).expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let r = NpmAudit
        .parse(br#"{"actions": [], "advisories": {}, "muted": []}"#)
        .expect("v6");
    assert_eq!(r.occurrence_count(), 0);
    let e = NpmAudit.parse(&fixture(ID, "broken.json")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = NpmAudit
        .parse(br#"{"error": {"code": "ENOAUDIT", "summary": "no audit", "detail": ""}}"#)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ToolError);
    assert!(e.message.contains("ENOAUDIT"), "{e}");
    assert_eq!(
        NpmAudit.parse(br#"{"foo": 1}"#).unwrap_err().kind,
        ParseErrorKind::Shape
    );
    assert_eq!(NpmAudit.parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
}

#[test]
fn detection() {
    let d = |b: &[u8]| NpmAudit.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "legacy.json")), Confidence::CERTAIN);
    assert_eq!(d(br#"{"error": {"code": "ENOAUDIT"}}"#), Confidence::MATCH);
    assert_eq!(d(br#"{"vulnerabilities": []}"#), Confidence::NO);
}

#[test]
fn corpus_files() {
    let v7 = "npm 7+: one occurrence per advisory object in via[]; npm and DefectDojo count \
              vulnerabilities{} keys, which include packages only vulnerable through a \
              dependency (via strings)";
    let v6 = "npm 6: one occurrence per advisory and installed version; DefectDojo counts \
              advisories, and some advisories are installed in two versions";
    let enoaudit =
        "the ENOAUDIT error document: the audit did not run (ToolError, not zero findings)";
    check_corpus(
        &NpmAudit,
        &[
            "upstream/npm-audit/",
            "defectdojo/npm_audit/",
            "defectdojo/npm_audit_7_plus/",
        ],
        &[
            count("upstream/npm-audit/all-severity-levels.json", 18, v7),
            count("upstream/npm-audit/nyc-mkdirp.json", 13, ""),
            count("upstream/npm-audit/no-vulns.json", 0, ""),
            count("upstream/npm-audit/one-vuln_no-indent.json", 1, ""),
            count("upstream/npm-audit/npm-cli_json_audit.json", 1, ""),
            count("upstream/npm-audit/defectdojo_npm7_many_vulns.json", 3, v7),
            count("upstream/npm-audit/defectdojo_npm6_one_vuln.json", 1, ""),
            count("upstream/npm-audit/defectdojo_npm6_no_vuln.json", 0, ""),
            count(
                "upstream/npm-audit/defectdojo_npm6_multiple_cwes2.json",
                7,
                v6,
            ),
            fails(
                "upstream/npm-audit/defectdojo_npm6_empty_with_error.json",
                ParseErrorKind::ToolError,
                enoaudit,
            ),
            fails(
                "defectdojo/npm_audit/empty_with_error.json",
                ParseErrorKind::ToolError,
                enoaudit,
            ),
            count("defectdojo/npm_audit/many_vuln.json", 5, ""),
            count("defectdojo/npm_audit/many_vuln_npm7.json", 8, v7),
            count("defectdojo/npm_audit/many_vuln_with_groups.json", 5, ""),
            count("defectdojo/npm_audit/multiple_cwes.json", 44, v6),
            count("defectdojo/npm_audit/no_vuln.json", 0, ""),
            count("defectdojo/npm_audit/one_vuln.json", 1, ""),
            count("defectdojo/npm_audit_7_plus/many_vulns.json", 3, v7),
            count(
                "defectdojo/npm_audit_7_plus/multiple_cwes_fabricated.json",
                1,
                "",
            ),
            count("defectdojo/npm_audit_7_plus/no_vuln.json", 0, ""),
            // yarn berry writing npm 6's shape (listed under DefectDojo's yarn parser)
            count(
                "defectdojo/yarn_audit/issue_6495_multi_cwe_fabricated.json",
                3,
                "npm 6 shape: 3 advisories, each in one installed version",
            ),
        ],
    );
}

#[test]
fn corpus_details() {
    let Some(root) = corpus_root() else { return };
    let r = NpmAudit
        .parse(&read(
            &root,
            "defectdojo/npm_audit_7_plus/multiple_cwes_fabricated.json",
        ))
        .expect("parses");
    assert!(r.runs[0].occurrences[0].cwes.len() >= 2);
    let r = NpmAudit
        .parse(&read(&root, "defectdojo/npm_audit/multiple_cwes.json"))
        .expect("parses");
    let ansi: Vec<_> = r.runs[0]
        .occurrences
        .iter()
        .filter(|o| o.package.as_ref().is_some_and(|p| p.name == "ansi-regex"))
        .filter_map(|o| o.package.as_ref().and_then(|p| p.version.clone()))
        .collect();
    assert!(ansi.contains(&"3.0.0".to_string()) && ansi.contains(&"4.1.0".to_string()));
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&NpmAudit, &fixture(ID, "happy.json"));
    truncations_never_panic(&NpmAudit, &fixture(ID, "legacy.json"));
}
