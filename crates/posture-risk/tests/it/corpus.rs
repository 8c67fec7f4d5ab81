//! Every CVSS vector, KEV catalog and EPSS file of `../shared/corpus/upstream/`, through this
//! crate. Skips with a visible NOTICE when the corpus is absent.

use posture_model::Severity;
use posture_risk::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn corpus_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: corpus not found at {} (set POSTURE_CORPUS); corpus tests SKIPPED",
            dir.display()
        );
        None
    }
}

/// SOURCES.tsv rows of a tool: (path under upstream/, item count).
fn sources(root: &Path, tool: &str) -> Vec<(String, usize)> {
    let tsv = std::fs::read_to_string(root.join("upstream/SOURCES.tsv")).unwrap();
    tsv.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.first() == Some(&tool)).then(|| {
                (
                    cols[2].to_string(),
                    cols[8].parse().unwrap_or_else(|_| panic!("count in {l}")),
                )
            })
        })
        .collect()
}

/// `VECTOR - (base, temporal, env)`, `VECTOR - (score,)` or `VECTOR - score`.
fn split_line(line: &str) -> (&str, f64) {
    let (vector, rest) = line.split_once(" - ").expect("a ` - ` separator");
    let first = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .next()
        .unwrap()
        .trim();
    (vector.trim(), first.parse().expect("a base score"))
}

#[test]
fn every_cvss_vector_scores_as_the_reference_says() {
    let Some(root) = corpus_root() else { return };
    let rows = sources(&root, "cvss");
    assert_eq!(rows.len(), 7, "the corpus lists 7 CVSS vector files");
    let mut per_version: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut mismatches = Vec::new();
    for (rel, expected_lines) in &rows {
        let text = std::fs::read_to_string(root.join("upstream").join(rel)).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), *expected_lines, "{rel}: lines vs SOURCES.tsv");
        for line in lines {
            let (vector, base) = split_line(line);
            match score_vector(vector) {
                Ok(s) => {
                    *per_version.entry(s.version.to_string()).or_default() += 1;
                    if (s.base_score - base).abs() > 1e-4 {
                        mismatches.push(format!("{rel}: {vector}: {} != {base}", s.base_score));
                    }
                    // The qualitative rating follows the score: CVSS v3/v4 bands, and for v2
                    // NVD's bands (low 0.0-3.9, medium 4.0-6.9, high 7.0-10.0).
                    let expected_sev = if s.version == CvssVersion::V2 {
                        if base < 4.0 {
                            Severity::Low
                        } else if base < 7.0 {
                            Severity::Medium
                        } else {
                            Severity::High
                        }
                    } else {
                        Severity::from_cvss_score(base).unwrap()
                    };
                    assert_eq!(s.severity, expected_sev, "{vector}");
                }
                Err(e) => rejected.push(format!("{rel}: {vector}: {e}")),
            }
        }
    }
    println!("CVSS vectors checked per version: {per_version:?}");
    println!("rejected: {rejected:#?}");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // The cvss crate accepts every vector of the suite (including line 1 of
    // vectors_calculator3, whose metrics are out of the specification's order).
    assert_eq!(rejected.len(), 0, "{rejected:#?}");
    let expected: BTreeMap<String, usize> = [
        ("2.0", 729),
        ("3.0", 2 + 29),
        ("3.1", 2592),
        ("4.0", 1058 + 6 + 576),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(per_version, expected);
}

#[test]
fn both_kev_catalogs_read_whole() {
    let Some(root) = corpus_root() else { return };
    let rows = sources(&root, "cisa-kev");
    assert_eq!(rows.len(), 2);
    let mut seen = BTreeMap::new();
    for (rel, count) in &rows {
        let bytes = std::fs::read(root.join("upstream").join(rel)).unwrap();
        assert_eq!(detect_feed(&bytes), Some(FeedKind::KevJson), "{rel}");
        let c = parse_kev_json(&bytes).unwrap();
        assert_eq!(c.entries.len(), *count, "{rel}");
        assert_eq!(c.stated_count, Some(*count), "{rel}");
        // Every id is a normalized CVE id, and none is listed twice.
        let mut ids: Vec<&str> = c.entries.iter().map(|e| e.cve_id.as_str()).collect();
        assert!(ids.iter().all(|i| i.starts_with("CVE-")), "{rel}");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), *count, "{rel}: duplicate ids");
        seen.insert(c.catalog_version.clone().unwrap(), c);
    }
    let new = &seen["2025.08.25"];
    let old = &seen["2022.09.23"];
    assert_eq!((new.entries.len(), old.entries.len()), (1404, 834));
    assert_eq!(
        new.date_released.as_deref(),
        Some("2025-08-25T17:04:19.9796Z")
    );
    assert_eq!(
        old.date_released.as_deref(),
        Some("2022-09-23T15:01:31.9825Z")
    );
    // The 2025 catalog states ransomware use for every entry (293 Known, 1111 Unknown) and
    // lists CWEs; the 2022 catalog has neither field.
    assert_eq!(
        new.entries.iter().filter(|e| e.known_ransomware()).count(),
        293
    );
    assert!(
        new.entries
            .iter()
            .all(|e| e.known_ransomware_campaign_use.is_some())
    );
    assert!(
        old.entries
            .iter()
            .all(|e| e.known_ransomware_campaign_use.is_none())
    );
    assert!(old.entries.iter().all(|e| e.cwes.is_empty()));
    let git = new.get("cve-2025-48384").unwrap();
    assert_eq!(git.cwes, vec!["CWE-59", "CWE-436"]);
    assert_eq!(git.due_date, Some(jiff::civil::date(2025, 9, 15)));
    let fact = new.fact("CVE-2025-48384").unwrap();
    assert_eq!(fact.catalog_version.as_deref(), Some("2025.08.25"));
    assert_eq!(old.get("CVE-2021-27104").unwrap().product, "FTA");
    assert!(old.get("CVE-2025-48384").is_none());
}

