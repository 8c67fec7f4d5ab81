//! Test support for Posture's test suites: run one test against every back end.
//!
//! Why it exists: both back ends must pass the same tests. [`TestBackend::sqlite`] is a fresh
//! SQLite file in a temporary directory; [`TestBackend::postgres`] is a fresh database
//! (`CREATE DATABASE posture_test_<random>`) on the server `POSTURE_TEST_POSTGRES` names
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the value is dropped.
//! When that server cannot be reached, `postgres()` prints a visible SKIPPED notice and answers
//! `None`, unless `POSTURE_REQUIRE_POSTGRES=1` (set by `scripts/test.sh` after starting a
//! server), where it fails the test. [`on_both_backends!`](crate::on_both_backends) writes the
//! two tests of each case.

use crate::{AccessStore, PostgresStore, SqliteStore, Store, StoreError};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The installation's secret key material every test store uses (given to in-process
/// handles; test helpers that run the binary pass it as `POSTURE_SECRET_KEY`), so that every
/// writer of a test database agrees.
pub const TEST_SECRET_KEY: &str = "posture test suite secret key material: not a real one";

/// [`TEST_SECRET_KEY`] as a key.
pub fn test_secret_key() -> posture_model::SecretKey {
    match posture_model::SecretKey::from_material(TEST_SECRET_KEY.as_bytes()) {
        Ok(key) => key,
        Err(e) => panic!("the test key is refused: {e}"),
    }
}

/// The server tests use unless `POSTURE_TEST_POSTGRES` names another.
pub const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty store location for one test.
pub enum TestBackend {
    Sqlite {
        dir: tempfile::TempDir,
        path: String,
    },
    Postgres(TestDatabase),
}

impl TestBackend {
    /// A new SQLite file in its own temporary directory.
    pub fn sqlite() -> TestBackend {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a temporary directory: {e}"),
        };
        let path = dir.path().join("posture.db").to_string_lossy().into_owned();
        TestBackend::Sqlite { dir, path }
    }

    /// A new PostgreSQL database, or `None` (after a SKIPPED notice) when no server is
    /// reachable and none is required.
    pub fn postgres(test: &str) -> Option<TestBackend> {
        TestDatabase::create(test).map(TestBackend::Postgres)
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            TestBackend::Sqlite { .. } => "sqlite",
            TestBackend::Postgres(_) => "postgres",
        }
    }

    /// What `--database` takes to reach it.
    pub fn location(&self) -> &str {
        match self {
            TestBackend::Sqlite { path, .. } => path,
            TestBackend::Postgres(db) => db.url(),
        }
    }

    /// The temporary directory beside a SQLite file (for files a test writes).
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            TestBackend::Sqlite { dir, .. } => Some(dir.path()),
            TestBackend::Postgres(_) => None,
        }
    }

    /// Everything the database holds, as bytes to search (for "never stored in plaintext"
    /// checks): the SQLite file with its WAL and shared-memory files, or every row of every
    /// PostgreSQL table as text.
    pub fn raw_contents(&self) -> Vec<u8> {
        match self {
            TestBackend::Sqlite { path, .. } => {
                let mut raw = std::fs::read(path).unwrap_or_default();
                for ext in ["-wal", "-shm"] {
                    if let Ok(more) = std::fs::read(format!("{path}{ext}")) {
                        raw.extend(more);
                    }
                }
                raw
            }
            TestBackend::Postgres(db) => {
                let mut client = match postgres::Client::connect(db.url(), postgres::NoTls) {
                    Ok(c) => c,
                    Err(e) => panic!("cannot reach the test database: {e}"),
                };
                let tables: Vec<String> = match client.query(
                    "SELECT quote_ident(table_name) FROM information_schema.tables
                      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                    &[],
                ) {
                    Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
                    Err(e) => panic!("cannot list the tables: {e}"),
                };
                let mut raw = Vec::new();
                for table in tables {
                    let sql = format!("SELECT t::text FROM {table} t");
                    match client.query(&sql, &[]) {
                        Ok(rows) => {
                            for r in rows {
                                raw.extend_from_slice(r.get::<_, &str>(0).as_bytes());
                                raw.push(b'\n');
                            }
                        }
                        Err(e) => panic!("cannot read {table}: {e}"),
                    }
                }
                raw
            }
        }
    }

    /// Opens the store (each call a new handle on the same database).
    pub fn store(&self) -> Box<dyn Store> {
        let opened: Result<Box<dyn Store>, StoreError> = match self {
            TestBackend::Sqlite { path, .. } => {
                SqliteStore::open(path).map(|s| Box::new(s) as Box<dyn Store>)
            }
            TestBackend::Postgres(db) => {
                PostgresStore::open(db.url()).map(|s| Box::new(s) as Box<dyn Store>)
            }
        };
        match opened {
            Ok(store) => {
                store.use_secret_key(test_secret_key());
                store
            }
            Err(e) => panic!("cannot open the {} test store: {e}", self.kind()),
        }
    }
}

