//! Measures correlation against labeled data: several real scanners run on one project, with
//! every finding labeled by the issue it belongs to (`LABELS.tsv`, see the multiscan corpus's
//! `LABELING.md`). Posture ingests each target's reports into one asset, then every pair of
//! labeled occurrences is scored: merged by Posture (same finding) vs same issue by label.
//!
//! Pairwise precision = correct merges / all merges; recall = correct merges / all same-issue
//! pairs. Both are reported per target and per category, with every false merge and miss.

use crate::{AppError, IngestRequest, ReportSource, read_report_file};
use posture_engine::Fingerprint;
use posture_store::{FindingQuery, ScanKind, SqliteStore, Store};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One labeled occurrence.
#[derive(Debug, Clone)]
pub struct LabelRow {
    pub tool: String,
    pub report: String,
    pub locator: String,
    pub file: String,
    pub line: String,
    pub rule: String,
    pub category: String,
    pub issue: String,
}

/// Pair counts.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PairCounts {
    pub true_merges: usize,
    pub false_merges: usize,
    pub missed: usize,
}

impl PairCounts {
    pub fn precision(&self) -> f64 {
        let merged = self.true_merges + self.false_merges;
        if merged == 0 {
            1.0
        } else {
            self.true_merges as f64 / merged as f64
        }
    }
    pub fn recall(&self) -> f64 {
        let same = self.true_merges + self.missed;
        if same == 0 {
            1.0
        } else {
            self.true_merges as f64 / same as f64
        }
    }
}

/// A pair Posture got wrong.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PairError {
    pub a: String,
    pub b: String,
    /// What Posture said (the correlation reason of the later occurrence) or why not.
    pub detail: String,
}

/// The evaluation of one target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetEvaluation {
    pub target: String,
    pub rows: usize,
    pub unmapped: Vec<String>,
    pub issues: usize,
    pub findings: usize,
    pub total: PairCounts,
    pub by_category: BTreeMap<String, PairCounts>,
    pub false_merges: Vec<PairError>,
    pub misses: Vec<PairError>,
    /// Occurrences whose finding changed when every report was ingested again.
    pub moved_on_reingest: usize,
}

fn label_locator_to_pointer(loc: &str) -> String {
    let loc = loc.trim();
    if let Some(n) = loc.strip_prefix("line ") {
        return format!("line:{}", n.trim());
    }
    let mut out = String::new();
    let mut chars = loc.chars().peekable();
    let mut seg = String::new();
    let flush = |seg: &mut String, out: &mut String| {
        if !seg.is_empty() {
            out.push('/');
            out.push_str(&seg.replace('~', "~0").replace('/', "~1"));
            seg.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut seg, &mut out),
            '[' => {
                flush(&mut seg, &mut out);
                let mut inner = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    inner.push(d);
                }
                let inner = inner.trim().trim_matches('"').to_string();
                seg.push_str(&inner);
                flush(&mut seg, &mut out);
            }
            c => seg.push(c),
        }
    }
    flush(&mut seg, &mut out);
    out
}

/// Reads a target's LABELS.tsv.
pub fn read_labels(dir: &Path) -> Result<Vec<LabelRow>, AppError> {
    let path = dir.join("LABELS.tsv");
    let text = std::fs::read_to_string(&path).map_err(|error| AppError::Read {
        file: path.display().to_string(),
        error,
    })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let need = |name: &str| {
        col(name)
            .ok_or_else(|| AppError::Invalid(format!("{}: no `{name}` column", path.display())))
    };
    let (tool, report, locator, file, line, rule, category, issue) = (
        need("tool")?,
        need("report")?,
        need("locator")?,
        need("file")?,
        need("line")?,
        need("rule_id")?,
        need("category")?,
        need("issue")?,
    );
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| c.get(i).copied().unwrap_or("").to_string();
            LabelRow {
                tool: get(tool),
                report: get(report),
                locator: get(locator),
                file: get(file),
                line: get(line),
                rule: get(rule),
                category: get(category),
                issue: get(issue),
            }
        })
        .collect())
}

