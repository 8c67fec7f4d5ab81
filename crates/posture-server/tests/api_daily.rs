//! Issue 20, the API half of daily work, in process (the real router over a real store, on
//! SQLite and on PostgreSQL): search (`q`, `cve`, `package`, `path`) done by the store,
//! incremental sync (`updated_after`) and SLA filters, the component inventory, bulk triage
//! (all or nothing, through the state machine and the policy's approval rules), query
//! validation (unknown parameters and values, `limit` over the maximum), errors raised before
//! a handler runs in the documented JSON shape, the OpenAPI document's contract, the policy
//! file's path hidden from readers, and the dashboard's search box, bulk form and components
//! page, with an asset whose name holds a `/`.
//!
//! Every case runs twice, once per back end (`on_both_backends_async!`); see `common`.

#[macro_use]
mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use posture_server::ServerSettings;
use posture_store::testing::TestBackend;
use serde_json::{Value, json};

const TOML: &str = r#"
[policy]
file = "policy.toml"

[[team]]
name = "payments"
members = ["@pat"]

[[team]]
name = "web"

[[asset]]
name = "acme/payments"
team = "payments"

[[asset]]
name = "shop"
team = "web"
"#;

/// A critical's acceptance needs a security lead's approval; nothing else does.
const POLICY: &str = r#"
[[rule]]
id = "critical-acceptance-needs-lead"
when = 'finding.severity == "critical"'
action = "require_approval"
role = "security-lead"
for = ["accepted"]
"#;

/// A Trivy image report: glibc's CVE-2019-1010022 in an OS package, lodash (with its GHSA
/// alias) in the image's npm lockfile, and pyyaml in a requirements file.
fn image_report(lodash_version: &str) -> String {
    json!({
        "SchemaVersion": 2,
        "ArtifactName": "ghcr.io/acme/payments:1.0",
        "ArtifactType": "container_image",
        "Results": [
            {
                "Target": "ghcr.io/acme/payments:1.0 (debian 10.13)",
                "Class": "os-pkgs",
                "Type": "debian",
                "Vulnerabilities": [{
                    "VulnerabilityID": "CVE-2019-1010022",
                    "PkgName": "libc6",
                    "PkgIdentifier": {"PURL": "pkg:deb/debian/libc6@2.28-10?distro=debian-10"},
                    "InstalledVersion": "2.28-10",
                    "Severity": "CRITICAL",
                    "Title": "glibc: stack guard protection bypass",
                }]
            },
            {
                "Target": "app/package-lock.json",
                "Class": "lang-pkgs",
                "Type": "npm",
                "Vulnerabilities": [{
                    "VulnerabilityID": "CVE-2021-23337",
                    "VendorIDs": ["GHSA-35jh-r3h4-6jhm"],
                    "PkgName": "lodash",
                    "PkgIdentifier": {"PURL": format!("pkg:npm/lodash@{lodash_version}")},
                    "InstalledVersion": lodash_version,
                    "FixedVersion": "4.17.21",
                    "Severity": "HIGH",
                    "Title": "nodejs-lodash: command injection via template",
                }]
            },
            {
                "Target": "services/api/requirements.txt",
                "Class": "lang-pkgs",
                "Type": "pip",
                "Vulnerabilities": [{
                    "VulnerabilityID": "CVE-2020-14343",
                    "PkgName": "PyYAML",
                    "InstalledVersion": "5.3.1",
                    "FixedVersion": "5.4",
                    "Severity": "MEDIUM",
                    "Title": "PyYAML: arbitrary code execution",
                }]
            }
        ]
    })
    .to_string()
}

/// A Trivy filesystem report of the shop: lodash in another version.
fn shop_report() -> String {
    json!({
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": [{
            "Target": "web/package-lock.json",
            "Class": "lang-pkgs",
            "Type": "npm",
            "Vulnerabilities": [{
                "VulnerabilityID": "CVE-2021-23337",
                "VendorIDs": ["GHSA-35jh-r3h4-6jhm"],
                "PkgName": "lodash",
                "InstalledVersion": "4.17.4",
                "FixedVersion": "4.17.21",
                "Severity": "HIGH",
                "Title": "nodejs-lodash: command injection via template",
            }, {
                "VulnerabilityID": "CVE-2020-8203",
                "PkgName": "lodash",
                "InstalledVersion": "4.17.4",
                "FixedVersion": "4.17.19",
                "Severity": "HIGH",
                "Title": "nodejs-lodash: prototype pollution in zipObjectDeep",
            }]
        }]
    })
    .to_string()
}

