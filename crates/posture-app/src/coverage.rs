//! Scanner coverage, computed once for `posture metrics`, `GET /api/v1/metrics` and the
//! dashboard: which categories (SAST, SCA, secrets, IaC, container, DAST) the tools that
//! actually ran on a service in the window cover.
//!
//! A scan covers the categories of what its tool reported (each occurrence's own category,
//! whatever finding correlation joined it to: detect-secrets' secrets count as secrets even
//! where they joined bandit's hard-coded-password finding). A tool that never reported
//! anything in that scope (clean scans only) covers its format's primary category: a clean
//! scan counts. Never "every category the parser could emit": a SARIF upload does not tick
//! DAST.

use posture_model::{Category, Timestamp};
use posture_store::ScanCoverageRow;
use std::collections::{BTreeSet, HashMap};

/// The categories a full scanner suite covers.
pub const SUITE: [Category; 6] = [
    Category::Sast,
    Category::Sca,
    Category::Secret,
    Category::Iac,
    Category::Container,
    Category::Dast,
];

/// The default coverage window, in days (`posture metrics --days`, the API's `days`, the
/// dashboard).
pub const DEFAULT_DAYS: u32 = 30;

/// The categories one scan covers (see the module documentation).
pub fn scan_categories(scan: &ScanCoverageRow) -> Vec<Category> {
    if scan.observed.is_empty() {
        posture_parsers::parser_by_id(&scan.format)
            .and_then(|p| p.categories().first().copied())
            .into_iter()
            .collect()
    } else {
        scan.observed.clone()
    }
}

/// What the scans of one service in the window cover.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceCoverage {
    pub categories: BTreeSet<Category>,
    pub tools: BTreeSet<String>,
    pub scans: usize,
    pub last_scan: Option<Timestamp>,
}

impl ServiceCoverage {
    /// Whether a tool of this category ran.
    pub fn covers(&self, c: Category) -> bool {
        self.categories.contains(&c)
    }
}

/// Coverage per service of the scans at or before `as_of` (the caller reads the window's
/// scans with `Store::scan_coverage`).
pub fn by_service(scans: &[ScanCoverageRow], as_of: Timestamp) -> HashMap<String, ServiceCoverage> {
    let mut out: HashMap<String, ServiceCoverage> = HashMap::new();
    for s in scans.iter().filter(|s| s.at <= as_of) {
        let entry = out.entry(s.asset.clone()).or_default();
        entry
            .categories
            .extend(scan_categories(s).into_iter().filter(|c| SUITE.contains(c)));
        entry.tools.insert(s.tool.clone());
        entry.scans += 1;
        entry.last_scan = entry.last_scan.max(Some(s.at));
    }
    out
}

/// The start of a window of `days` days ending at `as_of`.
pub fn window_start(as_of: Timestamp, days: u32) -> Timestamp {
    as_of
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}
