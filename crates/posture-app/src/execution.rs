//! Runtime evidence for code: coverage reports (lcov, JaCoCo, Cobertura, coverage.py, Go)
//! ingested with `--kind runtime`, and what they say of each SAST finding's lines.
//!
//! **Ingest** ([`ingest_coverage`]): every file is read first (a broken one fails the whole
//! ingest, naming the file and the line or element, before anything is written); each then
//! replaces the asset's coverage of its environment (`production`, `staging` or `test`;
//! default `test`, the weakest evidence: production coverage must be said so). Its time is
//! `--at`, else the report's own (JaCoCo session dump, Cobertura timestamp, coverage.py
//! `meta.timestamp`), else the ingest's. Coverage never creates or changes a finding; the
//! asset's findings are assessed again at once.
//!
//! **Evidence** ([`CoverageIndex::evidence`]): a SAST finding's file (its first located
//! occurrence, open ones first) is looked up in the asset's coverage, environment by
//! environment, production first: a coverage path, rewritten by posture.toml's
//! `[[runtime.path_map]]`, is the finding's file when equal or ending with `/` + its path
//! (a path that two coverage files could be is ambiguous and no evidence). Of the finding's
//! lines (start to end), those the report instruments give the evidence: the highest hit
//! count. The first environment with evidence decides; a file or line no report covers is
//! unknown and changes nothing.

use crate::AppError;
use crate::ingest::ReportSource;
use crate::risk::RiskConfig;
use posture_config::PathMap;
use posture_model::Category;
use posture_model::Timestamp;
use posture_model::coverage::CoverageEnvironment;
use posture_risk::ExecutionEvidence;
use posture_store::{CoverageImport, CoverageOutcome, FindingRecord, Store};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The coverage format of a report: the one given (`--format lcov`), else detected from its
/// content; `None` when it is not a coverage report.
pub fn coverage_format(source: &ReportSource, batch_format: Option<&str>) -> Option<&'static str> {
    let given = source
        .format
        .as_deref()
        .or(batch_format)
        .map(str::trim)
        .filter(|f| !f.is_empty());
    match given {
        Some(id) => posture_parsers::coverage::FORMATS
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(f, _)| *f),
        None => posture_parsers::coverage::detect(&source.bytes),
    }
}

/// Where and when coverage was recorded.
#[derive(Debug, Clone)]
pub struct CoverageRequest {
    pub asset: String,
    pub environment: CoverageEnvironment,
    /// `--at`: when the coverage was recorded (wins over the report's own time).
    pub recorded_at: Option<Timestamp>,
    /// Now.
    pub at: Timestamp,
}

