//! Access control on PostgreSQL (migration 7): users, teams, tokens (hashes only), sessions,
//! the audit log. The same statements as `src/sqlite/access.rs`; `RETURNING id` where SQLite
//! reads `last_insert_rowid`, and `INSERT ... ON CONFLICT DO NOTHING` then a read, which
//! stays right when two servers create the same user or team at once.

use super::{PostgresStore, opt_text, text};
use crate::stored::{from_ms, to_ms};
use crate::{
    AccessStore, AuditEntry, AuditRecord, NewSession, NewToken, Principal, Role, StoreError,
    TeamRecord, TokenRecord,
};
use postgres::GenericClient;
use posture_model::Timestamp;

/// A token is used at most this often (ms) for `last_used_at`: a read API should not turn
/// every request into a write.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

fn role_of(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role `{text}` in api_tokens")))
}

fn user_id(client: &mut impl GenericClient, name: &str, at: i64) -> Result<i64, StoreError> {
    let e = StoreError::pg("recording a user");
    client
        .execute(
            "INSERT INTO users (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&text(name), &at],
        )
        .map_err(e)?;
    Ok(client
        .query_one("SELECT id FROM users WHERE name = $1", &[&text(name)])
        .map_err(e)?
        .get(0))
}

fn team_id(client: &mut impl GenericClient, name: &str, at: i64) -> Result<i64, StoreError> {
    let e = StoreError::pg("recording a team");
    client
        .execute(
            "INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&text(name), &at],
        )
        .map_err(e)?;
    Ok(client
        .query_one("SELECT id FROM teams WHERE name = $1", &[&text(name)])
        .map_err(e)?
        .get(0))
}

