//! Hostile inputs: detection and every registered parser on malformed, malicious and
//! non-report files (`tests/hostile/`, plus large ones generated here: 100,000-deep nesting,
//! a 1 MB single-line string, random bytes).
//!
//! The contract checked for every (file, parser) pair: no panic; either a report that
//! serializes, or a `ParseError` whose message is not empty, and which carries a position
//! when it is a JSON/XML syntax or truncation error. On top of that, per file, what the
//! outcome must be (refused as not a report, refused as an entity attack, truncated at a
//! position...).

use posture_model::ParsedReport;
use posture_parsers::{DetectError, PARSERS, ParseError, ParseErrorKind, Parser, detect, xml};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

const DEEP: usize = 100_000;

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn hostile(name: &str) -> Vec<u8> {
    let p = hostile_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn parser(id: &str) -> &'static dyn Parser {
    posture_parsers::parser_by_id(id).unwrap_or_else(|| panic!("no parser {id}"))
}

/// A deterministic pseudo-random byte string (xorshift64*).
fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn deep_array(depth: usize, closed: bool) -> Vec<u8> {
    let mut v = "[".repeat(depth).into_bytes();
    if closed {
        v.extend("]".repeat(depth).into_bytes());
    }
    v
}

fn deep_object(depth: usize) -> Vec<u8> {
    let mut v = r#"{"a":"#.repeat(depth).into_bytes();
    v.push(b'1');
    v.extend("}".repeat(depth).into_bytes());
    v
}

/// A well-formed report of `id` whose one item holds a `DEEP`-deep value where the parser
/// reads the item as a raw value first (`each_item` / `stream_items` paths).
fn deep_inside_reports() -> Vec<(String, Vec<u8>)> {
    let deep = String::from_utf8(deep_array(DEEP, true)).unwrap_or_default();
    let mut out = Vec::new();
    let semgrep = format!(
        r#"{{"results": [{{"check_id": "ok", "path": "p", "start": {{"line": 1}}, "end": {{"line": 1}}, "extra": {{"message": "m", "severity": "ERROR"}}}}, {{"check_id": "a", "path": "p", "start": {{"line": 1}}, "end": {{"line": 1}}, "extra": {{"message": "m", "severity": "ERROR", "metadata": {deep}}}}}, {deep}], "errors": []}}"#
    );
    out.push((
        "generated/deep-in-semgrep.json".to_string(),
        semgrep.into_bytes(),
    ));
    let sarif = format!(
        r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "x", "rules": [{deep}]}}}}, "results": [{{"ruleId": "a", "message": {{"text": "m"}}, "properties": {deep}}}, {deep}]}}]}}"#
    );
    out.push((
        "generated/deep-in-sarif.sarif".to_string(),
        sarif.into_bytes(),
    ));
    let trivy = format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "a", "Results": [{{"Target": "t", "Vulnerabilities": [{deep}, {{"VulnerabilityID": "CVE-2021-1", "PkgName": "p", "InstalledVersion": "1", "CVSS": {deep}}}]}}]}}"#
    );
    out.push((
        "generated/deep-in-trivy.json".to_string(),
        trivy.into_bytes(),
    ));
    let jsonl = format!(
        "{}\n{deep}\n{{\"template-id\":\"x\",\"info\":{{\"name\":\"n\",\"severity\":\"high\"}},\"host\":\"h\",\"matched-at\":\"h\",\"extracted-results\":{deep}}}\n",
        r#"{"SourceMetadata": {"Data": {"Git": {"file": "a", "line": 1}}}, "DetectorName": "AWS", "Raw": "eA==", "Verified": false}"#
    );
    out.push(("generated/deep-lines.jsonl".to_string(), jsonl.into_bytes()));
    let gitleaks = format!("[{deep}, {deep}]");
    out.push((
        "generated/deep-items.json".to_string(),
        gitleaks.into_bytes(),
    ));
    out
}

