//! Exports their consumers accept (issue 21): SARIF that GitHub code scanning takes (a location
//! on every result, suppressions on triaged ones, fixed ones left out by default, one run per
//! asset with its category) and VEX whose products a scanner applying it matches (purls of the
//! packages and `pkg:oci` purls of the images the ingested reports carry), with the decisions'
//! own times. Real corpus reports through the real binary.

use crate::support::{Workspace, json_of, schema};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("multiscan/vulnerable-flask-app").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: no corpus at {}: the code-scanning export test is SKIPPED",
            dir.display()
        );
        None
    }
}

fn sarif_errors(doc: &Value) -> Vec<String> {
    let v = jsonschema::options()
        .build(&schema("sarif-2.1.0.json"))
        .expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn run_ok(ws: &Workspace, args: &[&str]) -> Vec<u8> {
    let out = ws.posture().args(args).output().expect("run");
    assert!(
        out.status.success(),
        "posture {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn findings(ws: &Workspace, status: &str) -> Vec<Value> {
    json_of(&run_ok(
        ws,
        &["findings", "--output", "json", "--status", status],
    ))
    .as_array()
    .expect("list")
    .clone()
}

fn tools(f: &Value) -> Vec<String> {
    f["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| o["tool"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn results(sarif: &Value) -> Vec<Value> {
    sarif["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The decoded value of a purl qualifier.
fn qualifier(purl: &str, key: &str) -> Option<String> {
    let (_, q) = purl.split_once('?')?;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.replace("%2F", "/").replace("%3A", ":"))
    })
}

#[test]
fn sarif_and_vex_exports_are_what_code_scanning_and_scanners_take() {
    let Some(corpus) = corpus() else { return };
    let flask = corpus.join("multiscan/vulnerable-flask-app");
    let ws = Workspace::new();
    ws.write(
        "posture.toml",
        r#"
[[asset]]
name = "flask"
repositories = ["github.com/acme/flask"]

[[asset]]
name = "alpine"
images = ["ghcr.io/aquasecurity/trivy-test-images:alpine-310"]
default_branch = "trunk"
"#,
    );
    let at1 = "2026-03-01T10:00:00Z";
    run_ok(
        &ws,
        &[
            "ingest",
            "--asset",
            "flask",
            "--at",
            at1,
            flask.join("bandit.json").to_str().unwrap(),
            flask.join("pip-audit.json").to_str().unwrap(),
        ],
    );
    run_ok(
        &ws,
        &[
            "ingest",
            "--asset",
            "alpine",
            "--branch",
            "trunk",
            "--at",
            at1,
            corpus
                .join("upstream/trivy/alpine-310.json.golden")
                .to_str()
                .unwrap(),
        ],
    );

    // People decide: a bandit result is a false positive, a pip-audit one does not affect us.
    let open = findings(&ws, "open");
    let bandit = open
        .iter()
        .find(|f| tools(f) == ["bandit"])
        .expect("a bandit finding");
    let pip = open
        .iter()
        .find(|f| tools(f) == ["pip-audit"])
        .expect("a pip-audit finding");
    let (bandit_id, pip_id) = (bandit["id"].as_i64().unwrap(), pip["id"].as_i64().unwrap());
    run_ok(
        &ws,
        &[
            "triage",
            &bandit_id.to_string(),
            "--state",
            "false-positive",
            "--reason",
            "test fixture, never deployed",
            "--at",
            "2026-03-03T09:00:00Z",
        ],
    );
    run_ok(
        &ws,
        &[
            "triage",
            &pip_id.to_string(),
            "--state",
            "not-affected",
            "--reason",
            "code_not_reachable: only the docs build imports it",
            "--at",
            "2026-03-04T09:00:00Z",
        ],
    );
    // The next scan of flask no longer reports one bandit result: it is fixed.
    let mut report: Value =
        serde_json::from_slice(&std::fs::read(flask.join("bandit.json")).unwrap()).unwrap();
    let gone = report["results"].as_array_mut().unwrap().remove(0);
    let bandit2 = ws.write("bandit2.json", &report.to_string());
    run_ok(
        &ws,
        &[
            "ingest",
            "--asset",
            "flask",
            "--at",
            "2026-03-05T10:00:00Z",
            bandit2.to_str().unwrap(),
            flask.join("pip-audit.json").to_str().unwrap(),
        ],
    );
    let fixed = findings(&ws, "fixed");
    assert!(
        !fixed.is_empty(),
        "dropping {} fixes a finding",
        gone["test_id"]
    );
    let fixed_ids: BTreeSet<i64> = fixed.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    let current = findings(&ws, "all").len() - fixed.len();

    // SARIF, default statuses: everything but the fixed ones.
    let sarif = json_of(&run_ok(&ws, &["export", "--output", "sarif"]));
    assert_eq!(sarif_errors(&sarif), Vec::<String>::new());
    let rs = results(&sarif);
    assert_eq!(rs.len(), current, "every current finding, no fixed one");
    for r in &rs {
        let id = r["properties"]["findingId"].as_i64().unwrap();
        assert!(!fixed_ids.contains(&id), "fixed finding {id} exported");
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default();
        assert!(
            !uri.is_empty(),
            "result of finding {id} has no location: {r}"
        );
        assert!(r["partialFingerprints"]["postureFinding/v1"].is_string());
    }
    // pip-audit names no file: its results sit on the manifest, and say so.
    let pip_result = rs
        .iter()
        .find(|r| r["properties"]["tools"] == serde_json::json!(["pip-audit"]))
        .expect("a pip-audit result");
    assert_eq!(
        pip_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "requirements.txt"
    );
    assert_eq!(pip_result["properties"]["postureLocation"], "manifest");
    // Trivy's image results sit on the image repository.
    let image_uris: BTreeSet<&str> = rs
        .iter()
        .filter(|r| r["properties"]["asset"] == "alpine")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(!image_uris.is_empty());
    // Triaged results are suppressed with the person's reason; the others are not.
    let by_id = |id: i64| {
        rs.iter()
            .find(|r| r["properties"]["findingId"] == id)
            .unwrap_or_else(|| panic!("finding {id} in the SARIF"))
    };
    assert_eq!(by_id(bandit_id)["suppressions"][0]["kind"], "external");
    assert_eq!(by_id(bandit_id)["suppressions"][0]["status"], "accepted");
    assert_eq!(
        by_id(bandit_id)["suppressions"][0]["justification"],
        "false-positive: test fixture, never deployed"
    );
    assert!(
        by_id(pip_id)["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("not-affected: code_not_reachable")
    );
    let suppressed = rs
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(suppressed, 2);
    // One run per asset, its category the same on every branch, its id naming the branch.
    let ids: Vec<&str> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["posture/alpine/trunk", "posture/flask/main"]);

    // Asked for, fixed ones come too; partial fingerprints are stable across exports.
    let all = json_of(&run_ok(
        &ws,
        &["export", "--output", "sarif", "--status", "all"],
    ));
    assert_eq!(results(&all).len(), current + fixed.len());
    let prints = |doc: &Value| -> BTreeSet<String> {
        results(doc)
            .iter()
            .filter(|r| !fixed_ids.contains(&r["properties"]["findingId"].as_i64().unwrap()))
            .map(|r| r["partialFingerprints"]["postureFinding/v1"].to_string())
            .collect()
    };
    assert_eq!(prints(&sarif), prints(&all));
    // A typo in the asset is an error, not an empty document.
    let out = ws
        .posture()
        .args(["export", "--output", "sarif", "--asset", "flaks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("flask"));

    // OpenVEX: products a scanner matches, statements dated by the decisions.
    let vex = json_of(&run_ok(
        &ws,
        &[
            "export",
            "--output",
            "openvex",
            "--at",
            "2026-06-01T00:00:00Z",
        ],
    ));
    let statements = vex["statements"].as_array().expect("statements");
    let trivy: Value = serde_json::from_slice(
        &std::fs::read(corpus.join("upstream/trivy/alpine-310.json.golden")).unwrap(),
    )
    .unwrap();
    let trivy_purls: BTreeSet<String> = trivy["Results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Vulnerabilities"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["PkgIdentifier"]["PURL"].as_str().map(str::to_string))
        .collect();
    let repo_tag = trivy["Metadata"]["RepoTags"][0].as_str().unwrap();
    let image_repository = repo_tag.rsplit_once(':').unwrap().0;
    let mut image_statements = 0;
    let mut pypi_statements = 0;
    let pip: Value =
        serde_json::from_slice(&std::fs::read(flask.join("pip-audit.json")).unwrap()).unwrap();
    let pip_purls: BTreeSet<String> = pip["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "pkg:pypi/{}@{}",
                d["name"].as_str().unwrap().to_lowercase().replace('_', "-"),
                d["version"].as_str().unwrap()
            )
        })
        .collect();
    for s in statements {
        let product = &s["products"][0];
        let id = product["@id"].as_str().unwrap();
        assert!(
            !id.starts_with("urn:posture:asset:"),
            "a package finding's product is a purl: {s}"
        );
        if id.starts_with("pkg:oci/") {
            // How Trivy matches an image product: the repository_url of the scanned image.
            image_statements += 1;
            assert_eq!(
                qualifier(id, "repository_url").as_deref(),
                Some(image_repository)
            );
            let sub = product["subcomponents"][0]["@id"].as_str().unwrap();
            assert!(
                trivy_purls.contains(sub),
                "{sub} is not a purl Trivy reported"
            );
        } else {
            pypi_statements += 1;
            assert!(
                pip_purls.contains(id),
                "{id} is not a package pip-audit reported"
            );
        }
        // The statement time is the decision's (or the first sighting), never the export's.
        assert_ne!(s["timestamp"], "2026-06-01T00:00:00Z");
    }
    assert!(image_statements > 0 && pypi_statements > 0);
    let pip_statement = statements
        .iter()
        .find(|s| s["status"] == "not_affected")
        .expect("the not-affected decision");
    assert_eq!(pip_statement["timestamp"], "2026-03-04T09:00:00Z");
    assert_eq!(vex["timestamp"], "2026-06-01T00:00:00Z");

    // CycloneDX VEX: the image asset is a container component with its purl.
    let cdx = json_of(&run_ok(&ws, &["export", "--output", "cyclonedx-vex"]));
    let alpine = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "alpine")
        .expect("the alpine component");
    assert_eq!(alpine["type"], "container");
    assert_eq!(
        qualifier(alpine["purl"].as_str().unwrap(), "repository_url").as_deref(),
        Some(image_repository)
    );
}
