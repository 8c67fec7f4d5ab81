//! The triage workflow on a real store (SQLite, and PostgreSQL when reachable): the state machine (every allowed and refused
//! move), acceptance with expiry and approval, expiry reopening findings, SLA pauses, and VEX
//! statements applied at ingest. Times are injected (no clock).

use posture_app::sla::{SlaState, sla_at};
use posture_app::workflow::{
    ApprovalRule, DecisionRequest, DecisionRules, DefaultSla, allowed_transitions, decide,
};
use posture_app::{AppError, IngestRequest, ReportSource, ingest};
use posture_model::{FindingStatus, Severity, Timestamp};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{EventQuery, FindingQuery, FindingRecord, Store};

const DAY: i64 = 86_400_000;

fn day(n: i64) -> Timestamp {
    // 2026-01-05T00:00:00Z, a Monday
    Timestamp::from_millisecond(1_767_571_200_000 + n * DAY).expect("time")
}

/// A Trivy filesystem report: one vulnerability per (CVE, severity, PyPI package).
fn trivy(vulns: &[(&str, &str, &str)]) -> Vec<u8> {
    let items: Vec<String> = vulns
        .iter()
        .map(|(cve, sev, pkg)| {
            format!(
                r#"{{"VulnerabilityID":"{cve}","PkgName":"{pkg}","InstalledVersion":"2.0.0","FixedVersion":"9.0.0","Severity":"{sev}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[{{"Target":"poetry.lock","Class":"lang-pkgs","Type":"poetry","Vulnerabilities":[{}]}}]}}"#,
        items.join(",")
    )
    .into_bytes()
}

fn scan(store: &dyn Store, name: &str, bytes: Vec<u8>, at: Timestamp) {
    ingest(
        store,
        &[ReportSource {
            name: name.to_string(),
            bytes,
            format: None,
        }],
        IngestRequest {
            asset: "shop".into(),
            branch: "main".into(),
            target: None,
            commit: None,
            format: None,
            kind: posture_store::ScanKind::Findings,
            at,
            force: false,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
    .expect("ingest");
}

fn by_cve(store: &dyn Store, cve: &str) -> FindingRecord {
    store
        .findings(&FindingQuery {
            status: None,
            ..Default::default()
        })
        .expect("findings")
        .into_iter()
        .find(|f| {
            f.occurrences
                .iter()
                .any(|o| o.data.vulnerability_ids.iter().any(|v| v == cve))
        })
        .unwrap_or_else(|| panic!("no finding for {cve}"))
}

fn request(id: i64, state: FindingStatus, at: Timestamp) -> DecisionRequest {
    DecisionRequest {
        finding_id: id,
        state,
        reason: format!("to {state}"),
        actor: "alice".into(),
        until: (state == FindingStatus::Accepted).then(|| day(60)),
        approver: None,
        role: None,
        at,
        unauthenticated: false,
    }
}

/// The state machine as the triage documentation states it, written out again here so that
/// a change to the table in the code is a failing test.
fn expected_allowed(from: FindingStatus, to: FindingStatus) -> bool {
    use FindingStatus::*;
    match (from, to) {
        (_, Fixed) => false,
        (Open, Open) => false,
        (Open, _) => true,
        (Confirmed, Confirmed) | (InProgress, InProgress) => false,
        (Confirmed | InProgress, _) => true,
        (FalsePositive, Open | Confirmed) => true,
        (FalsePositive, _) => false,
        (Accepted, _) => true,
        (NotAffected, Open | Confirmed | InProgress) => true,
        (NotAffected, _) => false,
        (Fixed, FalsePositive | NotAffected) => true,
        (Fixed, _) => false,
    }
}

fn every_allowed_and_refused_transition_through_the_store(b: &TestBackend) {
    let s = b.store();
    // one finding per (from, to) pair: 7 x 7 = 49 vulnerabilities
    let pairs: Vec<(FindingStatus, FindingStatus)> = FindingStatus::ALL
        .iter()
        .flat_map(|f| FindingStatus::ALL.iter().map(move |t| (*f, *t)))
        .collect();
    let cve = |i: usize| format!("CVE-2026-{:04}", 5000 + i);
    let pkg = |i: usize| format!("pkg{i}");
    let all: Vec<(String, String)> = (0..pairs.len()).map(|i| (cve(i), pkg(i))).collect();
    let report = |keep: &dyn Fn(usize) -> bool| {
        let v: Vec<(&str, &str, &str)> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, (c, p))| (c.as_str(), "HIGH", p.as_str()))
            .collect();
        trivy(&v)
    };
    scan(&*s, "r1.json", report(&|_| true), day(0));
    // the `fixed` starting states: left out of the second scan
    scan(
        &*s,
        "r2.json",
        report(&|i| pairs[i].0 != FindingStatus::Fixed),
        day(1),
    );
    let rules = DecisionRules::default();
    for (i, (from, to)) in pairs.iter().enumerate() {
        let f = by_cve(&*s, &cve(i));
        if !matches!(from, FindingStatus::Open | FindingStatus::Fixed) {
            decide(&*s, request(f.id, *from, day(2)), &rules).expect("set the starting state");
        }
        let f = by_cve(&*s, &cve(i));
        assert_eq!(f.status, *from, "starting state of pair {from} -> {to}");
        let result = decide(&*s, request(f.id, *to, day(3)), &rules);
        assert_eq!(
            allowed_transitions(*from).contains(to),
            expected_allowed(*from, *to),
            "table disagrees with the documentation for {from} -> {to}"
        );
        if expected_allowed(*from, *to) {
            let d = result.unwrap_or_else(|e| panic!("{from} -> {to} refused: {e}"));
            let shown = if *from == FindingStatus::Fixed {
                FindingStatus::Fixed
            } else {
                *to
            };
            assert_eq!(d.finding.status, shown, "{from} -> {to}");
            let events = s.events(f.id).expect("events");
            let last = events.last().expect("an event");
            assert_eq!(last.kind, "triaged");
            assert_eq!(last.actor.as_deref(), Some("alice"));
            assert_eq!(last.reason.as_deref(), Some(format!("to {to}").as_str()));
            assert_eq!(last.from_status.as_deref(), Some(from.as_str()));
            assert_eq!(last.to_status.as_deref(), Some(to.as_str()));
        } else {
            match result {
                Err(AppError::Transition {
                    from: f0, to: t0, ..
                }) => {
                    assert_eq!((f0, t0), (*from, *to));
                }
                other => panic!("{from} -> {to} should be refused, got {other:?}"),
            }
            assert_eq!(
                by_cve(&*s, &cve(i)).status,
                *from,
                "unchanged after refusal"
            );
        }
    }
}

/// "A critical needs approval from the vp role to be accepted."
struct VpApprovesCriticalAcceptance;

impl ApprovalRule for VpApprovesCriticalAcceptance {
    fn required_role(&self, finding: &FindingRecord, to: FindingStatus) -> Option<String> {
        (finding.severity == Severity::Critical && to == FindingStatus::Accepted)
            .then(|| "vp".to_string())
    }
}

fn acceptance_needs_expiry_and_the_required_approver_and_is_audited(b: &TestBackend) {
    let s = b.store();
    scan(
        &*s,
        "r1.json",
        trivy(&[
            ("CVE-2026-0001", "CRITICAL", "requests"),
            ("CVE-2026-0002", "LOW", "six"),
        ]),
        day(0),
    );
    let crit = by_cve(&*s, "CVE-2026-0001");
    let low = by_cve(&*s, "CVE-2026-0002");
    let rules = DecisionRules {
        approval: &VpApprovesCriticalAcceptance,
        acceptance_needs_expiry: true,
    };
    let accept = |id: i64, approver: Option<&str>, role: Option<&str>, until| DecisionRequest {
        finding_id: id,
        state: FindingStatus::Accepted,
        reason: "compensating WAF rule".into(),
        actor: "alice".into(),
        until,
        approver: approver.map(str::to_string),
        role: role.map(str::to_string),
        at: day(1),
        unauthenticated: false,
    };
    // no expiry
    let e = decide(
        &*s,
        accept(crit.id, Some("victor"), Some("vp"), None),
        &rules,
    )
    .expect_err("needs --until");
    assert!(e.to_string().contains("expiry"), "{e}");
    // expiry in the past
    let e = decide(
        &*s,
        accept(crit.id, Some("victor"), Some("vp"), Some(day(0))),
        &rules,
    )
    .expect_err("past expiry");
    assert!(e.to_string().contains("not in the future"), "{e}");
    // no approver
    let e = decide(&*s, accept(crit.id, None, None, Some(day(30))), &rules).expect_err("approver");
    assert!(matches!(e, AppError::Approval { .. }), "{e}");
    assert!(e.to_string().contains("`vp` role"), "{e}");
    // the wrong role
    let e = decide(
        &*s,
        accept(crit.id, Some("mallory"), Some("team-lead"), Some(day(30))),
        &rules,
    )
    .expect_err("role");
    assert!(e.to_string().contains("`team-lead`"), "{e}");
    // self-approval
    let e = decide(
        &*s,
        accept(crit.id, Some("Alice"), Some("vp"), Some(day(30))),
        &rules,
    )
    .expect_err("four eyes");
    assert!(e.to_string().contains("another person"), "{e}");
    assert_eq!(by_cve(&*s, "CVE-2026-0001").status, FindingStatus::Open);
    // the low one needs no approval
    decide(&*s, accept(low.id, None, None, Some(day(30))), &rules).expect("low accepted");
    // the right approver and role (case-insensitive role)
    let d = decide(
        &*s,
        accept(crit.id, Some("victor"), Some("VP"), Some(day(30))),
        &rules,
    )
    .expect("approved");
    assert_eq!(d.finding.status, FindingStatus::Accepted);
    let dec = d.decision.expect("decision");
    assert_eq!(dec.approver.as_deref(), Some("victor"));
    assert_eq!(dec.role.as_deref(), Some("VP"));
    assert_eq!(dec.expires_at, Some(day(30)));
    assert_eq!(dec.actor.as_deref(), Some("alice"));
    let events = s.events(crit.id).expect("events");
    let e = events.last().expect("event");
    assert_eq!(
        (
            e.kind.as_str(),
            e.actor.as_deref(),
            e.reason.as_deref(),
            e.approver.as_deref(),
            e.role.as_deref(),
            e.expires_at
        ),
        (
            "triaged",
            Some("alice"),
            Some("compensating WAF rule"),
            Some("victor"),
            Some("VP"),
            Some(day(30))
        )
    );
    // --until on another state is refused
    let mut r = request(low.id, FindingStatus::Confirmed, day(2));
    r.until = Some(day(9));
    assert!(decide(&*s, r, &rules).is_err());
}

fn expiry_reopens_as_of_the_injected_clock_and_ingest_runs_it(b: &TestBackend) {
    let s = b.store();
    let report = trivy(&[
        ("CVE-2026-0001", "HIGH", "requests"),
        ("CVE-2026-0002", "HIGH", "six"),
    ]);
    scan(&*s, "r1.json", report.clone(), day(0));
    let a = by_cve(&*s, "CVE-2026-0001");
    let b = by_cve(&*s, "CVE-2026-0002");
    let rules = DecisionRules::default();
    let mut r = request(a.id, FindingStatus::Accepted, day(1));
    r.until = Some(day(10));
    decide(&*s, r, &rules).expect("accept a");
    let mut r = request(b.id, FindingStatus::Accepted, day(1));
    r.until = Some(day(20));
    decide(&*s, r, &rules).expect("accept b");

    assert!(
        posture_app::workflow::expire(&*s, day(9))
            .expect("sweep")
            .is_empty()
    );
    assert_eq!(by_cve(&*s, "CVE-2026-0001").status, FindingStatus::Accepted);
    let expired = posture_app::workflow::expire(&*s, day(10)).expect("sweep");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].finding_id, a.id);
    assert_eq!(expired[0].expired_at, day(10));
    assert_eq!(by_cve(&*s, "CVE-2026-0001").status, FindingStatus::Open);
    assert_eq!(s.decision(a.id).expect("decision"), None);
    let last = s.events(a.id).expect("events").pop().expect("event");
    assert_eq!(last.kind, "expired");
    assert_eq!(last.at, day(10), "dated at the expiry, not at the sweep");
    assert_eq!(last.from_status.as_deref(), Some("accepted"));
    assert_eq!(last.to_status.as_deref(), Some("open"));
    assert!(last.reason.as_deref().unwrap_or("").contains("to accepted"));
    // a second sweep changes nothing
    assert!(
        posture_app::workflow::expire(&*s, day(11))
            .expect("sweep")
            .is_empty()
    );

    // an ingest after b's expiry reopens it before comparing
    scan(&*s, "r2.json", report, day(25));
    assert_eq!(by_cve(&*s, "CVE-2026-0002").status, FindingStatus::Open);
    let kinds: Vec<String> = s
        .events(b.id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["opened", "triaged", "expired"]);
}

