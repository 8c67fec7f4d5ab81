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

/// Teams of the portfolio and of access control, as the caller may see them: every team for
/// those who read everything, a developer's own teams only (the teams their token acts for).
pub fn teams_for(shared: &Shared, principal: &Principal) -> Result<Vec<TeamView>, ApiError> {
    let scope = Scope::new(principal, shared.portfolio.as_ref());
    scope.require(Right::Read)?;
    let visible = (!scope.reads_everything()).then(|| scope.teams());
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
    Ok(teams
        .into_values()
        .filter(|t| visible.as_ref().is_none_or(|mine| mine.contains(&t.name)))
        .collect())
}

/// Teams with their members and assets (a developer: their own teams only).
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

/// The recorded members of a team (admin): the memberships tokens brought or an admin
/// declared. (`posture.toml`'s `members` are shown by `GET /api/v1/teams`.)
#[utoipa::path(
    get, path = "/api/v1/teams/{team}/members", tag = "access",
    params(("team" = String, Path, description = "The team")),
    responses(
        (status = 200, description = "User names, sorted", body = Vec<String>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn team_members(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(team): axum::extract::Path<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            s.store
                .teams()?
                .into_iter()
                .find(|t| t.name == team)
                .map(|t| t.members)
                .ok_or_else(|| ApiError::NotFound(format!("no recorded team named {team}")))
        })
        .await?;
    Ok(Json(list))
}

/// Record a membership (admin): the user's developer tokens that name the team act for it.
#[utoipa::path(
    put, path = "/api/v1/teams/{team}/members/{user}", tag = "access",
    params(("team" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "The team's recorded members", body = Vec<String>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn add_team_member(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path((team, user)): axum::extract::Path<(String, String)>,
) -> Result<Json<Vec<String>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            s.store.add_membership(&team, &user, s.clock.now())?;
            audit(
                s,
                &caller.actor(),
                "team.member.add",
                format!("team {team}"),
                serde_json::json!({ "user": user }),
            )?;
            members_of(s, &team)
        })
        .await?;
    Ok(Json(list))
}

/// End a membership (admin): no token of the user acts for the team any more.
#[utoipa::path(
    delete, path = "/api/v1/teams/{team}/members/{user}", tag = "access",
    params(("team" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "The team's recorded members", body = Vec<String>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn remove_team_member(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path((team, user)): axum::extract::Path<(String, String)>,
) -> Result<Json<Vec<String>>, ApiError> {
    let list = state
        .blocking(move |s| {
            require_admin(s, &caller.principal)?;
            if !s.store.remove_membership(&team, &user)? {
                return Err(ApiError::NotFound(format!(
                    "{user} is not a recorded member of team {team}"
                )));
            }
            audit(
                s,
                &caller.actor(),
                "team.member.remove",
                format!("team {team}"),
                serde_json::json!({ "user": user }),
            )?;
            members_of(s, &team)
        })
        .await?;
    Ok(Json(list))
}

fn members_of(s: &Shared, team: &str) -> Result<Vec<String>, ApiError> {
    Ok(s.store
        .teams()?
        .into_iter()
        .find(|t| t.name == team)
        .map(|t| t.members)
        .unwrap_or_default())
}
