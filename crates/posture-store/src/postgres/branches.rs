//! [`crate::branches`] on PostgreSQL: the statements are `sql::branches`; each change runs
//! under the asset's advisory lock, like an ingest.

use super::{PostgresStore, asset_lock, lock};
use crate::StoreError;
use crate::branches::{self, BranchRecord, BranchRow, BranchStore, BranchTx, RetiredBranch};
use crate::sql::branches as branch_sql;
use postgres::Transaction;
use posture_model::Timestamp;

struct PgBranches<'a, 'b>(&'a mut Transaction<'b>);

impl BranchTx for PgBranches<'_, '_> {
    fn lock_asset(&mut self, name: &str) -> Result<(), StoreError> {
        lock(self.0, asset_lock(name), "waiting for the asset's ingest")
    }

    fn asset(&mut self, name: &str) -> Result<Option<(i64, String)>, StoreError> {
        branch_sql::asset(&mut *self.0, name)
    }

    fn asset_names(&mut self) -> Result<Vec<String>, StoreError> {
        branch_sql::asset_names(&mut *self.0)
    }

    fn set_default(&mut self, name: &str, branch: &str, now: i64) -> Result<(), StoreError> {
        branch_sql::set_default(&mut *self.0, name, branch, now)
    }

    fn rows(&mut self, asset_id: i64) -> Result<Vec<BranchRow>, StoreError> {
        branch_sql::rows(&mut *self.0, asset_id)
    }

    fn open_occurrences(&mut self, asset_id: i64, branch: &str) -> Result<Vec<i64>, StoreError> {
        branch_sql::open_occurrences(&mut *self.0, asset_id, branch)
    }

    fn close(
        &mut self,
        asset_id: i64,
        branch: &str,
        occurrences: &[i64],
        now: i64,
    ) -> Result<(), StoreError> {
        branch_sql::close(&mut *self.0, asset_id, branch, occurrences, now)
    }
}

impl PostgresStore {
    fn branch_write<T>(
        &self,
        f: impl FnOnce(&mut PgBranches<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.ingest_pool.get()?;
        let mut tx = client
            .transaction()
            .map_err(StoreError::pg("starting a branch change"))?;
        let out = f(&mut PgBranches(&mut tx))?;
        tx.commit()
            .map_err(StoreError::pg("committing a branch change"))?;
        Ok(out)
    }
}

impl BranchStore for PostgresStore {
    fn set_default_branch(
        &self,
        asset: &str,
        branch: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.branch_write(|tx| branches::set_default(tx, asset, branch, now))
    }

    fn branches(&self, asset: &str) -> Result<Option<Vec<BranchRecord>>, StoreError> {
        let mut client = self.pool.get()?;
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(StoreError::pg("listing branches"))?;
        branches::list(&mut PgBranches(&mut tx), asset)
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
