//! The portfolio summary (`Store::finding_summary`) agrees with counting the findings one by
//! one, on both back ends; the data version moves with every commit and only then.

use posture_engine::identify;
use posture_model::{Category, FindingStatus, Occurrence, Package, Severity, Timestamp, ToolInfo};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{
    FindingQuery, IngestBatch, ReportInput, ScanKind, Store, StoredRisk, SummaryQuery, TriageChange,
};
use std::collections::BTreeMap;

fn day(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n * 86_400).expect("valid time")
}

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

fn dep(i: usize) -> Occurrence {
    let cve = format!("CVE-2025-{i:04}");
    let mut o = Occurrence::new(
        Category::Sca,
        &cve,
        format!("{cve} in pkg{i}"),
        SEVERITIES[i % 5],
        "/Results/0",
    );
    o.vulnerability_ids = vec![cve.clone()];
    o.package = Some(Package {
        ecosystem: Some("npm".into()),
        name: format!("pkg{i}"),
        version: Some("1.0.0".into()),
        ..Default::default()
    });
    o
}

fn batch(asset: &str, at: Timestamp, tool: &str, ids: impl Iterator<Item = usize>) -> IngestBatch {
    let occs: Vec<Occurrence> = ids.map(dep).collect();
    IngestBatch {
        asset: asset.into(),
        branch: "main".into(),
        target: String::new(),
        commit: None,
        kind: ScanKind::Findings,
        at,
        force: false,
        thresholds: Default::default(),
        reports: vec![ReportInput {
            name: format!("{tool}-{}", at.as_second()),
            sha256: format!("sha-{asset}-{tool}-{}-{}", at.as_second(), occs.len()),
            format: "trivy-json".into(),
            runs: vec![(ToolInfo::new(tool, None), identify(tool, occs))],
            diagnostics: vec![],
            components: Vec::new(),
        }],
    }
}

/// Two assets over three scans: findings opened on day 0, 20 and 40, some fixed on day 20
/// and 40, two triaged, every one assessed with a band and a team.
fn portfolio(b: &TestBackend) -> Box<dyn Store> {
    let store = b.store();
    store
        .ingest(batch("shop", day(0), "trivy", 0..40))
        .expect("ingest");
    store
        .ingest(batch("shop", day(20), "trivy", 10..50))
        .expect("ingest");
    store
        .ingest(batch("shop", day(40), "trivy", 15..55))
        .expect("ingest");
    store
        .ingest(batch("billing", day(30), "grype", 0..12))
        .expect("ingest");
    let all = store.findings(&FindingQuery::default()).expect("list");
    for (i, f) in all
        .iter()
        .filter(|f| f.status != FindingStatus::Fixed)
        .take(2)
        .enumerate()
    {
        store
            .triage(TriageChange {
                finding_id: f.id,
                state: [FindingStatus::Accepted, FindingStatus::FalsePositive][i],
                reason: "test".into(),
                actor: "tester".into(),
                at: day(41),
            })
            .expect("triage");
    }
    let todo = store.unassessed_findings(10_000).expect("unassessed");
    let rows = todo
        .iter()
        .map(|f| StoredRisk {
            finding_id: f.id,
            score: (f.id % 7) as f64 * 10.0,
            band: ["P1", "P2", "P3", "P4"][(f.id % 4) as usize].into(),
            team: (f.id % 3 != 0).then(|| ["payments", "web"][(f.id % 2) as usize].into()),
            version: f.risk_version,
            last: String::new(),
            change: None,
        })
        .collect();
    store.store_risk(rows).expect("store risk");
    store
}

type Key = (
    String,
    &'static str,
    Severity,
    Option<String>,
    Option<String>,
);
/// count, past cutoff, fixed, fixed ms, opened per bucket, fixed per bucket
type Sums = (u64, u64, u64, f64, Vec<u64>, Vec<u64>);

