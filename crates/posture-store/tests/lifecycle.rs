//! Re-import semantics end to end on a real database (SQLite, and PostgreSQL when reachable): unchanged, fixed, reopened,
//! moved lines, triage kept, identical re-ingest, several tools and branches.

use posture_engine::identify;
use posture_model::{
    Category, FindingStatus, Location, Occurrence, Package, Severity, Timestamp, ToolInfo,
};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{
    FindingQuery, IngestBatch, IngestOutcome, ReportInput, ScanKind, Store, TriageChange,
};

fn day(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n * 86_400).expect("valid time")
}

fn sast(rule: &str, path: &str, line: u32, code: &str) -> Occurrence {
    let mut o = Occurrence::new(
        Category::Sast,
        rule,
        format!("{rule} issue"),
        Severity::High,
        "/results/0",
    );
    o.location = Location {
        path: Some(path.into()),
        start_line: Some(line),
        end_line: Some(line),
        ..Default::default()
    };
    o.identity.context = Some(code.into());
    o
}

fn dep(cve: &str, pkg: &str, version: &str) -> Occurrence {
    let mut o = Occurrence::new(
        Category::Sca,
        cve,
        format!("{cve} in {pkg}"),
        Severity::Critical,
        "/Results/0/Vulnerabilities/0",
    );
    o.vulnerability_ids = vec![cve.into()];
    o.package = Some(Package {
        ecosystem: Some("npm".into()),
        name: pkg.into(),
        version: Some(version.into()),
        ..Default::default()
    });
    o
}

fn batch(
    tool: &str,
    branch: &str,
    at: Timestamp,
    name: &str,
    occs: Vec<Occurrence>,
) -> IngestBatch {
    // the sha stands for the report bytes: one name, one content in these tests
    let sha = format!("sha-of-{name}-{}", occs.len());
    IngestBatch {
        asset: "shop".into(),
        branch: branch.into(),
        target: String::new(),
        commit: None,
        kind: ScanKind::Findings,
        at,
        force: false,
        thresholds: Default::default(),
        reports: vec![ReportInput {
            name: name.into(),
            sha256: sha,
            format: "test".into(),
            runs: vec![(ToolInfo::new(tool, None), identify(tool, occs))],
            diagnostics: vec![],
            components: Vec::new(),
        }],
    }
}

fn all(store: &dyn Store) -> Vec<posture_store::FindingRecord> {
    store.findings(&FindingQuery::default()).expect("query")
}

fn status_of(store: &dyn Store, title: &str) -> FindingStatus {
    all(store)
        .into_iter()
        .find(|f| f.title == title)
        .map(|f| f.status)
        .unwrap_or_else(|| panic!("no finding titled {title}"))
}

fn totals(o: &IngestOutcome) -> posture_engine::PlanSummary {
    o.total()
}

fn new_then_unchanged_then_fixed_then_reopened(b: &TestBackend) {
    let s = b.store();
    let a = sast("eval", "app.py", 10, "eval(request.args['q'])");
    let b = sast("sqli", "db.py", 20, "cursor.execute(q % x)");

    let o1 = s
        .ingest(batch(
            "semgrep",
            "main",
            day(0),
            "r1.json",
            vec![a.clone(), b.clone()],
        ))
        .expect("ingest");
    assert_eq!(totals(&o1).new, 2);
    assert_eq!(all(&*s).len(), 2);

    // same content, different file name: a full comparison, nothing changes
    let o2 = s
        .ingest(batch(
            "semgrep",
            "main",
            day(1),
            "r2.json",
            vec![b.clone(), a.clone()],
        ))
        .expect("ingest");
    let t2 = totals(&o2);
    assert_eq!((t2.new, t2.unchanged, t2.fixed, t2.reopened), (0, 2, 0, 0));

    // `b` disappears: fixed, with its time
    let o3 = s
        .ingest(batch("semgrep", "main", day(2), "r3.json", vec![a.clone()]))
        .expect("ingest");
    let t3 = totals(&o3);
    assert_eq!((t3.new, t3.unchanged, t3.fixed, t3.closed), (0, 1, 1, 1));
    let fixed = all(&*s)
        .into_iter()
        .find(|f| f.title == "sqli issue")
        .expect("b");
    assert_eq!(fixed.status, FindingStatus::Fixed);
    assert_eq!(fixed.fixed_at, Some(day(2)));
    assert_eq!(
        fixed.last_seen,
        day(1),
        "last seen is the last scan that reported it"
    );

    // `b` comes back: reopened, counted as a regression, same finding id
    let o4 = s
        .ingest(batch(
            "semgrep",
            "main",
            day(3),
            "r4.json",
            vec![a.clone(), b.clone()],
        ))
        .expect("ingest");
    let t4 = totals(&o4);
    assert_eq!((t4.new, t4.reopened), (0, 1));
    let back = all(&*s)
        .into_iter()
        .find(|f| f.title == "sqli issue")
        .expect("b");
    assert_eq!(back.id, fixed.id);
    assert_eq!(back.status, FindingStatus::Open);
    assert_eq!(back.reopened, 1);
    assert_eq!(back.fixed_at, None);

    let kinds: Vec<String> = s
        .events(back.id)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["opened", "fixed", "reopened"]);
}

