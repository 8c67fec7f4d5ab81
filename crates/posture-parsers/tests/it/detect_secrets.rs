use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::checkov::Checkov;
use posture_parsers::formats::detect_secrets::DetectSecrets;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = DetectSecrets
        .parse(&fixture("detect-secrets-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 3);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/results/a~1b~0c.txt/1");
    assert_secret_hygiene("happy", &report);
    let aws = &occ[0];
    assert_eq!(aws.category, Category::Secret);
    assert_eq!(aws.locator, "/results/infra~1provider.tf/0");
    assert_eq!(aws.severity, Severity::High);
    assert_eq!(aws.location.start_line, Some(7));
    let ev = aws.secret.as_ref().unwrap();
    assert_eq!(
        ev.hash, "sha1:4f4a5b1b6bdfc0f4fbd9cd0e24ba77e5e5b4c6a1",
        "kept, lowercased, not re-hashed"
    );
    assert_eq!(ev.masked, "********");
    // the same secret as Checkov reports it: one SHA-1 identity
    let ck = Checkov
        .parse(&fixture("checkov-json", "happy.json"))
        .unwrap();
    let ck_secret = ck.runs[0]
        .occurrences
        .iter()
        .find(|o| o.category == Category::Secret)
        .unwrap();
    assert_eq!(ck_secret.secret, aws.secret);
    assert_eq!(occ[1].severity, Severity::Medium, "entropy detector");
    assert!(occ[1].suppressed, "audited as not a secret");
    assert_eq!(occ[1].location.start_line, Some(9));
    assert_eq!(occ[2].severity, Severity::Critical, "verified");
}

#[test]
fn empty_and_broken() {
    assert_eq!(
        DetectSecrets
            .parse(&fixture("detect-secrets-json", "empty.json"))
            .unwrap()
            .occurrence_count(),
        0
    );
    let e = DetectSecrets
        .parse(&fixture("detect-secrets-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert_eq!(
        DetectSecrets.parse(b"[]").unwrap_err().kind,
        ParseErrorKind::Shape
    );
    assert_eq!(
        DetectSecrets.parse(b"{\"results\": 3}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

fn is_detect_secrets(rel: &str) -> bool {
    rel.starts_with("defectdojo/detect_secrets/") || rel.ends_with("/detect-secrets.json")
}

#[test]
fn corpus_detect_secrets_files() {
    let Some(root) = corpus_root() else { return };
    let mut files: Vec<(String, Option<usize>)> =
        corpus_files(&root, |s| is_detect_secrets(&s.rel))
            .into_iter()
            .map(|s| (s.rel, s.findings))
            .collect();
    files.push(("multiscan/terragoat/detect-secrets.json".into(), Some(55)));
    files.push((
        "multiscan/vulnerable-flask-app/detect-secrets.json".into(),
        Some(5),
    ));
    assert_eq!(files.len(), 4);
    for (rel, count) in &files {
        let bytes = read(&root, rel);
        let report = DetectSecrets
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        assert_eq!(Some(report.occurrence_count()), *count, "{rel}");
        assert!(report.runs[0].occurrences.iter().all(|o| {
            o.secret
                .as_ref()
                .is_some_and(|s| s.hash.starts_with("sha1:"))
        }));
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(p.id(), "detect-secrets-json", "{rel}");
    }
    // terragoat: Checkov's CKV_SECRET_2 at ec2.tf:15 and detect-secrets' AWS Access Key there
    // carry the same SHA-1 evidence
    let ds = DetectSecrets
        .parse(&read(&root, "multiscan/terragoat/detect-secrets.json"))
        .unwrap();
    let ck = Checkov
        .parse(&read(&root, "multiscan/terragoat/checkov.json"))
        .unwrap();
    let at = |r: &posture_model::ParsedReport| {
        r.runs[0]
            .occurrences
            .iter()
            .find(|o| {
                o.category == Category::Secret
                    && o.location.path.as_deref() == Some("terraform/aws/ec2.tf")
                    && o.location.start_line == Some(15)
            })
            .and_then(|o| o.secret.clone())
    };
    assert!(at(&ds).is_some());
    assert_eq!(at(&ds), at(&ck));
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(
        &DetectSecrets,
        &fixture("detect-secrets-json", "happy.json"),
    );
}
