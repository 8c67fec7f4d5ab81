//! PostgreSQL schema migrations, applied in order on open; `posture_schema.version` records how
//! many have run. Entry N does what SQLite's migration N does (`src/sqlite/schema.rs`), in
//! PostgreSQL's types: BIGSERIAL/BIGINT ids, BIGINT unix-millisecond timestamps, BYTEA keys,
//! BOOLEAN flags, DOUBLE PRECISION, and JSON as TEXT (JSONB refuses the `\u0000` escape that
//! scanner text may carry; Posture reads JSON in Rust, never in SQL). Never edit a released
//! migration: append a new one, on both back ends.
//!
//! Several processes may open one database at once: the migration runs under an advisory lock,
//! and the version is read again once the lock is held.

use crate::StoreError;
use crate::schema::Upgrade;
use postgres::Client;

pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation
    r#"
CREATE TABLE assets (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE TABLE scopes (
    id            BIGSERIAL PRIMARY KEY,
    asset_id      BIGINT NOT NULL REFERENCES assets(id),
    tool          TEXT NOT NULL,
    branch        TEXT NOT NULL,
    target        TEXT NOT NULL DEFAULT '',
    last_scan_at  BIGINT,
    last_digest   TEXT,
    UNIQUE (asset_id, tool, branch, target)
);
CREATE TABLE scans (
    id             BIGSERIAL PRIMARY KEY,
    scope_id       BIGINT NOT NULL REFERENCES scopes(id),
    tool_version   TEXT,
    format         TEXT NOT NULL,
    commit_sha     TEXT,
    kind           TEXT NOT NULL,
    report_name    TEXT NOT NULL,
    report_sha256  TEXT NOT NULL,
    at             BIGINT NOT NULL,
    occurrences    BIGINT NOT NULL,
    summary        TEXT NOT NULL,
    diagnostics    TEXT NOT NULL
);
CREATE INDEX scans_scope ON scans (scope_id, at);
CREATE TABLE findings (
    id             BIGSERIAL PRIMARY KEY,
    asset_id       BIGINT NOT NULL REFERENCES assets(id),
    key            BYTEA NOT NULL,
    category       TEXT NOT NULL,
    severity       BIGINT NOT NULL,
    title          TEXT NOT NULL,
    rule_id        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'fixed')),
    triage         TEXT,
    triage_reason  TEXT,
    first_seen     BIGINT NOT NULL,
    fixed_at       BIGINT,
    reopened       BIGINT NOT NULL DEFAULT 0,
    merged_into    BIGINT REFERENCES findings(id),
    UNIQUE (asset_id, key)
);
CREATE INDEX findings_list ON findings (asset_id, status, severity);
CREATE INDEX findings_merged ON findings (merged_into) WHERE merged_into IS NOT NULL;
CREATE TABLE occurrences (
    id           BIGSERIAL PRIMARY KEY,
    scope_id     BIGINT NOT NULL REFERENCES scopes(id),
    finding_id   BIGINT NOT NULL REFERENCES findings(id),
    fingerprint  BYTEA NOT NULL,
    tier         TEXT NOT NULL,
    open         BOOLEAN NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT,
    closed_at    BIGINT,
    scan_id      BIGINT NOT NULL REFERENCES scans(id),
    data_hash    BYTEA NOT NULL,
    severity     BIGINT NOT NULL,
    data         TEXT NOT NULL,
    features     TEXT NOT NULL,
    relocation_key   BYTEA,
    link_confidence  DOUBLE PRECISION,
    link_reason      TEXT,
    link_occurrence  BIGINT,
    UNIQUE (scope_id, fingerprint)
);
CREATE INDEX occurrences_finding ON occurrences (finding_id);
CREATE INDEX occurrences_scan ON occurrences (scan_id);
CREATE TABLE events (
    id           BIGSERIAL PRIMARY KEY,
    finding_id   BIGINT NOT NULL REFERENCES findings(id),
    scan_id      BIGINT REFERENCES scans(id),
    at           BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    actor        TEXT,
    from_status  TEXT,
    to_status    TEXT,
    reason       TEXT
);
CREATE INDEX events_finding ON events (finding_id, at);
CREATE INDEX events_time ON events (at);
CREATE TABLE suggestions (
    id               BIGSERIAL PRIMARY KEY,
    asset_id         BIGINT NOT NULL REFERENCES assets(id),
    finding_id       BIGINT NOT NULL REFERENCES findings(id),
    other_finding_id BIGINT NOT NULL REFERENCES findings(id),
    confidence       DOUBLE PRECISION NOT NULL,
    reason           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'rejected')),
    created_at       BIGINT NOT NULL,
    decided_at       BIGINT,
    decided_by       TEXT
);
CREATE INDEX suggestions_asset ON suggestions (asset_id, state);
CREATE TABLE separations (
    asset_id    BIGINT NOT NULL REFERENCES assets(id),
    fp_a        BYTEA NOT NULL,
    fp_b        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (asset_id, fp_a, fp_b)
);
"#,
    // 2: threat feeds (CISA KEV, FIRST EPSS), replaced whole on each import
    r#"
