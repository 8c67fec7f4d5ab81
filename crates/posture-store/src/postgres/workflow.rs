//! The triage workflow's bulk write on PostgreSQL: events appended in one statement over
//! arrays (the workflow's other statements are `crate::sql::workflow`).

use super::text;
use crate::stored::to_ms;
use crate::{NewEvent, StoreError};
use postgres::Client;

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
