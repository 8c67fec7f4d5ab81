//! Access control: users, teams, tokens (hashes only), sessions, the audit log. `INSERT ... ON
//! CONFLICT DO NOTHING` then a read, which stays right when two servers create the same user
//! or team at once.

use super::{Db, Row, Sql, args};
use crate::stored::{from_ms, to_ms};
use crate::{
    ApprovalRecord, AuditEntry, AuditRecord, NewApproval, NewSession, NewToken, NewVexSuggestion,
    Principal, Role, StoreError, TeamRecord, TokenRecord, UserRecord, VexSuggestionRecord,
};
use posture_model::Timestamp;

/// A token is used at most this often (ms) for `last_used_at`: a read API should not turn
/// every request into a write.
pub(crate) const LAST_USED_GRANULARITY_MS: i64 = 60_000;

fn role_of(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role `{text}` in api_tokens")))
}

static NEW_USER: Sql = Sql::new(
    "recording a user",
    "INSERT INTO users (name, created_at, kind) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
);
static USER_KIND: Sql = Sql::new("recording a user", "SELECT kind FROM users WHERE id = ?");
static USER_ID: Sql = Sql::new("recording a user", "SELECT id FROM users WHERE name = ?");
static NEW_TEAM: Sql = Sql::new(
    "recording a team",
    "INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
);
static TEAM_ID: Sql = Sql::new("recording a team", "SELECT id FROM teams WHERE name = ?");
static NEW_MEMBER: Sql = Sql::new(
    "recording a membership",
    "INSERT INTO team_members (team_id, user_id, via_token) VALUES (?, ?, ?)
     ON CONFLICT (team_id, user_id) DO NOTHING",
);
static NEW_TOKEN_TEAM: Sql = Sql::new(
    "creating a token",
    "INSERT INTO token_teams (token_id, team) VALUES (?, ?)
     ON CONFLICT (token_id, team) DO NOTHING",
);
static TEAMS_OF_TOKEN: Sql = Sql::new(
    "reading a token's teams",
    "SELECT team FROM token_teams WHERE token_id = ? ORDER BY team COLLATE \"C\"",
);
static ROLES_OF_USER: Sql = Sql::new(
    "reading a user's roles",
    "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role COLLATE \"C\"",
);
static END_TOKEN_MEMBERSHIPS: Sql = Sql::new(
    "revoking a token",
    "DELETE FROM team_members
      WHERE via_token IS NOT NULL
        AND user_id = (SELECT user_id FROM api_tokens WHERE id = ?1)
        AND team_id IN (SELECT t.id FROM teams t JOIN token_teams tt ON tt.team = t.name
                         WHERE tt.token_id = ?1)
        AND NOT EXISTS (
            SELECT 1 FROM api_tokens o JOIN token_teams ot ON ot.token_id = o.id
             WHERE o.user_id = team_members.user_id AND o.id <> ?1
               AND ot.team = (SELECT name FROM teams WHERE id = team_members.team_id)
               AND o.revoked_at IS NULL AND (o.expires_at IS NULL OR o.expires_at > ?2))",
);
static NEW_TOKEN: Sql = Sql::new(
    "creating a token",
    "INSERT INTO api_tokens (user_id, name, role, prefix, secret_hash, created_at,
                             created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
);
static NEW_TOKEN_ASSET: Sql = Sql::new(
    "creating a token",
    "INSERT INTO token_assets (token_id, asset) VALUES (?, ?)
     ON CONFLICT (token_id, asset) DO NOTHING",
);
static TEAMS_OF_USER: Sql = Sql::new(
    "reading team memberships",
    "SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id
      WHERE m.user_id = ? ORDER BY t.name COLLATE \"C\"",
);
static ASSETS_OF_TOKEN: Sql = Sql::new(
    "reading a token's assets",
    "SELECT asset FROM token_assets WHERE token_id = ? ORDER BY asset COLLATE \"C\"",
);
static TOKEN: Sql = Sql::new(
    "reading a token",
    "SELECT t.id, u.id, u.name, t.name, t.role, t.prefix, t.created_at,
            t.created_by, t.expires_at, t.revoked_at, t.last_used_at, u.kind
       FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?",
);
static TOKENS: Sql = Sql::new(
    "listing tokens",
    "SELECT t.id, u.id, u.name, t.name, t.role, t.prefix, t.created_at,
            t.created_by, t.expires_at, t.revoked_at, t.last_used_at, u.kind
       FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC",
);
static ACTIVE_TOKENS: Sql = Sql::new(
    "counting tokens",
    "SELECT COUNT(*) FROM api_tokens
      WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
);
static REVOKE: Sql = Sql::new(
    "revoking a token",
    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
);
static END_TOKEN_SESSIONS: Sql = Sql::new(
    "revoking a token",
    "DELETE FROM sessions WHERE token_id = ?",
);
static TOKEN_BY_HASH: Sql = Sql::new(
    "authenticating",
    "SELECT id, last_used_at FROM api_tokens WHERE secret_hash = ?",
);
static PRINCIPAL: Sql = Sql::new(
    "authenticating",
    "SELECT u.id, u.name, t.name, t.role, u.kind FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.id = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)",
);
static TOUCH_TOKEN: Sql = Sql::new(
    "authenticating",
    "UPDATE api_tokens SET last_used_at = ?2
      WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
);
static SWEEP_SESSIONS: Sql = Sql::new(
    "creating a session",
    "DELETE FROM sessions WHERE expires_at <= ?",
);
static NEW_SESSION: Sql = Sql::new(
    "creating a session",
    "INSERT INTO sessions (secret_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
);
static SESSION: Sql = Sql::new(
    "reading a session",
    "SELECT token_id FROM sessions WHERE secret_hash = ? AND expires_at > ?",
);
static END_SESSION: Sql = Sql::new(
    "ending a session",
    "DELETE FROM sessions WHERE secret_hash = ?",
);
static AUDIT: Sql = Sql::new(
    "recording the audit log",
    "INSERT INTO audit_log (at, actor, token_id, client, action, target, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?)",
);
static AUDIT_LOG: Sql = Sql::new(
    "reading the audit log",
    "SELECT id, at, actor, token_id, client, action, target, detail
       FROM audit_log ORDER BY id DESC LIMIT ?",
);
static TEAMS: Sql = Sql::new(
    "listing teams",
    "SELECT t.name, u.name FROM teams t
       LEFT JOIN team_members m ON m.team_id = t.id
       LEFT JOIN users u ON u.id = m.user_id
      ORDER BY t.name COLLATE \"C\", u.name COLLATE \"C\"",
);

