//! The ingest, told once for every back end.
//!
//! Why this module exists: an ingest has a fixed order of steps (record the asset, group the
//! reports by tool, skip a scope whose reports are byte-identical to its last scan, record the
//! scans, load the scope, let `posture-engine` diff and plan, write the plan, close the scope)
//! and that order, with its rules (a partial report closes nothing, several files of one tool
//! make one scope), must be the same on SQLite and PostgreSQL. Each back end implements only
//! [`IngestTx`], the SQL of each step, inside the transaction it opened; [`run`] drives it.

use crate::{IngestBatch, IngestOutcome, ScanKind, ScopeOutcome, StoreError};
use posture_engine::{
    CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef, Fingerprint, Identified,
    IngestPlan, PlanSummary, Thresholds, diff_scope, plan,
};
use posture_model::{Component, Diagnostic, ToolInfo};
use std::collections::{BTreeMap, HashMap};

/// A scope's row as the ingest needs it.
pub(crate) struct ScopeState {
    pub id: i64,
    pub last_scan_at: Option<i64>,
    pub last_digest: Option<String>,
}

/// One scan row to record (one report of one tool).
pub(crate) struct NewScan<'a> {
    pub scope_id: i64,
    pub tool_version: Option<&'a str>,
    pub format: &'a str,
    pub commit: Option<&'a str>,
    pub kind: &'a str,
    pub report_name: &'a str,
    pub report_sha256: &'a str,
    pub at: i64,
    pub occurrences: i64,
    pub diagnostics_json: String,
}

/// What writing a plan needs besides the plan.
pub(crate) struct ApplyCtx<'a> {
    pub asset_id: i64,
    pub scope: &'a ScopeState,
    pub now: i64,
    pub report: &'a Identified,
    /// Per occurrence of `report`, the scan (report) it comes from.
    pub origin: &'a [i64],
    pub first_scan: i64,
}

impl ApplyCtx<'_> {
    /// The scan an occurrence of the report comes from.
    pub fn scan_of(&self, index: usize) -> i64 {
        self.origin.get(index).copied().unwrap_or(self.first_scan)
    }
}

