//! The ingest pipeline: bytes -> detected format -> parsed report -> identified occurrences
//! -> one store transaction.

use crate::AppError;
use posture_engine::identify;
use posture_model::{SecretKey, Timestamp, ToolInfo};
use posture_parsers::{Chosen, DetectError, Parser};
use posture_store::{IngestBatch, IngestOutcome, ReportInput, ScanKind, Store};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Reports larger than this are refused unless the caller raises the cap (generous: the
/// largest real reports are tens of megabytes, the benchmark's 100,000 findings ~150 MB).
pub const DEFAULT_MAX_REPORT_BYTES: u64 = 1024 * 1024 * 1024;

/// A report's bytes and the name it is known by (the path as given, or the upload's name).
pub struct ReportSource {
    pub name: String,
    pub bytes: Vec<u8>,
    /// The format given for this report alone (`--format FILE=FORMAT`); it takes precedence
    /// over [`IngestRequest::format`].
    pub format: Option<String>,
}

/// Reads a report file, refusing it before reading when it is over `max_bytes`, and never
/// reading more than `max_bytes + 1` bytes even if the file grows meanwhile.
pub fn read_report_file(path: &Path, max_bytes: u64) -> Result<ReportSource, AppError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| AppError::Read {
        file: name.clone(),
        error,
    })?;
    let meta = file.metadata().map_err(|error| AppError::Read {
        file: name.clone(),
        error,
    })?;
    if meta.is_dir() {
        return Err(AppError::Read {
            file: name,
            error: std::io::Error::other("is a directory"),
        });
    }
    if meta.len() > max_bytes {
        return Err(AppError::TooLarge {
            file: name,
            size: meta.len(),
            limit: max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // In pieces, so that a terminal can show the bytes read of a large report.
    const PIECE: u64 = 16 * 1024 * 1024;
    let mut reader = file.take(max_bytes + 1);
    loop {
        let n = (&mut reader)
            .take(PIECE)
            .read_to_end(&mut bytes)
            .map_err(|error| AppError::Read {
                file: name.clone(),
                error,
            })?;
        crate::progress::report(crate::progress::Progress::Reading {
            file: &name,
            done: bytes.len() as u64,
            total: meta.len(),
        });
        if n == 0 {
            break;
        }
    }
    if bytes.len() as u64 > max_bytes {
        return Err(AppError::TooLarge {
            file: name,
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(ReportSource {
        name,
        bytes,
        format: None,
    })
}

/// A report read, parsed and identified, ready to store.
pub struct PreparedReport {
    pub input: ReportInput,
    /// Items the parser skipped (diagnostics of level `skipped`).
    pub skipped: usize,
    /// Occurrences the parser produced, before collapsing duplicates.
    pub parsed: usize,
    /// Seconds spent hashing, parsing and identifying.
    pub timings: Timings,
    /// VEX statements the report carries (applied to the asset's findings after the store's
    /// ingest, see [`crate::workflow::apply_vex`]).
    pub vex: Vec<posture_model::VexStatement>,
}

/// Where an ingest spent its time, in seconds (shown by `--output json` and the benchmark).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timings {
    pub sha256: f64,
    pub parse: f64,
    pub identify: f64,
    pub store: f64,
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sha256 {:.3}s, parse {:.3}s, identify {:.3}s, store {:.3}s",
            self.sha256, self.parse, self.identify, self.store
        )
    }
}

/// Detects (or looks up) the format, parses, masks secrets (keyed with `key`, the store's
/// [`Store::secret_key`]) and identifies one report. Pure apart from hashing: nothing is
/// stored.
pub fn prepare_report(
    source: &ReportSource,
    format: Option<&str>,
    key: &SecretKey,
) -> Result<PreparedReport, AppError> {
    prepare(source, format, None, None, key)
}

/// `prepare_report` with a scan target (see [`IngestRequest::target`]).
pub fn prepare_with_target(
    source: &ReportSource,
    target: Option<&str>,
    key: &SecretKey,
) -> Result<PreparedReport, AppError> {
    prepare(source, None, None, target, key)
}

/// `prepare_report`, reusing a SHA-256 already computed, and giving occurrences that name no
/// place the scan's target as their path (pip-audit and safety do not say which manifest they
/// read; the manifest is part of a dependency's identity).
fn prepare(
    source: &ReportSource,
    format: Option<&str>,
    known_sha256: Option<String>,
    target: Option<&str>,
    key: &SecretKey,
) -> Result<PreparedReport, AppError> {
    let given = effective_format(source, format)?;
    let text = posture_parsers::encoding::decode(&source.bytes).map_err(|e| AppError::Detect {
        file: source.name.clone(),
        error: DetectError::Encoding(e),
        syntax: None,
    })?;
    let chosen = choose_format(source, &text, given)?;
    let parser = chosen.parser;
    let mut timings = Timings::default();
    // Hash on a second thread while parsing: both read the same bytes, neither waits.
    let (sha256, report) = std::thread::scope(|scope| {
        let known = known_sha256.clone();
        let hasher = scope.spawn(move || {
            let t = Instant::now();
            let sha = known.unwrap_or_else(|| hex::encode(Sha256::digest(&source.bytes)));
            (sha, t.elapsed().as_secs_f64())
        });
        let t = Instant::now();
        crate::progress::report(crate::progress::Progress::Parsing {
            file: &source.name,
            format: parser.id(),
            bytes: source.bytes.len() as u64,
        });
        let report = parser.parse(&text);
        timings.parse = t.elapsed().as_secs_f64();
        let (sha, secs) = hasher
            .join()
            .unwrap_or_else(|_| (hex::encode(Sha256::digest(&source.bytes)), 0.0));
        timings.sha256 = secs;
        (sha, report)
    });
    let mut report = report.map_err(|e| AppError::Parse {
        file: source.name.clone(),
        format: parser.id().to_string(),
        error: e,
    })?;
    chosen
        .check(&mut report, &source.name)
        .map_err(|e| AppError::Detect {
            file: source.name.clone(),
            error: e,
            syntax: None,
        })?;
    // A diagnostic is stored and shown: it never repeats a value of the report (which may be
    // a secret), whichever parser wrote it.
    for d in &mut report.diagnostics {
        d.message = posture_model::redact_values(&d.message);
    }
    let parsed = report.occurrence_count();
    crate::progress::report(crate::progress::Progress::Parsed {
        file: &source.name,
        items: parsed,
    });
    let skipped = report
        .diagnostics
        .iter()
        .filter(|d| d.level == posture_model::DiagnosticLevel::Skipped)
        .count();
    let t = Instant::now();
    let runs: Vec<(ToolInfo, posture_engine::Identified)> = report
        .runs
        .into_iter()
        .map(|mut run| {
            if let Some(target) = target {
                for o in &mut run.occurrences {
                    let l = &o.location;
                    if l.path.is_none() && l.url.is_none() && l.image.is_none() {
                        o.location.path = Some(target.to_string());
                    }
                }
            }
            // Secrets masked in every field and their evidence keyed, for every format, before
            // identity and the store see them.
            posture_engine::secrets::protect(&run.tool.name, &mut run.occurrences, key);
            let identified = identify(&run.tool.name, run.occurrences);
            (run.tool, identified)
        })
        .collect();
    timings.identify = t.elapsed().as_secs_f64();
    crate::progress::report(crate::progress::Progress::Identified { items: parsed });
    Ok(PreparedReport {
        input: ReportInput {
            name: source.name.clone(),
            sha256,
            format: report.format,
            runs,
            diagnostics: report.diagnostics,
            components: report.components,
        },
        skipped,
        parsed,
        timings,
        vex: report.vex,
    })
}

/// What to ingest and where it belongs.
pub struct IngestRequest {
    pub asset: String,
    pub branch: String,
    /// What was scanned when it is part of the asset (a manifest, an image): scopes the scan
    /// and fills the location of findings whose report does not name it (pip-audit, safety).
    pub target: Option<String>,
    pub commit: Option<String>,
    pub format: Option<String>,
    pub kind: ScanKind,
    pub at: Timestamp,
    pub force: bool,
    /// Correlation thresholds (merge, suggest).
    pub thresholds: posture_engine::Thresholds,
    /// The asset's default branch (recorded on the asset: only its scans decide a finding's
    /// status) and when idle branches retire (checked after the ingest, for the asset).
    pub branches: crate::branches::BranchSettings,
}

/// What an ingest does with the VEX statements of its reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VexHandling {
    /// Apply them (the caller has the triage right: the CLI on its database, a triager).
    #[default]
    Apply,
    /// Apply nothing: hand them back in [`PreparedSummary::held_vex`] (the caller may upload
    /// but not triage; the server records them as a suggestion).
    Hold,
}

/// Prepares every report first (any bad report fails the whole ingest before anything is
/// written), then stores them in one transaction; VEX statements are applied.
pub fn ingest(
    store: &dyn Store,
    sources: &[ReportSource],
    req: IngestRequest,
) -> Result<(IngestOutcome, Vec<PreparedSummary>), AppError> {
    ingest_audited(store, sources, req, &|_| None, VexHandling::Apply)
}

/// [`ingest`], with the VEX statements applied or held.
pub fn ingest_with(
    store: &dyn Store,
    sources: &[ReportSource],
    req: IngestRequest,
    vex_handling: VexHandling,
) -> Result<(IngestOutcome, Vec<PreparedSummary>), AppError> {
    ingest_audited(store, sources, req, &|_| None, vex_handling)
}

/// [`ingest_with`], with the audit entry `audit` builds from the outcome stored in the
/// ingest's own transaction (and, for applied VEX statements, a `vex.apply` entry in theirs).
/// A report identical to the scope's last scan writes no ingest transaction: then `audit` is
/// not called (the caller records that upload on its own).
pub fn ingest_audited(
    store: &dyn Store,
    sources: &[ReportSource],
    req: IngestRequest,
    audit: posture_store::AuditOf<'_, IngestOutcome>,
    vex_handling: VexHandling,
) -> Result<(IngestOutcome, Vec<PreparedSummary>), AppError> {
    if req.asset.trim().is_empty() {
        return Err(AppError::Invalid(
            "--asset must name the asset (service) the reports belong to".into(),
        ));
    }
    if sources.is_empty() {
        return Err(AppError::Invalid("no report given".into()));
    }
    // The installation's key, checked against the database's: no secret is stored unkeyed or
    // keyed with another key (fail closed, before anything is read or written).
    let key = store.secret_key()?;
    // The common CI case of re-uploading an unchanged report: recognise it by its SHA-256
    // before spending time on parsing it.
    // Acceptances that expired by the time of this scan open again first, so the scan sees
    // (and its summary counts) them as open.
    // An unknown format name is an error whatever the reports are (identical ones too).
    for s in sources {
        effective_format(s, req.format.as_deref())?;
    }
    // What an ingest changes besides the scan (expired acceptances open again, the default
    // branch recorded, idle branches retired) happens only once the reports are known to be
    // readable: a refused report changes nothing (all or nothing).
    let mut before_done = false;
    let before_the_scan = |store: &dyn Store| -> Result<(), AppError> {
        crate::workflow::expire(store, req.at)?;
        store.set_default_branch(&req.asset, &req.branches.default_branch, req.at)?;
        // Branches of the asset idle for too long retire (their occurrences close, no fix); a
        // retired branch scanned again comes back (its scopes' digests were cleared).
        crate::branches::retire_idle(
            store,
            Some(&req.asset),
            req.at,
            req.branches.retire_after_days,
        )?;
        Ok(())
    };
    let mut known_sha = None;
    if let [single] = sources
        && !req.force
    {
        let t = Instant::now();
        let sha = hex::encode(Sha256::digest(&single.bytes));
        let sha_secs = t.elapsed().as_secs_f64();
        let identical =
            |store: &dyn Store| -> Result<Option<Vec<posture_store::ScopeOutcome>>, AppError> {
                match store.identical_report(
                    &req.asset,
                    &req.branch,
                    req.target.as_deref().unwrap_or(""),
                    &sha,
                )? {
                    Some(scopes) if read_the_same_way(store, single, &req, &sha, &scopes)? => {
                        Ok(Some(scopes))
                    }
                    _ => Ok(None),
                }
            };
        // An identical report is readable (it was read the same way before): the changes
        // before the scan apply, and it is still identical unless they retired its branch.
        let mut shortcut = None;
        if identical(store)?.is_some() {
            before_the_scan(store)?;
            before_done = true;
            shortcut = identical(store)?;
        }
        if let Some(scopes) = shortcut {
            let outcome = IngestOutcome {
                asset: req.asset.trim().to_string(),
                scopes,
            };
            let summary = PreparedSummary {
                name: single.name.clone(),
                format: String::from("(identical to the last scan: not parsed again)"),
                parsed: outcome.scopes.iter().map(|s| s.occurrences).sum(),
                skipped: 0,
                diagnostics: Vec::new(),
                timings: Timings {
                    sha256: sha_secs,
                    ..Timings::default()
                },
                vex: None,
                held_vex: Vec::new(),
            };
            return Ok((outcome, vec![summary]));
        }
        known_sha = Some(sha);
    }
    let mut reports = Vec::with_capacity(sources.len());
    let mut vex = Vec::with_capacity(sources.len());
    let mut summaries = Vec::with_capacity(sources.len());
    for s in sources {
        let target = req
            .target
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let prepared = prepare(s, req.format.as_deref(), known_sha.take(), target, &key)?;
        summaries.push(PreparedSummary {
            name: s.name.clone(),
            format: prepared.input.format.clone(),
            parsed: prepared.parsed,
            skipped: prepared.skipped,
            diagnostics: prepared.input.diagnostics.clone(),
            timings: prepared.timings,
            vex: None,
            held_vex: Vec::new(),
        });
        vex.push(prepared.vex);
        reports.push(prepared.input);
    }
    if !before_done {
        before_the_scan(store)?;
    }
    let t = Instant::now();
    let asset = req.asset.trim().to_string();
    let items: usize = summaries.iter().map(|s| s.parsed).sum();
    crate::progress::report(crate::progress::Progress::Storing { items });
    let outcome = store.ingest_audited(
        IngestBatch {
            asset: req.asset,
            branch: req.branch,
            target: req.target.unwrap_or_default(),
            commit: req.commit,
            kind: req.kind,
            at: req.at,
            reports,
            force: req.force,
            thresholds: req.thresholds,
        },
        audit,
    )?;
    // VEX statements apply after the findings they speak of are stored (a separate
    // transaction: the scan stays recorded even if a statement cannot be applied), audited
    // (`vex.apply`, by whoever uploaded) in that transaction; held ones change nothing.
    for (summary, statements) in summaries.iter_mut().zip(vex) {
        if statements.is_empty() {
            continue;
        }
        summary.vex = Some(match vex_handling {
            VexHandling::Apply => {
                let entry = audit(&outcome).map(|mut e| {
                    e.action = "vex.apply".into();
                    e
                });
                crate::workflow::apply_vex_audited(
                    store,
                    &asset,
                    &summary.name,
                    &statements,
                    req.at,
                    entry,
                )?
            }
            VexHandling::Hold => crate::workflow::VexOutcome {
                statements: statements.len(),
                held: statements.len(),
                ..Default::default()
            },
        });
        if vex_handling == VexHandling::Hold {
            summary.held_vex = statements;
        }
    }
    crate::progress::report(crate::progress::Progress::Stored { items });
    let store_secs = t.elapsed().as_secs_f64();
    for s in &mut summaries {
        s.timings.store = store_secs;
    }
    Ok((outcome, summaries))
}

/// Per-report facts for the ingest summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreparedSummary {
    pub name: String,
    pub format: String,
    pub parsed: usize,
    pub skipped: usize,
    pub diagnostics: Vec<posture_model::Diagnostic>,
    /// Time spent; `store` is the whole transaction (shared by the reports of one ingest).
    pub timings: Timings,
    /// What the report's VEX statements did, when it had some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<crate::workflow::VexOutcome>,
    /// VEX statements held, not applied ([`VexHandling::Hold`]).
    #[serde(skip)]
    pub held_vex: Vec<posture_model::VexStatement>,
}

