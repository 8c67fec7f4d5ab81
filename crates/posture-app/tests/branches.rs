//! The branch model and the gate's baseline with the real reports of the multiscan corpus's
//! vulnerable-flask-app (issue 14, observations 1 and 2), on SQLite and PostgreSQL: a finding's
//! status follows the default branch (merge-request branches never keep it open), the gate
//! compares branches by each tool's own identity (never by how correlation joined things),
//! baseline decisions apply on the branch, a format switch opens and closes nothing, and
//! branches retire (deleted or idle) without counting fixes.

use posture_app::branches::BranchSettings;
use posture_app::gate::{GateOutcome, GateRequest, run_gate};
use posture_app::workflow::{DecisionRequest, DecisionRules, NoApprovalRequired, decide};
use posture_app::{IngestRequest, ReportSource, ingest};
use posture_model::{FindingStatus, Timestamp};
use posture_policy::Policy;
use posture_store::testing::TestBackend;
use posture_store::{
    BranchFilter, EventQuery, FindingQuery, FindingRecord, IngestOutcome, Store, on_both_backends,
};
use std::path::{Path, PathBuf};

const DAY: i64 = 86_400_000;

fn day(n: i64) -> Timestamp {
    Timestamp::from_millisecond(1_767_571_200_000 + n * DAY).expect("time")
}

fn flask() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
        .join("multiscan/vulnerable-flask-app");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: no corpus at {}: branch model tests SKIPPED",
            dir.display()
        );
        None
    }
}

fn report(dir: &Path, name: &str) -> ReportSource {
    let path = dir.join(name);
    ReportSource {
        name: name.to_string(),
        bytes: std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        format: None,
    }
}

fn upload(
    store: &dyn Store,
    branch: &str,
    reports: &[ReportSource],
    at: Timestamp,
) -> IngestOutcome {
    upload_with(store, branch, reports, at, BranchSettings::default())
}

fn upload_with(
    store: &dyn Store,
    branch: &str,
    reports: &[ReportSource],
    at: Timestamp,
    branches: BranchSettings,
) -> IngestOutcome {
    ingest(
        store,
        reports,
        IngestRequest {
            asset: "flask".into(),
            branch: branch.into(),
            target: None,
            commit: None,
            format: None,
            kind: posture_store::ScanKind::Findings,
            at,
            force: false,
            thresholds: Default::default(),
            branches,
        },
    )
    .unwrap_or_else(|e| panic!("ingest on {branch}: {e}"))
    .0
}

/// Findings of the default branch (what the portfolio, metrics and dashboards count).
fn default_findings(store: &dyn Store, status: Option<FindingStatus>) -> Vec<FindingRecord> {
    store
        .findings(&FindingQuery {
            status: status.map(|s| vec![s]),
            ..FindingQuery::default()
        })
        .expect("findings")
}

fn bandit_without_b113_at_17(dir: &Path) -> ReportSource {
    bandit_without(dir, "B113", "./tests/e2e_zap.py", 17)
}

/// bandit.json without its one result of `test_id` at `file:line`.
fn bandit_without(dir: &Path, test_id: &str, file: &str, line: u32) -> ReportSource {
    let path = dir.join("bandit.json");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("bandit.json")).expect("json");
    let results = doc["results"].as_array_mut().expect("results");
    let before = results.len();
    results.retain(|r| {
        !(r["test_id"] == test_id && r["filename"] == file && r["line_number"] == line)
    });
    assert_eq!(
        results.len(),
        before - 1,
        "the report has {test_id} at {file}:{line}"
    );
    ReportSource {
        name: "bandit.json".into(),
        bytes: serde_json::to_vec(&doc).expect("json"),
        format: None,
    }
}

/// The finding holding bandit's B113 at tests/e2e_zap.py:17 on `branch`.
fn b113_at_17(store: &dyn Store, branch: &str) -> FindingRecord {
    bandit_finding(store, branch, "B113", 17)
}

