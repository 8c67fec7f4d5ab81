//! Scheduled jobs inside `posture serve` (issue 19): two real servers over one PostgreSQL
//! database deliver each webhook once (leadership per job by advisory lock, each period
//! claimed once), with a real webhook receiver (tiny_http) that answers slowly, so that two
//! unsynchronised delivery runs would overlap and send the same entries twice.

// The integrations tests' fake Jira (and its server), as they use it.
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
#[path = "integrations/fake_jira.rs"]
mod fake_jira;
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
#[path = "integrations/support.rs"]
mod support;

use posture_store::testing::TestBackend;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn posture_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_posture"))
}

fn posture(db: &str, config: &Path) -> Command {
    let mut c = Command::new(posture_bin());
    c.env(
        "POSTURE_SECRET_KEY",
        posture_store::testing::TEST_SECRET_KEY,
    )
    .env("POSTURE_TEST_WEBHOOK_SECRET", "a-signing-secret-for-tests")
    .env_remove("POSTURE_DATABASE")
    .env_remove("POSTURE_CONFIG")
    .env_remove("POSTURE_JIRA_TOKEN")
    .arg("--database")
    .arg(db)
    .arg("--config")
    .arg(config);
    c
}

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `posture serve` with webhook delivery every second; waits until it listens.
fn start(db: &str, config: &Path) -> Guard {
    start_with(db, config, &["--notify-every", "1s"], &[])
}

fn start_with(db: &str, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Guard {
    let mut command = posture(db, config);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("posture serve: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    for line in lines.by_ref() {
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Guard(child)
}

fn trivy(n: usize) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "VulnerabilityID": format!("CVE-2026-{:04}", 3000 + i),
                "PkgName": format!("pkg-{i}"),
                "InstalledVersion": "1.0.0",
                "FixedVersion": "1.0.1",
                "Title": format!("pkg-{i}: a vulnerability"),
                "Severity": "CRITICAL",
            })
        })
        .collect();
    serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": [{"Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": items}],
    })
    .to_string()
}

#[test]
fn two_servers_over_one_postgres_deliver_each_webhook_once() {
    const FINDINGS: usize = 8;
    let Some(b) = TestBackend::postgres("two_servers_over_one_postgres_deliver_each_webhook_once")
    else {
        return;
    };
    let db = b.location();
    // The receiver: records each delivery's key, answers after 150 ms.
    let receiver = tiny_http::Server::http("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = receiver
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or_else(|| panic!("an IP address"));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut request in receiver.incoming_requests() {
            let mut body = String::new();
            let _ = request.as_reader().read_to_string(&mut body);
            let key = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("X-Posture-Delivery"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            std::thread::sleep(Duration::from_millis(150));
            log.lock().unwrap_or_else(|p| p.into_inner()).push(key);
            let _ = request.respond(tiny_http::Response::from_string("ok"));
        }
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("posture.toml");
    std::fs::write(
        &config,
        format!(
            "[[asset]]\nname = \"shop\"\n\n[[webhook]]\nname = \"siem\"\nkind = \"generic\"\nurl = \"http://127.0.0.1:{port}/hook\"\nevents = [\"new-critical\"]\nsecret_env = \"POSTURE_TEST_WEBHOOK_SECRET\"\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let started = Instant::now();
    let first = start(db, &config);
    let second = start(db, &config);
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, trivy(FINDINGS)).unwrap_or_else(|e| panic!("{e}"));
    let out = posture(db, &config)
        .args(["ingest", "--asset", "shop", "--output", "json"])
        .arg(&report)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().map(|s| s.len()).unwrap_or(0) < FINDINGS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // several more periods of both servers: nothing is sent again
    std::thread::sleep(Duration::from_secs(4));
    drop(first);
    drop(second);
    let served = started.elapsed().as_secs() as i64;
    let keys = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for k in &keys {
        *counts.entry(k.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(keys.len(), FINDINGS, "{keys:?}");
    assert!(keys.iter().all(|k| !k.is_empty()));

    // the runs are recorded, each period once
    let store = b.store();
    let runs = store.job_runs().unwrap_or_else(|e| panic!("{e}"));
    let delivery = runs
        .iter()
        .find(|r| r.name == "webhook-delivery")
        .unwrap_or_else(|| panic!("no webhook-delivery run in {runs:?}"));
    assert_eq!(delivery.failures, 0, "{delivery:?}");
    assert!(delivery.runs >= 1);
    // two servers ticking every second ran it at most once a second between them
    assert!(
        delivery.runs <= served + 1,
        "{} runs in {served} s of two servers: a period ran twice",
        delivery.runs
    );
    assert!(
        runs.iter().any(|r| r.name == "expiry-sweep"),
        "the sweeps run as jobs too: {runs:?}"
    );
}

/// Two servers with the Jira sync every 2 s over one database: concurrent syncs would both
/// search, find no issue for a group and both create one; with one sync per period, each
/// group gets one issue and the runs are at most one per period between the servers.
#[test]
fn two_servers_over_one_postgres_run_each_jira_sync_once() {
    const PACKAGES: usize = 5;
    let Some(b) = TestBackend::postgres("two_servers_over_one_postgres_run_each_jira_sync_once")
    else {
        return;
    };
    let db = b.location();
    let jira = fake_jira::FakeJira::start();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("posture.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[asset]]
name = "shop"

[jira]
base_url = "{url}"
api_version = 3
project = "SEC"
user = "{user}"
issue_type = "Bug"
grouping = "package"
min_severity = "high"
"#,
            url = jira.url(),
            user = fake_jira::USER
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, trivy(PACKAGES)).unwrap_or_else(|e| panic!("{e}"));
    let out = posture(db, &config)
        .args(["ingest", "--asset", "shop", "--output", "json"])
        .arg(&report)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let started = Instant::now();
    let args = ["--jira-every", "2s", "--notify-every", "0"];
    let env = [("POSTURE_JIRA_TOKEN", fake_jira::TOKEN)];
    let first = start_with(db, &config, &args, &env);
    let second = start_with(db, &config, &args, &env);
    let issues = || jira.state.lock().map(|s| s.issues.len()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while issues() < PACKAGES && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // more periods of both servers: the sync finds everything in place
    std::thread::sleep(Duration::from_secs(5));
    drop(first);
    drop(second);
    let served = started.elapsed().as_secs() as i64;
    assert_eq!(issues(), PACKAGES, "one issue per package, none twice");

    let store = b.store();
    let runs = store.job_runs().unwrap_or_else(|e| panic!("{e}"));
    let sync = runs
        .iter()
        .find(|r| r.name == "jira-sync")
        .unwrap_or_else(|| panic!("no jira-sync run in {runs:?}"));
    assert_eq!(sync.failures, 0, "{sync:?}");
    assert!(sync.runs >= 2, "{sync:?}");
    assert!(
        sync.runs <= served / 2 + 1,
        "{} syncs in {served} s of two servers every 2 s: a period ran twice",
        sync.runs
    );
}
