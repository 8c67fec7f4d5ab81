//! End-to-end tests of the real `posture` binary on a real database: a SQLite file, and (for
//! the core lifecycle cases, through `on_both_backends!`) a PostgreSQL database when one is
//! reachable.

use assert_cmd::Command;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use predicates::prelude::*;
use std::ffi::OsStr;

const SECRET: &str = "AKIAQQQQQQQQQQQQQQQQ";

fn leaks(entries: &[(&str, u32)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(file, line)| {
            format!(
                r#"{{"RuleID":"aws-access-token","Description":"AWS Access Key","StartLine":{line},"EndLine":{line},"StartColumn":1,"EndColumn":20,"Match":"key = {SECRET}","Secret":"{SECRET}","File":"{file}","Commit":"abc","Tags":[]}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn posture(db: impl AsRef<OsStr>) -> Command {
    let mut c = Command::cargo_bin("posture").expect("binary");
    c.arg("--database")
        .arg(db)
        .env_remove("POSTURE_DATABASE")
        .env(
            "POSTURE_SECRET_KEY",
            posture_store::testing::TEST_SECRET_KEY,
        );
    c
}

fn findings_json(db: impl AsRef<OsStr>, extra: &[&str]) -> serde_json::Value {
    let out = posture(db)
        .args(["findings", "--output", "json"])
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON array")
}

fn ingest_list_fix_and_reopen_through_the_cli(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let r1 = dir.path().join("gitleaks-1.json");
    std::fs::write(&r1, leaks(&[("config.py", 3), ("deploy/env.sh", 9)])).expect("write");

    posture(db)
        .args(["ingest", "--asset", "payments-api", "--branch", "main"])
        .arg(&r1)
        .args(["--output", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"new\": 2"));

    let list = findings_json(db, &[]);
    let arr = list.as_array().expect("array");
    assert_eq!(arr.len(), 2);
    let f = &arr[0];
    for key in [
        "id",
        "asset",
        "status",
        "severity",
        "category",
        "title",
        "first_seen",
        "last_seen",
        "fixed_at",
        "reopened",
        "occurrences",
    ] {
        assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
    }
    assert_eq!(f["asset"], "payments-api");
    assert_eq!(f["status"], "open");
    assert_eq!(f["category"], "secret");
    let occ = &f["occurrences"][0];
    for key in ["tool", "report", "locator", "rule_id", "location"] {
        assert!(occ.get(key).is_some(), "occurrence lacks `{key}`: {occ}");
    }
    assert_eq!(occ["tool"], "gitleaks");
    assert!(
        occ["report"]
            .as_str()
            .expect("report")
            .ends_with("gitleaks-1.json")
    );
    assert!(occ["locator"].as_str().expect("locator").starts_with('/'));

    // the same file again: nothing changes
    posture(db)
        .args(["ingest", "--asset", "payments-api", "--output", "json"])
        .arg(&r1)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"identical\": true"));

    // one leak removed: one finding fixed
    let r2 = dir.path().join("gitleaks-2.json");
    std::fs::write(&r2, leaks(&[("config.py", 5)])).expect("write");
    posture(db)
        .args(["ingest", "--asset", "payments-api", "--output", "json"])
        .arg(&r2)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"fixed\": 1"));
    assert_eq!(findings_json(db, &[]).as_array().map(Vec::len), Some(1));
    let fixed = findings_json(db, &["--status", "fixed"]);
    assert_eq!(fixed.as_array().map(Vec::len), Some(1));
    assert!(fixed[0]["fixed_at"].is_string());

    // it comes back: reopened
    posture(db)
        .args(["ingest", "--asset", "payments-api", "--output", "json"])
        .arg(&r1)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"reopened\": 1"));
    let all = findings_json(db, &["--status", "all"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    assert!(
        all.as_array()
            .expect("a")
            .iter()
            .any(|f| f["reopened"] == 1)
    );

    // filters
    assert_eq!(
        findings_json(db, &["--tool", "gitleaks"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        findings_json(db, &["--tool", "trivy"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        findings_json(db, &["--severity", "critical"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        findings_json(db, &["--category", "secret", "--asset", "payments-api"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // CSV has a header and one row per finding
    let out = posture(db)
        .args(["findings", "--output", "csv"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("id,asset,status,severity"));
    assert_eq!(text.lines().count(), 3);

    // the secret never reaches the database file or any output
    let raw = b.raw_contents();
    assert!(
        raw.windows(b"payments-api".len())
            .any(|w| w == b"payments-api"),
        "the database dump holds the stored data"
    );
    assert!(
        !raw.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "plaintext secret stored"
    );
    assert!(!serde_json::to_string(&all).expect("json").contains(SECRET));
}

fn bad_input_exits_2_names_the_file_and_stores_nothing(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let good = dir.path().join("good.json");
    std::fs::write(&good, leaks(&[("a.py", 1)])).expect("write");
    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, &leaks(&[("a.py", 1)])[..60]).expect("write");
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "hello, this is not a report").expect("write");

    posture(db)
        .args(["ingest", "--asset", "a"])
        .arg(&truncated)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("truncated.json")
                .and(predicate::str::contains("line 1, column")),
        );
    posture(db)
        .args(["ingest", "--asset", "a"])
        .arg(&garbage)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("notes.txt").and(predicate::str::contains("not a report")),
        );
    // a good file with a bad one: all or nothing
    posture(db)
        .args(["ingest", "--asset", "a"])
        .arg(&good)
        .arg(&truncated)
        .assert()
        .code(2);
    assert_eq!(
        findings_json(db, &["--status", "all"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    posture(db)
        .args(["ingest", "--asset", "a", "--max-report-size", "10"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("over the limit"));
    posture(db)
        .args(["ingest", "--asset", "a", "--format", "nope"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format"));
    posture(db)
        .args(["ingest", "--asset", "a"])
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.json"));
    posture(db).arg("frobnicate").assert().code(2);
    posture(db)
        .args(["findings", "--status", "bogus"])
        .assert()
        .code(2);
}

#[test]
fn formats_lists_every_parser() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = posture(dir.path().join("p.db"))
        .args(["formats", "--output", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ids: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    for id in [
        "sarif",
        "trivy-json",
        "grype-json",
        "semgrep-json",
        "gitleaks-json",
    ] {
        assert!(ids.contains(&id), "missing {id} in {ids:?}");
    }
}

fn triage_through_the_cli_is_kept_and_audited(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let r = dir.path().join("r.json");
    std::fs::write(&r, leaks(&[("test/fixtures/keys.py", 1)])).expect("write");
    posture(db)
        .args(["ingest", "--asset", "a"])
        .arg(&r)
        .assert()
        .success();
    let id = findings_json(db, &[])[0]["id"]
        .as_i64()
        .expect("id")
        .to_string();
    posture(db)
        .args([
            "triage",
            &id,
            "--state",
            "false-positive",
            "--reason",
            "test fixture key",
            "--actor",
            "alice",
        ])
        .assert()
        .success();
    posture(db)
        .args(["ingest", "--asset", "a", "--force"])
        .arg(&r)
        .assert()
        .success();
    let fp = findings_json(db, &["--status", "false-positive"]);
    assert_eq!(fp.as_array().map(Vec::len), Some(1));
    let out = posture(db)
        .args(["show", &id, "--output", "json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["opened", "triaged"]);
    posture(db)
        .args(["triage", &id, "--state", "fixed", "--reason", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("decided by scans"));
}

#[test]
fn owners_with_a_codeowners_file_given_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let report = dir.path().join("r.json");
    std::fs::write(&report, leaks(&[("src/pay/keys.py", 2)])).expect("write");
    let config = dir.path().join("posture.toml");
    std::fs::write(
        &config,
        "[[team]]\nname = \"payments\"\n\n[[asset]]\nname = \"svc\"\n",
    )
    .expect("write");
    let codeowners = dir.path().join("CODEOWNERS");
    std::fs::write(&codeowners, "# owners\n/src/pay/ @acme/payments\n").expect("write");
    posture(&db)
        .args(["ingest", "--asset", "svc"])
        .arg(&report)
        .assert()
        .success();
    let owners = |extra: &[&str]| -> serde_json::Value {
        let out = posture(&db)
            .arg("--config")
            .arg(&config)
            .args(["owners", "--output", "json"])
            .args(extra)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let before = owners(&[]);
    assert!(
        before.to_string().contains("keys.py"),
        "unowned without CODEOWNERS: {before}"
    );
    let cf = codeowners.to_string_lossy().to_string();
    let after = owners(&["--codeowners", &cf]);
    let text = after.to_string();
    assert!(text.contains("payments"), "{text}");
    let unowned = after["unowned"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(usize::MAX);
    assert_eq!(unowned, 0, "{text}");
}

/// Trivy and Grype reports naming the same `n` vulnerable PyPI packages (one finding each
/// whichever tool reports it), with `extra` more that only one tool reports.
fn trivy_and_grype(n: usize, extra: usize) -> (String, String) {
    let trivy: Vec<String> = (0..n + extra)
        .map(|k| {
            format!(
                r#"{{"VulnerabilityID":"CVE-2026-{k:04}","PkgName":"pkg{k}","InstalledVersion":"2.0.0","FixedVersion":"9.0.0","Severity":"HIGH"}}"#
            )
        })
        .collect();
    let grype: Vec<String> = (0..n)
        .map(|k| {
            format!(
                r#"{{"vulnerability":{{"id":"CVE-2026-{k:04}","namespace":"github:language:python","severity":"High","fix":{{"versions":["9.0.0"],"state":"fixed"}}}},"relatedVulnerabilities":[],"matchDetails":[],"artifact":{{"name":"pkg{k}","version":"2.0.0","type":"python","locations":[{{"path":"/poetry.lock"}}],"purl":"pkg:pypi/pkg{k}@2.0.0"}}}}"#
            )
        })
        .collect();
    (
        format!(
            r#"{{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[{{"Target":"poetry.lock","Class":"lang-pkgs","Type":"poetry","Vulnerabilities":[{}]}}]}}"#,
            trivy.join(",")
        ),
        format!(
            r#"{{"matches":[{}],"source":{{"type":"directory","target":"."}},"descriptor":{{"name":"grype","version":"0.80.0"}}}}"#,
            grype.join(",")
        ),
    )
}

/// Two `posture ingest` processes upload different reports for one asset at the same time
/// (two CI jobs, two server processes): every finding exists once, with both tools'
/// occurrences, and one `opened` event each.
fn two_ingest_processes_for_one_asset_lose_and_double_nothing(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let (shared, only_trivy) = (300, 50);
    let (trivy, grype) = trivy_and_grype(shared, only_trivy);
    let (t, g) = (dir.path().join("trivy.json"), dir.path().join("grype.json"));
    std::fs::write(&t, trivy).expect("write");
    std::fs::write(&g, grype).expect("write");
    let seed = dir.path().join("leaks.json");
    std::fs::write(&seed, leaks(&[("a.py", 1)])).expect("write");
    // the asset exists before the race
    posture(db)
        .args(["ingest", "--asset", "shop"])
        .arg(&seed)
        .assert()
        .success();
    let bin = assert_cmd::cargo::cargo_bin("posture");
    let spawn = |report: &std::path::Path| {
        std::process::Command::new(&bin)
            .arg("--database")
            .arg(db)
            .args(["ingest", "--asset", "shop"])
            .arg(report)
            .env_remove("POSTURE_DATABASE")
            .env(
                "POSTURE_SECRET_KEY",
                posture_store::testing::TEST_SECRET_KEY,
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn posture")
    };
    let (first, second) = (spawn(&t), spawn(&g));
    for child in [first, second] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let all = findings_json(db, &["--status", "all"]);
    let all = all.as_array().expect("array");
    assert_eq!(
        all.len(),
        1 + shared + only_trivy,
        "findings lost or doubled"
    );
    let mut titles: Vec<&str> = all.iter().filter_map(|f| f["title"].as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), all.len(), "a finding was doubled");
    let both = all
        .iter()
        .filter(|f| f["occurrences"].as_array().map(Vec::len) == Some(2))
        .count();
    assert_eq!(
        both, shared,
        "shared findings carry both tools' occurrences"
    );
    for f in all.iter().filter(|f| f["category"] != "secret").take(20) {
        let id = f["id"].as_i64().expect("id").to_string();
        let out = posture(db)
            .args(["show", &id, "--output", "json"])
            .output()
            .expect("runs");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let kinds: Vec<&str> = v["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["opened"], "events of finding {id}");
    }
}

on_both_backends!(
    two_ingest_processes_for_one_asset_lose_and_double_nothing,
    ingest_list_fix_and_reopen_through_the_cli,
    bad_input_exits_2_names_the_file_and_stores_nothing,
    triage_through_the_cli_is_kept_and_audited,
);
