//! FIRST EPSS daily scores (`epss_scores-YYYY-MM-DD.csv[.gz]`).
//!
//! ```text
//! #model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000
//! cve,epss,percentile
//! CVE-1999-0001,0.01151,0.78142
//! ```
//!
//! The comment line is optional (older files and some copies lack it); its `key:value` pairs are
//! kept (`model_version`, `score_date`). The header `cve,epss,percentile` is required. Both
//! numbers must lie in 0..=1. A CVE listed twice keeps its first row and is counted in
//! [`EpssFeed::duplicate_rows`].

use super::{FeedError, max_decompressed_size, maybe_gunzip, strip_bom};
use jiff::civil::Date;
use posture_model::normalize_vuln_id;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Normalized (`CVE-2021-44228`).
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub epss: f64,
    /// Rank of this score among all scored CVEs that day, 0..=1.
    pub percentile: f64,
}

/// A parsed EPSS file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssFeed {
    /// `v2025.03.14`, from the comment line.
    pub model_version: Option<String>,
    /// The comment line's `score_date` as written (`2025-08-25T00:00:00+0000`).
    pub score_date_raw: Option<String>,
    /// Its calendar day.
    pub score_date: Option<Date>,
    pub scores: Vec<EpssScore>,
    /// Rows whose CVE was already listed (the first row is kept).
    pub duplicate_rows: usize,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// What the risk model needs to know of a CVE's EPSS score.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EpssFact {
    pub probability: f64,
    pub percentile: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_date: Option<Date>,
    /// Where the score comes from when it is not an imported feed (a scanner's report); the
    /// risk term names it instead of `EPSS <date> model <version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl EpssFact {
    /// A fact without provenance (tests, or a score a scanner reported).
    pub fn new(probability: f64, percentile: f64) -> Self {
        EpssFact {
            probability,
            percentile,
            model_version: None,
            score_date: None,
            source: None,
        }
    }
}

impl EpssFeed {
    /// The row for a CVE id (any case).
    pub fn get(&self, cve: &str) -> Option<&EpssScore> {
        let i = *self.index.get(&normalize_vuln_id(cve))?;
        self.scores.get(i)
    }

    /// The risk model's view of a CVE's score, with the feed's provenance.
    pub fn fact(&self, cve: &str) -> Option<EpssFact> {
        let s = self.get(cve)?;
        Some(EpssFact {
            probability: s.epss,
            percentile: s.percentile,
            model_version: self.model_version.clone(),
            score_date: self.score_date,
            source: None,
        })
    }
}

/// Parses an EPSS CSV, plain or gzip, with the default decompression cap
/// ([`super::max_decompressed_size`]).
pub fn parse_epss_csv(bytes: &[u8]) -> Result<EpssFeed, FeedError> {
    parse_epss_csv_with_limit(bytes, max_decompressed_size(bytes.len()))
}

