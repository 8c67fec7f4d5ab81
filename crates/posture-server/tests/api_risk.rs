//! Risk through the API (issue 15), on SQLite and PostgreSQL: code coverage uploaded with
//! `kind=runtime` (and its environment) is runtime evidence, never findings; a SAST finding
//! and the dependency finding of the package its code calls name each other, and production
//! coverage of the call makes the dependency reachable; the threat feeds' freshness is read at
//! `/api/v1/feeds`; bad values are 400s naming them.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

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
criticality = "tier-1"
exposure = "internet-facing"
environment = "production"
"#;

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

on_both_backends_async!(
    env, env;
    coverage_uploads_are_evidence_and_link_code_to_packages,
);

async fn upload(e: &Env, query: &str, body: String) -> Answer {
    let req = Request::post(format!("/api/v1/scans?asset=payments-api&{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", e.ci))
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    send(&e.app, req).await
}

async fn findings(e: &Env) -> Vec<Value> {
    let a = call(
        &e.app,
        Method::GET,
        "/api/v1/findings?asset=payments-api&sort=risk",
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.json()["findings"].as_array().cloned().unwrap_or_default()
}

fn reachability(x: &Value) -> Value {
    x["risk"]["terms"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "reachability"))
        .cloned()
        .unwrap_or_else(|| panic!("no reachability term in {x}"))
}

async fn coverage_uploads_are_evidence_and_link_code_to_packages(e: &Env) {
    let bandit = json!({"errors": [], "results": [{
        "code": "41 def load(y):\n42     return yaml.load(y)\n",
        "filename": "./app/config.py", "issue_confidence": "HIGH", "issue_severity": "MEDIUM",
        "issue_cwe": {"id": 20, "link": "https://cwe.mitre.org/data/definitions/20.html"},
        "issue_text": "Use of unsafe yaml load. Allows instantiation of arbitrary objects.",
        "line_number": 42, "line_range": [42], "test_id": "B506", "test_name": "yaml_load"
    }]});
    let audit = json!({"dependencies": [{"name": "pyyaml", "version": "3.12", "vulns": [{
        "id": "PYSEC-2018-49", "fix_versions": ["5.1"], "aliases": ["CVE-2017-18342"],
        "description": "In PyYAML before 5.1, the yaml.load() API could execute arbitrary code."
    }]}], "fixes": []});
    let a = upload(e, "name=bandit.json", bandit.to_string()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = upload(e, "name=pip-audit.json", audit.to_string()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let list = findings(e).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let sast = list.iter().find(|f| f["rule_id"] == "B506").unwrap();
    let dep = list.iter().find(|f| f["rule_id"] != "B506").unwrap();
    assert_eq!(sast["related"][0]["id"], dep["id"], "{sast}");
    assert_eq!(dep["related"][0]["id"], sast["id"], "{dep}");
    let dep_id = dep["id"].as_i64().unwrap();

    // bad values are 400s naming them
    let bad = upload(e, "kind=runtime&environment=prod&name=p.info", "x".into()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
    assert!(
        bad.text().contains("unknown environment `prod`"),
        "{}",
        bad.text()
    );
    let bad = upload(
        e,
        "environment=production&name=bandit.json",
        bandit.to_string(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());

    // production coverage: line 42 ran 12,000 times
    let lcov = "SF:/srv/app/app/config.py\nDA:41,12000\nDA:42,12000\nend_of_record\n";
    let a = upload(
        e,
        "kind=runtime&environment=production&name=production.info",
        lcov.into(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let body = a.json();
    assert_eq!(body["coverage"][0]["format"], "lcov", "{body}");
    assert_eq!(body["coverage"][0]["environment"], "production", "{body}");
    assert_eq!(
        body["total"]["new"], 0,
        "coverage is never findings: {body}"
    );
    assert_eq!(findings(e).await.len(), 2, "no finding created");

    let x = call(
        &e.app,
        Method::GET,
        &format!("/api/v1/findings/{dep_id}/explain"),
        Some(&e.reader),
        None,
    )
    .await;
    assert_eq!(x.status, StatusCode::OK, "{}", x.text());
    let reach = reachability(&x.json());
    assert_eq!(reach["value"], "reachable", "{reach}");
    let source = reach["source"].as_str().unwrap_or_default();
    assert!(
        source.contains("reachable through app/config.py:42")
            && source.contains("executed 12000 times in production"),
        "{source}"
    );
    let audited = e.db(|s| s.audit_log(50).unwrap_or_default());
    assert!(
        audited.iter().any(|a| a.action == "coverage.upload"),
        "{audited:?}"
    );

    // the feeds: none imported, none configured: not stale
    let feeds = call(&e.app, Method::GET, "/api/v1/feeds", Some(&e.reader), None).await;
    assert_eq!(feeds.status, StatusCode::OK, "{}", feeds.text());
    let feeds = feeds.json();
    assert_eq!(feeds[0]["kind"], "kev");
    assert_eq!(feeds[1]["kind"], "epss");
    assert_eq!(feeds[0]["stale"], false, "{feeds}");
    let none = call(&e.app, Method::GET, "/api/v1/feeds", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}
