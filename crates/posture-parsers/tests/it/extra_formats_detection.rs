//! The detectors of gitleaks-csv, grype-jsonl, asff-json, gitlab-security-json,
//! trivy-k8s-json and spdx-json claim no corpus file of another format.

use crate::common::*;
use posture_parsers::formats::{
    asff::Asff, gitlab_security::GitlabSecurity, gitleaks::csv::GitleaksCsv,
    grype::jsonl::GrypeJsonl, spdx_json::SpdxJson, trivy::k8s::TrivyK8s,
};
use posture_parsers::{Confidence, Parser, Sniff};
use std::path::Path;

/// Which of these parsers owns a corpus file, if any.
fn owner(rel: &str, bytes: &[u8]) -> Option<&'static str> {
    if rel.ends_with("v8_csv_simple.csv") {
        Some("gitleaks-csv")
    } else if rel.contains("grype/jsonl_") {
        Some("grype-jsonl")
    } else if rel.ends_with(".asff.golden") {
        Some("asff-json")
    } else if rel.contains("gitlab-sast") {
        Some("gitlab-security-json")
    } else if rel.contains("spdx") {
        Some("spdx-json")
    } else if rel.contains("trivy/") && Sniff::new(bytes).has_key("ClusterName") {
        Some("trivy-k8s-json")
    } else {
        None
    }
}

fn all_files(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = corpus_files(root, |_| true)
        .into_iter()
        .map(|s| s.rel)
        .collect();
    if let Ok(dirs) = std::fs::read_dir(root.join("multiscan")) {
        for d in dirs.flatten() {
            if let Ok(files) = std::fs::read_dir(d.path()) {
                for f in files.flatten() {
                    let name = f.file_name().to_string_lossy().to_string();
                    if !name.ends_with(".md") && !name.ends_with(".tsv") {
                        v.push(format!(
                            "multiscan/{}/{name}",
                            d.file_name().to_string_lossy()
                        ));
                    }
                }
            }
        }
    }
    v
}

#[test]
fn never_claims_other_corpus_files() {
    let Some(root) = corpus_root() else { return };
    let parsers: [&dyn Parser; 6] = [
        &GitleaksCsv,
        &GrypeJsonl,
        &Asff,
        &GitlabSecurity,
        &TrivyK8s,
        &SpdxJson,
    ];
    let mut n = 0;
    let mut mine = 0;
    for rel in all_files(&root) {
        let Ok(bytes) = std::fs::read(root.join(&rel)) else {
            continue;
        };
        let own = owner(&rel, &bytes);
        if own.is_some() {
            mine += 1;
        }
        let sniff = Sniff::new(&bytes);
        for p in parsers {
            if own == Some(p.id()) {
                continue;
            }
            assert!(
                p.detect(&sniff) < Confidence::MATCH,
                "{} claims {rel}",
                p.id()
            );
        }
        n += 1;
    }
    assert!(n > 200, "only {n} corpus files read");
    assert_eq!(mine, 10, "the files of these formats");
}
