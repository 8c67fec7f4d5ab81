//! End-to-end tests of `posture gate` and `posture policy check|test`: the real binary, a real
//! SQLite file, hand-written Trivy reports, the example policy of the repository
//! (`examples/policy.toml`) and a small portfolio.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const PORTFOLIO: &str = r#"
[policy]
file = "policy.toml"

[[asset]]
name = "shop"
tags = ["production"]

[[asset]]
name = "customers"
data = ["customer-data"]
exposure = "internal"

[[asset]]
name = "payments"
compliance = ["pci-dss"]
exposure = "internet-facing"
"#;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("posture.toml"), PORTFOLIO).unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy.toml");
        std::fs::copy(example, dir.path().join("policy.toml")).unwrap();
        Env { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `posture` run in the environment's folder (so `posture.toml` and `policy.toml` are
    /// found there and paths in outputs are relative).
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("posture").unwrap();
        c.current_dir(self.dir.path())
            .arg("--database")
            .arg(self.path("posture.db"))
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .env("POSTURE_ACTOR", "tester");
        c
    }

    /// Writes a Trivy filesystem report of `(cve, package, severity)` vulnerabilities.
    fn report(&self, name: &str, vulns: &[(&str, &str, &str)]) -> PathBuf {
        let items: Vec<Value> = vulns
            .iter()
            .map(|(cve, pkg, sev)| {
                serde_json::json!({
                    "VulnerabilityID": cve,
                    "PkgName": pkg,
                    "InstalledVersion": "1.0.0",
                    "FixedVersion": "1.0.1",
                    "Severity": sev,
                    "Title": format!("{pkg}: {} flaw", sev.to_ascii_lowercase()),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "SchemaVersion": 2,
            "ArtifactName": ".",
            "ArtifactType": "filesystem",
            "Results": [{
                "Target": "requirements.txt",
                "Class": "lang-pkgs",
                "Type": "pip",
                "Vulnerabilities": items,
            }]
        });
        let p = self.path(name);
        std::fs::write(&p, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        p
    }

    fn ingest(&self, report: &Path, asset: &str, branch: &str, at: Option<&str>) {
        let mut c = self.cmd();
        c.arg("ingest")
            .arg(report)
            .args(["--asset", asset, "--branch", branch, "--output", "json"]);
        if let Some(at) = at {
            c.args(["--at", at]);
        }
        c.assert().success();
    }

    /// Runs the gate; returns (exit code, stdout, stderr).
    fn gate(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().arg("gate").args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn gate_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let (_, out, err) = self.gate(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
    }

    /// `posture triage ID --state accepted` for 60 days, approved by `approver` in `role`.
    fn try_accept(&self, id: i64, approval: Option<(&str, &str)>) -> (i32, String) {
        let mut c = self.cmd();
        c.args(["triage", &id.to_string(), "--state", "accepted"])
            .args(["--reason", "compensating control: WAF rule 42, fix in Q3"])
            .args(["--until", &days_ago(-60)[..10]]);
        if let Some((approver, role)) = approval {
            c.args(["--approver", approver, "--role", role]);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn accept(&self, id: i64) {
        let (code, err) = self.try_accept(id, Some(("sam", "security-lead")));
        assert_eq!(code, 0, "{err}");
    }
}

fn days_ago(n: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * n);
    t.to_string()
}

fn blocked_ids(v: &Value) -> Vec<i64> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blocked"] == true)
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn example_1_high_in_a_production_tagged_asset_blocks_until_accepted() {
    let env = Env::new();
    let main = env.report("main.json", &[("CVE-2026-1002", "jinja2", "MEDIUM")]);
    env.ingest(&main, "shop", "main", None);
    let pr = env.report(
        "pr.json",
        &[
            ("CVE-2026-1001", "flask", "HIGH"),
            ("CVE-2026-1002", "jinja2", "MEDIUM"),
            ("CVE-2026-1003", "urllib3", "LOW"),
        ],
    );
    // The gate ingests the report for the branch and fails on the new high.
    let (code, out, err) = env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "feature/login",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("posture gate FAILED"), "{out}");
    assert!(
        out.contains("3 finding(s) open on the branch, 2 evaluated"),
        "{out}"
    );
    assert!(
        out.contains("BLOCK finding #2 [high] flask: high flaw at requirements.txt (flask@1.0.0)"),
        "{out}"
    );
    assert!(
        out.contains("rule prod-high-blocks (line 13): blocks — High or critical severity in a production-tagged asset blocks merge"),
        "{out}"
    );
    // the medium is on main already (not new) and the low matches no rule
    assert!(!out.contains("jinja2"), "{out}");
    assert!(!out.contains("urllib3"), "{out}");

    // The same finding on the baseline itself: --all evaluates everything, and blocks too.
    let v = env.gate_json(&["--asset", "shop", "--branch", "feature/login", "--all"]);
    assert_eq!(v["scope"], "all");
    assert_eq!(blocked_ids(&v), [2]);

    // An approved exception: risk accepted. Reading what is stored, the gate passes.
    env.accept(2);
    let (code, out, err) = env.gate(&["--asset", "shop", "--branch", "feature/login"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("posture gate PASSED"), "{out}");
    assert!(out.contains("EXCEPTED finding #2"), "{out}");
    assert!(
        out.contains("excepted: triaged accepted, approved by sam (compensating control"),
        "{out}"
    );

    // Clearing the decision makes it block again.
    env.cmd()
        .args([
            "triage",
            "2",
            "--state",
            "open",
            "--reason",
            "control removed",
        ])
        .assert()
        .success();
    assert_eq!(
        env.gate(&["--asset", "shop", "--branch", "feature/login"])
            .0,
        1
    );
}

#[test]
fn example_2_a_critical_in_a_customer_data_service_needs_the_vp_to_defer() {
    let env = Env::new();
    let pr = env.report(
        "pr.json",
        &[
            ("CVE-2026-2001", "pyyaml", "CRITICAL"),
            ("CVE-2026-2002", "idna", "HIGH"),
        ],
    );
    let (code, out, err) = env.gate(&[
        "--asset",
        "customers",
        "--branch",
        "feature/export",
        "--baseline",
        "main",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("note: the baseline branch `main` has no scans of asset `customers`: every finding counts as new"),
        "{out}"
    );
    assert!(
        out.contains("BLOCK finding #1 [critical] pyyaml: critical flaw"),
        "{out}"
    );
    assert!(
        out.contains(
            "rule customer-data-critical-needs-vp (line 23): needs approval by role `vp` to defer"
        ),
        "{out}"
    );
    assert!(
        out.contains("rule customer-data-critical-blocks (line 31): blocks"),
        "{out}"
    );
    // the high is not production-tagged here: nothing to say about it
    assert!(!out.contains("idna"), "{out}");

    // With the policy in posture.toml, triage itself asks for the vp.
    let (code, err) = env.try_accept(1, None);
    assert_eq!(code, 2);
    assert!(err.contains("needs the approval of the `vp` role"), "{err}");
    let (code, err) = env.try_accept(1, Some(("sam", "security-lead")));
    assert_eq!(code, 2);
    assert!(
        err.contains("the approver's role is `security-lead`"),
        "{err}"
    );

    // A decision recorded without the policy (another configuration) is no exception: the
    // gate checks the approver's role itself.
    std::fs::write(
        env.path("no-policy.toml"),
        PORTFOLIO.replace("[policy]\nfile = \"policy.toml\"", ""),
    )
    .unwrap();
    env.cmd()
        .args([
            "--config",
            "no-policy.toml",
            "triage",
            "1",
            "--state",
            "accepted",
        ])
        .args(["--reason", "later", "--until", &days_ago(-30)[..10]])
        .assert()
        .success();
    let (code, out, err) = env.gate(&["--asset", "customers", "--branch", "feature/export"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("triaged accepted, but rule `customer-data-critical-needs-vp` needs approval by role `vp`: not an exception"),
        "{out}"
    );

    // Approved by the vp: an exception, the gate passes.
    let (code, err) = env.try_accept(1, Some(("vic", "vp")));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = env.gate(&["--asset", "customers", "--branch", "feature/export"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("EXCEPTED finding #1"), "{out}");
    assert!(
        out.contains("excepted: triaged accepted, approved by vic"),
        "{out}"
    );
}

#[test]
fn example_3_findings_older_than_30_days_in_a_pci_service_are_escalated() {
    let env = Env::new();
    let old = env.report("old.json", &[("CVE-2026-3001", "requests", "LOW")]);
    env.ingest(&old, "payments", "feature/refunds", Some(&days_ago(40)));

    // Evaluated 10 days after the scan: nothing yet.
    let (code, out, err) = env.gate(&[
        "--asset",
        "payments",
        "--branch",
        "feature/refunds",
        "--at",
        &days_ago(30),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("escalat"), "{out}");

    // Evaluated now, 40 days after: escalated and blocking.
    let (code, out, err) = env.gate(&["--asset", "payments", "--branch", "feature/refunds"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("BLOCK finding #1 [low] requests: low flaw"),
        "{out}"
    );
    assert!(
        out.contains("rule pci-older-than-30-days-escalate (line 42): escalates to jira:SEC — Any finding older than 30 days in a PCI-scoped service is escalated"),
        "{out}"
    );
    assert!(
        out.contains("rule pci-older-than-30-days-blocks (line 50): blocks"),
        "{out}"
    );

    env.accept(1);
    let v = env.gate_json(&["--asset", "payments", "--branch", "feature/refunds"]);
    assert_eq!(v["passed"], true);
    assert_eq!(v["excepted"], 1);
    // still reported for the ticketing integration
    let rules: Vec<&str> = v["findings"][0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "pci-older-than-30-days-escalate",
            "pci-older-than-30-days-blocks"
        ]
    );
}

const BROKEN: &str = r#"# a policy with four mistakes
[[rule]]
id = "prod-high-blocks"
when = 'finding.sevrity == "high" && "production" in asset.tags'
action = "block"

[[rule]]
id = "needs-vp"
when = 'finding.severity == "critical" &&'
action = "require_approval"

[[rule]]
id = "escalate"
when = 'true'
action = "escalte"
"#;

#[test]
fn a_malformed_policy_exits_2_pointing_at_every_error() {
    let env = Env::new();
    std::fs::write(env.path("broken.toml"), BROKEN).unwrap();
    let pr = env.report("pr.json", &[("CVE-2026-1001", "flask", "HIGH")]);
    let (code, out, err) = env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "b",
        "--policy",
        "broken.toml",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    for at in [
        "error[P008]: unknown field `sevrity` of `finding`",
        "--> broken.toml:4:17",
        "did you mean `severity`?",
        "error[P007]: CEL syntax",
        "--> broken.toml:9:",
        "error[P006]: `require_approval` needs a `role`",
        "--> broken.toml:10:10",
        "error[P005]: unknown action `escalte`",
        "--> broken.toml:15:10",
        "error: broken.toml has 4 errors",
    ] {
        assert!(err.contains(at), "missing `{at}` in:\n{err}");
    }
    // nothing was ingested: the policy is checked before the reports
    env.cmd()
        .args(["findings", "--output", "json"])
        .assert()
        .success()
        .stdout("[]\n");
    // `posture policy check` reports the same, and passes the example
    let out = env
        .cmd()
        .args(["policy", "check", "--policy", "broken.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.toml has 4 errors"));
    env.cmd()
        .args(["policy", "check"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "policy.toml: 7 rule(s), no errors",
        ));
}

/// Issue 17: the pull-request comment says which upgrade closes the blocking findings.
#[test]
fn the_comment_names_the_upgrade_that_closes_the_blocking_findings() {
    let env = Env::new();
    let main = env.report("main.json", &[("CVE-2026-1002", "jinja2", "MEDIUM")]);
    env.ingest(&main, "shop", "main", None);
    let vulns: Vec<Value> = [
        ("CVE-2018-3721", "4.17.5"),
        ("CVE-2018-16487", "4.17.9"),
        ("CVE-2018-1000620", "4.17.10"),
    ]
    .iter()
    .map(|(cve, fixed)| {
        serde_json::json!({
            "VulnerabilityID": cve, "PkgName": "lodash", "InstalledVersion": "4.17.4",
            "FixedVersion": fixed, "Severity": "HIGH", "Title": format!("lodash: {cve}"),
        })
    })
    .collect();
    let doc = serde_json::json!({
        "SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
        "Results": [{ "Target": "package-lock.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": vulns }]
    });
    let pr = env.path("pr.json");
    std::fs::write(&pr, serde_json::to_vec(&doc).unwrap()).unwrap();
    let (code, out, err) = env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "pr-9",
        "--markdown",
        "gate.md",
        "--sarif",
        "gate.sarif",
        "--output",
        "json",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let md = std::fs::read_to_string(env.path("gate.md")).unwrap();
    assert!(md.contains("3 blocking"), "{md}");
    assert!(
        md.contains("#### Fixes\n\n- upgrade lodash 4.17.4 → 4.17.10 closes 3 findings: "),
        "{md}"
    );
    // The JSON outcome and the SARIF say the same (a CI job reading either one).
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let fixes = v["fixes"].as_array().unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(fixes.len(), 1, "{v:#}");
    assert_eq!(fixes[0]["summary"], "upgrade lodash 4.17.4 → 4.17.10");
    assert_eq!(fixes[0]["closes"], 3);
    assert_eq!(fixes[0]["findings"].as_array().map(Vec::len), Some(3));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("gate.sarif")).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_fix: Vec<&Value> = results
        .iter()
        .filter(|r| r["properties"]["fix"]["summary"] == "upgrade lodash 4.17.4 → 4.17.10")
        .collect();
    assert_eq!(with_fix.len(), 3, "{sarif:#}");
    assert!(
        with_fix.iter().all(|r| {
            r["message"]["text"].as_str().is_some_and(|t| {
                t.ends_with("Fix: upgrade lodash 4.17.4 → 4.17.10 closes 3 findings")
            })
        }),
        "{sarif:#}"
    );
}

#[test]
fn gate_reports_markdown_sarif_and_junit() {
    let env = Env::new();
    let main = env.report("main.json", &[("CVE-2026-1002", "jinja2", "MEDIUM")]);
    env.ingest(&main, "shop", "main", None);
    let pr = env.report(
        "pr.json",
        &[
            ("CVE-2026-1001", "flask", "HIGH"),
            ("CVE-2026-1004", "django", "CRITICAL"),
            ("CVE-2026-1002", "jinja2", "MEDIUM"),
        ],
    );
    let (code, out, err) = env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "pr-7",
        "--markdown",
        "gate.md",
        "--sarif",
        "gate.sarif",
        "--junit",
        "gate.xml",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    env.accept(3);
    let (code, out, err) = env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "pr-7",
        "--markdown",
        "gate.md",
        "--sarif",
        "gate.sarif",
        "--junit",
        "gate.xml",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");

    // Markdown for the PR comment.
    let md = std::fs::read_to_string(env.path("gate.md")).unwrap();
    insta::assert_snapshot!(md);

    // SARIF validates against the OASIS SARIF 2.1.0 schema.
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/sarif-2.1.0.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(env.path("gate.sarif")).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "note"]); // blocked flask, excepted django
    for r in results {
        let fp = r["partialFingerprints"]["postureFinding/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 32, "{fp}");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "requirements.txt"
        );
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 2);
    assert!(rules.iter().all(|r| r["help"]["text"].is_string()));
    // Stable fingerprints: the same finding keeps its fingerprint on a later run.
    let first = results[0]["partialFingerprints"].clone();
    env.gate(&[
        "--asset",
        "shop",
        "--branch",
        "pr-7",
        "--sarif",
        "again.sarif",
    ]);
    let again: Value =
        serde_json::from_slice(&std::fs::read(env.path("again.sarif")).unwrap()).unwrap();
    assert_eq!(again["runs"][0]["results"][0]["partialFingerprints"], first);

    // JUnit parses back: one case for the gate, one per finding, one failure.
    let xml = std::fs::read_to_string(env.path("gate.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!((cases, failures), (3, 1), "{xml}");
    assert!(
        xml.contains(r#"<testsuites name="posture gate" tests="3" failures="1" errors="0">"#),
        "{xml}"
    );
}

#[test]
fn policy_test_replays_the_history() {
    let env = Env::new();
    // main, 20 days ago: a medium; a PR 12 days ago adds a high, which main then also gets.
    let main1 = env.report("m1.json", &[("CVE-2026-1002", "jinja2", "MEDIUM")]);
    env.ingest(&main1, "shop", "main", Some(&days_ago(20)));
    let pr = env.report(
        "pr.json",
        &[
            ("CVE-2026-1002", "jinja2", "MEDIUM"),
            ("CVE-2026-1001", "flask", "HIGH"),
        ],
    );
    env.ingest(&pr, "shop", "feature", Some(&days_ago(12)));
    env.ingest(&pr, "shop", "main", Some(&days_ago(10)));
    // payments: a critical 5 days old (policy SLA 3 days for internet-facing criticals,
    // default 7), and a low 40 days old (escalated after 30 days)
    let pay_old = env.report("p1.json", &[("CVE-2026-3001", "requests", "LOW")]);
    env.ingest(&pay_old, "payments", "main", Some(&days_ago(40)));
    let pay = env.report(
        "p2.json",
        &[
            ("CVE-2026-3001", "requests", "LOW"),
            ("CVE-2026-3002", "lxml", "CRITICAL"),
        ],
    );
    env.ingest(&pay, "payments", "main", Some(&days_ago(5)));

    let out = env
        .cmd()
        .args(["policy", "test", "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["runs"].as_array().unwrap();
    let summary: Vec<(String, String, bool, Vec<i64>)> = runs
        .iter()
        .map(|r| {
            (
                r["asset"].as_str().unwrap().to_string(),
                r["branch"].as_str().unwrap().to_string(),
                r["failed"].as_bool().unwrap(),
                r["blocked"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_i64().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("payments".into(), "main".into(), false, vec![]),
            ("shop".into(), "main".into(), false, vec![]),
            ("shop".into(), "feature".into(), true, vec![2]),
            ("shop".into(), "main".into(), true, vec![2]),
            // the low is 35 days old at this run: the PCI block applies, and the critical too
            // is blocked by nothing (payments is not production-tagged or customer-data)
            ("payments".into(), "main".into(), true, vec![3]),
        ],
        "{v:#}"
    );
    assert_eq!(v["gates_failed"], 3);
    let esc: Vec<(i64, &str)> = v["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["finding_id"].as_i64().unwrap(),
                e["rule_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(esc, [(3, "pci-older-than-30-days-escalate")]);
    // SLA now: the critical (5 days old) is past the policy's 3 days, not the default 7;
    // the low (40 days, 180 allowed) and the rest are within
    assert_eq!(v["sla"]["open"], 4);
    assert_eq!(v["sla"]["past_sla_default"], 0);
    assert_eq!(v["sla"]["past_sla_policy"], 1);
    assert_eq!(v["sla"]["changed"][0]["finding_id"], 4);
    assert_eq!(v["sla"]["changed"][0]["policy_days"], 3);
    assert_eq!(
        v["sla"]["changed"][0]["rule_id"],
        "internet-facing-critical-sla"
    );

    // The table names the figures.
    env.cmd()
        .args(["policy", "test", "--asset", "payments", "--output", "table"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "1 of 2 gate run(s) would have failed",
        ))
        .stdout(predicates::str::contains(
            "past SLA 0 under the defaults, 1 under the policy",
        ));
}

#[test]
fn sla_days_chosen_by_policy_drive_the_sla_state_rules_see() {
    let env = Env::new();
    let r = env.report("r.json", &[("CVE-2026-4001", "pyjwt", "MEDIUM")]);
    env.ingest(&r, "shop", "main", Some(&days_ago(3)));
    let base = r#"
[[rule]]
id = "breached-blocks"
when = 'finding.sla.state == "breached"'
action = "block"
"#;
    std::fs::write(env.path("sla.toml"), base).unwrap();
    // default SLA for a medium: 90 days, 3 used
    let v = env.gate_json(&["--asset", "shop", "--all", "--policy", "sla.toml"]);
    assert_eq!(v["passed"], true, "{v:#}");
    // a policy SLA of 2 days for this asset: breached a day ago
    let strict = format!(
        "{base}\n[[rule]]\nid = \"shop-2-days\"\nwhen = 'asset.name == \"shop\"'\naction = \"set_sla\"\ndays = 2\n"
    );
    std::fs::write(env.path("sla.toml"), strict).unwrap();
    let (code, out, err) = env.gate(&["--asset", "shop", "--all", "--policy", "sla.toml"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("rule breached-blocks (line 2): blocks"),
        "{out}"
    );
    // a rule that cannot be evaluated on a real finding is an error (exit 2), not a pass
    std::fs::write(
        env.path("null.toml"),
        "[[rule]]\nid = \"late\"\nwhen = 'finding.sla.days_left < 0'\naction = \"block\"\n",
    )
    .unwrap();
    let info = env.report("info.json", &[("CVE-2026-4002", "six", "UNKNOWN")]);
    env.ingest(&info, "customers", "main", None);
    let (code, out, err) = env.gate(&["--asset", "customers", "--all", "--policy", "null.toml"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.contains("posture gate ERROR"), "{out}");
    assert!(
        out.contains("error: rule late (line 1) could not be evaluated on finding #2"),
        "{out}"
    );
}

#[test]
fn the_policy_of_posture_toml_sets_the_sla_of_findings_and_metrics() {
    let env = Env::new();
    // payments is internet-facing: the example policy gives its criticals 3 days (default 7)
    let r = env.report("r.json", &[("CVE-2026-5001", "lxml", "CRITICAL")]);
    env.ingest(&r, "payments", "main", Some(&days_ago(5)));
    let breached = |config: &str| -> usize {
        let out = env
            .cmd()
            .args([
                "--config", config, "findings", "--sla", "breached", "--output", "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().len()
    };
    std::fs::write(
        env.path("no-policy.toml"),
        PORTFOLIO.replace("[policy]\nfile = \"policy.toml\"", ""),
    )
    .unwrap();
    assert_eq!(breached("no-policy.toml"), 0);
    assert_eq!(breached("posture.toml"), 1);
    let metrics = |config: &str| -> Value {
        let out = env
            .cmd()
            .args(["--config", config, "metrics", "--output", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["criticals_past_sla"].clone()
    };
    assert_eq!(metrics("no-policy.toml")["past_sla"], 0);
    assert_eq!(metrics("posture.toml")["past_sla"], 1);
}

/// Issue 14, observation 4: `posture gate --asset flask-ap` (a typo: no scans, not in
/// posture.toml) printed PASSED and exited 0. It must exit 2 naming the closest asset; a first
/// run is allowed explicitly; a declared asset with no scans yet passes with a note.
#[test]
fn a_gate_on_an_unknown_asset_fails_closed() {
    let env = Env::new();
    let main = env.report("main.json", &[("CVE-2026-1001", "flask", "HIGH")]);
    env.ingest(&main, "flask-app", "main", None);

    let (code, out, err) = env.gate(&["--asset", "flask-ap", "--branch", "feature/x"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(!out.contains("PASSED"), "{out}");
    assert!(
        err.contains("asset `flask-ap` has no scans and posture.toml does not declare it (did you mean `flask-app`?)"),
        "{err}"
    );
    assert!(err.contains("--allow-new-asset"), "{err}");

    // An explicit first run passes (nothing to judge) and says so.
    let (code, out, err) = env.gate(&[
        "--asset",
        "brand-new",
        "--branch",
        "feature/x",
        "--allow-new-asset",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("asset `brand-new` has no scans yet"), "{out}");

    // Declared in posture.toml, never scanned: passes, with the same note.
    let (code, out, err) = env.gate(&["--asset", "customers", "--branch", "feature/x"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("asset `customers` has no scans yet"), "{out}");

    // With the reports given to the gate, a new asset is scanned by the gate itself.
    let pr = env.report("pr.json", &[("CVE-2026-1001", "flask", "HIGH")]);
    let (code, out, err) = env.gate(&[
        "--asset",
        "other-app",
        "--branch",
        "main",
        pr.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");

    // Listings: a misspelt asset or team is an error naming the closest, not an empty list.
    let out = env
        .cmd()
        .args(["findings", "--asset", "flask-ap", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no asset `flask-ap` (did you mean `flask-app`?)"),
        "{err}"
    );
    let out = env
        .cmd()
        .args(["findings", "--team", "nobody", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    env.cmd()
        .args(["findings", "--asset", "flask-app", "--output", "json"])
        .assert()
        .success();
}

/// Issue 14, observation 4: the example policy's headline rule (`"production" in asset.tags`)
/// matched none of the demo's assets, which posture.toml marks `environment = "production"`:
/// identity-service (production, tier-1, open criticals) passed `gate --all`. The example
/// policy is exercised on the demo portfolio here.
#[test]
fn the_example_policy_fires_on_the_demo_portfolio() {
    // Its own folder: the demo writes posture.toml beside the database where there is none.
    let dir = tempfile::tempdir().unwrap();
    let posture = |args: &[&str]| {
        let mut c = Command::cargo_bin("posture").unwrap();
        c.current_dir(dir.path())
            .arg("--database")
            .arg(dir.path().join("posture.db"))
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .env("POSTURE_ACTOR", "tester")
            .args(args);
        c
    };
    posture(&["demo", "--no-serve", "--weeks", "4"])
        .assert()
        .success();
    // The demo's posture.toml names policy.toml (`[policy] file`): the example replaces the
    // demo's own policy there.
    let config = dir.path().join("posture.toml");
    let toml = std::fs::read_to_string(&config).unwrap();
    assert!(toml.contains("[policy]\nfile = \"policy.toml\""), "{toml}");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy.toml");
    std::fs::copy(example, dir.path().join("policy.toml")).unwrap();
    let out = posture(&[
        "gate",
        "--asset",
        "identity-service",
        "--branch",
        "main",
        "--all",
        "--output",
        "json",
    ])
    .output()
    .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let blocking_rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blocked"] == true)
        .flat_map(|f| f["matches"].as_array().unwrap().iter())
        .filter_map(|m| m["rule_id"].as_str())
        .collect();
    assert!(
        blocking_rules.contains(&"prod-high-blocks"),
        "the production rule must fire on the demo's production asset: {blocking_rules:?}"
    );
}

/// Issue 14, observation 4: `policy check` said "no errors" for a rule that matched nothing
/// stored, and `policy test` had no per-rule hit count that would show "0 matches".
#[test]
fn policy_check_warns_of_rules_matching_nothing_and_policy_test_counts_hits() {
    let env = Env::new();
    let main = env.report("main.json", &[("CVE-2026-1001", "flask", "HIGH")]);
    env.ingest(&main, "shop", "main", None);

    let out = env.cmd().args(["policy", "check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let line_of = |id: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id}: {text}"))
            .to_string()
    };
    assert!(
        line_of("prod-high-blocks").contains("1 finding(s) match now"),
        "{text}"
    );
    assert!(
        line_of("customer-data-critical-blocks").contains("0 finding(s) match now"),
        "{text}"
    );
    assert!(
        text.contains("warning: rule `customer-data-critical-blocks` (line "),
        "{text}"
    );
    assert!(!text.contains("warning: rule `prod-high-blocks`"), "{text}");

    let out = env
        .cmd()
        .args(["policy", "test", "--output", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = |id: &str| {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule_id"] == id)
            .unwrap_or_else(|| panic!("no rule {id}: {v:#}"))["matched"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(hits("prod-high-blocks"), 1);
    assert_eq!(hits("customer-data-critical-blocks"), 0);
    let table = env
        .cmd()
        .args(["policy", "test", "--output", "table"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("What each rule matches now"), "{table}");

    // Without a database, check does not create one and says the rules were not tried.
    let fresh = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .current_dir(env.dir.path())
        .arg("--database")
        .arg(fresh.path().join("none.db"))
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .args(["policy", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("the rules were not tried"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!fresh.path().join("none.db").exists());
}
