//! CSV export: one row per finding, stable columns ([`CSV_COLUMNS`], only ever appended to),
//! RFC 4180 (comma, CRLF line ends, quotes doubled), UTF-8 without BOM.
//!
//! Spreadsheet formula injection: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage
//! return gets a leading `'` (OWASP's advice), because titles and paths come from scanned code
//! and scanner output, which an attacker can influence. Numbers written by Posture itself
//! (scores) never start with such a character.

use crate::{ExportError, ExportFinding};

/// The columns, in order. New columns are only appended, so positional readers keep working.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "uid",
    "asset",
    "status",
    "severity",
    "category",
    "title",
    "rule_id",
    "tools",
    "vulnerability_ids",
    "cwes",
    "package",
    "package_version",
    "fixed_versions",
    "purl",
    "path",
    "line",
    "location",
    "first_seen",
    "last_seen",
    "fixed_at",
    "reopened",
    "risk_score",
    "risk_band",
    "team",
    "triage_reason",
];

/// Writes the findings as CSV with a header row.
pub fn write_csv(findings: &[ExportFinding]) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for f in findings {
        let pkg = f.package.as_ref();
        let row: Vec<String> = vec![
            f.id.to_string(),
            f.uid.clone(),
            f.asset.clone(),
            f.status.to_string(),
            f.severity.to_string(),
            f.category.to_string(),
            f.title.clone(),
            f.rule_id.clone(),
            f.tools.join(";"),
            f.vulnerability_ids.join(";"),
            f.cwes
                .iter()
                .map(|c| format!("CWE-{c}"))
                .collect::<Vec<_>>()
                .join(";"),
            pkg.map(|p| p.name.clone()).unwrap_or_default(),
            pkg.and_then(|p| p.version.clone()).unwrap_or_default(),
            pkg.map(|p| p.fixed_versions.join(";")).unwrap_or_default(),
            pkg.map(crate::purl_of).unwrap_or_default(),
            f.location.path.clone().unwrap_or_default(),
            f.location
                .start_line
                .map(|l| l.to_string())
                .unwrap_or_default(),
            f.location.short(),
            crate::rfc3339(f.first_seen),
            crate::rfc3339(f.last_seen),
            f.fixed_at.map(crate::rfc3339).unwrap_or_default(),
            f.reopened.to_string(),
            f.risk_score.map(|s| format!("{s:.1}")).unwrap_or_default(),
            f.risk_band.clone().unwrap_or_default(),
            f.team.clone().unwrap_or_default(),
            f.triage_reason.clone().unwrap_or_default(),
        ];
        w.write_record(row.iter().map(|c| defuse(c).into_owned()))?;
    }
    w.flush().map_err(|e| ExportError::Csv(e.into()))?;
    w.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}

/// Prefixes a cell a spreadsheet would read as a formula with `'` (every CSV Posture writes
/// goes through it).
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}
