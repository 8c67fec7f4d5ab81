//! The CI gate and the policy backtest.
//!
//! `run_gate` evaluates a policy on the findings of one asset and branch that are new
//! relative to a baseline branch (or on all of them), honours approved exceptions, and says
//! finding by finding why the gate fails. `backtest` replays a policy over the stored
//! history: what each past gate run would have decided, which findings would have been
//! escalated, and how SLA figures would change. Both read the store only.
//!
//! **New relative to the baseline**, by each tool's own identity: a finding open on the branch
//! is new when none of its open occurrences there is present on the baseline branch as the
//! same tool's result, i.e. an open baseline occurrence of the same tool with the same
//! fingerprint or the same place key (`posture_engine::place_key`: tool, rule, file, line, so
//! the tool's JSON and SARIF reports agree). It never depends on the order in which
//! correlation happened to join occurrences into findings on either branch. Triage decisions
//! on the baseline (accepted, false positive, not affected) apply to the same issue on the
//! branch. Gating the baseline branch itself evaluates every finding.

use crate::AppError;
use crate::policy::{full_context, past_sla};
use crate::risk::{AssessedFinding, RiskConfig};
use posture_model::{FindingStatus, Timestamp};
use posture_policy::{Action, Mode, Policy, RuleMatch};
use posture_store::{
    BranchFilter, DecisionRecord, EventQuery, EventRecord, FindingQuery, FindingRecord,
    OccurrenceRecord, ScanQuery, Store,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Triage states that excuse a finding from the gate while the decision holds.
pub const EXCEPTION_STATES: &[FindingStatus] = &[
    FindingStatus::Accepted,
    FindingStatus::FalsePositive,
    FindingStatus::NotAffected,
];

/// A person's triage decision on a finding, as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub state: FindingStatus,
    pub reason: Option<String>,
    pub approver: Option<String>,
    pub role: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// The decision on a finding: the workflow's record (approver, role, expiry) when there is
/// one, else the finding's triage state alone (a decision recorded before the workflow kept
/// approvers: it carries no role, so it satisfies no `require_approval` rule).
pub fn decision_of(f: &FindingRecord, recorded: Option<&DecisionRecord>) -> Option<Decision> {
    if let Some(d) = recorded {
        return Some(Decision {
            state: d.state,
            reason: d.reason.clone(),
            approver: d.approver.clone(),
            role: d.role.clone(),
            expires_at: d.expires_at,
        });
    }
    let state = f.triage?;
    Some(Decision {
        state,
        reason: f.triage_reason.clone(),
        approver: None,
        role: None,
        expires_at: None,
    })
}

/// Whether a decision carries the approval of `role`: an approver whose recorded role is
/// `role` (case-insensitive). A decision without a recorded role approves nothing.
pub fn approval_satisfied(decision: &Decision, role: &str) -> bool {
    decision.approver.is_some()
        && decision
            .role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(role))
}

/// Whether a decision excuses the finding at `now`, and why not when it does not.
pub fn exception_status(
    decision: Option<&Decision>,
    matches: &[RuleMatch],
    now: Timestamp,
) -> Exception {
    let Some(d) = decision else {
        return Exception::None;
    };
    if !EXCEPTION_STATES.contains(&d.state) {
        return Exception::None;
    }
    if d.expires_at.is_some_and(|e| e <= now) {
        return Exception::Expired {
            state: d.state.as_str().to_string(),
        };
    }
    for m in matches {
        if m.mode != Mode::Enforce {
            continue;
        }
        if let Action::RequireApproval { role, states, .. } = &m.action
            && states.iter().any(|s| s == d.state.as_str())
            && !approval_satisfied(d, role)
        {
            return Exception::NeedsApproval {
                state: d.state.as_str().to_string(),
                role: role.clone(),
                rule_id: m.rule_id.clone(),
            };
        }
    }
    Exception::Honoured {
        state: d.state.as_str().to_string(),
        reason: d.reason.clone(),
        approver: d.approver.clone(),
    }
}

