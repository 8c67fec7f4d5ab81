//! `[[webhook]]` and `[jira]` of `posture.toml`, read from the JSON form `posture-config` keeps
//! them in. Unknown keys are refused (a typo must not silently disable a notification), and
//! errors name the file and the table.
//!
//! ```toml
//! [[webhook]]
//! name = "security-channel"          # what the outbox records (never the URL)
//! kind = "slack"                     # generic | slack | teams
//! url_env = "SLACK_WEBHOOK_URL"      # or url = "https://..." (chat URLs are secrets: prefer url_env)
//! events = ["new-critical", "regression", "sla-breach", "gate-failure"]
//! secret_env = "POSTURE_WEBHOOK_SECRET"   # generic only: HMAC-SHA256 signing key
//!
//! [jira]
//! base_url = "https://acme.atlassian.net"
//! api_version = 3                    # 3 = Cloud (ADF descriptions), 2 = Server/Data Center
//! project = "SEC"
//! user = "bot@acme.example"          # Cloud: basic auth user; absent = bearer token (Server/DC PAT)
//! issue_type = "Bug"
//! grouping = "package"               # finding | package | rule | asset | fix
//! min_band = "P2"                    # ticket findings in bands P1..P2 ...
//! min_severity = "high"              # ... or of at least this severity
//! labels = ["posture"]
//! components = ["Security"]
//! custom_fields = { customfield_10010 = "AppSec" }
//! priorities = { P1 = "Highest", P2 = "High", P3 = "Medium", P4 = "Low" }
//! accept_from_jira = false           # a person's Won't Fix / Not a Bug may change the finding
//! accept_days = 90                   # how long an acceptance from Jira lasts
//! summary = "{{ group.title }}"      # minijinja templates (optional)
//! description = "..."
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;

/// What went wrong reading the integrations' configuration.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {table}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub table: String,
    pub message: String,
}

/// Kinds of receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    /// JSON body signed with HMAC-SHA256 (`X-Posture-Signature`).
    Generic,
    /// A Slack incoming webhook (Block Kit message).
    Slack,
    /// A Microsoft Teams incoming webhook / workflow (Adaptive Card message).
    Teams,
}

/// Events a webhook can subscribe to.
pub const EVENTS: &[&str] = &[
    "new-critical",
    "new-high",
    "regression",
    "fixed",
    "sla-breach",
    "gate-failure",
    "acceptance-expiring",
];

/// One `[[webhook]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub name: String,
    pub kind: WebhookKind,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub url_env: Option<String>,
    pub events: Vec<String>,
    #[serde(default)]
    pub secret_env: Option<String>,
}

impl Webhook {
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// How findings are grouped into Jira issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// One issue per finding.
    #[default]
    Finding,
    /// One issue per vulnerable package version of an asset (one upgrade fixes them all).
    Package,
    /// One issue per rule of an asset.
    Rule,
    /// One issue per asset.
    Asset,
    /// One issue per remediation action across assets: one package at one installed version
    /// (`upgrade lodash 4.17.4 → 4.17.10`, the summary following the plan as findings change),
    /// one rule in one file; done when all its findings are.
    Fix,
}

/// `[jira]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraConfig {
    pub base_url: String,
    #[serde(default = "default_api_version")]
    pub api_version: u8,
    pub project: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default = "default_issue_type")]
    pub issue_type: String,
    #[serde(default)]
    pub grouping: Grouping,
    #[serde(default)]
    pub min_band: Option<String>,
    #[serde(default)]
    pub min_severity: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub components: Vec<String>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub priorities: BTreeMap<String, String>,
    #[serde(default)]
    pub accept_from_jira: bool,
    /// How long a risk acceptance taken from a Won't Fix lasts (days) before the finding opens
    /// again (the workflow requires an expiry).
    #[serde(default = "default_accept_days")]
    pub accept_days: u32,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Longest wait honoured for a `Retry-After` (seconds).
    #[serde(default = "default_max_retry_after")]
    pub max_retry_after: u64,
}

fn default_api_version() -> u8 {
    3
}
fn default_issue_type() -> String {
    "Bug".into()
}
fn default_accept_days() -> u32 {
    90
}
fn default_max_retry_after() -> u64 {
    60
}

impl JiraConfig {
    /// The Jira priority name for a risk band (`P1` -> `Highest` by default).
    pub fn priority_for(&self, band: &str) -> String {
        if let Some(p) = self.priorities.get(band) {
            return p.clone();
        }
        match band {
            "P1" => "Highest",
            "P2" => "High",
            "P3" => "Medium",
            _ => "Low",
        }
        .to_string()
    }
}

fn invalid(file: &str, table: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        file: file.into(),
        table: table.into(),
        message: message.into(),
    }
}

/// Reads and checks the `[[webhook]]` tables.
pub fn webhooks_from(
    file: &str,
    tables: &[serde_json::Map<String, serde_json::Value>],
) -> Result<Vec<Webhook>, ConfigError> {
    let mut out: Vec<Webhook> = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let table = format!("[[webhook]] #{}", i + 1);
        let w: Webhook = serde_json::from_value(serde_json::Value::Object(t.clone()))
            .map_err(|e| invalid(file, &table, e.to_string()))?;
        let table = format!("[[webhook]] `{}`", w.name);
        if w.name.trim().is_empty() {
            return Err(invalid(file, &table, "`name` is empty"));
        }
        if out.iter().any(|o| o.name == w.name) {
            return Err(invalid(file, &table, "two webhooks have this name"));
        }
        if w.url.is_some() == w.url_env.is_some() {
            return Err(invalid(
                file,
                &table,
                "give exactly one of `url` and `url_env`",
            ));
        }
        if let Some(url) = &w.url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(invalid(file, &table, "`url` must be an http(s) URL"));
        }
        for e in &w.events {
            if !EVENTS.contains(&e.as_str()) {
                return Err(invalid(
                    file,
                    &table,
                    format!("unknown event `{e}` (known: {})", EVENTS.join(", ")),
                ));
            }
        }
        if w.secret_env.is_some() && w.kind != WebhookKind::Generic {
            return Err(invalid(
                file,
                &table,
                "`secret_env` signs generic webhooks only (Slack and Teams URLs carry their own secret)",
            ));
        }
        out.push(w);
    }
    Ok(out)
}

/// Reads and checks `[jira]`.
pub fn jira_from(
    file: &str,
    table: &serde_json::Map<String, serde_json::Value>,
) -> Result<JiraConfig, ConfigError> {
    let c: JiraConfig = serde_json::from_value(serde_json::Value::Object(table.clone()))
        .map_err(|e| invalid(file, "[jira]", e.to_string()))?;
    if !(c.base_url.starts_with("https://") || c.base_url.starts_with("http://")) {
        return Err(invalid(file, "[jira]", "`base_url` must be an http(s) URL"));
    }
    if !matches!(c.api_version, 2 | 3) {
        return Err(invalid(
            file,
            "[jira]",
            "`api_version` is 3 (Cloud) or 2 (Server/Data Center)",
        ));
    }
    if let Some(b) = &c.min_band
        && !["P1", "P2", "P3", "P4"].contains(&b.as_str())
    {
        return Err(invalid(
            file,
            "[jira]",
            "`min_band` is one of P1, P2, P3, P4",
        ));
    }
    if let Some(s) = &c.min_severity
        && s.parse::<posture_model::Severity>().is_err()
    {
        return Err(invalid(
            file,
            "[jira]",
            "`min_severity` is one of critical, high, medium, low, info",
        ));
    }
    Ok(c)
}
