//! Runtime inventory on PostgreSQL: replaced per (asset, target) on each runtime ingest (inside
//! the ingest's transaction), streamed with binary COPY.

use super::{opt_text, text};
use crate::stored::from_ms;
use crate::{RuntimeComponentRecord, StoreError};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, Transaction};
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
    let e = StoreError::pg("recording the runtime inventory");
    let target = text(target);
    tx.execute(
        "DELETE FROM runtime_components WHERE asset_id = $1 AND target = $2",
        &[&asset_id, &target],
    )
    .map_err(e)?;
    // reachability comes from the inventory: the asset's findings are to assess again
    tx.execute(
        "UPDATE findings SET risk_score = -1 WHERE asset_id = $1",
        &[&asset_id],
    )
    .map_err(e)?;
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

pub(super) fn runtime_components(
    client: &mut Client,
    assets: &[String],
) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
    let mut names: Vec<String> = assets.iter().map(|a| text(a).into_owned()).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT a.name, r.target, r.ecosystem, r.name, r.version, r.purl, r.scan_id,
                    s.report_name, r.seen_at
               FROM runtime_components r
               JOIN assets a ON a.id = r.asset_id
               JOIN scans s ON s.id = r.scan_id
              WHERE a.name = ANY($1)
              ORDER BY a.name COLLATE \"C\", r.target COLLATE \"C\", r.name COLLATE \"C\"",
            &[&names],
        )
        .map_err(StoreError::pg("reading the runtime inventory"))?;
    Ok(rows
        .iter()
        .map(|r| RuntimeComponentRecord {
            asset: r.get(0),
            target: r.get(1),
            ecosystem: r.get(2),
            name: r.get(3),
            version: r.get(4),
            purl: r.get(5),
            scan_id: r.get(6),
            report: r.get(7),
            seen_at: from_ms(r.get(8)),
        })
        .collect())
}
