//! The ingest transaction on SQLite: load the scope in one query, let the engine plan, write
//! the plan with cached prepared statements, all inside one `BEGIN IMMEDIATE` transaction.

use super::to_ms;
use crate::{IngestBatch, IngestOutcome, ScanKind, ScopeOutcome, StoreError};
use posture_engine::{
    CorrelationCandidate, CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef,
    Fingerprint, Identified, IngestPlan, OccurrenceRef, Thresholds, diff_scope, plan,
};
use posture_model::ToolInfo;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use std::collections::{BTreeMap, HashMap};

/// The reports of one batch that share a tool, hence a scope.
struct ToolGroup {
    tool: ToolInfo,
    /// One of the reports had items skipped.
    parts_partial: bool,
    /// (report index in the batch, identified occurrences)
    parts: Vec<(usize, Identified)>,
}

pub(super) fn ingest(
    conn: &mut Connection,
    batch: IngestBatch,
) -> Result<IngestOutcome, StoreError> {
    let asset = batch.asset.trim().to_string();
    if asset.is_empty() {
        return Err(StoreError::Invalid("the asset name is empty".into()));
    }
    let branch = batch.branch.trim().to_string();
    if branch.is_empty() {
        return Err(StoreError::Invalid("the branch name is empty".into()));
    }
    let target = batch.target.trim().to_string();
    let now = to_ms(batch.at);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::db("starting the ingest transaction"))?;

    tx.execute(
        "INSERT INTO assets (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![asset, now],
    )
    .map_err(StoreError::db("recording the asset"))?;
    let asset_id: i64 = tx
        .query_row("SELECT id FROM assets WHERE name = ?1", [&asset], |r| {
            r.get(0)
        })
        .map_err(StoreError::db("recording the asset"))?;

    // Group the runs of every report by tool: one scope, one comparison per tool.
    let mut groups: BTreeMap<String, ToolGroup> = BTreeMap::new();
    let mut reports_meta = Vec::with_capacity(batch.reports.len());
    let mut report_components = Vec::with_capacity(batch.reports.len());
    let mut report_scans: HashMap<usize, i64> = HashMap::new();
    for (ri, report) in batch.reports.into_iter().enumerate() {
        report_components.push(report.components);
        for (tool, identified) in report.runs {
            let g = groups
                .entry(tool.name.clone())
                .or_insert_with(|| ToolGroup {
                    tool: tool.clone(),
                    parts_partial: false,
                    parts: Vec::new(),
                });
            g.parts_partial |= report
                .diagnostics
                .iter()
                .any(|d| d.level == posture_model::DiagnosticLevel::Skipped);
            if g.tool.version.is_none() {
                g.tool.version = tool.version.clone();
            }
            g.parts.push((ri, identified));
        }
        reports_meta.push((
            report.name,
            report.sha256,
            report.format,
            report.diagnostics,
        ));
    }

    let mut outcome = IngestOutcome {
        asset: asset.clone(),
        scopes: Vec::new(),
    };
    for (tool_name, group) in groups {
        let scope = ScopeCtx::upsert(&tx, asset_id, &tool_name, &branch, &target)?;
        let mut shas: Vec<&str> = group
            .parts
            .iter()
            .filter_map(|(ri, _)| reports_meta.get(*ri).map(|m| m.1.as_str()))
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
                summary: posture_engine::PlanSummary {
                    unchanged: occurrence_total,
                    ..Default::default()
                },
            });
            continue;
        }

        // One scan row per report of the group.
        let mut scan_ids: HashMap<usize, i64> = HashMap::new();
        let mut scan_id_list = Vec::new();
        for (ri, identified) in &group.parts {
            let Some((name, sha, format, diags)) = reports_meta.get(*ri) else {
                continue;
            };
            tx.execute(
                "INSERT INTO scans (scope_id, tool_version, format, commit_sha, kind, report_name,
                                    report_sha256, at, occurrences, summary, diagnostics)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '{}', ?10)",
                params![
                    scope.id,
                    group.tool.version,
                    format,
                    batch.commit,
                    batch.kind.as_str(),
                    name,
                    sha,
                    now,
                    identified.occurrences.len() as i64,
                    serde_json::to_string(diags).unwrap_or_else(|_| "[]".into()),
                ],
            )
            .map_err(StoreError::db("recording the scan"))?;
            let id = tx.last_insert_rowid();
            scan_ids.insert(*ri, id);
            report_scans.entry(*ri).or_insert(id);
            scan_id_list.push(id);
        }
        let first_scan = scan_id_list.first().copied().unwrap_or(0);

        // Merge the parts (several files of one tool) into one identified set.
        let (combined, origin) = combine(group.parts, &scan_ids, first_scan);

        let existing = load_scope(&tx, scope.id)?;
        let mut diff = diff_scope(&existing, &combined);
        // A report with skipped items is partial: what it lacks may be what it could not read,
        // so it closes nothing (it still records what it did read).
        let partial = group.parts_partial;
        if partial {
            diff.closed.clear();
        }
        let findings = if diff.needs_findings() {
            load_findings(&tx, asset_id, scope.id)?
        } else {
            Vec::new()
        };
        let correlation = if diff.new.is_empty() {
            CorrelationInput::default()
        } else {
            load_correlation(&tx, asset_id, batch.thresholds)?
        };
        let mut the_plan = plan(&diff, &combined, &findings, &correlation);
        the_plan.summary.partial = partial;
        apply(
            &tx, asset_id, &scope, now, &combined, &origin, first_scan, &the_plan,
        )?;

        tx.execute(
            "UPDATE scopes SET last_scan_at = ?1, last_digest = ?2 WHERE id = ?3",
            params![now, digest, scope.id],
        )
        .map_err(StoreError::db("updating the scope"))?;
        let summary_json = serde_json::to_string(&the_plan.summary).unwrap_or_else(|_| "{}".into());
        for id in &scan_id_list {
            tx.execute(
                "UPDATE scans SET summary = ?1 WHERE id = ?2",
                params![summary_json, id],
            )
            .map_err(StoreError::db("recording the scan summary"))?;
        }
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
        super::runtime::replace(
            &tx,
            asset_id,
            &target,
            now,
            &report_components,
            &report_scans,
        )?;
    }
    tx.commit()
        .map_err(StoreError::db("committing the ingest"))?;
    Ok(outcome)
}