/// Large or binary inputs generated here rather than committed.
fn generated() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        (
            "generated/deep-array.json".to_string(),
            deep_array(DEEP, true),
        ),
        (
            "generated/deep-array-unclosed.json".to_string(),
            deep_array(DEEP, false),
        ),
        ("generated/deep-object.json".to_string(), deep_object(DEEP)),
        (
            "generated/deep.xml".to_string(),
            "<a>".repeat(DEEP).into_bytes(),
        ),
        (
            "generated/deep-closed.xml".to_string(),
            format!("{}{}", "<a>".repeat(DEEP), "</a>".repeat(DEEP)).into_bytes(),
        ),
        (
            "generated/random.bin".to_string(),
            random_bytes(64 * 1024, 0x9E37_79B9_7F4A_7C15),
        ),
        (
            "generated/random-small.bin".to_string(),
            random_bytes(100, 42),
        ),
    ];
    let big = "A".repeat(1024 * 1024);
    out.push((
        "generated/long-string.json".to_string(),
        format!(
            r#"{{"results": [{{"check_id": "{big}", "path": "{big}", "start": {{"line": 1}}, "end": {{"line": 1}}, "extra": {{"message": "{big}", "severity": "ERROR", "lines": "{big}"}}}}], "errors": []}}"#
        )
        .into_bytes(),
    ));
    out.push((
        "generated/long-line.txt".to_string(),
        format!("src/app.py:12:{big}\n").into_bytes(),
    ));
    out.push((
        "generated/long-attr.xml".to_string(),
        format!(r#"<OWASPZAPReport version="{big}"><site name="{big}"><alerts/></site></OWASPZAPReport>"#)
            .into_bytes(),
    ));
    out.extend(deep_inside_reports());
    out
}

/// Every committed hostile file and every generated input.
fn all_inputs() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(hostile_dir())
        .expect("tests/hostile")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).expect("read hostile file");
            (name, bytes)
        })
        .collect();
    out.extend(generated());
    out
}

fn is_structured(id: &str) -> bool {
    id == "sarif" || id.ends_with("-json") || id.ends_with("-jsonl") || id.ends_with("-xml")
}

/// Runs one parser, turning a panic into an `Err` naming the file and parser, and checks the
/// contract on its result.
fn run(
    name: &str,
    p: &dyn Parser,
    bytes: &[u8],
) -> Result<Result<ParsedReport, ParseError>, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| p.parse(bytes)))
        .map_err(|_| format!("{name}: {} PANICKED", p.id()))?;
    match &outcome {
        Ok(report) => {
            serde_json::to_string(report)
                .map_err(|e| format!("{name}: {}: report does not serialize: {e}", p.id()))?;
        }
        Err(e) => {
            if e.message.trim().is_empty() || e.to_string().trim().is_empty() {
                return Err(format!("{name}: {}: empty error message ({e:?})", p.id()));
            }
            if is_structured(p.id())
                && matches!(e.kind, ParseErrorKind::Syntax | ParseErrorKind::Truncated)
                && e.position.is_none()
            {
                return Err(format!(
                    "{name}: {}: {:?} error without a position: {e}",
                    p.id(),
                    e.kind
                ));
            }
        }
    }
    Ok(outcome)
}

fn detect_checked(name: &str, bytes: &[u8]) -> Result<Result<&'static str, DetectError>, String> {
    let r = catch_unwind(|| detect(bytes).map(|p| p.id()))
        .map_err(|_| format!("{name}: detect PANICKED"))?;
    if let Err(e) = &r
        && e.to_string().trim().is_empty()
    {
        return Err(format!("{name}: detect: empty error message"));
    }
    Ok(r)
}

