//! The triage workflow's bulk write on SQLite: events appended with a cached prepared
//! statement in a loop (the workflow's other statements are `crate::sql::workflow`).

use super::to_ms;
use crate::{NewEvent, StoreError};
use rusqlite::{Connection, params};

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    StoreError::db(context)
}

pub(super) fn append_events(
    conn: &mut Connection,
    events: Vec<NewEvent>,
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let context = "appending events";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db(context))?;
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO events (finding_id, at, kind, actor, from_status, to_status, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db(context))?;
        for e in &events {
            stmt.execute(params![
                e.finding_id,
                to_ms(e.at),
                e.kind.as_str(),
                e.actor,
                e.from_status,
                e.to_status,
                e.reason
            ])
            .map_err(db(context))?;
        }
    }
    tx.commit().map_err(db(context))?;
    Ok(events.len())
}
