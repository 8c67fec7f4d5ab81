use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::nuclei::Nuclei;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("nuclei-json", "happy.jsonl");
    let report = Nuclei.parse(&bytes).expect("parses");
    assert_eq!(report.occurrence_count(), 4);
    assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.level == DiagnosticLevel::Skipped)
    );
    assert_eq!(report.diagnostics[0].locator, "/3");
    assert_eq!(report.diagnostics[1].locator, "/4");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].rule_id, "openssh5.3-detect");
    assert_eq!(occ[0].severity, Severity::Low);
    assert_eq!(occ[0].location.url.as_deref(), Some("scan.example.com:22"));
    assert_eq!(
        occ[0].location.method, None,
        "network results have no method"
    );
    assert_eq!(occ[0].references.len(), 2);
    assert_eq!(occ[1].rule_id, "tech-detect:nginx");
    assert_eq!(occ[1].location.method.as_deref(), Some("GET"));
    assert_eq!(occ[1].identity.context.as_deref(), Some("nginx/1.14.2"));
    assert_eq!(occ[2].severity, Severity::Critical);
    assert_eq!(occ[2].vulnerability_ids, vec!["CVE-2021-44228"]);
    assert_eq!(occ[2].cwes, vec![917], "nvd-cve-other is not a CWE");
    assert_eq!(occ[2].cvss[0].score, Some(10.0));
    assert_eq!(occ[2].location.method.as_deref(), Some("POST"));
    assert_eq!(occ[3].severity, Severity::Info);
    assert_eq!(occ[3].tool_severity.as_deref(), Some("unknown"));
    assert_eq!(occ[3].location.method, None);
    assert!(occ.iter().all(|o| o.category == Category::Dast));
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(!text.contains("RESPONSE-BODY-NEVER-KEPT"));
}

#[test]
fn export_array_empty_and_broken() {
    let r = Nuclei
        .parse(&fixture("nuclei-json", "export-v3.json"))
        .expect("array");
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(r.runs[0].occurrences[0].locator, "/0");
    assert_eq!(r.runs[0].occurrences[0].cwes, vec![200]);
    for empty in [&b""[..], b"\n", b"[]", b"\xEF\xBB\xBF"] {
        let r = Nuclei.parse(empty).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
    }
    assert_eq!(
        Nuclei
            .parse(&fixture("nuclei-json", "empty.jsonl"))
            .expect("0 bytes")
            .occurrence_count(),
        0
    );
    let e = Nuclei
        .parse(&fixture("nuclei-json", "broken.jsonl"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let r = Nuclei
        .parse(br#"[["template-id", {"name": "x"}], {"template-id": "t", "info": {"severity": "low"}, "host": "h"}]"#)
        .expect("parses");
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(r.diagnostics.len(), 1, "an array item is not a result");
    assert_eq!(r.diagnostics[0].locator, "/0");
    let e = Nuclei.parse(b"<xml/>").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = Nuclei
        .parse(br#"{"SchemaVersion": 2, "Results": []}"#)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_nuclei_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/nuclei/") || s.rel.starts_with("defectdojo/nuclei/")
    });
    assert_eq!(files.len(), 13, "nuclei corpus");
    let mut checked = 0;
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Nuclei
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = src.findings.expect("every nuclei row has a count");
        // One occurrence per result line, as SOURCES.tsv counts. DefectDojo's
        // many_findings.json asserts 16 for 18 lines: it folds tech-detect results by host
        // WITHOUT port (127.0.0.1:8080/WebGoat and 127.0.0.1:9090/WebWolf share
        // bootstrap and font-awesome); Posture keeps both, they are two services.
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        if let Some(dojo) = &src.dojo_expected {
            if src.rel == "defectdojo/nuclei/many_findings.json" {
                assert_eq!(dojo, "16");
            } else {
                assert_eq!(dojo, &n.to_string(), "{}", src.rel);
            }
        }
        // issue_14071.json line 27 (nameserver-fingerprint, a DNS result) names no host,
        // URL or matched-at at all: it has no location.
        let without_url: Vec<&str> = report.runs[0]
            .occurrences
            .iter()
            .filter(|o| o.location.url.is_none())
            .map(|o| o.locator.as_str())
            .collect();
        let expected: &[&str] = if src.rel == "defectdojo/nuclei/issue_14071.json" {
            &["/26"]
        } else {
            &[]
        };
        assert_eq!(without_url, expected, "{}", src.rel);
        checked += 1;
        if !bytes.is_empty() {
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
            assert_eq!(p.id(), "nuclei-json", "{}", src.rel);
        }
    }
    assert_eq!(checked, 13);
}
