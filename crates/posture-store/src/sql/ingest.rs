//! The statements of the ingest's steps that read and record ([`crate::ingest_flow`] orders the
//! steps; each back end writes the plan in bulk its own way), and the merge of two findings
//! (an ingest's decision or a person's).

use super::{Db, Sql, Value, args};
use crate::ingest_flow::{NewScan, ScopeState, blob16};
use crate::{ScopeOutcome, StoreError};
use posture_engine::{
    CorrelationCandidate, CorrelationInput, ExistingFinding, ExistingOccurrence, PlanSummary,
    Thresholds,
};

static NEW_ASSET: Sql = Sql::new(
    "recording the asset",
    "INSERT INTO assets (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
);
static ASSET_ID: Sql = Sql::new(
    "recording the asset",
    "SELECT id FROM assets WHERE name = ?",
);

/// The asset's id, recording the asset on first sight.
pub(crate) fn asset_id(db: &mut dyn Db, name: &str, now: i64) -> Result<i64, StoreError> {
    db.execute(&NEW_ASSET, args![name, now])?;
    db.one(&ASSET_ID, args![name], |r| r.get(0))
}

static DEFAULT_BRANCH: Sql = Sql::new(
    "reading the asset's default branch",
    "SELECT default_branch FROM assets WHERE id = ?",
);

/// The asset's default branch (see [`crate::branches`]).
pub(crate) fn default_branch(db: &mut dyn Db, asset_id: i64) -> Result<String, StoreError> {
    db.one(&DEFAULT_BRANCH, args![asset_id], |r| r.get(0))
}

static NEW_SCOPE: Sql = Sql::new(
    "recording the scope",
    "INSERT INTO scopes (asset_id, tool, branch, target) VALUES (?, ?, ?, ?)
     ON CONFLICT (asset_id, tool, branch, target) DO NOTHING",
);
static SCOPE: Sql = Sql::new(
    "recording the scope",
    "SELECT id, last_scan_at, last_digest FROM scopes
      WHERE asset_id = ? AND tool = ? AND branch = ? AND target = ?",
);

/// The scope's state, recording the scope on first sight.
pub(crate) fn scope(
    db: &mut dyn Db,
    asset_id: i64,
    tool: &str,
    branch: &str,
    target: &str,
) -> Result<ScopeState, StoreError> {
    db.execute(&NEW_SCOPE, args![asset_id, tool, branch, target])?;
    db.one(&SCOPE, args![asset_id, tool, branch, target], |r| {
        Ok(ScopeState {
            id: r.get(0)?,
            last_scan_at: r.get(1)?,
            last_digest: r.get(2)?,
        })
    })
}

static NEW_SCAN: Sql = Sql::new(
    "recording the scan",
    "INSERT INTO scans (scope_id, tool_version, format, commit_sha, kind, report_name,
                        report_sha256, at, occurrences, summary, diagnostics)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?) RETURNING id",
);

pub(crate) fn insert_scan(db: &mut dyn Db, s: &NewScan<'_>) -> Result<i64, StoreError> {
    db.one(
        &NEW_SCAN,
        args![
            s.scope_id,
            s.tool_version,
            s.format,
            s.commit,
            s.kind,
            s.report_name,
            s.report_sha256,
            s.at,
            s.occurrences,
            s.diagnostics_json.as_str(),
        ],
        |r| r.get(0),
    )
}

static SCOPE_OCCURRENCES: Sql = Sql::new(
    "loading the scope",
    "SELECT id, fingerprint, finding_id, open, data_hash, relocation_key, place_key
       FROM occurrences WHERE scope_id = ?",
);

pub(crate) fn load_scope(
    db: &mut dyn Db,
    scope_id: i64,
) -> Result<Vec<ExistingOccurrence>, StoreError> {
    db.rows(&SCOPE_OCCURRENCES, args![scope_id], |r| {
        let fp: Vec<u8> = r.get(1)?;
        let dh: Vec<u8> = r.get(4)?;
        let rk: Option<Vec<u8>> = r.get(5)?;
        let pk: Option<Vec<u8>> = r.get(6)?;
        Ok(ExistingOccurrence {
            id: r.get(0)?,
            fingerprint: blob16(&fp),
            finding_id: r.get(2)?,
            open: r.get(3)?,
            data_hash: blob16(&dh),
            relocation_key: rk.as_deref().map(blob16),
            place_key: pk.as_deref().map(blob16),
        })
    })
}

