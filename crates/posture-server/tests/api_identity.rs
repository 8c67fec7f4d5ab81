//! Identity and four eyes (issue 18), through HTTP against the real router, on both back ends:
//! rights belong to the grant (a token's teams, revocation, memberships listed and removed,
//! another team's finding answers 404 like an unknown one, developers see their own teams);
//! VEX uploaded without the triage right is a suggestion, never a decision (the ci-token
//! bypass of the gate); a decision the policy says needs a role's approval waits until a
//! holder of the role approves it under their own identity; tokens belong to a person or a
//! service account and expire by default.
//!
//! Every case runs twice, once per back end (`on_both_backends_async!`); see `common` for why
//! the cases are not `#[tokio::test]`.

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

const PORTFOLIO: &str = r#"
[policy]
file = "policy.toml"

[[team]]
name = "payments"

[[team]]
name = "identity"

[[asset]]
name = "payments-api"
team = "payments"
data = ["customer-data"]

[[asset]]
name = "identity-api"
team = "identity"
tags = ["production"]
"#;

/// The issue's policy: highs need an appsec lead's approval to be accepted, for 90 days at
/// most; highs of production assets block the gate.
const POLICY: &str = r#"
[[rule]]
id = "high-needs-appsec-lead"
when = 'finding.severity_rank >= 3'
action = "require_approval"
role = "appsec-lead"
for = ["accepted"]
max_days = 90

[[rule]]
id = "prod-high-blocks"
when = 'finding.severity_rank >= 3 && "production" in asset.tags'
action = "block"
"#;

fn env(backend: TestBackend) -> Env {
    common::build(
        backend,
        Setup {
            toml: PORTFOLIO,
            files: vec![("policy.toml", POLICY.to_string())],
            ci_assets: &["identity-api"],
            settings: ServerSettings::default(),
        },
    )
}

on_both_backends_async!(
    env, env;
    a_token_carries_its_own_teams_and_revoking_it_takes_them_away,
    memberships_are_listed_and_removed,
    another_teams_finding_is_404_like_an_unknown_one_and_teams_are_scoped,
    vex_from_a_ci_token_is_a_suggestion_and_never_passes_the_gate,
    vex_never_overrides_a_person_and_every_change_is_audited,
    an_acceptance_waits_for_an_appsec_lead_to_approve_it,
    a_rejected_request_changes_nothing_and_roles_are_for_people,
    tokens_belong_to_someone_and_expire_by_default,
);

/// A Trivy report of `(cve, package, severity)` vulnerabilities.
fn trivy(vulns: &[(&str, &str, &str)]) -> String {
    let items: Vec<Value> = vulns
        .iter()
        .map(|(cve, pkg, sev)| {
            json!({
                "VulnerabilityID": cve, "PkgName": pkg, "InstalledVersion": "1.0.0",
                "FixedVersion": "1.0.1", "Severity": sev,
                "Title": format!("{pkg}: {} flaw", sev.to_ascii_lowercase()),
            })
        })
        .collect();
    json!({
        "SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
        "Results": [{
            "Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip",
            "Vulnerabilities": items,
        }]
    })
    .to_string()
}

/// An OpenVEX document saying the product is not affected by these vulnerabilities.
fn openvex_not_affected(cves: &[&str]) -> String {
    let statements: Vec<Value> = cves
        .iter()
        .map(|cve| {
            json!({
                "vulnerability": {"name": cve},
                "products": [{"@id": "pkg:oci/identity-api"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            })
        })
        .collect();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "a pipeline",
        "timestamp": "2026-05-30T00:00:00Z",
        "version": 1,
        "statements": statements,
    })
    .to_string()
}

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

async fn get(e: &Env, uri: &str, token: &str) -> Answer {
    call(&e.app, Method::GET, uri, Some(token), None).await
}

async fn post(e: &Env, uri: &str, token: &str, body: Value) -> Answer {
    call(&e.app, Method::POST, uri, Some(token), Some(body)).await
}

