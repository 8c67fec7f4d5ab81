//! Webhook delivery through the outbox: the receiver is down, attempts are recorded and
//! retried with backoff; once it is up, each event is delivered exactly once, signed.

use crate::support::{Captured, Server, Workspace, free_port, json_of};
use hmac::{Hmac, Mac};
use std::sync::{Arc, Mutex};

const SECRET: &str = "s3cret-signing-key-for-tests";

fn config(port: u16) -> String {
    format!(
        r#"
[[asset]]
name = "shop"

[[webhook]]
name = "siem"
kind = "generic"
url = "http://127.0.0.1:{port}/hook"
events = ["new-critical", "regression"]
secret_env = "POSTURE_TEST_WEBHOOK_SECRET"

[[webhook]]
name = "security-channel"
kind = "slack"
url_env = "POSTURE_TEST_SLACK_URL"
events = ["new-critical"]
"#
    )
}

fn outbox(ws: &Workspace) -> Vec<serde_json::Value> {
    let out = ws
        .posture()
        .args(["notify", "--list", "--all", "--output", "json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out.stdout).as_array().cloned().expect("list")
}

fn notify(ws: &Workspace, port: u16, at: &str) -> (i32, serde_json::Value) {
    let out = ws
        .posture()
        .env("POSTURE_TEST_WEBHOOK_SECRET", SECRET)
        .env(
            "POSTURE_TEST_SLACK_URL",
            format!("http://127.0.0.1:{port}/slack/T000/B000/XXXX"),
        )
        .args(["notify", "--output", "json", "--at", at])
        .output()
        .expect("run");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains(SECRET), "the secret is never printed");
    assert!(
        !text.contains("XXXX"),
        "a URL from url_env is never printed"
    );
    (out.status.code().unwrap_or(-1), json_of(&out.stdout))
}

#[test]
fn delivery_survives_a_receiver_that_is_down_and_delivers_each_event_once() {
    let ws = Workspace::new();
    let port = free_port();
    ws.write("posture.toml", &config(port));
    ws.ingest(
        "shop",
        &[
            ("CVE-2026-2000", "left-pad", "CRITICAL"),
            ("CVE-2026-2001", "lodash", "HIGH"),
        ],
        "2026-03-01T10:00:00Z",
    );
    // The ingest queued one new-critical per subscribed webhook; the high finding is not
    // subscribed by anyone.
    let queued = outbox(&ws);
    assert_eq!(queued.len(), 2, "{queued:#?}");
    assert!(
        queued
            .iter()
            .all(|o| o["event"] == "new-critical" && o["attempts"] == 0)
    );

    // Receiver down: both attempts fail and are recorded; exit 1.
    let (code, r) = notify(&ws, port, "2026-03-01T10:05:00Z");
    assert_eq!(code, 1);
    assert_eq!(
        (r["delivered"].as_u64(), r["failed"].as_u64()),
        (Some(0), Some(2))
    );
    let after = outbox(&ws);
    assert!(
        after.iter().all(|o| o["attempts"] == 1
            && o["delivered_at"].is_null()
            && o["last_error"].is_string())
    );
    assert!(
        after
            .iter()
            .all(|o| !o["last_error"].as_str().unwrap().contains("XXXX"))
    );

    // Backoff: 10 s later nothing is due yet.
    let (code, r) = notify(&ws, port, "2026-03-01T10:05:10Z");
    assert_eq!(
        (code, r["failed"].as_u64(), r["delivered"].as_u64()),
        (0, Some(0), Some(0))
    );

    // Receiver up.
    let seen: Arc<Mutex<Vec<Captured>>> = Arc::default();
    let log = seen.clone();
    let _server = Server::start(port, move |c| {
        log.lock().unwrap().push(c.clone());
        (200, vec![], "ok".into())
    });
    let (code, r) = notify(&ws, port, "2026-03-01T10:06:00Z");
    assert_eq!((code, r["delivered"].as_u64()), (0, Some(2)), "{r:#}");
    // Again: nothing more is sent.
    let (code, r) = notify(&ws, port, "2026-03-01T11:00:00Z");
    assert_eq!(
        (code, r["delivered"].as_u64(), r["failed"].as_u64()),
        (0, Some(0), Some(0))
    );
    {
        let got = seen.lock().unwrap();
        assert_eq!(got.len(), 2, "exactly once per event and destination");
        let generic = got
            .iter()
            .find(|c| c.url == "/hook")
            .expect("generic webhook");
        let body: serde_json::Value = serde_json::from_str(&generic.body).expect("json body");
        assert_eq!(body["event"], "new-critical");
        assert_eq!(body["finding"]["severity"], "critical");
        assert_eq!(body["finding"]["vulnerability_ids"][0], "CVE-2026-2000");
        // what closes it (issue 17): the upgrade of its package, from the asset's fix plan
        assert_eq!(
            body["details"][0], "Fix: upgrade left-pad 1.0.0 → 1.0.1 closes 1 finding",
            "{body}"
        );
        // The signature verifies: HMAC-SHA256 over "timestamp.body".
        let ts = generic.header("X-Posture-Timestamp").expect("timestamp");
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{ts}.{}", generic.body).as_bytes());
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(
            generic.header("X-Posture-Signature"),
            Some(expected.as_str())
        );
        assert!(
            generic
                .header("X-Posture-Delivery")
                .unwrap()
                .starts_with("new-critical:event-")
        );
        let slack = got
            .iter()
            .find(|c| c.url.starts_with("/slack/"))
            .expect("slack webhook");
        let body: serde_json::Value = serde_json::from_str(&slack.body).expect("json body");
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with("New critical finding in shop")
        );
        assert_eq!(body["blocks"][0]["type"], "header");
        assert!(slack.header("X-Posture-Signature").is_none());
    }
    let delivered = outbox(&ws);
    assert!(
        delivered
            .iter()
            .all(|o| o["attempts"] == 2 && o["delivered_at"].is_string())
    );

    // A regression (fixed, then back) reaches the generic webhook only.
    ws.ingest(
        "shop",
        &[("CVE-2026-2001", "lodash", "HIGH")],
        "2026-03-02T10:00:00Z",
    );
    ws.ingest(
        "shop",
        &[
            ("CVE-2026-2000", "left-pad", "CRITICAL"),
            ("CVE-2026-2001", "lodash", "HIGH"),
        ],
        "2026-03-03T10:00:00Z",
    );
    let (code, r) = notify(&ws, port, "2026-03-03T10:01:00Z");
    assert_eq!((code, r["delivered"].as_u64()), (0, Some(1)), "{r:#}");
    let got = seen.lock().unwrap();
    assert_eq!(got.len(), 3);
    let last: serde_json::Value = serde_json::from_str(&got[2].body).expect("json");
    assert_eq!(last["event"], "regression");
    assert_eq!(got[2].url, "/hook");
}

