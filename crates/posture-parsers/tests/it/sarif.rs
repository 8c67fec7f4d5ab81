//! Tests for the SARIF parser: fixtures of our own, every SARIF file of the shared corpus.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, ParsedReport, Severity};
use posture_parsers::formats::sarif::Sarif;
use posture_parsers::{ParseErrorKind, Parser};
use std::path::{Path, PathBuf};

fn parse(json: &str) -> ParsedReport {
    Sarif.parse(json.as_bytes()).expect("parses")
}

fn one_run(results: &str, rules: &str) -> String {
    format!(
        r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "TestTool", "rules": [{rules}]}}}}, "results": [{results}]}}]}}"#
    )
}

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("sarif", "happy.json");
    let report = Sarif.parse(&bytes).expect("parses");

    // runs: semgrep (two runs merged), trivy, gitleaks, the tool-less run
    let names: Vec<&str> = report.runs.iter().map(|r| r.tool.name.as_str()).collect();
    assert_eq!(
        names,
        ["semgrep", "trivy", "gitleaks", "unknown-sarif-tool"]
    );
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.85.0"));
    // 2 locations + 1 + 1 (absent, pass and broken results skipped), then 2, 1 and 1
    assert_eq!(report.runs[0].occurrences.len(), 4);
    assert_eq!(report.occurrence_count(), 8);

    let diags: Vec<(DiagnosticLevel, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        diags,
        [
            (DiagnosticLevel::Skipped, "/runs/0/results/5"),
            (DiagnosticLevel::Warning, "/runs/0/results/3"),
            (DiagnosticLevel::Warning, "/runs/0/results/4"),
            (DiagnosticLevel::Warning, "/runs/4"),
        ]
    );

    let semgrep = &report.runs[0].occurrences;
    // one result, two locations: two occurrences with their own locators and snippets
    assert_eq!(semgrep[0].locator, "/runs/0/results/0/locations/0");
    assert_eq!(semgrep[1].locator, "/runs/0/results/0/locations/1");
    assert_eq!(
        semgrep[0].severity,
        Severity::Critical,
        "security-severity 9.1"
    );
    assert_eq!(semgrep[0].tool_severity.as_deref(), Some("9.1"));
    assert_eq!(semgrep[0].cwes, [94, 95]);
    assert_eq!(
        semgrep[0].identity.tool_fingerprint.as_deref(),
        Some("primaryLocationLineHash=9cbc869fbfffeb60:1")
    );
    assert_eq!(
        semgrep[0].identity.context.as_deref(),
        Some("result = eval(request.args['q'])")
    );
    assert_eq!(semgrep[1].identity.context.as_deref(), Some("eval( expr )"));
    assert_eq!(
        semgrep[1].location.path.as_deref(),
        Some("/srv/app/app/admin.py")
    );
    assert_eq!(semgrep[1].location.start_column, None, "-1 is no column");
    assert_eq!(
        semgrep[1].location.resource.as_deref(),
        Some("app.admin.run")
    );
    // rule found by ruleIndex only; level none; suppressed; placeholder fingerprint dropped
    assert_eq!(semgrep[2].rule_id, "python.flask.debug-enabled");
    assert_eq!(semgrep[2].severity, Severity::Info);
    assert!(semgrep[2].suppressed);
    assert_eq!(semgrep[2].identity.tool_fingerprint, None);
    assert_eq!(semgrep[2].location.start_line, None, "line 0 is no line");
    assert_eq!(semgrep[2].cwes, [489]);
    // rule by `rule.index`, message from messageStrings, numeric security-severity on the result
    assert_eq!(semgrep[3].title, "FormatString");
    assert_eq!(semgrep[3].severity, Severity::Medium);
    assert_eq!(semgrep[3].tool_severity.as_deref(), Some("6.5"));
    assert!(
        semgrep[3]
            .description
            .as_deref()
            .is_some_and(|d| d.contains("built from request.form reaches cursor.execute")),
        "{:?}",
        semgrep[3].description
    );
    assert!(
        !semgrep[3].suppressed,
        "a rejected suppression is not in effect"
    );
    assert_eq!(
        semgrep[3].identity.tool_fingerprint.as_deref(),
        Some("matchBasedId/v1=b7e1c0d2a9f84e3a_0")
    );

    let trivy = &report.runs[1].occurrences;
    assert_eq!(trivy[0].category, Category::Sca);
    assert_eq!(trivy[0].severity, Severity::Critical);
    assert_eq!(trivy[0].vulnerability_ids, ["CVE-2021-44228"]);
    let pkg = trivy[0].package.as_ref().expect("package");
    assert_eq!(pkg.name, "org.apache.logging.log4j:log4j-core");
    assert_eq!(pkg.version.as_deref(), Some("2.14.1"));
    assert_eq!(pkg.fixed_versions, ["2.15.0", "2.3.1"]);
    assert_eq!(trivy[0].location.start_line, None, "placeholder 1:1 region");
    assert_eq!(trivy[1].category, Category::Iac);
    assert_eq!(trivy[1].severity, Severity::High, "rule default level");
    assert!(trivy[1].package.is_none());

    let leak = &report.runs[2].occurrences[0];
    assert_eq!(leak.category, Category::Secret);
    assert_eq!(leak.severity, Severity::High, "a secret with no level");
    assert_eq!(
        leak.secret.as_ref().map(|s| s.masked.as_str()),
        Some("AKIA********")
    );
    assert_eq!(
        leak.identity,
        Default::default(),
        "commit metadata is no id"
    );

    let tool_less = &report.runs[3].occurrences[0];
    assert_eq!(
        tool_less.location.path.as_deref(),
        Some("api/openapi v2.yaml")
    );

    let text = serde_json::to_string(&report).expect("serializes");
    assert!(!text.contains("AKIAZZZZZZZZZZZZZZZZ"), "secret leaked");
}

