//! People's correlation decisions on PostgreSQL: each one transaction under the asset's
//! writer lock, so it never interleaves with an ingest of the same asset (the statements and
//! rules are `crate::sql::decisions`).

use super::{PostgresStore, asset_lock, lock};
use crate::sql::{decisions as sql, query};
use crate::{
    FindingRecord, MergeDecision, SplitDecision, StoreError, SuggestionDecision, SuggestionRecord,
};
use postgres::Transaction;

/// Takes the writer lock of the asset of finding `id` (read first: names never change).
fn lock_asset_of_finding(
    tx: &mut Transaction<'_>,
    id: i64,
    context: &'static str,
) -> Result<(), StoreError> {
    let name = sql::finding_asset(tx, id)?;
    lock(tx, asset_lock(&name), context)
}

impl PostgresStore {
    pub(super) fn merge_decision(&self, d: MergeDecision) -> Result<FindingRecord, StoreError> {
        sql::check_merge(&d)?;
        let e = StoreError::pg("merging findings");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        lock_asset_of_finding(&mut tx, d.from, "merging findings")?;
        sql::merge(&mut tx, &d)?;
        tx.commit().map_err(e)?;
        query::finding(&mut *client, d.into)?
            .ok_or_else(|| StoreError::NotFound(format!("finding {}", d.into)))
    }

    pub(super) fn split_decision(&self, d: SplitDecision) -> Result<FindingRecord, StoreError> {
        if d.reason.trim().is_empty() {
            return Err(StoreError::Invalid("a split needs a reason".into()));
        }
        let e = StoreError::pg("splitting a finding");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        let owner = sql::occurrence_finding(&mut tx, d.occurrence_id)?;
        lock_asset_of_finding(&mut tx, owner, "splitting a finding")?;
        // read again under the lock (in `split`): an ingest may have moved it meanwhile
        let new_id = sql::split(&mut tx, &d)?;
        tx.commit().map_err(e)?;
        query::finding(&mut *client, new_id)?
            .ok_or_else(|| StoreError::NotFound(format!("finding {new_id}")))
    }

    pub(super) fn suggestion_decision(
        &self,
        d: SuggestionDecision,
    ) -> Result<SuggestionRecord, StoreError> {
        let s = {
            let mut client = self.pool.get()?;
            sql::open_suggestion(&mut *client, d.id)?
        };
        if d.accept {
            self.merge_decision(sql::acceptance(&s, &d))?;
        } else {
            let e = StoreError::pg("rejecting a suggestion");
            let mut client = self.pool.get()?;
            let mut tx = client.transaction().map_err(e)?;
            lock(&mut tx, asset_lock(&s.asset), "rejecting a suggestion")?;
            sql::reject(&mut tx, &d)?;
            tx.commit().map_err(e)?;
        }
        let mut client = self.pool.get()?;
        sql::suggestions(&mut *client, None, false, Some(d.id))?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("suggestion {}", d.id)))
    }
}
