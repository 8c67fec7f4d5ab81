//! Peak memory of a parse: the largest corpus report of a few formats must parse with a peak
//! allocation below 10x its size (the ingest cap admits reports of up to 1 GiB: a parser that
//! copies the document into a tree of small strings several times over would not fit).
//!
//! Its own test binary, because it installs a counting global allocator (peak_alloc) and
//! measures one parse at a time: the other parser tests keep the system allocator, and the
//! single test below runs the parses one after another.

#[path = "it/common.rs"]
mod common;

use peak_alloc::PeakAlloc;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The largest corpus report of each format measured, and the parser that must read it.
const REPORTS: &[(&str, &str)] = &[
    ("defectdojo/anchore_grype/many_vulns.json", "grype-json"),
    ("defectdojo/burp/issue4399.xml", "burp-xml"),
    ("multiscan/terragoat/checkov.json", "checkov-json"),
    (
        "defectdojo/dependency_check/PR6439.xml",
        "dependency-check-xml",
    ),
    (
        "defectdojo/snyk/single_project_upgrade_libs.json",
        "snyk-json",
    ),
    (
        "defectdojo/sarif/semgrepowasp-benchmark-sample.sarif",
        "sarif",
    ),
    (
        "defectdojo/trivy_operator/cis_benchmark.json",
        "trivy-operator-json",
    ),
    ("defectdojo/cyclonedx/dd_1_15_0.xml", "cyclonedx-xml"),
    (
        "defectdojo/osv_scanner/many_findings.json",
        "osv-scanner-json",
    ),
];

const FACTOR: usize = 10;

#[test]
fn peak_allocation_stays_below_ten_times_the_input() {
    let Some(root) = common::corpus_root() else {
        return;
    };
    let mut lines = Vec::new();
    let mut over = Vec::new();
    for (rel, id) in REPORTS {
        let bytes = common::read(&root, rel);
        let parser = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(parser.id(), *id, "{rel}");
        let base = ALLOC.current_usage();
        ALLOC.reset_peak_usage();
        let report = parser.parse(&bytes);
        let peak = ALLOC.peak_usage().saturating_sub(base);
        let report = report.unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(report.occurrence_count() > 0, "{rel}");
        drop(report);
        let ratio = peak as f64 / bytes.len() as f64;
        lines.push(format!(
            "{rel} ({id}): {} bytes, peak {peak} bytes, {ratio:.2}x",
            bytes.len()
        ));
        if peak >= FACTOR * bytes.len() {
            over.push(lines.last().cloned().unwrap_or_default());
        }
    }
    eprintln!("{}", lines.join("\n"));
    assert!(
        over.is_empty(),
        "peak allocation over {FACTOR}x the input:\n{}",
        over.join("\n")
    );
}
