//! `posture demo`: generate the demo portfolio, ingest it week by week into a fresh database,
//! and tell the user what to try next.
//!
//! The database is a SQLite file (replaced with `--force`) or an empty PostgreSQL database
//! (`--database postgres://...`). A URL has no folder to write `posture.toml` beside, so
//! there it goes where `--config` says, else in the current directory.

use crate::cli::DemoArgs;
use crate::commands::{open_store, parse_time};
use anyhow::{Context, bail};
use posture_app::{Clock, IngestRequest, ReportSource, SystemClock};
use posture_store::{FindingQuery, ScanKind};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(
    database: &str,
    config_arg: Option<&std::path::Path>,
    a: DemoArgs,
) -> anyhow::Result<ExitCode> {
    let until = match &a.until {
        Some(s) => parse_time(s)?,
        None => SystemClock.now(),
    };
    let postgres = posture_store::is_postgres_url(database);
    if !postgres && std::path::Path::new(database).exists() {
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
    if postgres && !store.scans(&Default::default())?.is_empty() {
        bail!(
            "the PostgreSQL database already holds scans; the demo needs a fresh database: create an empty one and pass its URL (--force replaces only a SQLite file)"
        );
    }
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
            format: None,
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
                branches: Default::default(),
            },
        )
        .with_context(|| format!("demo report {}", r.file_name))?;
        let t = outcome.total();
        fixed += t.fixed;
        reopened += t.reopened;
        occurrences += outcome.scopes.iter().map(|s| s.occurrences).sum::<usize>();
    }
    // the demo's feed snapshot: CISA KEV's entries for its CVEs, as of the demo's end
    let kev = posture_app::risk::import_feed(
        store.as_ref(),
        "the demo's CISA KEV snapshot",
        posture_demo::KEV_SNAPSHOT.as_bytes(),
        until,
    )?;
    println!(
        "Imported the demo's feed snapshot: CISA KEV {} ({} entries for the demo's CVEs).",
        kev.import.version.as_deref().unwrap_or("catalog"),
        kev.import.entries
    );
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
    let config_path = if postgres {
        config_arg
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| std::path::PathBuf::from("posture.toml"))
    } else {
        std::path::Path::new(database)
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join("posture.toml")
    };
    if config_path.exists() {
        println!(
            "\n{} exists: kept (the demo writes one only where there is none).",
            config_path.display()
        );
    } else {
        let feeds = config_path
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(posture_demo::KEV_SNAPSHOT_FILE);
        if let Some(dir) = feeds.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&feeds, posture_demo::KEV_SNAPSHOT)
            .with_context(|| format!("cannot write {}", feeds.display()))?;
        let policy = config_path
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(posture_demo::POLICY_FILE);
        std::fs::write(&policy, posture_demo::POLICY)
            .with_context(|| format!("cannot write {}", policy.display()))?;
        std::fs::write(&config_path, portfolio_toml(&portfolio.assets))
            .with_context(|| format!("cannot write {}", config_path.display()))?;
        println!(
            "\nWrote {}: the demo's teams and assets (criticality, environment, exposure, data) for risk and ownership, its feed, a Slack webhook, and {} (the policy: four eyes on accepted highs, SLAs, escalation).",
            config_path.display(),
            policy.display()
        );
    }
    // the team's week: people, roles and decisions through the policy's approval rules
    let loaded = crate::risk::load(Some(&config_path))?;
    drop(store);
    let access = crate::serve::open_access_store(database)?;
    let taken = crate::demo_team::record(access.as_ref(), loaded.as_ref(), until)?;
    println!(
        "\nThe team's decisions (people: {}):",
        crate::demo_team::PEOPLE
            .iter()
            .map(|p| match (p.team, p.role) {
                (Some(t), _) => format!("{} ({t})", p.name),
                (None, Some(r)) => format!("{} ({r})", p.name),
                _ => p.name.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    for t in &taken {
        println!("  {}", t.summary);
    }
    let store = access;
    let quote = |s: &str| {
        if s.contains(' ') {
            format!("\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let db = quote(database);
    let config = quote(&config_path.display().to_string());
    println!("\nTry next:");
    println!("  posture --database {db} --config {config} findings --sort risk");
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
    println!("  posture --database {db} --config {config} fixes --asset payments-api");
    println!("  posture --database {db} --config {config} policy test");
    println!(
        "  posture --database {db} --config {config} notify --dry-run   # the Slack messages it would send"
    );
    if a.no_serve {
        println!("  posture --database {db} --config {config} serve");
        return Ok(ExitCode::SUCCESS);
    }
    drop(store);
    serve_dashboard(database, config_arg.unwrap_or(&config_path), &a.listen)
}

/// The end of the demo: the dashboard on localhost, with a sign-in token made for it.
fn serve_dashboard(
    database: &str,
    config: &std::path::Path,
    listen: &str,
) -> anyhow::Result<ExitCode> {
    let store = crate::serve::open_access_store(database)?;
    let tokens = store.clone();
    // The demo's webhook points at nothing: `posture notify --dry-run` shows what it would send,
    // and the server does not try to deliver it.
    let mut settings = posture_server::ServerSettings::default();
    settings.jobs.notify_every = None;
    crate::serve::run_server(
        store,
        Some(config),
        listen,
        settings,
        crate::cli::LogFormat::Text,
        move |addr| {
            // The sign-in token is made only once the port is bound (a start that fails stores
            // no token nobody saw), on a plain thread: this runs inside the server's runtime,
            // where the PostgreSQL client must not block.
            let made = std::thread::scope(|s| {
                s.spawn(|| {
                    posture_server::create_token(
                        tokens.as_ref(),
                        posture_server::TokenRequest {
                            role: posture_store::Role::Admin,
                            user: Some("demo".into()),
                            name: Some("demo dashboard".into()),
                            teams: Vec::new(),
                            assets: Vec::new(),
                            service_account: false,
                            expires: posture_server::TokenExpiry::Default,
                        },
                        &posture_server::Actor {
                            name: "posture demo".into(),
                            token_id: None,
                            client: None,
                        },
                        SystemClock.now(),
                    )
                })
                .join()
            });
            let token = match made {
                Ok(Ok((token, _))) => token,
                Ok(Err(e)) => {
                    eprintln!("error: cannot create the demo's sign-in token: {e}");
                    std::process::exit(2);
                }
                Err(_) => {
                    eprintln!("error: creating the demo's sign-in token failed");
                    std::process::exit(2);
                }
            };
            println!("\nThe dashboard is served on http://{addr}/");
            println!("Sign in with this admin token (shown only this once):\n  {token}");
            println!(
                "The API is under http://{addr}/api/v1 (OpenAPI: /api/v1/openapi.json). Press Ctrl-C to stop."
            );
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// TOML basic string (JSON's escaping is valid TOML for these names).
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// `posture.toml` for the demo portfolio: its teams, and each asset's team, criticality,
/// environment, exposure and data classes read from its tags.
pub fn portfolio_toml(assets: &[posture_demo::DemoAsset]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# The demo portfolio (written by `posture demo`): teams and assets for risk and ownership.\n",
    );
    let _ = write!(
        out,
        "\n# Threat feeds: `posture feeds update` imports them (a URL where a network exists).\n\
         [feeds]\nkev = {}\nmax_age_days = 7\n",
        toml_str(posture_demo::KEV_SNAPSHOT_FILE)
    );
    let _ = write!(
        out,
        "\n# The policy the CI gate, triage approvals and SLAs follow.\n[policy]\nfile = {}\n",
        toml_str(posture_demo::POLICY_FILE)
    );
    out.push_str(
        "\n# Notifications: new criticals, regressions, SLA breaches and acceptances about to end, to a\n\
         # Slack channel. The URL is read from the environment at delivery time; `posture notify\n\
         # --dry-run` prints what would go.\n\
         [[webhook]]\nname = \"appsec-alerts\"\nkind = \"slack\"\nurl_env = \"POSTURE_SLACK_WEBHOOK_URL\"\n\
         events = [\"new-critical\", \"regression\", \"sla-breach\", \"acceptance-expiring\"]\n",
    );
    let mut teams: Vec<&str> = assets.iter().map(|a| a.team.as_str()).collect();
    teams.sort_unstable();
    teams.dedup();
    for t in teams {
        let _ = write!(out, "\n[[team]]\nname = {}\n", toml_str(t));
    }
    for a in assets {
        let has = |t: &str| a.tags.iter().any(|x| x == t);
        let _ = write!(
            out,
            "\n[[asset]]\nname = {}\nteam = {}\ncriticality = {}\n",
            toml_str(&a.name),
            toml_str(&a.team),
            toml_str(&a.criticality)
        );
        if has("production") {
            out.push_str("environment = \"production\"\n");
        }
        if has("internet-facing") {
            out.push_str("exposure = \"internet-facing\"\n");
        } else if has("internal") {
            out.push_str("exposure = \"internal\"\n");
        }
        let data: Vec<String> = a
            .tags
            .iter()
            .filter(|t| {
                matches!(
                    t.as_str(),
                    "pci" | "pii" | "phi" | "credentials" | "financial"
                )
            })
            .map(|t| toml_str(t))
            .collect();
        if !data.is_empty() {
            let _ = writeln!(out, "data = [{}]", data.join(", "));
        }
        let rest: Vec<String> = a
            .tags
            .iter()
            .filter(|t| {
                !matches!(
                    t.as_str(),
                    "pci"
                        | "pii"
                        | "phi"
                        | "credentials"
                        | "financial"
                        | "production"
                        | "internet-facing"
                        | "internal"
                )
            })
            .map(|t| toml_str(t))
            .collect();
        if !rest.is_empty() {
            let _ = writeln!(out, "tags = [{}]", rest.join(", "));
        }
        let _ = writeln!(out, "repositories = [{}]", toml_str(&a.repository));
        if let Some(image) = &a.image {
            let _ = writeln!(out, "images = [{}]", toml_str(image));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_portfolio_toml_is_a_valid_configuration() {
        let demo = posture_demo::generate(
            posture_demo::DEFAULT_SEED,
            "2026-01-01T00:00:00Z"
                .parse::<posture_model::Timestamp>()
                .unwrap_or_default(),
            1,
        );
        let text = super::portfolio_toml(&demo.assets);
        let p = posture_config::parse_portfolio("posture.toml", &text)
            .unwrap_or_else(|e| panic!("{}\n{text}", e.render(posture_config::RenderStyle::Plain)));
        assert_eq!(p.assets().len(), demo.assets.len());
        let first = &demo.assets[0];
        let a = p.asset(&first.name).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(a.team.as_deref(), Some(first.team.as_str()));
        assert!(a.criticality.is_some() && a.exposure.is_some(), "{text}");
    }
}