fn user_id(db: &mut dyn Db, name: &str, at: i64, service: bool) -> Result<i64, StoreError> {
    let kind = if service { "service" } else { "person" };
    db.execute(&NEW_USER, args![name, at, kind])?;
    db.one(&USER_ID, args![name], |r| r.get(0))
}

fn team_id(db: &mut dyn Db, name: &str, at: i64) -> Result<i64, StoreError> {
    db.execute(&NEW_TEAM, args![name, at])?;
    db.one(&TEAM_ID, args![name], |r| r.get(0))
}

/// A token read with [`TOKEN`]'s columns, its teams and assets still to fill.
fn token_row(r: &Row<'_>) -> Result<(i64, TokenRecord), StoreError> {
    let role: String = r.get(4)?;
    Ok((
        r.get(1)?,
        TokenRecord {
            id: r.get(0)?,
            user: r.get(2)?,
            name: r.get(3)?,
            role: role_of(&role)?,
            prefix: r.get(5)?,
            owner_kind: r.get(11)?,
            teams: Vec::new(),
            assets: Vec::new(),
            created_at: r.time(6)?,
            created_by: r.get(7)?,
            expires_at: r.get::<Option<i64>>(8)?.map(from_ms),
            revoked_at: r.get::<Option<i64>>(9)?.map(from_ms),
            last_used_at: r.get::<Option<i64>>(10)?.map(from_ms),
        },
    ))
}

