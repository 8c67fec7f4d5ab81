//! CVSS: scoring a vector string, and choosing which of a finding's ratings counts.
//!
//! Scoring is done by the RustSec [`cvss`](https://docs.rs/cvss) crate, which implements the
//! FIRST specifications for CVSS v2.0, v3.0, v3.1 and v4.0 and is itself tested against the
//! Red Hat test-vector suite. Posture adds only the tolerant front door ([`score_vector`]:
//! surrounding whitespace and parentheses, the non-standard `CVSS:2.0/` prefix some tools
//! write) and the choice between several ratings ([`best_rating`]).
//!
//! ## Which rating counts
//!
//! A finding may carry several ratings (NVD, the vendor, GHSA, the scanner's own). All are
//! kept; [`best_rating`] evaluates each one and names the one that counts, by this order:
//!
//! 1. a CVSS **v4.0 vector from NVD**;
//! 2. a CVSS **v3.1 vector from NVD**;
//! 3. a rating from **GHSA or a vendor** (a CNA or distribution: `ghsa`, `github`, `redhat`,
//!    `debian`, `ubuntu`, `suse`, `microsoft`, ... see [`VENDOR_SOURCES`]);
//! 4. **any other** rating (other NVD ratings such as v3.0 or v2, a scanner's own rating).
//!
//! Within one rank, a rating with a vector that scores wins over one with only a stated score,
//! then the newer CVSS version, then the earlier position in the input. A rating whose vector
//! does not parse and that states no score cannot be used.
//!
//! **OS packages: the distribution's rating counts.** For a package of a distribution
//! (`deb`, `rpm`, `apk`... see [`is_os_package`]), a rating by the distribution itself
//! ([`DISTRIBUTION_SOURCES`]: Trivy's `VendorSeverity`/`SeveritySource`, Grype's distro
//! namespace) counts over NVD's: [`distribution_rating`] names it. Its CVSS rating counts when
//! it gave one (Red Hat does), else its severity word. Every other rating is kept and shown.
//!
//! When a rating has a vector, the score that counts is **recomputed from the vector**; when the
//! stated score differs from the computed one by more than 0.05, the evaluation says so
//! (`disagreement`). Stated scores outside 0..=10 are ignored.

use posture_model::{CvssRating, Severity};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scored CVSS vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    pub version: CvssVersion,
    /// The vector as the `cvss` crate prints it back (canonical metric order for v3/v4).
    pub vector: String,
    /// The base score (v2, v3.x). For v4.0 this is the score the vector's metric groups call
    /// for, named by [`CvssScore::nomenclature`] (`CVSS-B` for base metrics only, `CVSS-BT` with
    /// threat metrics, `CVSS-BE`/`CVSS-BTE` with environmental ones).
    pub base_score: f64,
    /// The qualitative rating the specification gives the score. CVSS v2 has no `critical`:
    /// NVD's v2 bands (low < 4.0 <= medium < 7.0 <= high) are used there. `none` maps to `info`.
    pub severity: Severity,
    /// v4.0 only: `CVSS-B`, `CVSS-BT`, `CVSS-BE` or `CVSS-BTE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nomenclature: Option<String>,
}

/// Why a vector could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error("empty CVSS vector")]
    Empty,
    #[error("unsupported CVSS version `{0}` (supported: 2.0, 3.0, 3.1, 4.0)")]
    UnsupportedVersion(String),
    #[error("invalid CVSS vector `{vector}`: {reason}")]
    Invalid { vector: String, reason: String },
}

fn map_severity(s: ::cvss::Severity) -> Severity {
    match s {
        ::cvss::Severity::None => Severity::Info,
        ::cvss::Severity::Low => Severity::Low,
        ::cvss::Severity::Medium => Severity::Medium,
        ::cvss::Severity::High => Severity::High,
        ::cvss::Severity::Critical => Severity::Critical,
    }
}

