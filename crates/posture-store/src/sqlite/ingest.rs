//! The ingest transaction on SQLite: the SQL of each step of [`crate::ingest_flow`], inside
//! one `BEGIN IMMEDIATE` transaction; the plan is written with cached prepared statements.

use crate::ingest_flow::{
    self, ApplyCtx, IngestTx, NewScan, ScopeState, blob16, creates_finding, resolve_new_ids,
};
use crate::{IngestBatch, IngestOutcome, ScopeOutcome, StoreError};
use posture_engine::{
    CorrelationCandidate, CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef,
    IngestPlan, OccurrenceRef, Thresholds,
};
use posture_model::Component;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use std::collections::HashMap;

pub(super) fn ingest(
    conn: &mut Connection,
    batch: IngestBatch,
) -> Result<IngestOutcome, StoreError> {
    ingest_flow::batch_scope(&batch)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::db("starting the ingest transaction"))?;
    let outcome = ingest_flow::run(&mut SqliteIngest(&tx), batch)?;
    tx.commit()
        .map_err(StoreError::db("committing the ingest"))?;
    Ok(outcome)
}

/// The ingest steps on an open SQLite transaction.
struct SqliteIngest<'a>(&'a Transaction<'a>);

impl IngestTx for SqliteIngest<'_> {
    fn asset_id(&mut self, name: &str, now: i64) -> Result<i64, StoreError> {
        self.0
            .execute(
                "INSERT INTO assets (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, now],
            )
            .map_err(StoreError::db("recording the asset"))?;
        self.0
            .query_row("SELECT id FROM assets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .map_err(StoreError::db("recording the asset"))
    }

    fn default_branch(&mut self, asset_id: i64) -> Result<String, StoreError> {
        self.0
            .query_row(
                "SELECT default_branch FROM assets WHERE id = ?1",
                [asset_id],
                |r| r.get(0),
            )
            .map_err(StoreError::db("reading the asset's default branch"))
    }

    fn scope(
        &mut self,
        asset_id: i64,
        tool: &str,
        branch: &str,
        target: &str,
    ) -> Result<ScopeState, StoreError> {
        let tx = self.0;
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
                Ok(ScopeState {
                    id: r.get(0)?,
                    last_scan_at: r.get(1)?,
                    last_digest: r.get(2)?,
                })
            },
        )
        .map_err(StoreError::db("recording the scope"))
    }

    fn insert_scan(&mut self, s: &NewScan<'_>) -> Result<i64, StoreError> {
        self.0
            .execute(
                "INSERT INTO scans (scope_id, tool_version, format, commit_sha, kind, report_name,
                                    report_sha256, at, occurrences, summary, diagnostics)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '{}', ?10)",
                params![
                    s.scope_id,
                    s.tool_version,
                    s.format,
                    s.commit,
                    s.kind,
                    s.report_name,
                    s.report_sha256,
                    s.at,
                    s.occurrences,
                    s.diagnostics_json,
                ],
            )
            .map_err(StoreError::db("recording the scan"))?;
        Ok(self.0.last_insert_rowid())
    }

    fn load_scope(&mut self, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError> {
        load_scope(self.0, scope_id)
    }

    fn load_findings(
        &mut self,
        asset_id: i64,
        scope_id: i64,
    ) -> Result<Vec<ExistingFinding>, StoreError> {
        load_findings(self.0, asset_id, scope_id)
    }

    fn load_correlation(
        &mut self,
        asset_id: i64,
        thresholds: Thresholds,
    ) -> Result<CorrelationInput, StoreError> {
        load_correlation(self.0, asset_id, thresholds)
    }

    fn apply(&mut self, ctx: &ApplyCtx<'_>, plan: &IngestPlan) -> Result<(), StoreError> {
        apply(self.0, ctx, plan)
    }

    fn finish_scope(
        &mut self,
        scope_id: i64,
        now: i64,
        digest: &str,
        scan_ids: &[i64],
        summary_json: &str,
    ) -> Result<(), StoreError> {
        self.0
            .execute(
                "UPDATE scopes SET last_scan_at = ?1, last_digest = ?2, retired_at = NULL WHERE id = ?3",
                params![now, digest, scope_id],
            )
            .map_err(StoreError::db("updating the scope"))?;
        for id in scan_ids {
            self.0
                .execute(
                    "UPDATE scans SET summary = ?1 WHERE id = ?2",
                    params![summary_json, id],
                )
                .map_err(StoreError::db("recording the scan summary"))?;
        }
        Ok(())
    }

    fn replace_runtime(
        &mut self,
        asset_id: i64,
        target: &str,
        now: i64,
        components: &[Vec<Component>],
        report_scans: &HashMap<usize, i64>,
    ) -> Result<(), StoreError> {
        super::runtime::replace(self.0, asset_id, target, now, components, report_scans)
    }
}