/// The SQL of each ingest step, inside one transaction a back end opened (and commits after
/// [`run`] returns `Ok`).
pub(crate) trait IngestTx {
    /// Records the asset if new; its id.
    fn asset_id(&mut self, name: &str, now: i64) -> Result<i64, StoreError>;
    /// The asset's default branch (`main` unless recorded otherwise).
    fn default_branch(&mut self, asset_id: i64) -> Result<String, StoreError>;
    /// Records the scope if new; its row.
    fn scope(
        &mut self,
        asset_id: i64,
        tool: &str,
        branch: &str,
        target: &str,
    ) -> Result<ScopeState, StoreError>;
    fn insert_scan(&mut self, scan: &NewScan<'_>) -> Result<i64, StoreError>;
    /// Every occurrence of the scope (open or closed).
    fn load_scope(&mut self, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError>;
    /// The asset's findings (a merged finding's key leading to its survivor), with how many
    /// open occurrences each has outside this scope.
    fn load_findings(
        &mut self,
        asset_id: i64,
        scope_id: i64,
    ) -> Result<Vec<ExistingFinding>, StoreError>;
    /// The asset's correlation candidates and people's separations.
    fn load_correlation(
        &mut self,
        asset_id: i64,
        thresholds: Thresholds,
    ) -> Result<CorrelationInput, StoreError>;
    /// Writes the engine's plan.
    fn apply(&mut self, ctx: &ApplyCtx<'_>, plan: &IngestPlan) -> Result<(), StoreError>;
    /// Records the scope's last scan (a retired branch's scope is active again) and the summary
    /// on each of its scans.
    fn finish_scope(
        &mut self,
        scope_id: i64,
        now: i64,
        digest: &str,
        scan_ids: &[i64],
        summary_json: &str,
    ) -> Result<(), StoreError>;
    /// Replaces the runtime inventory of (asset, target) with the components of the reports
    /// that got a scan (`report_scans`: report index in the batch -> its scan id).
    fn replace_runtime(
        &mut self,
        asset_id: i64,
        target: &str,
        now: i64,
        components: &[Vec<Component>],
        report_scans: &HashMap<usize, i64>,
    ) -> Result<(), StoreError>;
}

/// The reports of one batch that share a tool, hence a scope.
struct ToolGroup {
    tool: ToolInfo,
    /// One of the reports had items skipped.
    parts_partial: bool,
    /// (report index in the batch, identified occurrences)
    parts: Vec<(usize, Identified)>,
}

struct ReportMeta {
    name: String,
    sha256: String,
    format: String,
    diagnostics: Vec<Diagnostic>,
}

/// The asset, branch and target of a batch, trimmed and checked.
pub(crate) fn batch_scope(batch: &IngestBatch) -> Result<(String, String, String), StoreError> {
    let asset = batch.asset.trim().to_string();
    if asset.is_empty() {
        return Err(StoreError::Invalid("the asset name is empty".into()));
    }
    let branch = batch.branch.trim().to_string();
    if branch.is_empty() {
        return Err(StoreError::Invalid("the branch name is empty".into()));
    }
    // Secret evidence is stored only keyed with the installation's key: a parser's unkeyed
    // SHA-1 would let any reader check a guess (fail closed rather than store it).
    let unsealed = batch.reports.iter().any(|r| {
        r.runs.iter().any(|(_, run)| {
            run.occurrences.iter().any(|o| {
                o.features
                    .secret
                    .iter()
                    .any(|h| !h.starts_with(posture_model::SEALED_PREFIX))
            })
        })
    });
    if unsealed {
        return Err(StoreError::Invalid(
            "secret evidence must be keyed with the installation's secret key before it is \
             stored (posture_engine::secrets::protect)"
                .into(),
        ));
    }
    Ok((asset, branch, batch.target.trim().to_string()))
}

/// Runs a whole ingest through `tx`. The caller opened the transaction and commits it.
pub(crate) fn run<T: IngestTx>(
    tx: &mut T,
    batch: IngestBatch,
) -> Result<IngestOutcome, StoreError> {
    let (asset, branch, target) = batch_scope(&batch)?;
    let now = batch.at.as_millisecond();
    let asset_id = tx.asset_id(&asset, now)?;
    // only a scan of the default branch decides a finding's status (lifecycle.rs)
    let on_default = tx.default_branch(asset_id)? == branch;

    // Group the runs of every report by tool: one scope, one comparison per tool.
    let mut groups: BTreeMap<String, ToolGroup> = BTreeMap::new();
    let mut reports_meta = Vec::with_capacity(batch.reports.len());
    let mut report_components = Vec::with_capacity(batch.reports.len());
    let mut report_scans: HashMap<usize, i64> = HashMap::new();
    for (ri, report) in batch.reports.into_iter().enumerate() {
        report_components.push(report.components);
        let skipped = report
            .diagnostics
            .iter()
            .any(|d| d.level == posture_model::DiagnosticLevel::Skipped);
        for (tool, identified) in report.runs {
            let g = groups
                .entry(tool.name.clone())
                .or_insert_with(|| ToolGroup {
                    tool: tool.clone(),
                    parts_partial: false,
                    parts: Vec::new(),
                });
            g.parts_partial |= skipped;
            if g.tool.version.is_none() {
                g.tool.version = tool.version.clone();
            }
            g.parts.push((ri, identified));
        }
        reports_meta.push(ReportMeta {
            name: report.name,
            sha256: report.sha256,
            format: report.format,
            diagnostics: report.diagnostics,
        });
    }

    let mut outcome = IngestOutcome {
        asset: asset.clone(),
        scopes: Vec::new(),
    };
    for (tool_name, group) in groups {
        let scope = tx.scope(asset_id, &tool_name, &branch, &target)?;
        let mut shas: Vec<&str> = group
            .parts
            .iter()
            .filter_map(|(ri, _)| reports_meta.get(*ri).map(|m| m.sha256.as_str()))
            .collect();
        shas.sort_unstable();
        let digest = shas.join(",");
        let occurrence_total: usize = group.parts.iter().map(|(_, i)| i.occurrences.len()).sum();

        if !batch.force && scope.last_digest.as_deref() == Some(digest.as_str()) {
            outcome.scopes.push(ScopeOutcome {
                tool: tool_name,
                branch: branch.clone(),
                target: target.clone(),
                scan_ids: Vec::new(),
                identical: true,
                occurrences: occurrence_total,
                summary: PlanSummary {
                    unchanged: occurrence_total,
                    ..Default::default()
                },
            });
            continue;
        }

        // A scan never goes behind its scope's last scan: a client whose clock is behind (a
        // CI host 60 days late) would otherwise record fixes before first sightings, which
        // drop out of MTTR. Its time is the scope's last scan then.
        let now = now.max(scope.last_scan_at.unwrap_or(now));

        // One scan row per report of the group.
        let mut scan_ids: HashMap<usize, i64> = HashMap::new();
        let mut scan_id_list = Vec::new();
        for (ri, identified) in &group.parts {
            let Some(meta) = reports_meta.get(*ri) else {
                continue;
            };
            let id = tx.insert_scan(&NewScan {
                scope_id: scope.id,
                tool_version: group.tool.version.as_deref(),
                format: &meta.format,
                commit: batch.commit.as_deref(),
                kind: batch.kind.as_str(),
                report_name: &meta.name,
                report_sha256: &meta.sha256,
                at: now,
                occurrences: identified.occurrences.len() as i64,
                diagnostics_json: serde_json::to_string(&meta.diagnostics)
                    .unwrap_or_else(|_| "[]".into()),
            })?;
            scan_ids.insert(*ri, id);
            report_scans.entry(*ri).or_insert(id);
            scan_id_list.push(id);
        }
        let first_scan = scan_id_list.first().copied().unwrap_or(0);

        // Merge the parts (several files of one tool) into one identified set.
        let (combined, origin) = combine(group.parts, &scan_ids, first_scan);

        let existing = tx.load_scope(scope.id)?;
        let mut diff = diff_scope(&existing, &combined);
        // A report with skipped items is partial: what it lacks may be what it could not read,
        // so it closes nothing (it still records what it did read).
        let partial = group.parts_partial;
        if partial {
            diff.closed.clear();
        }
        let findings = if diff.needs_findings() {
            tx.load_findings(asset_id, scope.id)?
        } else {
            Vec::new()
        };
        let correlation = if diff.new.is_empty() {
            CorrelationInput::default()
        } else {
            tx.load_correlation(asset_id, batch.thresholds)?
        };
        let mut the_plan = plan(&diff, &combined, &findings, &correlation, on_default);
        the_plan.summary.partial = partial;
        tx.apply(
            &ApplyCtx {
                asset_id,
                scope: &scope,
                now,
                report: &combined,
                origin: &origin,
                first_scan,
            },
            &the_plan,
        )?;

        let summary_json = serde_json::to_string(&the_plan.summary).unwrap_or_else(|_| "{}".into());
        tx.finish_scope(scope.id, now, &digest, &scan_id_list, &summary_json)?;
        outcome.scopes.push(ScopeOutcome {
            tool: tool_name,
            branch: branch.clone(),
            target: target.clone(),
            scan_ids: scan_id_list,
            identical: false,
            occurrences: combined.occurrences.len(),
            summary: the_plan.summary,
        });
    }
    if batch.kind == ScanKind::Runtime && !report_scans.is_empty() {
        tx.replace_runtime(asset_id, &target, now, &report_components, &report_scans)?;
    }
    Ok(outcome)
}

/// Concatenates the identified occurrences of several reports of one tool, dropping a
/// fingerprint already seen in an earlier report (counted as collapsed). Returns the set and,
/// per occurrence, the scan it comes from.
fn combine(
    parts: Vec<(usize, Identified)>,
    scan_ids: &HashMap<usize, i64>,
    fallback_scan: i64,
) -> (Identified, Vec<i64>) {
    let mut parts = parts;
    if parts.len() == 1
        && let Some((ri, identified)) = parts.pop()
    {
        let sid = scan_ids.get(&ri).copied().unwrap_or(fallback_scan);
        let origin = vec![sid; identified.occurrences.len()];
        return (identified, origin);
    }
    let mut combined = Identified::default();
    let mut origin = Vec::new();
    let mut seen: HashMap<Fingerprint, ()> = HashMap::new();
    for (ri, identified) in parts {
        let sid = scan_ids.get(&ri).copied().unwrap_or(fallback_scan);
        combined.collapsed += identified.collapsed;
        combined.collapsed_into.extend(identified.collapsed_into);
        for occ in identified.occurrences {
            if seen.insert(occ.fingerprint, ()).is_some() {
                combined.collapsed += 1;
                combined
                    .collapsed_into
                    .push((occ.summary.locator.clone(), occ.fingerprint));
                continue;
            }
            combined.occurrences.push(occ);
            origin.push(sid);
        }
    }
    (combined, origin)
}

/// A stored 16-byte key (fingerprint, data hash) as the engine's type; a value of another
/// length (never written by Posture) reads as zeros.
pub(crate) fn blob16(b: &[u8]) -> Fingerprint {
    let mut out = [0u8; 16];
    if b.len() == 16 {
        out.copy_from_slice(b);
    }
    Fingerprint(out)
}

/// Whether the plan creates a row for new finding `k` (it may instead have been merged into
/// another finding before being created).
pub(crate) fn creates_finding(p: &IngestPlan, k: usize) -> bool {
    p.resolve(FindingRef::New(k)) == FindingRef::New(k)
}

/// Completes `new_ids` (the rows created for new findings, 0 where none was created) with the
/// finding each uncreated one was merged into.
pub(crate) fn resolve_new_ids(p: &IngestPlan, new_ids: &mut [i64]) {
    for k in 0..new_ids.len() {
        if new_ids[k] == 0 {
            new_ids[k] = match p.resolve(FindingRef::New(k)) {
                FindingRef::Existing(id) => id,
                FindingRef::New(j) => new_ids.get(j).copied().unwrap_or(0),
            };
        }
    }
}

/// The stored key of the finding a person splits an occurrence into: the occurrence's
/// fingerprint, made distinct from the old finding's key.
pub(crate) fn split_key(fingerprint: &[u8], occurrence_id: i64) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    h.update(b"posture-split\0");
    h.update(fingerprint);
    h.update(&occurrence_id.to_le_bytes());
    h.finalize().as_bytes()[..16].to_vec()
}
