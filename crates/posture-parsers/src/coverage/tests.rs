//! Fixtures of every coverage format (happy, empty, broken), snapshotted with insta; hostile
//! XML; detection.

use super::*;
use crate::ParseErrorKind;

/// The fixtures (`tests/coverage-fixtures/`): (file, expected format, bytes).
const FIXTURES: &[(&str, &str, &[u8])] = &[
    (
        "lcov/happy.info",
        "lcov",
        include_bytes!("../../tests/coverage-fixtures/lcov/happy.info"),
    ),
    (
        "lcov/happy-geninfo.info",
        "lcov",
        include_bytes!("../../tests/coverage-fixtures/lcov/happy-geninfo.info"),
    ),
    (
        "lcov/empty.info",
        "lcov",
        include_bytes!("../../tests/coverage-fixtures/lcov/empty.info"),
    ),
    (
        "lcov/broken.info",
        "lcov",
        include_bytes!("../../tests/coverage-fixtures/lcov/broken.info"),
    ),
    (
        "jacoco/happy.xml",
        "jacoco-xml",
        include_bytes!("../../tests/coverage-fixtures/jacoco/happy.xml"),
    ),
    (
        "jacoco/empty.xml",
        "jacoco-xml",
        include_bytes!("../../tests/coverage-fixtures/jacoco/empty.xml"),
    ),
    (
        "jacoco/broken.xml",
        "jacoco-xml",
        include_bytes!("../../tests/coverage-fixtures/jacoco/broken.xml"),
    ),
    (
        "cobertura/happy.xml",
        "cobertura-xml",
        include_bytes!("../../tests/coverage-fixtures/cobertura/happy.xml"),
    ),
    (
        "cobertura/empty.xml",
        "cobertura-xml",
        include_bytes!("../../tests/coverage-fixtures/cobertura/empty.xml"),
    ),
    (
        "cobertura/broken.xml",
        "cobertura-xml",
        include_bytes!("../../tests/coverage-fixtures/cobertura/broken.xml"),
    ),
    (
        "coveragepy/happy.json",
        "coveragepy-json",
        include_bytes!("../../tests/coverage-fixtures/coveragepy/happy.json"),
    ),
    (
        "coveragepy/empty.json",
        "coveragepy-json",
        include_bytes!("../../tests/coverage-fixtures/coveragepy/empty.json"),
    ),
    (
        "coveragepy/broken.json",
        "coveragepy-json",
        include_bytes!("../../tests/coverage-fixtures/coveragepy/broken.json"),
    ),
    (
        "gocover/happy.out",
        "go-coverprofile",
        include_bytes!("../../tests/coverage-fixtures/gocover/happy.out"),
    ),
    (
        "gocover/empty.out",
        "go-coverprofile",
        include_bytes!("../../tests/coverage-fixtures/gocover/empty.out"),
    ),
    (
        "gocover/broken.out",
        "go-coverprofile",
        include_bytes!("../../tests/coverage-fixtures/gocover/broken.out"),
    ),
];

fn fixture(path: &str) -> Vec<u8> {
    FIXTURES
        .iter()
        .find(|(f, _, _)| *f == path)
        .map(|(_, _, b)| b.to_vec())
        .unwrap_or_else(|| panic!("no fixture {path}"))
}

fn snapshot_name(file: &str) -> String {
    file.replace(['/', '.'], "_")
}

/// A compact rendering: the format and time, then one line per file, `line:hits` pairs.
fn render(r: &CoverageReport) -> String {
    let mut out = format!(
        "format: {}\ngenerated_at: {}\n",
        r.format,
        r.generated_at
            .map(|t| t.to_string())
            .unwrap_or_else(|| "-".into())
    );
    for f in &r.files {
        let lines: Vec<String> = f.lines.iter().map(|(l, h)| format!("{l}:{h}")).collect();
        out.push_str(&format!("{} => {}\n", f.path, lines.join(" ")));
    }
    out
}

#[test]
fn coverage_fixtures_are_detected() {
    for (file, format, bytes) in FIXTURES {
        assert_eq!(detect(bytes), Some(*format), "{file}");
    }
}