fn with_grants(
    db: &mut dyn Db,
    (_user, mut t): (i64, TokenRecord),
) -> Result<TokenRecord, StoreError> {
    t.teams = db.rows(&TEAMS_OF_TOKEN, args![t.id], |r| r.get(0))?;
    t.assets = db.rows(&ASSETS_OF_TOKEN, args![t.id], |r| r.get(0))?;
    Ok(t)
}

pub(crate) fn token_by_id(db: &mut dyn Db, id: i64) -> Result<Option<TokenRecord>, StoreError> {
    match db.opt(&TOKEN, args![id], token_row)? {
        Some(row) => with_grants(db, row).map(Some),
        None => Ok(None),
    }
}

/// Checks a new token before anything is written.
pub(crate) fn check_token(token: &NewToken) -> Result<(), StoreError> {
    if token.user.trim().is_empty() {
        return Err(StoreError::Invalid("a token needs a user name".into()));
    }
    if token.role == Role::Ci && token.assets.is_empty() {
        return Err(StoreError::Invalid(
            "a ci token must name the assets it may upload to (--asset)".into(),
        ));
    }
    if token.role == Role::Developer && token.teams.is_empty() {
        return Err(StoreError::Invalid(
            "a developer token must name the developer's team (--team)".into(),
        ));
    }
    if token.role != Role::Developer && !token.teams.is_empty() {
        return Err(StoreError::Invalid(format!(
            "a {} token acts for no team: only developer tokens name teams (--team)",
            token.role
        )));
    }
    Ok(())
}

/// Creates a token (inside the caller's write transaction); answers its id.
pub(crate) fn create_token(db: &mut dyn Db, token: &NewToken) -> Result<i64, StoreError> {
    check_token(token)?;
    let at = to_ms(token.at);
    let service = token.service_account || token.role == Role::Ci;
    let user = user_id(db, token.user.trim(), at, service)?;
    let kind: String = db.one(&USER_KIND, args![user], |r| r.get(0))?;
    if kind == "service" && token.role != Role::Ci && !token.service_account {
        return Err(StoreError::Invalid(format!(
            "{} is a service account: its tokens are made with --service-account",
            token.user.trim()
        )));
    }
    if kind == "person" && service {
        return Err(StoreError::Invalid(format!(
            "{} is a person: a {} token belongs to a service account (name another user)",
            token.user.trim(),
            token.role
        )));
    }
    let id: i64 = db.one(
        &NEW_TOKEN,
        args![
            user,
            token.name.as_str(),
            token.role.as_str(),
            token.prefix.as_str(),
            token.secret_hash.as_str(),
            at,
            token.created_by.as_str(),
            token.expires_at.map(to_ms)
        ],
        |r| r.get(0),
    )?;
    for asset in &token.assets {
        db.execute(&NEW_TOKEN_ASSET, args![id, asset.trim()])?;
    }
    for team in token
        .teams
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    {
        let team_row = team_id(db, team, at)?;
        db.execute(&NEW_MEMBER, args![team_row, user, id])?;
        db.execute(&NEW_TOKEN_TEAM, args![id, team])?;
    }
    Ok(id)
}

pub(crate) fn tokens(db: &mut dyn Db) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = db.rows(&TOKENS, args![], token_row)?;
    rows.into_iter().map(|row| with_grants(db, row)).collect()
}

pub(crate) fn active_token_count(db: &mut dyn Db, now: Timestamp) -> Result<usize, StoreError> {
    db.one(&ACTIVE_TOKENS, args![to_ms(now)], |r| r.count(0))
}

/// Revokes a token and ends its sessions (inside the caller's write transaction).
pub(crate) fn revoke_token(db: &mut dyn Db, id: i64, at: Timestamp) -> Result<(), StoreError> {
    if db.execute(&REVOKE, args![id, to_ms(at)])? == 0 {
        return Err(StoreError::NotFound(format!("token {id}")));
    }
    db.execute(&END_TOKEN_SESSIONS, args![id])?;
    db.execute(&END_TOKEN_MEMBERSHIPS, args![id, to_ms(at)])?;
    Ok(())
}

