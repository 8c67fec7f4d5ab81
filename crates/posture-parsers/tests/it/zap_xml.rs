use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::zap::xml::ZapXml;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("zap-xml", "happy.xml");
    let report = ZapXml.parse(&bytes).expect("parses");
    // 2 instances + 1 item without instances + 1 instance on the second site
    assert_eq!(report.occurrence_count(), 4);
    assert_eq!(report.runs[0].tool.name, "zap");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("D-2021-03-29"));
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(
        report.diagnostics[0].locator,
        "/OWASPZAPReport/site[1]/alerts/alertitem[3]"
    );
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Dast);
    assert_eq!(occ[0].severity, Severity::High);
    assert_eq!(occ[0].tool_severity.as_deref(), Some("High"));
    assert_eq!(occ[0].rule_id, "40012");
    assert_eq!(occ[0].cwes, vec![79]);
    assert_eq!(
        occ[0].location.url.as_deref(),
        Some("https://shop.example.com/search?q=shoes")
    );
    assert_eq!(occ[0].location.method.as_deref(), Some("GET"));
    assert_eq!(occ[0].location.parameter.as_deref(), Some("q"));
    assert_eq!(
        occ[0].locator,
        "/OWASPZAPReport/site[1]/alerts/alertitem[1]/instances/instance[1]"
    );
    assert_eq!(occ[0].references.len(), 2);
    assert_eq!(occ[1].location.method.as_deref(), Some("POST"));
    assert!(
        occ[1].identity.context.is_none(),
        "empty evidence is no context"
    );
    // unmerged 2.4-style item: its own uri, no cwe for -1, glued references split
    assert_eq!(occ[2].rule_id, "10020");
    assert_eq!(occ[2].severity, Severity::Medium);
    assert_eq!(
        occ[2].location.url.as_deref(),
        Some("https://shop.example.com/")
    );
    assert_eq!(
        occ[2].location.parameter.as_deref(),
        Some("X-Frame-Options")
    );
    assert!(occ[2].cwes.is_empty());
    assert_eq!(
        occ[2].references,
        vec![
            "http://blogs.msdn.com/b/ieinternals/a.aspx",
            "http://example.org/b"
        ]
    );
    assert_eq!(occ[3].severity, Severity::Info);
    assert_eq!(
        occ[3].location.url.as_deref(),
        Some("http://api.example.com:8080/v1/status")
    );
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(
        !text.contains("never-stored"),
        "request headers are not kept"
    );
    assert!(!text.contains("body never stored"), "bodies are not kept");
}

#[test]
fn empty_and_broken() {
    let r = ZapXml
        .parse(&fixture("zap-xml", "empty.xml"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.diagnostics.is_empty());
    let e = ZapXml.parse(&fixture("zap-xml", "broken.xml")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = ZapXml
        .parse(b"<issues burpVersion=\"1\"></issues>")
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("OWASPZAPReport"), "{e}");
    assert_eq!(ZapXml.parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
}

/// Occurrences per corpus file. ZAP counts alert items; Posture counts one occurrence per
/// instance (a place: method + URL + parameter), so the numbers are instances, not the
/// SOURCES.tsv `findings` (alert items). Counted independently with Python's ElementTree.
const EXPECTED: &[(&str, usize, usize)] = &[
    // (file, alert items, occurrences = instances)
    ("defectdojo/zap/0_zap_sample.xml", 4, 12),
    ("defectdojo/zap/0_zap_sample_without_zap3.xml", 3, 11),
    ("defectdojo/zap/1_zap_sample_0_and_new_absent.xml", 4, 12),
    ("defectdojo/zap/2_zap_sample_0_and_new_endpoint.xml", 4, 13),
    ("defectdojo/zap/dvwa_baseline_dojo.xml", 19, 124),
    (
        "defectdojo/zap/dvwa_baseline_dojo_fabricated_internal_duplicates.xml",
        13,
        123,
    ),
    (
        "defectdojo/zap/dvwa_baseline_dojo_fabricated_internal_duplicates_subset.xml",
        6,
        75,
    ),
    ("defectdojo/zap/dvwa_baseline_dojo_subset.xml", 10, 97),
    ("defectdojo/zap/empty_2.9.0.xml", 0, 0),
    ("defectdojo/zap/zap-results-first-scan.xml", 15, 130),
    ("defectdojo/zap/zap-results-second-scan.xml", 18, 126),
    ("upstream/zap/ZAP_2.4.3_report-merged.xml", 10, 125),
    ("upstream/zap/defectdojo_dvwa_baseline_dojo.xml", 19, 124),
    ("upstream/zap/defectdojo_empty_2.9.0.xml", 0, 0),
    ("upstream/zap/defectdojo_some_2.9.0.xml", 7, 17),
    ("upstream/zap/defectdojo_zap-xml-plus-format.xml", 1, 1),
    (
        "upstream/zap/defectdojo_zap_2.16.1_with_req_resp.xml",
        4,
        13,
    ),
];

#[test]
fn corpus_zap_xml_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("defectdojo/zap/")
            || (s.rel.starts_with("upstream/zap/") && s.rel.ends_with(".xml"))
    });
    assert_eq!(files.len(), EXPECTED.len(), "every corpus file is listed");
    for src in &files {
        let (_, items, occurrences) = EXPECTED
            .iter()
            .find(|e| e.0 == src.rel)
            .unwrap_or_else(|| panic!("{} has no expectation", src.rel));
        let bytes = read(&root, &src.rel);
        let report = ZapXml
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(report.occurrence_count(), *occurrences, "{}", src.rel);
        // distinct alert items among occurrences
        let mut alerts: Vec<&str> = report.runs[0]
            .occurrences
            .iter()
            .map(|o| o.locator.split("/instances").next().unwrap_or(""))
            .collect();
        alerts.dedup();
        assert_eq!(alerts.len(), *items, "{} alert items", src.rel);
        if let Some(n) = src.findings {
            // SOURCES.tsv counts <alertitem> elements, and DefectDojo's asserted count is
            // alert items too: 0_zap_sample.xml has 5 <alertitem> strings but the 4th is inside
            // an XML comment, so DefectDojo's 4 is what an XML reader sees (and so do we).
            let textual = String::from_utf8_lossy(&bytes)
                .matches("<alertitem>")
                .count();
            assert_eq!(n, textual, "{}: SOURCES counts <alertitem> text", src.rel);
            if let Some(dojo) = &src.dojo_expected {
                assert_eq!(dojo, &items.to_string(), "{}", src.rel);
            }
        }
        for o in &report.runs[0].occurrences {
            assert_eq!(o.category, Category::Dast);
            assert!(o.location.url.is_some(), "{}: {}", src.rel, o.locator);
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "zap-xml", "{}", src.rel);
    }
}

#[test]
fn zap_0_sample_keeps_four_alerts_not_the_commented_one() {
    let Some(root) = corpus_root() else { return };
    let bytes = read(&root, "defectdojo/zap/0_zap_sample.xml");
    let report = ZapXml.parse(&bytes).expect("parses");
    let titles: Vec<&str> = report.runs[0]
        .occurrences
        .iter()
        .map(|o| o.title.as_str())
        .collect();
    assert!(
        !titles.contains(&"Cookie No HttpOnly Flag"),
        "commented out in the file"
    );
}
