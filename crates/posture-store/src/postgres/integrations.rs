//! The integrations' tables on PostgreSQL (migration 6): outbox, cursors, Jira links,
//! conflicts. The same statements as `src/sqlite/integrations.rs`; where SQLite relies on its
//! single writer (recording a conflict once), a transaction-level advisory lock on the
//! conflict's identity serializes concurrent servers.

use super::{PostgresStore, asset_lock, lock, opt_text, text};
use crate::sql;
use crate::stored::{from_ms, to_ms};
use crate::{
    ConflictRecord, CursorAdvance, DeliveryOutcome, EventRecord, IntegrationStore, JiraLink,
    NewConflict, OutboxEntry, OutboxRecord, StoreError,
};
use posture_model::Timestamp;

const OUTBOX_COLUMNS: &str = "id, event, dedup_key, destination, payload, created_at, attempts,
     next_attempt_at, delivered_at, last_error";

fn outbox_row(r: &postgres::Row) -> OutboxRecord {
    OutboxRecord {
        id: r.get(0),
        event: r.get(1),
        dedup_key: r.get(2),
        destination: r.get(3),
        payload: r.get(4),
        created_at: from_ms(r.get(5)),
        attempts: u32::try_from(r.get::<_, i64>(6).max(0)).unwrap_or(u32::MAX),
        next_attempt_at: from_ms(r.get(7)),
        delivered_at: r.get::<_, Option<i64>>(8).map(from_ms),
        last_error: r.get(9),
    }
}

const CONFLICT_COLUMNS: &str =
    "id, system, subject, reference, kind, detail, created_at, resolved_at";

