//! coverage.py JSON (`coverage json`, format 2 and 3): `meta.timestamp` (ISO 8601 without a
//! zone, the machine's local time: read as UTC) and `files`, a map from path to
//! `executed_lines` and `missing_lines`. coverage.py records whether a line ran, not how often:
//! an executed line counts 1 hit, a missing one 0. Excluded lines are not instrumented.

use super::{CoverageReport, FileCoverage};
use crate::json::pointer;
use crate::{ParseError, Position};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Doc {
    meta: Option<Meta>,
    files: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Meta {
    timestamp: Option<String>,
}

pub(super) fn parse(input: &[u8]) -> Result<CoverageReport, ParseError> {
    let doc: Doc = crate::json::from_slice(input)?;
    let Some(files) = doc.files else {
        return Err(ParseError::shape(
            "no `files` object: not a coverage.py JSON report (`coverage json`)",
        )
        .at(Position::Pointer("/files".into())));
    };
    let mut report = CoverageReport {
        generated_at: doc
            .meta
            .and_then(|m| m.timestamp)
            .and_then(|t| t.parse::<jiff::civil::DateTime>().ok())
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp()),
        ..CoverageReport::default()
    };
    for (path, v) in files {
        let at = pointer("/files", &path);
        let mut file = FileCoverage {
            path: path.replace('\\', "/"),
            lines: Vec::new(),
        };
        for (key, hits) in [("executed_lines", 1u64), ("missing_lines", 0u64)] {
            let Some(list) = v.get(key) else {
                if key == "executed_lines" {
                    return Err(ParseError::shape("a file without `executed_lines`")
                        .at(Position::Pointer(at)));
                }
                continue;
            };
            let Some(items) = list.as_array() else {
                return Err(
                    ParseError::shape(format!("`{key}` is not a list of line numbers"))
                        .at(Position::Pointer(pointer(&at, key))),
                );
            };
            for (i, item) in items.iter().enumerate() {
                let Some(l) = item
                    .as_u64()
                    .filter(|l| *l >= 1)
                    .and_then(|l| u32::try_from(l).ok())
                else {
                    return Err(
                        ParseError::shape(format!("`{item}` is not a line number >= 1")).at(
                            Position::Pointer(crate::json::pointer_index(&pointer(&at, key), i)),
                        ),
                    );
                };
                file.lines.push((l, hits));
            }
        }
        report.files.push(file);
    }
    Ok(report)
}
