//! Policies applied to stored findings: the [`PolicyContext`] of each finding (built from the
//! risk assessment, the portfolio and the owner), SLA days chosen by policy, the approval a
//! triage decision needs, and loading a policy file with its diagnostics.
//!
//! It exists so the gate, the backtest and the triage workflow (through [`PolicyRules`]) see
//! a finding the same way.

use crate::AppError;
use crate::risk::{AssessedFinding, RiskConfig};
use crate::sla::SlaState;
use posture_model::{FindingStatus, Timestamp};
// The policy language's types, re-exported for callers that do not depend on
// `posture-policy` themselves (the server).
pub use posture_policy::{
    Action, Diagnostic, Diagnostics, Mode, Policy, PolicyContext, RenderStyle, Rule, SlaContext,
};
use posture_risk::Reachability;
use posture_store::{EventQuery, EventRecord, FindingRecord, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The largest policy file read.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

/// Reads and checks a policy file; every diagnostic is rendered rustc-style.
pub fn load_policy(path: &Path) -> Result<Policy, AppError> {
    read_policy(path)?.map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))
}

/// Reads a policy file (at most [`MAX_POLICY_BYTES`]) and checks it. The outer error is about
/// reading the file; the inner one holds every diagnostic of its content, for callers that
/// show them one by one (the server's `GET /api/v1/policy`).
pub fn read_policy(path: &Path) -> Result<Result<Policy, posture_policy::Diagnostics>, AppError> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|error| AppError::Read {
            file: name.clone(),
            error,
        })?
        .len();
    if size > MAX_POLICY_BYTES {
        return Err(AppError::TooLarge {
            file: name,
            size,
            limit: MAX_POLICY_BYTES,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|error| AppError::Read {
        file: name.clone(),
        error,
    })?;
    Ok(Policy::parse(&text, &name))
}

/// The policy file to use: `--policy` when given, else `[policy] file` of the portfolio
/// configuration (relative to it).
pub fn policy_path(explicit: Option<&Path>, config: Option<&RiskConfig>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let config = config?;
    let file = config.portfolio.policy_file()?;
    let base = config.path.parent().unwrap_or(Path::new("."));
    Some(base.join(file))
}

/// The policy as the approval rules of one finding's triage decision (`posture triage`, the
/// server's triage): the finding assessed with its event log, as of `now`. `None` when there
/// is no such finding (the decision then fails on its own).
pub fn approval_rules(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    policy: Policy,
    finding_id: i64,
    now: Timestamp,
) -> Result<Option<PolicyRules>, AppError> {
    let Some(f) = store.finding(finding_id)? else {
        return Ok(None);
    };
    let events = HashMap::from([(finding_id, store.events(finding_id)?)]);
    let assessed = crate::risk::assess_findings(store, config, vec![f])?;
    Ok(Some(PolicyRules::new(
        policy,
        config.cloned(),
        &assessed,
        &events,
        now,
    )))
}

/// The SLA rule for these findings (`posture metrics`, `GET /api/v1/metrics`): the policy's
/// `set_sla` rules over the findings assessed with their event logs, else the defaults.
pub fn sla_rule(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    policy: Option<Policy>,
    findings: &[FindingRecord],
    now: Timestamp,
) -> Result<Box<dyn crate::workflow::SlaRule>, AppError> {
    let Some(policy) = policy else {
        return Ok(Box::new(crate::workflow::DefaultSla));
    };
    let mut events: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    if !findings.is_empty() {
        for e in store.event_log(&EventQuery {
            finding_ids: Some(findings.iter().map(|f| f.id).collect()),
            ..EventQuery::default()
        })? {
            events.entry(e.finding_id).or_default().push(e);
        }
    }
    let assessed = crate::risk::assess_findings(store, config, findings.to_vec())?;
    Ok(Box::new(PolicyRules::new(
        policy,
        config.cloned(),
        &assessed,
        &events,
        now,
    )))
}

/// Whole days from `from` to `to` (negative when `to` is earlier), rounded toward zero.
pub fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    to.duration_since(from).as_secs() / 86_400
}

/// Where a finding's SLA days came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaChoice {
    pub days: Option<u32>,
    /// `default` or the id of the `set_sla` rule.
    pub source: String,
}

