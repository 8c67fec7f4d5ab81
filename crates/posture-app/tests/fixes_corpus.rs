//! Remediation by fix over the real reports of the corpus (issue 17): every Trivy, Grype,
//! OSV-Scanner, npm audit and pip-audit report of `../shared/corpus` (or `$POSTURE_CORPUS`;
//! skipped with a NOTICE when absent), each ingested as an asset of one portfolio, gives a plan
//! without error whose actions are sound (every upgrade above the installed version, each
//! finding in at most one action); the test prints the ratio of findings to actions.

use posture_app::fixes::{FixKind, FixesRequest};
use posture_app::{IngestRequest, ReportSource};
use posture_engine::versions::{Scheme, Version};
use posture_store::{ScanKind, SqliteStore};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn corpus_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); fixes corpus test SKIPPED",
            dir.display()
        );
        None
    }
}

/// The folders of the five tools' reports.
const FOLDERS: &[&str] = &[
    "upstream/trivy",
    "upstream/grype",
    "upstream/osv-scanner",
    "upstream/npm-audit",
    "upstream/pip-audit",
    "defectdojo/trivy",
    "defectdojo/trivy_operator",
    "defectdojo/anchore_grype",
    "defectdojo/osv_scanner",
    "defectdojo/npm_audit",
    "defectdojo/npm_audit_7_plus",
    "defectdojo/pip_audit",
];

/// The formats of those tools: a file the detection reads as another format (a Trivy SARIF
/// or CycloneDX output) is left to that format's tests.
fn is_one_of_the_five(format: &str) -> bool {
    [
        "trivy",
        "grype",
        "osv-scanner",
        "npm-audit",
        "pip-audit",
        "npm-",
    ]
    .iter()
    .any(|f| format.starts_with(f))
}

#[test]
fn every_sca_report_of_the_corpus_plans_without_error() {
    let Some(root) = corpus_root() else { return };
    let store = SqliteStore::open(":memory:").expect("in-memory store");
    let at = "2026-01-01T00:00:00Z".parse().expect("time");
    let mut files = Vec::new();
    for folder in FOLDERS {
        let dir = root.join(folder);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        files.extend(entries);
    }
    assert!(files.len() > 40, "only {} files", files.len());
    let mut ingested = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let bytes = std::fs::read(path).expect("read corpus file");
        let Ok(detected) = posture_parsers::detect(&bytes) else {
            continue;
        };
        if !is_one_of_the_five(detected.id()) {
            continue;
        }
        let result = posture_app::ingest(
            &store,
            &[ReportSource {
                name: rel.clone(),
                bytes,
                format: None,
            }],
            IngestRequest {
                asset: rel.clone(),
                target: None,
                branch: "main".into(),
                commit: None,
                format: None,
                kind: ScanKind::Findings,
                at,
                force: true,
                thresholds: Default::default(),
                branches: Default::default(),
            },
        );
        // a tool's error output is refused on purpose (the corpus test records why)
        if result.is_ok() {
            ingested += 1;
        }
    }
    assert!(ingested > 30, "only {ingested} reports ingested");
    posture_app::risk::refresh_stored_risk(&store, None).expect("risk");
    let plan = posture_app::fixes::fixes(&store, None, &FixesRequest::default(), &|_| true)
        .expect("a plan, without error");

    let mut seen = BTreeSet::new();
    for a in &plan.actions {
        for id in a.findings.iter().chain(&a.unfixable) {
            assert!(seen.insert(*id), "finding {id} in two actions");
        }
        assert!(!a.findings.is_empty());
        assert!(a.risk_removed >= 0.0);
        if a.kind == FixKind::PackageUpgrade {
            let p = a.package.as_ref().expect("a package");
            let scheme = Scheme::of(p.ecosystem.as_deref());
            let to = Version::parse(scheme, a.to_version.as_deref().expect("to_version"))
                .expect("to_version is a version");
            if let Some(i) = a
                .installed
                .as_deref()
                .and_then(|i| Version::parse(scheme, i))
            {
                assert_eq!(to.compare(&i), Some(Ordering::Greater), "{}", a.summary);
            }
            assert!(p.purl.as_deref().is_some_and(|u| u.starts_with("pkg:")));
        }
    }
    for u in &plan.unfixable {
        for id in &u.findings {
            assert!(seen.insert(*id), "finding {id} unfixable twice");
        }
    }
    let upgrades = plan
        .actions
        .iter()
        .filter(|a| a.kind == FixKind::PackageUpgrade)
        .count();
    let in_upgrades: usize = plan
        .actions
        .iter()
        .filter(|a| a.kind == FixKind::PackageUpgrade)
        .map(|a| a.findings.len())
        .sum();
    let unfixable: usize = plan
        .unfixable
        .iter()
        .map(|u| u.findings.len())
        .sum::<usize>()
        + plan
            .actions
            .iter()
            .map(|a| a.unfixable.len())
            .sum::<usize>();
    eprintln!(
        "NOTE: {ingested} reports: {} open findings; {} actions ({upgrades} upgrades) close {} \
         ({in_upgrades} by upgrades): {:.2} findings per action, {:.2} per upgrade; {unfixable} \
         findings of {} packages have no fixed version",
        plan.open_findings,
        plan.actions.len(),
        plan.findings_in_actions,
        plan.findings_in_actions as f64 / plan.actions.len().max(1) as f64,
        in_upgrades as f64 / upgrades.max(1) as f64,
        plan.unfixable.len(),
    );
    for a in plan.actions.iter().take(10) {
        eprintln!(
            "NOTE:   {} ({} findings, {} assets, risk {:.1}{})",
            a.sentence(),
            a.findings.len(),
            a.assets.len(),
            a.risk_removed,
            if a.major { ", major" } else { "" }
        );
    }
    let mut by_count: Vec<&posture_app::fixes::Unfixable> = plan.unfixable.iter().collect();
    by_count.sort_by_key(|u| std::cmp::Reverse(u.findings.len()));
    for u in by_count.iter().take(5) {
        eprintln!(
            "NOTE:   no fixed version: {} {} {} ({} findings in {})",
            u.package.ecosystem.as_deref().unwrap_or("?"),
            u.package.name,
            u.installed.as_deref().unwrap_or("?"),
            u.findings.len(),
            u.assets.join(", ")
        );
    }
    assert!(upgrades > 20, "the corpus has fixable packages: {upgrades}");
}