fn moved_lines_keep_identity_and_update_the_location(b: &TestBackend) {
    let s = b.store();
    let a = sast("eval", "app.py", 10, "eval(x)");
    s.ingest(batch("semgrep", "main", day(0), "r1.json", vec![a.clone()]))
        .expect("ingest");
    let mut moved = a.clone();
    moved.location.start_line = Some(57);
    moved.location.end_line = Some(57);
    let o = s
        .ingest(batch("semgrep", "main", day(1), "r2.json", vec![moved]))
        .expect("ingest");
    let t = totals(&o);
    assert_eq!((t.new, t.unchanged, t.updated, t.fixed), (0, 1, 1, 0));
    let f = &all(&*s)[0];
    assert_eq!(f.occurrences[0].data.location.start_line, Some(57));
    assert_eq!(f.occurrences[0].report, "r2.json");
    assert_eq!(f.first_seen, day(0));
}

fn identical_report_changes_nothing(b: &TestBackend) {
    let s = b.store();
    let occs = vec![sast("eval", "app.py", 10, "eval(x)")];
    s.ingest(batch("semgrep", "main", day(0), "r.json", occs.clone()))
        .expect("ingest");
    let before = serde_json::to_string(&all(&*s)).expect("json");
    let o = s
        .ingest(batch("semgrep", "main", day(5), "r.json", occs))
        .expect("ingest");
    assert!(o.scopes[0].identical);
    assert!(
        o.scopes[0].scan_ids.is_empty(),
        "no scan recorded for an identical report"
    );
    let after = serde_json::to_string(&all(&*s)).expect("json");
    assert_eq!(before, after);
}

fn triage_survives_reimports_and_fixes(b: &TestBackend) {
    let s = b.store();
    let a = sast("eval", "app.py", 10, "eval(x)");
    s.ingest(batch("semgrep", "main", day(0), "r1.json", vec![a.clone()]))
        .expect("ingest");
    let id = all(&*s)[0].id;
    let f = s
        .triage(TriageChange {
            finding_id: id,
            state: FindingStatus::FalsePositive,
            reason: "test code only".into(),
            actor: "alice".into(),
            at: day(1),
        })
        .expect("triage");
    assert_eq!(f.status, FindingStatus::FalsePositive);

    let mut moved = a.clone();
    moved.location.start_line = Some(11);
    s.ingest(batch(
        "semgrep",
        "main",
        day(2),
        "r2.json",
        vec![moved.clone()],
    ))
    .expect("ingest");
    assert_eq!(status_of(&*s, "eval issue"), FindingStatus::FalsePositive);

    // gone: fixed; back: the decision is still there
    s.ingest(batch("semgrep", "main", day(3), "r3.json", vec![]))
        .expect("ingest");
    assert_eq!(status_of(&*s, "eval issue"), FindingStatus::Fixed);
    s.ingest(batch("semgrep", "main", day(4), "r4.json", vec![moved]))
        .expect("ingest");
    let f = all(&*s).into_iter().next().expect("one");
    assert_eq!(f.status, FindingStatus::FalsePositive);
    assert_eq!(f.triage_reason.as_deref(), Some("test code only"));
    let triaged: Vec<_> = s
        .events(id)
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "triaged")
        .collect();
    assert_eq!(triaged.len(), 1);
    assert_eq!(triaged[0].actor.as_deref(), Some("alice"));

    // only open findings are listed by default queries that ask for `open`
    let open = s
        .findings(&FindingQuery {
            status: Some(vec![FindingStatus::Open]),
            ..Default::default()
        })
        .expect("q");
    assert!(open.is_empty());
    assert!(
        s.triage(TriageChange {
            finding_id: 999,
            state: FindingStatus::Accepted,
            reason: "x".into(),
            actor: "a".into(),
            at: day(5)
        })
        .is_err()
    );
}

