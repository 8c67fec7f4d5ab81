//! Use cases of the integrations, shared by the CLI and the server: queue notifications from
//! the event log, drain the outbox, run the Jira sync over assessed findings.

use crate::AppError;
use crate::risk::{RiskConfig, assess_findings};
use crate::workflow::{DecisionRequest, DecisionRules, DefaultSla};
use posture_integrations::jira::{JiraClient, JiraDecision, SyncReport, TicketFinding};
use posture_integrations::notify::{Collected, Delivered};
use posture_integrations::{HttpClient, IntegrationError, JiraConfig, Webhook};
use posture_model::Timestamp;
use posture_store::{EventQuery, EventRecord, FindingQuery, FindingRecord, Store};
use std::collections::HashMap;
use std::time::Duration;

impl From<IntegrationError> for AppError {
    fn from(e: IntegrationError) -> Self {
        match e {
            IntegrationError::Store(s) => AppError::Store(s),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

/// The `[[webhook]]` entries of the configuration (none without one).
pub fn webhooks(config: Option<&RiskConfig>) -> Result<Vec<Webhook>, AppError> {
    match config {
        Some(c) => Ok(posture_integrations::webhooks_from(
            &c.path.display().to_string(),
            c.portfolio.webhooks(),
        )
        .map_err(|e| AppError::Invalid(e.to_string()))?),
        None => Ok(Vec::new()),
    }
}

/// `[jira]` of the configuration.
pub fn jira_config(config: Option<&RiskConfig>) -> Result<JiraConfig, AppError> {
    let c = config.ok_or_else(|| {
        AppError::Invalid("the Jira sync needs [jira] in posture.toml (--config)".into())
    })?;
    let name = c.path.display().to_string();
    let table = c
        .portfolio
        .jira()
        .ok_or_else(|| AppError::Invalid(format!("{name}: no [jira] table")))?;
    posture_integrations::jira_from(&name, table).map_err(|e| AppError::Invalid(e.to_string()))
}

/// Queues the notifications of new events (and SLA breaches) for the configured webhooks.
pub fn queue_notifications(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    now: Timestamp,
) -> Result<Collected, AppError> {
    let hooks = webhooks(config)?;
    let fixes = FixLines::new(store, config);
    Ok(posture_integrations::notify::collect_with(
        store,
        &hooks,
        now,
        &|f| fixes.line(f),
    )?)
}

/// What the next notification run would send (the entries it would queue, then those already
/// due), stored and sent nowhere: `posture notify --dry-run`.
pub fn preview_notifications(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    now: Timestamp,
) -> Result<Vec<posture_store::OutboxEntry>, AppError> {
    let hooks = webhooks(config)?;
    let fixes = FixLines::new(store, config);
    Ok(posture_integrations::notify::preview(
        store,
        &hooks,
        now,
        &|f| fixes.line(f),
    )?)
}

/// What closes a finding, for its notification: the package upgrade or code action of its
/// asset's remediation plan that lists it (`upgrade lodash 4.17.4 → 4.17.10 closes 3
/// findings`). Each asset is planned once per collection, and only when a notification asks.
struct FixLines<'a> {
    store: &'a dyn Store,
    config: Option<&'a RiskConfig>,
    plans: std::cell::RefCell<std::collections::HashMap<String, Option<crate::fixes::FixPlan>>>,
}

impl<'a> FixLines<'a> {
    fn new(store: &'a dyn Store, config: Option<&'a RiskConfig>) -> Self {
        FixLines {
            store,
            config,
            plans: Default::default(),
        }
    }

    fn line(&self, f: &FindingRecord) -> Option<String> {
        let mut plans = self.plans.borrow_mut();
        let plan = plans.entry(f.asset.clone()).or_insert_with(|| {
            let request = crate::fixes::FixesRequest {
                asset: Some(f.asset.clone()),
                team: None,
            };
            // a plan that cannot be made says nothing (the notification still goes)
            crate::fixes::fixes(self.store, self.config, &request, &|_| true).ok()
        });
        let action = plan
            .as_ref()?
            .actions
            .iter()
            .find(|a| a.findings.contains(&f.id))?;
        Some(format!(
            "{} closes {} finding{}",
            action.summary,
            action.closes,
            if action.closes == 1 { "" } else { "s" }
        ))
    }
}

/// Queues what is new, then sends every due outbox entry once.
pub fn notify(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
) -> Result<(Collected, Delivered), AppError> {
    let hooks = webhooks(config)?;
    let fixes = FixLines::new(store, config);
    let collected =
        posture_integrations::notify::collect_with(store, &hooks, now, &|f| fixes.line(f))?;
    let http = HttpClient::new(Duration::from_secs(15));
    let delivered = posture_integrations::notify::deliver(store, &hooks, &http, env, now)?;
    Ok((collected, delivered))
}

/// One Jira reconciliation over every finding (assessed for band and owner).
pub fn jira_sync(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    token: &str,
    now: Timestamp,
    dry_run: bool,
) -> Result<SyncReport, AppError> {
    let jira = jira_config(config)?;
    let findings = store.findings(&FindingQuery::default())?;
    // The SLA clock of each finding (pauses and reopenings from its event log).
    let ids: Vec<i64> = findings.iter().map(|f| f.id).collect();
    let mut events: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    if !ids.is_empty() {
        for e in store.event_log(&EventQuery {
            finding_ids: Some(ids),
            ..Default::default()
        })? {
            events.entry(e.finding_id).or_default().push(e);
        }
    }
    let assessed = assess_findings(store, config, findings)?;
    // Grouped per fix: each open finding's remediation action, from one plan over them all.
    let fixes: HashMap<i64, String> =
        if jira.grouping == posture_integrations::config::Grouping::Fix {
            let inputs: Vec<_> = assessed
                .iter()
                .filter(|a| {
                    matches!(
                        a.finding.status,
                        posture_model::FindingStatus::Open
                            | posture_model::FindingStatus::Confirmed
                            | posture_model::FindingStatus::InProgress
                    )
                })
                .map(|a| {
                    let mut input = crate::fixes::fix_input(&a.finding);
                    input.risk = a.risk.score;
                    input
                })
                .collect();
            posture_engine::fixes::plan(&inputs)
                .actions
                .into_iter()
                .flat_map(|action| {
                    let summary = action.summary.clone();
                    action
                        .findings
                        .into_iter()
                        .map(move |id| (id, summary.clone()))
                })
                .collect()
        } else {
            HashMap::new()
        };
    let tickets: Vec<TicketFinding> = assessed
        .into_iter()
        .map(|a| {
            let history = events.get(&a.finding.id).map(Vec::as_slice).unwrap_or(&[]);
            let due = crate::sla::sla_at(&a.finding, history, &DefaultSla, now).due;
            TicketFinding {
                band: a.risk.band.to_string(),
                score: a.risk.score,
                team: a.owner.as_ref().and_then(|o| o.team.clone()),
                // Policy `escalate` lands with the policy engine; until then the selector decides.
                escalate: false,
                due,
                fix: fixes.get(&a.finding.id).cloned(),
                finding: a.finding,
            }
        })
        .collect();
    // A person's Won't Fix / Not a Bug goes through the workflow like any triage decision.
    let accept_for = jiff::SignedDuration::from_hours(24 * i64::from(jira.accept_days));
    let decide = |d: &JiraDecision| -> Result<(), String> {
        let until = (d.state == posture_model::FindingStatus::Accepted)
            .then(|| d.at.checked_add(accept_for).ok())
            .flatten();
        crate::workflow::decide(
            store,
            DecisionRequest {
                finding_id: d.finding_id,
                state: d.state,
                reason: d.reason.clone(),
                actor: d.actor.clone(),
                until,
                approver: None,
                role: None,
                at: d.at,
                unauthenticated: false,
            },
            &DecisionRules::default(),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let client = JiraClient::new(
        HttpClient::new(Duration::from_secs(30)),
        &jira.base_url,
        jira.api_version,
        jira.user.as_deref(),
        token,
        jira.max_retry_after,
    );
    Ok(posture_integrations::jira::sync(
        store, &client, &jira, tickets, &decide, now, dry_run,
    )?)
}
