//! [`crate::branches`] on SQLite: the statements are `sql::branches`; the write transaction
//! (`BEGIN IMMEDIATE`, the single writer) already excludes the asset's ingests.

use super::SqliteStore;
use crate::StoreError;
use crate::branches::{self, BranchRecord, BranchRow, BranchStore, BranchTx, RetiredBranch};
use crate::sql::branches as branch_sql;
use posture_model::Timestamp;
use rusqlite::{Connection, TransactionBehavior};

struct SqliteBranches<'a>(&'a Connection);

impl BranchTx for SqliteBranches<'_> {
    fn asset(&mut self, name: &str) -> Result<Option<(i64, String)>, StoreError> {
        branch_sql::asset(&mut &*self.0, name)
    }

    fn asset_names(&mut self) -> Result<Vec<String>, StoreError> {
        branch_sql::asset_names(&mut &*self.0)
    }

    fn set_default(&mut self, name: &str, branch: &str, now: i64) -> Result<(), StoreError> {
        branch_sql::set_default(&mut &*self.0, name, branch, now)
    }

    fn rows(&mut self, asset_id: i64) -> Result<Vec<BranchRow>, StoreError> {
        branch_sql::rows(&mut &*self.0, asset_id)
    }

    fn open_occurrences(&mut self, asset_id: i64, branch: &str) -> Result<Vec<i64>, StoreError> {
        branch_sql::open_occurrences(&mut &*self.0, asset_id, branch)
    }

    fn close(
        &mut self,
        asset_id: i64,
        branch: &str,
        occurrences: &[i64],
        now: i64,
    ) -> Result<(), StoreError> {
        branch_sql::close(&mut &*self.0, asset_id, branch, occurrences, now)
    }
}

impl SqliteStore {
    fn branch_write<T>(
        &self,
        f: impl FnOnce(&mut SqliteBranches<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::db("starting a branch change"))?;
        let out = f(&mut SqliteBranches(&tx))?;
        tx.commit()
            .map_err(StoreError::db("committing a branch change"))?;
        Ok(out)
    }
}

impl BranchStore for SqliteStore {
    fn set_default_branch(
        &self,
        asset: &str,
        branch: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.branch_write(|tx| branches::set_default(tx, asset, branch, now))
    }

    fn branches(&self, asset: &str) -> Result<Option<Vec<BranchRecord>>, StoreError> {
        self.read(|c| branches::list(&mut SqliteBranches(c), asset))
    }

    fn retire_branch(
        &self,
        asset: &str,
        branch: &str,
        now: Timestamp,
    ) -> Result<Option<RetiredBranch>, StoreError> {
        self.branch_write(|tx| branches::retire(tx, asset, branch, now))
    }

    fn retire_idle_branches(
        &self,
        asset: Option<&str>,
        now: Timestamp,
        idle_days: u32,
    ) -> Result<Vec<RetiredBranch>, StoreError> {
        self.branch_write(|tx| branches::retire_idle(tx, asset, now, idle_days))
    }
}