CREATE TABLE kev (
    cve              TEXT PRIMARY KEY,
    date_added       TEXT,
    ransomware       BOOLEAN NOT NULL,
    catalog_version  TEXT,
    due_date         TEXT
);
CREATE TABLE epss (
    cve            TEXT PRIMARY KEY,
    probability    DOUBLE PRECISION NOT NULL,
    percentile     DOUBLE PRECISION NOT NULL,
    model_version  TEXT,
    score_date     TEXT
);
CREATE TABLE feed_imports (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('kev', 'epss')),
    version      TEXT,
    date         TEXT,
    imported_at  BIGINT NOT NULL,
    entries      BIGINT NOT NULL
);
"#,
    // 3: runtime inventory, replaced per (asset, target) on each runtime ingest
    r#"
CREATE TABLE runtime_components (
    asset_id   BIGINT NOT NULL REFERENCES assets(id),
    target     TEXT NOT NULL DEFAULT '',
    ecosystem  TEXT,
    name       TEXT NOT NULL,
    version    TEXT,
    purl       TEXT,
    scan_id    BIGINT NOT NULL REFERENCES scans(id),
    seen_at    BIGINT NOT NULL
);
CREATE INDEX runtime_components_asset ON runtime_components (asset_id, target);
"#,
    // 4: each finding's risk as last assessed (score, band, owning team) so lists sort and
    // page by risk with an index; a negative score means "to assess"; `risk_state` remembers
    // which configuration scored them
    r#"
ALTER TABLE findings ADD COLUMN risk_score DOUBLE PRECISION NOT NULL DEFAULT -1;
ALTER TABLE findings ADD COLUMN risk_band TEXT;
ALTER TABLE findings ADD COLUMN team TEXT;
CREATE INDEX findings_by_risk ON findings (risk_score DESC, id);
CREATE INDEX findings_asset_risk ON findings (asset_id, risk_score DESC, id);
CREATE INDEX findings_unscored ON findings (id) WHERE risk_score < 0 AND merged_into IS NULL;
CREATE TABLE risk_state (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    basis  TEXT NOT NULL
);
"#,
    // 5: triage workflow: who decided, when, the approver and role, the expiry of an
    // acceptance (on the finding, and on each event of the log)
    r#"
ALTER TABLE findings ADD COLUMN triage_actor TEXT;
ALTER TABLE findings ADD COLUMN triage_at BIGINT;
ALTER TABLE findings ADD COLUMN triage_expires_at BIGINT;
ALTER TABLE findings ADD COLUMN triage_approver TEXT;
ALTER TABLE findings ADD COLUMN triage_role TEXT;
ALTER TABLE events ADD COLUMN approver TEXT;
ALTER TABLE events ADD COLUMN role TEXT;
ALTER TABLE events ADD COLUMN expires_at BIGINT;
CREATE INDEX findings_triage_expiry ON findings (triage_expires_at);
CREATE INDEX events_kind ON events (kind, at);
"#,
    // 6: integrations: the notification outbox (one row per event and destination), the
    // event-log cursors that feed it, the Jira links (group of findings <-> issue) and the
    // conflict log (disagreements with another system a person must settle)
    r#"
CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    event            TEXT NOT NULL,
    dedup_key        TEXT NOT NULL,
    destination      TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    delivered_at     BIGINT,
    last_error       TEXT,
    UNIQUE (destination, dedup_key)
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);
CREATE TABLE integration_cursors (
    name      TEXT PRIMARY KEY,
    position  BIGINT NOT NULL
);
CREATE TABLE jira_links (
    group_key           TEXT PRIMARY KEY,
    issue_key           TEXT NOT NULL,
    state_hash          TEXT NOT NULL,
    closed_by_sync      BOOLEAN NOT NULL DEFAULT FALSE,
    previous_issue_key  TEXT,
    created_at          BIGINT NOT NULL,
    synced_at           BIGINT NOT NULL
);
CREATE TABLE integration_conflicts (
    id           BIGSERIAL PRIMARY KEY,
    system       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    reference    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX integration_conflicts_subject ON integration_conflicts (system, subject);
"#,
    // 7: access control: users, teams, API tokens (SHA-256 hashes only), dashboard sessions
    // (hashed ids), the audit log of every write
    r#"
CREATE TABLE users (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE TABLE teams (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams(id),
    user_id  BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'appsec', 'developer', 'reader', 'ci')),
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);
CREATE TABLE token_assets (
    token_id  BIGINT NOT NULL REFERENCES api_tokens(id),
    asset     TEXT NOT NULL,
    PRIMARY KEY (token_id, asset)
);
CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    token_id     BIGINT NOT NULL REFERENCES api_tokens(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    token_id  BIGINT,
    client    TEXT,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
"#,
    // 8: the dashboard's summary (`Store::finding_summary`) reads this index alone, in its
    // order: every column the overview groups or sums by, for findings not merged away
    // (`merged_into` too: SQLite reads a partial index alone only when it holds every column
    // the query names, its own condition's included)
    r#"
CREATE INDEX findings_summary ON findings
    (asset_id, status, triage, severity, risk_band, team, first_seen, fixed_at, merged_into)
    WHERE merged_into IS NULL;
"#,
    // 9: a version of each finding's stored risk, moved by every "to assess" mark (a trigger,
    // as on SQLite): an assessment is stored only over the version it read
    r#"
ALTER TABLE findings ADD COLUMN risk_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION posture_risk_marked() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.risk_version := OLD.risk_version + 1;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER findings_risk_marked BEFORE UPDATE OF risk_score ON findings
FOR EACH ROW WHEN (NEW.risk_score < 0) EXECUTE FUNCTION posture_risk_marked();
"#,
    // 10: the branch model: each asset's default branch (a finding's status follows it),
    // whether a finding was ever reported on it (`on_default`; else a branch finding), each
    // occurrence's format-independent place key (`identity::place_key`), retired branches
    // (`retired_at` on their scopes); the summary index holds `on_default` (the dashboard
    // counts default-branch findings only)
    r#"
ALTER TABLE assets ADD COLUMN default_branch TEXT NOT NULL DEFAULT 'main';
ALTER TABLE findings ADD COLUMN on_default BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE occurrences ADD COLUMN place_key BYTEA;
ALTER TABLE scopes ADD COLUMN retired_at BIGINT;
DROP INDEX findings_summary;
CREATE INDEX findings_summary ON findings
    (asset_id, status, triage, severity, risk_band, team, first_seen, fixed_at, merged_into,
     on_default)
    WHERE merged_into IS NULL;
CREATE INDEX scopes_branch ON scopes (asset_id, branch);
"#,
    // 11: the check value of the installation's secret key (as on SQLite)
    r#"
CREATE TABLE secret_key_check (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    check_value TEXT NOT NULL
);
"#,
    // 12: runtime coverage, replaced per (asset, environment) on each coverage ingest (as on
    // SQLite)
    r#"
CREATE TABLE runtime_coverage (
    asset_id      BIGINT NOT NULL REFERENCES assets(id),
    environment   TEXT NOT NULL,
    path          TEXT NOT NULL,
    lines         TEXT NOT NULL,
    report_name   TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    format        TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    ingested_at   BIGINT NOT NULL
);
CREATE INDEX runtime_coverage_asset ON runtime_coverage (asset_id, environment);
"#,
    // 13: the last stored assessment of each finding, kept through marks (as on SQLite)
    r#"
ALTER TABLE findings ADD COLUMN risk_last TEXT;
"#,
    // 14: identity (issue 18, as on SQLite): a token carries its own teams (`token_teams`; a developer
    // token made before this keeps its user's teams of the time), a membership remembers the
    // token that brought it (revoking that token ends it), users are people or service
    // accounts and hold approval roles (`user_roles`: the roles a policy's
    // `require_approval` names), a decision that needs approval waits as a request
    // (`approval_requests`), and a VEX document uploaded by a caller without the triage
    // right waits as a suggestion (`vex_suggestions`)
    r#"
CREATE TABLE token_teams (
    token_id  BIGINT NOT NULL REFERENCES api_tokens(id),
    team      TEXT NOT NULL,
    PRIMARY KEY (token_id, team)
);
INSERT INTO token_teams (token_id, team)
    SELECT a.id, t.name FROM api_tokens a
      JOIN team_members m ON m.user_id = a.user_id
      JOIN teams t ON t.id = m.team_id
     WHERE a.role = 'developer';
ALTER TABLE team_members ADD COLUMN via_token BIGINT;
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
UPDATE users SET kind = 'service'
 WHERE id IN (SELECT user_id FROM api_tokens WHERE role = 'ci')
   AND id NOT IN (SELECT user_id FROM api_tokens WHERE role <> 'ci');
CREATE TABLE user_roles (
    user_id     BIGINT NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE TABLE approval_requests (
    id               BIGSERIAL PRIMARY KEY,
    finding_id       BIGINT NOT NULL REFERENCES findings(id),
    from_status      TEXT NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL,
    expires_at       BIGINT,
    role             TEXT NOT NULL,
    rule_id          TEXT,
    requested_by     TEXT NOT NULL,
    requested_token  BIGINT,
    requested_at     BIGINT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    decided_by       TEXT,
    decided_at       BIGINT,
    note             TEXT
);
CREATE INDEX approval_requests_status ON approval_requests (status, finding_id);
CREATE TABLE vex_suggestions (
    id           BIGSERIAL PRIMARY KEY,
    asset        TEXT NOT NULL,
    report       TEXT NOT NULL,
    statements   TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    token_id     BIGINT,
    created_at   BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'applied', 'dismissed')),
    decided_by   TEXT,
    decided_at   BIGINT
);
CREATE INDEX vex_suggestions_status ON vex_suggestions (status, asset);
"#,
    // 15: the server's scheduled jobs (as on SQLite)
    r#"
