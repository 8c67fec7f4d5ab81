//! The triage workflow on PostgreSQL: the same statements as `src/sqlite/workflow.rs`, with
//! row locks (`FOR UPDATE`) where SQLite relies on its single writer, so two people deciding
//! on one finding at once cannot both pass the "it is still in the state I saw" check.

use super::query::{Params, event_row};
use super::text;
use crate::stored::{display_status, from_ms, to_ms};
use crate::{
    DecisionChange, DecisionRecord, EventQuery, EventRecord, ExpiredDecision, NewEvent,
    ScanCoverageRow, StoreError,
};
use postgres::Client;
use posture_model::{Category, FindingStatus, Timestamp};
use std::collections::HashMap;

pub(super) fn record_decisions(
    client: &mut Client,
    changes: Vec<DecisionChange>,
) -> Result<usize, StoreError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let e = StoreError::pg("recording triage decisions");
    let mut tx = client.transaction().map_err(e)?;
    let read = tx
        .prepare("SELECT status, triage, merged_into FROM findings WHERE id = $1 FOR UPDATE")
        .map_err(e)?;
    let update = tx
        .prepare(
            "UPDATE findings SET triage = $2, triage_reason = $3, triage_actor = $4,
                    triage_at = $5, triage_expires_at = $6, triage_approver = $7,
                    triage_role = $8
              WHERE id = $1",
        )
        .map_err(e)?;
    let event = tx
        .prepare(
            "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                                 approver, role, expires_at)
             VALUES ($1, $2, 'triaged', $3, $4, $5, $6, $7, $8, $9)",
        )
        .map_err(e)?;
    for c in &changes {
        if c.state == FindingStatus::Fixed {
            return Err(StoreError::Invalid(
                "`fixed` is decided by scans, not by triage".into(),
            ));
        }
        if c.reason.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "finding {}: a triage decision needs a reason",
                c.finding_id
            )));
        }
        let Some(row) = tx.query_opt(&read, &[&c.finding_id]).map_err(e)? else {
            return Err(StoreError::NotFound(format!("finding {}", c.finding_id)));
        };
        if let Some(into) = row.get::<_, Option<i64>>(2) {
            return Err(StoreError::Invalid(format!(
                "finding {} was merged into finding {into}",
                c.finding_id
            )));
        }
        let now_state = display_status(row.get(0), row.get(1));
        if now_state != c.expected_from {
            return Err(StoreError::Invalid(format!(
                "finding {} is {now_state} now, not {} (it changed meanwhile)",
                c.finding_id, c.expected_from
            )));
        }
        let clear = c.state == FindingStatus::Open;
        let (reason, actor) = (text(&c.reason), text(&c.actor));
        let approver = c.approver.as_deref().map(text);
        let role = c.role.as_deref().map(text);
        tx.execute(
            &update,
            &[
                &c.finding_id,
                &(!clear).then(|| c.state.as_str()),
                &(!clear).then_some(&reason),
                &(!clear).then_some(&actor),
                &(!clear).then(|| to_ms(c.at)),
                &c.expires_at.filter(|_| !clear).map(to_ms),
                &approver.as_ref().filter(|_| !clear),
                &role.as_ref().filter(|_| !clear),
            ],
        )
        .map_err(e)?;
        tx.execute(
            &event,
            &[
                &c.finding_id,
                &to_ms(c.at),
                &actor,
                &c.expected_from.as_str(),
                &c.state.as_str(),
                &reason,
                &approver,
                &role,
                &c.expires_at.map(to_ms),
            ],
        )
        .map_err(e)?;
    }
    tx.commit().map_err(e)?;
    Ok(changes.len())
}

const DECISION_COLUMNS: &str = "f.id, f.triage, f.triage_reason, f.triage_actor, f.triage_at,
     f.triage_approver, f.triage_role, f.triage_expires_at";

