//! The explanation of one finding: every occurrence with why it belongs, the suggested
//! duplicates, the history, the risk with its terms, and the owner with why. One use case for
//! `posture explain --output json` and `GET /api/v1/findings/{id}/explain`: the [`Explanation`]
//! view is the JSON both answer (the API checks the caller's right to the finding first).

use crate::AppError;
use crate::risk::{AssessedFinding, OwnerView, RiskConfig};
use posture_risk::RiskAssessment;
use posture_store::{EventRecord, Store, SuggestionRecord};
use serde::Serialize;

/// Everything about a finding, as both the CLI and the API give it.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The finding with its occurrences, owner and risk.
    pub finding: AssessedFinding,
    /// Suggested duplicates involving it, newest first.
    pub suggestions: Vec<SuggestionRecord>,
    /// Its event log, oldest first.
    pub events: Vec<EventRecord>,
    /// Its risk (the same as `finding.risk`, kept at the top for readers of the first
    /// version of this document).
    pub risk: RiskAssessment,
    /// Its owner and why (the same as `finding.owner`).
    pub owner: Option<OwnerView>,
}

/// One finding assessed (its risk and owner computed from the same inputs as the stored
/// score), or `None` when there is no finding with that id.
pub fn assessed_finding(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    id: i64,
) -> Result<Option<AssessedFinding>, AppError> {
    let Some(f) = store.finding(id)? else {
        return Ok(None);
    };
    Ok(crate::risk::assess_findings(store, config, vec![f])?.pop())
}

/// The explanation of an assessed finding (see [`assessed_finding`]).
pub fn explanation(store: &dyn Store, finding: AssessedFinding) -> Result<Explanation, AppError> {
    let id = finding.finding.id;
    let events = store.events(id)?;
    let suggestions = store
        .suggestions(Some(&finding.finding.asset), false)?
        .into_iter()
        .filter(|s| s.finding_id == id || s.other_finding_id == id)
        .collect();
    Ok(Explanation {
        risk: finding.risk.clone(),
        owner: finding.owner.clone(),
        finding,
        suggestions,
        events,
    })
}
