use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, SecretEvidence, Severity};
use posture_parsers::formats::trufflehog3::Trufflehog3;
use posture_parsers::{ParseErrorKind, Parser};
use std::collections::BTreeSet;

#[test]
fn happy_fixture_snapshot_and_no_plaintext() {
    let report = Trufflehog3
        .parse(&fixture("trufflehog3-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 4);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/3");
    assert_secret_hygiene("happy", &report);
    assert_no_plaintext(
        "happy",
        &report,
        &[
            "ZZfixtureAwsSecretKeyValue0000000000000Z".into(),
            "ZZ9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZ".into(),
            "md5$ZZfixtureSalt$0123456789abcdef0123456789abcdef".into(),
            "md5$ZZotherSalt00$fedcba9876543210fedcba9876543210".into(),
        ],
    );
    let first = &occ[0];
    assert_eq!(first.category, Category::Secret);
    assert_eq!(first.rule_id, "aws-secret-key");
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.location.start_line, Some(11));
    assert_eq!(
        first.identity.tool_fingerprint.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(
        first.secret,
        Some(SecretEvidence::from_plaintext(
            "ZZfixtureAwsSecretKeyValue0000000000000Z"
        ))
    );
    assert_eq!(occ[1].severity, Severity::Medium);
    assert_eq!(occ[2].locator, "/2/stringsFound/0");
    assert_eq!(
        occ[2].secret,
        Some(SecretEvidence::from_plaintext(
            "md5$ZZfixtureSalt$0123456789abcdef0123456789abcdef"
        ))
    );
    assert_eq!(occ[3].locator, "/2/stringsFound/1");
}

#[test]
fn empty_and_broken() {
    assert_eq!(
        Trufflehog3
            .parse(&fixture("trufflehog3-json", "empty.json"))
            .unwrap()
            .occurrence_count(),
        0
    );
    assert_eq!(Trufflehog3.parse(b"null").unwrap().occurrence_count(), 0);
    let e = Trufflehog3
        .parse(&fixture("trufflehog3-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(
        Trufflehog3.parse(b"{\"a\": 1}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

fn is_trufflehog3(rel: &str) -> bool {
    rel.starts_with("defectdojo/trufflehog3/") || rel.ends_with("/trufflehog3.json")
}

#[test]
fn corpus_trufflehog3_files() {
    let Some(root) = corpus_root() else { return };
    let mut files: Vec<(String, Option<usize>, Option<String>)> =
        corpus_files(&root, |s| is_trufflehog3(&s.rel))
            .into_iter()
            .map(|s| (s.rel, s.findings, s.dojo_expected))
            .collect();
    files.push((
        "multiscan/terragoat/trufflehog3.json".into(),
        Some(102),
        None,
    ));
    files.push((
        "multiscan/vulnerable-flask-app/trufflehog3.json".into(),
        Some(0),
        None,
    ));
    assert_eq!(files.len(), 5);
    for (rel, count, dojo) in &files {
        let bytes = read(&root, rel);
        let report = Trufflehog3
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        assert_secret_hygiene(rel, &report);
        let raw: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut plaintext = Vec::new();
        for it in raw.as_array().into_iter().flatten() {
            plaintext.extend(it["secret"].as_str().map(String::from));
            for s in it["stringsFound"].as_array().into_iter().flatten() {
                plaintext.extend(s.as_str().map(String::from));
            }
        }
        assert_no_plaintext(rel, &report, &plaintext);
        let occ = &report.runs[0].occurrences;
        if rel.ends_with("many_vulns_legacy.json") {
            // 32 items list 74 strings (one secret each: a users.json item lists ten password
            // hashes). DefectDojo merges by file + reason into 7; Posture keeps 74 occurrences.
            assert_eq!(*count, Some(32));
            assert_eq!(dojo.as_deref(), Some("7"));
            assert_eq!(occ.len(), 74);
            let pairs: BTreeSet<_> = occ.iter().map(|o| (&o.location.path, &o.rule_id)).collect();
            assert_eq!(pairs.len(), 7, "DefectDojo's merge key");
            assert!(occ.iter().all(|o| o.secret.is_some()));
        } else {
            assert_eq!(Some(occ.len()), *count, "{rel}");
        }
        if !occ.is_empty() {
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(p.id(), "trufflehog3-json", "{rel}");
        }
    }
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Trufflehog3, &fixture("trufflehog3-json", "happy.json"));
}
