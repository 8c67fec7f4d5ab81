use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::burp::xml::BurpXml;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("burp-xml", "happy.xml");
    let report = BurpXml.parse(&bytes).expect("the inline DOCTYPE parses");
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.runs[0].tool.name, "burp");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("2023.1.2"));
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/issues/issue[4]");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].rule_id, "1049088");
    assert_eq!(occ[0].severity, Severity::High);
    assert_eq!(occ[0].cwes, vec![89, 94]);
    assert_eq!(
        occ[0].location.url.as_deref(),
        Some("http://shop.example.com/basket.jsp")
    );
    assert_eq!(
        occ[0].location.method.as_deref(),
        Some("POST"),
        "method attribute"
    );
    assert_eq!(occ[0].location.parameter.as_deref(), Some("b_id cookie"));
    assert_eq!(
        occ[0].references,
        vec!["https://portswigger.net/web-security/sql-injection"]
    );
    assert_eq!(
        occ[1].location.method.as_deref(),
        Some("GET"),
        "decoded request line"
    );
    assert_eq!(occ[1].location.parameter.as_deref(), Some("q parameter"));
    assert_eq!(occ[1].severity, Severity::Medium);
    assert_eq!(occ[2].severity, Severity::Info);
    assert_eq!(occ[2].tool_severity.as_deref(), Some("Information"));
    assert_eq!(occ[2].location.parameter, None);
    assert!(occ.iter().all(|o| o.category == Category::Dast));
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(!text.contains("secret-session-cookie") && !text.contains("RESPONSE-BODY"));
    assert!(!text.contains("UE9TVC"), "no base64 request kept");
}

#[test]
fn empty_and_broken() {
    let r = BurpXml
        .parse(&fixture("burp-xml", "empty.xml"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = BurpXml
        .parse(&fixture("burp-xml", "broken.xml"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = BurpXml.parse(b"<OWASPZAPReport/>").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE issues [<!ENTITY x SYSTEM "file:///etc/passwd">]><issues burpVersion="1"><issue><type>1</type><name>&x;</name></issue></issues>"#;
    assert!(BurpXml.parse(xxe).is_err(), "external entities are refused");
}

#[test]
fn corpus_burp_xml_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/burp/"));
    assert_eq!(files.len(), 3);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = BurpXml
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        // One occurrence per <issue>, as SOURCES.tsv counts. DefectDojo merges issues of one
        // type (issue4399.xml 441 -> 20 types, one_finding.xml 3 SQL injections -> 1);
        // Posture keeps each issue: each is a different endpoint or insertion point, and
        // the engine tells them apart by method + URL + parameter.
        let n = src.findings.expect("count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        let occ = &report.runs[0].occurrences;
        let mut types: Vec<&str> = occ.iter().map(|o| o.rule_id.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        let dojo: usize = src
            .dojo_expected
            .as_deref()
            .expect("dojo")
            .parse()
            .expect("n");
        assert_eq!(
            types.len(),
            dojo,
            "{}: DefectDojo's count is the issue types",
            src.rel
        );
        assert!(occ.iter().all(|o| o.location.url.is_some()));
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "burp-xml", "{}", src.rel);
    }
    // one_finding.xml: the three SQL injections are three places
    let r = BurpXml
        .parse(&read(&root, "defectdojo/burp/one_finding.xml"))
        .expect("parses");
    let params: Vec<_> = r.runs[0]
        .occurrences
        .iter()
        .map(|o| {
            (
                o.location.url.clone(),
                o.location.method.clone(),
                o.location.parameter.clone(),
            )
        })
        .collect();
    assert_eq!(
        params,
        vec![
            (
                Some("http://bwa/bodgeit/basket.jsp".into()),
                Some("POST".into()),
                Some("b_id cookie".into())
            ),
            (
                Some("http://bwa/bodgeit/login.jsp".into()),
                Some("POST".into()),
                Some("password parameter".into())
            ),
            (
                Some("http://bwa/bodgeit/login.jsp".into()),
                Some("POST".into()),
                Some("username parameter".into())
            ),
        ]
    );
}
