//! `posture export`, `posture notify` and `posture jira`: the integrations with other systems
//! (standard files, chat and webhooks through the outbox, the Jira sync).

use crate::commands::{open_store, parse_time};
use anyhow::Context;
use clap::{Args, ValueEnum};
use posture_app::export::{ExportFormat, ExportRequest, ExportStatus};
use posture_app::{Clock, SystemClock};
use posture_model::FindingStatus;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportOutput {
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// CSV, one row per finding, stable columns (RFC 4180).
    Csv,
    /// CycloneDX 1.6 VEX (JSON) from triage decisions.
    CyclonedxVex,
    /// OpenVEX 0.2.0 from triage decisions.
    Openvex,
    /// OCSF 1.5.0 vulnerability_finding (class 2002) events, JSON lines.
    Ocsf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    pub output: ExportOutput,
    /// Only this asset's findings.
    #[arg(long)]
    pub asset: Option<String>,
    /// Statuses, comma-separated: open, fixed, all, or triage states (confirmed, in-progress,
    /// false-positive, accepted, not-affected). Default: every status but fixed (open findings
    /// and people's decisions, which SARIF and VEX carry as suppressions and statements).
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// The author named in VEX documents (a team or an email address).
    #[arg(long)]
    pub author: Option<String>,
    /// The document time (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Write here instead of standard output.
    pub file: Option<PathBuf>,
}

fn parse_statuses(words: &[String]) -> anyhow::Result<ExportStatus> {
    if words.is_empty() {
        return Ok(ExportStatus::Current);
    }
    let mut out = Vec::new();
    for w in words {
        if w.trim().eq_ignore_ascii_case("all") {
            return Ok(ExportStatus::All);
        }
        out.push(w.parse::<FindingStatus>().map_err(anyhow::Error::msg)?);
    }
    Ok(ExportStatus::Only(out))
}

