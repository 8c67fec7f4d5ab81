//! SAST, SCA and runtime as one story, with the real binary on SQLite and PostgreSQL (issue
//! 15): bandit finds `yaml.load` at app/app.py:329 (B506), pip-audit finds PyYAML 3.12 with
//! PYSEC-2018-49 (arbitrary code through `yaml.load`), and a production lcov sample says line
//! 329 ran 12,000 times. The dependency finding becomes reachable "through app/app.py:329 ...
//! executed 12000 times in production", each finding names the other, an unrelated package
//! (requests, not called by any finding's code) gets no link, and no finding is created.
//! Report shapes are those of bandit 1.9 and pip-audit 2.9 on the multiscan flask target.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use serde_json::Value;
use std::process::Command;

const PORTFOLIO: &str = r#"
[[asset]]
name = "flask-app"
environment = "production"
exposure = "internet-facing"
"#;

const BANDIT: &str = r#"{
  "errors": [],
  "generated_at": "2026-11-30T09:00:00Z",
  "metrics": {},
  "results": [
    {
      "code": "328 \n329         ydata = yaml.load(y)\n330 \n",
      "col_offset": 16,
      "end_col_offset": 28,
      "filename": "./app/app.py",
      "issue_confidence": "HIGH",
      "issue_cwe": {"id": 20, "link": "https://cwe.mitre.org/data/definitions/20.html"},
      "issue_severity": "MEDIUM",
      "issue_text": "Use of unsafe yaml load. Allows instantiation of arbitrary objects. Consider yaml.safe_load().",
      "line_number": 329,
      "line_range": [329],
      "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b506_yaml_load.html",
      "test_id": "B506",
      "test_name": "yaml_load"
    },
    {
      "code": "260                     print(search_term)\n261                     str_query = \"SELECT first_name FROM customer WHERE username = '%s';\" % search_term\n",
      "col_offset": 32,
      "end_col_offset": 100,
      "filename": "./app/app.py",
      "issue_confidence": "LOW",
      "issue_cwe": {"id": 89, "link": "https://cwe.mitre.org/data/definitions/89.html"},
      "issue_severity": "MEDIUM",
      "issue_text": "Possible SQL injection vector through string-based query construction.",
      "line_number": 261,
      "line_range": [261],
      "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b608_hardcoded_sql_expressions.html",
      "test_id": "B608",
      "test_name": "hardcoded_sql_expressions"
    }
  ]
}"#;

const PIP_AUDIT: &str = r#"{"dependencies": [
  {"name": "pyyaml", "version": "3.12", "vulns": [{"id": "PYSEC-2018-49", "fix_versions": ["5.1"], "aliases": ["CVE-2017-18342", "GHSA-rprw-h62v-c2w7"], "description": "In PyYAML before 5.1, the yaml.load() API could execute arbitrary code if used with untrusted data."}]},
  {"name": "requests", "version": "2.18.1", "vulns": [{"id": "PYSEC-2023-74", "fix_versions": ["2.31.0"], "aliases": ["GHSA-j8r2-6x86-q33q", "CVE-2023-32681"], "description": "Requests has been leaking Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint."}]},
  {"name": "six", "version": "1.16.0", "vulns": []}
], "fixes": []}"#;

const LCOV: &str = "TN:production-sample
SF:/srv/app/app/app.py
DA:329,12000
DA:261,0
end_of_record
";

struct App<'a> {
    db: &'a str,
    dir: tempfile::TempDir,
}

impl App<'_> {
    fn ok(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_posture"))
            .current_dir(self.dir.path())
            .arg("--database")
            .arg(self.db)
            .arg("--config")
            .arg(self.dir.path().join("posture.toml"))
            .args(args)
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .env(
                "POSTURE_SECRET_KEY",
                posture_store::testing::TEST_SECRET_KEY,
            )
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "posture {args:?}\n{stdout}\n{stderr}");
        stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    fn find(list: &Value, f: impl Fn(&Value) -> bool) -> &Value {
        list.as_array().unwrap().iter().find(|x| f(x)).unwrap()
    }
}

fn package(f: &Value) -> Option<&str> {
    f["occurrences"][0]["package"]["name"].as_str()
}

fn term<'v>(x: &'v Value, name: &str) -> &'v Value {
    x["risk"]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
}

