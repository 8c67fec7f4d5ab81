//! Gitleaks CSV: own fixtures, the corpus file, snapshot, detection.

use crate::common::*;
use posture_model::{Category, DiagnosticLevel, Severity};
use posture_parsers::formats::gitleaks::csv::GitleaksCsv;
use posture_parsers::{Confidence, ParseErrorKind, Parser, Sniff};

#[test]
fn happy_fixture_snapshot_and_no_plaintext() {
    let bytes = fixture("gitleaks-csv", "happy.csv");
    let report = GitleaksCsv.parse(&bytes).expect("parses");
    assert_eq!(report.format, "gitleaks-csv");
    assert_eq!(report.runs[0].tool.name, "gitleaks");
    assert_eq!(report.occurrence_count(), 2);
    assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
    assert_eq!(report.diagnostics[0].level, DiagnosticLevel::Skipped);
    assert_eq!(report.diagnostics[0].locator, "line:4");
    let text = serde_json::to_string(&report).expect("serializes");
    assert!(
        !text.contains("AKIAZZZZZZZZZZZZZZZZ"),
        "secret leaked: {text}"
    );
    assert!(!text.contains("aws_key"), "the Match column is never kept");
    assert!(
        !text.contains("jane@example.com"),
        "commit metadata is not kept"
    );
    let occ = &report.runs[0].occurrences;
    let first = &occ[0];
    assert_eq!(first.category, Category::Secret);
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.rule_id, "aws-access-token");
    assert_eq!(first.locator, "line:2");
    assert_eq!(first.cwes, [798]);
    assert_eq!(first.location.path.as_deref(), Some("config/deploy.yml"));
    assert_eq!(first.location.start_line, Some(12));
    assert_eq!(first.location.start_column, Some(10));
    assert_eq!(
        first.secret.as_ref().map(|s| s.masked.as_str()),
        Some("AKIA********")
    );
    let desc = first.description.as_deref().unwrap_or("");
    assert!(desc.contains("Tags: key, AWS"), "{desc}");
    assert_eq!(occ[1].locator, "line:3");
    assert!(occ[1].secret.is_none(), "REDACTED is not hashed");
}

#[test]
fn same_secret_as_gitleaks_json() {
    // the CSV and JSON forms of one leak give the same occurrence but for the locator
    let csv = "RuleID,Commit,File,SymlinkFile,Secret,Match,StartLine,EndLine,StartColumn,EndColumn,Author,Message,Date,Email,Fingerprint,Tags\n\
               r1,abc,a.py,,s3cr3t-value-123,m,3,3,1,5,A,M,D,E,F,t1 t2\n";
    let json = r#"[{"RuleID":"r1","Commit":"abc","File":"a.py","SymlinkFile":"","Secret":"s3cr3t-value-123","Match":"m","StartLine":3,"EndLine":3,"StartColumn":1,"EndColumn":5,"Tags":["t1","t2"]}]"#;
    let a = GitleaksCsv.parse(csv.as_bytes()).unwrap();
    let b = posture_parsers::formats::gitleaks::json::Gitleaks
        .parse(json.as_bytes())
        .unwrap();
    let mut oa = a.runs[0].occurrences[0].clone();
    let ob = &b.runs[0].occurrences[0];
    oa.locator = ob.locator.clone();
    assert_eq!(&oa, ob);
}

#[test]
fn empty_shapes_are_zero_findings() {
    let empty = fixture("gitleaks-csv", "empty.csv");
    let header = b"RuleID,Commit,File,SymlinkFile,Secret,Match,StartLine,EndLine,StartColumn,EndColumn,Author,Message,Date,Email,Fingerprint,Tags\n";
    for input in [&empty[..], &header[..], b"\xEF\xBB\xBF\n"] {
        let r = GitleaksCsv.parse(input).expect("empty parses");
        assert_eq!(r.occurrence_count(), 0);
        assert!(r.diagnostics.is_empty());
    }
}

#[test]
fn broken_input() {
    let r = GitleaksCsv
        .parse(&fixture("gitleaks-csv", "broken.csv"))
        .expect("a broken record is a diagnostic");
    assert_eq!(r.occurrence_count(), 0);
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].locator, "line:2");
    let e = GitleaksCsv.parse(b"a,b,c\n1,2,3\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
    let e = GitleaksCsv.parse(b"[]").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Shape);
}

#[test]
fn detection() {
    let d = |b: &[u8]| GitleaksCsv.detect(&Sniff::new(b));
    assert_eq!(
        d(&fixture("gitleaks-csv", "happy.csv")),
        Confidence::CERTAIN
    );
    assert_eq!(d(b"RuleID,Foo\n"), Confidence::RESEMBLES);
    assert_eq!(
        d(b"[{\"RuleID\": \"x\", \"Secret\": \"y\"}]"),
        Confidence::NO
    );
    assert_eq!(
        posture_parsers::detect(&fixture("gitleaks-csv", "happy.csv"))
            .map(|p| p.id())
            .ok(),
        Some("gitleaks-csv")
    );
}

#[test]
fn corpus_gitleaks_csv() {
    let Some(root) = corpus_root() else { return };
    let files = corpus_files(&root, |s| s.tool == "gitleaks" && s.format == "csv");
    assert_eq!(files.len(), 1, "expected v8_csv_simple.csv");
    for src in &files {
        let bytes = read(&root, &src.rel);
        let report = GitleaksCsv
            .parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert!(report.diagnostics.is_empty(), "{}", src.rel);
        assert_eq!(Some(report.occurrence_count()), src.findings, "{}", src.rel);
        let p = posture_parsers::detect(&bytes).unwrap_or_else(|e| panic!("{}: {e}", src.rel));
        assert_eq!(p.id(), "gitleaks-csv", "{}", src.rel);
        // no Secret or Match value of the report appears in the output
        let json = serde_json::to_string(&report).unwrap();
        let mut rdr = csv::Reader::from_reader(&bytes[..]);
        let headers = rdr.headers().unwrap().clone();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            for (h, v) in headers.iter().zip(rec.iter()) {
                if (h == "Secret" || h == "Match") && v.len() >= 4 {
                    assert!(!json.contains(v), "{}: plaintext {h} leaked", src.rel);
                }
            }
        }
        let occ = &report.runs[0].occurrences[0];
        assert_eq!(occ.rule_id, "test-rule");
        assert!(occ.secret.is_some());
        assert!(
            occ.description
                .as_deref()
                .unwrap_or("")
                .contains("tag1, tag2, tag3")
        );
    }
}
