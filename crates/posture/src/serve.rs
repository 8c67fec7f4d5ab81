//! `posture serve` and `posture token`: start the server (printing a bootstrap admin token
//! when no token exists), and create, list or revoke API tokens from the command line.

use crate::cli::{
    HealthcheckArgs, LogFormat, OutputFormat, ServeArgs, TeamCommand, TokenCommand,
    TokenCreateArgs, UserCommand,
};
use crate::output;
use anyhow::Context;
use posture_app::{Clock, SystemClock};
use posture_server::{Actor, AppState, ServerSettings, TokenRequest};
use posture_store::{AccessStore, Role};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

pub fn open_access_store(database: &str) -> anyhow::Result<Arc<dyn AccessStore>> {
    open_access_store_pooled(database, None)
}

/// [`open_access_store`] with the PostgreSQL pools' size (`--pool-size`).
fn open_access_store_pooled(
    database: &str,
    pool_size: Option<usize>,
) -> anyhow::Result<Arc<dyn AccessStore>> {
    let store = posture_store::open_with_access_pool(database, pool_size).with_context(|| {
        format!(
            "cannot open the database {}",
            posture_store::display_location(database)
        )
    })?;
    Ok(Arc::from(store))
}

/// The server's log on stderr, as text or JSON lines: `POSTURE_LOG` filters it (`info`
/// unless set, e.g. `POSTURE_LOG=debug` or `POSTURE_LOG=posture::request=off`). Each request
/// is one line (target `posture::request`); a 500's cause is logged under its request id.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("POSTURE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    // A second server in one process (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