struct ScopeCtx {
    id: i64,
    last_scan_at: Option<i64>,
    last_digest: Option<String>,
}

impl ScopeCtx {
    fn upsert(
        tx: &Transaction<'_>,
        asset_id: i64,
        tool: &str,
        branch: &str,
        target: &str,
    ) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO scopes (asset_id, tool, branch, target) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (asset_id, tool, branch, target) DO NOTHING",
            params![asset_id, tool, branch, target],
        )
        .map_err(StoreError::db("recording the scope"))?;
        tx.query_row(
            "SELECT id, last_scan_at, last_digest FROM scopes
             WHERE asset_id = ?1 AND tool = ?2 AND branch = ?3 AND target = ?4",
            params![asset_id, tool, branch, target],
            |r| {
                Ok(ScopeCtx {
                    id: r.get(0)?,
                    last_scan_at: r.get(1)?,
                    last_digest: r.get(2)?,
                })
            },
        )
        .map_err(StoreError::db("recording the scope"))
    }
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

fn blob16(b: &[u8]) -> Fingerprint {
    let mut out = [0u8; 16];
    if b.len() == 16 {
        out.copy_from_slice(b);
    }
    Fingerprint(out)
}

fn load_scope(tx: &Transaction<'_>, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, fingerprint, finding_id, open, data_hash, relocation_key
               FROM occurrences WHERE scope_id = ?1",
        )
        .map_err(StoreError::db("loading the scope"))?;
    let rows = stmt
        .query_map([scope_id], |r| {
            let fp: Vec<u8> = r.get(1)?;
            let dh: Vec<u8> = r.get(4)?;
            let rk: Option<Vec<u8>> = r.get(5)?;
            Ok(ExistingOccurrence {
                id: r.get(0)?,
                fingerprint: blob16(&fp),
                finding_id: r.get(2)?,
                open: r.get::<_, i64>(3)? != 0,
                data_hash: blob16(&dh),
                relocation_key: rk.as_deref().map(blob16),
            })
        })
        .map_err(StoreError::db("loading the scope"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("loading the scope"))
}

