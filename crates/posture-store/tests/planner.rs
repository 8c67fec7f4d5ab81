//! A bulk ingest into PostgreSQL refreshes the planner's statistics, so the first lists after
//! a large load read the risk index instead of sorting every finding.

use posture_engine::identify;
use posture_model::{Category, Occurrence, Package, Severity, Timestamp, ToolInfo};
use posture_store::testing::TestBackend;
use posture_store::{IngestBatch, ReportInput, ScanKind};

fn batch(n: usize) -> IngestBatch {
    let occs: Vec<Occurrence> = (0..n)
        .map(|i| {
            let cve = format!("CVE-2025-{i:05}");
            let mut o = Occurrence::new(
                Category::Sca,
                &cve,
                format!("{cve} in pkg{i}"),
                Severity::High,
                "/Results/0",
            );
            o.vulnerability_ids = vec![cve];
            o.package = Some(Package {
                ecosystem: Some("npm".into()),
                name: format!("pkg{i}"),
                version: Some("1.0.0".into()),
                ..Default::default()
            });
            o
        })
        .collect();
    IngestBatch {
        asset: "shop".into(),
        branch: "main".into(),
        target: String::new(),
        commit: None,
        kind: ScanKind::Findings,
        at: Timestamp::from_second(1_767_225_600).expect("time"),
        force: false,
        thresholds: Default::default(),
        reports: vec![ReportInput {
            name: "bulk".into(),
            sha256: format!("sha-bulk-{n}"),
            format: "trivy-json".into(),
            runs: vec![(ToolInfo::new("trivy", None), identify("trivy", occs))],
            diagnostics: vec![],
            components: Vec::new(),
        }],
    }
}

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect")
}

/// Whether someone ran `ANALYZE findings` (autovacuum is off for the table in this test).
fn analyzed(url: &str) -> bool {
    client(url)
        .query_one(
            "SELECT last_analyze IS NOT NULL
               FROM pg_stat_user_tables WHERE relname = 'findings'",
            &[],
        )
        .expect("stats")
        .get(0)
}

#[test]
fn a_bulk_ingest_refreshes_the_planner_statistics() {
    let Some(backend) = TestBackend::postgres("a_bulk_ingest_refreshes_the_planner_statistics")
    else {
        return;
    };
    let store = backend.store();
    // Only the store may analyze: autovacuum could do it too, at any moment.
    client(backend.location())
        .batch_execute("ALTER TABLE findings SET (autovacuum_enabled = false)")
        .expect("autovacuum off");
    // A small ingest leaves the statistics to autovacuum.
    store.ingest(batch(50)).expect("small ingest");
    assert!(!analyzed(backend.location()), "analyzed after 50 rows");
    // The first 50 are the same findings again: 10,000 new.
    store.ingest(batch(10_050)).expect("bulk ingest");
    // The statistics views are flushed by the server within a second or so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !analyzed(backend.location()) {
        assert!(
            std::time::Instant::now() < deadline,
            "not analyzed after 10,000 rows"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
