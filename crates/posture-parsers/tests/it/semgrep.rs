//! Semgrep JSON (`semgrep --json`) parser tests.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::semgrep::Semgrep;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const SECRET: &str = "AKIAZZZZZZZZZZZZZZZZ";

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("semgrep", "happy.json");
    let report = Semgrep.parse(&bytes).expect("parses");
    assert_eq!(report.format, "semgrep-json");
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].tool.name, "semgrep");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.85.0"));
    assert_eq!(
        report.occurrence_count(),
        5,
        "the broken sixth item is skipped"
    );

    let d: Vec<(DiagnosticLevel, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        d,
        vec![
            (DiagnosticLevel::Skipped, "/results/5"),
            (DiagnosticLevel::Warning, "/results/4"),
            (DiagnosticLevel::Warning, "/errors/0"),
        ]
    );
    assert!(report.diagnostics[1].message.contains("URGENT"));
    assert!(
        report.diagnostics[2].message.contains("PartialParsing")
            && report.diagnostics[2].message.contains("app/legacy.py"),
        "{}",
        report.diagnostics[2].message
    );

    let occ = &report.runs[0].occurrences;
    // 0: SAST, legacy severity, real fingerprint, multi-line snippet as context
    assert_eq!(occ[0].category, Category::Sast);
    assert_eq!(occ[0].title, "Tainted sql string");
    assert_eq!(occ[0].severity, Severity::High);
    assert_eq!(occ[0].tool_severity.as_deref(), Some("ERROR"));
    assert_eq!(occ[0].cwes, vec![89]);
    assert_eq!(occ[0].locator, "/results/0");
    assert_eq!(occ[0].location.path.as_deref(), Some("app/db.py"));
    assert_eq!(occ[0].location.start_line, Some(41));
    assert_eq!(occ[0].location.end_line, Some(42));
    assert!(
        occ[0]
            .identity
            .tool_fingerprint
            .as_deref()
            .is_some_and(|f| f.starts_with("6a1c09f7"))
    );
    assert_eq!(
        occ[0].identity.context.as_deref(),
        Some("query = \"SELECT * FROM users WHERE name = '%s'\" % request.args.get(\"name\")")
    );
    assert_eq!(occ[0].references.len(), 2, "references + rule source");
    let desc = occ[0].description.as_deref().unwrap_or("");
    assert!(desc.starts_with("Detected user input used"), "{desc}");
    assert!(desc.contains("Confidence: HIGH, likelihood: MEDIUM, impact: HIGH."));
    assert!(desc.contains("OWASP: A01:2017 - Injection; A03:2021 - Injection."));

    // 1: new severity scale, placeholders dropped, nosemgrep → suppressed
    assert_eq!(occ[1].severity, Severity::Critical);
    assert_eq!(occ[1].title, "No debug");
    assert_eq!(occ[1].cwes, vec![489]);
    assert!(occ[1].suppressed);
    assert_eq!(occ[1].identity.tool_fingerprint, None);
    assert_eq!(occ[1].identity.context, None);
    assert!(
        occ[1]
            .description
            .as_deref()
            .is_some_and(|d| d.contains("Suggested fix: DEBUG = False"))
    );

    // 2: secrets rule → secret, hashed, masked, never in plaintext
    assert_eq!(occ[2].category, Category::Secret);
    assert_eq!(
        occ[2].secret.as_ref().map(|s| s.masked.as_str()),
        Some("AKIA********")
    );
    assert_eq!(
        occ[2].secret,
        Some(posture_model::SecretEvidence::from_plaintext(SECRET)),
        "the hash is of the matched span, so it correlates with other secret scanners"
    );
    assert_eq!(occ[2].identity.context, None);
    assert!(occ[2].identity.tool_fingerprint.is_some());
    assert!(
        occ[2]
            .description
            .as_deref()
            .is_some_and(|d| d.contains("Validation: confirmed valid."))
    );

    // 3: Supply Chain → sca with package, ids, fix, lockfile location and reachability
    assert_eq!(occ[3].category, Category::Sca);
    assert_eq!(occ[3].severity, Severity::High);
    assert_eq!(occ[3].tool_severity.as_deref(), Some("HIGH"));
    assert_eq!(
        occ[3].title,
        "Lodash versions prior to 4.17.21 are vulnerable to Command Injection via the template function."
    );
    assert_eq!(
        occ[3].vulnerability_ids,
        vec!["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"]
    );
    let pkg = occ[3].package.as_ref().expect("package");
    assert_eq!(pkg.name, "lodash");
    assert_eq!(pkg.ecosystem.as_deref(), Some("npm"));
    assert_eq!(pkg.version.as_deref(), Some("4.17.20"));
    assert_eq!(pkg.fixed_versions, vec!["4.17.21"]);
    assert_eq!(occ[3].location.path.as_deref(), Some("package-lock.json"));
    assert_eq!(occ[3].location.start_line, Some(120));
    assert_eq!(occ[3].identity.tool_fingerprint, None);
    assert!(
        occ[3]
            .description
            .as_deref()
            .is_some_and(|d| d.contains("\n\nReachability: unreachable"))
    );

    // 4: unknown severity word → medium (and a warning above)
    assert_eq!(occ[4].severity, Severity::Medium);
    assert_eq!(occ[4].tool_severity.as_deref(), Some("URGENT"));
    assert_eq!(occ[4].title, "Eqeq is bad");
    assert_eq!(occ[4].identity.context.as_deref(), Some("if a == a {"));

    let text = serde_json::to_string(&report).expect("serializes");
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    assert!(
        !text.contains("aws_key"),
        "the secret's line leaked: {text}"
    );
}

