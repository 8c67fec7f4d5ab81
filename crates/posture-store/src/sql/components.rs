//! The component inventory: which assets hold a package, in which versions, with how many
//! open findings; from the runtime SBOMs (`runtime_components`) and the packages of the
//! findings' open occurrences on the default branches. Grouped in SQL, searched in SQL.

use super::{Db, Sql, Value};
use crate::{ComponentRow, StoreError};

const PKG: &str = "o.data::json -> 'package'";

/// The rows of the inventory, one per (asset, package name, version, source); `search` is
/// text, any case, in the package's name or purl.
pub(crate) fn components(
    db: &mut dyn Db,
    search: Option<&str>,
) -> Result<Vec<ComponentRow>, StoreError> {
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| super::query::like_pattern("%", s, "%"));
    let mut rows = Vec::new();
    // Packages of findings: every open occurrence that names one.
    let (cond, args): (String, Vec<Value<'_>>) = match &pattern {
        Some(p) => (
            format!(
                "AND (lower({PKG} ->> 'name') LIKE ? ESCAPE '\\' OR lower({PKG} ->> 'purl') LIKE ? ESCAPE '\\')"
            ),
            vec![Value::text(p.as_str()), Value::text(p.as_str())],
        ),
        None => (String::new(), Vec::new()),
    };
    let sql = Sql::dynamic(
        "listing components",
        format!(
            "SELECT a.name, lower({PKG} ->> 'name'), {PKG} ->> 'version',
                    max({PKG} ->> 'purl'), max({PKG} ->> 'ecosystem'),
                    COUNT(DISTINCT CASE WHEN f.status = 'open'
                          AND (f.triage IS NULL OR f.triage IN ('confirmed', 'in-progress'))
                          THEN f.id END)
               FROM occurrences o
               JOIN findings f ON f.id = o.finding_id
               JOIN assets a ON a.id = f.asset_id
              WHERE o.open AND f.merged_into IS NULL AND f.on_default
                AND {PKG} ->> 'name' IS NOT NULL {cond}
              GROUP BY a.name, lower({PKG} ->> 'name'), {PKG} ->> 'version'"
        ),
    );
    rows.extend(db.rows(&sql, &args, |r| {
        Ok(ComponentRow {
            asset: r.get(0)?,
            name: r.get(1)?,
            version: r.get(2)?,
            purl: r.get(3)?,
            ecosystem: r.get(4)?,
            open_findings: r.count(5)?,
            in_sbom: false,
        })
    })?);
    // Components of the runtime SBOMs.
    let (cond, args): (String, Vec<Value<'_>>) = match &pattern {
        Some(p) => (
            "WHERE (lower(rc.name) LIKE ? ESCAPE '\\' OR lower(rc.purl) LIKE ? ESCAPE '\\')".into(),
            vec![Value::text(p.as_str()), Value::text(p.as_str())],
        ),
        None => (String::new(), Vec::new()),
    };
    let sql = Sql::dynamic(
        "listing components",
        format!(
            "SELECT a.name, lower(rc.name), rc.version, max(rc.purl), max(rc.ecosystem)
               FROM runtime_components rc JOIN assets a ON a.id = rc.asset_id
               {cond}
              GROUP BY a.name, lower(rc.name), rc.version"
        ),
    );
    rows.extend(db.rows(&sql, &args, |r| {
        Ok(ComponentRow {
            asset: r.get(0)?,
            name: r.get(1)?,
            version: r.get(2)?,
            purl: r.get(3)?,
            ecosystem: r.get(4)?,
            open_findings: 0,
            in_sbom: true,
        })
    })?);
    Ok(rows)
}