/// Ingests a target's labeled reports into a fresh in-memory store and scores the merges.
pub fn evaluate_target(
    dir: &Path,
    thresholds: posture_engine::Thresholds,
) -> Result<TargetEvaluation, AppError> {
    let target = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "target".into());
    let labels = read_labels(dir)?;
    let mut reports: Vec<String> = labels.iter().map(|l| l.report.clone()).collect();
    reports.sort();
    reports.dedup();

    let store = SqliteStore::open(":memory:")?;
    let key = store.secret_key()?;
    let at = posture_model::Timestamp::from_second(1_767_225_600)
        .unwrap_or(posture_model::Timestamp::UNIX_EPOCH);
    // report -> locator -> fingerprint (collapsed duplicates included)
    let mut fingerprints: HashMap<String, HashMap<String, Fingerprint>> = HashMap::new();
    let mut ingested: Vec<(ReportSource, Option<String>)> = Vec::new();
    for report in &reports {
        let source = read_report_file(&dir.join(report), crate::DEFAULT_MAX_REPORT_BYTES)?;
        // Reports that name no manifest (pip-audit, safety) get the one the labels give for
        // them, as a CI job would pass it with --target.
        let mut files: Vec<&str> = labels
            .iter()
            .filter(|l| &l.report == report && l.category == "dep")
            .map(|l| l.file.as_str())
            .collect();
        files.sort_unstable();
        files.dedup();
        let target_path = (files.len() == 1).then(|| files[0].to_string());
        let prepared = crate::ingest::prepare_with_target(&source, target_path.as_deref(), &key)?;
        let mut map = HashMap::new();
        for (_, identified) in &prepared.input.runs {
            for o in &identified.occurrences {
                map.insert(o.summary.locator.clone(), o.fingerprint);
            }
            for (loc, fp) in &identified.collapsed_into {
                map.insert(loc.clone(), *fp);
            }
        }
        // kept for the re-ingest check below; stored under the name the labels use
        ingested.push((
            ReportSource {
                name: report.clone(),
                bytes: source.bytes,
                format: source.format,
            },
            target_path.clone(),
        ));
        let Some((source, _)) = ingested.last() else {
            continue;
        };
        crate::ingest(
            &store,
            std::slice::from_ref(source),
            IngestRequest {
                asset: target.clone(),
                branch: "main".into(),
                target: target_path.clone(),
                commit: None,
                format: None,
                kind: ScanKind::Findings,
                at,
                force: false,
                thresholds,
                branches: Default::default(),
            },
        )?;
        fingerprints.insert(report.clone(), map);
    }

    // (report, fingerprint) -> (finding id, correlation reason)
    let findings = store.findings(&FindingQuery {
        asset: Some(target.clone()),
        status: None,
        ..FindingQuery::default()
    })?;
    let mut by_fp: HashMap<(String, String), (i64, String)> = HashMap::new();
    let mut features_of: HashMap<i64, posture_engine::Features> = HashMap::new();
    for f in &findings {
        for o in &f.occurrences {
            features_of.insert(o.id, posture_engine::correlate::features(&o.tool, &o.data));
            let why = o
                .correlation
                .as_ref()
                .map(|c| format!("{:.2}: {}", c.confidence, c.reason))
                .unwrap_or_else(|| "founded the finding".into());
            by_fp.insert(
                (o.tool.clone(), o.fingerprint.clone()),
                (f.id, format!("#{} {why}", o.id)),
            );
        }
    }
    let tool_of_report: HashMap<String, Vec<String>> = {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for s in store.scans(&posture_store::ScanQuery {
            asset: Some(target.clone()),
            ..Default::default()
        })? {
            m.entry(s.report.clone()).or_default().push(s.tool.clone());
        }
        m
    };

    let mut mapped: Vec<(&LabelRow, i64, String)> = Vec::new();
    let mut unmapped = Vec::new();
    for row in &labels {
        let pointer = label_locator_to_pointer(&row.locator);
        let found = fingerprints
            .get(&row.report)
            .and_then(|m| m.get(&pointer))
            .and_then(|fp| {
                tool_of_report
                    .get(&row.report)?
                    .iter()
                    .find_map(|tool| by_fp.get(&(tool.clone(), fp.to_hex())))
            });
        match found {
            Some((id, why)) => mapped.push((row, *id, why.clone())),
            None => unmapped.push(format!("{} {} ({pointer})", row.report, row.locator)),
        }
    }

    // Re-ingest every report (forced, so each comparison runs again): no occurrence may move
    // to another finding.
    let membership = |store: &SqliteStore| -> Result<HashMap<i64, i64>, AppError> {
        Ok(store
            .findings(&FindingQuery {
                asset: Some(target.clone()),
                status: None,
                ..FindingQuery::default()
            })?
            .iter()
            .flat_map(|f| f.occurrences.iter().map(move |o| (o.id, f.id)))
            .collect())
    };
    let before = membership(&store)?;
    for (source, target_path) in &ingested {
        crate::ingest(
            &store,
            std::slice::from_ref(source),
            IngestRequest {
                asset: target.clone(),
                branch: "main".into(),
                target: target_path.clone(),
                commit: None,
                format: None,
                kind: ScanKind::Findings,
                at: at
                    .checked_add(jiff::SignedDuration::from_hours(24))
                    .unwrap_or(at),
                force: true,
                thresholds,
                branches: Default::default(),
            },
        )?;
    }
    let after = membership(&store)?;
    let moved_on_reingest = before
        .iter()
        .filter(|(occ, finding)| after.get(occ) != Some(finding))
        .count()
        + after.len().abs_diff(before.len());

    let describe =
        |r: &LabelRow| format!("{} {} {}:{} [{}]", r.tool, r.rule, r.file, r.line, r.issue);
    let weights = posture_engine::correlate::WordWeights::from_features(features_of.values());
    let mut eval = TargetEvaluation {
        target,
        rows: labels.len(),
        unmapped,
        issues: {
            let mut i: Vec<&str> = labels.iter().map(|l| l.issue.as_str()).collect();
            i.sort_unstable();
            i.dedup();
            i.len()
        },
        findings: {
            let mut f: Vec<i64> = mapped.iter().map(|m| m.1).collect();
            f.sort_unstable();
            f.dedup();
            f.len()
        },
        total: PairCounts::default(),
        by_category: BTreeMap::new(),
        false_merges: Vec::new(),
        misses: Vec::new(),
        moved_on_reingest,
    };
    for i in 0..mapped.len() {
        for j in (i + 1)..mapped.len() {
            let (a, fa, wa) = &mapped[i];
            let (b, fb, wb) = &mapped[j];
            let same_issue = a.issue == b.issue;
            let merged = fa == fb;
            if !same_issue && !merged {
                continue;
            }
            let cat = if a.category == b.category {
                a.category.clone()
            } else {
                format!("{}+{}", a.category, b.category)
            };
            let counts = eval.by_category.entry(cat).or_default();
            match (same_issue, merged) {
                (true, true) => {
                    counts.true_merges += 1;
                    eval.total.true_merges += 1;
                }
                (false, true) => {
                    counts.false_merges += 1;
                    eval.total.false_merges += 1;
                    eval.false_merges.push(PairError {
                        a: describe(a),
                        b: describe(b),
                        detail: format!("{wa} | {wb}"),
                    });
                }
                (true, false) => {
                    counts.missed += 1;
                    eval.total.missed += 1;
                    let occ_id = |w: &str| {
                        w.trim_start_matches('#')
                            .split(' ')
                            .next()
                            .and_then(|n| n.parse::<i64>().ok())
                    };
                    let detail = match (
                        occ_id(wa).and_then(|i| features_of.get(&i)),
                        occ_id(wb).and_then(|i| features_of.get(&i)),
                    ) {
                        (Some(fa), Some(fb)) => {
                            match posture_engine::correlate::score_with(fa, fb, &weights) {
                                Some(m) => {
                                    format!("pair alone scores {:.2} ({})", m.confidence, m.reason)
                                }
                                None => "no rule relates them".to_string(),
                            }
                        }
                        _ => String::new(),
                    };
                    eval.misses.push(PairError {
                        a: describe(a),
                        b: describe(b),
                        detail,
                    });
                }
                (false, false) => {}
            }
        }
    }
    Ok(eval)
}