fn teams_of_user(client: &mut impl GenericClient, user_id: i64) -> Result<Vec<String>, StoreError> {
    Ok(client
        .query(
            "SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id
             WHERE m.user_id = $1 ORDER BY t.name",
            &[&user_id],
        )
        .map_err(StoreError::pg("reading team memberships"))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

fn assets_of_token(
    client: &mut impl GenericClient,
    token_id: i64,
) -> Result<Vec<String>, StoreError> {
    Ok(client
        .query(
            "SELECT asset FROM token_assets WHERE token_id = $1 ORDER BY asset",
            &[&token_id],
        )
        .map_err(StoreError::pg("reading a token's assets"))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

const TOKEN_COLUMNS: &str = "t.id, u.id, u.name, t.name, t.role, t.prefix, t.created_at,
     t.created_by, t.expires_at, t.revoked_at, t.last_used_at";

fn token_row(
    client: &mut impl GenericClient,
    r: &postgres::Row,
) -> Result<TokenRecord, StoreError> {
    let id: i64 = r.get(0);
    let user_id: i64 = r.get(1);
    Ok(TokenRecord {
        id,
        user: r.get(2),
        name: r.get(3),
        role: role_of(r.get(4))?,
        prefix: r.get(5),
        teams: teams_of_user(client, user_id)?,
        assets: assets_of_token(client, id)?,
        created_at: from_ms(r.get(6)),
        created_by: r.get(7),
        expires_at: r.get::<_, Option<i64>>(8).map(from_ms),
        revoked_at: r.get::<_, Option<i64>>(9).map(from_ms),
        last_used_at: r.get::<_, Option<i64>>(10).map(from_ms),
    })
}

fn token_by_id(
    client: &mut impl GenericClient,
    id: i64,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.id = $1"
            ),
            &[&id],
        )
        .map_err(StoreError::pg("reading a token"))?;
    match row {
        Some(r) => Ok(Some(token_row(client, &r)?)),
        None => Ok(None),
    }
}

/// The principal of a valid token id (not revoked, not expired at `now`).
fn principal(
    client: &mut impl GenericClient,
    token_id: i64,
    now: i64,
) -> Result<Option<Principal>, StoreError> {
    let row = client
        .query_opt(
            "SELECT u.id, u.name, t.name, t.role FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.id = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)",
            &[&token_id, &now],
        )
        .map_err(StoreError::pg("authenticating"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user_id: i64 = row.get(0);
    Ok(Some(Principal {
        token_id,
        user: row.get(1),
        token_name: row.get(2),
        role: role_of(row.get(3))?,
        teams: teams_of_user(client, user_id)?,
        assets: assets_of_token(client, token_id)?,
    }))
}

impl AccessStore for PostgresStore {
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
        let e = StoreError::pg("creating a token");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        let at = to_ms(token.at);
        let user = user_id(&mut tx, token.user.trim(), at)?;
        if let Some(team) = token
            .team
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let team = team_id(&mut tx, team, at)?;
            tx.execute(
                "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)
                 ON CONFLICT (team_id, user_id) DO NOTHING",
                &[&team, &user],
            )
            .map_err(e)?;
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO api_tokens (user_id, name, role, prefix, secret_hash, created_at,
                                         created_by, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &user,
                    &text(&token.name),
                    &token.role.as_str(),
                    &text(&token.prefix),
                    &text(&token.secret_hash),
                    &at,
                    &text(&token.created_by),
                    &token.expires_at.map(to_ms),
                ],
            )
            .map_err(e)?
            .get(0);
        for asset in &token.assets {
            tx.execute(
                "INSERT INTO token_assets (token_id, asset) VALUES ($1, $2)
                 ON CONFLICT (token_id, asset) DO NOTHING",
                &[&id, &text(asset.trim())],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        token_by_id(&mut *client, id)?.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let rows = client
            .query(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                      ORDER BY t.id DESC"
                ),
                &[],
            )
            .map_err(StoreError::pg("listing tokens"))?;
        rows.iter().map(|r| token_row(&mut *client, r)).collect()
    }

    fn active_token_count(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        let n: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM api_tokens
                 WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)",
                &[&to_ms(now)],
            )
            .map_err(StoreError::pg("counting tokens"))?
            .get(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn revoke_token(&self, id: i64, at: Timestamp) -> Result<TokenRecord, StoreError> {
        let e = StoreError::pg("revoking a token");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        let n = tx
            .execute(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                &[&id, &to_ms(at)],
            )
            .map_err(e)?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("token {id}")));
        }
        tx.execute("DELETE FROM sessions WHERE token_id = $1", &[&id])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        token_by_id(&mut *client, id)?.ok_or_else(|| StoreError::NotFound(format!("token {id}")))
    }

    fn authenticate(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        let e = StoreError::pg("authenticating");
        let mut client = self.pool.get()?;
        let now = to_ms(now);
        let id: Option<i64> = client
            .query_opt(
                "SELECT id FROM api_tokens WHERE secret_hash = $1",
                &[&text(secret_hash)],
            )
            .map_err(e)?
            .map(|r| r.get(0));
        let Some(id) = id else {
            return Ok(None);
        };
        let found = principal(&mut *client, id, now)?;
        if found.is_some() {
            client
                .execute(
                    "UPDATE api_tokens SET last_used_at = $2
                     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
                    &[&id, &now, &(now - LAST_USED_GRANULARITY_MS)],
                )
                .map_err(e)?;
        }
        Ok(found)
    }

    fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let e = StoreError::pg("creating a session");
        let mut client = self.pool.get()?;
        // Expired sessions are swept here, where sessions are written anyway.
        client
            .execute(
                "DELETE FROM sessions WHERE expires_at <= $1",
                &[&to_ms(session.at)],
            )
            .map_err(e)?;
        client
            .execute(
                "INSERT INTO sessions (secret_hash, token_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &text(&session.secret_hash),
                    &session.token_id,
                    &to_ms(session.at),
                    &to_ms(session.expires_at),
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
        let mut client = self.pool.get()?;
        let now = to_ms(now);
        let token: Option<i64> = client
            .query_opt(
                "SELECT token_id FROM sessions WHERE secret_hash = $1 AND expires_at > $2",
                &[&text(secret_hash), &now],
            )
            .map_err(StoreError::pg("reading a session"))?
            .map(|r| r.get(0));
        match token {
            Some(id) => principal(&mut *client, id, now),
            None => Ok(None),
        }
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        client
            .execute(
                "DELETE FROM sessions WHERE secret_hash = $1",
                &[&text(secret_hash)],
            )
            .map_err(StoreError::pg("ending a session"))?;
        Ok(())
    }

    fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        client
            .execute(
                "INSERT INTO audit_log (at, actor, token_id, client, action, target, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &to_ms(entry.at),
                    &text(&entry.actor),
                    &entry.token_id,
                    &opt_text(entry.client.as_deref()),
                    &text(&entry.action),
                    &text(&entry.target),
                    &entry.detail.to_string(),
                ],
            )
            .map_err(StoreError::pg("recording the audit log"))?;
        Ok(())
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut client = self.pool.get()?;
        Ok(client
            .query(
                "SELECT id, at, actor, token_id, client, action, target, detail
                 FROM audit_log ORDER BY id DESC LIMIT $1",
                &[&i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .map_err(StoreError::pg("reading the audit log"))?
            .iter()
            .map(|r| {
                let detail: String = r.get(7);
                AuditRecord {
                    id: r.get(0),
                    at: from_ms(r.get(1)),
                    actor: r.get(2),
                    token_id: r.get(3),
                    client: r.get(4),
                    action: r.get(5),
                    target: r.get(6),
                    detail: serde_json::from_str(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                }
            })
            .collect())
    }

    fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let rows = client
            .query(
                "SELECT t.name, u.name FROM teams t
                 LEFT JOIN team_members m ON m.team_id = t.id
                 LEFT JOIN users u ON u.id = m.user_id
                 ORDER BY t.name, u.name",
                &[],
            )
            .map_err(StoreError::pg("listing teams"))?;
        let mut out: Vec<TeamRecord> = Vec::new();
        for row in &rows {
            let team: String = row.get(0);
            let member: Option<String> = row.get(1);
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
