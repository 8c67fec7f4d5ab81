//! Grype JSON: own fixtures, every Grype file of the shared corpus, snapshots.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::grype::json::Grype;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};
use std::collections::BTreeSet;

#[test]
fn happy_fixture_snapshot() {
    let bytes = fixture("grype", "happy.json");
    let report = Grype.parse(&bytes).expect("parses");
    assert_eq!(report.format, "grype-json");
    assert_eq!(report.runs[0].tool.name, "grype");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("0.96.1"));
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(
        report.diagnostics.len(),
        1,
        "the match without an id is skipped"
    );
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/matches/2");

    let occ = &report.runs[0].occurrences;
    let ghsa = &occ[0];
    assert_eq!(ghsa.category, Category::Container);
    assert_eq!(ghsa.locator, "/matches/0");
    assert_eq!(ghsa.rule_id, "GHSA-xxxx-yyyy-zzzz");
    assert_eq!(
        ghsa.vulnerability_ids,
        ["CVE-2026-3000", "GHSA-xxxx-yyyy-zzzz"],
        "the CVE alias leads when the primary is a GHSA"
    );
    assert_eq!(ghsa.severity, Severity::High);
    assert_eq!(ghsa.cvss.len(), 2, "github and nvd ratings are both kept");
    let pkg = ghsa.package.as_ref().expect("package");
    assert_eq!(pkg.ecosystem.as_deref(), Some("pypi"));
    assert_eq!(pkg.fixed_versions, ["2.0.1"]);
    assert_eq!(
        ghsa.location.path.as_deref(),
        Some("/usr/lib/python3/site-packages/uploadlib-2.0.0.dist-info/METADATA")
    );
    assert_eq!(ghsa.location.layer.as_deref(), Some("sha256:layer1"));
    assert_eq!(
        ghsa.location.image.as_deref(),
        Some("registry.example.com/shop/api:1.4.2")
    );

    let deb = &occ[1];
    assert_eq!(deb.severity, Severity::Info, "Negligible is info");
    assert_eq!(deb.tool_severity.as_deref(), Some("Negligible"));
    assert_eq!(deb.vulnerability_ids, ["CVE-2026-3001"]);
    let desc = deb.description.as_deref().unwrap_or("");
    assert!(desc.starts_with("A minor issue in libfoo."), "{desc}");
    assert!(desc.contains("wont-fix"), "{desc}");
    assert_eq!(deb.cvss[0].source, "nvd:cpe");
}

#[test]
fn old_schema_fixture() {
    let report = Grype.parse(&fixture("grype", "old.json")).expect("parses");
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.runs[0].tool.version, None);
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 2);
    // grype 0.2: a top-level `image` means an image scan
    assert!(occ.iter().all(|o| o.category == Category::Container));
    assert_eq!(occ[0].cvss.len(), 2);
    assert_eq!(
        occ[0].references,
        ["https://security-tracker.debian.org/tracker/CVE-2019-0001"]
    );
    // no severity word: the highest CVSS band
    assert_eq!(occ[1].severity, Severity::Critical);
    assert_eq!(occ[1].tool_severity, None);
    let pkg = occ[1].package.as_ref().expect("package");
    assert_eq!(pkg.fixed_versions, ["1.2.0"]);
    assert_eq!(pkg.ecosystem.as_deref(), Some("maven"));
}

#[test]
fn directory_scan_is_sca() {
    let report = Grype.parse(&fixture("grype", "dir.json")).expect("parses");
    let occ = &report.runs[0].occurrences;
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].category, Category::Sca);
    assert_eq!(occ[0].location.image, None);
    assert_eq!(
        occ[0].location.path.as_deref(),
        Some("/web/package-lock.json")
    );
    assert_eq!(occ[0].severity, Severity::Critical);
    assert_eq!(
        occ[0].package.as_ref().and_then(|p| p.ecosystem.as_deref()),
        Some("npm")
    );
}

#[test]
fn empty_shapes_are_zero_findings() {
    let empty = fixture("grype", "empty.json");
    for input in [
        &empty[..],
        br#"{"matches": null, "descriptor": {"name": "grype"}}"#,
        b"\xEF\xBB\xBF{\"matches\": []}\n",
    ] {
        let r = Grype.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = Grype.parse(&fixture("grype", "broken.json")).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = Grype.parse(b"").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Empty);
    for shape in [
        &br#"{"not": "grype"}"#[..],
        b"[]",
        b"null",
        br#"{"matches": {"a": 1}}"#,
    ] {
        let e = Grype.parse(shape).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Shape, "{e}");
    }
    // JSONL (grype -o jsonl) is another format: the reader stops at the second line
    let jsonl = b"{\"vulnerability\":{\"id\":\"CVE-1\"},\"artifact\":{}}\n{\"vulnerability\":{\"id\":\"CVE-2\"},\"artifact\":{}}\n";
    assert!(Grype.parse(jsonl).is_err());
}