static ASSET_FINDINGS: Sql = Sql::new(
    "loading the asset's findings",
    // a merged finding's key leads to the finding it was merged into; open occurrences
    // elsewhere count on the asset's default branch only (the engine's rule)
    "SELECT t.id, f.key, t.status,
            (SELECT COUNT(*) FROM occurrences o JOIN scopes s ON s.id = o.scope_id
              WHERE o.finding_id = t.id AND o.open AND o.scope_id <> ?2
                AND s.branch = (SELECT default_branch FROM assets WHERE id = ?1)),
            t.on_default
       FROM findings f JOIN findings t ON t.id = COALESCE(f.merged_into, f.id)
      WHERE f.asset_id = ?1",
);

pub(crate) fn load_findings(
    db: &mut dyn Db,
    asset_id: i64,
    scope_id: i64,
) -> Result<Vec<ExistingFinding>, StoreError> {
    db.rows(&ASSET_FINDINGS, args![asset_id, scope_id], |r| {
        let key: Vec<u8> = r.get(1)?;
        let status: String = r.get(2)?;
        Ok(ExistingFinding {
            id: r.get(0)?,
            key: blob16(&key),
            fixed: status == "fixed",
            open_elsewhere: u32::try_from(r.get::<i64>(3)?.clamp(0, i64::from(u32::MAX)))
                .unwrap_or(u32::MAX),
            on_default: r.get(4)?,
        })
    })
}

static CANDIDATES: Sql = Sql::new(
    "loading correlation candidates",
    "SELECT o.id, o.finding_id, o.fingerprint, o.features
       FROM occurrences o
       JOIN scopes s ON s.id = o.scope_id
       JOIN findings f ON f.id = o.finding_id
      WHERE s.asset_id = ? AND f.merged_into IS NULL
      ORDER BY o.id",
);
static SEPARATIONS: Sql = Sql::new(
    "loading correlation decisions",
    "SELECT fp_a, fp_b FROM separations WHERE asset_id = ?",
);

pub(crate) fn load_correlation(
    db: &mut dyn Db,
    asset_id: i64,
    thresholds: Thresholds,
) -> Result<CorrelationInput, StoreError> {
    let mut input = CorrelationInput {
        thresholds,
        ..CorrelationInput::default()
    };
    db.each(&CANDIDATES, args![asset_id], &mut |r| {
        let features: String = r.get(3)?;
        // an occurrence whose features cannot be read is simply not a candidate
        if let Ok(features) = serde_json::from_str(&features) {
            let fp: Vec<u8> = r.get(2)?;
            input.candidates.push(CorrelationCandidate {
                occurrence_id: r.get(0)?,
                finding_id: r.get(1)?,
                fingerprint: blob16(&fp),
                features,
            });
        }
        Ok(())
    })?;
    let pairs = db.rows(&SEPARATIONS, args![asset_id], |r| {
        let a: Vec<u8> = r.get(0)?;
        let b: Vec<u8> = r.get(1)?;
        Ok((blob16(&a), blob16(&b)))
    })?;
    input.separated.extend(pairs);
    Ok(input)
}

static SCOPE_SCANNED: Sql = Sql::new(
    "updating the scope",
    // a retired branch's scope scanned again is active again
    "UPDATE scopes SET last_scan_at = ?, last_digest = ?, retired_at = NULL WHERE id = ?",
);
static SCAN_SUMMARY: Sql = Sql::new(
    "recording the scan summary",
    "UPDATE scans SET summary = ? WHERE id = ANY(?)",
);

pub(crate) fn finish_scope(
    db: &mut dyn Db,
    scope_id: i64,
    now: i64,
    digest: &str,
    scan_ids: &[i64],
    summary_json: &str,
) -> Result<(), StoreError> {
    db.execute(&SCOPE_SCANNED, args![now, digest, scope_id])?;
    if !scan_ids.is_empty() {
        db.execute(
            &SCAN_SUMMARY,
            args![summary_json, Value::Ints(scan_ids.to_vec())],
        )?;
    }
    Ok(())
}

static IDENTICAL: Sql = Sql::new(
    "looking up the report",
    "SELECT s.tool, COALESCE(s.last_digest = ?3, FALSE),
            (SELECT occurrences FROM scans WHERE scope_id = s.id ORDER BY id DESC LIMIT 1)
       FROM scopes s JOIN assets a ON a.id = s.asset_id
      WHERE a.name = ?1 AND s.branch = ?2 AND s.target = ?4
        AND EXISTS (SELECT 1 FROM scans sc WHERE sc.scope_id = s.id AND sc.report_sha256 = ?3)
      ORDER BY s.tool COLLATE \"C\"",
);