#[test]
fn empty_shapes_are_zero_findings() {
    let r = Sarif
        .parse(&fixture("sarif", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert!(r.runs.is_empty());
    for empty in [
        &br#"{"runs": null}"#[..],
        br#"{"version": "2.1.0", "runs": []}"#,
        b"\xEF\xBB\xBF{\"version\": \"2.1.0\", \"runs\": []}",
    ] {
        let r = Sarif.parse(empty).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.runs.is_empty());
        assert!(r.diagnostics.is_empty());
    }
    // a tool that ran and found nothing is a run with zero occurrences
    for results in ["[]", "null"] {
        let doc = format!(
            r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "gosec"}}}}, "results": {results}}}]}}"#
        );
        let r = parse(&doc);
        assert_eq!(r.runs.len(), 1);
        assert_eq!(r.runs[0].tool.name, "gosec");
        assert_eq!(r.occurrence_count(), 0);
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Sarif.parse(&fixture("sarif", "broken.json")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Sarif
        .parse(br#"{"version": "2.1.0", "runs": [{"results": [],}]}"#)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Syntax);
    assert!(e.position.is_some());
    for not_sarif in [
        &b"[]"[..],
        b"null",
        br#"{"results": []}"#,
        br#"{"version": "2.1.0"}"#,
        br#"{"runs": {"results": []}}"#,
    ] {
        let e = Sarif.parse(not_sarif).unwrap_err();
        assert_eq!(
            e.kind,
            ParseErrorKind::Shape,
            "{}",
            String::from_utf8_lossy(not_sarif)
        );
        assert!(e.message.contains("SARIF"), "{}", e.message);
    }
    let e = Sarif.parse(b"").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Empty);
    // a run that is not a run is skipped, the others are kept
    let r = parse(
        r#"{"version": "2.1.0", "runs": [42, {"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "a"}]}]}"#,
    );
    assert_eq!(r.occurrence_count(), 1);
    assert_eq!(r.diagnostics[0].locator, "/runs/0");
    assert_eq!(r.diagnostics[0].level, DiagnosticLevel::Skipped);
}

