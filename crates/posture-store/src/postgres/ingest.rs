//! The ingest transaction on PostgreSQL: the SQL of each step of [`crate::ingest_flow`].
//!
//! The whole ingest is one transaction that first takes the asset's advisory lock, so two
//! uploads for one asset (from two server processes, or two CI jobs) run one after the other
//! and each sees what the other wrote: no finding is lost or doubled. New rows take their ids
//! from the sequences up front (one `nextval` query per table) and go in with
//! `COPY ... FROM STDIN BINARY`; updates are one statement per kind over arrays (`unnest`).

use super::{asset_lock, lock, text};
use crate::ingest_flow::{
    self, ApplyCtx, IngestTx, NewScan, ScopeState, creates_finding, resolve_new_ids,
};
use crate::sql::ingest as ingest_sql;
use crate::{IngestBatch, IngestOutcome, StoreError};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, Transaction};
use posture_engine::{
    CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef, IngestPlan, OccurrenceRef,
    Thresholds,
};
use posture_model::Component;
use std::collections::HashMap;

pub(super) fn ingest(
    client: &mut Client,
    batch: IngestBatch,
    audit: crate::AuditOf<'_, IngestOutcome>,
) -> Result<IngestOutcome, StoreError> {
    let (asset, _, _) = ingest_flow::batch_scope(&batch)?;
    let mut tx = client
        .transaction()
        .map_err(StoreError::pg("starting the ingest transaction"))?;
    lock(
        &mut tx,
        asset_lock(&asset),
        "waiting for the asset's other ingest",
    )?;
    let outcome = ingest_flow::run(&mut PgIngest { tx: &mut tx }, batch)?;
    if let Some(entry) = audit(&outcome) {
        crate::sql::access::record_audit(&mut tx, &entry)?;
    }
    tx.commit()
        .map_err(StoreError::pg("committing the ingest"))?;
    Ok(outcome)
}

struct PgIngest<'a, 'b> {
    tx: &'a mut Transaction<'b>,
}

/// Ids from a table's sequence, in order.
fn next_ids(tx: &mut Transaction<'_>, table: &str, n: usize) -> Result<Vec<i64>, StoreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            &format!("SELECT nextval('{table}_id_seq') FROM generate_series(1, $1::bigint)"),
            &[&(n as i64)],
        )
        .map_err(StoreError::pg("allocating row ids"))?;
    rows.iter()
        .map(|r| r.try_get::<_, i64>(0))
        .collect::<Result<_, _>>()
        .map_err(StoreError::pg("allocating row ids"))
}

/// Streams rows into `table` with binary COPY.
fn copy_rows<'r, I>(
    tx: &mut Transaction<'_>,
    statement: &str,
    types: &[Type],
    rows: I,
    context: &'static str,
) -> Result<u64, StoreError>
where
    I: IntoIterator<Item = Vec<&'r (dyn ToSql + Sync)>>,
{
    let e = StoreError::pg(context);
    let sink = tx.copy_in(statement).map_err(e)?;
    let mut writer = BinaryCopyInWriter::new(sink, types);
    for row in rows {
        writer.write(&row).map_err(e)?;
    }
    writer.finish().map_err(e)
}

impl IngestTx for PgIngest<'_, '_> {
    fn asset_id(&mut self, name: &str, now: i64) -> Result<i64, StoreError> {
        ingest_sql::asset_id(&mut *self.tx, name, now)
    }

    fn default_branch(&mut self, asset_id: i64) -> Result<String, StoreError> {
        ingest_sql::default_branch(&mut *self.tx, asset_id)
    }

    fn scope(
        &mut self,
        asset_id: i64,
        tool: &str,
        branch: &str,
        target: &str,
    ) -> Result<ScopeState, StoreError> {
        ingest_sql::scope(&mut *self.tx, asset_id, tool, branch, target)
    }

    fn insert_scan(&mut self, s: &NewScan<'_>) -> Result<i64, StoreError> {
        ingest_sql::insert_scan(&mut *self.tx, s)
    }

    fn load_scope(&mut self, scope_id: i64) -> Result<Vec<ExistingOccurrence>, StoreError> {
        ingest_sql::load_scope(&mut *self.tx, scope_id)
    }

    fn load_findings(
        &mut self,
        asset_id: i64,
        scope_id: i64,
    ) -> Result<Vec<ExistingFinding>, StoreError> {
        ingest_sql::load_findings(&mut *self.tx, asset_id, scope_id)
    }

    fn load_correlation(
        &mut self,
        asset_id: i64,
        thresholds: Thresholds,
    ) -> Result<CorrelationInput, StoreError> {
        ingest_sql::load_correlation(&mut *self.tx, asset_id, thresholds)
    }

