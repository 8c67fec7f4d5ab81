//! Issue 20, "the demo hides the product": 0 of the demo's 652 findings had more than one tool;
//! no triage decision, no policy, no integration was shown. The demo is run here as a
//! newcomer runs it (`posture demo`, then the commands it suggests), and what a person would
//! read is checked: findings that carry several tools with the reason they were joined,
//! acceptances with their approver and expiry (one expiring within days), a dismissed false
//! positive, a request waiting for an AppSec lead, the policy in posture.toml, and the Slack
//! messages a dry run of the notifier would send (and that nothing was queued or sent).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn posture(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("posture")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(dir)
        .arg("--database")
        .arg(dir.join("posture.db"))
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .env_remove("POSTURE_SLACK_WEBHOOK_URL")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = posture(dir, args);
    assert!(
        out.status.success(),
        "posture {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let text = ok(dir, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn the_demo_shows_correlation_decisions_policy_and_notifications() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let out = ok(d, &["demo", "--no-serve", "--weeks", "8"]);
    // what the demo says it did
    assert!(out.contains("The team's decisions"), "{out}");
    assert!(out.contains("approved by carol (appsec-lead)"), "{out}");
    assert!(out.contains("waits for an appsec-lead"), "{out}");
    assert!(!out.contains("skipped:"), "{out}");
    assert!(out.contains("notify --dry-run"), "{out}");

    // 1. Several tools on one finding, each joined with a confidence and a reason.
    let open = json(d, &["findings", "--output", "json", "--limit", "100000"]);
    let open = open.as_array().unwrap_or_else(|| panic!("{open}"));
    let multi: Vec<&Value> = open
        .iter()
        .filter(|f| {
            let mut tools: Vec<&str> = f["occurrences"]
                .as_array()
                .map(|o| o.iter().filter_map(|o| o["tool"].as_str()).collect())
                .unwrap_or_default();
            tools.sort_unstable();
            tools.dedup();
            tools.len() > 1
        })
        .collect();
    assert!(
        multi.len() * 5 >= open.len(),
        "at least a fifth of the open findings should carry several tools: {} of {}",
        multi.len(),
        open.len()
    );
    let assets: std::collections::BTreeSet<&str> =
        multi.iter().filter_map(|f| f["asset"].as_str()).collect();
    assert!(
        assets.contains("payments-api") && assets.contains("orders-worker"),
        "{assets:?}"
    );
    let joined = multi
        .iter()
        .flat_map(|f| f["occurrences"].as_array().into_iter().flatten())
        .find(|o| o["correlation"]["reason"].is_string())
        .unwrap_or_else(|| panic!("no correlation reason among the multi-tool findings"));
    assert!(joined["correlation"]["confidence"].as_f64().unwrap_or(0.0) > 0.5);

    // 2. Decisions: accepted risks with approver and expiry, one expiring within a week.
    let accepted = json(d, &["findings", "--status", "accepted", "--output", "json"]);
    let accepted = accepted.as_array().unwrap_or_else(|| panic!("{accepted}"));
    assert_eq!(accepted.len(), 2, "{accepted:#?}");
    let mut expiring_soon = 0;
    for f in accepted {
        let id = f["id"].as_i64().unwrap_or_else(|| panic!("{f}"));
        let shown = json(d, &["show", &id.to_string(), "--output", "json"]);
        let decision = &shown["decision"];
        assert_eq!(decision["approver"], "carol", "{shown:#}");
        assert_eq!(decision["role"], "appsec-lead", "{shown:#}");
        let expires: jiff::Timestamp = decision["expires_at"]
            .as_str()
            .unwrap_or_else(|| panic!("no expiry: {shown:#}"))
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let left = expires.duration_since(jiff::Timestamp::now());
        assert!(left > jiff::SignedDuration::ZERO, "{shown:#}");
        if left < jiff::SignedDuration::from_hours(24 * 7) {
            expiring_soon += 1;
        }
    }
    assert_eq!(expiring_soon, 1, "one acceptance expires within the week");
    let dismissed = json(
        d,
        &["findings", "--status", "false-positive", "--output", "json"],
    );
    assert_eq!(dismissed.as_array().map(Vec::len), Some(1), "{dismissed:#}");

    // 3. A request in the approvals queue, asked by a developer, for the appsec-lead role.
    let store = posture_store::open_with_access(&d.join("posture.db").display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = store
        .approvals(Some("pending"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].requested_by, "bob");
    assert_eq!(pending[0].role, "appsec-lead");
    let audit = store.audit_log(100).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        audit
            .iter()
            .any(|a| a.action == "approval.approve" && a.actor == "carol"),
        "{audit:?}"
    );
    drop(store);

    // 4. The policy in posture.toml, valid and matching the stored findings.
    let toml = std::fs::read_to_string(d.join("posture.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(toml.contains("[policy]"), "{toml}");
    ok(d, &["policy", "check"]);

    // 5. The webhook points at nothing: a dry run prints the Slack messages and sends nothing.
    let dry = ok(d, &["notify", "--dry-run", "--output", "table"]);
    assert!(dry.contains("-> webhook `appsec-alerts`"), "{dry}");
    assert!(
        dry.contains("\"blocks\""),
        "a Slack Block Kit message: {dry}"
    );
    assert!(dry.contains("nothing was queued or sent"), "{dry}");
    let would = json(d, &["notify", "--dry-run", "--output", "json"]);
    let would = would.as_array().unwrap_or_else(|| panic!("{would}"));
    assert!(!would.is_empty());
    assert!(
        would
            .iter()
            .all(|n| n["destination"] == "appsec-alerts" && n["payload"]["blocks"].is_array())
    );
    // Issue 18: the owners hear of an acceptance a week before it ends (the one expiring
    // within days), once per decision, with who accepted and approved it.
    let expiring: Vec<&Value> = would
        .iter()
        .filter(|n| n["event"] == "acceptance-expiring")
        .collect();
    assert_eq!(expiring.len(), 1, "{expiring:#?}");
    let text = expiring[0]["payload"].to_string();
    assert!(text.contains("Risk acceptance ends in"), "{text}");
    assert!(text.contains("orders-worker"), "{text}");
    assert!(text.contains("approved by carol (appsec-lead)"), "{text}");
    let listed = json(d, &["notify", "--list", "--all", "--output", "json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed:#}");
}
