//! GitLab security reports: own fixtures (dependency scanning, secret detection, DAST,
//! cluster image scanning), the corpus file semgrep writes, snapshot, detection.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::gitlab_security::GitlabSecurity;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let report = GitlabSecurity
        .parse(&fixture("gitlab-security-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.format, "gitlab-security-json");
    assert_eq!(report.runs[0].tool.name, "gemnasium");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("5.2.1"));
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/vulnerabilities/2");
    let occ = &report.runs[0].occurrences;
    let lodash = &occ[0];
    assert_eq!(lodash.category, Category::Sca);
    assert_eq!(lodash.locator, "/vulnerabilities/0");
    assert_eq!(lodash.rule_id, "CVE-2026-6000");
    assert_eq!(
        lodash.vulnerability_ids,
        ["CVE-2026-6000", "GHSA-aaaa-bbbb-cccc"]
    );
    assert_eq!(lodash.cwes, [1321]);
    assert_eq!(lodash.severity, Severity::High);
    let pkg = lodash.package.as_ref().expect("package");
    assert_eq!(
        (
            pkg.name.as_str(),
            pkg.version.as_deref(),
            pkg.ecosystem.as_deref()
        ),
        ("lodash", Some("4.17.20"), Some("npm"))
    );
    assert_eq!(
        lodash.location.path.as_deref(),
        Some("web/package-lock.json")
    );
    assert!(
        lodash
            .description
            .as_deref()
            .unwrap_or("")
            .ends_with("Solution: Upgrade to version 4.17.21 or above.")
    );
    assert_eq!(lodash.references.len(), 4);
    let requests = &occ[1];
    assert_eq!(requests.severity, Severity::Info, "Unknown is info");
    assert_eq!(requests.vulnerability_ids, ["CVE-2026-6001"]);
    assert_eq!(
        requests
            .package
            .as_ref()
            .and_then(|p| p.ecosystem.as_deref()),
        Some("pypi"),
        "from the manifest name"
    );
    assert_eq!(
        requests.identity.context.as_deref(),
        Some("requirements.txt:requests:gemnasium:2b3c4d")
    );
    assert_eq!(requests.description, None, "the message repeats the name");
}

#[test]
fn secret_detection_keeps_no_plaintext() {
    let report = GitlabSecurity
        .parse(&fixture("gitlab-security-json", "secret.json"))
        .unwrap();
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("AKIAYYYYYYYYYYYYYYYY"),
        "secret leaked: {text}"
    );
    assert!(!text.contains("Jane Dev"));
    assert_eq!(report.runs[0].tool.name, "gitleaks");
    let o = &report.runs[0].occurrences[0];
    assert_eq!(o.category, Category::Secret);
    assert_eq!(o.rule_id, "AWS");
    assert_eq!(o.severity, Severity::Critical);
    assert_eq!(o.cwes, [798]);
    assert_eq!(o.identity.context, None);
    assert_eq!(
        o.secret.as_ref().map(|s| s.masked.as_str()),
        Some("AKIA********")
    );
    assert_eq!(o.location.start_line, Some(12));
}

#[test]
fn dast_and_cluster_image_scanning() {
    let report = GitlabSecurity
        .parse(&fixture("gitlab-security-json", "dast.json"))
        .unwrap();
    let o = &report.runs[0].occurrences[0];
    assert_eq!(o.category, Category::Dast);
    assert_eq!(o.rule_id, "40012");
    assert_eq!(o.cwes, [79]);
    assert_eq!(
        o.location.url.as_deref(),
        Some("https://shop.example.com/search?q=test")
    );
    assert_eq!(o.location.method.as_deref(), Some("GET"));
    assert_eq!(o.location.parameter.as_deref(), Some("q"));

    let report = GitlabSecurity
        .parse(&fixture("gitlab-security-json", "dast_container.json"))
        .unwrap();
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
    assert!(report.diagnostics[0].message.contains("registry timeout"));
    let o = &report.runs[0].occurrences[0];
    assert_eq!(o.category, Category::Container);
    assert_eq!(report.runs[0].tool.name, "trivy");
    assert_eq!(
        o.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );
    assert_eq!(
        o.location.resource.as_deref(),
        Some("shop/Deployment/api/api")
    );
    assert_eq!(
        o.package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("apk")
    );
}

#[test]
fn empty_shapes_are_zero_findings() {
    for input in [
        &fixture("gitlab-security-json", "empty.json")[..],
        br#"{"version": "2.0", "vulnerabilities": null, "remediations": []}"#,
    ] {
        let r = GitlabSecurity.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = GitlabSecurity
        .parse(&fixture("gitlab-security-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    for shape in [
        &br#"{"version": "1"}"#[..],
        b"[]",
        br#"{"vulnerabilities": [{"id": "x", "packageName": "y"}]}"#,
    ] {
        assert_eq!(
            GitlabSecurity.parse(shape).unwrap_err().kind,
            ParseErrorKind::Shape
        );
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| GitlabSecurity.detect(&Sniff::new(b));
    for f in [
        "happy.json",
        "secret.json",
        "dast.json",
        "dast_container.json",
        "empty.json",
    ] {
        assert_eq!(
            d(&fixture("gitlab-security-json", f)),
            Confidence::CERTAIN,
            "{f}"
        );
        assert_eq!(
            posture_parsers::detect(&fixture("gitlab-security-json", f))
                .map(|p| p.id())
                .ok(),
            Some("gitlab-security-json"),
            "{f}"
        );
    }
}

#[test]
fn corpus_gitlab_sast_from_semgrep() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.contains("gitlab-sast"));
    assert_eq!(
        files.len(),
        1,
        "expected test_output_format_gitlab-sast.json"
    );
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = GitlabSecurity
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "gitlab-security-json", "{}", src.rel);
        assert_eq!(report.runs[0].tool.name, "semgrep");
        assert_eq!(report.runs[0].tool.version, None, "<MASKED> is dropped");
        let o = &report.runs[0].occurrences[0];
        assert_eq!(o.category, Category::Sast);
        assert_eq!(o.rule_id, "rules.eqeq-is-bad");
        assert_eq!(o.severity, Severity::High);
        assert_eq!(o.location.path.as_deref(), Some("targets/basic/stupid.py"));
        assert_eq!(o.location.start_line, Some(3));
    }
}
