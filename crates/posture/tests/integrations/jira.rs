//! The full Jira cycle against the fake: create, update on risk change, close on fix, reopen on
//! regression, a ticket closed by a person (flagged, then accepted when policy allows), rate
//! limiting and server errors honoured, 401, and idempotency (a second run changes nothing).

use crate::fake_jira::{FakeJira, TOKEN};
use crate::support::{Workspace, json_of};
use std::time::Instant;

fn config(jira: &FakeJira, tier: &str, accept: bool) -> String {
    let (env, exposure) = if tier == "tier-1" {
        ("production", "internet-facing")
    } else {
        ("test", "internal")
    };
    format!(
        r#"
[[team]]
name = "payments"

[[asset]]
name = "shop"
team = "payments"
criticality = "{tier}"
environment = "{env}"
exposure = "{exposure}"

[jira]
base_url = "{url}"
api_version = 3
project = "SEC"
user = "bot@acme.example"
issue_type = "Bug"
grouping = "package"
min_severity = "high"
labels = ["security"]
components = ["AppSec"]
custom_fields = {{ customfield_10010 = "posture" }}
accept_from_jira = {accept}
accept_days = 3650
max_retry_after = 5
"#,
        url = jira.url()
    )
}

/// Runs `posture jira sync` and returns (exit code, the JSON report).
fn sync(ws: &Workspace, extra: &[&str], at: &str) -> (i32, serde_json::Value, String) {
    let out = ws
        .posture()
        .env("POSTURE_JIRA_TOKEN", TOKEN)
        .args(["jira", "sync", "--output", "json", "--at", at])
        .args(extra)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains(TOKEN) && !String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    let report = if out.status.success() {
        json_of(&out.stdout)
    } else {
        serde_json::Value::Null
    };
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["kind"].as_str().unwrap(),
                a["issue"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

const LEFT_PAD: (&str, &str, &str) = ("CVE-2026-3000", "left-pad", "CRITICAL");
const LODASH_1: (&str, &str, &str) = ("CVE-2026-3001", "lodash", "HIGH");
const LODASH_2: (&str, &str, &str) = ("CVE-2026-3002", "lodash", "MEDIUM");
const MINIMIST: (&str, &str, &str) = ("CVE-2026-3003", "minimist", "LOW");

#[test]
fn full_reconciling_cycle_against_a_fake_jira() {
    let jira = FakeJira::start();
    let ws = Workspace::new();
    ws.write("posture.toml", &config(&jira, "tier-3", false));
    ws.ingest(
        "shop",
        &[LEFT_PAD, LODASH_1, LODASH_2, MINIMIST],
        "2026-03-01T10:00:00Z",
    );

    // Dry run: reads only, says what it would do.
    let (code, r, _) = sync(&ws, &["--dry-run"], "2026-03-01T11:00:00Z");
    assert_eq!(code, 0);
    assert_eq!(kinds(&r), ["created -", "created -"]);
    assert_eq!(jira.mutations(), 0);

    // Create: one issue per vulnerable package; minimist (low) is below the selector.
    let (code, r, _) = sync(&ws, &[], "2026-03-01T11:00:00Z");
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(kinds(&r), ["created SEC-1", "created SEC-2"]);
    let left_pad = jira.issue("SEC-1");
    let f = &left_pad.fields;
    assert_eq!(
        f["summary"],
        "[shop] Upgrade left-pad@1.0.0 (1 vulnerability)"
    );
    assert_eq!(f["issuetype"]["name"], "Bug");
    assert_eq!(f["components"][0]["name"], "AppSec");
    assert_eq!(f["customfield_10010"], "posture");
    assert_eq!(
        f["duedate"], "2026-03-08",
        "critical: 7 days from first seen"
    );
    let labels: Vec<&str> = f["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert_eq!(
        labels,
        ["posture", "security", "service-shop", "team-payments"]
    );
    assert_eq!(f["description"]["type"], "doc");
    assert!(f["description"].to_string().contains("CVE-2026-3000"));
    let lodash = jira.issue("SEC-2");
    assert_eq!(
        lodash.fields["summary"],
        "[shop] Upgrade lodash@1.0.0 (2 vulnerabilities)"
    );
    let low_priority = left_pad.fields["priority"]["name"]
        .as_str()
        .unwrap()
        .to_string();

    // Idempotent: a second run makes no call that changes anything.
    let before = jira.mutations();
    let (_, r, _) = sync(&ws, &[], "2026-03-01T12:00:00Z");
    assert_eq!(kinds(&r), Vec::<String>::new());
    assert_eq!(jira.mutations(), before);
    assert_eq!(r["calls"]["writes"], 0);

    // Risk change: the asset becomes tier-1, internet-facing production: priorities rise.
    ws.write("posture.toml", &config(&jira, "tier-1", false));
    let (_, r, _) = sync(&ws, &[], "2026-03-01T13:00:00Z");
    assert!(kinds(&r).contains(&"updated SEC-1".to_string()), "{r:#}");
    let raised = jira.issue("SEC-1").fields["priority"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(raised, low_priority);
    assert_eq!(raised, "Highest");

    // Fix: left-pad is no longer reported: SEC-1 goes to a done-category status.
    ws.ingest(
        "shop",
        &[LODASH_1, LODASH_2, MINIMIST],
        "2026-03-02T10:00:00Z",
    );
    let (_, r, _) = sync(&ws, &[], "2026-03-02T11:00:00Z");
    assert_eq!(kinds(&r), ["closed SEC-1"]);
    let closed = jira.issue("SEC-1");
    assert_eq!((closed.status, closed.category), ("Shipped", "done"));

    // Regression: left-pad is back: SEC-1 is reopened through a new-category transition.
    ws.ingest(
        "shop",
        &[LEFT_PAD, LODASH_1, LODASH_2, MINIMIST],
        "2026-03-03T10:00:00Z",
    );
    let (_, r, _) = sync(&ws, &[], "2026-03-03T11:00:00Z");
    assert_eq!(kinds(&r), ["reopened SEC-1"]);
    assert_eq!(jira.issue("SEC-1").category, "new");

    // A person closes SEC-2 as Won't Fix: not allowed by policy -> conflict, flagged once.
    jira.close_by_person("SEC-2", "Won't Fix");
    let before = jira.mutations();
    let (_, r, _) = sync(&ws, &[], "2026-03-04T10:00:00Z");
    assert_eq!(kinds(&r), ["conflict SEC-2"]);
    assert!(
        r["actions"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("accept_from_jira")
    );
    let (_, r, _) = sync(&ws, &[], "2026-03-04T11:00:00Z");
    assert_eq!(
        kinds(&r),
        Vec::<String>::new(),
        "the conflict is flagged once"
    );
    assert_eq!(
        jira.mutations(),
        before,
        "a conflict changes nothing in Jira"
    );
    let out = ws
        .posture()
        .args(["jira", "conflicts", "--output", "json"])
        .output()
        .unwrap();
    let conflicts = json_of(&out.stdout);
    assert_eq!(conflicts[0]["reference"], "SEC-2");
    assert_eq!(conflicts[0]["kind"], "closed-as-wont-fix-not-allowed");

    // When the policy allows it, the person's decision is applied to the findings.
    ws.write("posture.toml", &config(&jira, "tier-1", true));
    let (_, r, _) = sync(&ws, &[], "2026-03-04T12:00:00Z");
    assert_eq!(kinds(&r), ["accepted-from-jira SEC-2"]);
    let out = ws
        .posture()
        .args(["findings", "--status", "accepted", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out.stdout).as_array().unwrap().len(), 2);
    let out = ws
        .posture()
        .args(["jira", "conflicts", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(
        json_of(&out.stdout).as_array().unwrap().len(),
        0,
        "resolved"
    );

    // Rate limit and a server error on the next run: honoured, then converges.
    ws.ingest(
        "shop",
        &[
            LEFT_PAD,
            LODASH_1,
            LODASH_2,
            MINIMIST,
            ("CVE-2026-3004", "express", "HIGH"),
        ],
        "2026-03-05T10:00:00Z",
    );
    jira.inject(&[(429, Some(1)), (500, None)]);
    let started = Instant::now();
    let (code, r, stderr) = sync(&ws, &[], "2026-03-05T11:00:00Z");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(kinds(&r), ["created SEC-3"]);
    assert!(
        started.elapsed().as_millis() >= 1000,
        "waited for Retry-After"
    );
    assert_eq!(r["calls"]["retries"], 2);
    {
        let st = jira.state.lock().unwrap();
        let i = st.answers.iter().position(|(_, s)| *s == 429).unwrap();
        let waited = st.answers[i + 1].0.duration_since(st.answers[i].0);
        assert!(
            waited.as_millis() >= 1000,
            "the retry came {waited:?} after the 429"
        );
    }

    // And the run after that changes nothing.
    let before = jira.mutations();
    let (_, r, _) = sync(&ws, &[], "2026-03-05T12:00:00Z");
    assert_eq!(kinds(&r), Vec::<String>::new());
    assert_eq!(jira.mutations(), before);

    // Text output prints what changed.
    ws.ingest(
        "shop",
        &[
            LODASH_1,
            LODASH_2,
            MINIMIST,
            ("CVE-2026-3004", "express", "HIGH"),
        ],
        "2026-03-06T10:00:00Z",
    );
    let out = ws
        .posture()
        .env("POSTURE_JIRA_TOKEN", TOKEN)
        .args([
            "jira",
            "sync",
            "--output",
            "table",
            "--at",
            "2026-03-06T11:00:00Z",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("closed SEC-1 (package:shop:"), "{text}");
}

#[test]
fn unauthorized_is_a_clear_error_and_the_token_is_never_shown() {
    let jira = FakeJira::start();
    let ws = Workspace::new();
    ws.write("posture.toml", &config(&jira, "tier-3", false));
    ws.ingest("shop", &[LEFT_PAD], "2026-03-01T10:00:00Z");
    let wrong = "wrong-token-123456";
    let out = ws
        .posture()
        .env("POSTURE_JIRA_TOKEN", wrong)
        .args(["jira", "sync"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("POSTURE_JIRA_TOKEN"),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong));
    assert_eq!(jira.mutations(), 0);
    // Without a token at all: refused before any call.
    ws.posture()
        .args(["jira", "sync"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("POSTURE_JIRA_TOKEN is not set"));
    assert_eq!(jira.state.lock().unwrap().calls, 1);
}

#[test]
fn server_data_center_v2_with_a_bearer_token() {
    let jira = FakeJira::start();
    let ws = Workspace::new();
    let cfg = config(&jira, "tier-3", false)
        .replace("api_version = 3", "api_version = 2")
        .replace("user = \"bot@acme.example\"\n", "")
        .replace("grouping = \"package\"", "grouping = \"asset\"");
    ws.write("posture.toml", &cfg);
    ws.ingest("shop", &[LEFT_PAD, LODASH_1], "2026-03-01T10:00:00Z");
    let (code, r, stderr) = sync(&ws, &[], "2026-03-01T11:00:00Z");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(kinds(&r), ["created SEC-1"]);
    let issue = jira.issue("SEC-1");
    assert_eq!(issue.fields["summary"], "[shop] 2 security findings");
    let description = issue.fields["description"]
        .as_str()
        .expect("v2: plain text");
    assert!(description.contains("CVE-2026-3000") && description.contains("CVE-2026-3001"));
    ws.ingest("shop", &[], "2026-03-02T10:00:00Z");
    let (_, r, _) = sync(&ws, &[], "2026-03-02T11:00:00Z");
    assert_eq!(kinds(&r), ["closed SEC-1"]);
    let before = jira.mutations();
    let (_, r, _) = sync(&ws, &[], "2026-03-02T12:00:00Z");
    assert_eq!(kinds(&r), Vec::<String>::new());
    assert_eq!(jira.mutations(), before);
    assert!(
        jira.state
            .lock()
            .unwrap()
            .log
            .iter()
            .all(|l| l.contains("/rest/api/2/"))
    );
}

/// Issue 17: `grouping = "fix"` makes one issue per remediation action across assets, named
/// after the upgrade, closed when all its findings are fixed.
#[test]
fn grouping_per_fix_is_one_issue_per_upgrade_across_assets() {
    let jira = FakeJira::start();
    let ws = Workspace::new();
    let cfg =
        config(&jira, "tier-3", false).replace("grouping = \"package\"", "grouping = \"fix\"");
    ws.write("posture.toml", &cfg);
    ws.ingest("shop", &[LODASH_1, LODASH_2], "2026-03-01T10:00:00Z");
    ws.ingest("admin", &[LODASH_1], "2026-03-01T10:00:00Z");
    let (code, r, stderr) = sync(&ws, &[], "2026-03-01T11:00:00Z");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(kinds(&r), ["created SEC-1"], "{r:#}");
    let issue = jira.issue("SEC-1");
    assert_eq!(
        issue.fields["summary"],
        "upgrade lodash 1.0.0 → 1.0.1 (3 findings in admin, shop)"
    );
    let labels: Vec<&str> = issue.fields["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        labels.contains(&"service-shop") && labels.contains(&"service-admin"),
        "{labels:?}"
    );
    // a second run changes nothing; fixed in one asset only, the issue stays open
    let (_, r, _) = sync(&ws, &[], "2026-03-01T12:00:00Z");
    assert_eq!(kinds(&r), Vec::<String>::new());
    ws.ingest("admin", &[], "2026-03-02T10:00:00Z");
    let (_, r, _) = sync(&ws, &[], "2026-03-02T11:00:00Z");
    assert_eq!(kinds(&r), ["updated SEC-1"], "{r:#}");
    assert_eq!(
        jira.issue("SEC-1").fields["summary"],
        "upgrade lodash 1.0.0 → 1.0.1 (2 findings in shop)"
    );
    ws.ingest("shop", &[], "2026-03-02T10:00:00Z");
    let (_, r, _) = sync(&ws, &[], "2026-03-02T12:00:00Z");
    assert_eq!(kinds(&r), ["closed SEC-1"], "{r:#}");
}