/// The CSV form of a catalog, as CISA publishes it: same columns, CWEs packed in one field.
fn to_csv(c: &KevCatalog) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "cveID",
        "vendorProject",
        "product",
        "vulnerabilityName",
        "dateAdded",
        "shortDescription",
        "requiredAction",
        "dueDate",
        "knownRansomwareCampaignUse",
        "notes",
        "cwes",
    ])
    .unwrap();
    for e in &c.entries {
        w.write_record([
            e.cve_id.clone(),
            e.vendor_project.clone(),
            e.product.clone(),
            e.vulnerability_name.clone(),
            e.date_added.to_string(),
            e.short_description.clone(),
            e.required_action.clone(),
            e.due_date.map(|d| d.to_string()).unwrap_or_default(),
            e.known_ransomware_campaign_use.clone().unwrap_or_default(),
            e.notes.clone(),
            e.cwes.join(", "),
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn the_kev_csv_reads_like_the_json() {
    let Some(root) = corpus_root() else { return };
    let bytes =
        std::fs::read(root.join("upstream/cisa-kev/known_exploited_vulnerabilities.json")).unwrap();
    let json = parse_kev_json(&bytes).unwrap();
    let csv_bytes = to_csv(&json);
    assert_eq!(detect_feed(&csv_bytes), Some(FeedKind::KevCsv));
    let csv = parse_kev_csv(&csv_bytes).unwrap();
    assert_eq!(csv.entries.len(), 1404);
    // Same records; the CSV has no catalog version or release date.
    assert_eq!(csv.entries, json.entries);
    assert_eq!(csv.catalog_version, None);
    // Gzip is looked through.
    let gz = gzip(&bytes);
    assert_eq!(detect_feed(&gz), Some(FeedKind::KevJson));
    assert_eq!(parse_kev_json(&gz).unwrap().entries, json.entries);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn the_epss_file_reads_plain_without_comment_and_gzipped() {
    let Some(root) = corpus_root() else { return };
    let rows = sources(&root, "epss");
    assert_eq!(rows.len(), 1);
    let (rel, count) = &rows[0];
    let bytes = std::fs::read(root.join("upstream").join(rel)).unwrap();
    assert_eq!(detect_feed(&bytes), Some(FeedKind::EpssCsv));
    let feed = parse_epss_csv(&bytes).unwrap();
    // SOURCES.tsv records 50 items for this slice, but its 51 lines are the comment, the
    // header and 49 rows (CVE-1999-0001..0050 without CVE-1999-0020, which FIRST does not
    // score); the file is what counts here.
    assert_eq!(*count, 50);
    assert_eq!(feed.scores.len(), 49);
    assert!(feed.get("CVE-1999-0020").is_none());
    assert_eq!(feed.model_version.as_deref(), Some("v2025.03.14"));
    assert_eq!(feed.score_date_raw.as_deref(), Some("2026-01-02T12:55:00Z"));
    assert_eq!(feed.score_date, Some(jiff::civil::date(2026, 1, 2)));
    assert_eq!(feed.duplicate_rows, 0);
    let first = feed.get("CVE-1999-0001").unwrap();
    assert_eq!((first.epss, first.percentile), (0.01151, 0.78142));
    let last = feed.get("cve-1999-0050").unwrap();
    assert_eq!((last.epss, last.percentile), (0.00997, 0.76565));
    let fact = feed.fact("CVE-1999-0003").unwrap();
    assert_eq!(fact.score_date, Some(jiff::civil::date(2026, 1, 2)));

    // The same file without its comment line: same scores, no model version.
    let text = std::str::from_utf8(&bytes).unwrap();
    let (_, bare) = text.split_once('\n').unwrap();
    assert!(bare.starts_with("cve,epss,percentile"));
    assert_eq!(detect_feed(bare.as_bytes()), Some(FeedKind::EpssCsv));
    let bare_feed = parse_epss_csv(bare.as_bytes()).unwrap();
    assert_eq!(bare_feed.scores, feed.scores);
    assert_eq!(
        (bare_feed.model_version, bare_feed.score_date),
        (None, None)
    );

    // Gzipped, as FIRST publishes it.
    let gz = gzip(&bytes);
    assert_eq!(detect_feed(&gz), Some(FeedKind::EpssCsvGzip));
    assert_eq!(parse_epss_csv(&gz).unwrap(), feed);
}

#[test]
fn other_reports_are_not_feeds() {
    let Some(root) = corpus_root() else { return };
    let mut checked = 0;
    for dir in ["grype", "trivy", "sarif", "snyk", "cvss"] {
        let Ok(entries) = std::fs::read_dir(root.join("upstream").join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            assert_eq!(detect_feed(&bytes), None, "{}", e.path().display());
            checked += 1;
        }
    }
    println!("{checked} non-feed files checked");
    assert!(checked >= 10, "{checked}");
}