/// Parses an EPSS CSV, refusing gzip input that decompresses to more than `limit` bytes.
pub fn parse_epss_csv_with_limit(bytes: &[u8], limit: u64) -> Result<EpssFeed, FeedError> {
    let data = maybe_gunzip(bytes, limit)?;
    let body = strip_bom(&data);
    let text = std::str::from_utf8(body).map_err(|e| {
        // Count the lines before the bad byte so the error still names a line.
        let line = 1 + body
            .get(..e.valid_up_to())
            .unwrap_or_default()
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        FeedError::at(line, format!("EPSS: not UTF-8: {e}"))
    })?;

    let mut model_version = None;
    let mut score_date_raw = None;
    let mut header_seen = false;
    let mut scores = Vec::new();
    let mut index = HashMap::new();
    let mut duplicate_rows = 0;

    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw_line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if header_seen {
                return Err(FeedError::at(
                    line_no,
                    "EPSS: comment line after the header",
                ));
            }
            for pair in comment.split(',') {
                if let Some((k, v)) = pair.split_once(':') {
                    match k.trim() {
                        "model_version" => model_version = Some(v.trim().to_string()),
                        "score_date" => score_date_raw = Some(v.trim().to_string()),
                        _ => {}
                    }
                }
            }
            continue;
        }
        if !header_seen {
            let cols: Vec<String> = line
                .split(',')
                .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
                .collect();
            if cols != ["cve", "epss", "percentile"] {
                return Err(FeedError::at(
                    line_no,
                    format!("EPSS: expected the header `cve,epss,percentile`, found `{line}`"),
                ));
            }
            header_seen = true;
            continue;
        }
        let mut fields = line.split(',').map(str::trim);
        let (Some(cve), Some(epss), Some(pct), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(FeedError::at(
                line_no,
                format!("EPSS: expected 3 fields (cve,epss,percentile), found `{line}`"),
            ));
        };
        if cve.is_empty() {
            return Err(FeedError::at(line_no, "EPSS: empty CVE id"));
        }
        let epss = probability(epss)
            .map_err(|m| FeedError::at(line_no, format!("EPSS: epss of {cve}: {m}")))?;
        let percentile = probability(pct)
            .map_err(|m| FeedError::at(line_no, format!("EPSS: percentile of {cve}: {m}")))?;
        let cve = normalize_vuln_id(cve);
        if index.contains_key(&cve) {
            duplicate_rows += 1;
            continue;
        }
        index.insert(cve.clone(), scores.len());
        scores.push(EpssScore {
            cve,
            epss,
            percentile,
        });
    }
    if !header_seen {
        return Err(FeedError::at(
            1,
            "EPSS: no `cve,epss,percentile` header (empty or not an EPSS file)",
        ));
    }
    let score_date = score_date_raw
        .as_deref()
        .and_then(|d| d.get(..10))
        .and_then(|d| d.parse::<Date>().ok());
    Ok(EpssFeed {
        model_version,
        score_date_raw,
        score_date,
        scores,
        duplicate_rows,
        index,
    })
}

fn probability(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{v} is outside 0..=1"));
    }
    Ok(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SAMPLE: &str = "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n\
cve,epss,percentile\r\n\
CVE-2021-44228,0.94358,0.99950\n\
cve-1999-0001,0.01151,0.78142\n";

    #[test]
    fn keeps_model_version_and_score_date() {
        let f = parse_epss_csv(SAMPLE.as_bytes()).unwrap();
        assert_eq!(f.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(
            f.score_date_raw.as_deref(),
            Some("2025-08-25T00:00:00+0000")
        );
        assert_eq!(f.score_date, Some(jiff::civil::date(2025, 8, 25)));
        assert_eq!(f.scores.len(), 2);
        let fact = f.fact("CVE-1999-0001").unwrap();
        assert_eq!((fact.probability, fact.percentile), (0.01151, 0.78142));
        assert_eq!(fact.model_version.as_deref(), Some("v2025.03.14"));
    }

    #[test]
    fn errors_name_the_line() {
        let bad = SAMPLE.replace("0.01151", "1.5");
        let e = parse_epss_csv(bad.as_bytes()).unwrap_err();
        assert!(matches!(&e, FeedError::Syntax { line: 4, .. }), "{e}");
        assert!(e.to_string().contains("outside"), "{e}");
        let e = parse_epss_csv(b"#x:y\ncve,score\n").unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 2, .. }), "{e}");
        let e = parse_epss_csv(b"cve,epss,percentile\nCVE-1,0.1\n").unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 2, .. }), "{e}");
        let e = parse_epss_csv(b"").unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 1, .. }), "{e}");
        let e = parse_epss_csv(b"cve,epss,percentile\nCVE-1,0.1,0.2\n\xff\n").unwrap_err();
        assert!(matches!(e, FeedError::Syntax { line: 3, .. }), "{e}");
    }

    #[test]
    fn duplicates_keep_the_first_row() {
        let f = parse_epss_csv(b"cve,epss,percentile\nCVE-1,0.1,0.2\nCVE-1,0.9,0.9\n").unwrap();
        assert_eq!(f.duplicate_rows, 1);
        assert_eq!(f.get("cve-1").unwrap().epss, 0.1);
        assert_eq!(f.model_version, None);
    }
}
