//! `posture jira sync`: a reconciling sync between findings and Jira issues.
//!
//! Each run computes the **desired** state of every group of findings (grouping from
//! `[jira] grouping`: per finding, per vulnerable package version, per rule, per asset, or per
//! remediation action across assets):
//! summary and description (minijinja templates), priority from the best risk band, labels
//! (configured ones, `posture`, `service-<asset>`, `team-<team>`), components, custom fields,
//! due date from the SLA, and whether it should be open (some finding is open, confirmed or in
//! progress) or done. It reads the **actual** state of the linked issues (one JQL search per
//! 50 keys) and converges:
//!
//! | desired | actual | action |
//! |---|---|---|
//! | open, selected (band/severity/escalation), no link | – | create the issue, store the link |
//! | open | not done, fields differ from the last pushed (stored hash) | update the fields |
//! | done (all fixed or triaged away) | not done | transition to a status whose *category* is `done` |
//! | open | done, closed by the sync (a regression) | transition to a `new`/`indeterminate` status; without one, create a new issue linked to the old |
//! | open | done by a person as Won't Fix / Won't Do / Not a Bug / Cannot Reproduce | `accept_from_jira`: findings accepted (Won't Fix/Do) or false positive; else a conflict is logged and flagged |
//! | open | done by a person otherwise | conflict logged and flagged (the scanners still report it) |
//! | open | linked issue gone | create a new issue |
//!
//! Transitions are chosen by the target status category from GET transitions, never by name,
//! so custom workflows work. The stored hash of the last pushed fields makes a second run change
//! nothing. Fields a person edits in Jira are left alone until Posture's own view changes.

use super::adf::to_adf;
use super::client::{IssueState, JiraClient};
use crate::IntegrationError;
use crate::config::{Grouping, JiraConfig};
use crate::notify::default_sla_days;
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::{FindingRecord, JiraLink, NewConflict, Store};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// A finding as the sync sees it: the record with its assessed risk and owner.
#[derive(Debug, Clone)]
pub struct TicketFinding {
    pub finding: FindingRecord,
    /// `P1`..`P4`.
    pub band: String,
    pub score: f64,
    pub team: Option<String>,
    /// A policy asked for a ticket (`escalate`), whatever the selector says.
    pub escalate: bool,
    /// When it is due under the SLA (the workflow's SLA clock); `None` = the default budget
    /// (critical 7, high 30, medium 90, low 180 days) from first seen.
    pub due: Option<Timestamp>,
    /// The remediation action that closes it (`upgrade lodash 4.17.4 → 4.17.10`), from the
    /// application's plan, for `grouping = "fix"`.
    pub fix: Option<String>,
}

/// A triage decision the sync asks the application to make (a person's close in Jira).
#[derive(Debug, Clone)]
pub struct JiraDecision {
    pub finding_id: i64,
    pub state: FindingStatus,
    pub reason: String,
    pub actor: String,
    pub at: Timestamp,
}

/// Resolutions with which a person says "we will not fix this".
const WONT_FIX: &[&str] = &["won't fix", "wont fix", "won't do", "wont do"];
/// Resolutions with which a person says "this is not a real issue".
const NOT_A_BUG: &[&str] = &[
    "not a bug",
    "cannot reproduce",
    "can't reproduce",
    "works as designed",
    "false positive",
];

/// What the sync did (or would do, in a dry run) for one group.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub group: String,
    pub issue: Option<String>,
    pub kind: ActionKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Created,
    Updated,
    Closed,
    Reopened,
    Recreated,
    AcceptedFromJira,
    Conflict,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Created => "created",
            ActionKind::Updated => "updated",
            ActionKind::Closed => "closed",
            ActionKind::Reopened => "reopened",
            ActionKind::Recreated => "recreated",
            ActionKind::AcceptedFromJira => "accepted-from-jira",
            ActionKind::Conflict => "conflict",
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub dry_run: bool,
    pub groups: usize,
    pub linked: usize,
    pub actions: Vec<Action>,
    pub calls: super::CallCounts,
}

