use crate::bandit::{empty_and_broken, multiscan_rows, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::flake8::Flake8;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = Flake8
        .parse(&fixture("flake8-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(d, vec![(DiagnosticLevel::Skipped, "/.~1app~1app.py/3")]);
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].rule_id, "DUO130");
    assert_eq!(o[0].severity, Severity::Medium);
    assert_eq!(o[0].location.path.as_deref(), Some("app/app.py"));
    assert_eq!(o[0].locator, "/.~1app~1app.py/0");
    assert_eq!(
        o[0].identity.context.as_deref(),
        Some("digest = hashlib.md5(password).hexdigest()")
    );
    assert_eq!(o[1].severity, Severity::Medium, "flake8-bandit");
    assert_eq!(o[2].severity, Severity::Info, "style");
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&Flake8, "flake8-json", "json");
    assert_eq!(Flake8.parse(b"[]").unwrap_err().kind, ParseErrorKind::Shape);
    assert_eq!(
        Flake8.parse(b"{\"a.py\": 3}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn corpus_dlint_multiscan() {
    let Some(root) = corpus_root() else { return };
    let rel = "multiscan/vulnerable-flask-app/dlint.json";
    let report = parse_corpus(&Flake8, &root, rel, true);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.occurrence_count(), 8);
    assert_eq!(multiscan_rows(&root, "vulnerable-flask-app", "dlint"), 8);
    assert!(
        report.runs[0]
            .occurrences
            .iter()
            .all(|o| o.rule_id.starts_with("DUO") && o.severity == Severity::Medium)
    );
}
