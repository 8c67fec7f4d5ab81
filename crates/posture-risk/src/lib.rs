//! # posture-risk
//!
//! Posture's answer to "which of these findings first?": CVSS scoring, the threat feeds
//! (CISA KEV, FIRST EPSS), a versioned and explained risk formula, and CISA's SSVC decision.
//! Pure: bytes and facts in, scores and explanations out; no I/O, no clock.
//!
//! | module | what |
//! |---|---|
//! | [`rating`] | [`score_vector`]: CVSS v2, v3.0, v3.1 and v4.0 vectors scored by the RustSec `cvss` crate; [`best_rating`]: which of a finding's ratings counts (NVD v4.0, then NVD v3.1, then GHSA/vendor, then others; recomputed from the vector) |
//! | [`feeds`] | [`parse_kev_json`], [`parse_kev_csv`], [`parse_epss_csv`] (plain or gzip, with a decompression cap), [`detect_feed`] |
//! | [`model`] | [`assess`]: the formula `posture-risk/3` ([`MODEL_VERSION`]), its [`RiskWeights`], and [`diff_models`] |
//! | [`ssvc`] | [`assess_ssvc`]: CISA's SSVC decision (Track, Track\*, Attend, Act) from the published tree |
//!
//! ## The formula (`posture-risk/3`: exploitation first)
//!
//! ```text
//! evidence = 50 x cvss/10                      severity (the counting rating, or the severity read as CVSS)
//!          + 30 x EPSS probability + 5 x EPSS percentile
//!          + exploit maturity (CVSS E): attacked 20 | functional 15 | proof of concept 10
//!          + 5 if a fix exists ("no fix yet" and unknown add nothing)
//!          + if in CISA KEV: the most an unlisted finding can have (110) + 15
//!          + 5 if KEV says known ransomware use
//! raw      = evidence x exposure x environment x criticality x data x reachability
//!              internet-facing 1.2 | internal 0.85 | unknown 1
//!              production 1.1 | not production 0.8 | unknown 1
//!              tier-1 1.2 | tier-2 1.0 | tier-3 0.85 | unknown 1
//!              1 + data-class weights (pci/phi/credentials 0.10, pii/customer-data/financial
//!                  0.05, other 0.02), at most 1.15
//!              reachable 1.15 | unreachable 0.5 | unknown 1; for code with runtime
//!                  coverage: executed 1..1.3 by environment and hits, never executed
//!                  0.6 (production)..0.88 (tests) (`reachability`)
//! ceiling  = EPSS known and below 1%, not in KEV, no exploit: above 55 (P2) the raw score is
//!            compressed towards 79.9, never reaching P1 on severity alone
//! score    = raw below 80; above, 80 + 20·(1 − e^(−(raw−80)/60)) (smooth, order-keeping, < 100);
//!            rounded to 0.1 (at least 0.1 when raw > 0)
//! band     = P1 >= 80 | P2 >= 55 | P3 >= 30 | P4
//! ```
//!
//! Exploitation (EPSS 35 points, exploit maturity up to 20) weighs more than severity (50), and
//! a KEV listing lifts a finding above every unlisted finding of the same asset and the same
//! reachability, whatever its severity. `posture-risk/2` was severity 60, EPSS 15 + 5, KEV 15
//! added on top, no exploit maturity, fix or ceiling, compression scale 20:
//! [`RiskWeights::posture_risk_2`] reproduces it, for `posture risk diff --from posture-risk/2`.
//!
//! Every number is a field of [`RiskWeights`] (a config file may override any of them); unknown
//! facts are always neutral (factor 1, no points). Each [`RiskAssessment`] lists every term with
//! its value, weight, contribution in points and source, and carries the SSVC decision beside
//! the score (the two are independent: SSVC is CISA's categorical view, the score orders work).
//! See [`model`] for the details and the properties the tests check.
//!
//! ## Typical use
//!
//! ```
//! use posture_risk::*;
//! use posture_model::{CvssRating, Severity};
//!
//! let ratings = [CvssRating {
//!     source: "nvd".into(),
//!     vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
//!     score: Some(10.0),
//! }];
//! let chosen = best_rating(&ratings).unwrap();
//! let mut input = RiskInput::new(Severity::Critical).with_rating(&chosen);
//! input.epss = Some(EpssFact::new(0.94358, 0.9995));
//! input.kev = Some(KevFact { known_ransomware: true, ..KevFact::default() });
//! input.asset.internet_facing = Some(true);
//! let a = assess(&input, &RiskWeights::default());
//! assert_eq!(a.band, Band::P1);
//! assert_eq!(a.ssvc.decision, SsvcOutcome::Act);
//! ```

pub mod feeds;
pub mod model;
pub mod rating;
pub mod reachability;
pub mod ssvc;

pub use feeds::{
    EpssFact, EpssFeed, EpssScore, FeedError, FeedKind, KevCatalog, KevEntry, KevFact, detect_feed,
    is_gzip, max_decompressed_size, parse_epss_csv, parse_epss_csv_with_limit, parse_kev_csv,
    parse_kev_json,
};
pub use model::{
    AssetContext, Band, BandThresholds, Criticality, ExploitMaturity, MODEL_VERSION, ModelMove,
    Reachability, RiskAssessment, RiskInput, RiskTerm, RiskWeights, SeverityScale, assess,
    diff_models, normalize_data_class,
};
pub use rating::{
    ChosenRating, CvssError, CvssScore, CvssVersion, DISTRIBUTION_SOURCES, EvaluatedRating,
    RatingRank, best_rating, distribution_rating, is_distribution, is_os_package, score_vector,
};
pub use reachability::{ExecutionEvidence, ExecutionWeights};
pub use ssvc::{
    Automatable, Exploitation, MissionWellbeing, SsvcDecision, SsvcOutcome, SsvcThresholds,
    TechnicalImpact, assess_ssvc, decide,
};