fn load_scope(tx: &Transaction<'_>, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, fingerprint, finding_id, open, data_hash, relocation_key, place_key
               FROM occurrences WHERE scope_id = ?1",
        )
        .map_err(StoreError::db("loading the scope"))?;
    let rows = stmt
        .query_map([scope_id], |r| {
            let fp: Vec<u8> = r.get(1)?;
            let dh: Vec<u8> = r.get(4)?;
            let rk: Option<Vec<u8>> = r.get(5)?;
            let pk: Option<Vec<u8>> = r.get(6)?;
            Ok(ExistingOccurrence {
                id: r.get(0)?,
                fingerprint: blob16(&fp),
                finding_id: r.get(2)?,
                open: r.get::<_, i64>(3)? != 0,
                data_hash: blob16(&dh),
                relocation_key: rk.as_deref().map(blob16),
                place_key: pk.as_deref().map(blob16),
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
            // open occurrences elsewhere: on the asset's default branch only (the engine's rule)
            "SELECT t.id, f.key, t.status,
                    (SELECT COUNT(*) FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                      WHERE o.finding_id = t.id AND o.open = 1 AND o.scope_id <> ?2
                        AND s.branch = (SELECT default_branch FROM assets WHERE id = ?1)),
                    t.on_default
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
                on_default: r.get::<_, i64>(4)? != 0,
            })
        })
        .map_err(StoreError::db("loading the asset's findings"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("loading the asset's findings"))
}

fn apply(tx: &Transaction<'_>, ctx: &ApplyCtx<'_>, p: &IngestPlan) -> Result<(), StoreError> {
    let (asset_id, scope, now, report, first_scan) =
        (ctx.asset_id, ctx.scope, ctx.now, ctx.report, ctx.first_scan);
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
                "INSERT INTO findings (asset_id, key, category, severity, title, rule_id, status, first_seen,
                                       on_default)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8)",
            )
            .map_err(db("creating findings"))?;
        for (k, &idx) in p.new_findings.iter().enumerate() {
            if !creates_finding(p, k) {
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
                p.on_default,
            ])
            .map_err(db("creating findings"))?;
            new_ids[k] = tx.last_insert_rowid();
        }
        resolve_new_ids(p, &mut new_ids);
    }
    let new_finding_rows = new_ids.iter().filter(|id| **id > max_before).count();
    // a branch finding is not on the default branch: no `opened` event until it is
    if new_finding_rows > 0 && p.on_default {
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
                                          link_confidence, link_reason, link_occurrence, relocation_key,
                                          place_key)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
                ctx.scan_of(n.index),
                &o.data_hash.0[..],
                o.summary.severity as i64,
                o.data,
                o.features_json,
                link_confidence,
                link_reason,
                link_occurrence,
                o.relocation_key.as_ref().map(|k| k.0.to_vec()),
                o.place_key.as_ref().map(|k| k.0.to_vec()),
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
                                        fingerprint = ?6, relocation_key = ?7, features = ?8,
                                        place_key = ?9
                  WHERE id = ?5",
            )
            .map_err(db("updating occurrences"))?;
        // changed evidence (a new path, another rating) can change owner and risk
        let mut stale = tx
            .prepare_cached(
                "UPDATE findings SET risk_score = -1
                  WHERE id = (SELECT finding_id FROM occurrences WHERE id = ?1)",
            )
            .map_err(db("updating occurrences"))?;
        for &(id, idx) in &p.changed_occurrences {
            let Some(o) = report.occurrences.get(idx) else {
                return Err(StoreError::Corrupt("plan points past the report".into()));
            };
            upd.execute(params![
                o.data,
                &o.data_hash.0[..],
                ctx.scan_of(idx),
                o.summary.severity as i64,
                id,
                &o.fingerprint.0[..],
                o.relocation_key.as_ref().map(|k| k.0.to_vec()),
                o.features_json,
                o.place_key.as_ref().map(|k| k.0.to_vec()),
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
    // 8. Branch findings now reported on the default branch: opened now.
    if !p.promoted_findings.is_empty() {
        let mut upd = tx
            .prepare_cached(
                "UPDATE findings SET on_default = 1, status = 'open', fixed_at = NULL, first_seen = ?2,
                                     risk_score = -1
                  WHERE id = ?1",
            )
            .map_err(db("promoting branch findings"))?;
        let mut ev = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, scan_id, at, kind, to_status)
                 VALUES (?1, ?2, ?3, 'opened', 'open')",
            )
            .map_err(db("promoting branch findings"))?;
        for id in &p.promoted_findings {
            upd.execute(params![id, now])
                .map_err(db("promoting branch findings"))?;
            ev.execute(params![id, first_scan, now])
                .map_err(db("promoting branch findings"))?;
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
            "SELECT s.tool, COALESCE(s.last_digest = ?3, 0),
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
    // the survivor is on the default branch if either was
    tx.execute(
        "UPDATE findings SET on_default = MAX(on_default, (SELECT on_default FROM findings WHERE id = ?2))
          WHERE id = ?1",
        params![into, from],
    )
    .map_err(StoreError::db("merging findings"))?;
    // the surviving finding is open if any of its occurrences on the default branch is
    tx.execute(
        "UPDATE findings SET status = 'open', fixed_at = NULL
          WHERE id = ?1 AND status = 'fixed'
            AND EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                          JOIN assets a ON a.id = s.asset_id
                         WHERE o.finding_id = ?1 AND o.open = 1 AND s.branch = a.default_branch)",
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
