//! Reads (findings, events, scans) and triage writes. A finding list is one statement built
//! from the query's filters (each a condition with its arguments) and keyset pagination.

use super::workflow::event_row;
use super::{Db, Row, Sql, Value, args};
use crate::stored::{check_triage, display_status, hex, severity_from_rank, to_ms};
use crate::{
    BranchFilter, CorrelationRecord, EventRecord, FindingQuery, FindingRecord, FindingSort,
    OccurrenceRecord, ScanQuery, ScanRecord, StoreError, TriageChange,
};
use posture_model::{Category, FindingStatus, Occurrence};
use std::collections::HashMap;

/// The WHERE clause of a finding query, and its arguments in order.
fn where_clause(q: &FindingQuery) -> (String, Vec<Value<'_>>) {
    let mut conds: Vec<String> = vec!["f.merged_into IS NULL".into()];
    let mut args: Vec<Value<'_>> = Vec::new();
    if let Some(asset) = &q.asset {
        conds.push("a.name = ?".into());
        args.push(Value::text(asset));
    }
    let branch_view = matches!(q.branch, BranchFilter::Only(_));
    match &q.branch {
        // the default branches' findings: branch findings of merge requests are not listed
        BranchFilter::Default => conds.push("f.on_default".into()),
        // a branch view: what is open on the branch, whatever the default branch says
        BranchFilter::Only(b) => {
            conds.push(
                "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                          WHERE o.finding_id = f.id AND o.open AND s.branch = ?)"
                    .into(),
            );
            args.push(Value::text(b.trim()));
        }
        BranchFilter::Any => {}
    }
    if let Some(statuses) = &q.status {
        let mut ors = Vec::new();
        for s in statuses {
            ors.push(match (s, branch_view) {
                (FindingStatus::Fixed, false) => "f.status = 'fixed'",
                (FindingStatus::Open, false) => "(f.status = 'open' AND f.triage IS NULL)",
                (other, false) => {
                    args.push(Value::text(other.as_str()));
                    "(f.status = 'open' AND f.triage = ?)"
                }
                // in a branch view every finding is open on the branch: the status filters
                // by triage state, and `fixed` selects nothing
                (FindingStatus::Fixed, true) => "FALSE",
                (FindingStatus::Open, true) => "f.triage IS NULL",
                (other, true) => {
                    args.push(Value::text(other.as_str()));
                    "f.triage = ?"
                }
            });
        }
        if ors.is_empty() {
            ors.push("FALSE");
        }
        conds.push(format!("({})", ors.join(" OR ")));
    }
    if let Some(sevs) = &q.severity {
        conds.push("f.severity = ANY(?)".into());
        args.push(Value::Ints(sevs.iter().map(|s| *s as i64).collect()));
    }
    if let Some(c) = q.category {
        conds.push("f.category = ?".into());
        args.push(Value::text(c.as_str()));
    }
    if let Some(bands) = &q.band {
        conds.push("f.risk_band = ANY(?)".into());
        args.push(Value::texts(bands.iter().map(|b| b.to_ascii_uppercase())));
    }
    if let Some(team) = &q.team {
        conds.push("f.team = ?".into());
        args.push(Value::text(team));
    }
    if let Some(cursor) = &q.after {
        match (q.sort, cursor.key) {
            (FindingSort::Id, _) => {
                conds.push("f.id > ?".into());
                args.push(Value::Int(cursor.id));
            }
            // Not-yet-assessed findings are stored with a negative score: they come last.
            (FindingSort::Risk, key) => {
                let score = key.unwrap_or(-1.0);
                conds.push("f.risk_score <= ? AND (f.risk_score < ? OR f.id > ?)".into());
                args.extend([
                    Value::Real(score),
                    Value::Real(score),
                    Value::Int(cursor.id),
                ]);
            }
            (FindingSort::Severity, key) => {
                let rank = key.unwrap_or(0.0) as i64;
                conds.push("(f.severity < ? OR (f.severity = ? AND f.id > ?))".into());
                args.extend([Value::Int(rank), Value::Int(rank), Value::Int(cursor.id)]);
            }
        }
    }
    if let Some(tool) = &q.tool {
        conds.push(
            "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                     WHERE o.finding_id = f.id AND s.tool = ?)"
                .into(),
        );
        args.push(Value::text(tool.to_ascii_lowercase()));
    }
    search_conditions(&q.search, &mut conds, &mut args);
    (format!("WHERE {}", conds.join(" AND ")), args)
}

