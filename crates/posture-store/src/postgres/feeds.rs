//! Threat feeds on PostgreSQL: an import replaces the previous data of its feed in one
//! transaction (under the feed's advisory lock, so two imports never interleave) and streams
//! the rows with binary COPY: an EPSS file has about 300,000 scores.

use super::{feed_lock, lock, opt_text, text};
use crate::stored::{from_ms, to_ms};
use crate::{EpssImport, EpssRow, FeedFacts, FeedImportRecord, KevImport, KevRow, StoreError};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, Transaction};
use std::collections::HashMap;

/// New feed facts can move any finding's risk: every finding is to assess again.
fn invalidate_all_risk(tx: &mut Transaction<'_>) -> Result<u64, postgres::Error> {
    tx.execute("UPDATE findings SET risk_score = -1", &[])
}

fn record(
    tx: &mut Transaction<'_>,
    kind: &str,
    version: Option<&str>,
    date: Option<&str>,
    at: i64,
    entries: usize,
) -> Result<FeedImportRecord, StoreError> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO feed_imports (kind, version, date, imported_at, entries)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &kind,
                &opt_text(version),
                &opt_text(date),
                &at,
                &(entries as i64),
            ],
        )
        .map_err(StoreError::pg("recording the feed import"))?
        .get(0);
    Ok(FeedImportRecord {
        id,
        kind: kind.to_string(),
        version: version.map(str::to_string),
        date: date.map(str::to_string),
        imported_at: from_ms(at),
        entries,
    })
}

/// The last entry of each key wins, as `INSERT OR REPLACE` does on SQLite.
fn last_per_key<T>(rows: &[T], key: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    let mut out: Vec<&T> = Vec::with_capacity(rows.len());
    for r in rows {
        match index.get(key(r)) {
            Some(&i) => out[i] = r,
            None => {
                index.insert(key(r), out.len());
                out.push(r);
            }
        }
    }
    out
}

pub(super) fn import_kev(
    client: &mut Client,
    catalog: KevImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = StoreError::pg("importing the KEV catalog");
    let mut tx = client.transaction().map_err(e)?;
    lock(&mut tx, feed_lock("kev"), "importing the KEV catalog")?;
    tx.execute("DELETE FROM kev", &[]).map_err(e)?;
    invalidate_all_risk(&mut tx).map_err(e)?;
    {
        let sink = tx
            .copy_in(
                "COPY kev (cve, date_added, ransomware, catalog_version, due_date) FROM STDIN BINARY",
            )
            .map_err(e)?;
        let mut w = BinaryCopyInWriter::new(
            sink,
            &[Type::TEXT, Type::TEXT, Type::BOOL, Type::TEXT, Type::TEXT],
        );
        for r in last_per_key(&catalog.entries, |r| r.cve.as_str()) {
            let version = r
                .catalog_version
                .as_deref()
                .or(catalog.catalog_version.as_deref());
            let row: [&(dyn ToSql + Sync); 5] = [
                &text(&r.cve),
                &opt_text(r.date_added.as_deref()),
                &r.ransomware,
                &opt_text(version),
                &opt_text(r.due_date.as_deref()),
            ];
            w.write(&row).map_err(e)?;
        }
        w.finish().map_err(e)?;
    }
    let rec = record(
        &mut tx,
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
    client: &mut Client,
    feed: EpssImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = StoreError::pg("importing the EPSS scores");
    let mut tx = client.transaction().map_err(e)?;
    lock(&mut tx, feed_lock("epss"), "importing the EPSS scores")?;
    tx.execute("DELETE FROM epss", &[]).map_err(e)?;
    invalidate_all_risk(&mut tx).map_err(e)?;
    {
        let sink = tx
            .copy_in(
                "COPY epss (cve, probability, percentile, model_version, score_date) FROM STDIN BINARY",
            )
            .map_err(e)?;
        let mut w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::TEXT,
                Type::TEXT,
            ],
        );
        for r in last_per_key(&feed.entries, |r| r.cve.as_str()) {
            let model = r.model_version.as_deref().or(feed.model_version.as_deref());
            let date = r.score_date.as_deref().or(feed.score_date.as_deref());
            let row: [&(dyn ToSql + Sync); 5] = [
                &text(&r.cve),
                &r.probability,
                &r.percentile,
                &opt_text(model),
                &opt_text(date),
            ];
            w.write(&row).map_err(e)?;
        }
        w.finish().map_err(e)?;
    }
    let rec = record(
        &mut tx,
        "epss",
        feed.model_version.as_deref(),
        feed.score_date.as_deref(),
        to_ms(feed.at),
        feed.entries.len(),
    )?;
    tx.commit().map_err(e)?;
    Ok(rec)
}

/// Set-based: one query per table, the ids as one array.
pub(super) fn feed_facts(
    client: &mut Client,
    cves: &[String],
) -> Result<HashMap<String, FeedFacts>, StoreError> {
    let e = StoreError::pg("reading the feeds");
    let mut ids: Vec<&str> = cves.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<String, FeedFacts> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = client
        .query(
            "SELECT cve, date_added, ransomware, catalog_version, due_date FROM kev WHERE cve = ANY($1)",
            &[&ids],
        )
        .map_err(e)?;
    for r in &rows {
        let row = KevRow {
            cve: r.get(0),
            date_added: r.get(1),
            ransomware: r.get(2),
            catalog_version: r.get(3),
            due_date: r.get(4),
        };
        let cve = row.cve.clone();
        out.entry(cve).or_default().kev = Some(row);
    }
    let rows = client
        .query(
            "SELECT cve, probability, percentile, model_version, score_date FROM epss WHERE cve = ANY($1)",
            &[&ids],
        )
        .map_err(e)?;
    for r in &rows {
        let row = EpssRow {
            cve: r.get(0),
            probability: r.get(1),
            percentile: r.get(2),
            model_version: r.get(3),
            score_date: r.get(4),
        };
        let cve = row.cve.clone();
        out.entry(cve).or_default().epss = Some(row);
    }
    Ok(out)
}

pub(super) fn feed_imports(client: &mut Client) -> Result<Vec<FeedImportRecord>, StoreError> {
    let rows = client
        .query(
            "SELECT id, kind, version, date, imported_at, entries FROM feed_imports ORDER BY id DESC",
            &[],
        )
        .map_err(StoreError::pg("reading the feed imports"))?;
    Ok(rows
        .iter()
        .map(|r| FeedImportRecord {
            id: r.get(0),
            kind: r.get(1),
            version: r.get(2),
            date: r.get(3),
            imported_at: from_ms(r.get(4)),
            entries: r.get::<_, i64>(5).max(0) as usize,
        })
        .collect())
}
