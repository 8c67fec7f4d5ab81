//! Secrets masked everywhere, over the whole corpus, on each back end: every secret value
//! that can be read back from the corpus's secret reports (gitleaks, trufflehog, trufflehog3,
//! whispers, ripsecrets, bandit B105-B107, ...) is ingested with the real binary and then
//! appears in no database file (WAL included; every PostgreSQL row as text), no listing
//! (JSON, CSV, table), no export (SARIF, OCSF, CSV, CycloneDX VEX, OpenVEX), no explanation,
//! no gate report, no webhook or Jira payload, and no log line (standard error).
//!
//! The values are read from the reports by this test itself (fields that hold a secret, the
//! literal a hard-coded-password rule quotes), not listed by hand, so a new corpus file is
//! covered as it comes.

use base64::Engine;
use posture_store::on_both_backends;
use posture_store::testing::{TEST_SECRET_KEY, TestBackend};
use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
#[path = "integrations/support.rs"]
mod support;

#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
#[path = "integrations/fake_jira.rs"]
mod fake_jira;

fn corpus_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); secrets walk SKIPPED",
            dir.display()
        );
        None
    }
}

/// The corpus files that carry secrets (by their tool's name in the path), and the reports of
/// tools with hard-coded-credential rules.
fn secret_reports(root: &Path) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .to_ascii_lowercase();
            let secret_tool = [
                "gitleaks",
                "trufflehog",
                "whispers",
                "ripsecrets",
                "detect-secrets",
                "detect_secrets",
                "secret",
            ]
            .iter()
            .any(|t| rel.contains(t));
            let tool = secret_tool || rel.contains("bandit");
            let flask = rel.contains("multiscan/vulnerable-flask-app/")
                && (rel.ends_with(".json") || rel.ends_with(".sarif") || rel.ends_with(".txt"));
            let report = [".json", ".jsonl", ".sarif", ".txt", ".csv", ".golden"]
                .iter()
                .any(|x| rel.ends_with(x));
            if (tool && report) || flask {
                out.push((p, secret_tool));
            }
        }
    }
    out.sort();
    out
}

/// Keys whose string value is a secret in some secret scanner's output.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "offender",
    "raw",
    "rawv2",
    "value",
    "stringsfound",
    "string",
];

