//! End-to-end tests of risk and ownership: the real `posture` binary, a real SQLite file, the
//! corpus KEV and EPSS feeds and a real Grype report ingested into two assets of a small
//! portfolio.

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const TERMS: &[&str] = &[
    "severity",
    "epss-probability",
    "epss-percentile",
    "kev",
    "ransomware",
    "exposure",
    "environment",
    "criticality",
    "data-classes",
    "reachability",
];

const PORTFOLIO: &str = r#"
[[team]]
name = "payments"

[[asset]]
name = "shop-prod"
team = "payments"
criticality = "tier-1"
environment = "production"
exposure = "internet-facing"
data = ["pci"]

[[asset]]
name = "shop-test"
criticality = "tier-3"
environment = "test"
exposure = "internal"
"#;

fn corpus() -> Option<PathBuf> {
    let up = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/upstream");
    let needed = [
        "cisa-kev/known_exploited_vulnerabilities.json",
        "grype/defectdojo_many_vulns3.json",
    ];
    if needed.iter().all(|n| up.join(n).is_file()) && epss_file(&up).is_some() {
        Some(up)
    } else {
        eprintln!("NOTICE: ../shared/corpus (KEV, EPSS, Grype) is absent; skipping");
        None
    }
}

fn epss_file(up: &Path) -> Option<PathBuf> {
    std::fs::read_dir(up.join("epss"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_file())
}

struct Env {
    _dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
}

impl Env {
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("posture").expect("binary");
        c.arg("--database")
            .arg(&self.db)
            .arg("--config")
            .arg(&self.config)
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG");
        c
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "posture {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.run(args)).expect("JSON")
    }
}

fn setup(up: &Path) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("posture.db");
    let config = dir.path().join("posture.toml");
    std::fs::write(&config, PORTFOLIO).expect("write config");
    let env = Env {
        _dir: dir,
        db,
        config,
    };
    let kev = up.join("cisa-kev/known_exploited_vulnerabilities.json");
    let epss = epss_file(up).expect("epss");
    let imported = env.json(&[
        "feeds",
        "import",
        kev.to_str().unwrap(),
        epss.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let kinds: Vec<&str> = imported
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["kev", "epss"]);
    assert!(imported[0]["entries"].as_u64().unwrap() > 1000);
    assert!(imported[1]["entries"].as_u64().unwrap() > 10);
    let report = up.join("grype/defectdojo_many_vulns3.json");
    for asset in ["shop-prod", "shop-test"] {
        env.run(&[
            "ingest",
            "--asset",
            asset,
            report.to_str().unwrap(),
            "--output",
            "json",
        ]);
    }
    env
}

fn term<'a>(f: &'a Value, name: &str) -> &'a Value {
    f["risk"]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("term {name} in {f}"))
}

fn cve(f: &Value) -> Option<String> {
    f["occurrences"][0]["vulnerability_ids"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|i| i.starts_with("CVE-"))
        .map(str::to_string)
}

