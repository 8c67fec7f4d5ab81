//! Every report in `../shared/corpus`, through the whole pipeline (detect, parse, identify,
//! store), compared with a checked-in table of expectations.
//!
//! `tests/corpus-expectations.tsv` has one row per corpus file: what Posture reads it as
//! (a format id, or `error:<kind>` for files that are malformed or not a report on purpose),
//! how many occurrences it yields, the count another tool's tests assert (from SOURCES.tsv),
//! and, wherever the two differ or the file is refused, the reason. The test fails when the
//! outcome of any file changes, or when a difference has no reason.
//!
//! After an intended change: `POSTURE_UPDATE_CORPUS=1 cargo test -p posture-app --test corpus`
//! rewrites the table (keeping the reasons of rows whose outcome did not change; new
//! differences get `TODO`, which fails the test until someone writes the reason).

use posture_app::{IngestRequest, ReportSource};
use posture_store::{ScanKind, SqliteStore};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); corpus walk SKIPPED",
            dir.display()
        );
        None
    }
}

/// Folders of reference data that are not scanner reports (feeds and vectors: the risk issue
/// reads them) or advisory records.
const NOT_REPORTS: &[&str] = &[
    "upstream/cisa-kev/",
    "upstream/epss/",
    "upstream/cvss/",
    "upstream/osv/",
];

