//! `posture fixes` end to end, with the real binary on a real database (SQLite, and
//! PostgreSQL when reachable): remediation actions from ingested reports.

use assert_cmd::Command;
use posture_store::on_both_backends;
use posture_store::testing::TestBackend;
use std::ffi::OsStr;

fn posture(db: impl AsRef<OsStr>) -> Command {
    let mut c = Command::cargo_bin("posture").expect("binary");
    c.arg("--database")
        .arg(db)
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .env(
            "POSTURE_SECRET_KEY",
            posture_store::testing::TEST_SECRET_KEY,
        );
    c
}

/// A Trivy report of a Node application: lodash 4.17.4 with three CVEs fixed in 4.17.5,
/// 4.17.9 and 4.17.10, and `package` with a CVE no version fixes.
fn trivy_report(package: &str) -> String {
    let vuln = |id: &str, pkg: &str, installed: &str, fixed: Option<&str>, severity: &str| {
        let fixed = fixed
            .map(|f| format!(r#","FixedVersion":"{f}""#))
            .unwrap_or_default();
        format!(
            r#"{{"VulnerabilityID":"{id}","PkgName":"{pkg}","PkgIdentifier":{{"PURL":"pkg:npm/{pkg}@{installed}"}},"InstalledVersion":"{installed}"{fixed},"Severity":"{severity}","Title":"{id} in {pkg}"}}"#
        )
    };
    let vulns = [
        vuln(
            "CVE-2018-3721",
            "lodash",
            "4.17.4",
            Some("4.17.5"),
            "MEDIUM",
        ),
        vuln("CVE-2018-16487", "lodash", "4.17.4", Some("4.17.9"), "HIGH"),
        vuln(
            "CVE-2018-1000620",
            "lodash",
            "4.17.4",
            Some("4.17.10"),
            "CRITICAL",
        ),
        vuln("CVE-2099-0001", package, "1.0.0", None, "HIGH"),
    ];
    format!(
        r#"{{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[{{"Target":"package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":[{}]}}]}}"#,
        vulns.join(",")
    )
}

fn run_json(db: impl AsRef<OsStr>, args: &[&str]) -> serde_json::Value {
    let out = posture(db).args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn one_upgrade_closes_every_cve_in_both_assets(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, trivy_report("=cmd|' /C calc'!A0")).expect("write");
    for asset in ["storefront", "backoffice"] {
        posture(db)
            .args([
                "ingest", "--asset", asset, "--branch", "main", "--output", "json",
            ])
            .arg(&report)
            .assert()
            .success();
    }
    let findings = run_json(db, &["findings", "--output", "json"]);
    let lodash: Vec<i64> = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["title"].as_str().unwrap_or("").ends_with("in lodash"))
        .map(|f| f["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(lodash.len(), 6, "three CVEs in two assets");

    let plan = run_json(db, &["fixes", "--output", "json"]);
    let actions = plan["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 1, "one action: {plan:#}");
    let a = &actions[0];
    assert_eq!(a["kind"], "package-upgrade");
    assert_eq!(a["package"]["name"], "lodash");
    assert_eq!(a["package"]["ecosystem"], "npm");
    assert_eq!(a["package"]["purl"], "pkg:npm/lodash@4.17.4");
    assert_eq!(a["installed"], "4.17.4");
    assert_eq!(a["to_version"], "4.17.10");
    assert_eq!(a["major"], false);
    let mut closed: Vec<i64> = a["findings"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|i| i.as_i64().expect("id"))
        .collect();
    closed.sort_unstable();
    let mut expected = lodash.clone();
    expected.sort_unstable();
    assert_eq!(closed, expected, "all six findings");
    assert_eq!(a["assets"], serde_json::json!(["backoffice", "storefront"]));
    assert_eq!(a["unfixable"], serde_json::json!([]));
    let risk: f64 = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| lodash.contains(&f["id"].as_i64().expect("id")))
        .map(|f| f["risk"]["score"].as_f64().expect("score"))
        .sum();
    let removed = a["risk_removed"].as_f64().expect("risk_removed");
    assert!(
        (removed - risk).abs() < 0.11,
        "risk removed {removed} is the sum of the six scores {risk}"
    );
    // the package with no fixed version gets no upgrade
    let unfixable = plan["unfixable"].as_array().expect("unfixable");
    assert_eq!(unfixable.len(), 1);
    assert_eq!(unfixable[0]["findings"].as_array().expect("ids").len(), 2);
    assert_eq!(plan["open_findings"], 8);
    assert_eq!(plan["findings_in_actions"], 6);

    // one asset: three findings
    let one = run_json(db, &["fixes", "--asset", "storefront", "--output", "json"]);
    assert_eq!(
        one["actions"][0]["findings"].as_array().expect("ids").len(),
        3
    );
    assert_eq!(
        one["actions"][0]["assets"],
        serde_json::json!(["storefront"])
    );

    // the table says it in words
    let out = posture(db)
        .args(["fixes", "--output", "table"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("upgrade lodash 4.17.4 → 4.17.10"), "{text}");
    assert!(
        text.contains("1 action closes 6 of 8 open findings."),
        "{text}"
    );
    assert!(
        text.contains("1 package (2 findings) with no fixed version"),
        "{text}"
    );

    // CSV: a cell a spreadsheet would run is defused
    posture(db)
        .args(["ingest", "--asset", "storefront", "--branch", "main", "--output", "json"])
        .arg({
            let r = dir.path().join("trivy-2.json");
            std::fs::write(
                &r,
                trivy_report("=cmd|' /C calc'!A0").replace(
                    r#""CVE-2099-0001","PkgName":"=cmd|' /C calc'!A0","PkgIdentifier":{"PURL":"pkg:npm/=cmd|' /C calc'!A0@1.0.0"},"InstalledVersion":"1.0.0""#,
                    r#""CVE-2099-0001","PkgName":"=cmd|' /C calc'!A0","PkgIdentifier":{"PURL":"pkg:npm/=cmd|' /C calc'!A0@1.0.0"},"InstalledVersion":"1.0.0","FixedVersion":"1.0.1""#,
                ),
            )
            .expect("write");
            r
        })
        .assert()
        .success();
    let out = posture(db)
        .args(["fixes", "--output", "csv"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        csv.starts_with("rank,kind,action,package,ecosystem,purl,installed,to_version,major"),
        "{csv}"
    );
    assert!(
        csv.contains(",'=cmd|"),
        "the package name is defused: {csv}"
    );
    assert!(!csv.contains(",=cmd"), "{csv}");
    assert!(csv.contains(",upgrade lodash 4.17.4 → 4.17.10,lodash,npm,pkg:npm/lodash@4.17.4,4.17.4,4.17.10,false,6,"), "{csv}");
}

fn a_typo_in_a_name_is_an_error_naming_the_closest(b: &TestBackend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = b.location();
    let report = dir.path().join("trivy.json");
    std::fs::write(&report, trivy_report("left-pad")).expect("write");
    posture(db)
        .args(["ingest", "--asset", "storefront", "--output", "json"])
        .arg(&report)
        .assert()
        .success();
    let out = posture(db)
        .args(["fixes", "--asset", "storefrnt"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("storefront"), "{err}");
}

on_both_backends!(
    one_upgrade_closes_every_cve_in_both_assets,
    a_typo_in_a_name_is_an_error_naming_the_closest,
);
