//! Every registered parser meets the contract of a format: fixtures of its own (a happy one
//! and a broken or empty one), a snapshot of the happy fixture, detection of the happy
//! fixture as itself, and no panic on any prefix of it.

use posture_parsers::{PARSERS, Parser, detect};
use std::path::{Path, PathBuf};

fn base() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The fixture folder of a parser: its id, or (for the first five formats) the id without its
/// `-json` suffix.
fn fixture_dir(p: &dyn Parser) -> Option<PathBuf> {
    let id = p.id();
    let short = id.trim_end_matches("-json");
    [id, short]
        .iter()
        .map(|d| base().join("fixtures").join(d))
        .find(|d| d.is_dir())
}

fn file_starting(dir: &Path, stem: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() == stem))
}

#[test]
fn every_parser_has_fixtures_a_snapshot_and_detects_its_own_happy_fixture() {
    let mut problems = Vec::new();
    for p in PARSERS {
        let Some(dir) = fixture_dir(*p) else {
            problems.push(format!("{}: no tests/fixtures/{}/", p.id(), p.id()));
            continue;
        };
        let Some(happy) = file_starting(&dir, "happy") else {
            problems.push(format!("{}: no happy fixture in {}", p.id(), dir.display()));
            continue;
        };
        if file_starting(&dir, "broken").is_none() && file_starting(&dir, "empty").is_none() {
            problems.push(format!("{}: neither a broken nor an empty fixture", p.id()));
        }
        let dir_name = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let snap = base()
            .join("snapshots")
            .join(format!("{dir_name}_happy.snap"));
        if !snap.is_file() {
            problems.push(format!("{}: no snapshot {}", p.id(), snap.display()));
        }
        let bytes = std::fs::read(&happy).expect("read fixture");
        match p.parse(&bytes) {
            Ok(r) if r.occurrence_count() + r.vex.len() + r.components.len() > 0 => {}
            Ok(_) => problems.push(format!("{}: the happy fixture yields nothing", p.id())),
            Err(e) => problems.push(format!("{}: the happy fixture does not parse: {e}", p.id())),
        }
        match detect(&bytes) {
            Ok(d) if d.id() == p.id() => {}
            Ok(d) => problems.push(format!(
                "{}: its happy fixture is detected as {}",
                p.id(),
                d.id()
            )),
            Err(e) => problems.push(format!(
                "{}: its happy fixture is not detected: {e}",
                p.id()
            )),
        }
        // no panic on any prefix (a truncated upload), every 7th byte to keep it quick
        for cut in (0..bytes.len()).step_by(7) {
            let _ = p.parse(&bytes[..cut]);
        }
    }
    assert!(
        problems.is_empty(),
        "{} conformance problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        PARSERS.len() >= 50,
        "expected the full registry, found {}",
        PARSERS.len()
    );
}
