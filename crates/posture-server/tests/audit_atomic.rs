//! Every write and its audit entry are one transaction (issue 19): an upload, a triage
//! decision, a token's creation and revocation. The proof: a failure injected into the audit
//! write (a database trigger that refuses every new audit row) rolls the write itself back.
//! Were the entry written after the commit, in its own statement (as before), the scan, the
//! decision and the tokens would stay stored while the request answered 500, and a process
//! killed between the two statements would leave them unaudited. With one transaction, the
//! commit is the one moment both become durable: no kill can separate them.
//!
//! Runs on both back ends (see `common` for why the cases are not `#[tokio::test]`).

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use posture_server::ServerSettings;
use posture_store::testing::TestBackend;
use serde_json::{Value, json};

const TOML: &str = r#"
[[team]]
name = "payments"

[[asset]]
name = "payments-api"
team = "payments"
"#;

/// A Bandit report with `n` distinct findings (titles carry `tag`).
fn bandit(n: usize, tag: &str) -> String {
    let results: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "code": format!("{i} value = run_{tag}_{i}(data)\n"),
                "filename": format!("app/mod_{tag}_{i}.py"),
                "issue_confidence": "HIGH",
                "issue_severity": "HIGH",
                "issue_text": format!("{tag} issue number {i}"),
                "line_number": 10 + i,
                "line_range": [10 + i],
                "test_id": format!("B6{:02}", i % 20),
                "test_name": "check",
            })
        })
        .collect();
    json!({ "errors": [], "results": results }).to_string()
}

fn env(backend: TestBackend) -> Env {
    common::build(
        backend,
        Setup {
            toml: TOML,
            files: Vec::new(),
            ci_assets: &["payments-api"],
            settings: ServerSettings::default(),
        },
    )
}

// The macro names a builder with an argument; no case here takes one.
#[allow(dead_code)]
fn env_with(backend: TestBackend, _: ()) -> Env {
    env(backend)
}

on_both_backends_async!(env, env_with; a_failed_audit_write_rolls_the_write_back);

async fn upload(e: &Env, report: &str) -> Answer {
    let req = Request::post("/api/v1/scans?asset=payments-api&name=bandit.json")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(report.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&e.app, req).await
}

const FAIL_AUDIT_SQLITE: &str = "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
     BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;";
const FAIL_AUDIT_POSTGRES: &str = "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql
     AS $$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$;
     CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
     FOR EACH ROW EXECUTE FUNCTION fail_audit();";

async fn a_failed_audit_write_rolls_the_write_back(e: &Env) {
    let first = upload(e, &bandit(3, "first")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let finding = e.db(|s| s.findings(&Default::default()).unwrap_or_default())[0].id;
    let scans = || e.db(|s| s.scans(&Default::default()).unwrap_or_default().len());
    let tokens = || e.db(|s| s.tokens().unwrap_or_default());
    let audited = || e.db(|s| s.audit_log(1000).unwrap_or_default().len());
    let (scans_before, tokens_before, audit_before) = (scans(), tokens(), audited());
    assert_eq!(scans_before, 1);
    let reader_id = tokens_before
        .iter()
        .find(|t| t.role.to_string() == "reader")
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("a reader token"));

    on_thread(|| e.backend.execute(FAIL_AUDIT_SQLITE, FAIL_AUDIT_POSTGRES));

    // an upload whose audit entry cannot be written is not stored
    let refused = upload(e, &bandit(5, "second")).await;
    assert_eq!(
        refused.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        refused.text()
    );
    assert_eq!(scans(), scans_before, "an unaudited scan was stored");
    assert_eq!(
        e.db(|s| s.findings(&Default::default()).unwrap_or_default().len()),
        3
    );

    // nor is a triage decision
    let triage = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{finding}/triage"),
        Some(&e.appsec),
        Some(json!({ "state": "false-positive", "reason": "test fixture" })),
    )
    .await;
    assert_eq!(
        triage.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        triage.text()
    );
    let status = e.db(|s| {
        s.finding(finding)
            .ok()
            .flatten()
            .map(|f| f.status.to_string())
    });
    assert_eq!(
        status.as_deref(),
        Some("open"),
        "an unaudited decision was stored"
    );

    // nor a new token, nor a revocation
    let created = call(
        &e.app,
        Method::POST,
        "/api/v1/tokens",
        Some(&e.admin),
        Some(json!({ "role": "reader", "name": "never" })),
    )
    .await;
    assert_eq!(
        created.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        created.text()
    );
    let revoked = call(
        &e.app,
        Method::DELETE,
        &format!("/api/v1/tokens/{reader_id}"),
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(
        revoked.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        revoked.text()
    );
    let now = tokens();
    assert_eq!(
        now.len(),
        tokens_before.len(),
        "an unaudited token was stored"
    );
    assert!(
        now.iter().all(|t| t.revoked_at.is_none()),
        "an unaudited revocation was stored"
    );
    assert_eq!(audited(), audit_before);

    // the failure gone, the same upload is stored with its entry, which names its scan
    on_thread(|| {
        e.backend.execute(
            "DROP TRIGGER fail_audit;",
            "DROP TRIGGER fail_audit ON audit_log;",
        )
    });
    let stored = upload(e, &bandit(5, "second")).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text());
    let scan_ids: Vec<i64> = e.db(|s| {
        s.scans(&Default::default())
            .unwrap_or_default()
            .iter()
            .map(|x| x.id)
            .collect()
    });
    let log = e.db(|s| s.audit_log(1).unwrap_or_default());
    assert_eq!(log[0].action, "scan.upload");
    assert_eq!(log[0].detail["scans"], json!([scan_ids[0]]));
    assert_eq!(log[0].detail["new"], 5);
    assert_eq!(audited(), audit_before + 1);
}
