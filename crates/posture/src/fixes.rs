//! `posture fixes`: remediation actions ranked by the risk they remove (one use case,
//! `posture_app::fixes`; the JSON is the API's `GET /api/v1/fixes`).

use crate::cli::{FixesArgs, OutputFormat};
use crate::commands::open_store;
use crate::output;
use posture_app::fixes::{FixAction, FixesRequest};
use std::process::ExitCode;

/// The CSV columns, in order (only ever appended to).
pub const FIX_CSV_COLUMNS: &[&str] = &[
    "rank",
    "kind",
    "action",
    "package",
    "ecosystem",
    "purl",
    "installed",
    "to_version",
    "major",
    "closes",
    "findings",
    "assets",
    "risk_removed",
    "unfixable",
    "rule",
    "path",
    "image",
];

pub fn fixes(
    database: &str,
    config: Option<&std::path::Path>,
    a: FixesArgs,
) -> anyhow::Result<ExitCode> {
    let config = crate::risk::load(config)?;
    let store = open_store(database)?;
    crate::workflow::sweep_before_listing(store.as_ref())?;
    // risk removed is the sum of stored scores: bring them up to date first
    posture_app::risk::refresh_stored_risk(store.as_ref(), config.as_ref())?;
    let plan = posture_app::fixes::fixes(
        store.as_ref(),
        config.as_ref(),
        &FixesRequest {
            asset: a.asset.clone(),
            team: a.team.clone(),
        },
        &|_| true,
    )?;
    let fmt = output::resolve(a.output);
    if fmt == OutputFormat::Json {
        output::json(&plan)?;
        return Ok(ExitCode::SUCCESS);
    }
    let shown: Vec<&FixAction> = plan
        .actions
        .iter()
        .take(a.limit.unwrap_or(usize::MAX))
        .collect();
    if fmt == OutputFormat::Csv {
        let rows = shown
            .iter()
            .enumerate()
            .map(|(k, f)| csv_row(k + 1, f))
            .collect();
        output::csv(FIX_CSV_COLUMNS, rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        println!("No remediation actions: no open finding has a known fix.");
    } else {
        let rows = shown
            .iter()
            .enumerate()
            .map(|(k, f)| {
                vec![
                    (k + 1).to_string(),
                    output::clip(&f.summary, 60),
                    if f.major { "yes" } else { "" }.to_string(),
                    f.closes.to_string(),
                    output::clip(&f.assets.join(", "), 40),
                    format!("{:.1}", f.risk_removed),
                    if f.unfixable.is_empty() {
                        String::new()
                    } else {
                        f.unfixable.len().to_string()
                    },
                ]
            })
            .collect();
        output::table(
            &[
                "#",
                "action",
                "major",
                "closes",
                "assets",
                "risk removed",
                "unfixable",
            ],
            rows,
        )?;
    }
    let closed: usize = plan.findings_in_actions;
    let n = plan.actions.len();
    println!(
        "{n} action{} {} {closed} of {} open finding{}.",
        if n == 1 { "" } else { "s" },
        if n == 1 { "closes" } else { "close" },
        plan.open_findings,
        if plan.open_findings == 1 { "" } else { "s" }
    );
    if !plan.unfixable.is_empty() {
        let n: usize = plan.unfixable.iter().map(|u| u.findings.len()).sum();
        println!(
            "{} package{} ({n} finding{}) with no fixed version: no upgrade offered.",
            plan.unfixable.len(),
            if plan.unfixable.len() == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn csv_row(rank: usize, f: &FixAction) -> Vec<String> {
    let join = |ids: &[i64]| {
        ids.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(";")
    };
    let pkg = f.package.as_ref();
    [
        rank.to_string(),
        f.kind.as_str().to_string(),
        f.summary.clone(),
        pkg.map(|p| p.name.clone()).unwrap_or_default(),
        pkg.and_then(|p| p.ecosystem.clone()).unwrap_or_default(),
        pkg.and_then(|p| p.purl.clone()).unwrap_or_default(),
        f.installed.clone().unwrap_or_default(),
        f.to_version.clone().unwrap_or_default(),
        f.major.to_string(),
        f.closes.to_string(),
        join(&f.findings),
        f.assets.join(";"),
        format!("{:.1}", f.risk_removed),
        join(&f.unfixable),
        f.rule.clone().unwrap_or_default(),
        f.path.clone().unwrap_or_default(),
        f.image.clone().unwrap_or_default(),
    ]
    .into_iter()
    .map(|c| posture_export::defuse(&c).into_owned())
    .collect()
}
