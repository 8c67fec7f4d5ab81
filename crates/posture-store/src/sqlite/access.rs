//! Access control on SQLite: which connection each call takes (the statements are
//! `crate::sql::access`). Authentication runs on every request: it reads on a reader and takes
//! the writer only when the token's last use must move.

use super::{SqliteStore, to_ms, write};
use crate::sql::access as sql;
use crate::{
    AccessStore, ApprovalRecord, AuditEntry, AuditOf, AuditRecord, NewApproval, NewSession,
    NewToken, NewVexSuggestion, Principal, SavedViewRecord, SsoOutcome, SsoSignIn, StoreError,
    TeamRecord, TokenRecord, UserRecord, VexSuggestionRecord,
};
use posture_model::Timestamp;

impl AccessStore for SqliteStore {
    fn create_token_audited(
        &self,
        token: NewToken,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError> {
        sql::check_token(&token)?;
        let mut conn = self.lock()?;
        write(&mut conn, "creating a token", |db| {
            let id = sql::create_token(db, &token)?;
            let record = sql::token_by_id(db, id)?
                .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            if let Some(entry) = audit(&record) {
                sql::record_audit(db, &entry)?;
            }
            Ok(record)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|c| sql::tokens(&mut &*c))
    }

    fn active_token_count(&self, now: Timestamp) -> Result<usize, StoreError> {
        self.read(|c| sql::active_token_count(&mut &*c, now))
    }

    fn revoke_token_audited(
        &self,
        id: i64,
        at: Timestamp,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "revoking a token", |db| {
            sql::revoke_token(db, id, at)?;
            let record = sql::token_by_id(db, id)?
                .ok_or_else(|| StoreError::NotFound(format!("token {id}")))?;
            if let Some(entry) = audit(&record) {
                sql::record_audit(db, &entry)?;
            }
            Ok(record)
        })
    }

    fn authenticate(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        let now = to_ms(now);
        let (id, last_used, found) = {
            let conn = self.read_conn()?;
            let db = &mut &*conn;
            let Some((id, last_used)) = sql::token_by_hash(db, secret_hash)? else {
                return Ok(None);
            };
            (id, last_used, sql::principal(db, id, now)?)
        };
        if found.is_some() && sql::needs_touch(last_used, now) {
            let conn = self.lock()?;
            sql::touch_token(&mut &*conn, id, now)?;
        }
        Ok(found)
    }

    fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let conn = self.lock()?;
        sql::create_session(&mut &*conn, &session)
    }

    fn session_principal(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        self.read(|c| sql::session_principal(&mut &*c, secret_hash, now))
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        let conn = self.lock()?;
        sql::delete_session(&mut &*conn, secret_hash)
    }

    fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let conn = self.lock()?;
        sql::record_audit(&mut &*conn, &entry)
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.read(|c| sql::audit_log(&mut &*c, limit))
    }

    fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        self.read(|c| sql::teams(&mut &*c))
    }

    fn users(&self, now: Timestamp) -> Result<Vec<UserRecord>, StoreError> {
        self.read(|c| {
            let db = &mut &*c;
            sql::users(db, now)
        })
    }

    fn ensure_user(&self, name: &str, service: bool, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "recording a user", |db| {
            sql::ensure_user(db, name, service, at)
        })
    }

    fn grant_user_role(
        &self,
        user: &str,
        role: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "giving a role", |db| {
            sql::grant_user_role(db, user, role, by, at)
        })
    }

    fn revoke_user_role(&self, user: &str, role: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "taking a role away", |db| {
            sql::revoke_user_role(db, user, role)
        })
    }

    fn add_membership(&self, team: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "recording a membership", |db| {
            sql::add_membership(db, team, user, at)
        })
    }

    fn remove_membership(&self, team: &str, user: &str) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "removing a membership", |db| {
            sql::remove_membership(db, team, user)
        })
    }

    fn create_approval(&self, request: NewApproval) -> Result<ApprovalRecord, StoreError> {
        let id = {
            let mut conn = self.lock()?;
            write(&mut conn, "recording an approval request", |db| {
                sql::create_approval(db, &request)
            })?
        };
        self.approval(id)?
            .ok_or_else(|| StoreError::NotFound(format!("approval request {id}")))
    }

    fn approvals(&self, status: Option<&str>) -> Result<Vec<ApprovalRecord>, StoreError> {
        self.read(|c| {
            let db = &mut &*c;
            sql::approvals(db, status)
        })
    }

    fn approval(&self, id: i64) -> Result<Option<ApprovalRecord>, StoreError> {
        self.read(|c| {
            let db = &mut &*c;
            sql::approval(db, id)
        })
    }

    fn close_approval(
        &self,
        id: i64,
        from: &str,
        to: &str,
        by: Option<&str>,
        at: Option<Timestamp>,
        note: Option<&str>,
    ) -> Result<Option<ApprovalRecord>, StoreError> {
        let moved = {
            let mut conn = self.lock()?;
            write(&mut conn, "deciding an approval request", |db| {
                sql::close_approval(db, id, from, to, by, at, note)
            })?
        };
        if moved { self.approval(id) } else { Ok(None) }
    }

    fn create_vex_suggestion(
        &self,
        suggestion: NewVexSuggestion,
    ) -> Result<VexSuggestionRecord, StoreError> {
        let id = {
            let mut conn = self.lock()?;
            write(&mut conn, "recording a VEX suggestion", |db| {
                sql::create_vex_suggestion(db, &suggestion)
            })?
        };
        let found = {
            self.read(|c| {
                let db = &mut &*c;
                sql::vex_suggestions(db, None, Some(id))
            })?
        };
        found
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("VEX suggestion {id}")))
    }

    fn vex_suggestions(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<VexSuggestionRecord>, StoreError> {
        self.read(|c| {
            let db = &mut &*c;
            sql::vex_suggestions(db, status, None)
        })
    }

    fn close_vex_suggestion(
        &self,
        id: i64,
        to: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<VexSuggestionRecord>, StoreError> {
        let moved = {
            let mut conn = self.lock()?;
            write(&mut conn, "deciding a VEX suggestion", |db| {
                sql::close_vex_suggestion(db, id, to, by, at)
            })?
        };
        if !moved {
            return Ok(None);
        }
        let found = {
            self.read(|c| {
                let db = &mut &*c;
                sql::vex_suggestions(db, None, Some(id))
            })?
        };
        Ok(found.into_iter().next())
    }

    fn sso_sign_in(
        &self,
        sign_in: SsoSignIn,
        audit: AuditOf<'_, SsoOutcome>,
    ) -> Result<SsoOutcome, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "signing in", |db| {
            crate::sql::sso::sign_in(db, &sign_in, audit)
        })
    }

    fn end_user_sessions(
        &self,
        user: &str,
        audit: Option<AuditEntry>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "signing out everywhere", |db| {
            crate::sql::sso::end_sessions(db, user, audit.as_ref())
        })
    }

    fn saved_views(&self, user: &str) -> Result<Vec<SavedViewRecord>, StoreError> {
        self.read(|c| crate::sql::saved_views::list(&mut &*c, user))
    }

    fn save_view(
        &self,
        user: &str,
        name: &str,
        query: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "saving a view", |db| {
            crate::sql::saved_views::save(db, user, name, query, at)
        })
    }

    fn delete_saved_view(&self, user: &str, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.lock()?;
        write(&mut conn, "deleting a saved view", |db| {
            crate::sql::saved_views::delete(db, user, id)
        })
    }
}