/// Starts the server on `listen` over an opened store; `banner` runs once it listens.
pub fn run_server(
    store: Arc<dyn AccessStore>,
    config: Option<&Path>,
    listen: &str,
    settings: ServerSettings,
    log_format: LogFormat,
    banner: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    init_logging(log_format);
    let portfolio = crate::risk::load(config)?;
    let mut settings = settings;
    // Single sign-on fails at start, not at someone's first sign-in: the client secret's
    // variable must be set and the server must know its address (the redirect URI).
    if let Some(sign_in) = portfolio
        .as_ref()
        .and_then(|p| p.portfolio.oidc())
        .and_then(|o| o.sign_in.as_ref())
    {
        if settings.base_url.is_none() {
            anyhow::bail!(
                "[oidc] single sign-on needs the address people reach the server at: start it with --base-url (the provider sends browsers back to <base-url>{})",
                sign_in.redirect_path
            );
        }
        if let Some(var) = &sign_in.client_secret_env {
            let secret = std::env::var(var).ok().filter(|v| !v.trim().is_empty());
            let Some(secret) = secret else {
                anyhow::bail!(
                    "[oidc] client_secret_env names the environment variable {var}, which is not set: set it to the client secret the identity provider gave Posture"
                );
            };
            settings.oidc_client_secret = Some(posture_server::Secret(secret));
        }
    }
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
    let base_path = match &a.base_url {
        Some(url) => posture_server::base_path_of(url.trim())
            .map_err(|e| anyhow::anyhow!("--base-url (POSTURE_BASE_URL) {e}"))?,
        None => String::new(),
    };
    let https_base = a
        .base_url
        .as_deref()
        .is_some_and(|u| u.trim().starts_with("https://"));
    let store = open_access_store_pooled(database, Some(a.pool_size))?;
    // The server takes uploads: without the installation's secret key (or with another key
    // than the database's) it would refuse each one, so it refuses to start (fail closed).
    store
        .secret_key()
        .context("the server cannot store uploads")?;
    let settings = ServerSettings {
        max_upload_bytes: a.max_upload_size,
        session_hours: a.session_hours,
        secure_cookies: a.secure_cookies || https_base,
        base_url: a
            .base_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/').to_string()),
        base_path: base_path.clone(),
        trusted_proxies: a.trusted_proxies.clone(),
        metrics_token: a
            .metrics_token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .map(posture_server::Secret),
        max_concurrent_uploads: a.max_concurrent_uploads.max(1),
        async_upload_above: a.async_upload_above,
        limits: posture_server::ops::Limits {
            max_connections: a.max_connections.max(1),
            header_timeout: a.header_timeout,
            body_timeout: a.body_timeout,
            shutdown_timeout: a.shutdown_timeout,
        },
        jobs: posture_server::jobs::JobSettings {
            notify_every: Some(a.notify_every).filter(|d| !d.is_zero()),
            jira_every: Some(a.jira_every).filter(|d| !d.is_zero()),
            feed_files: a.feeds.clone(),
            feeds_every: a.feeds_every.max(std::time::Duration::from_secs(1)),
            ..Default::default()
        },
        oidc_client_secret: None,
    };
    let shown_database = posture_store::display_location(database);
    let base_url = a.base_url.clone();
    let tokens = store.clone();
    run_server(
        store,
        config,
        &a.listen,
        settings,
        a.log_format,
        move |addr| {
            let root = match &base_url {
                Some(url) => url.trim().trim_end_matches('/').to_string(),
                None => format!("http://{addr}{base_path}"),
            };
            tracing::info!(
                target: "posture::server",
                listen = %addr, database = %shown_database, base = %root,
                "serving"
            );
            println!(
                "Posture is serving {shown_database} on {root}/ (dashboard) and {root}/api/v1 (API; OpenAPI at /api/v1/openapi.json); probes at /healthz and /readyz, metrics at /metrics"
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
                    "Sign in at {root}/login with it, and create others with `posture token create`."
                );
            }
            println!("Press Ctrl-C to stop.");
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `posture healthcheck`: GET the probe over plain HTTP (the server's own port, inside its
/// container or host); 0 when it answers 200, 1 otherwise.
pub fn healthcheck(a: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    use std::io::{Read, Write};
    let probe = if a.ready { "/readyz" } else { "/healthz" };
    let url = match a.url {
        Some(url) => url,
        None => {
            let listen =
                std::env::var("POSTURE_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
            let port = listen
                .rsplit_once(':')
                .map(|(_, p)| p.to_string())
                .ok_or_else(|| anyhow::anyhow!("POSTURE_LISTEN `{listen}` has no port"))?;
            let base = match std::env::var("POSTURE_BASE_URL") {
                Ok(u) if !u.trim().is_empty() => posture_server::base_path_of(u.trim())
                    .map_err(|e| anyhow::anyhow!("POSTURE_BASE_URL {e}"))?,
                _ => String::new(),
            };
            format!("http://127.0.0.1:{port}{base}{probe}")
        }
    };
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        anyhow::anyhow!("--url `{url}`: a plain http:// URL (the server's own port)")
    })?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let answer = (|| -> std::io::Result<String> {
        use std::net::ToSocketAddrs;
        let addr = host
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut s = std::net::TcpStream::connect_timeout(&addr, a.timeout)?;
        s.set_read_timeout(Some(a.timeout))?;
        s.set_write_timeout(Some(a.timeout))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: posture-healthcheck\r\n\r\n"
        )?;
        let mut head = [0u8; 64];
        let n = s.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).to_string())
    })();
    match answer {
        Ok(head) if head.split_whitespace().nth(1) == Some("200") => {
            println!("{url}: 200");
            Ok(ExitCode::SUCCESS)
        }
        Ok(head) => {
            eprintln!(
                "{url}: {}",
                head.lines().next().unwrap_or("no answer").trim()
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            Ok(ExitCode::from(1))
        }
    }
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
            teams: a
                .team
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            service_account: a.service_account,
            assets: a
                .asset
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            expires: posture_server::TokenExpiry::parse(a.expires.as_deref())?,
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

/// The CLI's actor for access-control writes: `cli:` and the operating-system user.
fn cli_actor() -> Actor {
    Actor {
        name: format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        ),
        token_id: None,
        client: None,
    }
}

fn audit_cli(
    store: &dyn AccessStore,
    by: &Actor,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    store.record_audit(posture_store::AuditEntry {
        at: SystemClock.now(),
        actor: by.name.clone(),
        token_id: None,
        client: None,
        action: action.into(),
        target,
        detail,
    })?;
    Ok(())
}