/// The finding holding bandit's `test_id` at `line` on `branch`.
fn bandit_finding(store: &dyn Store, branch: &str, test_id: &str, line: u32) -> FindingRecord {
    store
        .findings(&FindingQuery {
            branch: BranchFilter::Any,
            ..FindingQuery::default()
        })
        .expect("findings")
        .into_iter()
        .find(|f| {
            f.occurrences.iter().any(|o| {
                o.tool == "bandit"
                    && o.branch == branch
                    && o.data.rule_id == test_id
                    && o.data.location.start_line == Some(line)
            })
        })
        .unwrap_or_else(|| panic!("the finding of {test_id} at line {line} on {branch}"))
}

/// Observation 1: bandit on main and on two feature branches; B113 at tests/e2e_zap.py:17
/// removed from main's report and main uploaded again: the finding is fixed (the branches'
/// occurrences do not keep it open), with one `fixed` event.
fn observation_1_main_fixes_what_branches_still_report(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let s = b.store();
    let bandit = report(&dir, "bandit.json");
    upload(&*s, "main", std::slice::from_ref(&bandit), day(0));
    upload(&*s, "feature/a", std::slice::from_ref(&bandit), day(1));
    upload(&*s, "feature/b", std::slice::from_ref(&bandit), day(1));
    let open_before = default_findings(&*s, Some(FindingStatus::Open)).len();
    let id = b113_at_17(&*s, "main").id;

    let o = upload(&*s, "main", &[bandit_without_b113_at_17(&dir)], day(2));
    assert_eq!(o.total().closed, 1, "main's occurrence closes");
    assert_eq!(o.total().fixed, 1, "and the finding is fixed");
    let f = s.finding(id).expect("read").expect("finding");
    assert_eq!(f.status, FindingStatus::Fixed, "{f:?}");
    assert_eq!(
        default_findings(&*s, Some(FindingStatus::Open)).len(),
        open_before - 1
    );
    // the feature branches still report it: it is open there (a branch view) ...
    for branch in ["feature/a", "feature/b"] {
        let on_branch = s
            .findings(&FindingQuery {
                branch: BranchFilter::Only(branch.into()),
                status: Some(vec![FindingStatus::Open]),
                ..FindingQuery::default()
            })
            .expect("branch view");
        assert!(on_branch.iter().any(|g| g.id == id), "open on {branch}");
    }
    // ... and a branch's next scan reopens nothing
    let o = upload(&*s, "feature/a", &[report(&dir, "bandit.json")], day(3));
    assert_eq!((o.total().reopened, o.total().new), (0, 0));
    let events = s
        .event_log(&EventQuery {
            finding_ids: Some(vec![id]),
            ..EventQuery::default()
        })
        .expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "fixed"], "{kinds:?}");
    assert_eq!(
        s.finding(id).expect("read").expect("f").status,
        FindingStatus::Fixed
    );
}

const POLICY: &str = r#"
[[rule]]
id = "medium-or-worse-blocks"
description = "Medium or worse blocks"
when = 'finding.severity_rank >= 2'
action = "block"
"#;

fn policy() -> Policy {
    Policy::parse(POLICY, "test-policy.toml").unwrap_or_else(|e| panic!("{e:?}"))
}

fn gate(store: &dyn Store, branch: &str, all: bool, at: Timestamp) -> GateOutcome {
    run_gate(
        store,
        None,
        &policy(),
        &GateRequest {
            asset: "flask".into(),
            branch: branch.into(),
            baseline: "main".into(),
            all,
            now: at,
            allow_new_asset: false,
        },
    )
    .expect("gate")
}

