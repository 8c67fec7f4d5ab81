//! Hostile files through the real `posture` binary: each is refused with exit code 2 and a
//! message naming the file, and nothing is stored. The files are the parser crate's
//! `tests/hostile/` inputs, plus a few generated here (random bytes, deep nesting, a report
//! over `--max-report-size`).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn hostile(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../posture-parsers/tests/hostile")
        .join(name)
}

fn posture(db: &Path) -> Command {
    let mut c = Command::cargo_bin("posture").expect("binary");
    c.arg("--database").arg(db).env_remove("POSTURE_DATABASE");
    c
}

fn ingest(db: &Path, file: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    posture(db)
        .args(["ingest", "--asset", "payments-api", "--branch", "main"])
        .args(extra)
        .arg(file)
        .assert()
}

fn stored_findings(db: &Path) -> serde_json::Value {
    let out = posture(db)
        .args(["findings", "--status", "all", "--output", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A gitleaks report of `n` findings (valid, detected as gitleaks-json).
fn gitleaks(n: usize) -> String {
    let items: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                r#"{{"RuleID":"generic-api-key","Description":"Generic API Key","StartLine":{i},"EndLine":{i},"StartColumn":1,"EndColumn":40,"Match":"token = 'hostile-test-token-{i:04}'","Secret":"hostile-test-token-{i:04}","File":"config/app.py","Commit":"abc","Tags":[]}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[test]
fn hostile_files_exit_2_name_the_file_and_store_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");

    // (file, what the message must say besides the file name)
    let cases: &[(&str, &[&str])] = &[
        ("truncated.json", &["truncated", "line 1, column"]),
        ("truncated.xml", &["truncated"]),
        ("billion-laughs.xml", &["refused"]),
        ("xxe-file.xml", &["refused"]),
        ("xxe-url.xml", &["refused"]),
        ("report.json.gz", &["not a report"]),
        ("report.zip", &["not a report"]),
        ("nul-bytes.bin", &["not a report"]),
        ("empty.json", &["empty"]),
        ("nan.json", &["line 1, column"]),
    ];
    for (name, says) in cases {
        let file = hostile(name);
        assert!(file.is_file(), "missing {}", file.display());
        let mut expected = predicate::str::contains(*name).boxed();
        for s in *says {
            expected = expected.and(predicate::str::contains(*s)).boxed();
        }
        ingest(&db, &file, &[])
            .code(2)
            .stderr(expected)
            .stderr(predicate::str::contains("root:").not());
    }

    // UTF-16 is read (issue 14): the same report as its UTF-8
    ingest(&dir.path().join("p3.db"), &hostile("utf16le.json"), &[]).success();

    // forced through a format, an entity bomb is still refused
    ingest(
        &db,
        &hostile("billion-laughs.xml"),
        &["--format", "zap-xml"],
    )
    .code(2)
    .stderr(
        predicate::str::contains("billion-laughs.xml").and(predicate::str::contains("refused")),
    );

    // generated: random bytes, 100,000-deep nesting (no stack overflow: a clean exit 2)
    let random: Vec<u8> = (0u32..65_536)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let random_file = dir.path().join("random.bin");
    std::fs::write(&random_file, &random).expect("write");
    ingest(&db, &random_file, &[]).code(2).stderr(
        predicate::str::contains("random.bin").and(predicate::str::contains("not a report")),
    );
    let deep_file = dir.path().join("deep.json");
    let mut deep = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "#.to_string();
    deep.push_str(&"[".repeat(100_000));
    deep.push_str(&"]".repeat(100_000));
    deep.push('}');
    std::fs::write(&deep_file, deep).expect("write");
    ingest(&db, &deep_file, &[]).code(2).stderr(
        predicate::str::contains("deep.json").and(predicate::str::contains("recursion limit")),
    );
    let deep_xml = dir.path().join("deep.xml");
    std::fs::write(&deep_xml, "<OWASPZAPReport>".repeat(100_000)).expect("write");
    ingest(&db, &deep_xml, &["--format", "zap-xml"])
        .code(2)
        .stderr(
            predicate::str::contains("deep.xml").and(predicate::str::contains("nested deeper")),
        );

    // over --max-report-size: refused before parsing
    let big = dir.path().join("big-gitleaks.json");
    let report = gitleaks(50);
    std::fs::write(&big, &report).expect("write");
    let limit = (report.len() - 1).to_string();
    ingest(&db, &big, &["--max-report-size", &limit])
        .code(2)
        .stderr(
            predicate::str::contains("big-gitleaks.json")
                .and(predicate::str::contains("over the limit"))
                .and(predicate::str::contains(limit.as_str())),
        );

    assert_eq!(stored_findings(&db), serde_json::json!([]));

    // the cap is inclusive: the same report at exactly the limit is read (another database)
    let db2 = dir.path().join("p2.db");
    ingest(
        &db2,
        &big,
        &["--max-report-size", &report.len().to_string()],
    )
    .success();
    assert_eq!(stored_findings(&db2).as_array().map(Vec::len), Some(50));
}

/// Issue 19 (evaluation W25): a wrong password was printed in clear in "cannot open the
/// database postgres://postgres:wrongpw@...". Messages show the URL without its password.
#[test]
fn a_database_password_is_never_printed() {
    for url in [
        "postgres://postgres:wr0ngpw-s3cret@127.0.0.1:1/posture",
        "postgresql://127.0.0.1:1/posture?user=postgres&password=wr0ngpw-s3cret",
    ] {
        let out = Command::cargo_bin("posture")
            .expect("binary")
            .args(["--database", url, "findings", "--output", "json"])
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot open the database"), "{err}");
        assert!(
            !err.contains("wr0ngpw-s3cret"),
            "the password is printed: {err}"
        );
        assert!(err.contains("***"), "{err}");
    }
}

/// Issue 20, adversarial probe: `posture findings --output csv` and `posture scans --output
/// csv` wrote scanner text raw (`=HYPERLINK(...)`, `@SUM(...)`): formula injection when the file
/// is opened in a spreadsheet. Every CSV cell a spreadsheet would read as a formula now starts
/// with `'`, as in `posture export`; plain numbers stay numbers.
#[test]
fn csv_outputs_neutralize_formulas() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    let report = dir.path().join("=HYPERLINK(evil).json");
    std::fs::write(
        &report,
        r#"{"errors": [], "results": [
          {"code": "1 run(x)\n", "filename": "app/a.py", "issue_confidence": "HIGH",
           "issue_severity": "HIGH", "issue_text": "=HYPERLINK(\"http://evil.example/x\",\"click\")",
           "line_number": 1, "line_range": [1], "test_id": "B601", "test_name": "t"},
          {"code": "2 run(y)\n", "filename": "@SUM(1+1)*cmd|' /C calc'!A0", "issue_confidence": "HIGH",
           "issue_severity": "LOW", "issue_text": "@SUM(1+1)", "line_number": 2,
           "line_range": [2], "test_id": "B602", "test_name": "t"}
        ]}"#,
    )
    .expect("write");
    // the report named as a CI job would, relative: its name is scanner-side text too
    posture(&db)
        .current_dir(dir.path())
        .args([
            "ingest",
            "--asset",
            "payments-api",
            "--format",
            "bandit-json",
        ])
        .arg(report.file_name().expect("name"))
        .assert()
        .success();
    for args in [
        &["findings", "--output", "csv"][..],
        &["scans", "--output", "csv"][..],
    ] {
        let out = posture(&db).args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.expect("a CSV record").iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                    "{args:?}: a formula cell `{cell}` in\n{text}"
                );
            }
        }
        assert!(cells > 0, "{args:?}: no cells in {text}");
        assert!(
            text.contains("'=HYPERLINK") || text.contains("'@SUM"),
            "{args:?}: the formula is kept, defused: {text}"
        );
    }
}
