//! lcov tracefiles (`geninfo`, `c8`/`nyc`/istanbul, `cargo llvm-cov --lcov`, `coverage lcov`,
//! `go tool covdata` converters...). The format, from `man geninfo`: records of
//! `SF:<source file>` ... `end_of_record`; inside, `DA:<line>,<hits>[,<checksum>]` gives the
//! execution count of a line. `TN:`, `FN:`, `FNDA:`, `FNF:`, `FNH:`, `BRDA:`, `BRF:`, `BRH:`,
//! `LF:`, `LH:`, `VER:` and unknown keys are read past (hits per line are all we need).

use super::{CoverageReport, FileCoverage, at_line, line_number};
use crate::{ParseError, ParseErrorKind};

pub(super) fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    let input = crate::json::strip_bom(input);
    let text = std::str::from_utf8(input).map_err(|e| {
        let line = input[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        ParseError::new(ParseErrorKind::Syntax, "the file is not UTF-8 text").at(at_line(line))
    })?;
    let mut report = CoverageReport::default();
    // The file being read and the line of its `SF:`.
    let mut current: Option<(FileCoverage, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "end_of_record" {
            match current.take() {
                Some((f, _)) => report.files.push(f),
                None => {
                    return Err(
                        ParseError::shape("`end_of_record` without an `SF:` before it")
                            .at(at_line(n)),
                    );
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(ParseError::new(
                ParseErrorKind::Syntax,
                format!(
                    "expected `KEY:value` or `end_of_record`, found `{}`",
                    short(line)
                ),
            )
            .at(at_line(n)));
        };
        match key {
            "SF" => {
                if let Some((_, sf)) = &current {
                    return Err(ParseError::shape(format!(
                        "`SF:` before the `end_of_record` of the file opened at line {sf}"
                    ))
                    .at(at_line(n)));
                }
                let path = value.trim();
                if path.is_empty() {
                    return Err(ParseError::shape("`SF:` without a file name").at(at_line(n)));
                }
                current = Some((
                    FileCoverage {
                        path: path.to_string(),
                        lines: Vec::new(),
                    },
                    n,
                ));
            }
            "DA" => {
                let Some((f, _)) = current.as_mut() else {
                    return Err(
                        ParseError::shape("`DA:` outside a file (no `SF:` before it)")
                            .at(at_line(n)),
                    );
                };
                let mut parts = value.split(',');
                let l = parts.next().and_then(line_number);
                // Some writers (gcov on overflow) print negative counts: read as 0.
                let h = parts.next().map(str::trim).and_then(|h| {
                    h.parse::<u64>()
                        .ok()
                        .or_else(|| h.parse::<i64>().ok().map(|_| 0))
                        .or_else(|| {
                            h.parse::<f64>()
                                .ok()
                                .filter(|x| x.is_finite())
                                .map(|x| x.max(0.0) as u64)
                        })
                });
                match (l, h) {
                    (Some(l), Some(h)) => f.lines.push((l, h)),
                    _ => {
                        return Err(ParseError::shape(format!(
                            "`DA:{}` is not `DA:<line>,<hits>` (a line number >= 1 and a count)",
                            short(value)
                        ))
                        .at(at_line(n)));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((f, sf)) = current {
        return Err(ParseError::new(
            ParseErrorKind::Truncated,
            format!(
                "the report is truncated: the record of `{}` opened at line {sf} has no `end_of_record`",
                f.path
            ),
        )
        .at(at_line(text.lines().count().max(1))));
    }
    Ok(report)
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}