#[test]
fn a_bad_webhook_table_is_refused_naming_the_file() {
    let ws = Workspace::new();
    ws.write(
        "posture.toml",
        "[[webhook]]\nname = \"x\"\nkind = \"generic\"\nurl = \"http://127.0.0.1:1/\"\nevents = [\"new-criticl\"]\n",
    );
    ws.posture()
        .args(["notify"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("posture.toml"))
        .stderr(predicates::str::contains("unknown event `new-criticl`"));
}

#[test]
fn sla_breaches_reach_teams_once() {
    let ws = Workspace::new();
    let seen: Arc<Mutex<Vec<Captured>>> = Arc::default();
    let log = seen.clone();
    let port = free_port();
    let _server = Server::start(port, move |c| {
        log.lock().unwrap().push(c.clone());
        (202, vec![], String::new())
    });
    ws.write(
        "posture.toml",
        &format!(
            "[[webhook]]\nname = \"teams\"\nkind = \"teams\"\nurl = \"http://127.0.0.1:{port}/teams\"\nevents = [\"sla-breach\"]\n"
        ),
    );
    ws.ingest(
        "shop",
        &[
            ("CVE-2026-4000", "left-pad", "CRITICAL"),
            ("CVE-2026-4001", "lodash", "HIGH"),
        ],
        "2026-03-01T10:00:00Z",
    );
    // Day 5: nothing is overdue.
    let (code, r) = notify(&ws, port, "2026-03-06T10:00:00Z");
    assert_eq!((code, r["delivered"].as_u64()), (0, Some(0)));
    // Day 9: the critical finding is past its 7-day SLA, the high one (30 days) is not.
    let (code, r) = notify(&ws, port, "2026-03-10T10:00:00Z");
    assert_eq!((code, r["delivered"].as_u64()), (0, Some(1)), "{r:#}");
    let (_, r) = notify(&ws, port, "2026-03-11T10:00:00Z");
    assert_eq!(
        r["delivered"].as_u64(),
        Some(0),
        "a breach is notified once"
    );
    let got = seen.lock().unwrap();
    assert_eq!(got.len(), 1);
    let card: serde_json::Value = serde_json::from_str(&got[0].body).expect("json");
    assert_eq!(card["type"], "message");
    let content = &card["attachments"][0]["content"];
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(content["type"], "AdaptiveCard");
    assert!(
        content["body"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("SLA breached in shop")
    );
    assert!(
        content["body"][0]["text"]
            .as_str()
            .unwrap()
            .contains("due 2026-03-08")
    );
}
