//! The statements of [`crate::branches`] (an asset's default branch, its branches, closing a
//! retired branch's occurrences), written once; each back end only adds its locking.

use super::{Db, Sql, Value, args};
use crate::StoreError;
use crate::branches::BranchRow;
use std::collections::BTreeMap;

static ASSET: Sql = Sql::new(
    "reading the asset",
    "SELECT id, default_branch FROM assets WHERE name = ?",
);

pub(crate) fn asset(db: &mut dyn Db, name: &str) -> Result<Option<(i64, String)>, StoreError> {
    db.opt(&ASSET, args![name], |r| Ok((r.get(0)?, r.get(1)?)))
}

static ASSET_NAMES: Sql = Sql::new(
    "listing assets",
    "SELECT name FROM assets ORDER BY name COLLATE \"C\"",
);

pub(crate) fn asset_names(db: &mut dyn Db) -> Result<Vec<String>, StoreError> {
    db.rows(&ASSET_NAMES, args![], |r| r.get(0))
}

static SET_DEFAULT: Sql = Sql::new(
    "recording the default branch",
    "INSERT INTO assets (name, created_at, default_branch) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET default_branch = excluded.default_branch
      WHERE assets.default_branch <> excluded.default_branch",
);

pub(crate) fn set_default(
    db: &mut dyn Db,
    name: &str,
    branch: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.execute(&SET_DEFAULT, args![name, now, branch])?;
    Ok(())
}

static SCOPES: Sql = Sql::new(
    "listing branches",
    "SELECT branch, tool, last_scan_at, retired_at FROM scopes WHERE asset_id = ?
      ORDER BY branch COLLATE \"C\", tool COLLATE \"C\"",
);
static OPEN_BY_BRANCH: Sql = Sql::new(
    "listing branches",
    "SELECT s.branch, COUNT(*) FROM occurrences o JOIN scopes s ON s.id = o.scope_id
      WHERE s.asset_id = ? AND o.open GROUP BY s.branch",
);

/// The asset's branches: one row per branch over its scopes (last scan = the latest of its
/// tools'; retired when every scope is).
pub(crate) fn rows(db: &mut dyn Db, asset_id: i64) -> Result<Vec<BranchRow>, StoreError> {
    let open: BTreeMap<String, i64> = db
        .rows(&OPEN_BY_BRANCH, args![asset_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect();
    let mut out: Vec<BranchRow> = Vec::new();
    let mut all_retired: Vec<bool> = Vec::new();
    db.each(&SCOPES, args![asset_id], &mut |r| {
        let branch: String = r.get(0)?;
        let tool: String = r.get(1)?;
        let last: Option<i64> = r.get(2)?;
        let retired: Option<i64> = r.get(3)?;
        if out.last().is_none_or(|b| b.branch != branch) {
            out.push(BranchRow {
                open_occurrences: open.get(&branch).copied().unwrap_or(0),
                branch,
                tools: Vec::new(),
                last_scan_at: None,
                retired_at: None,
            });
            all_retired.push(true);
        }
        if let (Some(b), Some(every)) = (out.last_mut(), all_retired.last_mut()) {
            if b.tools.last() != Some(&tool) {
                b.tools.push(tool);
            }
            b.last_scan_at = b.last_scan_at.max(last);
            b.retired_at = b.retired_at.max(retired);
            *every &= retired.is_some();
        }
        Ok(())
    })?;
    for (b, every) in out.iter_mut().zip(all_retired) {
        if !every {
            b.retired_at = None;
        }
    }
    Ok(out)
}

static OPEN_OF_BRANCH: Sql = Sql::new(
    "reading the branch's occurrences",
    "SELECT o.id FROM occurrences o JOIN scopes s ON s.id = o.scope_id
      WHERE s.asset_id = ? AND s.branch = ? AND o.open ORDER BY o.id",
);

pub(crate) fn open_occurrences(
    db: &mut dyn Db,
    asset_id: i64,
    branch: &str,
) -> Result<Vec<i64>, StoreError> {
    db.rows(&OPEN_OF_BRANCH, args![asset_id, branch], |r| r.get(0))
}

static CLOSE: Sql = Sql::new(
    "retiring the branch",
    // closed now; last seen at its scope's last scan (as an ingest closing it would record)
    "UPDATE occurrences SET open = FALSE, closed_at = ?,
            last_seen = COALESCE((SELECT last_scan_at FROM scopes WHERE id = occurrences.scope_id), ?)
      WHERE id = ANY(?)",
);
static RETIRE_SCOPES: Sql = Sql::new(
    "retiring the branch",
    // the digest goes: the branch's next scan is compared in full and reopens what it reports
    "UPDATE scopes SET retired_at = ?, last_digest = NULL WHERE asset_id = ? AND branch = ?",
);

pub(crate) fn close(
    db: &mut dyn Db,
    asset_id: i64,
    branch: &str,
    occurrences: &[i64],
    now: i64,
) -> Result<(), StoreError> {
    if !occurrences.is_empty() {
        db.execute(&CLOSE, args![now, now, Value::Ints(occurrences.to_vec())])?;
    }
    db.execute(&RETIRE_SCOPES, args![now, asset_id, branch])?;
    Ok(())
}