impl TestBackend {
    /// Runs raw SQL on the test database (`sqlite` on SQLite, `postgres` on PostgreSQL):
    /// for injecting failures (a trigger that refuses a write) or setting up an old state.
    /// Call it off any Tokio worker (the PostgreSQL client runs a runtime of its own).
    pub fn execute(&self, sqlite: &str, postgres: &str) {
        let done = match self {
            TestBackend::Sqlite { path, .. } => rusqlite::Connection::open(path)
                .and_then(|c| c.execute_batch(sqlite))
                .map_err(|e| e.to_string()),
            TestBackend::Postgres(db) => postgres::Client::connect(db.url(), postgres::NoTls)
                .and_then(|mut c| c.batch_execute(postgres))
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = done {
            panic!("cannot run SQL on the {} test database: {e}", self.kind());
        }
    }

    /// Creates the (new) test database at schema `version`: only the first `version`
    /// migrations applied, as an older posture left it (upgrade tests).
    pub fn create_at_schema(&self, version: i64) {
        let version = version.clamp(0, crate::SCHEMA_VERSION) as usize;
        match self {
            TestBackend::Sqlite { .. } => {
                let mut sql = crate::sqlite::schema::MIGRATIONS[..version].join("\n");
                sql.push_str(&format!("\nPRAGMA user_version = {version};"));
                self.execute(&sql, "");
            }
            TestBackend::Postgres(_) => {
                let mut sql = String::from(
                    "CREATE TABLE posture_schema (
                         only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
                         version   BIGINT NOT NULL
                     );\n",
                );
                sql.push_str(&crate::postgres::schema::MIGRATIONS[..version].join("\n"));
                sql.push_str(&format!(
                    "\nINSERT INTO posture_schema (version) VALUES ({version});"
                ));
                self.execute("", &sql);
            }
        }
    }

    /// Opens the store with access control through [`crate::open_with_access`], as the
    /// server does (each call a new handle on the same database).
    pub fn access_store(&self) -> Box<dyn AccessStore> {
        match crate::open_with_access(self.location()) {
            Ok(store) => {
                store.use_secret_key(test_secret_key());
                store
            }
            Err(e) => panic!("cannot open the {} test store: {e}", self.kind()),
        }
    }
}

/// A database created for one test on the test server, dropped (with its connections) when
/// this value is dropped.
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `posture_test_<random>`; `None` (with a notice) when the server cannot be
    /// reached and `POSTURE_REQUIRE_POSTGRES` is not `1`.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let server = std::env::var("POSTURE_TEST_POSTGRES")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_TEST_SERVER.to_string());
        let required = std::env::var("POSTURE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        match TestDatabase::create_on(&server) {
            Ok(db) => Some(db),
            Err(message) => {
                if required {
                    panic!("{message}, and POSTURE_REQUIRE_POSTGRES=1");
                }
                // Written past the test harness's capture, so the skip is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test} on PostgreSQL: {message}; set POSTURE_TEST_POSTGRES or start a server (scripts/test.sh does)"
                );
                None
            }
        }
    }

    /// Creates `posture_test_<random>` on the server `server` names (a URL whose database is
    /// one to connect to for `CREATE DATABASE`, usually `postgres`).
    pub fn create_on(server: &str) -> Result<TestDatabase, String> {
        let mut admin = postgres::Client::connect(server, postgres::NoTls).map_err(|e| {
            format!(
                "PostgreSQL at {} is not reachable ({e})",
                crate::postgres::redact_url(server)
            )
        })?;
        let name = unique_name();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| format!("cannot create the database {name}: {e}"))?;
        let url = with_database(server, &name);
        Ok(TestDatabase {
            server: server.to_string(),
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut h = blake3::Hasher::new();
    h.update(&nanos.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    format!("posture_test_{}", &h.finalize().to_hex()[..16])
}

/// The server URL with its database replaced by `name` (query parameters kept).
pub fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.find('?') {
        Some(q) => (&server[..q], &server[q..]),
        None => (server, ""),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..path_start])
}

/// Writes, for each named case `fn case(backend: &TestBackend)`, a module of the same name
/// with two tests: `sqlite` (always) and `postgres` (when a server is reachable).
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[test]
                fn sqlite() {
                    super::$case(&$crate::testing::TestBackend::sqlite());
                }
                #[test]
                fn postgres() {
                    if let Some(backend) =
                        $crate::testing::TestBackend::postgres(concat!(module_path!()))
                    {
                        super::$case(&backend);
                    }
                }
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_replaced_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
