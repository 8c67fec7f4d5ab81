//! Access control on PostgreSQL (migration 7): which connection each call takes (the
//! statements are `crate::sql::access`).

use super::{PostgresStore, write};
use crate::sql::access as sql;
use crate::stored::to_ms;
use crate::{
    AccessStore, AuditEntry, AuditOf, AuditRecord, NewSession, NewToken, Principal, StoreError,
    TeamRecord, TokenRecord,
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
}
