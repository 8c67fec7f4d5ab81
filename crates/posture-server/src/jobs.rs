//! Scheduled jobs inside `posture serve`: webhook delivery (the outbox), the Jira sync, feed
//! refresh, the expiry sweep and branch retirement, so that no cron job with database
//! credentials has to sit next to the server.
//!
//! Each job ticks on its own Tokio task, a quarter of its period apart (between 1 s and 60 s),
//! and each tick asks the store to run it ([`posture_store::Store::run_job`]): the run happens
//! only when no other process runs the job now (a PostgreSQL advisory lock per job) and its
//! last run, by any server, started a whole period ago (the claim in `job_runs`). Several
//! servers over one database therefore run each period once, and a server that dies mid-run
//! frees its lock with its session. The work runs off the async threads (`blocking`); an error
//! is recorded as the run's outcome and logged, and the next period tries again.
//!
//! Jobs that need configuration are off without it: webhook delivery needs `[[webhook]]` in
//! posture.toml, the Jira sync `[jira]` and `POSTURE_JIRA_TOKEN` (read at each run, never
//! kept), feed refresh the files to read (`--feed`).

use crate::error::ApiError;
use crate::{AppState, Shared};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// When each job runs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Webhook delivery (queue the new events, send the due outbox entries); `None`: off.
    pub notify_every: Option<Duration>,
    /// The Jira sync; `None`: off.
    pub jira_every: Option<Duration>,
    /// The feed files (CISA KEV, FIRST EPSS) imported again each period; none: off.
    pub feed_files: Vec<PathBuf>,
    pub feeds_every: Duration,
    /// Expired acceptances reopen and idle branches retire.
    pub sweep_every: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            notify_every: Some(Duration::from_secs(60)),
            jira_every: Some(Duration::from_secs(15 * 60)),
            feed_files: Vec::new(),
            feeds_every: Duration::from_secs(24 * 3600),
            sweep_every: crate::governance::EXPIRY_SWEEP_EVERY,
        }
    }
}

type Work = dyn Fn(&Shared) -> Result<String, ApiError> + Send + Sync;

/// One scheduled job.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    work: Box<Work>,
}

/// The jobs the configuration turns on, and a sentence for each one it leaves off.
pub fn jobs(shared: &Shared) -> (Vec<Job>, Vec<String>) {
    let settings = &shared.settings.jobs;
    let mut on = Vec::new();
    let mut off = Vec::new();
    on.push(Job {
        name: "expiry-sweep",
        every: settings.sweep_every,
        work: Box::new(|s| {
            let n = crate::governance::sweep_expiries(s)?;
            Ok(format!("{n} acceptance(s) expired"))
        }),
    });
    on.push(Job {
        name: "branch-retirement",
        every: settings.sweep_every,
        work: Box::new(|s| {
            let n = crate::branches_api::sweep_idle_branches(s)?;
            Ok(format!("{n} branch(es) retired"))
        }),
    });
    let webhooks = shared
        .portfolio
        .as_ref()
        .is_some_and(|c| !c.portfolio.webhooks().is_empty());
    match settings.notify_every {
        Some(every) if webhooks => on.push(Job {
            name: "webhook-delivery",
            every,
            work: Box::new(|s| {
                let env = |name: &str| std::env::var(name).ok();
                let (collected, delivered) = posture_app::integrations::notify(
                    s.store.as_ref(),
                    s.portfolio.as_ref(),
                    &env,
                    s.clock.now(),
                )?;
                Ok(format!(
                    "{} queued, {} delivered, {} failed (kept for retry)",
                    collected.queued, delivered.delivered, delivered.failed
                ))
            }),
        }),
        Some(_) => off.push("webhook delivery: off (no [[webhook]] in posture.toml)".into()),
        None => off.push("webhook delivery: off (--notify-every 0)".into()),
    }
    let jira = shared
        .portfolio
        .as_ref()
        .is_some_and(|c| c.portfolio.jira().is_some());
    let token = std::env::var("POSTURE_JIRA_TOKEN").is_ok_and(|t| !t.is_empty());
    match settings.jira_every {
        Some(every) if jira && token => on.push(Job {
            name: "jira-sync",
            every,
            work: Box::new(|s| {
                // The credential is read when used, never kept.
                let token = std::env::var("POSTURE_JIRA_TOKEN").unwrap_or_default();
                let report = posture_app::integrations::jira_sync(
                    s.store.as_ref(),
                    s.portfolio.as_ref(),
                    &token,
                    s.clock.now(),
                    false,
                )?;
                Ok(format!(
                    "{} group(s), {} linked issue(s), {} change(s)",
                    report.groups,
                    report.linked,
                    report.actions.len()
                ))
            }),
        }),
        Some(_) if !jira => off.push("Jira sync: off (no [jira] in posture.toml)".into()),
        Some(_) => off.push("Jira sync: off (POSTURE_JIRA_TOKEN is not set)".into()),
        None => off.push("Jira sync: off (--jira-every 0)".into()),
    }
    if settings.feed_files.is_empty() {
        off.push("feed refresh: off (no --feed file)".into());
    } else {
        let files = settings.feed_files.clone();
        on.push(Job {
            name: "feed-refresh",
            every: settings.feeds_every,
            work: Box::new(move |s| {
                let mut done = Vec::new();
                for f in &files {
                    let imported =
                        posture_app::risk::import_feed_file(s.store.as_ref(), f, s.clock.now())?;
                    done.push(format!(
                        "{}: {} {} entries",
                        imported.file, imported.import.kind, imported.import.entries
                    ));
                }
                Ok(done.join("; "))
            }),
        });
    }
    (on, off)
}

/// Runs `job` once if it is due and no other process runs it (see the module docs); answers
/// whether it ran.
pub fn run_once(shared: &Shared, job: &Job) -> Result<bool, ApiError> {
    let mut work = || (job.work)(shared).map_err(|e| e.to_string());
    let ran = shared
        .store
        .run_job(job.name, job.every, shared.clock.now(), &mut work)?;
    Ok(ran)
}

/// How often a job's task asks whether it is due.
fn tick_of(every: Duration) -> Duration {
    (every / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Starts every job the configuration turns on (call inside the server's runtime).
pub fn spawn(state: &AppState) {
    let (on, off) = jobs(state);
    for note in off {
        tracing::info!("{note}");
    }
    for job in on {
        let job = Arc::new(job);
        let state = state.clone();
        tracing::info!(
            job = job.name,
            every_secs = job.every.as_secs(),
            "scheduled job on"
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(tick_of(job.every));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let run = job.clone();
                match state.blocking(move |s| run_once(s, &run)).await {
                    Ok(true) => {
                        let outcome = state
                            .blocking(|s| Ok(s.store.job_runs()?))
                            .await
                            .ok()
                            .and_then(|runs| runs.into_iter().find(|r| r.name == job.name))
                            .and_then(|r| r.outcome);
                        match outcome.as_deref() {
                            Some(o) if o.starts_with("failed") => {
                                tracing::warn!(job = job.name, "{o}")
                            }
                            Some(o) => tracing::info!(job = job.name, "{o}"),
                            None => {}
                        }
                    }
                    Ok(false) => {}
                    // The database away for a moment: the next tick tries again.
                    Err(e) => tracing::warn!(job = job.name, "cannot run: {e}"),
                }
            }
        });
    }
}
