//! The ingest transaction on SQLite: the SQL of each step of [`crate::ingest_flow`], inside
//! one `BEGIN IMMEDIATE` transaction; the plan is written with cached prepared statements.

use crate::ingest_flow::{
    self, ApplyCtx, IngestTx, NewScan, ScopeState, creates_finding, resolve_new_ids,
};
use crate::sql::ingest as ingest_sql;
use crate::{IngestBatch, IngestOutcome, StoreError};
use posture_engine::{
    CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef, IngestPlan, OccurrenceRef,
    Thresholds,
};
use posture_model::Component;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use std::collections::HashMap;

pub(super) fn ingest(
    conn: &mut Connection,
    batch: IngestBatch,
    audit: crate::AuditOf<'_, IngestOutcome>,
) -> Result<IngestOutcome, StoreError> {
    ingest_flow::batch_scope(&batch)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::db("starting the ingest transaction"))?;
    let outcome = ingest_flow::run(&mut SqliteIngest(&tx), batch)?;
    if let Some(entry) = audit(&outcome) {
        crate::sql::access::record_audit(&mut &*tx, &entry)?;
    }
    tx.commit()
        .map_err(StoreError::db("committing the ingest"))?;
    Ok(outcome)
}

/// The ingest steps on an open SQLite transaction.
struct SqliteIngest<'a>(&'a Transaction<'a>);

impl IngestTx for SqliteIngest<'_> {
    fn asset_id(&mut self, name: &str, now: i64) -> Result<i64, StoreError> {
        ingest_sql::asset_id(&mut &**self.0, name, now)
    }

    fn default_branch(&mut self, asset_id: i64) -> Result<String, StoreError> {
        ingest_sql::default_branch(&mut &**self.0, asset_id)
    }

    fn scope(
        &mut self,
        asset_id: i64,
        tool: &str,
        branch: &str,
        target: &str,
    ) -> Result<ScopeState, StoreError> {
        ingest_sql::scope(&mut &**self.0, asset_id, tool, branch, target)
    }

    fn insert_scan(&mut self, s: &NewScan<'_>) -> Result<i64, StoreError> {
        ingest_sql::insert_scan(&mut &**self.0, s)
    }

    fn load_scope(&mut self, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError> {
        ingest_sql::load_scope(&mut &**self.0, scope_id)
    }

    fn load_findings(
        &mut self,
        asset_id: i64,
        scope_id: i64,
    ) -> Result<Vec<ExistingFinding>, StoreError> {
        ingest_sql::load_findings(&mut &**self.0, asset_id, scope_id)
    }

    fn load_correlation(
        &mut self,
        asset_id: i64,
        thresholds: Thresholds,
    ) -> Result<CorrelationInput, StoreError> {
        ingest_sql::load_correlation(&mut &**self.0, asset_id, thresholds)
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
        ingest_sql::finish_scope(
            &mut &**self.0,
            scope_id,
            now,
            digest,
            scan_ids,
            summary_json,
        )
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
        ingest_sql::merge_findings(&mut &**tx, from, into, first_scan, now, None, &m.reason)?;
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
    ingest_sql::promote(&mut &**tx, &p.promoted_findings, first_scan, now)?;
    Ok(())
}
