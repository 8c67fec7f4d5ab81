//! The threat feeds' freshness (`posture feeds status`): a ranking is only as current as the
//! KEV catalog and the EPSS scores under it.

use super::*;
use crate::AppState;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::State;
use posture_store::Right;
use serde::Serialize;
use utoipa::ToSchema;

/// One feed: its last import, its age and whether it is stale.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedView {
    /// `kev` or `epss`.
    pub kind: String,
    pub name: String,
    /// Where `posture feeds update` reads it (posture.toml `[feeds]`).
    pub source: Option<String>,
    /// When it was last imported (RFC 3339).
    pub last_import_at: Option<String>,
    /// The feed's own version and date, as published.
    pub version: Option<String>,
    pub date: Option<String>,
    pub entries: Option<usize>,
    pub age_days: Option<i64>,
    pub max_age_days: u32,
    /// Older than `max_age_days`, or configured and never imported.
    pub stale: bool,
    pub warning: Option<String>,
}

/// How fresh the threat feeds are (any reader).
#[utoipa::path(
    get, path = "/api/v1/feeds", tag = "governance",
    responses(
        (status = 200, description = "The KEV and EPSS feeds, with their age", body = Vec<FeedView>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not read", body = ErrorBody)
    )
)]
pub(crate) async fn list_feeds(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<FeedView>>, ApiError> {
    let list = state
        .blocking(move |s| {
            Scope::new(&caller.principal, s.portfolio.as_ref()).require(Right::Read)?;
            let states = posture_app::feeds::freshness(
                s.store.as_ref(),
                s.portfolio.as_ref(),
                s.clock.now(),
            )?;
            Ok(states
                .into_iter()
                .map(|f| FeedView {
                    kind: f.kind,
                    name: f.name,
                    source: f.source,
                    last_import_at: f.last_import.as_ref().map(|i| i.imported_at.to_string()),
                    version: f.last_import.as_ref().and_then(|i| i.version.clone()),
                    date: f.last_import.as_ref().and_then(|i| i.date.clone()),
                    entries: f.last_import.as_ref().map(|i| i.entries),
                    age_days: f.age_days,
                    max_age_days: f.max_age_days,
                    stale: f.stale,
                    warning: f.warning,
                })
                .collect())
        })
        .await?;
    Ok(Json(list))
}
