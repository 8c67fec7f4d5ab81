//! The database's upkeep with the real binary (issue 19): `posture migrate` and the refusals of
//! every other command on a database at another schema, `posture serve --migrate`,
//! `posture backup` / `posture restore` while ingests go on, the PostgreSQL way (pg_dump and
//! pg_restore, once), and the bootstrap admin token made only by a start that succeeded.

use posture_store::on_both_backends;
use posture_store::testing::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn posture_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_posture"))
}

fn posture(db: &str) -> Command {
    let mut c = Command::new(posture_bin());
    c.env(
        "POSTURE_SECRET_KEY",
        posture_store::testing::TEST_SECRET_KEY,
    )
    .env_remove("POSTURE_DATABASE")
    .env_remove("POSTURE_CONFIG")
    .arg("--database")
    .arg(db);
    c
}

fn run(db: &str, args: &[&str]) -> Output {
    posture(db)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("posture {args:?}: {e}"))
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "posture {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail with exit 2; answers its stderr.
fn refused(db: &str, args: &[&str]) -> String {
    let out = run(db, args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "posture {args:?} answered {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A Bandit report with `n` distinct findings (titles carry `tag`).
fn bandit(n: usize, tag: &str) -> String {
    let results: Vec<Value> = (0..n)
        .map(|i| {
            let severity = ["HIGH", "MEDIUM", "LOW"][i % 3];
            json!({
                "code": format!("{i} value = run_{tag}_{i}(data)\n"),
                "filename": format!("app/mod_{tag}_{i}.py"),
                "issue_confidence": "HIGH",
                "issue_severity": severity,
                "issue_text": format!("{tag} issue number {i}"),
                "line_number": 10 + i,
                "line_range": [10 + i],
                "test_id": format!("B6{:02}", i % 20),
                "test_name": "check",
            })
        })
        .collect();
    json!({ "errors": [], "results": results }).to_string()
}

fn ingest(db: &str, dir: &Path, asset: &str, n: usize, tag: &str) {
    let report = dir.join(format!("bandit-{asset}-{tag}.json"));
    std::fs::write(&report, bandit(n, tag)).unwrap_or_else(|e| panic!("{e}"));
    ok(
        db,
        &[
            "ingest",
            "--asset",
            asset,
            "--output",
            "json",
            &report.to_string_lossy(),
        ],
    );
}

fn findings(db: &str) -> Value {
    serde_json::from_str(&ok(
        db,
        &["findings", "--status", "all", "--output", "json"],
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn migrate_is_asked_for_and_every_other_command_refuses_another_schema(b: &TestBackend) {
    let db = b.location();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let known = posture_store::SCHEMA_VERSION;
    let old = known - 1;
    b.create_at_schema(old);
    let expected = format!("is at schema {old}, this posture needs {known}: run `posture migrate`");
    for args in [
        &["findings"][..],
        &["scans", "--output", "json"],
        &["token", "list"],
        &["serve", "--listen", "127.0.0.1:0"],
    ] {
        let stderr = refused(db, args);
        assert!(stderr.contains(&expected), "posture {args:?}: {stderr}");
    }
    let report = dir.path().join("bandit.json");
    std::fs::write(&report, bandit(2, "a")).unwrap_or_else(|e| panic!("{e}"));
    let stderr = refused(db, &["ingest", "--asset", "api", &report.to_string_lossy()]);
    assert!(stderr.contains(&expected), "{stderr}");

    // `posture migrate` says where it started, where it ends and what it applied
    let out = ok(db, &["migrate"]);
    assert!(
        out.contains(&format!("schema {old} -> {known}, applied:")),
        "{out}"
    );
    let last_note = posture_store::schema::MIGRATION_NOTES[(known - 1) as usize];
    assert!(out.contains(&format!("{known}  {last_note}")), "{out}");
    ingest(db, dir.path(), "api", 2, "a");
    assert_eq!(findings(db).as_array().map(Vec::len), Some(2));
    let again = ok(db, &["migrate"]);
    assert!(again.contains("nothing to apply"), "{again}");
    let json: Value = serde_json::from_str(&ok(db, &["migrate", "--output", "json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (json["from"].as_i64(), json["to"].as_i64()),
        (Some(known), Some(known))
    );

    // a database a newer posture wrote is refused by everything, migrate included
    b.execute(
        "PRAGMA user_version = 99;",
        "UPDATE posture_schema SET version = 99;",
    );
    for args in [&["findings"][..], &["migrate"]] {
        let stderr = refused(db, args);
        assert!(
            stderr.contains("was written by a newer posture (schema 99"),
            "posture {args:?}: {stderr}"
        );
    }
}

/// Reads a server's stdout up to "Press Ctrl-C"; answers the lines and the base URL.
fn started(child: &mut Child) -> (Vec<String>, String) {
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
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
    let base = printed
        .iter()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("http://") && !w.contains("/api/"))
        .map(|w| w.trim_end_matches('/').to_string())
        .unwrap_or_else(|| panic!("no URL in {printed:?}"));
    (printed, base)
}

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.1 GET over a loopback socket.
fn get(base: &str, path: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap_or_else(|e| panic!("{host}: {e}"));
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("{e}"));
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn serve_migrate_upgrades_then_serves(b: &TestBackend) {
    let db = b.location();
    let known = posture_store::SCHEMA_VERSION;
    b.create_at_schema(known - 1);
    let mut child = posture(db)
        .args(["serve", "--migrate", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (printed, base) = started(&mut child);
    let _guard = Guard(child);
    assert!(
        printed[0].contains(&format!("schema {} -> {known}", known - 1)),
        "{printed:?}"
    );
    let token = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("pst_"))
        .unwrap_or_else(|| panic!("no bootstrap token in {printed:?}"));
    assert_eq!(get(&base, "/api/v1/me", token), 200);
}

/// A first start that cannot bind its port stores no admin token (one nobody would ever see);
/// the next start, on the freed port, prints one that works.
fn a_start_that_fails_stores_no_token(b: &TestBackend) {
    let db = b.location();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = busy
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    let stderr = refused(db, &["serve", "--listen", &addr]);
    assert!(stderr.contains(&addr), "{stderr}");
    let tokens: Value = serde_json::from_str(&ok(db, &["token", "list", "--output", "json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tokens, json!([]), "a failed start stored a token");
    // a bad configuration: no token either
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("posture.toml");
    std::fs::write(&bad, "[[asset]]\nname = 42\n").unwrap_or_else(|e| panic!("{e}"));
    let out = posture(db)
        .arg("--config")
        .arg(&bad)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2), "{:?}", out);
    let tokens: Value = serde_json::from_str(&ok(db, &["token", "list", "--output", "json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        tokens,
        json!([]),
        "a start with a bad configuration stored a token"
    );

    drop(busy);
    let mut child = posture(db)
        .args(["serve", "--listen", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (printed, base) = started(&mut child);
    let _guard = Guard(child);
    let token = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("pst_"))
        .unwrap_or_else(|| panic!("no bootstrap token in {printed:?}"));
    assert_eq!(get(&base, "/api/v1/me", token), 200);
    let tokens: Value = serde_json::from_str(&ok(db, &["token", "list", "--output", "json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tokens.as_array().map(Vec::len), Some(1));
}

/// A CI host whose clock is 60 days behind uploads a scan that fixes two findings: the scan is
/// dated at its scope's last scan, never before it, so no fix precedes its first sighting
/// (which would drop it out of MTTR).
fn a_scan_is_never_dated_before_its_scopes_last_scan(b: &TestBackend) {
    let db = b.location();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, n: usize| {
        let path = dir.path().join(name);
        std::fs::write(&path, bandit(n, "clock")).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    };
    let first = write("first.json", 3);
    let late = write("late.json", 1);
    ok(
        db,
        &[
            "ingest",
            "--asset",
            "api",
            "--at",
            "2026-06-01T00:00:00Z",
            &first,
        ],
    );
    ok(
        db,
        &[
            "ingest",
            "--asset",
            "api",
            "--at",
            "2026-04-02T00:00:00Z",
            &late,
        ],
    );
    let all = findings(db);
    let fixed: Vec<&Value> = all
        .as_array()
        .map(|a| a.iter().filter(|f| f["status"] == "fixed").collect())
        .unwrap_or_default();
    assert_eq!(fixed.len(), 2, "{all:#}");
    for f in fixed {
        assert_eq!(f["first_seen"], "2026-06-01T00:00:00Z", "{f:#}");
        assert_eq!(
            f["fixed_at"], "2026-06-01T00:00:00Z",
            "a fix before its first sighting: {f:#}"
        );
    }
    let scans: Value = serde_json::from_str(&ok(db, &["scans", "--output", "json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    let times: Vec<&Value> = scans
        .as_array()
        .map(|a| a.iter().map(|s| &s["at"]).collect())
        .unwrap_or_default();
    assert_eq!(
        times,
        vec![
            &json!("2026-06-01T00:00:00Z"),
            &json!("2026-06-01T00:00:00Z")
        ]
    );
}

on_both_backends!(
    a_scan_is_never_dated_before_its_scopes_last_scan,
    migrate_is_asked_for_and_every_other_command_refuses_another_schema,
    serve_migrate_upgrades_then_serves,
    a_start_that_fails_stores_no_token,
);

/// The first column of every row of `sql` on a SQLite file, one per line.
fn sqlite_check(path: &Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows: Vec<String> = st
        .query_map([], |r| {
            Ok(match r.get_ref(0)? {
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            })
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.join("\n")
}

#[test]
fn backup_while_ingests_go_on_and_restore_with_the_real_binary() {
    let b = TestBackend::sqlite();
    let db = b.location().to_string();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    ingest(&db, dir.path(), "payments-api", 6, "base");
    let before = findings(&db);

    // a writer ingesting another asset, report after report, while three backups run
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let db = db.clone();
        let stop = stop.clone();
        let folder = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                ingest(&db, &folder, "web-app", 3 + n % 5, &format!("w{n}"));
            }
            n
        })
    };
    let mut copies = Vec::new();
    for i in 0..3 {
        let file = dir.path().join(format!("backup-{i}.db"));
        let out = ok(&db, &["backup", &file.to_string_lossy()]);
        assert!(
            out.contains(&format!("to {}", file.display())) && out.contains("integrity ok"),
            "{out}"
        );
        copies.push(file);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ingests = writer.join().unwrap_or_else(|_| panic!("writer panicked"));
    assert!(ingests >= 1);
    for file in &copies {
        assert_eq!(sqlite_check(file, "PRAGMA integrity_check"), "ok");
        assert_eq!(sqlite_check(file, "PRAGMA foreign_key_check"), "");
        // consistent: every finding of the copy has the `opened` event its ingest wrote
        assert_eq!(
            sqlite_check(file, "SELECT count(*) FROM findings"),
            sqlite_check(file, "SELECT count(*) FROM events WHERE kind = 'opened'"),
            "{}",
            file.display()
        );
        let copy = file.to_string_lossy();
        let listed = findings(&copy);
        let pay: Vec<&Value> = listed
            .as_array()
            .map(|a| a.iter().filter(|f| f["asset"] == "payments-api").collect())
            .unwrap_or_default();
        assert_eq!(pay.len(), 6);
    }
    // a backup never overwrites
    let stderr = refused(&db, &["backup", &copies[0].to_string_lossy()]);
    assert!(stderr.contains("exists"), "{stderr}");

    // restore: refused over the live database, then forced
    let first = copies[0].to_string_lossy().into_owned();
    let stderr = refused(&db, &["restore", &first]);
    assert!(
        stderr.contains("holds a database") && stderr.contains("--force"),
        "{stderr}"
    );
    let copy_findings = findings(&first);
    let out = ok(&db, &["restore", "--force", &first]);
    assert!(out.contains("restored"), "{out}");
    assert_eq!(findings(&db), copy_findings);
    assert!(
        copy_findings
            .as_array()
            .is_some_and(|a| a.len() >= before.as_array().map_or(0, Vec::len))
    );

    // PostgreSQL: the message says how
    let stderr = refused(
        "postgres://postgres@127.0.0.1:5432/postgres",
        &["backup", "x.db"],
    );
    assert!(stderr.contains("pg_dump"), "{stderr}");
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The documented PostgreSQL backup, once: `pg_dump --format=custom`, `pg_restore` into a new
/// database, and Posture reads the same findings there.
#[test]
fn pg_dump_and_pg_restore_keep_every_finding() {
    let (Some(pg_dump), Some(pg_restore)) = (find_program("pg_dump"), find_program("pg_restore"))
    else {
        eprintln!(
            "SKIPPED pg_dump_and_pg_restore_keep_every_finding: pg_dump/pg_restore are not on PATH"
        );
        return;
    };
    let Some(source) = TestBackend::postgres("pg_dump_and_pg_restore_keep_every_finding") else {
        return;
    };
    let db = source.location();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    ingest(db, dir.path(), "payments-api", 7, "pg");
    ingest(db, dir.path(), "web-app", 3, "pg");
    let dump = dir.path().join("posture.dump");
    let out = Command::new(pg_dump)
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(db)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = TestDatabase::create("pg_dump_and_pg_restore_keep_every_finding")
        .unwrap_or_else(|| panic!("a second database on the same server"));
    let out = Command::new(pg_restore)
        .args(["--no-owner", "--dbname", target.url()])
        .arg(&dump)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = findings(target.url());
    assert_eq!(restored.as_array().map(Vec::len), Some(10));
    assert_eq!(restored, findings(db));
    // the restored database takes new scans (its sequences came along)
    ingest(target.url(), dir.path(), "api-three", 2, "after");
    assert_eq!(findings(target.url()).as_array().map(Vec::len), Some(12));
}