async fn upload(e: &Env, token: &str, asset: &str, name: &str, report: &str) -> Answer {
    raw(
        &e.app,
        Method::POST,
        &format!("/api/v1/scans?asset={asset}&name={name}"),
        Some(token),
        "application/json",
        report,
    )
    .await
}

/// A high and a critical on each asset.
async fn seed(e: &Env) {
    for asset in ["payments-api", "identity-api"] {
        let a = upload(
            e,
            &e.admin,
            asset,
            "trivy.json",
            &trivy(&[
                ("CVE-2026-0001", "pyyaml", "HIGH"),
                ("CVE-2026-0002", "idna", "CRITICAL"),
            ]),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    }
}

fn finding_id(e: &Env, asset: &str, cve: &str) -> i64 {
    e.db(|s| s.findings(&Default::default()).unwrap_or_default())
        .iter()
        .find(|f| {
            f.asset == asset
                && f.occurrences
                    .iter()
                    .any(|o| o.data.vulnerability_ids.iter().any(|v| v == cve))
        })
        .map(|f| f.id)
        .unwrap_or_else(|| panic!("no finding {cve} in {asset}"))
}

fn status_of(e: &Env, id: i64) -> String {
    e.db(move |s| s.finding(id).ok().flatten())
        .map(|f| f.status.as_str().to_string())
        .unwrap_or_default()
}

fn audit_actions(e: &Env) -> Vec<posture_store::AuditRecord> {
    e.db(|s| s.audit_log(500).unwrap_or_default())
}

/// Observation: a temporary developer token for team identity gave the user's existing
/// payments token read and triage on identity's findings, and revoking the temporary token did
/// not take it back.
async fn a_token_carries_its_own_teams_and_revoking_it_takes_them_away(e: &Env) {
    seed(e).await;
    let identity_high = finding_id(e, "identity-api", "CVE-2026-0001");
    let uri = format!("/api/v1/findings/{identity_high}");
    // `dev` holds a payments token (the environment's developer).
    assert_eq!(
        get(e, &uri, &e.developer).await.status,
        StatusCode::NOT_FOUND
    );
    let temporary = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "developer", "user": "dev", "team": "identity", "name": "temporary"}),
    )
    .await;
    assert_eq!(temporary.status, StatusCode::OK, "{}", temporary.text());
    let temporary = temporary.json();
    let temp_token = temporary["token"].as_str().unwrap_or_default().to_string();
    let temp_id = temporary["record"]["id"].as_i64().unwrap_or_default();
    assert_eq!(temporary["record"]["teams"], json!(["identity"]));
    // The temporary token reads identity's finding; the payments token still does not.
    assert_eq!(get(e, &uri, &temp_token).await.status, StatusCode::OK);
    assert_eq!(
        get(e, &uri, &e.developer).await.status,
        StatusCode::NOT_FOUND,
        "the payments token gained nothing"
    );
    let me = get(e, "/api/v1/me", &e.developer).await.json();
    assert_eq!(me["teams"], json!(["payments"]), "{me}");
    let triage = post(
        e,
        &format!("{uri}/triage"),
        &e.developer,
        json!({"state": "confirmed", "reason": "mine now?"}),
    )
    .await;
    assert_eq!(triage.status, StatusCode::NOT_FOUND, "{}", triage.text());
    // The token list shows each token's own teams.
    let tokens = get(e, "/api/v1/tokens", &e.admin).await.json();
    let teams_of = |name: &str| {
        tokens
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .find(|t| t["user"] == "dev" && t["name"] == name)
            .map(|t| t["teams"].clone())
    };
    assert_eq!(teams_of("developer token"), Some(json!(["payments"])));
    assert_eq!(teams_of("temporary"), Some(json!(["identity"])));

    // Revoked: the temporary token is dead, the membership it brought ends with it.
    let revoked = call(
        &e.app,
        Method::DELETE,
        &format!("/api/v1/tokens/{temp_id}"),
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        get(e, &uri, &temp_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(e, &uri, &e.developer).await.status,
        StatusCode::NOT_FOUND
    );
    let members = get(e, "/api/v1/teams/identity/members", &e.admin).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.text());
    assert_eq!(members.json(), json!([]), "dev is no longer in identity");
    assert_eq!(
        get(e, "/api/v1/teams/payments/members", &e.admin)
            .await
            .json(),
        json!(["dev"])
    );
}