/// Whether the identical report's last scans read it in the format this ingest would: the
/// shortcut keys on the bytes *and* the effective format (the same bytes read as another format
/// are another report). Unsure (a scan not among the recent ones) counts as no.
fn read_the_same_way(
    store: &dyn Store,
    source: &ReportSource,
    req: &IngestRequest,
    sha: &str,
    scopes: &[posture_store::ScopeOutcome],
) -> Result<bool, AppError> {
    let given = effective_format(source, req.format.as_deref())?;
    let Ok(text) = posture_parsers::encoding::decode(&source.bytes) else {
        return Ok(false);
    };
    let Ok(chosen) = posture_parsers::choose(&text, &source.name, given) else {
        return Ok(false);
    };
    for scope in scopes {
        let scans = store.scans(&posture_store::ScanQuery {
            asset: Some(req.asset.trim().to_string()),
            tool: Some(scope.tool.clone()),
            limit: Some(500),
        })?;
        let mut same = scans
            .iter()
            .filter(|s| s.branch == req.branch.trim() && s.sha256 == sha)
            .peekable();
        if same.peek().is_none() || same.any(|s| s.format != chosen.parser.id()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The format given for a report: its own (`--format FILE=FORMAT`), else the batch's
/// (`--format FORMAT`). An unknown format name is always an error.
fn effective_format(
    source: &ReportSource,
    batch: Option<&str>,
) -> Result<Option<&'static dyn Parser>, AppError> {
    let Some(id) = source
        .format
        .as_deref()
        .or(batch)
        .map(str::trim)
        .filter(|f| !f.is_empty())
    else {
        return Ok(None);
    };
    posture_parsers::parser_by_id(id)
        .map(Some)
        .ok_or_else(|| AppError::UnknownFormat {
            given: id.to_string(),
            known: posture_parsers::PARSERS
                .iter()
                .map(|p| p.id())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Chooses the format of a report's text (see [`posture_parsers::choose`]), naming the file in
/// errors.
fn choose_format(
    source: &ReportSource,
    text: &[u8],
    given: Option<&'static dyn Parser>,
) -> Result<Chosen, AppError> {
    posture_parsers::choose(text, &source.name, given).map_err(|e| AppError::Detect {
        file: source.name.clone(),
        syntax: match e {
            DetectError::NotRecognized { .. } | DetectError::Mismatch { .. } => {
                syntax_problem(text)
            }
            _ => None,
        },
        error: e,
    })
}

/// When a report is not recognized, says where its JSON breaks, if it is meant to be JSON: a
/// truncated upload is then reported with its line and column instead of only "not a report".
fn syntax_problem(bytes: &[u8]) -> Option<String> {
    let body = posture_parsers::json::strip_bom(bytes);
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => None,
        Err(e) => Some(posture_parsers::ParseError::from_json(&e).to_string()),
    }
}