/// `text` as a LIKE pattern (lowercased; `%`, `_` and `\\` taken literally, with
/// `ESCAPE '\\'`), between `before` and `after`.
pub(crate) fn like_pattern(before: &str, text: &str, after: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push_str(before);
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str(after);
    out
}

/// An occurrence's JSON fields a search reads (`o.data`, the stored `Occurrence`).
const OCC_VULNS: &str = "lower(o.data::json ->> 'vulnerability_ids')";
const OCC_PACKAGE: &str = "lower(o.data::json -> 'package' ->> 'name')";
const OCC_PURL: &str = "lower(o.data::json -> 'package' ->> 'purl')";
const OCC_PATH: &str = "lower(o.data::json -> 'location' ->> 'path')";

/// The conditions of a [`crate::FindingSearch`]: each a condition on the finding's columns
/// or an `EXISTS` over its occurrences' stored data, so a search reads what it finds and
/// never loads the portfolio. Lists of ids are JSON text (`["CVE-1","GHSA-x"]`): an exact id
/// is the quoted id within it.
fn search_conditions<'a>(
    q: &'a crate::FindingSearch,
    conds: &mut Vec<String>,
    args: &mut Vec<Value<'a>>,
) {
    let occurrence = |cond: String| {
        format!("EXISTS (SELECT 1 FROM occurrences o WHERE o.finding_id = f.id AND ({cond}))")
    };
    let nonempty = |t: &'a Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(text) = nonempty(&q.text) {
        let like = " LIKE ? ESCAPE '\\'";
        conds.push(format!(
            "(lower(f.title){like} OR lower(f.rule_id){like} OR {})",
            occurrence(format!(
                "{OCC_VULNS}{like} OR {OCC_PACKAGE}{like} OR {OCC_PURL}{like} OR {OCC_PATH}{like}"
            ))
        ));
        let pattern = like_pattern("%", text, "%");
        for _ in 0..6 {
            args.push(Value::text(pattern.clone()));
        }
    }
    if let Some(id) = nonempty(&q.vulnerability) {
        conds.push(format!(
            "(lower(f.rule_id) = ? OR {})",
            occurrence(format!("{OCC_VULNS} LIKE ? ESCAPE '\\'"))
        ));
        args.push(Value::text(id.to_lowercase()));
        args.push(Value::text(like_pattern("%\"", id, "\"%")));
    }
    if let Some(package) = nonempty(&q.package) {
        if package.to_ascii_lowercase().starts_with("pkg:") {
            conds.push(occurrence(format!("{OCC_PURL} LIKE ? ESCAPE '\\'")));
            args.push(Value::text(like_pattern("", package, "%")));
        } else {
            conds.push(occurrence(format!("{OCC_PACKAGE} = ?")));
            args.push(Value::text(package.to_lowercase()));
        }
    }
    if let Some(path) = nonempty(&q.path) {
        conds.push(occurrence(format!("{OCC_PATH} LIKE ? ESCAPE '\\'")));
        args.push(Value::text(like_pattern("%", path, "%")));
    }
    if let Some(since) = q.changed_since {
        conds
            .push("EXISTS (SELECT 1 FROM events e WHERE e.finding_id = f.id AND e.at >= ?)".into());
        args.push(Value::Int(to_ms(since)));
    }
}

/// The columns [`finding_row`] reads, in its order.
const FINDING_COLUMNS: &str = "f.id, a.name, f.status, f.triage, f.triage_reason, f.severity,
    f.category, f.title, f.rule_id, f.first_seen, f.fixed_at, f.reopened, f.risk_score,
    f.risk_band, f.team, f.risk_version";

