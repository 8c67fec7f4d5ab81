//! Trivy JSON: own fixtures, every Trivy file of the shared corpus, snapshots.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::trivy::json::Trivy;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("trivy", "happy.json");
    let report = Trivy.parse(&bytes).expect("parses");
    assert_eq!(report.format, "trivy-json");
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].tool.name, "trivy");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("0.58.1"));
    // 2 os + 1 jar vulnerabilities, 2 misconfigurations (PASS skipped), 1 secret; the third
    // debian item is broken (CweIDs: 5) and becomes a diagnostic.
    assert_eq!(report.occurrence_count(), 6);
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(
        report.diagnostics[0].locator,
        "/Results/0/Vulnerabilities/2"
    );

    let occ = &report.runs[0].occurrences;
    let os = &occ[0];
    assert_eq!(os.category, Category::Container);
    assert_eq!(os.locator, "/Results/0/Vulnerabilities/0");
    assert_eq!(os.vulnerability_ids, ["CVE-2026-0001", "DSA-9999-1"]);
    assert_eq!(os.severity, Severity::High);
    assert_eq!(os.tool_severity.as_deref(), Some("HIGH"));
    assert_eq!(os.cwes, [122, 787]);
    assert_eq!(os.cvss.len(), 3);
    assert_eq!(
        os.cvss[0].source, "redhat",
        "the SeveritySource's rating comes first"
    );
    let pkg = os.package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("deb"));
    assert_eq!(pkg.fixed_versions, ["1.2.3-2", "1.3.0-1"]);
    assert_eq!(os.location.path, None, "OS packages have no manifest path");
    assert_eq!(os.location.layer.as_deref(), Some("sha256:bbbb"));
    assert_eq!(
        os.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );
    assert_eq!(
        os.identity.tool_fingerprint, None,
        "Trivy's Fingerprint is not stable"
    );

    let tz = &occ[1];
    assert_eq!(tz.severity, Severity::Info);
    assert!(
        tz.description
            .as_deref()
            .is_some_and(|d| d.contains("will_not_fix"))
    );

    let jar = &occ[2];
    assert_eq!(
        jar.vulnerability_ids,
        ["GHSA-aaaa-bbbb-cccc", "CVE-2026-1000"]
    );
    assert_eq!(
        jar.location.path.as_deref(),
        Some("app/lib/netty-codec-4.1.0.jar")
    );
    assert_eq!(
        jar.package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("maven")
    );
    assert_eq!(jar.cvss[0].score, Some(9.3));

    let ds = &occ[3];
    assert_eq!(ds.category, Category::Iac);
    assert_eq!(ds.rule_id, "DS-0002");
    assert_eq!(ds.location.path.as_deref(), Some("Dockerfile"));
    assert!(!ds.suppressed);
    let exc = &occ[4];
    assert_eq!(exc.rule_id, "DS-0026");
    assert_eq!(exc.locator, "/Results/2/Misconfigurations/2");
    assert!(exc.suppressed, "EXCEPTION is a waived check");
    assert_eq!(exc.location.resource.as_deref(), Some("stage0"));
    assert_eq!(
        exc.identity.context.as_deref(),
        Some("FROM debian:12\nRUN apt-get update")
    );

    let secret = &occ[5];
    assert_eq!(secret.category, Category::Secret);
    assert_eq!(secret.severity, Severity::Critical);
    assert!(secret.secret.is_none(), "a masked value is never hashed");
    assert_eq!(
        secret.identity.context.as_deref(),
        Some("AWS_ACCESS_KEY_ID=********************")
    );
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(
        !text.contains("ghp_PLAINTEXT"),
        "code lines around a secret leaked: {text}"
    );
}

