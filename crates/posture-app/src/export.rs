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
    /// `None` = every status.
    pub status: Option<Vec<FindingStatus>>,
    /// The VEX author (`--author`); default `posture`.
    pub author: Option<String>,
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

/// Builds the exported view of an assessed finding.
pub fn export_finding(a: &AssessedFinding) -> ExportFinding {
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
    }
}

/// Reads, assesses and writes the selected findings; returns the bytes and how many findings
/// were selected.
pub fn export(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    request: &ExportRequest,
    now: Timestamp,
) -> Result<(Vec<u8>, usize), AppError> {
    let list = store.findings(&FindingQuery {
        asset: request.asset.clone(),
        status: request.status.clone(),
        ..Default::default()
    })?;
    let assessed = assess_findings(store, config, list)?;
    let findings: Vec<ExportFinding> = assessed.iter().map(export_finding).collect();
    let producer = Producer {
        name: "posture".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        author: request.author.clone().unwrap_or_else(|| "posture".into()),
    };
    let bytes = match request.format {
        ExportFormat::Sarif => return Ok((sarif(&assessed)?, assessed.len())),
        ExportFormat::Csv => posture_export::write_csv(&findings),
        ExportFormat::CycloneDxVex => {
            posture_export::write_cyclonedx_vex(&findings, &producer, now)
        }
        ExportFormat::OpenVex => posture_export::write_openvex(&findings, &producer, now),
        ExportFormat::Ocsf => posture_export::write_ocsf(&findings, &producer, now),
    }
    .map_err(|e| AppError::Invalid(format!("export: {e}")))?;
    Ok((bytes, findings.len()))
}

/// SARIF 2.1.0 through the gate's writer, with the risk and status as result properties.
fn sarif(assessed: &[AssessedFinding]) -> Result<Vec<u8>, AppError> {
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
    let log = crate::sarif_out::sarif_log(env!("CARGO_PKG_VERSION"), &results);
    let mut bytes =
        serde_json::to_vec_pretty(&log).map_err(|e| AppError::Invalid(format!("export: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}
