//! The dashboard for daily work (issue 20), in process against the real router, on both back
//! ends: the finding page says what to do (fix, references, aliases, CVSS, code, the scanner's
//! fields); the triage form offers only the moves the state machine allows, keeps what was
//! typed on error, shows the decision in force with its expiry and approver and the SLA as
//! paused while accepted; the work pages (assets, teams, accepted risks, scans, suggestions,
//! upload, export, saved views) answer within the viewer's scope, and names with `/` work in
//! links. The layout at 390 px is measured in the browser (`crates/posture/tests/dashboard.rs`).
//!
//! See `common` for why the cases are not `#[tokio::test]`.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use posture_server::ServerSettings;
use posture_store::Role;
use posture_store::testing::TestBackend;
use serde_json::json;

const PORTFOLIO: &str = r#"
[policy]
file = "policy.toml"

[[team]]
name = "payments"

[[team]]
name = "acme/web"

[[asset]]
name = "payments-api"
team = "payments"

[[asset]]
name = "acme/storefront"
team = "acme/web"
"#;

/// Critical acceptances need an appsec lead's approval.
const POLICY: &str = r#"
[[rule]]
id = "critical-needs-appsec-lead"
when = 'finding.severity_rank >= 4'
action = "require_approval"
role = "appsec-lead"
for = ["accepted"]
"#;

fn env(backend: TestBackend) -> Env {
    common::build(
        backend,
        Setup {
            toml: PORTFOLIO,
            files: vec![("policy.toml", POLICY.to_string())],
            ci_assets: &["payments-api"],
            settings: ServerSettings::default(),
        },
    )
}

on_both_backends_async!(
    env, env;
    the_finding_page_says_what_to_do,
    the_triage_form_offers_only_allowed_moves_and_keeps_the_input_on_error,
    an_approved_acceptance_shows_expiry_approver_and_a_paused_sla,
    index_pages_answer_within_scope_and_names_with_a_slash_work,
    accepted_risks_scans_and_suggestions_pages,
    upload_a_report_from_the_dashboard,
    export_of_a_filter_is_scoped_and_csv_is_defused,
    saved_views_are_per_user_and_checked,
    my_tokens_users_and_the_audit_log,
);

/// A Trivy report: a critical with a fix, references (one a `javascript:` URL) and CVSS; a
/// high without a fix.
fn trivy() -> String {
    json!({
        "SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
        "Results": [{
            "Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip",
            "Vulnerabilities": [
                {
                    "VulnerabilityID": "CVE-2026-1111", "PkgName": "pyyaml",
                    "InstalledVersion": "5.3", "FixedVersion": "5.4.1", "Severity": "CRITICAL",
                    "Title": "=HYPERLINK(\"http://evil.example\") pyyaml: arbitrary code",
                    "Description": "Loading untrusted YAML runs arbitrary code.",
                    "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2026-1111",
                    "References": [
                        "https://nvd.nist.gov/vuln/detail/CVE-2026-1111",
                        "javascript:alert(1)"
                    ],
                    "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}}
                },
                {
                    "VulnerabilityID": "CVE-2026-2222", "PkgName": "idna",
                    "InstalledVersion": "2.0", "Severity": "HIGH",
                    "Title": "idna: denial of service"
                }
            ]
        }]
    })
    .to_string()
}

/// A Bandit report with one finding whose code is `eval(user_input)`.
fn bandit() -> String {
    json!({
        "errors": [],
        "results": [{
            "code": "41 def run(user_input):\n42     return eval(user_input)\n",
            "filename": "app/run.py",
            "issue_confidence": "HIGH",
            "issue_severity": "MEDIUM",
            "issue_text": "Use of possibly insecure function - consider using safer ast.literal_eval.",
            "line_number": 42,
            "line_range": [42],
            "test_id": "B307",
            "test_name": "blacklist",
        }]
    })
    .to_string()
}

