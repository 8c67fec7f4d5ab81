//! Remediation by fix: the open findings the caller may read, grouped into the actions that
//! close them, ranked by the risk they remove (one use case, `posture_app::fixes`: the same
//! JSON as `posture fixes --output json`).

use super::*;
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::*;
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::State;
use posture_app::fixes::{FixPlan, FixesRequest};
use posture_store::{Principal, Right};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FixesParams {
    /// Only this asset's findings.
    pub asset: Option<String>,
    /// Only findings this team owns.
    pub team: Option<String>,
}

/// The remediation plan of the findings `principal` may read (a developer: their teams'
/// assets and the findings their teams own). Stored risk is refreshed first unless a refresh
/// is running. An unknown asset or team is a 400 (without listing the known names).
pub fn fix_plan(
    shared: &Shared,
    principal: &Principal,
    asset: Option<String>,
    team: Option<String>,
) -> Result<FixPlan, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    let asset = asset
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    let team = team.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if let Some(a) = &asset {
        let known =
            posture_app::names::known_assets(shared.store.as_ref(), shared.portfolio.as_ref())?;
        if !known.contains(a) {
            return Err(ApiError::BadRequest(format!(
                "asset: no asset `{a}` (it has no scans and posture.toml does not declare it)"
            )));
        }
    }
    if let Some(t) = &team
        && shared
            .portfolio
            .as_ref()
            .and_then(|c| c.portfolio.team(t))
            .is_none()
    {
        return Err(ApiError::BadRequest(format!(
            "team: no team `{t}` in posture.toml"
        )));
    }
    shared
        .risk_refresh
        .refresh_if_idle(shared.store.as_ref(), shared.portfolio.as_ref())?;
    Ok(posture_app::fixes::fixes(
        shared.store.as_ref(),
        shared.portfolio.as_ref(),
        &FixesRequest { asset, team },
        &|f| scope.may_read_group(&f.asset, f.team.as_deref()),
    )?)
}

/// Remediation actions (package upgrades, base images, code fixes) ranked by the risk they
/// remove, as `posture fixes --output json`.
#[utoipa::path(
    get, path = "/api/v1/fixes", tag = "findings", params(FixesParams),
    responses(
        (status = 200, description = "The remediation plan", body = FixPlanJson),
        (status = 400, description = "An unknown asset or team", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_fixes(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<FixesParams>,
) -> Result<Json<FixPlanJson>, ApiError> {
    let plan = state
        .blocking(move |s| {
            let plan = fix_plan(s, &caller.principal, params.asset, params.team)?;
            to_json(&plan)
        })
        .await?;
    Ok(Json(FixPlanJson(plan)))
}