CREATE TABLE job_runs (
    name         TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    outcome      TEXT,
    runs         BIGINT NOT NULL DEFAULT 0,
    failures     BIGINT NOT NULL DEFAULT 0
);
"#,
    // 16: single sign-on (issue 18): the provider identities (issuer, subject) a user signs in
    // as, with the groups of the last sign-in; the user's sign-in token (its role and teams
    // refreshed from the groups at every sign-in) is an api_tokens row created by `oidc`
    r#"
CREATE TABLE user_identities (
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    first_seen      BIGINT NOT NULL,
    last_sign_in    BIGINT NOT NULL,
    groups          TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
"#,
    // 17: saved views (as on SQLite)
    r#"
CREATE TABLE saved_views (
    id          BIGSERIAL PRIMARY KEY,
    user_name   TEXT NOT NULL,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_name, name)
);
"#,
    // 18: large uploads taken as jobs (as on SQLite)
    r#"
CREATE TABLE upload_jobs (
    id           TEXT PRIMARY KEY,
    asset        TEXT NOT NULL,
    reports      TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_by   TEXT NOT NULL,
    token_id     BIGINT,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    finished_at  BIGINT,
    status       BIGINT,
    result       TEXT
);
-- An asset's findings of one category (the story's read of an asset's SAST findings, which
-- scanned every finding of a container-only asset: 4 s of a 5-finding list at 100k)
CREATE INDEX findings_category ON findings (asset_id, category, status);
"#,
];

/// The advisory lock key held while migrating.
const MIGRATION_LOCK: i64 = 0x706f_7374_7572_6501; // "posture\x01"

/// Creates the schema of a new database; applies the migrations an older one lacks only with
/// [`Upgrade::Apply`] (`posture migrate`), refusing it otherwise; refuses a database written by
/// a newer Posture. One transaction under an advisory lock (another process migrating waits,
/// then finds the work done). Returns the version found.
pub(crate) fn migrate(
    client: &mut Client,
    name: &str,
    upgrade: Upgrade,
) -> Result<i64, StoreError> {
    let e = StoreError::pg("migrating the schema");
    let known = MIGRATIONS.len() as i64;
    // Fast path: an up-to-date database needs no lock, a newer one is refused at once.
    match current_version(client)? {
        Some(found) if found == known => return Ok(found),
        Some(found) if found > known => {
            return Err(StoreError::SchemaTooNew {
                path: name.to_string(),
                found,
                known,
            });
        }
        _ => {}
    }
    let mut tx = client.transaction().map_err(e)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(e)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS posture_schema (
             only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
             version   BIGINT NOT NULL
         );
         INSERT INTO posture_schema (version) VALUES (0) ON CONFLICT DO NOTHING;",
    )
    .map_err(e)?;
    let found: i64 = tx
        .query_one("SELECT version FROM posture_schema", &[])
        .map_err(e)?
        .try_get(0)
        .map_err(e)?;
    if found > known {
        return Err(StoreError::SchemaTooNew {
            path: name.to_string(),
            found,
            known,
        });
    }
    if found > 0 && found < known && upgrade == Upgrade::Refuse {
        return Err(StoreError::SchemaOutdated {
            path: name.to_string(),
            found,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.batch_execute(sql).map_err(e)?;
        tx.execute(
            "UPDATE posture_schema SET version = $1",
            &[&((i + 1) as i64)],
        )
        .map_err(e)?;
    }
    tx.commit().map_err(e)?;
    Ok(found)
}

/// The recorded version, or `None` before the first migration.
fn current_version(client: &mut Client) -> Result<Option<i64>, StoreError> {
    let e = StoreError::pg("reading the schema version");
    let exists: bool = client
        .query_one("SELECT to_regclass('posture_schema') IS NOT NULL", &[])
        .map_err(e)?
        .try_get(0)
        .map_err(e)?;
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT version FROM posture_schema", &[])
        .map_err(e)?;
    row.map(|r| r.try_get(0)).transpose().map_err(e)
}
