//! Helpers shared by the parser tests: where the corpus is, what SOURCES.tsv asserts, and a
//! snapshot form of a parsed report.

#![allow(dead_code)]

use posture_model::ParsedReport;
use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the project root (or `POSTURE_CORPUS`). `None` with a visible
/// notice when it is absent, so tests that need it skip instead of failing.
pub fn corpus_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); corpus tests SKIPPED",
            dir.display()
        );
        None
    }
}

/// One row of a SOURCES.tsv: a corpus file and the finding count recorded for it.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path relative to the corpus root (`upstream/trivy/x.json`, `defectdojo/trivy/x.json`).
    pub rel: String,
    pub tool: String,
    pub format: String,
    /// Items in the file, as counted by whoever built the corpus.
    pub findings: Option<usize>,
    /// DefectDojo's own asserted count, where its tests assert one (`a|b` for modes).
    pub dojo_expected: Option<String>,
    pub notes: String,
}

/// Every row of both SOURCES.tsv files.
pub fn sources(root: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    if let Ok(text) = std::fs::read_to_string(root.join("upstream/SOURCES.tsv")) {
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() < 9 {
                continue;
            }
            out.push(Source {
                rel: format!("upstream/{}", c[2]),
                tool: c[0].to_string(),
                format: c[1].to_string(),
                findings: c[8].trim().parse().ok(),
                dojo_expected: None,
                notes: c.get(9).unwrap_or(&"").to_string(),
            });
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("defectdojo/SOURCES.tsv")) {
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() < 8 {
                continue;
            }
            out.push(Source {
                rel: format!("defectdojo/{}/{}", c[1], c[2]),
                tool: c[1].to_string(),
                format: String::new(),
                findings: c[6].trim().parse().ok(),
                dojo_expected: Some(c[7].trim().to_string()).filter(|s| !s.is_empty()),
                notes: String::new(),
            });
        }
    }
    out
}

/// Reads a corpus file.
pub fn read(root: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(root.join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// Parses with auto-detection; the error names the file.
pub fn parse_detected(name: &str, bytes: &[u8]) -> Result<ParsedReport, String> {
    let parser = posture_parsers::detect(bytes).map_err(|e| format!("{name}: {e}"))?;
    parser.parse(bytes).map_err(|e| format!("{name}: {e}"))
}

/// The corpus files (relative paths) whose SOURCES row satisfies `pick`.
pub fn corpus_files(root: &Path, pick: impl Fn(&Source) -> bool) -> Vec<Source> {
    let mut v: Vec<Source> = sources(root).into_iter().filter(|s| pick(s)).collect();
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    v
}

/// Fixture of our own, under `tests/fixtures/<format>/<name>`.
pub fn fixture(format: &str, name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

/// Insta settings for report snapshots: stored next to the tests, named by the caller.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    // Object keys in sorted order whatever serde_json's `preserve_order` (which a
    // dev-dependency elsewhere in the workspace turns on for workspace-wide test builds).
    s.set_sort_maps(true);
    s
}

/// A short digest of a report for snapshotting large corpus files: counts plus the first
/// `n` occurrences in full.
pub fn digest(report: &ParsedReport, n: usize) -> serde_json::Value {
    let runs: Vec<serde_json::Value> = report
        .runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "tool": r.tool,
                "occurrences": r.occurrences.len(),
                "first": r.occurrences.iter().take(n).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "format": report.format,
        "runs": runs,
        "diagnostics": report.diagnostics,
    })
}
