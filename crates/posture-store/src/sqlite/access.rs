//! Access control on SQLite: users, teams, tokens (hashes only), sessions, the audit log.
//! Plain SQL with integer ids and unix-millisecond times, so it ports as is.

use super::{SqliteStore, from_ms, to_ms};
use crate::{
    AccessStore, AuditEntry, AuditRecord, NewSession, NewToken, Principal, Role, StoreError,
    TeamRecord, TokenRecord,
};
use posture_model::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

fn err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + Copy {
    move |e| StoreError::db(context)(e)
}

/// A token is used at most this often (ms) for `last_used_at`: a read API should not turn
/// every request into a write.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

fn role_of(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role `{text}` in api_tokens")))
}

fn user_id(tx: &Transaction<'_>, name: &str, at: i64) -> Result<i64, StoreError> {
    let e = err("recording a user");
    tx.execute(
        "INSERT INTO users (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, at],
    )
    .map_err(e)?;
    tx.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
        .map_err(e)
}

fn team_id(tx: &Transaction<'_>, name: &str, at: i64) -> Result<i64, StoreError> {
    let e = err("recording a team");
    tx.execute(
        "INSERT INTO teams (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, at],
    )
    .map_err(e)?;
    tx.query_row("SELECT id FROM teams WHERE name = ?1", [name], |r| r.get(0))
        .map_err(e)
}

fn teams_of_user(conn: &Connection, user_id: i64) -> Result<Vec<String>, StoreError> {
    let e = err("reading team memberships");
    let mut st = conn
        .prepare_cached(
            "SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id
             WHERE m.user_id = ?1 ORDER BY t.name",
        )
        .map_err(e)?;
    let rows = st.query_map([user_id], |r| r.get(0)).map_err(e)?;
    rows.collect::<Result<_, _>>().map_err(e)
}

fn assets_of_token(conn: &Connection, token_id: i64) -> Result<Vec<String>, StoreError> {
    let e = err("reading a token's assets");
    let mut st = conn
        .prepare_cached("SELECT asset FROM token_assets WHERE token_id = ?1 ORDER BY asset")
        .map_err(e)?;
    let rows = st.query_map([token_id], |r| r.get(0)).map_err(e)?;
    rows.collect::<Result<_, _>>().map_err(e)
}

const TOKEN_COLUMNS: &str = "t.id, u.id, u.name, t.name, t.role, t.prefix, t.created_at,
     t.created_by, t.expires_at, t.revoked_at, t.last_used_at";

fn token_row(conn: &Connection, r: &rusqlite::Row<'_>) -> Result<TokenRecord, StoreError> {
    let e = err("reading a token");
    let id: i64 = r.get(0).map_err(e)?;
    let user_id: i64 = r.get(1).map_err(e)?;
    let role: String = r.get(4).map_err(e)?;
    Ok(TokenRecord {
        id,
        user: r.get(2).map_err(e)?,
        name: r.get(3).map_err(e)?,
        role: role_of(&role)?,
        prefix: r.get(5).map_err(e)?,
        teams: teams_of_user(conn, user_id)?,
        assets: assets_of_token(conn, id)?,
        created_at: from_ms(r.get(6).map_err(e)?),
        created_by: r.get(7).map_err(e)?,
        expires_at: r.get::<_, Option<i64>>(8).map_err(e)?.map(from_ms),
        revoked_at: r.get::<_, Option<i64>>(9).map_err(e)?.map(from_ms),
        last_used_at: r.get::<_, Option<i64>>(10).map_err(e)?.map(from_ms),
    })
}

fn token_by_id(conn: &Connection, id: i64) -> Result<Option<TokenRecord>, StoreError> {
    let e = err("reading a token");
    let mut st = conn
        .prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?1"
        ))
        .map_err(e)?;
    let mut rows = st.query([id]).map_err(e)?;
    match rows.next().map_err(e)? {
        Some(r) => Ok(Some(token_row(conn, r)?)),
        None => Ok(None),
    }
}

