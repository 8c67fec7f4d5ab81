//! The component inventory: which assets hold a package, in which versions, with their open
//! findings (`posture components`; the dashboard's `/components`).

use super::*;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody, Query};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::State;
use posture_store::{Principal, Right};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComponentsParams {
    /// Text, any case, in the package's name or purl (`q=glibc`, `q=pkg:npm/`).
    pub q: Option<String>,
    /// How many packages (default 100, 1 to 500; more is a 400), most open findings first.
    pub limit: Option<usize>,
}

/// A package across the portfolio.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentJson {
    /// The package's name (lowercased).
    pub name: String,
    /// Its ecosystems as reported (npm, pypi, deb, ...).
    pub ecosystems: Vec<String>,
    /// A purl of it, when known.
    pub purl: Option<String>,
    /// Open findings (open, confirmed, in progress) of it over every asset listed.
    pub open_findings: usize,
    /// The assets that hold it.
    pub assets: Vec<ComponentAssetJson>,
}

/// A package on one asset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentAssetJson {
    pub asset: String,
    /// The versions seen there.
    pub versions: Vec<String>,
    /// Open findings of the package on this asset.
    pub open_findings: usize,
    /// Listed by a runtime SBOM of the asset.
    pub in_sbom: bool,
    /// Named by a finding's package on the asset.
    pub in_findings: bool,
}

/// The page of the inventory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentPage {
    pub components: Vec<ComponentJson>,
    /// How many packages match in all (the page holds at most `limit`).
    pub total: usize,
}

/// The inventory a caller may read (assets in their scope), most open findings first.
pub fn components_for(
    shared: &Shared,
    principal: &Principal,
    q: Option<&str>,
    limit: usize,
) -> Result<ComponentPage, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::BadRequest("q: at most 200 characters".into()));
    }
    let list = posture_app::components::inventory(shared.store.as_ref(), q, &|asset| {
        scope.may_read_asset(asset)
    })?;
    let total = list.len();
    Ok(ComponentPage {
        total,
        components: list
            .into_iter()
            .take(limit)
            .map(|c| ComponentJson {
                name: c.name,
                ecosystems: c.ecosystems,
                purl: c.purl,
                open_findings: c.open_findings,
                assets: c
                    .assets
                    .into_iter()
                    .map(|a| ComponentAssetJson {
                        asset: a.asset,
                        versions: a.versions,
                        open_findings: a.open_findings,
                        in_sbom: a.in_sbom,
                        in_findings: a.in_findings,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// The component inventory: which assets hold a package (from the findings' packages and the
/// runtime SBOMs), in which versions, with their open findings.
#[utoipa::path(
    get, path = "/api/v1/components", tag = "portfolio", params(ComponentsParams),
    responses(
        (status = 200, description = "Packages, most open findings first", body = ComponentPage),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not read (ci)", body = ErrorBody)
    )
)]
pub(crate) async fn list_components(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ComponentsParams>,
) -> Result<Json<ComponentPage>, ApiError> {
    let limit = match params.limit {
        None => 100,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "limit: {n} is out of range (1 to {MAX_PAGE})"
            )));
        }
    };
    let page = state
        .blocking(move |s| {
            components_for(
                s,
                &caller.principal,
                params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
                limit,
            )
        })
        .await?;
    Ok(Json(page))
}
