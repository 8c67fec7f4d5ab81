//! The API and dashboard in process (the real router over a real store, on SQLite and on
//! PostgreSQL): the 401/403 matrix per role, scopes (ci to its assets, developers to their
//! team), uploads raw and multipart, the size cap, bad reports, stable pagination, OpenAPI
//! conformance of real answers, CSRF, CSP and escaping.
//!
//! Every case runs twice, once per back end ([`on_both_backends_async!`]), with a fresh
//! database each (`posture_store::testing::TestBackend`: the PostgreSQL run is skipped with a
//! notice when no server is reachable, and fails when `POSTURE_REQUIRE_POSTGRES=1`).
//!
//! Why the cases are not `#[tokio::test]`, and how they reach the store: see `common`.

#[macro_use]
mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use posture_server::ServerSettings;
use posture_store::Role;
use posture_store::testing::TestBackend;
use serde_json::{Value, json};

const TOML: &str = r#"
[[team]]
name = "payments"
members = ["@pat"]

[[team]]
name = "web"

[[asset]]
name = "payments-api"
team = "payments"
criticality = "tier-1"
exposure = "internet-facing"

[[asset]]
name = "web-app"
team = "web"
criticality = "tier-3"
"#;

/// A Bandit report with `n` distinct findings (titles carry `tag`).
fn bandit(n: usize, tag: &str) -> String {
    let results: Vec<Value> = (0..n)
        .map(|i| {
            let severity = ["HIGH", "MEDIUM", "LOW"][i % 3];
            json!({
                "code": format!("{i} value = run_{tag}_{i}(data)\n"),
                "filename": format!("app/mod_{i}.py"),
                "issue_confidence": "HIGH",
                "issue_severity": severity,
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

fn env_with(backend: TestBackend, settings: ServerSettings) -> Env {
    common::build(
        backend,
        Setup {
            toml: TOML,
            files: Vec::new(),
            ci_assets: &["payments-api"],
            settings,
        },
    )
}

fn env(backend: TestBackend) -> Env {
    env_with(backend, ServerSettings::default())
}

on_both_backends_async!(
    env, env_with;
    the_401_403_matrix_per_role,
    a_developer_sees_and_triages_only_their_teams_assets,
    uploads_raw_and_multipart_ingest_like_the_cli_and_are_audited,
    an_oversize_upload_is_413_with_a_json_error_and_stores_nothing(ServerSettings {
        max_upload_bytes: 1000,
        ..ServerSettings::default()
    }),
    a_bad_report_is_refused_naming_the_place_and_stores_nothing,
    clean_scans_and_formats_given_in_uploads,
    pagination_is_stable_and_complete,
    answers_conform_to_the_openapi_document,
    documented_schemas_name_the_keys_of_the_app_views,
    the_database_never_holds_a_token_in_plaintext,
    every_answer_carries_a_strict_csp_and_no_inline_script,
    the_dashboard_needs_a_session_and_csrf_tokens,
    a_script_in_a_title_is_shown_as_text,
    a_500_answers_an_error_id_and_logs_the_cause_under_it,
    branches_are_listed_viewed_deleted_and_retire_when_idle,
);

async fn upload(app: &Router, token: &str, asset: &str, report: &str) -> Answer {
    let req = Request::post(format!("/api/v1/scans?asset={asset}&name=bandit.json"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(report.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    send(app, req).await
}

async fn seed(e: &Env) -> (i64, i64) {
    let a = upload(&e.app, &e.admin, "payments-api", &bandit(6, "pay")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let b = upload(&e.app, &e.admin, "web-app", &bandit(4, "web")).await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text());
    let all = e.db(|s| s.findings(&Default::default()).unwrap_or_default());
    let pay = all
        .iter()
        .find(|f| f.asset == "payments-api")
        .map(|f| f.id)
        .unwrap_or(0);
    let web = all
        .iter()
        .find(|f| f.asset == "web-app")
        .map(|f| f.id)
        .unwrap_or(0);
    (pay, web)
}

async fn the_401_403_matrix_per_role(e: &Env) {
    let (pay, web) = seed(e).await;
    let none = call(&e.app, Method::GET, "/api/v1/findings", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.headers.get(header::WWW_AUTHENTICATE).is_some());
    assert_eq!(none.json()["error"]["kind"], "unauthorized");
    let bad = call(
        &e.app,
        Method::GET,
        "/api/v1/findings",
        Some("pst_nope"),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);

    let tokens = [
        ("admin", &e.admin),
        ("appsec", &e.appsec),
        ("developer", &e.developer),
        ("reader", &e.reader),
        ("ci", &e.ci),
    ];
    let triage = json!({"state": "confirmed", "reason": "seen it"});
    // (endpoint, expected per role in the order above)
    let cases: Vec<(Method, String, Option<Value>, [u16; 5])> = vec![
        (
            Method::GET,
            "/api/v1/findings".into(),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            format!("/api/v1/findings/{web}"),
            None,
            // another team's finding is "not found" to a developer, as an unknown id (issue 18)
            [200, 200, 404, 200, 403],
        ),
        (
            Method::GET,
            format!("/api/v1/findings/{pay}/explain"),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            format!("/api/v1/findings/{pay}/events"),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/assets".into(),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/teams".into(),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/scans".into(),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/suggestions".into(),
            None,
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/tokens".into(),
            None,
            [200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/api/v1/audit".into(),
            None,
            [200, 403, 403, 403, 403],
        ),
        (
            Method::GET,
            "/api/v1/me".into(),
            None,
            [200, 200, 200, 200, 200],
        ),
    ];
    for (method, uri, body, expected) in cases {
        for ((role, token), want) in tokens.iter().zip(expected) {
            let a = call(&e.app, method.clone(), &uri, Some(token), body.clone()).await;
            assert_eq!(
                a.status.as_u16(),
                want,
                "{role} {method} {uri}: {}",
                a.text()
            );
            let again = call(&e.app, method.clone(), &uri, None, body.clone()).await;
            assert_eq!(
                again.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} without a token"
            );
        }
    }
    // Triage: one finding per role (a decision is a state change: the same one twice is not).
    let all = e.db(|s| s.findings(&Default::default()).unwrap_or_default());
    let pay_ids: Vec<i64> = all
        .iter()
        .filter(|f| f.asset == "payments-api")
        .map(|f| f.id)
        .collect();
    let web_ids: Vec<i64> = all
        .iter()
        .filter(|f| f.asset == "web-app")
        .map(|f| f.id)
        .collect();
    for (i, ((role, token), (on_web, on_pay))) in tokens
        .iter()
        // a developer: another team's finding is "not found" (issue 18: a 403 named its asset)
        .zip([(200, 200), (200, 200), (404, 200), (403, 403), (403, 403)])
        .enumerate()
    {
        for (ids, want) in [(&web_ids, on_web), (&pay_ids, on_pay)] {
            let id = ids[i % ids.len()];
            let uri = format!("/api/v1/findings/{id}/triage");
            let a = call(
                &e.app,
                Method::POST,
                &uri,
                Some(token),
                Some(triage.clone()),
            )
            .await;
            assert_eq!(a.status.as_u16(), want, "{role} POST {uri}: {}", a.text());
            let anon = call(&e.app, Method::POST, &uri, None, Some(triage.clone())).await;
            assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
        }
    }
    // The workflow's state machine applies: confirmed twice is refused, naming what is allowed.
    let again = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{}/triage", pay_ids[0]),
        Some(&e.admin),
        Some(triage.clone()),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text());
    // An acceptance needs an expiry.
    let no_expiry = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{}/triage", pay_ids[5]),
        Some(&e.admin),
        Some(json!({"state": "accepted", "reason": "r"})),
    )
    .await;
    assert_eq!(
        no_expiry.status,
        StatusCode::BAD_REQUEST,
        "{}",
        no_expiry.text()
    );
    let past = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{}/triage", pay_ids[5]),
        Some(&e.admin),
        Some(json!({"state": "accepted", "reason": "r", "expires": "2020-01-01"})),
    )
    .await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST, "{}", past.text());
    // Uploads: ci only to its asset; developer and reader never.
    let report = bandit(1, "up");
    for ((role, token), want) in tokens.iter().zip([200, 200, 403, 403, 200]) {
        let a = upload(&e.app, token, "payments-api", &report).await;
        assert_eq!(a.status.as_u16(), want, "{role} upload: {}", a.text());
    }
    let a = upload(&e.app, &e.ci, "web-app", &report).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("payments-api")
    );
    let a = upload(&e.app, "pst_unknown", "payments-api", &report).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

async fn a_developer_sees_and_triages_only_their_teams_assets(e: &Env) {
    seed(e).await;
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?status=all&limit=500",
        Some(&e.developer),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let list = a.json()["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 6, "only payments-api's 6 findings");
    assert!(list.iter().all(|f| f["asset"] == "payments-api"));
    let assets = call(
        &e.app,
        Method::GET,
        "/api/v1/assets",
        Some(&e.developer),
        None,
    )
    .await
    .json();
    let names: Vec<&str> = assets
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["payments-api"]);
    let me = call(&e.app, Method::GET, "/api/v1/me", Some(&e.developer), None)
        .await
        .json();
    assert_eq!(me["teams"], json!(["payments"]));
    // The reader sees both assets.
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?limit=500",
        Some(&e.reader),
        None,
    )
    .await
    .json();
    assert_eq!(a["findings"].as_array().map(Vec::len), Some(10));
}

async fn uploads_raw_and_multipart_ingest_like_the_cli_and_are_audited(e: &Env) {
    let raw = upload(&e.app, &e.ci, "payments-api", &bandit(3, "raw")).await;
    assert_eq!(raw.status, StatusCode::OK, "{}", raw.text());
    let v = raw.json();
    assert_eq!(v["asset"], "payments-api");
    assert_eq!(v["total"]["new"], 3);
    assert_eq!(v["reports"][0]["format"], "bandit-json");
    assert_eq!(v["reports"][0]["name"], "bandit.json");

    let boundary = "XposturebOundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan-2.json\"\r\nContent-Type: application/json\r\n\r\n{}\r\n--{boundary}--\r\n",
        bandit(5, "raw")
    );
    let req = Request::post("/api/v1/scans?asset=payments-api&branch=main")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let multi = send(&e.app, req).await;
    assert_eq!(multi.status, StatusCode::OK, "{}", multi.text());
    let v = multi.json();
    assert_eq!(v["reports"][0]["name"], "scan-2.json");
    assert_eq!(v["total"]["new"], 2, "{v}");
    assert_eq!(v["total"]["unchanged"], 3, "{v}");

    let scans = e.db(|s| s.scans(&Default::default()).unwrap_or_default());
    assert_eq!(scans.len(), 2);
    let log = e.db(|s| s.audit_log(10).unwrap_or_default());
    let uploads: Vec<_> = log.iter().filter(|a| a.action == "scan.upload").collect();
    assert_eq!(uploads.len(), 2);
    assert_eq!(uploads[0].actor, "pipeline");
    assert!(uploads[0].token_id.is_some());
    assert_eq!(uploads[0].target, "asset payments-api");

    // Two reports in one form: both ingested in one all-or-nothing ingest (a second `file`
    // was once dropped with a 200), each after its optional `format` field.
    let two = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\nbandit-json\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.json\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        bandit(6, "raw"),
        bandit(2, "other")
    );
    let req = Request::post("/api/v1/scans?asset=payments-api&branch=main")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(two))
        .unwrap_or_else(|e| panic!("{e}"));
    let both = send(&e.app, req).await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.text());
    let v = both.json();
    assert_eq!(v["reports"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["reports"][1]["name"], "b.json");
    // A format field with no report after it, or two reports of one name: 400, nothing stored.
    let before = e.db(|s| s.scans(&Default::default()).unwrap_or_default().len());
    for body in [
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\nbandit-json\r\n--{boundary}--\r\n",
            bandit(1, "z")
        ),
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--{boundary}--\r\n",
            bandit(1, "y"),
            bandit(1, "x")
        ),
    ] {
        let req = Request::post("/api/v1/scans?asset=payments-api")
            .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"));
        let a = send(&e.app, req).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    }
    assert_eq!(
        e.db(|s| s.scans(&Default::default()).unwrap_or_default().len()),
        before
    );

    // A multipart body without `file` is a clear 400.
    let req = Request::post("/api/v1/scans?asset=payments-api")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\nx\r\n--{boundary}--\r\n")))
        .unwrap_or_else(|e| panic!("{e}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("`file`"));
    // No asset: 400.
    let req = Request::post("/api/v1/scans")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .body(Body::from(bandit(1, "x")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&e.app, req).await.status, StatusCode::BAD_REQUEST);
}

async fn an_oversize_upload_is_413_with_a_json_error_and_stores_nothing(e: &Env) {
    let big = bandit(20, "big");
    assert!(big.len() > 1000);
    let a = upload(&e.app, &e.admin, "payments-api", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let v = a.json();
    assert_eq!(v["error"]["kind"], "payload_too_large");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("bandit.json"),
        "{v}"
    );
    // Multipart too.
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.json\"\r\n\r\n{big}\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/api/v1/scans?asset=payments-api")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert!(a.text().contains("big.json"));
    assert!(e.db(|s| s.scans(&Default::default()).unwrap_or_default().is_empty()));
    // Under the cap it goes through.
    let small = upload(&e.app, &e.admin, "payments-api", &bandit(1, "s")).await;
    assert_eq!(small.status, StatusCode::OK, "{}", small.text());
}

