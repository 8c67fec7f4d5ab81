//! The DAST, SBOM and VEX parsers never claim another format's corpus file, and the
//! CycloneDX files written by Trivy and Grype are claimed by no parser but CycloneDX's.

use crate::common::*;
use posture_parsers::formats::{
    burp::api::BurpApi, burp::xml::BurpXml, cyclonedx::json::CycloneDxJson,
    cyclonedx::xml::CycloneDxXml, grype::json::Grype, nuclei::Nuclei, openvex::OpenVex,
    trivy::json::Trivy, zap::json::ZapJson, zap::xml::ZapXml,
};
use posture_parsers::{Confidence, Parser, Sniff};
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn owner(rel: &str) -> Option<&'static str> {
    let in_dir = |d: &str| rel.starts_with(d);
    if in_dir("upstream/zap/") && rel.ends_with(".json") {
        Some("zap-json")
    } else if in_dir("upstream/zap/") || in_dir("defectdojo/zap/") {
        Some("zap-xml")
    } else if in_dir("upstream/nuclei/") || in_dir("defectdojo/nuclei/") {
        Some("nuclei-json")
    } else if in_dir("defectdojo/burp/") {
        Some("burp-xml")
    } else if in_dir("defectdojo/burp_api/") {
        Some("burp-api-json")
    } else if crate::cyclonedx_json::is_cyclonedx_json(rel) || rel.ends_with(".cdx.json") {
        Some("cyclonedx-json")
    } else if crate::cyclonedx_xml::is_cyclonedx_xml(rel) {
        Some("cyclonedx-xml")
    } else if in_dir("upstream/openvex/") || rel.ends_with(".openvex.json") {
        Some("openvex-json")
    } else {
        None
    }
}

#[test]
fn never_claims_other_corpus_files() {
    let Some(root) = corpus_root() else { return };
    let mut files = Vec::new();
    walk(&root, &mut files);
    let parsers: [&dyn Parser; 8] = [
        &ZapXml,
        &ZapJson,
        &Nuclei,
        &BurpXml,
        &BurpApi,
        &CycloneDxJson,
        &CycloneDxXml,
        &OpenVex,
    ];
    let mut others = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let sniff = Sniff::new(&bytes);
        let own = owner(&rel);
        if own.is_none() {
            others += 1;
        }
        for p in parsers {
            if own == Some(p.id()) {
                continue;
            }
            assert!(
                p.detect(&sniff) < Confidence::MATCH,
                "{} claims {rel} (owned by {})",
                p.id(),
                own.unwrap_or("another format")
            );
        }
    }
    assert!(others > 300, "only {others} other corpus files read");
}

#[test]
fn trivy_and_grype_do_not_claim_cyclonedx() {
    let Some(root) = corpus_root() else { return };
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut n = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .expect("root")
            .to_string_lossy()
            .to_string();
        if !matches!(owner(&rel), Some("cyclonedx-json" | "cyclonedx-xml")) {
            continue;
        }
        let bytes = std::fs::read(path).expect("read");
        let sniff = Sniff::new(&bytes);
        assert_eq!(
            Trivy.detect(&sniff),
            Confidence::NO,
            "trivy-json claims {rel}"
        );
        assert_eq!(
            Grype.detect(&sniff),
            Confidence::NO,
            "grype-json claims {rel}"
        );
        n += 1;
    }
    assert!(n >= 39, "{n} CycloneDX files");
}
