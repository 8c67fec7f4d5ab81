//! Threat-intelligence feeds: the CISA Known Exploited Vulnerabilities catalog (JSON and CSV) and
//! the FIRST EPSS daily scores (CSV, plain or gzip).
//!
//! Every parser here is pure: bytes in, records out. Errors carry the 1-based line number of
//! the input where the problem is. Each parser accepts gzip-compressed input too (recognized by
//! its magic bytes `1f 8b`), decompressed in memory under a size cap
//! ([`max_decompressed_size`]), so that a gzip bomb fails with [`FeedError::TooLarge`] instead
//! of exhausting memory.
//!
//! [`detect_feed`] tells the three formats apart by content (looking through gzip).

mod epss;
mod kev;

pub use epss::{EpssFact, EpssFeed, EpssScore, parse_epss_csv, parse_epss_csv_with_limit};
pub use kev::{KevCatalog, KevEntry, KevFact, parse_kev_csv, parse_kev_json};

use serde::{Deserialize, Serialize};
use std::io::Read;

/// Absolute cap on a decompressed feed: 2 GiB.
pub const MAX_DECOMPRESSED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest expansion ratio allowed beyond the floor: 64 times the compressed size.
pub const MAX_EXPANSION_RATIO: u64 = 64;
/// Small inputs may always expand to this much (16 MiB).
pub const MIN_DECOMPRESSED_ALLOWANCE: u64 = 16 * 1024 * 1024;

/// The decompressed size allowed for a gzip input of `compressed_len` bytes:
/// `min(2 GiB, max(16 MiB, 64 x compressed_len))`. FIRST's EPSS file (~2.5 MB gzip, ~10 MB
/// CSV) expands about 4x; a gzip bomb expands about 1000x.
pub fn max_decompressed_size(compressed_len: usize) -> u64 {
    let ratio = (compressed_len as u64).saturating_mul(MAX_EXPANSION_RATIO);
    ratio.clamp(MIN_DECOMPRESSED_ALLOWANCE, MAX_DECOMPRESSED_BYTES)
}

/// A feed could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The input is not the expected format, or a record is wrong; `line` is 1-based.
    #[error("line {line}: {message}")]
    Syntax { line: u64, message: String },
    /// The gzip stream expands beyond the cap.
    #[error(
        "gzip input of {compressed} bytes expands beyond {limit} bytes; refused (a gzip bomb or \
         not a feed)"
    )]
    TooLarge { compressed: usize, limit: u64 },
    /// The gzip stream is corrupt.
    #[error("gzip: {0}")]
    Gzip(String),
}

impl FeedError {
    pub(crate) fn at(line: u64, message: impl Into<String>) -> Self {
        FeedError::Syntax {
            line,
            message: message.into(),
        }
    }
}

/// True when the bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompresses gzip input (all members) when it is gzip, under the cap `limit`; other input is
/// returned as is.
pub(crate) fn maybe_gunzip(
    bytes: &[u8],
    limit: u64,
) -> Result<std::borrow::Cow<'_, [u8]>, FeedError> {
    if !is_gzip(bytes) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(limit.saturating_add(1));
    decoder
        .read_to_end(&mut out)
        .map_err(|e| FeedError::Gzip(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(FeedError::TooLarge {
            compressed: bytes.len(),
            limit,
        });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Strips a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The feeds [`detect_feed`] recognizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedKind {
    /// CISA KEV catalog, JSON (`known_exploited_vulnerabilities.json`).
    KevJson,
    /// CISA KEV catalog, CSV (`known_exploited_vulnerabilities.csv`).
    KevCsv,
    /// FIRST EPSS scores, CSV (`epss_scores-YYYY-MM-DD.csv`), plain.
    EpssCsv,
    /// FIRST EPSS scores, gzip-compressed CSV (`epss_scores-YYYY-MM-DD.csv.gz`).
    EpssCsvGzip,
}

/// Recognizes a feed by its content: the KEV JSON by its `catalogVersion` or `cveID` keys, the
/// KEV CSV by its header, the EPSS CSV by its `#model_version:` line or `cve,epss,percentile`
/// header. Gzip input is looked through (only its first 64 KiB are decompressed).
pub fn detect_feed(bytes: &[u8]) -> Option<FeedKind> {
    if is_gzip(bytes) {
        let mut head = Vec::new();
        let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(64 * 1024);
        // A truncated or corrupt stream still yields its first bytes, which is enough here.
        let _ = decoder.read_to_end(&mut head);
        return match detect_plain(&head)? {
            FeedKind::EpssCsv | FeedKind::EpssCsvGzip => Some(FeedKind::EpssCsvGzip),
            // KEV is not published compressed; recognize it all the same so that callers can
            // pass it to the parsers, which look through gzip.
            other => Some(other),
        };
    }
    detect_plain(bytes)
}

fn detect_plain(bytes: &[u8]) -> Option<FeedKind> {
    let bytes = strip_bom(bytes);
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let looks_kev = trimmed.contains("\"catalogVersion\"")
            || (trimmed.contains("\"vulnerabilities\"") && trimmed.contains("\"cveID\""));
        return looks_kev.then_some(FeedKind::KevJson);
    }
    let mut lines = trimmed.lines().map(|l| l.trim().to_ascii_lowercase());
    let first = lines.next()?;
    if first.starts_with("#model_version") || first.starts_with("#score_date") {
        return Some(FeedKind::EpssCsv);
    }
    let header: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if header.first() == Some(&"cve") && header.contains(&"epss") {
        return Some(FeedKind::EpssCsv);
    }
    if header.first() == Some(&"cveid") && header.contains(&"vendorproject") {
        return Some(FeedKind::KevCsv);
    }
    None
}
