//! Migrations on purpose: the schema version a database is at, and upgrading it.
//!
//! Why: a command that silently migrated on first use let a CI job with a newer `posture`
//! upgrade a shared production database, after which the older server refused it. Now only
//! [`migrate`] (the `posture migrate` command, and `posture serve --migrate`) applies
//! migrations; every other open ([`crate::open`]) refuses a database at another schema than
//! its own, older ([`StoreError::SchemaOutdated`]: "run `posture migrate`") or newer
//! ([`StoreError::SchemaTooNew`]). A brand-new, empty database (a first `posture ingest`, the
//! demo, a test) is created at the current schema without asking: there is nothing to upgrade.
//!
//! Each back end keeps its own list of DDL (`sqlite/schema.rs`, `postgres/schema.rs`; entry N
//! of one does what entry N of the other does); [`MIGRATION_NOTES`] says in one line what
//! each entry brings, for `posture migrate`'s report. The three lists have the same length,
//! checked at compile time.

use crate::{PostgresStore, SqliteStore, StoreError};
use serde::Serialize;

/// One line per migration, in order: what it brings (printed by `posture migrate`).
pub const MIGRATION_NOTES: &[&str] = &[
    "the foundation: assets, scopes, scans, findings, occurrences, events, correlation",
    "threat feeds (CISA KEV, FIRST EPSS)",
    "the runtime inventory (components of runtime SBOMs)",
    "each finding's stored risk (score, band, owning team)",
    "the triage workflow: deciders, approvers, expiring acceptances",
    "integrations: the notification outbox, Jira links, the conflict log",
    "access control: users, teams, API tokens, sessions, the audit log",
    "the index of the dashboard's summary",
    "a version of each finding's stored risk",
    "the branch model: default branches, branch findings, place keys, retired branches",
    "the check value of the installation's secret key",
    "runtime coverage (lcov, JaCoCo, Cobertura, coverage.py, Go)",
    "each finding's last assessment, for its score history",
    "identity: tokens' own teams, service accounts, approval roles and requests, VEX suggestions",
    "the server's scheduled jobs: last runs, outcomes, failures",
    "single sign-on: the provider identities users sign in as",
    "saved views: each person's named filters of the findings list",
    "large uploads taken as jobs: their state and answer; an index of findings by category",
];

/// The schema version this build writes and reads: the number of migrations it knows.
pub const SCHEMA_VERSION: i64 = MIGRATION_NOTES.len() as i64;

const _: () = assert!(
    crate::sqlite::schema::MIGRATIONS.len() == MIGRATION_NOTES.len()
        && crate::postgres::schema::MIGRATIONS.len() == MIGRATION_NOTES.len(),
    "every migration needs its entry on both back ends and a line in MIGRATION_NOTES"
);

/// What to do with a database at an older schema than this build's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upgrade {
    /// Refuse it (every command but `posture migrate`).
    Refuse,
    /// Apply the missing migrations.
    Apply,
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    /// The database, as messages show it (a PostgreSQL URL without its password).
    pub database: String,
    /// The schema version found (0: a new, empty database).
    pub from: i64,
    /// The schema version it is at now.
    pub to: i64,
    /// The migrations applied, oldest first (none when it was current).
    pub applied: Vec<AppliedMigration>,
}

/// One migration [`migrate`] applied.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub note: String,
}

impl MigrationReport {
    pub(crate) fn new(database: String, from: i64, to: i64) -> Self {
        let applied = (from.max(0)..to)
            .map(|i| AppliedMigration {
                version: i + 1,
                note: MIGRATION_NOTES
                    .get(i as usize)
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect();
        MigrationReport {
            database,
            from,
            to,
            applied,
        }
    }
}

/// Brings the database `location` names (a SQLite path or a PostgreSQL URL) to this build's
/// schema: creates it when new, applies the migrations it lacks (one transaction, under a lock
/// that other migrating processes wait for), and refuses one written by a newer Posture.
pub fn migrate(location: &str) -> Result<MigrationReport, StoreError> {
    if crate::is_postgres_url(location) {
        PostgresStore::migrate_database(location)
    } else {
        SqliteStore::migrate_database(location)
    }
}