#[test]
fn versions() {
    for v in ["1.0.0", "2.0.0", "2.0.0-csd.2.beta.2019-01-24"] {
        let doc = format!(r#"{{"version": "{v}", "runs": [{{"tool": {{"name": "BinSkim"}}}}]}}"#);
        let e = Sarif.parse(doc.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnsupportedVersion, "{v}");
        assert!(e.message.contains(v), "{}", e.message);
    }
    for ok in [
        r#"{"version": "2.2", "runs": [{"tool": {"driver": {"name": "X"}}, "results": [{"ruleId": "r"}]}]}"#,
        r#"{"runs": [{"tool": {"driver": {"name": "X"}}, "results": [{"ruleId": "r"}]}]}"#,
    ] {
        assert_eq!(parse(ok).occurrence_count(), 1, "{ok}");
    }
}

#[test]
fn rule_lookup_variants() {
    let rules = r#"{"id": "R1", "shortDescription": {"text": "Rule one"}},
                   {"id": "AWS Access Key", "name": "AWS Access Key"}"#;
    // only ruleIndex (Fortify conversions)
    let r = parse(&one_run(
        r#"{"ruleIndex": 0, "message": {"text": "m"}}"#,
        rules,
    ));
    let o = &r.runs[0].occurrences[0];
    assert_eq!((o.rule_id.as_str(), o.title.as_str()), ("R1", "Rule one"));
    // neither: the rule whose id begins the message (Gitleaks v7), else the message
    let r = parse(&one_run(
        r#"{"message": {"text": "AWS Access Key secret detected"}},
           {"message": {"text": "Something else entirely\nsecond line"}}"#,
        rules,
    ));
    assert_eq!(r.runs[0].occurrences[0].rule_id, "AWS Access Key");
    assert_eq!(r.runs[0].occurrences[1].rule_id, "Something else entirely");
    // hierarchical ids and unknown ids
    let r = parse(&one_run(
        r#"{"ruleId": "R1/sub"}, {"ruleId": "R9", "message": {"text": "x"}}"#,
        rules,
    ));
    assert_eq!(r.runs[0].occurrences[0].title, "Rule one");
    assert_eq!(r.runs[0].occurrences[1].title, "R9");
    // a rule in an extension (CodeQL packs)
    let doc = r#"{"version": "2.1.0", "runs": [{"tool": {
        "driver": {"name": "CodeQL command-line toolchain", "rules": [{"id": "js/a"}]},
        "extensions": [{"name": "codeql/javascript-queries", "rules": [
            {"id": "js/xss", "shortDescription": {"text": "Cross-site scripting"},
             "properties": {"tags": ["external/cwe/cwe-079"], "security-severity": "6.1"}}]}]},
        "results": [{"ruleId": "js/xss", "rule": {"id": "js/xss", "index": 0, "toolComponent": {"index": 0}}}]}]}"#;
    let r = parse(doc);
    assert_eq!(r.runs[0].tool.name, "codeql");
    let o = &r.runs[0].occurrences[0];
    assert_eq!(o.title, "Cross-site scripting");
    assert_eq!(o.cwes, [79]);
    assert_eq!(o.severity, Severity::Medium);
}

#[test]
fn severity_table() {
    let rules = r#"{"id": "E", "defaultConfiguration": {"level": "error"}},
                   {"id": "S", "properties": {"security-severity": "3.1"}},
                   {"id": "N"}"#;
    let r = parse(&one_run(
        r#"{"ruleId": "E"}, {"ruleId": "E", "level": "note"}, {"ruleId": "S", "level": "error"},
           {"ruleId": "N"}, {"ruleId": "N", "level": "none"},
           {"ruleId": "N", "properties": {"security-severity": "0.0"}},
           {"ruleId": "N", "properties": {"security-severity": "high"}, "level": "warning"}"#,
        rules,
    ));
    let got: Vec<(Severity, Option<&str>)> = r.runs[0]
        .occurrences
        .iter()
        .map(|o| (o.severity, o.tool_severity.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Severity::High, Some("error")),
            (Severity::Low, Some("note")),
            (Severity::Low, Some("3.1")),
            (Severity::Medium, None),
            (Severity::Info, Some("none")),
            (Severity::Info, Some("0.0")),
            (Severity::Medium, Some("warning")),
        ]
    );
}

