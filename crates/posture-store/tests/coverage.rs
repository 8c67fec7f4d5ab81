//! Runtime coverage in the store (SQLite, and PostgreSQL when reachable): a coverage ingest
//! replaces the asset's coverage of its environment only, is read back line for line, creates
//! no finding, and marks the asset's findings to assess again.

use posture_engine::identify;
use posture_model::coverage::{CoverageEnvironment, FileCoverage};
use posture_model::{Category, Occurrence, Severity, Timestamp, ToolInfo};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{
    CoverageImport, FindingQuery, IngestBatch, ReportInput, ScanKind, Store, StoredRisk,
};

fn day(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n * 86_400).expect("valid time")
}

fn import(
    env: CoverageEnvironment,
    report: &str,
    files: &[(&str, &[(u32, u64)])],
) -> CoverageImport {
    CoverageImport {
        asset: "shop".into(),
        environment: env,
        report: report.into(),
        sha256: format!("sha-{report}"),
        format: "lcov".into(),
        recorded_at: day(1),
        at: day(2),
        files: files
            .iter()
            .map(|(p, l)| FileCoverage {
                path: p.to_string(),
                lines: l.to_vec(),
            })
            .collect(),
    }
}

fn sast_finding(store: &dyn Store) {
    let mut o = Occurrence::new(
        Category::Sast,
        "python.sql-injection",
        "SQL injection",
        Severity::High,
        "/results/0",
    );
    o.location.path = Some("src/views.py".into());
    o.location.start_line = Some(5);
    store
        .ingest(IngestBatch {
            asset: "shop".into(),
            branch: "main".into(),
            target: String::new(),
            commit: None,
            kind: ScanKind::Findings,
            at: day(0),
            force: false,
            thresholds: Default::default(),
            reports: vec![ReportInput {
                name: "semgrep.json".into(),
                sha256: "sha-semgrep".into(),
                format: "semgrep-json".into(),
                runs: vec![(ToolInfo::new("semgrep", None), identify("semgrep", vec![o]))],
                diagnostics: vec![],
                components: Vec::new(),
            }],
        })
        .expect("ingest");
}

fn coverage_replaces_per_environment_and_marks_risk(b: &TestBackend) {
    let store = b.store();
    sast_finding(&*store);
    let todo = store.unassessed_findings(100).expect("unassessed");
    assert_eq!(todo.len(), 1);
    store
        .store_risk(vec![StoredRisk {
            finding_id: todo[0].id,
            score: 40.0,
            band: "P3".into(),
            team: None,
            version: todo[0].risk_version,
            last: String::new(),
            change: None,
        }])
        .expect("store risk");
    assert!(
        store
            .unassessed_findings(100)
            .expect("unassessed")
            .is_empty()
    );

    let out = store
        .record_coverage(import(
            CoverageEnvironment::Production,
            "prod-1.info",
            &[
                ("/app/views.py", &[(5, 12_000), (9, 0)]),
                ("/app/a.py", &[(1, 1)]),
            ],
        ))
        .expect("record");
    assert_eq!(
        (out.files, out.lines, out.executed_lines, out.replaced_files),
        (2, 3, 2, 0)
    );
    assert_eq!(
        store.unassessed_findings(100).expect("unassessed").len(),
        1,
        "coverage marks the asset's findings to assess again"
    );
    store
        .record_coverage(import(
            CoverageEnvironment::Test,
            "unit.info",
            &[("app/views.py", &[(5, 3)])],
        ))
        .expect("record test");
    let out = store
        .record_coverage(import(
            CoverageEnvironment::Production,
            "prod-2.info",
            &[("/app/views.py", &[(5, 12_345), (9, 0)])],
        ))
        .expect("record again");
    assert_eq!(out.replaced_files, 2);

    let files = store
        .runtime_coverage(&["shop".into(), "other".into()])
        .expect("read");
    type Row<'a> = (CoverageEnvironment, &'a str, &'a str, Vec<(u32, u64)>);
    let got: Vec<Row<'_>> = files
        .iter()
        .map(|f| {
            (
                f.environment,
                f.path.as_str(),
                f.report.as_str(),
                f.lines.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                CoverageEnvironment::Production,
                "/app/views.py",
                "prod-2.info",
                vec![(5, 12_345), (9, 0)]
            ),
            (
                CoverageEnvironment::Test,
                "app/views.py",
                "unit.info",
                vec![(5, 3)]
            ),
        ]
    );
    assert_eq!(files[0].recorded_at, day(1));
    assert!(
        store
            .runtime_coverage(&["other".into()])
            .expect("read")
            .is_empty()
    );
    let findings = store.findings(&FindingQuery::default()).expect("findings");
    assert_eq!(findings.len(), 1, "coverage never creates a finding");
}

on_both_backends!(coverage_replaces_per_environment_and_marks_risk);
