//! ASFF (AWS Security Finding Format): own fixtures, the Trivy ASFF corpus file, snapshot.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::asff::Asff;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let report = Asff
        .parse(&fixture("asff-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.format, "asff-json");
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/Findings/4");
    // the PASSED control is not a finding; two tools
    assert_eq!(report.occurrence_count(), 3);
    let tools: Vec<&str> = report.runs.iter().map(|r| r.tool.name.as_str()).collect();
    assert_eq!(tools, ["trivy", "inspector"]);

    let trivy = &report.runs[0].occurrences;
    let vuln = &trivy[0];
    assert_eq!(vuln.category, Category::Container);
    assert_eq!(vuln.locator, "/Findings/0");
    assert_eq!(vuln.rule_id, "CVE-2026-5000");
    assert_eq!(vuln.vulnerability_ids, ["CVE-2026-5000"]);
    assert_eq!(vuln.severity, Severity::High);
    assert_eq!(vuln.tool_severity.as_deref(), Some("HIGH"));
    assert_eq!(
        vuln.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );
    let pkg = vuln.package.as_ref().expect("package");
    assert_eq!(pkg.name, "libcrypto3");
    assert_eq!(pkg.version.as_deref(), Some("3.1.4-r5"));
    assert_eq!(pkg.fixed_versions, ["3.1.4-r6"]);
    assert_eq!(vuln.cvss.len(), 1, "the empty V2 fields are no rating");
    assert_eq!(vuln.cvss[0].source, "nvd");
    assert_eq!(vuln.cvss[0].score, Some(7.5));
    assert_eq!(
        vuln.identity.tool_fingerprint.as_deref(),
        Some("registry.example.com/shop/api:1.4.2 (alpine 3.19.1)/CVE-2026-5000")
    );
    assert_eq!(
        vuln.references,
        ["https://avd.aquasec.com/nvd/cve-2026-5000"]
    );

    let misconf = &trivy[1];
    assert_eq!(misconf.category, Category::Iac);
    assert_eq!(misconf.rule_id, "DS002");
    assert_eq!(misconf.location.path.as_deref(), Some("Dockerfile"));
    assert_eq!(misconf.location.start_line, Some(1));
    assert_eq!(misconf.location.resource, None, "the resource is the file");
    assert!(
        misconf
            .description
            .as_deref()
            .unwrap_or("")
            .contains("Remediation: Add 'USER")
    );
    assert!(misconf.identity.context.is_some());

    let inspector = &report.runs[1].occurrences[0];
    assert_eq!(inspector.category, Category::Sca, "a Lambda function");
    assert_eq!(inspector.severity, Severity::Critical, "normalized 90");
    assert_eq!(inspector.tool_severity.as_deref(), Some("90"));
    assert!(inspector.suppressed);
    assert_eq!(
        inspector.vulnerability_ids,
        ["CVE-2026-5001", "GHSA-xxxx-yyyy-zzzz"]
    );
    let pkg = inspector.package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("npm"));
    assert_eq!(pkg.fixed_versions, ["4.17.21"]);
    assert_eq!(
        inspector.location.path.as_deref(),
        Some("node_modules/lodash/package.json")
    );
    assert_eq!(
        inspector.location.resource.as_deref(),
        Some("arn:aws:lambda:eu-west-1:123456789012:function:checkout")
    );
    assert_eq!(inspector.cvss[0].source, "NVD");
}

#[test]
fn array_form_and_empty_shapes() {
    let arr = br#"[{"SchemaVersion":"2018-10-08","Id":"a","ProductArn":"arn:aws:securityhub:r::product/prowler/prowler","GeneratorId":"prowler-iam_root_mfa_enabled","AwsAccountId":"1","Types":["Software and Configuration Checks"],"Severity":{"Label":"CRITICAL"},"Title":"Root MFA","Resources":[{"Type":"AwsAccount","Id":"arn:aws:iam::1:root"}],"Compliance":{"Status":"FAILED"}}]"#;
    let r = Asff.parse(arr).unwrap();
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(r.runs[0].tool.name, "prowler");
    let o = &r.runs[0].occurrences[0];
    assert_eq!(
        (o.category, o.severity),
        (Category::Iac, Severity::Critical)
    );
    assert_eq!(o.locator, "/0");
    assert_eq!(o.location.resource.as_deref(), Some("arn:aws:iam::1:root"));
    for empty in [
        &fixture("asff-json", "empty.json")[..],
        b"[]",
        br#"{"Findings": null, "NextToken": null}"#,
    ] {
        let r = Asff.parse(empty).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Asff
        .parse(&fixture("asff-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(Asff.parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
    for shape in [&br#"{"findings": []}"#[..], b"null", b"\"x\""] {
        assert_eq!(Asff.parse(shape).unwrap_err().kind, ParseErrorKind::Shape);
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| Asff.detect(&Sniff::new(b));
    assert_eq!(d(&fixture("asff-json", "happy.json")), Confidence::CERTAIN);
    assert_eq!(
        d(&fixture("asff-json", "empty.json")),
        Confidence::RESEMBLES
    );
    assert_eq!(d(br#"{"Findings": [{"a": 1}], "x": 2}"#), Confidence::NO);
}

#[test]
fn corpus_trivy_asff() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.ends_with(".asff.golden"));
    assert_eq!(files.len(), 1, "expected alpine-310.asff.golden");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Asff
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "asff-json", "{}", src.rel);
        assert_eq!(report.runs.len(), 1);
        assert_eq!(report.runs[0].tool.name, "trivy");
        let occ = &report.runs[0].occurrences;
        assert!(occ.iter().all(|o| o.category == Category::Container));
        assert!(occ.iter().all(|o| o.severity == Severity::Medium));
        // the same CVE on libcrypto1.1 and libssl1.1 shares one ASFF Id: no tool fingerprint
        assert!(occ.iter().all(|o| o.identity.tool_fingerprint.is_none()));
        let pkgs: Vec<&str> = occ
            .iter()
            .filter_map(|o| o.package.as_ref().map(|p| p.name.as_str()))
            .collect();
        assert_eq!(
            pkgs,
            ["libcrypto1.1", "libcrypto1.1", "libssl1.1", "libssl1.1"]
        );
        assert_eq!(
            occ[0].location.image.as_deref(),
            Some("testdata/fixtures/images/alpine-310.tar.gz")
        );
        assert_eq!(occ[0].cvss.len(), 2);
    }
}