fn sast_sca_and_runtime_tell_one_story(b: &TestBackend) {
    let app = App {
        db: b.location(),
        dir: tempfile::tempdir().unwrap(),
    };
    app.write("posture.toml", PORTFOLIO);
    let bandit = app.write("bandit.json", BANDIT);
    let audit = app.write("pip-audit.json", PIP_AUDIT);
    app.json(&["ingest", &bandit, &audit, "--asset", "flask-app"]);
    let list = app.json(&["findings", "--asset", "flask-app", "--sort", "risk"]);
    assert_eq!(list.as_array().unwrap().len(), 4, "{list}");
    let yaml_load = App::find(&list, |f| f["rule_id"] == "B506");
    let sqli = App::find(&list, |f| f["rule_id"] == "B608");
    let pyyaml = App::find(&list, |f| package(f) == Some("pyyaml"));
    let requests = App::find(&list, |f| package(f) == Some("requests"));
    let (yaml_id, pyyaml_id) = (
        yaml_load["id"].as_i64().unwrap(),
        pyyaml["id"].as_i64().unwrap(),
    );

    // the link, both ways, before any coverage: names only, no score change
    let related = &yaml_load["related"];
    assert_eq!(related.as_array().map(Vec::len), Some(1), "{yaml_load}");
    assert_eq!(related[0]["id"], pyyaml_id);
    assert_eq!(related[0]["relation"], "calls-vulnerable-package");
    let text = related[0]["text"].as_str().unwrap();
    assert!(
        text.contains("calls pyyaml 3.12") && text.contains("PYSEC-2018-49"),
        "{text}"
    );
    assert_eq!(pyyaml["related"][0]["id"], yaml_id, "{pyyaml}");
    assert_eq!(pyyaml["related"][0]["relation"], "called-at");
    assert_eq!(
        sqli["related"],
        serde_json::json!([]),
        "SQL built from strings calls no package: {sqli}"
    );
    assert_eq!(
        requests["related"],
        serde_json::json!([]),
        "nothing calls requests: {requests}"
    );
    let before = pyyaml["risk"]["score"].as_f64().unwrap();
    let x = app.json(&["explain", &pyyaml_id.to_string()]);
    assert_eq!(term(&x, "reachability")["value"], "unknown");

    // production coverage: line 329 ran 12,000 times
    let lcov = app.write("production.info", LCOV);
    app.json(&[
        "ingest",
        &lcov,
        "--asset",
        "flask-app",
        "--kind",
        "runtime",
        "--environment",
        "production",
    ]);
    let list = app.json(&["findings", "--asset", "flask-app", "--sort", "risk"]);
    assert_eq!(
        list.as_array().unwrap().len(),
        4,
        "coverage creates no finding"
    );
    let pyyaml = App::find(&list, |f| f["id"] == pyyaml_id);
    assert!(
        pyyaml["risk"]["score"].as_f64().unwrap() > before,
        "the called package is escalated: {before} -> {}",
        pyyaml["risk"]["score"]
    );
    let x = app.json(&["explain", &pyyaml_id.to_string()]);
    let reach = term(&x, "reachability");
    assert_eq!(reach["value"], "reachable", "{reach}");
    let source = reach["source"].as_str().unwrap();
    for part in [
        "reachable through app/app.py:329",
        &format!("finding #{yaml_id}"),
        "bandit B506",
        "executed 12000 times in production",
        "production.info (lcov)",
    ] {
        assert!(source.contains(part), "`{part}` not in `{source}`");
    }
    let text = app.ok(&["explain", &pyyaml_id.to_string()]);
    assert!(text.contains("reachable through app/app.py:329"), "{text}");
    let pyyaml_related = &pyyaml["related"][0]["text"];
    assert!(
        pyyaml_related
            .as_str()
            .unwrap()
            .contains("executed 12000 times in production"),
        "{pyyaml_related}"
    );
    // requests stays unknown: no call site, whatever ran
    let requests_id = requests["id"].as_i64().unwrap().to_string();
    let x = app.json(&["explain", &requests_id]);
    assert_eq!(term(&x, "reachability")["value"], "unknown");
}

on_both_backends!(sast_sca_and_runtime_tell_one_story);
