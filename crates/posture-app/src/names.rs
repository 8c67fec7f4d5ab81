//! Names a user types (an asset, a team) checked against what Posture knows, so that a typo is
//! an error naming the closest known name, never an empty list or a gate that passes on
//! nothing. The CLI and the API call these alike.

use crate::AppError;
use crate::risk::RiskConfig;
use posture_store::Store;

/// The assets Posture knows: those with scans, and those posture.toml declares.
pub fn known_assets(
    store: &dyn Store,
    config: Option<&RiskConfig>,
) -> Result<Vec<String>, AppError> {
    let mut names = store.asset_names()?;
    if let Some(c) = config {
        names.extend(c.portfolio.assets().iter().map(|a| a.name.clone()));
    }
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// Whether an asset has scans (as opposed to being only declared, or unknown).
pub fn has_scans(store: &dyn Store, asset: &str) -> Result<bool, AppError> {
    Ok(store.asset_names()?.iter().any(|a| a == asset))
}

/// An error unless `asset` has scans or posture.toml declares it.
pub fn require_known_asset(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    asset: &str,
) -> Result<(), AppError> {
    let known = known_assets(store, config)?;
    if known.iter().any(|a| a == asset) {
        return Ok(());
    }
    Err(AppError::Invalid(unknown("asset", asset, &known)))
}

/// An error unless posture.toml declares `team`.
pub fn require_known_team(config: Option<&RiskConfig>, team: &str) -> Result<(), AppError> {
    let teams: Vec<String> = config
        .map(|c| c.portfolio.teams().iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    if teams.iter().any(|t| t == team) {
        return Ok(());
    }
    if config.is_none() {
        return Err(AppError::Invalid(format!(
            "no team `{team}`: teams are declared in posture.toml, and there is none"
        )));
    }
    Err(AppError::Invalid(unknown("team", team, &teams)))
}

/// " (did you mean `flask-app`?)" when a known name is close to `given`, else "".
pub fn hint(given: &str, known: &[String]) -> String {
    posture_config::did_you_mean(given, known.iter().map(String::as_str))
        .map(|h| format!(" ({h})"))
        .unwrap_or_default()
}

/// "no asset `flask-ap` (did you mean `flask-app`?); known assets: a, b, c".
pub fn unknown(what: &str, given: &str, known: &[String]) -> String {
    let hint = hint(given, known);
    let list = if known.is_empty() {
        format!("Posture knows no {what} yet")
    } else if known.len() <= 20 {
        format!("known {what}s: {}", known.join(", "))
    } else {
        format!(
            "{} known {what}s, e.g. {}",
            known.len(),
            known[..10].join(", ")
        )
    };
    format!("no {what} `{given}`{hint}; {list}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_name_names_the_closest_and_the_known_ones() {
        let known = vec!["flask-app".to_string(), "payments".to_string()];
        assert_eq!(
            unknown("asset", "flask-ap", &known),
            "no asset `flask-ap` (did you mean `flask-app`?); known assets: flask-app, payments"
        );
        assert_eq!(
            unknown("asset", "zzz", &[]),
            "no asset `zzz`; Posture knows no asset yet"
        );
    }
}