/// The secret values a report gives away, as this test can read them: the values of secret
/// fields (base64 ones decoded), the literals of hard-coded-password results, the tokens of
/// the lines a line-oriented scanner printed.
fn secrets_of(path: &Path, secret_tool: bool) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut raw: Vec<String> = Vec::new();
    let mut docs = Vec::new();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => docs.push(v),
        Err(_) => {
            for line in text.lines() {
                match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(v) => docs.push(v),
                    // ripsecrets: `path:line:content`
                    Err(_) => {
                        if secret_tool && let Some(content) = line.splitn(3, ':').nth(2) {
                            raw.push(content.to_string());
                        }
                    }
                }
            }
        }
    }
    for d in &docs {
        walk(d, None, secret_tool, &mut raw);
    }
    let mut out = Vec::new();
    for r in raw {
        for v in candidates(&r) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// Collects the literals of hard-coded-password results and, in a secret scanner's report
/// (`secret_tool`), the values of its secret fields.
fn walk(v: &serde_json::Value, key: Option<&str>, secret_tool: bool, out: &mut Vec<String>) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            // Bandit (JSON) and any SARIF: the literal a hard-coded-password rule quotes
            let rule = m
                .get("test_id")
                .or_else(|| m.get("ruleId"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if matches!(rule, "B105" | "B106" | "B107") {
                for k in ["issue_text", "message"] {
                    match m.get(k) {
                        Some(Value::String(s)) => out.push(s.clone()),
                        Some(Value::Object(msg)) => {
                            if let Some(s) = msg.get("text").and_then(Value::as_str) {
                                out.push(s.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
            for (k, vv) in m {
                walk(vv, Some(k), secret_tool, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, key, secret_tool, out);
            }
        }
        Value::String(s)
            if secret_tool
                && key.is_some_and(|k| SECRET_KEYS.contains(&k.to_ascii_lowercase().as_str())) =>
        {
            out.push(s.clone());
            // trufflehog v3 writes `Raw` as base64 of the bytes
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s.trim())
                && let Ok(decoded) = String::from_utf8(bytes)
            {
                out.push(decoded);
            }
        }
        _ => {}
    }
}

/// What of a secret field's text is a secret: its quoted literals when it has some (a code
/// line), else its tokens that look like one (long enough, letters and digits mixed). PEM
/// armour lines are not secrets; a masked value (`****`, `REDACTED`) is not one either.
fn candidates(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let quoted = quoted(s);
    let pieces: Vec<String> = if quoted.is_empty() {
        s.split(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>".contains(c))
            .map(str::to_string)
            .collect()
    } else {
        quoted
    };
    for p in pieces {
        let p = p.trim().to_string();
        let n = p.chars().count();
        let digits = p.chars().any(|c| c.is_ascii_digit());
        let letters = p.chars().any(|c| c.is_ascii_alphabetic());
        if n < 8
            || !(digits && letters)
            || p.contains("***")
            || p.contains("REDACTED")
            || p.contains("-----")
            || p.starts_with("http://")
            || p.starts_with("https://")
            || p.contains('/') && !p.contains("//") && n < 24
        {
            continue;
        }
        out.push(p);
    }
    out
}

fn quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in ['\'', '"'] {
        let parts: Vec<&str> = s.split(q).collect();
        for (i, part) in parts.iter().enumerate() {
            if i % 2 == 1 && i + 1 < parts.len() && !part.is_empty() {
                out.push(part.to_string());
            }
        }
    }
    out
}

struct Run<'a> {
    db: &'a str,
    dir: &'a Path,
    haystack: Vec<(String, Vec<u8>)>,
}

impl Run<'_> {
    /// Runs `posture` with the test key; keeps its standard output and error.
    fn posture(&mut self, args: &[&str]) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_posture"))
            .current_dir(self.dir)
            .arg("--database")
            .arg(self.db)
            .args(args)
            .env_remove("POSTURE_DATABASE")
            .env("POSTURE_SECRET_KEY", TEST_SECRET_KEY)
            .env("POSTURE_JIRA_TOKEN", fake_jira::TOKEN)
            .env("RUST_LOG", "debug")
            .output()
            .unwrap_or_else(|e| panic!("posture {args:?}: {e}"));
        let what = format!("posture {}", args.join(" "));
        self.haystack
            .push((format!("{what} (stdout)"), out.stdout.clone()));
        self.haystack.push((format!("{what} (stderr)"), out.stderr));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

fn no_secret_anywhere(b: &TestBackend) {
    let Some(root) = corpus_root() else {
        return;
    };
    let reports = secret_reports(&root);
    let mut secrets: Vec<(String, PathBuf)> = Vec::new();
    for (r, secret_tool) in &reports {
        for s in secrets_of(r, *secret_tool) {
            if !secrets.iter().any(|(v, _)| v == &s) {
                secrets.push((s, r.clone()));
            }
        }
    }
    assert!(
        secrets.len() > 50,
        "the corpus gives {} secret values only",
        secrets.len()
    );
    // the one the issue names
    assert!(secrets.iter().any(|(s, _)| s == "am0r3C0mpl3xK3y"));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jira = fake_jira::FakeJira::start();
    let hooks: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let hook_port = support::free_port();
    let captured = hooks.clone();
    let _receiver = support::Server::start(hook_port, move |req| {
        if let Ok(mut h) = captured.lock() {
            h.push(req.body.clone());
        }
        (200, Vec::new(), String::new())
    });
    std::fs::write(
        dir.path().join("posture.toml"),
        format!(
            r#"
[[team]]
name = "appsec"

[[asset]]
name = "flask"
team = "appsec"
criticality = "tier-1"
environment = "production"
exposure = "internet-facing"

[[webhook]]
name = "siem"
kind = "generic"
url = "http://127.0.0.1:{hook_port}/hook"
events = ["new-critical", "new-high", "regression", "fixed", "sla-breach", "gate-failure"]

[[webhook]]
name = "chat"
kind = "slack"
url = "http://127.0.0.1:{hook_port}/slack"
events = ["new-critical", "new-high", "regression", "fixed", "sla-breach", "gate-failure"]

[jira]
base_url = "{url}"
api_version = 3
project = "SEC"
user = "{user}"
issue_type = "Bug"
grouping = "finding"
min_severity = "info"
"#,
            url = jira.url(),
            user = fake_jira::USER,
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let mut run = Run {
        db: b.location(),
        dir: dir.path(),
        haystack: Vec::new(),
    };
    let mut ingested = 0;
    for (i, (r, _)) in reports.iter().enumerate() {
        let flask = r.to_string_lossy().contains("vulnerable-flask-app");
        let asset = if flask {
            "flask".to_string()
        } else {
            format!("corpus-{i}")
        };
        let path = r.to_string_lossy().into_owned();
        let (code, _) = run.posture(&["ingest", "--asset", &asset, "--output", "json", &path]);
        if code == 0 {
            ingested += 1;
        }
    }
    assert!(
        ingested > 20,
        "only {ingested} corpus reports were ingested"
    );

    for output in ["json", "csv", "table"] {
        run.posture(&["findings", "--status", "all", "--output", output]);
        run.posture(&["scans", "--output", output]);
    }
    let (_, listing) = run.posture(&["findings", "--status", "all", "--output", "json"]);
    let ids: Vec<i64> = serde_json::from_str::<serde_json::Value>(&listing)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["id"].as_i64())
        .collect();
    assert!(ids.len() > 50, "{} findings", ids.len());
    for id in &ids {
        let id = id.to_string();
        run.posture(&["explain", &id, "--output", "json"]);
        run.posture(&["show", &id]);
    }
    for output in ["sarif", "csv", "ocsf", "cyclonedx-vex", "openvex"] {
        run.posture(&["export", "--output", output]);
    }
    for gate in ["gate.md", "gate.sarif", "gate.xml"] {
        let _ = std::fs::remove_file(dir.path().join(gate));
    }
    run.posture(&[
        "gate",
        "--asset",
        "flask",
        "--markdown",
        "gate.md",
        "--sarif",
        "gate.sarif",
        "--junit",
        "gate.xml",
    ]);
    for gate in ["gate.md", "gate.sarif", "gate.xml"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(gate)) {
            run.haystack.push((gate.to_string(), bytes));
        }
    }
    run.posture(&["notify", "--output", "json"]);
    run.posture(&["notify", "--list", "--all", "--output", "json"]);
    run.posture(&["jira", "sync", "--output", "json"]);
    let payloads = hooks.lock().map(|h| h.clone()).unwrap_or_default();
    assert!(!payloads.is_empty(), "no webhook was delivered");
    run.haystack
        .push(("webhook payloads".into(), payloads.join("\n").into_bytes()));
    let jira_state = jira
        .state
        .lock()
        .map(|s| format!("{:?}\n{:?}", s.issues, s.log))
        .unwrap_or_default();
    assert!(jira_state.contains("SEC-1"), "no Jira issue was created");
    run.haystack
        .push(("Jira issues and requests".into(), jira_state.into_bytes()));
    run.haystack.push(("the database".into(), b.raw_contents()));

    eprintln!(
        "{} secret values from {} reports ({ingested} ingested), {} findings, {} places checked",
        secrets.len(),
        reports.len(),
        ids.len(),
        run.haystack.len()
    );
    let mut leaks = Vec::new();
    for (secret, report) in &secrets {
        for (place, bytes) in &run.haystack {
            if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                leaks.push(format!(
                    "{secret:?} (from {}) in {place}",
                    report.strip_prefix(&root).unwrap_or(report).display()
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} secrets leak ({} secret values, {} places checked):\n{}",
        leaks.len(),
        secrets.len(),
        run.haystack.len(),
        leaks.join("\n")
    );
}

on_both_backends!(no_secret_anywhere);