/// What a triage decision does for the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "exception", rename_all = "kebab-case")]
pub enum Exception {
    /// No decision that excuses findings.
    None,
    /// The decision excuses the finding.
    Honoured {
        state: String,
        reason: Option<String>,
        approver: Option<String>,
    },
    /// The decision needs an approver with `role` (rule `rule_id`) and has none.
    NeedsApproval {
        state: String,
        role: String,
        rule_id: String,
    },
    /// The decision expired.
    Expired { state: String },
}

/// What the gate should evaluate.
#[derive(Debug, Clone)]
pub struct GateRequest {
    pub asset: String,
    pub branch: String,
    pub baseline: String,
    /// Every finding of the branch, not only the new ones.
    pub all: bool,
    pub now: Timestamp,
    /// Gate an asset that has no scans and that posture.toml does not declare (a first run);
    /// otherwise such a name is an error (a typo must not pass the gate).
    pub allow_new_asset: bool,
}

/// One finding the policy said something about.
#[derive(Debug, Clone, Serialize)]
pub struct GateFinding {
    pub id: i64,
    pub title: String,
    pub severity: String,
    pub category: String,
    pub rule_id: String,
    pub tool: String,
    /// `path:line` or the package / image / URL.
    pub location: String,
    pub new: bool,
    pub risk: f64,
    pub band: String,
    pub matches: Vec<RuleMatch>,
    pub exception: Exception,
    /// An enforced `block` holds and no exception excuses it.
    pub blocked: bool,
    /// The founding occurrence's fingerprint (stable across re-scans).
    pub fingerprint: String,
    #[serde(skip)]
    pub record: FindingRecord,
}

/// A rule that failed to evaluate on a finding.
#[derive(Debug, Clone, Serialize)]
pub struct GateError {
    pub finding_id: i64,
    pub rule_id: String,
    pub line: usize,
    pub message: String,
}

/// The gate's decision.
#[derive(Debug, Clone, Serialize)]
pub struct GateOutcome {
    pub asset: String,
    pub branch: String,
    pub baseline: String,
    pub policy: String,
    /// `new` (relative to the baseline) or `all`.
    pub scope: String,
    /// Findings open on the branch.
    pub open_on_branch: usize,
    /// Findings evaluated (the new ones, or all).
    pub evaluated: usize,
    pub passed: bool,
    pub blocked: usize,
    pub warnings: usize,
    pub excepted: usize,
    /// Findings the policy said something about (blocked first, then by id).
    pub findings: Vec<GateFinding>,
    pub errors: Vec<GateError>,
    /// Things the reader should know (no baseline scans, the branch is the baseline).
    pub notes: Vec<String>,
}

/// `path:line`, else the package, image or URL of the finding's first occurrence.
pub fn location_of(f: &FindingRecord) -> String {
    let mut occ: Vec<&OccurrenceRecord> = f.occurrences.iter().collect();
    occ.sort_by_key(|o| (!o.open, o.id));
    let Some(o) = occ.first() else {
        return String::new();
    };
    let l = &o.data.location;
    let package = o.data.package.as_ref().map(|pkg| {
        let v = pkg
            .version
            .as_deref()
            .map(|v| format!("@{v}"))
            .unwrap_or_default();
        format!("{}{v}", pkg.name)
    });
    let place = match &l.path {
        Some(p) => match l.start_line {
            Some(n) => Some(format!("{p}:{n}")),
            None => Some(p.clone()),
        },
        None => l.image.clone().or_else(|| l.url.clone()),
    };
    match (place, package) {
        (Some(p), Some(k)) => format!("{p} ({k})"),
        (Some(p), None) => p,
        (None, Some(k)) => k,
        (None, None) => String::new(),
    }
}

/// The founding occurrence's fingerprint (lowest occurrence id).
pub fn fingerprint_of(f: &FindingRecord) -> String {
    f.occurrences
        .iter()
        .min_by_key(|o| o.id)
        .map(|o| o.fingerprint.clone())
        .unwrap_or_default()
}

fn open_on(f: &FindingRecord, branch: &str) -> bool {
    f.occurrences.iter().any(|o| o.open && o.branch == branch)
}

