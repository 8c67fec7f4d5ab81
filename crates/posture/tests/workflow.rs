//! End-to-end tests of the triage workflow, SLAs and metrics through the real `posture`
//! binary on real SQLite files: a small history written as ingests with `--at` dates, its
//! metrics computed by hand in the comments and asserted exactly.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn posture(db: &Path) -> Command {
    let mut c = Command::cargo_bin("posture").expect("binary");
    c.arg("--database")
        .arg(db)
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .env("POSTURE_ACTOR", "alice");
    c
}

/// A Trivy filesystem report: one vulnerability per (CVE, severity, PyPI package).
fn trivy(vulns: &[(&str, &str, &str)]) -> String {
    let items: Vec<String> = vulns
        .iter()
        .map(|(cve, sev, pkg)| {
            format!(
                r#"{{"VulnerabilityID":"{cve}","PkgName":"{pkg}","InstalledVersion":"1.0.0","FixedVersion":"9.0.0","Severity":"{sev}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[{{"Target":"poetry.lock","Class":"lang-pkgs","Type":"poetry","Vulnerabilities":[{}]}}]}}"#,
        items.join(",")
    )
}

const A: (&str, &str, &str) = ("CVE-2026-0001", "CRITICAL", "alpha");
const B: (&str, &str, &str) = ("CVE-2026-0002", "HIGH", "beta");
const C: (&str, &str, &str) = ("CVE-2026-0003", "CRITICAL", "gamma");
const D: (&str, &str, &str) = ("CVE-2026-0004", "CRITICAL", "delta");
const E: (&str, &str, &str) = ("CVE-2026-0005", "CRITICAL", "epsilon");

fn ingest(
    db: &Path,
    dir: &Path,
    asset: &str,
    name: &str,
    body: &str,
    at: &str,
    format: Option<&str>,
) {
    let file = dir.join(name);
    std::fs::write(&file, body).expect("write report");
    let mut c = posture(db);
    c.args(["ingest", "--asset", asset, "--at", at, "--output", "json"])
        .arg(&file);
    if let Some(f) = format {
        c.args(["--format", f]);
    }
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "ingest {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(c: &mut Command) -> serde_json::Value {
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The id of the finding of a CVE, found with `show` (not with `findings`, whose SLA sweep
/// would record breaches as of the real clock in the middle of a back-filled history).
fn id_of(db: &Path, cve: &str) -> String {
    for id in 1..50 {
        let out = posture(db)
            .args(["show", &id.to_string(), "--output", "json"])
            .output()
            .expect("runs");
        if out.status.success() && String::from_utf8_lossy(&out.stdout).contains(cve) {
            return id.to_string();
        }
    }
    panic!("no finding for {cve}")
}

/// The history (2026-01-05 = D0 is a Monday, ISO week 2026-W02):
///
/// | day | shop (trivy fs, SCA)                                  | events                     |
/// |-----|-------------------------------------------------------|----------------------------|
/// | D0  | A crit, B high, C crit, E crit                        | 4 opened                   |
/// | D1  | E accepted until 2026-02-04 (approved by bob, vp)     | triaged                    |
/// | D4  | B, C, E                                               | A fixed (4 days)           |
/// | D10 | A, B, C, E                                            | A reopened                 |
/// | D12 | A, C, E                                               | B fixed (12 days)          |
/// | D15 | C, D crit, E; gitleaks (no leak)                      | A fixed (5 days), D opened |
///
/// api: one empty scan of each category at D0 (semgrep, npm audit, gitleaks, checkov,
/// trivy image, ZAP).
fn history(db: &Path, dir: &Path) {
    std::fs::write(
        dir.join("posture.toml"),
        // The default SLA follows the risk band (issue 15): shop is a tier-1, internet-facing
        // production service, so its criticals rank P1 (7 days) and its high P2 (30 days),
        // the days the history below is computed with.
        "[[team]]\nname = \"web\"\n\n[[team]]\nname = \"platform\"\n\n[[asset]]\nname = \"shop\"\nteam = \"web\"\ncriticality = \"tier-1\"\nexposure = \"internet-facing\"\nenvironment = \"production\"\n\n[[asset]]\nname = \"api\"\nteam = \"platform\"\n",
    )
    .expect("config");
    ingest(
        db,
        dir,
        "shop",
        "t0.json",
        &trivy(&[A, B, C, E]),
        "2026-01-05T00:00:00Z",
        None,
    );
    let e = id_of(db, E.0);
    posture(db)
        .args([
            "triage",
            &e,
            "--state",
            "accepted",
            "--reason",
            "no exploit path; WAF rule 932",
            "--until",
            "2026-02-04",
            "--approver",
            "bob",
            "--role",
            "vp",
            "--at",
            "2026-01-06T00:00:00Z",
            "--output",
            "table",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "finding #{e} is now accepted until 2026-02-04T00:00:00Z, approved by bob (vp)"
        )));
    ingest(
        db,
        dir,
        "shop",
        "t4.json",
        &trivy(&[B, C, E]),
        "2026-01-09T00:00:00Z",
        None,
    );
    ingest(
        db,
        dir,
        "shop",
        "t10.json",
        &trivy(&[A, B, C, E]),
        "2026-01-15T00:00:00Z",
        None,
    );
    ingest(
        db,
        dir,
        "shop",
        "t12.json",
        &trivy(&[A, C, E]),
        "2026-01-17T00:00:00Z",
        None,
    );
    ingest(
        db,
        dir,
        "shop",
        "t15.json",
        &trivy(&[C, D, E]),
        "2026-01-20T00:00:00Z",
        None,
    );
    ingest(
        db,
        dir,
        "shop",
        "leaks15.json",
        "[]",
        "2026-01-20T00:00:00Z",
        Some("gitleaks-json"),
    );
    let empty = [
        (
            "semgrep.json",
            r#"{"errors": [], "paths": {"scanned": []}, "results": [], "version": "1.85.0"}"#,
            "semgrep-json",
        ),
        (
            "npm.json",
            r#"{"auditReportVersion": 2, "vulnerabilities": {}, "metadata": {"vulnerabilities": {"total": 0}}}"#,
            "npm-audit-json",
        ),
        ("leaks.json", "[]", "gitleaks-json"),
        (
            "checkov.json",
            r#"{"passed": 0, "failed": 0, "skipped": 0, "parsingerrors": 0, "resourcecount": 0, "checkov_version": "3.2.1"}"#,
            "checkov-json",
        ),
        (
            "image.json",
            r#"{"SchemaVersion":2,"ArtifactName":"ghcr.io/acme/api:1","ArtifactType":"container_image","Results":[]}"#,
            "trivy-json",
        ),
        (
            "zap.json",
            r#"{"@programName": "ZAP", "@version": "2.12.0", "site": []}"#,
            "zap-json",
        ),
    ];
    for (name, body, format) in empty {
        ingest(
            db,
            dir,
            "api",
            name,
            body,
            "2026-01-05T00:00:00Z",
            Some(format),
        );
    }
}

fn metrics(db: &Path, dir: &Path, extra: &[&str]) -> serde_json::Value {
    json(
        posture(db)
            .arg("--config")
            .arg(dir.join("posture.toml"))
            .args(["metrics", "--output", "json"])
            .args(extra),
    )
}

fn row<'a>(list: &'a serde_json::Value, group: &str) -> &'a serde_json::Value {
    list.as_array()
        .expect("rows")
        .iter()
        .find(|r| r["group"] == group || r["service"] == group)
        .unwrap_or_else(|| panic!("no row {group} in {list}"))
}

#[test]
fn metrics_of_a_hand_computed_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    history(&db, dir.path());

    // As of 2026-01-25 (D20, end of day):
    let m = metrics(&db, dir.path(), &["--as-of", "2026-01-25"]);
    // MTTR: cycles A D0->D4 = 4 d, A D10->D15 = 5 d (the reopen is a cycle of its own),
    // B D0->D12 = 12 d: mean 21/3 = 7.0, median 5.0.
    let overall = &m["mttr"]["overall"];
    assert_eq!(overall["fixes"], 3);
    assert_eq!(overall["mean_days"], 7.0);
    assert_eq!(overall["median_days"], 5.0);
    assert_eq!(row(&m["mttr"]["by_service"], "shop")["mean_days"], 7.0);
    assert_eq!(
        m["mttr"]["by_service"].as_array().map(Vec::len),
        Some(1),
        "api fixed nothing"
    );
    assert_eq!(row(&m["mttr"]["by_team"], "web")["median_days"], 5.0);
    // by severity: critical (A) 4 and 5 -> 4.5; high (B) 12
    let crit = row(&m["mttr"]["by_severity"], "critical");
    assert_eq!(
        (crit["fixes"].as_u64(), crit["mean_days"].as_f64()),
        (Some(2), Some(4.5))
    );
    assert_eq!(row(&m["mttr"]["by_severity"], "high")["mean_days"], 12.0);
    // Open criticals: C (since D0, 7-day SLA due D7: breached), D (since D15: 5.99 of 7 days
    // used, due soon, not breached), E (accepted since D1: paused). 1 of 3 = 33.33%.
    assert_eq!(m["criticals_past_sla"]["open"], 3);
    assert_eq!(m["criticals_past_sla"]["past_sla"], 1);
    assert_eq!(m["criticals_past_sla"]["percent"], 33.33);
    // Density: shop C, D, E (3 critical); api none.
    assert_eq!(m["open"], 3);
    let shop = row(&m["density"], "shop");
    assert_eq!(
        (shop["open"].as_u64(), shop["critical"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(row(&m["density"], "api")["open"], 0);
    // Coverage, last 30 days: api ran all six categories at D0 (each empty scan counts for its
    // parser's primary category); shop ran SCA (trivy fs found dependencies) and secrets
    // (gitleaks, nothing found). 1 of 2 services has the full suite = 50%.
    let cov = &m["coverage"];
    assert_eq!(cov["services"], 2);
    assert_eq!(cov["full_suite_services"], 1);
    assert_eq!(cov["full_suite_percent"], 50.0);
    assert_eq!(row(&cov["rows"], "api")["full_suite"], true);
    assert_eq!(
        row(&cov["rows"], "shop")["covered"],
        serde_json::json!(["sca", "secret"])
    );
    // Weekly: W02 4 opened (D0), 1 fixed (A, D4); W03 1 reopened (A, D10), 1 fixed (B, D12);
    // W04 1 opened (D, D15), 1 fixed (A, D15).
    let weeks: Vec<(String, u64, u64, u64)> = m["weekly"]
        .as_array()
        .expect("weeks")
        .iter()
        .map(|w| {
            (
                w["week"].as_str().unwrap_or("").to_string(),
                w["opened"].as_u64().unwrap_or(99),
                w["fixed"].as_u64().unwrap_or(99),
                w["reopened"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-W02".to_string(), 4, 1, 0),
            ("2026-W03".to_string(), 0, 1, 1),
            ("2026-W04".to_string(), 1, 1, 0),
        ]
    );

    // Coverage over the last 10 days only (after 2026-01-15 23:59): api's D0 scans are out,
    // shop's D15 scans are in: nobody has the full suite.
    let m10 = metrics(&db, dir.path(), &["--as-of", "2026-01-25", "--days", "10"]);
    assert_eq!(m10["coverage"]["full_suite_percent"], 0.0);
    assert_eq!(row(&m10["coverage"]["rows"], "api")["scans"], 0);

    // As of 2026-01-10 (D5): only A's first cycle (4 days) ended; open criticals C (5.99 of 7
    // days: due soon) and E (paused): 0 of 2 past SLA; open: B, C, E.
    let m5 = metrics(&db, dir.path(), &["--as-of", "2026-01-10"]);
    assert_eq!(m5["mttr"]["overall"]["fixes"], 1);
    assert_eq!(m5["mttr"]["overall"]["mean_days"], 4.0);
    assert_eq!(m5["criticals_past_sla"]["open"], 2);
    assert_eq!(m5["criticals_past_sla"]["past_sla"], 0);
    assert_eq!(m5["open"], 3);

    // --team filters findings and services by owner
    let web = metrics(
        &db,
        dir.path(),
        &["--as-of", "2026-01-25", "--team", "platform"],
    );
    assert_eq!(web["mttr"]["overall"]["fixes"], 0);
    assert_eq!(web["coverage"]["services"], 1);

    // CSV and table render the same figures
    let out = posture(&db)
        .arg("--config")
        .arg(dir.path().join("posture.toml"))
        .args(["metrics", "--as-of", "2026-01-25", "--output", "csv"])
        .output()
        .expect("runs");
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(
        csv.starts_with("section,dimension,group,measure,value\n"),
        "{csv}"
    );
    assert!(csv.contains("mttr,all,all,mean_days,7.00\n"), "{csv}");
    assert!(
        csv.contains("criticals_past_sla,all,all,percent,33.33\n"),
        "{csv}"
    );
    posture(&db)
        .arg("--config")
        .arg(dir.path().join("posture.toml"))
        .args(["metrics", "--as-of", "2026-01-25", "--output", "table"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "open criticals past SLA: 1 of 3 (33.3%)",
        ));
}

#[test]
fn triage_states_expiry_and_sla_through_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    ingest(
        &db,
        dir.path(),
        "shop",
        "t0.json",
        &trivy(&[A, B]),
        "2026-01-05T00:00:00Z",
        None,
    );
    let a = id_of(&db, A.0);
    let b = id_of(&db, B.0);
    // an acceptance without expiry is refused
    posture(&db)
        .args(["triage", &a, "--state", "accepted", "--reason", "r"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs an expiry date (--until"));
    // a refused move names the allowed ones
    posture(&db)
        .args([
            "triage",
            &a,
            "--state",
            "false-positive",
            "--reason",
            "test data",
        ])
        .assert()
        .success();
    posture(&db)
        .args(["triage", &a, "--state", "accepted", "--reason", "r", "--until", "2099-01-01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot go from false-positive to accepted (from false-positive a finding can go to: open, confirmed)",
        ));
    // a deferral is an acceptance whose reason says so (and needs an expiry too)
    posture(&db)
        .args([
            "triage",
            &b,
            "--state",
            "deferred",
            "--reason",
            "next sprint",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs an expiry date"));
    // a role without an approver is refused
    posture(&db)
        .args([
            "triage",
            &b,
            "--state",
            "accepted",
            "--reason",
            "r",
            "--until",
            "2099-01-01",
            "--role",
            "vp",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without an approver"));
    // accepted for a month from D1
    posture(&db)
        .args([
            "triage",
            &b,
            "--state",
            "accepted",
            "--reason",
            "vendor patch due in February",
            "--until",
            "2026-02-06",
            "--approver",
            "bob",
            "--role",
            "ciso",
            "--at",
            "2026-01-06T09:00:00Z",
            "--output",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"status\": \"accepted\""));
    let show = json(posture(&db).args(["show", &b, "--output", "json"]));
    let last = show["events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .expect("event");
    assert_eq!(last["kind"], "triaged");
    assert_eq!(last["actor"], "alice");
    assert_eq!(last["approver"], "bob");
    assert_eq!(last["role"], "ciso");
    assert_eq!(last["reason"], "vendor patch due in February");
    assert_eq!(last["expires_at"], "2026-02-06T00:00:00Z");
    // the expiry sweep, before and at the expiry
    posture(&db)
        .args([
            "triage",
            "expire",
            "--at",
            "2026-02-05T23:00:00Z",
            "--output",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"expired\": []"));
    posture(&db)
        .args([
            "triage",
            "expire",
            "--at",
            "2026-02-06T00:00:00Z",
            "--output",
            "table",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("1 acceptance(s) expired"));
    let show = json(posture(&db).args(["show", &b, "--output", "json"]));
    assert_eq!(show["finding"]["status"], "open");
    let kinds: Vec<&str> = show["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    // B is high, ranked P3 without any portfolio context: the default SLA follows the band
    // (issue 15), 90 days; started D0, paused D1 09:00 .. 2026-02-06, so its breach is later
    assert_eq!(kinds, ["opened", "triaged", "expired"]);
    // findings --sla: A is false-positive (none); B runs again and, now (years later), is
    // breached; the breach is recorded once
    let breached = json(posture(&db).args(["findings", "--sla", "breached", "--output", "json"]));
    let ids: Vec<String> = breached
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|f| f["id"].as_i64().map(|i| i.to_string()))
        .collect();
    assert_eq!(ids, vec![b.clone()]);
    assert_eq!(breached[0]["sla"]["state"], "breached");
    assert_eq!(breached[0]["sla"]["days"], 90);
    assert_eq!(breached[0]["risk"]["band"], "P3");
    json(posture(&db).args(["findings", "--sla", "breached", "--output", "json"]));
    let show = json(posture(&db).args(["show", &b, "--output", "json"]));
    let breaches = show["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "sla-breached")
        .count();
    assert_eq!(breaches, 1);
    posture(&db)
        .args(["findings", "--sla", "late"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown SLA state `late`"));
}

#[test]
fn a_policy_set_sla_rule_changes_the_sla_metrics() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("p.db");
    history(&db, dir.path());
    // the same portfolio, with a policy that gives criticals 100 days
    let config = std::fs::read_to_string(dir.path().join("posture.toml")).expect("config");
    std::fs::write(
        dir.path().join("with-policy.toml"),
        format!("[policy]\nfile = \"sla.toml\"\n\n{config}"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("sla.toml"),
        "[[rule]]\nid = \"critical-100-days\"\nwhen = 'finding.severity == \"critical\"'\naction = \"set_sla\"\ndays = 100\n",
    )
    .expect("write");
    let with_policy = json(
        posture(&db)
            .arg("--config")
            .arg(dir.path().join("with-policy.toml"))
            .args(["metrics", "--as-of", "2026-01-25", "--output", "json"]),
    );
    // C (open since D0) is 20 days into a 100-day SLA: nothing past SLA
    assert_eq!(with_policy["criticals_past_sla"]["open"], 3);
    assert_eq!(with_policy["criticals_past_sla"]["past_sla"], 0);
    // the defaults (7 days) without the policy
    let defaults = metrics(&db, dir.path(), &["--as-of", "2026-01-25"]);
    assert_eq!(defaults["criticals_past_sla"]["past_sla"], 1);
}
