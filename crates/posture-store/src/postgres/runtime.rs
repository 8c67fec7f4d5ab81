//! Runtime inventory on PostgreSQL: the components of a runtime ingest (inside the ingest's
//! transaction), streamed with binary COPY. The statements around it are `sql::runtime`.

use super::{opt_text, text};
use crate::StoreError;
use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use posture_model::Component;
use std::collections::HashMap;

/// Replaces the inventory of (asset, target) with the components of the reports that got a
/// scan (`report_scans`: report index in the batch -> its scan id).
pub(super) fn replace(
    tx: &mut Transaction<'_>,
    asset_id: i64,
    target: &str,
    now: i64,
    components: &[Vec<Component>],
    report_scans: &HashMap<usize, i64>,
) -> Result<(), StoreError> {
    crate::sql::runtime::clear(tx, asset_id, target)?;
    let e = StoreError::pg("recording the runtime inventory");
    let target = text(target);
    let sink = tx
        .copy_in(
            "COPY runtime_components (asset_id, target, ecosystem, name, version, purl, scan_id, seen_at)
             FROM STDIN BINARY",
        )
        .map_err(e)?;
    let mut w = BinaryCopyInWriter::new(
        sink,
        &[
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::INT8,
        ],
    );
    for (ri, list) in components.iter().enumerate() {
        let Some(scan_id) = report_scans.get(&ri) else {
            continue;
        };
        for c in list {
            let row: [&(dyn ToSql + Sync); 8] = [
                &asset_id,
                &target,
                &opt_text(c.ecosystem.as_deref()),
                &text(&c.name),
                &opt_text(c.version.as_deref()),
                &opt_text(c.purl.as_deref()),
                scan_id,
                &now,
            ];
            w.write(&row).map_err(e)?;
        }
    }
    w.finish().map_err(e)?;
    Ok(())
}