#[test]
fn kev_listing_outranks_equal_cvss_and_exposure_raises_risk() {
    let Some(up) = corpus() else { return };
    let env = setup(&up);

    // The Grype report names no CVE of the corpus catalog, so list one of its CVEs: the real
    // catalog plus one entry, imported the same way (it replaces the previous catalog).
    let test = env.json(&["findings", "--asset", "shop-test", "--output", "json"]);
    let list = test.as_array().unwrap();
    let key = |f: &Value| {
        (
            term(f, "severity")["value"].to_string(),
            term(f, "epss-probability")["contribution"].to_string(),
        )
    };
    let (a, b) = list
        .iter()
        .enumerate()
        .filter(|(_, f)| cve(f).is_some() && term(f, "kev")["contribution"] == 0.0)
        .find_map(|(i, a)| {
            list[i + 1..]
                .iter()
                .find(|b| {
                    cve(b).is_some()
                        && cve(b) != cve(a)
                        && key(a) == key(b)
                        && b["risk"]["score"].as_f64() < Some(80.0)
                })
                .map(|b| (a.clone(), b.clone()))
        })
        .expect("two findings of equal CVSS");
    assert_eq!(a["risk"]["score"], b["risk"]["score"]);
    let listed = cve(&a).unwrap();

    let mut catalog: Value = serde_json::from_slice(
        &std::fs::read(up.join("cisa-kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    catalog["vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "cveID": listed, "vendorProject": "test", "product": "test",
            "vulnerabilityName": "test listing", "dateAdded": "2025-08-25",
            "shortDescription": "", "requiredAction": "", "dueDate": "2025-09-15",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []
        }));
    let kev = env._dir.path().join("kev.json");
    std::fs::write(&kev, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let text = String::from_utf8(env.run(&[
        "feeds",
        "import",
        kev.to_str().unwrap(),
        "--output",
        "table",
    ]))
    .unwrap();
    assert!(text.contains("CISA KEV catalog"), "{text}");

    let score = |asset: &str, id_cve: &str| -> (f64, Value) {
        let all = env.json(&["findings", "--asset", asset, "--output", "json"]);
        let f = all
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                cve(f).as_deref() == Some(id_cve) && f["title"] == a["title"]
                    || cve(f).as_deref() == Some(id_cve) && f["title"] == b["title"]
            })
            .unwrap_or_else(|| panic!("{id_cve} in {asset}"))
            .clone();
        (f["risk"]["score"].as_f64().unwrap(), f)
    };
    let (kev_score, kev_f) = score("shop-test", &listed);
    let (other_score, _) = score("shop-test", &cve(&b).unwrap());
    assert!(
        kev_score > other_score,
        "KEV-listed {listed} ({kev_score}) must outrank {} ({other_score})",
        cve(&b).unwrap()
    );
    assert!(term(&kev_f, "kev")["contribution"].as_f64().unwrap() > 0.0);

    // --kev keeps exactly the listed finding (in both assets).
    let kev_only = env.json(&["findings", "--kev", "--output", "json"]);
    let kev_only = kev_only.as_array().unwrap();
    assert!(!kev_only.is_empty());
    assert!(kev_only.iter().all(|f| cve(f).as_deref() == Some(&listed)));

    // The same finding ranks higher in the internet-facing, production, tier-1, pci asset.
    let (prod_score, prod_f) = score("shop-prod", &cve(&b).unwrap());
    assert!(prod_score > other_score, "{prod_score} vs {other_score}");
    assert_eq!(prod_f["owner"]["team"], "payments");
    assert_eq!(term(&prod_f, "exposure")["value"], "internet-facing");
}