/// The token with this secret hash: its id and last use.
pub(crate) fn token_by_hash(
    db: &mut dyn Db,
    secret_hash: &str,
) -> Result<Option<(i64, Option<i64>)>, StoreError> {
    db.opt(&TOKEN_BY_HASH, args![secret_hash], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// The principal of a valid token id (not revoked, not expired at `now`).
pub(crate) fn principal(
    db: &mut dyn Db,
    token_id: i64,
    now: i64,
) -> Result<Option<Principal>, StoreError> {
    let row = db.opt(&PRINCIPAL, args![token_id, now], |r| {
        Ok((
            r.get::<i64>(0)?,
            r.get::<String>(1)?,
            r.get::<String>(2)?,
            r.get::<String>(3)?,
            r.get::<String>(4)?,
        ))
    })?;
    let Some((user_id, user, token_name, role, user_kind)) = row else {
        return Ok(None);
    };
    let token_teams: Vec<String> = db.rows(&TEAMS_OF_TOKEN, args![token_id], |r| r.get(0))?;
    let held: Vec<String> = db.rows(&TEAMS_OF_USER, args![user_id], |r| r.get(0))?;
    Ok(Some(Principal {
        token_id,
        user,
        token_name,
        role: role_of(&role)?,
        teams: token_teams
            .iter()
            .filter(|t| held.contains(t))
            .cloned()
            .collect(),
        token_teams,
        assets: db.rows(&ASSETS_OF_TOKEN, args![token_id], |r| r.get(0))?,
        user_roles: db.rows(&ROLES_OF_USER, args![user_id], |r| r.get(0))?,
        user_kind,
    }))
}

/// Whether a token last used at `last_used` is to be marked used at `now`.
pub(crate) fn needs_touch(last_used: Option<i64>, now: i64) -> bool {
    last_used.is_none_or(|t| t < now - LAST_USED_GRANULARITY_MS)
}

/// Marks a token used at `now` (at most once per [`LAST_USED_GRANULARITY_MS`]).
pub(crate) fn touch_token(db: &mut dyn Db, id: i64, now: i64) -> Result<(), StoreError> {
    db.execute(&TOUCH_TOKEN, args![id, now, now - LAST_USED_GRANULARITY_MS])?;
    Ok(())
}

/// Records a session; expired sessions are swept here, where sessions are written anyway.
pub(crate) fn create_session(db: &mut dyn Db, session: &NewSession) -> Result<(), StoreError> {
    db.execute(&SWEEP_SESSIONS, args![to_ms(session.at)])?;
    db.execute(
        &NEW_SESSION,
        args![
            session.secret_hash.as_str(),
            session.token_id,
            to_ms(session.at),
            to_ms(session.expires_at)
        ],
    )?;
    Ok(())
}

pub(crate) fn session_principal(
    db: &mut dyn Db,
    secret_hash: &str,
    now: Timestamp,
) -> Result<Option<Principal>, StoreError> {
    let now = to_ms(now);
    match db.opt(&SESSION, args![secret_hash, now], |r| r.get::<i64>(0))? {
        Some(id) => principal(db, id, now),
        None => Ok(None),
    }
}

pub(crate) fn delete_session(db: &mut dyn Db, secret_hash: &str) -> Result<(), StoreError> {
    db.execute(&END_SESSION, args![secret_hash])?;
    Ok(())
}

pub(crate) fn record_audit(db: &mut dyn Db, entry: &AuditEntry) -> Result<(), StoreError> {
    db.execute(
        &AUDIT,
        args![
            to_ms(entry.at),
            entry.actor.as_str(),
            entry.token_id,
            entry.client.as_deref(),
            entry.action.as_str(),
            entry.target.as_str(),
            entry.detail.to_string()
        ],
    )?;
    Ok(())
}

pub(crate) fn audit_log(db: &mut dyn Db, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
    db.rows(&AUDIT_LOG, args![limit], |r| {
        let detail: String = r.get(7)?;
        Ok(AuditRecord {
            id: r.get(0)?,
            at: r.time(1)?,
            actor: r.get(2)?,
            token_id: r.get(3)?,
            client: r.get(4)?,
            action: r.get(5)?,
            target: r.get(6)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    })
}

pub(crate) fn teams(db: &mut dyn Db) -> Result<Vec<TeamRecord>, StoreError> {
    let rows = db.rows(&TEAMS, args![], |r| {
        Ok((r.get::<String>(0)?, r.get::<Option<String>>(1)?))
    })?;
    let mut out: Vec<TeamRecord> = Vec::new();
    for (team, member) in rows {
        if out.last().is_none_or(|t| t.name != team) {
            out.push(TeamRecord {
                name: team,
                members: Vec::new(),
            });
        }
        if let (Some(m), Some(last)) = (member, out.last_mut()) {
            last.members.push(m);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Users, roles and memberships

static USERS: Sql = Sql::new(
    "listing users",
    "SELECT id, name, kind, created_at FROM users ORDER BY name COLLATE \"C\"",
);
static USER_BY_NAME: Sql = Sql::new(
    "reading a user",
    "SELECT id, kind FROM users WHERE name = ?",
);
static LIVE_TOKENS_OF_USER: Sql = Sql::new(
    "listing users",
    "SELECT COUNT(*) FROM api_tokens
      WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
);
static NEW_USER_ROLE: Sql = Sql::new(
    "giving a role",
    "INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, role) DO NOTHING",
);
static END_USER_ROLE: Sql = Sql::new(
    "taking a role away",
    "DELETE FROM user_roles WHERE user_id = ? AND role = ?",
);
static END_MEMBERSHIP: Sql = Sql::new(
    "removing a membership",
    "DELETE FROM team_members
      WHERE user_id = ? AND team_id = (SELECT id FROM teams WHERE name = ?)",
);

/// Checks a role or team name an admin types: no empty or padded names, no wildcards.
pub(crate) fn check_name(what: &str, name: &str) -> Result<(), StoreError> {
    if name.trim().is_empty() || name.trim() != name || name.contains(['*', '?', '%', ',']) {
        return Err(StoreError::Invalid(format!(
            "{what} `{name}`: name it exactly (no empty name, spaces around it or wildcards)"
        )));
    }
    Ok(())
}

fn existing_user(db: &mut dyn Db, name: &str) -> Result<(i64, String), StoreError> {
    db.opt(&USER_BY_NAME, args![name.trim()], |r| {
        Ok((r.get::<i64>(0)?, r.get::<String>(1)?))
    })?
    .ok_or_else(|| StoreError::NotFound(format!("user {name}")))
}

pub(crate) fn users(db: &mut dyn Db, now: Timestamp) -> Result<Vec<UserRecord>, StoreError> {
    let rows = db.rows(&USERS, args![], |r| {
        Ok((
            r.get::<i64>(0)?,
            r.get::<String>(1)?,
            r.get::<String>(2)?,
            r.time(3)?,
        ))
    })?;
    let now = to_ms(now);
    rows.into_iter()
        .map(|(id, name, kind, created_at)| {
            Ok(UserRecord {
                name,
                kind,
                roles: db.rows(&ROLES_OF_USER, args![id], |r| r.get(0))?,
                teams: db.rows(&TEAMS_OF_USER, args![id], |r| r.get(0))?,
                active_tokens: db.one(&LIVE_TOKENS_OF_USER, args![id, now], |r| r.count(0))?,
                created_at,
            })
        })
        .collect()
}

pub(crate) fn ensure_user(
    db: &mut dyn Db,
    name: &str,
    service: bool,
    at: Timestamp,
) -> Result<(), StoreError> {
    check_name("user", name)?;
    user_id(db, name, to_ms(at), service)?;
    Ok(())
}

pub(crate) fn grant_user_role(
    db: &mut dyn Db,
    user: &str,
    role: &str,
    by: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    check_name("role", role)?;
    let (id, kind) = existing_user(db, user)?;
    if kind == "service" {
        return Err(StoreError::Invalid(format!(
            "{user} is a service account: only people hold approval roles"
        )));
    }
    db.execute(&NEW_USER_ROLE, args![id, role, by, to_ms(at)])?;
    Ok(())
}

pub(crate) fn revoke_user_role(
    db: &mut dyn Db,
    user: &str,
    role: &str,
) -> Result<bool, StoreError> {
    let (id, _) = existing_user(db, user)?;
    Ok(db.execute(&END_USER_ROLE, args![id, role.trim()])? > 0)
}

pub(crate) fn add_membership(
    db: &mut dyn Db,
    team: &str,
    user: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    check_name("team", team)?;
    let (id, _) = existing_user(db, user)?;
    let team = team_id(db, team, to_ms(at))?;
    db.execute(&NEW_MEMBER, args![team, id, Option::<i64>::None])?;
    Ok(())
}

pub(crate) fn remove_membership(
    db: &mut dyn Db,
    team: &str,
    user: &str,
) -> Result<bool, StoreError> {
    let (id, _) = existing_user(db, user)?;
    Ok(db.execute(&END_MEMBERSHIP, args![id, team.trim()])? > 0)
}

// ---------------------------------------------------------------------------------------------
// Approval requests

const APPROVAL_COLUMNS: &str = "id, finding_id, from_status, state, reason, expires_at, role, rule_id, requested_by, requested_token, requested_at, status, decided_by, decided_at, note";

static NEW_APPROVAL: Sql = Sql::new(
    "recording an approval request",
    "INSERT INTO approval_requests (finding_id, from_status, state, reason, expires_at, role,
                                    rule_id, requested_by, requested_token, requested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
);
static CLOSE_APPROVAL: Sql = Sql::new(
    "deciding an approval request",
    "UPDATE approval_requests SET status = ?3, decided_by = ?4, decided_at = ?5, note = ?6
      WHERE id = ?1 AND status = ?2",
);

fn approval_row(r: &Row<'_>) -> Result<ApprovalRecord, StoreError> {
    Ok(ApprovalRecord {
        id: r.get(0)?,
        finding_id: r.get(1)?,
        from_status: r.get(2)?,
        state: r.get(3)?,
        reason: r.get(4)?,
        expires_at: r.get::<Option<i64>>(5)?.map(from_ms),
        role: r.get(6)?,
        rule_id: r.get(7)?,
        requested_by: r.get(8)?,
        requested_token: r.get(9)?,
        requested_at: r.time(10)?,
        status: r.get(11)?,
        decided_by: r.get(12)?,
        decided_at: r.get::<Option<i64>>(13)?.map(from_ms),
        note: r.get(14)?,
    })
}

pub(crate) fn create_approval(db: &mut dyn Db, a: &NewApproval) -> Result<i64, StoreError> {
    db.one(
        &NEW_APPROVAL,
        args![
            a.finding_id,
            a.from_status.as_str(),
            a.state.as_str(),
            a.reason.as_str(),
            a.expires_at.map(to_ms),
            a.role.as_str(),
            a.rule_id.as_deref(),
            a.requested_by.as_str(),
            a.requested_token,
            to_ms(a.at)
        ],
        |r| r.get(0),
    )
}

pub(crate) fn approvals(
    db: &mut dyn Db,
    status: Option<&str>,
) -> Result<Vec<ApprovalRecord>, StoreError> {
    let sql = Sql::dynamic(
        "listing approval requests",
        format!(
            "SELECT {APPROVAL_COLUMNS} FROM approval_requests{} ORDER BY id DESC",
            if status.is_some() {
                " WHERE status = ?"
            } else {
                ""
            }
        ),
    );
    match status {
        Some(s) => db.rows(&sql, args![s], approval_row),
        None => db.rows(&sql, args![], approval_row),
    }
}

pub(crate) fn approval(db: &mut dyn Db, id: i64) -> Result<Option<ApprovalRecord>, StoreError> {
    let sql = Sql::dynamic(
        "reading an approval request",
        format!("SELECT {APPROVAL_COLUMNS} FROM approval_requests WHERE id = ?"),
    );
    db.opt(&sql, args![id], approval_row)
}

/// Moves a request from `from` to `to`; answers whether it was still in `from`.
pub(crate) fn close_approval(
    db: &mut dyn Db,
    id: i64,
    from: &str,
    to: &str,
    by: Option<&str>,
    at: Option<Timestamp>,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    Ok(db.execute(
        &CLOSE_APPROVAL,
        args![id, from, to, by, at.map(to_ms), note],
    )? > 0)
}

// ---------------------------------------------------------------------------------------------
// VEX suggestions

const VEX_COLUMNS: &str = "id, asset, report, statements, uploaded_by, token_id, created_at, status, decided_by, decided_at";

static NEW_VEX_SUGGESTION: Sql = Sql::new(
    "recording a VEX suggestion",
    "INSERT INTO vex_suggestions (asset, report, statements, uploaded_by, token_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
);
static CLOSE_VEX_SUGGESTION: Sql = Sql::new(
    "deciding a VEX suggestion",
    "UPDATE vex_suggestions SET status = ?2, decided_by = ?3, decided_at = ?4
      WHERE id = ?1 AND status = 'pending'",
);

fn vex_row(r: &Row<'_>) -> Result<VexSuggestionRecord, StoreError> {
    let statements: String = r.get(3)?;
    Ok(VexSuggestionRecord {
        id: r.get(0)?,
        asset: r.get(1)?,
        report: r.get(2)?,
        statements: serde_json::from_str(&statements)
            .map_err(|e| StoreError::Corrupt(format!("vex_suggestions.statements: {e}")))?,
        uploaded_by: r.get(4)?,
        token_id: r.get(5)?,
        created_at: r.time(6)?,
        status: r.get(7)?,
        decided_by: r.get(8)?,
        decided_at: r.get::<Option<i64>>(9)?.map(from_ms),
    })
}

pub(crate) fn create_vex_suggestion(
    db: &mut dyn Db,
    v: &NewVexSuggestion,
) -> Result<i64, StoreError> {
    db.one(
        &NEW_VEX_SUGGESTION,
        args![
            v.asset.as_str(),
            v.report.as_str(),
            v.statements.to_string(),
            v.uploaded_by.as_str(),
            v.token_id,
            to_ms(v.at)
        ],
        |r| r.get(0),
    )
}

pub(crate) fn vex_suggestions(
    db: &mut dyn Db,
    status: Option<&str>,
    id: Option<i64>,
) -> Result<Vec<VexSuggestionRecord>, StoreError> {
    let mut conditions = Vec::new();
    if status.is_some() {
        conditions.push("status = ?");
    }
    if id.is_some() {
        conditions.push("id = ?");
    }
    let sql = Sql::dynamic(
        "listing VEX suggestions",
        format!(
            "SELECT {VEX_COLUMNS} FROM vex_suggestions{} ORDER BY id DESC",
            if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            }
        ),
    );
    match (status, id) {
        (Some(s), Some(i)) => db.rows(&sql, args![s, i], vex_row),
        (Some(s), None) => db.rows(&sql, args![s], vex_row),
        (None, Some(i)) => db.rows(&sql, args![i], vex_row),
        (None, None) => db.rows(&sql, args![], vex_row),
    }
}

pub(crate) fn close_vex_suggestion(
    db: &mut dyn Db,
    id: i64,
    to: &str,
    by: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    Ok(db.execute(&CLOSE_VEX_SUGGESTION, args![id, to, by, to_ms(at)])? > 0)
}