/// A tool's own identity of an occurrence: (tool, fingerprint) and (tool, place key).
fn tool_identities(o: &OccurrenceRecord) -> [Option<(String, String)>; 2] {
    let place = posture_engine::place_key(&o.tool, &o.data).map(|k| (o.tool.clone(), k.to_hex()));
    [Some((o.tool.clone(), o.fingerprint.clone())), place]
}

/// What the baseline branch has open, by each tool's own identity: identity -> the findings
/// holding it there.
struct Baseline {
    by_identity: HashMap<(String, String), Vec<i64>>,
}

impl Baseline {
    fn of(findings: &[FindingRecord], baseline: &str) -> Self {
        let mut by_identity: HashMap<(String, String), Vec<i64>> = HashMap::new();
        for f in findings {
            for o in f
                .occurrences
                .iter()
                .filter(|o| o.open && o.branch == baseline)
            {
                for id in tool_identities(o).into_iter().flatten() {
                    let ids = by_identity.entry(id).or_default();
                    if !ids.contains(&f.id) {
                        ids.push(f.id);
                    }
                }
            }
        }
        Baseline { by_identity }
    }

    /// The baseline findings holding the same results as `f`'s open occurrences on `branch`
    /// (empty: `f` is new), lowest id first.
    fn matches(&self, f: &FindingRecord, branch: &str) -> Vec<i64> {
        let mut out: Vec<i64> = f
            .occurrences
            .iter()
            .filter(|o| o.open && o.branch == branch)
            .flat_map(tool_identities)
            .flatten()
            .filter_map(|id| self.by_identity.get(&id))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Evaluates the policy for one finding: its matches, errors and exception.
fn judge(
    policy: &Policy,
    af: &AssessedFinding,
    events: &[EventRecord],
    config: Option<&RiskConfig>,
    now: Timestamp,
    new: bool,
    decision: Option<&Decision>,
) -> (Option<GateFinding>, Vec<GateError>) {
    let (ctx, _) = full_context(Some(policy), af, events, config, now, new);
    let eval = policy.evaluate_checked(&ctx, now);
    let errors = eval
        .errors
        .iter()
        .map(|e| GateError {
            finding_id: af.finding.id,
            rule_id: e.rule_id.clone(),
            line: e.line,
            message: e.message.clone(),
        })
        .collect();
    // SLA rules decide due dates, not the gate.
    let matches: Vec<RuleMatch> = eval
        .matches
        .into_iter()
        .filter(|m| !matches!(m.action, Action::SetSla { .. }))
        .collect();
    if matches.is_empty() {
        return (None, errors);
    }
    let exception = exception_status(decision, &matches, now);
    let blocked =
        matches.iter().any(RuleMatch::blocks) && !matches!(exception, Exception::Honoured { .. });
    let f = &af.finding;
    let gf = GateFinding {
        id: f.id,
        title: f.title.clone(),
        severity: f.severity.as_str().to_string(),
        category: f.category.as_str().to_string(),
        rule_id: f.rule_id.clone(),
        tool: f
            .occurrences
            .first()
            .map(|o| o.tool.clone())
            .unwrap_or_default(),
        location: location_of(f),
        new,
        risk: af.risk.score,
        band: af.risk.band.as_str().to_string(),
        matches,
        exception,
        blocked,
        fingerprint: fingerprint_of(f),
        record: f.clone(),
    };
    (Some(gf), errors)
}

/// The event logs of the findings a query selects, in one read.
pub(crate) fn events_by_finding(
    store: &dyn Store,
    query: EventQuery,
) -> Result<HashMap<i64, Vec<EventRecord>>, AppError> {
    if query.finding_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(HashMap::new());
    }
    let mut out: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    for e in store.event_log(&query)? {
        out.entry(e.finding_id).or_default().push(e);
    }
    Ok(out)
}

/// Runs the gate over what the store holds for the asset and branch.
pub fn run_gate(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    policy: &Policy,
    req: &GateRequest,
) -> Result<GateOutcome, AppError> {
    let mut notes = Vec::new();
    // Fail closed: a gate on a name Posture does not know would pass on nothing.
    if !crate::names::has_scans(store, &req.asset)? {
        let declared = config.is_some_and(|c| c.portfolio.asset(&req.asset).is_some());
        if !declared && !req.allow_new_asset {
            let known = crate::names::known_assets(store, config)?;
            return Err(AppError::Invalid(format!(
                "asset `{}` has no scans and posture.toml does not declare it{}: the gate would judge nothing. Check the name, give the gate the reports, or allow a first run with --allow-new-asset (API: allow_new_asset=true)",
                req.asset,
                crate::names::hint(&req.asset, &known)
            )));
        }
        notes.push(format!(
            "asset `{}` has no scans yet: nothing was evaluated",
            req.asset
        ));
    }
    let findings = store.findings(&FindingQuery {
        asset: Some(req.asset.clone()),
        branch: BranchFilter::Any,
        status: None,
        ..FindingQuery::default()
    })?;
    let branch_is_baseline = req.branch == req.baseline;
    let all = req.all || branch_is_baseline;
    if branch_is_baseline && !req.all {
        notes.push(format!(
            "branch `{}` is the baseline: every finding open on it is evaluated",
            req.branch
        ));
    }
    if !all {
        let baseline_scanned = store
            .scans(&ScanQuery {
                asset: Some(req.asset.clone()),
                ..ScanQuery::default()
            })?
            .iter()
            .any(|s| s.branch == req.baseline);
        if !baseline_scanned {
            notes.push(format!(
                "the baseline branch `{}` has no scans of asset `{}`: every finding counts as new",
                req.baseline, req.asset
            ));
        }
    }
    let baseline = Baseline::of(&findings, &req.baseline);
    // the baseline's findings matched by each branch finding (their decisions apply to it)
    let mut baseline_of: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut by_id: HashMap<i64, FindingRecord> = HashMap::new();
    let mut on_branch: Vec<FindingRecord> = Vec::new();
    for f in findings {
        // open on the branch, whatever the default branch says of it (a finding fixed there
        // but still on a merge request's branch is on that branch)
        if open_on(&f, &req.branch) {
            baseline_of.insert(f.id, baseline.matches(&f, &req.branch));
            on_branch.push(f.clone());
        }
        by_id.insert(f.id, f);
    }
    let open_on_branch = on_branch.len();
    let selected: Vec<(FindingRecord, bool)> = on_branch
        .into_iter()
        .map(|f| {
            let new = branch_is_baseline || baseline_of.get(&f.id).is_none_or(Vec::is_empty);
            (f, new)
        })
        .filter(|(_, new)| all || *new)
        .collect();
    let new_by_id: HashMap<i64, bool> = selected.iter().map(|(f, n)| (f.id, *n)).collect();
    let assessed = crate::risk::assess_findings(
        store,
        config,
        selected.into_iter().map(|(f, _)| f).collect(),
    )?;
    let evaluated = assessed.len();
    let recorded: HashMap<i64, DecisionRecord> = store
        .decisions(Some(&req.asset))?
        .into_iter()
        .map(|d| (d.finding_id, d))
        .collect();
    let events = events_by_finding(
        store,
        EventQuery {
            finding_ids: Some(assessed.iter().map(|a| a.finding.id).collect()),
            ..EventQuery::default()
        },
    )?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for af in &assessed {
        let new = new_by_id.get(&af.finding.id).copied().unwrap_or(true);
        // its own decision, else one on the same issue on the baseline
        let decision = decision_of(&af.finding, recorded.get(&af.finding.id)).or_else(|| {
            baseline_of
                .get(&af.finding.id)
                .into_iter()
                .flatten()
                .filter_map(|id| by_id.get(id).map(|b| decision_of(b, recorded.get(id))))
                .flatten()
                .find(|d| EXCEPTION_STATES.contains(&d.state))
        });
        let ev = events.get(&af.finding.id).map(Vec::as_slice).unwrap_or(&[]);
        let (gf, errs) = judge(policy, af, ev, config, req.now, new, decision.as_ref());
        errors.extend(errs);
        out.extend(gf);
    }
    out.sort_by_key(|g| (!g.blocked, g.id));
    let blocked = out.iter().filter(|g| g.blocked).count();
    let warnings = out
        .iter()
        .filter(|g| !g.blocked && !matches!(g.exception, Exception::Honoured { .. }))
        .count();
    let excepted = out
        .iter()
        .filter(|g| {
            matches!(g.exception, Exception::Honoured { .. })
                && g.matches.iter().any(RuleMatch::blocks)
        })
        .count();
    Ok(GateOutcome {
        asset: req.asset.clone(),
        branch: req.branch.clone(),
        baseline: req.baseline.clone(),
        policy: policy.source_name().to_string(),
        scope: if all { "all".into() } else { "new".into() },
        open_on_branch,
        evaluated,
        passed: blocked == 0 && errors.is_empty(),
        blocked,
        warnings,
        excepted,
        findings: out,
        errors,
        notes,
    })
}

/// One past gate run as the policy would have decided it.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestRun {
    pub at: Timestamp,
    pub asset: String,
    pub branch: String,
    /// Findings the gate would have evaluated (new relative to the baseline, or all on it).
    pub evaluated: usize,
    pub failed: bool,
    /// Findings that would have blocked.
    pub blocked: Vec<i64>,
    /// Findings with a `warn` or log-only match.
    pub reported: Vec<i64>,
}

