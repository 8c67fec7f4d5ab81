use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, SecretEvidence, Severity};
use posture_parsers::formats::whispers::Whispers;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot_and_no_plaintext() {
    let report = Whispers
        .parse(&fixture("whispers-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/3");
    assert_secret_hygiene("happy", &report);
    assert_no_plaintext(
        "happy",
        &report,
        &[
            "ZZwhispersFixturePw!".into(),
            "ZZfixtureAwsSecretKeyValue0000000000000Z".into(),
            "TODO remove password ZZcommentPw".into(),
            "ZZcommentPw".into(),
        ],
    );
    assert_eq!(occ[0].category, Category::Secret);
    assert_eq!(occ[0].severity, Severity::High, "CRITICAL");
    assert_eq!(
        occ[0].secret,
        Some(SecretEvidence::from_plaintext("ZZwhispersFixturePw!"))
    );
    assert_eq!(occ[0].description.as_deref(), Some("Key: password."));
    assert_eq!(occ[1].severity, Severity::Critical, "BLOCKER");
    assert_eq!(occ[1].location.start_line, Some(3));
    assert_eq!(occ[2].severity, Severity::Info);
}

#[test]
fn empty_and_broken() {
    assert_eq!(
        Whispers
            .parse(&fixture("whispers-json", "empty.json"))
            .unwrap()
            .occurrence_count(),
        0
    );
    let e = Whispers
        .parse(&fixture("whispers-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(
        Whispers.parse(b"{\"a\": 1}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn corpus_whispers_files() {
    let Some(root) = corpus_root() else { return };
    let files = multiscan_files(&root, |n| n == "whispers.json");
    // whispers 2.4.0 found nothing reportable in either multiscan target: both reports are `[]`
    // (LABELS.tsv has no whispers row), so the corpus only proves the empty shape
    assert_eq!(files.len(), 2);
    for rel in &files {
        let report = Whispers
            .parse(&read(&root, rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(report.occurrence_count(), 0, "{rel}");
        assert!(report.diagnostics.is_empty());
    }
    // detection of a non-empty report (the corpus has none): our fixture
    let p = posture_parsers::detect(&fixture("whispers-json", "happy.json")).unwrap();
    assert_eq!(p.id(), "whispers-json");
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Whispers, &fixture("whispers-json", "happy.json"));
}