/// The columns [`occurrence_row`] reads, of `occurrences o`, `scopes s` and `scans sc`.
const OCCURRENCE_SELECT: &str = "SELECT o.finding_id, o.id, s.tool, s.branch, sc.report_name,
        o.scan_id, o.open, o.fingerprint, o.tier, o.first_seen,
        CASE WHEN o.open THEN s.last_scan_at ELSE o.last_seen END,
        o.closed_at, o.data, o.link_confidence, o.link_reason, o.link_occurrence
   FROM occurrences o
   JOIN scopes s ON s.id = o.scope_id
   JOIN scans sc ON sc.id = o.scan_id";

pub(crate) fn findings(
    db: &mut dyn Db,
    q: &FindingQuery,
) -> Result<Vec<FindingRecord>, StoreError> {
    let (clause, args) = where_clause(q);
    let limit = q.limit.map(|l| format!("LIMIT {l}")).unwrap_or_default();
    let order = match q.sort {
        FindingSort::Severity => "f.severity DESC, f.id",
        FindingSort::Risk => "f.risk_score DESC, f.id",
        FindingSort::Id => "f.id",
    };
    let ids_sql = format!(
        "SELECT f.id FROM findings f JOIN assets a ON a.id = f.asset_id {clause}
         ORDER BY {order} {limit}"
    );
    let sql = Sql::dynamic(
        "listing findings",
        format!(
            "SELECT {FINDING_COLUMNS}
               FROM findings f JOIN assets a ON a.id = f.asset_id
              WHERE f.id IN ({ids_sql})
              ORDER BY {order}"
        ),
    );
    let mut records = db.rows(&sql, &args, finding_row)?;
    if !q.without_occurrences {
        let occ = Sql::dynamic(
            "reading occurrences",
            format!(
                "{OCCURRENCE_SELECT} WHERE o.finding_id IN ({ids_sql}) ORDER BY o.finding_id, o.id"
            ),
        );
        attach_occurrences(db, &occ, &args, &mut records)?;
    }
    Ok(records)
}

static FINDING: Sql = Sql::new(
    "reading a finding",
    "SELECT f.id, a.name, f.status, f.triage, f.triage_reason, f.severity,
            f.category, f.title, f.rule_id, f.first_seen, f.fixed_at, f.reopened, f.risk_score,
            f.risk_band, f.team, f.risk_version
       FROM findings f JOIN assets a ON a.id = f.asset_id WHERE f.id = ?",
);

static FINDING_OCCURRENCES: Sql = Sql::new(
    "reading occurrences",
    "SELECT o.finding_id, o.id, s.tool, s.branch, sc.report_name,
            o.scan_id, o.open, o.fingerprint, o.tier, o.first_seen,
            CASE WHEN o.open THEN s.last_scan_at ELSE o.last_seen END,
            o.closed_at, o.data, o.link_confidence, o.link_reason, o.link_occurrence
       FROM occurrences o
       JOIN scopes s ON s.id = o.scope_id
       JOIN scans sc ON sc.id = o.scan_id
      WHERE o.finding_id = ?
      ORDER BY o.finding_id, o.id",
);

pub(crate) fn finding(db: &mut dyn Db, id: i64) -> Result<Option<FindingRecord>, StoreError> {
    let mut records = db.rows(&FINDING, args![id], finding_row)?;
    attach_occurrences(db, &FINDING_OCCURRENCES, args![id], &mut records)?;
    Ok(records.pop())
}