fn accept(store: &dyn Store, id: i64, at: Timestamp) {
    decide(
        store,
        DecisionRequest {
            finding_id: id,
            state: FindingStatus::Accepted,
            reason: "accepted on main".into(),
            actor: "alice".into(),
            until: Some(day(90)),
            approver: None,
            role: None,
            at,
            unauthenticated: false,
        },
        &DecisionRules {
            approval: &NoApprovalRequired,
            acceptance_needs_expiry: true,
        },
    )
    .expect("accept");
}

/// Observation 2: main's own semgrep and bandit reports on feature/x (uploaded in the other
/// order, so correlation joins other occurrences there): 0 new, 0 blocking; acceptances made
/// on main hold on the branch; switching main's semgrep from JSON to SARIF opens and closes
/// nothing.
fn observation_2_the_gate_does_not_block_on_what_main_has(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let s = b.store();
    // main: bandit first, then semgrep (semgrep's results correlate into bandit's findings)
    upload(&*s, "main", &[report(&dir, "bandit.json")], day(0));
    upload(&*s, "main", &[report(&dir, "semgrep.json")], day(0));
    // the branch: semgrep first, then bandit
    upload(&*s, "feature/x", &[report(&dir, "semgrep.json")], day(1));
    upload(&*s, "feature/x", &[report(&dir, "bandit.json")], day(1));

    let g = gate(&*s, "feature/x", false, day(1));
    assert_eq!((g.evaluated, g.blocked), (0, 0), "{:#?}", g.findings);
    assert!(g.passed);

    // two blocking findings accepted on main: honoured on the branch too
    let on_main = gate(&*s, "main", true, day(1));
    assert!(
        on_main.blocked >= 2,
        "the policy blocks on main: {}",
        on_main.blocked
    );
    let accepted: Vec<i64> = on_main
        .findings
        .iter()
        .filter(|f| f.blocked)
        .take(2)
        .map(|f| f.id)
        .collect();
    for id in &accepted {
        accept(&*s, *id, day(2));
    }
    let main_all = gate(&*s, "main", true, day(2));
    assert_eq!(main_all.blocked, on_main.blocked - 2);
    // the branch's findings holding the accepted issues (by each tool's identity) are excused
    let all = s
        .findings(&FindingQuery {
            branch: BranchFilter::Any,
            ..FindingQuery::default()
        })
        .expect("findings");
    let accepted_results: Vec<(String, String)> = all
        .iter()
        .filter(|f| accepted.contains(&f.id))
        .flat_map(|f| &f.occurrences)
        .filter(|o| o.open && o.branch == "main")
        .map(|o| (o.tool.clone(), o.fingerprint.clone()))
        .collect();
    let on_branch: Vec<i64> = all
        .iter()
        .filter(|f| {
            f.occurrences.iter().any(|o| {
                o.open
                    && o.branch == "feature/x"
                    && accepted_results.contains(&(o.tool.clone(), o.fingerprint.clone()))
            })
        })
        .map(|f| f.id)
        .collect();
    assert!(!on_branch.is_empty());
    let branch_all = gate(&*s, "feature/x", true, day(2));
    for id in &on_branch {
        let g = branch_all
            .findings
            .iter()
            .find(|g| g.id == *id)
            .unwrap_or_else(|| panic!("finding {id} judged on the branch"));
        assert!(
            !g.blocked && matches!(g.exception, posture_app::gate::Exception::Honoured { .. }),
            "main's acceptance holds on the branch: {g:#?}"
        );
    }
    let g = gate(&*s, "feature/x", false, day(2));
    assert_eq!((g.evaluated, g.blocked), (0, 0));

    // semgrep JSON -> SARIF on main: the same results, nothing opened or closed
    let findings_before = default_findings(&*s, None).len();
    let o = upload(&*s, "main", &[report(&dir, "semgrep.sarif")], day(3));
    let t = o.total();
    assert_eq!(
        (t.new, t.closed, t.fixed, t.reopened),
        (0, 0, 0, 0),
        "a format switch changes nothing: {t:?}"
    );
    assert_eq!(default_findings(&*s, None).len(), findings_before);
    // and the gate with the branch's JSON still sees nothing new
    let g = gate(&*s, "feature/x", false, day(3));
    assert_eq!((g.evaluated, g.blocked), (0, 0), "{:#?}", g.findings);
    // bandit and checkov switch too
    for (json, sarif) in [
        ("bandit.json", "bandit.sarif"),
        ("checkov.json", "checkov.sarif"),
    ] {
        upload(&*s, "main", &[report(&dir, json)], day(4));
        let t = upload(&*s, "main", &[report(&dir, sarif)], day(5)).total();
        assert_eq!(
            (t.new, t.closed, t.fixed, t.reopened),
            (0, 0, 0, 0),
            "{json} -> {sarif}: {t:?}"
        );
    }
}