#[test]
fn categories_by_tool() {
    let cat = |tool: &str, rule: &str| -> Category {
        let doc = format!(
            r#"{{"runs": [{{"tool": {{"driver": {{"name": "{tool}"}}}}, "results": [{{"ruleId": "{rule}"}}]}}]}}"#
        );
        parse(&doc).runs[0].occurrences[0].category
    };
    assert_eq!(cat("CodeQL", "js/xss"), Category::Sast);
    assert_eq!(cat("Grype", "CVE-2021-1234-lodash"), Category::Sca);
    assert_eq!(cat("osv-scanner", "GHSA-whgm-jr23-g3j9"), Category::Sca);
    assert_eq!(cat("Checkov", "CKV_AWS_20"), Category::Iac);
    assert_eq!(cat("Checkov", "CKV_SECRET_2"), Category::Secret);
    assert_eq!(
        cat("Semgrep OSS", "generic.secrets.security.aws-key"),
        Category::Secret
    );
    assert_eq!(
        cat("KICS", "20f14e1a-a899-4e79-9f09-b6a84cd4649b"),
        Category::Iac
    );
    assert_eq!(cat("Gitleaks", "aws"), Category::Secret);
    assert_eq!(cat("Dockle", "CIS-DI-0010"), Category::Container);
    assert_eq!(
        cat("Snyk Container", "SNYK-LINUX-BZIP2-106947"),
        Category::Container
    );
    assert_eq!(cat("nuclei", "tech-detect"), Category::Dast);
    assert_eq!(cat("hadolint", "DL3008"), Category::Iac);
    assert_eq!(cat("Trivy", "AVD-DS-0002"), Category::Iac);
    assert_eq!(cat("Trivy", "CVE-2021-44228"), Category::Sca);
    assert_eq!(cat("SomeNewTool", "XYZ001"), Category::Sast);
    assert_eq!(cat("SomeNewTool", "CVE-2020-11022"), Category::Sca);
}

