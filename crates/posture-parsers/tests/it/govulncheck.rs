//! govulncheck JSON (streams v0.1.0/v1.0.0, pre-1.0 object): own fixtures, every govulncheck
//! JSON file of the corpus, snapshot.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::osv::govulncheck::Govulncheck;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "govulncheck-json";

#[test]
fn happy_fixture_snapshot() {
    let report = Govulncheck
        .parse(&fixture(ID, "happy.json"))
        .expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("v1.1.3"));
    // 3 findings of GO-2021-0265 collapse to one; 1 of GO-2021-0113; 1 broken
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/8/finding");
    let occ = &report.runs[0].occurrences;
    let gj = &occ[0];
    assert_eq!(gj.locator, "/5", "the deepest (symbol) finding");
    assert_eq!(
        gj.vulnerability_ids,
        ["GO-2021-0265", "CVE-2021-42248", "GHSA-c9gm-7rfj-8w5h"]
    );
    assert_eq!(gj.title, "Panic in gjson queries");
    assert_eq!(gj.severity, Severity::Medium);
    let desc = gj.description.as_deref().unwrap_or("");
    assert!(
        desc.contains("Reachability: called (symbol github.com/tidwall/gjson.Result.Get)"),
        "{desc}"
    );
    assert!(desc.contains("main.go:14:20"), "{desc}");
    let pkg = gj.package.as_ref().expect("package");
    assert_eq!(pkg.name, "github.com/tidwall/gjson");
    assert_eq!(pkg.version.as_deref(), Some("v1.6.5"));
    assert_eq!(pkg.fixed_versions, ["v1.9.3"]);
    assert_eq!(pkg.ecosystem.as_deref(), Some("golang"));
    assert_eq!(
        pkg.purl.as_deref(),
        Some("pkg:golang/github.com/tidwall/gjson@v1.6.5")
    );
    let text = &occ[1];
    assert_eq!(text.locator, "/7");
    assert!(
        text.description
            .as_deref()
            .unwrap_or("")
            .contains("Reachability: required")
    );
}

#[test]
fn empty_and_broken() {
    for input in [
        &fixture(ID, "empty.json")[..],
        b"",
        br#"{"Calls": {}, "Vulns": null}"#,
    ] {
        let r = Govulncheck.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
    }
    assert_eq!(
        Govulncheck
            .parse(&fixture(ID, "broken.json"))
            .unwrap_err()
            .kind,
        ParseErrorKind::Truncated
    );
    assert_eq!(
        Govulncheck
            .parse(b"{\"a\": 1}\n{\"b\": 2}")
            .unwrap_err()
            .kind,
        ParseErrorKind::Shape
    );
}

#[test]
fn detection() {
    let d = |b: &[u8]| Govulncheck.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(br#"{"Calls": {}, "Vulns": []}"#), Confidence::CERTAIN);
    assert_eq!(d(br#"{"config": {}}"#), Confidence::NO);
}

#[test]
fn corpus_files() {
    let collapse = "one finding per scan level (module, package, symbol): one occurrence per \
                    (OSV id, module), the deepest level kept";
    check_corpus(
        &Govulncheck,
        &["upstream/govulncheck/"],
        &[
            count("upstream/govulncheck/source_call_json.json", 4, collapse),
            count("upstream/govulncheck/binary_call_json.json", 4, collapse),
            count("upstream/govulncheck/query_json.json", 0, ""),
            count("upstream/govulncheck/convert_input.json", 3, ""),
            count(
                "upstream/govulncheck/defectdojo_many_vulns_pre1.0.json",
                3,
                "pre-1.0: 12 Vulns entries, one per called symbol, of 3 (OSV id, module) pairs",
            ),
            count(
                "upstream/govulncheck/defectdojo_no_vulns_new_version.json",
                0,
                "",
            ),
            undetectable(
                "upstream/govulncheck/defectdojo_empty.json",
                0,
                "0-byte file",
            ),
            other(
                "upstream/govulncheck/source_call_sarif.sarif",
                "sarif",
                "SARIF",
            ),
            other(
                "upstream/govulncheck/source_call_sarif_novuln.sarif",
                "sarif",
                "SARIF",
            ),
            other(
                "upstream/govulncheck/source_call_vex.openvex.json",
                "",
                "OpenVEX",
            ),
        ],
    );
}

#[test]
fn corpus_details() {
    let Some(root) = corpus_root() else { return };
    let r = Govulncheck
        .parse(&read(&root, "upstream/govulncheck/source_call_json.json"))
        .expect("parses");
    let called: Vec<&str> = r.runs[0]
        .occurrences
        .iter()
        .filter(|o| {
            o.description
                .as_deref()
                .unwrap_or("")
                .contains("Reachability: called")
        })
        .map(|o| o.rule_id.as_str())
        .collect();
    assert_eq!(called, ["GO-2021-0265", "GO-2021-0054"]);
    let pre = Govulncheck
        .parse(&read(
            &root,
            "upstream/govulncheck/defectdojo_many_vulns_pre1.0.json",
        ))
        .expect("parses");
    let o = &pre.runs[0].occurrences[0];
    assert_eq!(o.package.as_ref().map(|p| p.name.as_str()), Some("stdlib"));
    assert_eq!(
        o.package.as_ref().and_then(|p| p.version.as_deref()),
        Some("v1.19.0")
    );
    assert!(
        o.description
            .as_deref()
            .unwrap_or("")
            .contains("net/http.ListenAndServe")
    );
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&Govulncheck, &fixture(ID, "happy.json"));
}
