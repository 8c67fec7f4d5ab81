//! Branches: each asset's default branch, the branch list, deleting a branch and the
//! retirement of idle branches (written once for the CLI and the server).
//!
//! A finding's status, its SLA clock, metrics, the dashboard, Jira and notifications follow the
//! asset's default branch (`default_branch` in posture.toml, per asset or under `[branches]`,
//! `main` unless said): a scan of another branch never keeps a default-branch finding open,
//! never fixes or reopens one, and a finding only another branch reports is a *branch finding*
//! (no portfolio risk, no events) until the default branch reports it. Branch results serve the
//! gate and the branch views (`posture findings --branch B`, `?branch=B`). A branch with no
//! scan for `[branches] retire_after_days` days (30) retires: at every ingest (the ingested
//! asset) and in the server's scheduled sweep (every asset). Retiring or deleting a branch
//! closes its occurrences and counts no fix; a new scan of it brings it back.

use crate::AppError;
use posture_config::Portfolio;
use posture_model::Timestamp;
use posture_store::{BranchRecord, RetiredBranch, Store};

/// The branch settings an ingest of one asset needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchSettings {
    /// The asset's default branch.
    pub default_branch: String,
    /// Days without a scan after which a branch retires.
    pub retire_after_days: u32,
}

impl Default for BranchSettings {
    fn default() -> Self {
        BranchSettings {
            default_branch: posture_config::DEFAULT_BRANCH.to_string(),
            retire_after_days: posture_config::DEFAULT_RETIRE_AFTER_DAYS,
        }
    }
}

impl BranchSettings {
    /// The settings of `asset` under `portfolio` (the defaults without one).
    pub fn of(portfolio: Option<&Portfolio>, asset: &str) -> Self {
        match portfolio {
            Some(p) => BranchSettings {
                default_branch: p.default_branch(asset.trim()).to_string(),
                retire_after_days: p.retire_after_days(),
            },
            None => BranchSettings::default(),
        }
    }
}

/// The branches of an asset, default first. An asset without scans is an error (a typo must
/// not look like an asset without branches).
pub fn list(store: &dyn Store, asset: &str) -> Result<Vec<BranchRecord>, AppError> {
    let asset = checked(asset, "asset")?;
    store
        .branches(asset)?
        .ok_or_else(|| not_found(format!("asset `{asset}` (no scans are stored for it)")))
}

/// Deletes a branch: it retires now (its open occurrences close, no finding is fixed). The
/// default branch cannot be deleted. A new scan of the branch brings it back.
pub fn delete(
    store: &dyn Store,
    asset: &str,
    branch: &str,
    now: Timestamp,
) -> Result<RetiredBranch, AppError> {
    let asset = checked(asset, "asset")?;
    let branch = checked(branch, "branch")?;
    store
        .retire_branch(asset, branch, now)?
        .ok_or_else(|| not_found(format!("branch `{branch}` of asset `{asset}`")))
}

/// Retires the branches (of `asset`, or of every asset) idle for `days` days at `now`.
pub fn retire_idle(
    store: &dyn Store,
    asset: Option<&str>,
    now: Timestamp,
    days: u32,
) -> Result<Vec<RetiredBranch>, AppError> {
    Ok(store.retire_idle_branches(asset, now, days.max(1))?)
}

fn checked<'a>(value: &'a str, what: &str) -> Result<&'a str, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::Invalid(format!("the {what} name is empty")));
    }
    Ok(v)
}

fn not_found(what: String) -> AppError {
    AppError::Store(posture_store::StoreError::NotFound(what))
}