/// The principal of a valid token id (not revoked, not expired at `now`).
fn principal(conn: &Connection, token_id: i64, now: i64) -> Result<Option<Principal>, StoreError> {
    let e = err("authenticating");
    let row: Option<(i64, String, String, String)> = conn
        .query_row(
            "SELECT u.id, u.name, t.name, t.role FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.id = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)",
            params![token_id, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(e)?;
    let Some((user_id, user, token_name, role)) = row else {
        return Ok(None);
    };
    Ok(Some(Principal {
        token_id,
        user,
        token_name,
        role: role_of(&role)?,
        teams: teams_of_user(conn, user_id)?,
        assets: assets_of_token(conn, token_id)?,
    }))
}

impl AccessStore for SqliteStore {
    fn create_token(&self, token: NewToken) -> Result<TokenRecord, StoreError> {
        if token.user.trim().is_empty() {
            return Err(StoreError::Invalid("a token needs a user name".into()));
        }
        if token.role == Role::Ci && token.assets.is_empty() {
            return Err(StoreError::Invalid(
                "a ci token must name the assets it may upload to (--asset)".into(),
            ));
        }
        if token.role == Role::Developer && token.team.is_none() {
            return Err(StoreError::Invalid(
                "a developer token must name the developer's team (--team)".into(),
            ));
        }
        let mut conn = self.lock()?;
        let e = err("creating a token");
        let tx = conn.transaction().map_err(e)?;
        let at = to_ms(token.at);
        let user = user_id(&tx, token.user.trim(), at)?;
        if let Some(team) = token
            .team
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let team = team_id(&tx, team, at)?;
            tx.execute(
                "INSERT INTO team_members (team_id, user_id) VALUES (?1, ?2)
                 ON CONFLICT (team_id, user_id) DO NOTHING",
                params![team, user],
            )
            .map_err(e)?;
        }
        tx.execute(
            "INSERT INTO api_tokens (user_id, name, role, prefix, secret_hash, created_at, created_by, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                user,
                token.name,
                token.role.as_str(),
                token.prefix,
                token.secret_hash,
                at,
                token.created_by,
                token.expires_at.map(to_ms)
            ],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        for asset in &token.assets {
            tx.execute(
                "INSERT INTO token_assets (token_id, asset) VALUES (?1, ?2)
                 ON CONFLICT (token_id, asset) DO NOTHING",
                params![id, asset.trim()],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        token_by_id(&conn, id)?.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let conn = self.read_conn()?;
        let e = err("listing tokens");
        let mut st = conn
            .prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC"
            ))
            .map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(e)? {
            out.push(token_row(&conn, r)?);
        }
        Ok(out)
    }

    fn active_token_count(&self, now: Timestamp) -> Result<usize, StoreError> {
        let conn = self.read_conn()?;
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM api_tokens
                 WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?1)",
                [to_ms(now)],
                |r| r.get(0),
            )
            .map_err(err("counting tokens"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn revoke_token(&self, id: i64, at: Timestamp) -> Result<TokenRecord, StoreError> {
        let mut conn = self.lock()?;
        let e = err("revoking a token");
        let tx = conn.transaction().map_err(e)?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                params![id, to_ms(at)],
            )
            .map_err(e)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        tx.execute("DELETE FROM sessions WHERE token_id = ?1", [id])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        token_by_id(&conn, id)?.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    fn authenticate(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        let e = err("authenticating");
        let now = to_ms(now);
        // Every request authenticates: read on a reader, and take the writer only when the
        // token's last use must move (at most once per LAST_USED_GRANULARITY_MS).
        let (id, last_used, found) = {
            let conn = self.read_conn()?;
            let row: Option<(i64, Option<i64>)> = conn
                .query_row(
                    "SELECT id, last_used_at FROM api_tokens WHERE secret_hash = ?1",
                    [secret_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(e)?;
            let Some((id, last_used)) = row else {
                return Ok(None);
            };
            (id, last_used, principal(&conn, id, now)?)
        };
        if found.is_some() && last_used.is_none_or(|t| t < now - LAST_USED_GRANULARITY_MS) {
            let conn = self.lock()?;
            conn.execute(
                "UPDATE api_tokens SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
                params![id, now, now - LAST_USED_GRANULARITY_MS],
            )
            .map_err(e)?;
        }
        Ok(found)
    }

    fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let conn = self.lock()?;
        let e = err("creating a session");
        // Expired sessions are swept here, where sessions are written anyway.
        conn.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1",
            [to_ms(session.at)],
        )
        .map_err(e)?;
        conn.execute(
            "INSERT INTO sessions (secret_hash, token_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                session.secret_hash,
                session.token_id,
                to_ms(session.at),
                to_ms(session.expires_at)
            ],
        )
        .map_err(e)?;
        Ok(())
    }

    fn session_principal(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        let conn = self.read_conn()?;
        let now = to_ms(now);
        let token: Option<i64> = conn
            .query_row(
                "SELECT token_id FROM sessions WHERE secret_hash = ?1 AND expires_at > ?2",
                params![secret_hash, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("reading a session"))?;
        match token {
            Some(id) => principal(&conn, id, now),
            None => Ok(None),
        }
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute("DELETE FROM sessions WHERE secret_hash = ?1", [secret_hash])
            .map_err(err("ending a session"))?;
        Ok(())
    }

    fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO audit_log (at, actor, token_id, client, action, target, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                to_ms(entry.at),
                entry.actor,
                entry.token_id,
                entry.client,
                entry.action,
                entry.target,
                entry.detail.to_string()
            ],
        )
        .map_err(err("recording the audit log"))?;
        Ok(())
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.read_conn()?;
        let e = err("reading the audit log");
        let mut st = conn
            .prepare(
                "SELECT id, at, actor, token_id, client, action, target, detail
                 FROM audit_log ORDER BY id DESC LIMIT ?1",
            )
            .map_err(e)?;
        let rows = st
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                let detail: String = r.get(7)?;
                Ok(AuditRecord {
                    id: r.get(0)?,
                    at: from_ms(r.get(1)?),
                    actor: r.get(2)?,
                    token_id: r.get(3)?,
                    client: r.get(4)?,
                    action: r.get(5)?,
                    target: r.get(6)?,
                    detail: serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                })
            })
            .map_err(e)?;
        rows.collect::<Result<_, _>>().map_err(e)
    }

    fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let conn = self.read_conn()?;
        let e = err("listing teams");
        let mut st = conn
            .prepare(
                "SELECT t.name, u.name FROM teams t
                 LEFT JOIN team_members m ON m.team_id = t.id
                 LEFT JOIN users u ON u.id = m.user_id
                 ORDER BY t.name, u.name",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(e)?;
        let mut out: Vec<TeamRecord> = Vec::new();
        for row in rows {
            let (team, member) = row.map_err(e)?;
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
}
