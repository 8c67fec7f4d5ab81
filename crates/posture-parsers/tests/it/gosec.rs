use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::gosec::Gosec;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = Gosec
        .parse(&fixture("gosec-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("2.21.4"));
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(
        d.contains(&(DiagnosticLevel::Skipped, "/Issues/2")),
        "{d:?}"
    );
    assert!(
        d.contains(&(
            DiagnosticLevel::Warning,
            "/Golang errors/~1src~1app~1broken.go/0"
        )),
        "{d:?}"
    );
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].cwes, vec![190]);
    assert_eq!(o[0].location.start_line, Some(42));
    assert_eq!(o[0].location.start_column, Some(9));
    assert_eq!(o[0].identity.context.as_deref(), Some("return uint8(n)"));
    assert!(!o[0].suppressed);
    assert_eq!(o[1].location.start_line, Some(10));
    assert_eq!(o[1].location.end_line, Some(11), "a line range \"10-11\"");
    assert_eq!(
        o[1].identity.context.as_deref(),
        Some("f, err := os.Open( path)")
    );
    assert!(o[1].cwes.is_empty(), "cwe: null");
    assert!(o[1].suppressed, "#nosec with a justification");
    assert!(
        o[1].description
            .as_deref()
            .unwrap_or_default()
            .contains("path is validated")
    );
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&Gosec, "gosec-json", "json");
    let r = Gosec.parse(&fixture("gosec-json", "empty.json")).unwrap();
    assert_eq!(r.runs[0].tool.version, None, "\"dev\" is not a version");
    let r = Gosec.parse(b"{\"Issues\": null, \"Stats\": {}}").unwrap();
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(
        Gosec.parse(b"{\"results\": []}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn corpus_gosec_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.tool == "gosec" && s.format == "json") || s.rel.starts_with("defectdojo/gosec/")
    });
    assert_eq!(files.len(), 3, "{files:?}");
    for src in &files {
        let report = parse_corpus(&Gosec, &root, &src.rel, true);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        if let Some(d) = &src.dojo_expected {
            assert_eq!(
                Some(d.parse::<usize>().unwrap()),
                src.findings,
                "{}",
                src.rel
            );
        }
    }
    // recent gosec: "NNN: " prefixes are stripped from the context, and the CWE may be null
    let r = parse_corpus(
        &Gosec,
        &root,
        "upstream/gosec/gh-aw-threat-detection_gosec-report.json",
        true,
    );
    let o = &r.runs[0].occurrences;
    assert!(o.iter().all(|o| {
        o.identity
            .context
            .as_deref()
            .is_some_and(|c| !c.starts_with(|ch: char| ch.is_ascii_digit()))
    }));
    assert!(o.iter().any(|o| o.rule_id == "G703" && o.cwes.is_empty()));
}
