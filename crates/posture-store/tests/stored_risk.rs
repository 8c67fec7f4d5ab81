//! Stored risk and keyset pagination: the application stores each finding's assessed risk;
//! lists sort and page by it without gaps or repeats; whatever an ingest, a merge or a feed
//! import touches is marked "to assess" again, and an assessment read before such a mark is
//! never stored over it.

use posture_engine::identify;
use posture_model::{Category, Occurrence, Package, Severity, Timestamp, ToolInfo};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{
    FindingCursor, FindingQuery, FindingSort, IngestBatch, KevImport, KevRow, ReportInput,
    ScanKind, Store, StoredRisk,
};

fn day(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n * 86_400).expect("valid time")
}

fn dep(cve: &str, pkg: &str, version: &str) -> Occurrence {
    let mut o = Occurrence::new(
        Category::Sca,
        cve,
        format!("{cve} in {pkg}"),
        Severity::High,
        "/Results/0",
    );
    o.vulnerability_ids = vec![cve.into()];
    o.package = Some(Package {
        ecosystem: Some("npm".into()),
        name: pkg.into(),
        version: Some(version.into()),
        ..Default::default()
    });
    o
}

fn batch(at: Timestamp, name: &str, occs: Vec<Occurrence>) -> IngestBatch {
    IngestBatch {
        asset: "shop".into(),
        branch: "main".into(),
        target: String::new(),
        commit: None,
        kind: ScanKind::Findings,
        at,
        force: false,
        thresholds: Default::default(),
        reports: vec![ReportInput {
            name: name.into(),
            sha256: format!("sha-{name}-{}", occs.len()),
            format: "test".into(),
            runs: vec![(ToolInfo::new("trivy", None), identify("trivy", occs))],
            diagnostics: vec![],
            components: Vec::new(),
        }],
    }
}

fn store_with(b: &TestBackend, n: usize) -> Box<dyn Store> {
    let store = b.store();
    let occs = (0..n)
        .map(|i| dep(&format!("CVE-2024-{i:04}"), &format!("pkg{i}"), "1.0.0"))
        .collect();
    store.ingest(batch(day(0), "r1", occs)).expect("ingest");
    store
}

/// Scores with many ties, so the id tie-break matters.
fn score_of(id: i64) -> f64 {
    ((id * 37) % 11) as f64 * 7.5
}

fn assess_all(store: &dyn Store) -> usize {
    let todo = store.unassessed_findings(10_000).expect("unassessed");
    let rows: Vec<StoredRisk> = todo
        .iter()
        .map(|f| StoredRisk {
            finding_id: f.id,
            score: score_of(f.id),
            band: if score_of(f.id) >= 50.0 { "P1" } else { "P3" }.into(),
            team: Some(if f.id % 2 == 0 { "payments" } else { "web" }.into()),
            version: f.risk_version,
            last: String::new(),
            change: None,
        })
        .collect();
    store.store_risk(rows).expect("store risk")
}

fn page_through(store: &dyn Store, q: FindingQuery, size: usize) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after: Option<FindingCursor> = None;
    loop {
        let page = store
            .findings(&FindingQuery {
                after,
                limit: Some(size),
                ..q.clone()
            })
            .expect("page");
        let Some(last) = page.last() else { break };
        after = Some(FindingCursor::after(last, q.sort));
        seen.extend(page.iter().map(|f| f.id));
    }
    seen
}

fn new_findings_are_unassessed_until_stored(b: &TestBackend) {
    let store = store_with(b, 12);
    assert_eq!(store.unassessed_findings(100).expect("read").len(), 12);
    assert_eq!(assess_all(&*store), 12);
    assert!(store.unassessed_findings(100).expect("read").is_empty());
    let all = store.findings(&FindingQuery::default()).expect("list");
    for f in &all {
        assert_eq!(f.risk_score, Some(score_of(f.id)));
        assert!(f.team.is_some() && f.risk_band.is_some());
    }
}