fn acceptance_pauses_the_sla_clock(b: &TestBackend) {
    let s = b.store();
    scan(
        &*s,
        "r1.json",
        trivy(&[("CVE-2026-0001", "CRITICAL", "requests")]),
        day(0),
    );
    let f = by_cve(&*s, "CVE-2026-0001");
    let mut r = request(f.id, FindingStatus::Accepted, day(2));
    r.until = Some(day(12));
    decide(&*s, r, &DecisionRules::default()).expect("accept");
    posture_app::workflow::expire(&*s, day(12)).expect("expire");
    let events = s.event_log(&EventQuery::default()).expect("events");
    let sla = |t: Timestamp| sla_at(&f, &events, &DefaultSla, t);
    // day 1: 1 of 7 days used
    assert_eq!(sla(day(1)).state, SlaState::Within);
    // day 3..12: accepted, paused; the due date moves with the pause
    let paused = sla(day(5));
    assert_eq!(paused.state, SlaState::Paused);
    assert_eq!(paused.paused_ms, 3 * DAY);
    // day 13: running again, 2 + 1 = 3 days used, 4 left (> 20% of 7)
    let s13 = sla(day(13));
    assert_eq!(s13.state, SlaState::Within);
    assert_eq!(s13.remaining_ms, Some(4 * DAY));
    assert_eq!(s13.due, Some(day(17)), "7 days + 10 paused");
    // day 16: 6 used, 1 left (<= 1.4 days = 20%)
    assert_eq!(sla(day(16)).state, SlaState::DueSoon);
    // day 17: breached exactly at the due date
    let s17 = sla(day(17));
    assert_eq!(s17.state, SlaState::Breached);
    assert_eq!(s17.breached_at, Some(day(17)));
    // without the acceptance it would have breached at day 7
    let unpaused: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "opened")
        .cloned()
        .collect();
    assert_eq!(
        sla_at(&f, &unpaused, &DefaultSla, day(17)).breached_at,
        Some(day(7))
    );

    // the breach is recorded once, dated at the breach
    let list = vec![f.clone()];
    let new = posture_app::sla::breaches_to_record(&list, &events, &DefaultSla, day(20));
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].at, day(17));
    s.append_events(new).expect("append");
    let events = s.event_log(&EventQuery::default()).expect("events");
    assert!(posture_app::sla::breaches_to_record(&list, &events, &DefaultSla, day(21)).is_empty());
}