#[test]
fn grype_and_osv_dialects() {
    let grype = r#"{"runs": [{"tool": {"driver": {"name": "Grype", "rules": [
        {"id": "GHSA-jfh8-c2jp-5v3q-log4j-core", "help": {"text": "Vulnerability GHSA-jfh8-c2jp-5v3q\nSeverity: critical\nPackage: log4j-core\nVersion: 2.14.1\nFix Version: 2.15.0\nType: java-archive\n"},
         "properties": {"security-severity": "10.0"}}]}},
        "results": [{"ruleId": "GHSA-jfh8-c2jp-5v3q-log4j-core", "message": {"text": "The path x reports log4j-core"}}]}]}"#;
    let o = &parse(grype).runs[0].occurrences[0];
    assert_eq!(o.vulnerability_ids, ["GHSA-jfh8-c2jp-5v3q"]);
    let p = o.package.as_ref().expect("package");
    assert_eq!(
        (
            p.ecosystem.as_deref(),
            p.name.as_str(),
            p.version.as_deref()
        ),
        (Some("maven"), "log4j-core", Some("2.14.1"))
    );
    assert_eq!(p.fixed_versions, ["2.15.0"]);
    let osv = r#"{"runs": [{"tool": {"driver": {"name": "osv-scanner", "rules": [
        {"id": "CVE-2021-23424", "deprecatedIds": ["CVE-2021-23424", "GHSA-whgm-jr23-g3j9"]}]}},
        "results": [{"ruleId": "CVE-2021-23424", "ruleIndex": 0,
          "message": {"text": "Package '@scope/ansi-html@0.0.1' is vulnerable to 'CVE-2021-23424'."},
          "partialFingerprints": {"primaryLocationLineHash": "[line-hash]"},
          "locations": [{"id": -1, "physicalLocation": {"artifactLocation": {"index": -1, "uri": "file://<rootdir>/package-lock.json"}}}]}]}]}"#;
    let o = &parse(osv).runs[0].occurrences[0];
    assert_eq!(
        o.vulnerability_ids,
        ["CVE-2021-23424", "GHSA-whgm-jr23-g3j9"]
    );
    let p = o.package.as_ref().expect("package");
    assert_eq!(
        (p.name.as_str(), p.version.as_deref()),
        ("@scope/ansi-html", Some("0.0.1"))
    );
    assert_eq!(
        o.identity.tool_fingerprint, None,
        "[line-hash] is a placeholder"
    );
    assert_eq!(
        o.location.path.as_deref(),
        Some("<rootdir>/package-lock.json")
    );
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    let bytes = fixture("sarif", "happy.json");
    for cut in (0..bytes.len()).step_by(7) {
        let _ = Sarif.parse(&bytes[..cut]);
    }
    // type drift everywhere: each kind of value replaced by each other kind
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let kinds = [
        serde_json::json!(12),
        serde_json::json!(-1),
        serde_json::json!("text"),
        serde_json::json!({}),
        serde_json::json!([]),
        serde_json::json!(null),
        serde_json::json!(true),
    ];
    for k in &kinds {
        for target in ["string", "number", "array", "object"] {
            let mut v = doc.clone();
            drift(&mut v, target, k, 0);
            let _ = Sarif.parse(&serde_json::to_vec(&v).expect("serializes"));
        }
    }
}

/// Replaces every value of a JSON kind below the top levels by `with`.
fn drift(v: &mut serde_json::Value, kind: &str, with: &serde_json::Value, depth: usize) {
    let matches = match v {
        serde_json::Value::String(_) => kind == "string",
        serde_json::Value::Number(_) => kind == "number",
        serde_json::Value::Array(_) => kind == "array",
        serde_json::Value::Object(_) => kind == "object",
        _ => false,
    };
    if matches && depth > 2 {
        *v = with.clone();
        return;
    }
    match v {
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| drift(x, kind, with, depth + 1)),
        serde_json::Value::Object(o) => {
            o.values_mut().for_each(|x| drift(x, kind, with, depth + 1))
        }
        _ => {}
    }
}

