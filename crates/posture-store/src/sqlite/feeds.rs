//! Threat feeds on SQLite: the bulk write of an import (a cached prepared statement in a loop;
//! `INSERT OR REPLACE`, so the last entry of a key wins). The statements around it are
//! `sql::feeds`.

use super::to_ms;
use crate::sql::feeds::{self, Feed};
use crate::{EpssImport, FeedImportRecord, KevImport, StoreError};
use rusqlite::{Connection, params};

pub(super) fn import_kev(
    conn: &mut Connection,
    catalog: KevImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = StoreError::db("importing the KEV catalog");
    let tx = conn.transaction().map_err(e)?;
    feeds::clear(&mut &*tx, Feed::Kev)?;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO kev (cve, date_added, ransomware, catalog_version, due_date)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(StoreError::db("importing the KEV catalog"))?;
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
            .map_err(StoreError::db("importing the KEV catalog"))?;
        }
    }
    let rec = feeds::record(
        &mut &*tx,
        Feed::Kev,
        catalog.catalog_version.as_deref(),
        catalog.date.as_deref(),
        to_ms(catalog.at),
        catalog.entries.len(),
    )?;
    tx.commit()
        .map_err(StoreError::db("importing the KEV catalog"))?;
    Ok(rec)
}

pub(super) fn import_epss(
    conn: &mut Connection,
    feed: EpssImport,
) -> Result<FeedImportRecord, StoreError> {
    let e = StoreError::db("importing the EPSS scores");
    let tx = conn.transaction().map_err(e)?;
    feeds::clear(&mut &*tx, Feed::Epss)?;
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO epss (cve, probability, percentile, model_version, score_date)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(StoreError::db("importing the EPSS scores"))?;
        for r in &feed.entries {
            ins.execute(params![
                r.cve,
                r.probability,
                r.percentile,
                r.model_version.as_ref().or(feed.model_version.as_ref()),
                r.score_date.as_ref().or(feed.score_date.as_ref())
            ])
            .map_err(StoreError::db("importing the EPSS scores"))?;
        }
    }
    let rec = feeds::record(
        &mut &*tx,
        Feed::Epss,
        feed.model_version.as_deref(),
        feed.score_date.as_deref(),
        to_ms(feed.at),
        feed.entries.len(),
    )?;
    tx.commit()
        .map_err(StoreError::db("importing the EPSS scores"))?;
    Ok(rec)
}