#[test]
fn detection() {
    let d = |b: &[u8]| Grype.detect(&Sniff::new(b));
    for f in ["happy.json", "old.json", "dir.json", "empty.json"] {
        assert_eq!(d(&fixture("grype", f)), Confidence::CERTAIN, "{f}");
    }
    assert_eq!(
        d(b"{\"vulnerability\":{\"id\":\"CVE-1\"},\"artifact\":{},\"matchDetails\":[]}\n"),
        Confidence::NO,
        "JSONL"
    );
    assert_eq!(d(br#"{"runs": [], "matches": []}"#), Confidence::NO);
    assert_eq!(
        posture_parsers::detect(&fixture("grype", "happy.json"))
            .map(|p| p.id())
            .ok(),
        Some("grype-json")
    );
}

/// Corpus files in the Grype folders that are other formats.
const NOT_GRYPE_JSON: &[(&str, &str)] = &[
    ("TestCycloneDxPresenterImage.golden", "CycloneDX JSON"),
    (
        "cyclonedxvex_TestCycloneDxPresenterImage_xml.golden",
        "CycloneDX XML",
    ),
    ("TestSarifPresenter_image.golden", "SARIF"),
    ("defectdojo_cxf-3.4.6.sarif", "SARIF"),
    (
        "jsonl_TestJSONLImgsPresenter.golden",
        "grype JSONL (one match per line)",
    ),
];

#[test]
fn corpus_grype_files() {
    let Some(root) = corpus_root() else { return };
    let rows = corpus_files(&root, |s| {
        s.rel.starts_with("upstream/grype/") || s.rel.starts_with("defectdojo/anchore_grype/")
    });
    let mut files: Vec<String> = Vec::new();
    for dir in ["upstream/grype", "defectdojo/anchore_grype"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("corpus folder") {
            let name = entry.expect("entry").file_name();
            files.push(format!("{dir}/{}", name.to_string_lossy()));
        }
    }
    files.sort();
    assert!(
        files.len() >= 25,
        "expected the grype corpus, found {}",
        files.len()
    );

    let mut counted = 0;
    let mut parsed = 0;
    for rel in &files {
        let bytes = read(&root, rel);
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let head = Grype.detect(&Sniff::new(&bytes));
        if let Some((_, why)) = NOT_GRYPE_JSON.iter().find(|(n, _)| *n == name) {
            assert_eq!(
                head,
                Confidence::NO,
                "{rel} ({why}) must not be detected as Grype"
            );
            if let Ok(p) = posture_parsers::detect(&bytes) {
                assert_ne!(p.id(), "grype-json", "{rel}");
            }
            assert!(
                Grype.parse(&bytes).is_err(),
                "{rel} ({why}) must be refused"
            );
            continue;
        }
        let report = Grype.parse(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        parsed += 1;
        assert!(
            report.diagnostics.is_empty(),
            "{rel}: {:?}",
            report.diagnostics
        );
        assert_eq!(head, Confidence::CERTAIN, "{rel}");
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(p.id(), "grype-json", "{rel}");
        for o in &report.runs[0].occurrences {
            assert!(!o.vulnerability_ids.is_empty(), "{rel}: {}", o.locator);
            assert!(o.package.is_some(), "{rel}: {}", o.locator);
            assert!(o.locator.starts_with("/matches/"), "{rel}: {}", o.locator);
        }
        let row = rows.iter().find(|s| s.rel == *rel);
        if let Some(n) = row.and_then(|s| s.findings) {
            // Posture's count is the raw `matches[]` count (one occurrence per match).
            assert_eq!(report.occurrence_count(), n, "{rel}");
            counted += 1;
        }
        // DefectDojo asserts fewer findings where it merges matches; Posture emits every raw
        // match and the engine collapses them by identity (vulnerability ids + package). The
        // number of distinct (ids, package, version) keys equals DefectDojo's default count.
        if let Some(dojo) = row.and_then(|s| s.dojo_expected.as_deref()) {
            let default_mode: usize = dojo
                .split('|')
                .next()
                .and_then(|d| d.trim().parse().ok())
                .expect("a count");
            let keys: BTreeSet<_> = report.runs[0]
                .occurrences
                .iter()
                .map(|o| {
                    let p = o.package.as_ref().expect("package");
                    (
                        o.vulnerability_ids.clone(),
                        p.name.clone(),
                        p.version.clone(),
                    )
                })
                .collect();
            assert_eq!(keys.len(), default_mode, "{rel}: DefectDojo {dojo}");
        }
    }
    assert!(parsed >= 20, "parsed {parsed}");
    eprintln!(
        "grype corpus: {} files, {parsed} parsed as grype-json, {counted} counts checked",
        files.len()
    );
}

#[test]
fn corpus_grype_details_and_digests() {
    let Some(root) = corpus_root() else { return };
    let parse = |rel: &str| {
        Grype
            .parse(&read(&root, rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    // same CVE, same package, two paths: two raw matches, two occurrences, one identity
    let same = parse("defectdojo/anchore_grype/same_cve_different_paths.json");
    let occ = &same.runs[0].occurrences;
    assert_eq!(occ.len(), 2);
    assert_eq!(occ[0].vulnerability_ids, occ[1].vulnerability_ids);
    assert_eq!(occ[0].package, occ[1].package);
    assert_ne!(occ[0].location.path, occ[1].location.path);
    // GHSA primary with CVE related: the CVE leads
    let ids = parse("defectdojo/anchore_grype/check_all_fields_different_ids_fabricated.json");
    assert_eq!(
        ids.runs[0].occurrences[0].vulnerability_ids,
        ["CVE-2021-1234", "CVE-2021-5678", "GHSA-v6rh-hp5x-86rv"]
    );
    // 0.7: CPE objects, cvssV2 objects, matchDetails objects; Negligible → info
    let old = parse("defectdojo/anchore_grype/many_vulns3.json");
    assert_eq!(old.runs[0].tool.version.as_deref(), Some("0.7.0"));
    assert_eq!(old.runs[0].occurrences[0].severity, Severity::Info);
    assert!(!old.runs[0].occurrences[0].cvss.is_empty());
    // the upstream presenter golden's placeholder version is dropped
    let golden = parse("upstream/grype/TestJsonImgsPresenter.golden");
    assert_eq!(golden.runs[0].tool.version, None);

    for (name, rel) in [
        (
            "grype_corpus_check_all_fields",
            "defectdojo/anchore_grype/check_all_fields.json",
        ),
        (
            "grype_corpus_v0_2",
            "upstream/grype/v0.2-2020_TestJsonImgsPresenter.golden",
        ),
        (
            "grype_corpus_epss",
            "defectdojo/anchore_grype/many_vulns_with_epss_values.json",
        ),
    ] {
        let report = parse(rel);
        let digest = digest(&report, 2);
        snapshot_settings().bind(|| insta::assert_json_snapshot!(name, digest));
    }
}

#[test]
fn truncated_inputs_never_panic() {
    for name in ["happy.json", "old.json", "dir.json"] {
        let bytes = fixture("grype", name);
        for cut in (0..bytes.len()).step_by(7) {
            let _ = Grype.parse(&bytes[..cut]);
            let _ = Grype.detect(&Sniff::new(&bytes[..cut]));
        }
    }
}

#[test]
fn corpus_epss_scores_are_carried() {
    let Some(root) = corpus_root() else { return };
    let rel = "upstream/grype/defectdojo_many_vulns_with_epss_values.json";
    let report = Grype
        .parse(&read(&root, rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let occ = &report.runs[0].occurrences;
    assert!(!occ.is_empty());
    for o in occ {
        let e = o
            .epss
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no EPSS", o.locator));
        assert!((0.0..=1.0).contains(&e.probability), "{e:?}");
        if let Some(p) = e.percentile {
            assert!((0.0..=1.0).contains(&p), "{e:?}");
        }
        assert_eq!(e.source, "grype 0.94.0");
    }
    let first = occ[0].epss.as_ref().expect("epss");
    assert_eq!(occ[0].rule_id, "CVE-2022-28391");
    assert_eq!(first.probability, 0.0719);
    assert_eq!(first.percentile, Some(0.91123));
    assert_eq!(first.date.as_deref(), Some("2025-06-18"));
}

#[test]
fn epss_of_the_cve_alias_and_none_without_scores() {
    let report = Grype
        .parse(&fixture("grype", "happy.json"))
        .expect("parses");
    let occ = &report.runs[0].occurrences;
    // the primary id is a GHSA; the entry is the one of its CVE alias
    let e = occ[0].epss.as_ref().expect("epss of the CVE alias");
    assert_eq!(e.probability, 0.01);
    assert_eq!(e.source, "grype 0.96.1");
    assert!(occ[1].epss.is_none(), "no epss list, no score");
}
