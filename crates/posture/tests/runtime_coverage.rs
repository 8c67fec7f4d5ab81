//! Runtime evidence for code with the real binary, on SQLite and PostgreSQL (issue 15): a
//! bandit report with the same rule on two lines, then an lcov file (`--kind runtime
//! --environment production`) saying one line ran 12,000 times and the other never. The first
//! finding ranks above the second, `posture explain` says why (file, lines, hits,
//! environment, date), and the coverage created no finding. Coverage paths are build paths
//! (`/srv/shop/...`), joined to the repository by posture.toml's `[[runtime.path_map]]`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use serde_json::Value;
use std::process::Command;

const PORTFOLIO: &str = r#"
[[asset]]
name = "shop"
environment = "production"
exposure = "internet-facing"

[[runtime.path_map]]
from = "/srv/shop/"
to = ""
"#;

/// bandit 1.9's JSON: B608 (SQL built from strings) at app/views.py lines 5 and 10.
const BANDIT: &str = r#"{
  "errors": [],
  "generated_at": "2026-11-30T09:00:00Z",
  "metrics": {},
  "results": [
    {
      "code": "4 def search(db, term):\n5     query = \"SELECT * FROM users WHERE name = '%s'\" % term\n6     return db.execute(query).fetchall()\n",
      "col_offset": 12,
      "end_col_offset": 60,
      "filename": "./app/views.py",
      "issue_confidence": "LOW",
      "issue_cwe": {"id": 89, "link": "https://cwe.mitre.org/data/definitions/89.html"},
      "issue_severity": "MEDIUM",
      "issue_text": "Possible SQL injection vector through string-based query construction.",
      "line_number": 5,
      "line_range": [5],
      "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b608_hardcoded_sql_expressions.html",
      "test_id": "B608",
      "test_name": "hardcoded_sql_expressions"
    },
    {
      "code": "9 def admin_report(db, table):\n10     query = \"SELECT count(*) FROM %s\" % table\n11     return db.execute(query).fetchone()\n",
      "col_offset": 12,
      "end_col_offset": 46,
      "filename": "./app/views.py",
      "issue_confidence": "LOW",
      "issue_cwe": {"id": 89, "link": "https://cwe.mitre.org/data/definitions/89.html"},
      "issue_severity": "MEDIUM",
      "issue_text": "Possible SQL injection vector through string-based query construction.",
      "line_number": 10,
      "line_range": [10],
      "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b608_hardcoded_sql_expressions.html",
      "test_id": "B608",
      "test_name": "hardcoded_sql_expressions"
    }
  ]
}"#;

/// A production sample, as lcov: line 5 ran 12,000 times, line 10 never.
const LCOV: &str = "TN:production-sample
SF:/srv/shop/app/views.py
DA:1,1
DA:4,1
DA:5,12000
DA:6,12000
DA:9,1
DA:10,0
DA:11,0
LF:7
LH:5
end_of_record
SF:/srv/shop/app/other.py
DA:1,3
LF:1
LH:1
end_of_record
";

struct Shop<'a> {
    db: &'a str,
    dir: tempfile::TempDir,
}

impl Shop<'_> {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_posture"))
            .current_dir(self.dir.path())
            .arg("--database")
            .arg(self.db)
            .arg("--config")
            .arg(self.dir.path().join("posture.toml"))
            .args(args)
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .env("POSTURE_ACTOR", "alice")
            .env(
                "POSTURE_SECRET_KEY",
                posture_store::testing::TEST_SECRET_KEY,
            )
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "posture {args:?}\n{out}\n{err}");
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// The shop's open findings by risk, highest first: (id, start line, score).
    fn ranked(&self) -> Vec<(i64, i64, f64)> {
        self.json(&["findings", "--asset", "shop", "--sort", "risk"])
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_i64().unwrap(),
                    f["occurrences"][0]["location"]["start_line"]
                        .as_i64()
                        .unwrap(),
                    f["risk_score"]
                        .as_f64()
                        .unwrap_or_else(|| panic!("no score: {f}")),
                )
            })
            .collect()
    }

    fn reachability(&self, id: i64) -> Value {
        let x = self.json(&["explain", &id.to_string()]);
        x["risk"]["terms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "reachability")
            .cloned()
            .unwrap()
    }
}

