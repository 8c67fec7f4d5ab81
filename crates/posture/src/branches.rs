//! `posture branches list|delete`.

use crate::cli::OutputFormat;
use crate::commands::{open_store, parse_time};
use crate::output;
use clap::{Args, Subcommand};
use posture_app::{Clock, SystemClock};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum BranchesCommand {
    /// List an asset's branches: the default branch first, then each branch with its tools,
    /// last scan, open occurrences and whether it retired.
    List(BranchesListArgs),
    /// Delete a branch of an asset (a merged or abandoned merge request): its open
    /// occurrences close, no finding is fixed by it. The default branch cannot be deleted.
    Delete(BranchesDeleteArgs),
}

#[derive(Debug, Args)]
pub struct BranchesListArgs {
    #[arg(long)]
    pub asset: String,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

#[derive(Debug, Args)]
pub struct BranchesDeleteArgs {
    #[arg(long)]
    pub asset: String,
    #[arg(long)]
    pub branch: String,
    /// When it happens (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<OutputFormat>,
}

pub fn run(database: &str, _config: Option<&Path>, c: BranchesCommand) -> anyhow::Result<ExitCode> {
    match c {
        BranchesCommand::List(a) => {
            let store = open_store(database)?;
            let list = posture_app::branches::list(store.as_ref(), &a.asset)?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&list)?,
                fmt => {
                    let header = ["BRANCH", "DEFAULT", "TOOLS", "LAST SCAN", "OPEN", "RETIRED"];
                    let rows = list
                        .iter()
                        .map(|b| {
                            vec![
                                b.branch.clone(),
                                if b.default { "yes" } else { "" }.to_string(),
                                b.tools.join(", "),
                                b.last_scan_at.map(|t| t.to_string()).unwrap_or_default(),
                                b.open_occurrences.to_string(),
                                b.retired_at.map(|t| t.to_string()).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    output::rows(fmt, &header, rows)?
                }
            }
        }
        BranchesCommand::Delete(a) => {
            let now = match &a.at {
                Some(s) => parse_time(s)?,
                None => SystemClock.now(),
            };
            let store = open_store(database)?;
            let done = posture_app::branches::delete(store.as_ref(), &a.asset, &a.branch, now)?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&done)?,
                _ => println!(
                    "Deleted branch `{}` of `{}`: {} occurrence(s) closed, no finding fixed.",
                    done.branch, done.asset, done.closed_occurrences
                ),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