fn summary_agrees_with_counting_one_by_one(b: &TestBackend) {
    let store = portfolio(b);
    // Boundaries fall on scan days, so `<` against `<=` matters.
    let cutoffs = vec![(Severity::Critical, day(33)), (Severity::High, day(20))];
    let buckets = vec![(day(0), day(20)), (day(20), day(40)), (day(40), day(45))];
    // By severity only, then with the band's cutoff first (the SLA follows the band once
    // assessed; P2 and P4 have none here, so those fall back to their severity's).
    let mut last = None;
    for band_cutoffs in [
        vec![],
        vec![("P1".to_string(), day(40)), ("P3".to_string(), day(10))],
    ] {
        let summary = store
            .finding_summary(&SummaryQuery {
                sla_cutoffs: cutoffs.clone(),
                band_cutoffs: band_cutoffs.clone(),
                buckets: buckets.clone(),
            })
            .expect("summary");

        let all = store.findings(&FindingQuery::default()).expect("list");
        assert!(all.len() >= 60, "{} findings", all.len());
        // Expected per group: count, past cutoff, fixed, fixed ms, opened per bucket, fixed per bucket.
        let mut expected: BTreeMap<Key, Sums> = BTreeMap::new();
        for f in &all {
            let e = expected
                .entry((
                    f.asset.clone(),
                    f.status.as_str(),
                    f.severity,
                    f.risk_band.clone(),
                    f.team.clone(),
                ))
                .or_insert_with(|| (0, 0, 0, 0.0, vec![0; 3], vec![0; 3]));
            e.0 += 1;
            let by_band = band_cutoffs
                .iter()
                .find(|(b, _)| Some(b) == f.risk_band.as_ref())
                .map(|(_, t)| *t);
            let by_severity = cutoffs
                .iter()
                .find(|(s, _)| *s == f.severity)
                .map(|(_, t)| *t);
            if f.severity != Severity::Info
                && by_band.or(by_severity).is_some_and(|t| f.first_seen < t)
            {
                e.1 += 1;
            }
            if let Some(fixed) = f.fixed_at {
                e.2 += 1;
                e.3 += (fixed.as_millisecond() - f.first_seen.as_millisecond()).max(0) as f64;
            }
            for (i, (start, end)) in buckets.iter().enumerate() {
                if f.first_seen >= *start && f.first_seen < *end {
                    e.4[i] += 1;
                }
                if f.fixed_at.is_some_and(|t| t >= *start && t < *end) {
                    e.5[i] += 1;
                }
            }
        }
        let mut got: BTreeMap<Key, Sums> = BTreeMap::new();
        for g in &summary.groups {
            let previous = got.insert(
                (
                    g.asset.clone(),
                    g.status.as_str(),
                    g.severity,
                    g.band.clone(),
                    g.team.clone(),
                ),
                (
                    g.count,
                    g.past_cutoff,
                    g.fixed,
                    g.fixed_ms_sum,
                    g.opened_in.clone(),
                    g.fixed_in.clone(),
                ),
            );
            assert!(previous.is_none(), "group {g:?} twice");
        }
        assert_eq!(got, expected, "band cutoffs {band_cutoffs:?}");
        last = Some((got, summary));
    }
    let (got, summary) = last.expect("two summaries");
    // The history has every kind of group: fixed ones, triaged ones, past a cutoff.
    assert!(got.values().any(|v| v.2 > 0) && got.values().any(|v| v.1 > 0));
    assert!(got.keys().any(|k| k.1 == FindingStatus::Accepted.as_str()));
    assert!(
        got.keys()
            .any(|k| k.1 == FindingStatus::FalsePositive.as_str())
    );

    assert_eq!(
        summary.assets,
        vec!["billing".to_string(), "shop".to_string()]
    );
    let scans: Vec<(String, String, u64)> = summary
        .scans
        .iter()
        .map(|s| (s.asset.clone(), s.tool.clone(), s.scans))
        .collect();
    assert_eq!(
        scans,
        vec![
            ("billing".to_string(), "grype".to_string(), 1),
            ("shop".to_string(), "trivy".to_string(), 3)
        ]
    );
    assert_eq!(summary.scans[1].last_at, day(40));
}

fn data_version_moves_with_commits_only(b: &TestBackend) {
    let store = portfolio(b);
    let before = store.data_version().expect("version");
    // Reads change nothing.
    store.findings(&FindingQuery::default()).expect("list");
    store
        .finding_summary(&SummaryQuery::default())
        .expect("summary");
    if b.kind() == "sqlite" {
        // On PostgreSQL the version is the snapshot, and transaction ids are cluster-wide:
        // any commit anywhere on the server (other tests running now) moves it. A miss of the
        // dashboard's cache, never a stale hit; on SQLite nothing else writes this file.
        assert_eq!(store.data_version().expect("version"), before);
    }
    // A commit does, and the summary read after it sees the commit.
    let id = store
        .findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("list")[0]
        .id;
    store
        .triage(TriageChange {
            finding_id: id,
            state: FindingStatus::Confirmed,
            reason: "seen".into(),
            actor: "tester".into(),
            at: day(42),
        })
        .expect("triage");
    let after = store.data_version().expect("version");
    assert_ne!(after, before);
    let summary = store
        .finding_summary(&SummaryQuery::default())
        .expect("summary");
    assert!(
        summary
            .groups
            .iter()
            .any(|g| g.status == FindingStatus::Confirmed)
    );
    // A second store on the same database (another process) commits: the version moves too.
    let other = b.store();
    other
        .ingest(batch("other", day(43), "trivy", 0..3))
        .expect("ingest");
    assert_ne!(store.data_version().expect("version"), after);
}

on_both_backends!(
    summary_agrees_with_counting_one_by_one,
    data_version_moves_with_commits_only,
);
