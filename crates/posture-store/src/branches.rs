//! Branches of an asset: the default branch, the list, and their retirement, told once for
//! every back end.
//!
//! A finding's status follows its asset's default branch (`posture-engine`'s lifecycle);
//! other branches (merge requests) serve the gate and branch views. A branch goes away when a
//! person deletes it or when it has been idle long enough: its open occurrences close and no
//! finding is fixed by it (the engine's `retire_plan`). A new scan of a retired branch brings
//! it back (its scopes' digests are cleared, so that scan is compared in full). Each back end
//! implements [`BranchTx`], the SQL of each step, inside one transaction; the functions here
//! drive it.

use crate::StoreError;
use crate::stored::{from_ms, to_ms};
use posture_engine::{BranchActivity, idle_branches, retire_plan};
use posture_model::Timestamp;
use serde::Serialize;

/// One branch of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchRecord {
    pub asset: String,
    pub branch: String,
    /// The asset's default branch: findings' status, metrics and the portfolio follow it.
    pub default: bool,
    /// The tools scanned on it, by name.
    pub tools: Vec<String>,
    /// The last scan of any of its tools.
    pub last_scan_at: Option<Timestamp>,
    /// Occurrences open on it.
    pub open_occurrences: usize,
    /// When it retired (idle, or deleted by a person); `None` while active.
    pub retired_at: Option<Timestamp>,
}

/// A branch that retired: its occurrences closed, no finding fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetiredBranch {
    pub asset: String,
    pub branch: String,
    /// Occurrences it closed.
    pub closed_occurrences: usize,
    /// Findings it fixed: always 0 (a branch going away is not a fix).
    pub fixed_findings: usize,
}

