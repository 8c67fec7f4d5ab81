//! The SQL of [`crate::branches`] on SQLite.

use super::SqliteStore;
use crate::StoreError;
use crate::branches::{self, BranchRecord, BranchRow, BranchStore, BranchTx, RetiredBranch};
use posture_model::Timestamp;
use rusqlite::{Connection, TransactionBehavior, params};

struct SqliteBranches<'a>(&'a Connection);

impl BranchTx for SqliteBranches<'_> {
    fn asset(&mut self, name: &str) -> Result<Option<(i64, String)>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT id, default_branch FROM assets WHERE name = ?1")
            .map_err(StoreError::db("reading the asset"))?;
        let mut rows = stmt
            .query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(StoreError::db("reading the asset"))?;
        rows.next()
            .transpose()
            .map_err(StoreError::db("reading the asset"))
    }

    fn asset_names(&mut self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT name FROM assets ORDER BY name")
            .map_err(StoreError::db("listing assets"))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(StoreError::db("listing assets"))?
            .collect::<Result<Vec<String>, _>>()
            .map_err(StoreError::db("listing assets"))
    }

    fn set_default(&mut self, name: &str, branch: &str, now: i64) -> Result<(), StoreError> {
        self.0
            .execute(
                "INSERT INTO assets (name, created_at, default_branch) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET default_branch = excluded.default_branch
                  WHERE default_branch <> excluded.default_branch",
                params![name, now, branch],
            )
            .map_err(StoreError::db("recording the default branch"))?;
        Ok(())
    }

    fn rows(&mut self, asset_id: i64) -> Result<Vec<BranchRow>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT s.branch, group_concat(s.tool, char(31)), MAX(s.last_scan_at),
                        (SELECT COUNT(*) FROM occurrences o JOIN scopes t ON t.id = o.scope_id
                          WHERE t.asset_id = s.asset_id AND t.branch = s.branch AND o.open = 1),
                        CASE WHEN COUNT(s.retired_at) = COUNT(*) THEN MAX(s.retired_at) END
                   FROM scopes s WHERE s.asset_id = ?1
                  GROUP BY s.branch ORDER BY s.branch",
            )
            .map_err(StoreError::db("listing branches"))?;
        stmt.query_map([asset_id], |r| {
            let tools: Option<String> = r.get(1)?;
            let mut tools: Vec<String> = tools
                .unwrap_or_default()
                .split('\u{1f}')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            tools.sort();
            tools.dedup();
            Ok(BranchRow {
                branch: r.get(0)?,
                tools,
                last_scan_at: r.get(2)?,
                open_occurrences: r.get(3)?,
                retired_at: r.get(4)?,
            })
        })
        .map_err(StoreError::db("listing branches"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("listing branches"))
    }

    fn open_occurrences(&mut self, asset_id: i64, branch: &str) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT o.id FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                  WHERE s.asset_id = ?1 AND s.branch = ?2 AND o.open = 1 ORDER BY o.id",
            )
            .map_err(StoreError::db("reading the branch's occurrences"))?;
        stmt.query_map(params![asset_id, branch], |r| r.get(0))
            .map_err(StoreError::db("reading the branch's occurrences"))?
            .collect::<Result<Vec<i64>, _>>()
            .map_err(StoreError::db("reading the branch's occurrences"))
    }

    fn close(
        &mut self,
        asset_id: i64,
        branch: &str,
        occurrences: &[i64],
        now: i64,
    ) -> Result<(), StoreError> {
        let db = || StoreError::db("retiring the branch");
        let mut upd = self
            .0
            .prepare_cached(
                "UPDATE occurrences SET open = 0, closed_at = ?2,
                        last_seen = COALESCE((SELECT last_scan_at FROM scopes WHERE id = occurrences.scope_id), ?2)
                  WHERE id = ?1",
            )
            .map_err(db())?;
        for id in occurrences {
            upd.execute(params![id, now]).map_err(db())?;
        }
        self.0
            .execute(
                "UPDATE scopes SET retired_at = ?3, last_digest = NULL
                  WHERE asset_id = ?1 AND branch = ?2",
                params![asset_id, branch, now],
            )
            .map_err(db())?;
        Ok(())
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
