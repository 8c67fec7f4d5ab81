//! SQLite schema migrations, applied in order on open. `PRAGMA user_version` records how many
//! have run. Never edit a released migration: append a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation
    r#"
CREATE TABLE assets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE scopes (
    id            INTEGER PRIMARY KEY,
    asset_id      INTEGER NOT NULL REFERENCES assets(id),
    tool          TEXT NOT NULL,
    branch        TEXT NOT NULL,
    target        TEXT NOT NULL DEFAULT '',
    last_scan_at  INTEGER,
    last_digest   TEXT,
    UNIQUE (asset_id, tool, branch, target)
);
CREATE TABLE scans (
    id             INTEGER PRIMARY KEY,
    scope_id       INTEGER NOT NULL REFERENCES scopes(id),
    tool_version   TEXT,
    format         TEXT NOT NULL,
    commit_sha     TEXT,
    kind           TEXT NOT NULL,
    report_name    TEXT NOT NULL,
    report_sha256  TEXT NOT NULL,
    at             INTEGER NOT NULL,
    occurrences    INTEGER NOT NULL,
    summary        TEXT NOT NULL,
    diagnostics    TEXT NOT NULL
);
CREATE INDEX scans_scope ON scans (scope_id, at);
CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    asset_id       INTEGER NOT NULL REFERENCES assets(id),
    key            BLOB NOT NULL,
    category       TEXT NOT NULL,
    severity       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    rule_id        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('open', 'fixed')),
    triage         TEXT,
    triage_reason  TEXT,
    first_seen     INTEGER NOT NULL,
    fixed_at       INTEGER,
    reopened       INTEGER NOT NULL DEFAULT 0,
    merged_into    INTEGER REFERENCES findings(id),
    UNIQUE (asset_id, key)
);
CREATE INDEX findings_list ON findings (asset_id, status, severity);
CREATE TABLE occurrences (
    id           INTEGER PRIMARY KEY,
    scope_id     INTEGER NOT NULL REFERENCES scopes(id),
    finding_id   INTEGER NOT NULL REFERENCES findings(id),
    fingerprint  BLOB NOT NULL,
    tier         TEXT NOT NULL,
    open         INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER,
    closed_at    INTEGER,
    scan_id      INTEGER NOT NULL REFERENCES scans(id),
    data_hash    BLOB NOT NULL,
    severity     INTEGER NOT NULL,
    data         TEXT NOT NULL,
    features     TEXT NOT NULL,
    relocation_key   BLOB,
    link_confidence  REAL,
    link_reason      TEXT,
    link_occurrence  INTEGER,
    UNIQUE (scope_id, fingerprint)
);
CREATE INDEX occurrences_finding ON occurrences (finding_id);
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    finding_id   INTEGER NOT NULL REFERENCES findings(id),
    scan_id      INTEGER REFERENCES scans(id),
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    actor        TEXT,
    from_status  TEXT,
    to_status    TEXT,
    reason       TEXT
);
CREATE INDEX events_finding ON events (finding_id, at);
CREATE INDEX events_time ON events (at);
CREATE TABLE suggestions (
    id               INTEGER PRIMARY KEY,
    asset_id         INTEGER NOT NULL REFERENCES assets(id),
    finding_id       INTEGER NOT NULL REFERENCES findings(id),
    other_finding_id INTEGER NOT NULL REFERENCES findings(id),
    confidence       REAL NOT NULL,
    reason           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'rejected')),
    created_at       INTEGER NOT NULL,
    decided_at       INTEGER,
    decided_by       TEXT
);
CREATE INDEX suggestions_asset ON suggestions (asset_id, state);
CREATE TABLE separations (
    asset_id    INTEGER NOT NULL REFERENCES assets(id),
    fp_a        BLOB NOT NULL,
    fp_b        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
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
    ransomware       INTEGER NOT NULL,
    catalog_version  TEXT,
    due_date         TEXT
);
CREATE TABLE epss (
    cve            TEXT PRIMARY KEY,
    probability    REAL NOT NULL,
    percentile     REAL NOT NULL,
    model_version  TEXT,
    score_date     TEXT
);
CREATE TABLE feed_imports (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('kev', 'epss')),
    version      TEXT,
    date         TEXT,
    imported_at  INTEGER NOT NULL,
    entries      INTEGER NOT NULL
);
"#,
    // 3: runtime inventory: what is loaded in an asset (a CycloneDX SBOM ingested with
    // `--kind runtime`), replaced per (asset, target) on each runtime ingest
    r#"
CREATE TABLE runtime_components (
    asset_id   INTEGER NOT NULL REFERENCES assets(id),
    target     TEXT NOT NULL DEFAULT '',
    ecosystem  TEXT,
    name       TEXT NOT NULL,
    version    TEXT,
    purl       TEXT,
    scan_id    INTEGER NOT NULL REFERENCES scans(id),
    seen_at    INTEGER NOT NULL
);
CREATE INDEX runtime_components_asset ON runtime_components (asset_id, target);
"#,
    // 4: each finding's risk as last assessed (score, band, owning team) so lists sort and
    // page by risk with an index; a negative score means "to assess" (new or changed since,
    // or the feeds/configuration moved): it sorts last and keeps keyset conditions simple.
    // `risk_state` remembers which configuration scored them.
    r#"
