//! Teams of the portfolio and of access control.

use super::*;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, Shared};
use axum::Json;
use axum::extract::State;
use posture_store::{Principal, Right};
use serde::Serialize;
use utoipa::ToSchema;

/// A team: its members (from `posture.toml` and tokens) and its assets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub name: String,
    pub members: Vec<String>,
    pub assets: Vec<String>,
}

/// Teams of the portfolio and of access control.
pub fn teams_for(shared: &Shared, principal: &Principal) -> Result<Vec<TeamView>, ApiError> {
    Scope::new(principal, shared.portfolio.as_ref()).require(Right::Read)?;
    let mut teams: std::collections::BTreeMap<String, TeamView> = Default::default();
    if let Some(c) = &shared.portfolio {
        for t in c.portfolio.teams() {
            teams.insert(
                t.name.clone(),
                TeamView {
                    name: t.name.clone(),
                    members: t.members.clone(),
                    assets: c
                        .portfolio
                        .assets_of_team(&t.name)
                        .map(|a| a.name.clone())
                        .collect(),
                },
            );
        }
    }
    for t in shared.store.teams()? {
        let view = teams.entry(t.name.clone()).or_insert_with(|| TeamView {
            name: t.name.clone(),
            members: Vec::new(),
            assets: Vec::new(),
        });
        view.members.extend(t.members);
        view.members.sort();
        view.members.dedup();
    }
    Ok(teams.into_values().collect())
}

/// Teams with their members and assets.
#[utoipa::path(
    get, path = "/api/v1/teams", tag = "portfolio",
    responses(
        (status = 200, description = "Teams", body = Vec<TeamView>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    let list = state
        .blocking(move |s| teams_for(s, &caller.principal))
        .await?;
    Ok(Json(list))
}