fn risk_order_is_score_then_id_and_pages_neither_skip_nor_repeat(b: &TestBackend) {
    let store = store_with(b, 40);
    assess_all(&*store);
    let q = FindingQuery {
        sort: FindingSort::Risk,
        ..FindingQuery::default()
    };
    let full = store.findings(&q).expect("full list");
    let mut expected: Vec<(f64, i64)> = full.iter().map(|f| (score_of(f.id), f.id)).collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(full.iter().map(|f| f.id).collect::<Vec<_>>(), expected);
    for size in [1, 3, 7, 40, 100] {
        assert_eq!(
            page_through(&*store, q.clone(), size),
            expected,
            "page size {size}"
        );
    }
    // severity and id orders page the same way
    for sort in [FindingSort::Severity, FindingSort::Id] {
        let q = FindingQuery {
            sort,
            ..FindingQuery::default()
        };
        let full: Vec<i64> = store
            .findings(&q)
            .expect("list")
            .iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(page_through(&*store, q, 6), full, "{sort:?}");
    }
}

fn unassessed_findings_sort_last_and_are_paged_too(b: &TestBackend) {
    let store = store_with(b, 10);
    assess_all(&*store);
    // a second scan adds two findings, not yet assessed
    let occs = (0..12)
        .map(|i| dep(&format!("CVE-2024-{i:04}"), &format!("pkg{i}"), "1.0.0"))
        .collect();
    store.ingest(batch(day(1), "r2", occs)).expect("ingest");
    let q = FindingQuery {
        sort: FindingSort::Risk,
        ..FindingQuery::default()
    };
    let ids = page_through(&*store, q, 4);
    assert_eq!(ids.len(), 12);
    let unassessed: Vec<i64> = store
        .unassessed_findings(100)
        .expect("read")
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(unassessed.len(), 2);
    assert_eq!(&ids[10..], &unassessed[..], "unassessed come last, by id");
}

fn filters_by_band_and_team(b: &TestBackend) {
    let store = store_with(b, 20);
    assess_all(&*store);
    let p1 = store
        .findings(&FindingQuery {
            band: Some(vec!["p1".into()]),
            ..FindingQuery::default()
        })
        .expect("list");
    assert!(!p1.is_empty());
    assert!(p1.iter().all(|f| score_of(f.id) >= 50.0));
    let pay = store
        .findings(&FindingQuery {
            team: Some("payments".into()),
            ..FindingQuery::default()
        })
        .expect("list");
    assert_eq!(pay.len(), 10);
    assert!(pay.iter().all(|f| f.id % 2 == 0));
}

fn changes_mark_findings_to_assess_again(b: &TestBackend) {
    let store = store_with(b, 5);
    assess_all(&*store);
    // a changed occurrence (new version) touches only its finding
    let mut occs: Vec<Occurrence> = (0..5)
        .map(|i| dep(&format!("CVE-2024-{i:04}"), &format!("pkg{i}"), "1.0.0"))
        .collect();
    occs[2].title = "CVE-2024-0002 in pkg2, now with a new title".into();
    store.ingest(batch(day(1), "r2", occs)).expect("ingest");
    assert_eq!(store.unassessed_findings(100).expect("read").len(), 1);
    assess_all(&*store);
    // a feed import touches every finding
    store
        .import_kev(KevImport {
            catalog_version: Some("1".into()),
            date: None,
            at: day(2),
            entries: vec![KevRow {
                cve: "CVE-2024-0001".into(),
                date_added: None,
                ransomware: false,
                catalog_version: None,
                due_date: None,
            }],
        })
        .expect("kev");
    assert_eq!(store.unassessed_findings(100).expect("read").len(), 5);
    assess_all(&*store);
    // a new basis resets all
    assert_eq!(store.risk_basis().expect("basis"), None);
    assert_eq!(store.reset_risk("config:abc").expect("reset"), 5);
    assert_eq!(
        store.risk_basis().expect("basis").as_deref(),
        Some("config:abc")
    );
    assert_eq!(store.unassessed_findings(100).expect("read").len(), 5);
}

