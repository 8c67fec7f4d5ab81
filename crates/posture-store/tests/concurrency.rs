//! Concurrent ingests for one asset (several CI pipelines uploading at once, through separate
//! store handles as separate server processes would have): no finding is lost or doubled and
//! the event log stays consistent, on SQLite and on PostgreSQL.

use posture_engine::identify;
use posture_model::{Category, FindingStatus, Occurrence, Package, Severity, Timestamp, ToolInfo};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, IngestBatch, ReportInput, ScanKind, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;

const WRITERS: usize = 8;
const SHARED: usize = 40;
const OWN: usize = 10;

fn dep(cve: &str, pkg: &str) -> Occurrence {
    let mut o = Occurrence::new(
        Category::Sca,
        cve,
        format!("{cve} in {pkg}"),
        Severity::High,
        "/Results/0/Vulnerabilities/0",
    );
    o.vulnerability_ids = vec![cve.into()];
    o.package = Some(Package {
        ecosystem: Some("npm".into()),
        name: pkg.into(),
        version: Some("1.0.0".into()),
        ..Default::default()
    });
    o
}

/// Writer `w`'s report in a round: the CVEs every writer reports (one finding each, whatever
/// the tool: the dependency identity is tool-independent), the first `shared` of them, and, in
/// round 1, its own.
fn report(w: usize, round: i64, shared: usize) -> IngestBatch {
    let tool = format!("scanner-{w}");
    let mut occs: Vec<Occurrence> = (0..shared)
        .map(|k| dep(&format!("CVE-2024-{k:04}"), &format!("shared-{k}")))
        .collect();
    if round == 1 {
        occs.extend(
            (0..OWN).map(|k| dep(&format!("CVE-2025-{w:02}{k:02}"), &format!("own-{w}-{k}"))),
        );
    }
    batch(&tool, round, occs)
}

fn batch(tool: &str, round: i64, occs: Vec<Occurrence>) -> IngestBatch {
    IngestBatch {
        asset: "shop".into(),
        branch: "main".into(),
        target: String::new(),
        commit: None,
        kind: ScanKind::Findings,
        at: Timestamp::from_second(1_767_225_600 + round * 86_400).expect("valid time"),
        force: false,
        thresholds: Default::default(),
        reports: vec![ReportInput {
            name: format!("{tool}-{round}.json"),
            sha256: format!("sha-{tool}-{round}"),
            format: "test".into(),
            runs: vec![(ToolInfo::new(tool, None), identify(tool, occs))],
            diagnostics: vec![],
            components: Vec::new(),
        }],
    }
}

/// Runs every writer's ingest at once, each through its own store handle.
fn ingest_concurrently(b: &TestBackend, round: i64, shared: usize) {
    let stores: Vec<Box<dyn Store>> = (0..WRITERS).map(|_| b.store()).collect();
    let start = Barrier::new(WRITERS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(w, store)| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    store.ingest(report(w, round, shared))
                })
            })
            .collect();
        for (w, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("writer {w} failed on {}: {e}", b.kind()),
                Err(_) => panic!("writer {w} panicked on {}", b.kind()),
            }
        }
    });
}

fn events_of(store: &dyn Store, id: i64) -> Vec<String> {
    store
        .events(id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn concurrent_ingests_for_one_asset_lose_and_double_nothing(b: &TestBackend) {
    let store = b.store();
    // the asset exists before the race (a new asset's row alone would serialize the writers)
    store
        .ingest(batch("seed", 0, vec![dep("CVE-2020-0001", "seed")]))
        .expect("seed");

    // Round 1, all at once: each writer reports the shared CVEs and its own.
    ingest_concurrently(b, 1, SHARED);
    let all = store.findings(&FindingQuery::default()).expect("findings");
    // one finding per CVE: the shared ones were not created twice by racing writers
    let titles: BTreeSet<&str> = all.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(titles.len(), all.len(), "a finding was doubled");
    assert_eq!(all.len(), 1 + SHARED + WRITERS * OWN, "a finding was lost");
    for f in all.iter().filter(|f| !f.title.contains("seed")) {
        let tools: BTreeSet<&str> = f.occurrences.iter().map(|o| o.tool.as_str()).collect();
        let expected = if f.title.contains("shared-") {
            WRITERS
        } else {
            1
        };
        assert_eq!(f.occurrences.len(), expected, "occurrences of {}", f.title);
        assert_eq!(tools.len(), expected, "tools of {}", f.title);
        assert_eq!(f.status, FindingStatus::Open);
        assert_eq!(
            events_of(&*store, f.id),
            ["opened"],
            "events of {}",
            f.title
        );
    }
    assert_eq!(
        store.scans(&Default::default()).expect("scans").len(),
        1 + WRITERS
    );

    // Round 2, all at once: every writer drops its own CVEs and the second half of the shared
    // ones. A shared CVE is fixed only when the last of its tools stops reporting it: each
    // writer must see what the others just closed, or the fix is lost.
    let kept = SHARED / 2;
    ingest_concurrently(b, 2, kept);
    let all = store.findings(&FindingQuery::default()).expect("findings");
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for f in &all {
        *by_status.entry(f.status.as_str().to_string()).or_default() += 1;
        let still_reported = f.title.contains("seed")
            || (0..kept).any(|k| f.title == format!("CVE-2024-{k:04} in shared-{k}"));
        let kinds = events_of(&*store, f.id);
        if still_reported {
            assert_eq!(f.status, FindingStatus::Open, "{}", f.title);
            assert_eq!(kinds, ["opened"], "events of {}", f.title);
        } else {
            assert_eq!(f.status, FindingStatus::Fixed, "{} was not fixed", f.title);
            assert_eq!(kinds, ["opened", "fixed"], "events of {}", f.title);
            assert!(f.occurrences.iter().all(|o| !o.open), "{}", f.title);
        }
    }
    assert_eq!(by_status.get("open"), Some(&(1 + kept)));
    assert_eq!(
        by_status.get("fixed"),
        Some(&(SHARED - kept + WRITERS * OWN))
    );
    assert_eq!(
        store.scans(&Default::default()).expect("scans").len(),
        1 + 2 * WRITERS
    );
}

on_both_backends!(concurrent_ingests_for_one_asset_lose_and_double_nothing);