/// Scores a CVSS vector string: v2 (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, also accepted with a
/// `CVSS:2.0/` prefix or in parentheses as NVD prints it), v3.0 (`CVSS:3.0/...`), v3.1 and v4.0.
pub fn score_vector(vector: &str) -> Result<CvssScore, CvssError> {
    let mut v = vector.trim();
    if let Some(inner) = v.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        v = inner.trim();
    }
    if v.is_empty() {
        return Err(CvssError::Empty);
    }
    // Some tools write v2 vectors with a `CVSS:2.0/` prefix, which the specification never
    // defined; the `cvss` crate reads v2 only without a prefix.
    let v = v
        .strip_prefix("CVSS:2.0/")
        .or_else(|| v.strip_prefix("CVSS:2/"))
        .unwrap_or(v);
    if let Some(rest) = v.strip_prefix("CVSS:") {
        let version = rest.split('/').next().unwrap_or_default();
        if !matches!(version, "3.0" | "3.1" | "4.0") {
            return Err(CvssError::UnsupportedVersion(version.to_string()));
        }
    }
    let parsed: ::cvss::Cvss = v.parse().map_err(|e: ::cvss::Error| CvssError::Invalid {
        vector: v.to_string(),
        reason: e.to_string(),
    })?;
    let (version, nomenclature) = match &parsed {
        ::cvss::Cvss::CvssV20(_) => (CvssVersion::V2, None),
        ::cvss::Cvss::CvssV30(_) => (CvssVersion::V3_0, None),
        ::cvss::Cvss::CvssV31(_) => (CvssVersion::V3_1, None),
        ::cvss::Cvss::CvssV40(v4) => (CvssVersion::V4_0, Some(v4.nomenclature().to_string())),
        _ => {
            return Err(CvssError::UnsupportedVersion(
                v.split('/').next().unwrap_or_default().to_string(),
            ));
        }
    };
    let base_score = parsed.score();
    if !base_score.is_finite() {
        return Err(CvssError::Invalid {
            vector: v.to_string(),
            reason: "the score is not a number".to_string(),
        });
    }
    // The v2 formula can yield -0.0 for a vector without impact.
    let base_score = if base_score == 0.0 { 0.0 } else { base_score };
    Ok(CvssScore {
        version,
        vector: parsed.to_string(),
        base_score,
        severity: map_severity(parsed.severity()),
        nomenclature,
    })
}

/// Lowercase source names counted as "GHSA or a vendor" (rank 3 in [`best_rating`]).
/// Sources that are a Linux distribution's own security team (Trivy's data source ids, Grype's
/// namespace prefixes).
pub const DISTRIBUTION_SOURCES: &[&str] = &[
    "debian",
    "ubuntu",
    "redhat",
    "red hat",
    "alpine",
    "amazon",
    "oracle",
    "oracle-oval",
    "suse",
    "suse-cvrf",
    "opensuse",
    "photon",
    "rocky",
    "alma",
    "cbl-mariner",
    "mariner",
    "azurelinux",
    "wolfi",
    "chainguard",
    "centos",
    "fedora",
    "arch",
    "archlinux",
    "sles",
    "rhel",
];

/// Whether `source` is a distribution's own rating (case-insensitive).
pub fn is_distribution(source: &str) -> bool {
    DISTRIBUTION_SOURCES.contains(&source.trim().to_ascii_lowercase().as_str())
}

/// Whether a package ecosystem (purl type) is an operating system's: `deb`, `rpm`, `apk`,
/// `alpm`, `ebuild`, `opkg`... (not a language ecosystem).
pub fn is_os_package(ecosystem: &str) -> bool {
    matches!(
        ecosystem.trim().to_ascii_lowercase().as_str(),
        "deb"
            | "rpm"
            | "apk"
            | "alpm"
            | "ebuild"
            | "opkg"
            | "os"
            | "debian"
            | "ubuntu"
            | "alpine"
            | "redhat"
            | "centos"
            | "rocky"
            | "alma"
            | "amazon"
            | "oracle"
            | "suse"
            | "photon"
            | "wolfi"
            | "chainguard"
            | "cbl-mariner"
    )
}

/// The distribution's own qualitative rating among `ratings` (the first one), if any.
pub fn distribution_rating(
    ratings: &[posture_model::SeverityRating],
) -> Option<&posture_model::SeverityRating> {
    ratings.iter().find(|r| is_distribution(&r.source))
}

pub const VENDOR_SOURCES: &[&str] = &[
    "ghsa",
    "github",
    "github advisory database",
    "redhat",
    "red hat",
    "debian",
    "ubuntu",
    "suse",
    "opensuse",
    "microsoft",
    "oracle",
    "amazon",
    "alma",
    "rocky",
    "alpine",
    "photon",
    "cbl-mariner",
    "azure-linux",
    "wolfi",
    "chainguard",
    "bitnami",
    "go",
    "rustsec",
    "pypa",
    "npm",
    "vendor",
    "cna",
];

