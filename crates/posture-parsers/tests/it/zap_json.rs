use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::zap::json::ZapJson;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("zap-json", "happy.json");
    let report = ZapJson.parse(&bytes).expect("parses");
    // 2 instances + 1 alert with `instances: null` + 1 instance; the string item is skipped
    assert_eq!(report.occurrence_count(), 4);
    assert_eq!(report.runs[0].tool.name, "zap");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("2.14.0"));
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/site/0/alerts/2");
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ[0].rule_id, "10038-1",
        "alertRef is preferred over pluginid"
    );
    assert_eq!(occ[0].severity, Severity::Medium);
    assert_eq!(occ[0].locator, "/site/0/alerts/0/instances/0");
    assert_eq!(occ[0].location.parameter, None, "empty param is none");
    assert_eq!(occ[0].cwes, vec![693]);
    assert_eq!(
        occ[1].location.url.as_deref(),
        Some("https://app.example.com/robots.txt")
    );
    assert_eq!(occ[2].rule_id, "10202", "numbers read as strings");
    assert_eq!(occ[2].severity, Severity::Low);
    assert_eq!(
        occ[2].location.url.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(occ[2].locator, "/site/0/alerts/1");
    assert_eq!(
        occ[3].severity,
        Severity::High,
        "unknown riskcode: riskdesc word"
    );
    assert_eq!(occ[3].location.parameter.as_deref(), Some("id"));
    assert_eq!(occ[3].category, Category::Dast);
}

#[test]
fn empty_and_broken() {
    let r = ZapJson
        .parse(&fixture("zap-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let r = ZapJson
        .parse(br#"{"@programName": "ZAP", "site": {"@name": "https://x", "alerts": null}}"#)
        .expect("single site object");
    assert_eq!(r.occurrence_count(), 0);
    let e = ZapJson
        .parse(&fixture("zap-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = ZapJson.parse(br#"{"Results": []}"#).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("site"), "{e}");
    let e = ZapJson.parse(b"[1, 2]").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_zap_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/zap/") && s.rel.ends_with(".json")
    });
    assert_eq!(files.len(), 1);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = ZapJson
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        // SOURCES.tsv counts 5 alerts; Posture keeps one occurrence per instance: 27.
        assert_eq!(src.findings, Some(5));
        assert_eq!(report.occurrence_count(), 27, "{}", src.rel);
        let mut alerts: Vec<&str> = report.runs[0]
            .occurrences
            .iter()
            .map(|o| o.locator.split("/instances").next().unwrap_or(""))
            .collect();
        alerts.dedup();
        assert_eq!(alerts.len(), 5);
        assert_eq!(report.runs[0].tool.version.as_deref(), Some("2.12.0"));
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "zap-json", "{}", src.rel);
    }
}