#[test]
fn legacy_array_fixture() {
    let report = Trivy
        .parse(&fixture("trivy", "legacy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert!(report.diagnostics.is_empty());
    let occ = &report.runs[0].occurrences;
    // an OS result in a legacy report means an image scan
    assert!(occ.iter().all(|o| o.category == Category::Container));
    assert_eq!(occ[0].vulnerability_ids, ["CVE-2018-0001"]);
    assert_eq!(occ[0].location.image.as_deref(), Some("shop-api:1.0"));
    assert_eq!(
        occ[0].package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("apk")
    );
    // an item without VulnerabilityID is kept (DefectDojo counts it too)
    assert_eq!(occ[1].locator, "/1/Vulnerabilities/0");
    assert_eq!(occ[1].rule_id, "unknown");
    assert!(occ[1].vulnerability_ids.is_empty());
    assert_eq!(
        occ[2].location.path.as_deref(),
        Some("node-app/package-lock.json")
    );
}

#[test]
fn filesystem_scan_is_sca() {
    let report = Trivy.parse(&fixture("trivy", "fs.json")).expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].category, Category::Sca);
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("services/web/poetry.lock")
    );
    assert_eq!(occ[0].location.image, None);
    assert_eq!(
        occ[0].package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("pypi")
    );
    assert_eq!(report.runs[0].tool.version, None);
}

