//! Reads (findings, events, scans) and triage writes on SQLite.

use super::{from_ms, to_ms};
pub(super) use crate::stored::display_status;
use crate::stored::{check_triage, hex, severity_from_rank};
use crate::{
    BranchFilter, CorrelationRecord, EventRecord, FindingQuery, FindingRecord, FindingSort,
    OccurrenceRecord, ScanQuery, ScanRecord, StoreError, TriageChange,
};
use posture_model::{Category, FindingStatus, Occurrence};
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use std::collections::HashMap;

fn status_condition(s: FindingStatus, branch_view: bool) -> (&'static str, Option<&'static str>) {
    match (s, branch_view) {
        (FindingStatus::Fixed, false) => ("f.status = 'fixed'", None),
        (FindingStatus::Open, false) => ("(f.status = 'open' AND f.triage IS NULL)", None),
        (other, false) => ("(f.status = 'open' AND f.triage = ?)", Some(other.as_str())),
        // a branch view lists what is open on the branch: the status is the triage state
        (FindingStatus::Fixed, true) => ("0", None),
        (FindingStatus::Open, true) => ("f.triage IS NULL", None),
        (other, true) => ("f.triage = ?", Some(other.as_str())),
    }
}

/// WHERE clause and parameters for a finding query.
fn where_clause(q: &FindingQuery) -> (String, Vec<Value>) {
    let mut conds: Vec<String> = vec!["f.merged_into IS NULL".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if let Some(asset) = &q.asset {
        conds.push("a.name = ?".into());
        args.push(Value::Text(asset.clone()));
    }
    let branch_view = matches!(q.branch, BranchFilter::Only(_));
    match &q.branch {
        BranchFilter::Default => conds.push("f.on_default = 1".into()),
        BranchFilter::Only(b) => {
            conds.push(
                "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                          WHERE o.finding_id = f.id AND o.open = 1 AND s.branch = ?)"
                    .into(),
            );
            args.push(Value::Text(b.trim().to_string()));
        }
        BranchFilter::Any => {}
    }
    if let Some(statuses) = &q.status {
        let mut ors = Vec::new();
        for s in statuses {
            let (sql, arg) = status_condition(*s, branch_view);
            ors.push(sql.to_string());
            if let Some(a) = arg {
                args.push(Value::Text(a.to_string()));
            }
        }
        if ors.is_empty() {
            ors.push("0".into());
        }
        conds.push(format!("({})", ors.join(" OR ")));
    }
    if let Some(sevs) = &q.severity {
        let marks = vec!["?"; sevs.len().max(1)].join(", ");
        conds.push(format!("f.severity IN ({marks})"));
        if sevs.is_empty() {
            args.push(Value::Integer(-1));
        }
        for s in sevs {
            args.push(Value::Integer(*s as i64));
        }
    }
    if let Some(c) = q.category {
        conds.push("f.category = ?".into());
        args.push(Value::Text(c.as_str().to_string()));
    }
    if let Some(bands) = &q.band {
        let marks = vec!["?"; bands.len().max(1)].join(", ");
        conds.push(format!("f.risk_band IN ({marks})"));
        if bands.is_empty() {
            args.push(Value::Null);
        }
        for b in bands {
            args.push(Value::Text(b.to_ascii_uppercase()));
        }
    }
    if let Some(team) = &q.team {
        conds.push("f.team = ?".into());
        args.push(Value::Text(team.clone()));
    }
    if let Some(cursor) = &q.after {
        match (q.sort, cursor.key) {
            (FindingSort::Id, _) => {
                conds.push("f.id > ?".into());
                args.push(Value::Integer(cursor.id));
            }
            // Not-yet-assessed findings are stored with a negative score: they come last.
            (FindingSort::Risk, key) => {
                let score = key.unwrap_or(-1.0);
                conds.push("f.risk_score <= ? AND (f.risk_score < ? OR f.id > ?)".into());
                args.extend([
                    Value::Real(score),
                    Value::Real(score),
                    Value::Integer(cursor.id),
                ]);
            }
            (FindingSort::Severity, key) => {
                let rank = key.unwrap_or(0.0) as i64;
                conds.push("(f.severity < ? OR (f.severity = ? AND f.id > ?))".into());
                args.extend([
                    Value::Integer(rank),
                    Value::Integer(rank),
                    Value::Integer(cursor.id),
                ]);
            }
        }
    }
    if let Some(tool) = &q.tool {
        conds.push(
            "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                     WHERE o.finding_id = f.id AND s.tool = ?)"
                .into(),
        );
        args.push(Value::Text(tool.to_ascii_lowercase()));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    (clause, args)
}

pub(super) fn findings(
    conn: &Connection,
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
    let sql = format!(
        "SELECT {FINDING_COLUMNS}
           FROM findings f JOIN assets a ON a.id = f.asset_id
          WHERE f.id IN ({ids_sql})
          ORDER BY {order}"
    );
    let mut records = read_findings(conn, &sql, &args)?;
    if !q.without_occurrences {
        let occ_sql = format!("WHERE o.finding_id IN ({ids_sql})");
        attach_occurrences(conn, &occ_sql, &args, &mut records)?;
    }
    Ok(records)
}

pub(super) fn finding(conn: &Connection, id: i64) -> Result<Option<FindingRecord>, StoreError> {
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id WHERE f.id = ?"
    );
    let args = vec![Value::Integer(id)];
    let mut records = read_findings(conn, &sql, &args)?;
    attach_occurrences(conn, "WHERE o.finding_id = ?", &args, &mut records)?;
    Ok(records.pop())
}

/// The columns [`read_findings`] reads, in its order.
const FINDING_COLUMNS: &str = "f.id, a.name, f.status, f.triage, f.triage_reason, f.severity,
    f.category, f.title, f.rule_id, f.first_seen, f.fixed_at, f.reopened, f.risk_score,
    f.risk_band, f.team, f.risk_version";

/// Findings with a stored risk to (re)compute: never assessed, or changed since.
pub(super) fn unassessed_findings(
    conn: &Connection,
    limit: usize,
) -> Result<Vec<FindingRecord>, StoreError> {
    let ids_sql = format!(
        "SELECT f.id FROM findings f
          WHERE f.risk_score < 0 AND f.merged_into IS NULL ORDER BY f.id LIMIT {limit}"
    );
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id
          WHERE f.id IN ({ids_sql}) ORDER BY f.id"
    );
    let mut records = read_findings(conn, &sql, &[])?;
    attach_occurrences(
        conn,
        &format!("WHERE o.finding_id IN ({ids_sql})"),
        &[],
        &mut records,
    )?;
    Ok(records)
}