fn a_score_that_is_not_a_score_is_refused(b: &TestBackend) {
    let store = store_with(b, 1);
    let id = store.unassessed_findings(1).expect("read")[0].id;
    for bad in [f64::NAN, -3.0, f64::INFINITY] {
        let r = store.store_risk(vec![StoredRisk {
            finding_id: id,
            score: bad,
            band: "P1".into(),
            team: None,
            version: 0,
            last: String::new(),
            change: None,
        }]);
        assert!(r.is_err(), "{bad} accepted");
    }
}

/// The assessments of `read`, as a refresh would store them.
fn assessments(read: &[posture_store::FindingRecord]) -> Vec<StoredRisk> {
    read.iter()
        .map(|f| StoredRisk {
            finding_id: f.id,
            score: 42.0,
            band: "P2".into(),
            team: None,
            version: f.risk_version,
            last: String::new(),
            change: None,
        })
        .collect()
}

fn an_assessment_read_before_a_new_mark_is_not_stored_over_it(b: &TestBackend) {
    let store = store_with(b, 3);
    assess_all(&*store);
    let occs = |title_of_1: &str| -> Vec<Occurrence> {
        let mut occs: Vec<Occurrence> = (0..3)
            .map(|i| dep(&format!("CVE-2024-{i:04}"), &format!("pkg{i}"), "1.0.0"))
            .collect();
        occs[1].title = title_of_1.into();
        occs
    };
    // an ingest changes finding 1: marked; a refresh reads it...
    store
        .ingest(batch(day(1), "r2", occs("first change")))
        .expect("ingest");
    let read = store.unassessed_findings(100).expect("read");
    assert_eq!(read.len(), 1);
    let id = read[0].id;
    // ...meanwhile another ingest changes it again (it was already marked: marked again)...
    store
        .ingest(batch(day(2), "r3", occs("second change")))
        .expect("ingest");
    // ...and the refresh stores what it assessed from the first change: refused
    assert_eq!(store.store_risk(assessments(&read)).expect("store"), 0);
    let now = store.finding(id).expect("read").expect("finding");
    assert_eq!(now.risk_score, None, "the new mark was overwritten");
    let todo = store.unassessed_findings(100).expect("read");
    assert_eq!(todo.iter().map(|f| f.id).collect::<Vec<_>>(), vec![id]);
    // the next refresh reads the second change and stores it
    assert_eq!(store.store_risk(assessments(&todo)).expect("store"), 1);
    assert_eq!(
        store
            .finding(id)
            .expect("read")
            .expect("finding")
            .risk_score,
        Some(42.0)
    );

    // the same with a mark of everything (a feed import) between read and store: only the
    // findings not marked since are stored
    store.reset_risk("config:1").expect("reset");
    let read = store.unassessed_findings(100).expect("read");
    assert_eq!(read.len(), 3);
    store
        .ingest(batch(day(3), "r4", occs("third change")))
        .expect("ingest");
    assert_eq!(store.store_risk(assessments(&read)).expect("store"), 2);
    let todo = store.unassessed_findings(100).expect("read");
    assert_eq!(todo.iter().map(|f| f.id).collect::<Vec<_>>(), vec![id]);
}