async fn upload(e: &Env, asset: &str, name: &str, report: &str) {
    let req = Request::post(format!(
        "/api/v1/scans?asset={}&name={name}",
        asset.replace('/', "%2F")
    ))
    .header(header::AUTHORIZATION, format!("Bearer {}", e.admin))
    .header(header::CONTENT_TYPE, "application/json")
    .body(Body::from(report.to_string()))
    .unwrap_or_else(|err| panic!("{err}"));
    let a = send(&e.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

async fn seed(e: &Env) {
    upload(e, "payments-api", "trivy.json", &trivy()).await;
    upload(e, "payments-api", "bandit.json", &bandit()).await;
    upload(e, "acme/storefront", "trivy.json", &trivy()).await;
}

fn finding_id(e: &Env, asset: &str, rule: &str) -> i64 {
    e.db(|s| s.findings(&Default::default()).unwrap_or_default())
        .iter()
        .find(|f| f.asset == asset && f.rule_id == rule)
        .map(|f| f.id)
        .unwrap_or_else(|| panic!("no finding {rule} on {asset}"))
}

/// A page's HTML, with the `/` the templates escape as `&#x2f;` read back (a link broken by a
/// `/` in a name shows as `href="/assets/acme/storefront"` here).
async fn page(e: &Env, uri: &str, cookie: &str) -> String {
    let a = get_html(&e.app, uri, cookie).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
    a.text().replace("&#x2f;", "/")
}

/// The options of the triage form's state select.
fn offered(html: &str) -> Vec<String> {
    let Some(select) = html
        .split("<select id=\"state\" name=\"state\">")
        .nth(1)
        .and_then(|r| r.split("</select>").next())
    else {
        return Vec::new();
    };
    select
        .split("<option value=\"")
        .skip(1)
        .filter_map(|o| o.split('"').next())
        .map(str::to_string)
        .collect()
}

async fn the_finding_page_says_what_to_do(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let critical = finding_id(e, "payments-api", "CVE-2026-1111");
    let html = page(e, &format!("/findings/{critical}"), &cookie).await;
    // The fix, the aliases, the CVSS vector and score, the description.
    assert!(
        html.contains("upgrade pyyaml@5.3 to <strong>5.4.1</strong>"),
        "{html}"
    );
    assert!(html.contains("<code>CVE-2026-1111</code>"));
    assert!(html.contains("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    assert!(html.contains("<strong>9.8</strong>"));
    assert!(html.contains("Loading untrusted YAML runs arbitrary code."));
    // References: http(s) ones are links; a javascript: one is shown as text, never a link.
    assert!(html.contains("href=\"https://nvd.nist.gov/vuln/detail/CVE-2026-1111\""));
    assert!(html.contains("<code>javascript:alert(1)</code>"));
    assert!(!html.contains("href=\"javascript:"));
    // The raw item's evidence: the scanner's fields with the report and locator.
    assert!(html.contains("scanner fields"));
    assert!(
        html.contains("<dt>locator</dt><dd>/Results/0/Vulnerabilities/0</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>fixed in</dt><dd>5.4.1</dd>"));

    // A dependency without a fixed version: "no fix yet".
    let high = finding_id(e, "payments-api", "CVE-2026-2222");
    let html = page(e, &format!("/findings/{high}"), &cookie).await;
    assert!(html.contains("no fix yet"), "{html}");

    // Code: the snippet, escaped.
    let sast = e
        .db(|s| s.findings(&Default::default()).unwrap_or_default())
        .iter()
        .find(|f| f.asset == "payments-api" && f.rule_id.starts_with("B307"))
        .map(|f| f.id)
        .unwrap_or_else(|| panic!("no bandit finding"));
    let html = page(e, &format!("/findings/{sast}"), &cookie).await;
    assert!(html.contains("eval(user_input)"), "{html}");
    assert!(html.contains("change the code"));
}

async fn the_triage_form_offers_only_allowed_moves_and_keeps_the_input_on_error(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let high = finding_id(e, "payments-api", "CVE-2026-2222");
    let uri = format!("/findings/{high}");
    let html = page(e, &uri, &cookie).await;
    // From open: every decision but open itself (and never fixed).
    assert_eq!(
        offered(&html),
        [
            "confirmed",
            "in-progress",
            "false-positive",
            "accepted",
            "not-affected"
        ]
    );
    let csrf = hidden_csrf(&html);
    // An acceptance without an expiry: refused in the page, the typed reason kept.
    let a = form(
        &e.app,
        &format!("{uri}/triage"),
        &cookie,
        &format!("csrf={csrf}&state=accepted&reason=waiting+for+vendor+patch+%233&expires="),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let html = a.text();
    assert!(
        html.contains("id=\"triage-form\""),
        "the form is shown again"
    );
    assert!(html.contains("id=\"triage-error\""), "{html}");
    assert!(
        html.contains("expir"),
        "the message says what is missing: {html}"
    );
    assert!(
        html.contains(">waiting for vendor patch #3</textarea>"),
        "the typed reason is kept: {html}"
    );
    assert!(html.contains("<option value=\"accepted\" selected>"));
    // Marked a false positive, the finding may only be reopened or confirmed.
    let a = form(
        &e.app,
        &format!("{uri}/triage"),
        &cookie,
        &format!("csrf={csrf}&state=false-positive&reason=test+fixture"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, &uri, &cookie).await;
    assert_eq!(offered(&html), ["open", "confirmed"]);
    assert!(
        html.contains("id=\"decision\""),
        "the decision in force is shown"
    );
    // A forbidden move posted anyway: the state machine's message, in the page.
    let a = form(
        &e.app,
        &format!("{uri}/triage"),
        &cookie,
        &format!("csrf={csrf}&state=accepted&reason=keep+me&expires=2027-01-01"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let html = a.text();
    assert!(html.contains("id=\"triage-error\""), "{html}");
    assert!(html.contains(">keep me</textarea>"));
    assert_eq!(
        e.db(|s| s
            .finding(high)
            .ok()
            .flatten()
            .map(|f| f.status.as_str().to_string())),
        Some("false-positive".to_string())
    );
}

async fn an_approved_acceptance_shows_expiry_approver_and_a_paused_sla(e: &Env) {
    seed(e).await;
    let critical = finding_id(e, "payments-api", "CVE-2026-1111");
    let uri = format!("/findings/{critical}");
    let cookie = sign_in(e, &e.appsec).await;
    let html = page(e, &uri, &cookie).await;
    assert!(
        html.contains("id=\"sla\">due "),
        "an open finding's SLA runs: {html}"
    );
    let csrf = hidden_csrf(&html);
    let a = form(
        &e.app,
        &format!("{uri}/triage"),
        &cookie,
        &format!("csrf={csrf}&state=accepted&reason=compensating+control&expires=2026-12-31"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, &uri, &cookie).await;
    assert!(html.contains("id=\"pending-approval\""), "{html}");
    // An appsec lead approves it under their own sign-in.
    let lead = e.person_with_role("carol", "appsec-lead", Role::Appsec, None);
    let lead_cookie = sign_in(e, &lead).await;
    let html = page(e, &uri, &lead_cookie).await;
    let approval = html
        .split("action=\"/approvals/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no approve form: {html}"))
        .to_string();
    let a = form(
        &e.app,
        &format!("/approvals/{approval}/approve"),
        &lead_cookie,
        &format!("csrf={}&note=ok", hidden_csrf(&html)),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, &uri, &cookie).await;
    assert!(
        html.contains("id=\"decision-expires\">2026-12-31</strong>"),
        "{html}"
    );
    assert!(html.contains("id=\"decision-approver\">carol</strong>"));
    assert!(
        html.contains("id=\"sla\"><span class=\"chip\">paused</span>"),
        "the SLA is paused while accepted: {html}"
    );
    assert!(!html.contains("past SLA"));
    // Renewing is allowed from accepted; so is reopening.
    assert!(offered(&html).contains(&"accepted".to_string()));
}

async fn index_pages_answer_within_scope_and_names_with_a_slash_work(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let html = page(e, "/assets", &cookie).await;
    assert!(
        html.contains("href=\"/assets/acme%2Fstorefront\""),
        "{html}"
    );
    assert!(html.contains("href=\"/assets/payments-api\""));
    let html = page(e, "/teams", &cookie).await;
    assert!(html.contains("href=\"/teams/acme%2Fweb\""), "{html}");
    // The encoded links lead to the pages.
    let html = page(e, "/assets/acme%2Fstorefront", &cookie).await;
    assert!(html.contains("<h1>acme/storefront</h1>"));
    let html = page(e, "/teams/acme%2Fweb", &cookie).await;
    assert!(html.contains("acme/storefront"));
    // A developer of payments sees only their team and its assets.
    let dev = sign_in(e, &e.developer).await;
    let html = page(e, "/assets", &dev).await;
    assert!(html.contains("payments-api"));
    assert!(!html.contains("acme/storefront"), "{html}");
    let html = page(e, "/teams", &dev).await;
    assert!(!html.contains("acme/web"), "{html}");
    for uri in [
        "/risks",
        "/scans",
        "/suggestions",
        "/upload",
        "/views",
        "/export",
    ] {
        let html = page(e, uri, &dev).await;
        assert!(!html.contains("acme/storefront"), "{uri} leaks: {html}");
    }
}

async fn accepted_risks_scans_and_suggestions_pages(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let soon = finding_id(e, "payments-api", "CVE-2026-2222");
    let later = finding_id(e, "acme/storefront", "CVE-2026-2222");
    for (id, expires) in [(later, "2026-12-31"), (soon, "2026-06-20")] {
        let a = call(
            &e.app,
            Method::POST,
            &format!("/api/v1/findings/{id}/triage"),
            Some(&e.appsec),
            Some(json!({"state": "accepted", "reason": format!("until {expires}"), "expires": expires})),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    }
    let html = page(e, "/risks", &cookie).await;
    let (a, b) = (
        html.find(&format!("id=\"risk-{soon}\"")),
        html.find(&format!("id=\"risk-{later}\"")),
    );
    assert!(a.is_some() && b.is_some() && a < b, "soonest first: {html}");
    assert!(html.contains(&format!("<tr class=\"soon\" id=\"risk-{soon}\"")));
    assert!(html.contains(&format!("<tr class=\"\" id=\"risk-{later}\"")));
    assert!(html.contains("2026-06-20") && html.contains("until 2026-06-20"));
    assert!(html.contains("1 expire within 30 days"));
    // A developer of payments sees only theirs.
    let dev = sign_in(e, &e.developer).await;
    let html = page(e, "/risks", &dev).await;
    assert!(html.contains(&format!("id=\"risk-{soon}\"")));
    assert!(!html.contains(&format!("id=\"risk-{later}\"")));

    // Scans: report, tool, counts and who uploaded.
    let html = page(e, "/scans", &cookie).await;
    assert!(html.contains("<code>bandit.json</code>"), "{html}");
    assert!(html.contains("<td class=\"by\">ada</td>"), "{html}");
    assert!(html.contains(">trivy"));
    let html = page(e, "/scans?asset=acme%2Fstorefront", &cookie).await;
    assert!(!html.contains("bandit.json"));

    // Suggestions: listed, and a reader may not act on them.
    let html = page(e, "/suggestions", &cookie).await;
    assert!(html.contains("id=\"suggestions\""));
    let reader = sign_in(e, &e.reader).await;
    let html = page(e, "/suggestions", &reader).await;
    assert!(!html.contains("id=\"merge-form\""));
    let a = form(
        &e.app,
        "/merge",
        &reader,
        &format!("csrf={}&from=1&into=2&reason=x", hidden_csrf(&html)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());

    // Merge and split from the finding page, audited.
    let critical = finding_id(e, "payments-api", "CVE-2026-1111");
    let html = page(e, &format!("/findings/{critical}"), &cookie).await;
    let csrf = hidden_csrf(&html);
    let a = form(
        &e.app,
        "/merge",
        &cookie,
        &format!("csrf={csrf}&from={soon}&into={critical}&reason=same+advisory"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let merged = e.db(|s| s.finding(critical).ok().flatten());
    let occurrences = merged.map(|f| f.occurrences).unwrap_or_default();
    assert_eq!(occurrences.len(), 2);
    let html = page(e, &format!("/findings/{critical}"), &cookie).await;
    assert!(html.contains("id=\"split-form\""));
    let moved = occurrences
        .iter()
        .find(|o| o.data.rule_id == "CVE-2026-2222")
        .map(|o| o.id)
        .unwrap_or_default();
    let a = form(
        &e.app,
        &format!("/findings/{critical}/split"),
        &cookie,
        &format!("csrf={csrf}&occurrence={moved}&reason=not+the+same"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let log = e.db(|s| s.audit_log(5).unwrap_or_default());
    assert_eq!(log[0].action, "finding.split");
    assert_eq!(log[1].action, "finding.merge");
    assert_eq!(log[0].actor, "sam");
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str)>) -> (String, String) {
    let boundary = "XposturetestX";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, text)) = file {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(e: &Env, cookie: &str, content_type: &str, body: String) -> Answer {
    let req = Request::post("/upload")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap_or_else(|err| panic!("{err}"));
    send(&e.app, req).await
}

async fn upload_a_report_from_the_dashboard(e: &Env) {
    let cookie = sign_in(e, &e.appsec).await;
    let html = page(e, "/upload", &cookie).await;
    let csrf = hidden_csrf(&html);
    // A broken report: refused in the page, naming the file and the place; nothing stored.
    let (ct, body) = multipart(
        &[
            ("csrf", &csrf),
            ("asset", "payments-api"),
            ("branch", "main"),
        ],
        Some(("broken.json", "{\"SchemaVersion\": 2, \"Results\": [")),
    );
    let a = post_multipart(e, &cookie, &ct, body).await;
    // As the API answers a report it cannot read.
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let html = a.text();
    assert!(html.contains("id=\"upload-error\""), "{html}");
    assert!(
        html.contains("broken.json"),
        "the error names the file: {html}"
    );
    assert!(
        html.contains("value=\"payments-api\""),
        "the typed asset is kept"
    );
    assert!(
        e.db(|s| s.scans(&Default::default()).unwrap_or_default())
            .is_empty()
    );
    // Without the CSRF token: refused.
    let (ct, body) = multipart(&[("asset", "payments-api")], Some(("trivy.json", &trivy())));
    let a = post_multipart(e, &cookie, &ct, body).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A good one: ingested, audited as the person's upload.
    let (ct, body) = multipart(
        &[
            ("csrf", &csrf),
            ("asset", "payments-api"),
            ("branch", "main"),
        ],
        Some(("trivy.json", &trivy())),
    );
    let a = post_multipart(e, &cookie, &ct, body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(
        a.text()
            .contains("trivy.json ingested into payments-api (main): 2 new"),
        "{}",
        a.text()
    );
    let log = e.db(|s| s.audit_log(1).unwrap_or_default());
    assert_eq!(
        (log[0].action.as_str(), log[0].actor.as_str()),
        ("scan.upload", "sam")
    );
    // A reader may not upload.
    let reader = sign_in(e, &e.reader).await;
    let html = page(e, "/upload", &reader).await;
    assert!(!html.contains("id=\"upload-form\""));
    let (ct, body) = multipart(
        &[("csrf", &hidden_csrf(&html)), ("asset", "payments-api")],
        Some(("trivy.json", &trivy())),
    );
    assert_eq!(
        post_multipart(e, &reader, &ct, body).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn export_of_a_filter_is_scoped_and_csv_is_defused(e: &Env) {
    seed(e).await;
    let dev = sign_in(e, &e.developer).await;
    let html = page(e, "/findings?severity=critical", &dev).await;
    assert!(html.contains("href=\"/export?severity=critical"), "{html}");
    let html = page(e, "/export?severity=critical", &dev).await;
    assert!(
        html.contains("href=\"/export/download?severity=critical&amp;format=csv\""),
        "{html}"
    );
    let a = get_html(
        &e.app,
        "/export/download?severity=critical&format=csv",
        &dev,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert!(
        a.header("content-disposition")
            .contains("posture-findings.csv")
    );
    let csv = a.text();
    // One critical the developer may read (payments-api), none of acme/storefront.
    assert!(csv.contains("payments-api"), "{csv}");
    assert!(!csv.contains("acme/storefront"), "{csv}");
    assert!(!csv.contains("CVE-2026-2222"), "the filter applies: {csv}");
    // The title starts with `=`: defused.
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"),
        "{csv}"
    );
    for (format, needle) in [
        ("sarif", "\"version\": \"2.1.0\""),
        ("openvex", "openvex"),
        ("cyclonedx", "CycloneDX"),
    ] {
        let a = get_html(
            &e.app,
            &format!("/export/download?severity=critical&format={format}"),
            &dev,
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{format}: {}", a.text());
        assert!(a.text().contains(needle), "{format}: {}", a.text());
    }
    let a = get_html(&e.app, "/export/download?format=xlsx", &dev).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.text().contains("format: `xlsx`"));
    // The list's search travels to the export: only what the search finds is exported.
    let html = page(e, "/findings?q=hyperlink", &dev).await;
    assert!(html.contains("href=\"/export?q=hyperlink"), "{html}");
    let a = get_html(&e.app, "/export/download?q=hyperlink&format=csv", &dev).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let csv = a.text();
    assert_eq!(csv.lines().count(), 2, "a header and the one match: {csv}");
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
}

async fn saved_views_are_per_user_and_checked(e: &Env) {
    seed(e).await;
    let cookie = sign_in(e, &e.appsec).await;
    let html = page(e, "/findings?severity=critical&team=acme%2Fweb", &cookie).await;
    assert!(html.contains("id=\"save-view-link\""));
    let html = page(e, "/views?query=severity%3Dcritical", &cookie).await;
    assert!(html.contains("value=\"severity=critical\""), "{html}");
    let csrf = hidden_csrf(&html);
    // The search box's text is part of a view (kept in the view's fixed order).
    let a = form(
        &e.app,
        "/views",
        &cookie,
        &format!("csrf={csrf}&name=openssl&query=q%3Dopenssl%26severity%3Dcritical"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, "/views", &cookie).await;
    assert!(
        html.contains("href=\"/findings?severity=critical&amp;q=openssl\">openssl</a>"),
        "{html}"
    );
    let id = e
        .db(|s| s.saved_views("sam").unwrap_or_default())
        .iter()
        .find(|v| v.name == "openssl")
        .map(|v| v.id)
        .unwrap_or_else(|| panic!("the view was saved"));
    let a = form(
        &e.app,
        &format!("/views/{id}/delete"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // A bad filter: refused in the page, naming the field; the typed name kept.
    let a = form(
        &e.app,
        "/views",
        &cookie,
        &format!("csrf={csrf}&name=mine&query=sevrity%3Dcritical"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.text().contains("unknown parameter `sevrity`"),
        "{}",
        a.text()
    );
    assert!(a.text().contains("value=\"mine\""));
    let a = form(
        &e.app,
        "/views",
        &cookie,
        &format!("csrf={csrf}&name=Web+criticals&query=team%3Dacme%252Fweb%26severity%3Dcritical"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, "/views", &cookie).await;
    assert!(
        html.contains("href=\"/findings?severity=critical&amp;team=acme%2Fweb\">Web criticals</a>"),
        "{html}"
    );
    let listed = page(e, "/findings?severity=critical&team=acme%2Fweb", &cookie).await;
    assert!(listed.contains("acme/storefront"));
    // Another person does not see it, nor may delete it.
    let other = sign_in(e, &e.admin).await;
    let html = page(e, "/views", &other).await;
    assert!(!html.contains("Web criticals"));
    let id = e.db(|s| s.saved_views("sam").unwrap_or_default())[0].id;
    let a = form(
        &e.app,
        &format!("/views/{id}/delete"),
        &other,
        &format!("csrf={}", hidden_csrf(&html)),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = form(
        &e.app,
        &format!("/views/{id}/delete"),
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(
        e.db(|s| s.saved_views("sam").unwrap_or_default())
            .is_empty()
    );
}

/// Issues 18 and 20: each person sees the tokens in their own name and may revoke them (not
/// another's); the users page (sign out everywhere) and the audit log are for admins; every
/// write shows in the audit log with its actor.
async fn my_tokens_users_and_the_audit_log(e: &Env) {
    seed(e).await;
    let dev = sign_in(e, &e.developer).await;
    // A second token of the developer's, and one of someone else's.
    let second = e.person_with_role(
        "dev",
        "security-champion",
        Role::Developer,
        Some("payments"),
    );
    assert!(second.starts_with("pst_"));
    let html = page(e, "/tokens", &dev).await;
    assert!(
        html.contains("<span class=\"count\" id=\"token-count\">2</span>"),
        "{html}"
    );
    assert!(
        html.contains("id=\"current-token\""),
        "the session's token is marked: {html}"
    );
    assert!(
        !html.contains("ada"),
        "only the viewer's own tokens: {html}"
    );
    assert!(html.contains("My tokens</a>"), "{html}");
    assert!(
        !html.contains("href=\"/users\""),
        "no admin links for a developer: {html}"
    );
    let tokens = e.db(|s| s.tokens().unwrap_or_default());
    let dev_second = tokens
        .iter()
        .filter(|t| t.user == "dev")
        .map(|t| t.id)
        .max()
        .unwrap_or_else(|| panic!("{tokens:?}"));
    let admins = tokens
        .iter()
        .find(|t| t.user == "ada")
        .map(|t| t.id)
        .unwrap_or_else(|| panic!("{tokens:?}"));
    assert!(
        !html.contains(&format!("id=\"token-{admins}\"")),
        "only the viewer's own tokens: {html}"
    );
    let csrf = hidden_csrf(&html);
    // Another person's token does not exist for the developer.
    let a = form(
        &e.app,
        &format!("/tokens/{admins}/revoke"),
        &dev,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.text());
    // A form without the session's CSRF token changes nothing.
    let a = form(
        &e.app,
        &format!("/tokens/{dev_second}/revoke"),
        &dev,
        "csrf=forged",
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = form(
        &e.app,
        &format!("/tokens/{dev_second}/revoke"),
        &dev,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let html = page(e, "/tokens?done=revoked", &dev).await;
    assert!(html.contains("id=\"tokens-notice\""), "{html}");
    assert!(html.contains("<td class=\"state\">revoked</td>"), "{html}");
    let revoked = e.db(|s| s.tokens().unwrap_or_default());
    assert!(
        revoked
            .iter()
            .any(|t| t.id == dev_second && t.revoked_at.is_some()),
        "{revoked:?}"
    );

    // Users and the audit log: 403 for all but admins.
    for uri in ["/users", "/audit"] {
        let a = get_html(&e.app, uri, &dev).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{uri}: {}", a.text());
    }
    let admin = sign_in(e, &e.admin).await;
    let html = page(e, "/users", &admin).await;
    for name in ["ada", "sam", "dev", "rita", "pipeline"] {
        assert!(
            html.contains(&format!("<td class=\"title\">{name}</td>")),
            "{name}: {html}"
        );
    }
    assert!(html.contains("href=\"/audit\""), "{html}");
    // Sign the developer out everywhere: their session no longer opens a page.
    let csrf = hidden_csrf(&html);
    let a = form(
        &e.app,
        "/users/dev/sign-out",
        &admin,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let a = get_html(&e.app, "/tokens", &dev).await;
    assert_ne!(a.status, StatusCode::OK, "the session ended: {}", a.text());
    let html = page(e, "/audit", &admin).await;
    assert!(html.contains("<code>token.revoke</code>"), "{html}");
    assert!(html.contains("<code>user.sessions.end</code>"), "{html}");
    assert!(html.contains("<code>scan.upload</code>"), "{html}");
    let html = page(e, "/audit?action=token.&actor=dev", &admin).await;
    assert!(html.contains("<code>token.revoke</code>"), "{html}");
    assert!(
        !html.contains("<code>scan.upload</code>"),
        "the filter applies: {html}"
    );
    let a = get_html(&e.app, "/audit?acton=token.", &admin).await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "a typo in a parameter is refused"
    );
}
