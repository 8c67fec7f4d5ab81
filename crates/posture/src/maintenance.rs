//! `posture migrate`, `posture backup` and `posture restore`: the database's upkeep.

use crate::cli::OutputFormat;
use crate::output;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// `json` for the report as JSON (default: text).
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (never overwritten).
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore (written by `posture backup`).
    pub file: PathBuf,
    /// Replace a database that holds data (stop the servers using it first).
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

/// Runs `posture migrate` and prints what it did (also used by `posture serve --migrate`).
pub fn apply_migrations(database: &str, json: bool) -> anyhow::Result<()> {
    let report = posture_store::migrate(database).with_context(|| {
        format!(
            "cannot migrate the database {}",
            posture_store::display_location(database)
        )
    })?;
    if json {
        return output::json(&report);
    }
    if report.applied.is_empty() {
        println!(
            "{} is at schema {}, this posture's: nothing to apply",
            report.database, report.to
        );
        return Ok(());
    }
    if report.from == 0 {
        println!(
            "{}: created at schema {} ({} migrations)",
            report.database,
            report.to,
            report.applied.len()
        );
    } else {
        println!(
            "{}: schema {} -> {}, applied:",
            report.database, report.from, report.to
        );
        for m in &report.applied {
            println!("  {:>3}  {}", m.version, m.note);
        }
    }
    Ok(())
}

pub fn migrate(database: &str, a: MigrateArgs) -> anyhow::Result<ExitCode> {
    apply_migrations(database, matches!(a.output, Some(OutputFormat::Json)))?;
    Ok(ExitCode::SUCCESS)
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} kB", bytes as f64 / 1024.0)
    }
}

pub fn backup(database: &str, a: BackupArgs) -> anyhow::Result<ExitCode> {
    let report = posture_store::backup(database, &a.file).with_context(|| {
        format!(
            "cannot back up the database {}",
            posture_store::display_location(database)
        )
    })?;
    if matches!(a.output, Some(OutputFormat::Json)) {
        output::json(&report)?;
    } else {
        println!(
            "backed up {} to {}: schema {}, {} assets, {} findings, {} scans, {} (integrity {})",
            report.from,
            report.to,
            report.schema,
            report.assets,
            report.findings,
            report.scans,
            size(report.bytes),
            report.integrity
        );
        eprintln!(
            "note: the installation's secret key is not in the backup (by design); keep {}.key or POSTURE_SECRET_KEY safe apart from it: a restore needs the same key",
            database
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(database: &str, a: RestoreArgs) -> anyhow::Result<ExitCode> {
    let report = posture_store::restore(database, &a.file, a.force).with_context(|| {
        format!(
            "cannot restore into the database {}",
            posture_store::display_location(database)
        )
    })?;
    if matches!(a.output, Some(OutputFormat::Json)) {
        output::json(&report)?;
    } else {
        println!(
            "restored {} into {}: schema {}, {} assets, {} findings, {} scans",
            report.from, report.to, report.schema, report.assets, report.findings, report.scans
        );
        if report.schema < posture_store::SCHEMA_VERSION {
            println!(
                "the backup is at schema {}, this posture needs {}: run `posture migrate`",
                report.schema,
                posture_store::SCHEMA_VERSION
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