#[test]
fn sort_filters_and_explanations() {
    let Some(up) = corpus() else { return };
    let env = setup(&up);

    let sorted = env.json(&["findings", "--sort", "risk", "--output", "json"]);
    let scores: Vec<f64> = sorted
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["risk"]["score"].as_f64().unwrap())
        .collect();
    assert!(scores.len() > 100);
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for f in sorted.as_array().unwrap() {
        for key in ["score", "band", "ssvc", "model_version", "terms"] {
            assert!(!f["risk"][key].is_null(), "risk.{key} in {f}");
        }
        assert!(f["owner"].get("source").is_some(), "owner in {f}");
        // the stored risk (what lists sort and page by) is the assessment shown
        assert_eq!(f["risk_score"], f["risk"]["score"], "stored score in {f}");
        assert_eq!(f["risk_band"], f["risk"]["band"], "stored band in {f}");
        assert_eq!(f["team"], f["owner"]["team"], "stored team in {f}");
    }

    // Bands and teams filter.
    let p1 = env.json(&["findings", "--band", "P1", "--output", "json"]);
    assert!(
        p1.as_array()
            .unwrap()
            .iter()
            .all(|f| f["risk"]["band"] == "P1")
    );
    let team = env.json(&["findings", "--team", "payments", "--output", "json"]);
    let team = team.as_array().unwrap();
    assert!(!team.is_empty());
    assert!(team.iter().all(|f| f["asset"] == "shop-prod"));

    // The table gets RISK and BAND.
    let table = String::from_utf8(env.run(&[
        "findings", "--sort", "risk", "--limit", "3", "--output", "table",
    ]))
    .unwrap();
    assert!(table.contains("RISK") && table.contains("BAND"), "{table}");

    // explain names every term.
    let id = sorted[0]["id"].as_i64().unwrap().to_string();
    let text = String::from_utf8(env.run(&["explain", &id, "--output", "table"])).unwrap();
    for t in TERMS {
        assert!(text.contains(t), "explain lacks term {t}:\n{text}");
    }
    assert!(
        text.contains("risk:") && text.contains("posture-risk/"),
        "{text}"
    );

    // owners: who owns what, and the unowned (shop-test has no team).
    let owners = env.json(&["owners", "--output", "json"]);
    assert_eq!(owners["teams"][0]["team"], "payments");
    assert!(
        !owners["teams"][0]["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let unowned = owners["unowned"].as_array().unwrap();
    assert!(!unowned.is_empty());
    assert!(unowned.iter().all(|u| u["asset"] == "shop-test"));
}

#[test]
fn malformed_config_exits_2_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("posture.toml");
    std::fs::write(
        &config,
        "[[asset]]\nname = \"x\"\ncriticality = \"tier-9\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .arg("--database")
        .arg(dir.path().join("p.db"))
        .arg("--config")
        .arg(&config)
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .args(["findings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("posture.toml:3:15"), "{err}");

    // The default posture.toml of the current directory is read too.
    std::fs::write(&config, "[[asset]\n").unwrap();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .current_dir(dir.path())
        .arg("--database")
        .arg(dir.path().join("p.db"))
        .env_remove("POSTURE_DATABASE")
        .env_remove("POSTURE_CONFIG")
        .args(["findings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("posture.toml:1:9"), "{err}");
}

/// A runtime SBOM (CycloneDX, `--kind runtime`) naming a package of a Grype finding makes it
/// reachable: it outranks its twin in an asset without runtime evidence, and `explain` names
/// the runtime inventory.
#[test]
fn runtime_inventory_marks_dependency_findings_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("posture.toml");
    std::fs::write(&config, PORTFOLIO).unwrap();
    let env = Env {
        db: dir.path().join("posture.db"),
        config,
        _dir: dir,
    };
    let grype = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../posture-parsers/tests/fixtures/grype/happy.json");
    for asset in ["app-a", "app-b"] {
        env.run(&["ingest", "--asset", asset, grype.to_str().unwrap()]);
    }
    // PyPI names fold (PEP 503): `UploadLib` is `uploadlib`.
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "container", "name": "app-a"}},
        "components": [
            {"type": "library", "name": "UploadLib", "version": "2.0.0",
             "purl": "pkg:pypi/UploadLib@2.0.0"},
            {"type": "library", "name": "requests", "version": "2.32.0",
             "purl": "pkg:pypi/requests@2.32.0"}
        ]
    });
    let sbom_path = env._dir.path().join("runtime.cdx.json");
    std::fs::write(&sbom_path, serde_json::to_vec(&sbom).unwrap()).unwrap();
    env.run(&[
        "ingest",
        "--asset",
        "app-a",
        "--kind",
        "runtime",
        sbom_path.to_str().unwrap(),
    ]);

    let find = |asset: &str, package: &str| -> Value {
        let all = env.json(&["findings", "--asset", asset, "--output", "json"]);
        all.as_array()
            .unwrap()
            .iter()
            .find(|f| f["occurrences"][0]["package"]["name"] == package)
            .unwrap_or_else(|| panic!("{package} in {asset}: {all}"))
            .clone()
    };
    let loaded = find("app-a", "uploadlib");
    let twin = find("app-b", "uploadlib");
    assert_eq!(
        term(&loaded, "reachability")["value"],
        "reachable",
        "{loaded}"
    );
    assert_eq!(term(&twin, "reachability")["value"], "unknown", "{twin}");
    assert!(
        loaded["risk"]["score"].as_f64() > twin["risk"]["score"].as_f64(),
        "{} vs {}",
        loaded["risk"]["score"],
        twin["risk"]["score"]
    );
    // A package the runtime SBOM does not name stays unknown.
    let other = find("app-a", "libfoo1");
    assert_eq!(term(&other, "reachability")["value"], "unknown");

    // --reachable keeps exactly the loaded finding; --ssvc filters by decision.
    let reachable = env.json(&["findings", "--reachable", "--output", "json"]);
    let reachable = reachable.as_array().unwrap();
    assert_eq!(reachable.len(), 1, "{reachable:?}");
    assert_eq!(reachable[0]["id"], loaded["id"]);
    let decision = loaded["risk"]["ssvc"]["decision"]
        .as_str()
        .unwrap()
        .to_string();
    let same = env.json(&[
        "findings",
        "--ssvc",
        &decision.to_ascii_lowercase(),
        "--output",
        "json",
    ]);
    let same = same.as_array().unwrap();
    assert!(same.iter().any(|f| f["id"] == loaded["id"]));
    assert!(
        same.iter()
            .all(|f| f["risk"]["ssvc"]["decision"] == decision.as_str())
    );
    let all = env.json(&[
        "findings",
        "--ssvc",
        "act,attend,track,track*",
        "--output",
        "json",
    ]);
    assert_eq!(all.as_array().unwrap().len(), 4);
    let bad = env
        .cmd()
        .args(["findings", "--ssvc", "maybe"])
        .output()
        .unwrap();
    assert!(!bad.status.success());

    let id = loaded["id"].as_i64().unwrap().to_string();
    let text = String::from_utf8(env.run(&["explain", &id, "--output", "table"])).unwrap();
    assert!(
        text.contains("runtime inventory") && text.contains("runtime.cdx.json"),
        "{text}"
    );

    // A new runtime ingest replaces the inventory: without UploadLib it is unknown again.
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [{"type": "library", "name": "requests", "version": "2.32.0",
                        "purl": "pkg:pypi/requests@2.32.0"}]
    });
    std::fs::write(&sbom_path, serde_json::to_vec(&sbom).unwrap()).unwrap();
    env.run(&[
        "ingest",
        "--asset",
        "app-a",
        "--kind",
        "runtime",
        sbom_path.to_str().unwrap(),
    ]);
    let again = find("app-a", "uploadlib");
    assert_eq!(term(&again, "reachability")["value"], "unknown", "{again}");
}

