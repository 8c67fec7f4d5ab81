//! Threat feeds: each import replaces the previous data of its kind in one transaction (the
//! back end opens it, takes its lock and writes the rows in bulk; the statements around the
//! bulk write are here).

use super::{Db, Sql, Value, args};
use crate::stored::from_ms;
use crate::{EpssRow, FeedFacts, FeedImportRecord, KevRow, StoreError};
use std::collections::HashMap;

/// A threat feed Posture imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    Kev,
    Epss,
}

static CLEAR_KEV: Sql = Sql::new("importing the KEV catalog", "DELETE FROM kev");
static CLEAR_EPSS: Sql = Sql::new("importing the EPSS scores", "DELETE FROM epss");

static INVALIDATE_ALL_RISK: Sql = Sql::new(
    "importing a threat feed",
    "UPDATE findings SET risk_score = -1",
);

static RECORD: Sql = Sql::new(
    "recording the feed import",
    "INSERT INTO feed_imports (kind, version, date, imported_at, entries)
     VALUES (?, ?, ?, ?, ?) RETURNING id",
);

static KEV_FACTS: Sql = Sql::new(
    "reading the feeds",
    "SELECT cve, date_added, ransomware, catalog_version, due_date FROM kev WHERE cve = ANY(?)",
);

static EPSS_FACTS: Sql = Sql::new(
    "reading the feeds",
    "SELECT cve, probability, percentile, model_version, score_date FROM epss WHERE cve = ANY(?)",
);

static IMPORTS: Sql = Sql::new(
    "reading the feed imports",
    "SELECT id, kind, version, date, imported_at, entries FROM feed_imports ORDER BY id DESC",
);

/// Removes the feed's previous data; new feed facts can move any finding's risk, so every
/// finding is to assess again.
pub(crate) fn clear(db: &mut dyn Db, feed: Feed) -> Result<(), StoreError> {
    db.execute(
        match feed {
            Feed::Kev => &CLEAR_KEV,
            Feed::Epss => &CLEAR_EPSS,
        },
        args![],
    )?;
    db.execute(&INVALIDATE_ALL_RISK, args![])?;
    Ok(())
}

/// Records an import (after its rows were written).
pub(crate) fn record(
    db: &mut dyn Db,
    feed: Feed,
    version: Option<&str>,
    date: Option<&str>,
    at: i64,
    entries: usize,
) -> Result<FeedImportRecord, StoreError> {
    let kind = match feed {
        Feed::Kev => "kev",
        Feed::Epss => "epss",
    };
    let id: i64 = db.one(&RECORD, args![kind, version, date, at, entries], |r| {
        r.get(0)
    })?;
    Ok(FeedImportRecord {
        id,
        kind: kind.to_string(),
        version: version.map(str::to_string),
        date: date.map(str::to_string),
        imported_at: from_ms(at),
        entries,
    })
}

/// What the feeds say of these CVE ids: one query per table.
pub(crate) fn feed_facts(
    db: &mut dyn Db,
    cves: &[String],
) -> Result<HashMap<String, FeedFacts>, StoreError> {
    let mut ids: Vec<&str> = cves.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<String, FeedFacts> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let kev = db.rows(&KEV_FACTS, args![Value::texts(ids.clone())], |r| {
        Ok(KevRow {
            cve: r.get(0)?,
            date_added: r.get(1)?,
            ransomware: r.get(2)?,
            catalog_version: r.get(3)?,
            due_date: r.get(4)?,
        })
    })?;
    for row in kev {
        let cve = row.cve.clone();
        out.entry(cve).or_default().kev = Some(row);
    }
    let epss = db.rows(&EPSS_FACTS, args![Value::texts(ids)], |r| {
        Ok(EpssRow {
            cve: r.get(0)?,
            probability: r.get(1)?,
            percentile: r.get(2)?,
            model_version: r.get(3)?,
            score_date: r.get(4)?,
        })
    })?;
    for row in epss {
        let cve = row.cve.clone();
        out.entry(cve).or_default().epss = Some(row);
    }
    Ok(out)
}

/// Feed imports, newest first.
pub(crate) fn feed_imports(db: &mut dyn Db) -> Result<Vec<FeedImportRecord>, StoreError> {
    db.rows(&IMPORTS, args![], |r| {
        Ok(FeedImportRecord {
            id: r.get(0)?,
            kind: r.get(1)?,
            version: r.get(2)?,
            date: r.get(3)?,
            imported_at: r.time(4)?,
            entries: r.count(5)?,
        })
    })
}
