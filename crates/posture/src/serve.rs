//! `posture serve` and `posture token`: start the server (printing a bootstrap admin token
//! when no token exists), and create, list or revoke API tokens from the command line.

use crate::cli::{OutputFormat, ServeArgs, TokenCommand, TokenCreateArgs};
use crate::output;
use anyhow::Context;
use posture_app::{Clock, SystemClock};
use posture_server::{Actor, AppState, ServerSettings, TokenRequest};
use posture_store::{AccessStore, Role};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub fn open_access_store(database: &str) -> anyhow::Result<Arc<dyn AccessStore>> {
    let store = posture_store::open_with_access(database).with_context(|| {
        format!(
            "cannot open the database {}",
            posture_store::display_location(database)
        )
    })?;
    Ok(Arc::from(store))
}

/// The server's log on stderr: `POSTURE_LOG` filters it (`info` unless set, e.g.
/// `POSTURE_LOG=debug` or `POSTURE_LOG=posture_server=warn`). A 500's cause is logged there
/// under the error id its answer gives.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("POSTURE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second server in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Starts the server on `listen` over an opened store; `banner` runs once it listens.
pub fn run_server(
    store: Arc<dyn AccessStore>,
    config: Option<&Path>,
    listen: &str,
    settings: ServerSettings,
    banner: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    init_logging();
    let portfolio = crate::risk::load(config)?;
    // One clock for every server and CI job over a PostgreSQL database: the database's.
    let clock = posture_app::clock_for(store.clone())?;
    let state = AppState::new(store, portfolio, settings, clock)?;
    posture_server::run(listen, state, banner)?;
    Ok(())
}

pub fn serve(database: &str, config: Option<&Path>, a: ServeArgs) -> anyhow::Result<ExitCode> {
    if a.migrate {
        crate::maintenance::apply_migrations(database, false)?;
    }
    let store = open_access_store(database)?;
    // The server takes uploads: without the installation's secret key (or with another key
    // than the database's) it would refuse each one, so it refuses to start (fail closed).
    store
        .secret_key()
        .context("the server cannot store uploads")?;
    let settings = ServerSettings {
        max_upload_bytes: a.max_upload_size,
        session_hours: a.session_hours,
        secure_cookies: a.secure_cookies,
        jobs: posture_server::jobs::JobSettings {
            notify_every: Some(a.notify_every).filter(|d| !d.is_zero()),
            jira_every: Some(a.jira_every).filter(|d| !d.is_zero()),
            feed_files: a.feeds.clone(),
            feeds_every: a.feeds_every.max(std::time::Duration::from_secs(1)),
            ..Default::default()
        },
    };
    let tokens = store.clone();
    run_server(store, config, &a.listen, settings, move |addr| {
        println!(
            "Posture is serving {} on http://{addr}/ (dashboard) and http://{addr}/api/v1 (API; OpenAPI at /api/v1/openapi.json)",
            posture_store::display_location(database)
        );
        // The first admin token is made only now, once the configuration is loaded and the
        // port bound: a start that fails (port busy, bad configuration) stores no token that
        // nobody was shown.
        // (On a plain thread: this runs inside the server's runtime, where the PostgreSQL
        // client must not block.)
        let made = std::thread::scope(|s| {
            s.spawn(|| posture_server::bootstrap_token(tokens.as_ref(), SystemClock.now()))
                .join()
        });
        let bootstrap = match made {
            Ok(Ok(token)) => token,
            Ok(Err(e)) => {
                eprintln!("error: cannot create the first admin token: {e}");
                std::process::exit(2);
            }
            Err(_) => {
                eprintln!("error: creating the first admin token failed");
                std::process::exit(2);
            }
        };
        if let Some(token) = &bootstrap {
            println!(
                "No API token existed, so this admin token was created. It is shown only this once; keep it safe:"
            );
            println!("  {token}");
            println!(
                "Sign in at http://{addr}/login with it, and create others with `posture token create`."
            );
        }
        println!("Press Ctrl-C to stop.");
    })?;
    Ok(ExitCode::SUCCESS)
}

fn parse_expiry(text: Option<&str>) -> anyhow::Result<Option<posture_model::Timestamp>> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| {
            posture_server::api::parse_expiry(t, SystemClock.now()).map_err(anyhow::Error::from)
        })
        .transpose()
}

pub fn token(database: &str, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = open_access_store(database)?;
    let by = Actor {
        name: format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        ),
        token_id: None,
        client: None,
    };
    match command {
        TokenCommand::Create(a) => create(store.as_ref(), a, &by),
        TokenCommand::List(a) => {
            let list = store.tokens()?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&list)?,
                fmt => output::rows(
                    fmt,
                    &[
                        "ID", "PREFIX", "ROLE", "USER", "NAME", "TEAMS", "ASSETS", "EXPIRES",
                        "STATE",
                    ],
                    list.iter()
                        .map(|t| {
                            vec![
                                t.id.to_string(),
                                format!("{}…", t.prefix),
                                t.role.to_string(),
                                t.user.clone(),
                                t.name.clone(),
                                t.teams.join(","),
                                t.assets.join(","),
                                t.expires_at
                                    .map(|e| e.to_string())
                                    .unwrap_or_else(|| "never".into()),
                                if t.revoked_at.is_some() {
                                    "revoked".into()
                                } else if t.expires_at.is_some_and(|e| e <= SystemClock.now()) {
                                    "expired".into()
                                } else {
                                    "active".into()
                                },
                            ]
                        })
                        .collect(),
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenCommand::Revoke(a) => {
            let now = SystemClock.now();
            let t = store.revoke_token_audited(a.id, now, &|t| {
                Some(posture_store::AuditEntry {
                    at: now,
                    actor: by.name.clone(),
                    token_id: None,
                    client: None,
                    action: "token.revoke".into(),
                    target: format!("token {}", t.id),
                    detail: serde_json::json!({ "name": t.name, "prefix": t.prefix }),
                })
            })?;
            println!("token {} ({}…, {}) is revoked", t.id, t.prefix, t.name);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn create(store: &dyn AccessStore, a: TokenCreateArgs, by: &Actor) -> anyhow::Result<ExitCode> {
    let role: Role = a.role.parse().map_err(anyhow::Error::msg)?;
    let (value, record) = posture_server::create_token(
        store,
        TokenRequest {
            role,
            user: a.user,
            name: a.name,
            team: a.team,
            assets: a
                .asset
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            expires_at: parse_expiry(a.expires.as_deref())?,
        },
        by,
        SystemClock.now(),
    )?;
    // The bare token on stdout by default, so that `TOKEN=$(posture token create ...)` works;
    // `--output json` for the record too.
    match a.output {
        Some(OutputFormat::Json) => {
            output::json(&serde_json::json!({ "token": value, "record": record }))?
        }
        _ => {
            eprintln!(
                "Created token {} ({} for {}{}{}). It is shown only this once:",
                record.id,
                record.role,
                record.user,
                if record.teams.is_empty() {
                    String::new()
                } else {
                    format!(", team {}", record.teams.join(","))
                },
                if record.assets.is_empty() {
                    String::new()
                } else {
                    format!(", assets {}", record.assets.join(","))
                },
            );
            println!("{value}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
