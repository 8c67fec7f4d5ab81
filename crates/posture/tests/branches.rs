//! `posture branches list|delete`, `posture findings --branch` and idle retirement at ingest
//! (times injected with `--at`) through the real binary, on SQLite and PostgreSQL.

use assert_cmd::Command;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use std::ffi::OsStr;
use std::path::Path;

fn posture(db: impl AsRef<OsStr>, dir: &Path) -> Command {
    let mut c = Command::cargo_bin("posture").expect("binary");
    c.arg("--database")
        .arg(db)
        .current_dir(dir)
        .env_remove("POSTURE_DATABASE")
        .env(
            "POSTURE_SECRET_KEY",
            posture_store::testing::TEST_SECRET_KEY,
        )
        .env_remove("POSTURE_CONFIG");
    c
}

/// A Bandit report with results at `lines` of app/main.py (one rule per line).
fn bandit(lines: &[u32]) -> String {
    let results: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "code": format!("{l} value = run_{l}(data)\n"),
                "filename": "app/main.py",
                "issue_confidence": "HIGH",
                "issue_severity": "HIGH",
                "issue_text": format!("issue at {l}"),
                "line_number": l,
                "line_range": [l],
                "test_id": format!("B6{:02}", l % 90),
                "test_name": "check",
            })
        })
        .collect();
    serde_json::json!({ "errors": [], "results": results }).to_string()
}

fn ingest(db: &str, dir: &Path, branch: &str, lines: &[u32], at: &str) -> serde_json::Value {
    let file = dir.join(format!("bandit-{}.json", lines.len()));
    std::fs::write(&file, bandit(lines)).expect("write");
    let out = posture(db, dir)
        .args(["ingest", "--asset", "shop", "--branch", branch, "--at", at])
        .args(["--output", "json"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn json(c: &mut Command) -> serde_json::Value {
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn branches_through_the_cli(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let db = b.location();
    ingest(db, d, "main", &[10, 20], "2026-03-01T00:00:00Z");
    ingest(db, d, "feature/x", &[10, 20, 30], "2026-03-02T00:00:00Z");
    ingest(db, d, "feature/y", &[10, 20], "2026-03-20T00:00:00Z");

    // the default view: main's 2; the branch view of feature/x: 3
    let all = json(posture(db, d).args(["findings", "--asset", "shop", "--output", "json"]));
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    let x = json(posture(db, d).args([
        "findings",
        "--asset",
        "shop",
        "--branch",
        "feature/x",
        "--output",
        "json",
    ]));
    assert_eq!(x.as_array().map(Vec::len), Some(3), "{x}");

    let list =
        json(posture(db, d).args(["branches", "list", "--asset", "shop", "--output", "json"]));
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|b| b["branch"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["main", "feature/x", "feature/y"]);
    assert_eq!(list[0]["default"], true);

    // the default branch cannot be deleted; an unknown asset is an error: exit 2
    let out = posture(db, d)
        .args(["branches", "delete", "--asset", "shop", "--branch", "main"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("default branch"));
    let out = posture(db, d)
        .args(["branches", "list", "--asset", "shpo"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));

    // deleting feature/y closes its 2 occurrences and fixes nothing
    let done = json(posture(db, d).args([
        "branches",
        "delete",
        "--asset",
        "shop",
        "--branch",
        "feature/y",
        "--at",
        "2026-03-21T00:00:00Z",
        "--output",
        "json",
    ]));
    assert_eq!(done["closed_occurrences"], 2);
    assert_eq!(done["fixed_findings"], 0);

    // main's next scan, 31 days after feature/x's last: feature/x retires (no fix counted)
    let o = ingest(db, d, "main", &[10, 20, 40], "2026-04-02T00:00:00Z");
    assert_eq!(o["total"]["fixed"].as_u64().unwrap_or(0), 0, "{o}");
    let list =
        json(posture(db, d).args(["branches", "list", "--asset", "shop", "--output", "json"]));
    let retired: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter(|b| !b["retired_at"].is_null())
        .map(|b| b["branch"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(retired, ["feature/x", "feature/y"]);
    let x = json(posture(db, d).args([
        "findings",
        "--asset",
        "shop",
        "--branch",
        "feature/x",
        "--output",
        "json",
    ]));
    assert_eq!(x.as_array().map(Vec::len), Some(0), "{x}");
}

on_both_backends!(branches_through_the_cli);
