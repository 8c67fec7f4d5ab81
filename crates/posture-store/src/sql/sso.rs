//! Single sign-on: a sign-in links the provider's identity (issuer, subject) to a user, and
//! refreshes the user's sign-in token (role, teams) and provider-given approval roles from the
//! groups of the ID token, all in one transaction with the new session and its audit entry.

use super::access::{create_session, record_audit};
use super::{Db, Sql, args};
use crate::stored::to_ms;
use crate::{
    AuditEntry, AuditOf, NewSession, Role, SSO_GRANTOR, SSO_TOKEN_NAME, SsoOutcome, SsoSignIn,
    StoreError,
};

static IDENTITY: Sql = Sql::new(
    "signing in",
    "SELECT u.id, u.name, u.kind FROM user_identities i JOIN users u ON u.id = i.user_id
      WHERE i.issuer = ? AND i.subject = ?",
);
static NEW_USER: Sql = Sql::new(
    "signing in",
    "INSERT INTO users (name, created_at, kind) VALUES (?, ?, 'person') ON CONFLICT (name) DO NOTHING",
);
static USER: Sql = Sql::new("signing in", "SELECT id, kind FROM users WHERE name = ?");
static NEW_IDENTITY: Sql = Sql::new(
    "signing in",
    "INSERT INTO user_identities (issuer, subject, user_id, first_seen, last_sign_in, groups)
     VALUES (?, ?, ?, ?, ?, ?)",
);
static TOUCH_IDENTITY: Sql = Sql::new(
    "signing in",
    "UPDATE user_identities SET last_sign_in = ?, groups = ? WHERE issuer = ? AND subject = ?",
);
static SSO_TOKEN: Sql = Sql::new(
    "signing in",
    "SELECT id, expires_at FROM api_tokens
      WHERE user_id = ? AND name = ? AND created_by = ? AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > ?)
      ORDER BY id DESC LIMIT 1",
);
static REFRESH_TOKEN: Sql = Sql::new(
    "signing in",
    "UPDATE api_tokens SET role = ?, expires_at = ? WHERE id = ?",
);
static NEW_TOKEN: Sql = Sql::new(
    "signing in",
    "INSERT INTO api_tokens (user_id, name, role, prefix, secret_hash, created_at,
                             created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
);
static TOKEN_TEAMS: Sql = Sql::new(
    "signing in",
    "SELECT team FROM token_teams WHERE token_id = ? ORDER BY team COLLATE \"C\"",
);
static DROP_TOKEN_TEAM: Sql = Sql::new(
    "signing in",
    "DELETE FROM token_teams WHERE token_id = ? AND team = ?",
);
static NEW_TOKEN_TEAM: Sql = Sql::new(
    "signing in",
    "INSERT INTO token_teams (token_id, team) VALUES (?, ?) ON CONFLICT (token_id, team) DO NOTHING",
);
static DROP_MEMBERSHIP: Sql = Sql::new(
    "signing in",
    "DELETE FROM team_members WHERE user_id = ? AND via_token = ?
        AND team_id = (SELECT id FROM teams WHERE name = ?)",
);
static NEW_TEAM: Sql = Sql::new(
    "signing in",
    "INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
);
static TEAM_ID: Sql = Sql::new("signing in", "SELECT id FROM teams WHERE name = ?");
static NEW_MEMBER: Sql = Sql::new(
    "signing in",
    "INSERT INTO team_members (team_id, user_id, via_token) VALUES (?, ?, ?)
     ON CONFLICT (team_id, user_id) DO NOTHING",
);
static PROVIDER_ROLES: Sql = Sql::new(
    "signing in",
    "SELECT role FROM user_roles WHERE user_id = ? AND granted_by = ? ORDER BY role COLLATE \"C\"",
);
static DROP_ROLE: Sql = Sql::new(
    "signing in",
    "DELETE FROM user_roles WHERE user_id = ? AND role = ? AND granted_by = ?",
);
static NEW_ROLE: Sql = Sql::new(
    "signing in",
    "INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, role) DO NOTHING",
);
static USER_BY_NAME: Sql = Sql::new("signing out", "SELECT id FROM users WHERE name = ?");
static END_USER_SESSIONS: Sql = Sql::new(
    "signing out everywhere",
    "DELETE FROM sessions WHERE token_id IN (SELECT id FROM api_tokens WHERE user_id = ?)",
);