/// One group of findings and what Jira should say of it.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub asset: String,
    pub members: Vec<TicketFinding>,
}

fn is_active(s: FindingStatus) -> bool {
    matches!(
        s,
        FindingStatus::Open | FindingStatus::Confirmed | FindingStatus::InProgress
    )
}

fn group_key(grouping: Grouping, t: &TicketFinding) -> String {
    let f = &t.finding;
    let package = f.occurrences.iter().find_map(|o| o.data.package.as_ref());
    match (grouping, package) {
        (Grouping::Package, Some(p)) => format!(
            "package:{}:{}/{}@{}",
            f.asset,
            p.ecosystem.as_deref().unwrap_or("generic"),
            p.name,
            p.version.as_deref().unwrap_or("")
        ),
        (Grouping::Rule, _) => format!("rule:{}:{}", f.asset, f.rule_id),
        (Grouping::Asset, _) => format!("asset:{}", f.asset),
        // One package at one installed version across assets (as the remediation plan
        // groups it: PyPI names case-insensitive), one rule in one file of an asset.
        (Grouping::Fix, Some(p)) if f.category.is_dependency() => {
            let eco = p
                .ecosystem
                .as_deref()
                .unwrap_or("generic")
                .to_ascii_lowercase();
            let name = if eco == "pypi" {
                p.name.to_ascii_lowercase().replace(['_', '.'], "-")
            } else {
                p.name.clone()
            };
            format!("fix:{eco}/{name}@{}", p.version.as_deref().unwrap_or(""))
        }
        (Grouping::Fix, _) if f.category == posture_model::Category::Sast => {
            let path = f
                .occurrences
                .iter()
                .find_map(|o| o.data.location.path.clone())
                .unwrap_or_default();
            format!("fix:code:{}:{}:{path}", f.asset, f.rule_id)
        }
        _ => format!("finding:{}", f.id),
    }
}

/// The groups of these findings, by key.
pub fn plan_groups(config: &JiraConfig, findings: Vec<TicketFinding>) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for t in findings {
        let key = group_key(config.grouping, &t);
        groups
            .entry(key.clone())
            .or_insert_with(|| Group {
                key,
                asset: t.finding.asset.clone(),
                members: Vec::new(),
            })
            .members
            .push(t);
    }
    groups.into_values().collect()
}

/// Whether a finding asks for a ticket by itself.
fn selected(config: &JiraConfig, t: &TicketFinding) -> bool {
    if !is_active(t.finding.status) {
        return false;
    }
    if t.escalate {
        return true;
    }
    let by_band = config
        .min_band
        .as_ref()
        .map(|b| t.band.as_str() <= b.as_str());
    let by_severity = config
        .min_severity
        .as_ref()
        .and_then(|s| s.parse::<Severity>().ok())
        .map(|s| t.finding.severity >= s);
    match (by_band, by_severity) {
        (None, None) => true,
        (a, b) => a.unwrap_or(false) || b.unwrap_or(false),
    }
}

const DEFAULT_SUMMARY: &str = "{% if group.kind == 'fix' %}{% if group.fix %}{{ group.fix }}{% else %}Fix {{ group.package or group.title }}{% endif %} ({{ group.count }} finding{{ '' if group.count == 1 else 's' }} in {{ group.assets | join(', ') }}){% elif group.kind == 'package' %}[{{ group.asset }}] Upgrade {{ group.package }} ({{ group.count }} vulnerabilit{{ 'y' if group.count == 1 else 'ies' }}){% elif group.kind == 'rule' %}[{{ group.asset }}] {{ group.title }} ({{ group.count }} place{{ '' if group.count == 1 else 's' }}){% elif group.kind == 'asset' %}[{{ group.asset }}] {{ group.count }} security finding{{ '' if group.count == 1 else 's' }}{% else %}[{{ group.asset }}] {{ group.title }}{% endif %}";

