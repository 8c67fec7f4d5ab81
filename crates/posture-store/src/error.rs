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
