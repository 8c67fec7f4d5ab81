//! Correlation quality on the labeled multi-scanner corpus: pairwise precision and recall of
//! Posture's merges against the labels, per target (targets: precision >= 0.97, recall >= 0.90).

use posture_app::evaluate::evaluate_target;
use std::path::{Path, PathBuf};

fn multiscan() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("multiscan");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: no multiscan corpus at {}: correlation quality test SKIPPED",
            dir.display()
        );
        None
    }
}

/// The project's own labeled targets (tests/data/multiscan: scanner outputs and labels made for
/// this project, see its LABELING.md and each target's SOURCES.md): always present.
fn own_targets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/multiscan")
}

fn labeled_targets(root: &Path) -> Vec<PathBuf> {
    let mut targets: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("multiscan dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("LABELS.tsv").is_file())
        .collect();
    targets.sort();
    targets
}

#[test]
fn correlation_meets_precision_and_recall_on_every_target() {
    let own = labeled_targets(&own_targets());
    assert!(
        own.len() >= 4,
        "the project's own labeled targets are missing from {}",
        own_targets().display()
    );
    let mut targets = own;
    if let Some(root) = multiscan() {
        let visible = labeled_targets(&root);
        assert!(
            !visible.is_empty(),
            "no labeled targets in {}",
            root.display()
        );
        targets.extend(visible);
    }
    let mut failures = Vec::new();
    for t in &targets {
        let e = evaluate_target(t, Default::default()).expect("evaluates");
        eprintln!(
            "{}: {} rows ({} unmapped), {} issues, {} findings; precision {:.3} recall {:.3} ({} true merges, {} false merges, {} missed pairs)",
            e.target,
            e.rows,
            e.unmapped.len(),
            e.issues,
            e.findings,
            e.total.precision(),
            e.total.recall(),
            e.total.true_merges,
            e.total.false_merges,
            e.total.missed
        );
        for (cat, c) in &e.by_category {
            eprintln!(
                "    {cat:<22} precision {:.3} recall {:.3} ({} / {} / {})",
                c.precision(),
                c.recall(),
                c.true_merges,
                c.false_merges,
                c.missed
            );
        }
        for u in e.unmapped.iter().take(10) {
            eprintln!("    unmapped: {u}");
        }
        for f in &e.false_merges {
            eprintln!("    FALSE MERGE: {} <> {} ({})", f.a, f.b, f.detail);
        }
        for m in &e.misses {
            eprintln!("    MISS: {} <> {} ({})", m.a, m.b, m.detail);
        }
        eprintln!(
            "    {} occurrence(s) moved to another finding on re-ingest",
            e.moved_on_reingest
        );
        assert_eq!(
            e.moved_on_reingest, 0,
            "{}: re-ingesting the reports moved occurrences between findings",
            e.target
        );
        assert!(
            e.unmapped.is_empty(),
            "{}: {} labeled rows not found in Posture's output",
            e.target,
            e.unmapped.len()
        );
        if e.total.precision() < 0.97 || e.total.recall() < 0.90 {
            failures.push(format!(
                "{}: precision {:.3} recall {:.3}",
                e.target,
                e.total.precision(),
                e.total.recall()
            ));
        }
    }
    assert!(failures.is_empty(), "below target: {failures:?}");
}
