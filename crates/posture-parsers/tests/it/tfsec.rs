use crate::common::*;
use crate::iacsec_support::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::tfsec::Tfsec;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Tfsec
        .parse(&fixture("tfsec-json", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(
        occ.len(),
        3,
        "the passed item is not a finding, the broken one is skipped"
    );
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].locator, "/results/4");
    let first = &occ[0];
    assert_eq!(first.category, Category::Iac);
    assert_eq!(first.rule_id, "aws-s3-enable-bucket-logging");
    assert_eq!(first.severity, Severity::Medium);
    assert_eq!(
        first.location.resource.as_deref(),
        Some("aws_s3_bucket.data")
    );
    assert_eq!(first.locator, "/results/0");
    let ignored = &occ[1];
    assert!(ignored.suppressed);
    assert_eq!(ignored.severity, Severity::Critical);
    assert_eq!(ignored.location.start_line, Some(12));
    assert_eq!(
        ignored.location.resource.as_deref(),
        Some("module.web:aws_security_group_rule.in"),
        "resource taken from the description when the field is absent"
    );
    let legacy = &occ[2];
    assert_eq!(legacy.locator, "/results/3");
    assert_eq!(legacy.severity, Severity::Medium, "WARNING");
    assert_eq!(
        legacy.references,
        vec!["https://tfsec.dev/docs/general/GEN003/"]
    );
}

#[test]
fn empty_and_broken() {
    let r = Tfsec.parse(&fixture("tfsec-json", "empty.json")).unwrap();
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(
        Tfsec
            .parse(b"{\"results\": []}")
            .unwrap()
            .occurrence_count(),
        0
    );
    let e = Tfsec
        .parse(&fixture("tfsec-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Tfsec.parse(b"[1, 2]").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = Tfsec.parse(b"{\"other\": 1}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

fn is_tfsec(rel: &str) -> bool {
    rel.starts_with("upstream/tfsec/") || rel.starts_with("defectdojo/tfsec/")
}

#[test]
fn corpus_tfsec_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| is_tfsec(&s.rel));
    assert_eq!(files.len(), 6, "expected the tfsec corpus");
    let mut checked = 0;
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Tfsec
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = src.findings.expect("every tfsec row has a count");
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        checked += 1;
        if src.rel.ends_with("many_findings_current.json") {
            // DefectDojo asserts 13: it merges items with the same severity, file, line and rule.
            // The six AWS007 items at modules/security-group/main.tf:72 (and the two AWS006 at
            // line 40) are different module instances, i.e. different resources: Posture keeps
            // 19 occurrences with 19 distinct (rule, file, line, resource) identities.
            if let Some(d) = &src.dojo_expected {
                assert_eq!(d, "13");
            }
            let mut keys: Vec<_> = report.runs[0]
                .occurrences
                .iter()
                .map(|o| {
                    (
                        o.rule_id.clone(),
                        o.location.path.clone(),
                        o.location.start_line,
                        o.location.resource.clone(),
                    )
                })
                .collect();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), 19);
            let mut dojo: Vec<_> = keys.iter().map(|k| (&k.0, &k.1, k.2)).collect();
            dojo.dedup();
            assert_eq!(dojo.len(), 13, "DefectDojo's merge key gives its 13");
        }
        if report.occurrence_count() > 0 {
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
            assert_eq!(p.id(), "tfsec-json", "{}", src.rel);
        } else {
            // `{"results": null}`: tfsec's empty report is detected too
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
            assert_eq!(p.id(), "tfsec-json", "{}", src.rel);
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    assert_never_panics(&Tfsec, &fixture("tfsec-json", "happy.json"));
}
