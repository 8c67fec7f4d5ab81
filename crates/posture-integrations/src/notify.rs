//! Notifications: from Posture's event log to the outbox, and from the outbox to receivers.
//!
//! **Into the outbox** ([`collect`]): a reader of the append-only event log. It reads the events
//! after its cursor (`integration_cursors.notify`), turns `opened` events of critical (high)
//! findings into `new-critical` (`new-high`), `reopened` into `regression`, `fixed` into
//! `fixed`, renders one entry per subscribed `[[webhook]]`, and writes the entries *and* the
//! new cursor in one transaction. An event is therefore queued exactly once, and it exists only
//! if the ingest that caused it committed (the event log is written in the ingest's
//! transaction). A first run (no cursor) skips events older than [`FIRST_RUN_LOOKBACK_DAYS`]
//! so that configuring a webhook does not replay years of history. `sla-breach` comes from a
//! scan of open findings past their due date (default SLA: critical 7, high 30, medium 90,
//! low 180 days from first seen), queued once per finding and reopening. `acceptance-expiring`
//! comes from the accepted findings whose acceptance ends within [`ACCEPTANCE_NOTICE_DAYS`],
//! queued once per decision (a renewal is a new one). `gate-failure` is queued by the CI gate
//! through [`enqueue_gate_failure`].
//!
//! **Out of the outbox** ([`deliver`]): every due entry is sent once per run; 2xx marks it
//! delivered, anything else records the attempt and the error and schedules the next attempt
//! with exponential backoff (30 s doubling, at most 6 h; a longer `Retry-After` wins). Nothing
//! is dropped: an entry stays until a receiver accepts it. Each request carries
//! `X-Posture-Delivery` (the entry's stable key) so a receiver can discard a repeat after a
//! lost acknowledgement.
//!
//! The outbox is the only path to a receiver; URLs and secrets are read at delivery time and
//! never stored or printed.

use crate::IntegrationError;
use crate::config::{Webhook, WebhookKind};
use crate::http::HttpClient;
use hmac::{Hmac, Mac};
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::{
    CursorAdvance, DeliveryOutcome, FindingQuery, FindingRecord, IntegrationStore, OutboxEntry,
    Store,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;

/// The event-log cursor of the notifier.
pub const CURSOR: &str = "notify";
/// How far back a first run looks.
pub const FIRST_RUN_LOOKBACK_DAYS: i64 = 7;

/// The default SLA in days of a finding: by its stored risk band, else its severity
/// ([`posture_model::default_sla_days`], the one table).
pub fn default_sla_days(f: &FindingRecord) -> Option<i64> {
    posture_model::default_sla_days(f.risk_band.as_deref(), f.severity).map(i64::from)
}

/// What a notification says of a finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingSummary {
    pub id: i64,
    pub asset: String,
    pub title: String,
    pub severity: Severity,
    pub status: FindingStatus,
    pub category: String,
    pub rule_id: String,
    pub vulnerability_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub location: String,
    pub first_seen: Timestamp,
}

