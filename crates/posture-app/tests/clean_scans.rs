//! Clean scans and formats that must fit (issue 14, observations 3 and 6), with the real
//! reports of `../shared/corpus/multiscan/vulnerable-flask-app`, on SQLite and PostgreSQL.
//!
//! * the whole folder ingests in one batch (`trufflehog3.json` and `whispers.json` are `[]`);
//! * a clean re-scan closes that tool's findings, and only when its tool is known (per-file
//!   format, or a file name that names the tool); a 0-byte file of a tool that always writes a
//!   document closes nothing;
//! * a wrong format given is an error, or a partial read that closes nothing;
//! * the same bytes in another format are not "identical"; an unknown format is an error even
//!   on an identical report.

use posture_app::{AppError, IngestRequest, ReportSource, ingest};
use posture_model::{FindingStatus, Timestamp};
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, IngestOutcome, Store, on_both_backends};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("multiscan/vulnerable-flask-app").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); clean-scan tests SKIPPED",
            dir.display()
        );
        None
    }
}

const FLASK: &str = "multiscan/vulnerable-flask-app";

/// The flask folder's reports, by file name.
fn flask_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(FLASK))
        .expect("flask folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".tsv"))
        .collect();
    names.sort();
    names
}

fn source(root: &Path, rel: &str, name: &str, format: Option<&str>) -> ReportSource {
    ReportSource {
        name: name.to_string(),
        bytes: std::fs::read(root.join(rel)).expect("corpus file"),
        format: format.map(String::from),
    }
}

fn raw(name: &str, bytes: &[u8], format: Option<&str>) -> ReportSource {
    ReportSource {
        name: name.to_string(),
        bytes: bytes.to_vec(),
        format: format.map(String::from),
    }
}

fn day(n: i64) -> Timestamp {
    Timestamp::from_millisecond(1_767_571_200_000 + n * 86_400_000).expect("time")
}

