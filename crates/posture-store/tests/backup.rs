//! `posture backup` / `posture restore` of a SQLite database (issue 19): a copy taken while a
//! writer commits is whole (`PRAGMA integrity_check`) and consistent (one moment: never half
//! of a transaction), and a restore never replaces a database that holds data unless forced.

use posture_store::testing::TestBackend;
use posture_store::{KevImport, KevRow, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A KEV catalog of `n` entries, every entry stamped with `version`: an import replaces the
/// whole catalog in one transaction, so a consistent copy holds `n` rows of one version.
fn catalog(n: usize, version: u64) -> KevImport {
    KevImport {
        catalog_version: Some(format!("v{version}")),
        date: None,
        entries: (0..n)
            .map(|i| KevRow {
                cve: format!("CVE-2024-{:05}", i),
                date_added: Some("2024-01-01".into()),
                ransomware: i % 7 == 0,
                catalog_version: Some(format!("v{version}")),
                due_date: None,
            })
            .collect(),
        at: "2026-06-01T12:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")),
    }
}

fn sqlite_count(path: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn a_backup_taken_while_a_writer_commits_is_whole_and_of_one_moment() {
    const ROWS: usize = 3000;
    let b = TestBackend::sqlite();
    let store: Arc<dyn Store> = Arc::from(b.store());
    store
        .import_kev(catalog(ROWS, 0))
        .unwrap_or_else(|e| panic!("{e}"));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut version = 1;
            while !stop.load(Ordering::Relaxed) {
                store
                    .import_kev(catalog(ROWS, version))
                    .unwrap_or_else(|e| panic!("{e}"));
                version += 1;
            }
            version
        })
    };
    let dir = b
        .dir()
        .unwrap_or_else(|| panic!("a SQLite backend has a folder"));
    let mut versions = std::collections::BTreeSet::new();
    for i in 0..8 {
        let file = dir.join(format!("backup-{i}.db"));
        let report = posture_store::backup(b.location(), &file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.integrity, "ok");
        assert_eq!(report.schema, posture_store::SCHEMA_VERSION);
        let integrity: String = rusqlite::Connection::open(&file)
            .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(integrity, "ok");
        assert_eq!(sqlite_count(&file, "SELECT count(*) FROM kev"), ROWS as i64);
        // one moment: every row of the copy is of one import, and that import is recorded
        assert_eq!(
            sqlite_count(&file, "SELECT count(DISTINCT catalog_version) FROM kev"),
            1,
            "backup {i} mixes two imports"
        );
        let conn = rusqlite::Connection::open(&file).unwrap_or_else(|e| panic!("{e}"));
        let version: String = conn
            .query_row("SELECT catalog_version FROM kev LIMIT 1", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let imports: i64 = sqlite_count(&file, "SELECT count(*) FROM feed_imports");
        assert_eq!(
            imports,
            version[1..].parse::<i64>().unwrap_or(-1) + 1,
            "backup {i}: the catalog and the import log are of different moments"
        );
        versions.insert(version);
        // a self-contained file: no write-ahead log beside it
        assert!(!dir.join(format!("backup-{i}.db-wal")).exists());
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer
        .join()
        .unwrap_or_else(|_| panic!("the writer panicked"));
    assert!(
        written > 1,
        "the writer committed while the backups ran ({written} imports)"
    );
    eprintln!(
        "{} imports committed during 8 backups; the copies hold {} distinct moments",
        written,
        versions.len()
    );
}

#[test]
fn a_backup_never_overwrites_and_a_restore_needs_force_over_data() {
    let b = TestBackend::sqlite();
    let store = b.store();
    store
        .import_kev(catalog(10, 1))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = b
        .dir()
        .unwrap_or_else(|| panic!("a SQLite backend has a folder"));
    let file = dir.join("copy.db");
    posture_store::backup(b.location(), &file).unwrap_or_else(|e| panic!("{e}"));
    let again = posture_store::backup(b.location(), &file)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(again.contains("exists"), "{again}");

    // later writes, then a restore over the live database is refused without --force
    store
        .import_kev(catalog(20, 2))
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = posture_store::restore(b.location(), &file, false)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("holds a database") && refused.contains("--force"),
        "{refused}"
    );
    assert_eq!(store.feed_imports().map(|f| f.len()).ok(), Some(2));
    // forced: the running handle reads the restored data
    let report =
        posture_store::restore(b.location(), &file, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.integrity, "ok");
    assert_eq!(store.feed_imports().map(|f| f.len()).ok(), Some(1));
    // into a new location: no --force needed, and it opens as a store
    let fresh = dir.join("restored.db");
    posture_store::restore(&fresh.to_string_lossy(), &file, false)
        .unwrap_or_else(|e| panic!("{e}"));
    let restored = posture_store::open(&fresh.to_string_lossy()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.feed_imports().map(|f| f.len()).ok(), Some(1));
    // not a database
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes")
        .unwrap_or_else(|e| panic!("{e}"));
    let refused = posture_store::restore(b.location(), &junk, true)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("is not a SQLite database"), "{refused}");
}

#[test]
fn postgres_databases_are_backed_up_with_pg_dump() {
    let e = posture_store::backup(
        "postgres://postgres@127.0.0.1:5432/posture",
        std::path::Path::new("x.db"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("pg_dump") && e.contains("pg_restore"), "{e}");
}
