//! `posture export`: the findings a query selects, assessed (risk band, owner), written in a
//! standard format by `posture-export`. One place builds [`ExportFinding`]s from the store so
//! every format says the same thing of a finding.

use crate::AppError;
use crate::risk::{AssessedFinding, RiskConfig, assess_findings};
use posture_export::{ExportFinding, Producer};
use posture_model::{FindingStatus, Timestamp};
use posture_store::{FindingQuery, FindingRecord, Store};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// SARIF 2.1.0 through the gate's writer (`crate::sarif_out`).
    Sarif,
    Csv,
    CycloneDxVex,
    OpenVex,
    Ocsf,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub asset: Option<String>,
    /// The statuses to export; [`ExportStatus::Current`] (the default) is every status but
    /// `fixed`: open findings and the decisions people took, which is what code scanning and
    /// VEX consumers need. Fixed findings only when asked.
    pub status: ExportStatus,
    /// The VEX author (`--author`); default `posture`.
    pub author: Option<String>,
}

/// Which statuses an export selects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExportStatus {
    /// Every status but `fixed` (the default, like listings: what is still there).
    #[default]
    Current,
    /// Every status, fixed included.
    All,
    /// These statuses.
    Only(Vec<FindingStatus>),
}

impl ExportStatus {
    fn statuses(&self) -> Option<Vec<FindingStatus>> {
        match self {
            ExportStatus::Current => Some(
                FindingStatus::ALL
                    .into_iter()
                    .filter(|s| *s != FindingStatus::Fixed)
                    .collect(),
            ),
            ExportStatus::All => None,
            ExportStatus::Only(list) => Some(list.clone()),
        }
    }
}

/// The stable identity of a finding: its asset and identity key (the fingerprint of the
/// occurrence that founded it; the first occurrence when the founder was merged away).
pub fn stable_uid(f: &FindingRecord) -> String {
    let founder = f
        .occurrences
        .iter()
        .find(|o| o.correlation.is_none())
        .or(f.occurrences.first());
    match founder {
        Some(o) => format!("{}:{}", f.asset, o.fingerprint),
        None => format!("{}:finding-{}", f.asset, f.id),
    }
}