#[test]
fn empty_shapes_are_zero_findings() {
    let empty = fixture("trivy", "empty.json");
    for input in [
        &empty[..],
        b"null",
        b"[]",
        b"\xEF\xBB\xBF null \n",
        br#"{"SchemaVersion": 2, "ArtifactName": ".", "Results": null}"#,
        br#"{"SchemaVersion": 2, "Results": [{"Target": "x", "Class": "lang-pkgs"}]}"#,
        br#"[{"Target": "a (alpine 3.1)", "Type": "alpine", "Vulnerabilities": null}]"#,
    ] {
        let r = Trivy.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Trivy.parse(&fixture("trivy", "broken.json")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert!(e.position.is_some());
    let e = Trivy.parse(b"").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Empty);
    for shape in [
        &br#"{"not": "trivy"}"#[..],
        br#""a string""#,
        b"42",
        br#"{"ClusterName": "c", "Resources": []}"#,
        br#"{"SchemaVersion": 2, "Results": {"Target": "x"}}"#,
    ] {
        let e = Trivy.parse(shape).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Shape, "{e}");
    }
    let e = Trivy
        .parse(br#"{"ClusterName": "c", "Vulnerabilities": []}"#)
        .unwrap_err();
    assert!(e.message.contains("k8s"), "{e}");
}

#[test]
fn detection() {
    let d = |b: &[u8]| Trivy.detect(&Sniff::new(b));
    assert_eq!(d(&fixture("trivy", "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture("trivy", "legacy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture("trivy", "empty.json")), Confidence::CERTAIN);
    assert_eq!(d(b"null"), Confidence::RESEMBLES);
    assert_eq!(
        d(br#"{"ClusterName": "x", "Resources": []}"#),
        Confidence::NO
    );
    assert_eq!(d(br#"[{"RuleID": "x", "Secret": "y"}]"#), Confidence::NO);
    assert_eq!(
        posture_parsers::detect(&fixture("trivy", "happy.json"))
            .map(|p| p.id())
            .ok(),
        Some("trivy-json")
    );
}

/// Corpus files in the Trivy folders that are other formats. `detect` must not say Trivy for
/// them, and the parser must refuse them.
const NOT_TRIVY_JSON: &[(&str, &str)] = &[
    (
        "alpine-310.asff.golden",
        "AWS Security Hub ASFF template output",
    ),
    ("alpine-310.sarif.golden", "SARIF"),
    (
        "v0.10-template-sarif_alpine-310.sarif.golden",
        "SARIF (0.10 template)",
    ),
    ("npm-cyclonedx.json.golden", "CycloneDX"),
    ("conda-spdx.json.golden", "SPDX"),
    (
        "kubernetes.json",
        "trivy k8s report (ClusterName + per-resource lists): a later issue",
    ),
    (
        "defectdojo_kubernetes.json",
        "trivy k8s report: a later issue",
    ),
    (
        "kubernetes_fabricated_internal_duplicates.json",
        "trivy k8s report: a later issue",
    ),
    (
        "kubernetes_fabricated_internal_duplicates_subset.json",
        "trivy k8s report: a later issue",
    ),
    (
        "issue_9170.json",
        "trivy k8s report (ClusterName + Resources[]): a later issue",
    ),
];

/// Rows whose SOURCES count is not Posture's count, and why.
const COUNT_DIFFERS: &[(&str, usize, &str)] = &[(
    "upstream/trivy/minikube-kbom.json.golden",
    1,
    "SOURCES describes it as a KBOM with 0 findings, but the file is Trivy's JSON report of \
     `trivy sbom` run ON a KBOM (SchemaVersion 2, ArtifactType cyclonedx) and it lists one \
     vulnerability (CVE-2023-2431 in k8s.io/kubelet)",
)];

fn name_of(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

#[test]
fn corpus_trivy_files() {
    let Some(root) = corpus_root() else { return };
    let rows = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/trivy/") || s.rel.starts_with("defectdojo/trivy/")
    });
    // every file of both folders, with or without a SOURCES row
    let mut files: Vec<String> = Vec::new();
    for dir in ["upstream/trivy", "defectdojo/trivy"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("corpus folder") {
            let name = entry.expect("entry").file_name();
            files.push(format!("{dir}/{}", name.to_string_lossy()));
        }
    }
    files.sort();
    assert!(
        files.len() >= 35,
        "expected the trivy corpus, found {}",
        files.len()
    );

    let mut counted = 0;
    let mut parsed = 0;
    for rel in &files {
        let bytes = read(&root, rel);
        let name = name_of(rel);
        let head = Trivy.detect(&Sniff::new(&bytes));
        if let Some((_, why)) = NOT_TRIVY_JSON.iter().find(|(n, _)| *n == name) {
            assert_eq!(
                head,
                Confidence::NO,
                "{rel} ({why}) must not be detected as Trivy"
            );
            if let Ok(p) = posture_parsers::detect(&bytes) {
                assert_ne!(p.id(), "trivy-json", "{rel}");
            }
            assert!(
                Trivy.parse(&bytes).is_err(),
                "{rel} ({why}) must be refused"
            );
            continue;
        }
        let report = Trivy.parse(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        parsed += 1;
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        // non-empty reports are recognised as Trivy by content; `null` only resembles it
        if report.occurrence_count() > 0 {
            let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(p.id(), "trivy-json", "{rel}");
        } else if bytes.trim_ascii() != b"null" {
            assert_eq!(head, Confidence::CERTAIN, "{rel}");
        }
        // no masked secret is ever hashed; no occurrence without a locator
        for o in &report.runs[0].occurrences {
            assert!(o.secret.is_none(), "{rel}: {}", o.locator);
            assert!(o.locator.starts_with("/"), "{rel}: {}", o.locator);
        }
        let row = rows.iter().find(|s| s.rel == *rel);
        let expected = match COUNT_DIFFERS.iter().find(|(r, _, _)| r == rel) {
            Some((_, n, _why)) => {
                assert_ne!(
                    row.and_then(|s| s.findings),
                    Some(*n),
                    "{rel}: no longer differs"
                );
                Some(*n)
            }
            None => row.and_then(|s| s.findings),
        };
        if let Some(n) = expected {
            assert_eq!(report.occurrence_count(), n, "{rel}");
            counted += 1;
        }
        // DefectDojo's own assertion equals the raw count for every Trivy JSON file
        if let Some(dojo) = row.and_then(|s| s.dojo_expected.as_deref()) {
            assert_eq!(
                dojo,
                report.occurrence_count().to_string(),
                "{rel}: DefectDojo"
            );
        }
    }
    assert!(parsed >= 25, "parsed {parsed}");
    eprintln!(
        "trivy corpus: {} files, {parsed} parsed as trivy-json, {counted} counts checked",
        files.len()
    );
}

#[test]
fn corpus_trivy_categories_and_digests() {
    let Some(root) = corpus_root() else { return };
    let parse = |rel: &str| {
        Trivy
            .parse(&read(&root, rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    // image: container; VM: container; repository and SBOM scans: sca
    let cat = |rel: &str| parse(rel).runs[0].occurrences[0].category;
    assert_eq!(
        cat("upstream/trivy/alpine-310.json.golden"),
        Category::Container
    );
    assert_eq!(
        cat("upstream/trivy/amazonlinux2-gp2-x86-vm.json.golden"),
        Category::Container
    );
    assert_eq!(cat("upstream/trivy/pom.json.golden"), Category::Sca);
    assert_eq!(
        cat("defectdojo/trivy/cvss_severity_source.json"),
        Category::Sca
    );
    assert_eq!(
        cat("defectdojo/trivy/legacy_many_vulns.json"),
        Category::Container
    );
    assert_eq!(
        cat("upstream/trivy/v0.19-array-format_alpine-310.json.golden"),
        Category::Container
    );
    // misconfigurations and secrets
    let mixed = parse("defectdojo/trivy/misconfigurations_and_secrets.json");
    let cats: Vec<Category> = mixed.runs[0]
        .occurrences
        .iter()
        .map(|o| o.category)
        .collect();
    assert_eq!(
        cats,
        [
            Category::Sca,
            Category::Sca,
            Category::Iac,
            Category::Secret,
            Category::Secret
        ]
    );
    assert_eq!(mixed.runs[0].occurrences[2].rule_id, "DS-0002");
    let helm = parse("upstream/trivy/helm.json.golden");
    assert!(
        helm.runs[0]
            .occurrences
            .iter()
            .all(|o| o.category == Category::Iac && o.identity.context.is_some())
    );
    // CVSS 4.0 vectors are kept
    let v4 = parse("upstream/trivy/defectdojo_cvssv4_severity_source.json");
    assert!(
        v4.runs[0]
            .occurrences
            .iter()
            .flat_map(|o| &o.cvss)
            .any(|c| c
                .vector
                .as_deref()
                .is_some_and(|v| v.starts_with("CVSS:4.0/")))
    );

    for (name, rel) in [
        (
            "trivy_corpus_alpine_310",
            "upstream/trivy/alpine-310.json.golden",
        ),
        ("trivy_corpus_secrets", "upstream/trivy/secrets.json.golden"),
        ("trivy_corpus_helm", "upstream/trivy/helm.json.golden"),
        (
            "trivy_corpus_legacy_mix",
            "defectdojo/trivy/legacy_trivy_mix.json",
        ),
    ] {
        let report = parse(rel);
        let digest = digest(&report, 3);
        snapshot_settings().bind(|| insta::assert_json_snapshot!(name, digest));
    }
    // the secret corpus file has plaintext in its code context lines: never copied
    let secrets = read(&root, "upstream/trivy/secrets.json.golden");
    let text = serde_json::to_string(&Trivy.parse(&secrets).expect("parses")).expect("json");
    assert!(!text.contains("ghp_0123456789"), "code context leaked");
}

#[test]
fn truncated_and_mangled_inputs_never_panic() {
    for name in ["happy.json", "legacy.json", "fs.json"] {
        let bytes = fixture("trivy", name);
        for cut in (0..bytes.len()).step_by(7) {
            let _ = Trivy.parse(&bytes[..cut]);
            let _ = Trivy.detect(&Sniff::new(&bytes[..cut]));
        }
        let mangled: Vec<u8> = bytes
            .iter()
            .map(|b| match b {
                b'"' => b'\'',
                b'[' => b'{',
                other => *other,
            })
            .collect();
        assert!(Trivy.parse(&mangled).is_err());
    }
}