/// `posture risk diff --weights FILE` lists the findings whose score or band moves.
#[test]
fn risk_diff_lists_moves_under_new_weights() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("posture.toml");
    std::fs::write(&config, PORTFOLIO).unwrap();
    let env = Env {
        db: dir.path().join("posture.db"),
        config,
        _dir: dir,
    };
    let grype = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../posture-parsers/tests/fixtures/grype/happy.json");
    env.run(&["ingest", "--asset", "shop-prod", grype.to_str().unwrap()]);

    let weights = env._dir.path().join("weights.toml");
    std::fs::write(&weights, "severity_points = 80.0\n").unwrap();
    let moves = env.json(&[
        "risk",
        "diff",
        "--weights",
        weights.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let moves = moves.as_array().unwrap();
    // The fixture's second finding is a Debian package that Debian rates negligible: that
    // rating counts (issue 15), so it has no severity points to move (it moved before, on
    // NVD's 7.5).
    assert_eq!(moves.len(), 1, "{moves:?}");
    for m in moves {
        assert!(m["new_score"].as_f64() > m["old_score"].as_f64(), "{m}");
        assert_eq!(m["asset"], "shop-prod");
    }
    let table = String::from_utf8(env.run(&[
        "risk",
        "diff",
        "--weights",
        weights.to_str().unwrap(),
        "--output",
        "table",
    ]))
    .unwrap();
    assert!(table.contains("1 of 2 open findings move"), "{table}");

    // The same weights as now (under `[risk]`, as in posture.toml): nothing moves.
    std::fs::write(&weights, "[risk]\nseverity_points = 50.0\n").unwrap();
    let same = env.json(&[
        "risk",
        "diff",
        "--weights",
        weights.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_eq!(same.as_array().unwrap().len(), 0, "{same}");

    // Invalid weights are refused.
    std::fs::write(&weights, "severity_points = \"lots\"\n").unwrap();
    let out = env
        .cmd()
        .args(["risk", "diff", "--weights", weights.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());

    // Between model versions: `posture-risk/2` against the current one.
    let moves = env.json(&[
        "risk",
        "diff",
        "--from",
        "posture-risk/2",
        "--output",
        "json",
    ]);
    let moves = moves.as_array().unwrap();
    assert_eq!(moves.len(), 1, "{moves:?}");
    for m in moves {
        assert_ne!(m["new_score"], m["old_score"], "{m}");
    }
    let out = env
        .cmd()
        .args(["risk", "diff", "--from", "posture-risk/9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("posture-risk/9") && err.contains("posture-risk/3"),
        "{err}"
    );
}

#[test]
fn scanner_epss_is_used_until_a_feed_scores_the_cve() {
    let Some(up) = corpus() else { return };
    let report = up.join("grype/defectdojo_many_vulns_with_epss_values.json");
    if !report.is_file() {
        eprintln!("NOTICE: grype EPSS report absent; skipping");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("posture.toml");
    std::fs::write(&config, PORTFOLIO).expect("write config");
    let env = Env {
        db: dir.path().join("posture.db"),
        config,
        _dir: dir,
    };
    env.run(&[
        "ingest",
        "--asset",
        "shop-prod",
        report.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let find = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|f| cve(f).as_deref() == Some("CVE-2022-28391"))
            .cloned()
            .expect("the finding of CVE-2022-28391")
    };
    let f = find(&env.json(&["findings", "--output", "json"]));
    let p = term(&f, "epss-probability");
    assert_eq!(p["value"], "0.0719", "{p}");
    let source = p["source"].as_str().unwrap();
    assert!(source.starts_with("grype 0.94.0 report "), "{source}");
    assert!(
        source.contains("defectdojo_many_vulns_with_epss_values.json"),
        "{source}"
    );
    assert!(source.ends_with(", EPSS 2025-06-18"), "{source}");
    assert_eq!(term(&f, "epss-percentile")["value"], "0.91123");

    // an imported feed that scores the CVE wins over the scanner's score
    let csv = env._dir.path().join("epss.csv");
    std::fs::write(
        &csv,
        "#model_version:v2025.03.14,score_date:2026-01-02T12:55:00Z\n\
         cve,epss,percentile\nCVE-2022-28391,0.5,0.99\n",
    )
    .unwrap();
    env.run(&["feeds", "import", csv.to_str().unwrap(), "--output", "json"]);
    let f = find(&env.json(&["findings", "--output", "json"]));
    let p = term(&f, "epss-probability");
    assert_eq!(p["value"], "0.5", "{p}");
    let source = p["source"].as_str().unwrap();
    assert!(!source.contains("grype"), "{source}");
    assert!(source.contains("2026-01-02"), "{source}");
}

#[test]
fn assets_set_edits_the_config_and_findings_follow() {
    let Some(up) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("posture.toml");
    std::fs::write(
        &config,
        "# reviewed like code\n[[team]]\nname = \"payments\" # the payments team\n",
    )
    .unwrap();
    let env = Env {
        db: dir.path().join("posture.db"),
        config: config.clone(),
        _dir: dir,
    };
    let report = up.join("grype/defectdojo_many_vulns3.json");
    env.run(&[
        "ingest",
        "--asset",
        "shop-new",
        report.to_str().unwrap(),
        "--output",
        "json",
    ]);

    // a new asset
    let asset = env.json(&[
        "assets",
        "set",
        "shop-new",
        "--team",
        "payments",
        "--criticality",
        "tier-3",
        "--data",
        "pci,pii",
        "--repository",
        "github.com/acme/shop",
        "--output",
        "json",
    ]);
    assert_eq!(asset["criticality"], "tier-3");
    assert_eq!(asset["data"], serde_json::json!(["pci", "pii"]));
    let before = env.json(&["findings", "--sort", "risk", "--output", "json"]);
    let top_before = before[0]["risk"]["score"].as_f64().unwrap();
    assert_eq!(term(&before[0], "criticality")["value"], "tier-3");

    // one field of it; the rest stays
    let asset = env.json(&[
        "assets",
        "set",
        "shop-new",
        "--criticality",
        "tier-1",
        "--output",
        "json",
    ]);
    assert_eq!(asset["criticality"], "tier-1");
    assert_eq!(asset["team"], "payments");
    assert_eq!(
        asset["repositories"],
        serde_json::json!(["github.com/acme/shop"])
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with("# reviewed like code\n"), "{text}");
    assert!(text.contains("# the payments team"), "{text}");
    assert!(text.contains("criticality = \"tier-1\""), "{text}");

    let after = env.json(&["findings", "--sort", "risk", "--output", "json"]);
    assert_eq!(term(&after[0], "criticality")["value"], "tier-1");
    assert!(after[0]["risk"]["score"].as_f64().unwrap() > top_before);
    let listed = env.json(&["assets", "list", "--output", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "shop-new");

    // errors exit 2 with the diagnostics and leave the file alone
    for args in [
        &["assets", "set", "shop-new", "--team", "nobody"][..],
        &["assets", "set", "shop-new", "--criticality", "tier-9"][..],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("nobody") || err.contains("tier-9"), "{err}");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    }
    let out = env
        .cmd()
        .args(["assets", "set", "shop-new", "--team", "nobody"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("config::unknown-team"));
}

/// Score history (issue 15): a feed import that moves a finding's score leaves a `rescored`
/// event with the old and new score and band and the term that moved, shown by `posture show`
/// (text and JSON); importing the same feed again moves nothing and records nothing.
#[test]
fn a_feed_import_that_moves_a_score_leaves_an_event() {
    let Some(up) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let env = Env {
        db: dir.path().join("posture.db"),
        config: dir.path().join("posture.toml"),
        _dir: dir,
    };
    std::fs::write(&env.config, PORTFOLIO).expect("write config");
    let report = up.join("grype/defectdojo_many_vulns3.json");
    env.run(&["ingest", "--asset", "shop-prod", report.to_str().unwrap()]);
    // assessed once, without feeds
    let before = env.json(&["findings", "--sort", "risk", "--output", "json"]);
    let list = before.as_array().unwrap();
    // an unlisted high or medium CVE in the middle of the list
    let target = list
        .iter()
        .find(|f| {
            cve(f).is_some() && term(f, "kev")["value"] == "not listed" && f["risk"]["band"] != "P1"
        })
        .expect("an unlisted CVE below P1");
    let id = target["id"].as_i64().unwrap();
    let cve_id = cve(target).unwrap();
    let old_score = target["risk"]["score"].as_f64().unwrap();
    let old_band = target["risk"]["band"].as_str().unwrap().to_string();

    // a KEV catalog (the real catalog's shape, its first entry) listing that CVE
    let real: Value = serde_json::from_slice(
        &std::fs::read(up.join("cisa-kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    let mut entry = real["vulnerabilities"][0].clone();
    entry["cveID"] = Value::String(cve_id.clone());
    entry["dateAdded"] = Value::String("2026-11-30".into());
    let mut kev = real.clone();
    kev["vulnerabilities"] = Value::Array(vec![entry]);
    kev["count"] = Value::from(1);
    let kev_file = env.db.with_file_name("kev.json");
    std::fs::write(&kev_file, serde_json::to_vec(&kev).unwrap()).unwrap();

    let out = String::from_utf8(env.run(&[
        "feeds",
        "import",
        kev_file.to_str().unwrap(),
        "--output",
        "table",
    ]))
    .unwrap();
    assert!(out.contains("moved in score or band"), "{out}");
    assert!(!out.contains(" 0 moved"), "{out}");

    let shown = env.json(&["show", &id.to_string(), "--output", "json"]);
    let events = shown["events"].as_array().expect("events");
    let rescored: Vec<&Value> = events.iter().filter(|e| e["kind"] == "rescored").collect();
    assert_eq!(rescored.len(), 1, "one rescore: {events:?}");
    let e = rescored[0];
    let new_score = shown["finding"]["risk"]["score"].as_f64().unwrap();
    assert!(new_score > old_score, "{old_score} -> {new_score}");
    assert_eq!(e["from_status"], old_band.as_str());
    assert_eq!(e["to_status"], shown["finding"]["risk"]["band"]);
    assert_eq!(e["actor"], "posture-risk/3");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("{old_score:.1} -> {new_score:.1}")),
        "{reason}"
    );
    assert!(reason.contains("kev: not listed -> "), "{reason}");

    // the person reads it in `posture show`
    let text = String::from_utf8(env.run(&["show", &id.to_string(), "--output", "table"])).unwrap();
    assert!(
        text.contains(&format!("rescored {old_band} -> ")) && text.contains("kev: not listed"),
        "{text}"
    );

    // the same feed again: nothing moves, nothing is recorded
    env.run(&["feeds", "import", kev_file.to_str().unwrap()]);
    let again = env.json(&["show", &id.to_string(), "--output", "json"]);
    let n = again["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rescored")
        .count();
    assert_eq!(n, 1, "a second identical import records nothing");
}

/// The evaluation (issue 15), on the corpus's real Grype report with the real KEV catalog and
/// EPSS file, in a production internet-facing asset and an internal test one: exploitation
/// comes first under posture-risk/3 (every KEV-listed finding that fits is in the top 10%, no
/// low-severity finding in the top 10), and the figures are printed for both models.
#[test]
fn risk_evaluate_prints_the_figures_of_both_models() {
    let Some(up) = corpus() else { return };
    let env = setup(&up);
    // the corpus's one container report with a KEV-listed CVE (the others list none)
    let trivy = up.join("../defectdojo/trivy/scheme_2_many_vulns.json");
    if !trivy.is_file() {
        eprintln!("NOTICE: ../shared/corpus/defectdojo/trivy is absent; skipping");
        return;
    }
    env.run(&["ingest", "--asset", "shop-prod", trivy.to_str().unwrap()]);
    let figures = env.json(&["risk", "evaluate", "--output", "json"]);
    let figures = figures.as_array().expect("two models");
    assert_eq!(figures.len(), 2);
    assert_eq!(figures[0]["model"], "posture-risk/2");
    assert_eq!(figures[1]["model"], "posture-risk/3");
    let now = &figures[1];
    eprintln!("risk evaluate: {figures:#?}");
    let n = now["findings"].as_u64().unwrap();
    assert!(n > 50, "{n}");
    assert_eq!(now["top20"], 20);
    assert_eq!(now["top_decile"].as_u64().unwrap(), n.div_ceil(10));
    assert!(now["kev_listed"].as_u64().unwrap() > 0);
    assert_eq!(now["kev_share_in_top_decile"], 1.0, "{now}");
    assert_eq!(now["low_in_top10"], 0, "{now}");
    assert_eq!(now["quality_in_security_bands"], 0);
    // the current model puts at least as much exploitation on top as the previous one
    assert!(
        now["top20_with_exploitation"].as_u64() >= figures[0]["top20_with_exploitation"].as_u64(),
        "{figures:?}"
    );
    // the table says the same
    let text = String::from_utf8(env.run(&["risk", "evaluate", "--output", "table"])).unwrap();
    assert!(
        text.contains("posture-risk/3") && text.contains("KEV IN TOP 10%"),
        "{text}"
    );
    // a typo in the model is exit 2
    let out = env
        .cmd()
        .args(["risk", "evaluate", "--from", "posture-risk/9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The evaluation on the demo portfolio (issue 15): with the demo's KEV snapshot, every
/// KEV-listed finding that fits is in the top 10%, no low-severity finding is in the top 10,
/// and the demo's posture.toml names the snapshot, so `posture feeds status` says it is fresh.
#[test]
fn risk_evaluate_on_the_demo_portfolio() {
    let dir = tempfile::tempdir().unwrap();
    let posture = |args: &[&str]| {
        let out = Command::cargo_bin("posture")
            .unwrap()
            .current_dir(dir.path())
            .arg("--database")
            .arg(dir.path().join("posture.db"))
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_CONFIG")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "posture {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let said = String::from_utf8(posture(&["demo", "--no-serve"])).unwrap();
    assert!(
        said.contains("Imported the demo's feed snapshot: CISA KEV 2025.08.25"),
        "{said}"
    );
    let figures: Value = serde_json::from_slice(&posture(&[
        "--config",
        "posture.toml",
        "risk",
        "evaluate",
        "--output",
        "json",
    ]))
    .unwrap();
    eprintln!("demo: {figures:#?}");
    let now = &figures[1];
    assert_eq!(now["model"], "posture-risk/3");
    // the demo remediated Log4Shell, Spring4Shell and glibc; grpc's Rapid Reset stays open
    assert!(now["kev_listed"].as_u64().unwrap() >= 1, "{now}");
    assert!(
        now["top20_with_exploitation"].as_u64().unwrap() >= 1,
        "{now}"
    );
    assert_eq!(now["kev_share_in_top_decile"], 1.0, "{now}");
    assert_eq!(now["low_in_top10"], 0, "{now}");
    assert_eq!(now["quality_in_security_bands"], 0, "{now}");
    let status: Value = serde_json::from_slice(&posture(&[
        "--config",
        "posture.toml",
        "feeds",
        "status",
        "--output",
        "json",
    ]))
    .unwrap();
    assert_eq!(status[0]["kind"], "kev");
    assert_eq!(status[0]["stale"], false, "{status}");
    assert_eq!(status[0]["source"], "demo-feeds/kev.json", "{status}");
    // `feeds update` reads the snapshot the demo wrote beside posture.toml
    let updated = String::from_utf8(posture(&[
        "--config",
        "posture.toml",
        "feeds",
        "update",
        "--output",
        "table",
    ]))
    .unwrap();
    assert!(updated.contains("5 entries imported"), "{updated}");
}

/// Issue 22: `posture findings --limit N` with risk filters or order reads a page from the
/// store (as the API does) instead of assessing every finding; it lists exactly the first N
/// rows of the whole list, in the same order, with the same content.
#[test]
fn a_limited_risk_listing_is_the_head_of_the_whole_list() {
    let Some(up) = corpus() else { return };
    let env = setup(&up);
    let filters: &[&[&str]] = &[
        &["--sort", "risk"],
        &["--sort", "risk", "--band", "P2,P3"],
        &["--sort", "risk", "--team", "payments"],
        &["--sort", "risk", "--ssvc", "track"],
        &["--kev"],
        &["--band", "P3"],
        &["--sort", "risk", "--asset", "shop-test", "--status", "all"],
    ];
    let mut compared = 0;
    for filter in filters {
        let mut args = vec!["findings", "--output", "json"];
        args.extend_from_slice(filter);
        let whole = env.json(&args);
        let whole = whole.as_array().unwrap();
        for limit in [1usize, 5, 70, 100_000] {
            let n = limit.to_string();
            let mut limited_args = args.clone();
            limited_args.extend_from_slice(&["--limit", &n]);
            let limited = env.json(&limited_args);
            let limited = limited.as_array().unwrap();
            let head = &whole[..whole.len().min(limit)];
            let ids = |l: &[Value]| {
                l.iter()
                    .map(|f| f["id"].as_i64().unwrap())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(limited), ids(head), "{filter:?} --limit {limit}");
            assert_eq!(limited, head, "{filter:?} --limit {limit}");
            compared += limited.len();
        }
    }
    assert!(compared > 200, "too little compared: {compared}");
    // The CSV and table views of a page print the same rows.
    let table = String::from_utf8(env.run(&[
        "findings", "--sort", "risk", "--limit", "2", "--output", "csv",
    ]))
    .unwrap();
    assert_eq!(table.lines().count(), 3, "{table}");
}