/// A finding only a merge-request branch reports is a branch finding: not in the default
/// views, no `opened` event; main reporting it opens it then.
fn branch_findings_are_not_the_portfolio_until_main_reports_them(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let s = b.store();
    // the SQL injection at app/app.py:261 is only on the merge request's branch
    upload(
        &*s,
        "main",
        &[bandit_without(&dir, "B608", "./app/app.py", 261)],
        day(0),
    );
    let open_main = default_findings(&*s, Some(FindingStatus::Open)).len();
    let o = upload(&*s, "feature/x", &[report(&dir, "bandit.json")], day(1));
    assert_eq!(o.total().new, 1, "{:?}", o.total());
    assert_eq!(
        default_findings(&*s, Some(FindingStatus::Open)).len(),
        open_main
    );
    let id = bandit_finding(&*s, "feature/x", "B608", 261).id;
    let events = s
        .event_log(&EventQuery {
            finding_ids: Some(vec![id]),
            ..EventQuery::default()
        })
        .expect("events");
    assert!(events.is_empty(), "{events:?}");
    // the gate sees it as new on the branch
    let g = gate(&*s, "feature/x", false, day(1));
    assert_eq!(g.evaluated, 1);
    // merged: main reports it, it opens now
    let o = upload(&*s, "main", &[report(&dir, "bandit.json")], day(2));
    assert_eq!(o.total().promoted, 1, "{:?}", o.total());
    assert_eq!(
        default_findings(&*s, Some(FindingStatus::Open)).len(),
        open_main + 1
    );
    let f = s.finding(id).expect("read").expect("f");
    assert_eq!((f.status, f.first_seen), (FindingStatus::Open, day(2)));
}

