//! `posture push` against the real `posture serve`, on each back end: a CI job's reports in one
//! all-or-nothing upload with a ci token give the server the same findings as a local ingest
//! of the same files; `--gate` exits with the server's verdict; a broken report stores nothing;
//! a bad token is a clear error that never prints the token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("multiscan/vulnerable-flask-app");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: no corpus at {}: the push test is SKIPPED",
            dir.display()
        );
        None
    }
}

fn posture(db: &str, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posture"));
    c.env(
        "POSTURE_SECRET_KEY",
        posture_store::testing::TEST_SECRET_KEY,
    )
    .env_remove("POSTURE_DATABASE")
    .env_remove("POSTURE_CONFIG")
    .env_remove("POSTURE_TOKEN")
    .env_remove("POSTURE_SERVER")
    .env_remove("GITHUB_ACTIONS")
    .env_remove("GITLAB_CI")
    .arg("--database")
    .arg(db)
    .arg("--config")
    .arg(config);
    c
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// What a person reads of the findings: per (tool set, rule, severity, status), how many.
fn portfolio(db: &str, config: &Path) -> BTreeMap<String, usize> {
    let out = posture(db, config)
        .args(["findings", "--output", "json", "--status", "all"])
        .output()
        .unwrap();
    let list: Value = serde_json::from_str(&ok(out, "findings")).unwrap();
    let mut counts = BTreeMap::new();
    for f in list.as_array().unwrap() {
        let mut tools: Vec<&str> = f["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["tool"].as_str().unwrap())
            .collect();
        tools.sort_unstable();
        tools.dedup();
        let key = format!(
            "{} {} {} {}",
            tools.join("+"),
            f["rule_id"].as_str().unwrap_or_default(),
            f["severity"],
            f["status"]
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn push_pushes_what_a_local_ingest_stores(b: &TestBackend) {
    let Some(flask) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("posture.toml");
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy.toml");
    std::fs::copy(policy, dir.path().join("policy.toml")).unwrap();
    std::fs::write(
        &config,
        "[policy]\nfile = \"policy.toml\"\n\n[[asset]]\nname = \"flask\"\ntags = [\"production\"]\n",
    )
    .unwrap();
    let db = b.location();
    let mut child = posture(db, &config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Guard(child);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let text = printed.join("\n");
    let base = text
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches('/').to_string())
        .unwrap_or_else(|| panic!("no URL: {text}"));
    let ci = ok(
        posture(db, &config)
            .args([
                "token", "create", "--role", "ci", "--asset", "flask", "--name", "pipeline",
            ])
            .output()
            .unwrap(),
        "token create",
    )
    .trim()
    .to_string();

    let reports = [
        "bandit.json",
        "pip-audit.json",
        "semgrep.sarif",
        "trufflehog3.json",
    ];
    let files: Vec<String> = reports
        .iter()
        .map(|r| flask.join(r).display().to_string())
        .collect();
    let push = |args: &[&str], token: &str| {
        posture(db, &config)
            .env("POSTURE_TOKEN", token)
            .args(["push", "--server", &base, "--asset", "flask"])
            .args(args)
            .output()
            .unwrap()
    };

    // A bad token: exit 2, named, never printed.
    let out = push(&["--branch", "main", &files[0]], "pst_not_a_token_at_all");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HTTP 401") && !err.contains("pst_not_a_token_at_all"),
        "{err}"
    );

    // A broken report among good ones: the server refuses the upload whole, naming the file.
    let broken = dir.path().join("broken-bandit.json");
    let mut text = std::fs::read_to_string(flask.join("bandit.json")).unwrap();
    text.truncate(text.len() / 2);
    std::fs::write(&broken, text).unwrap();
    let out = push(
        &["--branch", "main", &files[1], broken.to_str().unwrap()],
        &ci,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken-bandit.json"), "{err}");
    assert!(
        portfolio(db, &config).is_empty(),
        "nothing stored after a refused upload"
    );

    // The pipeline: four reports in one upload, one of them with its format named.
    let mut args = vec!["--branch", "main", "--commit", "abc123", "--format"];
    let sarif_format = "semgrep.sarif=sarif";
    args.push(sarif_format);
    args.extend(files.iter().map(String::as_str));
    let out = push(&args, &ci);
    let printed = ok(out, "push");
    assert!(printed.contains("4 report(s)"), "{printed}");

    // The same files ingested locally give the same findings.
    let local = dir.path().join("local.db");
    let local = local.to_str().unwrap();
    let mut ingest = posture(local, &config);
    ingest.args([
        "ingest",
        "--asset",
        "flask",
        "--branch",
        "main",
        "--format",
        sarif_format,
    ]);
    ingest.args(&files);
    ok(ingest.output().unwrap(), "local ingest");
    let remote = portfolio(db, &config);
    assert!(remote.values().sum::<usize>() > 20, "{remote:?}");
    assert_eq!(remote, portfolio(local, &config));

    // --gate: a branch that adds nothing passes; the server's verdict is the exit code.
    let out = push(&["--branch", "mr-1", "--gate", &files[0]], &ci);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS"));
    // A branch that adds a high in a production asset blocks: exit 1.
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(flask.join("bandit.json")).unwrap()).unwrap();
    let mut extra = report["results"][0].clone();
    extra["filename"] = Value::from("app/new_module.py");
    extra["issue_severity"] = Value::from("HIGH");
    extra["issue_confidence"] = Value::from("HIGH");
    report["results"].as_array_mut().unwrap().push(extra);
    let mr2 = dir.path().join("bandit-mr2.json");
    std::fs::write(&mr2, report.to_string()).unwrap();
    let sarif_out = dir.path().join("gate.sarif");
    let out = push(
        &[
            "--branch",
            "mr-2",
            "--gate",
            "--sarif",
            sarif_out.to_str().unwrap(),
            mr2.to_str().unwrap(),
        ],
        &ci,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: Value = serde_json::from_slice(&std::fs::read(&sarif_out).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "posture/flask/mr-2"
    );
}

on_both_backends!(push_pushes_what_a_local_ingest_stores);
