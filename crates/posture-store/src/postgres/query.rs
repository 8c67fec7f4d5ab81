//! Reads (findings, events, scans) and triage writes on PostgreSQL: the same queries as the
//! SQLite back end, with numbered parameters and arrays instead of `IN (?, ?, ...)` lists.

use super::text;
use crate::stored::{check_triage, display_status, from_ms, hex, severity_from_rank, to_ms};
use crate::{
    BranchFilter, CorrelationRecord, EventRecord, FindingQuery, FindingRecord, FindingSort,
    OccurrenceRecord, ScanQuery, ScanRecord, StoreError, TriageChange,
};
use postgres::GenericClient;
use postgres::types::ToSql;
use posture_model::{Category, FindingStatus, Occurrence};
use std::collections::HashMap;

/// Query parameters collected while a WHERE clause is built; `push` answers the placeholder.
#[derive(Default)]
pub(super) struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    pub(super) fn push<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    pub(super) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// WHERE clause and parameters for a finding query.
fn where_clause(q: &FindingQuery, params: &mut Params) -> String {
    let mut conds: Vec<String> = vec!["f.merged_into IS NULL".to_string()];
    if let Some(asset) = &q.asset {
        conds.push(format!(
            "a.name = {}",
            params.push(text(asset).into_owned())
        ));
    }
    let branch_view = matches!(q.branch, BranchFilter::Only(_));
    match &q.branch {
        BranchFilter::Default => conds.push("f.on_default".into()),
        BranchFilter::Only(b) => conds.push(format!(
            "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                      WHERE o.finding_id = f.id AND o.open AND s.branch = {})",
            params.push(text(b.trim()).into_owned())
        )),
        BranchFilter::Any => {}
    }
    if let Some(statuses) = &q.status {
        let mut ors = Vec::new();
        for s in statuses {
            ors.push(match (s, branch_view) {
                (FindingStatus::Fixed, false) => "f.status = 'fixed'".to_string(),
                (FindingStatus::Open, false) => {
                    "(f.status = 'open' AND f.triage IS NULL)".to_string()
                }
                (other, false) => format!(
                    "(f.status = 'open' AND f.triage = {})",
                    params.push(other.as_str().to_string())
                ),
                // a branch view lists what is open on the branch: the status is the triage state
                (FindingStatus::Fixed, true) => "FALSE".to_string(),
                (FindingStatus::Open, true) => "f.triage IS NULL".to_string(),
                (other, true) => format!("f.triage = {}", params.push(other.as_str().to_string())),
            });
        }
        if ors.is_empty() {
            ors.push("FALSE".into());
        }
        conds.push(format!("({})", ors.join(" OR ")));
    }
    if let Some(sevs) = &q.severity {
        let ranks: Vec<i64> = sevs.iter().map(|s| *s as i64).collect();
        conds.push(format!("f.severity = ANY({})", params.push(ranks)));
    }
    if let Some(c) = q.category {
        conds.push(format!(
            "f.category = {}",
            params.push(c.as_str().to_string())
        ));
    }
    if let Some(bands) = &q.band {
        let bands: Vec<String> = bands.iter().map(|b| b.to_ascii_uppercase()).collect();
        conds.push(format!("f.risk_band = ANY({})", params.push(bands)));
    }
    if let Some(team) = &q.team {
        conds.push(format!("f.team = {}", params.push(text(team).into_owned())));
    }
    if let Some(cursor) = &q.after {
        match (q.sort, cursor.key) {
            (FindingSort::Id, _) => {
                conds.push(format!("f.id > {}", params.push(cursor.id)));
            }
            // Not-yet-assessed findings are stored with a negative score: they come last.
            (FindingSort::Risk, key) => {
                let score = params.push(key.unwrap_or(-1.0));
                let id = params.push(cursor.id);
                conds.push(format!(
                    "f.risk_score <= {score} AND (f.risk_score < {score} OR f.id > {id})"
                ));
            }
            (FindingSort::Severity, key) => {
                let rank = params.push(key.unwrap_or(0.0) as i64);
                let id = params.push(cursor.id);
                conds.push(format!(
                    "(f.severity < {rank} OR (f.severity = {rank} AND f.id > {id}))"
                ));
            }
        }
    }
    if let Some(tool) = &q.tool {
        conds.push(format!(
            "EXISTS (SELECT 1 FROM occurrences o JOIN scopes s ON s.id = o.scope_id
                     WHERE o.finding_id = f.id AND s.tool = {})",
            params.push(text(&tool.to_ascii_lowercase()).into_owned())
        ));
    }
    format!("WHERE {}", conds.join(" AND "))
}

