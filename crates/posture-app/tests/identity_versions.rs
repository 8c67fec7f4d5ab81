//! Identity formula versions (issue 16): occurrences stored under the previous formula are
//! bridged on the next ingest, so a person's triage stays on its finding and nothing opens or
//! closes. Formula 2 names a Semgrep rule without the local path of its rules checkout.

use posture_app::workflow::{DecisionRequest, DecisionRules, decide};
use posture_app::{IngestRequest, ReportSource, ingest};
use posture_model::{FindingStatus, Timestamp};
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use posture_store::{FindingQuery, FindingRecord, Store};

const DAY: i64 = 86_400_000;

fn day(n: i64) -> Timestamp {
    Timestamp::from_millisecond(1_767_571_200_000 + n * DAY).expect("time")
}

/// A Semgrep JSON report, rules run from a checkout at `prefix` (`opt.rules.`).
fn semgrep(prefix: &str) -> Vec<u8> {
    let result = |rule: &str, line: u32, code: &str| {
        format!(
            r#"{{"check_id":"{prefix}{rule}","path":"app/app.py","start":{{"line":{line},"col":5,"offset":0}},"end":{{"line":{line},"col":30,"offset":0}},"extra":{{"message":"m","severity":"WARNING","lines":"{code}","metadata":{{"cwe":["CWE-489: Active Debug Code"],"category":"security"}}}}}}"#
        )
    };
    format!(
        r#"{{"version":"1.187.0","results":[{},{}],"errors":[],"paths":{{"scanned":["app/app.py"]}}}}"#,
        result(
            "python.flask.security.audit.debug-enabled.debug-enabled",
            40,
            "app.run(debug=True)"
        ),
        result(
            "python.lang.security.audit.eval-detected.eval-detected",
            12,
            "eval(request.args['q'])"
        ),
    )
    .into_bytes()
}

fn scan(store: &dyn Store, bytes: Vec<u8>, at: Timestamp, force: bool) {
    ingest(
        store,
        &[ReportSource {
            name: "semgrep.json".into(),
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
            force,
            thresholds: Default::default(),
            branches: Default::default(),
        },
    )
    .expect("ingest");
}

fn findings(store: &dyn Store) -> Vec<FindingRecord> {
    store
        .findings(&FindingQuery {
            status: None,
            ..Default::default()
        })
        .expect("findings")
}

fn stored_under_the_previous_formula_keeps_triage(b: &TestBackend) {
    let s = b.store();
    scan(&*s, semgrep("opt.rules."), day(0), false);
    let before = findings(&*s);
    assert_eq!(before.len(), 2);
    let debug = before
        .iter()
        .find(|f| f.rule_id.ends_with("debug-enabled"))
        .expect("debug finding");
    decide(
        &*s,
        DecisionRequest {
            finding_id: debug.id,
            state: FindingStatus::FalsePositive,
            reason: "debug server only in the dev compose file".into(),
            actor: "alice".into(),
            until: None,
            approver: None,
            role: None,
            at: day(1),
            unauthenticated: false,
        },
        &DecisionRules::default(),
    )
    .expect("triage");

    // What formula 1 stored: the fingerprints the ingest computes as `legacy_fingerprint`.
    let parsed = posture_parsers::parser_by_id("semgrep-json")
        .expect("semgrep parser")
        .parse(&semgrep("opt.rules."))
        .expect("parses");
    let identified = posture_engine::identify("semgrep", parsed.runs[0].occurrences.clone());
    let stored: Vec<String> = before
        .iter()
        .flat_map(|f| f.occurrences.iter().map(|o| o.fingerprint.clone()))
        .collect();
    for o in &identified.occurrences {
        let current = o.fingerprint.to_hex();
        assert!(stored.contains(&current), "the ingest stores formula 2");
        let legacy = o.legacy_fingerprint.expect("the rule id changed").to_hex();
        b.execute(
            &format!(
                "UPDATE occurrences SET fingerprint = X'{legacy}', place_key = NULL, relocation_key = NULL WHERE fingerprint = X'{current}';
                 UPDATE findings SET key = X'{legacy}' WHERE key = X'{current}'"
            ),
            &format!(
                "UPDATE occurrences SET fingerprint = '\\x{legacy}'::bytea, place_key = NULL, relocation_key = NULL WHERE fingerprint = '\\x{current}'::bytea;
                 UPDATE findings SET key = '\\x{legacy}'::bytea WHERE key = '\\x{current}'::bytea"
            ),
        );
    }
    let legacy_stored: Vec<String> = findings(&*s)
        .iter()
        .flat_map(|f| f.occurrences.iter().map(|o| o.fingerprint.clone()))
        .collect();
    assert!(
        legacy_stored.iter().all(|fp| !stored.contains(fp)),
        "the store now holds formula-1 identities"
    );

    // The next ingest (forced, so the report is compared in full) bridges them.
    scan(&*s, semgrep("opt.rules."), day(2), true);
    let after = findings(&*s);
    assert_eq!(after.len(), 2, "no finding opened by the formula change");
    let debug_after = after
        .iter()
        .find(|f| f.id == debug.id)
        .expect("the triaged finding is still there");
    assert_eq!(debug_after.triage, Some(FindingStatus::FalsePositive));
    assert_eq!(
        debug_after.triage_reason.as_deref(),
        Some("debug server only in the dev compose file")
    );
    assert_eq!(debug_after.occurrences.len(), 1);
    assert!(debug_after.occurrences.iter().all(|o| o.open));
    let now: Vec<String> = after
        .iter()
        .flat_map(|f| f.occurrences.iter().map(|o| o.fingerprint.clone()))
        .collect();
    let mut expected = stored.clone();
    expected.sort();
    let mut got = now.clone();
    got.sort();
    assert_eq!(got, expected, "stored identities rewritten to formula 2");

    // Rules moved to another checkout: the same identities, the same findings.
    scan(&*s, semgrep("home.ci.semgrep-rules."), day(3), false);
    let moved = findings(&*s);
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|f| f.occurrences.iter().all(|o| o.open)));
    assert_eq!(
        moved
            .iter()
            .find(|f| f.id == debug.id)
            .and_then(|f| f.triage),
        Some(FindingStatus::FalsePositive)
    );
}

on_both_backends!(stored_under_the_previous_formula_keeps_triage);