/// The branch storage, as a part of [`crate::Store`] kept in its own trait.
pub trait BranchStore: Send + Sync {
    /// Records the asset's default branch (creating the asset when new). An ingest reads it:
    /// only scans of the default branch decide a finding's status.
    fn set_default_branch(
        &self,
        asset: &str,
        branch: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The branches of an asset (default first, then by name); `None` for an unknown asset.
    fn branches(&self, asset: &str) -> Result<Option<Vec<BranchRecord>>, StoreError>;

    /// Retires one branch now (a person deleted it): its open occurrences close, no finding
    /// is fixed. Refused for the default branch; `None` when the asset or branch is unknown.
    fn retire_branch(
        &self,
        asset: &str,
        branch: &str,
        now: Timestamp,
    ) -> Result<Option<RetiredBranch>, StoreError>;

    /// Retires every branch (of one asset, or of every asset) with no scan for `idle_days`
    /// days or more at `now`.
    fn retire_idle_branches(
        &self,
        asset: Option<&str>,
        now: Timestamp,
        idle_days: u32,
    ) -> Result<Vec<RetiredBranch>, StoreError>;
}

/// A branch as one query reads it (one row per branch of an asset).
pub(crate) struct BranchRow {
    pub branch: String,
    pub tools: Vec<String>,
    pub last_scan_at: Option<i64>,
    pub open_occurrences: i64,
    /// Every scope of the branch is retired: the latest retirement.
    pub retired_at: Option<i64>,
}

/// The SQL of each step, inside one transaction the back end opened (and commits).
pub(crate) trait BranchTx {
    /// Waits for the asset's other writers (ingests) where the back end needs to (PostgreSQL's
    /// advisory lock; SQLite's write transaction already excludes them).
    fn lock_asset(&mut self, _name: &str) -> Result<(), StoreError> {
        Ok(())
    }
    /// (id, default branch) of the asset, when known.
    fn asset(&mut self, name: &str) -> Result<Option<(i64, String)>, StoreError>;
    /// The names of every asset.
    fn asset_names(&mut self) -> Result<Vec<String>, StoreError>;
    /// Creates the asset when new and records its default branch.
    fn set_default(&mut self, name: &str, branch: &str, now: i64) -> Result<(), StoreError>;
    /// The asset's branches.
    fn rows(&mut self, asset_id: i64) -> Result<Vec<BranchRow>, StoreError>;
    /// The branch's open occurrences.
    fn open_occurrences(&mut self, asset_id: i64, branch: &str) -> Result<Vec<i64>, StoreError>;
    /// Closes these occurrences (closed now, last seen at their scope's last scan) and marks
    /// the branch's scopes retired (their digests cleared).
    fn close(
        &mut self,
        asset_id: i64,
        branch: &str,
        occurrences: &[i64],
        now: i64,
    ) -> Result<(), StoreError>;
}

fn activity(row: &BranchRow, default: &str) -> BranchActivity {
    BranchActivity {
        branch: row.branch.clone(),
        last_scan_at: row.last_scan_at,
        default: row.branch == default,
        retired: row.retired_at.is_some(),
    }
}

pub(crate) fn set_default<T: BranchTx>(
    tx: &mut T,
    asset: &str,
    branch: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (asset, branch) = (asset.trim(), branch.trim());
    if asset.is_empty() {
        return Err(StoreError::Invalid("the asset name is empty".into()));
    }
    if branch.is_empty() {
        return Err(StoreError::Invalid(
            "the default branch name is empty".into(),
        ));
    }
    tx.lock_asset(asset)?;
    tx.set_default(asset, branch, to_ms(now))
}

pub(crate) fn list<T: BranchTx>(
    tx: &mut T,
    asset: &str,
) -> Result<Option<Vec<BranchRecord>>, StoreError> {
    let Some((id, default)) = tx.asset(asset.trim())? else {
        return Ok(None);
    };
    let mut out: Vec<BranchRecord> = tx
        .rows(id)?
        .into_iter()
        .map(|r| BranchRecord {
            asset: asset.trim().to_string(),
            default: r.branch == default,
            branch: r.branch,
            tools: r.tools,
            last_scan_at: r.last_scan_at.map(from_ms),
            open_occurrences: r.open_occurrences.max(0) as usize,
            retired_at: r.retired_at.map(from_ms),
        })
        .collect();
    out.sort_by(|a, b| b.default.cmp(&a.default).then(a.branch.cmp(&b.branch)));
    Ok(Some(out))
}

pub(crate) fn retire<T: BranchTx>(
    tx: &mut T,
    asset: &str,
    branch: &str,
    now: Timestamp,
) -> Result<Option<RetiredBranch>, StoreError> {
    let (asset, branch) = (asset.trim(), branch.trim());
    tx.lock_asset(asset)?;
    let Some((id, default)) = tx.asset(asset)? else {
        return Ok(None);
    };
    let rows = tx.rows(id)?;
    let Some(row) = rows.iter().find(|r| r.branch == branch) else {
        return Ok(None);
    };
    close_branch(tx, asset, id, &activity(row, &default), to_ms(now)).map(Some)
}

fn close_branch<T: BranchTx>(
    tx: &mut T,
    asset: &str,
    asset_id: i64,
    branch: &BranchActivity,
    now: i64,
) -> Result<RetiredBranch, StoreError> {
    let open = tx.open_occurrences(asset_id, &branch.branch)?;
    let plan = retire_plan(branch, &open).map_err(StoreError::Invalid)?;
    tx.close(asset_id, &branch.branch, &plan.closed_occurrences, now)?;
    Ok(RetiredBranch {
        asset: asset.to_string(),
        branch: branch.branch.clone(),
        closed_occurrences: plan.closed_occurrences.len(),
        fixed_findings: plan.fixed_findings.len(),
    })
}

pub(crate) fn retire_idle<T: BranchTx>(
    tx: &mut T,
    asset: Option<&str>,
    now: Timestamp,
    idle_days: u32,
) -> Result<Vec<RetiredBranch>, StoreError> {
    let now = to_ms(now);
    let idle_ms = i64::from(idle_days) * 86_400_000;
    let mut out = Vec::new();
    let names = match asset {
        Some(a) => vec![a.trim().to_string()],
        None => tx.asset_names()?,
    };
    for asset in names {
        tx.lock_asset(&asset)?;
        let Some((id, default)) = tx.asset(&asset)? else {
            continue;
        };
        let activities: Vec<BranchActivity> =
            tx.rows(id)?.iter().map(|r| activity(r, &default)).collect();
        for name in idle_branches(&activities, now, idle_ms) {
            let Some(b) = activities.iter().find(|a| a.branch == name) else {
                continue;
            };
            out.push(close_branch(tx, &asset, id, b, now)?);
        }
    }
    Ok(out)
}