const DEFAULT_DESCRIPTION: &str = "Posture tracks {{ group.count }} finding{{ '' if group.count == 1 else 's' }} in {{ group.asset }}{% if group.team %} (team {{ group.team }}){% endif %}. Risk band {{ group.band }}, score {{ group.score }}{% if group.due %}, due {{ group.due }}{% endif %}.

## Findings
{% for f in group.findings %}- #{{ f.id }} [{{ f.severity }}] {{ f.title }}{% if f.vulnerability_ids %} ({{ f.vulnerability_ids | join(', ') }}){% endif %}{% if f.location %} at {{ f.location }}{% endif %}{% if f.fixed_versions %}: fixed in {{ f.fixed_versions | join(', ') }}{% endif %}
{% endfor %}
This issue is kept in sync by Posture: it is closed when no scanner reports these findings any more, and reopened if they come back. See `posture show ID` for the evidence.";

fn render(
    env: &minijinja::Environment<'_>,
    name: &str,
    ctx: &Value,
) -> Result<String, IntegrationError> {
    env.get_template(name)
        .and_then(|t| t.render(minijinja::context! { group => minijinja::Value::from(minijinja::value::Serde(ctx)) }))
        .map_err(|e| IntegrationError::Template(format!("[jira] {name} template: {e}")))
}

fn label(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .collect()
}

/// The fields Posture wants on the issue of a group (without status), and their hash.
fn desired_fields(
    config: &JiraConfig,
    env: &minijinja::Environment<'_>,
    g: &Group,
) -> Result<(Value, String), IntegrationError> {
    let active: Vec<&TicketFinding> = g
        .members
        .iter()
        .filter(|t| is_active(t.finding.status))
        .collect();
    let shown: Vec<&TicketFinding> = if active.is_empty() {
        g.members.iter().collect()
    } else {
        active
    };
    let band = shown
        .iter()
        .map(|t| t.band.clone())
        .min()
        .unwrap_or_else(|| "P4".into());
    let score = shown.iter().map(|t| t.score).fold(0.0_f64, f64::max);
    let team = shown.iter().find_map(|t| t.team.clone());
    let due = shown
        .iter()
        .filter_map(|t| {
            if t.due.is_some() {
                return t.due;
            }
            let days = default_sla_days(&t.finding)?;
            t.finding
                .first_seen
                .checked_add(jiff::SignedDuration::from_hours(24 * days))
                .ok()
        })
        .min()
        .map(|d| d.strftime("%Y-%m-%d").to_string());
    let mut ordered: Vec<&&TicketFinding> = shown.iter().collect();
    ordered.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then(a.finding.id.cmp(&b.finding.id))
    });
    let findings: Vec<Value> = ordered
        .iter()
        .map(|t| {
            let f = &t.finding;
            let o = f.occurrences.iter().find(|o| o.open).or(f.occurrences.first());
            let mut ids: Vec<String> = Vec::new();
            for oc in &f.occurrences {
                for id in &oc.data.vulnerability_ids {
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
            }
            json!({
                "id": f.id,
                "title": f.title,
                "severity": f.severity.as_str(),
                "status": f.status.as_str(),
                "rule_id": f.rule_id,
                "vulnerability_ids": ids,
                "location": o.map(|o| o.data.location.short()).unwrap_or_default(),
                "fixed_versions": o.and_then(|o| o.data.package.as_ref()).map(|p| p.fixed_versions.clone()).unwrap_or_default(),
                "band": t.band,
            })
        })
        .collect();
    let first = ordered.first().map(|t| &t.finding);
    let package = first
        .and_then(|f| f.occurrences.iter().find_map(|o| o.data.package.as_ref()))
        .map(|p| match &p.version {
            Some(v) => format!("{}@{v}", p.name),
            None => p.name.clone(),
        });
    let kind = g.key.split(':').next().unwrap_or("finding");
    let mut assets: Vec<String> = shown.iter().map(|t| t.finding.asset.clone()).collect();
    assets.sort();
    assets.dedup();
    let fix = ordered.iter().find_map(|t| t.fix.clone());
    let ctx = json!({
        "key": g.key,
        "kind": kind,
        "asset": g.asset,
        "assets": assets,
        "fix": fix,
        "title": first.map(|f| f.title.clone()).unwrap_or_default(),
        "package": package,
        "count": shown.len(),
        "band": band,
        "score": format!("{score:.1}"),
        "team": team,
        "due": due,
        "findings": findings,
    });
    let mut summary = render(env, "summary", &ctx)?
        .trim()
        .replace(['\n', '\r'], " ");
    if summary.chars().count() > 255 {
        summary = summary.chars().take(254).collect::<String>() + "…";
    }
    let description = render(env, "description", &ctx)?;
    let mut labels: Vec<String> = config.labels.iter().map(|l| label(l)).collect();
    labels.push("posture".into());
    for a in &assets {
        labels.push(label(&format!("service-{a}")));
    }
    if let Some(t) = &team {
        labels.push(label(&format!("team-{t}")));
    }
    labels.sort();
    labels.dedup();
    let mut fields = json!({
        "summary": summary,
        "description": if config.api_version >= 3 { to_adf(&description) } else { Value::String(description) },
        "priority": {"name": config.priority_for(&band)},
        "labels": labels,
    });
    if let Some(d) = &due {
        fields["duedate"] = json!(d);
    }
    if !config.components.is_empty() {
        fields["components"] = config
            .components
            .iter()
            .map(|c| json!({"name": c}))
            .collect();
    }
    for (k, v) in &config.custom_fields {
        fields[k.as_str()] = v.clone();
    }
    let hash = blake3::hash(fields.to_string().as_bytes())
        .to_hex()
        .to_string();
    Ok((fields, hash))
}

