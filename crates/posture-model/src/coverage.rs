//! Code coverage and execution counts: which lines of which files ran, and how often. Read from
//! lcov, JaCoCo, Cobertura, coverage.py and Go coverprofiles (posture-parsers' `coverage`
//! module), stored as runtime evidence of an asset, and used by the risk model to tell a SAST
//! finding on code that runs from one on code that never ran. Coverage never creates a finding.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// One file of a coverage report: each instrumented line and how many times it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCoverage {
    /// The path as the report writes it (a build path, maybe absolute).
    pub path: String,
    /// `(line, hits)`, sorted by line, one entry per line (hits of a line written twice are
    /// added). Lines absent are not instrumented (blank lines, comments...).
    pub lines: Vec<(u32, u64)>,
}

impl FileCoverage {
    /// Sorts the lines and adds the hits of a line given more than once.
    pub fn normalize(&mut self) {
        self.lines.sort_by_key(|(l, _)| *l);
        let mut out: Vec<(u32, u64)> = Vec::with_capacity(self.lines.len());
        for (l, h) in self.lines.drain(..) {
            match out.last_mut() {
                Some((pl, ph)) if *pl == l => *ph = ph.saturating_add(h),
                _ => out.push((l, h)),
            }
        }
        self.lines = out;
    }

    /// The hits of one line, `None` when the line is not instrumented.
    pub fn hits(&self, line: u32) -> Option<u64> {
        self.lines
            .binary_search_by_key(&line, |(l, _)| *l)
            .ok()
            .map(|i| self.lines[i].1)
    }
}

/// A whole coverage report: per-file line hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CoverageReport {
    /// The format id (`lcov`, `jacoco-xml`, `cobertura-xml`, `coveragepy-json`, `go-coverprofile`).
    pub format: String,
    /// When the report says it was written, if it does (JaCoCo session, Cobertura timestamp,
    /// coverage.py `meta.timestamp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<Timestamp>,
    /// Files sorted by path, each path once.
    pub files: Vec<FileCoverage>,
}

impl CoverageReport {
    /// Sorts files by path, merges a path given twice, normalizes each file's lines.
    pub fn normalize(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut out: Vec<FileCoverage> = Vec::with_capacity(self.files.len());
        for f in self.files.drain(..) {
            match out.last_mut() {
                Some(prev) if prev.path == f.path => prev.lines.extend(f.lines),
                _ => out.push(f),
            }
        }
        for f in &mut out {
            f.normalize();
        }
        self.files = out;
    }
}

/// Where coverage was recorded: production sampling is the strongest evidence, tests the
/// weakest (a test suite not reaching a line says little about production).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoverageEnvironment {
    Production,
    Staging,
    Test,
}

impl CoverageEnvironment {
    pub const ALL: [CoverageEnvironment; 3] = [
        CoverageEnvironment::Production,
        CoverageEnvironment::Staging,
        CoverageEnvironment::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CoverageEnvironment::Production => "production",
            CoverageEnvironment::Staging => "staging",
            CoverageEnvironment::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_merges_repeated_paths_and_lines() {
        let mut r = CoverageReport {
            format: "lcov".into(),
            generated_at: None,
            files: vec![
                FileCoverage {
                    path: "b.py".into(),
                    lines: vec![(3, 1), (1, 2)],
                },
                FileCoverage {
                    path: "a.py".into(),
                    lines: vec![(1, 0)],
                },
                FileCoverage {
                    path: "b.py".into(),
                    lines: vec![(3, 4)],
                },
            ],
        };
        r.normalize();
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.files[0].path, "a.py");
        assert_eq!(r.files[1].lines, vec![(1, 2), (3, 5)]);
        assert_eq!(r.files[1].hits(3), Some(5));
        assert_eq!(r.files[1].hits(2), None);
    }

    #[test]
    fn environments_parse_case_insensitively() {
        assert_eq!(
            CoverageEnvironment::parse("Production"),
            Some(CoverageEnvironment::Production)
        );
        assert_eq!(CoverageEnvironment::parse("prod"), None);
    }
}
