//! The component inventory (`posture components`, `GET /api/v1/components`, the dashboard's
//! components page): which assets hold a package, in which versions, with their open
//! findings. Read from what is stored: the packages of the findings' open occurrences and the
//! runtime SBOMs (`posture ingest --kind runtime`), grouped and searched in SQL
//! ([`posture_store::Store::components`]).

use crate::AppError;
use posture_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// One package across the portfolio.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentView {
    /// The package's name (lowercased).
    pub name: String,
    /// Its ecosystems as reported (npm, pypi, deb, ...).
    pub ecosystems: Vec<String>,
    /// A purl of it, when known (the first in order).
    pub purl: Option<String>,
    /// Open findings (open, confirmed, in progress) on its versions, over every asset.
    pub open_findings: usize,
    /// The assets that hold it, by name.
    pub assets: Vec<ComponentAsset>,
}

/// A package on one asset.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentAsset {
    pub asset: String,
    /// The versions seen there (a version unknown to the report is absent), in order.
    pub versions: Vec<String>,
    /// Open findings of the package on this asset.
    pub open_findings: usize,
    /// Listed by a runtime SBOM of the asset.
    pub in_sbom: bool,
    /// Named by a finding's package on the asset (open or triaged).
    pub in_findings: bool,
}

/// The inventory, most open findings first (then by name); only assets `may_read` accepts.
/// `search`: text, any case, in the package's name or purl.
pub fn inventory(
    store: &dyn Store,
    search: Option<&str>,
    may_read: &dyn Fn(&str) -> bool,
) -> Result<Vec<ComponentView>, AppError> {
    let rows = store.components(search)?;
    let mut by_name: BTreeMap<String, ComponentView> = BTreeMap::new();
    let mut by_asset: BTreeMap<(String, String), ComponentAsset> = BTreeMap::new();
    for row in rows {
        if !may_read(&row.asset) {
            continue;
        }
        let view = by_name
            .entry(row.name.clone())
            .or_insert_with(|| ComponentView {
                name: row.name.clone(),
                ecosystems: Vec::new(),
                purl: None,
                open_findings: 0,
                assets: Vec::new(),
            });
        if let Some(e) = row.ecosystem.as_ref().filter(|e| !e.is_empty())
            && !view.ecosystems.contains(e)
        {
            view.ecosystems.push(e.clone());
        }
        if view.purl.is_none() {
            view.purl = row.purl.clone().filter(|p| !p.is_empty());
        }
        view.open_findings += row.open_findings;
        let on = by_asset
            .entry((row.name.clone(), row.asset.clone()))
            .or_insert_with(|| ComponentAsset {
                asset: row.asset.clone(),
                versions: Vec::new(),
                open_findings: 0,
                in_sbom: false,
                in_findings: false,
            });
        if let Some(v) = row.version.filter(|v| !v.is_empty())
            && !on.versions.contains(&v)
        {
            on.versions.push(v);
        }
        on.open_findings += row.open_findings;
        if row.in_sbom {
            on.in_sbom = true;
        } else {
            on.in_findings = true;
        }
    }
    for ((name, _), mut on) in by_asset {
        on.versions.sort();
        if let Some(view) = by_name.get_mut(&name) {
            view.assets.push(on);
        }
    }
    let mut list: Vec<ComponentView> = by_name.into_values().collect();
    for v in &mut list {
        v.ecosystems.sort();
    }
    list.sort_by(|a, b| {
        b.open_findings
            .cmp(&a.open_findings)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(list)
}