fn read_findings(
    conn: &Connection,
    sql: &str,
    args: &[Value],
) -> Result<Vec<FindingRecord>, StoreError> {
    let db = StoreError::db("listing findings");
    let mut stmt = conn
        .prepare(sql)
        .map_err(StoreError::db("listing findings"))?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            let status: String = r.get(2)?;
            let triage: Option<String> = r.get(3)?;
            let category: String = r.get(6)?;
            let first_seen = from_ms(r.get(9)?);
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
                fixed_at: r.get::<_, Option<i64>>(10)?.map(from_ms),
                reopened: r.get::<_, i64>(11)?.max(0) as u32,
                risk_score: Some(r.get::<_, f64>(12)?).filter(|s| *s >= 0.0),
                risk_band: r.get(13)?,
                team: r.get(14)?,
                risk_version: r.get(15)?,
                occurrences: Vec::new(),
            })
        })
        .map_err(StoreError::db("listing findings"))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db)
}

fn attach_occurrences(
    conn: &Connection,
    clause: &str,
    args: &[Value],
    records: &mut [FindingRecord],
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT o.finding_id, o.id, s.tool, s.branch, sc.report_name, o.scan_id, o.open,
                o.fingerprint, o.tier, o.first_seen,
                CASE WHEN o.open = 1 THEN s.last_scan_at ELSE o.last_seen END,
                o.closed_at, o.data, o.link_confidence, o.link_reason, o.link_occurrence
           FROM occurrences o
           JOIN scopes s ON s.id = o.scope_id
           JOIN scans sc ON sc.id = o.scan_id
           {clause}
          ORDER BY o.finding_id, o.id"
    );
    let pos: HashMap<i64, usize> = records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut stmt = conn
        .prepare(&sql)
        .map_err(StoreError::db("reading occurrences"))?;
    let mut rows = stmt
        .query(params_from_iter(args.iter()))
        .map_err(StoreError::db("reading occurrences"))?;
    while let Some(r) = rows.next().map_err(StoreError::db("reading occurrences"))? {
        let read = || -> rusqlite::Result<(i64, OccurrenceRecord)> {
            let fid: i64 = r.get(0)?;
            let fp: Vec<u8> = r.get(7)?;
            let data: String = r.get(12)?;
            let occ: Occurrence = serde_json::from_str(&data).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    12,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            let first_seen = from_ms(r.get(9)?);
            Ok((
                fid,
                OccurrenceRecord {
                    id: r.get(1)?,
                    tool: r.get(2)?,
                    branch: r.get(3)?,
                    report: r.get(4)?,
                    scan_id: r.get(5)?,
                    open: r.get::<_, i64>(6)? != 0,
                    fingerprint: hex(&fp),
                    identity_tier: r.get(8)?,
                    first_seen,
                    last_seen: r
                        .get::<_, Option<i64>>(10)?
                        .map(from_ms)
                        .unwrap_or(first_seen),
                    closed_at: r.get::<_, Option<i64>>(11)?.map(from_ms),
                    correlation: match (
                        r.get::<_, Option<f64>>(13)?,
                        r.get::<_, Option<String>>(14)?,
                    ) {
                        (Some(confidence), Some(reason)) => Some(CorrelationRecord {
                            confidence,
                            reason,
                            matched_occurrence: r.get(15)?,
                        }),
                        _ => None,
                    },
                    data: occ,
                },
            ))
        };
        let (fid, rec) = read().map_err(StoreError::db("reading occurrences"))?;
        if let Some(&i) = pos.get(&fid) {
            let f = &mut records[i];
            if rec.last_seen > f.last_seen {
                f.last_seen = rec.last_seen;
            }
            f.occurrences.push(rec);
        }
    }
    Ok(())
}

