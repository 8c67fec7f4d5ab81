//! A person's split and merge survive re-ingesting every report of a labeled target (issue 16):
//! correlation, run again over the same results, undoes neither.

use posture_app::{DEFAULT_MAX_REPORT_BYTES, IngestRequest, ingest, read_report_file};
use posture_model::Timestamp;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, FindingRecord, MergeDecision, SplitDecision, Store};
use std::path::Path;

const REPORTS: &[&str] = &[
    "checkov.json",
    "detect-secrets.json",
    "semgrep.json",
    "trufflehog3.json",
    "whispers.json",
];

fn at(day: i64) -> Timestamp {
    Timestamp::from_millisecond(1_767_571_200_000 + day * 86_400_000).expect("time")
}

fn ingest_all(store: &dyn Store, day: i64, force: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/multiscan/nodegoat");
    for r in REPORTS {
        let mut source = read_report_file(&dir.join(r), DEFAULT_MAX_REPORT_BYTES).expect("report");
        source.name = (*r).to_string();
        ingest(
            store,
            &[source],
            IngestRequest {
                asset: "nodegoat".into(),
                branch: "main".into(),
                target: None,
                commit: None,
                format: None,
                kind: posture_store::ScanKind::Findings,
                at: at(day),
                force,
                thresholds: Default::default(),
                branches: Default::default(),
            },
        )
        .expect("ingest");
    }
}

fn findings(store: &dyn Store) -> Vec<FindingRecord> {
    store
        .findings(&FindingQuery {
            asset: Some("nodegoat".into()),
            status: None,
            ..Default::default()
        })
        .expect("findings")
}

fn finding_of(fs: &[FindingRecord], occurrence: i64) -> i64 {
    fs.iter()
        .find(|f| f.occurrences.iter().any(|o| o.id == occurrence))
        .map(|f| f.id)
        .expect("occurrence has a finding")
}

fn split_and_merge_survive(b: &TestBackend) {
    let s = b.store();
    ingest_all(&*s, 0, false);
    let fs = findings(&*s);
    let total = fs.len();
    // the committed private key: one finding of many lines (heads and entropy lines)
    let key = fs
        .iter()
        .find(|f| {
            f.occurrences.len() > 10
                && f.occurrences
                    .iter()
                    .all(|o| o.data.location.path.as_deref() == Some("artifacts/cert/server.key"))
        })
        .expect("the key block is one finding");
    let line = key
        .occurrences
        .iter()
        .find(|o| o.tool == "trufflehog3" && o.data.location.start_line == Some(5))
        .expect("an entropy line of the key")
        .id;
    s.split(SplitDecision {
        occurrence_id: line,
        actor: "alice".into(),
        reason: "check the line by itself".into(),
        at: at(1),
    })
    .expect("split");
    // two cookie-option findings on one session() call: a person says one issue
    let cookie = |suffix: &str| {
        fs.iter()
            .find(|f| f.rule_id.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} finding"))
            .id
    };
    let (secure, httponly) = (
        cookie("express-cookie-session-no-secure"),
        cookie("express-cookie-session-no-httponly"),
    );
    s.merge(MergeDecision {
        from: httponly,
        into: secure,
        actor: "alice".into(),
        reason: "one cookie configuration to fix".into(),
        at: at(1),
    })
    .expect("merge");
    let decided = findings(&*s);
    let split_finding = finding_of(&decided, line);
    assert_ne!(split_finding, key.id, "the split took the line out");

    // every report again, compared in full
    ingest_all(&*s, 2, true);
    let again = findings(&*s);
    assert_eq!(again.len(), decided.len(), "re-ingest changed the findings");
    assert_eq!(again.len(), total, "split +1, merge -1");
    assert_eq!(
        finding_of(&again, line),
        split_finding,
        "the split survives"
    );
    assert_ne!(finding_of(&again, line), key.id);
    let merged = again
        .iter()
        .find(|f| f.id == secure)
        .expect("merged finding");
    assert!(
        merged.occurrences.iter().any(|o| o
            .data
            .rule_id
            .ends_with("express-cookie-session-no-httponly")),
        "the merge survives"
    );
    assert!(again.iter().all(|f| f.id != httponly));
}

on_both_backends!(split_and_merge_survive);
