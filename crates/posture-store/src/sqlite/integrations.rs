//! The integrations' tables on SQLite (migration 7): outbox, cursors, Jira links, conflicts.
//! Plain SQL only (`ON CONFLICT DO NOTHING` / `DO UPDATE` work on PostgreSQL too).

use super::{SqliteStore, from_ms, to_ms};
use crate::sql;
use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, IntegrationStore, JiraLink,
    NewConflict, OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;
use rusqlite::{Row, params};

fn err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + Copy {
    move |e| StoreError::db(context)(e)
}

const OUTBOX_COLUMNS: &str = "id, event, dedup_key, destination, payload, created_at, attempts,
     next_attempt_at, delivered_at, last_error";

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxRecord> {
    Ok(OutboxRecord {
        id: r.get(0)?,
        event: r.get(1)?,
        dedup_key: r.get(2)?,
        destination: r.get(3)?,
        payload: r.get(4)?,
        created_at: from_ms(r.get(5)?),
        attempts: r.get::<_, i64>(6)?.max(0) as u32,
        next_attempt_at: from_ms(r.get(7)?),
        delivered_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
        last_error: r.get(9)?,
    })
}

const CONFLICT_COLUMNS: &str =
    "id, system, subject, reference, kind, detail, created_at, resolved_at";

fn conflict_row(r: &Row<'_>) -> rusqlite::Result<ConflictRecord> {
    Ok(ConflictRecord {
        id: r.get(0)?,
        system: r.get(1)?,
        subject: r.get(2)?,
        reference: r.get(3)?,
        kind: r.get(4)?,
        detail: r.get(5)?,
        created_at: from_ms(r.get(6)?),
        resolved_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
    })
}

