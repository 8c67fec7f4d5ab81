//! bandit-json, plus helpers shared by the SAST parsers' tests (bandit, gosec, brakeman,
//! spotbugs, eslint, sonarqube, github code scanning, flake8).

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, ParsedReport, Severity};
use posture_parsers::formats::bandit::Bandit;
use posture_parsers::{ParseErrorKind, Parser};
use std::path::Path;

/// Parses a corpus file with `parser`, checks detection picks it and that no item was skipped.
pub fn parse_corpus(parser: &dyn Parser, root: &Path, rel: &str, detect: bool) -> ParsedReport {
    let bytes = read(root, rel);
    if detect {
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(p.id(), parser.id(), "{rel} detected as {}", p.id());
    }
    let report = parser
        .parse(&bytes)
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(report.format, parser.id());
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.level != DiagnosticLevel::Skipped),
        "{rel}: {:?}",
        report.diagnostics
    );
    report
}

/// Rows of the LABELS.tsv of a multiscan target for one tool.
pub fn multiscan_rows(root: &Path, target: &str, tool: &str) -> usize {
    let text = std::fs::read_to_string(root.join("multiscan").join(target).join("LABELS.tsv"))
        .expect("LABELS.tsv");
    text.lines()
        .skip(1)
        .filter(|l| l.split('\t').next() == Some(tool))
        .count()
}

/// The empty fixture is zero occurrences; the broken one (a truncated file) a clean error.
pub fn empty_and_broken(parser: &dyn Parser, dir: &str, ext: &str) {
    let r = parser
        .parse(&fixture(dir, &format!("empty.{ext}")))
        .expect("empty parses");
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(r.runs.len(), 1, "an empty report still names its tool");
    let e = parser
        .parse(&fixture(dir, &format!("broken.{ext}")))
        .expect_err("a truncated report is an error");
    assert!(
        matches!(e.kind, ParseErrorKind::Truncated | ParseErrorKind::Syntax),
        "{e:?}"
    );
    assert_eq!(
        parser.parse(b"").expect_err("0 bytes").kind,
        ParseErrorKind::Empty
    );
    // fixtures are detected as this format
    let happy = fixture(dir, &format!("happy.{ext}"));
    assert_eq!(
        posture_parsers::detect(&happy).map(|p| p.id()),
        Ok(parser.id())
    );
}

#[test]
fn happy_fixture() {
    let report = Bandit
        .parse(&fixture("bandit-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.runs[0].tool.name, "bandit");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.8.3"));
    let levels: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(
        levels.contains(&(DiagnosticLevel::Warning, "/errors/0")),
        "{levels:?}"
    );
    assert!(
        levels.contains(&(DiagnosticLevel::Skipped, "/results/2")),
        "{levels:?}"
    );
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].category, Category::Sast);
    assert_eq!(o[0].rule_id, "B602");
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].cwes, vec![78]);
    assert_eq!(o[0].location.path.as_deref(), Some("app/tasks.py"));
    assert_eq!(o[0].location.start_line, Some(12));
    assert_eq!(o[0].location.end_line, Some(14));
    assert_eq!(o[0].location.start_column, Some(12));
    assert_eq!(
        o[0].identity.context.as_deref(),
        Some("return subprocess.run( cmd, shell=True )"),
        "only the flagged lines, without bandit's line numbers"
    );
    assert!(o[0].identity.tool_fingerprint.is_none());
    assert_eq!(o[1].severity, Severity::Info, "UNDEFINED reads as info");
    assert_eq!(
        o[1].location.start_line,
        Some(4),
        "a line number as a string"
    );
    assert_eq!(
        o[1].identity.context.as_deref(),
        Some("digest = hashlib.md5(data)")
    );
}

#[test]
fn empty_broken_and_other_shapes() {
    empty_and_broken(&Bandit, "bandit-json", "json");
    let e = Bandit.parse(b"{\"Issues\": []}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("Bandit"), "{e}");
    assert_eq!(
        Bandit.parse(b"[1]").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn context_does_not_depend_on_line_numbers() {
    let a = br#"{"results": [{"test_id": "B101", "issue_severity": "LOW", "filename": "a.py", "line_number": 5, "line_range": [5], "code": "4 x = 1\n5 assert x\n6 y = 2\n"}]}"#;
    let b = br#"{"results": [{"test_id": "B101", "issue_severity": "LOW", "filename": "a.py", "line_number": 50, "line_range": [50], "code": "49 z = 0\n50 assert x\n51 y = 2\n"}]}"#;
    let ca = Bandit.parse(a).unwrap().runs[0].occurrences[0]
        .identity
        .context
        .clone();
    let cb = Bandit.parse(b).unwrap().runs[0].occurrences[0]
        .identity
        .context
        .clone();
    assert_eq!(ca.as_deref(), Some("assert x"));
    assert_eq!(ca, cb);
}

#[test]
fn corpus_bandit_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.tool == "bandit" && s.format == "json") || s.rel.starts_with("defectdojo/bandit/")
    });
    assert_eq!(files.len(), 9, "{files:?}");
    let mut checked = 0;
    for src in &files {
        let report = parse_corpus(&Bandit, &root, &src.rel, true);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = src.findings.expect("every bandit row has a count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        if let Some(d) = &src.dojo_expected {
            assert_eq!(d, &n.to_string(), "{}: DefectDojo agrees", src.rel);
        }
        checked += 1;
    }
    // multiscan: every bandit row of LABELS.tsv is one result of bandit.json
    let rel = "multiscan/vulnerable-flask-app/bandit.json";
    let report = parse_corpus(&Bandit, &root, rel, true);
    assert_eq!(report.occurrence_count(), 18);
    assert_eq!(multiscan_rows(&root, "vulnerable-flask-app", "bandit"), 18);
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.9.4"));
    assert!(
        report.runs[0].occurrences.iter().all(|o| !o
            .location
            .path
            .as_deref()
            .unwrap_or("./")
            .starts_with("./")),
        "./ prefixes are removed"
    );
    // modern reports carry the CWE
    let modern = parse_corpus(
        &Bandit,
        &root,
        "upstream/bandit/secureflask_bandit-report.json",
        true,
    );
    assert!(
        modern.runs[0]
            .occurrences
            .iter()
            .all(|o| !o.cwes.is_empty())
    );
    eprintln!(
        "bandit corpus: {} files, {checked} counts checked",
        files.len() + 1
    );
}
