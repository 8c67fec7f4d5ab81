//! Runtime inventory: the components a runtime SBOM says are loaded in an asset, replaced per
//! (asset, target) on each runtime ingest (inside the ingest's transaction; the rows themselves
//! go in with each back end's bulk write).

use super::{Db, Sql, Value, args};
use crate::{RuntimeComponentRecord, StoreError};

static CLEAR: Sql = Sql::new(
    "recording the runtime inventory",
    "DELETE FROM runtime_components WHERE asset_id = ? AND target = ?",
);

static INVALIDATE_ASSET_RISK: Sql = Sql::new(
    "recording the runtime inventory",
    "UPDATE findings SET risk_score = -1 WHERE asset_id = ?",
);

static COMPONENTS: Sql = Sql::new(
    "reading the runtime inventory",
    "SELECT a.name, r.target, r.ecosystem, r.name, r.version, r.purl, r.scan_id,
            s.report_name, r.seen_at
       FROM runtime_components r
       JOIN assets a ON a.id = r.asset_id
       JOIN scans s ON s.id = r.scan_id
      WHERE a.name = ANY(?)
      ORDER BY a.name COLLATE \"C\", r.target COLLATE \"C\", r.name COLLATE \"C\"",
);

/// Empties the inventory of (asset, target) before its new components are written; the
/// asset's findings are to assess again (reachability comes from the inventory).
pub(crate) fn clear(db: &mut dyn Db, asset_id: i64, target: &str) -> Result<(), StoreError> {
    db.execute(&CLEAR, args![asset_id, target])?;
    db.execute(&INVALIDATE_ASSET_RISK, args![asset_id])?;
    Ok(())
}

/// The runtime inventory of these assets, by asset, target and component name.
pub(crate) fn runtime_components(
    db: &mut dyn Db,
    assets: &[String],
) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
    let mut names: Vec<&str> = assets.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    db.rows(&COMPONENTS, args![Value::texts(names)], |r| {
        Ok(RuntimeComponentRecord {
            asset: r.get(0)?,
            target: r.get(1)?,
            ecosystem: r.get(2)?,
            name: r.get(3)?,
            version: r.get(4)?,
            purl: r.get(5)?,
            scan_id: r.get(6)?,
            report: r.get(7)?,
            seen_at: r.time(8)?,
        })
    })
}
