//! People's correlation decisions on SQLite: each in one write transaction on the single
//! writer (the statements and rules are `crate::sql::decisions`).

use super::{SqliteStore, write};
use crate::sql::{decisions as sql, query};
use crate::{
    FindingRecord, MergeDecision, SplitDecision, StoreError, SuggestionDecision, SuggestionRecord,
};

impl SqliteStore {
    pub(super) fn merge_decision(&self, d: MergeDecision) -> Result<FindingRecord, StoreError> {
        sql::check_merge(&d)?;
        let mut conn = self.lock()?;
        write(&mut conn, "merging findings", |db| sql::merge(db, &d))?;
        query::finding(&mut &*conn, d.into)?
            .ok_or_else(|| StoreError::NotFound(format!("finding {}", d.into)))
    }

    pub(super) fn split_decision(&self, d: SplitDecision) -> Result<FindingRecord, StoreError> {
        let mut conn = self.lock()?;
        let new_id = write(&mut conn, "splitting a finding", |db| sql::split(db, &d))?;
        query::finding(&mut &*conn, new_id)?
            .ok_or_else(|| StoreError::NotFound(format!("finding {new_id}")))
    }

    pub(super) fn suggestion_decision(
        &self,
        d: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError> {
        let s = {
            let conn = self.lock()?;
            sql::open_suggestion(&mut &*conn, d.id)?
        };
        if d.accept {
            self.merge_decision(sql::acceptance(&s, &d))?;
        } else {
            let mut conn = self.lock()?;
            write(&mut conn, "rejecting a suggestion", |db| {
                sql::reject(db, &d)
            })?;
        }
        let conn = self.lock()?;
        sql::suggestions(&mut &*conn, None, false, Some(d.id))?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("suggestion {}", d.id)))
    }
}