/// Findings with a stored risk to (re)compute: never assessed, or changed since.
pub(crate) fn unassessed_findings(
    db: &mut dyn Db,
    limit: usize,
) -> Result<Vec<FindingRecord>, StoreError> {
    let ids_sql = format!(
        "SELECT f.id FROM findings f
          WHERE f.risk_score < 0 AND f.merged_into IS NULL ORDER BY f.id LIMIT {limit}"
    );
    let sql = Sql::dynamic(
        "listing findings",
        format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id
              WHERE f.id IN ({ids_sql}) ORDER BY f.id"
        ),
    );
    let mut records = db.rows(&sql, args![], finding_row)?;
    let occ = Sql::dynamic(
        "reading occurrences",
        format!(
            "{OCCURRENCE_SELECT} WHERE o.finding_id IN ({ids_sql}) ORDER BY o.finding_id, o.id"
        ),
    );
    attach_occurrences(db, &occ, args![], &mut records)?;
    Ok(records)
}

/// A finding read with [`FINDING_COLUMNS`] (without its occurrences).
fn finding_row(r: &Row<'_>) -> Result<FindingRecord, StoreError> {
    let status: String = r.get(2)?;
    let triage: Option<String> = r.get(3)?;
    let category: String = r.get(6)?;
    let first_seen = r.time(9)?;
    Ok(FindingRecord {
        id: r.get(0)?,
        asset: r.get(1)?,
        status: display_status(&status, triage.as_deref()),
        triage: triage.as_deref().and_then(|t| t.parse().ok()),
        triage_reason: r.get(4)?,
        severity: severity_from_rank(r.get(5)?),
        category: category.parse().unwrap_or(Category::Sast),
        title: r.get(7)?,
        rule_id: r.get(8)?,
        first_seen,
        last_seen: first_seen,
        fixed_at: r.get::<Option<i64>>(10)?.map(crate::stored::from_ms),
        reopened: u32::try_from(r.get::<i64>(11)?.clamp(0, i64::from(u32::MAX))).unwrap_or(0),
        risk_score: Some(r.get::<f64>(12)?).filter(|s| *s >= 0.0),
        risk_band: r.get(13)?,
        team: r.get(14)?,
        risk_version: r.get(15)?,
        occurrences: Vec::new(),
    })
}

/// An occurrence read with [`OCCURRENCE_SELECT`], with the id of its finding.
fn occurrence_row(r: &Row<'_>) -> Result<(i64, OccurrenceRecord), StoreError> {
    let fid: i64 = r.get(0)?;
    let id: i64 = r.get(1)?;
    let fp: Vec<u8> = r.get(7)?;
    let data: String = r.get(12)?;
    let data: Occurrence = serde_json::from_str(&data).map_err(|e| {
        StoreError::Corrupt(format!("occurrence {id}: unreadable stored data: {e}"))
    })?;
    let first_seen = r.time(9)?;
    Ok((
        fid,
        OccurrenceRecord {
            id,
            tool: r.get(2)?,
            branch: r.get(3)?,
            report: r.get(4)?,
            scan_id: r.get(5)?,
            open: r.get(6)?,
            fingerprint: hex(&fp),
            identity_tier: r.get(8)?,
            first_seen,
            last_seen: r
                .get::<Option<i64>>(10)?
                .map(crate::stored::from_ms)
                .unwrap_or(first_seen),
            closed_at: r.get::<Option<i64>>(11)?.map(crate::stored::from_ms),
            correlation: match (r.get::<Option<f64>>(13)?, r.get::<Option<String>>(14)?) {
                (Some(confidence), Some(reason)) => Some(CorrelationRecord {
                    confidence,
                    reason,
                    matched_occurrence: r.get(15)?,
                }),
                _ => None,
            },
            data,
        },
    ))
}

