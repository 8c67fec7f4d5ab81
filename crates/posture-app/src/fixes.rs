//! Remediation by fix (`posture fixes`, `GET /api/v1/fixes`, the dashboard's Fixes page): the
//! open findings grouped into the actions that close them, ranked by the risk they remove
//! (`posture_engine::fixes` plans; this reads the findings and names the packages).
//!
//! Open means every status a scan or a person left to do: `open`, `confirmed`, `in-progress`
//! (not `accepted`, `false-positive`, `not-affected`), on the assets' default branches. The
//! risk removed is the sum of the stored risk scores, brought up to date first.

use crate::AppError;
use crate::risk::RiskConfig;
use posture_engine::fixes::{FixInput, plan};
use posture_model::{Category, FindingStatus, Package};
use posture_store::{FindingCursor, FindingQuery, FindingRecord, FindingSort, Store};

pub use posture_engine::fixes::{FixAction, FixKind, FixPackage, FixPlan, Unfixable};

/// What to plan.
#[derive(Debug, Clone, Default)]
pub struct FixesRequest {
    /// Only this asset's findings.
    pub asset: Option<String>,
    /// Only findings this team owns (as last assessed).
    pub team: Option<String>,
}

/// Findings read per store call.
const PAGE: usize = 5_000;

/// The categories an action can close.
const CATEGORIES: [Category; 4] = [
    Category::Sca,
    Category::Container,
    Category::Runtime,
    Category::Sast,
];

/// The statuses still to do.
const TO_DO: [FindingStatus; 3] = [
    FindingStatus::Open,
    FindingStatus::Confirmed,
    FindingStatus::InProgress,
];

/// The remediation plan of the findings `readable` lets through (every finding for the CLI;
/// the caller's scope for the API). Names are checked first: an unknown asset or team is an
/// error naming the closest. Stored risk is refreshed by the caller (the CLI refreshes; the
/// server through its `RiskRefresher`).
pub fn fixes(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    request: &FixesRequest,
    readable: &dyn Fn(&FindingRecord) -> bool,
) -> Result<FixPlan, AppError> {
    if let Some(asset) = &request.asset {
        crate::names::require_known_asset(store, config, asset)?;
    }
    if let Some(team) = &request.team {
        crate::names::require_known_team(config, team)?;
    }
    let mut inputs = Vec::new();
    for category in CATEGORIES {
        let mut after: Option<FindingCursor> = None;
        loop {
            let rows = store.findings(&FindingQuery {
                asset: request.asset.clone(),
                status: Some(TO_DO.to_vec()),
                category: Some(category),
                team: request.team.clone(),
                sort: FindingSort::Id,
                after,
                limit: Some(PAGE),
                ..FindingQuery::default()
            })?;
            let done = rows.len() < PAGE;
            after = rows
                .last()
                .map(|f| FindingCursor::after(f, FindingSort::Id));
            inputs.extend(rows.iter().filter(|f| readable(f)).map(fix_input));
            if done {
                break;
            }
        }
    }
    let mut plan = plan(&inputs);
    for a in &mut plan.actions {
        if let Some(p) = a.package.as_mut() {
            p.version = a.installed.clone();
            name_purl(p);
        }
    }
    for u in &mut plan.unfixable {
        u.package.version = u.installed.clone();
        name_purl(&mut u.package);
    }
    Ok(plan)
}

/// A package's purl: the scanner's, else one derived from its ecosystem, name and version.
fn name_purl(p: &mut FixPackage) {
    if p.purl.as_deref().is_some_and(|u| u.starts_with("pkg:")) {
        return;
    }
    p.purl = Some(posture_export::purl_of(&Package {
        purl: None,
        ecosystem: p.ecosystem.clone(),
        name: p.name.clone(),
        version: p.version.clone(),
        fixed_versions: Vec::new(),
    }));
}

/// What planning needs of a finding: its open occurrences' packages, fixed versions, ids,
/// file and risk.
pub fn fix_input(f: &FindingRecord) -> FixInput {
    let open: Vec<_> = f.occurrences.iter().filter(|o| o.open).collect();
    let occurrences = if open.is_empty() {
        f.occurrences.iter().collect()
    } else {
        open
    };
    let mut ids: Vec<String> = Vec::new();
    for o in &occurrences {
        for id in &o.data.vulnerability_ids {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let package = occurrences
        .iter()
        .find_map(|o| o.data.package.as_ref())
        .map(|p| FixPackage {
            name: p.name.clone(),
            ecosystem: p.ecosystem.clone(),
            purl: p.purl.clone(),
            version: p.version.clone(),
        });
    let fixed = occurrences
        .iter()
        .filter_map(|o| o.data.package.as_ref())
        .filter(|p| !p.fixed_versions.is_empty())
        .map(|p| p.fixed_versions.clone())
        .collect();
    FixInput {
        finding: f.id,
        asset: f.asset.clone(),
        category: Some(f.category),
        rule_id: f.rule_id.clone(),
        risk: f.risk_score.unwrap_or(0.0).max(0.0),
        vulnerability_ids: ids,
        package,
        fixed,
        path: occurrences
            .iter()
            .find_map(|o| o.data.location.path.clone()),
        base_image: occurrences
            .iter()
            .find_map(|o| o.data.location.base_image.clone()),
    }
}