impl FindingSummary {
    pub fn of(f: &FindingRecord) -> Self {
        let mut ids: Vec<String> = Vec::new();
        for o in &f.occurrences {
            for id in &o.data.vulnerability_ids {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        let primary = f
            .occurrences
            .iter()
            .find(|o| o.open)
            .or(f.occurrences.first());
        FindingSummary {
            id: f.id,
            asset: f.asset.clone(),
            title: f.title.clone(),
            severity: f.severity,
            status: f.status,
            category: f.category.to_string(),
            rule_id: f.rule_id.clone(),
            vulnerability_ids: ids,
            package: primary.and_then(|o| {
                o.data.package.as_ref().map(|p| match &p.version {
                    Some(v) => format!("{}@{v}", p.name),
                    None => p.name.clone(),
                })
            }),
            location: primary.map(|o| o.data.location.short()).unwrap_or_default(),
            first_seen: f.first_seen,
        }
    }
}

/// One notification, before it is rendered for a receiver.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub event: String,
    /// Stable key of the event (`regression:event-42`).
    pub id: String,
    pub occurred_at: Timestamp,
    pub headline: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<FindingSummary>,
    /// Further lines (gate violations, the due date).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The body a receiver of this kind expects.
pub fn render(kind: WebhookKind, n: &Notice) -> String {
    let mut facts: Vec<(&str, String)> = Vec::new();
    if let Some(f) = &n.finding {
        facts.push(("Asset", f.asset.clone()));
        facts.push(("Severity", f.severity.to_string()));
        facts.push(("Status", f.status.to_string()));
        if !f.vulnerability_ids.is_empty() {
            facts.push(("Vulnerability", f.vulnerability_ids.join(", ")));
        }
        if let Some(p) = &f.package {
            facts.push(("Package", p.clone()));
        }
        if !f.location.is_empty() {
            facts.push(("Where", f.location.clone()));
        }
        facts.push(("Finding", format!("#{}", f.id)));
    }
    let body = match kind {
        WebhookKind::Generic => json!({
            "id": n.id,
            "event": n.event,
            "occurred_at": n.occurred_at,
            "headline": n.headline,
            "finding": n.finding,
            "details": n.details,
        }),
        WebhookKind::Slack => {
            let mut blocks = vec![json!({
                "type": "header",
                "text": {"type": "plain_text", "text": clip(&n.headline, 150)},
            })];
            if !facts.is_empty() {
                blocks.push(json!({
                    "type": "section",
                    "fields": facts.iter().take(10).map(|(k, v)| json!({
                        "type": "mrkdwn",
                        "text": format!("*{k}*\n{}", slack_escape(v)),
                    })).collect::<Vec<_>>(),
                }));
            }
            if !n.details.is_empty() {
                blocks.push(json!({
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": clip(&slack_escape(&n.details.join("\n")), 3000)},
                }));
            }
            json!({"text": slack_escape(&n.headline), "blocks": blocks})
        }
        WebhookKind::Teams => {
            let mut body = vec![json!({
                "type": "TextBlock", "size": "Medium", "weight": "Bolder",
                "text": n.headline, "wrap": true,
            })];
            if !facts.is_empty() {
                body.push(json!({
                    "type": "FactSet",
                    "facts": facts.iter().map(|(k, v)| json!({"title": k, "value": v})).collect::<Vec<_>>(),
                }));
            }
            for d in &n.details {
                body.push(json!({"type": "TextBlock", "text": d, "wrap": true}));
            }
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": Value::Null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": body,
                    },
                }],
            })
        }
    };
    body.to_string()
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Slack mrkdwn control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn integrations(store: &dyn Store) -> Result<&dyn IntegrationStore, IntegrationError> {
    store.integrations().ok_or_else(|| {
        IntegrationError::Unsupported("this database back end has no outbox yet".into())
    })
}

fn entries_for(webhooks: &[Webhook], n: &Notice, now: Timestamp) -> Vec<OutboxEntry> {
    webhooks
        .iter()
        .filter(|w| w.wants(&n.event))
        .map(|w| OutboxEntry {
            event: n.event.clone(),
            dedup_key: n.id.clone(),
            destination: w.name.clone(),
            payload: render(w.kind, n),
            created_at: now,
        })
        .collect()
}

/// What [`collect`] queued.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Collected {
    pub events_read: usize,
    pub queued: usize,
}

/// Reads the event log since the cursor and queues the notifications the webhooks subscribe
/// to; then queues SLA breaches. See the module documentation.
pub fn collect(
    store: &dyn Store,
    webhooks: &[Webhook],
    now: Timestamp,
) -> Result<Collected, IntegrationError> {
    collect_with(store, webhooks, now, &|_| None)
}

