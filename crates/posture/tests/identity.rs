//! Identity and four eyes with the real binary (issue 18), on each back end: users and their
//! approval roles (`posture user`), memberships listed and removed (`posture team`), a
//! decision the policy says needs an appsec lead's approval waiting on the real server until
//! the appsec lead approves it with `posture approvals approve` under their own token, and a
//! policy refusing an unauthenticated approval from the CLI on a local database.

use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const TOML: &str = r#"
[policy]
file = "policy.toml"

[[team]]
name = "payments"

[[asset]]
name = "payments-api"
team = "payments"
"#;

const POLICY: &str = r#"
[[rule]]
id = "high-needs-appsec-lead"
when = 'finding.severity_rank >= 3'
action = "require_approval"
role = "appsec-lead"
for = ["accepted"]
max_days = 90
allow_unauthenticated = false
"#;

const TRIVY: &str = r#"{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
 "Results": [{"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip",
  "Vulnerabilities": [{"VulnerabilityID": "CVE-2026-0001", "PkgName": "pyyaml",
   "InstalledVersion": "1.0.0", "FixedVersion": "1.0.1", "Severity": "HIGH",
   "Title": "pyyaml: high flaw"}]}]}"#;

fn posture(db: &str, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(PathBuf::from(env!("CARGO_BIN_EXE_posture")));
    c.env(
        "POSTURE_SECRET_KEY",
        posture_store::testing::TEST_SECRET_KEY,
    )
    .env_remove("POSTURE_DATABASE")
    .env_remove("POSTURE_CONFIG")
    .env_remove("POSTURE_TOKEN")
    .arg("--database")
    .arg(db)
    .arg("--config")
    .arg(config)
    .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("posture {args:?}: {e}"))
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn http(base: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("{host}: {e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body.as_bytes()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("{e}"));
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

on_both_backends!(users_memberships_and_approvals_through_the_cli_and_the_server);

fn users_memberships_and_approvals_through_the_cli_and_the_server(b: &TestBackend) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("posture.toml");
    std::fs::write(&config, TOML).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("policy.toml"), POLICY).unwrap_or_else(|e| panic!("{e}"));
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, TRIVY).unwrap_or_else(|e| panic!("{e}"));
    let db = b.location();
    let run = |args: &[&str]| posture(db, &config, args, &[]);

    ok(
        run(&[
            "ingest",
            &report.display().to_string(),
            "--asset",
            "payments-api",
        ]),
        "ingest",
    );
    let alice = ok(
        run(&[
            "token",
            "create",
            "--role",
            "developer",
            "--team",
            "payments",
            "--user",
            "alice",
        ]),
        "alice's token",
    )
    .trim()
    .to_string();
    ok(
        run(&["user", "create", "lee", "--role", "appsec-lead"]),
        "lee",
    );
    let lee = ok(
        run(&["token", "create", "--role", "reader", "--user", "lee"]),
        "lee's token",
    )
    .trim()
    .to_string();
    // A ci token belongs to a service account, which holds no approval role.
    ok(
        run(&[
            "token",
            "create",
            "--role",
            "ci",
            "--asset",
            "payments-api",
            "--user",
            "gitlab",
        ]),
        "ci",
    );
    let refused = run(&["user", "grant", "gitlab", "appsec-lead"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("service account"));
    let users: Value =
        serde_json::from_str(&ok(run(&["user", "list", "--output", "json"]), "user list"))
            .unwrap_or_else(|e| panic!("{e}"));
    let user = |name: &str| {
        users
            .as_array()
            .and_then(|u| u.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(user("lee")["roles"], serde_json::json!(["appsec-lead"]));
    assert_eq!(user("gitlab")["kind"], "service");
    assert_eq!(user("alice")["teams"], serde_json::json!(["payments"]));
    let members = ok(run(&["team", "members", "payments"]), "members");
    assert!(members.contains("alice"), "{members}");
    // Tokens expire after 90 days by default.
    let tokens: Value = serde_json::from_str(&ok(
        run(&["token", "list", "--output", "json"]),
        "token list",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        tokens
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .all(|t| t["expires_at"].is_string()),
        "{tokens}"
    );

    // On a local database nobody is signed in: the policy refuses the CLI's approval.
    let local = run(&[
        "triage",
        "1",
        "--state",
        "accepted",
        "--reason",
        "later",
        "--until",
        "2099-01-01",
        "--approver",
        "lee",
        "--role",
        "appsec-lead",
    ]);
    assert_eq!(local.status.code(), Some(2));

    // The server: alice's acceptance waits; lee approves it with the CLI, under his token.
    let mut child = Command::new(PathBuf::from(env!("CARGO_BIN_EXE_posture")))
        .env(
            "POSTURE_SECRET_KEY",
            posture_store::testing::TEST_SECRET_KEY,
        )
        .args(["--database", db, "--config"])
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let _guard = Guard(child);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .by_ref()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(|w| w.trim_end_matches('/').to_string())
        })
        .unwrap_or_else(|| panic!("no URL"));
    std::thread::spawn(move || for _ in lines {});
    let in_two_months =
        (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 60)).to_string();
    let (status, body) = http(
        &base,
        "POST",
        "/api/v1/findings/1/triage",
        &alice,
        &format!(
            r#"{{"state": "accepted", "reason": "fix planned", "expires": "{in_two_months}"}}"#
        ),
    );
    assert_eq!(status, 202, "{body}");
    let request: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let id = request["id"].to_string();
    let with = |token: &str, args: &[&str]| {
        posture(
            db,
            &config,
            args,
            &[("POSTURE_TOKEN", token), ("POSTURE_SERVER", base.as_str())],
        )
    };
    let listed = ok(with(&lee, &["approvals", "list"]), "approvals list");
    assert!(
        listed.contains("appsec-lead") && listed.contains("alice"),
        "{listed}"
    );
    // Alice cannot approve her own request.
    let own = with(&alice, &["approvals", "approve", &id]);
    assert_eq!(own.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    let (_, finding) = http(&base, "GET", "/api/v1/findings/1", &lee, "");
    assert!(finding.contains("\"status\":\"open\""), "{finding}");
    let approved = ok(
        with(&lee, &["approvals", "approve", &id, "--note", "plan seen"]),
        "approve",
    );
    assert!(approved.contains("approved"), "{approved}");
    let (_, finding) = http(&base, "GET", "/api/v1/findings/1", &lee, "");
    assert!(finding.contains("\"status\":\"accepted\""), "{finding}");

    // Removing alice from payments takes the team from her token.
    ok(run(&["team", "remove", "payments", "alice"]), "team remove");
    let (status, _) = http(&base, "GET", "/api/v1/findings/1", &alice, "");
    assert_eq!(status, 404);
    assert_eq!(
        run(&["team", "remove", "payments", "alice"]).status.code(),
        Some(2)
    );
}