#[test]
fn detection() {
    let sarif = fixture("sarif", "happy.json");
    assert_eq!(posture_parsers::detect(&sarif).map(|p| p.id()), Ok("sarif"));
    // no $schema, no driver (a Checkov fixture)
    let bare = br#"{"version":"2.1.0","runs":[{"results":[{"ruleId":"CKV_OPENAPI_4"}]}]}"#;
    assert_eq!(posture_parsers::detect(bare).map(|p| p.id()), Ok("sarif"));
    for other in [
        &br#"{"results": [], "errors": [], "paths": {"scanned": []}}"#[..],
        br#"{"SchemaVersion": 2, "Results": []}"#,
        br#"[{"RuleID": "x", "Secret": "y"}]"#,
    ] {
        assert_eq!(
            Sarif.detect(&posture_parsers::Sniff::new(other)),
            posture_parsers::Confidence::NO
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Corpus

/// What a corpus file must give.
enum Expect {
    /// This many occurrences; the reason when it is not the raw result count of SOURCES.tsv.
    Count(usize, &'static str),
    Error(ParseErrorKind, &'static str),
}

/// Files whose outcome differs from "as many occurrences as SOURCES.tsv counts results".
fn exception(rel: &str) -> Option<Expect> {
    use Expect::*;
    use ParseErrorKind::*;
    const V1: &str = "SARIF 1.0.0 log: refused as an unsupported version";
    const V2: &str = "SARIF 2.0.0 (pre-release shape): refused as an unsupported version";
    let name = rel.rsplit('/').next().unwrap_or(rel);
    Some(match name {
        "mobsfscan.json" | "defectdojo_mobsfscan.json" => Count(
            18,
            "9 results with 18 locations: one occurrence per location (DefectDojo: 18)",
        ),
        "njsscan.sarif" => Count(
            3,
            "2 results with 3 locations: one occurrence per location (DefectDojo: 3)",
        ),
        "flawfinder.sarif" | "defectdojo_flawfinder.sarif" => Count(
            53,
            "54 results, one of kind `pass` (not a finding) skipped with a warning (DefectDojo: 53)",
        ),
        "BinSkim_MixedMode_x86_VS2015_Default.exe.sarif" => {
            Error(Syntax, "negative sample: trailing comma, invalid JSON")
        }
        "PrereleaseCompat_Inputs_V1.sarif"
        | "v1_BinSkim_Corrupted_Native_x86_VS2013_Default.exe.sarif"
        | "sdk-v1_SpecExamples_Comprehensive.sarif" => Error(UnsupportedVersion, V1),
        "BinSkim_Corrupted_Native_x86_VS2013_Default.exe.sarif"
        | "sdk-v2_SpecExamples_Comprehensive.sarif"
        | "sdk-v2_SpecExamples_RuleMetadata.sarif" => Error(UnsupportedVersion, V2),
        _ => return None,
    })
}

/// Every SARIF file of the corpus: SOURCES rows with format `sarif` (upstream) or parser
/// `sarif` (DefectDojo), every `*.sarif*` file, and every `.json` file whose content is SARIF.
fn corpus_sarif_files(root: &Path) -> Vec<(String, Option<usize>)> {
    let sources = sources(root);
    let mut files: Vec<(String, Option<usize>)> = sources
        .iter()
        .filter(|s| s.format == "sarif" || s.rel.starts_with("defectdojo/sarif/"))
        .map(|s| (s.rel.clone(), s.findings))
        .collect();
    let mut stack = vec![root.to_path_buf()];
    let mut found: Vec<PathBuf> = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable corpus").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    for p in found {
        let rel = p
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        if files.iter().any(|(r, _)| *r == rel) {
            continue;
        }
        let name = rel.to_ascii_lowercase();
        let is_sarif = if name.contains(".sarif") {
            true
        } else if name.ends_with(".json") {
            let bytes = read(root, &rel);
            let sniff = posture_parsers::Sniff::new(&bytes);
            sniff.is_json_object()
                && sniff.has_key("runs")
                && (sniff.contains("sarif") || sniff.has_key("driver"))
        } else {
            false
        };
        if is_sarif {
            let count = sources
                .iter()
                .find(|s| s.rel == rel)
                .and_then(|s| s.findings);
            files.push((rel, count));
        }
    }
    files.sort();
    files
}

#[test]
fn corpus_sarif_files_parse_with_expected_counts() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_sarif_files(&root);
    assert!(
        files.len() >= 70,
        "expected the SARIF corpus, found {}",
        files.len()
    );
    let mut checked = 0;
    let mut errors = 0;
    for (rel, count) in &files {
        let bytes = read(&root, rel);
        // detection: every SARIF file, even one we refuse, is recognised as SARIF
        let detected = posture_parsers::detect(&bytes).map(|p| p.id());
        assert_eq!(detected, Ok("sarif"), "{rel}");
        let result = Sarif.parse(&bytes);
        match (exception(rel), result) {
            (Some(Expect::Error(kind, why)), Err(e)) => {
                assert_eq!(e.kind, kind, "{rel} ({why}): {e}");
                errors += 1;
            }
            (Some(Expect::Error(_, why)), Ok(_)) => panic!("{rel}: should fail ({why})"),
            (Some(Expect::Count(n, why)), Ok(r)) => {
                assert_eq!(r.occurrence_count(), n, "{rel}: {why}");
                checked += 1;
            }
            (None, Ok(r)) => {
                if let Some(n) = count {
                    assert_eq!(r.occurrence_count(), *n, "{rel}");
                    checked += 1;
                }
                // only expected diagnostics: tool-less runs, tool errors, failed executions
                for d in &r.diagnostics {
                    assert_eq!(d.level, DiagnosticLevel::Warning, "{rel}: {d:?}");
                }
            }
            (_, Err(e)) => panic!("{rel}: {e}"),
        }
    }
    eprintln!(
        "sarif corpus: {} files read, {checked} counts checked, {errors} refused as expected",
        files.len()
    );
}

#[test]
fn corpus_counts_match_defectdojo_where_it_asserts_one() {
    let Some(root) = corpus_root() else { return };
    for src in corpus_files(&root, |s| s.rel.starts_with("defectdojo/sarif/")) {
        let Some(expected) = src.dojo_expected.as_deref() else {
            continue;
        };
        let r = Sarif
            .parse(&read(&root, &src.rel))
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        let want: usize = expected.parse().expect("a plain count");
        assert_eq!(r.occurrence_count(), want, "{}", src.rel);
    }
}

#[test]
fn corpus_secrets_never_leak() {
    let Some(root) = corpus_root() else { return };
    for (rel, _) in corpus_sarif_files(&root) {
        let bytes = read(&root, &rel);
        let Ok(report) = Sarif.parse(&bytes) else {
            continue;
        };
        let raw: serde_json::Value =
            serde_json::from_slice(posture_parsers::json::strip_bom(&bytes)).expect("JSON");
        let out = serde_json::to_string(&report).expect("serializes");
        for (r, run) in report.runs.iter().enumerate() {
            for occ in run
                .occurrences
                .iter()
                .filter(|o| o.category == Category::Secret)
            {
                let item = raw.pointer(occ.locator.split("/locations/").next().expect("a locator"));
                let item = item.unwrap_or_else(|| panic!("{rel} run {r}: {}", occ.locator));
                let mut plain: Vec<&str> = Vec::new();
                for p in ["/properties/offender", "/properties/secret"] {
                    plain.extend(item.pointer(p).and_then(|v| v.as_str()));
                }
                for loc in item["locations"].as_array().into_iter().flatten() {
                    plain.extend(
                        loc.pointer("/physicalLocation/region/snippet/text")
                            .and_then(|v| v.as_str()),
                    );
                }
                for p in plain {
                    let p = p.trim();
                    if p.len() >= 8 && !p.contains("***") {
                        assert!(!out.contains(p), "{rel}: plaintext secret leaked: {p}");
                    }
                }
            }
        }
    }
}

#[test]
fn corpus_digests() {
    let Some(root) = corpus_root() else { return };
    for (name, rel) in [
        (
            "sarif_codeql",
            "upstream/codeql/defectdojo_codeQL-output.sarif",
        ),
        ("sarif_trivy", "upstream/trivy/alpine-310.sarif.golden"),
        ("sarif_grype", "upstream/grype/defectdojo_cxf-3.4.6.sarif"),
        (
            "sarif_gitleaks_v7",
            "upstream/gitleaks/defectdojo_gitleaks_7.5.0.sarif",
        ),
        ("sarif_kics", "upstream/kics/E2E_CLI_079_RESULT.sarif"),
        (
            "sarif_dependency_check",
            "upstream/dependency-check/defectdojo_dependency_check.sarif",
        ),
        (
            "sarif_mobsfscan",
            "upstream/sarif-misc/defectdojo_mobsfscan.json",
        ),
    ] {
        let report = Sarif
            .parse(&read(&root, rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let d = digest(&report, 2);
        snapshot_settings().bind(|| insta::assert_json_snapshot!(name, d));
    }
}
