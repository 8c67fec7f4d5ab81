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

#[cfg(test)]
mod tests {
    use super::*;
    use posture_model::{Category, Severity};
    use proptest::prelude::*;

    const DAY: i64 = DAY_MS;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_767_571_200_000 + ms).expect("time")
    }

    fn finding() -> FindingRecord {
        FindingRecord {
            id: 1,
            asset: "a".into(),
            status: FindingStatus::Open,
            severity: Severity::Critical,
            category: Category::Sca,
            title: "f".into(),
            rule_id: "r".into(),
            first_seen: t(0),
            last_seen: t(0),
            fixed_at: None,
            reopened: 0,
            triage: None,
            triage_reason: None,
            risk_score: None,
            risk_band: None,
            team: None,
            risk_version: 0,
            occurrences: Vec::new(),
        }
    }

    fn ev(id: i64, at: i64, kind: &str, to: Option<&str>) -> EventRecord {
        EventRecord {
            id,
            finding_id: 1,
            at: t(at),
            kind: kind.into(),
            scan_id: None,
            actor: None,
            from_status: None,
            to_status: to.map(str::to_string),
            reason: None,
            approver: None,
            role: None,
            expires_at: None,
        }
    }

    /// Events: opened at 0, then acceptances as (start offset, length) pairs laid end to
    /// end with gaps, each ended by a decision back to confirmed (or still running).
    fn history(pauses: &[(i64, i64)], last_open: bool) -> (Vec<EventRecord>, i64) {
        let mut events = vec![ev(1, 0, "opened", Some("open"))];
        let mut cursor = 0;
        let mut id = 2;
        for (i, (gap, len)) in pauses.iter().enumerate() {
            cursor += gap;
            events.push(ev(id, cursor, "triaged", Some("accepted")));
            id += 1;
            if i + 1 < pauses.len() || !last_open {
                cursor += len;
                events.push(ev(id, cursor, "triaged", Some("confirmed")));
                id += 1;
            }
        }
        (events, cursor)
    }

    proptest! {
        #[test]
        fn pauses_only_delay_a_breach_and_time_adds_up(
            pauses in proptest::collection::vec((1i64..5 * DAY, 1i64..5 * DAY), 0..5),
            last_open in any::<bool>(),
            extra in 0i64..20 * DAY,
        ) {
            let f = finding();
            let (events, end) = history(&pauses, last_open);
            let at = t(end + extra);
            let with = sla_with_days(&f, &events, Some(7), at);
            let without = sla_with_days(&f, &events[..1], Some(7), at);
            let elapsed = end + extra;
            // running time + paused time = elapsed time since the start
            let used = 7 * DAY - with.remaining_ms.unwrap_or_default();
            prop_assert_eq!(used + with.paused_ms, elapsed);
            // a pause never brings a breach forward
            match (with.breached_at, without.breached_at) {
                (Some(w), Some(wo)) => prop_assert!(w >= wo),
                (Some(_), None) => prop_assert!(false, "breach only with pauses"),
                _ => {}
            }
            // the state says paused exactly while accepted
            let accepted_now = last_open && !pauses.is_empty();
            prop_assert_eq!(with.state == SlaState::Paused, accepted_now);
            if !accepted_now {
                prop_assert_eq!(with.state == SlaState::Breached, used >= 7 * DAY);
            }
        }
    }

    #[test]
    fn a_reopened_finding_gets_a_fresh_clock_and_resolution_stops_it() {
        let f = finding();
        let events = vec![
            ev(1, 0, "opened", Some("open")),
            ev(2, 10 * DAY, "fixed", Some("fixed")),
            ev(3, 20 * DAY, "reopened", Some("open")),
        ];
        // fixed on day 10 (late): no SLA runs while fixed
        assert_eq!(
            sla_with_days(&f, &events, Some(7), t(15 * DAY)).state,
            SlaState::None
        );
        // reopened on day 20: a fresh 7 days
        let s = sla_with_days(&f, &events, Some(7), t(22 * DAY));
        assert_eq!(s.state, SlaState::Within);
        assert_eq!(s.started, Some(t(20 * DAY)));
        assert_eq!(s.due, Some(t(27 * DAY)));
        // no SLA for info
        assert_eq!(
            sla_with_days(&f, &events, None, t(22 * DAY)).state,
            SlaState::None
        );
        // before it existed
        assert_eq!(replay(&f, &events[..0], t(-1)).status, None);
    }
}
