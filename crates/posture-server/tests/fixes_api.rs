//! Remediation by fix through the server (issue 17): `GET /api/v1/fixes` answers the CLI's
//! plan, documented in the OpenAPI document, within the caller's scope; the dashboard's Fixes
//! page shows it. On SQLite and PostgreSQL (see `common`).

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
    the_api_and_the_dashboard_answer_the_plan_within_the_callers_scope,
);

/// lodash 4.17.4 with three CVEs fixed in 4.17.5, 4.17.9 and 4.17.10, and a package no
/// version fixes (its name is `unfixed`).
fn trivy(unfixed: &str) -> String {
    let vuln = |id: &str, pkg: &str, installed: &str, fixed: Option<&str>| {
        let mut v = json!({
            "VulnerabilityID": id, "PkgName": pkg, "InstalledVersion": installed,
            "Severity": "HIGH", "Title": format!("{id} in {pkg}")
        });
        if let Some(f) = fixed {
            v["FixedVersion"] = json!(f);
        }
        v
    };
    json!({
        "SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
        "Results": [{
            "Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm",
            "Vulnerabilities": [
                vuln("CVE-2018-3721", "lodash", "4.17.4", Some("4.17.5")),
                vuln("CVE-2018-16487", "lodash", "4.17.4", Some("4.17.9")),
                vuln("CVE-2018-1000620", "lodash", "4.17.4", Some("4.17.10")),
                vuln("CVE-2099-0001", unfixed, "1.0.0", None)
            ]
        }]
    })
    .to_string()
}

async fn upload(e: &Env, asset: &str, report: &str) {
    let req = Request::post(format!("/api/v1/scans?asset={asset}&name=trivy.json"))
        .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(report.to_string()))
        .unwrap_or_else(|err| panic!("{err}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

fn ids(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = v
        .as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    ids.sort_unstable();
    ids
}

async fn the_api_and_the_dashboard_answer_the_plan_within_the_callers_scope(e: &Env) {
    let evil = "<script>alert(1)</script>";
    upload(e, "payments-api", &trivy(evil)).await;
    upload(e, "web-app", &trivy(evil)).await;
    let lodash: Vec<i64> = e.db(|s| {
        let mut ids: Vec<i64> = s
            .findings(&Default::default())
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.title.ends_with("in lodash"))
            .map(|f| f.id)
            .collect();
        ids.sort_unstable();
        ids
    });
    assert_eq!(lodash.len(), 6);

    let none = call(&e.app, Method::GET, "/api/v1/fixes", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);

    let all = call(&e.app, Method::GET, "/api/v1/fixes", Some(&e.admin), None).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text());
    let plan = all.json();
    let actions = plan["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("{plan}"));
    assert_eq!(actions.len(), 1, "{plan:#}");
    let a = &actions[0];
    assert_eq!(a["summary"], "upgrade lodash 4.17.4 → 4.17.10");
    assert_eq!(a["to_version"], "4.17.10");
    assert_eq!(ids(&a["findings"]), lodash, "all six findings");
    assert_eq!(a["assets"], json!(["payments-api", "web-app"]));
    assert_eq!(plan["unfixable"].as_array().map(Vec::len), Some(1));

    // documented: the answer conforms, and the schema names exactly the action's keys
    let doc = call(&e.app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    assert!(doc["paths"].get("/api/v1/fixes").is_some());
    let schema = json!({
        "$ref": "#/components/schemas/FixPlan",
        "components": doc["components"].clone(),
    });
    let v = jsonschema::validator_for(&schema).unwrap_or_else(|err| panic!("{err}"));
    let errors: Vec<String> = v.iter_errors(&plan).map(|err| err.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let mut documented: Vec<String> =
        doc["components"]["schemas"]["FixPlan"]["properties"]["actions"]["items"]["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
    documented.retain(|k| !["rule", "path", "image"].contains(&k.as_str()));
    documented.sort();
    let mut keys: Vec<String> = a
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(documented, keys);

    // the same plan as the use case the CLI calls
    let direct = e.db(|s| {
        let s: &dyn posture_store::Store = s;
        posture_app::fixes::fixes(s, Some(&e.portfolio), &Default::default(), &|_| true)
            .unwrap_or_else(|err| panic!("{err}"))
    });
    assert_eq!(serde_json::to_value(&direct).unwrap_or_default(), plan);

    // a developer of the payments team sees the payments-api half
    let dev = call(
        &e.app,
        Method::GET,
        "/api/v1/fixes",
        Some(&e.developer),
        None,
    )
    .await
    .json();
    assert_eq!(
        dev["actions"][0]["assets"],
        json!(["payments-api"]),
        "{dev}"
    );
    assert_eq!(
        dev["actions"][0]["findings"].as_array().map(Vec::len),
        Some(3)
    );
    // filters, and a name nobody knows is a 400
    let web = call(
        &e.app,
        Method::GET,
        "/api/v1/fixes?asset=web-app",
        Some(&e.admin),
        None,
    )
    .await
    .json();
    assert_eq!(web["actions"][0]["assets"], json!(["web-app"]));
    let team = call(
        &e.app,
        Method::GET,
        "/api/v1/fixes?team=payments",
        Some(&e.admin),
        None,
    )
    .await
    .json();
    assert_eq!(
        team["actions"][0]["assets"],
        json!(["payments-api"]),
        "{team}"
    );
    let bad = call(
        &e.app,
        Method::GET,
        "/api/v1/fixes?asset=web-ap",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());

    // the dashboard's Fixes page
    let cookie = sign_in(e, &e.reader).await;
    let page = get_html(&e.app, "/fixes", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("upgrade lodash 4.17.4 → 4.17.10"), "{html}");
    assert!(
        html.contains(r#"href="/fixes" aria-current="page""#),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the package name is escaped"
    );
    assert!(!html.contains("<script>"));
    for id in &lodash {
        assert!(
            html.contains(&format!(r#"href="/findings/{id}""#)),
            "finding {id} linked"
        );
    }
    let filtered = get_html(&e.app, "/fixes?asset=web-app", &cookie)
        .await
        .text();
    assert!(
        filtered.contains(r#"<option value="web-app" selected>"#),
        "{filtered}"
    );
    let dev_cookie = sign_in(e, &e.developer).await;
    let dev_html = get_html(&e.app, "/fixes", &dev_cookie).await.text();
    assert!(
        !dev_html.contains(">web-app</a>"),
        "a developer sees only their team's assets"
    );
}