fn decision_row(r: &postgres::Row) -> Option<DecisionRecord> {
    let state = r
        .get::<_, Option<&str>>(1)
        .and_then(|t| t.parse::<FindingStatus>().ok())?;
    Some(DecisionRecord {
        finding_id: r.get(0),
        state,
        reason: r.get(2),
        actor: r.get(3),
        decided_at: r.get::<_, Option<i64>>(4).map(from_ms),
        approver: r.get(5),
        role: r.get(6),
        expires_at: r.get::<_, Option<i64>>(7).map(from_ms),
    })
}

pub(super) fn decision(
    client: &mut Client,
    finding_id: i64,
) -> Result<Option<DecisionRecord>, StoreError> {
    let sql = format!("SELECT {DECISION_COLUMNS} FROM findings f WHERE f.id = $1");
    Ok(client
        .query_opt(&sql, &[&finding_id])
        .map_err(StoreError::pg("reading a triage decision"))?
        .as_ref()
        .and_then(decision_row))
}

pub(super) fn decisions(
    client: &mut Client,
    asset: Option<&str>,
) -> Result<Vec<DecisionRecord>, StoreError> {
    let sql = format!(
        "SELECT {DECISION_COLUMNS} FROM findings f JOIN assets a ON a.id = f.asset_id
          WHERE f.triage IS NOT NULL AND f.merged_into IS NULL
            AND ($1::text IS NULL OR a.name = $1)
          ORDER BY f.id"
    );
    Ok(client
        .query(&sql, &[&asset.map(text)])
        .map_err(StoreError::pg("reading triage decisions"))?
        .iter()
        .filter_map(decision_row)
        .collect())
}

/// The acceptances due to expire as of `$1`.
const EXPIRING: &str = "triage = 'accepted' AND triage_expires_at IS NOT NULL
     AND triage_expires_at <= $1 AND merged_into IS NULL";

pub(super) fn expire_decisions(
    client: &mut Client,
    now: Timestamp,
) -> Result<Vec<ExpiredDecision>, StoreError> {
    let e = StoreError::pg("expiring risk acceptances");
    let now = to_ms(now);
    // The common case (nothing expired) writes nothing.
    let any: bool = client
        .query_one(
            &format!("SELECT EXISTS (SELECT 1 FROM findings WHERE {EXPIRING})"),
            &[&now],
        )
        .map_err(e)?
        .get(0);
    if !any {
        return Ok(Vec::new());
    }
    let mut tx = client.transaction().map_err(e)?;
    // lock what expires, so a concurrent sweep (another server) finds nothing left to do
    let expired: Vec<ExpiredDecision> = tx
        .query(
            &format!(
                "SELECT id, triage_expires_at FROM findings WHERE {EXPIRING} ORDER BY id FOR UPDATE"
            ),
            &[&now],
        )
        .map_err(e)?
        .iter()
        .map(|r| ExpiredDecision {
            finding_id: r.get(0),
            expired_at: from_ms(r.get(1)),
        })
        .collect();
    let ids: Vec<i64> = expired.iter().map(|d| d.finding_id).collect();
    tx.execute(
        "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason,
                             approver, role, expires_at)
         SELECT id, triage_expires_at, 'expired', 'posture',
                CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'accepted' END,
                CASE WHEN status = 'fixed' THEN 'fixed' ELSE 'open' END,
                'the risk acceptance expired (it said: ' || COALESCE(triage_reason, '') || ')',
                triage_approver, triage_role, triage_expires_at
           FROM findings WHERE id = ANY($1) ORDER BY id",
        &[&ids],
    )
    .map_err(e)?;
    tx.execute(
        "UPDATE findings SET triage = NULL, triage_reason = NULL, triage_actor = NULL,
                triage_at = NULL, triage_expires_at = NULL, triage_approver = NULL,
                triage_role = NULL
          WHERE id = ANY($1)",
        &[&ids],
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    Ok(expired)
}

