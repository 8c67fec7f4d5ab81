//! The governance endpoints in process (the real router over a real SQLite file, the
//! repository's `examples/policy.toml` named by `posture.toml` as the CLI finds it): rights per
//! role, the gate failing and then passing after a VP-approved exception (as
//! `crates/posture/tests/gate.rs` does with the CLI), its SARIF/Markdown/JUnit renderings,
//! metrics equal to `posture_app`'s for the same store (a developer's restricted to their
//! team), policy diagnostics with positions, triage under the policy's approval rules, and
//! OpenAPI conformance of the answers.
//!
//! Every case runs twice, once per back end (`on_both_backends_async!`), with a fresh
//! database each (`posture_store::testing::TestBackend`: the PostgreSQL run is skipped with a
//! notice when no server is reachable, and fails when `POSTURE_REQUIRE_POSTGRES=1`). Why the
//! cases are not `#[tokio::test]`, and how they reach the store: see `common`.

#[macro_use]
mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use posture_app::metrics::MetricsRequest;
use posture_server::ServerSettings;
use posture_store::Store;
use posture_store::testing::TestBackend;
use serde_json::{Value, json};
use std::path::Path;

const PORTFOLIO: &str = r#"
[policy]
file = "policy.toml"

[[team]]
name = "payments"
members = ["@pat"]

[[team]]
name = "web"

[[asset]]
name = "customers"
team = "payments"
data = ["customer-data"]
exposure = "internal"

[[asset]]
name = "shop"
team = "web"
tags = ["production"]
"#;

/// The broken policy of the CLI's tests: four errors at known places.
const BROKEN: &str = r#"# a policy with mistakes
[[rule]]
id = "prod-high-blocks"
when = 'finding.sevrity == "high" && "production" in asset.tags'
action = "block"

[[rule]]
id = "needs-vp"
when = 'finding.severity == "critical" &&'
action = "require_approval"

[[rule]]
id = "escalate"
when = 'true'
action = "escalte"
"#;

/// A Trivy filesystem report of `(cve, package, severity)` vulnerabilities.
fn trivy(vulns: &[(&str, &str, &str)]) -> String {
    let items: Vec<Value> = vulns
        .iter()
        .map(|(cve, pkg, sev)| {
            json!({
                "VulnerabilityID": cve,
                "PkgName": pkg,
                "InstalledVersion": "1.0.0",
                "FixedVersion": "1.0.1",
                "Severity": sev,
                "Title": format!("{pkg}: {} flaw", sev.to_ascii_lowercase()),
            })
        })
        .collect();
    json!({
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": [{
            "Target": "requirements.txt",
            "Class": "lang-pkgs",
            "Type": "pip",
            "Vulnerabilities": items,
        }]
    })
    .to_string()
}

const ROLES: [&str; 5] = ["admin", "appsec", "developer", "reader", "ci"];

/// A server over a fresh database; `policy` is written as `policy.toml` (None: the
/// portfolio names no policy at all).
fn env_with(backend: TestBackend, policy: Option<&str>) -> Env {
    let (toml, files) = match policy {
        Some(text) => (
            PORTFOLIO.to_string(),
            vec![("policy.toml", text.to_string())],
        ),
        None => (
            PORTFOLIO.replace("[policy]\nfile = \"policy.toml\"", ""),
            Vec::new(),
        ),
    };
    common::build(
        backend,
        Setup {
            toml: &toml,
            files,
            ci_assets: &["customers"],
            settings: ServerSettings::default(),
        },
    )
}

fn example_policy() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy.toml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
}

fn env(backend: TestBackend) -> Env {
    env_with(backend, Some(&example_policy()))
}