fn coverage_ranks_executed_code_above_code_never_run(b: &TestBackend) {
    let shop = Shop {
        db: b.location(),
        dir: tempfile::tempdir().unwrap(),
    };
    shop.write("posture.toml", PORTFOLIO);
    let bandit = shop.write("bandit.json", BANDIT);
    let lcov = shop.write("production.info", LCOV);
    shop.json(&[
        "ingest",
        &bandit,
        "--asset",
        "shop",
        "--at",
        "2026-11-30T09:00:00Z",
    ]);
    let before = shop.ranked();
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(
        before[0].2, before[1].2,
        "same rule, same score: {before:?}"
    );
    let unknown = shop.reachability(before[0].0);
    assert_eq!(unknown["value"], "unknown");

    // The environment is required to mean production; the time is the sample's.
    let out = shop.json(&[
        "ingest",
        &lcov,
        "--asset",
        "shop",
        "--kind",
        "runtime",
        "--environment",
        "production",
        "--at",
        "2026-12-01T06:00:00Z",
    ]);
    assert_eq!(out["coverage"][0]["format"], "lcov", "{out}");
    assert_eq!(out["coverage"][0]["files"], 2, "{out}");
    assert_eq!(out["coverage"][0]["environment"], "production", "{out}");

    let after = shop.ranked();
    assert_eq!(after.len(), 2, "coverage creates no finding: {after:?}");
    let (hot, cold) = (after[0], after[1]);
    assert_eq!((hot.1, cold.1), (5, 10), "line 5 ranks first: {after:?}");
    assert!(hot.2 > before[0].2, "escalated: {before:?} -> {after:?}");
    assert!(
        cold.2 < before[0].2 && cold.2 > 0.0,
        "demoted, never closed: {after:?}"
    );
    let all = shop.json(&["findings", "--asset", "shop", "--status", "all"]);
    assert_eq!(all.as_array().unwrap().len(), 2);

    let why = shop.reachability(hot.0);
    assert_eq!(why["value"], "executed 12,000 times in production", "{why}");
    let source = why["source"].as_str().unwrap();
    for part in [
        "production.info (lcov)",
        "2026-12-01",
        "production",
        "app/views.py (coverage path /srv/shop/app/views.py) line 5",
        "12,000 hits",
    ] {
        assert!(source.contains(part), "`{part}` not in `{source}`");
    }
    let why = shop.reachability(cold.0);
    assert_eq!(why["value"], "never executed in production", "{why}");
    assert!(
        why["source"].as_str().unwrap().contains("line 10, 0 hits"),
        "{why}"
    );

    // What a person reads.
    let text = shop.ok(&["explain", &hot.0.to_string()]);
    assert!(
        text.contains("executed 12,000 times in production"),
        "{text}"
    );
    assert!(text.contains("12,000 hits"), "{text}");

    // Test coverage is weaker evidence than production: the same sample from tests moves the
    // never-run line less (production coverage is still there and decides first, so a test
    // report for another asset file changes nothing here).
    let tests_lcov = shop.write(
        "unit.info",
        "SF:/srv/shop/app/views.py\nDA:10,0\nend_of_record\n",
    );
    shop.json(&[
        "ingest",
        &tests_lcov,
        "--asset",
        "shop",
        "--kind",
        "runtime",
    ]);
    assert_eq!(shop.ranked(), after, "production evidence decides first");

    // A broken coverage file is refused with its name and line, and changes nothing.
    let broken = shop.write(
        "broken.info",
        "SF:/srv/shop/app/views.py\nDA:5,lots\nend_of_record\n",
    );
    let (code, _, err) = shop.run(&["ingest", &broken, "--asset", "shop", "--kind", "runtime"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("broken.info") && err.contains("line 2"),
        "{err}"
    );
    assert_eq!(shop.ranked(), after);
}

on_both_backends!(coverage_ranks_executed_code_above_code_never_run);
