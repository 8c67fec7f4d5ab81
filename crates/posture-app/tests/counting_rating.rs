//! The counting rating (issue 15): for OS packages, the distribution's own rating counts over
//! NVD's, and every rating is kept and shown with its source. Real reports of the corpus:
//! Trivy's `legacy_many_vulns.json` (glibc CVE-2019-1010022: Debian LOW, NVD 9.8, the demo's
//! observation) and Grype's `check_all_fields.json` (namespace `debian:10`), on SQLite and
//! PostgreSQL.

use posture_app::{IngestRequest, ReportSource, ingest};
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, Store, on_both_backends};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("defectdojo/trivy").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); counting-rating tests SKIPPED",
            dir.display()
        );
        None
    }
}

fn ingest_file(store: &dyn Store, root: &Path, rel: &str) {
    ingest(
        store,
        &[ReportSource {
            name: rel.rsplit('/').next().expect("file name").to_string(),
            bytes: std::fs::read(root.join(rel)).expect("corpus file"),
            format: None,
        }],
        IngestRequest {
            asset: "image".into(),
            branch: "main".into(),
            target: None,
            commit: None,
            format: None,
            kind: posture_store::ScanKind::Findings,
            at: Timestamp::from_millisecond(1_767_571_200_000).expect("time"),
            force: false,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
    .expect("ingest");
}

fn assessed(store: &dyn Store) -> Vec<posture_app::risk::AssessedFinding> {
    let list = store
        .findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("findings");
    posture_app::risk::assess_findings(store, None, list).expect("assess")
}

fn term<'a>(f: &'a posture_app::risk::AssessedFinding, name: &str) -> &'a posture_risk::RiskTerm {
    f.risk
        .terms
        .iter()
        .find(|t| t.name == name)
        .expect("every term is listed")
}

fn of<'a>(
    list: &'a [posture_app::risk::AssessedFinding],
    cve: &str,
    package: &str,
) -> &'a posture_app::risk::AssessedFinding {
    list.iter()
        .find(|f| {
            f.finding.occurrences.iter().any(|o| {
                o.data.vulnerability_ids.iter().any(|i| i == cve)
                    && o.data.package.as_ref().is_some_and(|p| p.name == package)
            })
        })
        .unwrap_or_else(|| panic!("{cve} in {package}"))
}

fn trivy_debian_low_counts_over_nvd(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    ingest_file(
        store.as_ref(),
        &root,
        "defectdojo/trivy/legacy_many_vulns.json",
    );
    let list = assessed(store.as_ref());
    let glibc = of(&list, "CVE-2019-1010022", "libc-bin");
    // Every rating is kept: NVD's and Red Hat's CVSS, Debian's severity.
    let occ = &glibc.finding.occurrences[0].data;
    assert!(occ.cvss.iter().any(|r| r.source == "nvd"), "{:?}", occ.cvss);
    assert_eq!(occ.severity_ratings[0].source, "debian");
    assert_eq!(occ.severity_ratings[0].severity, Severity::Low);
    // Debian's LOW counts, not NVD's 9.8: 50 x 2.5/10 = 12.5 (posture-risk/2 scored 9.8).
    let sev = term(glibc, "severity");
    assert_eq!(sev.contribution, 12.5, "{sev:?}");
    assert!(sev.value.contains("debian rates it low"), "{}", sev.value);
    assert!(sev.value.contains("nvd CVSS 9.8"), "{}", sev.value);
    assert!(
        sev.source.starts_with("severity rating from debian"),
        "{}",
        sev.source
    );
    assert_eq!(glibc.risk.band, posture_risk::Band::P4);
    // No fixed version in the report: "no fix yet" is shown.
    assert_eq!(term(glibc, "fix").value, "no fix yet");
    // A language package keeps its CVSS rating (best_rating): no distribution rating there.
    let lang = list.iter().find(|f| {
        f.finding.occurrences.iter().all(|o| {
            o.data
                .package
                .as_ref()
                .and_then(|p| p.ecosystem.as_deref())
                .is_some_and(|e| !posture_risk::is_os_package(e))
        }) && f.input.cvss.is_some()
    });
    if let Some(lang) = lang {
        assert!(term(lang, "severity").value.starts_with("CVSS "));
    }
}

fn grype_distro_namespace_counts_over_nvd(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    ingest_file(
        store.as_ref(),
        &root,
        "defectdojo/anchore_grype/check_all_fields.json",
    );
    let list = assessed(store.as_ref());
    // Debian rates CVE-2004-0971 negligible; NVD 2.1.
    let krb = of(&list, "CVE-2004-0971", "libgssapi-krb5-2");
    let sev = term(krb, "severity");
    assert!(sev.value.contains("debian rates it info"), "{}", sev.value);
    assert!(sev.value.contains("nvd CVSS"), "{}", sev.value);
    assert_eq!(sev.contribution, 0.0);
    // Debian rates CVE-2021-33574 critical (NVD 9.8): its word counts, read as CVSS 9.5.
    let glibc = of(&list, "CVE-2021-33574", "libc6");
    let sev = term(glibc, "severity");
    assert_eq!(sev.contribution, 47.5, "{sev:?}");
    assert!(
        sev.value.contains("debian rates it critical"),
        "{}",
        sev.value
    );
    // A python package (namespace nvd / github:python) keeps best_rating.
    let redis = of(&list, "CVE-2021-32626", "redis");
    assert!(term(redis, "severity").value.starts_with("CVSS "));
    assert_eq!(term(redis, "fix").value, "fix available");
}

on_both_backends!(
    trivy_debian_low_counts_over_nvd,
    grype_distro_namespace_counts_over_nvd,
);