/// PostgreSQL: storing never waits for a row a writer holds (it deadlocked with concurrent
/// ingests): that row keeps its mark for the next refresh.
fn storing_risk_skips_rows_a_writer_holds(b: &TestBackend) {
    if b.kind() != "postgres" {
        return;
    }
    let store = store_with(b, 3);
    let read = store.unassessed_findings(100).expect("read");
    let held = read[0].id;
    let mut other = postgres::Client::connect(b.location(), postgres::NoTls).expect("connect");
    let mut tx = other.transaction().expect("begin");
    tx.execute("SELECT id FROM findings WHERE id = $1 FOR UPDATE", &[&held])
        .expect("lock");
    let started = std::time::Instant::now();
    assert_eq!(store.store_risk(assessments(&read)).expect("store"), 2);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    tx.commit().expect("commit");
    let todo = store.unassessed_findings(100).expect("read");
    assert_eq!(todo.iter().map(|f| f.id).collect::<Vec<_>>(), vec![held]);
    assert_eq!(store.store_risk(assessments(&todo)).expect("store"), 1);
}

on_both_backends!(
    an_assessment_read_before_a_new_mark_is_not_stored_over_it,
    storing_risk_skips_rows_a_writer_holds,
    new_findings_are_unassessed_until_stored,
    risk_order_is_score_then_id_and_pages_neither_skip_nor_repeat,
    unassessed_findings_sort_last_and_are_paged_too,
    filters_by_band_and_team,
    changes_mark_findings_to_assess_again,
    a_score_that_is_not_a_score_is_refused,
    a_moved_score_is_an_event_only_where_it_is_stored,
);

/// Score history (issue 15): a stored score that carries a change writes a `rescored` event
/// (bands as from/to, the reason, the model as actor) in the same transaction, and keeps the
/// assessment in short for the next comparison; a score not stored (the finding was marked
/// again since its assessment read it) writes no event.
fn a_moved_score_is_an_event_only_where_it_is_stored(b: &TestBackend) {
    let store = store_with(b, 2);
    let read = store.unassessed_findings(10).expect("read");
    let (kept, stale) = (&read[0], &read[1]);
    let change = |f: &posture_store::FindingRecord| posture_store::RiskChange {
        at: Timestamp::from_second(1_800_000_000).expect("time"),
        actor: "posture-risk/3".into(),
        from_band: "P3".into(),
        to_band: "P1".into(),
        reason: format!("48.0 -> 93.6; kev: not listed -> listed (finding {})", f.id),
    };
    // the second finding is marked again after it was read: its score is not stored
    let version_read = stale.risk_version;
    store.reset_risk("config:moved").expect("mark");
    let now = store.unassessed_findings(10).expect("read again");
    let kept_now = now.iter().find(|f| f.id == kept.id).expect("kept");
    let rows = vec![
        StoredRisk {
            finding_id: kept.id,
            score: 93.6,
            band: "P1".into(),
            team: None,
            version: kept_now.risk_version,
            last: r#"{"score":93.6}"#.into(),
            change: Some(change(kept)),
        },
        StoredRisk {
            finding_id: stale.id,
            score: 93.6,
            band: "P1".into(),
            team: None,
            version: version_read,
            last: r#"{"score":93.6}"#.into(),
            change: Some(change(stale)),
        },
    ];
    assert_eq!(store.store_risk(rows).expect("store"), 1);
    let events = |id: i64| {
        store
            .events(id)
            .expect("events")
            .into_iter()
            .filter(|e| e.kind == "rescored")
            .collect::<Vec<_>>()
    };
    let moved = events(kept.id);
    assert_eq!(moved.len(), 1, "{moved:?}");
    let e = &moved[0];
    assert_eq!(
        (
            e.from_status.as_deref(),
            e.to_status.as_deref(),
            e.actor.as_deref()
        ),
        (Some("P3"), Some("P1"), Some("posture-risk/3"))
    );
    assert!(
        e.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("48.0 -> 93.6"))
    );
    assert!(events(stale.id).is_empty(), "not stored, not recorded");
    let last = store.last_assessments(&[kept.id, stale.id]).expect("last");
    assert_eq!(
        last.get(&kept.id).map(String::as_str),
        Some(r#"{"score":93.6}"#)
    );
    assert!(!last.contains_key(&stale.id));
}
