//! Go coverage profiles (`go test -coverprofile=cover.out`, `go tool covdata textfmt`): a
//! first line `mode: set|count|atomic`, then one block per line,
//! `<file>:<startLine>.<startCol>,<endLine>.<endCol> <numStatements> <count>`. Every line of
//! a block gets the block's count; a line in several blocks (or a block repeated by a merged
//! profile) keeps the highest. The file is an import path (`github.com/acme/app/db/user.go`):
//! the path map of posture.toml joins it to the repository.

use super::{CoverageReport, FileCoverage, at_line, line_number};
use crate::{ParseError, ParseErrorKind};
use std::collections::BTreeMap;

/// Most lines one block may span (a profile saying more is broken, and would cost memory).
const MAX_BLOCK_LINES: u32 = 100_000;

pub(super) fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    let input = crate::json::strip_bom(input);
    let text = std::str::from_utf8(input)
        .map_err(|_| ParseError::new(ParseErrorKind::Syntax, "the file is not UTF-8 text"))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, first)) => {
            let mode = first.trim().strip_prefix("mode:").map(str::trim);
            if !matches!(mode, Some("set" | "count" | "atomic")) {
                return Err(ParseError::shape(format!(
                    "the first line is `{}`, a Go coverprofile starts with `mode: set`, `mode: count` or `mode: atomic`",
                    first.trim()
                ))
                .at(at_line(1)));
            }
        }
        None => return Err(ParseError::new(ParseErrorKind::Empty, "the file is empty")),
    }
    let mut files: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
    for (i, raw) in lines {
        let n = i + 1;
        let line = raw.trim();
        let bad = || {
            ParseError::shape(format!(
                "`{line}` is not `file.go:startLine.startCol,endLine.endCol statements count`"
            ))
            .at(at_line(n))
        };
        // The file name may hold `:` (Windows drive letters): the block starts after the last.
        let (file, rest) = line.rsplit_once(':').ok_or_else(bad)?;
        let mut fields = rest.split_whitespace();
        let range = fields.next().ok_or_else(bad)?;
        let _statements: u64 = fields.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let count: u64 = fields.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if fields.next().is_some() || file.trim().is_empty() {
            return Err(bad());
        }
        let (start, end) = range.split_once(',').ok_or_else(bad)?;
        let start_line = start.split_once('.').and_then(|(l, _)| line_number(l));
        let end_line = end.split_once('.').and_then(|(l, _)| line_number(l));
        let (Some(s), Some(e)) = (start_line, end_line) else {
            return Err(bad());
        };
        if e < s || e - s > MAX_BLOCK_LINES {
            return Err(ParseError::shape(format!(
                "the block of `{line}` ends (line {e}) before it starts (line {s}) or spans more than {MAX_BLOCK_LINES} lines"
            ))
            .at(at_line(n)));
        }
        let entry = files.entry(file.trim().to_string()).or_default();
        for l in s..=e {
            let h = entry.entry(l).or_insert(0);
            *h = (*h).max(count);
        }
    }
    Ok(CoverageReport {
        format: String::new(),
        generated_at: None,
        files: files
            .into_iter()
            .map(|(path, lines)| FileCoverage {
                path,
                lines: lines.into_iter().collect(),
            })
            .collect(),
    })
}