async fn a_bad_report_is_refused_naming_the_place_and_stores_nothing(e: &Env) {
    let good = bandit(3, "ok");
    let truncated = &good[..good.len() / 2];
    let a = upload(&e.app, &e.admin, "payments-api", truncated).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let msg = a.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.starts_with("bandit.json:"), "{msg}");
    assert!(msg.contains("line 1"), "names the line and column: {msg}");
    let a = upload(&e.app, &e.admin, "payments-api", "hello, not a report").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let req = Request::post("/api/v1/scans?asset=payments-api&format=no-such-format")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .body(Body::from(good.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&e.app, req).await.status, StatusCode::BAD_REQUEST);
    assert!(e.db(|s| s.scans(&Default::default()).unwrap_or_default().is_empty()));
    assert!(e.db(|s| {
        s.findings(&Default::default())
            .unwrap_or_default()
            .is_empty()
    }));
    assert!(e.db(|s| {
        s.audit_log(10)
            .unwrap_or_default()
            .iter()
            .all(|a| a.action != "scan.upload")
    }));
}

async fn upload_as(e: &Env, query: &str, body: &str) -> Answer {
    let req = Request::post(format!("/api/v1/scans?asset=payments-api&{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&e.app, req).await
}

/// Issue 14, observations 3 and 6 through the API: an empty output is a clean scan when its
/// format (`format=`) or its name (`name=`, the multipart file name) says the tool; a format
/// given must fit; an unknown format is a 400 even on an identical report.
async fn clean_scans_and_formats_given_in_uploads(e: &Env) {
    let leak = r#"[{"RuleID":"generic-api-key","Description":"key","StartLine":3,"EndLine":3,"Secret":"Zq8vP3kL0mN7xR2t","File":"app.py","Commit":"abc"}]"#;
    let a = upload_as(e, "name=gitleaks.json", leak).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["total"]["new"], 1);
    let bandit3 = bandit(3, "fit");
    let a = upload_as(e, "name=bandit.json", &bandit3).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let open = || {
        e.db(|s| {
            s.findings(&posture_store::FindingQuery {
                status: Some(vec![posture_model::FindingStatus::Open]),
                ..Default::default()
            })
            .unwrap_or_default()
            .len()
        })
    };
    assert_eq!(open(), 4);

    // `[]` that names no tool: 422 with the way out; a 0-byte bandit report: 422
    let a = upload_as(e, "name=scan.json", "[]").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert!(a.text().contains("format="), "{}", a.text());
    let a = upload_as(e, "name=bandit.json&format=bandit-json", "").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    // a wrong format: 422 naming what the report is; an unknown one: 400, even identical
    for format in [
        "trivy-json",
        "eslint-json",
        "checkov-json",
        "snyk-json",
        "retirejs-json",
    ] {
        let a = upload_as(e, &format!("name=bandit.json&format={format}"), &bandit3).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{format}: {}",
            a.text()
        );
        assert!(a.text().contains("bandit-json"), "{}", a.text());
    }
    let a = upload_as(e, "name=bandit.json&format=no-such-format", &bandit3).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert_eq!(open(), 4);

    // the clean gitleaks output, named by the multipart file name: closes the leak
    let boundary = "cleanB0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gitleaks.json\"\r\n\r\n[]\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/api/v1/scans?asset=payments-api")
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["total"]["fixed"], 1, "{}", a.text());
    assert_eq!(open(), 3);
    // and a clean bandit-free upload with its format given under any name
    let a = upload_as(e, "name=out.json&format=trufflehog3-json", "[ ]").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["reports"][0]["format"], "trufflehog3-json");
}