/// The SLA figures of a finding with `days` allowed, as of `now`, from its event log
/// (`crate::sla`: the same clock, pauses and breaches as `posture findings --sla` and the
/// metrics).
pub fn sla_context(
    f: &FindingRecord,
    events: &[EventRecord],
    days: Option<u32>,
    now: Timestamp,
) -> SlaContext {
    let sla = crate::sla::sla_with_days(f, events, days, now);
    if sla.state == SlaState::None {
        return SlaContext {
            state: SlaState::None.as_str().to_string(),
            ..SlaContext::default()
        };
    }
    SlaContext {
        days: sla.days.map(i64::from),
        due: sla
            .due
            .map(|d| d.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()),
        state: sla.state.as_str().to_string(),
        days_left: sla.remaining_ms.map(|ms| ms.div_euclid(86_400_000)),
    }
}

/// Whether a finding is past its SLA at `now`.
pub fn past_sla(
    f: &FindingRecord,
    events: &[EventRecord],
    days: Option<u32>,
    now: Timestamp,
) -> bool {
    crate::sla::sla_with_days(f, events, days, now).state == SlaState::Breached
}

/// Builds the policy context of an assessed finding, as of `now`.
///
/// `new` says whether it is new relative to the gate's baseline; `sla_days` are the SLA days
/// that apply (see [`choose_sla`]).
pub fn context_of(
    af: &AssessedFinding,
    events: &[EventRecord],
    config: Option<&RiskConfig>,
    now: Timestamp,
    new: bool,
    sla_days: Option<u32>,
) -> PolicyContext {
    let f = &af.finding;
    let mut tools: Vec<String> = Vec::new();
    for o in &f.occurrences {
        if !tools.contains(&o.tool) {
            tools.push(o.tool.clone());
        }
    }
    let mut cwe: Vec<String> = f
        .occurrences
        .iter()
        .flat_map(|o| o.data.cwes.iter().map(|c| format!("CWE-{c}")))
        .collect();
    cwe.sort();
    cwe.dedup();
    let mut cve: Vec<String> = f
        .occurrences
        .iter()
        .flat_map(|o| o.data.vulnerability_ids.iter())
        .map(|id| id.trim().to_ascii_uppercase())
        .filter(|id| id.starts_with("CVE-"))
        .collect();
    cve.sort();
    cve.dedup();
    let path = f
        .occurrences
        .iter()
        .find_map(|o| o.data.location.path.clone())
        .unwrap_or_default();
    let finding = posture_policy::FindingContext {
        id: f.id,
        title: f.title.clone(),
        severity: f.severity.as_str().to_string(),
        severity_rank: posture_policy::severity_rank(f.severity.as_str()),
        risk: af.risk.score,
        band: af.risk.band.as_str().to_string(),
        ssvc: af.risk.ssvc.decision.as_str().to_string(),
        category: f.category.as_str().to_string(),
        tool: tools.first().cloned().unwrap_or_default(),
        tools,
        rule_id: f.rule_id.clone(),
        path,
        cwe,
        cve,
        kev: af.in_kev,
        epss: af.input.epss.as_ref().map_or(0.0, |e| e.probability),
        reachable: match af.input.reachability {
            Reachability::Reachable => Some(true),
            Reachability::Unreachable => Some(false),
            _ => None,
        },
        age_days: days_between(f.first_seen, now).max(0),
        status: f.status.as_str().to_string(),
        new,
        sla: sla_context(f, events, sla_days, now),
    };
    let mut ctx = PolicyContext {
        finding,
        ..PolicyContext::default()
    };
    ctx.asset.name = f.asset.clone();
    if let Some(a) = config.and_then(|c| c.portfolio.asset(&f.asset)) {
        ctx.asset.tags = a.tags.clone();
        ctx.asset.criticality = a
            .criticality
            .map(|c| c.as_str().to_string())
            .unwrap_or_default();
        ctx.asset.exposure = a
            .exposure
            .map(|e| e.as_str().to_string())
            .unwrap_or_default();
        ctx.asset.environment = a
            .environment
            .map(|e| e.as_str().to_string())
            .unwrap_or_default();
        ctx.asset.data = a.data.clone();
        ctx.asset.compliance = a.compliance.clone();
        // Users write "production" as a tag or as `environment = "production"` (the demo and
        // `posture assets set` write the latter): `asset.tags` holds both spellings, so a rule
        // written either way fires.
        for word in [
            &ctx.asset.environment,
            &ctx.asset.exposure,
            &ctx.asset.criticality,
        ] {
            if !word.is_empty() && !ctx.asset.tags.contains(word) {
                ctx.asset.tags.push(word.clone());
            }
        }
    }
    ctx.owner.team = af
        .owner
        .as_ref()
        .and_then(|o| o.team.clone())
        .unwrap_or_default();
    ctx
}