fn load_correlation(
    tx: &Transaction<'_>,
    asset_id: i64,
    thresholds: Thresholds,
) -> Result<CorrelationInput, StoreError> {
    let db = StoreError::db("loading correlation candidates");
    let mut input = CorrelationInput {
        thresholds,
        ..CorrelationInput::default()
    };
    let mut stmt = tx
        .prepare_cached(
            "SELECT o.id, o.finding_id, o.fingerprint, o.features
               FROM occurrences o
               JOIN scopes s ON s.id = o.scope_id
               JOIN findings f ON f.id = o.finding_id
              WHERE s.asset_id = ?1 AND f.merged_into IS NULL
              ORDER BY o.id",
        )
        .map_err(StoreError::db("loading correlation candidates"))?;
    let mut rows = stmt
        .query([asset_id])
        .map_err(StoreError::db("loading correlation candidates"))?;
    while let Some(r) = rows
        .next()
        .map_err(StoreError::db("loading correlation candidates"))?
    {
        let fp: Vec<u8> = r
            .get(2)
            .map_err(StoreError::db("loading correlation candidates"))?;
        let features: String = r
            .get(3)
            .map_err(StoreError::db("loading correlation candidates"))?;
        // an occurrence whose features cannot be read is simply not a candidate
        if let Ok(features) = serde_json::from_str(&features) {
            input.candidates.push(CorrelationCandidate {
                occurrence_id: r
                    .get(0)
                    .map_err(StoreError::db("loading correlation candidates"))?,
                finding_id: r
                    .get(1)
                    .map_err(StoreError::db("loading correlation candidates"))?,
                fingerprint: blob16(&fp),
                features,
            });
        }
    }
    let mut stmt = tx
        .prepare_cached("SELECT fp_a, fp_b FROM separations WHERE asset_id = ?1")
        .map_err(StoreError::db("loading correlation decisions"))?;
    let pairs = stmt
        .query_map([asset_id], |r| {
            let a: Vec<u8> = r.get(0)?;
            let b: Vec<u8> = r.get(1)?;
            Ok((blob16(&a), blob16(&b)))
        })
        .map_err(StoreError::db("loading correlation decisions"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    input.separated.extend(pairs);
    Ok(input)
}

fn load_findings(
    tx: &Transaction<'_>,
    asset_id: i64,
    scope_id: i64,
) -> Result<Vec<ExistingFinding>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            // a merged finding's key leads to the finding it was merged into
            "SELECT t.id, f.key, t.status,
                    (SELECT COUNT(*) FROM occurrences o
                      WHERE o.finding_id = t.id AND o.open = 1 AND o.scope_id <> ?2)
               FROM findings f JOIN findings t ON t.id = COALESCE(f.merged_into, f.id)
              WHERE f.asset_id = ?1",
        )
        .map_err(StoreError::db("loading the asset's findings"))?;
    let rows = stmt
        .query_map(params![asset_id, scope_id], |r| {
            let key: Vec<u8> = r.get(1)?;
            let status: String = r.get(2)?;
            Ok(ExistingFinding {
                id: r.get(0)?,
                key: blob16(&key),
                fixed: status == "fixed",
                open_elsewhere: r.get::<_, i64>(3)?.max(0) as u32,
            })
        })
        .map_err(StoreError::db("loading the asset's findings"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("loading the asset's findings"))
}

#[allow(clippy::too_many_arguments)]
fn apply(
    tx: &Transaction<'_>,
    asset_id: i64,
    scope: &ScopeCtx,
    now: i64,
    report: &Identified,
    origin: &[i64],
    first_scan: i64,
    p: &IngestPlan,
) -> Result<(), StoreError> {
    let db = StoreError::db;
    // 1. New findings, and their `opened` events in one set-based statement.
    let max_before: i64 = tx
        .query_row("SELECT COALESCE(MAX(id), 0) FROM findings", [], |r| {
            r.get(0)
        })
        .map_err(db("creating findings"))?;
    // new_ids[k]: the row of new finding k, or of the finding it was merged into
    let mut new_ids: Vec<i64> = vec![0; p.new_findings.len()];
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO findings (asset_id, key, category, severity, title, rule_id, status, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)",
            )
            .map_err(db("creating findings"))?;
        for (k, &idx) in p.new_findings.iter().enumerate() {
            if p.resolve(FindingRef::New(k)) != FindingRef::New(k) {
                continue; // merged into another finding before being created
            }
            let Some(o) = report.occurrences.get(idx) else {
                return Err(StoreError::Corrupt("plan points past the report".into()));
            };
            let occ = &o.summary;
            ins.execute(params![
                asset_id,
                &o.fingerprint.0[..],
                occ.category.as_str(),
                occ.severity as i64,
                occ.title,
                occ.rule_id,
                now,
            ])
            .map_err(db("creating findings"))?;
            new_ids[k] = tx.last_insert_rowid();
        }
        for k in 0..new_ids.len() {
            if new_ids[k] == 0 {
                new_ids[k] = match p.resolve(FindingRef::New(k)) {
                    FindingRef::Existing(id) => id,
                    FindingRef::New(j) => new_ids.get(j).copied().unwrap_or(0),
                };
            }
        }
    }
    let new_finding_rows = new_ids.iter().filter(|id| **id > max_before).count();
    if new_finding_rows > 0 {
        tx.execute(
            "INSERT INTO events (finding_id, scan_id, at, kind, to_status)
             SELECT id, ?1, ?2, 'opened', 'open' FROM findings WHERE id > ?3 AND asset_id = ?4",
            params![first_scan, now, max_before, asset_id],
        )
        .map_err(db("recording opened events"))?;
    }

    // 2. New occurrences (with how they joined their finding), then suggested duplicates.
    let mut new_occurrence_ids: HashMap<usize, i64> =
        HashMap::with_capacity(p.new_occurrences.len());
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO occurrences (scope_id, finding_id, fingerprint, tier, open, first_seen,
                                          scan_id, data_hash, severity, data, features,
                                          link_confidence, link_reason, link_occurrence, relocation_key)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .map_err(db("recording occurrences"))?;
        let mut bump = tx
            // a new occurrence can change the finding's risk: assess it again
            .prepare_cached(
                "UPDATE findings SET severity = MAX(severity, ?1), risk_score = -1 WHERE id = ?2",
            )
            .map_err(db("recording occurrences"))?;
        for n in &p.new_occurrences {
            let Some(o) = report.occurrences.get(n.index) else {
                return Err(StoreError::Corrupt("plan points past the report".into()));
            };
            let (link_confidence, link_reason, link_occurrence) = match &n.link {
                None => (None, None, None),
                Some(l) => (
                    Some(f64::from(l.confidence)),
                    Some(l.reason.as_str()),
                    match l.matched {
                        Some(OccurrenceRef::Existing(id)) => Some(id),
                        Some(OccurrenceRef::New(i)) => new_occurrence_ids.get(&i).copied(),
                        None => None,
                    },
                ),
            };
            let finding_id = match p.resolve(n.finding) {
                FindingRef::Existing(id) => {
                    bump.execute(params![o.summary.severity as i64, id])
                        .map_err(db("recording occurrences"))?;
                    id
                }
                FindingRef::New(k) => *new_ids
                    .get(k)
                    .ok_or_else(|| StoreError::Corrupt("plan points past new findings".into()))?,
            };
            ins.execute(params![
                scope.id,
                finding_id,
                &o.fingerprint.0[..],
                o.tier.as_str(),
                now,
                origin.get(n.index).copied().unwrap_or(first_scan),
                &o.data_hash.0[..],
                o.summary.severity as i64,
                o.data,
                o.features_json,
                link_confidence,
                link_reason,
                link_occurrence,
                o.relocation_key.as_ref().map(|k| k.0.to_vec()),
            ])
            .map_err(db("recording occurrences"))?;
            new_occurrence_ids.insert(n.index, tx.last_insert_rowid());
        }
    }

    if !p.suggestions.is_empty() {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO suggestions (asset_id, finding_id, other_finding_id, confidence, reason, state, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)",
            )
            .map_err(db("recording suggested duplicates"))?;
        let resolve = |r: FindingRef| match p.resolve(r) {
            FindingRef::Existing(id) => Some(id),
            FindingRef::New(k) => new_ids.get(k).copied(),
        };
        for sug in &p.suggestions {
            if let (Some(a), Some(b)) = (resolve(sug.finding), resolve(sug.other))
                && a != b
            {
                ins.execute(params![
                    asset_id,
                    a,
                    b,
                    f64::from(sug.confidence),
                    sug.reason,
                    now
                ])
                .map_err(db("recording suggested duplicates"))?;
            }
        }
    }

    // Existing findings a new occurrence showed to be one issue: the younger joins the older.
    for m in &p.merges {
        let (FindingRef::Existing(from), FindingRef::Existing(into)) = (m.from, p.resolve(m.into))
        else {
            continue;
        };
        if from == into {
            continue;
        }
        merge_findings(tx, from, into, first_scan, now, None, &m.reason)?;
    }

    // 3. Seen again with changed data (moved lines, new locator).
    if !p.changed_occurrences.is_empty() {
        let mut upd = tx
            .prepare_cached(
                // the fingerprint changes only for an occurrence whose file was renamed
                "UPDATE occurrences SET data = ?1, data_hash = ?2, scan_id = ?3, severity = ?4,
                                        fingerprint = ?6, relocation_key = ?7, features = ?8
                  WHERE id = ?5",
            )
            .map_err(db("updating occurrences"))?;
        // changed evidence (a new path, another rating) can change owner and risk
        let mut stale = tx
            .prepare_cached(
                "UPDATE findings SET risk_score = -1
                  WHERE id = (SELECT finding_id FROM occurrences WHERE id = ?1) AND risk_score >= 0",
            )
            .map_err(db("updating occurrences"))?;
        for &(id, idx) in &p.changed_occurrences {
            let Some(o) = report.occurrences.get(idx) else {
                return Err(StoreError::Corrupt("plan points past the report".into()));
            };
            upd.execute(params![
                o.data,
                &o.data_hash.0[..],
                origin.get(idx).copied().unwrap_or(first_scan),
                o.summary.severity as i64,
                id,
                &o.fingerprint.0[..],
                o.relocation_key.as_ref().map(|k| k.0.to_vec()),
                o.features_json,
            ])
            .map_err(db("updating occurrences"))?;
            stale.execute([id]).map_err(db("updating occurrences"))?;
        }
    }

    // 4. Occurrences back after being closed; 5. occurrences no longer reported.
    if !p.reopened_occurrences.is_empty() {
        let mut upd = tx
            .prepare_cached(
                "UPDATE occurrences SET open = 1, closed_at = NULL, last_seen = NULL WHERE id = ?1",
            )
            .map_err(db("reopening occurrences"))?;
        for id in &p.reopened_occurrences {
            upd.execute([id]).map_err(db("reopening occurrences"))?;
        }
    }
    if !p.closed_occurrences.is_empty() {
        let last_seen = scope.last_scan_at.unwrap_or(now);
        let mut upd = tx
            .prepare_cached(
                "UPDATE occurrences SET open = 0, closed_at = ?1, last_seen = ?2 WHERE id = ?3",
            )
            .map_err(db("closing occurrences"))?;
        for id in &p.closed_occurrences {
            upd.execute(params![now, last_seen, id])
                .map_err(db("closing occurrences"))?;
        }
    }

    // 6. Findings fixed; 7. findings reopened (regressions). Each with its event.
    if !p.fixed_findings.is_empty() {
        let mut upd = tx
            .prepare_cached("UPDATE findings SET status = 'fixed', fixed_at = ?1 WHERE id = ?2")
            .map_err(db("fixing findings"))?;
        let mut ev = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, scan_id, at, kind, from_status, to_status)
                 VALUES (?1, ?2, ?3, 'fixed', 'open', 'fixed')",
            )
            .map_err(db("fixing findings"))?;
        for id in &p.fixed_findings {
            upd.execute(params![now, id])
                .map_err(db("fixing findings"))?;
            ev.execute(params![id, first_scan, now])
                .map_err(db("fixing findings"))?;
        }
    }
    if !p.reopened_findings.is_empty() {
        let mut upd = tx
            .prepare_cached(
                "UPDATE findings SET status = 'open', fixed_at = NULL, reopened = reopened + 1 WHERE id = ?1",
            )
            .map_err(db("reopening findings"))?;
        let mut ev = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, scan_id, at, kind, from_status, to_status)
                 VALUES (?1, ?2, ?3, 'reopened', 'fixed', 'open')",
            )
            .map_err(db("reopening findings"))?;
        for id in &p.reopened_findings {
            upd.execute([id]).map_err(db("reopening findings"))?;
            ev.execute(params![id, first_scan, now])
                .map_err(db("reopening findings"))?;
        }
    }
    Ok(())
}

