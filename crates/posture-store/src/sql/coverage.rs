//! Runtime coverage: which lines of an asset's files ran, and how often, per environment
//! (production, staging, test). A coverage ingest replaces the asset's coverage of its
//! environment (one transaction; the back end opens it and takes the asset's lock) and marks
//! the asset's findings to assess again. Each file is one row; its lines are kept as text,
//! `line:hits` pairs separated by spaces, sorted by line.

use super::{Db, Sql, Value, args};
use crate::stored::to_ms;
use crate::{CoverageFileRecord, CoverageImport, CoverageOutcome, StoreError};
use posture_model::coverage::CoverageEnvironment;

static CLEAR: Sql = Sql::new(
    "recording runtime coverage",
    "DELETE FROM runtime_coverage WHERE asset_id = ? AND environment = ?",
);

static INSERT: Sql = Sql::new(
    "recording runtime coverage",
    "INSERT INTO runtime_coverage
        (asset_id, environment, path, lines, report_name, report_sha256, format, recorded_at,
         ingested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
);

static INVALIDATE_ASSET_RISK: Sql = Sql::new(
    "recording runtime coverage",
    "UPDATE findings SET risk_score = -1 WHERE asset_id = ?",
);

static FILES: Sql = Sql::new(
    "reading runtime coverage",
    "SELECT a.name, c.environment, c.path, c.lines, c.report_name, c.format, c.recorded_at
       FROM runtime_coverage c
       JOIN assets a ON a.id = c.asset_id
      WHERE a.name = ANY(?)
      ORDER BY a.name COLLATE \"C\", c.environment COLLATE \"C\", c.path COLLATE \"C\"",
);

/// `line:hits` pairs, space-separated.
pub(crate) fn encode_lines(lines: &[(u32, u64)]) -> String {
    let mut out = String::with_capacity(lines.len() * 6);
    for (i, (l, h)) in lines.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&l.to_string());
        out.push(':');
        out.push_str(&h.to_string());
    }
    out
}

pub(crate) fn decode_lines(text: &str) -> Result<Vec<(u32, u64)>, StoreError> {
    text.split_ascii_whitespace()
        .map(|pair| {
            pair.split_once(':')
                .and_then(|(l, h)| Some((l.parse().ok()?, h.parse().ok()?)))
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("runtime coverage line `{pair}` is not line:hits"))
                })
        })
        .collect()
}

/// Replaces the coverage of (asset, environment) with the import's files, inside the caller's
/// transaction; the asset's findings are to assess again.
pub(crate) fn replace(
    db: &mut dyn Db,
    asset_id: i64,
    import: &CoverageImport,
) -> Result<CoverageOutcome, StoreError> {
    let env = import.environment.as_str();
    let replaced = db.execute(&CLEAR, args![asset_id, env])?;
    let recorded_at = to_ms(import.recorded_at);
    let ingested_at = to_ms(import.at);
    let mut lines = 0usize;
    let mut executed = 0usize;
    for f in &import.files {
        lines += f.lines.len();
        executed += f.lines.iter().filter(|(_, h)| *h > 0).count();
        let path = f.path.replace('\0', "\u{FFFD}");
        db.execute(
            &INSERT,
            args![
                asset_id,
                env,
                path,
                encode_lines(&f.lines),
                import.report.as_str(),
                import.sha256.as_str(),
                import.format.as_str(),
                recorded_at,
                ingested_at
            ],
        )?;
    }
    db.execute(&INVALIDATE_ASSET_RISK, args![asset_id])?;
    Ok(CoverageOutcome {
        asset: import.asset.clone(),
        environment: import.environment,
        report: import.report.clone(),
        format: import.format.clone(),
        recorded_at: import.recorded_at,
        files: import.files.len(),
        lines,
        executed_lines: executed,
        replaced_files: replaced as usize,
    })
}

/// The coverage of these assets, every environment.
pub(crate) fn coverage_files(
    db: &mut dyn Db,
    assets: &[String],
) -> Result<Vec<CoverageFileRecord>, StoreError> {
    let mut names: Vec<&str> = assets.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    db.rows(&FILES, args![Value::texts(names)], |r| {
        let env: String = r.get(1)?;
        let environment = CoverageEnvironment::parse(&env)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown coverage environment `{env}`")))?;
        let lines: String = r.get(3)?;
        Ok(CoverageFileRecord {
            asset: r.get(0)?,
            environment,
            path: r.get(2)?,
            lines: decode_lines(&lines)?,
            report: r.get(4)?,
            format: r.get(5)?,
            recorded_at: r.time(6)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let l = vec![(1, 0), (12, 12000), (40, u64::MAX)];
        assert_eq!(decode_lines(&encode_lines(&l)).unwrap(), l);
        assert_eq!(decode_lines("").unwrap(), vec![]);
        assert!(decode_lines("1:x").is_err());
    }
}