/// [`collect`], with `fix_of` saying what closes a new or returning finding (`upgrade lodash
/// 4.17.4 → 4.17.10 closes 3 findings`), shown as a detail line of its notification.
pub fn collect_with(
    store: &dyn Store,
    webhooks: &[Webhook],
    now: Timestamp,
    fix_of: &dyn Fn(&FindingRecord) -> Option<String>,
) -> Result<Collected, IntegrationError> {
    if webhooks.is_empty() {
        return Ok(Collected::default());
    }
    let out = integrations(store)?;
    gather(store, out, webhooks, now, fix_of, &mut |entries, cursor| {
        Ok(out.enqueue(entries, cursor)?)
    })
}

/// What the next notification run would send, without storing or sending anything: the
/// entries [`collect_with`] would queue now (new events since the cursor, SLA breaches not yet
/// queued), then the entries already due in the outbox. The payloads are the bodies as each
/// receiver would get them; the URLs are not read.
pub fn preview(
    store: &dyn Store,
    webhooks: &[Webhook],
    now: Timestamp,
    fix_of: &dyn Fn(&FindingRecord) -> Option<String>,
) -> Result<Vec<OutboxEntry>, IntegrationError> {
    let mut all = Vec::new();
    if webhooks.is_empty() {
        return Ok(all);
    }
    let out = integrations(store)?;
    let queued: std::collections::HashSet<(String, String)> = out
        .outbox(false, 1_000_000)?
        .into_iter()
        .map(|r| (r.destination, r.dedup_key))
        .collect();
    gather(store, out, webhooks, now, fix_of, &mut |entries, _| {
        let fresh: Vec<OutboxEntry> = entries
            .into_iter()
            .filter(|e| !queued.contains(&(e.destination.clone(), e.dedup_key.clone())))
            .collect();
        let n = fresh.len();
        all.extend(fresh);
        Ok(n)
    })?;
    for r in out.due_outbox(now, 500)? {
        all.push(OutboxEntry {
            event: r.event,
            dedup_key: r.dedup_key,
            destination: r.destination,
            payload: r.payload,
            created_at: r.created_at,
        });
    }
    Ok(all)
}

/// Where [`gather`] puts what it renders: the outbox (with the cursor's advance), or a preview.
type Sink<'a> =
    dyn FnMut(Vec<OutboxEntry>, Option<CursorAdvance>) -> Result<usize, IntegrationError> + 'a;

