//! `posture demo`: generate the demo portfolio, ingest it week by week into a fresh database,
//! and tell the user what to try next.

use crate::cli::DemoArgs;
use crate::commands::{open_store, parse_time};
use anyhow::{Context, bail};
use posture_app::{Clock, IngestRequest, ReportSource, SystemClock};
use posture_store::{FindingQuery, ScanKind};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(database: &str, a: DemoArgs) -> anyhow::Result<ExitCode> {
    let until = match &a.until {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    if std::path::Path::new(database).exists() {
        if !a.force {
            bail!(
                "{database} exists; the demo needs a fresh database: pass --force to replace it, or --database OTHER.db"
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = format!("{database}{suffix}");
            if std::path::Path::new(&p).exists() {
                std::fs::remove_file(&p).with_context(|| format!("cannot remove {p}"))?;
            }
        }
    }
    let started = Instant::now();
    let portfolio = posture_demo::generate(a.seed, until, a.weeks);
    if let Some(dir) = &a.write_reports {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for r in &portfolio.reports {
            let p = dir.join(&r.file_name);
            std::fs::write(&p, &r.bytes)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    let store = open_store(database)?;
    let total_bytes: usize = portfolio.reports.iter().map(|r| r.bytes.len()).sum();
    println!(
        "Generating the demo portfolio: {} services, {} reports ({:.1} MB) over {} weeks...",
        portfolio.assets.len(),
        portfolio.reports.len(),
        total_bytes as f64 / 1e6,
        a.weeks
    );
    let mut fixed = 0usize;
    let mut reopened = 0usize;
    let mut occurrences = 0usize;
    for r in &portfolio.reports {
        // An empty Gitleaks report (`[]`) is indistinguishable from other tools' empty lists,
        // so the demo names the format, as a CI job would with --format.
        let format = match r.tool.as_str() {
            "gitleaks" => Some("gitleaks-json".to_string()),
            _ => None,
        };
        let source = ReportSource {
            name: r.file_name.clone(),
            bytes: r.bytes.clone(),
        };
        let (outcome, _) = posture_app::ingest(
            store.as_ref(),
            &[source],
            IngestRequest {
                asset: r.asset.clone(),
                target: None,
                branch: r.branch.clone(),
                commit: Some(r.commit.clone()),
                format,
                kind: ScanKind::Findings,
                at: r.scanned_at,
                force: false,
                thresholds: Default::default(),
            },
        )
        .with_context(|| format!("demo report {}", r.file_name))?;
        let t = outcome.total();
        fixed += t.fixed;
        reopened += t.reopened;
        occurrences += outcome.scopes.iter().map(|s| s.occurrences).sum::<usize>();
    }
    let open = store.findings(&FindingQuery {
        status: Some(vec![posture_model::FindingStatus::Open]),
        ..Default::default()
    })?;
    let all = store.findings(&FindingQuery::default())?;
    println!(
        "Ingested {} reports ({occurrences} occurrences) in {:.2}s: {} findings, {} open; {fixed} fixes and {reopened} regressions recorded.",
        portfolio.reports.len(),
        started.elapsed().as_secs_f64(),
        all.len(),
        open.len()
    );
    println!("\nServices and owners:");
    for asset in &portfolio.assets {
        let n = open.iter().filter(|f| f.asset == asset.name).count();
        println!(
            "  {:<18} team {:<11} {:<7} {:<40} {n} open",
            asset.name,
            asset.team,
            asset.criticality,
            asset.tags.join(", ")
        );
    }
    let db = if database.contains(' ') {
        format!("\"{database}\"")
    } else {
        database.to_string()
    };
    println!("\nTry next:");
    println!("  posture --database {db} findings --severity critical,high");
    println!("  posture --database {db} findings --asset payments-api --status all");
    println!("  posture --database {db} findings --tool trivy --category container --output csv");
    if let Some(f) = open
        .iter()
        .find(|f| f.occurrences.len() > 1)
        .or(open.first())
    {
        println!("  posture --database {db} show {}", f.id);
    }
    println!("  posture --database {db} scans --asset mobile-bff");
    println!("  posture --database {db} findings --status fixed --output json");
    Ok(ExitCode::SUCCESS)
}
