//! Helpers shared by the SCA audit-format tests (osv-scanner, npm, yarn, pip-audit, Safety,
//! cargo-audit, govulncheck, Nancy): every corpus file of a tool is listed with its expected
//! result, and counts that differ from SOURCES.tsv / DefectDojo must carry their reason.

use crate::common::*;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};
use std::path::Path;

/// What a corpus file must give.
pub enum Expect {
    /// Parsed by this parser with this many occurrences (and detected as it, when `detected`).
    Count { n: usize, detected: bool },
    /// Refused on purpose with this error kind.
    Fails(ParseErrorKind),
    /// Another format (detected as that parser id, or as none of this tool's).
    Other(&'static str),
}

pub struct Case {
    pub rel: &'static str,
    pub expect: Expect,
    /// Why Posture's count differs from SOURCES.tsv's or DefectDojo's, or why it fails.
    pub why: &'static str,
}

pub const fn count(rel: &'static str, n: usize, why: &'static str) -> Case {
    Case {
        rel,
        expect: Expect::Count { n, detected: true },
        why,
    }
}

/// A file the tool writes that detection cannot tell apart (`[ ]`): parsed with --format.
pub const fn undetectable(rel: &'static str, n: usize, why: &'static str) -> Case {
    Case {
        rel,
        expect: Expect::Count { n, detected: false },
        why,
    }
}

pub const fn fails(rel: &'static str, kind: ParseErrorKind, why: &'static str) -> Case {
    Case {
        rel,
        expect: Expect::Fails(kind),
        why,
    }
}

pub const fn other(rel: &'static str, id: &'static str, why: &'static str) -> Case {
    Case {
        rel,
        expect: Expect::Other(id),
        why,
    }
}

/// Every file under the corpus (relative paths), SOURCES/README files excepted.
pub fn all_corpus_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).expect("corpus folder") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                if !(rel.ends_with(".tsv") || rel.ends_with(".md")) {
                    out.push(rel);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Checks every case, and that every file of `dirs` (prefixes) has a case.
pub fn check_corpus(parser: &dyn Parser, dirs: &[&str], cases: &[Case]) {
    let Some(root) = corpus_root() else { return };
    let rows = sources(&root);
    for f in all_corpus_files(&root) {
        if dirs.iter().any(|d| f.starts_with(d)) {
            assert!(
                cases.iter().any(|c| c.rel == f),
                "{f}: corpus file of {} without an expectation",
                parser.id()
            );
        }
    }
    let mut checked = 0;
    for case in cases {
        let rel = case.rel;
        let bytes = read(&root, rel);
        let detected = posture_parsers::detect(&bytes).map(|p| p.id());
        match case.expect {
            Expect::Count {
                n,
                detected: must_detect,
            } => {
                let report = parser
                    .parse(&bytes)
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                assert_eq!(report.format, parser.id());
                assert_eq!(report.occurrence_count(), n, "{rel}");
                if must_detect {
                    assert_eq!(detected, Ok(parser.id()), "{rel}");
                } else {
                    assert!(
                        parser.detect(&Sniff::new(&bytes)) < Confidence::MATCH,
                        "{rel} is said undetectable"
                    );
                }
                for o in report.runs.iter().flat_map(|r| &r.occurrences) {
                    assert!(!o.vulnerability_ids.is_empty(), "{rel}: {}", o.locator);
                    assert!(o.package.is_some(), "{rel}: {}", o.locator);
                    assert!(o.locator.starts_with('/'), "{rel}: {}", o.locator);
                }
                for row in rows.iter().filter(|r| r.rel == rel) {
                    let theirs = row.findings.into_iter().chain(
                        row.dojo_expected
                            .as_deref()
                            .and_then(|d| d.split('|').next())
                            .and_then(|d| d.trim().parse().ok()),
                    );
                    for t in theirs {
                        if t != n {
                            assert!(
                                !case.why.is_empty(),
                                "{rel}: Posture counts {n}, the corpus says {t}: explain why"
                            );
                        }
                    }
                }
            }
            Expect::Fails(kind) => {
                assert!(!case.why.is_empty(), "{rel}: say why it fails");
                let e = parser.parse(&bytes).expect_err(rel);
                assert_eq!(e.kind, kind, "{rel}: {e}");
            }
            Expect::Other(id) => {
                assert!(
                    parser.detect(&Sniff::new(&bytes)) < Confidence::MATCH,
                    "{rel} is not {}",
                    parser.id()
                );
                if id.is_empty() {
                    assert_ne!(detected, Ok(parser.id()), "{rel}");
                } else {
                    assert_eq!(detected, Ok(id), "{rel}");
                }
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "{}: {checked} corpus files checked",
        parser.id()
    );
}

/// Cutting a fixture anywhere never panics.
pub fn truncations_never_panic(parser: &dyn Parser, bytes: &[u8]) {
    for cut in 0..bytes.len() {
        let _ = parser.parse(&bytes[..cut]);
        let _ = parser.detect(&Sniff::new(&bytes[..cut]));
    }
}
