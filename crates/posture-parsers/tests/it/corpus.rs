//! One driver over the shared corpus of real reports (`../shared/corpus` or
//! `$POSTURE_CORPUS`; skipped with a notice when absent).
//!
//! For every corpus file (every file below it but READMEs and SOURCES.tsv) it records,
//! in one snapshot (`tests/snapshots/corpus_claims.snap`): every parser that claims the file
//! (detection at or above MATCH), the format auto-detection picks, and what that parser reads
//! (occurrences, skipped items, other diagnostics, or the error), beside the count SOURCES.tsv
//! records. A parser that starts claiming another format's file, a file no longer detected or
//! a count that moves changes the snapshot and fails the test. On top of that, it asserts:
//! * no file is claimed by two parsers (detection is unambiguous);
//! * a report read by the format detection picks names that format (a file it refuses, such
//!   as a tool's error output, is recorded with the kind of error).
//!
//! What a format's corpus files must contain beyond that stays in its own test module.

use crate::common::*;
use posture_model::DiagnosticLevel;
use posture_parsers::{Confidence, PARSERS, Sniff};
use std::fmt::Write as _;
use std::path::Path;

/// Every file under the corpus (README and SOURCES files excepted), sorted, with the count
/// its SOURCES.tsv row records, if any.
fn every_corpus_file(root: &Path) -> Vec<(String, Option<usize>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if !(rel.ends_with(".tsv") || rel.ends_with(".md")) {
                    out.push(rel);
                }
            }
        }
    }
    let counts: std::collections::HashMap<String, Option<usize>> = sources(root)
        .into_iter()
        .map(|s| (s.rel, s.findings))
        .collect();
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|rel| {
            let n = counts.get(&rel).copied().flatten();
            (rel, n)
        })
        .collect()
}

#[test]
fn every_corpus_file_is_claimed_by_at_most_one_format_and_read_by_it() {
    let Some(root) = corpus_root() else { return };
    let files = every_corpus_file(&root);
    assert!(files.len() > 300, "only {} corpus files", files.len());
    let mut table = String::new();
    let mut problems = Vec::new();
    for (rel, recorded) in &files {
        let Ok(bytes) = std::fs::read(root.join(rel)) else {
            problems.push(format!("{rel}: listed but unreadable"));
            continue;
        };
        let sniff = Sniff::new(&bytes);
        let claims: Vec<&str> = PARSERS
            .iter()
            .filter(|p| p.detect(&sniff) >= Confidence::MATCH)
            .map(|p| p.id())
            .collect();
        if claims.len() > 1 {
            problems.push(format!("{rel}: claimed by {}", claims.join(", ")));
        }
        let recorded = recorded.map_or("-".to_string(), |n| n.to_string());
        let read = match posture_parsers::detect(&bytes) {
            Err(_) => "not detected".to_string(),
            Ok(p) => match p.parse(&bytes) {
                // a tool's error output or an unsupported version: refused, kind recorded
                Err(e) => format!("{}: refused ({:?})", p.id(), e.kind),
                Ok(r) => {
                    if r.format != p.id() {
                        problems.push(format!("{rel}: {} wrote format {}", p.id(), r.format));
                    }
                    let skipped = r
                        .diagnostics
                        .iter()
                        .filter(|d| d.level == DiagnosticLevel::Skipped)
                        .count();
                    format!(
                        "{}: {} occurrences, {} skipped, {} other diagnostics",
                        p.id(),
                        r.occurrence_count(),
                        skipped,
                        r.diagnostics.len() - skipped
                    )
                }
            },
        };
        let claims = if claims.is_empty() {
            "-".to_string()
        } else {
            claims.join(",")
        };
        let _ = writeln!(table, "{rel}\tclaims {claims}\t{read}\tSOURCES {recorded}");
    }
    assert!(
        problems.is_empty(),
        "{} corpus problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    snapshot_settings().bind(|| insta::assert_snapshot!("corpus_claims", table));
}
