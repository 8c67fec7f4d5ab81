use crate::common::*;
use posture_model::{Category, Severity};
use posture_parsers::formats::trivy::operator::TrivyOperator;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = TrivyOperator
        .parse(&fixture("trivy-operator-json", "happy.json"))
        .expect("parses");
    // 2 vulnerabilities (+1 broken), 2 failed checks (1 passed), 1 secret
    assert_eq!(report.occurrence_count(), 5);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(
        report.diagnostics[0].locator,
        "/items/0/report/vulnerabilities/2"
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("0.48.0"));
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Container);
    assert_eq!(occ[0].severity, Severity::Critical);
    assert_eq!(
        occ[0].location.image.as_deref(),
        Some("index.docker.io/library/nginx:1.25-alpine")
    );
    assert_eq!(
        occ[0].location.resource.as_deref(),
        Some("shop/ReplicaSet/web-7d4f9/nginx")
    );
    assert_eq!(
        occ[0].package.as_ref().unwrap().ecosystem.as_deref(),
        Some("apk")
    );
    assert_eq!(
        occ[1].package.as_ref().unwrap().ecosystem,
        None,
        "a binary's package"
    );
    assert_eq!(occ[1].location.path.as_deref(), Some("usr/local/bin/app"));
    assert_eq!(occ[2].category, Category::Iac);
    assert_eq!(occ[2].rule_id, "KSV014");
    assert_eq!(
        occ[2].location.resource.as_deref(),
        Some("shop/ReplicaSet/web-7d4f9")
    );
    assert_eq!(occ[3].rule_id, "Custom policy without id");
    assert_eq!(occ[3].locator, "/items/1/report/checks/2");
    assert_eq!(occ[4].category, Category::Secret);
    assert!(occ[4].secret.is_none(), "masked: nothing to hash");
    assert_eq!(
        occ[4].location.image.as_deref(),
        Some("library/nginx@sha256:0123456789abcdef")
    );
}

#[test]
fn empty_and_broken() {
    let r = TrivyOperator
        .parse(&fixture("trivy-operator-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = TrivyOperator
        .parse(&fixture("trivy-operator-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = TrivyOperator.parse(b"{\"foo\": []}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let r = TrivyOperator.parse(b"[]").expect("empty list");
    assert_eq!(r.occurrence_count(), 0);
}

#[test]
fn corpus_trivy_operator_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/trivy_operator/"));
    assert_eq!(files.len(), 11);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = TrivyOperator
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        let n = report.occurrence_count();
        let dojo: usize = src
            .dojo_expected
            .as_deref()
            .and_then(|d| d.parse().ok())
            .expect("DefectDojo asserts every trivy_operator count");
        // Posture matches DefectDojo on every file. SOURCES' own `findings` column is blank for
        // the two `complex` files and 0 for clustercompliancereport.json, whose corpus count
        // only looked at report.vulnerabilities/secrets/checks: its 2 findings are the failed
        // controls of status.summaryReport (totalFail > 0), which Posture reads too.
        assert_eq!(n, dojo, "{}", src.rel);
        match src.rel.as_str() {
            "defectdojo/trivy_operator/clustercompliancereport.json" => {
                assert_eq!(src.findings, Some(0));
            }
            "defectdojo/trivy_operator/all_reports_in_dict.json"
            | "defectdojo/trivy_operator/cis_benchmark.json" => assert_eq!(src.findings, None),
            _ => assert_eq!(src.findings, Some(n), "{}", src.rel),
        }
        // secrets are masked by Trivy: no hash, and the mask is what the output carries
        for o in &report.runs[0].occurrences {
            if o.category == Category::Secret {
                assert!(o.secret.is_none());
                assert!(
                    o.identity
                        .context
                        .as_deref()
                        .is_some_and(|c| c.contains("****"))
                );
            }
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "trivy-operator-json", "{}", src.rel);
    }
}