pub(super) fn events(conn: &Connection, finding_id: i64) -> Result<Vec<EventRecord>, StoreError> {
    let mut stmt = conn
        .prepare(
            "SELECT id, finding_id, at, kind, scan_id, actor, from_status, to_status, reason,
                    approver, role, expires_at
               FROM events WHERE finding_id = ?1 ORDER BY at, id",
        )
        .map_err(StoreError::db("reading events"))?;
    let rows = stmt
        .query_map([finding_id], event_row)
        .map_err(StoreError::db("reading events"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("reading events"))
}

/// Reads an event row selected as `id, finding_id, at, kind, scan_id, actor, from_status,
/// to_status, reason, approver, role, expires_at`.
pub(super) fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        id: r.get(0)?,
        finding_id: r.get(1)?,
        at: from_ms(r.get(2)?),
        kind: r.get(3)?,
        scan_id: r.get(4)?,
        actor: r.get(5)?,
        from_status: r.get(6)?,
        to_status: r.get(7)?,
        reason: r.get(8)?,
        approver: r.get(9)?,
        role: r.get(10)?,
        expires_at: r.get::<_, Option<i64>>(11)?.map(from_ms),
    })
}

pub(super) fn scans(conn: &Connection, q: &ScanQuery) -> Result<Vec<ScanRecord>, StoreError> {
    let mut conds = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(a) = &q.asset {
        conds.push("a.name = ?");
        args.push(Value::Text(a.clone()));
    }
    if let Some(t) = &q.tool {
        conds.push("s.tool = ?");
        args.push(Value::Text(t.to_ascii_lowercase()));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let limit = q.limit.map(|l| format!("LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT sc.id, a.name, s.tool, sc.tool_version, sc.format, s.branch, sc.commit_sha, sc.kind,
                sc.report_name, sc.report_sha256, sc.at, sc.occurrences, sc.summary, sc.diagnostics
           FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
           {clause} ORDER BY sc.at DESC, sc.id DESC {limit}"
    );
    let mut stmt = conn
        .prepare(&sql)
        .map_err(StoreError::db("listing scans"))?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| {
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
                at: from_ms(r.get(10)?),
                occurrences: r.get::<_, i64>(11)?.max(0) as usize,
                summary: serde_json::from_str(&summary).unwrap_or(serde_json::Value::Null),
                diagnostics: serde_json::from_str(&diags).unwrap_or_default(),
            })
        })
        .map_err(StoreError::db("listing scans"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::db("listing scans"))
}

pub(super) fn triage(conn: &mut Connection, c: TriageChange) -> Result<FindingRecord, StoreError> {
    check_triage(&c)?;
    let tx = conn
        .transaction()
        .map_err(StoreError::db("recording the triage decision"))?;
    let current: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT status, triage FROM findings WHERE id = ?1",
            [c.finding_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(StoreError::db("recording the triage decision"))?;
    let Some((status, triage)) = current else {
        return Err(StoreError::NotFound(format!("finding {}", c.finding_id)));
    };
    let from = display_status(&status, triage.as_deref());
    let new_triage = (c.state != FindingStatus::Open).then(|| c.state.as_str());
    tx.execute(
        "UPDATE findings SET triage = ?1, triage_reason = ?2, triage_actor = ?4, triage_at = ?5,
                triage_expires_at = NULL, triage_approver = NULL, triage_role = NULL
          WHERE id = ?3",
        params![new_triage, c.reason, c.finding_id, c.actor, to_ms(c.at)],
    )
    .map_err(StoreError::db("recording the triage decision"))?;
    tx.execute(
        "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
         VALUES (?1, ?2, 'triaged', ?3, ?4, ?5, ?6)",
        params![
            c.finding_id,
            to_ms(c.at),
            c.actor,
            from.as_str(),
            c.state.as_str(),
            c.reason
        ],
    )
    .map_err(StoreError::db("recording the triage decision"))?;
    tx.commit()
        .map_err(StoreError::db("recording the triage decision"))?;
    finding(conn, c.finding_id)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {}", c.finding_id)))
}