#[test]
fn every_parser_survives_every_hostile_input() {
    let inputs = all_inputs();
    assert!(
        inputs.len() >= 40,
        "hostile inputs missing: {}",
        inputs.len()
    );
    let mut failures = Vec::new();
    for (name, bytes) in &inputs {
        if let Err(f) = detect_checked(name, bytes) {
            failures.push(f);
        }
        for p in PARSERS {
            if let Err(f) = run(name, *p, bytes) {
                failures.push(f);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Compressed uploads, binary and NUL bytes are not reports: detection refuses them as such
/// (not as "empty"), and every parser refuses them too.
#[test]
fn compressed_and_binary_files_are_not_reports() {
    let mut inputs: Vec<(String, Vec<u8>)> = ["report.json.gz", "report.zip", "nul-bytes.bin"]
        .iter()
        .map(|n| (n.to_string(), hostile(n)))
        .collect();
    inputs.push(("random.bin".into(), random_bytes(64 * 1024, 7)));
    inputs.push(("random-high.bin".into(), vec![0x8B, 0xFF, 0x00, 0xC3, 0x28]));
    for (name, bytes) in &inputs {
        match detect(bytes) {
            Err(e @ DetectError::NotRecognized { .. }) => {
                assert!(e.to_string().contains("not a report"), "{name}: {e}")
            }
            other => panic!(
                "{name}: expected NotRecognized, got {:?}",
                other.map(|p| p.id())
            ),
        }
        for p in PARSERS {
            match run(name, *p, bytes) {
                Ok(Err(_)) => {}
                Ok(Ok(r)) => panic!(
                    "{name}: {} accepted a non-report ({} occurrences)",
                    p.id(),
                    r.occurrence_count()
                ),
                Err(f) => panic!("{f}"),
            }
        }
    }
}

#[test]
fn empty_files_are_empty_for_detection_and_never_a_crash() {
    for name in ["empty.json", "whitespace.json"] {
        let bytes = hostile(name);
        assert_eq!(detect(&bytes).err(), Some(DetectError::Empty), "{name}");
        for p in PARSERS {
            match run(name, *p, &bytes) {
                // tools that write nothing when they find nothing read it as zero occurrences
                Ok(Ok(r)) => assert_eq!(r.occurrence_count(), 0, "{name}: {}", p.id()),
                Ok(Err(e)) => assert!(
                    matches!(e.kind, ParseErrorKind::Empty | ParseErrorKind::Shape),
                    "{name}: {}: {e:?}",
                    p.id()
                ),
                Err(f) => panic!("{f}"),
            }
        }
    }
}

#[test]
fn truncated_reports_are_truncated_at_a_position() {
    for (name, id) in [
        ("truncated.json", "trivy-json"),
        ("truncated-sarif.sarif", "sarif"),
        ("truncated.xml", "zap-xml"),
    ] {
        let bytes = hostile(name);
        assert_eq!(detect(&bytes).map(|p| p.id()).ok(), Some(id), "{name}");
        let e = parser(id).parse(&bytes).expect_err(name);
        assert_eq!(e.kind, ParseErrorKind::Truncated, "{name}: {e}");
        assert!(
            matches!(
                e.position,
                Some(posture_parsers::Position::LineColumn { .. })
            ),
            "{name}: {e:?}"
        );
        assert!(e.to_string().contains("truncated"), "{name}: {e}");
    }
}

#[test]
fn a_bom_is_ignored() {
    let with = hostile("bom.json");
    let without = with
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("bom.json starts with a BOM");
    assert_eq!(detect(&with).map(|p| p.id()).ok(), Some("semgrep-json"));
    let a = parser("semgrep-json").parse(&with).expect("with BOM");
    let b = parser("semgrep-json").parse(without).expect("without BOM");
    assert_eq!(a.occurrence_count(), 1);
    assert_eq!(a, b);
}

/// Parsers read UTF-8: detection recognises UTF-16 (issue 14: the ingest decodes it before
/// parsing), and a parser handed UTF-16 or Latin-1 fails with a clear error, never with
/// garbage occurrences.
#[test]
fn non_utf8_reports_are_refused_with_a_position() {
    for (name, id) in [
        ("utf16le.json", "semgrep-json"),
        ("utf16be.json", "semgrep-json"),
        ("utf16le-nobom.json", "semgrep-json"),
        ("utf16le.xml", "zap-xml"),
    ] {
        let bytes = hostile(name);
        assert_eq!(detect(&bytes).map(|p| p.id()).ok(), Some(id), "{name}");
    }
    // forced through their parser: an error with a position, no occurrence
    for (name, id) in [
        ("utf16le.json", "semgrep-json"),
        ("utf16be.json", "semgrep-json"),
        ("utf16le-nobom.json", "semgrep-json"),
        ("utf16le.xml", "zap-xml"),
        ("latin1.json", "semgrep-json"),
        ("latin1.xml", "zap-xml"),
    ] {
        let e = parser(id).parse(&hostile(name)).expect_err(name);
        assert_eq!(e.kind, ParseErrorKind::Syntax, "{name}: {e}");
        assert!(e.position.is_some(), "{name}: {e:?}");
    }
    // the Latin-1 one still looks like semgrep from its head, and fails at the byte
    let bytes = hostile("latin1.json");
    assert_eq!(detect(&bytes).map(|p| p.id()).ok(), Some("semgrep-json"));
}

#[test]
fn nan_infinity_and_out_of_range_numbers_are_syntax_errors_at_a_position() {
    for (name, id) in [
        ("nan.json", "trivy-json"),
        ("infinity.json", "grype-json"),
        ("neg-infinity.json", "gitleaks-json"),
    ] {
        let e = parser(id).parse(&hostile(name)).expect_err(name);
        assert_eq!(e.kind, ParseErrorKind::Syntax, "{name}: {e}");
        assert!(
            matches!(
                e.position,
                Some(posture_parsers::Position::LineColumn { line: 1, .. })
            ),
            "{name}: {e:?}"
        );
    }
}

/// A number beyond f64 inside an item read as a raw value (the raw value does not check
/// ranges): that item is skipped with its locator, the report is still read.
#[test]
fn a_number_beyond_f64_skips_its_item() {
    let r = parser("trivy-json")
        .parse(&hostile("number-overflow.json"))
        .expect("trivy report around an out-of-range number");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(r.diagnostics[0].locator, "/Results/0/Vulnerabilities/0");
    assert!(
        r.diagnostics[0].message.contains("number out of range"),
        "{:?}",
        r.diagnostics
    );
    // read as a whole document, the same number is a syntax error at its position
    let e =
        posture_parsers::json::from_slice::<serde_json::Value>(&hostile("number-overflow.json"))
            .expect_err("1e400");
    assert_eq!(e.kind, ParseErrorKind::Syntax, "{e}");
    assert!(e.message.contains("number out of range"), "{e}");
    assert!(e.position.is_some(), "{e:?}");
}

/// Numbers past u32/u64/i64 in numeric fields are not lines: the item is kept or skipped,
/// never wrapped into a wrong line number.
#[test]
fn huge_numbers_never_become_wrong_lines() {
    for (name, id) in [
        ("huge-numbers.json", "semgrep-json"),
        ("gitleaks-numbers.json", "gitleaks-json"),
    ] {
        let r = run(name, parser(id), &hostile(name)).unwrap_or_else(|f| panic!("{f}"));
        if let Ok(report) = r {
            for o in report.runs.iter().flat_map(|r| &r.occurrences) {
                for l in [o.location.start_line, o.location.end_line]
                    .into_iter()
                    .flatten()
                {
                    assert!(
                        l < 1_000_000,
                        "{name}: {id}: line {l} from an out-of-range number"
                    );
                }
            }
        }
    }
}

/// Entity expansion and external entities fail closed in the XML reader, with a position,
/// and nothing from /etc/passwd or a URL ever reaches a report.
#[test]
fn xml_entity_attacks_fail_closed() {
    let attacks = [
        ("billion-laughs.xml", "zap-xml"),
        ("billion-laughs-attr.xml", "cyclonedx-xml"),
        ("xxe-file.xml", "dependency-check-xml"),
        ("xxe-url.xml", "burp-xml"),
        ("xxe-attr.xml", "spotbugs-xml"),
    ];
    for (name, id) in attacks {
        let bytes = hostile(name);
        let e = xml::parse(&bytes).expect_err(name);
        assert!(e.message.contains("refused"), "{name}: {e}");
        assert!(e.position.is_some(), "{name}: {e:?}");
        assert_eq!(detect(&bytes).map(|p| p.id()).ok(), Some(id), "{name}");
        let e = parser(id).parse(&bytes).expect_err(name);
        assert!(e.message.contains("refused"), "{name}: {id}: {e}");
        assert!(!e.to_string().contains("root:"), "{name}: {e}");
    }
    // Parameter entities live in the DOCTYPE, which is never expanded nor fetched: the
    // document reads as the empty report it is. XInclude is an unknown element.
    for (name, id) in [
        ("parameter-entities.xml", "zap-xml"),
        ("xinclude.xml", "zap-xml"),
    ] {
        let bytes = hostile(name);
        let report = parser(id)
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.occurrence_count(), 0, "{name}");
        let out = serde_json::to_string(&report).expect("serialize");
        assert!(!out.contains("root:"), "{name}: {out}");
    }
}

/// 100,000 levels of nesting end as an error (serde_json's recursion limit, the XML reader's
/// depth cap), never a stack overflow. The parsers run on a thread with a 2 MiB stack, the
/// default for spawned threads, so a missing limit crashes the test binary.
#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut failures = Vec::new();
            for (name, bytes) in generated().into_iter().filter(|(n, _)| n.contains("deep")) {
                let _ = detect(&bytes);
                for p in PARSERS {
                    match run(&name, *p, &bytes) {
                        Err(f) => failures.push(f),
                        Ok(Err(_)) => {}
                        // A report around deep values may be read with the deep items skipped
                        // (an array read as raw items: each one hits the recursion limit). A
                        // document that is nothing but nesting yields no occurrence. (Some
                        // parsers read `[[...]]` as a struct from a sequence, serde's default,
                        // and return an empty report without a diagnostic: see the report.)
                        Ok(Ok(r)) => {
                            if !name.contains("-in-")
                                && !name.contains("lines")
                                && r.occurrence_count() > 0
                            {
                                failures.push(format!(
                                    "{name}: {} read it as {} occurrences, {} diagnostics",
                                    p.id(),
                                    r.occurrence_count(),
                                    r.diagnostics.len()
                                ));
                            }
                        }
                    }
                }
            }
            failures
        })
        .expect("spawn");
    let failures = handle.join().expect("no panic");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let e = xml::parse("<a>".repeat(DEEP).as_bytes()).expect_err("deep xml");
    assert_eq!(e.kind, ParseErrorKind::Limit);
    for deep in [deep_array(DEEP, true), deep_object(DEEP)] {
        let e = posture_parsers::json::from_slice::<serde_json::Value>(&deep).expect_err("deep");
        assert!(e.message.contains("recursion limit"), "{e}");
        assert!(e.position.is_some());
    }
    // Raw items are read without a depth limit (serde_json skips a raw value iteratively):
    // the limit applies when the item itself is read, which skips that item only. (A deep
    // object: a deep array is refused earlier, as every report item must be an object.)
    let mut stream = deep_object(DEEP);
    stream.extend_from_slice(b"\n{\"a\": 1}\n");
    let items = posture_parsers::json::stream_items(&stream).expect("two raw items");
    assert_eq!(items.len(), 2);
    let mut diagnostics = Vec::new();
    let mut read = Vec::new();
    posture_parsers::json::each_item(
        &items,
        "",
        &mut diagnostics,
        |_, loc, v: serde_json::Value| read.push((loc, v)),
    );
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].0, "/1");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].locator, "/0");
    assert!(
        diagnostics[0].message.contains("recursion limit"),
        "{diagnostics:?}"
    );
}