    fn apply(&mut self, ctx: &ApplyCtx<'_>, plan: &IngestPlan) -> Result<(), StoreError> {
        apply(self.tx, ctx, plan)
    }

    fn finish_scope(
        &mut self,
        scope_id: i64,
        now: i64,
        digest: &str,
        scan_ids: &[i64],
        summary_json: &str,
    ) -> Result<(), StoreError> {
        ingest_sql::finish_scope(&mut *self.tx, scope_id, now, digest, scan_ids, summary_json)
    }

    fn replace_runtime(
        &mut self,
        asset_id: i64,
        target: &str,
        now: i64,
        components: &[Vec<Component>],
        report_scans: &HashMap<usize, i64>,
    ) -> Result<(), StoreError> {
        super::runtime::replace(self.tx, asset_id, target, now, components, report_scans)
    }
}

fn apply(tx: &mut Transaction<'_>, ctx: &ApplyCtx<'_>, p: &IngestPlan) -> Result<(), StoreError> {
    let (asset_id, now, report, first_scan) = (ctx.asset_id, ctx.now, ctx.report, ctx.first_scan);
    let occurrence = |idx: usize| {
        report
            .occurrences
            .get(idx)
            .ok_or_else(|| StoreError::Corrupt("plan points past the report".into()))
    };

    // 1. New findings (ids taken up front), and their `opened` events.
    let creatable: Vec<usize> = (0..p.new_findings.len())
        .filter(|&k| creates_finding(p, k))
        .collect();
    let ids = next_ids(tx, "findings", creatable.len())?;
    let mut new_ids: Vec<i64> = vec![0; p.new_findings.len()];
    let mut finding_rows = Vec::with_capacity(creatable.len());
    for (&k, &id) in creatable.iter().zip(&ids) {
        let idx = p
            .new_findings
            .get(k)
            .copied()
            .ok_or_else(|| StoreError::Corrupt("plan points past new findings".into()))?;
        let o = occurrence(idx)?;
        new_ids[k] = id;
        finding_rows.push((
            id,
            &o.fingerprint.0[..],
            o.summary.category.as_str(),
            o.summary.severity as i64,
            text(&o.summary.title),
            text(&o.summary.rule_id),
        ));
    }
    resolve_new_ids(p, &mut new_ids);
    if !finding_rows.is_empty() {
        copy_rows(
            tx,
            "COPY findings (id, asset_id, key, category, severity, title, rule_id, status, first_seen,
                            on_default)
             FROM STDIN BINARY",
            &[
                Type::INT8,
                Type::INT8,
                Type::BYTEA,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::BOOL,
            ],
            finding_rows.iter().map(|r| {
                let row: Vec<&(dyn ToSql + Sync)> = vec![
                    &r.0,
                    &asset_id,
                    &r.1,
                    &r.2,
                    &r.3,
                    &r.4,
                    &r.5,
                    &"open",
                    &now,
                    &p.on_default,
                ];
                row
            }),
            "creating findings",
        )?;
    }
    // a branch finding is not on the default branch: no `opened` event until it is
    if !finding_rows.is_empty() && p.on_default {
        let created: Vec<i64> = finding_rows.iter().map(|r| r.0).collect();
        tx.execute(
            "INSERT INTO events (finding_id, scan_id, at, kind, to_status)
             SELECT id, $2, $3, 'opened', 'open' FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)
              ORDER BY n",
            &[&created, &first_scan, &now],
        )
        .map_err(StoreError::pg("recording opened events"))?;
    }

    // 2. New occurrences (with how they joined their finding), then suggested duplicates.
    let occurrence_ids = next_ids(tx, "occurrences", p.new_occurrences.len())?;
    let mut new_occurrence_ids: HashMap<usize, i64> =
        HashMap::with_capacity(p.new_occurrences.len());
    let mut bumps: (Vec<i64>, Vec<i64>) = (Vec::new(), Vec::new());
    struct OccRow<'r> {
        id: i64,
        finding_id: i64,
        fingerprint: &'r [u8],
        tier: &'r str,
        scan_id: i64,
        data_hash: &'r [u8],
        severity: i64,
        data: &'r str,
        features: &'r str,
        link_confidence: Option<f64>,
        link_reason: Option<std::borrow::Cow<'r, str>>,
        link_occurrence: Option<i64>,
        relocation_key: Option<&'r [u8]>,
        place_key: Option<&'r [u8]>,
    }
    let mut occ_rows: Vec<OccRow<'_>> = Vec::with_capacity(p.new_occurrences.len());
    for (n, &id) in p.new_occurrences.iter().zip(&occurrence_ids) {
        let o = occurrence(n.index)?;
        let (link_confidence, link_reason, link_occurrence) = match &n.link {
            None => (None, None, None),
            Some(l) => (
                Some(f64::from(l.confidence)),
                Some(text(&l.reason)),
                match l.matched {
                    Some(OccurrenceRef::Existing(id)) => Some(id),
                    Some(OccurrenceRef::New(i)) => new_occurrence_ids.get(&i).copied(),
                    None => None,
                },
            ),
        };
        let finding_id = match p.resolve(n.finding) {
            FindingRef::Existing(fid) => {
                bumps.0.push(fid);
                bumps.1.push(o.summary.severity as i64);
                fid
            }
            FindingRef::New(k) => *new_ids
                .get(k)
                .ok_or_else(|| StoreError::Corrupt("plan points past new findings".into()))?,
        };
        occ_rows.push(OccRow {
            id,
            finding_id,
            fingerprint: &o.fingerprint.0[..],
            tier: o.tier.as_str(),
            scan_id: ctx.scan_of(n.index),
            data_hash: &o.data_hash.0[..],
            severity: o.summary.severity as i64,
            data: &o.data,
            features: &o.features_json,
            link_confidence,
            link_reason,
            link_occurrence,
            relocation_key: o.relocation_key.as_ref().map(|k| &k.0[..]),
            place_key: o.place_key.as_ref().map(|k| &k.0[..]),
        });
        new_occurrence_ids.insert(n.index, id);
    }
    if !bumps.0.is_empty() {
        tx.execute(
            // a new occurrence can change the finding's risk: assess it again
            "UPDATE findings f SET severity = GREATEST(f.severity, v.severity), risk_score = -1
               FROM (SELECT id, MAX(severity) AS severity
                       FROM unnest($1::bigint[], $2::bigint[]) AS t(id, severity) GROUP BY id) v
              WHERE f.id = v.id",
            &[&bumps.0, &bumps.1],
        )
        .map_err(StoreError::pg("recording occurrences"))?;
    }
    if !occ_rows.is_empty() {
        let scope_id = ctx.scope.id;
        copy_rows(
            tx,
            "COPY occurrences (id, scope_id, finding_id, fingerprint, tier, open, first_seen,
                               scan_id, data_hash, severity, data, features,
                               link_confidence, link_reason, link_occurrence, relocation_key,
                               place_key)
             FROM STDIN BINARY",
            &[
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::BYTEA,
                Type::TEXT,
                Type::BOOL,
                Type::INT8,
                Type::INT8,
                Type::BYTEA,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::FLOAT8,
                Type::TEXT,
                Type::INT8,
                Type::BYTEA,
                Type::BYTEA,
            ],
            occ_rows.iter().map(|r| {
                let row: Vec<&(dyn ToSql + Sync)> = vec![
                    &r.id,
                    &scope_id,
                    &r.finding_id,
                    &r.fingerprint,
                    &r.tier,
                    &true,
                    &now,
                    &r.scan_id,
                    &r.data_hash,
                    &r.severity,
                    &r.data,
                    &r.features,
                    &r.link_confidence,
                    &r.link_reason,
                    &r.link_occurrence,
                    &r.relocation_key,
                    &r.place_key,
                ];
                row
            }),
            "recording occurrences",
        )?;
    }

    if !p.suggestions.is_empty() {
        let resolve = |r: FindingRef| match p.resolve(r) {
            FindingRef::Existing(id) => Some(id),
            FindingRef::New(k) => new_ids.get(k).copied(),
        };
        let (mut a_ids, mut b_ids, mut confidences, mut reasons) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for sug in &p.suggestions {
            if let (Some(a), Some(b)) = (resolve(sug.finding), resolve(sug.other))
                && a != b
            {
                a_ids.push(a);
                b_ids.push(b);
                confidences.push(f64::from(sug.confidence));
                reasons.push(text(&sug.reason));
            }
        }
        tx.execute(
            "INSERT INTO suggestions (asset_id, finding_id, other_finding_id, confidence, reason, state, created_at)
             SELECT $1, a, b, c, r, 'open', $6
               FROM unnest($2::bigint[], $3::bigint[], $4::float8[], $5::text[]) WITH ORDINALITY AS t(a, b, c, r, n)
              ORDER BY n",
            &[&asset_id, &a_ids, &b_ids, &confidences, &reasons, &now],
        )
        .map_err(StoreError::pg("recording suggested duplicates"))?;
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
        ingest_sql::merge_findings(tx, from, into, first_scan, now, None, &m.reason)?;
    }

    // 3. Seen again with changed data (moved lines, new locator; the fingerprint changes only
    // for an occurrence whose file was renamed).
    if !p.changed_occurrences.is_empty() {
        let mut ids = Vec::with_capacity(p.changed_occurrences.len());
        let mut data = Vec::with_capacity(ids.capacity());
        let mut hashes = Vec::with_capacity(ids.capacity());
        let mut scans = Vec::with_capacity(ids.capacity());
        let mut severities = Vec::with_capacity(ids.capacity());
        let mut fingerprints = Vec::with_capacity(ids.capacity());
        let mut relocation_keys: Vec<Option<&[u8]>> = Vec::with_capacity(ids.capacity());
        let mut features = Vec::with_capacity(ids.capacity());
        let mut place_keys: Vec<Option<&[u8]>> = Vec::with_capacity(ids.capacity());
        for &(id, idx) in &p.changed_occurrences {
            let o = occurrence(idx)?;
            ids.push(id);
            data.push(o.data.as_str());
            hashes.push(&o.data_hash.0[..]);
            scans.push(ctx.scan_of(idx));
            severities.push(o.summary.severity as i64);
            fingerprints.push(&o.fingerprint.0[..]);
            relocation_keys.push(o.relocation_key.as_ref().map(|k| &k.0[..]));
            features.push(o.features_json.as_str());
            place_keys.push(o.place_key.as_ref().map(|k| &k.0[..]));
        }
        tx.execute(
            "UPDATE occurrences o
                SET data = v.data, data_hash = v.data_hash, scan_id = v.scan_id,
                    severity = v.severity, fingerprint = v.fingerprint,
                    relocation_key = v.relocation_key, features = v.features,
                    place_key = v.place_key
               FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[],
                           $6::bytea[], $7::bytea[], $8::text[], $9::bytea[])
                    AS v(id, data, data_hash, scan_id, severity, fingerprint, relocation_key, features,
                         place_key)
              WHERE o.id = v.id",
            &[
                &ids,
                &data,
                &hashes,
                &scans,
                &severities,
                &fingerprints,
                &relocation_keys,
                &features,
                &place_keys,
            ],
        )
        .map_err(StoreError::pg("updating occurrences"))?;
        // changed evidence (a new path, another rating) can change owner and risk
        tx.execute(
            "UPDATE findings SET risk_score = -1
              WHERE id IN (SELECT finding_id FROM occurrences WHERE id = ANY($1))",
            &[&ids],
        )
        .map_err(StoreError::pg("updating occurrences"))?;
    }

    // 4. Occurrences back after being closed; 5. occurrences no longer reported.
    if !p.reopened_occurrences.is_empty() {
        tx.execute(
            "UPDATE occurrences SET open = TRUE, closed_at = NULL, last_seen = NULL
              WHERE id = ANY($1)",
            &[&p.reopened_occurrences],
        )
        .map_err(StoreError::pg("reopening occurrences"))?;
    }
    if !p.closed_occurrences.is_empty() {
        let last_seen = ctx.scope.last_scan_at.unwrap_or(now);
        tx.execute(
            "UPDATE occurrences SET open = FALSE, closed_at = $1, last_seen = $2 WHERE id = ANY($3)",
            &[&now, &last_seen, &p.closed_occurrences],
        )
        .map_err(StoreError::pg("closing occurrences"))?;
    }

    // 6. Findings fixed; 7. findings reopened (regressions). Each with its event.
    if !p.fixed_findings.is_empty() {
        let e = StoreError::pg("fixing findings");
        tx.execute(
            "UPDATE findings SET status = 'fixed', fixed_at = $1 WHERE id = ANY($2)",
            &[&now, &p.fixed_findings],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO events (finding_id, scan_id, at, kind, from_status, to_status)
             SELECT id, $2, $3, 'fixed', 'open', 'fixed'
               FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n) ORDER BY n",
            &[&p.fixed_findings, &first_scan, &now],
        )
        .map_err(e)?;
    }
    if !p.reopened_findings.is_empty() {
        let e = StoreError::pg("reopening findings");
        tx.execute(
            "UPDATE findings f SET status = 'open', fixed_at = NULL, reopened = f.reopened + t.times
               FROM (SELECT id, COUNT(*) AS times FROM unnest($1::bigint[]) AS u(id) GROUP BY id) t
              WHERE f.id = t.id",
            &[&p.reopened_findings],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT INTO events (finding_id, scan_id, at, kind, from_status, to_status)
             SELECT id, $2, $3, 'reopened', 'fixed', 'open'
               FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n) ORDER BY n",
            &[&p.reopened_findings, &first_scan, &now],
        )
        .map_err(e)?;
    }
    // 8. Branch findings now reported on the default branch: opened now.
    ingest_sql::promote(&mut *tx, &p.promoted_findings, first_scan, now)?;
    Ok(())
}