fn env(backend: TestBackend) -> Env {
    common::build(
        backend,
        Setup {
            toml: TOML,
            files: vec![("policy.toml", POLICY.to_string())],
            ci_assets: &["shop"],
            settings: ServerSettings::default(),
        },
    )
}

on_both_backends_async!(
    env, env;
    search_finds_cves_aliases_packages_and_paths_in_the_store,
    unknown_parameters_values_and_limits_answer_400_naming_them,
    updated_after_and_sla_filter_in_the_api,
    the_component_inventory_says_which_assets_hold_a_package,
    bulk_triage_is_all_or_nothing_through_the_state_machine,
    bulk_triage_follows_the_approval_rules,
    errors_before_a_handler_runs_are_json_or_a_page,
    the_openapi_document_is_valid_and_matches_the_answers,
    readers_do_not_see_the_policy_files_path,
    the_dashboard_searches_triages_in_bulk_and_lists_components,
);

async fn upload(app: &Router, token: &str, asset: &str, report: &str) {
    let req = Request::post(format!(
        "/api/v1/scans?asset={}&name=trivy.json",
        asset.replace('/', "%2F")
    ))
    .header(header::AUTHORIZATION, format!("Bearer {token}"))
    .header(header::CONTENT_TYPE, "application/json")
    .body(Body::from(report.to_string()))
    .unwrap_or_else(|e| panic!("{e}"));
    let a = send(app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

async fn seed(e: &Env) {
    upload(&e.app, &e.admin, "acme/payments", &image_report("4.17.20")).await;
    upload(&e.app, &e.admin, "shop", &shop_report()).await;
}

async fn get(e: &Env, uri: &str, token: &str) -> Answer {
    call(&e.app, Method::GET, uri, Some(token), None).await
}

/// The titles of a findings page, sorted.
async fn titles(e: &Env, query: &str) -> Vec<String> {
    let a = get(e, &format!("/api/v1/findings?{query}"), &e.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{query}: {}", a.text());
    let mut t: Vec<String> = a.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            format!(
                "{} @ {}",
                f["title"].as_str().unwrap_or_default(),
                f["asset"].as_str().unwrap_or_default()
            )
        })
        .collect();
    t.sort();
    t
}

/// The id of the finding whose title starts with `title` on `asset`.
async fn id_of(e: &Env, title: &str, asset: &str) -> i64 {
    let a = get(e, "/api/v1/findings?status=all&limit=500", &e.admin).await;
    a.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .find(|f| f["title"].as_str().unwrap_or_default().starts_with(title) && f["asset"] == asset)
        .and_then(|f| f["id"].as_i64())
        .unwrap_or_else(|| panic!("no finding {title} on {asset}"))
}

async fn status_of(e: &Env, id: i64) -> String {
    get(e, &format!("/api/v1/findings/{id}"), &e.admin)
        .await
        .json()["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Issue 20: "Where do we have CVE-2019-1010022, or glibc?" had no answer; `?q=glibc` and
/// `?cve=...` answered every open finding.
async fn search_finds_cves_aliases_packages_and_paths_in_the_store(e: &Env) {
    seed(e).await;
    let glibc = vec!["glibc: stack guard protection bypass @ acme/payments".to_string()];
    assert_eq!(titles(e, "q=glibc").await, glibc);
    assert_eq!(titles(e, "q=GLIBC").await, glibc, "any case");
    assert_eq!(titles(e, "q=CVE-2019-1010022").await, glibc, "a CVE id");
    assert_eq!(titles(e, "q=cve-2019-1010022").await, glibc);
    assert_eq!(titles(e, "cve=CVE-2019-1010022").await, glibc);
    assert_eq!(
        titles(e, "q=libc6").await,
        glibc,
        "the package name (the title says glibc)"
    );
    assert_eq!(
        titles(e, "package=pkg:deb/debian/libc6").await,
        glibc,
        "a purl prefix"
    );
    // The GHSA alias finds the CVE on both assets.
    let lodash = vec![
        "nodejs-lodash: command injection via template @ acme/payments".to_string(),
        "nodejs-lodash: command injection via template @ shop".to_string(),
    ];
    assert_eq!(titles(e, "q=GHSA-35jh-r3h4-6jhm").await, lodash);
    assert_eq!(titles(e, "cve=ghsa-35jh-r3h4-6jhm").await, lodash);
    assert_eq!(
        titles(e, "cve=CVE-2021-2333").await,
        Vec::<String>::new(),
        "cve is exact"
    );
    assert_eq!(titles(e, "package=lodash").await.len(), 3);
    assert_eq!(titles(e, "package=lodash&asset=shop").await.len(), 2);
    assert_eq!(
        titles(e, "package=loda").await.len(),
        0,
        "package is the exact name"
    );
    assert_eq!(titles(e, "q=lodash&asset=acme%2Fpayments").await.len(), 1);
    // A path.
    let pyyaml = vec!["PyYAML: arbitrary code execution @ acme/payments".to_string()];
    assert_eq!(titles(e, "path=services/api").await, pyyaml);
    assert_eq!(titles(e, "q=requirements.txt").await, pyyaml);
    // Nothing matches: an empty page, not everything. LIKE's wildcards are literal.
    assert_eq!(titles(e, "q=no-such-thing").await, Vec::<String>::new());
    assert_eq!(titles(e, "q=%25").await, Vec::<String>::new());
    assert_eq!(titles(e, "q=_").await, Vec::<String>::new());
    // An empty search is no filter.
    assert_eq!(titles(e, "q=").await.len(), 5);
}

/// Issue 20: unknown parameters and values were ignored with 200; `limit=1000` silently
/// answered 500 findings.
async fn unknown_parameters_values_and_limits_answer_400_naming_them(e: &Env) {
    seed(e).await;
    for (query, names) in [
        ("sevrity=critical", "sevrity"),
        ("search=glibc", "search"),
        ("limit=1000", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("sla=late", "sla"),
        ("updated_after=yesterday", "updated_after"),
        ("category=sca2", "category"),
        ("kev=maybe", "kev"),
    ] {
        let a = get(e, &format!("/api/v1/findings?{query}"), &e.admin).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {}", a.text());
        let body = a.json();
        assert_eq!(body["error"]["kind"], "bad_request", "{query}");
        assert_eq!(body["error"]["status"], 400, "{query}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{query}: {message}");
    }
    let a = get(e, "/api/v1/findings?limit=500", &e.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    for uri in [
        "/api/v1/scans?limit=10001",
        "/api/v1/audit?limit=10001",
        "/api/v1/components?limit=501",
        "/api/v1/components?bogus=1",
    ] {
        let a = get(e, uri, &e.admin).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.text());
        assert_eq!(a.json()["error"]["kind"], "bad_request", "{uri}");
    }
    // The CLI's filters are in the API: category, kev, sla, package, cve, path.
    assert_eq!(titles(e, "category=container").await.len(), 3);
    assert_eq!(titles(e, "category=sca").await.len(), 2);
    assert_eq!(titles(e, "kev=true").await.len(), 0);
}

/// Issue 20: no `sla` or `since`/`updated_after` filters for incremental sync.
async fn updated_after_and_sla_filter_in_the_api(e: &Env) {
    seed(e).await;
    assert_eq!(titles(e, "updated_after=2026-06-01").await.len(), 5);
    assert_eq!(titles(e, "updated_after=2026-06-02").await.len(), 0);
    // A day later one finding is triaged: only it changed since then.
    e.clock.set(at("2026-06-02T09:00:00Z"));
    let pyyaml = id_of(e, "PyYAML", "acme/payments").await;
    let a = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{pyyaml}/triage"),
        Some(&e.admin),
        Some(json!({"state": "accepted", "reason": "not reachable", "expires": "2027-06-01"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        titles(e, "updated_after=2026-06-02T00:00:00Z&status=all").await,
        vec!["PyYAML: arbitrary code execution @ acme/payments".to_string()]
    );
    // SLA states now: the accepted one is paused, the four open ones within their budget
    // (7 to 180 days by band); seven months later all four are breached.
    assert_eq!(
        titles(e, "sla=paused&status=accepted").await,
        vec!["PyYAML: arbitrary code execution @ acme/payments".to_string()]
    );
    assert_eq!(titles(e, "sla=within").await.len(), 4);
    assert_eq!(titles(e, "sla=breached").await.len(), 0);
    e.clock.set(at("2027-01-01T09:00:00Z"));
    let breached = titles(e, "sla=breached").await;
    assert_eq!(breached.len(), 4, "{breached:?}");
    assert!(breached.contains(&"glibc: stack guard protection bypass @ acme/payments".to_string()));
    assert_eq!(titles(e, "sla=within,due-soon").await.len(), 0);
    assert_eq!(titles(e, "sla=paused&status=accepted").await.len(), 1);
}

/// Issue 20: no component inventory although SBOMs and package findings are stored.
async fn the_component_inventory_says_which_assets_hold_a_package(e: &Env) {
    seed(e).await;
    let a = get(e, "/api/v1/components?q=lodash", &e.admin).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let page = a.json();
    assert_eq!(page["total"], 1, "{page}");
    let lodash = &page["components"][0];
    assert_eq!(lodash["name"], "lodash");
    assert_eq!(lodash["open_findings"], 3, "{lodash}");
    assert_eq!(
        lodash["assets"],
        json!([
            {"asset": "acme/payments", "versions": ["4.17.20"], "open_findings": 1,
             "in_sbom": false, "in_findings": true},
            {"asset": "shop", "versions": ["4.17.4"], "open_findings": 2,
             "in_sbom": false, "in_findings": true},
        ])
    );
    // By purl, any case; the whole inventory, most open findings first.
    let a = get(e, "/api/v1/components?q=PKG:DEB/debian/libc6", &e.admin).await;
    assert_eq!(a.json()["components"][0]["name"], "libc6", "{}", a.text());
    let all = get(e, "/api/v1/components", &e.admin).await.json();
    let names: Vec<&str> = all["components"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["lodash", "libc6", "pyyaml"], "{all}");
    // A triaged finding is not open any more.
    let shop_lodash = id_of(e, "nodejs-lodash: prototype", "shop").await;
    let t = call(
        &e.app,
        Method::POST,
        &format!("/api/v1/findings/{shop_lodash}/triage"),
        Some(&e.admin),
        Some(json!({"state": "false-positive", "reason": "not bundled"})),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let a = get(e, "/api/v1/components?q=lodash", &e.admin).await.json();
    assert_eq!(a["components"][0]["open_findings"], 2, "{a}");
    // A developer of payments sees the payments asset only; ci reads nothing.
    let dev = get(e, "/api/v1/components?q=lodash", &e.developer)
        .await
        .json();
    assert_eq!(
        dev["components"][0]["assets"].as_array().map(Vec::len),
        Some(1),
        "{dev}"
    );
    assert_eq!(dev["components"][0]["assets"][0]["asset"], "acme/payments");
    let ci = get(e, "/api/v1/components", &e.ci).await;
    assert_eq!(ci.status, StatusCode::FORBIDDEN, "{}", ci.text());
}

async fn bulk(e: &Env, token: &str, body: Value) -> Answer {
    call(
        &e.app,
        Method::POST,
        "/api/v1/findings/triage",
        Some(token),
        Some(body),
    )
    .await
}

/// Issue 20: triage was one finding at a time.
async fn bulk_triage_is_all_or_nothing_through_the_state_machine(e: &Env) {
    seed(e).await;
    let a = id_of(e, "nodejs-lodash: command", "shop").await;
    let b = id_of(e, "nodejs-lodash: prototype", "shop").await;
    let c = id_of(e, "PyYAML", "acme/payments").await;
    // An unknown id: 404 naming it, nothing changed.
    let r = bulk(
        e,
        &e.admin,
        json!({"ids": [a, b, 999_999], "state": "false-positive", "reason": "test code"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(r.text().contains("999999"), "{}", r.text());
    assert_eq!(status_of(e, a).await, "open");
    assert_eq!(status_of(e, b).await, "open");
    // A move the state machine forbids for one of them: 400 naming it, nothing changed.
    let r = bulk(
        e,
        &e.admin,
        json!({"ids": [c], "state": "false-positive", "reason": "not used"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = bulk(
        e,
        &e.admin,
        json!({"ids": [a, c], "state": "in-progress", "reason": "upgrade planned"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains(&format!("finding {c}")), "{}", r.text());
    assert_eq!(status_of(e, a).await, "open", "all or nothing");
    assert_eq!(status_of(e, c).await, "false-positive");
    // Bad requests.
    for body in [
        json!({"ids": [], "state": "confirmed", "reason": "x"}),
        json!({"ids": [a, a], "state": "confirmed", "reason": "x"}),
        json!({"ids": [a], "state": "confirmed", "reason": " "}),
        json!({"ids": [a], "state": "fixed", "reason": "x"}),
        json!({"ids": [a], "state": "accepted", "reason": "x"}),
        json!({"ids": [a], "state": "confirmed", "reason": "x", "expires": "2026-09-01"}),
        json!({"ids": [a], "state": "confirmed", "reason": "x", "approver": "me"}),
    ] {
        let r = bulk(e, &e.admin, body.clone()).await;
        assert!(r.status.is_client_error(), "{body}: {}", r.text());
        assert!(r.json()["error"]["message"].is_string(), "{body}");
        assert_eq!(status_of(e, a).await, "open", "{body}");
    }
    // Rights: a reader may not; a developer of payments may not touch the shop's findings
    // (they answer as unknown ids).
    let r = bulk(
        e,
        &e.reader,
        json!({"ids": [a], "state": "confirmed", "reason": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = bulk(
        e,
        &e.developer,
        json!({"ids": [a], "state": "confirmed", "reason": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // The decision on both, in one answer, audited once with both ids.
    let r = bulk(
        e,
        &e.appsec,
        json!({"ids": [a, b], "state": "false-positive", "reason": "only in test fixtures"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({"decided": [a, b], "pending": []}));
    assert_eq!(status_of(e, a).await, "false-positive");
    assert_eq!(status_of(e, b).await, "false-positive");
    let events = get(e, &format!("/api/v1/findings/{b}/events"), &e.admin)
        .await
        .json();
    let last = events
        .as_array()
        .and_then(|v| v.last().cloned())
        .unwrap_or_default();
    assert_eq!(last["actor"], "sam", "{last}");
    assert_eq!(last["reason"], "only in test fixtures", "{last}");
    let audit = get(e, "/api/v1/audit", &e.admin).await.json();
    let entry = audit
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|x| x["action"] == "finding.triage" && x["detail"]["bulk"] == true)
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(entry["detail"]["ids"], json!([a, b]), "{audit}");
    assert_eq!(entry["actor"], "sam");
}

/// A decision the policy asks a role to approve becomes a pending request, as the single
/// triage does; the others are decided.
async fn bulk_triage_follows_the_approval_rules(e: &Env) {
    seed(e).await;
    let critical = id_of(e, "glibc", "acme/payments").await;
    let high = id_of(e, "nodejs-lodash: command", "acme/payments").await;
    let r = bulk(
        e,
        &e.appsec,
        json!({"ids": [critical, high], "state": "accepted", "reason": "base image update scheduled", "expires": "2026-07-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["decided"], json!([high]), "{v}");
    assert_eq!(v["pending"][0]["finding_id"], critical, "{v}");
    assert_eq!(v["pending"][0]["role"], "security-lead", "{v}");
    assert_eq!(status_of(e, critical).await, "open", "waits for approval");
    assert_eq!(status_of(e, high).await, "accepted");
    let approvals = get(e, "/api/v1/approvals", &e.admin).await.json();
    assert_eq!(approvals.as_array().map(Vec::len), Some(1), "{approvals}");
    // A second request on it while one waits: 409, nothing changed on the other.
    let other = id_of(e, "PyYAML", "acme/payments").await;
    let r = bulk(
        e,
        &e.appsec,
        json!({"ids": [other, critical], "state": "accepted", "reason": "again", "expires": "2026-07-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(status_of(e, other).await, "open");
    // The policy's cap, acceptance beyond it, etc. go through check_request as well.
}

/// Issue 20, adversarial probe: errors raised before a handler runs (a bad query value, bad
/// JSON, `abc` as an id, a wrong Content-Type) were text/plain, and the dashboard showed them
/// as bare text.
async fn errors_before_a_handler_runs_are_json_or_a_page(e: &Env) {
    seed(e).await;
    let raw = |method: Method, uri: &str, ctype: Option<&str>, body: &str| {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", e.admin));
        if let Some(c) = ctype {
            req = req.header(header::CONTENT_TYPE, c);
        }
        req.body(Body::from(body.to_string()))
            .unwrap_or_else(|err| panic!("{err}"))
    };
    for (req, status, kind) in [
        (
            raw(Method::GET, "/api/v1/findings/abc", None, ""),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            raw(Method::GET, "/api/v1/findings?limit=-1", None, ""),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/findings/triage",
                Some("application/json"),
                "{not json",
            ),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/findings/triage",
                Some("application/json"),
                r#"{"ids": [1]}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
        ),
        (
            raw(
                Method::POST,
                "/api/v1/findings/triage",
                Some("text/plain"),
                r#"{"ids": [1], "state": "confirmed", "reason": "x"}"#,
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            raw(Method::DELETE, "/api/v1/findings", None, ""),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        let what = format!("{} {}", req.method(), req.uri());
        let a = send(&e.app, req).await;
        assert_eq!(a.status, status, "{what}: {}", a.text());
        assert!(
            a.header("content-type").starts_with("application/json"),
            "{what}: {}",
            a.header("content-type")
        );
        let body = a.json();
        assert_eq!(body["error"]["kind"], kind, "{what}: {body}");
        assert_eq!(body["error"]["status"], status.as_u16(), "{what}");
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{what}"
        );
    }
    let a = send(&e.app, raw(Method::GET, "/api/v1/findings/abc", None, "")).await;
    let message = a.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("abc"), "{message}");
    // The dashboard: an error page in the dashboard's frame, not bare text.
    let cookie = sign_in(e, &e.admin).await;
    let page = get_html(&e.app, "/findings/abc", &cookie).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.header("content-type").starts_with("text/html"),
        "{}",
        page.header("content-type")
    );
    assert!(page.text().contains("<!doctype html>"), "{}", page.text());
    assert!(page.text().contains("abc"), "{}", page.text());
}

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

/// Issue 20: the OpenAPI document failed openapi-spec-validator ("'description' is a required
/// property": 34 of 75 responses), and declared the raw upload body an array of int32.
async fn the_openapi_document_is_valid_and_matches_the_answers(e: &Env) {
    seed(e).await;
    let doc = call(&e.app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let mut responses = 0;
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for (method, op) in item.as_object().cloned().unwrap_or_default() {
            for (status, r) in op["responses"].as_object().cloned().unwrap_or_default() {
                responses += 1;
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
    assert!(responses > 75, "{responses}");
    let raw = &doc["paths"]["/api/v1/scans"]["post"]["requestBody"]["content"]["application/octet-stream"]
        ["schema"];
    assert_eq!(raw["type"], "string", "{raw}");
    assert_eq!(raw["format"], "binary", "{raw}");
    for (path, method) in [
        ("/api/v1/findings/triage", "post"),
        ("/api/v1/components", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/findings"]["get"]["parameters"]
        .as_array()
        .map(|p| p.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    for p in [
        "q",
        "cve",
        "package",
        "path",
        "updated_after",
        "sla",
        "category",
        "kev",
    ] {
        assert!(params.contains(&p), "findings parameter {p}: {params:?}");
    }
    // The answers match their schemas.
    let page = get(e, "/api/v1/components?q=lodash", &e.admin).await.json();
    conforms(&doc, "ComponentPage", &page);
    let a = id_of(e, "nodejs-lodash: command", "shop").await;
    let r = bulk(
        e,
        &e.admin,
        json!({"ids": [a], "state": "confirmed", "reason": "seen in prod"}),
    )
    .await
    .json();
    conforms(&doc, "BulkTriageOutcome", &r);
    let found = get(e, "/api/v1/findings?q=glibc", &e.admin).await.json();
    conforms(&doc, "FindingPage", &found);
    let error = get(e, "/api/v1/findings?limit=1000", &e.admin).await.json();
    conforms(&doc, "ErrorBody", &error);
    // The validator itself, when CI provides it (scripts/test.sh installs it from PyPI).
    validate_with_openapi_spec_validator(&doc);
}

/// Runs openapi-spec-validator on the document when `POSTURE_OPENAPI_VALIDATOR` names it
/// (scripts/test.sh sets it; required there), else when it is on the PATH; skips with a
/// notice otherwise.
fn validate_with_openapi_spec_validator(doc: &Value) {
    let program = std::env::var("POSTURE_OPENAPI_VALIDATOR")
        .ok()
        .filter(|p| !p.is_empty());
    let required = program.is_some();
    let program = program.unwrap_or_else(|| "openapi-spec-validator".to_string());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
    match std::process::Command::new(&program).arg(&file).output() {
        Ok(out) => assert!(
            out.status.success(),
            "openapi-spec-validator refuses the document:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(err) if !required => {
            eprintln!("NOTICE: openapi-spec-validator not found ({err}): its run is SKIPPED");
        }
        Err(err) => panic!("POSTURE_OPENAPI_VALIDATOR={program} cannot run: {err}"),
    }
}

/// Issue 20: `GET /api/v1/policy` showed readers the server's absolute path of the file.
async fn readers_do_not_see_the_policy_files_path(e: &Env) {
    let dir = e.config_dir.path().display().to_string();
    let reader = get(e, "/api/v1/policy", &e.reader).await;
    assert_eq!(reader.status, StatusCode::OK, "{}", reader.text());
    assert_eq!(reader.json()["file"], "policy.toml");
    assert!(!reader.text().contains(&dir), "{}", reader.text());
    let admin = get(e, "/api/v1/policy", &e.admin).await.json();
    assert!(
        admin["file"]
            .as_str()
            .is_some_and(|f| f.starts_with(&dir) && f.ends_with("policy.toml")),
        "{admin}"
    );
    // A broken policy's diagnostics name the file, not the directory.
    std::fs::write(e.config_dir.path().join("policy.toml"), "[[rule]]\nid = ")
        .unwrap_or_else(|err| panic!("{err}"));
    let reader = get(e, "/api/v1/policy", &e.reader).await;
    assert_eq!(reader.json()["valid"], false, "{}", reader.text());
    assert!(!reader.text().contains(&dir), "{}", reader.text());
}

/// Issue 20: no search box, no bulk triage and no components in the dashboard; names with `/`
/// gave broken links.
async fn the_dashboard_searches_triages_in_bulk_and_lists_components(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let list = get_html(&e.app, "/findings?sort=risk&q=lodash", &cookie).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let html = list.text();
    assert!(html.contains(r#"name="q""#), "a search box");
    assert!(html.contains(r#"value="lodash""#), "the search is kept");
    assert_eq!(html.matches("nodejs-lodash").count(), 3, "{html}");
    assert!(!html.contains("glibc"), "{html}");
    assert_eq!(
        html.matches(r#"form="bulk-triage""#).count(),
        3,
        "a checkbox per row"
    );
    assert!(html.contains(r#"action="/findings/triage""#));
    let csrf = hidden_csrf(&html);
    let a = id_of(e, "nodejs-lodash: command", "shop").await;
    let b = id_of(e, "nodejs-lodash: prototype", "shop").await;
    let posted = form(
        &e.app,
        "/findings/triage",
        &cookie,
        &format!(
            "csrf={csrf}&back=%2Ffindings%3Fq%3Dlodash&ids={a}&ids={b}&state=in-progress&reason=upgrading+lodash&expires="
        ),
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    let to = posted.header("location");
    assert!(to.starts_with("/findings?q=lodash"), "{to}");
    assert!(to.contains("decided=2"), "{to}");
    assert_eq!(status_of(e, a).await, "in-progress");
    assert_eq!(status_of(e, b).await, "in-progress");
    let after = get_html(&e.app, &to, &cookie).await.text();
    assert!(
        after.contains("Decision recorded on 2 finding(s)."),
        "{after}"
    );
    // A refused bulk decision changes nothing and says why on a page.
    let refused = form(
        &e.app,
        "/findings/triage",
        &cookie,
        &format!("csrf={csrf}&ids={a}&ids=999999&state=confirmed&reason=x"),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.text());
    assert!(refused.text().contains("999999"));
    assert_eq!(status_of(e, a).await, "in-progress");
    // Without the CSRF token: refused.
    let forged = form(
        &e.app,
        "/findings/triage",
        &cookie,
        &format!("ids={a}&state=open&reason=x"),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(e, a).await, "in-progress");
    // A reader gets no bulk form.
    let reader = sign_in(e, &e.reader).await;
    let html = get_html(&e.app, "/findings?sort=risk", &reader)
        .await
        .text();
    assert!(!html.contains("bulk-triage"), "{html}");
    // The components page: searched, with links that survive a `/` in the asset's name.
    let page = get_html(&e.app, "/components?q=lodash", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("4.17.20") && html.contains("4.17.4"),
        "{html}"
    );
    assert!(html.contains(r#"href="/assets/acme%2Fpayments""#), "{html}");
    assert!(
        html.contains("/findings?asset=acme%2Fpayments&amp;q=lodash"),
        "{html}"
    );
    assert!(!html.contains("libc6"), "{html}");
}