/// The notifications of the events after the cursor and of SLA breaches, rendered for each
/// subscribed webhook and handed to `sink` page by page.
fn gather(
    store: &dyn Store,
    out: &dyn IntegrationStore,
    webhooks: &[Webhook],
    now: Timestamp,
    fix_of: &dyn Fn(&FindingRecord) -> Option<String>,
    sink: &mut Sink<'_>,
) -> Result<Collected, IntegrationError> {
    let mut done = Collected::default();
    let first_run = out.cursor(CURSOR)?.is_none();
    let mut position = out.cursor(CURSOR)?.unwrap_or(0);
    let cutoff = now
        .checked_sub(jiff::SignedDuration::from_hours(
            24 * FIRST_RUN_LOOKBACK_DAYS,
        ))
        .unwrap_or(now);
    let mut findings: HashMap<i64, Option<FindingRecord>> = HashMap::new();
    loop {
        let events = out.events_after(position, 1000)?;
        let Some(last) = events.last() else {
            break;
        };
        let last_id = last.id;
        done.events_read += events.len();
        let mut entries = Vec::new();
        for e in &events {
            if first_run && e.at < cutoff {
                continue;
            }
            let f = match findings.get(&e.finding_id) {
                Some(f) => f.clone(),
                None => {
                    let f = store.finding(e.finding_id)?;
                    findings.insert(e.finding_id, f.clone());
                    f
                }
            };
            let Some(f) = f else { continue };
            let (event, headline) = match e.kind.as_str() {
                "opened" if f.severity == Severity::Critical => (
                    "new-critical",
                    format!("New critical finding in {}: {}", f.asset, f.title),
                ),
                "opened" if f.severity == Severity::High => (
                    "new-high",
                    format!("New high finding in {}: {}", f.asset, f.title),
                ),
                "reopened" => (
                    "regression",
                    format!("Regression in {}: {} is back", f.asset, f.title),
                ),
                "fixed" => ("fixed", format!("Fixed in {}: {}", f.asset, f.title)),
                _ => continue,
            };
            // what closes it, for what is to do (not for a fix)
            let details = if event == "fixed" {
                Vec::new()
            } else {
                fix_of(&f)
                    .map(|fix| format!("Fix: {fix}"))
                    .into_iter()
                    .collect()
            };
            let notice = Notice {
                event: event.to_string(),
                id: format!("{event}:event-{}", e.id),
                occurred_at: e.at,
                headline,
                finding: Some(FindingSummary::of(&f)),
                details,
            };
            entries.extend(entries_for(webhooks, &notice, now));
        }
        done.queued += sink(
            entries,
            Some(CursorAdvance {
                name: CURSOR.into(),
                position: last_id,
            }),
        )?;
        position = last_id;
    }
    if webhooks.iter().any(|w| w.wants("sla-breach")) {
        done.queued += sink(sla_breaches(store, webhooks, now)?, None)?;
    }
    if webhooks.iter().any(|w| w.wants(ACCEPTANCE_EXPIRING)) {
        done.queued += sink(acceptances_expiring(store, webhooks, now)?, None)?;
    }
    Ok(done)
}

/// The event of an acceptance about to end: queued once per decision, this many days (or
/// fewer) before its expiry, so that its owners renew it with a reason or plan the fix before
/// the finding opens again with its SLA running.
pub const ACCEPTANCE_EXPIRING: &str = "acceptance-expiring";
/// How long before an acceptance's expiry its notice goes.
pub const ACCEPTANCE_NOTICE_DAYS: i64 = 7;