/// Builds the exported view of an assessed finding. `status_since` is when its status was
/// decided ([`status_since`]); `configured_image` the asset's image from posture.toml, which
/// wins over the image reference a report gives.
pub fn export_finding(
    a: &AssessedFinding,
    status_since: Timestamp,
    configured_image: Option<&str>,
) -> ExportFinding {
    let f = &a.finding;
    let mut tools: Vec<String> = f.occurrences.iter().map(|o| o.tool.clone()).collect();
    tools.sort();
    tools.dedup();
    let mut ids: Vec<String> = Vec::new();
    let mut cwes: Vec<u32> = Vec::new();
    let mut references: Vec<String> = Vec::new();
    for o in &f.occurrences {
        for id in &o.data.vulnerability_ids {
            let id = posture_model::normalize_vuln_id(id);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for c in &o.data.cwes {
            if !cwes.contains(c) {
                cwes.push(*c);
            }
        }
        for r in &o.data.references {
            if !references.contains(r) {
                references.push(r.clone());
            }
        }
    }
    // CVEs first, keeping the scanners' order otherwise.
    ids.sort_by_key(|id| !id.starts_with("CVE-"));
    let primary = f
        .occurrences
        .iter()
        .find(|o| o.open)
        .or(f.occurrences.first());
    let ratings: Vec<_> = f
        .occurrences
        .iter()
        .flat_map(|o| o.data.cvss.iter().cloned())
        .collect();
    ExportFinding {
        id: f.id,
        uid: stable_uid(f),
        asset: f.asset.clone(),
        status: f.status,
        triage_reason: f.triage.and(f.triage_reason.clone()),
        severity: f.severity,
        category: f.category,
        title: f.title.clone(),
        description: primary.and_then(|o| o.data.description.clone()),
        rule_id: f.rule_id.clone(),
        tools,
        vulnerability_ids: ids,
        cwes,
        package: primary.and_then(|o| o.data.package.clone()),
        location: primary.map(|o| o.data.location.clone()).unwrap_or_default(),
        cvss: posture_risk::best_rating(&ratings).and_then(|c| {
            let mut r = ratings.get(c.chosen)?.clone();
            r.score = Some(c.score);
            Some(r)
        }),
        references,
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        fixed_at: f.fixed_at,
        reopened: f.reopened,
        risk_score: Some(a.risk.score),
        risk_band: Some(a.risk.band.to_string()),
        team: a.owner.as_ref().and_then(|o| o.team.clone()),
        // The image posture.toml declares is what the team ships; a report's own reference
        // can be a local archive (`image.tar.gz`), which no registry or scanner knows.
        image: configured_image.map(str::to_string).or_else(|| {
            f.occurrences
                .iter()
                .filter_map(|o| o.data.location.image.as_deref())
                .map(str::trim)
                .find(|i| !i.is_empty() && !looks_like_archive(i))
                .map(str::to_string)
        }),
        status_since,
    }
}

/// A saved image (`docker save` archive) rather than an image reference.
fn looks_like_archive(reference: &str) -> bool {
    let r = reference.split_whitespace().next().unwrap_or("");
    [".tar", ".tar.gz", ".tgz", ".oci"]
        .iter()
        .any(|ext| r.ends_with(ext))
        || r.starts_with('/')
        || r.starts_with("./")
}

/// When a finding's current status was decided: the last triage event for a person's
/// decision, the fix for a fixed finding, else its first sighting.
pub fn status_since(store: &dyn Store, f: &FindingRecord) -> Result<Timestamp, AppError> {
    if f.status == FindingStatus::Fixed {
        return Ok(f.fixed_at.unwrap_or(f.last_seen));
    }
    if f.triage.is_some() && f.status != FindingStatus::Open {
        let events = store.events(f.id)?;
        if let Some(e) = events.iter().rev().find(|e| e.kind == "triaged") {
            return Ok(e.at);
        }
    }
    Ok(f.first_seen)
}

/// An export: the document, how many findings it holds, and what the reader should know
/// (results a format's limits left out).
#[derive(Debug, Clone)]
pub struct Exported {
    pub bytes: Vec<u8>,
    pub count: usize,
    pub notes: Vec<String>,
}

/// Reads, assesses and writes the selected findings (riskiest first).
pub fn export(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    request: &ExportRequest,
    now: Timestamp,
) -> Result<Exported, AppError> {
    if let Some(asset) = &request.asset {
        crate::names::require_known_asset(store, config, asset)?;
    }
    let list = store.findings(&FindingQuery {
        asset: request.asset.clone(),
        status: request.status.statuses(),
        ..Default::default()
    })?;
    let assessed = assess_findings(store, config, list)?;
    write_assessed(
        store,
        config,
        assessed,
        request.format,
        request.author.clone(),
        now,
    )
}

/// Writes findings already selected and assessed (the dashboard's export of a filter, which
/// selects them within the viewer's scope) in `format`, riskiest first: the same document
/// [`export`] writes.
pub fn write_assessed(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    mut assessed: Vec<AssessedFinding>,
    format: ExportFormat,
    author: Option<String>,
    now: Timestamp,
) -> Result<Exported, AppError> {
    // Riskiest first: what a consumer's limits keep (code scanning shows the first 5,000).
    assessed.sort_by(|a, b| {
        b.risk
            .score
            .total_cmp(&a.risk.score)
            .then(a.finding.id.cmp(&b.finding.id))
    });
    let image_of = |asset: &str| {
        config
            .and_then(|c| c.portfolio.asset(asset))
            .and_then(|a| a.images.first().map(String::as_str))
    };
    let mut findings: Vec<ExportFinding> = Vec::with_capacity(assessed.len());
    for a in &assessed {
        let since = status_since(store, &a.finding)?;
        findings.push(export_finding(a, since, image_of(&a.finding.asset)));
    }
    let producer = Producer {
        name: "posture".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        author: author.unwrap_or_else(|| "posture".into()),
    };
    let bytes = match format {
        ExportFormat::Sarif => {
            let branch_of = |asset: &str| match config {
                Some(c) => c.portfolio.default_branch(asset).to_string(),
                None => posture_config::DEFAULT_BRANCH.to_string(),
            };
            let (bytes, notes) = sarif(&assessed, &branch_of)?;
            return Ok(Exported {
                bytes,
                count: assessed.len(),
                notes,
            });
        }
        ExportFormat::Csv => posture_export::write_csv(&findings),
        ExportFormat::CycloneDxVex => {
            posture_export::write_cyclonedx_vex(&findings, &producer, now)
        }
        ExportFormat::OpenVex => posture_export::write_openvex(&findings, &producer, now),
        ExportFormat::Ocsf => posture_export::write_ocsf(&findings, &producer, now),
    }
    .map_err(|e| AppError::Invalid(format!("export: {e}")))?;
    Ok(Exported {
        bytes,
        count: findings.len(),
        notes: Vec::new(),
    })
}

/// SARIF 2.1.0 through the gate's writer, with the risk and status as result properties.
fn sarif(
    assessed: &[AssessedFinding],
    branch_of: &dyn Fn(&str) -> String,
) -> Result<(Vec<u8>, Vec<String>), AppError> {
    let results: Vec<crate::sarif_out::SarifResult<'_>> = assessed
        .iter()
        .map(|a| {
            let mut r = crate::sarif_out::SarifResult::of(&a.finding);
            r.properties
                .insert("postureRiskScore".into(), serde_json::json!(a.risk.score));
            r.properties.insert(
                "postureRiskBand".into(),
                serde_json::json!(a.risk.band.to_string()),
            );
            r.properties.insert(
                "postureStatus".into(),
                serde_json::json!(a.finding.status.as_str()),
            );
            r
        })
        .collect();
    let log = crate::sarif_out::sarif_log(env!("CARGO_PKG_VERSION"), &results, branch_of)
        .map_err(|e| AppError::Invalid(format!("export: {e}")))?;
    let notes = log
        .left_out
        .iter()
        .map(|(asset, n)| {
            format!(
                "SARIF: {n} result(s) of asset {asset} left out: code scanning takes at most {} per run; the riskiest are kept",
                crate::sarif_out::GITHUB_MAX_RESULTS_PER_RUN
            )
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&log.log)
        .map_err(|e| AppError::Invalid(format!("export: {e}")))?;
    bytes.push(b'\n');
    Ok((bytes, notes))
}
