//! Feed parsing beyond the corpus: gzip caps, corrupt input, detection.

use posture_risk::*;
use std::io::Write;

fn gzip(chunks: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for c in chunks {
        e.write_all(&c).unwrap();
    }
    e.finish().unwrap()
}

const EPSS: &str = "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n\
cve,epss,percentile\nCVE-2021-44228,0.94358,0.99950\n";

#[test]
fn a_gzip_bomb_fails_with_a_clear_error() {
    // 48 MiB of newlines after a valid header: compresses to ~50 KB, far beyond 64x.
    let bomb = gzip(
        std::iter::once(EPSS.as_bytes().to_vec())
            .chain(std::iter::repeat_n(vec![b'\n'; 1024 * 1024], 48)),
    );
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let limit = max_decompressed_size(bomb.len());
    assert_eq!(limit, 16 * 1024 * 1024);
    let e = parse_epss_csv(&bomb).unwrap_err();
    assert_eq!(
        e,
        FeedError::TooLarge {
            compressed: bomb.len(),
            limit
        }
    );
    assert!(e.to_string().contains("gzip bomb"), "{e}");
    // Detection only looks at the head, so it still recognizes the feed.
    assert_eq!(detect_feed(&bomb), Some(FeedKind::EpssCsvGzip));
    // The KEV parsers share the cap.
    assert!(matches!(
        parse_kev_json(&bomb),
        Err(FeedError::TooLarge { .. })
    ));
}

#[test]
fn the_cap_is_exact() {
    let gz = gzip([EPSS.as_bytes().to_vec()]);
    let len = EPSS.len() as u64;
    assert_eq!(parse_epss_csv_with_limit(&gz, len).unwrap().scores.len(), 1);
    assert!(matches!(
        parse_epss_csv_with_limit(&gz, len - 1),
        Err(FeedError::TooLarge { .. })
    ));
}

#[test]
fn the_cap_formula() {
    assert_eq!(max_decompressed_size(0), 16 * 1024 * 1024);
    assert_eq!(max_decompressed_size(1024 * 1024), 64 * 1024 * 1024);
    assert_eq!(max_decompressed_size(usize::MAX), 2 * 1024 * 1024 * 1024);
}

#[test]
fn corrupt_gzip_is_an_error() {
    let mut gz = gzip([EPSS.as_bytes().to_vec()]);
    let n = gz.len();
    gz.truncate(n - 10);
    assert!(matches!(parse_epss_csv(&gz), Err(FeedError::Gzip(_))));
    assert!(matches!(
        parse_epss_csv(&[0x1f, 0x8b, 0, 0]),
        Err(FeedError::Gzip(_))
    ));
}

#[test]
fn detection_by_content() {
    assert_eq!(detect_feed(EPSS.as_bytes()), Some(FeedKind::EpssCsv));
    assert_eq!(
        detect_feed(b"\xEF\xBB\xBFcve,epss,percentile\n"),
        Some(FeedKind::EpssCsv)
    );
    assert_eq!(
        detect_feed(b"cveID,vendorProject,product,vulnerabilityName,dateAdded\n"),
        Some(FeedKind::KevCsv)
    );
    assert_eq!(
        detect_feed(br#"{"title": "x", "catalogVersion": "2025.08.25", "vulnerabilities": []}"#),
        Some(FeedKind::KevJson)
    );
    assert_eq!(
        detect_feed(br#"{"vulnerabilities": [{"id": "CVE-1"}]}"#),
        None
    );
    assert_eq!(detect_feed(b"cve,score\n"), None);
    assert_eq!(detect_feed(b""), None);
    assert_eq!(detect_feed(&[0x1f, 0x8b]), None);
}

#[test]
fn an_empty_kev_catalog_is_empty() {
    let c =
        parse_kev_json(br#"{"catalogVersion": "x", "count": 0, "vulnerabilities": []}"#).unwrap();
    assert!(c.entries.is_empty());
    assert_eq!(c.stated_count, Some(0));
    let c = parse_kev_csv(b"cveID,dateAdded\n").unwrap();
    assert!(c.entries.is_empty());
}

mod never_panic {
    use posture_model::CvssRating;
    use posture_risk::*;
    use proptest::prelude::*;

    fn feedish() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            "(#model_version:[a-z0-9.,:]{0,20}\n)?cve,epss,percentile\n([A-Za-z0-9.,\\-]{0,30}\n){0,5}"
                .prop_map(String::into_bytes),
            "cveID,dateAdded(,[a-zA-Z]{0,8}){0,3}\n([A-Za-z0-9\",\\-]{0,30}\n){0,5}"
                .prop_map(String::into_bytes),
            "\\{\"vulnerabilities\": \\[(\\{\"cveID\": \"[A-Z0-9-]{0,10}\", \"dateAdded\": \"[0-9-]{0,10}\"\\})?\\]\\}"
                .prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #[test]
        fn parsers_return_errors_not_panics(bytes in feedish()) {
            let _ = detect_feed(&bytes);
            let _ = parse_epss_csv(&bytes);
            let _ = parse_kev_csv(&bytes);
            let _ = parse_kev_json(&bytes);
        }

        #[test]
        fn vectors_and_ratings_never_panic(
            v in "(CVSS:[0-9.]{0,4}/)?([A-Z]{1,3}:[A-Z]{0,2}/?){0,14}",
            score in prop::option::of(any::<f64>()),
            source in "[a-zA-Z]{0,6}",
        ) {
            let _ = score_vector(&v);
            let r = CvssRating { source, vector: Some(v), score };
            if let Some(c) = best_rating(&[r]) {
                prop_assert!((0.0..=10.0).contains(&c.score));
            }
        }
    }
}
