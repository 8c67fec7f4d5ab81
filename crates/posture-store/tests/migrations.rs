//! Migrations on purpose (issue 19): only `posture migrate` (`posture_store::migrate`)
//! upgrades a database; every other open refuses an older or newer schema with a message
//! saying what to run; a brand-new, empty database is created at the current schema without
//! asking. On both back ends.

use posture_store::testing::TestBackend;
use posture_store::{SCHEMA_VERSION, StoreError};

fn open_error(b: &TestBackend) -> StoreError {
    match posture_store::open(b.location()) {
        Ok(_) => panic!("an open of a database at another schema succeeded"),
        Err(e) => e,
    }
}

fn an_older_schema_is_refused_until_migrated(b: &TestBackend) {
    let old = SCHEMA_VERSION - 1;
    b.create_at_schema(old);
    let e = open_error(b);
    assert!(
        matches!(e, StoreError::SchemaOutdated { found, known, .. } if found == old && known == SCHEMA_VERSION),
        "{e:?}"
    );
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "is at schema {old}, this posture needs {SCHEMA_VERSION}: run `posture migrate`"
        )),
        "{message}"
    );
    // the refusal changed nothing: still at the old version
    assert!(matches!(
        open_error(b),
        StoreError::SchemaOutdated { found, .. } if found == old
    ));
    let report = posture_store::migrate(b.location()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.from, report.to), (old, SCHEMA_VERSION));
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, SCHEMA_VERSION);
    assert!(!report.applied[0].note.is_empty());
    // now every command opens it, and a second migrate has nothing to do
    let store = b.store();
    assert_eq!(
        store.findings(&Default::default()).map(|f| f.len()).ok(),
        Some(0)
    );
    drop(store);
    let again = posture_store::migrate(b.location()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.from, again.to), (SCHEMA_VERSION, SCHEMA_VERSION));
    assert!(again.applied.is_empty());
}

fn a_newer_schema_is_refused_even_by_migrate(b: &TestBackend) {
    drop(b.store());
    b.execute(
        "PRAGMA user_version = 99;",
        "UPDATE posture_schema SET version = 99;",
    );
    let message = open_error(b).to_string();
    assert!(
        message.contains(&format!(
            "was written by a newer posture (schema 99, this posture knows up to {SCHEMA_VERSION})"
        )),
        "{message}"
    );
    let e = posture_store::migrate(b.location())
        .err()
        .unwrap_or_else(|| panic!("migrate accepted a newer schema"));
    assert!(
        matches!(e, StoreError::SchemaTooNew { found: 99, .. }),
        "{e:?}"
    );
}

fn a_new_database_is_created_at_the_current_schema(b: &TestBackend) {
    // the first open of an empty database creates it (a first ingest, the demo)
    let store = b.store();
    assert_eq!(
        store.scans(&Default::default()).map(|s| s.len()).ok(),
        Some(0)
    );
    drop(store);
    let report = posture_store::migrate(b.location()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.from, report.to), (SCHEMA_VERSION, SCHEMA_VERSION));
}

fn migrate_creates_a_new_database_and_lists_every_migration(b: &TestBackend) {
    let report = posture_store::migrate(b.location()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.from, report.to), (0, SCHEMA_VERSION));
    assert_eq!(report.applied.len() as i64, SCHEMA_VERSION);
    assert_eq!(report.applied[0].version, 1);
    drop(b.store());
}

posture_store::on_both_backends!(
    an_older_schema_is_refused_until_migrated,
    a_newer_schema_is_refused_even_by_migrate,
    a_new_database_is_created_at_the_current_schema,
    migrate_creates_a_new_database_and_lists_every_migration,
);

/// The SQLite file (and so its `-wal` and `-shm` files, which SQLite creates with the
/// database's mode) is readable by its owner only: it holds every finding of the portfolio.
#[cfg(unix)]
#[test]
fn the_sqlite_file_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let b = TestBackend::sqlite();
    let store = b.store();
    store
        .reset_risk("config:a")
        .unwrap_or_else(|e| panic!("{e}"));
    for ext in ["", "-wal", "-shm"] {
        let path = format!("{}{ext}", b.location());
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{path} has mode {:o}", mode & 0o777);
    }
}