#[test]
fn old_0x_report_without_version() {
    let report = Semgrep
        .parse(&fixture("semgrep", "v0.json"))
        .expect("parses");
    assert_eq!(report.runs[0].tool.version, None);
    assert!(report.diagnostics.is_empty());
    let o = &report.runs[0].occurrences[0];
    assert_eq!(o.severity, Severity::Low, "legacy INFO is Semgrep's LOW");
    assert_eq!(o.cwes, vec![95]);
    assert_eq!(o.title, "Eval detected");
    assert_eq!(o.identity.context.as_deref(), Some("eval(userInput);"));
    assert_eq!(o.identity.tool_fingerprint, None);
    assert!(
        o.description
            .as_deref()
            .is_some_and(|d| d.contains("OWASP: A1: Injection."))
    );
}

#[test]
fn empty_shapes_are_zero_findings() {
    let own = fixture("semgrep", "empty.json");
    for empty in [
        &own[..],
        br#"{"results": [], "errors": []}"#,
        br#"{"results": null, "errors": null}"#,
        br#"{"results": []}"#,
        br#"{"errors": []}"#,
        b"\xEF\xBB\xBF{\"results\":[],\"errors\":[],\"paths\":{\"scanned\":[]}}\n",
    ] {
        let r = Semgrep.parse(empty).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn errors_only_reports_are_warnings() {
    let r = Semgrep
        .parse(&fixture("semgrep", "errors_only.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 2);
    assert!(
        r.diagnostics
            .iter()
            .all(|d| d.level == DiagnosticLevel::Warning)
    );
    assert_eq!(r.diagnostics[0].locator, "/errors/0");
    assert_eq!(
        r.diagnostics[0].message,
        "semgrep error (InvalidRuleSchemaError) in rule my-rule: One of these properties is missing: 'pattern', 'patterns'"
    );
    assert_eq!(
        r.diagnostics[1].message,
        "semgrep warn (Timeout) in rule slow-rule on src/big.js: Timeout when running slow-rule on src/big.js"
    );
    // a failed run that wrote no `results` at all
    let r = Semgrep
        .parse(br#"{"errors":[{"code":2,"level":"error","type":"SemgrepError","message":"bad config"}],"paths":{"scanned":[]}}"#)
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(
        r.diagnostics[0].message,
        "semgrep error (SemgrepError): bad config"
    );
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Semgrep
        .parse(&fixture("semgrep", "broken.json"))
        .expect_err("must be refused");
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    for wrong in [
        &b"[]"[..],
        b"null",
        b"{\"not\": \"semgrep\"}",
        b"{\"results\": 3}",
    ] {
        let e = Semgrep.parse(wrong).expect_err("must be refused");
        assert_eq!(
            e.kind,
            ParseErrorKind::Shape,
            "{}",
            String::from_utf8_lossy(wrong)
        );
    }
    let e = Semgrep.parse(b"").expect_err("must be refused");
    assert_eq!(e.kind, ParseErrorKind::Empty);
    let e = Semgrep
        .parse(br#"{"vulns": [{"title": "x"}], "hasMore": false, "cursor": "1"}"#)
        .expect_err("must be refused");
    assert_eq!(e.kind, ParseErrorKind::Shape);
    assert!(e.message.contains("Supply Chain API export"), "{e}");
}

#[test]
fn drifting_metadata_types_do_not_cost_the_item() {
    let r = Semgrep
        .parse(
            br#"{"results": [{"check_id": "a.b.path-traversal", "path": "x.py",
                 "start": {"line": "4", "col": 2}, "end": {"line": 4, "col": 9},
                 "extra": {"message": "m", "severity": "warning", "lines": null,
                   "metadata": {"cwe": [["CWE-22"], {"id": 1}, 79], "references": "https://a",
                     "confidence": ["HIGH"], "owasp": null, "technology": {"x": 1},
                     "sca-fix-versions": "nonsense"},
                   "is_ignored": "true", "fingerprint": ""}}], "errors": []}"#,
        )
        .expect("parses");
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let o = &r.runs[0].occurrences[0];
    assert_eq!(o.cwes, vec![22, 79]);
    assert_eq!(o.references, vec!["https://a"]);
    assert_eq!(o.severity, Severity::Medium);
    assert_eq!(o.location.start_line, Some(4));
    assert!(o.suppressed);
    assert_eq!(o.identity.tool_fingerprint, None);
    assert_eq!(o.title, "Path traversal");
    // an opaque last segment gives way to the message
    let r = Semgrep
        .parse(br#"{"results": [{"check_id": "x.y", "extra": {"message": "First. Second."}}]}"#)
        .expect("parses");
    assert_eq!(r.runs[0].occurrences[0].title, "First.");
}

#[test]
fn detects_own_fixtures_and_nothing_else() {
    for name in ["happy.json", "empty.json", "errors_only.json", "v0.json"] {
        let bytes = fixture("semgrep", name);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.id(), "semgrep-json", "{name}");
    }
    let certain = Semgrep.detect(&Sniff::new(&fixture("semgrep", "happy.json")));
    assert_eq!(certain, Confidence::CERTAIN);
    for other in [
        &br#"{"version": "2.1.0", "runs": [{"results": []}]}"#[..],
        br#"{"errors": [], "generated_at": "2024", "metrics": {}, "results": []}"#,
        br#"{"version": "15.0.4", "vulnerabilities": [], "scan": {"type": "sast"}}"#,
        br#"{"vulns": [], "hasMore": false, "cursor": "0"}"#,
        br#"[{"check_id": "x"}]"#,
        br#"{"results": null}"#,
        br#"{"check_type": "terraform", "results": {"failed_checks": [{"check_id": "CKV_AWS_1", "extra": {}}]}}"#,
        br#"{"results": [{"source": {"path": "yarn.lock"}, "packages": []}]}"#,
        br#"{"version": "2.2.4", "data": [{"file": "a.js", "results": []}], "errors": []}"#,
    ] {
        assert_eq!(
            Semgrep.detect(&Sniff::new(other)),
            Confidence::NO,
            "{}",
            String::from_utf8_lossy(other)
        );
    }
}

/// Corpus files that are Semgrep's other output formats (or another product's export).
fn not_semgrep_json(rel: &str) -> Option<&'static str> {
    if rel.ends_with(".sarif") || rel.ends_with("_sarif.json") {
        Some("SARIF (read by the sarif parser)")
    } else if rel.ends_with("gitlab-sast.json") {
        Some("GitLab SAST report (gitlab-sast format)")
    } else if rel.ends_with("sca-deployments-vulns.json") {
        Some("Semgrep AppSec Platform Supply Chain API export")
    } else {
        None
    }
}

#[test]
fn corpus_semgrep_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/semgrep/") || s.rel.starts_with("defectdojo/semgrep/")
    });
    assert!(
        files.len() >= 25,
        "expected the semgrep corpus, found {}",
        files.len()
    );
    let (mut read_ok, mut checked, mut refused) = (0, 0, 0);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let sniff = Sniff::new(&bytes);
        if let Some(why) = not_semgrep_json(&src.rel) {
            assert_eq!(
                Semgrep.detect(&sniff),
                Confidence::NO,
                "{} is {why}: semgrep-json must not claim it",
                src.rel
            );
            if src.rel.ends_with("sca-deployments-vulns.json") {
                // DefectDojo reads this page of the AppSec Platform's `ssc-vulns` API
                // (`{vulns, hasMore, cursor}`) with its Semgrep parser: SOURCES counts 0
                // `results[]`, DefectDojo asserts 18 (22 `vulns`, merged by title + path + line).
                // It is not `semgrep --json` output: Posture refuses it with a Shape error that
                // names it, rather than reading it as an empty report and losing 22 findings.
                let e = Semgrep.parse(&bytes).expect_err("must be refused");
                assert_eq!(e.kind, ParseErrorKind::Shape);
                assert!(e.message.contains("Supply Chain API export"), "{e}");
                assert_eq!(src.findings, Some(0));
                assert_eq!(src.dojo_expected.as_deref(), Some("18"));
                refused += 1;
            }
            continue;
        }
        let report = Semgrep
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        read_ok += 1;
        let raw: serde_json::Value = serde_json::from_slice(&bytes).expect("corpus file is JSON");
        let results = raw["results"].as_array().map_or(0, Vec::len);
        let errors = raw["errors"].as_array().map_or(0, Vec::len);
        // every result is an occurrence; every error a warning; nothing skipped
        assert_eq!(report.occurrence_count(), results, "{}", src.rel);
        assert_eq!(report.diagnostics.len(), errors, "{}", src.rel);
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| d.level == DiagnosticLevel::Warning && d.locator.starts_with("/errors/")),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        if let Some(n) = src.findings {
            assert_eq!(report.occurrence_count(), n, "{}", src.rel);
            checked += 1;
        }
        if let Some(dojo) = &src.dojo_expected {
            assert_eq!(report.occurrence_count().to_string(), *dojo, "{}", src.rel);
        }
        for (i, o) in report.runs[0].occurrences.iter().enumerate() {
            assert_eq!(o.locator, format!("/results/{i}"), "{}", src.rel);
            for hint in [&o.identity.tool_fingerprint, &o.identity.context] {
                let h = hint.as_deref().unwrap_or("real");
                assert!(
                    h != "0x42" && h != "requires login" && !h.is_empty(),
                    "{}: placeholder kept",
                    src.rel
                );
            }
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "semgrep-json", "{}", src.rel);
    }
    assert_eq!(refused, 1);
    eprintln!(
        "semgrep corpus: {} rows, {read_ok} read, {checked} counts checked, {refused} refused",
        files.len()
    );
}