/// `branches list|delete` and idle retirement with an injected clock: occurrences close, no
/// finding is fixed, no `fixed` event; the default branch cannot be deleted; a new scan
/// brings a retired branch back.
fn branches_are_listed_deleted_and_retire_when_idle(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let s = b.store();
    let bandit = report(&dir, "bandit.json");
    upload(&*s, "main", std::slice::from_ref(&bandit), day(0));
    upload(&*s, "feature/a", std::slice::from_ref(&bandit), day(1));
    upload(
        &*s,
        "feature/b",
        &[bandit_without_b113_at_17(&dir)],
        day(20),
    );
    // a branch finding, only on feature/c
    upload(&*s, "main", &[bandit_without_b113_at_17(&dir)], day(21));
    upload(&*s, "feature/c", std::slice::from_ref(&bandit), day(22));
    let fixed_events = |s: &dyn Store| {
        s.event_log(&EventQuery::default())
            .expect("events")
            .iter()
            .filter(|e| e.kind == "fixed")
            .count()
    };
    let fixed_before = fixed_events(&*s);
    let open_before = default_findings(&*s, Some(FindingStatus::Open)).len();

    let list = posture_app::branches::list(&*s, "flask").expect("list");
    let names: Vec<(&str, bool)> = list
        .iter()
        .map(|b| (b.branch.as_str(), b.default))
        .collect();
    assert_eq!(
        names,
        [
            ("main", true),
            ("feature/a", false),
            ("feature/b", false),
            ("feature/c", false)
        ]
    );
    assert!(list.iter().all(|b| b.retired_at.is_none()));
    assert_eq!(list[1].open_occurrences, 18);
    assert!(posture_app::branches::list(&*s, "flask-ap").is_err());

    // the default branch cannot be deleted
    let err = posture_app::branches::delete(&*s, "flask", "main", day(23)).expect_err("main");
    assert!(err.to_string().contains("default branch"), "{err}");
    assert!(posture_app::branches::delete(&*s, "flask", "feature/zz", day(23)).is_err());
    // deleting feature/c closes its occurrences (the branch finding among them), fixes nothing
    let done = posture_app::branches::delete(&*s, "flask", "feature/c", day(23)).expect("delete");
    assert_eq!((done.closed_occurrences, done.fixed_findings), (18, 0));
    assert_eq!(fixed_events(&*s), fixed_before);

    // an ingest 31 days after feature/a's last scan retires it (feature/b: 12 days idle)
    let o = upload(&*s, "main", &[bandit_without_b113_at_17(&dir)], day(32));
    assert_eq!(o.total().fixed, 0);
    let list = posture_app::branches::list(&*s, "flask").expect("list");
    let retired: Vec<&str> = list
        .iter()
        .filter(|b| b.retired_at.is_some())
        .map(|b| b.branch.as_str())
        .collect();
    assert_eq!(retired, ["feature/a", "feature/c"]);
    assert_eq!(list[1].open_occurrences, 0);
    assert_eq!(fixed_events(&*s), fixed_before);
    assert_eq!(
        default_findings(&*s, Some(FindingStatus::Open)).len(),
        open_before
    );
    // the scheduled sweep (every asset) at day 60 retires feature/b too
    let swept = posture_app::branches::retire_idle(&*s, None, day(60), 30).expect("sweep");
    assert_eq!(
        swept.iter().map(|r| r.branch.as_str()).collect::<Vec<_>>(),
        ["feature/b"]
    );
    assert_eq!(fixed_events(&*s), fixed_before);
    // a new scan of a retired branch (the same bytes) brings it back
    let o = upload(&*s, "feature/a", std::slice::from_ref(&bandit), day(61));
    assert_eq!(o.total().reopened, 0);
    let list = posture_app::branches::list(&*s, "flask").expect("list");
    let a = list.iter().find(|b| b.branch == "feature/a").expect("a");
    assert_eq!((a.retired_at, a.open_occurrences), (None, 18));
}

/// posture.toml's default branch: an asset whose default is `trunk` has its status follow
/// `trunk`, and `main` is an ordinary branch for it.
fn the_default_branch_comes_from_the_settings(b: &TestBackend) {
    let Some(dir) = flask() else { return };
    let s = b.store();
    let trunk = BranchSettings {
        default_branch: "trunk".into(),
        retire_after_days: 30,
    };
    upload_with(
        &*s,
        "main",
        &[report(&dir, "bandit.json")],
        day(0),
        trunk.clone(),
    );
    assert!(default_findings(&*s, None).is_empty());
    upload_with(
        &*s,
        "trunk",
        &[report(&dir, "bandit.json")],
        day(1),
        trunk.clone(),
    );
    let open = default_findings(&*s, Some(FindingStatus::Open)).len();
    assert!(open > 0);
    let o = upload_with(
        &*s,
        "trunk",
        &[bandit_without_b113_at_17(&dir)],
        day(2),
        trunk,
    );
    assert_eq!(o.total().fixed, 1);
}

on_both_backends!(
    observation_1_main_fixes_what_branches_still_report,
    observation_2_the_gate_does_not_block_on_what_main_has,
    branch_findings_are_not_the_portfolio_until_main_reports_them,
    branches_are_listed_deleted_and_retire_when_idle,
    the_default_branch_comes_from_the_settings,
);