/// The SLA days of a finding: the first enforced `set_sla` rule of the policy that holds
/// (its condition sees `finding.sla` under the defaults), else the defaults (critical 7,
/// high 30, medium 90, low 180, info none).
pub fn choose_sla(
    policy: Option<&Policy>,
    af: &AssessedFinding,
    events: &[EventRecord],
    config: Option<&RiskConfig>,
    now: Timestamp,
    new: bool,
) -> SlaChoice {
    let default = posture_model::default_sla_days(Some(af.risk.band.as_str()), af.finding.severity);
    if let Some(p) = policy {
        let ctx = context_of(af, events, config, now, new, default);
        if let Some((days, rule)) = p.sla_days(&ctx, now) {
            return SlaChoice {
                days: Some(days),
                source: rule,
            };
        }
    }
    SlaChoice {
        days: default,
        source: "default".into(),
    }
}

/// The full context of a finding: SLA chosen by the policy, then every field.
pub fn full_context(
    policy: Option<&Policy>,
    af: &AssessedFinding,
    events: &[EventRecord],
    config: Option<&RiskConfig>,
    now: Timestamp,
    new: bool,
) -> (PolicyContext, SlaChoice) {
    let sla = choose_sla(policy, af, events, config, now, new);
    (context_of(af, events, config, now, new, sla.days), sla)
}

/// The policy as the triage workflow's SLA and approval rules, over findings assessed in
/// advance (the workflow's seams see a `FindingRecord` only; risk needs the store's feeds).
/// A finding that was not assessed in advance is seen with its severity, asset and owner
/// only (risk from severity alone, no feed facts, no SLA history).
pub struct PolicyRules {
    policy: Policy,
    config: Option<RiskConfig>,
    now: Timestamp,
    contexts: HashMap<i64, PolicyContext>,
}

impl PolicyRules {
    /// Prepares the rules over these assessed findings (with their event logs), as of `now`.
    pub fn new(
        policy: Policy,
        config: Option<RiskConfig>,
        assessed: &[AssessedFinding],
        events: &HashMap<i64, Vec<EventRecord>>,
        now: Timestamp,
    ) -> Self {
        let contexts = assessed
            .iter()
            .map(|af| {
                let ev = events.get(&af.finding.id).map(Vec::as_slice).unwrap_or(&[]);
                let (ctx, _) = full_context(Some(&policy), af, ev, config.as_ref(), now, true);
                (af.finding.id, ctx)
            })
            .collect();
        PolicyRules {
            policy,
            config,
            now,
            contexts,
        }
    }

    fn context(&self, f: &FindingRecord) -> PolicyContext {
        if let Some(c) = self.contexts.get(&f.id) {
            return c.clone();
        }
        let af = AssessedFinding {
            finding: f.clone(),
            owner: self.config.as_ref().map(|c| crate::risk::owner_of(c, f)),
            risk: posture_risk::assess(
                &posture_risk::RiskInput::new(f.severity),
                &posture_risk::RiskWeights::default(),
            ),
            in_kev: false,
            reachable: false,
            input: posture_risk::RiskInput::new(f.severity),
            related: Vec::new(),
        };
        full_context(
            Some(&self.policy),
            &af,
            &[],
            self.config.as_ref(),
            self.now,
            true,
        )
        .0
    }

    /// SLA days for a finding (policy `set_sla`, else the defaults).
    pub fn sla_days_for(&self, f: &FindingRecord) -> Option<u32> {
        let ctx = self.context(f);
        match self.policy.sla_days(&ctx, self.now) {
            Some((days, _)) => Some(days),
            None => posture_model::default_sla_days(f.risk_band.as_deref(), f.severity),
        }
    }

    /// The role whose approval a triage decision to `to` needs, when a `require_approval`
    /// rule holds (the first in file order).
    pub fn required_role_for(&self, f: &FindingRecord, to: FindingStatus) -> Option<String> {
        let ctx = self.context(f);
        self.policy
            .required_roles(&ctx, to.as_str(), self.now)
            .into_iter()
            .find_map(|m| match m.action {
                posture_policy::Action::RequireApproval { role, .. } => Some(role),
                _ => None,
            })
    }
}

impl crate::workflow::SlaRule for PolicyRules {
    fn sla_days(&self, finding: &FindingRecord) -> Option<u32> {
        self.sla_days_for(finding)
    }
}

impl crate::workflow::ApprovalRule for PolicyRules {
    fn required_role(&self, finding: &FindingRecord, to: FindingStatus) -> Option<String> {
        self.required_role_for(finding, to)
    }

