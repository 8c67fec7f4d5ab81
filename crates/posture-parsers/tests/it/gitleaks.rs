use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::gitleaks::json::Gitleaks;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot_and_no_plaintext() {
    let bytes = fixture("gitleaks", "happy.json");
    let report = Gitleaks.parse(&bytes).expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(
        report.diagnostics.len(),
        1,
        "the broken third item is a diagnostic"
    );
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/2");
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(
        !text.contains("AKIAZZZZZZZZZZZZZZZZ"),
        "secret leaked: {text}"
    );
    let first = &report.runs[0].occurrences[0];
    assert_eq!(first.category, Category::Secret);
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.locator, "/0");
    assert_eq!(
        first.secret.as_ref().map(|s| s.masked.as_str()),
        Some("AKIA********")
    );
    assert!(
        report.runs[0].occurrences[1].secret.is_none(),
        "redacted secrets are not hashed"
    );
}

#[test]
fn empty_shapes_are_zero_findings() {
    for empty in [&b"[]"[..], b"null", b"\xEF\xBB\xBF[ ]\n"] {
        let r = Gitleaks.parse(empty).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Gitleaks.parse(b"[{\"RuleID\": \"x\"").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Gitleaks.parse(b"{\"not\": \"a list\"}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn corpus_gitleaks_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.tool == "gitleaks" && s.format == "json") || s.rel.starts_with("defectdojo/gitleaks/")
    });
    assert!(
        files.len() >= 10,
        "expected the gitleaks corpus, found {}",
        files.len()
    );
    let mut checked = 0;
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Gitleaks
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        if let Some(n) = src.findings {
            assert_eq!(report.occurrence_count(), n, "{}", src.rel);
            checked += 1;
        }
        // detection: non-empty reports are recognised as gitleaks by content
        if report.occurrence_count() > 0 {
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
            assert_eq!(p.id(), "gitleaks-json", "{}", src.rel);
        }
        // no secret value of the raw report appears anywhere in the parsed output
        let json = serde_json::to_string(&report).expect("serializes");
        let raw: serde_json::Value = serde_json::from_slice(&bytes).expect("corpus file is JSON");
        for item in raw.as_array().into_iter().flatten() {
            for key in ["Secret", "offender", "Match", "line"] {
                if let Some(v) = item.get(key).and_then(|v| v.as_str())
                    && v.len() >= 6
                    && !v.contains("REDACTED")
                {
                    assert!(!json.contains(v), "{}: plaintext {key} leaked", src.rel);
                }
            }
        }
    }
    eprintln!(
        "gitleaks corpus: {} files read, {checked} counts checked",
        files.len()
    );
}

#[test]
fn items_that_are_not_objects_are_skipped_not_read_as_defaults() {
    // serde would read `[1, 2, 3]` as a struct field by field; every report item is an object
    let r = Gitleaks.parse(b"[[1, 2, 3], [], \"x\"]").expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 3);
    assert!(
        r.diagnostics[0].message.contains("expected a JSON object"),
        "{:?}",
        r.diagnostics
    );
}
