use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::snyk::Snyk;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture_snapshot() {
    let report = Snyk
        .parse(&fixture("snyk-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 3);
    assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
    assert_eq!(report.diagnostics[0].locator, "/0");
    assert!(report.diagnostics[0].message.contains("legacy/"));
    assert_eq!(report.diagnostics[1].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[1].locator, "/1/vulnerabilities/1");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].category, Category::Sca);
    assert_eq!(occ[0].rule_id, "SNYK-JS-LODASH-567746");
    assert_eq!(
        occ[0].vulnerability_ids,
        vec![
            "CVE-2020-8203".to_string(),
            "GHSA-p6mc-m468-83gw".to_string(),
            "SNYK-JS-LODASH-567746".to_string()
        ]
    );
    assert_eq!(occ[0].cwes, vec![400]);
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("web/package-lock.json")
    );
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("npm"));
    assert_eq!(pkg.fixed_versions, vec!["4.17.19".to_string()]);
    assert_eq!(occ[1].locator, "/1/vulnerabilities/2");
    assert_eq!(occ[1].severity, Severity::Medium, "from cvssScore \"5.6\"");
    assert_eq!(occ[1].package.as_ref().unwrap().name, "minimist");
    assert_eq!(occ[2].category, Category::Iac);
    assert_eq!(occ[2].location.start_line, Some(12));
    assert_eq!(occ[2].location.path.as_deref(), Some("infra/main.tf"));
    assert!(occ[2].identity.context.is_some());
}

#[test]
fn container_with_applications() {
    let report = Snyk
        .parse(&fixture("snyk-json", "container.json"))
        .expect("parses");
    assert_eq!(report.occurrence_count(), 2);
    let occ = &report.runs[0].occurrences;
    assert!(occ.iter().all(|o| o.category == Category::Container));
    assert!(
        occ.iter()
            .all(|o| o.location.image.as_deref() == Some("example/app"))
    );
    assert_eq!(occ[0].title, "CVE-2023-0286 in openssl");
    assert_eq!(
        occ[0].package.as_ref().unwrap().ecosystem.as_deref(),
        Some("deb")
    );
    assert_eq!(occ[0].cvss.len(), 2);
    assert_eq!(occ[0].cvss[1].source, "nvd");
    assert_eq!(occ[1].locator, "/applications/0/vulnerabilities/0");
    assert_eq!(
        occ[1].location.path.as_deref(),
        Some("/srv/app/package.json")
    );
    assert_eq!(
        occ[1].package.as_ref().unwrap().ecosystem.as_deref(),
        Some("npm")
    );
}

#[test]
fn empty_error_and_broken() {
    let r = Snyk
        .parse(&fixture("snyk-json", "empty.json"))
        .expect("parses");
    assert_eq!(r.occurrence_count(), 0);
    let e = Snyk
        .parse(&fixture("snyk-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Snyk
        .parse(br#"{"ok": false, "error": "Missing node_modules folder", "path": "."}"#)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ToolError);
    let e = Snyk.parse(b"{\"foo\": 1}").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let r = Snyk.parse(b"[]").expect("empty list");
    assert_eq!(r.occurrence_count(), 0);
}

#[test]
fn corpus_snyk_json_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.rel.starts_with("upstream/snyk/") && s.format == "json")
            || (s.rel.starts_with("defectdojo/snyk/") && !s.rel.contains("snykcode_"))
    });
    assert_eq!(files.len(), 14);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = Snyk
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        let n = src.findings.expect("count");
        let apps = report.runs[0]
            .occurrences
            .iter()
            .filter(|o| o.locator.starts_with("/applications/"))
            .count();
        if src.rel == "upstream/snyk/defectdojo_snykcontainer_issue_epss.json" {
            // SOURCES counts only the top-level `vulnerabilities` (1); the image's application
            // (`applications[0]`, npm) adds 12 more, which Posture reads (see below).
            assert_eq!(
                (report.occurrence_count() - apps, apps),
                (n, 12),
                "{}",
                src.rel
            );
        } else {
            assert_eq!(report.occurrence_count(), n, "{}", src.rel);
        }
        match src.rel.as_str() {
            "upstream/snyk/iac_integrated-json-output.json" => {
                // the error object for invalid_file.txt
                assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
                assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
                assert!(
                    report.runs[0]
                        .occurrences
                        .iter()
                        .all(|o| o.category == Category::Iac)
                );
            }
            "defectdojo/snyk/snykcontainer_issue_9270.json" => {
                // DefectDojo reads only the 25 OS-package vulnerabilities and ignores the 12 of
                // `applications[0]` (npm packages inside the image); Posture reads both.
                assert!(report.diagnostics.is_empty(), "{}", src.rel);
                assert_eq!(src.dojo_expected.as_deref(), Some("25"));
                assert_eq!((n - apps, apps), (25, 12));
                assert!(
                    report.runs[0]
                        .occurrences
                        .iter()
                        .all(|o| o.category == Category::Container)
                );
            }
            _ => {
                assert!(
                    report.diagnostics.is_empty(),
                    "{}: {:?}",
                    src.rel,
                    report.diagnostics
                );
                if let Some(d) = &src.dojo_expected {
                    assert_eq!(d, &n.to_string(), "{}", src.rel);
                }
            }
        }
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "snyk-json", "{}", src.rel);
    }
}

#[test]
fn snyk_sarif_files_are_not_claimed() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| {
        (s.rel.starts_with("upstream/snyk/") && s.format == "sarif") || s.rel.contains("snykcode_")
    });
    assert_eq!(files.len(), 5);
    for src in &files {
        let bytes = read(&root, &src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "sarif", "{}", src.rel);
    }
}
