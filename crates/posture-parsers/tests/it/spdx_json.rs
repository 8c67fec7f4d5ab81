//! SPDX JSON SBOMs: own fixtures, the Trivy SPDX corpus file, snapshot.

use crate::common::*;
use posture_model::DiagnosticLevel;
use posture_parsers::formats::spdx_json::SpdxJson;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot() {
    let report = SpdxJson
        .parse(&fixture("spdx-json", "happy.json"))
        .expect("parses");
    assert_eq!(report.format, "spdx-json");
    assert_eq!(report.occurrence_count(), 0);
    assert_eq!(report.runs.len(), 1);
    assert_eq!(report.runs[0].tool.name, "syft");
    assert_eq!(report.runs[0].tool.version.as_deref(), Some("1.2.0"));
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "/packages/4");
    let names: Vec<&str> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["lodash", "musl", "vendored-thing"],
        "the described image is left out"
    );
    let lodash = &report.components[0];
    assert_eq!(lodash.purl.as_deref(), Some("pkg:npm/lodash@4.17.20"));
    assert_eq!(lodash.ecosystem.as_deref(), Some("npm"));
    assert_eq!(lodash.version.as_deref(), Some("4.17.20"));
    assert_eq!(lodash.locator, "/packages/1");
    assert_eq!(report.components[1].ecosystem.as_deref(), Some("apk"));
    assert_eq!(
        report.components[2].version, None,
        "NOASSERTION is no version"
    );
    assert_eq!(report.components[2].purl, None);
}

#[test]
fn empty_shapes() {
    let r = SpdxJson.parse(&fixture("spdx-json", "empty.json")).unwrap();
    assert!(r.components.is_empty());
    assert_eq!(r.runs[0].tool.name, "trivy");
    let r = SpdxJson
        .parse(br#"{"spdxVersion": "SPDX-2.2", "SPDXID": "SPDXRef-DOCUMENT"}"#)
        .unwrap();
    assert!(r.components.is_empty());
    assert_eq!(r.runs[0].tool.name, "spdx");
}

#[test]
fn broken_input_is_a_clean_error() {
    let e = SpdxJson
        .parse(&fixture("spdx-json", "broken.json"))
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    let e = SpdxJson
        .parse(br#"{"spdxVersion": "SPDX-3.0", "packages": []}"#)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnsupportedVersion);
    for shape in [
        &br#"{"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld", "@graph": []}"#[..],
        b"[]",
    ] {
        assert_eq!(
            SpdxJson.parse(shape).unwrap_err().kind,
            ParseErrorKind::Shape
        );
    }
}

#[test]
fn detection() {
    let d = |b: &[u8]| SpdxJson.detect(&Sniff::new(b));
    assert_eq!(d(&fixture("spdx-json", "happy.json")), Confidence::CERTAIN);
    assert_eq!(d(br#"{"bomFormat": "CycloneDX"}"#), Confidence::NO);
}

#[test]
fn corpus_trivy_spdx() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.rel.contains("spdx"));
    assert_eq!(files.len(), 1, "expected conda-spdx.json.golden");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = SpdxJson
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        // the row has no count (an SBOM reports no findings): zero occurrences, and the two
        // conda packages; the filesystem root the document DESCRIBES is not a component
        assert_eq!(src.findings, None);
        assert_eq!(report.occurrence_count(), 0);
        let comps: Vec<(&str, Option<&str>, Option<&str>)> = report
            .components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.version.as_deref(),
                    c.ecosystem.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            comps,
            [
                ("openssl", Some("1.1.1q"), Some("conda")),
                ("pip", Some("22.2.2"), Some("conda"))
            ]
        );
        assert_eq!(report.runs[0].tool.name, "trivy");
        assert_eq!(
            report.runs[0].tool.version, None,
            "the dev placeholder is dropped"
        );
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "spdx-json", "{}", src.rel);
    }
}
