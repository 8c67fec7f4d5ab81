use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::checkov::Checkov;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Checkov
        .parse(&fixture("checkov-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("3.2.1"));
    assert_eq!(
        occ.len(),
        5,
        "2 failed + 1 skipped terraform, 1 secret, 1 sca"
    );
    let skipped: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].locator, "/0/results/failed_checks/2");
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Warning
                && d.locator == "/0/results/parsing_errors/0")
    );

    let first = &occ[0];
    assert_eq!(first.category, Category::Iac);
    assert_eq!(first.locator, "/0/results/failed_checks/0");
    assert_eq!(first.location.path.as_deref(), Some("infra/s3.tf"));
    assert_eq!(
        first.location.resource.as_deref(),
        Some("aws_s3_bucket.data")
    );
    assert_eq!(
        (first.location.start_line, first.location.end_line),
        (Some(1), Some(3))
    );
    assert_eq!(first.severity, Severity::Low);
    assert_eq!(
        first.identity.context.as_deref(),
        Some("resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"posture-data\"\n}")
    );
    assert_eq!(
        occ[1].severity,
        Severity::Medium,
        "null severity defaults to medium"
    );
    assert!(occ[1].tool_severity.is_none());
    assert!(occ[2].suppressed, "skipped_checks are suppressed");
    assert_eq!(occ[2].locator, "/0/results/skipped_checks/0");

    let secret = &occ[3];
    assert_eq!(secret.category, Category::Secret);
    assert_eq!(secret.severity, Severity::High);
    assert!(
        secret.identity.context.is_none(),
        "masked code is never kept"
    );
    assert!(secret.location.resource.is_none());
    assert_eq!(secret.location.end_line, Some(7));
    let ev = secret.secret.as_ref().expect("sha1 evidence");
    assert_eq!(ev.hash, "sha1:4f4a5b1b6bdfc0f4fbd9cd0e24ba77e5e5b4c6a1");
    assert_eq!(ev.masked, "********");
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("AKIAZ*"), "the mask is not kept");

    let sca = &occ[4];
    assert_eq!(sca.category, Category::Sca);
    assert_eq!(sca.vulnerability_ids, vec!["CVE-2021-23337"]);
    assert_eq!(
        sca.package.as_ref().map(|p| p.name.as_str()),
        Some("lodash")
    );
}

#[test]
fn object_form_and_empty_shapes() {
    let r = Checkov
        .parse(&fixture("checkov-json", "object.json"))
        .unwrap();
    assert_eq!(r.occurrence_count(), 1);
    let o = &r.runs[0].occurrences[0];
    assert_eq!(o.locator, "/results/failed_checks/0");
    assert_eq!(o.location.path.as_deref(), Some("Dockerfile"));
    assert_eq!(o.location.resource.as_deref(), Some("/Dockerfile."));
    let r = Checkov
        .parse(&fixture("checkov-json", "empty.json"))
        .unwrap();
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.runs[0].tool.version.as_deref(), Some("3.2.1"));
    for empty in [
        &b"[]"[..],
        b"{\"check_type\": \"terraform\", \"results\": {\"failed_checks\": null}}",
    ] {
        assert_eq!(Checkov.parse(empty).unwrap().occurrence_count(), 0);
    }
}

#[test]
fn broken_and_foreign_inputs_are_errors() {
    let e = Checkov
        .parse(&fixture("checkov-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Checkov.parse(b"{\"some\": \"json\"}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = Checkov.parse(b"\"text\"").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert_eq!(Checkov.parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
}

fn is_checkov_json(rel: &str) -> bool {
    (rel.starts_with("upstream/checkov/") || rel.starts_with("defectdojo/checkov/"))
        && rel.ends_with(".json")
        || rel.ends_with("/checkov.json")
}

#[test]
fn corpus_checkov_json_files() {
    let Some(root) = corpus_root() else { return };
    let mut files: Vec<(String, Option<usize>)> = corpus_files(&root, |s| is_checkov_json(&s.rel))
        .into_iter()
        .map(|s| (s.rel, s.findings))
        .collect();
    // multiscan: the counts are the rows of LABELS.tsv for checkov
    files.push(("multiscan/terragoat/checkov.json".into(), Some(477)));
    files.push((
        "multiscan/vulnerable-flask-app/checkov.json".into(),
        Some(3),
    ));
    assert!(
        files.len() >= 9,
        "expected the checkov corpus, found {}",
        files.len()
    );
    let mut checked = 0;
    for (rel, count) in &files {
        let bytes = read(&root, rel);
        let report = Checkov
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        // every row's count is DefectDojo's too (failed_checks of all frameworks)
        if let Some(n) = count {
            assert_eq!(report.occurrence_count(), *n, "{rel}");
            checked += 1;
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(p.id(), "checkov-json", "{rel}");
        assert_secret_hygiene(rel, &report);
    }
    assert!(checked >= 9);
    // terragoat: 5 secrets, hashed as Checkov's SHA-1, never the masked code
    let report = Checkov
        .parse(&read(&root, "multiscan/terragoat/checkov.json"))
        .unwrap();
    let secrets: Vec<_> = report.runs[0]
        .occurrences
        .iter()
        .filter(|o| o.category == Category::Secret)
        .collect();
    assert_eq!(secrets.len(), 5);
    let ec2 = secrets
        .iter()
        .find(|o| {
            o.location.path.as_deref() == Some("terraform/aws/ec2.tf")
                && o.location.start_line == Some(15)
        })
        .expect("ec2.tf:15");
    assert_eq!(
        ec2.secret.as_ref().map(|s| s.hash.as_str()),
        Some("sha1:fc3f784491eba6121c3bfcc1652a2c57d27b16cb")
    );
    // the masked code of secret checks is not kept (IaC checks about hard-coded keys keep
    // their code block, which Checkov masks too)
    // (Posture's own preview, `masked` of the evidence, is not Checkov's code: left out)
    let text = serde_json::to_string(
        &secrets
            .iter()
            .map(|o| {
                let mut o = (*o).clone();
                o.secret = None;
                o
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!text.contains("*****"), "masked secret code kept");
    let iac = report.runs[0]
        .occurrences
        .iter()
        .find(|o| o.locator == "/3/results/failed_checks/59")
        .expect("LABELS row [3].results.failed_checks[59]");
    assert_eq!(iac.rule_id, "CKV_AWS_58");
    assert_eq!(
        iac.location.resource.as_deref(),
        Some("aws_eks_cluster.eks_cluster")
    );
    assert_eq!(iac.location.path.as_deref(), Some("terraform/aws/eks.tf"));
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Checkov, &fixture("checkov-json", "happy.json"));
}