fn a_finding_stays_open_while_another_tool_reports_it_and_branches_never_keep_it_open(
    b: &TestBackend,
) {
    let s = b.store();
    let d = dep("CVE-2021-23337", "lodash", "4.17.20");
    s.ingest(batch(
        "trivy",
        "main",
        day(0),
        "trivy.json",
        vec![d.clone()],
    ))
    .expect("ingest");
    let o = s
        .ingest(batch(
            "grype",
            "main",
            day(0),
            "grype.json",
            vec![d.clone()],
        ))
        .expect("ingest");
    assert_eq!(
        totals(&o).linked,
        1,
        "same CVE + package from another tool joins the finding"
    );
    assert_eq!(all(&*s).len(), 1);
    assert_eq!(all(&*s)[0].occurrences.len(), 2);

    // trivy stops reporting it: grype still does, so the finding stays open
    let o = s
        .ingest(batch("trivy", "main", day(1), "trivy2.json", vec![]))
        .expect("ingest");
    assert_eq!((totals(&o).closed, totals(&o).fixed), (1, 0));
    assert_eq!(all(&*s)[0].status, FindingStatus::Open);

    // a feature branch reports it too; main's grype stops: fixed, because the finding's
    // status follows the default branch (a merge request's branch never keeps it open)
    s.ingest(batch(
        "grype",
        "feature/x",
        day(2),
        "g3.json",
        vec![d.clone()],
    ))
    .expect("ingest");
    let o = s
        .ingest(batch("grype", "main", day(3), "g4.json", vec![]))
        .expect("ingest");
    assert_eq!(totals(&o).fixed, 1);
    assert_eq!(all(&*s)[0].status, FindingStatus::Fixed);
    // the branch still reports it: that reopens nothing; then it stops: no second fix
    let o = s
        .ingest(batch(
            "grype",
            "feature/x",
            day(4),
            "g5.json",
            vec![d.clone()],
        ))
        .expect("ingest");
    assert_eq!((totals(&o).reopened, totals(&o).fixed), (0, 0));
    let o = s
        .ingest(batch("grype", "feature/x", day(4), "g6.json", vec![]))
        .expect("ingest");
    assert_eq!((totals(&o).closed, totals(&o).fixed), (1, 0));
    assert_eq!(all(&*s)[0].status, FindingStatus::Fixed);

    // a bump to another vulnerable version is the same finding, reopened
    let o = s
        .ingest(batch(
            "trivy",
            "main",
            day(5),
            "t6.json",
            vec![dep("CVE-2021-23337", "lodash", "4.17.19")],
        ))
        .expect("ingest");
    assert_eq!((totals(&o).new, totals(&o).reopened), (0, 1));
}

fn a_failed_ingest_stores_nothing(b: &TestBackend) {
    let s = b.store();
    s.ingest(batch(
        "semgrep",
        "main",
        day(0),
        "ok.json",
        vec![sast("r", "a.py", 1, "x")],
    ))
    .expect("ingest");
    let before = serde_json::to_string(&all(&*s)).expect("json");
    let mut bad = batch("semgrep", "main", day(1), "bad.json", vec![]);
    bad.asset = "  ".into();
    assert!(s.ingest(bad).is_err());
    assert_eq!(serde_json::to_string(&all(&*s)).expect("json"), before);
    assert_eq!(s.scans(&Default::default()).expect("scans").len(), 1);
}

fn collapsed_duplicates_are_counted(b: &TestBackend) {
    let s = b.store();
    let a = sast("r", "a.py", 3, "x = 1");
    let o = s
        .ingest(batch(
            "semgrep",
            "main",
            day(0),
            "r.json",
            vec![a.clone(), a.clone(), a],
        ))
        .expect("ingest");
    assert_eq!(totals(&o).collapsed, 2);
    assert_eq!(totals(&o).new, 1);
}