ALTER TABLE findings ADD COLUMN risk_score REAL NOT NULL DEFAULT -1;
ALTER TABLE findings ADD COLUMN risk_band TEXT;
ALTER TABLE findings ADD COLUMN team TEXT;
CREATE INDEX findings_by_risk ON findings (risk_score DESC, id);
CREATE INDEX findings_asset_risk ON findings (asset_id, risk_score DESC, id);
CREATE INDEX findings_unscored ON findings (id) WHERE risk_score < 0 AND merged_into IS NULL;
CREATE TABLE risk_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    basis  TEXT NOT NULL
);
"#,
    // 5: triage workflow: who decided, when, the approver and role, the expiry of an
    // acceptance (on the finding, and on each event of the log)
    r#"
ALTER TABLE findings ADD COLUMN triage_actor TEXT;
ALTER TABLE findings ADD COLUMN triage_at INTEGER;
ALTER TABLE findings ADD COLUMN triage_expires_at INTEGER;
ALTER TABLE findings ADD COLUMN triage_approver TEXT;
ALTER TABLE findings ADD COLUMN triage_role TEXT;
ALTER TABLE events ADD COLUMN approver TEXT;
ALTER TABLE events ADD COLUMN role TEXT;
ALTER TABLE events ADD COLUMN expires_at INTEGER;
CREATE INDEX findings_triage_expiry ON findings (triage_expires_at);
CREATE INDEX events_kind ON events (kind, at);
"#,
    // 6: integrations: the notification outbox (one row per event and destination), the
    // event-log cursors that feed it, the Jira links (group of findings <-> issue) and the
    // conflict log (disagreements with another system a person must settle)
    r#"
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    event            TEXT NOT NULL,
    dedup_key        TEXT NOT NULL,
    destination      TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    delivered_at     INTEGER,
    last_error       TEXT,
    UNIQUE (destination, dedup_key)
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);
CREATE TABLE integration_cursors (
    name      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL
);
CREATE TABLE jira_links (
    group_key           TEXT PRIMARY KEY,
    issue_key           TEXT NOT NULL,
    state_hash          TEXT NOT NULL,
    closed_by_sync      INTEGER NOT NULL DEFAULT 0,
    previous_issue_key  TEXT,
    created_at          INTEGER NOT NULL,
    synced_at           INTEGER NOT NULL
);
CREATE TABLE integration_conflicts (
    id           INTEGER PRIMARY KEY,
    system       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    reference    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER
);
CREATE INDEX integration_conflicts_subject ON integration_conflicts (system, subject);
"#,
    // 7: access control: users, teams, API tokens (SHA-256 hashes only), dashboard sessions
    // (hashed ids), the audit log of every write
    r#"
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'appsec', 'developer', 'reader', 'ci')),
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER
);
CREATE TABLE token_assets (
    token_id  INTEGER NOT NULL REFERENCES api_tokens(id),
    asset     TEXT NOT NULL,
    PRIMARY KEY (token_id, asset)
);
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,
    token_id     INTEGER NOT NULL REFERENCES api_tokens(id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    token_id  INTEGER,
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
    // so no marking statement can forget it): an assessment is stored only over the version
    // it read, never over a mark made since (a refresh racing an ingest)
    r#"
ALTER TABLE findings ADD COLUMN risk_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER findings_risk_marked AFTER UPDATE OF risk_score ON findings
FOR EACH ROW WHEN NEW.risk_score < 0
BEGIN
    UPDATE findings SET risk_version = OLD.risk_version + 1 WHERE id = NEW.id;
END;
"#,
    // 10: the branch model: each asset's default branch (a finding's status follows it),
    // whether a finding was ever reported on it (`on_default`; else a branch finding), each
    // occurrence's format-independent place key (`identity::place_key`), retired branches
    // (`retired_at` on their scopes); the summary index holds `on_default` (the dashboard
    // counts default-branch findings only)
    r#"
ALTER TABLE assets ADD COLUMN default_branch TEXT NOT NULL DEFAULT 'main';
ALTER TABLE findings ADD COLUMN on_default INTEGER NOT NULL DEFAULT 1;
ALTER TABLE occurrences ADD COLUMN place_key BLOB;
ALTER TABLE scopes ADD COLUMN retired_at INTEGER;
DROP INDEX findings_summary;
CREATE INDEX findings_summary ON findings
    (asset_id, status, triage, severity, risk_band, team, first_seen, fixed_at, merged_into,
     on_default)
    WHERE merged_into IS NULL;
CREATE INDEX scopes_branch ON scopes (asset_id, branch);
"#,
    // 11: the check value of the installation's secret key (the key itself is kept outside
    // the database): every writer must use the key this database was first written with
    r#"
CREATE TABLE secret_key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    check_value TEXT NOT NULL
);
"#,
    // 12: runtime coverage (`posture ingest --kind runtime` of an lcov, JaCoCo, Cobertura,
    // coverage.py or Go coverage file): per asset, environment and file, the line hits
    // (`line:hits` pairs as text), replaced per (asset, environment) on each coverage ingest
    r#"
