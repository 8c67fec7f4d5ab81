//! One data-driven test over `tests/fixtures/`: every folder names a registered format (its
//! id, or for the first formats its id without `-json`), and every file in it is read by
//! that format's rules:
//! * `broken*`: the parser refuses it, or keeps what it can with diagnostics;
//! * `empty*`: zero occurrences;
//! * anything else: detected (from its content) as the folder's format, parsed, and
//!   snapshotted as `<folder>_<file stem>` (`tests/snapshots/trivy_happy.snap`).
//!
//! Adding a format's fixtures is adding a folder: nothing here changes. A per-format test
//! module keeps only what is specific to its format.

use crate::common::snapshot_settings;
use posture_parsers::{PARSERS, Parser, detect};
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The registered parser a fixture folder names, if any.
fn parser_for_folder(name: &str) -> Option<&'static dyn Parser> {
    PARSERS
        .iter()
        .copied()
        .find(|p| p.id() == name || p.id().strip_suffix("-json") == Some(name))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// What one fixture file is expected to give, by its name.
#[derive(Debug, PartialEq)]
enum Expect {
    Broken,
    Empty,
    Report,
}

fn expectation(stem: &str) -> Expect {
    if stem.starts_with("broken") {
        Expect::Broken
    } else if stem.starts_with("empty") {
        Expect::Empty
    } else {
        Expect::Report
    }
}

/// Checks one fixture; a problem is returned as text, a snapshot mismatch panics (insta).
fn check_file(folder: &str, parser: &dyn Parser, file: &Path) -> Result<(), String> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let shown = format!(
        "{folder}/{}",
        file.file_name().unwrap_or_default().to_string_lossy()
    );
    let bytes = std::fs::read(file).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    match expectation(&stem) {
        Expect::Broken => match parser.parse(&bytes) {
            Err(_) => Ok(()),
            Ok(r) if !r.diagnostics.is_empty() => Ok(()),
            Ok(r) => Err(format!(
                "{shown}: a broken fixture parsed cleanly ({} occurrences, no diagnostic)",
                r.occurrence_count()
            )),
        },
        Expect::Empty => match parser.parse(&bytes) {
            Ok(r) if r.occurrence_count() == 0 => Ok(()),
            Ok(r) => Err(format!(
                "{shown}: an empty fixture gave {} occurrences",
                r.occurrence_count()
            )),
            Err(e) => Err(format!("{shown}: an empty fixture does not parse: {e}")),
        },
        Expect::Report => {
            match detect(&bytes) {
                Ok(d) if d.id() == parser.id() => {}
                Ok(d) => return Err(format!("{shown}: detected as {}", d.id())),
                Err(e) => return Err(format!("{shown}: not detected: {e}")),
            }
            let report = parser
                .parse(&bytes)
                .map_err(|e| format!("{shown}: does not parse: {e}"))?;
            if report.format != parser.id() {
                return Err(format!("{shown}: report says format {}", report.format));
            }
            let name = format!("{folder}_{stem}");
            snapshot_settings().bind(|| insta::assert_json_snapshot!(name, report));
            Ok(())
        }
    }
}

#[test]
fn every_fixture_is_detected_parsed_and_snapshotted() {
    let mut problems = Vec::new();
    let mut files = 0;
    for dir in sorted_entries(&fixtures_root()) {
        if !dir.is_dir() {
            continue;
        }
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some(parser) = parser_for_folder(&folder) else {
            problems.push(format!(
                "tests/fixtures/{folder}/: not a registered format id (see `posture formats`)"
            ));
            continue;
        };
        for file in sorted_entries(&dir) {
            files += 1;
            if let Err(p) = check_file(&folder, parser, &file) {
                problems.push(p);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} fixture problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(files >= 150, "only {files} fixture files read");
}

#[test]
fn the_fixture_rules_refuse_what_they_should() {
    // folder names: ids, and the first formats' ids without `-json`
    assert_eq!(
        parser_for_folder("trivy").map(|p| p.id()),
        Some("trivy-json")
    );
    assert_eq!(
        parser_for_folder("hadolint-json").map(|p| p.id()),
        Some("hadolint-json")
    );
    assert!(parser_for_folder("not-a-format").is_none());
    assert!(parser_for_folder("hadolint").is_some_and(|p| p.id() == "hadolint-json"));
    // file names
    assert_eq!(expectation("broken"), Expect::Broken);
    assert_eq!(expectation("broken-truncated"), Expect::Broken);
    assert_eq!(expectation("empty"), Expect::Empty);
    assert_eq!(expectation("happy"), Expect::Report);
    // a "broken" fixture that parses cleanly, an "empty" one with occurrences, a report in
    // the wrong folder: each is a problem
    let tmp = std::env::temp_dir().join(format!("posture-fixture-rules-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    // a clean report of ripsecrets (no diagnostics, some occurrences)
    let rip = parser_for_folder("ripsecrets-text").expect("registered");
    let happy = std::fs::read(fixtures_root().join("ripsecrets-text/happy.txt")).expect("happy");
    let clean = rip.parse(&happy).expect("parses");
    assert!(clean.diagnostics.is_empty() && clean.occurrence_count() > 0);
    let n = clean.occurrence_count();
    let hadolint = parser_for_folder("hadolint-json").expect("registered");
    for (name, parser, want) in [
        (
            "broken.txt",
            rip,
            "a broken fixture parsed cleanly".to_string(),
        ),
        (
            "empty.txt",
            rip,
            format!("an empty fixture gave {n} occurrences"),
        ),
        (
            "other.txt",
            hadolint,
            "detected as ripsecrets-text".to_string(),
        ),
    ] {
        let f = tmp.join(name);
        std::fs::write(&f, &happy).expect("write");
        let err = check_file("x", parser, &f).expect_err(name);
        assert!(err.contains(&want), "{name}: {err}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