/// `Store::identical_report`.
pub(crate) fn identical_report(
    db: &mut dyn Db,
    asset: &str,
    branch: &str,
    target: &str,
    sha256: &str,
) -> Result<Option<Vec<ScopeOutcome>>, StoreError> {
    let rows = db.rows(
        &IDENTICAL,
        args![asset.trim(), branch.trim(), sha256, target.trim()],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<bool>(1)?,
                r.get::<Option<i64>>(2)?.unwrap_or(0).max(0),
            ))
        },
    )?;
    if rows.is_empty() || rows.iter().any(|(_, current, _)| !current) {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|(tool, _, occurrences)| {
                let occurrences = usize::try_from(occurrences).unwrap_or(usize::MAX);
                ScopeOutcome {
                    tool,
                    branch: branch.trim().to_string(),
                    target: target.trim().to_string(),
                    scan_ids: Vec::new(),
                    identical: true,
                    occurrences,
                    summary: PlanSummary {
                        unchanged: occurrences,
                        ..Default::default()
                    },
                }
            })
            .collect(),
    ))
}

static PROMOTE: Sql = Sql::new(
    "promoting branch findings",
    "UPDATE findings SET on_default = TRUE, status = 'open', fixed_at = NULL, first_seen = ?,
                         risk_score = -1
      WHERE id = ANY(?)",
);
static PROMOTED_EVENTS: Sql = Sql::new(
    "promoting branch findings",
    "INSERT INTO events (finding_id, scan_id, at, kind, to_status)
     SELECT id, ?, ?, 'opened', 'open' FROM findings WHERE id = ANY(?) ORDER BY id",
);

/// Branch findings a scan of the default branch reports (the engine's
/// `IngestPlan::promoted_findings`): on the default branch now, opened at this scan.
pub(crate) fn promote(
    db: &mut dyn Db,
    ids: &[i64],
    scan_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    db.execute(&PROMOTE, args![now, Value::Ints(ids.to_vec())])?;
    db.execute(
        &PROMOTED_EVENTS,
        args![scan_id, now, Value::Ints(ids.to_vec())],
    )?;
    Ok(())
}

static MOVE_OCCURRENCES: Sql = Sql::new(
    "merging findings",
    "UPDATE occurrences SET finding_id = ?1 WHERE finding_id = ?2",
);
static MARK_MERGED: Sql = Sql::new(
    "merging findings",
    "UPDATE findings SET merged_into = ?1 WHERE id = ?2 OR merged_into = ?2",
);
static REASSESS: Sql = Sql::new(
    "merging findings",
    "UPDATE findings SET risk_score = -1 WHERE id = ?",
);
static SURVIVOR_ON_DEFAULT: Sql = Sql::new(
    "merging findings",
    "UPDATE findings SET on_default = TRUE
      WHERE id = ?1 AND EXISTS (SELECT 1 FROM findings WHERE id = ?2 AND on_default)",
);
static REOPEN_SURVIVOR: Sql = Sql::new(
    "merging findings",
    "UPDATE findings SET status = 'open', fixed_at = NULL
      WHERE id = ?1 AND status = 'fixed'
        AND EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                      JOIN assets a ON a.id = s.asset_id
                     WHERE o.finding_id = ?1 AND o.open AND s.branch = a.default_branch)",
);
static MERGE_EVENTS: Sql = Sql::new(
    "merging findings",
    "INSERT INTO events (finding_id, scan_id, at, kind, actor, reason)
     VALUES (?1, ?3, ?4, 'merged', ?5, ?6), (?2, ?3, ?4, 'merged', ?5, ?7)",
);

/// Moves every occurrence of `from` to `into`, marks `from` as merged, and logs it on both
/// (inside the caller's write transaction).
pub(crate) fn merge_findings(
    db: &mut dyn Db,
    from: i64,
    into: i64,
    scan_id: i64,
    now: i64,
    actor: Option<&str>,
    reason: &str,
) -> Result<(), StoreError> {
    db.execute(&MOVE_OCCURRENCES, args![into, from])?;
    db.execute(&MARK_MERGED, args![into, from])?;
    db.execute(&REASSESS, args![into])?;
    // the survivor is on the default branch if either was, and open if any of its
    // occurrences on the default branch is
    db.execute(&SURVIVOR_ON_DEFAULT, args![into, from])?;
    db.execute(&REOPEN_SURVIVOR, args![into])?;
    let scan = (scan_id > 0).then_some(scan_id);
    db.execute(
        &MERGE_EVENTS,
        args![
            from,
            into,
            scan,
            now,
            actor,
            format!("merged into finding {into}: {reason}"),
            format!("finding {from} merged into it: {reason}")
        ],
    )?;
    Ok(())
}
