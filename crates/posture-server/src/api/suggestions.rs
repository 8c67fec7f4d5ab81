//! Suggested duplicates.

use super::*;
use crate::AppState;
use crate::auth::Scope;
use crate::error::Query;
use crate::error::{ApiError, ErrorBody};
use crate::schemas::*;
use axum::Json;
use axum::extract::State;
use posture_store::Right;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsParams {
    asset: Option<String>,
    /// Also decided suggestions.
    #[serde(default)]
    all: bool,
}

/// Suggested duplicates, newest first.
#[utoipa::path(
    get, path = "/api/v1/suggestions", tag = "portfolio", params(SuggestionsParams),
    responses(
        (status = 200, description = "Suggested duplicates", body = Vec<SuggestionJson>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)
    )
)]
pub(crate) async fn list_suggestions(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SuggestionsParams>,
) -> Result<Json<Vec<SuggestionJson>>, ApiError> {
    let list = state
        .blocking(move |s| {
            let scope = Scope::new(&caller.principal, s.portfolio.as_ref());
            scope.require(Right::Read)?;
            s.store
                .suggestions(params.asset.as_deref(), !params.all)?
                .iter()
                .filter(|x| scope.may_read_asset(&x.asset))
                .map(|x| to_json(x).map(SuggestionJson))
                .collect()
        })
        .await?;
    Ok(Json(list))
}