fn conflict_row(r: &postgres::Row) -> ConflictRecord {
    ConflictRecord {
        id: r.get(0),
        system: r.get(1),
        subject: r.get(2),
        reference: r.get(3),
        kind: r.get(4),
        detail: r.get(5),
        created_at: from_ms(r.get(6)),
        resolved_at: r.get::<_, Option<i64>>(7).map(from_ms),
    }
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The advisory lock key serializing the recording of one conflict.
fn conflict_lock(c: &NewConflict) -> i64 {
    asset_lock(&format!(
        "\0conflict {}\0{}\0{}\0{}",
        c.system, c.subject, c.reference, c.kind
    ))
}

impl IntegrationStore for PostgresStore {
    fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let mut client = self.pool.get()?;
        sql::integrations::events_after(&mut *client, after, limit)
    }

    fn cursor(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let mut client = self.pool.get()?;
        sql::integrations::cursor(&mut *client, name)
    }

    fn enqueue(
        &self,
        entries: Vec<OutboxEntry>,
        cursor: Option<CursorAdvance>,
    ) -> Result<usize, StoreError> {
        let e = StoreError::pg("queueing notifications");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        let mut queued = 0u64;
        if !entries.is_empty() {
            let ins = tx
                .prepare(
                    "INSERT INTO outbox (event, dedup_key, destination, payload, created_at,
                                         attempts, next_attempt_at)
                     VALUES ($1, $2, $3, $4, $5, 0, $5)
                     ON CONFLICT (destination, dedup_key) DO NOTHING",
                )
                .map_err(e)?;
            for entry in &entries {
                queued += tx
                    .execute(
                        &ins,
                        &[
                            &text(&entry.event),
                            &text(&entry.dedup_key),
                            &text(&entry.destination),
                            &text(&entry.payload),
                            &to_ms(entry.created_at),
                        ],
                    )
                    .map_err(e)?;
            }
        }
        if let Some(c) = cursor {
            tx.execute(
                "INSERT INTO integration_cursors (name, position) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                &[&text(&c.name), &c.position],
            )
            .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(usize::try_from(queued).unwrap_or(usize::MAX))
    }

    fn due_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut client = self.pool.get()?;
        Ok(client
            .query(
                &format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox
                      WHERE delivered_at IS NULL AND next_attempt_at <= $1
                      ORDER BY id LIMIT $2"
                ),
                &[&to_ms(now), &limit_of(limit)],
            )
            .map_err(StoreError::pg("reading the outbox"))?
            .iter()
            .map(outbox_row)
            .collect())
    }

    fn outbox(&self, pending_only: bool, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let filter = if pending_only {
            "WHERE delivered_at IS NULL"
        } else {
            ""
        };
        Ok(client
            .query(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox {filter} ORDER BY id DESC LIMIT $1"),
                &[&limit_of(limit)],
            )
            .map_err(StoreError::pg("reading the outbox"))?
            .iter()
            .map(outbox_row)
            .collect())
    }

    fn record_attempt(
        &self,
        id: i64,
        at: Timestamp,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        let e = StoreError::pg("recording a delivery attempt");
        let mut client = self.pool.get()?;
        let changed = match outcome {
            DeliveryOutcome::Delivered => client
                .execute(
                    "UPDATE outbox SET attempts = attempts + 1, delivered_at = $2, last_error = NULL
                      WHERE id = $1 AND delivered_at IS NULL",
                    &[&id, &to_ms(at)],
                )
                .map_err(e)?,
            DeliveryOutcome::Failed { error, retry_at } => client
                .execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
                      WHERE id = $1 AND delivered_at IS NULL",
                    &[&id, &text(&error), &to_ms(retry_at)],
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
        let mut client = self.pool.get()?;
        Ok(client
            .query(
                "SELECT group_key, issue_key, state_hash, closed_by_sync, previous_issue_key,
                        created_at, synced_at
                   FROM jira_links ORDER BY group_key",
                &[],
            )
            .map_err(StoreError::pg("reading the Jira links"))?
            .iter()
            .map(|r| JiraLink {
                group_key: r.get(0),
                issue_key: r.get(1),
                state_hash: r.get(2),
                closed_by_sync: r.get(3),
                previous_issue_key: r.get(4),
                created_at: from_ms(r.get(5)),
                synced_at: from_ms(r.get(6)),
            })
            .collect())
    }

    fn save_jira_link(&self, link: JiraLink) -> Result<(), StoreError> {
        let mut client = self.pool.get()?;
        client
            .execute(
                "INSERT INTO jira_links (group_key, issue_key, state_hash, closed_by_sync,
                                         previous_issue_key, created_at, synced_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (group_key) DO UPDATE SET
                     issue_key = excluded.issue_key, state_hash = excluded.state_hash,
                     closed_by_sync = excluded.closed_by_sync,
                     previous_issue_key = excluded.previous_issue_key,
                     synced_at = excluded.synced_at",
                &[
                    &text(&link.group_key),
                    &text(&link.issue_key),
                    &text(&link.state_hash),
                    &link.closed_by_sync,
                    &opt_text(link.previous_issue_key.as_deref()),
                    &to_ms(link.created_at),
                    &to_ms(link.synced_at),
                ],
            )
            .map_err(StoreError::pg("saving a Jira link"))?;
        Ok(())
    }

    fn record_conflict(&self, c: NewConflict) -> Result<(ConflictRecord, bool), StoreError> {
        let e = StoreError::pg("recording a conflict");
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(e)?;
        // Two servers seeing the same disagreement at once record it once.
        lock(&mut tx, conflict_lock(&c), "recording a conflict")?;
        let (system, subject, reference, kind) = (
            text(&c.system),
            text(&c.subject),
            text(&c.reference),
            text(&c.kind),
        );
        let existing = tx
            .query_opt(
                &format!(
                    "SELECT {CONFLICT_COLUMNS} FROM integration_conflicts
                      WHERE system = $1 AND subject = $2 AND reference = $3 AND kind = $4
                        AND resolved_at IS NULL
                      ORDER BY id LIMIT 1"
                ),
                &[&system, &subject, &reference, &kind],
            )
            .map_err(e)?;
        if let Some(found) = existing {
            return Ok((conflict_row(&found), false));
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO integration_conflicts
                     (system, subject, reference, kind, detail, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &system,
                    &subject,
                    &reference,
                    &kind,
                    &text(&c.detail),
                    &to_ms(c.at),
                ],
            )
            .map_err(e)?
            .get(0);
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
        let mut client = self.pool.get()?;
        let n = client
            .execute(
                "UPDATE integration_conflicts SET resolved_at = $3
                  WHERE system = $1 AND subject = $2 AND resolved_at IS NULL",
                &[&text(system), &text(subject), &to_ms(at)],
            )
            .map_err(StoreError::pg("resolving conflicts"))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn conflicts(&self, open_only: bool) -> Result<Vec<ConflictRecord>, StoreError> {
        let mut client = self.pool.get()?;
        let filter = if open_only {
            "WHERE resolved_at IS NULL"
        } else {
            ""
        };
        Ok(client
            .query(
                &format!(
                    "SELECT {CONFLICT_COLUMNS} FROM integration_conflicts {filter} ORDER BY id DESC"
                ),
                &[],
            )
            .map_err(StoreError::pg("reading the conflict log"))?
            .iter()
            .map(conflict_row)
            .collect())
    }
}