/// Reads every coverage report, then records each (see the module docs) and refreshes the
/// stored risk. `formats[i]` is the format of `sources[i]` ([`coverage_format`]).
pub fn ingest_coverage(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    sources: &[(&ReportSource, &'static str)],
    req: &CoverageRequest,
) -> Result<Vec<CoverageOutcome>, AppError> {
    let asset = req.asset.trim();
    if asset.is_empty() {
        return Err(AppError::Invalid(
            "--asset must name the asset (service) the coverage belongs to".into(),
        ));
    }
    let mut imports = Vec::with_capacity(sources.len());
    for (source, format) in sources {
        let report =
            posture_parsers::coverage::parse_as(format, &source.bytes).map_err(|error| {
                AppError::Parse {
                    file: source.name.clone(),
                    format: (*format).to_string(),
                    error,
                }
            })?;
        imports.push(CoverageImport {
            asset: asset.to_string(),
            environment: req.environment,
            report: source.name.clone(),
            sha256: hex::encode(Sha256::digest(&source.bytes)),
            format: (*format).to_string(),
            recorded_at: req.recorded_at.or(report.generated_at).unwrap_or(req.at),
            at: req.at,
            files: report.files,
        });
    }
    let mut out = Vec::with_capacity(imports.len());
    for import in imports {
        out.push(store.record_coverage(import)?);
    }
    crate::risk::refresh_stored_risk(store, config)?;
    Ok(out)
}

struct Entry {
    environment: CoverageEnvironment,
    /// As the report wrote it, and rewritten by the path map.
    path: String,
    mapped: String,
    lines: Vec<(u32, u64)>,
    report: String,
    format: String,
    recorded_at: Timestamp,
}

/// The runtime coverage of some assets, ready to answer for findings.
#[derive(Default)]
pub(crate) struct CoverageIndex {
    entries: Vec<Entry>,
    /// (asset, file name) -> entries.
    by_name: HashMap<(String, String), Vec<usize>>,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The file and lines of a finding, when it has them: its first located occurrence (open
/// ones first).
fn place(f: &FindingRecord) -> Option<(&str, u32, u32)> {
    let mut occ: Vec<_> = f.occurrences.iter().collect();
    occ.sort_by_key(|o| !o.open);
    occ.iter().find_map(|o| {
        let l = &o.data.location;
        let path = l.path.as_deref()?;
        let start = l.start_line.filter(|s| *s >= 1)?;
        let end = l.end_line.unwrap_or(start).max(start);
        Some((path, start, end.min(start.saturating_add(10_000))))
    })
}

impl CoverageIndex {
    /// The coverage of the assets of these findings' SAST findings (none read when there is
    /// none).
    pub(crate) fn load(
        store: &dyn Store,
        config: Option<&RiskConfig>,
        findings: &[FindingRecord],
    ) -> Result<Self, AppError> {
        let mut assets: Vec<String> = findings
            .iter()
            .filter(|f| f.category == Category::Sast && place(f).is_some())
            .map(|f| f.asset.clone())
            .collect();
        assets.sort_unstable();
        assets.dedup();
        if assets.is_empty() {
            return Ok(CoverageIndex::default());
        }
        let mut maps: HashMap<String, PathMap> = HashMap::new();
        let mut index = CoverageIndex::default();
        for r in store.runtime_coverage(&assets)? {
            let map = maps.entry(r.asset.clone()).or_insert_with(|| {
                config
                    .map(|c| c.portfolio.runtime().path_map_for(&r.asset))
                    .unwrap_or_default()
            });
            let mapped = map.map(&r.path);
            let key = (r.asset.clone(), file_name(&mapped).to_string());
            index
                .by_name
                .entry(key)
                .or_default()
                .push(index.entries.len());
            index.entries.push(Entry {
                environment: r.environment,
                path: r.path,
                mapped,
                lines: r.lines,
                report: r.report,
                format: r.format,
                recorded_at: r.recorded_at,
            });
        }
        Ok(index)
    }

    /// What runtime coverage says of a SAST finding's lines (see the module docs).
    pub(crate) fn evidence(&self, f: &FindingRecord) -> Option<ExecutionEvidence> {
        if self.entries.is_empty() || f.category != Category::Sast {
            return None;
        }
        let (path, start, end) = place(f)?;
        let finding_path = posture_config::runtime::normalize_path(path);
        let candidates = self
            .by_name
            .get(&(f.asset.clone(), file_name(&finding_path).to_string()))?;
        for env in CoverageEnvironment::ALL {
            let matching: Vec<&Entry> = candidates
                .iter()
                .map(|i| &self.entries[*i])
                .filter(|e| e.environment == env && PathMap::matches(&e.mapped, &finding_path))
                .collect();
            let exact: Vec<&Entry> = matching
                .iter()
                .copied()
                .filter(|e| {
                    e.mapped.trim_start_matches('/') == finding_path.trim_start_matches('/')
                })
                .collect();
            let entry = match (exact.as_slice(), matching.as_slice()) {
                ([one], _) | ([], [one]) => *one,
                _ => continue,
            };
            let from = entry.lines.partition_point(|(l, _)| *l < start);
            let to = entry.lines.partition_point(|(l, _)| *l <= end);
            let covered = &entry.lines[from..to];
            let (Some(first), Some(last)) = (covered.first(), covered.last()) else {
                continue;
            };
            let hits = covered.iter().map(|(_, h)| *h).max().unwrap_or(0);
            let lines = if first.0 == last.0 {
                first.0.to_string()
            } else {
                format!("{}-{}", first.0, last.0)
            };
            let shown_path = if entry.path == finding_path {
                finding_path.clone()
            } else {
                format!("{finding_path} (coverage path {})", entry.path)
            };
            let date = entry
                .recorded_at
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
                .to_string();
            return Some(ExecutionEvidence {
                environment: env,
                hits,
                path: shown_path,
                lines,
                report: format!("{} ({})", entry.report, entry.format),
                recorded_at: date,
            });
        }
        None
    }
}