fn vex_statements_apply_at_ingest(b: &TestBackend) {
    let s = b.store();
    scan(
        &*s,
        "trivy.json",
        trivy(&[
            ("CVE-2026-1001", "HIGH", "requests"),
            ("CVE-2026-1002", "HIGH", "urllib3"),
            ("CVE-2026-1003", "HIGH", "jinja2"),
            ("CVE-2026-1004", "HIGH", "flask"),
            ("CVE-2026-1005", "HIGH", "pyyaml"),
        ]),
        day(0),
    );
    // a person decided on flask before the VEX document came
    let flask = by_cve(&*s, "CVE-2026-1004");
    decide(
        &*s,
        request(flask.id, FindingStatus::Confirmed, day(1)),
        &DecisionRules::default(),
    )
    .expect("person decides");
    let vex = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop.openvex.json"),
    )
    .expect("fixture");
    let (_, summaries) = ingest(
        &*s,
        &[ReportSource {
            name: "shop.openvex.json".into(),
            bytes: vex,
            format: None,
        }],
        IngestRequest {
            asset: "shop".into(),
            branch: "main".into(),
            target: None,
            commit: None,
            format: None,
            kind: posture_store::ScanKind::Findings,
            at: day(2),
            force: false,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
    .expect("vex ingest");
    let outcome = summaries[0].vex.clone().expect("vex outcome");
    assert_eq!(outcome.statements, 5);
    assert_eq!(outcome.not_affected, 1);
    assert_eq!(outcome.affected, 1);
    assert_eq!(outcome.noted, 1);
    assert_eq!(outcome.kept, 1, "the person's decision on flask is kept");

    // not_affected for requests 2.0.0: applied, with the justification and the actor
    let requests = by_cve(&*s, "CVE-2026-1001");
    assert_eq!(requests.status, FindingStatus::NotAffected);
    let e = s.events(requests.id).expect("events").pop().expect("event");
    assert_eq!(e.kind, "triaged");
    assert_eq!(e.actor.as_deref(), Some("vex:shop.openvex.json"));
    let reason = e.reason.unwrap_or_default();
    assert!(
        reason.contains("vulnerable_code_not_in_execute_path"),
        "{reason}"
    );
    assert!(reason.contains("fixed internal URLs"), "{reason}");
    // not_affected for another version of urllib3: not applied
    assert_eq!(by_cve(&*s, "CVE-2026-1002").status, FindingStatus::Open);
    // affected -> confirmed (nobody had decided)
    assert_eq!(
        by_cve(&*s, "CVE-2026-1003").status,
        FindingStatus::Confirmed
    );
    // under_investigation on flask: the person's decision stays
    assert_eq!(
        by_cve(&*s, "CVE-2026-1004").status,
        FindingStatus::Confirmed
    );
    // fixed -> a note, no state change
    let pyyaml = by_cve(&*s, "CVE-2026-1005");
    assert_eq!(pyyaml.status, FindingStatus::Open);
    let note = s.events(pyyaml.id).expect("events").pop().expect("event");
    assert_eq!(note.kind, "noted");
    assert!(note.reason.unwrap_or_default().contains("pyyaml 6.0.1"));
    // the VEX scan closed nothing of trivy's scope
    assert_eq!(
        s.findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("open")
        .len(),
        2,
        "urllib3 and pyyaml are open; the others are decided"
    );
}

/// The decisions a VEX document makes are written with their audit entry (`vex.apply`) in one
/// transaction: a failure injected into that entry's write (a trigger refusing it) leaves no
/// unaudited decision.
fn vex_decisions_are_audited_in_their_own_transaction(b: &TestBackend) {
    let s = b.access_store();
    scan(
        &*s,
        "trivy.json",
        trivy(&[
            ("CVE-2026-1001", "HIGH", "requests"),
            ("CVE-2026-1003", "HIGH", "jinja2"),
        ]),
        day(0),
    );
    let vex = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop.openvex.json"),
    )
    .expect("fixture");
    let upload = |force: bool| {
        posture_app::ingest_audited(
            &*s,
            &[ReportSource {
                name: "shop.openvex.json".into(),
                bytes: vex.clone(),
                format: None,
            }],
            IngestRequest {
                asset: "shop".into(),
                branch: "main".into(),
                target: None,
                commit: None,
                format: None,
                kind: posture_store::ScanKind::Findings,
                at: day(2),
                force,
                thresholds: Default::default(),
                branches: Default::default(),
            },
            &|_| {
                Some(posture_store::AuditEntry {
                    at: day(2),
                    actor: "alice".into(),
                    token_id: None,
                    client: None,
                    action: "scan.upload".into(),
                    target: "asset shop".into(),
                    detail: serde_json::json!({}),
                })
            },
            posture_app::VexHandling::Apply,
        )
    };
    b.execute(
        "CREATE TRIGGER fail_vex BEFORE INSERT ON audit_log WHEN NEW.action = 'vex.apply'
         BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;",
        "CREATE FUNCTION fail_vex() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.action = 'vex.apply' THEN RAISE EXCEPTION 'injected audit failure'; END IF;
         RETURN NEW; END $$;
         CREATE TRIGGER fail_vex BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_vex();",
    );
    assert!(upload(false).is_err(), "the audit write failed");
    assert_eq!(
        by_cve(&*s, "CVE-2026-1001").status,
        FindingStatus::Open,
        "an unaudited VEX decision was stored"
    );
    assert!(
        s.audit_log(10)
            .expect("log")
            .iter()
            .all(|e| e.action != "vex.apply")
    );

    b.execute(
        "DROP TRIGGER fail_vex;",
        "DROP TRIGGER fail_vex ON audit_log;",
    );
    let (_, summaries) = upload(true).expect("vex ingest");
    assert_eq!(summaries[0].vex.as_ref().map(|v| v.not_affected), Some(1));
    assert_eq!(
        by_cve(&*s, "CVE-2026-1001").status,
        FindingStatus::NotAffected
    );
    let log = s.audit_log(10).expect("log");
    let applied: Vec<_> = log.iter().filter(|e| e.action == "vex.apply").collect();
    assert_eq!(applied.len(), 1, "{log:?}");
    assert_eq!(applied[0].actor, "alice");
    assert_eq!(applied[0].detail["report"], "shop.openvex.json");
    assert_eq!(applied[0].detail["not_affected"], 1);
    assert_eq!(applied[0].detail["affected"], 1);
    assert_eq!(
        applied[0].detail["findings"].as_array().map(Vec::len),
        Some(2)
    );
}

