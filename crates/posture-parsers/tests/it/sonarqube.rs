use crate::bandit::{empty_and_broken, parse_corpus};
use crate::common::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::sonarqube::SonarQube;
use posture_parsers::{ParseErrorKind, Parser};

#[test]
fn happy_fixture() {
    let report = SonarQube
        .parse(&fixture("sonarqube-json", "happy.json"))
        .expect("parses");
    assert_eq!(
        report.occurrence_count(),
        3,
        "2 issues (1 closed left out) + 1 hotspot"
    );
    let d: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert!(
        d.contains(&(DiagnosticLevel::Skipped, "/issues/3")),
        "{d:?}"
    );
    assert!(
        d.contains(&(DiagnosticLevel::Warning, "")),
        "closed issue counted: {d:?}"
    );
    let o = &report.runs[0].occurrences;
    assert_eq!(o[0].severity, Severity::Critical, "BLOCKER");
    assert_eq!(o[0].cwes, vec![89]);
    assert_eq!(
        o[0].location.path.as_deref(),
        Some("src/main/java/com/acme/UserDao.java")
    );
    assert_eq!(o[0].location.start_line, Some(34));
    assert_eq!(o[0].location.end_line, Some(35));
    assert_eq!(
        o[0].identity.tool_fingerprint.as_deref(),
        Some("AYvNd32RyD1npIoQXyT1")
    );
    assert_eq!(
        o[1].severity,
        Severity::Medium,
        "no severity: highest impact"
    );
    assert!(o[1].suppressed, "WONTFIX");
    assert_eq!(
        o[1].location.path.as_deref(),
        Some("src/main/java/com/acme/Report.java")
    );
    assert_eq!(o[2].locator, "/hotspots/0");
    assert_eq!(o[2].rule_id, "java:S2068");
    assert_eq!(o[2].severity, Severity::High);
    assert!(o[2].suppressed, "reviewed SAFE");
}

#[test]
fn hotspots_search() {
    let report = SonarQube
        .parse(&fixture("sonarqube-json", "hotspots.json"))
        .expect("parses");
    assert_eq!(
        posture_parsers::detect(&fixture("sonarqube-json", "hotspots.json")).map(|p| p.id()),
        Ok("sonarqube-json")
    );
    let o = &report.runs[0].occurrences;
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].severity, Severity::High);
    assert_eq!(o[0].location.path.as_deref(), Some("app/settings.py"));
    assert_eq!(o[1].severity, Severity::Low);
    assert!(!o[1].suppressed, "ACKNOWLEDGED is still an issue");
}

#[test]
fn empty_and_broken_shapes() {
    empty_and_broken(&SonarQube, "sonarqube-json", "json");
    assert_eq!(
        SonarQube.parse(b"{\"paging\": {}}").unwrap_err().kind,
        ParseErrorKind::Shape
    );
}

/// The HTML report and zip archives are refused with a clear Shape error (see the module
/// documentation); the JSON files are read, with DefectDojo's counts.
#[test]
fn corpus_sonarqube_files() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.starts_with("defectdojo/sonarqube/"));
    assert_eq!(files.len(), 13, "{files:?}");
    let mut refused = Vec::new();
    for src in &files {
        if src.rel.ends_with(".html") || src.rel.ends_with(".zip") {
            let e = SonarQube.parse(&read(&root, &src.rel)).unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::Shape, "{}", src.rel);
            let what = if src.rel.ends_with(".zip") {
                "zip"
            } else {
                "HTML"
            };
            assert!(e.message.contains(what), "{}: {e}", src.rel);
            refused.push(src.rel.as_str());
            continue;
        }
        let report = parse_corpus(&SonarQube, &root, &src.rel, true);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            src.rel,
            report.diagnostics
        );
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        if let Some(d) = &src.dojo_expected {
            assert_eq!(
                Some(d.clone()),
                src.findings.map(|n| n.to_string()),
                "{}",
                src.rel
            );
        }
    }
    assert_eq!(refused.len(), 6, "{refused:?}");
    // several CWEs named in one message
    let r = parse_corpus(
        &SonarQube,
        &root,
        "defectdojo/sonarqube/findings_over_api_multi_cwe_fabricated.json",
        true,
    );
    assert_eq!(r.runs[0].occurrences[0].cwes, vec![79, 120, 937]);
    assert_eq!(
        r.runs[0].occurrences[0].vulnerability_ids,
        vec!["CVE-2024-2529"]
    );
}
