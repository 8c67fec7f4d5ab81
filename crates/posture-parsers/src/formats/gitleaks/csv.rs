//! Gitleaks CSV reports (`gitleaks detect --report-format csv`), version 8.
//!
//! Shape: a header line naming the columns, then one leak per record. Current v8 writes
//! `RuleID,Commit,File,SymlinkFile,Secret,Match,StartLine,EndLine,StartColumn,EndColumn,Author,
//! Message,Date,Email,Fingerprint,Tags` (`Tags` space-separated in one column); older v8
//! releases lack `SymlinkFile` and `Tags`. Columns are read by their header name, so their
//! order and any extra column do not matter. Gitleaks writes nothing at all when nothing
//! leaked: a 0-byte file (or a header alone) is zero occurrences.
//!
//! Mapping: exactly the `gitleaks-json` one (the record is handed to the same conversion):
//! every leak is category **secret**, CWE-798, severity **high** (Gitleaks has no severity: a
//! live credential in a repository is incident-grade until proven revoked or fake), `rule_id` =
//! `RuleID`, location = `File` (else `SymlinkFile`) with lines and columns, commit and tags in
//! the description.
//!
//! Secrets: `Secret` becomes a hash and a masked preview at once (a `--redact`ed `REDACTED`
//! gives no hash); `Match` holds the secret and is never read. `Author`, `Email`, `Message`
//! and `Date` (commit metadata) are not kept. `Fingerprint` (`commit:file:rule:line`) depends
//! on the line and is not a tool fingerprint.
//!
//! Locator: `line:N`, the line where the record starts (the header is line 1). A record that
//! cannot be read (wrong number of fields, invalid UTF-8) is a Skipped diagnostic; the others
//! are kept.

use super::json::{Leak, to_occurrence};
use crate::json;
use crate::{BareEmpty, Confidence, ParseError, ParseErrorKind, Parser, Position, Sniff};
use posture_model::{Category, ParsedReport, ToolInfo, ToolRun};

pub struct GitleaksCsv;

/// The columns the conversion reads (others are ignored).
const READ: &[&str] = &[
    "RuleID",
    "Commit",
    "File",
    "SymlinkFile",
    "Secret",
    "StartLine",
    "EndLine",
    "StartColumn",
    "EndColumn",
    "Tags",
];

impl Parser for GitleaksCsv {
    fn id(&self) -> &'static str {
        "gitleaks-csv"
    }

    fn description(&self) -> &'static str {
        "Gitleaks v8 CSV report (--report-format csv)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        let header = s.head.lines().next().unwrap_or("").trim_end();
        if !header.starts_with("RuleID,") {
            return Confidence::NO;
        }
        let cols: Vec<&str> = header.split(',').map(str::trim).collect();
        let has = |c: &str| cols.contains(&c);
        if has("Secret") && has("File") && (has("Match") || has("Commit")) {
            Confidence::CERTAIN
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        let mut occurrences = Vec::new();
        let mut diagnostics = Vec::new();
        if !json::is_blank(body) {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(body);
            let headers = reader
                .headers()
                .map_err(|e| csv_error(&e, "cannot read the CSV header"))?
                .clone();
            let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
            if !names.iter().any(|n| n == "RuleID")
                || !names.iter().any(|n| n == "File" || n == "Secret")
            {
                return Err(ParseError::shape(
                    "not a Gitleaks CSV report: expected a header line starting \
                     `RuleID,Commit,File,SymlinkFile,Secret,...` (gitleaks --report-format csv)",
                )
                .at(Position::LineColumn { line: 1, column: 1 }));
            }
            for record in reader.records() {
                let record = match record {
                    Ok(r) => r,
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        diagnostics.push(json::skipped(
                            &format!("line:{line}"),
                            format!("record skipped: {}", csv_message(&e)),
                        ));
                        continue;
                    }
                };
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let locator = format!("line:{line}");
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let mut obj = serde_json::Map::new();
                for (name, value) in names.iter().zip(record.iter()) {
                    if READ.contains(&name.as_str()) && !value.is_empty() {
                        obj.insert(name.clone(), serde_json::Value::String(value.to_string()));
                    }
                }
                match serde_json::from_value::<Leak>(serde_json::Value::Object(obj)) {
                    Ok(leak) => occurrences.push(to_occurrence(leak, locator)),
                    // the error text could quote a field (the secret): not kept
                    Err(_) => diagnostics.push(json::skipped(
                        &locator,
                        "record skipped: its fields do not fit a Gitleaks leak",
                    )),
                }
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("gitleaks", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// The csv error's message without its position (carried as a locator or position instead).
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the record is not valid UTF-8".to_string(),
        _ => e.to_string(),
    }
}

fn csv_error(e: &csv::Error, what: &str) -> ParseError {
    let err = ParseError::new(
        ParseErrorKind::Syntax,
        format!("{what}: {}", csv_message(e)),
    );
    match e.position() {
        Some(p) => err.at(Position::LineColumn {
            line: usize::try_from(p.line()).unwrap_or(usize::MAX),
            column: 1,
        }),
        None => err,
    }
}