pub(super) fn identical_report(
    conn: &Connection,
    asset: &str,
    branch: &str,
    target: &str,
    sha256: &str,
) -> Result<Option<Vec<ScopeOutcome>>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT s.tool, s.last_digest = ?3,
                    (SELECT occurrences FROM scans WHERE scope_id = s.id ORDER BY id DESC LIMIT 1)
               FROM scopes s JOIN assets a ON a.id = s.asset_id
              WHERE a.name = ?1 AND s.branch = ?2 AND s.target = ?4
                AND EXISTS (SELECT 1 FROM scans sc WHERE sc.scope_id = s.id AND sc.report_sha256 = ?3)
              ORDER BY s.tool",
        )
        .map_err(StoreError::db("looking up the report"))?;
    let rows = stmt
        .query_map(
            params![asset.trim(), branch.trim(), sha256, target.trim()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as usize,
                ))
            },
        )
        .map_err(StoreError::db("looking up the report"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("looking up the report"))?;
    if rows.is_empty() || rows.iter().any(|(_, current, _)| !current) {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|(tool, _, occurrences)| ScopeOutcome {
                tool,
                branch: branch.trim().to_string(),
                target: target.trim().to_string(),
                scan_ids: Vec::new(),
                identical: true,
                occurrences,
                summary: posture_engine::PlanSummary {
                    unchanged: occurrences,
                    ..Default::default()
                },
            })
            .collect(),
    ))
}