pub(super) fn event_log(
    client: &mut Client,
    q: &EventQuery,
) -> Result<Vec<EventRecord>, StoreError> {
    let mut params = Params::default();
    let mut conds = vec!["f.merged_into IS NULL".to_string()];
    if let Some(asset) = &q.asset {
        conds.push(format!(
            "a.name = {}",
            params.push(text(asset).into_owned())
        ));
    }
    if let Some(until) = q.until {
        conds.push(format!("e.at <= {}", params.push(to_ms(until))));
    }
    if let Some(ids) = &q.finding_ids {
        conds.push(format!("e.finding_id = ANY({})", params.push(ids.clone())));
    }
    let sql = format!(
        "SELECT e.id, e.finding_id, e.at, e.kind, e.scan_id, e.actor, e.from_status,
                e.to_status, e.reason, e.approver, e.role, e.expires_at
           FROM events e JOIN findings f ON f.id = e.finding_id
           JOIN assets a ON a.id = f.asset_id
          WHERE {}
          ORDER BY e.at, e.id",
        conds.join(" AND ")
    );
    Ok(client
        .query(&sql, &params.refs())
        .map_err(StoreError::pg("reading the event log"))?
        .iter()
        .map(event_row)
        .collect())
}

pub(super) fn append_events(
    client: &mut Client,
    events: Vec<NewEvent>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = events.iter().map(|e| e.finding_id).collect();
    let ats: Vec<i64> = events.iter().map(|e| to_ms(e.at)).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let owned = |f: fn(&NewEvent) -> Option<&String>| -> Vec<Option<String>> {
        events
            .iter()
            .map(|e| f(e).map(|s| text(s).into_owned()))
            .collect()
    };
    let actors = owned(|e| e.actor.as_ref());
    let froms = owned(|e| e.from_status.as_ref());
    let tos = owned(|e| e.to_status.as_ref());
    let reasons = owned(|e| e.reason.as_ref());
    client
        .execute(
            "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
             SELECT f, a, k, ac, fr, t, r
               FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                           $6::text[], $7::text[]) WITH ORDINALITY AS u(f, a, k, ac, fr, t, r, n)
              ORDER BY n",
            &[&ids, &ats, &kinds, &actors, &froms, &tos, &reasons],
        )
        .map_err(StoreError::pg("appending events"))?;
    Ok(events.len())
}

pub(super) fn scan_coverage(
    client: &mut Client,
    asset: Option<&str>,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<ScanCoverageRow>, StoreError> {
    let e = StoreError::pg("reading scan coverage");
    let asset = asset.map(text);
    let mut observed: HashMap<i64, Vec<Category>> = HashMap::new();
    for r in client
        .query(
            "SELECT DISTINCT o.scope_id, f.category
               FROM occurrences o JOIN findings f ON f.id = o.finding_id
               JOIN scopes s ON s.id = o.scope_id JOIN assets a ON a.id = s.asset_id
              WHERE $1::text IS NULL OR a.name = $1",
            &[&asset],
        )
        .map_err(e)?
    {
        if let Ok(c) = r.get::<_, &str>(1).parse::<Category>() {
            observed.entry(r.get(0)).or_default().push(c);
        }
    }
    let rows = client
        .query(
            "SELECT s.id, a.name, s.tool, sc.format, sc.at
               FROM scans sc JOIN scopes s ON s.id = sc.scope_id JOIN assets a ON a.id = s.asset_id
              WHERE sc.kind = 'findings' AND sc.at > $1 AND sc.at <= $2
                AND ($3::text IS NULL OR a.name = $3)
              ORDER BY sc.at, sc.id",
            &[&to_ms(since), &to_ms(until), &asset],
        )
        .map_err(e)?;
    Ok(rows
        .iter()
        .map(|r| ScanCoverageRow {
            asset: r.get(1),
            tool: r.get(2),
            format: r.get(3),
            at: from_ms(r.get(4)),
            observed: observed.get(&r.get(0)).cloned().unwrap_or_default(),
        })
        .collect())
}

pub(super) fn asset_names(client: &mut Client) -> Result<Vec<String>, StoreError> {
    Ok(client
        .query("SELECT name FROM assets ORDER BY name COLLATE \"C\"", &[])
        .map_err(StoreError::pg("listing assets"))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}
