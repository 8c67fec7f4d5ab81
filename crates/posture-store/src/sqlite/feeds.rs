//! Threat feeds: each import replaces the previous data of its kind in one transaction.

use super::{from_ms, to_ms};
use crate::{EpssImport, EpssRow, FeedFacts, FeedImportRecord, KevImport, KevRow, StoreError};
use rusqlite::{Connection, params, params_from_iter};
use std::collections::HashMap;

fn err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + Copy {
    move |e| StoreError::db(context)(e)
}

/// New feed facts can move any finding's risk: every finding is to assess again.
fn invalidate_all_risk(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<usize> {
    tx.execute("UPDATE findings SET risk_score = -1", [])
}

fn record(
    tx: &rusqlite::Transaction<'_>,
    kind: &str,
    version: Option<&str>,
    date: Option<&str>,
    at: i64,
    entries: usize,
) -> Result<FeedImportRecord, StoreError> {
    tx.execute(
        "INSERT INTO feed_imports (kind, version, date, imported_at, entries) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind, version, date, at, entries as i64],
    )
    .map_err(err("recording the feed import"))?;
    Ok(FeedImportRecord {
        id: tx.last_insert_rowid(),
        kind: kind.to_string(),
        version: version.map(str::to_string),
        date: date.map(str::to_string),
        imported_at: from_ms(at),
        entries,
    })
}

pub(super) fn import_kev(
    conn: &mut Connection,
    catalog: KevImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = err("importing the KEV catalog");
    let tx = conn.transaction().map_err(e)?;
    tx.execute("DELETE FROM kev", []).map_err(e)?;
    invalidate_all_risk(&tx).map_err(e)?;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO kev (cve, date_added, ransomware, catalog_version, due_date)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(e)?;
        for r in &catalog.entries {
            ins.execute(params![
                r.cve,
                r.date_added,
                r.ransomware,
                r.catalog_version
                    .as_ref()
                    .or(catalog.catalog_version.as_ref()),
                r.due_date
            ])
            .map_err(e)?;
        }
    }
    let rec = record(
        &tx,
        "kev",
        catalog.catalog_version.as_deref(),
        catalog.date.as_deref(),
        to_ms(catalog.at),
        catalog.entries.len(),
    )?;
    tx.commit().map_err(e)?;
    Ok(rec)
}

pub(super) fn import_epss(
    conn: &mut Connection,
    feed: EpssImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = err("importing the EPSS scores");
    let tx = conn.transaction().map_err(e)?;
    tx.execute("DELETE FROM epss", []).map_err(e)?;
    invalidate_all_risk(&tx).map_err(e)?;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO epss (cve, probability, percentile, model_version, score_date)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(e)?;
        for r in &feed.entries {
            ins.execute(params![
                r.cve,
                r.probability,
                r.percentile,
                r.model_version.as_ref().or(feed.model_version.as_ref()),
                r.score_date.as_ref().or(feed.score_date.as_ref())
            ])
            .map_err(e)?;
        }
    }
    let rec = record(
        &tx,
        "epss",
        feed.model_version.as_deref(),
        feed.score_date.as_deref(),
        to_ms(feed.at),
        feed.entries.len(),
    )?;
    tx.commit().map_err(e)?;
    Ok(rec)
}

/// Set-based: one query per table per chunk of 500 ids.
pub(super) fn feed_facts(
    conn: &Connection,
    cves: &[String],
) -> Result<HashMap<String, FeedFacts>, StoreError> {
    let e = err("reading the feeds");
    let mut ids: Vec<&str> = cves.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<String, FeedFacts> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut st = conn
            .prepare(&format!(
                "SELECT cve, date_added, ransomware, catalog_version, due_date FROM kev WHERE cve IN ({marks})"
            ))
            .map_err(e)?;
        let rows = st
            .query_map(params_from_iter(chunk.iter()), |r| {
                Ok(KevRow {
                    cve: r.get(0)?,
                    date_added: r.get(1)?,
                    ransomware: r.get(2)?,
                    catalog_version: r.get(3)?,
                    due_date: r.get(4)?,
                })
            })
            .map_err(e)?;
        for row in rows {
            let row = row.map_err(e)?;
            let cve = row.cve.clone();
            out.entry(cve).or_default().kev = Some(row);
        }
        let mut st = conn
            .prepare(&format!(
                "SELECT cve, probability, percentile, model_version, score_date FROM epss WHERE cve IN ({marks})"
            ))
            .map_err(e)?;
        let rows = st
            .query_map(params_from_iter(chunk.iter()), |r| {
                Ok(EpssRow {
                    cve: r.get(0)?,
                    probability: r.get(1)?,
                    percentile: r.get(2)?,
                    model_version: r.get(3)?,
                    score_date: r.get(4)?,
                })
            })
            .map_err(e)?;
        for row in rows {
            let row = row.map_err(e)?;
            let cve = row.cve.clone();
            out.entry(cve).or_default().epss = Some(row);
        }
    }
    Ok(out)
}

pub(super) fn feed_imports(conn: &Connection) -> Result<Vec<FeedImportRecord>, StoreError> {
    let e = err("reading the feed imports");
    let mut st = conn
        .prepare(
            "SELECT id, kind, version, date, imported_at, entries FROM feed_imports ORDER BY id DESC",
        )
        .map_err(e)?;
    let rows = st
        .query_map([], |r| {
            Ok(FeedImportRecord {
                id: r.get(0)?,
                kind: r.get(1)?,
                version: r.get(2)?,
                date: r.get(3)?,
                imported_at: from_ms(r.get(4)?),
                entries: r.get::<_, i64>(5)? as usize,
            })
        })
        .map_err(e)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(e)
}
