/// What can go wrong in the store. Driver errors are wrapped with what Posture was doing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error while {context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(
        "the database at {path} was written by a newer posture (schema {found}, this posture knows up to {known}): upgrade posture to the version that wrote it"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// The database is at an older schema: only `posture migrate` upgrades it.
    #[error(
        "the database at {path} is at schema {found}, this posture needs {known}: run `posture migrate` (after a backup: `posture backup FILE`)"
    )]
    SchemaOutdated {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The installation's secret key is missing, unreadable or not the database's.
    #[error("{0}")]
    SecretKey(String),
}

impl StoreError {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |e| StoreError::Database {
            context,
            source: Box::new(e),
        }
    }
}

impl StoreError {
    /// Whether the database could not write for want of disk space: SQLite's `SQLITE_FULL`,
    /// or its shared-memory file failing to grow (`SQLITE_IOERR_SHMSIZE`, "disk I/O error
    /// 4874", which follows a full disk in WAL mode); PostgreSQL's SQLSTATE 53100
    /// (`disk_full`) or "No space left on device".
    pub fn is_disk_full(&self) -> bool {
        const SQLITE_IOERR_SHMSIZE: std::ffi::c_int = 4874;
        let StoreError::Database { source, .. } = self else {
            return false;
        };
        if let Some(rusqlite::Error::SqliteFailure(f, _)) = source.downcast_ref::<rusqlite::Error>()
        {
            return f.code == rusqlite::ErrorCode::DiskFull
                || f.extended_code == SQLITE_IOERR_SHMSIZE;
        }
        if let Some(PgMessage(m)) = source.downcast_ref::<PgMessage>() {
            return m.contains("(SQLSTATE 53100)") || m.contains("No space left on device");
        }
        false
    }
}

/// A PostgreSQL error as one readable message: the server's severity, message, detail and
/// SQLSTATE when the server answered, the client's description otherwise.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PgMessage(pub(crate) String);

impl StoreError {
    pub(crate) fn pg(context: &'static str) -> impl Fn(postgres::Error) -> StoreError + Copy {
        move |e| StoreError::Database {
            context,
            source: Box::new(PgMessage(pg_message(&e))),
        }
    }
}

pub(crate) fn pg_message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(detail) = db.detail() {
            m.push_str(&format!("; {detail}"));
        }
        return m;
    }
    let mut m = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        m.push_str(&format!(": {s}"));
        source = s.source();
    }
    m
}

#[cfg(test)]
mod disk_full_tests {
    use super::*;

    #[test]
    fn a_full_disk_is_recognised_on_both_back_ends() {
        let full = |code: std::ffi::c_int| StoreError::Database {
            context: "ingesting",
            source: Box::new(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            )),
        };
        assert!(full(rusqlite::ffi::SQLITE_FULL).is_disk_full());
        assert!(full(4874).is_disk_full(), "SQLITE_IOERR_SHMSIZE");
        assert!(!full(rusqlite::ffi::SQLITE_BUSY).is_disk_full());
        let pg = |m: &str| StoreError::Database {
            context: "ingesting",
            source: Box::new(PgMessage(m.to_string())),
        };
        assert!(
            pg("ERROR: could not extend file \"base/1/2\": No space left on device (SQLSTATE 53100)")
                .is_disk_full()
        );
        assert!(!pg("ERROR: deadlock detected (SQLSTATE 40P01)").is_disk_full());
        assert!(!StoreError::NotFound("x".into()).is_disk_full());
    }
}