/// A request with an optional bearer token and a raw body of `content_type`.
async fn raw(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if !body.is_empty() {
        req = req.header(header::CONTENT_TYPE, content_type);
    }
    send(
        app,
        req.body(Body::from(body.to_string()))
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await
}

async fn get(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    raw(app, Method::GET, uri, token, "", "").await
}

async fn post_json(app: &Router, uri: &str, token: &str, body: Value) -> Answer {
    raw(
        app,
        Method::POST,
        uri,
        Some(token),
        "application/json",
        &body.to_string(),
    )
    .await
}

async fn gate(app: &Router, token: &str, query: &str, report: &str) -> Answer {
    raw(
        app,
        Method::POST,
        &format!("/api/v1/gate?{query}"),
        Some(token),
        "application/json",
        report,
    )
    .await
}

async fn upload(app: &Router, token: &str, asset: &str, branch: &str, report: &str) {
    let a = raw(
        app,
        Method::POST,
        &format!("/api/v1/scans?asset={asset}&branch={branch}&name=trivy.json"),
        Some(token),
        "application/json",
        report,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

/// The customers PR of the CLI's example 2 (a critical and a high), and a shop PR.
async fn seed(e: &Env) {
    let pr = trivy(&[
        ("CVE-2026-2001", "pyyaml", "CRITICAL"),
        ("CVE-2026-2002", "idna", "HIGH"),
    ]);
    upload(&e.app, &e.admin, "customers", "feature/export", &pr).await;
    let shop = trivy(&[
        ("CVE-2026-1001", "flask", "HIGH"),
        ("CVE-2026-1002", "jinja2", "MEDIUM"),
    ]);
    upload(&e.app, &e.admin, "shop", "main", &shop).await;
}

/// The seed's customers report on the default branch too: with the branch model, what only a
/// merge-request branch reports is not portfolio risk, and the metrics tests measure the
/// portfolio (main).
async fn customers_on_main(e: &Env) {
    let pr = trivy(&[
        ("CVE-2026-2001", "pyyaml", "CRITICAL"),
        ("CVE-2026-2002", "idna", "HIGH"),
    ]);
    upload(&e.app, &e.admin, "customers", "main", &pr).await;
}

/// The appsec engineer accepts the risk until `expires`; the policy asks for the vp's
/// approval, which Vic (who holds the vp role) gives under his own identity.
async fn accept_with_vics_approval(e: &Env, id: i64, expires: &str) {
    let requested = post_json(
        &e.app,
        &format!("/api/v1/findings/{id}/triage"),
        &e.appsec,
        json!({ "state": "accepted", "reason": "WAF rule 42", "expires": expires }),
    )
    .await;
    assert_eq!(
        requested.status,
        StatusCode::ACCEPTED,
        "{}",
        requested.text()
    );
    let vic = e.person_with_role("vic", "vp", posture_store::Role::Reader, None);
    let approved = post_json(
        &e.app,
        &format!("/api/v1/approvals/{}/approve", requested.json()["id"]),
        &vic,
        json!({}),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
}

fn finding_id(e: &Env, asset: &str, title: &str) -> i64 {
    // every branch: the seed's customers report is on a merge-request branch only
    let every_branch = posture_store::FindingQuery {
        branch: posture_store::BranchFilter::Any,
        ..Default::default()
    };
    e.db(|s| s.findings(&every_branch).unwrap_or_default())
        .iter()
        .find(|f| f.asset == asset && f.title.contains(title))
        .map(|f| f.id)
        .unwrap_or_else(|| panic!("no finding {title} in {asset}"))
}

on_both_backends_async!(
    env, env_with;
    each_endpoint_answers_401_and_403_per_role,
    the_gate_fails_then_passes_after_a_vp_approved_exception,
    the_gate_renders_sarif_markdown_and_junit,
    without_a_usable_policy_the_gate_is_a_conflict(None),
    policy_check_reports_every_position_and_the_active_policy_its_rules,
    metrics_are_the_apps_and_a_developer_sees_only_their_team,
    answers_conform_to_the_openapi_document,
    the_dashboard_triage_form_asks_for_the_approver_the_policy_names,
    reading_metrics_applies_due_expiries_and_audits_them_as_the_system,
    the_scheduled_sweep_reopens_lapsed_acceptances_and_audits_them,
    unknown_names_and_parameters_are_errors_not_empty_answers,
);

fn blocked_rules(v: &Value) -> Vec<(i64, Vec<String>)> {
    v["findings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|f| f["blocked"] == true)
        .map(|f| {
            (
                f["id"].as_i64().unwrap_or(-1),
                f["matches"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| m["rule_id"].as_str().map(str::to_string))
                    .collect(),
            )
        })
        .collect()
}

async fn each_endpoint_answers_401_and_403_per_role(e: &Env) {
    seed(e).await;
    let good_policy = example_policy();
    // (method, uri, body, expected for admin, appsec, developer, reader, ci)
    let cases: Vec<(Method, &str, String, [u16; 5])> = vec![
        (
            Method::GET,
            "/api/v1/metrics",
            String::new(),
            [200, 200, 200, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/metrics?team=web",
            String::new(),
            [200, 200, 403, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/metrics?asset=shop",
            String::new(),
            [200, 200, 403, 200, 403],
        ),
        (
            Method::GET,
            "/api/v1/metrics?asset=customers",
            String::new(),
            [200, 200, 200, 200, 403],
        ),
        (
            Method::POST,
            "/api/v1/gate?asset=customers&branch=feature/export",
            String::new(),
            [200, 200, 200, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/gate?asset=shop",
            String::new(),
            [200, 200, 403, 403, 403],
        ),
        // With a report the gate ingests: the upload right on the asset is needed too.
        (
            Method::POST,
            "/api/v1/gate?asset=customers&branch=b2",
            trivy(&[("CVE-2026-3001", "lxml", "LOW")]),
            [200, 200, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/policy",
            String::new(),
            [200, 200, 200, 200, 403],
        ),
        (
            Method::POST,
            "/api/v1/policy/check",
            good_policy.clone(),
            [200, 200, 403, 403, 403],
        ),
    ];
    for (method, uri, body, expected) in cases {
        for (role, want) in ROLES.iter().zip(expected) {
            let a = raw(
                &e.app,
                method.clone(),
                uri,
                Some(e.token(role)),
                "application/octet-stream",
                &body,
            )
            .await;
            assert_eq!(
                a.status.as_u16(),
                want,
                "{role} {method} {uri}: {}",
                a.text()
            );
            if want == 403 {
                assert_eq!(a.json()["error"]["kind"], "forbidden", "{role} {uri}");
            }
        }
        let anonymous = raw(
            &e.app,
            method.clone(),
            uri,
            None,
            "application/octet-stream",
            &body,
        )
        .await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without a token"
        );
        let forged = raw(
            &e.app,
            method.clone(),
            uri,
            Some("pst_forged"),
            "application/octet-stream",
            &body,
        )
        .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    // Gates that ingested are audited as uploads, by whom and through the gate.
    let audit = get(&e.app, "/api/v1/audit", Some(&e.admin)).await.json();
    let via_gate: Vec<&Value> = audit
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|a| a["action"] == "scan.upload" && a["detail"]["via"] == "gate")
        .collect();
    let actors: Vec<&str> = via_gate
        .iter()
        .filter_map(|a| a["actor"].as_str())
        .collect();
    assert!(
        actors.contains(&"ada") && actors.contains(&"pipeline"),
        "{actors:?}"
    );
}

async fn the_gate_fails_then_passes_after_a_vp_approved_exception(e: &Env) {
    let pr = trivy(&[
        ("CVE-2026-2001", "pyyaml", "CRITICAL"),
        ("CVE-2026-2002", "idna", "HIGH"),
    ]);
    // The pipeline sends its report to the gate: ingested, then judged.
    let first = gate(
        &e.app,
        &e.ci,
        "asset=customers&branch=feature/export&baseline=main",
        &pr,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    assert_eq!(first.header("posture-gate-verdict"), "failed");
    assert_eq!(first.header("posture-gate-exit-code"), "1");
    let v = first.json();
    assert_eq!(
        (
            v["verdict"].as_str(),
            v["exit_code"].as_i64(),
            v["passed"].as_bool()
        ),
        (Some("failed"), Some(1), Some(false)),
        "{v}"
    );
    assert_eq!(v["blocked"], 1, "{v}");
    assert_eq!(v["scope"], "new");
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap_or_default()
            .contains("the baseline branch `main` has no scans of asset `customers`"),
        "{v}"
    );
    let critical = finding_id(e, "customers", "pyyaml");
    assert_eq!(
        blocked_rules(&v),
        vec![(
            critical,
            vec![
                "customer-data-critical-needs-vp".to_string(),
                "customer-data-critical-blocks".to_string()
            ]
        )],
        "{v}"
    );
    // The high of a non-production asset: nothing to say about it.
    assert!(!v.to_string().contains("idna"), "{v}");

    // Triage asks for the vp, as `posture triage` does with the policy of posture.toml: the
    // decision waits as a request until a holder of the vp role approves it under their own
    // identity (issue 18: the approver and the role were once free text in the request).
    let triage = format!("/api/v1/findings/{critical}/triage");
    let accept = json!({
        "state": "accepted",
        "reason": "compensating control: WAF rule 42, fix in Q3",
        "expires": "2026-08-01",
    });
    let mut named = accept.clone();
    named["approver"] = json!("vic");
    named["role"] = json!("vp");
    let refused = post_json(&e.app, &triage, &e.appsec, named).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    let requested = post_json(&e.app, &triage, &e.appsec, accept).await;
    assert_eq!(
        requested.status,
        StatusCode::ACCEPTED,
        "{}",
        requested.text()
    );
    let request = requested.json();
    assert_eq!(request["role"], "vp", "{request}");
    assert_eq!(request["rule_id"], "customer-data-critical-needs-vp");
    let approve = format!("/api/v1/approvals/{}/approve", request["id"]);
    // Nothing changed: the gate still fails.
    let still = gate(&e.app, &e.ci, "asset=customers&branch=feature/export", "").await;
    assert_eq!(still.json()["verdict"], "failed");
    // A security lead is not a vp; the appsec engineer cannot approve their own request.
    let lee = e.person_with_role("lee", "security-lead", posture_store::Role::Appsec, None);
    let wrong_role = post_json(&e.app, &approve, &lee, json!({})).await;
    assert_eq!(wrong_role.status, StatusCode::FORBIDDEN);
    assert!(
        wrong_role.text().contains("needs the `vp` role"),
        "{}",
        wrong_role.text()
    );
    let own = post_json(&e.app, &approve, &e.appsec, json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.text().contains("cannot approve or reject their own"));
    let still = gate(&e.app, &e.ci, "asset=customers&branch=feature/export", "").await;
    assert_eq!(still.json()["verdict"], "failed");

    let vic = e.person_with_role("vic", "vp", posture_store::Role::Reader, None);
    let approved = post_json(&e.app, &approve, &vic, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert_eq!(approved.json()["status"], "approved");
    let f = get(
        &e.app,
        &format!("/api/v1/findings/{critical}"),
        Some(&e.appsec),
    )
    .await
    .json();
    assert_eq!(f["status"], "accepted");
    let audit = get(&e.app, "/api/v1/audit?limit=5", Some(&e.admin))
        .await
        .json();
    assert!(
        audit
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .any(|a| a["action"] == "approval.approve"
                && a["actor"] == "vic"
                && a["detail"]["approver"] == "vic"
                && a["detail"]["requested_by"] == "sam"
                && a["detail"]["role"] == "vp"),
        "{audit}"
    );

    // Gating what is stored (no report): the approved exception excuses the critical.
    let second = gate(&e.app, &e.ci, "asset=customers&branch=feature/export", "").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    assert_eq!(second.header("posture-gate-exit-code"), "0");
    let v = second.json();
    assert_eq!(
        (
            v["verdict"].as_str(),
            v["exit_code"].as_i64(),
            v["passed"].as_bool()
        ),
        (Some("passed"), Some(0), Some(true)),
        "{v}"
    );
    assert_eq!(
        (v["blocked"].as_i64(), v["excepted"].as_i64()),
        (Some(0), Some(1))
    );
    let f = &v["findings"][0];
    assert_eq!(f["id"], critical);
    assert_eq!(f["exception"]["exception"], "honoured", "{f}");
    assert_eq!(f["exception"]["approver"], "vic", "{f}");
}

async fn the_gate_renders_sarif_markdown_and_junit(e: &Env) {
    seed(e).await;
    let q = "asset=customers&branch=feature/export";
    let sarif = gate(&e.app, &e.admin, &format!("{q}&format=sarif"), "").await;
    assert_eq!(sarif.status, StatusCode::OK, "{}", sarif.text());
    assert_eq!(sarif.header("content-type"), "application/sarif+json");
    assert_eq!(sarif.header("posture-gate-verdict"), "failed");
    let log = sarif.json();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(results.len(), 1, "{log}");
    assert_eq!(results[0]["level"], "error");
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("customer-data-critical-blocks"),
        "{log}"
    );

    let md = gate(&e.app, &e.admin, &format!("{q}&format=markdown"), "").await;
    assert_eq!(md.status, StatusCode::OK);
    assert!(md.header("content-type").starts_with("text/markdown"));
    assert!(
        md.text().contains("customer-data-critical-blocks"),
        "{}",
        md.text()
    );

    let junit = gate(&e.app, &e.admin, &format!("{q}&format=junit"), "").await;
    assert_eq!(junit.status, StatusCode::OK);
    assert!(junit.header("content-type").starts_with("application/xml"));
    let xml = junit.text();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<failure"),
        "{xml}"
    );

    let bad = gate(&e.app, &e.admin, &format!("{q}&format=pdf"), "").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let no_asset = gate(&e.app, &e.admin, "branch=main", "").await;
    assert_eq!(no_asset.status, StatusCode::BAD_REQUEST);
    assert!(no_asset.text().contains("name the asset"));
}

async fn without_a_usable_policy_the_gate_is_a_conflict(e: &Env) {
    // No policy named in posture.toml: the gate refuses (as `posture gate` without --policy),
    // the policy endpoint says so, and triage needs no approval.
    seed(e).await;
    let a = gate(
        &e.app,
        &e.admin,
        "asset=customers&branch=feature/export",
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert_eq!(a.json()["error"]["kind"], "conflict");
    assert!(a.text().contains("no policy"), "{}", a.text());
    let p = get(&e.app, "/api/v1/policy", Some(&e.reader)).await.json();
    assert_eq!(
        (p["configured"].as_bool(), p["valid"].as_bool()),
        (Some(false), Some(false))
    );
    let critical = finding_id(e, "customers", "pyyaml");
    let t = post_json(
        &e.app,
        &format!("/api/v1/findings/{critical}/triage"),
        &e.appsec,
        json!({"state": "accepted", "reason": "later", "expires": "2026-08-01"}),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());

    // A policy that does not check: the gate and triage refuse (409) rather than guess, and
    // the policy endpoint shows every diagnostic.
    let e = e.another(|b| env_with(b, Some(BROKEN)));
    seed(&e).await;
    let a = gate(&e.app, &e.ci, "asset=customers&branch=feature/export", "").await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert!(
        a.text().contains("policy.toml has 4 errors"),
        "{}",
        a.text()
    );
    let critical = finding_id(&e, "customers", "pyyaml");
    let t = post_json(
        &e.app,
        &format!("/api/v1/findings/{critical}/triage"),
        &e.appsec,
        json!({"state": "confirmed", "reason": "seen"}),
    )
    .await;
    assert_eq!(t.status, StatusCode::CONFLICT, "{}", t.text());
    let p = get(&e.app, "/api/v1/policy", Some(&e.developer))
        .await
        .json();
    assert_eq!(
        (p["configured"].as_bool(), p["valid"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(p["diagnostics"].as_array().map(Vec::len), Some(4), "{p}");
    // Nothing was ingested by a refused gate with a report.
    let before = e.db(|s| s.findings(&Default::default()).unwrap_or_default().len());
    let a = gate(
        &e.app,
        &e.ci,
        "asset=customers&branch=b3",
        &trivy(&[("CVE-2026-4001", "urllib3", "HIGH")]),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let after = e.db(|s| s.findings(&Default::default()).unwrap_or_default().len());
    assert_eq!(before, after);
}

async fn policy_check_reports_every_position_and_the_active_policy_its_rules(e: &Env) {
    let a = raw(
        &e.app,
        Method::POST,
        "/api/v1/policy/check?name=broken.toml",
        Some(&e.appsec),
        "application/toml",
        BROKEN,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.json();
    assert_eq!(v["valid"], false);
    let found: Vec<(String, i64, i64)> = v["diagnostics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_i64().unwrap_or(0),
                d["column"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    // The same places `posture policy check` points at (crates/posture/tests/gate.rs).
    for (code, line, column) in [("P008", 4, 17), ("P006", 10, 10), ("P005", 15, 10)] {
        assert!(
            found.contains(&(code.to_string(), line, column)),
            "{code} at {line}:{column} missing in {found:?}"
        );
    }
    assert!(
        found.iter().any(|(c, l, _)| c == "P007" && *l == 9),
        "{found:?}"
    );
    assert_eq!(found.len(), 4);
    let sevrity = v["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == "P008"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(sevrity["help"], "did you mean `severity`?");
    assert!(
        v["rendered"]
            .as_str()
            .unwrap_or_default()
            .contains("--> broken.toml:4:17")
    );

    let ok = raw(
        &e.app,
        Method::POST,
        "/api/v1/policy/check",
        Some(&e.admin),
        "text/plain",
        &example_policy(),
    )
    .await
    .json();
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["rules"].as_array().map(Vec::len), Some(7));
    assert_eq!(ok["diagnostics"], json!([]));

    let active = get(&e.app, "/api/v1/policy", Some(&e.reader)).await.json();
    assert_eq!(active["valid"], true, "{active}");
    assert!(
        active["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("policy.toml")),
        "{active}"
    );
    let rules = active["rules"].as_array().cloned().unwrap_or_default();
    assert_eq!(rules.len(), 7);
    let vp = rules
        .iter()
        .find(|r| r["id"] == "customer-data-critical-needs-vp")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            vp["action"].as_str(),
            vp["mode"].as_str(),
            vp["role"].as_str()
        ),
        (Some("require_approval"), Some("enforce"), Some("vp"))
    );
    assert_eq!(vp["states"], json!(["accepted"]));
    assert!(
        vp["when"]
            .as_str()
            .unwrap_or_default()
            .contains("customer-data")
    );
    let kev = rules
        .iter()
        .find(|r| r["id"] == "kev-anywhere-log-only")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            kev["mode"].as_str(),
            kev["valid_until"].as_str(),
            kev["in_force"].as_bool()
        ),
        (Some("log-only"), Some("2027-12-31"), Some(true))
    );
    // The file on disk is read on each use: an edit shows at once.
    std::fs::write(e.config_dir.path().join("policy.toml"), BROKEN)
        .unwrap_or_else(|e| panic!("{e}"));
    let edited = get(&e.app, "/api/v1/policy", Some(&e.reader)).await.json();
    assert_eq!(edited["valid"], false);
}

/// What `posture_app` computes for the same store, as the CLI's `posture metrics` does (the
/// SLA rule from the same policy).
fn app_metrics(e: &Env, as_of: &str, team: Option<&str>, asset: Option<&str>) -> Value {
    e.db(|s| app_metrics_of(s, &e.portfolio, as_of, team, asset))
}

fn app_metrics_of(
    store: &dyn Store,
    portfolio: &posture_app::risk::RiskConfig,
    as_of: &str,
    team: Option<&str>,
    asset: Option<&str>,
) -> Value {
    let request = MetricsRequest {
        as_of: posture_app::metrics::parse_as_of(as_of).unwrap_or_else(|e| panic!("{e}")),
        days: 30,
        asset: asset.map(str::to_string),
        team: team.map(str::to_string),
    };
    let config = Some(portfolio);
    let input =
        posture_app::metrics::load(store, config, &request).unwrap_or_else(|e| panic!("{e}"));
    let policy = posture_app::policy::policy_path(None, config)
        .map(|p| posture_app::policy::load_policy(&p).unwrap_or_else(|e| panic!("{e}")));
    let rule = posture_app::policy::sla_rule(store, config, policy, &input.findings, request.as_of)
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_value(posture_app::metrics::compute(
        &input,
        rule.as_ref(),
        &request,
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn metrics_are_the_apps_and_a_developer_sees_only_their_team(e: &Env) {
    // With the example policy (its SLA rules), then without any policy.
    metrics_agree(e, true).await;
    let bare = e.another(|b| env_with(b, None));
    metrics_agree(&bare, false).await;
}

async fn metrics_agree(e: &Env, with_policy: bool) {
    {
        seed(e).await;
        customers_on_main(e).await;
        // A fix, so that MTTR has something to measure.
        upload(
            &e.app,
            &e.admin,
            "shop",
            "main",
            &trivy(&[("CVE-2026-1001", "flask", "HIGH")]),
        )
        .await;
        let admin = get(&e.app, "/api/v1/metrics?as_of=2026-06-01", Some(&e.admin)).await;
        assert_eq!(admin.status, StatusCode::OK, "{}", admin.text());
        let admin = admin.json();
        assert_eq!(admin, app_metrics(e, "2026-06-01", None, None));
        // Independent of the seam: the plain default-SLA metrics agree when no policy.
        if !with_policy {
            let plain = e.db(|s| {
                posture_app::metrics::metrics(
                    s,
                    Some(&e.portfolio),
                    &posture_app::workflow::DefaultSla,
                    &MetricsRequest {
                        as_of: posture_app::metrics::parse_as_of("2026-06-01")
                            .unwrap_or_else(|e| panic!("{e}")),
                        days: 30,
                        asset: None,
                        team: None,
                    },
                )
                .unwrap_or_else(|e| panic!("{e}"))
            });
            assert_eq!(admin, serde_json::to_value(plain).unwrap_or_default());
        }
        assert_eq!(admin["findings"], 4, "{admin}");
        assert_eq!(admin["mttr"]["overall"]["fixes"], 1, "{admin}");
        let services = |v: &Value| -> Vec<String> {
            v["density"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|d| d["service"].as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(services(&admin), vec!["customers", "shop"]);

        // The developer (team payments) gets their team's metrics without asking.
        let dev = get(
            &e.app,
            "/api/v1/metrics?as_of=2026-06-01",
            Some(&e.developer),
        )
        .await
        .json();
        assert_eq!(dev, app_metrics(e, "2026-06-01", Some("payments"), None));
        assert_eq!(dev["team"], "payments");
        assert_eq!(services(&dev), vec!["customers"], "{dev}");
        assert_eq!(dev["findings"], 2, "{dev}");
        assert!(!dev.to_string().contains("shop"), "{dev}");
        let dev_asset = get(
            &e.app,
            "/api/v1/metrics?as_of=2026-06-01&asset=customers",
            Some(&e.developer),
        )
        .await
        .json();
        assert_eq!(
            dev_asset,
            app_metrics(e, "2026-06-01", None, Some("customers"))
        );

        let bad = get(&e.app, "/api/v1/metrics?as_of=yesterday", Some(&e.admin)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        let bad = get(&e.app, "/api/v1/metrics?days=0", Some(&e.admin)).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    }
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

async fn answers_conform_to_the_openapi_document(e: &Env) {
    seed(e).await;
    let doc = get(&e.app, "/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    for (path, method) in [
        ("/api/v1/metrics", "get"),
        ("/api/v1/gate", "post"),
        ("/api/v1/policy", "get"),
        ("/api/v1/policy/check", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let gate_doc = &doc["paths"]["/api/v1/gate"]["post"];
    for p in ["asset", "branch", "baseline", "all", "format"] {
        assert!(
            gate_doc["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|x| x["name"] == p)),
            "gate parameter {p}"
        );
    }
    assert!(gate_doc["requestBody"]["content"]["multipart/form-data"].is_object());
    assert!(gate_doc["responses"]["200"]["content"]["application/sarif+json"].is_object());

    let metrics = get(&e.app, "/api/v1/metrics", Some(&e.admin)).await.json();
    conforms(&doc, "Metrics", &metrics);
    let dev = get(&e.app, "/api/v1/metrics", Some(&e.developer))
        .await
        .json();
    conforms(&doc, "Metrics", &dev);
    let failed = gate(
        &e.app,
        &e.admin,
        "asset=customers&branch=feature/export",
        "",
    )
    .await
    .json();
    assert_eq!(failed["verdict"], "failed");
    conforms(&doc, "GateOutcome", &failed);
    let sarif = gate(
        &e.app,
        &e.admin,
        "asset=customers&branch=feature/export&format=sarif",
        "",
    )
    .await
    .json();
    conforms(&doc, "SarifLog", &sarif);
    let passed = gate(&e.app, &e.admin, "asset=shop&branch=main", "")
        .await
        .json();
    conforms(&doc, "GateOutcome", &passed);
    let policy = get(&e.app, "/api/v1/policy", Some(&e.reader)).await.json();
    conforms(&doc, "PolicyView", &policy);
    let check = raw(
        &e.app,
        Method::POST,
        "/api/v1/policy/check",
        Some(&e.appsec),
        "application/toml",
        BROKEN,
    )
    .await
    .json();
    conforms(&doc, "PolicyCheck", &check);
    let forbidden = get(&e.app, "/api/v1/metrics?team=web", Some(&e.developer))
        .await
        .json();
    conforms(&doc, "ErrorBody", &forbidden);

    let e = e.another(|b| env_with(b, None));
    let conflict = gate(&e.app, &e.admin, "asset=shop", "").await.json();
    conforms(&doc, "ErrorBody", &conflict);
    let none = get(&e.app, "/api/v1/policy", Some(&e.admin)).await.json();
    conforms(&doc, "PolicyView", &none);
}

async fn the_dashboard_triage_form_asks_for_the_approver_the_policy_names(e: &Env) {
    seed(e).await;
    let critical = finding_id(e, "customers", "pyyaml");
    let cookie = sign_in(e, &e.appsec).await;
    let page = get_html(&e.app, &format!("/findings/{critical}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    // The form no longer asks who approved (issue 18: free text anyone could type).
    assert!(
        !html.contains("name=\"approver\"") && !html.contains("name=\"role\""),
        "the form has no approver's fields"
    );
    let csrf = hidden_csrf(&html);
    assert_eq!(csrf.len(), 64);
    let uri = format!("/findings/{critical}/triage");
    let accept = "state=accepted&reason=WAF+rule+42&expires=2026-08-01";

    // Approver fields typed by hand are ignored: the decision waits for the vp's approval.
    let waiting = form(
        &e.app,
        &uri,
        &cookie,
        &format!("{accept}&approver=vic&role=vp&csrf={csrf}"),
    )
    .await;
    assert_eq!(waiting.status, StatusCode::SEE_OTHER, "{}", waiting.text());
    let location = waiting.header("location");
    assert!(location.contains("pending="), "{location}");
    let untouched = e.db(|s| s.finding(critical).ok().flatten());
    assert_eq!(
        untouched
            .as_ref()
            .map(|f| (f.status.as_str(), f.triage.is_none())),
        Some(("open", true)),
        "a waiting decision records nothing on the finding"
    );
    assert!(
        !e.db(|s| s.audit_log(50).unwrap_or_default())
            .iter()
            .any(|a| a.action == "finding.triage")
    );
    let page = get_html(&e.app, &location, &cookie).await.text();
    assert!(page.contains("waits for approval"), "{page}");
    assert!(
        page.contains("Waiting for approval by the vp role"),
        "{page}"
    );
    assert!(
        !page.contains("/approve\""),
        "the requester is offered no approve button"
    );

    // Vic holds the vp role: his approvals queue and the finding's page offer Approve, and
    // his approval records the decision.
    let vic = e.person_with_role("vic", "vp", posture_store::Role::Reader, None);
    let vic_cookie = sign_in(e, &vic).await;
    let queue = get_html(&e.app, "/approvals", &vic_cookie).await;
    assert_eq!(queue.status, StatusCode::OK);
    let queue = queue.text();
    assert!(
        queue.contains(&format!("href=\"/findings/{critical}\""))
            && queue.contains("/approve\"")
            && queue.contains("You hold: vp"),
        "{queue}"
    );
    let sams_queue = get_html(&e.app, "/approvals", &cookie).await.text();
    assert!(
        sams_queue.contains(&format!("href=\"/findings/{critical}\""))
            && !sams_queue.contains("/approve\""),
        "the requester sees the request, and no Approve: {sams_queue}"
    );
    let vic_page = get_html(&e.app, &format!("/findings/{critical}"), &vic_cookie)
        .await
        .text();
    let action = vic_page
        .split("action=\"")
        .find(|rest| rest.contains("/approve\""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no approve form for vic: {vic_page}"))
        .to_string();
    let vic_csrf = hidden_csrf(&vic_page);
    let approved = form(
        &e.app,
        &action,
        &vic_cookie,
        &format!("note=seen&csrf={vic_csrf}"),
    )
    .await;
    assert_eq!(
        approved.status,
        StatusCode::SEE_OTHER,
        "{}",
        approved.text()
    );
    let f = e.db(|s| s.finding(critical).ok().flatten());
    assert_eq!(f.as_ref().map(|f| f.status.as_str()), Some("accepted"));
    let log = e.db(|s| s.audit_log(5).unwrap_or_default());
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].actor.as_str(),
            log[0].target.as_str()
        ),
        (
            "approval.approve",
            "vic",
            format!("finding {critical}").as_str()
        )
    );
    assert_eq!(
        (
            &log[0].detail["requested_by"],
            &log[0].detail["approver"],
            &log[0].detail["role"]
        ),
        (&json!("sam"), &json!("vic"), &json!("vp")),
        "{}",
        log[0].detail
    );
    // The finding's history shows who approved it.
    let page = get_html(&e.app, &format!("/findings/{critical}"), &cookie)
        .await
        .text();
    assert!(page.contains("approved by vic"), "{page}");
}

async fn reading_metrics_applies_due_expiries_and_audits_them_as_the_system(e: &Env) {
    seed(e).await;
    customers_on_main(e).await;
    let critical = finding_id(e, "customers", "pyyaml");
    accept_with_vics_approval(e, critical, "2026-06-15").await;
    let expiries = |e: &Env| {
        e.db(|s| s.audit_log(100).unwrap_or_default())
            .into_iter()
            .filter(|a| a.action == "finding.expire")
            .collect::<Vec<_>>()
    };
    // Before the expiry nothing is due: a read writes nothing.
    let before = get(&e.app, "/api/v1/metrics", Some(&e.reader)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text());
    assert_eq!(before.json()["criticals_past_sla"]["past_sla"], 0);
    assert!(expiries(e).is_empty());

    // The default SLA follows the risk band (issue 15): on this internal asset, without
    // exploitation evidence, the critical ranks P3, so its clock is 90 days.
    let shown = get(
        &e.app,
        &format!("/api/v1/findings/{critical}"),
        Some(&e.reader),
    )
    .await;
    assert_eq!(shown.json()["risk"]["band"], "P3", "{}", shown.text());
    // Later the acceptance has lapsed: the critical's SLA (90 days, paused while it was
    // accepted) runs again from 2026-06-15, so it is past SLA by 2026-10-01.
    e.clock.set(at("2026-10-01T00:00:00Z"));
    let after = get(&e.app, "/api/v1/metrics?as_of=2026-10-01", Some(&e.reader)).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text());
    let after = after.json();
    assert_eq!(after["criticals_past_sla"]["past_sla"], 1, "{after}");
    assert_eq!(
        after,
        app_metrics(e, "2026-10-01", None, None),
        "what the CLI computes after its own sweep"
    );
    // The write a reader's GET caused is on record, as the system's, naming who asked.
    let audited = expiries(e);
    assert_eq!(audited.len(), 1, "{audited:?}");
    let entry = &audited[0];
    assert_eq!(
        (entry.actor.as_str(), entry.token_id, entry.target.as_str()),
        ("posture", None, format!("finding {critical}").as_str())
    );
    assert_eq!(
        entry.detail["findings"][0]["id"], critical,
        "{}",
        entry.detail
    );
    assert_eq!(entry.detail["requested_by"], "rita", "{}", entry.detail);
    assert_eq!(
        entry.detail["via"], "GET /api/v1/metrics",
        "{}",
        entry.detail
    );
    let events = e.db(|s| {
        s.event_log(&posture_store::EventQuery {
            finding_ids: Some(vec![critical]),
            ..Default::default()
        })
        .unwrap_or_default()
    });
    let expired: Vec<_> = events.iter().filter(|x| x.kind == "expired").collect();
    assert_eq!(expired.len(), 1, "{events:?}");
    assert_eq!(expired[0].actor.as_deref(), Some("posture"));
    // The sweep is done: another read neither writes nor audits again.
    let again = get(&e.app, "/api/v1/metrics", Some(&e.developer)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(expiries(e).len(), 1);
}

/// What `posture serve` runs every minute (`governance::sweep_expiries`): a lapsed
/// acceptance is open again in the lists without any upload or metrics read.
async fn the_scheduled_sweep_reopens_lapsed_acceptances_and_audits_them(e: &Env) {
    seed(e).await;
    let critical = finding_id(e, "customers", "pyyaml");
    accept_with_vics_approval(e, critical, "2026-06-15").await;
    let sweep = |e: &Env| {
        let state = e.state.clone();
        async move {
            state
                .blocking(posture_server::governance::sweep_expiries)
                .await
                .unwrap_or_else(|err| panic!("sweep: {err}"))
        }
    };
    assert_eq!(sweep(e).await, 0, "nothing is due before the expiry");
    let status = |e: &Env| {
        e.db(move |s| s.finding(critical).ok().flatten())
            .map(|f| f.status.as_str().to_string())
    };
    assert_eq!(status(e).as_deref(), Some("accepted"));

    e.clock.set(at("2026-07-01T00:00:00Z"));
    assert_eq!(sweep(e).await, 1);
    assert_eq!(status(e).as_deref(), Some("open"));
    let audited: Vec<_> = e
        .db(|s| s.audit_log(100).unwrap_or_default())
        .into_iter()
        .filter(|a| a.action == "finding.expire")
        .collect();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].actor, "posture");
    assert_eq!(audited[0].detail["via"], "scheduled sweep");
    assert_eq!(audited[0].detail["requested_by"], Value::Null);
    assert_eq!(sweep(e).await, 0, "a second sweep finds nothing");
}

/// Issue 14, observation 4: `POST /api/v1/gate?asset=flask-ap` (a typo) passed, and unknown
/// filter values or parameters (`?sevrity=critical`) answered every open finding with 200.
async fn unknown_names_and_parameters_are_errors_not_empty_answers(e: &Env) {
    upload(
        &e.app,
        &e.ci,
        "customers",
        "main",
        &trivy(&[("CVE-2026-2001", "pyyaml", "HIGH")]),
    )
    .await;
    // The gate on a name nobody knows: 400, not "passed".
    let a = gate(&e.app, &e.admin, "asset=custmers&branch=feature/x", "").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let msg = a.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("asset `custmers` has no scans"), "{msg}");
    assert!(msg.contains("allow_new_asset=true"), "{msg}");
    // An explicit first run passes on nothing; a declared asset without scans too.
    let a = gate(
        &e.app,
        &e.admin,
        "asset=brand-new&branch=feature/x&allow_new_asset=true",
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("posture-gate-verdict"), "passed");
    let a = gate(&e.app, &e.admin, "asset=shop&branch=feature/x", "").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());

    // A misspelt parameter is named; a misspelt value of a known parameter too.
    let a = get(&e.app, "/api/v1/findings?sevrity=critical", Some(&e.admin)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert_eq!(a.json()["error"]["kind"], "bad_request");
    assert!(a.text().contains("sevrity"), "{}", a.text());
    let a = get(&e.app, "/api/v1/findings?severity=critcal", Some(&e.admin)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let a = get(&e.app, "/api/v1/findings?asset=custmers", Some(&e.admin)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert!(a.text().contains("no asset `custmers`"), "{}", a.text());
    let a = get(&e.app, "/api/v1/findings?team=paymnts", Some(&e.admin)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let a = get(
        &e.app,
        "/api/v1/metrics?asset=customers&bogus=1",
        Some(&e.admin),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    // The right names still answer.
    let a = get(
        &e.app,
        "/api/v1/findings?asset=customers&team=payments",
        Some(&e.admin),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["findings"].as_array().map(Vec::len), Some(1));
}
