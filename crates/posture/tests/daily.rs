//! Issue 20 through the real `posture` binary on a SQLite file: `findings --search` (and
//! `--cve`, `--package`, `--path`, `--updated-after`), `posture components`, and bulk
//! `posture triage` by ids or by a filter, all or nothing.

use assert_cmd::Command;
use serde_json::Value;
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

fn json(c: &mut Command) -> Value {
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

const IMAGE: &str = r#"{"SchemaVersion":2,"ArtifactName":"ghcr.io/acme/payments:1.0","ArtifactType":"container_image","Results":[
 {"Target":"ghcr.io/acme/payments:1.0 (debian 10.13)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[
   {"VulnerabilityID":"CVE-2019-1010022","PkgName":"libc6","InstalledVersion":"2.28-10","Severity":"CRITICAL","Title":"glibc: stack guard protection bypass"}]},
 {"Target":"app/package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":[
   {"VulnerabilityID":"CVE-2021-23337","VendorIDs":["GHSA-35jh-r3h4-6jhm"],"PkgName":"lodash","InstalledVersion":"4.17.20","FixedVersion":"4.17.21","Severity":"HIGH","Title":"lodash: command injection"}]}]}"#;

const SHOP: &str = r#"{"SchemaVersion":2,"ArtifactName":".","ArtifactType":"filesystem","Results":[
 {"Target":"web/package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":[
   {"VulnerabilityID":"CVE-2021-23337","VendorIDs":["GHSA-35jh-r3h4-6jhm"],"PkgName":"lodash","InstalledVersion":"4.17.4","FixedVersion":"4.17.21","Severity":"HIGH","Title":"lodash: command injection"}]},
 {"Target":"tests/package-lock.json","Class":"lang-pkgs","Type":"npm","Vulnerabilities":[
   {"VulnerabilityID":"CVE-2020-28500","PkgName":"minimist","InstalledVersion":"1.2.0","FixedVersion":"1.2.6","Severity":"MEDIUM","Title":"minimist: prototype pollution"}]}]}"#;

fn seed(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("posture.db");
    for (asset, name, body) in [
        ("acme/payments", "image.json", IMAGE),
        ("shop", "shop.json", SHOP),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, body).expect("write");
        posture(&db)
            .args(["ingest", "--asset", asset, "--output", "json"])
            .arg(&file)
            .assert()
            .success();
    }
    db
}

fn ids(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["id"].as_i64())
        .collect();
    ids.sort();
    ids
}

fn titles(db: &Path, args: &[&str]) -> Vec<String> {
    let v = json(
        posture(db)
            .args(["findings", "--output", "json"])
            .args(args),
    );
    let mut t: Vec<String> = v
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            format!(
                "{} @ {}",
                f["title"].as_str().unwrap_or_default(),
                f["asset"].as_str().unwrap_or_default()
            )
        })
        .collect();
    t.sort();
    t
}

#[test]
fn findings_search_answers_where_a_cve_or_a_package_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seed(dir.path());
    let glibc = vec!["glibc: stack guard protection bypass @ acme/payments".to_string()];
    assert_eq!(titles(&db, &["--search", "glibc"]), glibc);
    assert_eq!(titles(&db, &["--search", "cve-2019-1010022"]), glibc);
    assert_eq!(titles(&db, &["--cve", "CVE-2019-1010022"]), glibc);
    let lodash = vec![
        "lodash: command injection @ acme/payments".to_string(),
        "lodash: command injection @ shop".to_string(),
    ];
    assert_eq!(titles(&db, &["--search", "GHSA-35jh-r3h4-6jhm"]), lodash);
    assert_eq!(titles(&db, &["--package", "lodash"]), lodash);
    assert_eq!(
        titles(&db, &["--path", "tests/"]),
        vec!["minimist: prototype pollution @ shop".to_string()]
    );
    assert!(titles(&db, &["--search", "no-such-thing"]).is_empty());
    assert_eq!(titles(&db, &["--updated-after", "2000-01-01"]).len(), 4);
    assert!(titles(&db, &["--updated-after", "2999-01-01"]).is_empty());
    let bad = posture(&db)
        .args(["findings", "--updated-after", "yesterday"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--updated-after"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn components_say_which_assets_hold_a_package_in_which_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seed(dir.path());
    let v = json(posture(&db).args(["components", "--search", "LODASH", "--output", "json"]));
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["name"], "lodash");
    assert_eq!(v[0]["open_findings"], 2);
    assert_eq!(v[0]["assets"][0]["asset"], "acme/payments");
    assert_eq!(
        v[0]["assets"][0]["versions"],
        serde_json::json!(["4.17.20"])
    );
    assert_eq!(v[0]["assets"][1]["asset"], "shop");
    assert_eq!(v[0]["assets"][1]["versions"], serde_json::json!(["4.17.4"]));
    let table = posture(&db)
        .args(["components", "--output", "table"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("3 package(s)"), "{text}");
    assert!(
        text.contains("libc6") && text.contains("minimist"),
        "{text}"
    );
}

#[test]
fn triage_decides_on_several_findings_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seed(dir.path());
    let lodash = ids(&json(posture(&db).args([
        "findings",
        "--package",
        "lodash",
        "--output",
        "json",
    ])));
    assert_eq!(lodash.len(), 2);
    let (a, b) = (lodash[0].to_string(), lodash[1].to_string());
    // One of them cannot move to in-progress from false-positive: nothing changes.
    posture(&db)
        .args([
            "triage",
            &a,
            "--state",
            "false-positive",
            "--reason",
            "not bundled",
        ])
        .assert()
        .success();
    let refused = posture(&db)
        .args([
            "triage",
            &b,
            &a,
            "--state",
            "in-progress",
            "--reason",
            "upgrade",
        ])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(&format!("finding {a}")),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let open = titles(&db, &["--package", "lodash"]);
    assert_eq!(open.len(), 1, "b is still open: {open:?}");
    // Both reopen together.
    let out = posture(&db)
        .args([
            "triage",
            &a,
            &b,
            "--state",
            "confirmed",
            "--reason",
            "real",
            "--output",
            "table",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 finding(s) are now confirmed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        titles(&db, &["--package", "lodash", "--status", "confirmed"]).len(),
        2
    );
    // By filter: a dry run shows and changes nothing; then the decision.
    let dry = posture(&db)
        .args([
            "triage",
            "--path",
            "tests/",
            "--state",
            "false-positive",
            "--reason",
            "test fixture",
            "--dry-run",
            "--output",
            "table",
        ])
        .output()
        .expect("runs");
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("1 finding(s) would become false-positive"),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    assert_eq!(titles(&db, &["--path", "tests/"]).len(), 1, "still open");
    posture(&db)
        .args([
            "triage",
            "--path",
            "tests/",
            "--state",
            "false-positive",
            "--reason",
            "test fixture",
        ])
        .assert()
        .success();
    assert!(titles(&db, &["--path", "tests/"]).is_empty());
    assert_eq!(
        titles(&db, &["--path", "tests/", "--status", "false-positive"]).len(),
        1
    );
    // Ids and a filter together, or a filter that selects nothing: refused.
    let both = posture(&db)
        .args([
            "triage", &a, "--asset", "shop", "--state", "open", "--reason", "x",
        ])
        .output()
        .expect("runs");
    assert_eq!(both.status.code(), Some(2));
    let none = posture(&db)
        .args([
            "triage",
            "--search",
            "no-such-thing",
            "--state",
            "open",
            "--reason",
            "x",
        ])
        .output()
        .expect("runs");
    assert_eq!(none.status.code(), Some(2));
}