/// Files whose empty content cannot name their tool (`[]`, `null`, 0 bytes): the corpus test
/// passes the format by the tool's folder, as a CI job would with `--format`.
fn format_hint(rel: &str, bytes: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(t.is_empty() || t == "[]" || t == "null") {
        return None;
    }
    // the tool's folder (upstream/<tool>/, defectdojo/<tool>/) or, in multiscan, the file name
    let folder = if rel.starts_with("multiscan/") {
        rel.rsplit('/')
            .next()
            .unwrap_or("")
            .split('.')
            .next()
            .unwrap_or("")
    } else {
        rel.split('/').nth(1).unwrap_or("")
    };
    Some(match folder {
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

fn asserted(root: &Path) -> BTreeMap<String, (Option<usize>, Option<String>)> {
    let mut out = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(root.join("upstream/SOURCES.tsv")) {
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() >= 9 {
                out.insert(
                    format!("upstream/{}", c[2]),
                    (c[8].trim().parse().ok(), None),
                );
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(root.join("defectdojo/SOURCES.tsv")) {
        for line in text.lines().skip(1) {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() >= 8 {
                let dojo = Some(c[7].trim().to_string()).filter(|s| !s.is_empty());
                out.insert(
                    format!("defectdojo/{}/{}", c[1], c[2]),
                    (c[6].trim().parse().ok(), dojo),
                );
            }
        }
    }
    out
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, root, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if name.ends_with(".tsv")
                || name.ends_with(".md")
                || NOT_REPORTS.iter().any(|n| rel.starts_with(n))
            {
                continue;
            }
            out.push(rel);
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    file: String,
    outcome: String,
    occurrences: String,
    asserted: String,
    verdict: String,
    reason: String,
}

impl Row {
    fn line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            self.file, self.outcome, self.occurrences, self.asserted, self.verdict, self.reason
        )
    }
}

fn expectations_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-expectations.tsv")
}

#[test]
fn every_corpus_report_through_the_pipeline() {
    let Some(root) = corpus_root() else { return };
    let asserted = asserted(&root);
    let mut files = Vec::new();
    for top in ["upstream", "defectdojo", "multiscan"] {
        walk(&root.join(top), &root, &mut files);
    }
    let store = SqliteStore::open(":memory:").expect("in-memory store");
    let at = "2026-01-01T00:00:00Z".parse().expect("time");
    let mut rows = Vec::new();
    for rel in &files {
        let bytes = std::fs::read(root.join(rel)).expect("read corpus file");
        let source = ReportSource {
            name: rel.clone(),
            bytes,
            format: None,
        };
        let hint = format_hint(rel, &source.bytes);
        let result = posture_app::ingest(
            &store,
            std::slice::from_ref(&source),
            IngestRequest {
                asset: rel.clone(),
                target: None,
                branch: "main".into(),
                commit: None,
                format: hint.map(String::from),
                kind: ScanKind::Findings,
                at,
                force: true,
                thresholds: Default::default(),
                branches: Default::default(),
            },
        );
        let (outcome, occurrences) = match &result {
            Ok((_, reports)) => (
                reports
                    .first()
                    .map(|r| r.format.clone())
                    .unwrap_or_default(),
                reports
                    .first()
                    .map(|r| r.parsed.to_string())
                    .unwrap_or_default(),
            ),
            Err(e) => (format!("error:{}", error_kind(e)), String::new()),
        };
        let (count, dojo) = asserted.get(rel).cloned().unwrap_or((None, None));
        let asserted_text = match (count, &dojo) {
            (Some(c), Some(d)) => format!("{c} (dojo {d})"),
            (Some(c), None) => c.to_string(),
            (None, Some(d)) => format!("(dojo {d})"),
            (None, None) => String::new(),
        };
        let verdict = match (&result, count) {
            (Err(_), _) => "refused",
            (Ok((_, r)), Some(c)) if r.first().map(|r| r.parsed) == Some(c) => "match",
            (Ok(_), Some(_)) => "differs",
            (Ok(_), None) => "no-count",
        };
        rows.push(Row {
            file: rel.clone(),
            outcome,
            occurrences,
            asserted: asserted_text,
            verdict: verdict.to_string(),
            reason: match &result {
                Err(e) => format!("error: {e}"),
                Ok(_) => String::new(),
            },
        });
    }

    let expected: BTreeMap<String, Row> = std::fs::read_to_string(expectations_path())
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.splitn(6, '\t').collect();
            (c.len() == 6).then(|| {
                (
                    c[0].to_string(),
                    Row {
                        file: c[0].into(),
                        outcome: c[1].into(),
                        occurrences: c[2].into(),
                        asserted: c[3].into(),
                        verdict: c[4].into(),
                        reason: c[5].into(),
                    },
                )
            })
        })
        .collect();

    // Keep the written reasons of rows whose outcome is unchanged.
    for row in &mut rows {
        if let Some(old) = expected.get(&row.file) {
            let same = old.outcome == row.outcome
                && old.occurrences == row.occurrences
                && old.verdict == row.verdict;
            if same && !old.reason.is_empty() && !old.reason.starts_with("TODO") {
                row.reason = old.reason.clone();
            }
        }
        if (row.verdict == "differs" || row.verdict == "refused") && row.reason.is_empty() {
            row.reason = "TODO: explain".into();
        }
    }

    let read = rows.len();
    let refused = rows.iter().filter(|r| r.verdict == "refused").count();
    let matched = rows.iter().filter(|r| r.verdict == "match").count();
    let differs: Vec<&Row> = rows.iter().filter(|r| r.verdict == "differs").collect();
    let with_count = matched + differs.len();
    eprintln!(
        "corpus walk: {read} files read, {} parsed, {refused} refused",
        read - refused
    );
    eprintln!(
        "asserted counts: {with_count} files carry one; {matched} matched, {} differ",
        differs.len()
    );
    for r in &differs {
        eprintln!(
            "  differs: {} -> {} (asserted {}): {}",
            r.file, r.occurrences, r.asserted, r.reason
        );
    }
    for r in rows.iter().filter(|r| r.verdict == "refused") {
        eprintln!("  refused: {}: {}", r.file, r.reason);
    }

    if std::env::var_os("POSTURE_UPDATE_CORPUS").is_some() {
        let mut text = String::from("file\toutcome\toccurrences\tasserted\tverdict\treason\n");
        for r in &rows {
            text.push_str(&r.line());
            text.push('\n');
        }
        std::fs::write(expectations_path(), text).expect("write expectations");
        eprintln!("wrote {}", expectations_path().display());
    }

    let mut problems = Vec::new();
    for r in &rows {
        match expected.get(&r.file) {
            None => problems.push(format!(
                "{}: not in corpus-expectations.tsv (now {} {})",
                r.file, r.outcome, r.occurrences
            )),
            Some(old)
                if old.outcome != r.outcome
                    || old.occurrences != r.occurrences
                    || old.verdict != r.verdict =>
            {
                problems.push(format!(
                    "{}: expected {} {} ({}), got {} {} ({})",
                    r.file,
                    old.outcome,
                    old.occurrences,
                    old.verdict,
                    r.outcome,
                    r.occurrences,
                    r.verdict
                ))
            }
            Some(_) => {}
        }
        if r.reason.starts_with("TODO") {
            problems.push(format!(
                "{}: {} without a written reason",
                r.file, r.verdict
            ));
        }
    }
    for f in expected.keys() {
        if !rows.iter().any(|r| &r.file == f) {
            problems.push(format!(
                "{f}: in corpus-expectations.tsv but not in the corpus"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} corpus expectation(s) broken:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn error_kind(e: &posture_app::AppError) -> &'static str {
    use posture_app::AppError as E;
    match e {
        E::Detect { .. } => "not-recognized",
        E::Parse { error, .. } => match error.kind {
            posture_parsers::ParseErrorKind::Syntax => "syntax",
            posture_parsers::ParseErrorKind::Truncated => "truncated",
            posture_parsers::ParseErrorKind::Shape => "shape",
            posture_parsers::ParseErrorKind::Empty => "empty",
            posture_parsers::ParseErrorKind::UnsupportedVersion => "unsupported-version",
            posture_parsers::ParseErrorKind::ToolError => "tool-error",
            posture_parsers::ParseErrorKind::Limit => "limit",
            _ => "parse",
        },
        E::TooLarge { .. } => "too-large",
        _ => "other",
    }
}