on_both_backends!(
    vex_decisions_are_audited_in_their_own_transaction,
    every_allowed_and_refused_transition_through_the_store,
    acceptance_needs_expiry_and_the_required_approver_and_is_audited,
    expiry_reopens_as_of_the_injected_clock_and_ingest_runs_it,
    acceptance_pauses_the_sla_clock,
    vex_statements_apply_at_ingest,
    coverage_counts_what_each_tool_reported,
);

/// Issue 14, observation 8: `posture metrics` said the flask app lacks "secret" although
/// detect-secrets and ripsecrets reported six secrets (their occurrences joined bandit's
/// findings), and the dashboard ticked every category a parser can emit (a SARIF upload ticked
/// DAST). Coverage is computed once (`posture_app::coverage`) from what each tool reported.
fn coverage_counts_what_each_tool_reported(b: &TestBackend) {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        })
        .join("multiscan/vulnerable-flask-app");
    if !dir.is_dir() {
        eprintln!(
            "NOTICE: no corpus at {}: coverage test SKIPPED",
            dir.display()
        );
        return;
    }
    let store = b.store();
    let sources: Vec<ReportSource> = [
        "bandit.json",
        "detect-secrets.json",
        "ripsecrets.txt",
        "semgrep.sarif",
    ]
    .iter()
    .map(|f| {
        posture_app::read_report_file(&dir.join(f), posture_app::DEFAULT_MAX_REPORT_BYTES)
            .expect("read")
    })
    .collect();
    ingest(
        store.as_ref(),
        &sources,
        IngestRequest {
            asset: "flask-app".into(),
            branch: "main".into(),
            target: None,
            commit: None,
            format: None,
            kind: posture_store::ScanKind::Findings,
            at: day(1),
            force: false,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
    .expect("ingest");
    let req = posture_app::metrics::MetricsRequest {
        as_of: day(2),
        days: 30,
        asset: None,
        team: None,
    };
    let input = posture_app::metrics::load(store.as_ref(), None, &req).expect("load");
    let m = posture_app::metrics::compute(&input, &DefaultSla, &req);
    let row = m
        .coverage
        .rows
        .iter()
        .find(|r| r.service == "flask-app")
        .expect("a coverage row");
    let names: Vec<&str> = row.covered.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, ["sast", "secret"], "{row:?}");
    // The dashboard reads the same function over the same rows.
    let since = posture_app::coverage::window_start(day(2), 30);
    let scans = store.scan_coverage(None, since, day(2)).expect("scans");
    let by = posture_app::coverage::by_service(&scans, day(2));
    let c = &by["flask-app"];
    assert!(c.covers(posture_model::Category::Secret));
    assert!(
        !c.covers(posture_model::Category::Dast),
        "a SARIF upload is not DAST"
    );
    assert_eq!(c.tools.len(), 4, "{:?}", c.tools);
}
