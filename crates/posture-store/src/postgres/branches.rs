//! The SQL of [`crate::branches`] on PostgreSQL (each change under the asset's advisory lock,
//! like an ingest).

use super::{PostgresStore, asset_lock, lock, text};
use crate::StoreError;
use crate::branches::{self, BranchRecord, BranchRow, BranchStore, BranchTx, RetiredBranch};
use postgres::Transaction;
use posture_model::Timestamp;

struct PgBranches<'a, 'b>(&'a mut Transaction<'b>);

impl BranchTx for PgBranches<'_, '_> {
    fn lock_asset(&mut self, name: &str) -> Result<(), StoreError> {
        lock(self.0, asset_lock(name), "waiting for the asset's ingest")
    }

    fn asset(&mut self, name: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .0
            .query_opt(
                "SELECT id, default_branch FROM assets WHERE name = $1",
                &[&text(name)],
            )
            .map_err(StoreError::pg("reading the asset"))?
            .map(|r| (r.get(0), r.get(1))))
    }

    fn asset_names(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .0
            .query("SELECT name FROM assets ORDER BY name COLLATE \"C\"", &[])
            .map_err(StoreError::pg("listing assets"))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn set_default(&mut self, name: &str, branch: &str, now: i64) -> Result<(), StoreError> {
        self.0
            .execute(
                "INSERT INTO assets (name, created_at, default_branch) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET default_branch = excluded.default_branch
                  WHERE assets.default_branch <> excluded.default_branch",
                &[&text(name), &now, &text(branch)],
            )
            .map_err(StoreError::pg("recording the default branch"))?;
        Ok(())
    }

    fn rows(&mut self, asset_id: i64) -> Result<Vec<BranchRow>, StoreError> {
        let rows = self
            .0
            .query(
                "SELECT s.branch, array_agg(s.tool ORDER BY s.tool COLLATE \"C\"), MAX(s.last_scan_at),
                        (SELECT COUNT(*) FROM occurrences o JOIN scopes t ON t.id = o.scope_id
                          WHERE t.asset_id = s.asset_id AND t.branch = s.branch AND o.open),
                        CASE WHEN COUNT(s.retired_at) = COUNT(*) THEN MAX(s.retired_at) END
                   FROM scopes s WHERE s.asset_id = $1
                  GROUP BY s.asset_id, s.branch ORDER BY s.branch COLLATE \"C\"",
                &[&asset_id],
            )
            .map_err(StoreError::pg("listing branches"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut tools: Vec<String> = r.get(1);
                tools.dedup();
                BranchRow {
                    branch: r.get(0),
                    tools,
                    last_scan_at: r.get(2),
                    open_occurrences: r.get(3),
                    retired_at: r.get(4),
                }
            })
            .collect())
    }

    fn open_occurrences(&mut self, asset_id: i64, branch: &str) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .0
            .query(
                "SELECT o.id FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                  WHERE s.asset_id = $1 AND s.branch = $2 AND o.open ORDER BY o.id",
                &[&asset_id, &text(branch)],
            )
            .map_err(StoreError::pg("reading the branch's occurrences"))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn close(
        &mut self,
        asset_id: i64,
        branch: &str,
        occurrences: &[i64],
        now: i64,
    ) -> Result<(), StoreError> {
        let e = StoreError::pg("retiring the branch");
        self.0
            .execute(
                "UPDATE occurrences o SET open = FALSE, closed_at = $2,
                        last_seen = COALESCE(s.last_scan_at, $2)
                   FROM scopes s
                  WHERE s.id = o.scope_id AND o.id = ANY($1)",
                &[&occurrences, &now],
            )
            .map_err(e)?;
        self.0
            .execute(
                "UPDATE scopes SET retired_at = $3, last_digest = NULL
                  WHERE asset_id = $1 AND branch = $2",
                &[&asset_id, &text(branch), &now],
            )
            .map_err(e)?;
        Ok(())
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