/// A finding the policy would have escalated, first at `first_at`.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    pub finding_id: i64,
    pub asset: String,
    pub title: String,
    pub rule_id: String,
    pub target: Option<String>,
    pub first_at: Timestamp,
    pub mode: Mode,
}

/// A finding whose SLA days the policy changes.
#[derive(Debug, Clone, Serialize)]
pub struct SlaChange {
    pub finding_id: i64,
    pub asset: String,
    pub severity: String,
    pub default_days: Option<u32>,
    pub policy_days: Option<u32>,
    pub rule_id: String,
    pub past_sla_default: bool,
    pub past_sla_policy: bool,
}

/// SLA figures now, under the defaults and under the policy.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SlaFigures {
    pub open: usize,
    pub past_sla_default: usize,
    pub past_sla_policy: usize,
    pub changed: Vec<SlaChange>,
}

/// What the policy would have done over the stored history.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub policy: String,
    pub baseline: String,
    pub runs: Vec<BacktestRun>,
    pub gates_failed: usize,
    pub escalations: Vec<Escalation>,
    pub sla: SlaFigures,
    /// What each rule matches among the findings not fixed now.
    pub rules: Vec<crate::policy::RuleHits>,
}

/// Whether an occurrence was open at `t` (seen at or before `t`, not closed by then).
fn open_at(o: &OccurrenceRecord, t: Timestamp) -> bool {
    o.first_seen <= t && o.closed_at.is_none_or(|c| c > t)
}