fn acceptances_expiring(
    store: &dyn Store,
    webhooks: &[Webhook],
    now: Timestamp,
) -> Result<Vec<OutboxEntry>, IntegrationError> {
    let accepted = store.findings(&FindingQuery {
        status: Some(vec![FindingStatus::Accepted]),
        ..Default::default()
    })?;
    let horizon = now
        .checked_add(jiff::SignedDuration::from_hours(
            24 * ACCEPTANCE_NOTICE_DAYS,
        ))
        .unwrap_or(now);
    let mut entries = Vec::new();
    for f in &accepted {
        let Some(d) = store.decision(f.id)? else {
            continue;
        };
        let Some(expires) = d.expires_at else {
            continue;
        };
        if d.state != FindingStatus::Accepted || expires <= now || expires > horizon {
            continue;
        }
        let days_left = (expires.as_second() - now.as_second()).div_euclid(86_400);
        let mut details = vec![format!(
            "The acceptance ends on {} and the finding opens again, its SLA running: renew it with a reason, or fix it.",
            expires.strftime("%Y-%m-%d")
        )];
        if let Some(reason) = d.reason.as_deref().filter(|r| !r.is_empty()) {
            details.push(format!("Reason: {reason}"));
        }
        let mut who = Vec::new();
        if let Some(a) = &d.actor {
            who.push(format!("accepted by {a}"));
        }
        if let Some(a) = &d.approver {
            who.push(format!(
                "approved by {a}{}",
                d.role
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
        }
        if !who.is_empty() {
            details.push(who.join(", "));
        }
        let notice = Notice {
            event: ACCEPTANCE_EXPIRING.into(),
            // one notice per decision: a renewed acceptance (a new expiry) gets its own
            id: format!(
                "{ACCEPTANCE_EXPIRING}:finding-{}:{}",
                f.id,
                expires.as_millisecond()
            ),
            occurred_at: now,
            headline: format!(
                "Risk acceptance ends {} in {}: {}",
                match days_left {
                    0 => "within a day".to_string(),
                    1 => "in 1 day".to_string(),
                    n => format!("in {n} days"),
                },
                f.asset,
                f.title
            ),
            finding: Some(FindingSummary::of(f)),
            details,
        };
        entries.extend(entries_for(webhooks, &notice, now));
    }
    Ok(entries)
}

fn sla_breaches(
    store: &dyn Store,
    webhooks: &[Webhook],
    now: Timestamp,
) -> Result<Vec<OutboxEntry>, IntegrationError> {
    let open = store.findings(&FindingQuery {
        status: Some(vec![
            FindingStatus::Open,
            FindingStatus::Confirmed,
            FindingStatus::InProgress,
        ]),
        ..Default::default()
    })?;
    let mut entries = Vec::new();
    for f in &open {
        let Some(days) = default_sla_days(f) else {
            continue;
        };
        let Ok(due) = f
            .first_seen
            .checked_add(jiff::SignedDuration::from_hours(24 * days))
        else {
            continue;
        };
        if now <= due {
            continue;
        }
        let notice = Notice {
            event: "sla-breach".into(),
            id: format!("sla-breach:finding-{}:{}", f.id, f.reopened),
            occurred_at: due,
            headline: format!(
                "SLA breached in {}: {} (due {})",
                f.asset,
                f.title,
                due.strftime("%Y-%m-%d")
            ),
            finding: Some(FindingSummary::of(f)),
            details: vec![format!(
                "{} findings must be fixed within {days} days of first being seen.",
                f.severity
            )],
        };
        entries.extend(entries_for(webhooks, &notice, now));
    }
    Ok(entries)
}

/// A failed CI gate, as the gate reports it.
#[derive(Debug, Clone)]
pub struct GateFailure {
    pub asset: String,
    /// A stable id of the gate run (the commit, or the scan ids).
    pub run: String,
    pub violations: Vec<String>,
    pub at: Timestamp,
}

/// Queues a `gate-failure` notification (for the CI gate to call, in the command that failed).
pub fn enqueue_gate_failure(
    store: &dyn Store,
    webhooks: &[Webhook],
    g: &GateFailure,
) -> Result<usize, IntegrationError> {
    let notice = Notice {
        event: "gate-failure".into(),
        id: format!("gate-failure:{}:{}", g.asset, g.run),
        occurred_at: g.at,
        headline: format!(
            "Gate failed for {}: {} violation(s)",
            g.asset,
            g.violations.len()
        ),
        finding: None,
        details: g.violations.clone(),
    };
    let entries = entries_for(webhooks, &notice, g.at);
    Ok(integrations(store)?.enqueue(entries, None)?)
}

/// The next attempt after `attempts` failed ones: 30 s doubling, at most 6 h.
pub fn backoff(attempts: u32) -> jiff::SignedDuration {
    let secs = 30_i64.saturating_mul(1_i64 << attempts.saturating_sub(1).min(20));
    jiff::SignedDuration::from_secs(secs.min(6 * 3600))
}

/// `sha256=<hex>` of HMAC-SHA256 over `"{timestamp}.{body}"`: what `X-Posture-Signature`
/// carries. Receivers recompute it and compare in constant time, and refuse old timestamps.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one delivery run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivered {
    pub delivered: usize,
    pub failed: usize,
    /// Per attempt: (entry id, destination, event, outcome text).
    pub attempts: Vec<(i64, String, String, String)>,
}

/// Sends every due outbox entry once. `env` reads an environment variable (the webhook URL
/// and signing secret are read at delivery time, never stored).
pub fn deliver(
    store: &dyn Store,
    webhooks: &[Webhook],
    http: &HttpClient,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
) -> Result<Delivered, IntegrationError> {
    let out = integrations(store)?;
    let mut report = Delivered::default();
    for entry in out.due_outbox(now, 500)? {
        let result = attempt(
            webhooks,
            http,
            env,
            now,
            &entry.destination,
            &entry.dedup_key,
            &entry.event,
            &entry.payload,
        );
        let attempts = entry.attempts + 1;
        let (outcome, text) = match result {
            Ok(()) => (DeliveryOutcome::Delivered, "delivered".to_string()),
            Err((error, retry_after)) => {
                let mut wait = backoff(attempts);
                if let Some(r) = retry_after {
                    wait = wait.max(jiff::SignedDuration::from_secs(r.min(24 * 3600) as i64));
                }
                let retry_at = now.checked_add(wait).unwrap_or(now);
                (
                    DeliveryOutcome::Failed {
                        error: error.clone(),
                        retry_at,
                    },
                    format!("failed (attempt {attempts}, next {retry_at}): {error}"),
                )
            }
        };
        match outcome {
            DeliveryOutcome::Delivered => report.delivered += 1,
            DeliveryOutcome::Failed { .. } => report.failed += 1,
        }
        out.record_attempt(entry.id, now, outcome)?;
        report.attempts.push((
            entry.id,
            entry.destination.clone(),
            entry.event.clone(),
            text,
        ));
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn attempt(
    webhooks: &[Webhook],
    http: &HttpClient,
    env: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
    destination: &str,
    key: &str,
    event: &str,
    payload: &str,
) -> Result<(), (String, Option<u64>)> {
    let Some(w) = webhooks.iter().find(|w| w.name == destination) else {
        return Err((
            format!("no [[webhook]] named `{destination}` in the configuration"),
            None,
        ));
    };
    let url = match (&w.url, &w.url_env) {
        (Some(u), _) => u.clone(),
        (None, Some(var)) => env(var).filter(|u| !u.trim().is_empty()).ok_or_else(|| {
            (
                format!("the environment variable {var} (webhook URL) is not set"),
                None,
            )
        })?,
        (None, None) => return Err(("the webhook has no URL".into(), None)),
    };
    let ts = now.as_second();
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("X-Posture-Event", event.to_string()),
        ("X-Posture-Delivery", key.to_string()),
        ("X-Posture-Timestamp", ts.to_string()),
    ];
    if let Some(var) = &w.secret_env {
        let secret = env(var).filter(|s| !s.is_empty()).ok_or_else(|| {
            (
                format!("the environment variable {var} (signing secret) is not set"),
                None,
            )
        })?;
        headers.push((
            "X-Posture-Signature",
            signature(secret.as_bytes(), ts, payload.as_bytes()),
        ));
    }
    // The URL may hold a secret (Slack, Teams): errors name the webhook, not the URL.
    let target = format!("webhook `{}`", w.name);
    match http.send(
        "POST",
        &url,
        &target,
        &headers,
        Some(payload.as_bytes().to_vec()),
    ) {
        Ok(r) if r.is_success() => Ok(()),
        Ok(r) => Err((
            format!(
                "HTTP {} from {target}: {}",
                r.status,
                clip(r.body.trim(), 200)
            ),
            r.retry_after,
        )),
        Err(e) => Err((e.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2 key and data, framed the way Posture frames them.
        let s = signature(b"Jefe", 1, b"what do ya want for nothing?");
        assert!(s.starts_with("sha256="));
        assert_eq!(s.len(), 7 + 64);
        assert_ne!(s, signature(b"Jefe", 2, b"what do ya want for nothing?"));
        assert_ne!(s, signature(b"jefe", 1, b"what do ya want for nothing?"));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1).as_secs(), 30);
        assert_eq!(backoff(2).as_secs(), 60);
        assert_eq!(backoff(5).as_secs(), 480);
        assert_eq!(backoff(40).as_secs(), 6 * 3600);
    }
}