async fn all_pages(e: &Env, query: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/findings?{query}&limit={limit}&cursor={c}"),
            None => format!("/api/v1/findings?{query}&limit={limit}"),
        };
        let a = call(&e.app, Method::GET, &uri, Some(&e.reader), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let v = a.json();
        let page = v["findings"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= limit);
        ids.extend(page.iter().filter_map(|f| f["id"].as_i64()));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

async fn pagination_is_stable_and_complete(e: &Env) {
    let a = upload(&e.app, &e.admin, "payments-api", &bandit(23, "p")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    upload(&e.app, &e.admin, "web-app", &bandit(9, "w")).await;
    for sort in ["sort=risk", "sort=severity"] {
        let whole = all_pages(e, sort, 500).await;
        assert_eq!(whole.len(), 32);
        for limit in [1, 7, 10] {
            let paged = all_pages(e, sort, limit).await;
            assert_eq!(paged, whole, "{sort} limit {limit}");
        }
    }
    // A page boundary survives writes between pages: no duplicates, nothing skipped that was
    // there before.
    let first = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?sort=risk&limit=5",
        Some(&e.reader),
        None,
    )
    .await
    .json();
    let cursor = first["next_cursor"].as_str().unwrap_or("").to_string();
    let before = all_pages(e, "sort=risk", 500).await;
    upload(&e.app, &e.admin, "payments-api", &bandit(30, "p")).await;
    let rest = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings?sort=risk&limit=500&cursor={cursor}"),
        Some(&e.reader),
        None,
    )
    .await
    .json();
    let mut seen: Vec<i64> = first["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_i64()).collect())
        .unwrap_or_default();
    seen.extend(
        rest["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["id"].as_i64())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let mut dedup = seen.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), seen.len(), "no finding twice");
    assert!(before.iter().all(|id| seen.contains(id)), "nothing skipped");
    // A cursor of another order, or garbage, is a 400.
    let bad = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings?sort=severity&cursor={cursor}"),
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?cursor=zzz",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?severity=urgent",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"]["kind"], "bad_request");
}

/// A validator for `#/components/schemas/{name}` of the served OpenAPI document.
fn validator(doc: &Value, name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": doc["components"].clone(),
    });
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

fn conforms(doc: &Value, name: &str, value: &Value) {
    let v = validator(doc, name);
    let errors: Vec<String> = v
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{value}");
}

/// The keys of a serialized view, sorted.
fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Checks a documented schema against a serialized view: every key it has is documented, and
/// every documented required property is there; with `exact`, the properties are the keys.
fn documents(doc: &Value, name: &str, view: &Value, exact: bool) {
    let schema = &doc["components"]["schemas"][name];
    let mut props = keys_of(&schema["properties"]);
    props.sort();
    let keys = keys_of(view);
    let undocumented: Vec<&String> = keys.iter().filter(|k| !props.contains(k)).collect();
    assert!(
        undocumented.is_empty(),
        "{name}: keys not in the schema: {undocumented:?}"
    );
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&String> = required.iter().filter(|k| !keys.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "{name}: required but not in the view: {missing:?}"
    );
    if exact {
        assert_eq!(
            props, keys,
            "{name}: the schema's properties are the view's keys"
        );
    }
}

/// Issue 13: the OpenAPI schemas are checked against the typed views of posture-app (the JSON
/// both `posture --output json` and the API answer), built here by the use cases themselves,
/// not read back from an answer.
async fn documented_schemas_name_the_keys_of_the_app_views(e: &Env) {
    let (pay, _) = seed(e).await;
    let doc = call(&e.app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let (finding, explanation, scans, events) = e.db(|s| {
        let s: &dyn posture_store::Store = s;
        let f = posture_app::views::finding_view(s, None, pay)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("finding {pay}"));
        let x = posture_app::explain::explanation(s, f.clone()).unwrap_or_else(|e| panic!("{e}"));
        let scans = posture_app::views::scan_views(s, &Default::default(), |_| true, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let events = s.events(pay).unwrap_or_else(|e| panic!("{e}"));
        (f, x, scans, events)
    });
    let finding = value_of(&finding);
    // An assessed finding has every key (the stored risk too).
    documents(&doc, "Finding", &finding, true);
    documents(&doc, "Risk", &finding["risk"], true);
    documents(&doc, "Occurrence", &finding["occurrences"][0], false);
    documents(&doc, "Explanation", &value_of(&explanation), true);
    documents(&doc, "Scan", &value_of(&scans[0]), true);
    documents(&doc, "Event", &value_of(&events[0]), true);
}

/// A view as JSON.
fn value_of<T: serde::Serialize>(view: &T) -> Value {
    serde_json::to_value(view).unwrap_or_else(|e| panic!("{e}"))
}

async fn answers_conform_to_the_openapi_document(e: &Env) {
    let (pay, _) = seed(e).await;
    let doc = call(&e.app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    for path in [
        "/api/v1/scans",
        "/api/v1/findings",
        "/api/v1/findings/{id}",
        "/api/v1/findings/{id}/explain",
        "/api/v1/findings/{id}/events",
        "/api/v1/findings/{id}/triage",
        "/api/v1/assets",
        "/api/v1/teams",
        "/api/v1/suggestions",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let upload_answer = upload(&e.app, &e.admin, "payments-api", &bandit(7, "pay"))
        .await
        .json();
    conforms(&doc, "IngestSummary", &upload_answer);
    let page = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?sort=risk&status=all&limit=3",
        Some(&e.admin),
        None,
    )
    .await
    .json();
    conforms(&doc, "FindingPage", &page);
    assert!(page["next_cursor"].is_string());
    let f = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings/{pay}"),
        Some(&e.admin),
        None,
    )
    .await
    .json();
    conforms(&doc, "Finding", &f);
    let x = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings/{pay}/explain"),
        Some(&e.admin),
        None,
    )
    .await
    .json();
    conforms(&doc, "Explanation", &x);
    let t = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{pay}/triage"),
        Some(&e.admin),
        Some(
            json!({"state": "accepted", "reason": "compensating control", "expires": "2026-12-31"}),
        ),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let t = t.json();
    conforms(&doc, "Finding", &t);
    assert_eq!(t["status"], "accepted");
    let events = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings/{pay}/events"),
        Some(&e.admin),
        None,
    )
    .await
    .json();
    let last = events
        .as_array()
        .and_then(|a| a.last().cloned())
        .unwrap_or_default();
    assert_eq!(last["to_status"], "accepted");
    assert_eq!(last["expires_at"], "2026-12-31T00:00:00Z", "{last}");
    for (uri, item) in [
        (format!("/api/v1/findings/{pay}/events"), "Event"),
        ("/api/v1/scans".to_string(), "Scan"),
        ("/api/v1/assets".to_string(), "AssetView"),
        ("/api/v1/teams".to_string(), "TeamView"),
        ("/api/v1/suggestions?all=true".to_string(), "Suggestion"),
        ("/api/v1/tokens".to_string(), "TokenView"),
        ("/api/v1/audit".to_string(), "AuditView"),
    ] {
        let a = call(&e.app, Method::GET, &uri, Some(&e.admin), None).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        let list = a.json();
        let items = list.as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty() || item == "Suggestion", "{uri} is empty");
        for i in &items {
            conforms(&doc, item, i);
        }
    }
    conforms(
        &doc,
        "Me",
        &call(&e.app, Method::GET, "/api/v1/me", Some(&e.developer), None)
            .await
            .json(),
    );
    // Errors too.
    let err = call(
        &e.app,
        Method::GET,
        "/api/v1/findings/999999",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(err.status, StatusCode::NOT_FOUND);
    conforms(&doc, "ErrorBody", &err.json());
    conforms(
        &doc,
        "ErrorBody",
        &call(&e.app, Method::GET, "/api/v1/findings", None, None)
            .await
            .json(),
    );
    // And a wrong answer is caught (the check can fail).
    let mut broken = f.clone();
    broken["severity"] = json!("urgent");
    assert!(!validator(&doc, "Finding").is_valid(&broken));
    // A ci token for an empty or wildcard asset is refused (evaluation: `""` and `*` were
    // accepted), and nothing is created.
    let before = call(&e.app, Method::GET, "/api/v1/tokens", Some(&e.admin), None)
        .await
        .json();
    for assets in [
        json!([""]),
        json!(["*"]),
        json!(["web-*"]),
        json!([" web-app"]),
    ] {
        let refused = call(
            &e.app,
            Method::POST,
            "/api/v1/tokens",
            Some(&e.admin),
            Some(json!({"role": "ci", "assets": assets, "name": "wild"})),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{assets}: {}",
            refused.text()
        );
    }
    assert_eq!(
        call(&e.app, Method::GET, "/api/v1/tokens", Some(&e.admin), None)
            .await
            .json(),
        before
    );
    // Token creation shows the token once; its listing never does.
    let created = call(
        &e.app,
        Method::POST,
        "/api/v1/tokens",
        Some(&e.admin),
        Some(json!({"role": "ci", "assets": ["web-app"], "name": "web pipeline"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let created = created.json();
    conforms(&doc, "TokenCreated", &created);
    let value = created["token"].as_str().unwrap_or("").to_string();
    assert!(value.starts_with("pst_"));
    let listing = call(&e.app, Method::GET, "/api/v1/tokens", Some(&e.admin), None)
        .await
        .text();
    assert!(!listing.contains(&value));
    let up = upload(&e.app, &value, "web-app", &bandit(1, "new")).await;
    assert_eq!(up.status, StatusCode::OK);
    let id = created["record"]["id"].as_i64().unwrap_or(0);
    let revoked = call(
        &e.app,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        upload(&e.app, &value, "web-app", &bandit(1, "new"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn the_database_never_holds_a_token_in_plaintext(e: &Env) {
    seed(e).await;
    // Everything stored: the SQLite file with its WAL, or every PostgreSQL row as text.
    let bytes = on_thread(|| e.backend.raw_contents());
    assert!(!bytes.is_empty());
    // The check can fail: what the server stores in plaintext (an asset name) is found.
    assert!(bytes.windows(12).any(|w| w == b"payments-api"));
    for token in [&e.admin, &e.ci, &e.developer] {
        let secret = &token[4..];
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a token is stored in plaintext"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Dashboard

async fn every_answer_carries_a_strict_csp_and_no_inline_script(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    for uri in [
        "/",
        "/findings?sort=risk",
        "/login",
        "/assets/payments-api",
        "/teams/payments",
        "/nowhere",
    ] {
        let a = get_html(&e.app, uri, &cookie).await;
        let csp = a
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'none'"),
            "{uri}: {csp}"
        );
        assert_eq!(
            a.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        let html = a.text();
        assert!(!html.contains("<script"), "{uri} has a script");
        assert!(
            !html.contains(" style=\""),
            "{uri} has an inline style (blocked by the CSP)"
        );
    }
    let api = call(&e.app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert!(api.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    let overview = get_html(&e.app, "/", &cookie).await.text();
    assert!(overview.contains("Portfolio overview") && overview.contains("<svg"));
}

async fn the_dashboard_needs_a_session_and_csrf_tokens(e: &Env) {
    let (pay, _) = seed(e).await;
    // Not signed in: to the sign-in page.
    let a = get_html(&e.app, "/", "").await;
    assert!(a.status.is_redirection());
    assert_eq!(
        a.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    // Sign-in without the double-submit cookie: refused.
    let a = form(&e.app, "/login", "", &format!("token={}&csrf=abc", e.admin)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A wrong token: 401 and no session.
    let page = call(&e.app, Method::GET, "/login", None, None).await;
    let c = cookie_value(&set_cookies(&page), "posture_login_csrf").unwrap_or_default();
    let a = form(
        &e.app,
        "/login",
        &format!("posture_login_csrf={c}"),
        &format!("token=pst_wrong&csrf={c}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&set_cookies(&a), "posture_session").is_none());
    // A ci token cannot use the dashboard.
    let a = form(
        &e.app,
        "/login",
        &format!("posture_login_csrf={c}"),
        &format!("token={}&csrf={c}", e.ci),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let cookie = sign_in(e, &e.appsec).await;
    let page = get_html(&e.app, &format!("/findings/{pay}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden_csrf(&page.text());
    assert_eq!(csrf.len(), 64);
    // Triage without the CSRF token, or with another one: refused, nothing changes.
    for body in [
        "state=accepted&reason=x&expires=2026-12-31".to_string(),
        format!(
            "state=accepted&reason=x&expires=2026-12-31&csrf={}",
            "0".repeat(64)
        ),
    ] {
        let a = form(&e.app, &format!("/findings/{pay}/triage"), &cookie, &body).await;
        assert!(
            a.status == StatusCode::FORBIDDEN || a.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            a.status
        );
    }
    assert!(e.db(|s| {
        s.finding(pay)
            .ok()
            .flatten()
            .and_then(|f| f.triage)
            .is_none()
    }));
    // With it: recorded, and audited with the actor.
    let a = form(
        &e.app,
        &format!("/findings/{pay}/triage"),
        &cookie,
        &format!("state=accepted&reason=vendor+fix+pending&expires=2026-12-31&csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let f = e.db(|s| s.finding(pay).ok().flatten());
    assert_eq!(f.as_ref().map(|f| f.status.as_str()), Some("accepted"));
    let log = e.db(|s| s.audit_log(5).unwrap_or_default());
    assert_eq!(log[0].action, "finding.triage");
    assert_eq!(log[0].actor, "sam");
    // Sign out needs the token too, then the session is gone.
    let a = form(&e.app, "/logout", &cookie, "csrf=nope").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = form(&e.app, "/logout", &cookie, &format!("csrf={csrf}")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(get_html(&e.app, "/", &cookie).await.status.is_redirection());
}

async fn a_script_in_a_title_is_shown_as_text(e: &Env) {
    let evil = bandit(1, "<script>alert('x')</script>");
    let a = upload(&e.app, &e.admin, "payments-api", &evil).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let id = e.db(|s| s.findings(&Default::default()).unwrap_or_default())[0].id;
    let cookie = sign_in(e, &e.reader).await;
    for uri in [
        format!("/findings/{id}"),
        "/findings?sort=risk".into(),
        "/".into(),
        "/assets/payments-api".into(),
    ] {
        let html = get_html(&e.app, &uri, &cookie).await.text();
        assert!(
            html.contains("&lt;script&gt;alert("),
            "{uri} shows the title escaped"
        );
        assert!(!html.contains("<script>"), "{uri} has the raw script");
    }
    // Readers see no triage form.
    let html = get_html(&e.app, &format!("/findings/{id}"), &cookie)
        .await
        .text();
    assert!(!html.contains("triage-form"));
}

fn the_bootstrap_token_is_made_once(b: &TestBackend) {
    let store = b.access_store();
    let now: posture_model::Timestamp = "2026-06-01T12:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let first =
        posture_server::bootstrap_token(store.as_ref(), now).unwrap_or_else(|e| panic!("{e}"));
    assert!(first.as_deref().is_some_and(|t| t.starts_with("pst_")));
    assert!(
        posture_server::bootstrap_token(store.as_ref(), now)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    let tokens = store.tokens().unwrap_or_default();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].role, Role::Admin);
}

posture_store::on_both_backends!(the_bootstrap_token_is_made_once);

/// Everything the server logs in this test binary (the 500 case reads it back).
fn captured_log() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOG: std::sync::OnceLock<std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        struct Sink;
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                captured_log()
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_writer(|| Sink)
            .with_ansi(false)
            .try_init();
        std::sync::Mutex::new(Vec::new())
    })
}

/// Issue 13: a 500 answered the database's error text and logged nothing. Now the client gets
/// an id (issue 19: the request's id), never the cause; the log has the cause under that id.
async fn a_500_answers_an_error_id_and_logs_the_cause_under_it(e: &Env) {
    let _ = captured_log();
    let (pay, _) = seed(e).await;
    // Break the database under the server: the event log's table goes away.
    let location = e.backend.location().to_string();
    on_thread(move || {
        let sql = "ALTER TABLE events RENAME TO events_gone";
        if location.starts_with("postgres") {
            let mut c = postgres::Client::connect(&location, postgres::NoTls)
                .unwrap_or_else(|e| panic!("{e}"));
            c.batch_execute(sql).unwrap_or_else(|e| panic!("{e}"));
        } else {
            let c = rusqlite::Connection::open(&location).unwrap_or_else(|e| panic!("{e}"));
            c.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
        }
    });
    let req = Request::get(format!("/api/v1/findings/{pay}/events"))
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.text());
    let v = a.json();
    assert_eq!(v["error"]["kind"], "internal");
    let message = v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.starts_with("internal error "), "{message}");
    for leak in ["events", "no such table", "does not exist", "relation"] {
        assert!(
            !message.contains(leak),
            "database text in the answer: {message}"
        );
    }
    let id = message
        .trim_start_matches("internal error ")
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    // Issue 19: the id is the request's (32 hex digits), the one its x-request-id header
    // and its request log line carry (it was a separate 16-digit error id).
    assert_eq!(id.len(), 32, "{message}");
    assert_eq!(
        a.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        Some(id.as_str()),
        "{message}"
    );
    let log = String::from_utf8_lossy(
        &captured_log()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .to_string();
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no log line with {id}: {log}"));
    assert!(line.contains("events"), "the cause is logged: {line}");
}

async fn upload_on(app: &Router, token: &str, asset: &str, branch: &str, report: &str) -> Answer {
    let req = Request::post(format!(
        "/api/v1/scans?asset={asset}&branch={branch}&name=bandit.json"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {token}"))
    .header(header::CONTENT_TYPE, "application/json")
    .body(Body::from(report.to_string()))
    .unwrap_or_else(|e| panic!("{e}"));
    send(app, req).await
}

/// `GET /assets/{asset}/branches`, `?branch=`, `DELETE .../branches/{branch}` (the upload's
/// right, audited; the default branch refused) and the scheduled sweep retiring an idle branch
/// with the test clock moved: occurrences close, nothing is fixed.
async fn branches_are_listed_viewed_deleted_and_retire_when_idle(e: &Env) {
    let report = bandit(6, "pay");
    for branch in ["main", "feature%2Fx", "feature%2Fy"] {
        let a = upload_on(&e.app, &e.ci, "payments-api", branch, &report).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    }
    // a finding only feature/y has
    let extra = bandit(7, "pay");
    let a = upload_on(&e.app, &e.ci, "payments-api", "feature%2Fy", &extra).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());

    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/assets/payments-api/branches",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let list = a.json();
    let names: Vec<(&str, bool)> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|b| {
            (
                b["branch"].as_str().unwrap_or(""),
                b["default"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("main", true), ("feature/x", false), ("feature/y", false)]
    );
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/assets/no-such-asset/branches",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());

    // the default view has main's 6 findings; the branch view of feature/y has 7
    let count = |v: Value| v["findings"].as_array().map_or(0, Vec::len);
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?asset=payments-api",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(count(a.json()), 6, "{}", a.text());
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?asset=payments-api&branch=feature/y",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(count(a.json()), 7, "{}", a.text());

    // delete: a reader may not; the ci token of the asset may; main cannot be deleted
    let uri = "/api/v1/assets/payments-api/branches/feature%2Fx";
    let a = call(&e.app, Method::DELETE, uri, Some(&e.reader), None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = call(&e.app, Method::DELETE, uri, Some(&e.ci), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let done = a.json();
    assert_eq!(
        (
            done["closed_occurrences"].as_u64(),
            done["fixed_findings"].as_u64()
        ),
        (Some(6), Some(0))
    );
    let a = call(
        &e.app,
        Method::DELETE,
        "/api/v1/assets/payments-api/branches/main",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let a = call(
        &e.app,
        Method::DELETE,
        "/api/v1/assets/payments-api/branches/nope",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
    let log = e.db(|s| s.audit_log(10).unwrap_or_default());
    assert!(log.iter().any(|l| l.action == "branch.delete"), "{log:?}");

    // 31 days later the sweep retires feature/y; nothing is fixed, main's findings stay open
    e.clock.set(at("2026-07-02T12:00:00Z"));
    let retired = e
        .state
        .blocking(posture_server::branches_api::sweep_idle_branches)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    // feature/x was deleted already; main never retires
    assert_eq!(retired, 1);
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/assets/payments-api/branches",
        Some(&e.reader),
        None,
    )
    .await;
    let retired: Vec<String> = a
        .json()
        .as_array()
        .expect("array")
        .iter()
        .filter(|b| !b["retired_at"].is_null())
        .map(|b| b["branch"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(retired, ["feature/x", "feature/y"]);
    let log = e.db(|s| s.audit_log(20).unwrap_or_default());
    assert!(log.iter().any(|l| l.action == "branch.retire"), "{log:?}");
    let fixed = e.db(|s| {
        s.event_log(&Default::default())
            .unwrap_or_default()
            .into_iter()
            .filter(|ev| ev.kind == "fixed")
            .count()
    });
    assert_eq!(fixed, 0);
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?asset=payments-api",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(count(a.json()), 6, "{}", a.text());
}