/// The rank classes of [`best_rating`], best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatingRank {
    NvdV4,
    NvdV31,
    Vendor,
    Other,
    /// Neither a vector that scores nor a stated score in 0..=10.
    Unusable,
}

impl RatingRank {
    pub fn describe(self) -> &'static str {
        match self {
            RatingRank::NvdV4 => "CVSS v4.0 vector from NVD",
            RatingRank::NvdV31 => "CVSS v3.1 vector from NVD",
            RatingRank::Vendor => "rating from GHSA or the vendor",
            RatingRank::Other => "other rating",
            RatingRank::Unusable => "unusable rating",
        }
    }
}

/// One rating as [`best_rating`] evaluated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedRating {
    pub rating: CvssRating,
    /// The vector scored, when there is one and it parses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<CvssScore>,
    /// Why the vector did not score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_error: Option<String>,
    /// The score this rating stands for: computed from the vector when possible, else stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_score: Option<f64>,
    /// Set when the stated score and the vector's score differ by more than 0.05.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
    pub rank: RatingRank,
}

/// The outcome of [`best_rating`]: every rating evaluated, and the one that counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChosenRating {
    /// Index into `all` (and into the input slice) of the rating that counts.
    pub chosen: usize,
    /// The score that counts (see [`EvaluatedRating::effective_score`]).
    pub score: f64,
    /// The CVSS version of the chosen rating's vector, when it has one that scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<CvssVersion>,
    /// Why it was chosen, e.g. `CVSS v3.1 vector from NVD`.
    pub reason: String,
    /// Every input rating, in input order.
    pub all: Vec<EvaluatedRating>,
}

impl ChosenRating {
    /// The evaluation of the rating that counts.
    pub fn rating(&self) -> Option<&EvaluatedRating> {
        self.all.get(self.chosen)
    }
}

fn evaluate(rating: &CvssRating) -> EvaluatedRating {
    let stated = rating
        .score
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s));
    let (computed, vector_error) = match rating.vector.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => match score_vector(v) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(e.to_string())),
        },
        _ => (None, None),
    };
    let disagreement = match (&computed, stated) {
        (Some(c), Some(s)) if (c.base_score - s).abs() > 0.05 => Some(format!(
            "stated score {s} disagrees with the vector's score {}",
            c.base_score
        )),
        _ => None,
    };
    let effective_score = computed.as_ref().map(|c| c.base_score).or(stated);
    let source = rating.source.trim().to_ascii_lowercase();
    let version = computed.as_ref().map(|c| c.version);
    let rank = if effective_score.is_none() {
        RatingRank::Unusable
    } else if source == "nvd" && version == Some(CvssVersion::V4_0) {
        RatingRank::NvdV4
    } else if source == "nvd" && version == Some(CvssVersion::V3_1) {
        RatingRank::NvdV31
    } else if VENDOR_SOURCES.contains(&source.as_str()) {
        RatingRank::Vendor
    } else {
        RatingRank::Other
    };
    EvaluatedRating {
        rating: rating.clone(),
        computed,
        vector_error,
        effective_score,
        disagreement,
        rank,
    }
}