/// `posture user ...`
pub fn user(database: &str, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = open_access_store(database)?;
    let by = cli_actor();
    let now = SystemClock.now();
    match command {
        UserCommand::List(a) => {
            let list = store.users(now)?;
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&list)?,
                fmt => output::rows(
                    fmt,
                    &["USER", "KIND", "ROLES", "TEAMS", "LIVE TOKENS"],
                    list.iter()
                        .map(|u| {
                            vec![
                                u.name.clone(),
                                u.kind.clone(),
                                u.roles.join(","),
                                u.teams.join(","),
                                u.active_tokens.to_string(),
                            ]
                        })
                        .collect(),
                )?,
            }
        }
        UserCommand::Create(a) => {
            store.ensure_user(&a.name, a.service_account, now)?;
            for role in &a.role {
                store.grant_user_role(&a.name, role, &by.name, now)?;
            }
            for team in &a.team {
                store.add_membership(team, &a.name, now)?;
            }
            audit_cli(
                store.as_ref(),
                &by,
                "user.update",
                format!("user {}", a.name),
                serde_json::json!({ "service_account": a.service_account, "roles_given": a.role, "teams_added": a.team }),
            )?;
            let u = store
                .users(now)?
                .into_iter()
                .find(|u| u.name == a.name)
                .with_context(|| format!("user {} is gone", a.name))?;
            println!(
                "user {} ({}): roles {}, teams {}",
                u.name,
                u.kind,
                if u.roles.is_empty() {
                    "none".into()
                } else {
                    u.roles.join(",")
                },
                if u.teams.is_empty() {
                    "none".into()
                } else {
                    u.teams.join(",")
                }
            );
        }
        UserCommand::Grant(a) => {
            store.grant_user_role(&a.name, &a.role, &by.name, now)?;
            audit_cli(
                store.as_ref(),
                &by,
                "user.role.grant",
                format!("user {}", a.name),
                serde_json::json!({ "role": a.role }),
            )?;
            println!("{} holds the role {}", a.name, a.role);
        }
        UserCommand::Ungrant(a) => {
            if !store.revoke_user_role(&a.name, &a.role)? {
                anyhow::bail!("{} does not hold the role {}", a.name, a.role);
            }
            audit_cli(
                store.as_ref(),
                &by,
                "user.role.revoke",
                format!("user {}", a.name),
                serde_json::json!({ "role": a.role }),
            )?;
            println!("{} no longer holds the role {}", a.name, a.role);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `posture team ...`
pub fn team(database: &str, command: TeamCommand) -> anyhow::Result<ExitCode> {
    let store = open_access_store(database)?;
    let by = cli_actor();
    match command {
        TeamCommand::Members(a) => {
            let teams: Vec<_> = store
                .teams()?
                .into_iter()
                .filter(|t| a.team.as_deref().is_none_or(|n| n == t.name))
                .collect();
            if let Some(name) = &a.team
                && teams.is_empty()
            {
                anyhow::bail!("no recorded team named {name}");
            }
            match output::resolve(a.output) {
                OutputFormat::Json => output::json(&teams)?,
                fmt => output::rows(
                    fmt,
                    &["TEAM", "MEMBERS"],
                    teams
                        .iter()
                        .map(|t| vec![t.name.clone(), t.members.join(",")])
                        .collect(),
                )?,
            }
        }
        TeamCommand::Add(a) => {
            store.add_membership(&a.team, &a.user, SystemClock.now())?;
            audit_cli(
                store.as_ref(),
                &by,
                "team.member.add",
                format!("team {}", a.team),
                serde_json::json!({ "user": a.user }),
            )?;
            println!("{} is a member of {}", a.user, a.team);
        }
        TeamCommand::Remove(a) => {
            if !store.remove_membership(&a.team, &a.user)? {
                anyhow::bail!("{} is not a recorded member of team {}", a.user, a.team);
            }
            audit_cli(
                store.as_ref(),
                &by,
                "team.member.remove",
                format!("team {}", a.team),
                serde_json::json!({ "user": a.user }),
            )?;
            println!("{} is no longer a member of {}", a.user, a.team);
        }
    }
    Ok(ExitCode::SUCCESS)
}