fn run(
    store: &dyn Store,
    sources: &[ReportSource],
    format: Option<&str>,
    at: Timestamp,
) -> Result<(IngestOutcome, Vec<posture_app::PreparedSummary>), AppError> {
    ingest(
        store,
        sources,
        IngestRequest {
            asset: "flask".into(),
            branch: "main".into(),
            target: None,
            commit: None,
            format: format.map(String::from),
            kind: posture_store::ScanKind::Findings,
            at,
            force: false,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
}

/// Open findings with an open occurrence of `tool`.
fn open_of(store: &dyn Store, tool: &str) -> usize {
    store
        .findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("findings")
        .iter()
        .filter(|f| f.occurrences.iter().any(|o| o.tool == tool && o.open))
        .count()
}

fn open_total(store: &dyn Store) -> usize {
    store
        .findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("findings")
        .len()
}

fn the_whole_flask_folder_ingests_in_one_batch(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let names = flask_files(&root);
    assert!(names.len() >= 14, "{names:?}");
    let sources: Vec<ReportSource> = names
        .iter()
        .map(|n| source(&root, &format!("{FLASK}/{n}"), n, None))
        .collect();
    let (outcome, reports) = run(store.as_ref(), &sources, None, day(0))
        .unwrap_or_else(|e| panic!("the batch is refused: {e}"));
    let format_of = |name: &str| {
        reports
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.format.clone())
            .unwrap_or_default()
    };
    assert_eq!(format_of("trufflehog3.json"), "trufflehog3-json");
    assert_eq!(format_of("whispers.json"), "whispers-json");
    for tool in ["trufflehog3", "whispers"] {
        let scope = outcome
            .scopes
            .iter()
            .find(|s| s.tool == tool)
            .unwrap_or_else(|| panic!("no {tool} scope: a clean scan is recorded"));
        assert_eq!(scope.occurrences, 0);
        assert!(!scope.scan_ids.is_empty());
    }
    assert!(open_total(store.as_ref()) > 50);
}

fn a_clean_rescan_closes_that_tools_findings(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let s = store.as_ref();
    // trufflehog3 found secrets in terragoat's copy; the flask copy is `[]`
    run(
        s,
        &[source(
            &root,
            "multiscan/terragoat/trufflehog3.json",
            "trufflehog3.json",
            None,
        )],
        None,
        day(0),
    )
    .expect("findings");
    let before = open_of(s, "trufflehog3");
    assert!(before > 0);
    run(
        s,
        &[
            source(
                &root,
                &format!("{FLASK}/ripsecrets.txt"),
                "ripsecrets.txt",
                None,
            ),
            source(
                &root,
                &format!("{FLASK}/pip-audit.json"),
                "pip-audit.json",
                None,
            ),
        ],
        None,
        day(0),
    )
    .expect("findings");
    assert!(open_of(s, "ripsecrets") > 0 && open_of(s, "pip-audit") > 0);
    let total = open_total(s);

    // `[]` with a name naming no tool, a 0-byte file of tools that always write a document:
    // refused, nothing closed
    let e = run(s, &[raw("scan.json", b"[]", None)], None, day(1)).expect_err("unnamed");
    assert!(e.to_string().contains("FILE=FORMAT"), "{e}");
    for (name, format) in [
        ("bandit.json", None),
        ("report.json", Some("bandit-json")),
        ("trufflehog3.json", Some("trufflehog3-json")),
        ("pip-audit.json", None),
    ] {
        let e = run(s, &[raw(name, b"", format)], None, day(1));
        assert!(
            e.is_err(),
            "{name} {format:?}: a crashed scanner closed something"
        );
    }
    assert_eq!(open_total(s), total);

    // the clean outputs: by file name, and by a per-file format under any name
    let (outcome, _) = run(
        s,
        &[
            source(
                &root,
                &format!("{FLASK}/trufflehog3.json"),
                "trufflehog3.json",
                None,
            ),
            raw("ripsecrets.txt", b"", None),
            raw("deps.json", b"[ ]\n", Some("pip-audit-json")),
        ],
        None,
        day(2),
    )
    .unwrap_or_else(|e| panic!("clean scans refused: {e}"));
    let fixed = |tool: &str| {
        outcome
            .scopes
            .iter()
            .find(|x| x.tool == tool)
            .map(|x| x.summary.fixed)
            .unwrap_or_else(|| panic!("no {tool} scope"))
    };
    assert_eq!(fixed("trufflehog3"), before);
    assert!(fixed("ripsecrets") > 0);
    assert!(fixed("pip-audit") > 0);
    assert_eq!(open_of(s, "trufflehog3"), 0);
    assert_eq!(open_of(s, "ripsecrets"), 0);
    assert_eq!(open_of(s, "pip-audit"), 0);
}

/// The formats the issue saw read foreign reports as empty or as junk.
const WRONG: &[&str] = &[
    "trivy-json",
    "eslint-json",
    "checkov-json",
    "snyk-json",
    "retirejs-json",
    "github-code-scanning-json",
    "whispers-json",
    "asff-json",
];

fn a_wrong_format_given_errors_or_closes_nothing(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let s = store.as_ref();
    let names = flask_files(&root);
    let sources: Vec<ReportSource> = names
        .iter()
        .map(|n| source(&root, &format!("{FLASK}/{n}"), n, None))
        .collect();
    let (_, reports) = run(s, &sources, None, day(0)).expect("batch");
    let open_before = open_total(s);
    let mut refused = 0;
    for (n, name) in names.iter().enumerate() {
        let own = &reports[n].format;
        for format in WRONG.iter().filter(|f| *f != own) {
            let one = source(&root, &format!("{FLASK}/{name}"), name, None);
            match run(s, &[one], Some(format), day(1)) {
                Err(AppError::Detect { .. } | AppError::Parse { .. }) => refused += 1,
                Err(other) => panic!("{name} as {format}: unexpected error {other}"),
                Ok((outcome, summaries)) => {
                    let t = outcome.total();
                    assert_eq!(t.fixed, 0, "{name} as {format} fixed findings");
                    assert_eq!(
                        summaries[0].parsed, 0,
                        "{name} as {format}: foreign items read as findings"
                    );
                }
            }
        }
    }
    assert!(refused > 100, "{refused}");
    assert_eq!(
        open_total(s),
        open_before,
        "a wrong format changed open findings"
    );
    // and the CLI's observation: trivy-json on bandit.json names what the report is
    let e = run(
        s,
        &[source(
            &root,
            &format!("{FLASK}/bandit.json"),
            "bandit.json",
            None,
        )],
        Some("trivy-json"),
        day(2),
    )
    .expect_err("mismatch");
    let m = e.to_string();
    assert!(
        m.starts_with("bandit.json:") && m.contains("bandit-json"),
        "{m}"
    );
}

fn the_same_bytes_in_another_format_are_not_identical(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let s = store.as_ref();
    let empty = || source(&root, &format!("{FLASK}/whispers.json"), "out.json", None);
    let with = |f: &str| {
        let mut x = empty();
        x.format = Some(f.to_string());
        x
    };
    let (o, _) = run(s, &[with("whispers-json")], None, day(0)).expect("whispers");
    assert_eq!(o.scopes[0].tool, "whispers");
    let (o, r) = run(s, &[with("whispers-json")], None, day(1)).expect("again");
    assert!(
        o.scopes.iter().all(|x| x.identical),
        "same bytes, same format"
    );
    assert!(r[0].format.contains("identical"));
    let (o, r) = run(s, &[with("trufflehog3-json")], None, day(2)).expect("other format");
    assert_eq!(r[0].format, "trufflehog3-json", "not skipped as identical");
    assert!(
        o.scopes
            .iter()
            .any(|x| x.tool == "trufflehog3" && !x.identical),
        "{:?}",
        o.scopes
    );
    // the batch format too
    let (_, r) = run(s, &[empty()], Some("gitleaks-json"), day(3)).expect("gitleaks");
    assert_eq!(r[0].format, "gitleaks-json");
}

fn an_unknown_format_is_an_error_even_on_an_identical_report(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let s = store.as_ref();
    let bandit = || source(&root, &format!("{FLASK}/bandit.json"), "bandit.json", None);
    run(s, &[bandit()], None, day(0)).expect("bandit");
    let e = run(s, &[bandit()], Some("no-such-format"), day(1)).expect_err("unknown");
    assert!(matches!(e, AppError::UnknownFormat { .. }), "{e}");
    let mut x = bandit();
    x.format = Some("no-such-format".into());
    let e = run(s, &[x], None, day(1)).expect_err("unknown per file");
    assert!(matches!(e, AppError::UnknownFormat { .. }), "{e}");
    // the right format given is still identical
    let (o, _) = run(s, &[bandit()], Some("bandit-json"), day(2)).expect("bandit");
    assert!(o.scopes.iter().all(|x| x.identical));
}

fn a_utf16_report_ingests_like_its_utf8(b: &TestBackend) {
    let Some(root) = corpus() else { return };
    let store = b.store();
    let s = store.as_ref();
    let text = std::fs::read_to_string(root.join(FLASK).join("bandit.json")).expect("bandit");
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let (o, r) = run(s, &[raw("bandit.json", &utf16, None)], None, day(0)).expect("UTF-16");
    assert_eq!(r[0].format, "bandit-json");
    let new = o.total().new;
    assert!(new > 0);
    let (o, _) = run(
        s,
        &[raw("bandit.json", text.as_bytes(), None)],
        None,
        day(1),
    )
    .expect("UTF-8");
    assert_eq!(o.total().new, 0, "the same findings");
    assert_eq!(o.total().fixed, 0);
}

on_both_backends!(
    the_whole_flask_folder_ingests_in_one_batch,
    a_clean_rescan_closes_that_tools_findings,
    a_wrong_format_given_errors_or_closes_nothing,
    the_same_bytes_in_another_format_are_not_identical,
    an_unknown_format_is_an_error_even_on_an_identical_report,
    a_utf16_report_ingests_like_its_utf8,
);

/// The format of a corpus file by its tool's folder (`upstream/<tool>/`,
/// `defectdojo/<tool>/`), or in `multiscan/` by its file name: what a CI job knows and gives
/// with `--format FILE=FORMAT`.
fn folder_format(rel: &str) -> Option<&'static str> {
    let tool = if rel.starts_with("multiscan/") {
        rel.rsplit('/').next()?.split('.').next()?
    } else {
        rel.split('/').nth(1)?
    };
    Some(match tool {
        "trufflehog3" => "trufflehog3-json",
        "gitleaks" => "gitleaks-json",
        "trivy" => "trivy-json",
        "osv-scanner" | "osv_scanner" => "osv-scanner-json",
        "nuclei" => "nuclei-json",
        "govulncheck" => "govulncheck-json",
        "pip-audit" | "pip_audit" => "pip-audit-json",
        "github_sast" => "github-code-scanning-json",
        "whispers" => "whispers-json",
        _ => return None,
    })
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, root, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Observation 3 across the corpus: every "no findings" output of a supported tool that cannot
/// name its tool (`[]`, `null`, an empty file, SARIF with `"runs": []`) is refused without its
/// format and is a clean scan of its tool with it (or with a file name naming the tool).
#[test]
fn every_empty_output_in_the_corpus_is_a_clean_scan_of_its_tool() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    for top in ["upstream", "defectdojo", "multiscan"] {
        walk(&root.join(top), &root, &mut files);
    }
    let mut found = Vec::new();
    for rel in &files {
        let bytes = std::fs::read(root.join(rel)).expect("read");
        let sarif_without_runs = rel.ends_with(".sarif")
            && serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("runs").and_then(|r| r.as_array()).map(Vec::is_empty))
                .unwrap_or(false);
        if posture_parsers::bare_empty_shape(&bytes).is_none() && !sarif_without_runs {
            continue;
        }
        found.push(rel.clone());
        let store = posture_store::SqliteStore::open(":memory:").expect("store");
        let anonymous = "report";
        if sarif_without_runs {
            // the content says SARIF but not which tool: the file name does
            let (o, r) = run(&store, &[raw(anonymous, &bytes, None)], None, day(0))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(o.scopes.is_empty(), "{rel}: no tool, no scope");
            assert!(
                !r[0].diagnostics.is_empty(),
                "{rel}: says why nothing closes"
            );
            let (o, _) = run(&store, &[raw("gitleaks.sarif", &bytes, None)], None, day(1))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(o.scopes.len(), 1, "{rel}");
            assert_eq!(o.scopes[0].tool, "gitleaks", "{rel}");
            continue;
        }
        let format =
            folder_format(rel).unwrap_or_else(|| panic!("{rel}: which tool's empty output?"));
        // without a format, under a name naming no tool: refused, saying how to give it
        let e = run(&store, &[raw(anonymous, &bytes, None)], None, day(0))
            .expect_err(&format!("{rel}: an empty output read without its tool"));
        assert!(e.to_string().contains("FILE=FORMAT"), "{rel}: {e}");
        // with its format: one clean scan of the tool
        let (o, r) = run(
            &store,
            &[raw(anonymous, &bytes, Some(format))],
            None,
            day(1),
        )
        .unwrap_or_else(|e| panic!("{rel} as {format}: {e}"));
        assert_eq!(r[0].format, format, "{rel}");
        assert_eq!(o.scopes.len(), 1, "{rel}");
        assert_eq!(o.scopes[0].occurrences, 0, "{rel}");
        assert!(
            !o.scopes[0].scan_ids.is_empty(),
            "{rel}: the clean scan is recorded"
        );
        // under a file name naming the tool: the same
        let tool = o.scopes[0].tool.clone();
        let named = format!("{tool}.{}", if bytes.is_empty() { "jsonl" } else { "json" });
        let store = posture_store::SqliteStore::open(":memory:").expect("store");
        let (o, r) = run(&store, &[raw(&named, &bytes, None)], None, day(0))
            .unwrap_or_else(|e| panic!("{rel} as {named}: {e}"));
        assert_eq!(
            (r[0].format.as_str(), o.scopes[0].tool.as_str()),
            (format, tool.as_str())
        );
    }
    eprintln!("{} empty outputs that cannot name their tool:", found.len());
    for f in &found {
        eprintln!("  {f}");
    }
    assert!(found.len() >= 15, "{found:?}");
}