/// The columns [`read_findings`] reads, in its order.
const FINDING_COLUMNS: &str = "f.id, a.name, f.status, f.triage, f.triage_reason, f.severity,
    f.category, f.title, f.rule_id, f.first_seen, f.fixed_at, f.reopened, f.risk_score,
    f.risk_band, f.team, f.risk_version";

pub(super) fn findings(
    client: &mut impl GenericClient,
    q: &FindingQuery,
) -> Result<Vec<FindingRecord>, StoreError> {
    let mut params = Params::default();
    let clause = where_clause(q, &mut params);
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
    let mut records = read_findings(client, &sql, &params.refs())?;
    if !q.without_occurrences {
        let occ_sql = format!("WHERE o.finding_id IN ({ids_sql})");
        attach_occurrences(client, &occ_sql, &params.refs(), &mut records)?;
    }
    Ok(records)
}

pub(super) fn finding(
    client: &mut impl GenericClient,
    id: i64,
) -> Result<Option<FindingRecord>, StoreError> {
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id WHERE f.id = $1"
    );
    let mut records = read_findings(client, &sql, &[&id])?;
    attach_occurrences(client, "WHERE o.finding_id = $1", &[&id], &mut records)?;
    Ok(records.pop())
}

/// Findings with a stored risk to (re)compute: never assessed, or changed since.
pub(super) fn unassessed_findings(
    client: &mut impl GenericClient,
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
    let mut records = read_findings(client, &sql, &[])?;
    attach_occurrences(
        client,
        &format!("WHERE o.finding_id IN ({ids_sql})"),
        &[],
        &mut records,
    )?;
    Ok(records)
}

fn read_findings(
    client: &mut impl GenericClient,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<FindingRecord>, StoreError> {
    let rows = client
        .query(sql, args)
        .map_err(StoreError::pg("listing findings"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let status: &str = r.get(2);
            let triage: Option<&str> = r.get(3);
            let category: &str = r.get(6);
            let first_seen = from_ms(r.get(9));
            FindingRecord {
                id: r.get(0),
                asset: r.get(1),
                status: display_status(status, triage),
                triage: triage.and_then(|t| t.parse().ok()),
                triage_reason: r.get(4),
                severity: severity_from_rank(r.get(5)),
                category: category.parse().unwrap_or(Category::Sast),
                title: r.get(7),
                rule_id: r.get(8),
                first_seen,
                last_seen: first_seen,
                fixed_at: r.get::<_, Option<i64>>(10).map(from_ms),
                reopened: r.get::<_, i64>(11).clamp(0, i64::from(u32::MAX)) as u32,
                risk_score: Some(r.get::<_, f64>(12)).filter(|s| *s >= 0.0),
                risk_band: r.get(13),
                team: r.get(14),
                risk_version: r.get(15),
                occurrences: Vec::new(),
            }
        })
        .collect())
}

fn attach_occurrences(
    client: &mut impl GenericClient,
    clause: &str,
    args: &[&(dyn ToSql + Sync)],
    records: &mut [FindingRecord],
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT o.finding_id, o.id, s.tool, s.branch, sc.report_name, o.scan_id, o.open,
                o.fingerprint, o.tier, o.first_seen,
                CASE WHEN o.open THEN s.last_scan_at ELSE o.last_seen END,
                o.closed_at, o.data, o.link_confidence, o.link_reason, o.link_occurrence
           FROM occurrences o
           JOIN scopes s ON s.id = o.scope_id
           JOIN scans sc ON sc.id = o.scan_id
           {clause}
          ORDER BY o.finding_id, o.id"
    );
    let pos: HashMap<i64, usize> = records.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let rows = client
        .query(&sql, args)
        .map_err(StoreError::pg("reading occurrences"))?;
    for r in &rows {
        let fid: i64 = r.get(0);
        let occ_id: i64 = r.get(1);
        let data: Occurrence = serde_json::from_str(r.get::<_, &str>(12)).map_err(|e| {
            StoreError::Corrupt(format!("occurrence {occ_id}: unreadable stored data: {e}"))
        })?;
        let first_seen = from_ms(r.get(9));
        let rec = OccurrenceRecord {
            id: occ_id,
            tool: r.get(2),
            branch: r.get(3),
            report: r.get(4),
            scan_id: r.get(5),
            open: r.get(6),
            fingerprint: hex(r.get(7)),
            identity_tier: r.get(8),
            first_seen,
            last_seen: r
                .get::<_, Option<i64>>(10)
                .map(from_ms)
                .unwrap_or(first_seen),
            closed_at: r.get::<_, Option<i64>>(11).map(from_ms),
            correlation: match (r.get::<_, Option<f64>>(13), r.get::<_, Option<String>>(14)) {
                (Some(confidence), Some(reason)) => Some(CorrelationRecord {
                    confidence,
                    reason,
                    matched_occurrence: r.get(15),
                }),
                _ => None,
            },
            data,
        };
        if let Some(&i) = pos.get(&fid)
            && let Some(f) = records.get_mut(i)
        {
            if rec.last_seen > f.last_seen {
                f.last_seen = rec.last_seen;
            }
            f.occurrences.push(rec);
        }
    }
    Ok(())
}