fn identical_report_lookup_only_matches_the_latest_scan_of_every_scope(b: &TestBackend) {
    let s = b.store();
    let a = vec![sast("eval", "app.py", 10, "eval(x)")];
    let sha_a = batch("semgrep", "main", day(0), "a.json", a.clone()).reports[0]
        .sha256
        .clone();
    assert!(
        s.identical_report("shop", "main", "", &sha_a)
            .expect("lookup")
            .is_none(),
        "never seen"
    );
    s.ingest(batch("semgrep", "main", day(0), "a.json", a.clone()))
        .expect("ingest");
    let same = s
        .identical_report("shop", "main", "", &sha_a)
        .expect("lookup")
        .expect("identical");
    assert_eq!(same.len(), 1);
    assert_eq!(same[0].tool, "semgrep");
    assert_eq!(same[0].occurrences, 1);
    assert!(
        s.identical_report("shop", "feature", "", &sha_a)
            .expect("lookup")
            .is_none(),
        "other branch"
    );
    assert!(
        s.identical_report("other", "main", "", &sha_a)
            .expect("lookup")
            .is_none(),
        "other asset"
    );
    // another report comes in: re-ingesting `a` is a real scan again (the finding went away and
    // comes back), so the lookup must not short-circuit it
    s.ingest(batch("semgrep", "main", day(1), "b.json", vec![]))
        .expect("ingest");
    assert!(
        s.identical_report("shop", "main", "", &sha_a)
            .expect("lookup")
            .is_none()
    );
    let o = s
        .ingest(batch("semgrep", "main", day(2), "a.json", a))
        .expect("ingest");
    assert_eq!(o.total().reopened, 1);
}

fn per_target_scans_of_one_tool_do_not_close_each_other(b: &TestBackend) {
    let s = b.store();
    let mut a = batch(
        "pip-audit",
        "main",
        day(0),
        "a.json",
        vec![dep("CVE-2012-3443", "django", "1.2")],
    );
    a.target = "packages/requirements.txt".into();
    let mut b = batch(
        "pip-audit",
        "main",
        day(0),
        "b.json",
        vec![dep("CVE-2012-3443", "django", "1.2")],
    );
    b.target = "packages/sub/requirements.txt".into();
    s.ingest(a).expect("ingest");
    let o = s.ingest(b).expect("ingest");
    assert_eq!(o.total().closed, 0, "another target's scan closes nothing");
    assert_eq!(o.scopes[0].target, "packages/sub/requirements.txt");
    let all = all(&*s);
    assert_eq!(all.iter().map(|f| f.occurrences.len()).sum::<usize>(), 2);
}

fn dep_from(tool_id: &str, ids: &[&str], pkg: &str) -> Occurrence {
    let mut o = dep(ids[0], pkg, "1.0.0");
    o.rule_id = tool_id.into();
    o.vulnerability_ids = ids.iter().map(|s| s.to_string()).collect();
    o
}