async fn memberships_are_listed_and_removed(e: &Env) {
    seed(e).await;
    let payments_high = finding_id(e, "payments-api", "CVE-2026-0001");
    let uri = format!("/api/v1/findings/{payments_high}");
    assert_eq!(get(e, &uri, &e.developer).await.status, StatusCode::OK);
    // Listing and changing memberships is an admin's.
    for token in [&e.appsec, &e.developer, &e.reader, &e.ci] {
        let a = get(e, "/api/v1/teams/payments/members", token).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
        let a = call(
            &e.app,
            Method::DELETE,
            "/api/v1/teams/payments/members/dev",
            Some(token),
            None,
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        get(e, "/api/v1/teams/payments/members", &e.admin)
            .await
            .json(),
        json!(["dev"])
    );
    let removed = call(
        &e.app,
        Method::DELETE,
        "/api/v1/teams/payments/members/dev",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    assert_eq!(removed.json(), json!([]));
    // The token names payments, but its user is no longer a member: it acts for no team.
    assert_eq!(
        get(e, &uri, &e.developer).await.status,
        StatusCode::NOT_FOUND
    );
    let me = get(e, "/api/v1/me", &e.developer).await.json();
    assert_eq!(me["teams"], json!([]), "{me}");
    let list = get(e, "/api/v1/findings?status=all", &e.developer)
        .await
        .json();
    assert_eq!(list["findings"], json!([]), "{list}");
    // Removing it again: nothing to remove.
    let again = call(
        &e.app,
        Method::DELETE,
        "/api/v1/teams/payments/members/dev",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    // An admin records it again: the token acts for payments again.
    let added = call(
        &e.app,
        Method::PUT,
        "/api/v1/teams/payments/members/dev",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    assert_eq!(get(e, &uri, &e.developer).await.status, StatusCode::OK);
    let log = audit_actions(e);
    assert!(
        log.iter()
            .any(|a| a.action == "team.member.remove" && a.detail["user"] == "dev"),
        "{log:?}"
    );
    assert!(log.iter().any(|a| a.action == "team.member.add"));
}

/// Observation: a 403 for another team's finding named its asset (an unknown id gave 404),
/// and `/api/v1/teams` listed every team's members and assets to any developer.
async fn another_teams_finding_is_404_like_an_unknown_one_and_teams_are_scoped(e: &Env) {
    seed(e).await;
    let theirs = finding_id(e, "identity-api", "CVE-2026-0002");
    let unknown = 999_999;
    for suffix in ["", "/explain", "/events"] {
        let a = get(
            e,
            &format!("/api/v1/findings/{theirs}{suffix}"),
            &e.developer,
        )
        .await;
        let b = get(
            e,
            &format!("/api/v1/findings/{unknown}{suffix}"),
            &e.developer,
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{suffix}: {}", a.text());
        assert_eq!(b.status, StatusCode::NOT_FOUND);
        assert!(!a.text().contains("identity"), "{}", a.text());
        let (mut a, mut b) = (a.json(), b.json());
        a["error"]["message"] = json!(
            a["error"]["message"]
                .as_str()
                .map(|m| m.replace(&format!("id {theirs}"), "id ID"))
        );
        b["error"]["message"] = json!(
            b["error"]["message"]
                .as_str()
                .map(|m| m.replace(&format!("id {unknown}"), "id ID"))
        );
        assert_eq!(a, b, "the same answer as for an unknown id");
    }
    let a = post(
        e,
        &format!("/api/v1/findings/{theirs}/triage"),
        &e.developer,
        json!({"state": "confirmed", "reason": "probe"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains("identity"), "{}", a.text());
    // The dashboard too: the finding page and another team's page are "not found".
    let cookie = sign_in(e, &e.developer).await;
    let page = get_html(&e.app, &format!("/findings/{theirs}"), &cookie).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.text().contains("identity-api"));
    let team = get_html(&e.app, "/teams/identity", &cookie).await;
    assert_eq!(team.status, StatusCode::NOT_FOUND);
    assert!(!team.text().contains("identity-api"), "{}", team.text());
    let asset = get_html(&e.app, "/assets/identity-api", &cookie).await;
    assert_eq!(asset.status, StatusCode::NOT_FOUND);
    // Developers see their own teams; those who read everything see every team.
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        names(get(e, "/api/v1/teams", &e.developer).await.json()),
        vec!["payments"]
    );
    let all = get(e, "/api/v1/teams", &e.reader).await.json();
    assert_eq!(names(all), vec!["identity", "payments"]);
}

async fn gate(e: &Env, token: &str) -> Value {
    let a = raw(
        &e.app,
        Method::POST,
        "/api/v1/gate?asset=identity-api&all=true",
        Some(token),
        "application/json",
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.json()
}

/// Observation: an OpenVEX file uploaded by a ci token set findings to not-affected and turned
/// a failing gate into a pass; the audit log showed only `scan.upload`.
async fn vex_from_a_ci_token_is_a_suggestion_and_never_passes_the_gate(e: &Env) {
    seed(e).await;
    let before = gate(e, &e.ci).await;
    assert_eq!(before["verdict"], "failed", "{before}");
    assert_eq!(before["blocked"], 2, "{before}");
    // The ci token may not triage...
    let high = finding_id(e, "identity-api", "CVE-2026-0001");
    let critical = finding_id(e, "identity-api", "CVE-2026-0002");
    let a = post(
        e,
        &format!("/api/v1/findings/{high}/triage"),
        &e.ci,
        json!({"state": "not-affected", "reason": "trust me"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // ...nor through VEX: its document is held as a suggestion.
    let vex = openvex_not_affected(&["CVE-2026-0001", "CVE-2026-0002"]);
    let up = upload(e, &e.ci, "identity-api", "self.openvex.json", &vex).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text());
    let summary = up.json();
    assert_eq!(summary["reports"][0]["vex"]["held"], 2, "{summary}");
    assert_eq!(summary["reports"][0]["vex"]["not_affected"], 0, "{summary}");
    assert_eq!(status_of(e, high), "open");
    assert_eq!(status_of(e, critical), "open");
    let after = gate(e, &e.ci).await;
    assert_eq!(after["verdict"], "failed", "{after}");
    assert_eq!(after["blocked"], 2, "{after}");
    let log = audit_actions(e);
    let suggested: Vec<_> = log.iter().filter(|a| a.action == "vex.suggest").collect();
    assert_eq!(suggested.len(), 1, "{log:?}");
    assert_eq!(suggested[0].actor, "pipeline");
    assert!(!log.iter().any(|a| a.action == "vex.apply"));

    // Shown through the API to those who may read the asset, applicable by a triager.
    let list = get(e, "/api/v1/vex-suggestions", &e.appsec).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let s = &list[0];
    assert_eq!(
        (&s["asset"], &s["report"], &s["uploaded_by"], &s["status"]),
        (
            &json!("identity-api"),
            &json!("self.openvex.json"),
            &json!("pipeline"),
            &json!("pending")
        )
    );
    assert_eq!(s["statements"].as_array().map(Vec::len), Some(2), "{s}");
    let id = s["id"].as_i64().unwrap_or_default();
    // Neither the ci token nor the developer of another team applies it.
    let ci_apply = post(
        e,
        &format!("/api/v1/vex-suggestions/{id}/apply"),
        &e.ci,
        json!({}),
    )
    .await;
    assert_eq!(
        ci_apply.status,
        StatusCode::FORBIDDEN,
        "{}",
        ci_apply.text()
    );
    let dev_apply = post(
        e,
        &format!("/api/v1/vex-suggestions/{id}/apply"),
        &e.developer,
        json!({}),
    )
    .await;
    assert_eq!(dev_apply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(e, "/api/v1/vex-suggestions", &e.developer).await.json(),
        json!([])
    );
    // An appsec engineer applies it: now it is their decision, audited with the document.
    let applied = post(
        e,
        &format!("/api/v1/vex-suggestions/{id}/apply"),
        &e.appsec,
        json!({}),
    )
    .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.text());
    let applied = applied.json();
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["decided_by"], "sam");
    assert_eq!(applied["outcome"]["not_affected"], 2, "{applied}");
    assert_eq!(status_of(e, high), "not-affected");
    let log = audit_actions(e);
    let entry = log
        .iter()
        .find(|a| a.action == "vex.apply")
        .unwrap_or_else(|| panic!("no vex.apply in {log:?}"));
    assert_eq!(entry.actor, "sam");
    assert_eq!(entry.detail["report"], "self.openvex.json");
    assert_eq!(entry.detail["uploaded_by"], "pipeline");
    assert_eq!(
        entry.detail["changes"].as_array().map(Vec::len),
        Some(2),
        "{}",
        entry.detail
    );
    // Applied once only.
    let twice = post(
        e,
        &format!("/api/v1/vex-suggestions/{id}/apply"),
        &e.appsec,
        json!({}),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

async fn vex_never_overrides_a_person_and_every_change_is_audited(e: &Env) {
    seed(e).await;
    let high = finding_id(e, "identity-api", "CVE-2026-0001");
    let critical = finding_id(e, "identity-api", "CVE-2026-0002");
    let confirmed = post(
        e,
        &format!("/api/v1/findings/{high}/triage"),
        &e.appsec,
        json!({"state": "confirmed", "reason": "reachable from the login form"}),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text());
    // An appsec engineer (who may triage) uploads VEX: applied at once, but never over the
    // person's `confirmed`.
    let vex = openvex_not_affected(&["CVE-2026-0001", "CVE-2026-0002"]);
    let up = upload(e, &e.appsec, "identity-api", "vendor.openvex.json", &vex).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text());
    let v = up.json();
    assert_eq!(v["reports"][0]["vex"]["not_affected"], 1, "{v}");
    assert_eq!(v["reports"][0]["vex"]["kept"], 1, "{v}");
    assert_eq!(
        status_of(e, high),
        "confirmed",
        "the person's decision stands"
    );
    assert_eq!(status_of(e, critical), "not-affected");
    let log = audit_actions(e);
    let entry = log
        .iter()
        .find(|a| a.action == "vex.apply")
        .unwrap_or_else(|| panic!("no vex.apply in {log:?}"));
    assert_eq!(entry.actor, "sam");
    assert_eq!(entry.detail["report"], "vendor.openvex.json");
    assert_eq!(entry.detail["changes"][0]["finding_id"], critical);
    assert_eq!(entry.detail["changes"][0]["to"], "not-affected");
}

/// The observation: with `require_approval` role `appsec-lead` on highs, a developer sent
/// `{"state": "accepted", "expires": "2030-01-01", "approver": "carol", "role": "appsec-lead"}`
/// and the finding was accepted until 2030.
async fn an_acceptance_waits_for_an_appsec_lead_to_approve_it(e: &Env) {
    seed(e).await;
    let high = finding_id(e, "payments-api", "CVE-2026-0001");
    let triage = format!("/api/v1/findings/{high}/triage");
    let observed = post(
        e,
        &triage,
        &e.developer,
        json!({"state": "accepted", "reason": "later", "expires": "2030-01-01",
               "approver": "carol", "role": "appsec-lead"}),
    )
    .await;
    assert_eq!(
        observed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        observed.text()
    );
    assert!(observed.text().contains("does not name its approver"));
    assert_eq!(status_of(e, high), "open");
    // The policy caps an acceptance at 90 days.
    let too_long = post(
        e,
        &triage,
        &e.developer,
        json!({"state": "accepted", "reason": "later", "expires": "2030-01-01"}),
    )
    .await;
    assert_eq!(
        too_long.status,
        StatusCode::BAD_REQUEST,
        "{}",
        too_long.text()
    );
    assert!(
        too_long.text().contains("caps an acceptance at 90 days"),
        "{}",
        too_long.text()
    );
    // Within the cap: a pending request, and the finding stays open.
    let requested = post(
        e,
        &triage,
        &e.developer,
        json!({"state": "accepted", "reason": "fix planned in Q3", "expires": "2026-08-01"}),
    )
    .await;
    assert_eq!(
        requested.status,
        StatusCode::ACCEPTED,
        "{}",
        requested.text()
    );
    let request = requested.json();
    assert_eq!(
        (
            &request["status"],
            &request["role"],
            &request["requested_by"]
        ),
        (&json!("pending"), &json!("appsec-lead"), &json!("dev"))
    );
    assert_eq!(request["rule_id"], "high-needs-appsec-lead");
    assert_eq!(request["you_may_decide"], false);
    let id = request["id"].as_i64().unwrap_or_default();
    assert_eq!(status_of(e, high), "open");
    let f = get(e, &format!("/api/v1/findings/{high}"), &e.developer)
        .await
        .json();
    assert_eq!(f["status"], "open", "{f}");
    // A second request for the same finding waits for the first.
    let second = post(
        e,
        &triage,
        &e.appsec,
        json!({"state": "accepted", "reason": "again", "expires": "2026-08-01"}),
    )
    .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text());

    let approve = format!("/api/v1/approvals/{id}/approve");
    // Nobody holds appsec-lead yet: not the appsec engineer, not the admin.
    for token in [&e.appsec, &e.admin] {
        let a = post(e, &approve, token, json!({})).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
        assert!(a.text().contains("appsec-lead"), "{}", a.text());
    }
    // The requester never approves their own, even holding the role.
    e.db(|s| s.grant_user_role("dev", "appsec-lead", "test", at(NOW)))
        .unwrap_or_else(|err| panic!("{err}"));
    let own = post(e, &approve, &e.developer, json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.text());
    assert!(own.text().contains("own request"), "{}", own.text());
    assert_eq!(status_of(e, high), "open");

    // Lee holds appsec-lead (a reader token is enough to approve): the queue shows what Lee
    // approves.
    let lee = e.person_with_role("lee", "appsec-lead", Role::Reader, None);
    let queue = get(e, "/api/v1/approvals", &lee).await.json();
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    assert!(
        queue[0]["finding_title"]
            .as_str()
            .is_some_and(|t| t.contains("pyyaml")),
        "{queue}"
    );
    assert_eq!(queue[0]["asset"], "payments-api");
    assert_eq!(queue[0]["severity"], "high");
    assert_eq!(queue[0]["you_may_decide"], true);
    let approved = post(e, &approve, &lee, json!({"note": "Q3 plan seen"})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let approved = approved.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], "lee");
    assert_eq!(status_of(e, high), "accepted");
    let decision = e
        .db(move |s| s.decision(high).ok().flatten())
        .unwrap_or_else(|| panic!("no decision"));
    assert_eq!(
        (
            decision.actor.as_deref(),
            decision.approver.as_deref(),
            decision.role.as_deref()
        ),
        (Some("dev"), Some("lee"), Some("appsec-lead"))
    );
    let log = audit_actions(e);
    let requested = log
        .iter()
        .find(|a| a.action == "approval.request")
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(requested.actor, "dev");
    let approval = log
        .iter()
        .find(|a| a.action == "approval.approve")
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(approval.actor, "lee");
    assert_eq!(approval.detail["requested_by"], "dev");
    assert_eq!(approval.detail["role"], "appsec-lead");
    assert_eq!(approval.detail["note"], "Q3 plan seen");
    // Decided once only.
    let again = post(e, &approve, &lee, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

async fn a_rejected_request_changes_nothing_and_roles_are_for_people(e: &Env) {
    seed(e).await;
    let critical = finding_id(e, "payments-api", "CVE-2026-0002");
    let requested = post(
        e,
        &format!("/api/v1/findings/{critical}/triage"),
        &e.appsec,
        json!({"state": "accepted", "reason": "vendor patch due", "expires": "2026-07-01"}),
    )
    .await;
    assert_eq!(
        requested.status,
        StatusCode::ACCEPTED,
        "{}",
        requested.text()
    );
    let id = requested.json()["id"].as_i64().unwrap_or_default();
    // An admin makes Lee an appsec lead through the API (a person with a token of their own).
    let created = post(
        e,
        "/api/v1/users",
        &e.admin,
        json!({"name": "lee", "roles": ["appsec-lead"]}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    assert_eq!(created.json()["roles"], json!(["appsec-lead"]));
    let token = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "reader", "user": "lee", "name": "lee"}),
    )
    .await
    .json();
    let lee = token["token"].as_str().unwrap_or_default().to_string();
    let rejected = post(
        e,
        &format!("/api/v1/approvals/{id}/reject"),
        &lee,
        json!({"note": "no patch date"}),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
    assert_eq!(rejected.json()["status"], "rejected");
    assert_eq!(status_of(e, critical), "open");
    assert!(
        audit_actions(e)
            .iter()
            .any(|a| a.action == "approval.reject" && a.actor == "lee")
    );
    assert_eq!(
        get(e, "/api/v1/approvals", &lee).await.json(),
        json!([]),
        "nothing pending"
    );
    assert_eq!(
        get(e, "/api/v1/approvals?status=rejected", &lee)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // A service account holds no approval role; users are an admin's to manage.
    let service = call(
        &e.app,
        Method::PUT,
        "/api/v1/users/pipeline/roles/appsec-lead",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(
        service.status,
        StatusCode::BAD_REQUEST,
        "{}",
        service.text()
    );
    let users = get(e, "/api/v1/users", &e.appsec).await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);
    let users = get(e, "/api/v1/users", &e.admin).await.json();
    let kind = |name: &str| {
        users
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .find(|u| u["name"] == name)
            .map(|u| u["kind"].clone())
    };
    assert_eq!(kind("pipeline"), Some(json!("service")));
    assert_eq!(kind("lee"), Some(json!("person")));
    // Taking the role away: Lee approves nothing any more.
    let again = post(
        e,
        &format!("/api/v1/findings/{critical}/triage"),
        &e.appsec,
        json!({"state": "accepted", "reason": "second try", "expires": "2026-07-01"}),
    )
    .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text());
    let id = again.json()["id"].as_i64().unwrap_or_default();
    let taken = call(
        &e.app,
        Method::DELETE,
        "/api/v1/users/lee/roles/appsec-lead",
        Some(&e.admin),
        None,
    )
    .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text());
    let refused = post(
        e,
        &format!("/api/v1/approvals/{id}/approve"),
        &lee,
        json!({}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert_eq!(status_of(e, critical), "open");
}

async fn tokens_belong_to_someone_and_expire_by_default(e: &Env) {
    let made = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "reader", "user": "rita", "name": "laptop"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    let record = &made.json()["record"];
    assert_eq!(record["owner_kind"], "person");
    assert_eq!(
        record["expires_at"], "2026-08-30T12:00:00Z",
        "90 days unless said"
    );
    let never = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "reader", "user": "rita", "name": "kiosk", "expires": "never"}),
    )
    .await;
    assert_eq!(never.status, StatusCode::OK, "{}", never.text());
    assert_eq!(never.json()["record"]["expires_at"], Value::Null);
    let ci = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "ci", "assets": ["identity-api"], "user": "gitlab-identity"}),
    )
    .await;
    assert_eq!(ci.status, StatusCode::OK, "{}", ci.text());
    assert_eq!(ci.json()["record"]["owner_kind"], "service");
    // A ci token belongs to a service account, never to a person.
    let person_ci = post(
        e,
        "/api/v1/tokens",
        &e.admin,
        json!({"role": "ci", "assets": ["identity-api"], "user": "rita"}),
    )
    .await;
    assert_eq!(
        person_ci.status,
        StatusCode::BAD_REQUEST,
        "{}",
        person_ci.text()
    );
    // The default expiry holds: 91 days later the token is refused.
    let token = made.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(get(e, "/api/v1/me", &token).await.status, StatusCode::OK);
    e.clock.set(at("2026-08-31T00:00:00Z"));
    assert_eq!(
        get(e, "/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}