pub fn export(database: &str, config: Option<&Path>, a: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = match a.output {
        ExportOutput::Sarif => ExportFormat::Sarif,
        ExportOutput::Csv => ExportFormat::Csv,
        ExportOutput::CyclonedxVex => ExportFormat::CycloneDxVex,
        ExportOutput::Openvex => ExportFormat::OpenVex,
        ExportOutput::Ocsf => ExportFormat::Ocsf,
    };
    let now = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let request = ExportRequest {
        format,
        asset: a.asset.clone(),
        status: parse_statuses(&a.status)?,
        author: a.author.clone(),
    };
    let posture_app::export::Exported {
        bytes,
        count,
        notes,
    } = posture_app::export::export(store.as_ref(), config.as_ref(), &request, now)?;
    for n in &notes {
        eprintln!("warning: {n}");
    }
    match &a.file {
        Some(path) => {
            write_atomically(path, &bytes)?;
            eprintln!("{count} finding(s) exported to {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file in the same folder and renames it, so a reader never sees
/// half a document.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// List the outbox (pending entries; with --all, delivered ones too) instead of sending.
    #[arg(long)]
    pub list: bool,
    /// With --list: also delivered entries.
    #[arg(long, requires = "list")]
    pub all: bool,
    /// Print what the next run would send (each webhook's payload, as its receiver would get
    /// it), without queueing or sending anything and without reading the webhooks' URLs.
    #[arg(long, conflicts_with = "list")]
    pub dry_run: bool,
    /// The time to act at (RFC 3339): what is due then is sent; default now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<crate::cli::OutputFormat>,
}

/// `posture notify`: queue what is new from the event log, then send every due outbox entry
/// once. Exits 1 when some delivery failed (they stay queued and are retried later).
pub fn notify(database: &str, config: Option<&Path>, a: NotifyArgs) -> anyhow::Result<ExitCode> {
    let now = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let fmt = crate::output::resolve(a.output);
    if a.list {
        let out = store
            .integrations()
            .context("this database back end has no outbox")?;
        let list = out.outbox(!a.all, 1000)?;
        match fmt {
            crate::cli::OutputFormat::Json => crate::output::json(&list)?,
            fmt => crate::output::rows(
                fmt,
                &[
                    "ID",
                    "EVENT",
                    "DESTINATION",
                    "ATTEMPTS",
                    "NEXT ATTEMPT",
                    "DELIVERED",
                    "LAST ERROR",
                ],
                list.iter()
                    .map(|o| {
                        vec![
                            o.id.to_string(),
                            o.event.clone(),
                            o.destination.clone(),
                            o.attempts.to_string(),
                            o.next_attempt_at.to_string(),
                            o.delivered_at.map(|t| t.to_string()).unwrap_or_default(),
                            crate::output::clip(o.last_error.as_deref().unwrap_or(""), 60),
                        ]
                    })
                    .collect(),
            )?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.dry_run {
        let entries =
            posture_app::integrations::preview_notifications(store.as_ref(), config.as_ref(), now)?;
        match fmt {
            crate::cli::OutputFormat::Json => crate::output::json(
                &entries
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "destination": e.destination,
                            "event": e.event,
                            "key": e.dedup_key,
                            "payload": serde_json::from_str::<serde_json::Value>(&e.payload)
                                .unwrap_or_else(|_| serde_json::Value::String(e.payload.clone())),
                        })
                    })
                    .collect::<Vec<_>>(),
            )?,
            _ => {
                for e in &entries {
                    let body = serde_json::from_str::<serde_json::Value>(&e.payload)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| e.payload.clone());
                    println!(
                        "--- {} -> webhook `{}` ({})",
                        e.event, e.destination, e.dedup_key
                    );
                    println!("{body}");
                }
                println!(
                    "dry run: {} notification(s) would be sent; nothing was queued or sent",
                    entries.len()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let env = |name: &str| std::env::var(name).ok();
    let (collected, delivered) =
        posture_app::integrations::notify(store.as_ref(), config.as_ref(), &env, now)?;
    match fmt {
        crate::cli::OutputFormat::Json => crate::output::json(&serde_json::json!({
            "queued": collected.queued,
            "events_read": collected.events_read,
            "delivered": delivered.delivered,
            "failed": delivered.failed,
            "attempts": delivered.attempts.iter().map(|(id, dest, event, outcome)| serde_json::json!({
                "id": id, "destination": dest, "event": event, "outcome": outcome,
            })).collect::<Vec<_>>(),
        }))?,
        _ => {
            for (id, dest, event, outcome) in &delivered.attempts {
                println!("outbox {id} {event} -> {dest}: {outcome}");
            }
            println!(
                "{} queued, {} delivered, {} failed (kept for retry)",
                collected.queued, delivered.delivered, delivered.failed
            );
        }
    }
    Ok(if delivered.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Debug, clap::Subcommand)]
pub enum JiraCommand {
    /// Reconcile Jira issues with the findings: create, update, close, reopen, and record
    /// conflicts; prints what changed. The API token comes from POSTURE_JIRA_TOKEN.
    Sync(JiraSyncArgs),
    /// The conflict log: issues a person closed while findings are still open, and the like.
    Conflicts(JiraConflictsArgs),
}

#[derive(Debug, Args)]
pub struct JiraSyncArgs {
    /// Read Jira and print what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// The time to act at (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<crate::cli::OutputFormat>,
}

#[derive(Debug, Args)]
pub struct JiraConflictsArgs {
    /// Also resolved conflicts.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum)]
    pub output: Option<crate::cli::OutputFormat>,
}

pub fn jira(database: &str, config: Option<&Path>, c: JiraCommand) -> anyhow::Result<ExitCode> {
    match c {
        JiraCommand::Sync(a) => jira_sync(database, config, a),
        JiraCommand::Conflicts(a) => {
            let store = open_store(database)?;
            let out = store
                .integrations()
                .context("this database back end has no conflict log")?;
            let list = out.conflicts(!a.all)?;
            match crate::output::resolve(a.output) {
                crate::cli::OutputFormat::Json => crate::output::json(&list)?,
                fmt => crate::output::rows(
                    fmt,
                    &[
                        "ID", "SUBJECT", "ISSUE", "KIND", "SINCE", "RESOLVED", "DETAIL",
                    ],
                    list.iter()
                        .map(|c| {
                            vec![
                                c.id.to_string(),
                                c.subject.clone(),
                                c.reference.clone(),
                                c.kind.clone(),
                                c.created_at.to_string(),
                                c.resolved_at.map(|t| t.to_string()).unwrap_or_default(),
                                crate::output::clip(&c.detail, 80),
                            ]
                        })
                        .collect(),
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn jira_sync(database: &str, config: Option<&Path>, a: JiraSyncArgs) -> anyhow::Result<ExitCode> {
    let now = match &a.at {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    let token = std::env::var("POSTURE_JIRA_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .context("POSTURE_JIRA_TOKEN is not set: the Jira API token is read from it")?;
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    let report = posture_app::integrations::jira_sync(
        store.as_ref(),
        config.as_ref(),
        &token,
        now,
        a.dry_run,
    )?;
    drop(token);
    let conflicts = report
        .actions
        .iter()
        .filter(|x| x.kind == posture_integrations::jira::ActionKind::Conflict)
        .count();
    match crate::output::resolve(a.output) {
        crate::cli::OutputFormat::Json => crate::output::json(&report)?,
        _ => {
            let verb = if report.dry_run { "would be " } else { "" };
            for x in &report.actions {
                let flag = if x.kind == posture_integrations::jira::ActionKind::Conflict {
                    "FLAG "
                } else {
                    ""
                };
                println!(
                    "{flag}{verb}{} {} ({}): {}",
                    x.kind.as_str(),
                    x.issue.as_deref().unwrap_or("new issue"),
                    x.group,
                    x.detail
                );
            }
            println!(
                "{} group(s), {} linked issue(s): {} change(s){}; {} Jira call(s) ({} writing, {} retried)",
                report.groups,
                report.linked,
                report.actions.len() - conflicts,
                if conflicts > 0 {
                    format!(", {conflicts} conflict(s) flagged (posture jira conflicts)")
                } else {
                    String::new()
                },
                report.calls.reads + report.calls.writes,
                report.calls.writes,
                report.calls.retries
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// After an ingest committed: queue its notifications (new critical findings, regressions)
/// for the configured webhooks. The ingest stands either way: a problem here is a warning,
/// and the next `posture notify` reads the same events again from the cursor.
pub fn after_ingest(
    store: &dyn posture_store::Store,
    config: Option<&Path>,
    at: posture_model::Timestamp,
) {
    let queued = crate::risk::load(config)
        .map_err(|e| format!("{e:#}"))
        .and_then(|c| {
            posture_app::integrations::queue_notifications(store, c.as_ref(), at)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = queued {
        eprintln!("warning: notifications not queued (posture notify will retry): {e}");
    }
}