/// A deep value inside one item skips that item, the rest of the report is kept.
#[test]
fn a_deep_item_is_skipped_and_the_rest_kept() {
    let reports = deep_inside_reports();
    let semgrep = &reports[0].1;
    let r = parser("semgrep-json")
        .parse(semgrep)
        .expect("semgrep around a deep item");
    assert_eq!(r.occurrence_count(), 1, "{:?}", r.diagnostics);
    let skipped: Vec<&str> = r.diagnostics.iter().map(|d| d.locator.as_str()).collect();
    assert_eq!(skipped, ["/results/1", "/results/2"], "{:?}", r.diagnostics);
}

#[test]
fn json_lines_with_one_bad_line_fail_at_that_line() {
    for (name, id, line) in [
        // line 2 is cut short: the reader sees the break where line 3 begins
        ("bad-line.jsonl", "trufflehog-jsonl", 3),
        ("bad-line-yarn.jsonl", "yarn-audit-jsonl", 2),
        ("bad-line-nuclei.jsonl", "nuclei-json", 2),
    ] {
        let bytes = hostile(name);
        assert_eq!(detect(&bytes).map(|p| p.id()).ok(), Some(id), "{name}");
        let e = parser(id).parse(&bytes).expect_err(name);
        assert!(
            matches!(e.position, Some(posture_parsers::Position::LineColumn { line: l, .. }) if l == line),
            "{name}: {e:?}"
        );
    }
}

#[test]
fn duplicate_keys_are_refused_by_name() {
    for (name, id) in [
        ("duplicate-keys.json", "semgrep-json"),
        ("duplicate-keys-sarif.sarif", "sarif"),
    ] {
        let e = parser(id).parse(&hostile(name)).expect_err(name);
        assert!(e.message.contains("duplicate field"), "{name}: {e}");
        assert!(e.position.is_some(), "{name}: {e:?}");
    }
}