impl IntegrationStore for SqliteStore {
    fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        self.read(|c| sql::integrations::events_after(&mut &*c, after, limit))
    }

    fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.read(|c| sql::integrations::cursor(&mut &*c, name))
    }

    fn enqueue(
        &self,
        entries: Vec<OutboxEntry>,
        cursor: Option<CursorAdvance>,
    ) -> Result<usize, StoreError> {
        let e = err("queueing notifications");
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(e)?;
        let mut queued = 0;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO outbox (event, dedup_key, destination, payload, created_at,
                                         attempts, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0, ?5)
                     ON CONFLICT (destination, dedup_key) DO NOTHING",
                )
                .map_err(e)?;
            for entry in &entries {
                queued += ins
                    .execute(params![
                        entry.event,
                        entry.dedup_key,
                        entry.destination,
                        entry.payload,
                        to_ms(entry.created_at)
                    ])
                    .map_err(e)?;
            }
        }
        if let Some(c) = cursor {
            tx.execute(
                "INSERT INTO integration_cursors (name, position) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                params![c.name, c.position],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(queued)
    }

    fn due_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let e = err("reading the outbox");
        let conn = self.read_conn()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox
                  WHERE delivered_at IS NULL AND next_attempt_at <= ?1
                  ORDER BY id LIMIT ?2"
            ))
            .map_err(e)?;
        let rows = stmt
            .query_map(params![to_ms(now), limit as i64], outbox_row)
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    fn outbox(&self, pending_only: bool, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let e = err("reading the outbox");
        let conn = self.read_conn()?;
        let filter = if pending_only {
            "WHERE delivered_at IS NULL"
        } else {
            ""
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox {filter} ORDER BY id DESC LIMIT ?1"
            ))
            .map_err(e)?;
        let rows = stmt.query_map([limit as i64], outbox_row).map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    fn record_attempt(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let e = err("recording a delivery attempt");
        let conn = self.lock()?;
        let changed = match outcome {
            DeliveryOutcome::Delivered => conn
                .execute(
                    "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, last_error = NULL
                      WHERE id = ?1 AND delivered_at IS NULL",
                    params![id, to_ms(at)],
                )
                .map_err(e)?,
            DeliveryOutcome::Failed { error, retry_at } => conn
                .execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                      WHERE id = ?1 AND delivered_at IS NULL",
                    params![id, error, to_ms(retry_at)],
                )
                .map_err(e)?,
        };
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "no undelivered outbox entry {id}"
            )));
        }
        Ok(())
    }

    fn jira_links(&self) -> Result<Vec<JiraLink>, StoreError> {
        let e = err("reading the Jira links");
        let conn = self.read_conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT group_key, issue_key, state_hash, closed_by_sync, previous_issue_key,
                        created_at, synced_at
                   FROM jira_links ORDER BY group_key",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(JiraLink {
                    group_key: r.get(0)?,
                    issue_key: r.get(1)?,
                    state_hash: r.get(2)?,
                    closed_by_sync: r.get::<_, i64>(3)? != 0,
                    previous_issue_key: r.get(4)?,
                    created_at: from_ms(r.get(5)?),
                    synced_at: from_ms(r.get(6)?),
                })
            })
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    fn save_jira_link(&self, link: JiraLink) -> Result<(), StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO jira_links (group_key, issue_key, state_hash, closed_by_sync,
                                     previous_issue_key, created_at, synced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (group_key) DO UPDATE SET
                 issue_key = excluded.issue_key, state_hash = excluded.state_hash,
                 closed_by_sync = excluded.closed_by_sync,
                 previous_issue_key = excluded.previous_issue_key,
                 synced_at = excluded.synced_at",
            params![
                link.group_key,
                link.issue_key,
                link.state_hash,
                link.closed_by_sync as i64,
                link.previous_issue_key,
                to_ms(link.created_at),
                to_ms(link.synced_at)
            ],
        )
        .map_err(err("saving a Jira link"))?;
        Ok(())
    }

    fn record_conflict(&self, c: NewConflict) -> Result<(ConflictRecord, bool), StoreError> {
        let e = err("recording a conflict");
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(e)?;
        let existing = {
            let mut stmt = tx
                .prepare_cached(&format!(
                    "SELECT {CONFLICT_COLUMNS} FROM integration_conflicts
                      WHERE system = ?1 AND subject = ?2 AND reference = ?3 AND kind = ?4
                        AND resolved_at IS NULL"
                ))
                .map_err(e)?;
            let mut rows = stmt
                .query_map(
                    params![c.system, c.subject, c.reference, c.kind],
                    conflict_row,
                )
                .map_err(e)?;
            rows.next().transpose().map_err(e)?
        };
        if let Some(found) = existing {
            return Ok((found, false));
        }
        tx.execute(
            "INSERT INTO integration_conflicts (system, subject, reference, kind, detail, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.system, c.subject, c.reference, c.kind, c.detail, to_ms(c.at)],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(e)?;
        Ok((
            ConflictRecord {
                id,
                system: c.system,
                subject: c.subject,
                reference: c.reference,
                kind: c.kind,
                detail: c.detail,
                created_at: c.at,
                resolved_at: None,
            },
            true,
        ))
    }

    fn resolve_conflicts(
        &self,
        system: &str,
        subject: &str,
        at: Timestamp,
    ) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        conn.execute(
            "UPDATE integration_conflicts SET resolved_at = ?3
              WHERE system = ?1 AND subject = ?2 AND resolved_at IS NULL",
            params![system, subject, to_ms(at)],
        )
        .map_err(err("resolving conflicts"))
    }

    fn conflicts(&self, open_only: bool) -> Result<Vec<ConflictRecord>, StoreError> {
        let e = err("reading the conflict log");
        let conn = self.read_conn()?;
        let filter = if open_only {
            "WHERE resolved_at IS NULL"
        } else {
            ""
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {CONFLICT_COLUMNS} FROM integration_conflicts {filter} ORDER BY id DESC"
            ))
            .map_err(e)?;
        let rows = stmt.query_map([], conflict_row).map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }
}
