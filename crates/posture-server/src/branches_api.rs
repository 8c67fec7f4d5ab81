//! An asset's branches: `GET /api/v1/assets/{asset}/branches` and `DELETE
//! /api/v1/assets/{asset}/branches/{branch}` (audited as `branch.delete`; the right is the
//! one every other write on the asset needs, the upload's), and the retirement of idle
//! branches in the server's scheduled sweep.

use crate::api::{Caller, audit};
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::{Path, State};
use posture_model::Timestamp;
use posture_store::{BranchRecord, RetiredBranch, Right};
use serde::Serialize;
use utoipa::ToSchema;

/// One branch of an asset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BranchView {
    pub asset: String,
    pub branch: String,
    /// The asset's default branch (findings' status follows it).
    pub default: bool,
    pub tools: Vec<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_scan_at: Option<Timestamp>,
    pub open_occurrences: usize,
    /// When it retired (idle, or deleted); null while active.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<Timestamp>,
}

impl From<BranchRecord> for BranchView {
    fn from(b: BranchRecord) -> Self {
        BranchView {
            asset: b.asset,
            branch: b.branch,
            default: b.default,
            tools: b.tools,
            last_scan_at: b.last_scan_at,
            open_occurrences: b.open_occurrences,
            retired_at: b.retired_at,
        }
    }
}

/// A deleted (retired) branch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetiredBranchView {
    pub asset: String,
    pub branch: String,
    pub closed_occurrences: usize,
    /// Always 0: a branch going away fixes nothing.
    pub fixed_findings: usize,
}

impl From<RetiredBranch> for RetiredBranchView {
    fn from(r: RetiredBranch) -> Self {
        RetiredBranchView {
            asset: r.asset,
            branch: r.branch,
            closed_occurrences: r.closed_occurrences,
            fixed_findings: r.fixed_findings,
        }
    }
}

/// The branches of an asset, default branch first.
#[utoipa::path(
    get, path = "/api/v1/assets/{asset}/branches", tag = "portfolio",
    params(("asset" = String, Path, description = "The asset")),
    responses(
        (status = 200, description = "The asset's branches", body = Vec<BranchView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No scans are stored for the asset", body = ErrorBody)
    )
)]
pub(crate) async fn list_branches(
    State(state): State<AppState>,
    caller: Caller,
    Path(asset): Path<String>,
) -> Result<Json<Vec<BranchView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            if !scope.may_read_asset(&asset) {
                return Err(ApiError::Forbidden(format!(
                    "asset {asset} is not one of your teams'"
                )));
            }
            Ok(posture_app::branches::list(s.store.as_ref(), &asset)?)
        })
        .await?;
    Ok(Json(list.into_iter().map(BranchView::from).collect()))
}

/// Deletes a branch (a merged or abandoned merge request): its open occurrences close and no
/// finding is fixed. The default branch cannot be deleted (400). Audited.
#[utoipa::path(
    delete, path = "/api/v1/assets/{asset}/branches/{branch}", tag = "portfolio",
    params(
        ("asset" = String, Path, description = "The asset"),
        ("branch" = String, Path, description = "The branch (URL-encoded: feature%2Fx)")
    ),
    responses(
        (status = 200, description = "The branch retired", body = RetiredBranchView),
        (status = 400, description = "The asset's default branch", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such asset or branch", body = ErrorBody)
    )
)]
pub(crate) async fn delete_branch(
    State(state): State<AppState>,
    caller: Caller,
    Path((asset, branch)): Path<(String, String)>,
) -> Result<Json<RetiredBranchView>, ApiError> {
    let done = state
        .blocking(move |s| {
            Scope::new(&caller.principal, s.portfolio.as_ref()).require_upload(&asset)?;
            let done =
                posture_app::branches::delete(s.store.as_ref(), &asset, &branch, s.clock.now())?;
            audit(
                s,
                &caller.actor(),
                "branch.delete",
                format!("asset {asset}"),
                serde_json::json!({
                    "branch": done.branch,
                    "closed_occurrences": done.closed_occurrences,
                }),
            )?;
            Ok(done)
        })
        .await?;
    Ok(Json(done.into()))
}

/// Retires every branch idle for `[branches] retire_after_days` (the scheduled sweep), audited
/// as the system's action. Returns how many retired.
pub fn sweep_idle_branches(shared: &Shared) -> Result<usize, ApiError> {
    let days = posture_app::branches::BranchSettings::of(
        shared.portfolio.as_ref().map(|c| &c.portfolio),
        "",
    )
    .retire_after_days;
    let retired =
        posture_app::branches::retire_idle(shared.store.as_ref(), None, shared.clock.now(), days)?;
    for r in &retired {
        audit(
            shared,
            &crate::Actor {
                name: crate::governance::SYSTEM_ACTOR.into(),
                token_id: None,
                client: None,
            },
            "branch.retire",
            format!("asset {}", r.asset),
            serde_json::json!({
                "branch": r.branch,
                "closed_occurrences": r.closed_occurrences,
                "reason": format!("no scan for {days} days"),
            }),
        )?;
    }
    Ok(retired.len())
}
