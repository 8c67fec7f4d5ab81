//! Threat feeds kept fresh: where `posture feeds update` reads CISA KEV and FIRST EPSS
//! (posture.toml `[feeds]`: a URL where a network exists, a file otherwise), and how old the
//! imported ones are. A stale feed is said by the CLI, the API and the dashboard, because a
//! ranking built on last month's KEV catalog misses what attackers use this week.

use crate::AppError;
use crate::risk::{FeedImportOutcome, MAX_FEED_BYTES, RiskConfig};
use posture_model::Timestamp;
use posture_store::{FeedImportRecord, Store};
use serde::Serialize;
use std::path::Path;

/// How fresh one feed is.
#[derive(Debug, Clone, Serialize)]
pub struct FeedFreshness {
    /// `kev` or `epss`.
    pub kind: String,
    /// `CISA KEV catalog` or `FIRST EPSS scores`.
    pub name: String,
    /// Where `posture feeds update` reads it (posture.toml `[feeds]`), if configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The last import, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_import: Option<FeedImportRecord>,
    /// Whole days since the last import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    pub max_age_days: u32,
    /// Older than `max_age_days`, or configured and never imported.
    pub stale: bool,
    /// What a person should read, when the feed is stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

const KINDS: [(&str, &str); 2] = [("kev", "CISA KEV catalog"), ("epss", "FIRST EPSS scores")];

/// The freshness of both feeds at `now`. A feed that was never imported and is not
/// configured is not stale (the installation does not use it); one imported once, or named
/// in `[feeds]`, is expected to stay fresh.
pub fn freshness(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    now: Timestamp,
) -> Result<Vec<FeedFreshness>, AppError> {
    let imports = store.feed_imports()?;
    let feeds = config
        .map(|c| c.portfolio.feeds().clone())
        .unwrap_or_default();
    let max_age_days = feeds.max_age_days();
    let mut out = Vec::new();
    for (kind, name) in KINDS {
        let source = match kind {
            "kev" => feeds.kev.clone(),
            _ => feeds.epss.clone(),
        };
        // newest first
        let last = imports
            .iter()
            .filter(|i| i.kind == kind)
            .max_by_key(|i| i.imported_at)
            .cloned();
        let age_days = last
            .as_ref()
            .map(|l| (now.as_millisecond() - l.imported_at.as_millisecond()).max(0) / 86_400_000);
        let (stale, warning) = match (&last, age_days) {
            (Some(_), Some(age)) if age > i64::from(max_age_days) => (
                true,
                Some(format!(
                    "the {name} was last imported {age} days ago (more than {max_age_days}): \
                     exploitation evidence may be missing; run `posture feeds update`"
                )),
            ),
            (None, _) if source.is_some() => (
                true,
                Some(format!(
                    "the {name} is configured but was never imported: run `posture feeds update`"
                )),
            ),
            _ => (false, None),
        };
        out.push(FeedFreshness {
            kind: kind.to_string(),
            name: name.to_string(),
            source,
            last_import: last,
            age_days,
            max_age_days,
            stale,
            warning,
        });
    }
    Ok(out)
}

/// Reads the bytes of a feed source: `https://` / `http://` through the HTTP client, else a
/// file (relative to posture.toml's folder).
pub trait FeedSource {
    fn read(&self, source: &str, base: &Path) -> Result<(String, Vec<u8>), AppError>;
}

/// Files, and URLs over the network.
pub struct NetworkOrFile {
    pub client: posture_integrations::http::HttpClient,
}

impl FeedSource for NetworkOrFile {
    fn read(&self, source: &str, base: &Path) -> Result<(String, Vec<u8>), AppError> {
        if source.starts_with("https://") || source.starts_with("http://") {
            let bytes = self
                .client
                .download(source, MAX_FEED_BYTES)
                .map_err(|e| AppError::Invalid(format!("cannot download the feed: {e}")))?;
            return Ok((
                source.split('?').next().unwrap_or(source).to_string(),
                bytes,
            ));
        }
        let path = base.join(source);
        let file = path.display().to_string();
        let size = std::fs::metadata(&path)
            .map_err(|error| AppError::Read {
                file: file.clone(),
                error,
            })?
            .len();
        if size > MAX_FEED_BYTES {
            return Err(AppError::TooLarge {
                file,
                size,
                limit: MAX_FEED_BYTES,
            });
        }
        let bytes = std::fs::read(&path).map_err(|error| AppError::Read {
            file: file.clone(),
            error,
        })?;
        Ok((file, bytes))
    }
}

/// Imports every feed `[feeds]` names, KEV first. Each source must hold the feed it is named
/// for (a KEV file under `epss` is refused). Nothing configured is an error saying what to
/// write.
pub fn update(
    store: &dyn Store,
    config: &RiskConfig,
    source: &dyn FeedSource,
    at: Timestamp,
) -> Result<Vec<FeedImportOutcome>, AppError> {
    let feeds = config.portfolio.feeds();
    let base = config
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let named: Vec<(&str, &String)> = [("kev", &feeds.kev), ("epss", &feeds.epss)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
    if named.is_empty() {
        return Err(AppError::Invalid(format!(
            "{}: no feed to update: add a [feeds] table with `kev` and `epss` (a URL or a file), e.g.\n\n\
             [feeds]\n\
             kev = \"https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json\"\n\
             epss = \"https://epss.empiricalsecurity.com/epss_scores-current.csv.gz\"",
            config.path.display()
        )));
    }
    // Read everything first: a failed download imports nothing.
    let mut read = Vec::new();
    for (kind, src) in named {
        let (name, bytes) = source.read(src, &base)?;
        let detected = posture_risk::detect_feed(&bytes);
        let is_kev = matches!(
            detected,
            Some(posture_risk::FeedKind::KevJson | posture_risk::FeedKind::KevCsv)
        );
        if detected.is_some() && is_kev != (kind == "kev") {
            return Err(AppError::Invalid(format!(
                "{name}: [feeds] {kind} names a file that is not a {} feed",
                if kind == "kev" {
                    "CISA KEV"
                } else {
                    "FIRST EPSS"
                }
            )));
        }
        read.push((name, bytes));
    }
    read.into_iter()
        .map(|(name, bytes)| crate::risk::import_feed(store, &name, &bytes, at))
        .collect()
}