/// Evaluates every rating and names the one that counts (see the module docs for the order).
/// Returns `None` when no rating has a vector that scores or a stated score in 0..=10.
pub fn best_rating(ratings: &[CvssRating]) -> Option<ChosenRating> {
    let all: Vec<EvaluatedRating> = ratings.iter().map(evaluate).collect();
    let key = |(i, e): &(usize, &EvaluatedRating)| {
        (
            e.rank,
            e.computed.is_none(),
            std::cmp::Reverse(e.computed.as_ref().map(|c| c.version)),
            *i,
        )
    };
    let (chosen, best) = all
        .iter()
        .enumerate()
        .filter(|(_, e)| e.rank != RatingRank::Unusable)
        .min_by_key(key)?;
    let score = best.effective_score?;
    let version = best.computed.as_ref().map(|c| c.version);
    let mut reason = best.rank.describe().to_string();
    if version.is_some() {
        reason.push_str(" (score recomputed from the vector)");
    } else {
        reason.push_str(" (stated score, no vector that scores)");
    }
    Some(ChosenRating {
        chosen,
        score,
        version,
        reason,
        all,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn r(source: &str, vector: Option<&str>, score: Option<f64>) -> CvssRating {
        CvssRating {
            source: source.to_string(),
            vector: vector.map(str::to_string),
            score,
        }
    }

    #[test]
    fn scores_each_version() {
        let v2 = score_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap();
        assert_eq!((v2.version, v2.base_score), (CvssVersion::V2, 7.5));
        assert_eq!(v2.severity, Severity::High);
        let v2p = score_vector("(CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P)").unwrap();
        assert_eq!(v2p.base_score, 7.5);
        let v30 = score_vector("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!((v30.version, v30.base_score), (CvssVersion::V3_0, 9.8));
        let v31 = score_vector(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ").unwrap();
        assert_eq!((v31.version, v31.base_score), (CvssVersion::V3_1, 9.8));
        assert_eq!(v31.severity, Severity::Critical);
        let v4 = score_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .unwrap();
        assert_eq!((v4.version, v4.base_score), (CvssVersion::V4_0, 9.3));
        assert_eq!(v4.nomenclature.as_deref(), Some("CVSS-B"));
    }

    #[test]
    fn rejects_what_is_not_a_vector() {
        assert_eq!(score_vector("  "), Err(CvssError::Empty));
        assert!(matches!(
            score_vector("CVSS:3.2/AV:N"),
            Err(CvssError::UnsupportedVersion(v)) if v == "3.2"
        ));
        assert!(matches!(
            score_vector("CVSS:3.1/AV:X/AC:L"),
            Err(CvssError::Invalid { .. })
        ));
        assert!(score_vector("hello").is_err());
    }

    #[test]
    fn nvd_v4_beats_nvd_v31_beats_vendor_beats_others() {
        let tool = r(
            "trivy",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None,
        );
        let ghsa = r(
            "ghsa",
            Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None,
        );
        let nvd31 = r(
            "nvd",
            Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),
            None,
        );
        let nvd4 = r(
            "NVD",
            Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None,
        );
        let all = vec![tool.clone(), ghsa.clone(), nvd31.clone(), nvd4.clone()];
        let c = best_rating(&all).unwrap();
        assert_eq!(c.chosen, 3);
        assert_eq!(c.version, Some(CvssVersion::V4_0));
        assert_eq!(c.all.len(), 4, "every rating is kept");
        let c = best_rating(&all[..3]).unwrap();
        assert_eq!((c.chosen, c.score), (2, 8.8));
        let c = best_rating(&all[..2]).unwrap();
        assert_eq!((c.chosen, c.score), (1, 8.1));
        let c = best_rating(&all[..1]).unwrap();
        assert_eq!((c.chosen, c.score), (0, 9.8));
    }

    #[test]
    fn nvd_v2_and_v30_rank_with_the_others() {
        let nvd2 = r("nvd", Some("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
        let redhat = r("redhat", None, Some(6.1));
        let c = best_rating(&[nvd2.clone(), redhat]).unwrap();
        assert_eq!((c.chosen, c.score), (1, 6.1));
        assert!(c.reason.contains("stated score"));
        // Among others: the vector beats a bare score; then the newer version.
        let snyk = r("snyk", None, Some(9.0));
        let nvd30 = r(
            "nvd",
            Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"),
            None,
        );
        let c = best_rating(&[snyk, nvd2, nvd30]).unwrap();
        assert_eq!((c.chosen, c.score), (2, 9.1));
    }

    #[test]
    fn recomputes_and_notes_disagreement() {
        let c = best_rating(&[r(
            "nvd",
            Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(7.5),
        )])
        .unwrap();
        assert_eq!(c.score, 9.8);
        assert_eq!(
            c.all[0].disagreement.as_deref(),
            Some("stated score 7.5 disagrees with the vector's score 9.8")
        );
        // A bad vector falls back to the stated score, and says why.
        let c = best_rating(&[r("nvd", Some("CVSS:3.1/AV:Q"), Some(5.0))]).unwrap();
        assert_eq!(c.score, 5.0);
        assert!(c.all[0].vector_error.is_some());
        assert_eq!(c.all[0].rank, RatingRank::Other);
    }

    #[test]
    fn nothing_usable_is_none() {
        assert_eq!(best_rating(&[]), None);
        assert_eq!(
            best_rating(&[
                r("nvd", Some("garbage"), None),
                r("x", None, Some(f64::NAN))
            ]),
            None
        );
        assert_eq!(best_rating(&[r("x", None, Some(11.0))]), None);
    }
}