pub(super) fn events(
    client: &mut impl GenericClient,
    finding_id: i64,
) -> Result<Vec<EventRecord>, StoreError> {
    let rows = client
        .query(
            "SELECT id, finding_id, at, kind, scan_id, actor, from_status, to_status, reason,
                    approver, role, expires_at
               FROM events WHERE finding_id = $1 ORDER BY at, id",
            &[&finding_id],
        )
        .map_err(StoreError::pg("reading events"))?;
    Ok(rows.iter().map(event_row).collect())
}

/// Reads an event row selected as `id, finding_id, at, kind, scan_id, actor, from_status,
/// to_status, reason, approver, role, expires_at`.
pub(super) fn event_row(r: &postgres::Row) -> EventRecord {
    EventRecord {
        id: r.get(0),
        finding_id: r.get(1),
        at: from_ms(r.get(2)),
        kind: r.get(3),
        scan_id: r.get(4),
        actor: r.get(5),
        from_status: r.get(6),
        to_status: r.get(7),
        reason: r.get(8),
        approver: r.get(9),
        role: r.get(10),
        expires_at: r.get::<_, Option<i64>>(11).map(from_ms),
    }
}

pub(super) fn scans(
    client: &mut impl GenericClient,
    q: &ScanQuery,
) -> Result<Vec<ScanRecord>, StoreError> {
    let mut params = Params::default();
    let mut conds = Vec::new();
    if let Some(a) = &q.asset {
        conds.push(format!("a.name = {}", params.push(text(a).into_owned())));
    }
    if let Some(t) = &q.tool {
        conds.push(format!(
            "s.tool = {}",
            params.push(text(&t.to_ascii_lowercase()).into_owned())
        ));
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
    let rows = client
        .query(&sql, &params.refs())
        .map_err(StoreError::pg("listing scans"))?;
    Ok(rows
        .iter()
        .map(|r| ScanRecord {
            id: r.get(0),
            asset: r.get(1),
            tool: r.get(2),
            tool_version: r.get(3),
            format: r.get(4),
            branch: r.get(5),
            commit: r.get(6),
            kind: r.get(7),
            report: r.get(8),
            sha256: r.get(9),
            at: from_ms(r.get(10)),
            occurrences: r.get::<_, i64>(11).max(0) as usize,
            summary: serde_json::from_str(r.get(12)).unwrap_or(serde_json::Value::Null),
            diagnostics: serde_json::from_str(r.get(13)).unwrap_or_default(),
        })
        .collect())
}

pub(super) fn triage(
    client: &mut postgres::Client,
    c: TriageChange,
) -> Result<FindingRecord, StoreError> {
    check_triage(&c)?;
    let e = StoreError::pg("recording the triage decision");
    let mut tx = client.transaction().map_err(e)?;
    let Some(row) = tx
        .query_opt(
            "SELECT status, triage FROM findings WHERE id = $1 FOR UPDATE",
            &[&c.finding_id],
        )
        .map_err(e)?
    else {
        return Err(StoreError::NotFound(format!("finding {}", c.finding_id)));
    };
    let from = display_status(row.get(0), row.get(1));
    let new_triage = (c.state != FindingStatus::Open).then(|| c.state.as_str());
    let reason = text(&c.reason);
    tx.execute(
        "UPDATE findings SET triage = $1, triage_reason = $2, triage_actor = $4, triage_at = $5,
                triage_expires_at = NULL, triage_approver = NULL, triage_role = NULL
          WHERE id = $3",
        &[
            &new_triage,
            &reason,
            &c.finding_id,
            &text(&c.actor),
            &to_ms(c.at),
        ],
    )
    .map_err(e)?;
    tx.execute(
        "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
         VALUES ($1, $2, 'triaged', $3, $4, $5, $6)",
        &[
            &c.finding_id,
            &to_ms(c.at),
            &text(&c.actor),
            &from.as_str(),
            &c.state.as_str(),
            &reason,
        ],
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    finding(client, c.finding_id)?
        .ok_or_else(|| StoreError::NotFound(format!("finding {}", c.finding_id)))
}