/// Signs a user in (inside the caller's write transaction): links or finds the user, refreshes
/// the sign-in token and the provider-given approval roles, opens the session, audits.
pub(crate) fn sign_in(
    db: &mut dyn Db,
    s: &SsoSignIn,
    audit: AuditOf<'_, SsoOutcome>,
) -> Result<SsoOutcome, StoreError> {
    if s.role == Role::Ci {
        return Err(StoreError::Invalid(
            "a sign-in gives no ci role: pipelines exchange their own tokens".into(),
        ));
    }
    if s.role == Role::Developer && s.teams.is_empty() {
        return Err(StoreError::Invalid(
            "a developer signs in for at least one team".into(),
        ));
    }
    let at = to_ms(s.at);
    let groups = serde_json::to_string(&s.groups).unwrap_or_else(|_| "[]".into());
    let (user_id, user, created) = match db.opt(
        &IDENTITY,
        args![s.issuer.as_str(), s.subject.as_str()],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<String>(2)?)),
    )? {
        Some((id, name, kind)) => {
            if kind == "service" {
                return Err(StoreError::Invalid(format!(
                    "{name} is a service account: it does not sign in"
                )));
            }
            db.execute(
                &TOUCH_IDENTITY,
                args![at, groups.as_str(), s.issuer.as_str(), s.subject.as_str()],
            )?;
            (id, name, false)
        }
        None => {
            let name = s.user.trim();
            if name.is_empty() {
                return Err(StoreError::Invalid(
                    "the ID token names no user (its username claim is empty)".into(),
                ));
            }
            let created = db.execute(&NEW_USER, args![name, at])? > 0;
            let (id, kind): (i64, String) =
                db.one(&USER, args![name], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if kind == "service" {
                return Err(StoreError::Invalid(format!(
                    "{name} is a service account: it does not sign in"
                )));
            }
            db.execute(
                &NEW_IDENTITY,
                args![
                    s.issuer.as_str(),
                    s.subject.as_str(),
                    id,
                    at,
                    at,
                    groups.as_str()
                ],
            )?;
            (id, name.to_string(), created)
        }
    };

    let expires = to_ms(s.expires_at);
    let teams: Vec<String> = if s.role == Role::Developer {
        let mut t: Vec<String> = s.teams.iter().map(|t| t.trim().to_string()).collect();
        t.sort();
        t.dedup();
        t
    } else {
        Vec::new()
    };
    let mut removed = Vec::new();
    let token_id = match db.opt(
        &SSO_TOKEN,
        args![user_id, SSO_TOKEN_NAME, SSO_GRANTOR, at],
        |r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?)),
    )? {
        Some((id, old_expiry)) => {
            let expiry = old_expiry.map_or(expires, |e| e.max(expires));
            db.execute(&REFRESH_TOKEN, args![s.role.as_str(), expiry, id])?;
            let before: Vec<String> = db.rows(&TOKEN_TEAMS, args![id], |r| r.get(0))?;
            for team in before.iter().filter(|t| !teams.contains(t)) {
                db.execute(&DROP_TOKEN_TEAM, args![id, team.as_str()])?;
                db.execute(&DROP_MEMBERSHIP, args![user_id, id, team.as_str()])?;
                removed.push(format!("team {team}"));
            }
            id
        }
        None => db.one(
            &NEW_TOKEN,
            args![
                user_id,
                SSO_TOKEN_NAME,
                s.role.as_str(),
                s.token_prefix.as_str(),
                s.token_hash.as_str(),
                at,
                SSO_GRANTOR,
                expires
            ],
            |r| r.get(0),
        )?,
    };
    for team in &teams {
        db.execute(&NEW_TEAM, args![team.as_str(), at])?;
        let team_id: i64 = db.one(&TEAM_ID, args![team.as_str()], |r| r.get(0))?;
        db.execute(&NEW_MEMBER, args![team_id, user_id, token_id])?;
        db.execute(&NEW_TOKEN_TEAM, args![token_id, team.as_str()])?;
    }

    let mut approval_roles: Vec<String> = s
        .approval_roles
        .iter()
        .map(|r| r.trim().to_string())
        .collect();
    approval_roles.sort();
    approval_roles.dedup();
    let before: Vec<String> =
        db.rows(&PROVIDER_ROLES, args![user_id, SSO_GRANTOR], |r| r.get(0))?;
    for role in before.iter().filter(|r| !approval_roles.contains(r)) {
        db.execute(&DROP_ROLE, args![user_id, role.as_str(), SSO_GRANTOR])?;
        removed.push(format!("approval role {role}"));
    }
    for role in &approval_roles {
        db.execute(&NEW_ROLE, args![user_id, role.as_str(), SSO_GRANTOR, at])?;
    }

    create_session(
        db,
        &NewSession {
            secret_hash: s.session_hash.clone(),
            token_id,
            at: s.at,
            expires_at: s.expires_at,
        },
    )?;
    let outcome = SsoOutcome {
        user,
        created,
        token_id,
        role: s.role,
        teams,
        approval_roles,
        removed,
    };
    if let Some(entry) = audit(&outcome) {
        record_audit(db, &entry)?;
    }
    Ok(outcome)
}

/// Ends every session of a user (inside the caller's write transaction); answers how many.
pub(crate) fn end_sessions(
    db: &mut dyn Db,
    user: &str,
    audit: Option<&AuditEntry>,
) -> Result<usize, StoreError> {
    let id: i64 = db
        .opt(&USER_BY_NAME, args![user.trim()], |r| r.get(0))?
        .ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
    let ended = db.execute(&END_USER_SESSIONS, args![id])?;
    if let Some(entry) = audit {
        let mut entry = entry.clone();
        if let serde_json::Value::Object(m) = &mut entry.detail {
            m.insert("sessions_ended".into(), ended.into());
        }
        record_audit(db, &entry)?;
    }
    Ok(usize::try_from(ended).unwrap_or(usize::MAX))
}
