use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::burp::api::BurpApi;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("burp-api-json", "happy.json");
    let report = BurpApi.parse(&bytes).expect("parses");
    assert_eq!(
        report.occurrence_count(),
        2,
        "the audit event carries no issue"
    );
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/issue_events/2");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].rule_id, "5243392");
    assert_eq!(occ[0].severity, Severity::Medium);
    assert_eq!(
        occ[0].location.url.as_deref(),
        Some("https://app.example.com/account")
    );
    assert_eq!(occ[0].location.method.as_deref(), Some("GET"));
    assert_eq!(occ[0].locator, "/issue_events/0");
    assert_eq!(occ[1].rule_id, "6292992");
    assert_eq!(occ[1].severity, Severity::Info);
    assert_eq!(occ[1].location.method, None);
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(!text.contains("secret-session-cookie") && !text.contains("RESPONSE-BODY"));
}

#[test]
fn empty_and_broken() {
    let r = BurpApi
        .parse(&fixture("burp-api-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = BurpApi
        .parse(&fixture("burp-api-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = BurpApi.parse(br#"{"site": []}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("issue_events"));
    assert_eq!(
        BurpApi.parse(b"[]").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn corpus_burp_api_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/burp_api/"));
    assert_eq!(files.len(), 3);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = BurpApi
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = src.findings.expect("count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        if let Some(d) = &src.dojo_expected {
            assert_eq!(d, &n.to_string());
        }
        for o in &report.runs[0].occurrences {
            assert!(o.location.url.is_some(), "{}", o.locator);
        }
        // the method is decoded from the evidence's request; many_vulns.json's TLS
        // certificate issue (/issue_events/1) has no evidence, hence no method
        let no_method: Vec<&str> = report.runs[0]
            .occurrences
            .iter()
            .filter(|o| o.location.method.is_none())
            .map(|o| o.locator.as_str())
            .collect();
        let expected: &[&str] = if src.rel.ends_with("many_vulns.json") {
            &["/issue_events/1"]
        } else {
            &[]
        };
        assert_eq!(no_method, expected, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "burp-api-json", "{}", src.rel);
    }
}
