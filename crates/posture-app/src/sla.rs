//! SLA due dates, pauses and breaches, computed from a finding and its event log.
//!
//! Pure functions (no store, no clock): the CLI, the policy engine and the server call them
//! with the events they read and the time they mean ("now" or an as-of date), so an SLA
//! figure is the same wherever it is shown and can be computed for any date in the past.
//!
//! Rules:
//! * the clock starts when the finding was first seen, or at its last reopening (a regression
//!   gets a fresh SLA);
//! * it runs while the finding is unresolved and not accepted; an acceptance (or deferral)
//!   pauses it, from the decision until the acceptance ends (another decision, or its
//!   expiry);
//! * it stops when the finding is resolved (fixed, false positive, not affected);
//! * the budget is the [`SlaRule`]'s days (critical 7, high 30, medium 90, low 180 by
//!   default); the finding breaches when its running time reaches the budget, and it is
//!   due soon when at most 20% of the budget is left.

use crate::workflow::{SlaRule, is_resolved};
use posture_model::{FindingStatus, Timestamp};
use posture_store::{EventRecord, FindingRecord};
use serde::Serialize;

const DAY_MS: i64 = 86_400_000;

/// Where a finding stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlaState {
    /// More than 20% of the budget left.
    Within,
    /// At most 20% of the budget left.
    DueSoon,
    /// The budget is spent.
    Breached,
    /// Accepted (or deferred): the clock does not run.
    Paused,
    /// No SLA applies: resolved, not yet seen, or the rule gives none (info).
    None,
}

impl SlaState {
    pub const ALL: [SlaState; 5] = [
        SlaState::Within,
        SlaState::DueSoon,
        SlaState::Breached,
        SlaState::Paused,
        SlaState::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Within => "within",
            SlaState::DueSoon => "due-soon",
            SlaState::Breached => "breached",
            SlaState::Paused => "paused",
            SlaState::None => "none",
        }
    }
}

impl std::fmt::Display for SlaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SlaState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        SlaState::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "unknown SLA state `{s}` (expected one of: {})",
                    SlaState::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// A finding's SLA as of a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sla {
    pub state: SlaState,
    /// The budget in days (`None`: no SLA).
    pub days: Option<u32>,
    /// When the clock (re)started: first seen, or the last reopening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// When it is (or was) due: the start plus the budget plus every pause so far; while
    /// paused, the date it would be due if the pause ended now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// When the running time reached the budget, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breached_at: Option<Timestamp>,
    /// Milliseconds the clock was paused since it started.
    pub paused_ms: i64,
    /// Milliseconds of budget left (negative once breached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
}

impl Sla {
    fn none(days: Option<u32>) -> Sla {
        Sla {
            state: SlaState::None,
            days,
            started: None,
            due: None,
            breached_at: None,
            paused_ms: 0,
            remaining_ms: None,
        }
    }
}

/// A finding's history replayed up to a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Its displayed status then (`None`: it did not exist yet).
    pub status: Option<FindingStatus>,
    /// When the current open cycle started (first seen or last reopening).
    pub cycle_start: Option<Timestamp>,
    /// Periods the finding was accepted since the cycle started (the last one may be open:
    /// `None` end = still accepted at the time).
    pub accepted: Vec<(Timestamp, Option<Timestamp>)>,
    /// When the finding was resolved, if it is resolved at the time.
    pub resolved_at: Option<Timestamp>,
}

/// Replays a finding's events (any order; only those at or before `at` count) into its status
/// at `at`. A reopened finding returns to its triage decision, as ingest does.
pub fn replay(finding: &FindingRecord, events: &[EventRecord], at: Timestamp) -> Replay {
    let mut evs: Vec<&EventRecord> = events
        .iter()
        .filter(|e| e.finding_id == finding.id && e.at <= at)
        .collect();
    evs.sort_by_key(|e| (e.at, e.id));
    let has_opened = evs.iter().any(|e| e.kind == "opened");
    let mut exists = !has_opened && finding.first_seen <= at;
    let mut scan_open = exists;
    let mut decision: Option<FindingStatus> = None;
    let mut cycle_start = exists.then_some(finding.first_seen);
    let mut accepted: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    let mut resolved_at: Option<Timestamp> = None;
    let display = |scan_open: bool, decision: Option<FindingStatus>| {
        if scan_open {
            decision.unwrap_or(FindingStatus::Open)
        } else {
            FindingStatus::Fixed
        }
    };
    for e in evs {
        let before = display(scan_open, decision);
        match e.kind.as_str() {
            "opened" => {
                exists = true;
                scan_open = true;
                cycle_start = Some(e.at);
                accepted.clear();
            }
            "reopened" => {
                scan_open = true;
                cycle_start = Some(e.at);
                accepted.clear();
            }
            "fixed" => scan_open = false,
            "triaged" => {
                decision = e
                    .to_status
                    .as_deref()
                    .and_then(|s| s.parse::<FindingStatus>().ok())
                    .filter(|s| *s != FindingStatus::Open && *s != FindingStatus::Fixed);
            }
            "expired" => decision = None,
            _ => continue,
        }
        let after = display(scan_open, decision);
        if !exists {
            continue;
        }
        // acceptance periods within the cycle
        let was_accepted = before == FindingStatus::Accepted;
        let is_accepted = after == FindingStatus::Accepted;
        if is_accepted && (!was_accepted || accepted.is_empty()) {
            accepted.push((e.at, None));
        } else if was_accepted
            && !is_accepted
            && let Some(last) = accepted.last_mut()
            && last.1.is_none()
        {
            last.1 = Some(e.at);
        }
        if is_resolved(after) {
            if !is_resolved(before) || resolved_at.is_none() {
                resolved_at = Some(e.at);
            }
        } else {
            resolved_at = None;
        }
    }
    Replay {
        status: exists.then(|| display(scan_open, decision)),
        cycle_start: if exists { cycle_start } else { None },
        accepted,
        resolved_at,
    }
}