/// The finding as it stood at `t` (status from its event log, `first_seen` kept) and the
/// triage decision in force then (with its approver, role and expiry, from the event).
fn as_of(
    f: &FindingRecord,
    events: &[posture_store::EventRecord],
    t: Timestamp,
) -> (FindingRecord, Option<Decision>) {
    let mut g = f.clone();
    g.triage = None;
    g.triage_reason = None;
    g.status = FindingStatus::Open;
    let mut decision = None;
    for e in events.iter().filter(|e| e.at <= t) {
        match e.kind.as_str() {
            "triaged" | "expired" => {
                let to = e
                    .to_status
                    .as_deref()
                    .and_then(|s| s.parse::<FindingStatus>().ok())
                    .filter(|s| *s != FindingStatus::Open);
                g.triage = to;
                g.triage_reason = e.reason.clone();
                decision = to.map(|state| Decision {
                    state,
                    reason: e.reason.clone(),
                    approver: e.approver.clone(),
                    role: e.role.clone(),
                    expires_at: e.expires_at,
                });
            }
            "fixed" => g.status = FindingStatus::Fixed,
            "opened" | "reopened" => g.status = FindingStatus::Open,
            _ => {}
        }
    }
    if g.status != FindingStatus::Fixed
        && let Some(t) = g.triage
    {
        g.status = t;
    }
    (g, decision)
}

