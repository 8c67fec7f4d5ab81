use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, SecretEvidence, Severity};
use posture_parsers::formats::ripsecrets::Ripsecrets;
use posture_parsers::formats::trufflehog3::Trufflehog3;
use posture_parsers::formats::whispers::Whispers;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot_and_no_plaintext() {
    let bytes = fixture("ripsecrets-text", "happy.txt");
    // a stray line is skipped with a diagnostic (the broken-stray-line fixture); the happy one is clean
    let mixed = Ripsecrets
        .parse(&fixture("ripsecrets-text", "broken-stray-line.txt"))
        .unwrap();
    assert_eq!(mixed.diagnostics.len(), 1);
    assert_eq!(mixed.diagnostics[0].locator, "line:4");
    let report = Ripsecrets.parse(&bytes).expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 4);
    assert!(report.diagnostics.is_empty());
    assert_secret_hygiene("happy", &report);
    assert_no_plaintext(
        "happy",
        &report,
        &[
            "AKIAZZFIXTUREONLY123".into(),
            "ZZfixtureAwsSecretKeyValue0000000000000Z".into(),
            "ZZ4ppS3cr3tFixture".into(),
            "ZZtok3nFixture0nlyABCDEF".into(),
            "access_key".into(),
        ],
    );
    let first = &occ[0];
    assert_eq!(first.category, Category::Secret);
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.locator, "line:1");
    assert_eq!(first.location.path.as_deref(), Some("infra/provider.tf"));
    assert_eq!(first.location.start_line, Some(7));
    assert_eq!(
        first.secret,
        Some(SecretEvidence::from_plaintext("AKIAZZFIXTUREONLY123"))
    );
    assert_eq!(
        occ[2].secret,
        Some(SecretEvidence::from_plaintext("ZZ4ppS3cr3tFixture"))
    );
    assert_eq!(occ[3].locator, "line:4");
    assert_eq!(
        occ[3].secret,
        Some(SecretEvidence::from_plaintext("ZZtok3nFixture0nlyABCDEF"))
    );
    // the same secret as trufflehog3 and whispers report it (plaintext tools): one hash
    let t3 = Trufflehog3
        .parse(&fixture("trufflehog3-json", "happy.json"))
        .unwrap();
    let wh = Whispers
        .parse(&fixture("whispers-json", "happy.json"))
        .unwrap();
    assert_eq!(occ[1].secret, t3.runs[0].occurrences[0].secret);
    assert_eq!(occ[1].secret, wh.runs[0].occurrences[1].secret);
}

#[test]
fn empty_broken_and_detection() {
    assert_eq!(
        Ripsecrets
            .parse(&fixture("ripsecrets-text", "empty.txt"))
            .unwrap()
            .occurrence_count(),
        0
    );
    let e = Ripsecrets
        .parse(&fixture("ripsecrets-text", "broken.txt"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert_eq!(
        Ripsecrets.parse(b"\xff\xfe:1:x").unwrap_err().kind,
        ParseErrorKind::Syntax
    );
    let clean = b"src/a.py:3:token = 'abcdefgh12345678'\n./b.env:1:KEY=zzzzzzzzzzzzzzzz\n";
    assert_eq!(
        posture_parsers::detect(clean).unwrap().id(),
        "ripsecrets-text"
    );
    // one stray line is enough to say no
    let mixed = fixture("ripsecrets-text", "broken-stray-line.txt");
    let s = posture_parsers::Sniff::new(&mixed);
    assert_eq!(Ripsecrets.detect(&s), posture_parsers::Confidence::NO);
}

#[test]
fn corpus_ripsecrets_files() {
    let Some(root) = corpus_root() else { return };
    let files = multiscan_files(&root, |n| n == "ripsecrets.txt");
    assert_eq!(files.len(), 2);
    for rel in &files {
        let bytes = read(&root, rel);
        let report = Ripsecrets
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        // one occurrence per line, as LABELS.tsv has one ripsecrets row per line
        let lines = String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        let expected = if rel.contains("terragoat") { 5 } else { 1 };
        assert_eq!(lines, expected);
        assert_eq!(report.occurrence_count(), expected, "{rel}");
        assert!(
            report.runs[0]
                .occurrences
                .iter()
                .all(|o| o.secret.is_some())
        );
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(p.id(), "ripsecrets-text", "{rel}");
        // neither the matched text nor any long word of it is kept
        let mut plaintext = Vec::new();
        for l in String::from_utf8_lossy(&bytes).lines() {
            let text = l.splitn(3, ':').nth(2).unwrap_or("").to_string();
            for w in text.split(|c: char| c.is_whitespace() || "\"'=".contains(c)) {
                if w.len() >= 10 {
                    plaintext.push(w.to_string());
                }
            }
            plaintext.push(text);
        }
        assert_no_plaintext(rel, &report, &plaintext);
    }
    // terragoat: ripsecrets' ec2.tf:15 and trufflehog3's amazon.aws-api-key there are one secret
    let rs = Ripsecrets
        .parse(&read(&root, "multiscan/terragoat/ripsecrets.txt"))
        .unwrap();
    let t3 = Trufflehog3
        .parse(&read(&root, "multiscan/terragoat/trufflehog3.json"))
        .unwrap();
    let at = |r: &posture_model::ParsedReport, rule: Option<&str>| {
        r.runs[0]
            .occurrences
            .iter()
            .find(|o| {
                o.location.path.as_deref() == Some("terraform/aws/ec2.tf")
                    && o.location.start_line == Some(15)
                    && rule.is_none_or(|x| o.rule_id == x)
            })
            .and_then(|o| o.secret.clone())
    };
    assert!(at(&rs, None).is_some());
    assert_eq!(at(&rs, None), at(&t3, Some("amazon.aws-api-key")));
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Ripsecrets, &fixture("ripsecrets-text", "happy.txt"));
}