fn correlated_findings_stay_merged_on_reimport_and_people_can_split_and_merge(b: &TestBackend) {
    let s = b.store();
    // two tools name one vulnerability by different primary ids: correlation joins them
    let trivy = vec![dep_from("CVE-2021-23337", &["CVE-2021-23337"], "lodash")];
    let grype = vec![dep_from(
        "GHSA-35jh-r3h4-6jhm",
        &["GHSA-35jh-r3h4-6jhm", "CVE-2021-23337"],
        "lodash",
    )];
    s.ingest(batch("trivy", "main", day(0), "t.json", trivy.clone()))
        .expect("ingest");
    let o = s
        .ingest(batch("grype", "main", day(0), "g.json", grype.clone()))
        .expect("ingest");
    assert_eq!(o.total().correlated, 1);
    let f = all(&*s);
    assert_eq!(f.len(), 1);
    let linked = f[0]
        .occurrences
        .iter()
        .find(|o| o.tool == "grype")
        .expect("grype occurrence");
    let why = linked.correlation.as_ref().expect("correlation recorded");
    assert!(why.reason.contains("CVE-2021-23337"), "{}", why.reason);
    assert!(why.confidence >= 0.9);

    // re-ingesting (forced, so the comparison really runs) changes no merge
    for (tool, name, occs) in [("trivy", "t.json", &trivy), ("grype", "g.json", &grype)] {
        let mut b = batch(tool, "main", day(1), name, occs.clone());
        b.force = true;
        s.ingest(b).expect("ingest");
    }
    assert_eq!(all(&*s).len(), 1);

    // a person splits grype's occurrence out: two findings, and re-imports keep them apart
    let split = s
        .split(posture_store::SplitDecision {
            occurrence_id: linked.id,
            actor: "alice".into(),
            reason: "different advisory after all".into(),
            at: day(2),
        })
        .expect("split");
    assert_eq!(all(&*s).len(), 2);
    for (tool, name, occs) in [("trivy", "t2.json", &trivy), ("grype", "g2.json", &grype)] {
        s.ingest(batch(tool, "main", day(3), name, occs.clone()))
            .expect("ingest");
    }
    assert_eq!(all(&*s).len(), 2, "a split survives re-ingest");
    // even when the occurrence closes and a new scan reports it again
    s.ingest(batch("grype", "main", day(4), "g3.json", vec![]))
        .expect("ingest");
    s.ingest(batch("grype", "main", day(5), "g4.json", grype.clone()))
        .expect("ingest");
    let now = all(&*s);
    assert_eq!(now.len(), 2);
    assert!(
        now.iter()
            .any(|f| f.id == split.id && f.occurrences.iter().all(|o| o.tool == "grype"))
    );

    // and a person merges them back: one finding, kept on re-ingest
    let keep = now.iter().find(|f| f.id != split.id).expect("other").id;
    let merged = s
        .merge(posture_store::MergeDecision {
            from: split.id,
            into: keep,
            actor: "bob".into(),
            reason: "same issue".into(),
            at: day(6),
        })
        .expect("merge");
    assert_eq!(merged.occurrences.len(), 2);
    for (tool, name, occs) in [("trivy", "t5.json", &trivy), ("grype", "g5.json", &grype)] {
        s.ingest(batch(tool, "main", day(7), name, occs.clone()))
            .expect("ingest");
    }
    let end = all(&*s);
    assert_eq!(end.len(), 1, "a person's merge survives re-ingest");
    let kinds: Vec<String> = s
        .events(keep)
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"merged".to_string()), "{kinds:?}");
    assert!(
        s.merge(posture_store::MergeDecision {
            from: split.id,
            into: keep,
            actor: "x".into(),
            reason: "again".into(),
            at: day(8)
        })
        .is_err()
    );
}

fn suggestions_can_be_accepted_or_rejected(b: &TestBackend) {
    let s = b.store();
    // an IaC policy on a block that holds a random-looking string (an entropy detector's hit,
    // not a named credential): a suggestion, not a merge. (A named credential, such as an AWS
    // key, in the policy's block joins it: the engine's block-policy rule, issue 16.)
    let mut secret = Occurrence::new(
        Category::Secret,
        "high-entropy-string",
        "High Entropy String",
        Severity::High,
        "/0",
    );
    secret.location = Location {
        path: Some("main.tf".into()),
        start_line: Some(12),
        ..Default::default()
    };
    let mut evidence = posture_model::SecretEvidence::from_plaintext("AKIAEXAMPLEEXAMPLE99");
    s.secret_key().expect("the key").seal(&mut evidence);
    secret.secret = Some(evidence);
    let mut policy = Occurrence::new(
        Category::Iac,
        "CKV_AWS_41",
        "Ensure no hard coded AWS access key and secret key exists in provider",
        Severity::High,
        "/1",
    );
    policy.location = Location {
        path: Some("main.tf".into()),
        start_line: Some(10),
        end_line: Some(20),
        ..Default::default()
    };
    s.ingest(batch("gitleaks", "main", day(0), "s.json", vec![secret]))
        .expect("ingest");
    let o = s
        .ingest(batch("checkov", "main", day(0), "c.json", vec![policy]))
        .expect("ingest");
    assert_eq!(o.total().suggested, 1, "{:?}", o.total());
    let list = s.suggestions(Some("shop"), true).expect("list");
    assert_eq!(list.len(), 1);
    assert!(
        list[0].reason.contains("hard-coded credential policy"),
        "{}",
        list[0].reason
    );
    let decided = s
        .decide_suggestion(posture_store::SuggestionDecision {
            id: list[0].id,
            accept: true,
            actor: "carol".into(),
            at: day(1),
        })
        .expect("accept");
    assert_eq!(decided.state, "accepted");
    assert_eq!(all(&*s).len(), 1);
    assert!(s.suggestions(Some("shop"), true).expect("list").is_empty());
}