/// Runs one reconciliation. `dry_run` reads Jira but changes nothing (in Jira or the store).
/// `decide` records a triage decision through the application's workflow (state machine,
/// approval, expiry); when it refuses, the refusal becomes a conflict.
pub fn sync(
    store: &dyn Store,
    client: &JiraClient,
    config: &JiraConfig,
    findings: Vec<TicketFinding>,
    decide: &dyn Fn(&JiraDecision) -> Result<(), String>,
    now: Timestamp,
    dry_run: bool,
) -> Result<SyncReport, IntegrationError> {
    let links_store = store.integrations().ok_or_else(|| {
        IntegrationError::Unsupported("this database back end has no Jira links yet".into())
    })?;
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(100_000));
    env.add_template_owned(
        "summary",
        config
            .summary
            .clone()
            .unwrap_or_else(|| DEFAULT_SUMMARY.into()),
    )
    .map_err(|e| IntegrationError::Template(format!("[jira] summary template: {e}")))?;
    env.add_template_owned(
        "description",
        config
            .description
            .clone()
            .unwrap_or_else(|| DEFAULT_DESCRIPTION.into()),
    )
    .map_err(|e| IntegrationError::Template(format!("[jira] description template: {e}")))?;

    let groups = plan_groups(config, findings);
    let links: HashMap<String, JiraLink> = links_store
        .jira_links()?
        .into_iter()
        .map(|l| (l.group_key.clone(), l))
        .collect();
    let keys: Vec<String> = groups
        .iter()
        .filter_map(|g| links.get(&g.key).map(|l| l.issue_key.clone()))
        .collect();
    let actual: HashMap<String, IssueState> = if keys.is_empty() {
        HashMap::new()
    } else {
        client
            .issues(&keys)?
            .into_iter()
            .map(|i| (i.key.clone(), i))
            .collect()
    };
    let mut report = SyncReport {
        dry_run,
        groups: groups.len(),
        linked: keys.len(),
        actions: Vec::new(),
        calls: Default::default(),
    };
    for g in &groups {
        let active = g
            .members
            .iter()
            .filter(|t| is_active(t.finding.status))
            .count();
        let link = links.get(&g.key);
        let issue = link.and_then(|l| actual.get(&l.issue_key));
        let want_open = active > 0;
        match (link, issue) {
            (None, _) => {
                if !g.members.iter().any(|t| selected(config, t)) {
                    continue;
                }
                let (fields, hash) = desired_fields(config, &env, g)?;
                let key = if dry_run {
                    None
                } else {
                    let key = client.create(&with_project(config, fields.clone()))?;
                    links_store.save_jira_link(JiraLink {
                        group_key: g.key.clone(),
                        issue_key: key.clone(),
                        state_hash: hash,
                        closed_by_sync: false,
                        previous_issue_key: None,
                        created_at: now,
                        synced_at: now,
                    })?;
                    Some(key)
                };
                report.actions.push(Action {
                    group: g.key.clone(),
                    issue: key,
                    kind: ActionKind::Created,
                    detail: format!(
                        "{} ({} finding(s), priority {})",
                        fields["summary"].as_str().unwrap_or_default(),
                        active,
                        fields["priority"]["name"].as_str().unwrap_or_default()
                    ),
                });
            }
            (Some(l), None) => {
                // The linked issue is gone (deleted, moved out of reach).
                if !want_open {
                    continue;
                }
                let (fields, hash) = desired_fields(config, &env, g)?;
                let key = if dry_run {
                    None
                } else {
                    let key = client.create(&with_project(config, fields))?;
                    links_store.save_jira_link(JiraLink {
                        group_key: g.key.clone(),
                        issue_key: key.clone(),
                        state_hash: hash,
                        closed_by_sync: false,
                        previous_issue_key: Some(l.issue_key.clone()),
                        created_at: now,
                        synced_at: now,
                    })?;
                    Some(key)
                };
                report.actions.push(Action {
                    group: g.key.clone(),
                    issue: key,
                    kind: ActionKind::Recreated,
                    detail: format!("{} no longer exists in Jira", l.issue_key),
                });
            }
            (Some(l), Some(i)) if i.status_category != "done" => {
                if want_open {
                    if !dry_run {
                        links_store.resolve_conflicts("jira", &g.key, now)?;
                        if l.closed_by_sync {
                            // Someone reopened what the sync had closed: a later close is theirs.
                            links_store.save_jira_link(JiraLink {
                                closed_by_sync: false,
                                ..l.clone()
                            })?;
                        }
                    }
                    let (fields, hash) = desired_fields(config, &env, g)?;
                    if hash != l.state_hash {
                        if !dry_run {
                            client.update(&i.key, &fields)?;
                            links_store.save_jira_link(JiraLink {
                                state_hash: hash,
                                closed_by_sync: false,
                                synced_at: now,
                                ..l.clone()
                            })?;
                        }
                        report.actions.push(Action {
                            group: g.key.clone(),
                            issue: Some(i.key.clone()),
                            kind: ActionKind::Updated,
                            detail: changed_fields(i, &fields),
                        });
                    }
                } else {
                    let t = done_transition(client, &i.key, &["done"])?;
                    if !dry_run {
                        client.transition(&i.key, &t.id)?;
                        links_store.save_jira_link(JiraLink {
                            closed_by_sync: true,
                            synced_at: now,
                            ..l.clone()
                        })?;
                    }
                    report.actions.push(Action {
                        group: g.key.clone(),
                        issue: Some(i.key.clone()),
                        kind: ActionKind::Closed,
                        detail: format!(
                            "every finding is fixed or triaged; transition `{}` to a done status",
                            t.name
                        ),
                    });
                }
            }
            (Some(l), Some(i)) => {
                // Done in Jira.
                if !want_open {
                    // Both sides agree again (fixed or triaged since a person closed it).
                    if !dry_run {
                        links_store.resolve_conflicts("jira", &g.key, now)?;
                    }
                    continue;
                }
                if l.closed_by_sync {
                    regression(
                        store,
                        client,
                        config,
                        &env,
                        g,
                        l,
                        i,
                        now,
                        dry_run,
                        &mut report,
                    )?;
                    continue;
                }
                let resolution = i.resolution.clone().unwrap_or_else(|| i.status.clone());
                let r = resolution.to_ascii_lowercase().replace('\u{2019}', "'");
                let triage_to = if WONT_FIX.contains(&r.as_str()) {
                    Some(FindingStatus::Accepted)
                } else if NOT_A_BUG.contains(&r.as_str()) {
                    Some(FindingStatus::FalsePositive)
                } else {
                    None
                };
                match triage_to {
                    Some(state) if config.accept_from_jira => {
                        let mut ids = Vec::new();
                        let mut refused = Vec::new();
                        for t in g.members.iter().filter(|t| is_active(t.finding.status)) {
                            if !dry_run {
                                let d = JiraDecision {
                                    finding_id: t.finding.id,
                                    state,
                                    reason: format!("closed in Jira {} as {resolution}", i.key),
                                    actor: format!("jira:{}", i.key),
                                    at: now,
                                };
                                if let Err(why) = decide(&d) {
                                    refused.push(format!("#{}: {why}", t.finding.id));
                                    continue;
                                }
                            }
                            ids.push(format!("#{}", t.finding.id));
                        }
                        if !ids.is_empty() {
                            report.actions.push(Action {
                                group: g.key.clone(),
                                issue: Some(i.key.clone()),
                                kind: ActionKind::AcceptedFromJira,
                                detail: format!(
                                    "closed as {resolution} by a person: {} now {state}",
                                    ids.join(", ")
                                ),
                            });
                        }
                        if refused.is_empty() {
                            if !dry_run {
                                links_store.resolve_conflicts("jira", &g.key, now)?;
                            }
                        } else {
                            let detail = format!(
                                "{} was closed as {resolution} in Jira, but the workflow refused the decision for {}",
                                i.key,
                                refused.join("; ")
                            );
                            let (_, is_new) = links_store.record_conflict(NewConflict {
                                system: "jira".into(),
                                subject: g.key.clone(),
                                reference: i.key.clone(),
                                kind: "decision-refused".into(),
                                detail: detail.clone(),
                                at: now,
                            })?;
                            if is_new {
                                report.actions.push(Action {
                                    group: g.key.clone(),
                                    issue: Some(i.key.clone()),
                                    kind: ActionKind::Conflict,
                                    detail,
                                });
                            }
                        }
                    }
                    _ => {
                        let (kind, detail) = match triage_to {
                            Some(_) => (
                                "closed-as-wont-fix-not-allowed",
                                format!(
                                    "{} was closed as {resolution} in Jira, but accepting risk from Jira is not allowed (accept_from_jira = false): {active} finding(s) stay open; triage them in Posture or reopen the issue",
                                    i.key
                                ),
                            ),
                            None => (
                                "closed-while-open",
                                format!(
                                    "{} was closed as {resolution} in Jira, but scanners still report {active} finding(s)",
                                    i.key
                                ),
                            ),
                        };
                        let is_new = if dry_run {
                            true
                        } else {
                            links_store
                                .record_conflict(NewConflict {
                                    system: "jira".into(),
                                    subject: g.key.clone(),
                                    reference: i.key.clone(),
                                    kind: kind.into(),
                                    detail: detail.clone(),
                                    at: now,
                                })?
                                .1
                        };
                        if is_new {
                            report.actions.push(Action {
                                group: g.key.clone(),
                                issue: Some(i.key.clone()),
                                kind: ActionKind::Conflict,
                                detail,
                            });
                        }
                    }
                }
            }
        }
    }
    report.calls = client.counts.get();
    Ok(report)
}

