//! pip-audit JSON: own fixtures, every pip-audit file of the corpus, snapshot.

use crate::common::*;
use crate::sca_support::*;
use posture_model::{DiagnosticLevel, Severity};
use posture_parsers::formats::pip_audit::PipAudit;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

const ID: &str = "pip-audit-json";

#[test]
fn happy_fixture_snapshot() {
    let report = PipAudit.parse(&fixture(ID, "happy.json")).expect("parses");
    assert_eq!(report.format, ID);
    assert_eq!(report.occurrence_count(), 2);
    let levels: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.level, d.locator.as_str()))
        .collect();
    assert_eq!(
        levels,
        [
            (DiagnosticLevel::Skipped, "/dependencies/1/vulns/1"),
            (DiagnosticLevel::Warning, "/dependencies/2"),
        ]
    );
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ[0].locator, "/dependencies/0/vulns/0");
    assert_eq!(
        occ[0].vulnerability_ids,
        ["GHSA-68rp-wp8r-4726", "CVE-2026-27205", "PYSEC-2026-1"]
    );
    assert_eq!(occ[0].severity, Severity::Medium, "pip-audit rates nothing");
    assert_eq!(occ[0].tool_severity, None);
    let pkg = occ[0].package.as_ref().expect("package");
    assert_eq!(
        (pkg.name.as_str(), pkg.version.as_deref()),
        ("flask", Some("3.0.0"))
    );
    assert_eq!(pkg.ecosystem.as_deref(), Some("pypi"));
    assert_eq!(pkg.fixed_versions, ["3.1.3"]);
}

#[test]
fn old_list_shape() {
    let report = PipAudit.parse(&fixture(ID, "old.json")).expect("parses");
    assert_eq!(report.occurrence_count(), 1);
    assert_eq!(report.runs[0].occurrences[0].locator, "/0/vulns/0");
    assert_eq!(report.diagnostics[0].locator, "/1");
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Warning);
}

#[test]
fn empty_and_broken() {
    for input in [
        &fixture(ID, "empty.json")[..],
        b"[ ]",
        b"{\"dependencies\": null}",
    ] {
        let r = PipAudit.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
    }
    assert_eq!(
        PipAudit
            .parse(&fixture(ID, "broken.json"))
            .unwrap_err()
            .kind,
        ParseErrorKind::Truncated
    );
    for shape in [&br#"{"foo": []}"#[..], b"3", b"null"] {
        assert_eq!(
            PipAudit.parse(shape).unwrap_err().kind,
            ParseErrorKind::Shape,
            "{shape:?}"
        );
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| PipAudit.detect(&Sniff::new(b));
    assert_eq!(d(&fixture(ID, "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "old.json")), Confidence::CERTAIN);
    assert_eq!(d(&fixture(ID, "empty.json")), Confidence::MATCH);
    assert_eq!(d(b"[ ]"), Confidence::NO);
    assert_eq!(
        d(br#"{"bomFormat": "CycloneDX", "dependencies": []}"#),
        Confidence::NO
    );
}

#[test]
fn corpus_files() {
    check_corpus(
        &PipAudit,
        &["upstream/pip-audit/", "defectdojo/pip_audit/", "multiscan/"],
        &[
            count("upstream/pip-audit/defectdojo_many_vulns.json", 7, ""),
            undetectable(
                "upstream/pip-audit/defectdojo_empty.json",
                0,
                "`[ ]` is every tool's empty list",
            ),
            count("upstream/pip-audit/defectdojo_zero_vulns.json", 0, ""),
            count("upstream/pip-audit/defectdojo_many_vulns_new.json", 7, ""),
            count(
                "upstream/pip-audit/secureflask_pip-audit-report.json",
                12,
                "",
            ),
            count("upstream/pip-audit/gdown_pip-audit-report.json", 0, ""),
            undetectable(
                "defectdojo/pip_audit/empty.json",
                0,
                "`[ ]` is every tool's empty list",
            ),
            count("defectdojo/pip_audit/empty_new.json", 0, ""),
            count("defectdojo/pip_audit/many_vulns_new.json", 7, ""),
            count("defectdojo/pip_audit/zero_vulns.json", 0, ""),
            count("defectdojo/pip_audit/zero_vulns_new.json", 0, ""),
            count("multiscan/terragoat/pip-audit.json", 37, ""),
            count("multiscan/terragoat/pip-audit.1.json", 37, ""),
            count("multiscan/vulnerable-flask-app/pip-audit.json", 35, ""),
            other("multiscan/terragoat/pip-audit.cdx.json", "", "CycloneDX"),
            other("multiscan/terragoat/pip-audit.1.cdx.json", "", "CycloneDX"),
            other(
                "multiscan/vulnerable-flask-app/pip-audit.cdx.json",
                "",
                "CycloneDX",
            ),
        ]
        .into_iter()
        .chain(multiscan_others())
        .collect::<Vec<_>>(),
    );
}

/// The other tools' files of the multiscan folders (listed so that every file there has an
/// expectation; they are checked by their own parsers' tests).
fn multiscan_others() -> Vec<Case> {
    let Some(root) = corpus_root() else {
        return Vec::new();
    };
    all_corpus_files(&root)
        .into_iter()
        .filter(|f| f.starts_with("multiscan/") && !f.contains("/pip-audit"))
        .map(|f| other(Box::leak(f.into_boxed_str()), "", "another tool"))
        .collect()
}

#[test]
fn truncated_inputs_never_panic() {
    truncations_never_panic(&PipAudit, &fixture(ID, "happy.json"));
    truncations_never_panic(&PipAudit, &fixture(ID, "old.json"));
}