CREATE TABLE runtime_coverage (
    asset_id      INTEGER NOT NULL REFERENCES assets(id),
    environment   TEXT NOT NULL,
    path          TEXT NOT NULL,
    lines         TEXT NOT NULL,
    report_name   TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    format        TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL,
    ingested_at   INTEGER NOT NULL
);
CREATE INDEX runtime_coverage_asset ON runtime_coverage (asset_id, environment);
"#,
    // 13: the last stored assessment of each finding (score, band, model and its terms, as
    // JSON), kept through "to assess" marks: a refresh that moves a score or a band records a
    // `rescored` event naming the terms that moved (score history)
    r#"
ALTER TABLE findings ADD COLUMN risk_last TEXT;
"#,
    // 14: identity (issue 18): a token carries its own teams (`token_teams`; a developer
    // token made before this keeps its user's teams of the time), a membership remembers the
    // token that brought it (revoking that token ends it), users are people or service
    // accounts and hold approval roles (`user_roles`: the roles a policy's
    // `require_approval` names), a decision that needs approval waits as a request
    // (`approval_requests`), and a VEX document uploaded by a caller without the triage
    // right waits as a suggestion (`vex_suggestions`)
    r#"
CREATE TABLE token_teams (
    token_id  INTEGER NOT NULL REFERENCES api_tokens(id),
    team      TEXT NOT NULL,
    PRIMARY KEY (token_id, team)
);
INSERT INTO token_teams (token_id, team)
    SELECT a.id, t.name FROM api_tokens a
      JOIN team_members m ON m.user_id = a.user_id
      JOIN teams t ON t.id = m.team_id
     WHERE a.role = 'developer';
ALTER TABLE team_members ADD COLUMN via_token INTEGER;
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
UPDATE users SET kind = 'service'
 WHERE id IN (SELECT user_id FROM api_tokens WHERE role = 'ci')
   AND id NOT IN (SELECT user_id FROM api_tokens WHERE role <> 'ci');
CREATE TABLE user_roles (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE TABLE approval_requests (
    id               INTEGER PRIMARY KEY,
    finding_id       INTEGER NOT NULL REFERENCES findings(id),
    from_status      TEXT NOT NULL,
    state            TEXT NOT NULL,
    reason           TEXT NOT NULL,
    expires_at       INTEGER,
    role             TEXT NOT NULL,
    rule_id          TEXT,
    requested_by     TEXT NOT NULL,
    requested_token  INTEGER,
    requested_at     INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    decided_by       TEXT,
    decided_at       INTEGER,
    note             TEXT
);
CREATE INDEX approval_requests_status ON approval_requests (status, finding_id);
CREATE TABLE vex_suggestions (
    id           INTEGER PRIMARY KEY,
    asset        TEXT NOT NULL,
    report       TEXT NOT NULL,
    statements   TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    token_id     INTEGER,
    created_at   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'applied', 'dismissed')),
    decided_by   TEXT,
    decided_at   INTEGER
);
CREATE INDEX vex_suggestions_status ON vex_suggestions (status, asset);
"#,
    // 15: the server's scheduled jobs (webhook delivery, Jira sync, feed refresh, sweeps):
    // when each last started and finished, how it ended, how many runs and failures; a run is
    // claimed by moving `started_at`, so servers sharing a database run each period once
    r#"
CREATE TABLE job_runs (
    name         TEXT PRIMARY KEY,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    outcome      TEXT,
    runs         INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0
);
"#,
    // 16: single sign-on (issue 18): the provider identities (issuer, subject) a user signs in
    // as, with the groups of the last sign-in; the user's sign-in token (its role and teams
    // refreshed from the groups at every sign-in) is an api_tokens row created by `oidc`
    r#"
CREATE TABLE user_identities (
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users(id),
    first_seen      INTEGER NOT NULL,
    last_sign_in    INTEGER NOT NULL,
    groups          TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
"#,
    // 17: saved views: a person's named filters of the findings list
    r#"
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    user_name   TEXT NOT NULL,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (user_name, name)
);
"#,
    // 18: large uploads taken as jobs (POST /api/v1/scans above --async-upload-above): the
    // state a client polls, and the answer (summary or error) once finished
    r#"
CREATE TABLE upload_jobs (
    id           TEXT PRIMARY KEY,
    asset        TEXT NOT NULL,
    reports      TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_by   TEXT NOT NULL,
    token_id     INTEGER,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    status       INTEGER,
    result       TEXT
);
-- An asset's findings of one category (the story's read of an asset's SAST findings, which
-- scanned every finding of a container-only asset: 4 s of a 5-finding list at 100k)
CREATE INDEX findings_category ON findings (asset_id, category, status);
"#,
];