#[test]
fn corpus_details() {
    let Some(root) = corpus_root() else { return };
    // Supply Chain: reachable log4j usage
    let r = Semgrep
        .parse(&read(&root, "upstream/semgrep/ssc_log4shell_json.json"))
        .expect("parses");
    let o = &r.runs[0].occurrences[0];
    assert_eq!(o.category, Category::Sca);
    let pkg = o.package.as_ref().expect("package");
    assert_eq!(pkg.name, "org.apache.logging.log4j:log4j-core");
    assert_eq!(pkg.ecosystem.as_deref(), Some("maven"));
    assert_eq!(pkg.version.as_deref(), Some("0.0.2"));
    assert_eq!(
        o.location.path.as_deref(),
        Some("targets/dependency_aware/log4j/maven_dep_tree.txt")
    );
    assert_eq!(o.location.start_line, Some(3));
    assert!(
        o.description.as_deref().is_some_and(|d| d.contains(
            "Reachability: reachable (the vulnerable code is used at targets/dependency_aware/log4j/log4shell.java:33)."
        )),
        "{:?}",
        o.description
    );
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("semgrep_corpus_ssc_log4shell", digest(&r, 1)));

    // fingerprints: same across a line shift, different when Semgrep's id differs
    let fp = |rel: &str| {
        let r = Semgrep.parse(&read(&root, rel)).expect("parses");
        r.runs[0].occurrences[0].identity.tool_fingerprint.clone()
    };
    let a = fp("defectdojo/semgrep/close_old_findings_report_line31.json");
    let b = fp("defectdojo/semgrep/close_old_findings_report_second_run_line24.json");
    let c = fp("defectdojo/semgrep/close_old_findings_report_third_run_different_unique_id.json");
    assert!(a.is_some());
    assert_eq!(a, b, "Semgrep's match id does not depend on the line");
    assert_ne!(a, c);

    // "requires login" placeholders: no fingerprint, no context
    let r = Semgrep
        .parse(&read(
            &root,
            "upstream/semgrep/defectdojo_fingerprint_test.json",
        ))
        .expect("parses");
    for o in &r.runs[0].occurrences {
        assert_eq!(o.identity.tool_fingerprint, None);
        assert_eq!(o.identity.context, None);
    }
    assert_eq!(r.runs[0].occurrences[0].cwes, vec![78]);
    assert_eq!(r.runs[0].occurrences[1].severity, Severity::Medium);
    snapshot_settings()
        .bind(|| insta::assert_json_snapshot!("semgrep_corpus_fingerprint_test", digest(&r, 2)));

    // new severity scale (LOW) and old 0.x report
    let r = Semgrep
        .parse(&read(
            &root,
            "upstream/semgrep/defectdojo_high-medium-low-severities.json",
        ))
        .expect("parses");
    assert!(
        r.runs[0]
            .occurrences
            .iter()
            .all(|o| o.severity == Severity::Low)
    );
    let r = Semgrep
        .parse(&read(
            &root,
            "defectdojo/semgrep/multiple_cwes_fabricated.json",
        ))
        .expect("parses");
    assert_eq!(r.runs[0].occurrences[0].cwes, vec![327, 696]);
}

#[test]
fn never_claims_other_corpus_files() {
    let Some(root) = corpus_root() else { return };
    let others = corpus_files(&root, |s| {
        !(s.rel.starts_with("upstream/semgrep/") || s.rel.starts_with("defectdojo/semgrep/"))
    });
    let mut n = 0;
    for src in &others {
        let Ok(bytes) = std::fs::read(root.join(&src.rel)) else {
            continue;
        };
        assert_eq!(
            Semgrep.detect(&Sniff::new(&bytes)),
            Confidence::NO,
            "semgrep-json claims {}",
            src.rel
        );
        n += 1;
    }
    assert!(n > 100, "only {n} other corpus files read");
}
