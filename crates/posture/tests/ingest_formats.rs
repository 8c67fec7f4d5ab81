//! `posture ingest` with clean scans and formats given (issue 14, observations 3 and 6), the
//! real binary on the real reports of `../shared/corpus/multiscan/vulnerable-flask-app`, on
//! SQLite and PostgreSQL.

use assert_cmd::Command;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use predicates::prelude::*;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn flask() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("multiscan/vulnerable-flask-app");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: no corpus at {} (set POSTURE_CORPUS): test SKIPPED",
            dir.display()
        );
        None
    }
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

fn open_findings(db: &str) -> Vec<serde_json::Value> {
    let out = posture(db)
        .args(["findings", "--output", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("JSON array")
}

fn the_flask_folder_ingests_with_its_clean_scans(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let db = b.location();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("md") | Some("tsv")
            )
        })
        .collect();
    files.sort();
    let out = posture(db)
        .args(["ingest", "--asset", "flask", "--output", "json"])
        .args(&files)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "batch refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let formats: Vec<&str> = v["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter_map(|r| r["format"].as_str())
        .collect();
    assert!(formats.contains(&"trufflehog3-json") && formats.contains(&"whispers-json"));
    let open = open_findings(db).len();
    assert!(open > 50, "{open}");

    // A wrong format is an error naming what the report is, and changes nothing.
    for format in [
        "trivy-json",
        "eslint-json",
        "checkov-json",
        "snyk-json",
        "retirejs-json",
    ] {
        posture(db)
            .args(["ingest", "--asset", "flask", "--format", format])
            .arg(dir.join("bandit.json"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("bandit-json"));
    }
    // (terragoat's trufflehog3 report has findings; the flask one is `[]`, which code scanning
    // alerts and whispers write too)
    let th3 = dir.join("../terragoat/trufflehog3.json");
    for format in ["github-code-scanning-json", "whispers-json", "asff-json"] {
        posture(db)
            .args(["ingest", "--asset", "flask", "--format", format])
            .arg(&th3)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("trufflehog3-json"));
    }
    // An unknown format is an error, even on an identical report.
    posture(db)
        .args(["ingest", "--asset", "flask", "--format", "no-such-format"])
        .arg(dir.join("bandit.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format `no-such-format`"));
    assert_eq!(open_findings(db).len(), open);
}

fn per_file_formats_and_clean_rescans(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let db = b.location();
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("scan-output.json");
    std::fs::write(&empty, "[]\n").expect("write");
    let zero = tmp.path().join("bandit.json");
    std::fs::write(&zero, "").expect("write");

    posture(db)
        .args(["ingest", "--asset", "flask"])
        .arg(dir.join("pip-audit.json"))
        .arg(dir.join("bandit.json"))
        .assert()
        .success();
    let pip_open = |db: &str| {
        open_findings(db)
            .iter()
            .filter(|f| f["occurrences"].to_string().contains("pip-audit"))
            .count()
    };
    assert!(pip_open(db) > 0);

    // `[]` under a name that names no tool: refused, the message gives the syntax
    posture(db)
        .args(["ingest", "--asset", "flask"])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format FILE=FORMAT"));
    // a 0-byte report of a tool that always writes a document: refused, closes nothing
    posture(db)
        .args(["ingest", "--asset", "flask"])
        .arg(&zero)
        .assert()
        .code(2);
    posture(db)
        .args(["ingest", "--asset", "flask", "--format", "bandit-json"])
        .arg(&zero)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("always writes a document"));
    // a per-file format naming no report given is an error
    posture(db)
        .args([
            "ingest",
            "--asset",
            "flask",
            "--format",
            "other.json=pip-audit-json",
        ])
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not one of the reports given"));
    assert!(pip_open(db) > 0);

    // the clean pip-audit output with its per-file format (by file name, and by path), next
    // to a report detected from its content: closes pip-audit's findings
    let name = "scan-output.json=pip-audit-json";
    posture(db)
        .args([
            "ingest", "--asset", "flask", "--output", "json", "--format", name,
        ])
        .arg(&empty)
        .arg(dir.join("bandit.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("\"format\": \"pip-audit-json\""));
    assert_eq!(pip_open(db), 0);
    let by_path = format!("{}=pip-audit-json", empty.display());
    posture(db)
        .args([
            "ingest",
            "--asset",
            "flask",
            "--format",
            &by_path,
            "--format",
            "bandit-json",
        ])
        .arg(&empty)
        .arg(dir.join("bandit.json"))
        .assert()
        .success();
}

on_both_backends!(
    the_flask_folder_ingests_with_its_clean_scans,
    per_file_formats_and_clean_rescans,
);