fn a_renamed_file_keeps_its_occurrences(b: &TestBackend) {
    let s = b.store();
    let a = sast(
        "eval",
        "src/handlers/user.py",
        10,
        "eval(request.args['q'])",
    );
    let b = sast("sqli", "src/db.py", 20, "cursor.execute(q % x)");
    s.ingest(batch(
        "semgrep",
        "main",
        day(0),
        "r1.json",
        vec![a.clone(), b.clone()],
    ))
    .expect("ingest");
    let before: Vec<(i64, String)> = all(&*s).into_iter().map(|f| (f.id, f.title)).collect();
    // user.py becomes accounts.py with the same code (and it moved down a few lines)
    let mut renamed = a.clone();
    renamed.location.path = Some("src/handlers/accounts.py".into());
    renamed.location.start_line = Some(14);
    let o = s
        .ingest(batch(
            "semgrep",
            "main",
            day(1),
            "r2.json",
            vec![renamed, b],
        ))
        .expect("ingest");
    let t = o.total();
    assert_eq!(
        (t.new, t.fixed, t.closed, t.unchanged),
        (0, 0, 0, 2),
        "{t:?}"
    );
    let after = all(&*s);
    assert_eq!(
        after
            .iter()
            .map(|f| (f.id, f.title.clone()))
            .collect::<Vec<_>>(),
        before
    );
    let eval = after
        .iter()
        .find(|f| f.title == "eval issue")
        .expect("eval");
    assert_eq!(
        eval.occurrences[0].data.location.path.as_deref(),
        Some("src/handlers/accounts.py")
    );
    // and the next identical scan finds it by its new fingerprint
    let o = s
        .ingest(batch(
            "semgrep",
            "main",
            day(3),
            "r4.json",
            vec![
                {
                    let mut r = a.clone();
                    r.location.path = Some("src/handlers/accounts.py".into());
                    r.location.start_line = Some(14);
                    r
                },
                sast("sqli", "src/db.py", 20, "cursor.execute(q % x)"),
            ],
        ))
        .expect("ingest");
    assert_eq!(o.total().unchanged, 2);
    assert_eq!(o.total().new, 0);
}

fn a_report_with_skipped_items_closes_nothing(b: &TestBackend) {
    let s = b.store();
    let a = sast("eval", "app.py", 10, "eval(x)");
    s.ingest(batch("semgrep", "main", day(0), "r1.json", vec![a]))
        .expect("ingest");
    // the next report's only item could not be read: it is not evidence of a fix
    let mut partial = batch("semgrep", "main", day(1), "r2.json", vec![]);
    partial.reports[0]
        .diagnostics
        .push(posture_model::Diagnostic {
            level: posture_model::DiagnosticLevel::Skipped,
            locator: "/results/0".into(),
            message: "item skipped: invalid type".into(),
        });
    let o = s.ingest(partial).expect("ingest");
    let t = o.total();
    assert!(t.partial);
    assert_eq!((t.closed, t.fixed), (0, 0));
    assert_eq!(all(&*s)[0].status, FindingStatus::Open);
    // a complete report that lacks it does close it
    let o = s
        .ingest(batch("semgrep", "main", day(2), "r3.json", vec![]))
        .expect("ingest");
    assert_eq!(o.total().fixed, 1);
}

on_both_backends!(
    new_then_unchanged_then_fixed_then_reopened,
    moved_lines_keep_identity_and_update_the_location,
    identical_report_changes_nothing,
    triage_survives_reimports_and_fixes,
    a_finding_stays_open_while_another_tool_reports_it_and_branches_never_keep_it_open,
    a_failed_ingest_stores_nothing,
    collapsed_duplicates_are_counted,
    identical_report_lookup_only_matches_the_latest_scan_of_every_scope,
    per_target_scans_of_one_tool_do_not_close_each_other,
    correlated_findings_stay_merged_on_reimport_and_people_can_split_and_merge,
    suggestions_can_be_accepted_or_rejected,
    a_renamed_file_keeps_its_occurrences,
    a_report_with_skipped_items_closes_nothing,
);
