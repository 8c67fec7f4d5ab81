//! Access control on PostgreSQL (migration 7): which connection each call takes (the
//! statements are `crate::sql::access`).

use super::{PostgresStore, write};
use crate::sql::access as sql;
use crate::stored::to_ms;
use crate::{
    AccessStore, ApprovalRecord, AuditEntry, AuditOf, AuditRecord, NewApproval, NewSession,
    NewToken, NewVexSuggestion, Principal, SavedViewRecord, SsoOutcome, SsoSignIn, StoreError,
    TeamRecord, TokenRecord, UserRecord, VexSuggestionRecord,
};
use posture_model::Timestamp;

impl AccessStore for PostgresStore {
    fn create_token_audited(
        &self,
        token: NewToken,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError> {
        sql::check_token(&token)?;
        let mut client = self.pool.get()?;
        write(&mut client, "creating a token", |db| {
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
        let mut client = self.pool.get()?;
        sql::tokens(&mut *client)
    }

    fn active_token_count(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        sql::active_token_count(&mut *client, now)
    }

    fn revoke_token_audited(
        &self,
        id: i64,
        at: Timestamp,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "revoking a token", |db| {
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
        let mut client = self.pool.get()?;
        let now = to_ms(now);
        let Some((id, last_used)) = sql::token_by_hash(&mut *client, secret_hash)? else {
            return Ok(None);
        };
        let found = sql::principal(&mut *client, id, now)?;
        if found.is_some() && sql::needs_touch(last_used, now) {
            sql::touch_token(&mut *client, id, now)?;
        }
        Ok(found)
    }

    fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        sql::create_session(&mut *client, &session)
    }

    fn session_principal(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError> {
        let mut client = self.pool.get()?;
        sql::session_principal(&mut *client, secret_hash, now)
    }

    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        sql::delete_session(&mut *client, secret_hash)
    }

    fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        sql::record_audit(&mut *client, &entry)
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::audit_log(&mut *client, limit)
    }

    fn teams(&self) -> Result<Vec<TeamRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::teams(&mut *client)
    }

    fn users(&self, now: Timestamp) -> Result<Vec<UserRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let db = &mut *client;
        sql::users(db, now)
    }

    fn ensure_user(&self, name: &str, service: bool, at: Timestamp) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "recording a user", |db| {
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
        let mut client = self.pool.get()?;
        write(&mut client, "giving a role", |db| {
            sql::grant_user_role(db, user, role, by, at)
        })
    }

    fn revoke_user_role(&self, user: &str, role: &str) -> Result<bool, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "taking a role away", |db| {
            sql::revoke_user_role(db, user, role)
        })
    }

    fn add_membership(&self, team: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "recording a membership", |db| {
            sql::add_membership(db, team, user, at)
        })
    }

    fn remove_membership(&self, team: &str, user: &str) -> Result<bool, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "removing a membership", |db| {
            sql::remove_membership(db, team, user)
        })
    }

    fn create_approval(&self, request: NewApproval) -> Result<ApprovalRecord, StoreError> {
        let id = {
            let mut client = self.pool.get()?;
            write(&mut client, "recording an approval request", |db| {
                sql::create_approval(db, &request)
            })?
        };
        self.approval(id)?
            .ok_or_else(|| StoreError::NotFound(format!("approval request {id}")))
    }

    fn approvals(&self, status: Option<&str>) -> Result<Vec<ApprovalRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let db = &mut *client;
        sql::approvals(db, status)
    }

    fn approval(&self, id: i64) -> Result<Option<ApprovalRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let db = &mut *client;
        sql::approval(db, id)
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
            let mut client = self.pool.get()?;
            write(&mut client, "deciding an approval request", |db| {
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
            let mut client = self.pool.get()?;
            write(&mut client, "recording a VEX suggestion", |db| {
                sql::create_vex_suggestion(db, &suggestion)
            })?
        };
        let found = {
            let mut client = self.pool.get()?;
            let db = &mut *client;
            sql::vex_suggestions(db, None, Some(id))?
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
        let mut client = self.pool.get()?;
        let db = &mut *client;
        sql::vex_suggestions(db, status, None)
    }

    fn close_vex_suggestion(
        &self,
        id: i64,
        to: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<VexSuggestionRecord>, StoreError> {
        let moved = {
            let mut client = self.pool.get()?;
            write(&mut client, "deciding a VEX suggestion", |db| {
                sql::close_vex_suggestion(db, id, to, by, at)
            })?
        };
        if !moved {
            return Ok(None);
        }
        let found = {
            let mut client = self.pool.get()?;
            let db = &mut *client;
            sql::vex_suggestions(db, None, Some(id))?
        };
        Ok(found.into_iter().next())
    }

    fn sso_sign_in(
        &self,
        sign_in: SsoSignIn,
        audit: AuditOf<'_, SsoOutcome>,
    ) -> Result<SsoOutcome, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "signing in", |db| {
            crate::sql::sso::sign_in(db, &sign_in, audit)
        })
    }

    fn end_user_sessions(
        &self,
        user: &str,
        audit: Option<AuditEntry>,
    ) -> Result<usize, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "signing out everywhere", |db| {
            crate::sql::sso::end_sessions(db, user, audit.as_ref())
        })
    }

    fn saved_views(&self, user: &str) -> Result<Vec<SavedViewRecord>, StoreError> {
        let mut client = self.pool.get()?;
        crate::sql::saved_views::list(&mut *client, user)
    }

    fn save_view(
        &self,
        user: &str,
        name: &str,
        query: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "saving a view", |db| {
            crate::sql::saved_views::save(db, user, name, query, at)
        })
    }

    fn delete_saved_view(&self, user: &str, id: i64) -> Result<bool, StoreError> {
        let mut client = self.pool.get()?;
        write(&mut client, "deleting a saved view", |db| {
            crate::sql::saved_views::delete(db, user, id)
        })
    }
}
