//! Readers for code coverage and execution counts: bytes in, per-file line hits out
//! ([`CoverageReport`]). They are not scanner formats (a coverage report never creates a
//! finding), so they are not in the registry; `posture ingest --kind runtime` reads them as
//! runtime evidence of which code runs.
//!
//! | id | format | hits |
//! |---|---|---|
//! | `lcov` | lcov tracefile (`.info`: `SF:`, `DA:line,hits`, `end_of_record`) | counted |
//! | `jacoco-xml` | JaCoCo XML report (`<report>`, `<sourcefile>`, `<line nr ci>`) | 1 when a covered instruction ran (`ci > 0`), else 0 |
//! | `cobertura-xml` | Cobertura XML (`<coverage>`, `<class filename>`, `<line number hits>`) | counted |
//! | `coveragepy-json` | coverage.py JSON (`coverage json`: `files.*.executed_lines`, `missing_lines`) | 1 executed, 0 missing |
//! | `go-coverprofile` | Go coverprofile (`mode:` then `file:l.c,l.c stmts count`) | counted (`mode: set`: 0 or 1); a line in several blocks keeps the highest count |
//!
//! Pure, like the rest of the crate: no I/O, never panics on input; a broken report is a
//! [`ParseError`] naming the line (text formats) or the element (XML, an XPath) at fault. XML
//! goes through the crate's safe reader ([`crate::xml`]: no entity expansion, depth caps).

mod cobertura;
mod coveragepy;
mod gocover;
mod jacoco;
mod lcov;

pub use posture_model::coverage::{CoverageEnvironment, CoverageReport, FileCoverage};

use crate::{ParseError, ParseErrorKind};

/// Every coverage format: `(id, description)`.
pub const FORMATS: &[(&str, &str)] = &[
    ("lcov", "lcov tracefile (.info)"),
    ("jacoco-xml", "JaCoCo XML report"),
    ("cobertura-xml", "Cobertura XML report"),
    ("coveragepy-json", "coverage.py JSON report (coverage json)"),
    (
        "go-coverprofile",
        "Go coverage profile (go test -coverprofile)",
    ),
];

/// How much of the head of a file [`detect`] reads.
const HEAD: usize = 8192;

fn head_text(input: &[u8]) -> String {
    let input = crate::json::strip_bom(input);
    let head = &input[..input.len().min(HEAD)];
    String::from_utf8_lossy(head).into_owned()
}

/// The coverage format of these bytes, from their content (never the file name); `None` when
/// they are none of [`FORMATS`].
pub fn detect(input: &[u8]) -> Option<&'static str> {
    let head = head_text(input);
    let t = head.trim_start();
    if t.starts_with("mode:") {
        return Some("go-coverprofile");
    }
    if t.starts_with('{') {
        let files = t.contains("\"files\"");
        let meta = t.contains("\"meta\"") || t.contains("\"executed_lines\"");
        return (files && meta).then_some("coveragepy-json");
    }
    if t.starts_with('<') {
        if root_is(t, "report")
            && (t.contains("JACOCO")
                || t.contains("<sessioninfo")
                || t.contains("<package")
                || t.contains("<counter"))
        {
            return Some("jacoco-xml");
        }
        if root_is(t, "coverage")
            && (t.contains("line-rate") || t.contains("<packages") || t.contains("<sources"))
        {
            return Some("cobertura-xml");
        }
        return None;
    }
    let first = t.lines().map(str::trim).find(|l| !l.is_empty())?;
    ["TN:", "SF:"]
        .iter()
        .any(|p| first.starts_with(p))
        .then_some("lcov")
}

/// Whether the first element of an XML head is `<name` (after the prolog, comments and a
/// DOCTYPE).
fn root_is(head: &str, name: &str) -> bool {
    let mut rest = head;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            match r.find("?>") {
                Some(i) => rest = &r[i + 2..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix("<!--") {
            match r.find("-->") {
                Some(i) => rest = &r[i + 3..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix("<!") {
            // A DOCTYPE's internal subset (`[...]`) holds `>`s of its own.
            let close = match (r.find('['), r.find('>')) {
                (Some(b), Some(g)) if b < g => r.find("]>").map(|i| i + 1),
                (_, g) => g,
            };
            match close {
                Some(i) => rest = &r[i + 1..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix('<') {
            let tag: String = r
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            let local = tag.rsplit(':').next().unwrap_or("");
            return local == name;
        } else {
            return false;
        }
    }
}

/// Reads a coverage report in the format `id` (one of [`FORMATS`]).
pub fn parse_as(id: &str, input: &[u8]) -> Result<CoverageReport, ParseError> {
    let mut report = match id {
        "lcov" => lcov::parse(input)?,
        "jacoco-xml" => jacoco::parse(input)?,
        "cobertura-xml" => cobertura::parse(input)?,
        "coveragepy-json" => coveragepy::parse(input)?,
        "go-coverprofile" => gocover::parse(input)?,
        other => {
            return Err(ParseError::new(
                ParseErrorKind::Shape,
                format!(
                    "unknown coverage format `{other}` (known: {})",
                    FORMATS
                        .iter()
                        .map(|(id, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    report.format = id.to_string();
    report.normalize();
    Ok(report)
}

/// Detects the format and reads the report.
pub fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    match detect(input) {
        Some(id) => parse_as(id, input),
        None if crate::json::is_blank(crate::json::strip_bom(input)) => Err(ParseError::new(
            ParseErrorKind::Empty,
            "the file is empty (an lcov file with no record still has a `TN:` or `SF:` line)",
        )),
        None => Err(ParseError::shape(
            "not a coverage report: expected lcov (`SF:`/`TN:` lines), JaCoCo XML (`<report>`), \
             Cobertura XML (`<coverage line-rate=...>`), coverage.py JSON (`meta` and `files`) \
             or a Go coverprofile (`mode:` first)",
        )),
    }
}

/// A 1-based text line as a position.
pub(crate) fn at_line(line: usize) -> crate::Position {
    crate::Position::LineColumn { line, column: 1 }
}

/// Reads a non-negative integer attribute of an XML element, or an error naming it.
pub(crate) fn xml_count(
    el: &crate::xml::Element,
    attr: &str,
    at: &str,
) -> Result<Option<u64>, ParseError> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            ParseError::shape(format!(
                "attribute `{attr}` is `{v}`, expected a whole number >= 0"
            ))
            .at(crate::Position::Pointer(at.to_string()))
        }),
    }
}

/// A line number (1 or more) from text, or an error.
pub(crate) fn line_number(v: &str) -> Option<u32> {
    v.trim().parse::<u32>().ok().filter(|n| *n >= 1)
}

/// A Unix time given in seconds or milliseconds (a value above 10^11 is taken as ms).
pub(crate) fn unix_time(v: &str) -> Option<posture_model::Timestamp> {
    let n: i64 = v.trim().parse().ok()?;
    if n <= 0 {
        return None;
    }
    if n > 100_000_000_000 {
        jiff::Timestamp::from_millisecond(n).ok()
    } else {
        jiff::Timestamp::from_second(n).ok()
    }
}

#[cfg(test)]
mod tests;
