//! Assets a caller may read, with their open finding counts.

use super::*;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::*;
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::State;
use posture_model::{Severity, Timestamp};
use posture_store::{Principal, Right};
use serde::Serialize;
use utoipa::ToSchema;

/// An asset: its context from `posture.toml` and its findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetView {
    pub name: String,
    pub team: Option<String>,
    pub criticality: Option<String>,
    pub environment: Option<String>,
    pub exposure: Option<String>,
    /// Whether `posture.toml` declares it.
    pub declared: bool,
    /// Findings a person still has to act on.
    pub open: usize,
    /// Open findings per severity, critical first.
    pub open_by_severity: Vec<SeverityCount>,
    /// Findings in any state.
    pub findings: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_scan: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityCount {
    #[schema(value_type = SeverityJson)]
    pub severity: Severity,
    pub count: usize,
}

/// The assets a caller may read, with counts.
pub fn assets_for(shared: &Shared, principal: &Principal) -> Result<Vec<AssetView>, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    // Counts from the store's summary (cached per data version), never from listing every
    // finding: this list is on every findings page.
    let summary = shared.summary.get(
        shared.store.as_ref(),
        crate::overview::as_of_minute(shared.clock.now()),
    )?;
    let mut names: std::collections::BTreeSet<String> = summary.assets.iter().cloned().collect();
    if let Some(c) = &shared.portfolio {
        names.extend(c.portfolio.assets().iter().map(|a| a.name.clone()));
    }
    Ok(names
        .into_iter()
        .filter(|n| scope.may_read_asset(n))
        .map(|name| {
            let declared = shared
                .portfolio
                .as_ref()
                .and_then(|c| c.portfolio.asset(&name));
            let mine: Vec<_> = summary.groups.iter().filter(|g| g.asset == name).collect();
            let open: Vec<_> = mine
                .iter()
                .filter(|g| crate::overview::is_actionable(g.status))
                .collect();
            AssetView {
                team: declared.and_then(|a| a.team.clone()),
                criticality: declared
                    .and_then(|a| a.criticality)
                    .map(|c| c.as_str().to_string()),
                environment: declared
                    .and_then(|a| a.environment)
                    .map(|e| e.as_str().to_string()),
                exposure: declared
                    .and_then(|a| a.exposure)
                    .map(|e| e.as_str().to_string()),
                declared: declared.is_some(),
                open: open.iter().map(|g| g.count as usize).sum(),
                open_by_severity: Severity::ALL
                    .iter()
                    .map(|s| SeverityCount {
                        severity: *s,
                        count: open
                            .iter()
                            .filter(|g| g.severity == *s)
                            .map(|g| g.count as usize)
                            .sum(),
                    })
                    .collect(),
                findings: mine.iter().map(|g| g.count as usize).sum(),
                last_scan: summary
                    .scans
                    .iter()
                    .filter(|s| s.asset == name)
                    .map(|s| s.last_at)
                    .max(),
                name,
            }
        })
        .collect())
}

/// Assets (from `posture.toml` and the scans) with open finding counts.
#[utoipa::path(
    get, path = "/api/v1/assets", tag = "portfolio",
    responses(
        (status = 200, description = "Assets the caller may read", body = Vec<AssetView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_assets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AssetView>>, ApiError> {
    let list = state
        .blocking(move |s| assets_for(s, &caller.principal))
        .await?;
    Ok(Json(list))
}
