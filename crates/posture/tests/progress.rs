//! Issue 22: a long `posture ingest` shows progress on a terminal (bytes read, occurrences
//! parsed, identified, stored) on one erased line of stderr, and prints nothing of it when
//! stderr is a pipe. The terminal is a real pseudo-terminal (`script` from util-linux).

use std::path::{Path, PathBuf};
use std::process::Command;

fn posture_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_posture"))
}

/// A gitleaks report of `n` distinct secrets: large enough that its ingest takes seconds.
fn write_report(path: &Path, n: usize) {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let secret = format!("{:032x}", i as u128 * 7_919 + 12_345);
            serde_json::json!({
                "RuleID": "generic-api-key", "Description": "Generic API Key",
                "StartLine": 3 + i % 50, "EndLine": 3 + i % 50, "StartColumn": 1, "EndColumn": 40,
                "Match": format!("key = {secret}"), "Secret": secret,
                "File": format!("app/config{}.py", i / 50), "Commit": "abc", "Tags": []
            })
        })
        .collect();
    let bytes = serde_json::to_vec(&items).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
}

fn ingest_command(db: &Path, report: &Path, asset: &str) -> Vec<String> {
    vec![
        posture_bin().display().to_string(),
        "--database".into(),
        db.display().to_string(),
        "ingest".into(),
        "--asset".into(),
        asset.into(),
        report.display().to_string(),
    ]
}

fn clean(command: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars() {
        if k.starts_with("POSTURE_") {
            command.env_remove(k);
        }
    }
    command.env(
        "POSTURE_SECRET_KEY",
        posture_store::testing::TEST_SECRET_KEY,
    )
}

#[test]
fn a_long_ingest_shows_progress_on_a_terminal_and_nothing_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let report = dir.path().join("leaks.json");
    write_report(&report, 40_000);
    let db = dir.path().join("posture.db");

    // Piped: the summary only, no progress and no terminal control sequence.
    let out = clean(&mut Command::new(posture_bin()))
        .args(&ingest_command(&db, &report, "piped")[1..])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("40000"), "{stdout}");
    assert!(!stderr.contains("posture: "), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stdout.contains('\x1b'),
        "{stderr}"
    );

    // On a terminal: the steps, each line erased, then the same summary.
    let Ok(script) = which("script") else {
        eprintln!("NOTICE: `script` (util-linux) is absent; the terminal half is skipped");
        return;
    };
    let command = ingest_command(&db, &report, "terminal")
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = clean(&mut Command::new(script))
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    // (Reading and parsing 10 MB take less than the first half second, when nothing is
    // drawn; identity and the write take seconds.)
    for step in ["posture: ", "occurrences", "\r\x1b[2K"] {
        assert!(screen.contains(step), "no {step:?} in {screen:?}");
    }
    assert!(
        screen.contains("storing 40000 occurrences")
            || screen.contains("40000 occurrences identified")
            || screen.contains("40000 occurrences parsed"),
        "{screen:?}"
    );
    // The summary comes after the last erase: nothing of the progress line is left before it.
    let last_erase = screen.rfind("\x1b[2K").unwrap_or(0);
    let summary = screen.find("40000").unwrap_or(0);
    assert!(
        screen[last_erase..].contains("40000") && summary > 0,
        "{screen:?}"
    );
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
