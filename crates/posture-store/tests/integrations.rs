//! The integrations' tables (migration 6) on both back ends: the outbox queues each
//! (destination, event) once, moves its cursor in the same transaction, keeps failed entries
//! for a later attempt and never re-delivers a delivered one; Jira links upsert; a conflict is
//! recorded once until resolved.

use posture_model::Timestamp;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{CursorAdvance, DeliveryOutcome, JiraLink, NewConflict, OutboxEntry};

fn t(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn entry(dest: &str, key: &str) -> OutboxEntry {
    OutboxEntry {
        event: "new-critical".into(),
        dedup_key: key.into(),
        destination: dest.into(),
        payload: "{}".into(),
        created_at: t("2026-03-01T10:00:00Z"),
    }
}

on_both_backends!(
    outbox_queues_once_retries_and_delivers_once,
    jira_links_upsert_and_conflicts_are_recorded_once,
    a_conflict_seen_by_several_servers_at_once_is_recorded_once,
);

fn outbox_queues_once_retries_and_delivers_once(b: &TestBackend) {
    let store = b.store();
    let out = store.integrations().expect("the back end has integrations");
    assert_eq!(out.cursor("notify").expect("cursor"), None);
    let n = out
        .enqueue(
            vec![entry("a", "k1"), entry("b", "k1"), entry("a", "k1")],
            Some(CursorAdvance {
                name: "notify".into(),
                position: 7,
            }),
        )
        .expect("enqueue");
    assert_eq!(n, 2, "(destination, key) is queued once");
    assert_eq!(out.cursor("notify").expect("cursor"), Some(7));
    assert_eq!(out.enqueue(vec![entry("a", "k1")], None).expect("again"), 0);

    let due = out.due_outbox(t("2026-03-01T10:00:00Z"), 10).expect("due");
    assert_eq!(due.len(), 2);
    out.record_attempt(
        due[0].id,
        t("2026-03-01T10:00:00Z"),
        DeliveryOutcome::Failed {
            error: "HTTP 503".into(),
            retry_at: t("2026-03-01T10:00:30Z"),
        },
    )
    .expect("failed attempt");
    out.record_attempt(
        due[1].id,
        t("2026-03-01T10:00:00Z"),
        DeliveryOutcome::Delivered,
    )
    .expect("delivered");
    // Not due before its retry time; delivered entries never again.
    assert!(
        out.due_outbox(t("2026-03-01T10:00:10Z"), 10)
            .expect("due")
            .is_empty()
    );
    let later = out.due_outbox(t("2026-03-01T10:00:30Z"), 10).expect("due");
    assert_eq!(later.len(), 1);
    assert_eq!(
        (later[0].attempts, later[0].last_error.as_deref()),
        (1, Some("HTTP 503"))
    );
    assert!(
        out.record_attempt(
            due[1].id,
            t("2026-03-01T10:01:00Z"),
            DeliveryOutcome::Delivered
        )
        .is_err(),
        "a delivered entry cannot be delivered twice"
    );
    assert_eq!(out.outbox(true, 10).expect("pending").len(), 1);
    assert_eq!(out.outbox(false, 10).expect("all").len(), 2);
}

fn jira_links_upsert_and_conflicts_are_recorded_once(b: &TestBackend) {
    let store = b.store();
    let out = store.integrations().expect("integrations");
    let link = JiraLink {
        group_key: "package:shop:npm/lodash@1.0.0".into(),
        issue_key: "SEC-1".into(),
        state_hash: "h1".into(),
        closed_by_sync: false,
        previous_issue_key: None,
        created_at: t("2026-03-01T10:00:00Z"),
        synced_at: t("2026-03-01T10:00:00Z"),
    };
    out.save_jira_link(link.clone()).expect("save");
    out.save_jira_link(JiraLink {
        state_hash: "h2".into(),
        closed_by_sync: true,
        ..link.clone()
    })
    .expect("update");
    let links = out.jira_links().expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].state_hash.as_str(), links[0].closed_by_sync),
        ("h2", true)
    );

    let c = NewConflict {
        system: "jira".into(),
        subject: link.group_key.clone(),
        reference: "SEC-1".into(),
        kind: "closed-while-open".into(),
        detail: "closed as Done".into(),
        at: t("2026-03-02T10:00:00Z"),
    };
    let (first, new) = out.record_conflict(c.clone()).expect("record");
    assert!(new);
    let (again, new) = out.record_conflict(c.clone()).expect("record again");
    assert!(!new);
    assert_eq!(again.id, first.id);
    assert_eq!(
        out.resolve_conflicts("jira", &link.group_key, t("2026-03-03T10:00:00Z"))
            .expect("resolve"),
        1
    );
    assert!(out.conflicts(true).expect("open").is_empty());
    let (_, new) = out.record_conflict(c).expect("a new one after resolution");
    assert!(new);
    assert_eq!(out.conflicts(false).expect("all").len(), 2);
}

fn a_conflict_seen_by_several_servers_at_once_is_recorded_once(b: &TestBackend) {
    let conflict = NewConflict {
        system: "jira".into(),
        subject: "package:shop:npm/lodash@1.0.0".into(),
        reference: "SEC-9".into(),
        kind: "closed-while-open".into(),
        detail: "closed as Done".into(),
        at: t("2026-03-02T10:00:00Z"),
    };
    // Each thread is its own handle (its own connection), as separate servers would be.
    let stores: Vec<_> = (0..4).map(|_| b.store()).collect();
    let results: Vec<(i64, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter()
            .map(|store| {
                let c = conflict.clone();
                scope.spawn(move || {
                    let (record, new) = store
                        .integrations()
                        .expect("integrations")
                        .record_conflict(c)
                        .expect("record");
                    (record.id, new)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(results.iter().filter(|(_, new)| *new).count(), 1);
    assert!(results.iter().all(|(id, _)| *id == results[0].0));
    let open = stores[0]
        .integrations()
        .expect("integrations")
        .conflicts(true)
        .expect("open");
    assert_eq!(open.len(), 1);
}