#[test]
fn coverage_happy_and_empty_fixtures_snapshot() {
    for (file, _, _) in FIXTURES.iter().filter(|(f, _, _)| !f.contains("broken")) {
        let report = parse(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        if file.contains("empty") {
            assert!(report.files.is_empty(), "{file}");
        } else {
            assert!(!report.files.is_empty(), "{file}");
        }
        insta::assert_snapshot!(snapshot_name(file), render(&report));
    }
}

#[test]
fn coverage_broken_fixtures_name_the_place() {
    let mut out = String::new();
    for (file, _, _) in FIXTURES.iter().filter(|(f, _, _)| f.contains("broken")) {
        let e = parse(&fixture(file)).expect_err(file);
        assert!(e.position.is_some(), "{file}: {e}");
        out.push_str(&format!("{file}: {e}\n"));
    }
    insta::assert_snapshot!("coverage_broken", out);
}

#[test]
fn coverage_lcov_counts_hits_and_merges_records_of_one_file() {
    let r = parse(&fixture("lcov/happy-geninfo.info")).unwrap();
    assert_eq!(r.files.len(), 1);
    let f = &r.files[0];
    assert_eq!(f.hits(12), Some(12000));
    assert_eq!(f.hits(30), Some(0));
    // Two records of one file (two test names) add up.
    assert_eq!(f.hits(15), Some(15));
    assert_eq!(f.hits(40), Some(1));
    assert_eq!(f.hits(16), None);
}

#[test]
fn coverage_lcov_truncated_and_misplaced_records_are_errors_with_lines() {
    let e = parse(b"SF:a.py\nDA:1,1\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Truncated);
    assert!(e.to_string().contains("line 1"), "{e}");
    let e = parse(b"TN:\nDA:1,1\nend_of_record\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 1: `DA:` outside a file (no `SF:` before it)"
    );
    let e = parse(b"TN:\nSF:a\nSF:b\n").unwrap_err();
    assert!(e.to_string().starts_with("line 3"), "{e}");
}

#[test]
fn coverage_go_keeps_the_highest_count_of_a_line() {
    let r = parse(&fixture("gocover/happy.out")).unwrap();
    let user = r
        .files
        .iter()
        .find(|f| f.path.ends_with("store/user.go"))
        .unwrap();
    // Line 21 ends one block (12000) and starts another (0).
    assert_eq!(user.hits(21), Some(12000));
    assert_eq!(user.hits(22), Some(0));
    // A block repeated with a lower count keeps the higher.
    assert_eq!(user.hits(24), Some(12000));
    assert_eq!(user.hits(28), Some(0));
}

#[test]
fn coverage_binary_formats_read_covered_as_one_hit() {
    let j = parse(&fixture("jacoco/happy.xml")).unwrap();
    let f = &j.files[0];
    assert_eq!(f.path, "com/acme/orders/web/OrderController.java");
    assert_eq!(f.hits(22), Some(1));
    assert_eq!(f.hits(31), Some(0));
    assert_eq!(
        j.generated_at.map(|t| t.to_string()),
        Some("2026-12-07T10:00:00Z".into())
    );
    let p = parse(&fixture("coveragepy/happy.json")).unwrap();
    let v = p.files.iter().find(|f| f.path == "app/views.py").unwrap();
    assert_eq!(v.hits(5), Some(1));
    assert_eq!(v.hits(10), Some(0));
    assert_eq!(v.hits(2), None);
}

#[test]
fn coverage_hostile_xml_is_refused() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<coverage line-rate="1"><packages><package><classes><class filename="&b;"><lines/></class></classes></package></packages></coverage>"#;
    let e = parse(bomb).unwrap_err();
    assert!(e.to_string().contains("entit"), "{e}");
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<report name="x"><sessioninfo id="s" start="1" dump="2"/><package name="p"><sourcefile name="&x;"/></package></report>"#;
    let e = parse(xxe).unwrap_err();
    assert!(!e.to_string().contains("root:"), "{e}");
}

#[test]
fn coverage_detection_refuses_scanner_reports_and_blank_files() {
    assert_eq!(detect(br#"{"results": [], "errors": []}"#), None);
    assert_eq!(detect(br#"<?xml version="1.0"?><BugCollection/>"#), None);
    assert_eq!(detect(b"{\"version\": \"2.1.0\", \"runs\": []}"), None);
    assert_eq!(parse(b"  \n").unwrap_err().kind, ParseErrorKind::Empty);
    let e = parse(b"hello").unwrap_err();
    assert!(e.to_string().contains("not a coverage report"), "{e}");
    assert!(parse_as("clover", b"").is_err());
}

#[test]
fn coverage_parsers_never_panic_on_cut_input() {
    for (_, format, bytes) in FIXTURES {
        for cut in (0..bytes.len()).step_by(7) {
            let _ = parse_as(format, &bytes[..cut]);
            let _ = parse(&bytes[..cut]);
        }
    }
}
