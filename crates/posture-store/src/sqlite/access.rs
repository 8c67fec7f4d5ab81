//! Access control on SQLite: which connection each call takes (the statements are
//! `crate::sql::access`). Authentication runs on every request: it reads on a reader and takes
//! the writer only when the token's last use must move.

use super::{SqliteStore, to_ms, write};
use crate::sql::access as sql;
use crate::{
    AccessStore, AuditEntry, AuditOf, AuditRecord, NewSession, NewToken, Principal, StoreError,
    TeamRecord, TokenRecord,
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
}
