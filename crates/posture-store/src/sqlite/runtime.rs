//! Runtime inventory: the components a runtime SBOM says are loaded in an asset, replaced per
//! (asset, target) on each runtime ingest.

use super::from_ms;
use crate::{RuntimeComponentRecord, StoreError};
use posture_model::Component;
use rusqlite::{Connection, Transaction, params, params_from_iter};
use std::collections::HashMap;

fn err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + Copy {
    move |e| StoreError::db(context)(e)
}

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
    let e = err("recording the runtime inventory");
    tx.execute(
        "DELETE FROM runtime_components WHERE asset_id = ?1 AND target = ?2",
        params![asset_id, target],
    )
    .map_err(e)?;
    // reachability comes from the inventory: the asset's findings are to assess again
    tx.execute(
        "UPDATE findings SET risk_score = -1 WHERE asset_id = ?1",
        [asset_id],
    )
    .map_err(e)?;
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
            .map_err(e)?;
        }
    }
    Ok(())
}

pub(super) fn runtime_components(
    conn: &Connection,
    assets: &[String],
) -> Result<Vec<RuntimeComponentRecord>, StoreError> {
    let e = err("reading the runtime inventory");
    let mut names: Vec<&str> = assets.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for chunk in names.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut st = conn
            .prepare(&format!(
                "SELECT a.name, r.target, r.ecosystem, r.name, r.version, r.purl, r.scan_id,
                        s.report_name, r.seen_at
                 FROM runtime_components r
                 JOIN assets a ON a.id = r.asset_id
                 JOIN scans s ON s.id = r.scan_id
                 WHERE a.name IN ({marks})
                 ORDER BY a.name, r.target, r.name"
            ))
            .map_err(e)?;
        let rows = st
            .query_map(params_from_iter(chunk.iter()), |r| {
                Ok(RuntimeComponentRecord {
                    asset: r.get(0)?,
                    target: r.get(1)?,
                    ecosystem: r.get(2)?,
                    name: r.get(3)?,
                    version: r.get(4)?,
                    purl: r.get(5)?,
                    scan_id: r.get(6)?,
                    report: r.get(7)?,
                    seen_at: from_ms(r.get(8)?),
                })
            })
            .map_err(e)?;
        for row in rows {
            out.push(row.map_err(e)?);
        }
    }
    Ok(out)
}