/// The SLA of a finding as of `at`, with the budget the rule gives it.
pub fn sla_at(
    finding: &FindingRecord,
    events: &[EventRecord],
    rule: &dyn SlaRule,
    at: Timestamp,
) -> Sla {
    let days = rule.sla_days(finding);
    sla_with_days(finding, events, days, at)
}

/// [`sla_at`] with the budget given.
pub fn sla_with_days(
    finding: &FindingRecord,
    events: &[EventRecord],
    days: Option<u32>,
    at: Timestamp,
) -> Sla {
    let Some(days) = days else {
        return Sla::none(None);
    };
    let r = replay(finding, events, at);
    let (Some(status), Some(start)) = (r.status, r.cycle_start) else {
        return Sla::none(Some(days));
    };
    let budget = i64::from(days) * DAY_MS;
    // the clock runs from the start until resolution (or `at`), minus acceptance periods
    let end = if is_resolved(status) {
        r.resolved_at.unwrap_or(at).min(at)
    } else {
        at
    };
    let start_ms = start.as_millisecond();
    let end_ms = end.as_millisecond().max(start_ms);
    let mut pauses: Vec<(i64, i64)> = r
        .accepted
        .iter()
        .map(|(s, e)| {
            (
                s.as_millisecond().max(start_ms),
                e.map(|e| e.as_millisecond()).unwrap_or(end_ms).min(end_ms),
            )
        })
        .filter(|(s, e)| e > s)
        .collect();
    pauses.sort_unstable();
    // walk the running segments until the budget is spent
    let mut cursor = start_ms;
    let mut used = 0i64;
    let mut paused = 0i64;
    let mut breached_at: Option<i64> = None;
    let run = |from: i64, to: i64, used: &mut i64, breached_at: &mut Option<i64>| {
        if to <= from {
            return;
        }
        if breached_at.is_none() && *used + (to - from) >= budget {
            *breached_at = Some(from + (budget - *used));
        }
        *used += to - from;
    };
    for (ps, pe) in pauses {
        let ps = ps.max(cursor);
        run(cursor, ps, &mut used, &mut breached_at);
        if pe > ps {
            paused += pe - ps;
        }
        cursor = cursor.max(pe);
    }
    run(cursor, end_ms, &mut used, &mut breached_at);
    let remaining = budget - used;
    let due_ms = start_ms + budget + paused;
    let ts = |ms: i64| Timestamp::from_millisecond(ms).unwrap_or(start);
    let mut sla = Sla {
        state: SlaState::None,
        days: Some(days),
        started: Some(start),
        due: Some(ts(breached_at.unwrap_or(due_ms))),
        breached_at: breached_at.map(ts),
        paused_ms: paused,
        remaining_ms: Some(remaining),
    };
    sla.state = if is_resolved(status) {
        SlaState::None
    } else if status == FindingStatus::Accepted {
        // while paused, it would be due the remaining budget after now
        sla.due = Some(ts(at.as_millisecond() + remaining.max(0)));
        SlaState::Paused
    } else if breached_at.is_some() {
        SlaState::Breached
    } else if remaining * 5 <= budget {
        SlaState::DueSoon
    } else {
        SlaState::Within
    };
    sla
}

/// The `sla-breached` events to record as of `at`: one per unresolved finding whose running
/// time reached its budget in the current cycle and that has no such event since the cycle
/// started. Each is dated at the breach.
pub fn breaches_to_record(
    findings: &[FindingRecord],
    events: &[EventRecord],
    rule: &dyn SlaRule,
    at: Timestamp,
) -> Vec<posture_store::NewEvent> {
    let mut by_finding: std::collections::HashMap<i64, Vec<EventRecord>> =
        std::collections::HashMap::new();
    for e in events {
        by_finding.entry(e.finding_id).or_default().push(e.clone());
    }
    let empty = Vec::new();
    let mut out = Vec::new();
    for f in findings {
        let evs = by_finding.get(&f.id).unwrap_or(&empty);
        let sla = sla_at(f, evs, rule, at);
        let (Some(breached), Some(start)) = (sla.breached_at, sla.started) else {
            continue;
        };
        if sla.state == SlaState::None {
            continue;
        }
        let recorded = evs
            .iter()
            .any(|e| e.kind == "sla-breached" && e.at >= start && e.at <= at);
        if recorded {
            continue;
        }
        out.push(posture_store::NewEvent {
            finding_id: f.id,
            at: breached,
            kind: posture_model::EventKind::SlaBreached,
            actor: Some("posture".into()),
            from_status: None,
            to_status: None,
            reason: Some(format!(
                "{} SLA of {} day(s) breached (started {start})",
                f.severity,
                sla.days.unwrap_or_default()
            )),
        });
    }
    out
}
