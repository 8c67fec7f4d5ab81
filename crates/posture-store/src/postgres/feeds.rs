//! Threat feeds on PostgreSQL: an import replaces the previous data of its feed in one
//! transaction (under the feed's advisory lock, so two imports never interleave) and streams
//! the rows with binary COPY: an EPSS file has about 300,000 scores. The statements around the
//! bulk write are `sql::feeds`.

use super::{feed_lock, lock, opt_text, text};
use crate::sql::feeds::{self, Feed};
use crate::stored::to_ms;
use crate::{EpssImport, FeedImportRecord, KevImport, StoreError};
use postgres::Client;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use std::collections::HashMap;

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
    feeds::clear(&mut tx, Feed::Kev)?;
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
    let rec = feeds::record(
        &mut tx,
        Feed::Kev,
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
    feeds::clear(&mut tx, Feed::Epss)?;
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
    let rec = feeds::record(
        &mut tx,
        Feed::Epss,
        feed.model_version.as_deref(),
        feed.score_date.as_deref(),
        to_ms(feed.at),
        feed.entries.len(),
    )?;
    tx.commit().map_err(e)?;
    Ok(rec)
}
