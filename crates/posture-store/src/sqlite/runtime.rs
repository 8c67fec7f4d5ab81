//! Runtime inventory on SQLite: the bulk write of a runtime ingest's components (a prepared
//! statement in a loop). The statements around it are `sql::runtime`.

use crate::StoreError;
use posture_model::Component;
use rusqlite::{Transaction, params};
use std::collections::HashMap;

/// Replaces the inventory of (asset, target) with the components of the reports that got a
/// scan (`report_scans`: report index in the batch -> its scan id).
pub(super) fn replace(
    tx: &Transaction<'_>,
    asset_id: i64,
    target: &str,
    now: i64,
    components: &[Vec<Component>],
    report_scans: &HashMap<usize, i64>,
) -> Result<(), StoreError> {
    crate::sql::runtime::clear(&mut &**tx, asset_id, target)?;
    let e = StoreError::db("recording the runtime inventory");
    let mut st = tx
        .prepare(
            "INSERT INTO runtime_components (asset_id, target, ecosystem, name, version, purl, scan_id, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(e)?;
    for (ri, list) in components.iter().enumerate() {
        let Some(scan_id) = report_scans.get(&ri) else {
            continue;
        };
        for c in list {
            st.execute(params![
                asset_id,
                target,
                c.ecosystem,
                c.name,
                c.version,
                c.purl,
                scan_id,
                now
            ])
            .map_err(StoreError::db("recording the runtime inventory"))?;
        }
    }
    Ok(())
}