fn attach_occurrences(
    db: &mut dyn Db,
    sql: &Sql,
    args: &[Value<'_>],
    records: &mut [FindingRecord],
) -> Result<(), StoreError> {
    let pos: HashMap<i64, usize> = records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    db.each(sql, args, &mut |r| {
        let (fid, rec) = occurrence_row(r)?;
        if let Some(&i) = pos.get(&fid)
            && let Some(f) = records.get_mut(i)
        {
            if rec.last_seen > f.last_seen {
                f.last_seen = rec.last_seen;
            }
            f.occurrences.push(rec);
        }
        Ok(())
    })
}

static EVENTS: Sql = Sql::new(
    "reading events",
    "SELECT id, finding_id, at, kind, scan_id, actor, from_status, to_status, reason,
            approver, role, expires_at
       FROM events WHERE finding_id = ? ORDER BY at, id",
);

pub(crate) fn events(db: &mut dyn Db, finding_id: i64) -> Result<Vec<EventRecord>, StoreError> {
    db.rows(&EVENTS, args![finding_id], event_row)
}

pub(crate) fn scans(db: &mut dyn Db, q: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError> {
    let mut conds = Vec::new();
    let mut args: Vec<Value<'_>> = Vec::new();
    if let Some(a) = &q.asset {
        conds.push("a.name = ?");
        args.push(Value::text(a));
    }
    if let Some(t) = &q.tool {
        conds.push("s.tool = ?");
        args.push(Value::text(t.to_ascii_lowercase()));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let limit = q.limit.map(|l| format!("LIMIT {l}")).unwrap_or_default();
    let sql = Sql::dynamic(
        "listing scans",
        format!(
            "SELECT sc.id, a.name, s.tool, sc.tool_version, sc.format, s.branch, sc.commit_sha,
                    sc.kind, sc.report_name, sc.report_sha256, sc.at, sc.occurrences, sc.summary,
                    sc.diagnostics
               FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
               {clause} ORDER BY sc.at DESC, sc.id DESC {limit}"
        ),
    );
    db.rows(&sql, &args, |r| {
        let summary: String = r.get(12)?;
        let diags: String = r.get(13)?;
        Ok(ScanRecord {
            id: r.get(0)?,
            asset: r.get(1)?,
            tool: r.get(2)?,
            tool_version: r.get(3)?,
            format: r.get(4)?,
            branch: r.get(5)?,
            commit: r.get(6)?,
            kind: r.get(7)?,
            report: r.get(8)?,
            sha256: r.get(9)?,
            at: r.time(10)?,
            occurrences: r.count(11)?,
            summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
            diagnostics: serde_json::from_str(&diags).unwrap_or_default(),
        })
    })
}

static TRIAGE_STATE: Sql = Sql::new(
    "recording the triage decision",
    "SELECT status, triage FROM findings WHERE id = ? FOR UPDATE",
);

static SET_TRIAGE: Sql = Sql::new(
    "recording the triage decision",
    "UPDATE findings SET triage = ?1, triage_reason = ?2, triage_actor = ?4, triage_at = ?5,
            triage_expires_at = NULL, triage_approver = NULL, triage_role = NULL
      WHERE id = ?3",
);

static TRIAGE_EVENT: Sql = Sql::new(
    "recording the triage decision",
    "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
     VALUES (?, ?, 'triaged', ?, ?, ?, ?)",
);

/// Records a person's triage decision and its event (inside the caller's write transaction;
/// the finding's row is locked while it is checked).
pub(crate) fn triage(db: &mut dyn Db, c: &TriageChange) -> Result<(), StoreError> {
    check_triage(c)?;
    let current = db.opt(&TRIAGE_STATE, args![c.finding_id], |r| {
        Ok((r.get::<String>(0)?, r.get::<Option<String>>(1)?))
    })?;
    let Some((status, triage)) = current else {
        return Err(StoreError::NotFound(format!("finding {}", c.finding_id)));
    };
    let from = display_status(&status, triage.as_deref());
    let new_triage = (c.state != FindingStatus::Open).then(|| c.state.as_str());
    db.execute(
        &SET_TRIAGE,
        args![
            new_triage,
            c.reason.as_str(),
            c.finding_id,
            c.actor.as_str(),
            to_ms(c.at)
        ],
    )?;
    db.execute(
        &TRIAGE_EVENT,
        args![
            c.finding_id,
            to_ms(c.at),
            c.actor.as_str(),
            from.as_str(),
            c.state.as_str(),
            c.reason.as_str()
        ],
    )?;
    Ok(())
}