    /// The first `require_approval` rule that holds names the role; every rule that holds
    /// adds its limits (the shortest `max_days`, any refusal of unauthenticated approvals).
    fn requirement(
        &self,
        finding: &FindingRecord,
        to: FindingStatus,
    ) -> Option<crate::workflow::ApprovalNeed> {
        let ctx = self.context(finding);
        let mut need: Option<crate::workflow::ApprovalNeed> = None;
        for m in self.policy.required_roles(&ctx, to.as_str(), self.now) {
            if let posture_policy::Action::RequireApproval {
                role,
                max_days,
                allow_unauthenticated,
                ..
            } = m.action
            {
                match &mut need {
                    None => {
                        need = Some(crate::workflow::ApprovalNeed {
                            role,
                            rule_id: Some(m.rule_id.clone()),
                            max_days,
                            allow_unauthenticated,
                        })
                    }
                    Some(n) => {
                        n.max_days = match (n.max_days, max_days) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                        n.allow_unauthenticated &= allow_unauthenticated;
                    }
                }
            }
        }
        need
    }
}

/// How many stored findings one rule of a policy matches now: what `posture policy test`
/// prints per rule, and what `posture policy check` warns about when it is zero (a rule that
/// matches nothing is often a rule written against a field spelled another way).
#[derive(Debug, Clone, Serialize)]
pub struct RuleHits {
    pub rule_id: String,
    /// Line of the `[[rule]]` header.
    pub line: usize,
    pub action: String,
    /// `enforce` or `log-only`.
    pub mode: String,
    /// Whether the rule is inside its validity window now.
    pub in_force: bool,
    /// Findings not fixed (open or triaged) the rule holds for now.
    pub matched: usize,
    /// The first few of them (ids, ascending).
    pub examples: Vec<i64>,
}

/// The hits of every rule of `policy` over the findings not fixed (of one asset when given),
/// each seen as the gate sees it with `--all` (its risk, asset, owner and SLA as of `now`).
pub fn rule_hits(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    policy: &Policy,
    asset: Option<&str>,
    now: Timestamp,
) -> Result<Vec<RuleHits>, AppError> {
    let findings: Vec<FindingRecord> = store
        .findings(&posture_store::FindingQuery {
            asset: asset.map(str::to_string),
            status: None,
            ..posture_store::FindingQuery::default()
        })?
        .into_iter()
        .filter(|f| f.status != FindingStatus::Fixed)
        .collect();
    let events = crate::gate::events_by_finding(
        store,
        EventQuery {
            finding_ids: Some(findings.iter().map(|f| f.id).collect()),
            ..EventQuery::default()
        },
    )?;
    let assessed = crate::risk::assess_findings(store, config, findings)?;
    let mut hits: HashMap<&str, Vec<i64>> = HashMap::new();
    for af in &assessed {
        let ev = events.get(&af.finding.id).map(Vec::as_slice).unwrap_or(&[]);
        let (ctx, _) = full_context(Some(policy), af, ev, config, now, false);
        for m in policy.evaluate(&ctx, now) {
            if let Some(r) = policy.rules().iter().find(|r| r.id == m.rule_id) {
                hits.entry(r.id.as_str()).or_default().push(af.finding.id);
            }
        }
    }
    Ok(policy
        .rules()
        .iter()
        .map(|r| {
            let mut ids = hits.remove(r.id.as_str()).unwrap_or_default();
            ids.sort_unstable();
            ids.dedup();
            RuleHits {
                rule_id: r.id.clone(),
                line: r.line,
                action: r.action.as_str().to_string(),
                mode: match r.mode {
                    Mode::Enforce => "enforce".into(),
                    Mode::LogOnly => "log-only".into(),
                },
                in_force: r.is_valid_at(now),
                matched: ids.len(),
                examples: ids.into_iter().take(5).collect(),
            }
        })
        .collect())
}

/// The warnings `policy check` gives for rules that match nothing stored.
pub fn unmatched_warnings(hits: &[RuleHits], findings_seen: bool) -> Vec<String> {
    if !findings_seen {
        return Vec::new();
    }
    hits.iter()
        .filter(|h| h.matched == 0)
        .map(|h| {
            if h.in_force {
                format!(
                    "warning: rule `{}` (line {}) matches none of the findings stored: check its condition's field values (for example `\"production\" in asset.tags` against posture.toml)",
                    h.rule_id, h.line
                )
            } else {
                format!(
                    "warning: rule `{}` (line {}) is outside its validity window and matches nothing now",
                    h.rule_id, h.line
                )
            }
        })
        .collect()
}
