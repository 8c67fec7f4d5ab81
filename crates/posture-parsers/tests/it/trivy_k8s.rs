//! trivy k8s: own fixtures (current `Resources[]` shape), every k8s report of the corpus (the
//! 2022 `Vulnerabilities[]`/`Misconfigurations[]` shape and `Resources[]`), snapshot.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::trivy::json::Trivy;
use posture_parsers::formats::trivy::k8s::TrivyK8s;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let report = TrivyK8s
        .parse(&fixture("trivy-k8s-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.format, "trivy-k8s-json");
    assert_eq!(report.runs[0].tool.name, "trivy");
    // 2 vulnerabilities, 1 FAIL misconfiguration of the Deployment (PASS skipped), 1 of the ClusterRole
    assert_eq!(report.occurrence_count(), 4);
    let levels: Vec<(DiagnosticLevel, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            (
                DiagnosticLevel::Skipped,
                "/Resources/0/Results/1/Vulnerabilities/1"
            ),
            (DiagnosticLevel::Warning, "/Resources/2"),
        ]
    );
    let occ = &report.runs[0].occurrences;
    let os = &occ[0];
    assert_eq!(os.category, Category::Container);
    assert_eq!(os.locator, "/Resources/0/Results/0/Vulnerabilities/0");
    assert_eq!(os.location.resource.as_deref(), Some("shop/Deployment/api"));
    assert_eq!(
        os.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );
    assert_eq!(os.location.layer.as_deref(), Some("sha256:aaa"));
    assert_eq!(os.severity, Severity::High);
    assert_eq!(
        os.package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("apk")
    );
    let lang = &occ[1];
    assert_eq!(lang.category, Category::Container);
    assert_eq!(lang.location.path.as_deref(), Some("app/package-lock.json"));
    assert_eq!(
        lang.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2"),
        "the image of the OS result before it"
    );
    let misconf = &occ[2];
    assert_eq!(misconf.category, Category::Iac);
    assert_eq!(misconf.rule_id, "KSV-0001");
    assert_eq!(misconf.location.path, None);
    assert_eq!(misconf.location.image, None);
    assert_eq!(
        misconf.location.resource.as_deref(),
        Some("shop/Deployment/api")
    );
    assert_eq!(misconf.location.start_line, Some(20));
    let cluster = &occ[3];
    assert_eq!(
        cluster.location.resource.as_deref(),
        Some("ClusterRole/admin")
    );
    assert_eq!(cluster.severity, Severity::Critical);
}

#[test]
fn empty_shapes_are_zero_findings() {
    for input in [
        &fixture("trivy-k8s-json", "empty.json")[..],
        br#"{"ClusterName": "c"}"#,
        br#"{"ClusterName": "c", "Vulnerabilities": null, "Misconfigurations": []}"#,
    ] {
        let r = TrivyK8s.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = TrivyK8s
        .parse(&fixture("trivy-k8s-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    for shape in [
        &br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": []}"#[..],
        b"[]",
        b"null",
    ] {
        assert_eq!(
            TrivyK8s.parse(shape).unwrap_err().kind,
            ParseErrorKind::Shape
        );
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| TrivyK8s.detect(&Sniff::new(b));
    assert_eq!(
        d(&fixture("trivy-k8s-json", "happy.json")),
        Confidence::CERTAIN
    );
    assert_eq!(
        d(br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": []}"#),
        Confidence::NO
    );
}

#[test]
fn corpus_trivy_k8s_reports() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.rel.starts_with("upstream/trivy/") || s.rel.starts_with("defectdojo/trivy/"))
            && std::fs::read(root.join(&s.rel))
                .map(|b| Sniff::new(&b).has_key("ClusterName"))
                .unwrap_or(false)
    });
    assert_eq!(files.len(), 5, "the k8s reports of the corpus: {files:?}");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = TrivyK8s
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        // every row has a count: all raw items, PASS misconfigurations excluded (none here)
        let n = src
            .findings
            .unwrap_or_else(|| panic!("{}: no count", src.rel));
        assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        if let Some(dojo) = &src.dojo_expected {
            assert_eq!(
                dojo,
                &n.to_string(),
                "{}: DefectDojo counts the same",
                src.rel
            );
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "trivy-k8s-json", "{}", src.rel);
        // trivy-json refuses them, both in detection and in parsing
        assert_eq!(
            Trivy.detect(&Sniff::new(&bytes)),
            Confidence::NO,
            "{}",
            src.rel
        );
        let e = Trivy.parse(&bytes).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Shape, "{}", src.rel);
        assert!(e.message.contains("trivy k8s"), "{}: {e}", src.rel);
        for o in &report.runs[0].occurrences {
            let r = o.location.resource.as_deref().unwrap_or("");
            assert!(r.starts_with("default/"), "{}: {r}", src.rel);
            match o.category {
                Category::Container => {
                    assert!(o.package.is_some());
                    assert!(o.location.image.is_some(), "{}: {}", src.rel, o.locator);
                }
                Category::Iac => assert_eq!(o.location.path, None),
                c => panic!("{}: unexpected {c}", src.rel),
            }
        }
    }
    // the 2022 shape: locators name the list the resource sits in
    let k8s = TrivyK8s
        .parse(&read(&root, "upstream/trivy/defectdojo_kubernetes.json"))
        .unwrap();
    let occ = &k8s.runs[0].occurrences;
    assert_eq!(
        occ[0].locator,
        "/Vulnerabilities/0/Results/0/Vulnerabilities/0"
    );
    assert_eq!(
        occ[0].location.image.as_deref(),
        Some("gcr.io/google_samples/gb-redis-follower:v2")
    );
    assert_eq!(
        occ[0].location.resource.as_deref(),
        Some("default/Deployment/redis-follower")
    );
    assert_eq!(
        occ.iter().filter(|o| o.category == Category::Iac).count(),
        10
    );
}
