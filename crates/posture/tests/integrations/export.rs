//! `posture export` on a real database: each format validates against its schema and carries
//! the triage decisions.

use crate::support::{Workspace, json_of, schema};

fn validator(main: &str, extra: &[(&str, &str)]) -> jsonschema::Validator {
    let mut options = jsonschema::options().should_validate_formats(true);
    for (uri, rel) in extra {
        options = options.with_resource(*uri, jsonschema::Resource::from_contents(schema(rel)));
    }
    options.build(&schema(main)).expect("schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn finding_id(ws: &Workspace, cve: &str) -> i64 {
    let out = ws
        .posture()
        .args(["findings", "--output", "json", "--status", "all"])
        .output()
        .expect("run");
    let list = json_of(&out.stdout);
    list.as_array()
        .expect("list")
        .iter()
        .find(|f| f["occurrences"][0]["vulnerability_ids"][0] == cve)
        .and_then(|f| f["id"].as_i64())
        .expect("finding")
}

#[test]
fn every_export_validates_and_carries_triage_decisions() {
    let ws = Workspace::new();
    ws.ingest(
        "shop",
        &[
            ("CVE-2026-1000", "left-pad", "CRITICAL"),
            ("CVE-2026-1001", "lodash", "HIGH"),
            ("CVE-2026-1002", "minimist", "MEDIUM"),
        ],
        "2026-03-01T10:00:00Z",
    );
    let id = finding_id(&ws, "CVE-2026-1001");
    ws.posture()
        .args([
            "triage",
            &id.to_string(),
            "--state",
            "not-affected",
            "--reason",
        ])
        .arg("code_not_reachable: only the CLI build uses it")
        .assert()
        .success();
    // minimist is fixed by the next scan.
    ws.ingest(
        "shop",
        &[
            ("CVE-2026-1000", "left-pad", "CRITICAL"),
            ("CVE-2026-1001", "lodash", "HIGH"),
        ],
        "2026-03-02T10:00:00Z",
    );

    // CycloneDX VEX to a file.
    let cdx_file = ws.path("vex.cdx.json");
    ws.posture()
        .args([
            "export",
            "--output",
            "cyclonedx-vex",
            // Fixed findings only when asked (the default leaves them out since issue 21);
            // this test reads the `resolved` state of the fixed one.
            "--status",
            "all",
            "--at",
            "2026-03-03T00:00:00Z",
        ])
        .arg(&cdx_file)
        .assert()
        .success();
    let cdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cdx_file).expect("file")).expect("json");
    let v = validator(
        "cyclonedx/bom-1.6.schema.json",
        &[
            (
                "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                "cyclonedx/spdx.schema.json",
            ),
            (
                "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                "cyclonedx/jsf-0.82.schema.json",
            ),
        ],
    );
    assert_eq!(errors(&v, &cdx), Vec::<String>::new());
    let states: std::collections::BTreeMap<String, String> = cdx["vulnerabilities"]
        .as_array()
        .expect("vulns")
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["analysis"]["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(states["CVE-2026-1000"], "in_triage");
    assert_eq!(states["CVE-2026-1001"], "not_affected");
    assert_eq!(states["CVE-2026-1002"], "resolved");

    // OpenVEX on standard output.
    let out = ws
        .posture()
        .args([
            "export",
            "--output",
            "openvex",
            "--author",
            "appsec@acme.example",
        ])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ovx = json_of(&out.stdout);
    assert_eq!(
        errors(
            &validator("openvex/openvex_json_schema_0.2.0.json", &[]),
            &ovx
        ),
        Vec::<String>::new()
    );
    let lodash = ovx["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["vulnerability"]["name"] == "CVE-2026-1001")
        .expect("statement");
    assert_eq!(lodash["status"], "not_affected");
    assert_eq!(
        lodash["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(ovx["author"], "appsec@acme.example");

    // OCSF JSON lines, one asset filter.
    let out = ws
        .posture()
        // Every status, the fixed one included (the default leaves it out since issue 21).
        .args([
            "export", "--output", "ocsf", "--asset", "shop", "--status", "all",
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v = validator("ocsf/vulnerability_finding-1.5.0.schema.json", &[]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let e: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert_eq!(errors(&v, &e), Vec::<String>::new());
        assert!(
            e["finding_info"]["uid"]
                .as_str()
                .unwrap()
                .starts_with("shop:")
        );
    }

    // CSV, open findings only: read back.
    let out = ws
        .posture()
        .args(["export", "--output", "csv", "--status", "open"])
        .output()
        .expect("run");
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        posture_export::CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][9], "CVE-2026-1000");

    // SARIF through the gate's writer: validates against the OASIS schema, stable
    // partialFingerprints.
    let out = ws
        .posture()
        .args(["export", "--output", "sarif", "--status", "open"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif = json_of(&out.stdout);
    assert_eq!(
        errors(&validator("sarif-2.1.0.json", &[]), &sarif),
        Vec::<String>::new()
    );
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert!(results[0]["partialFingerprints"]["postureFinding/v1"].is_string());
    assert!(results[0]["properties"]["postureRiskBand"].is_string());
}