fn with_project(config: &JiraConfig, mut fields: Value) -> Value {
    fields["project"] = json!({"key": config.project});
    fields["issuetype"] = json!({"name": config.issue_type});
    fields
}

/// The first transition whose target status category is one of `categories` (in that
/// preference order).
fn done_transition(
    client: &JiraClient,
    key: &str,
    categories: &[&str],
) -> Result<super::Transition, IntegrationError> {
    let all = client.transitions(key)?;
    categories
        .iter()
        .find_map(|c| all.iter().find(|t| t.to_category == *c).cloned())
        .ok_or_else(|| IntegrationError::Jira {
            method: "GET".into(),
            target: format!("issue {key} transitions"),
            status: 200,
            message: format!(
                "no transition leads to a status of category {} (available: {})",
                categories.join(" or "),
                all.iter()
                    .map(|t| format!("{} -> {}", t.name, t.to_category))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

#[allow(clippy::too_many_arguments)]
fn regression(
    _store: &dyn Store,
    client: &JiraClient,
    config: &JiraConfig,
    env: &minijinja::Environment<'_>,
    g: &Group,
    l: &JiraLink,
    i: &IssueState,
    now: Timestamp,
    dry_run: bool,
    report: &mut SyncReport,
) -> Result<(), IntegrationError> {
    let links_store = _store
        .integrations()
        .ok_or_else(|| IntegrationError::Unsupported("no Jira links".into()))?;
    let (fields, hash) = desired_fields(config, env, g)?;
    let reopen = match done_transition(client, &i.key, &["new", "indeterminate"]) {
        Ok(t) => Some(t),
        Err(IntegrationError::Jira { status: 200, .. }) => None,
        Err(e) => return Err(e),
    };
    match reopen {
        Some(t) => {
            if !dry_run {
                client.transition(&i.key, &t.id)?;
                if hash != l.state_hash {
                    client.update(&i.key, &fields)?;
                }
                links_store.save_jira_link(JiraLink {
                    state_hash: hash,
                    closed_by_sync: false,
                    synced_at: now,
                    ..l.clone()
                })?;
            }
            report.actions.push(Action {
                group: g.key.clone(),
                issue: Some(i.key.clone()),
                kind: ActionKind::Reopened,
                detail: format!(
                    "regression: scanners report it again; transition `{}`",
                    t.name
                ),
            });
        }
        None => {
            let key = if dry_run {
                None
            } else {
                let key = client.create(&with_project(config, fields))?;
                client.link(&key, &i.key)?;
                links_store.save_jira_link(JiraLink {
                    group_key: g.key.clone(),
                    issue_key: key.clone(),
                    state_hash: hash,
                    closed_by_sync: false,
                    previous_issue_key: Some(i.key.clone()),
                    created_at: now,
                    synced_at: now,
                })?;
                Some(key)
            };
            report.actions.push(Action {
                group: g.key.clone(),
                issue: key,
                kind: ActionKind::Recreated,
                detail: format!(
                    "regression: {} cannot be reopened (no transition to an open status); a new issue links to it",
                    i.key
                ),
            });
        }
    }
    Ok(())
}

/// Which fields differ from what Jira shows (for the report).
fn changed_fields(i: &IssueState, fields: &Value) -> String {
    let mut changed = Vec::new();
    if fields["summary"].as_str() != Some(i.summary.as_str()) {
        changed.push("summary".to_string());
    }
    let p = fields["priority"]["name"].as_str();
    if p != i.priority.as_deref() {
        changed.push(format!(
            "priority {} -> {}",
            i.priority.as_deref().unwrap_or("none"),
            p.unwrap_or("none")
        ));
    }
    let labels: Vec<&str> = fields["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if labels != i.labels.iter().map(String::as_str).collect::<Vec<_>>() {
        changed.push("labels".into());
    }
    if fields["duedate"].as_str() != i.duedate.as_deref() {
        changed.push(format!(
            "due date -> {}",
            fields["duedate"].as_str().unwrap_or("none")
        ));
    }
    if changed.is_empty() {
        "description".into()
    } else {
        changed.join(", ")
    }
}
