//! Every export validated against its published schema (`schemas/` at the repository root):
//! CycloneDX 1.6 (with its SPDX and JSF references), OpenVEX 0.2.0, OCSF 1.5.0 class 2002.
//! Formats (`date-time`, `uri`, ...) are asserted too. CSV is read back with a CSV reader.

use posture_export::*;
use posture_model::{Category, CvssRating, FindingStatus, Location, Package, Severity, Timestamp};
use serde_json::Value;
use std::path::PathBuf;

fn schema(rel: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("schema is JSON")
}

fn validator(main: &str, extra: &[(&str, &str)]) -> jsonschema::Validator {
    let mut options = jsonschema::options().should_validate_formats(true);
    for (uri, rel) in extra {
        options = options.with_resource(*uri, jsonschema::Resource::from_contents(schema(rel)));
    }
    options.build(&schema(main)).expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn finding(id: i64, status: FindingStatus, reason: Option<&str>) -> ExportFinding {
    ExportFinding {
        id,
        uid: format!("payments-api:{id:032x}"),
        asset: "payments-api".into(),
        status,
        triage_reason: reason.map(str::to_string),
        severity: Severity::Critical,
        category: Category::Sca,
        title: "log4j-core: remote code execution via JNDI lookup".into(),
        description: Some("Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.".into()),
        rule_id: "CVE-2021-44228".into(),
        tools: vec!["grype".into(), "trivy".into()],
        vulnerability_ids: vec!["CVE-2021-44228".into(), "GHSA-jfh8-c2jp-5v3q".into()],
        cwes: vec![502, 400],
        package: Some(Package {
            purl: None,
            ecosystem: Some("maven".into()),
            name: "org.apache.logging.log4j:log4j-core".into(),
            version: Some("2.14.1".into()),
            fixed_versions: vec!["2.15.0".into()],
        }),
        location: Location {
            path: Some("pom.xml".into()),
            ..Default::default()
        },
        cvss: Some(CvssRating {
            source: "nvd".into(),
            vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
            score: Some(10.0),
        }),
        references: vec!["https://logging.apache.org/log4j/2.x/security.html".into()],
        first_seen: at("2026-01-05T10:00:00Z"),
        last_seen: at("2026-03-01T10:00:00Z"),
        fixed_at: (status == FindingStatus::Fixed).then(|| at("2026-03-02T10:00:00Z")),
        reopened: 0,
        risk_score: Some(97.5),
        risk_band: Some("P1".into()),
        team: Some("payments".into()),
        image: None,
        status_since: at("2026-03-01T10:00:00Z"),
    }
}

fn sast(id: i64) -> ExportFinding {
    ExportFinding {
        id,
        uid: format!("payments-api:{id:032x}"),
        category: Category::Sast,
        title: "=HYPERLINK(\"http://evil\") SQL injection".into(),
        rule_id: "python.django.security.injection.sql".into(),
        tools: vec!["semgrep".into()],
        vulnerability_ids: vec![],
        cwes: vec![89],
        package: None,
        cvss: None,
        location: Location {
            path: Some("src/app/views.py".into()),
            start_line: Some(42),
            end_line: Some(44),
            ..Default::default()
        },
        severity: Severity::High,
        ..finding(id, FindingStatus::Open, None)
    }
}

fn misconfig(id: i64) -> ExportFinding {
    ExportFinding {
        category: Category::Iac,
        cwes: vec![],
        title: "S3 bucket without encryption".into(),
        rule_id: "AVD-AWS-0088".into(),
        ..sast(id)
    }
}

/// One finding in every status, plus findings that are not vulnerabilities.
fn portfolio() -> Vec<ExportFinding> {
    vec![
        finding(1, FindingStatus::Open, None),
        finding(
            2,
            FindingStatus::Confirmed,
            Some("reachable from the login form"),
        ),
        finding(3, FindingStatus::InProgress, None),
        finding(
            4,
            FindingStatus::Accepted,
            Some("compensating WAF rule until Q3"),
        ),
        finding(
            5,
            FindingStatus::NotAffected,
            Some("code_not_reachable: JNDI lookups disabled by config"),
        ),
        finding(6, FindingStatus::NotAffected, Some("we only log constants")),
        finding(
            7,
            FindingStatus::FalsePositive,
            Some("the shaded copy is not on the class path"),
        ),
        finding(8, FindingStatus::Fixed, None),
        ExportFinding {
            package: None,
            ..finding(9, FindingStatus::Open, None)
        },
        sast(10),
        misconfig(11),
    ]
}

fn producer() -> Producer {
    Producer {
        name: "posture".into(),
        version: "0.1.0".into(),
        author: "security@acme.example".into(),
    }
}

#[test]
fn cyclonedx_vex_validates_against_the_cyclonedx_1_6_schema() {
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
    let bytes = write_cyclonedx_vex(&portfolio(), &producer(), at("2026-03-03T00:00:00Z"))
        .expect("written");
    let doc: Value = serde_json::from_slice(&bytes).expect("json");
    assert_valid(&v, &doc, "the CycloneDX VEX");
    let vulns = doc["vulnerabilities"].as_array().expect("vulnerabilities");
    // SAST and IaC findings without a vulnerability id are not VEX statements.
    assert_eq!(vulns.len(), 9);
    let states: Vec<&str> = vulns
        .iter()
        .map(|v| v["analysis"]["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        states,
        [
            "in_triage",
            "exploitable",
            "exploitable",
            "exploitable",
            "not_affected",
            "not_affected",
            "false_positive",
            "resolved",
            "in_triage"
        ]
    );
    assert_eq!(vulns[4]["analysis"]["justification"], "code_not_reachable");
    assert!(vulns[5]["analysis"].get("justification").is_none());
    assert_eq!(vulns[3]["analysis"]["response"][0], "will_not_fix");
    assert_eq!(vulns[1]["analysis"]["response"][0], "update");
    assert_eq!(
        vulns[0]["affects"][0]["ref"],
        "asset:payments-api:pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    assert_eq!(vulns[8]["affects"][0]["ref"], "asset:payments-api");
    assert_eq!(vulns[0]["references"][0]["id"], "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(vulns[0]["ratings"][0]["method"], "CVSSv31");

    // The validator can fail: a wrong analysis state is refused.
    let mut broken = doc.clone();
    broken["vulnerabilities"][0]["analysis"]["state"] = Value::from("maybe");
    assert!(!v.is_valid(&broken));
}

#[test]
fn openvex_validates_against_the_openvex_0_2_0_schema() {
    let v = validator("openvex/openvex_json_schema_0.2.0.json", &[]);
    let bytes =
        write_openvex(&portfolio(), &producer(), at("2026-03-03T00:00:00Z")).expect("written");
    let doc: Value = serde_json::from_slice(&bytes).expect("json");
    assert_valid(&v, &doc, "the OpenVEX document");
    let st = doc["statements"].as_array().expect("statements");
    assert_eq!(st.len(), 9);
    let statuses: Vec<&str> = st
        .iter()
        .map(|s| s["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        statuses,
        [
            "under_investigation",
            "affected",
            "affected",
            "affected",
            "not_affected",
            "not_affected",
            "not_affected",
            "fixed",
            "under_investigation"
        ]
    );
    assert_eq!(
        st[4]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(st[5]["impact_statement"], "we only log constants");
    assert_eq!(
        st[1]["action_statement"],
        "Upgrade org.apache.logging.log4j:log4j-core to 2.15.0."
    );
    assert_eq!(
        st[3]["action_statement"],
        "Risk accepted: compensating WAF rule until Q3"
    );
    assert_eq!(st[0]["vulnerability"]["aliases"][0], "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(
        st[0]["products"][0]["subcomponents"][0]["identifiers"]["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );

    // Same input, same time: same bytes (content-derived ids).
    let again =
        write_openvex(&portfolio(), &producer(), at("2026-03-03T00:00:00Z")).expect("written");
    assert_eq!(bytes, again);

    // The validator can fail: not_affected with both a justification and an impact statement.
    let mut broken = doc.clone();
    broken["statements"][4]["impact_statement"] = Value::from("x");
    assert!(!v.is_valid(&broken));

    // No vulnerability at all: refused (the schema needs one statement).
    assert!(write_openvex(&[sast(1)], &producer(), at("2026-03-03T00:00:00Z")).is_err());
}

#[test]
fn ocsf_lines_validate_against_the_ocsf_1_5_0_vulnerability_finding_schema() {
    let v = validator("ocsf/vulnerability_finding-1.5.0.schema.json", &[]);
    let bytes = write_ocsf(&portfolio(), &producer(), at("2026-03-03T00:00:00Z")).expect("written");
    let text = String::from_utf8(bytes).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11);
    for (i, line) in lines.iter().enumerate() {
        let e: Value = serde_json::from_str(line).expect("each line is JSON");
        assert_valid(&v, &e, &format!("OCSF line {}", i + 1));
        assert_eq!(e["class_uid"], 2002);
        assert_eq!(
            e["type_uid"],
            200200 + e["activity_id"].as_i64().unwrap_or(0)
        );
    }
    let first: Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(first["severity_id"], 5);
    assert_eq!(first["status_id"], 1);
    assert_eq!(
        first["finding_info"]["uid"],
        "payments-api:00000000000000000000000000000001"
    );
    assert_eq!(first["finding_info"]["first_seen_time"], 1767607200000_i64);
    assert_eq!(first["vulnerabilities"][0]["cve"]["uid"], "CVE-2021-44228");
    assert_eq!(first["vulnerabilities"][0]["is_fix_available"], true);
    assert_eq!(
        first["vulnerabilities"][0]["affected_packages"][0]["fixed_in_version"],
        "2.15.0"
    );
    assert_eq!(first["resources"][0]["group"]["name"], "payments");
    assert_eq!(first["metadata"]["version"], "1.5.0");
    let fixed: Value = serde_json::from_str(lines[7]).expect("json");
    assert_eq!(
        (fixed["status_id"].as_i64(), fixed["activity_id"].as_i64()),
        (Some(4), Some(3))
    );
    let sast: Value = serde_json::from_str(lines[9]).expect("json");
    assert_eq!(sast["vulnerabilities"][0]["cwe"]["uid"], "89");
    assert_eq!(
        sast["vulnerabilities"][0]["affected_code"][0]["start_line"],
        42
    );
    let iac: Value = serde_json::from_str(lines[10]).expect("json");
    assert_eq!(iac["vulnerabilities"][0]["advisory"]["uid"], "AVD-AWS-0088");

    // The validator can fail: both a CVE and a CWE on one vulnerability is refused.
    let mut broken = first.clone();
    broken["vulnerabilities"][0]["cwe"] = serde_json::json!({"uid": "502"});
    assert!(!v.is_valid(&broken));
}

#[test]
fn csv_reads_back_with_stable_columns() {
    let bytes = write_csv(&portfolio()).expect("written");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 11);
    let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).expect("column");
    assert_eq!(
        &rows[0][col("purl")],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    assert_eq!(
        &rows[0][col("vulnerability_ids")],
        "CVE-2021-44228;GHSA-jfh8-c2jp-5v3q"
    );
    assert_eq!(&rows[0][col("risk_score")], "97.5");
    assert_eq!(&rows[3][col("status")], "accepted");
    assert_eq!(&rows[7][col("fixed_at")], "2026-03-02T10:00:00Z");
    // A title that a spreadsheet would run as a formula is defused; quotes survive.
    assert_eq!(
        &rows[9][col("title")],
        "'=HYPERLINK(\"http://evil\") SQL injection"
    );
    assert_eq!(&rows[9][col("line")], "42");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any title and reason text: the CSV reads back to the same cells (after the formula
        /// guard) and the VEX documents stay valid.
        #[test]
        fn any_text_round_trips(title in "\\PC{0,40}", reason in "[a-z_ ,\"\n]{0,30}") {
            let mut f = finding(1, FindingStatus::NotAffected, Some(&reason));
            f.title = title.clone();
            let bytes = write_csv(std::slice::from_ref(&f)).expect("written");
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let row = r.records().next().expect("a row").expect("readable");
            let expected = if title.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{title}") } else { title.clone() };
            prop_assert_eq!(&row[6], expected.as_str());
            let doc: Value = serde_json::from_slice(&write_openvex(&[f], &producer(), at("2026-03-03T00:00:00Z")).expect("written")).expect("json");
            let v = validator("openvex/openvex_json_schema_0.2.0.json", &[]);
            prop_assert!(v.is_valid(&doc));
        }
    }
}