/// Replays the policy over the stored history of one asset (or every asset).
///
/// Each past ingest (one asset, branch and time) is a gate run on that branch: findings with
/// an occurrence open on the branch at that time, new relative to the baseline at that time,
/// with their triage state from the event log then, and their age then. Risk uses today's
/// feeds (the feed history is not kept). Escalations are evaluated on every finding open at
/// each run; SLA figures compare open findings past SLA now under the defaults and under the
/// policy.
pub fn backtest(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    policy: &Policy,
    asset: Option<&str>,
    baseline: &str,
    now: Timestamp,
) -> Result<Backtest, AppError> {
    let findings = store.findings(&FindingQuery {
        asset: asset.map(str::to_string),
        status: None,
        ..FindingQuery::default()
    })?;
    let events = events_by_finding(
        store,
        EventQuery {
            asset: asset.map(str::to_string),
            ..EventQuery::default()
        },
    )?;
    let assessed = crate::risk::assess_findings(store, config, findings)?;
    let mut by_asset: HashMap<&str, Vec<&AssessedFinding>> = HashMap::new();
    for af in &assessed {
        by_asset
            .entry(af.finding.asset.as_str())
            .or_default()
            .push(af);
    }
    let mut scans = store.scans(&ScanQuery {
        asset: asset.map(str::to_string),
        ..ScanQuery::default()
    })?;
    scans.retain(|s| s.kind != "runtime");
    // One gate run per (time, asset, branch): an ingest of several reports.
    let mut run_keys: BTreeMap<(Timestamp, String, String), ()> = BTreeMap::new();
    for s in &scans {
        run_keys.insert((s.at, s.asset.clone(), s.branch.clone()), ());
    }
    let no_events = Vec::new();
    let mut runs = Vec::new();
    let mut escalations: BTreeMap<(i64, String), Escalation> = BTreeMap::new();
    for (at, run_asset, branch) in run_keys.into_keys() {
        let mut run = BacktestRun {
            at,
            asset: run_asset.clone(),
            branch: branch.clone(),
            evaluated: 0,
            failed: false,
            blocked: Vec::new(),
            reported: Vec::new(),
        };
        for af in by_asset.get(run_asset.as_str()).into_iter().flatten() {
            let f = &af.finding;
            let on_branch = f
                .occurrences
                .iter()
                .any(|o| o.branch == branch && open_at(o, at));
            let open_anywhere = f.occurrences.iter().any(|o| open_at(o, at));
            if !open_anywhere {
                continue;
            }
            let on_baseline = f
                .occurrences
                .iter()
                .any(|o| o.branch == baseline && open_at(o, at));
            let new = branch == baseline || !on_baseline;
            let ev = events.get(&f.id).unwrap_or(&no_events);
            let (finding_then, decision) = as_of(f, ev, at);
            let then = AssessedFinding {
                finding: finding_then,
                ..(*af).clone()
            };
            if then.finding.status == FindingStatus::Fixed {
                continue;
            }
            let (ctx, _) = full_context(Some(policy), &then, ev, config, at, new);
            let eval = policy.evaluate_checked(&ctx, at);
            for m in &eval.matches {
                if let Action::Escalate { target, .. } = &m.action {
                    escalations
                        .entry((f.id, m.rule_id.clone()))
                        .or_insert_with(|| Escalation {
                            finding_id: f.id,
                            asset: f.asset.clone(),
                            title: f.title.clone(),
                            rule_id: m.rule_id.clone(),
                            target: target.clone(),
                            first_at: at,
                            mode: m.mode,
                        });
                }
            }
            if !on_branch || !new {
                continue;
            }
            run.evaluated += 1;
            let exception = exception_status(decision.as_ref(), &eval.matches, at);
            let blocks = eval.matches.iter().any(RuleMatch::blocks)
                && !matches!(exception, Exception::Honoured { .. });
            if blocks {
                run.blocked.push(f.id);
            } else if eval
                .matches
                .iter()
                .any(|m| matches!(m.action, Action::Warn | Action::Block))
            {
                run.reported.push(f.id);
            }
        }
        run.failed = !run.blocked.is_empty();
        runs.push(run);
    }
    let mut sla = SlaFigures::default();
    for af in &assessed {
        let f = &af.finding;
        if !matches!(
            f.status,
            FindingStatus::Open | FindingStatus::Confirmed | FindingStatus::InProgress
        ) {
            continue;
        }
        sla.open += 1;
        let ev = events.get(&f.id).unwrap_or(&no_events);
        let default_days = posture_model::default_sla_days(Some(af.risk.band.as_str()), f.severity);
        let chosen = crate::policy::choose_sla(Some(policy), af, ev, config, now, true);
        let d = past_sla(f, ev, default_days, now);
        let p = past_sla(f, ev, chosen.days, now);
        sla.past_sla_default += usize::from(d);
        sla.past_sla_policy += usize::from(p);
        if chosen.days != default_days {
            sla.changed.push(SlaChange {
                finding_id: f.id,
                asset: f.asset.clone(),
                severity: f.severity.as_str().to_string(),
                default_days,
                policy_days: chosen.days,
                rule_id: chosen.source,
                past_sla_default: d,
                past_sla_policy: p,
            });
        }
    }
    Ok(Backtest {
        policy: policy.source_name().to_string(),
        baseline: baseline.to_string(),
        gates_failed: runs.iter().filter(|r| r.failed).count(),
        runs,
        escalations: escalations.into_values().collect(),
        sla,
        rules: crate::policy::rule_hits(store, config, policy, asset, now)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_policy::{Action, Mode, RuleMatch};

    fn now() -> Timestamp {
        "2026-06-01T00:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn vp_rule() -> RuleMatch {
        RuleMatch {
            rule_id: "needs-vp".into(),
            description: None,
            action: Action::RequireApproval {
                role: "vp".into(),
                states: vec!["accepted".into()],
                max_days: None,
                allow_unauthenticated: true,
            },
            mode: Mode::Enforce,
            line: 1,
        }
    }

    fn decision(state: FindingStatus, role: Option<&str>, expires: Option<&str>) -> Decision {
        Decision {
            state,
            reason: Some("r".into()),
            approver: role.map(|_| "dana".into()),
            role: role.map(str::to_string),
            expires_at: expires.and_then(|e| e.parse().ok()),
        }
    }

    #[test]
    fn an_approval_needs_the_named_role() {
        let m = [vp_rule()];
        let d = decision(FindingStatus::Accepted, Some("VP"), None);
        assert!(matches!(
            exception_status(Some(&d), &m, now()),
            Exception::Honoured { .. }
        ));
        // a decision recorded without a role (before the workflow kept roles) approves nothing
        let d = decision(FindingStatus::Accepted, None, None);
        assert!(matches!(
            exception_status(Some(&d), &m, now()),
            Exception::NeedsApproval { .. }
        ));
        let d = decision(FindingStatus::Accepted, Some("team-lead"), None);
        assert_eq!(
            exception_status(Some(&d), &m, now()),
            Exception::NeedsApproval {
                state: "accepted".into(),
                role: "vp".into(),
                rule_id: "needs-vp".into()
            }
        );
        // the rule names `accepted` only: a false positive needs no vp
        let d = decision(FindingStatus::FalsePositive, Some("team-lead"), None);
        assert!(matches!(
            exception_status(Some(&d), &m, now()),
            Exception::Honoured { .. }
        ));
        // a log-only approval rule asks for nothing
        let mut lo = vp_rule();
        lo.mode = Mode::LogOnly;
        let d = decision(FindingStatus::Accepted, Some("team-lead"), None);
        assert!(matches!(
            exception_status(Some(&d), &[lo], now()),
            Exception::Honoured { .. }
        ));
    }

    #[test]
    fn expired_and_non_exception_decisions_do_not_excuse() {
        let d = decision(
            FindingStatus::Accepted,
            Some("vp"),
            Some("2026-05-31T00:00:00Z"),
        );
        assert_eq!(
            exception_status(Some(&d), &[], now()),
            Exception::Expired {
                state: "accepted".into()
            }
        );
        let d = decision(
            FindingStatus::Accepted,
            Some("vp"),
            Some("2026-06-02T00:00:00Z"),
        );
        assert!(matches!(
            exception_status(Some(&d), &[], now()),
            Exception::Honoured { .. }
        ));
        let d = decision(FindingStatus::Confirmed, None, None);
        assert_eq!(exception_status(Some(&d), &[], now()), Exception::None);
        assert_eq!(exception_status(None, &[], now()), Exception::None);
    }
}