/// Moves every occurrence of `from` to `into`, marks `from` as merged, and logs it on both.
pub(super) fn merge_findings(
    tx: &Transaction<'_>,
    from: i64,
    into: i64,
    scan_id: i64,
    now: i64,
    actor: Option<&str>,
    reason: &str,
) -> Result<(), StoreError> {
    let db = StoreError::db("merging findings");
    tx.execute(
        "UPDATE occurrences SET finding_id = ?1 WHERE finding_id = ?2",
        params![into, from],
    )
    .map_err(StoreError::db("merging findings"))?;
    tx.execute(
        "UPDATE findings SET merged_into = ?1 WHERE id = ?2 OR merged_into = ?2",
        params![into, from],
    )
    .map_err(StoreError::db("merging findings"))?;
    tx.execute("UPDATE findings SET risk_score = -1 WHERE id = ?1", [into])
        .map_err(StoreError::db("merging findings"))?;
    // the surviving finding is open if any of its occurrences is
    tx.execute(
        "UPDATE findings SET status = 'open', fixed_at = NULL
          WHERE id = ?1 AND status = 'fixed'
            AND EXISTS (SELECT 1 FROM occurrences WHERE finding_id = ?1 AND open = 1)",
        [into],
    )
    .map_err(StoreError::db("merging findings"))?;
    let scan = (scan_id > 0).then_some(scan_id);
    let mut ev = tx
        .prepare_cached(
            "INSERT INTO events (finding_id, scan_id, at, kind, actor, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(StoreError::db("merging findings"))?;
    ev.execute(params![
        from,
        scan,
        now,
        "merged",
        actor,
        format!("merged into finding {into}: {reason}")
    ])
    .map_err(StoreError::db("merging findings"))?;
    ev.execute(params![
        into,
        scan,
        now,
        "merged",
        actor,
        format!("finding {from} merged into it: {reason}")
    ])
    .map_err(db)?;
    Ok(())
}
