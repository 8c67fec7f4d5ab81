//! The risk model `posture-risk/3`: one finding's facts in, a 0-100 score, a priority band, an
//! SSVC decision and the explanation of every term out.
//!
//! # The formula
//!
//! ```text
//! evidence = severity_points   x cvss / 10                 (50 x 0..1)
//!          + epss_probability_points x EPSS probability    (30 x 0..1)
//!          + epss_percentile_points  x EPSS percentile     ( 5 x 0..1)
//!          + exploit maturity: attacked / functional / PoC (20 / 15 / 10; unreported, unknown 0)
//!          + fix_available_points if a fix exists          ( 5; "no fix yet", unknown 0)
//!          + if listed in CISA KEV: unlisted_ceiling() + kev_points   (110 + 15)
//!          + ransomware_points if KEV says ransomware use  ( 5)
//! raw      = evidence x exposure x environment x criticality x data x reachability
//! raw      = held below P1 when EPSS is known and below exploitation_ceiling_epss (1%), the
//!            finding is not in KEV and no exploit is known (maturity unknown or unreported)
//! score    = raw compressed above 80, rounded to 0.1 (and at least 0.1 when raw > 0)
//! ```
//!
//! **Exploitation first.** The exploitation terms (EPSS 35, maturity 20) weigh more than
//! severity (50). A KEV listing adds the most evidence an unlisted finding can have
//! ([`RiskWeights::unlisted_ceiling`]) plus `kev_points`, so a listed finding outranks every
//! unlisted finding of the same asset with the same reachability evidence, whatever their
//! severities. The **exploitation ceiling** compresses a finding with known-low EPSS and no
//! other exploitation evidence smoothly above the P2 line towards (never reaching) the P1
//! line: `p2 + s (1 - e^(-(raw - p2)/s))` with `s = p1 - 0.1 - p2`; it is continuous, strictly
//! increasing and never raises a score, so the order of such findings is kept. An unknown EPSS
//! (no feed imported) is not "low": the ceiling needs a known score.
//!
//! **Exploit maturity** is the CVSS `E` metric of the counting vector (v4.0 `E:A` attacked,
//! `E:P` PoC, `E:U` unreported; v3.x/v2 `E:H` high, `E:F` functional, `E:P`/`E:POC`,
//! `E:U`), or [`RiskInput::exploit_maturity`] given outright, or a public exploit reference (a
//! proof of concept).
//!
//! `cvss` is the chosen CVSS score ([`crate::best_rating`]) or, without one, the finding's
//! severity read as a representative CVSS score ([`SeverityScale`]: critical 9.5, high 8.0,
//! medium 5.5, low 2.5, info 0). An absent EPSS score or KEV listing adds nothing.
//!
//! The factors (defaults in [`RiskWeights`]); **an unknown value is always exactly 1.0**, so a
//! fact nobody gave never moves a score:
//!
//! | factor | yes | no | unknown |
//! |---|---|---|---|
//! | exposure | internet-facing 1.2 | internal 0.85 | 1.0 |
//! | environment | production 1.1 | not production 0.8 | 1.0 |
//! | criticality | tier-1 1.2, tier-2 1.0, tier-3 0.85 | | 1.0 |
//! | data | 1 + sum of the asset's data-class weights (pci 0.10, phi 0.10, credentials 0.10, pii 0.05, customer-data 0.05, financial 0.05, any other class 0.02), at most 1 + 0.15 | no classes: 1.0 | |
//! | reachability | reachable 1.15 | unreachable 0.5 | 1.0 |
//! | reachability from runtime coverage (SAST) | executed: 1 to 1.3 by environment and hits | never executed: 0.6 (production) to 0.88 (tests) | file or line not covered: 1.0 |
//!
//! Runtime coverage of the finding's lines, when there is some, decides the reachability
//! term ([`crate::reachability`]); otherwise a scanner's verdict or the runtime inventory.
//!
//! Unreachable code lowers a score but never to zero: the factor is kept within 0.01..=1 and a
//! positive raw score never rounds below 0.1.
//!
//! **Bands** (on the rounded score): **P1** >= 80 (fix now), **P2** >= 55 (fix this cycle),
//! **P3** >= 30 (plan), **P4** below (backlog).
//!
//! Scores above 80 (the P1 line) are compressed smoothly towards 100 instead of being cut at 100:
//! `score = 80 + 20 * (1 - exp(-(raw - 80) / compression_scale))` above 80 (scale 60;
//! `posture-risk/2`: 20), the identity below. The
//! compression is continuous, strictly increasing and never reaches 100, so findings of the
//! most critical assets keep their order (a KEV-listed CVE still outranks an unlisted one of
//! equal CVSS in a tier-1 internet-facing asset, where `posture-risk/1` capped both at 100). It
//! appears as its own term; `raw_score` keeps the uncompressed value.
//!
//! # Properties (tested)
//!
//! With the default weights: a KEV-listed finding outranks every unlisted finding of the same
//! asset and reachability; EPSS below 1% without KEV or exploit never reaches P1; a KEV-listed
//! CVE outranks a non-listed one of equal CVSS; an
//! internet-facing production asset outranks an internal test asset for the same finding;
//! reachable outranks unknown; unknown reachability equals the no-evidence baseline; the score
//! is monotonic in CVSS, EPSS probability and percentile and exploit maturity; a fix never
//! lowers it and "no fix yet" scores as unknown; it always lies within 0..=100.
//!
//! # Explanations
//!
//! [`RiskAssessment::terms`] lists every term, present or not, with its value, its weight (the
//! points for an additive term, the factor for a multiplier), its contribution in points (for a
//! multiplier: the points it added or removed, applied in the order above) and its source
//! (`EPSS 2025-08-25 model v2025.03.14`, `CISA KEV 2025.08.25`, `asset config tag
//! internet-facing`). The contributions add up to the score (up to rounding).
//!
//! # Changing the model
//!
//! Every number above is a field of [`RiskWeights`] (serde, `#[serde(default)]`: a config file
//! overrides only what it names). [`diff_models`] scores the same inputs under two sets of
//! weights and lists what moved. A change of the formula itself bumps [`MODEL_VERSION`].

use crate::feeds::{EpssFact, KevFact};
use crate::rating::ChosenRating;
use crate::ssvc::{SsvcDecision, SsvcThresholds, assess_ssvc};
use posture_model::Severity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The version of the formula (not of the weights). Recorded in every assessment.
pub const MODEL_VERSION: &str = "posture-risk/3";

/// Where the compression of high scores starts (the P1 line) and how far it can go above it.
const SOFT_START: f64 = 80.0;
const SOFT_SPAN: f64 = 20.0;

/// The smooth compression above [`SOFT_START`]: continuous, strictly increasing, below 100.
/// `scale` is how many raw points above 80 take a score 63% of the way to 100.
fn compress(raw: f64, scale: f64) -> f64 {
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        SOFT_SPAN
    };
    if raw <= SOFT_START {
        raw
    } else {
        SOFT_START + SOFT_SPAN * (1.0 - (-(raw - SOFT_START) / scale).exp())
    }
}

/// The exploitation ceiling: the identity up to the P2 line, then compressed smoothly towards
/// (never reaching) `p1 - 0.1`, so the rounded score stays below P1. Continuous, strictly
/// increasing and never above its input.
fn hold_below_p1(raw: f64, bands: &BandThresholds) -> f64 {
    let top = bands.p1 - 0.1;
    let knee = bands.p2.min(top);
    let span = top - knee;
    if raw <= knee {
        raw
    } else if span <= 0.0 {
        raw.min(top)
    } else {
        knee + span * (1.0 - (-(raw - knee) / span).exp())
    }
}

/// What is known of whether the vulnerable code is reachable from the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reachability {
    Reachable,
    Unreachable,
    /// No evidence either way: the baseline, factor 1.0.
    #[default]
    Unknown,
}

/// How far exploitation of a vulnerability has come, as CVSS says it (v4.0 `E`, v3.x `E`, v2
/// `E`) or as a reference to a public exploit shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExploitMaturity {
    /// v3/v2 `E:U`, v4 `E:U`: no exploit known (adds nothing, like an unknown maturity).
    Unreported,
    /// v3 `E:P`, v4 `E:P`, v2 `E:POC`, or a reference to a public exploit.
    ProofOfConcept,
    /// v3/v2 `E:F`: a functional exploit exists.
    Functional,
    /// v4 `E:A` (attacked), v3/v2 `E:H`: exploited or weaponized.
    Attacked,
}

impl ExploitMaturity {
    pub fn as_str(self) -> &'static str {
        match self {
            ExploitMaturity::Unreported => "unreported",
            ExploitMaturity::ProofOfConcept => "proof of concept",
            ExploitMaturity::Functional => "functional exploit",
            ExploitMaturity::Attacked => "attacked",
        }
    }

    /// The `E` metric of a CVSS vector (v2, v3.x or v4.0), `None` when the vector has none or
    /// says "not defined" (`E:X`, `E:ND`).
    pub fn from_vector(vector: &str) -> Option<ExploitMaturity> {
        let v4 = vector.trim_start().starts_with("CVSS:4");
        vector
            .trim()
            .trim_matches(|c| c == '(' || c == ')')
            .split('/')
            .find_map(|m| m.strip_prefix("E:"))
            .and_then(|e| match (e.trim(), v4) {
                ("U", _) => Some(ExploitMaturity::Unreported),
                ("P" | "POC", _) => Some(ExploitMaturity::ProofOfConcept),
                ("F", false) => Some(ExploitMaturity::Functional),
                ("H", false) | ("A", true) => Some(ExploitMaturity::Attacked),
                _ => None,
            })
    }
}

/// Business criticality tier of an asset: tier-1 is the most critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Criticality {
    #[serde(rename = "tier-1")]
    Tier1,
    #[serde(rename = "tier-2")]
    Tier2,
    #[serde(rename = "tier-3")]
    Tier3,
}

impl Criticality {
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Tier1 => "tier-1",
            Criticality::Tier2 => "tier-2",
            Criticality::Tier3 => "tier-3",
        }
    }
}

impl std::str::FromStr for Criticality {
    type Err = String;
    /// `tier-1`, `tier1`, `t1` or `1` (and likewise for 2 and 3), any case.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        match t.trim_start_matches("tier").trim_start_matches('t') {
            "1" => Ok(Criticality::Tier1),
            "2" => Ok(Criticality::Tier2),
            "3" => Ok(Criticality::Tier3),
            _ => Err(format!(
                "unknown criticality `{s}` (expected tier-1, tier-2 or tier-3)"
            )),
        }
    }
}

/// What is known of the asset a finding is on. `None` means unknown (factor 1.0).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AssetContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internet_facing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production: Option<bool>,
    /// `pci`, `pii`, `phi`, `customer-data`, `financial`, `credentials`, or any other name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_classes: Vec<String>,
    /// Where these facts come from (`asset config`), for the explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One finding's facts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskInput {
    /// Posture's normalized severity, used when there is no CVSS score.
    pub severity: Severity,
    /// The CVSS score that counts (see [`crate::best_rating`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    /// Its vector, for SSVC's Automatable and Technical Impact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Who rated it (`nvd`, `ghsa`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_source: Option<String>,
    /// Without a CVSS score: who gave `severity` (`debian`, for an OS package whose
    /// distribution's rating counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    /// Why this rating counts and what the other ratings say (`the distribution's rating counts
    /// for OS packages; also rated: nvd CVSS 9.8`), shown with the severity term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssFact>,
    /// `Some` when the CVE is in CISA KEV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevFact>,
    /// The finding references a public exploit (Exploit-DB, Metasploit, a PoC repository).
    pub public_exploit: bool,
    /// Exploit maturity given outright; without it, the `E` metric of `cvss_vector` (then a
    /// public exploit reference, as a proof of concept) counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploit_maturity: Option<ExploitMaturity>,
    /// Whether a fix exists (a fixed version, a patch): `Some(false)` is "no fix yet", `None`
    /// unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<bool>,
    /// What the fix is (`upgrade to 0.12.3`), for the explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_source: Option<String>,
    pub reachability: Reachability,
    /// Who says so (`govulncheck call graph`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachability_source: Option<String>,
    /// What runtime coverage says of the finding's lines; when given, it decides the
    /// reachability term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<crate::reachability::ExecutionEvidence>,
    pub asset: AssetContext,
    /// Every tool that reported it classes it as code quality, not security (`CodeQL SARIF
    /// tags: reliability, correctness`): it stays out of the security bands P1-P3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

impl RiskInput {
    /// An input with only a severity: everything else unknown.
    pub fn new(severity: Severity) -> Self {
        RiskInput {
            severity,
            ..RiskInput::default()
        }
    }

    /// The exploit maturity that counts: given outright, else the CVSS vector's `E` metric,
    /// else a public exploit reference (a proof of concept); with where it comes from.
    pub fn maturity(&self) -> Option<(ExploitMaturity, String)> {
        if let Some(m) = self.exploit_maturity {
            return Some((m, "exploit maturity given".to_string()));
        }
        let from_vector = self
            .cvss_vector
            .as_deref()
            .and_then(|v| ExploitMaturity::from_vector(v).map(|m| (m, v)));
        match from_vector {
            Some((m, _)) if m > ExploitMaturity::Unreported || !self.public_exploit => Some((
                m,
                format!(
                    "CVSS vector E metric{}",
                    self.cvss_source
                        .as_deref()
                        .map_or(String::new(), |s| format!(" ({s})"))
                ),
            )),
            _ if self.public_exploit => Some((
                ExploitMaturity::ProofOfConcept,
                "public exploit reference".to_string(),
            )),
            other => other.map(|(m, _)| (m, "CVSS vector E metric".to_string())),
        }
    }

    /// Takes the CVSS score, vector and source from [`crate::best_rating`]'s choice.
    pub fn with_rating(mut self, chosen: &ChosenRating) -> Self {
        self.cvss = Some(chosen.score);
        if let Some(r) = chosen.rating() {
            self.cvss_vector = r.computed.as_ref().map(|c| c.vector.clone());
            self.cvss_source = Some(r.rating.source.clone());
        }
        self
    }
}

/// Priority band, from the rounded score (thresholds in [`BandThresholds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Band {
    /// Fix now.
    P1,
    /// Fix this cycle.
    P2,
    /// Plan.
    P3,
    /// Backlog.
    P4,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::P1 => "P1",
            Band::P2 => "P2",
            Band::P3 => "P3",
            Band::P4 => "P4",
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lowest scores of the bands P1..P3 (P4 is everything below `p3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BandThresholds {
    pub p1: f64,
    pub p2: f64,
    pub p3: f64,
}

impl Default for BandThresholds {
    fn default() -> Self {
        BandThresholds {
            p1: 80.0,
            p2: 55.0,
            p3: 30.0,
        }
    }
}

/// A severity read as a CVSS score, when a finding has no CVSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeverityScale {
    pub critical: f64,
    pub high: f64,
    pub medium: f64,
    pub low: f64,
    pub info: f64,
}

impl Default for SeverityScale {
    fn default() -> Self {
        SeverityScale {
            critical: 9.5,
            high: 8.0,
            medium: 5.5,
            low: 2.5,
            info: 0.0,
        }
    }
}

impl SeverityScale {
    pub fn score(&self, s: Severity) -> f64 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}

/// Every number of the formula (see the module docs). `#[serde(default)]`: a config file names
/// only what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskWeights {
    pub severity_points: f64,
    pub severity_scale: SeverityScale,
    pub epss_probability_points: f64,
    pub epss_percentile_points: f64,
    /// With `kev_above_unlisted` (the default): the points a KEV listing adds *above* the most
    /// an unlisted finding's evidence can reach ([`RiskWeights::unlisted_ceiling`]); without it,
    /// the points it adds (`posture-risk/2`).
    pub kev_points: f64,
    pub ransomware_points: f64,
    /// A KEV listing lifts a finding above every unlisted finding of the same asset (and the
    /// same reachability): its term adds `unlisted_ceiling() + kev_points`.
    pub kev_above_unlisted: bool,
    /// Exploit maturity (CVSS `E`, or a public exploit reference): attacked / weaponized.
    pub exploit_attacked_points: f64,
    /// Exploit maturity: a functional exploit (v3/v2 `E:F`).
    pub exploit_functional_points: f64,
    /// Exploit maturity: a proof of concept (`E:P`, a public exploit reference).
    pub exploit_poc_points: f64,
    /// Actionability: a fix exists (a fixed version). "No fix yet" and unknown add nothing.
    pub fix_available_points: f64,
    /// A finding whose EPSS probability is known and below this, that is not in KEV and has no
    /// exploit maturity beyond "unreported", never reaches P1 on severity alone: above the P2
    /// line its score is compressed towards (never reaching) the P1 line. 0 turns it off.
    pub exploitation_ceiling_epss: f64,
    /// Above 80 the score approaches 100 as `80 + 20 (1 - e^(-(raw - 80) / compression_scale))`
    /// (`posture-risk/2`: 20; 60 since KEV evidence can pass 100 raw points).
    pub compression_scale: f64,
    pub internet_facing_factor: f64,
    pub internal_factor: f64,
    pub production_factor: f64,
    pub non_production_factor: f64,
    pub tier1_factor: f64,
    pub tier2_factor: f64,
    pub tier3_factor: f64,
    /// Weight of each data class (normalized names: lowercase, `-` for `_` and spaces).
    pub data_class_weights: BTreeMap<String, f64>,
    /// Weight of a data class not in `data_class_weights`.
    pub other_data_class_weight: f64,
    /// The data factor is at most `1 + data_class_cap`.
    pub data_class_cap: f64,
    pub reachable_factor: f64,
    pub unreachable_factor: f64,
    /// The reachability factor from runtime coverage (`[risk.execution]`).
    pub execution: crate::reachability::ExecutionWeights,
    pub bands: BandThresholds,
    pub ssvc: SsvcThresholds,
}

impl Default for RiskWeights {
    fn default() -> Self {
        let data_class_weights = [
            ("pci", 0.10),
            ("phi", 0.10),
            ("credentials", 0.10),
            ("pii", 0.05),
            ("customer-data", 0.05),
            ("financial", 0.05),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        RiskWeights {
            severity_points: 50.0,
            severity_scale: SeverityScale::default(),
            epss_probability_points: 30.0,
            epss_percentile_points: 5.0,
            kev_points: 15.0,
            ransomware_points: 5.0,
            kev_above_unlisted: true,
            exploit_attacked_points: 20.0,
            exploit_functional_points: 15.0,
            exploit_poc_points: 10.0,
            fix_available_points: 5.0,
            exploitation_ceiling_epss: 0.01,
            compression_scale: 60.0,
            internet_facing_factor: 1.2,
            internal_factor: 0.85,
            production_factor: 1.1,
            non_production_factor: 0.8,
            tier1_factor: 1.2,
            tier2_factor: 1.0,
            tier3_factor: 0.85,
            data_class_weights,
            other_data_class_weight: 0.02,
            data_class_cap: 0.15,
            reachable_factor: 1.15,
            unreachable_factor: 0.5,
            execution: Default::default(),
            bands: BandThresholds::default(),
            ssvc: SsvcThresholds::default(),
        }
    }
}

impl RiskWeights {
    /// The weights that make this formula score exactly as `posture-risk/2` did (severity 60,
    /// EPSS 15 + 5, KEV 15 added on top, no exploit maturity, no fix term, no ceiling): the
    /// old side of `posture risk diff --from posture-risk/2`.
    pub fn posture_risk_2() -> Self {
        RiskWeights {
            severity_points: 60.0,
            epss_probability_points: 15.0,
            epss_percentile_points: 5.0,
            kev_points: 15.0,
            ransomware_points: 5.0,
            kev_above_unlisted: false,
            exploit_attacked_points: 0.0,
            exploit_functional_points: 0.0,
            exploit_poc_points: 0.0,
            fix_available_points: 0.0,
            exploitation_ceiling_epss: 0.0,
            compression_scale: 20.0,
            ..RiskWeights::default()
        }
    }

    /// The most evidence points a finding not listed in KEV can have: severity, EPSS
    /// probability and percentile, the highest exploit maturity and a fix, all at their top.
    pub fn unlisted_ceiling(&self) -> f64 {
        points(self.severity_points)
            + points(self.epss_probability_points)
            + points(self.epss_percentile_points)
            + points(self.exploit_attacked_points)
                .max(points(self.exploit_functional_points))
                .max(points(self.exploit_poc_points))
            + points(self.fix_available_points)
    }

    /// Problems with a set of weights that would break the model's promises. [`assess`] still
    /// scores with such weights (clamping what it must), but a config loader should refuse them.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let points = [
            ("severity_points", self.severity_points),
            ("epss_probability_points", self.epss_probability_points),
            ("epss_percentile_points", self.epss_percentile_points),
            ("kev_points", self.kev_points),
            ("ransomware_points", self.ransomware_points),
            ("exploit_attacked_points", self.exploit_attacked_points),
            ("exploit_functional_points", self.exploit_functional_points),
            ("exploit_poc_points", self.exploit_poc_points),
            ("fix_available_points", self.fix_available_points),
            ("other_data_class_weight", self.other_data_class_weight),
            ("data_class_cap", self.data_class_cap),
        ];
        for (name, v) in points {
            if !v.is_finite() || v < 0.0 {
                problems.push(format!("{name} must be a number >= 0, is {v}"));
            }
        }
        for (name, v) in &self.data_class_weights {
            if !v.is_finite() || *v < 0.0 {
                problems.push(format!("data class weight `{name}` must be >= 0, is {v}"));
            }
        }
        let factors = [
            ("internet_facing_factor", self.internet_facing_factor),
            ("internal_factor", self.internal_factor),
            ("production_factor", self.production_factor),
            ("non_production_factor", self.non_production_factor),
            ("tier1_factor", self.tier1_factor),
            ("tier2_factor", self.tier2_factor),
            ("tier3_factor", self.tier3_factor),
            ("reachable_factor", self.reachable_factor),
            ("unreachable_factor", self.unreachable_factor),
            ("compression_scale", self.compression_scale),
        ];
        for (name, v) in factors {
            if !v.is_finite() || v <= 0.0 {
                problems.push(format!("{name} must be a number > 0, is {v}"));
            }
        }
        if self.reachable_factor < 1.0 {
            problems.push("reachable_factor must be >= 1 (reachable never lowers)".into());
        }
        if self.unreachable_factor > 1.0 {
            problems.push("unreachable_factor must be <= 1 (unreachable never raises)".into());
        }
        problems.extend(self.execution.validate());
        if self.internet_facing_factor < self.internal_factor {
            problems.push("internet_facing_factor must be >= internal_factor".into());
        }
        if self.production_factor < self.non_production_factor {
            problems.push("production_factor must be >= non_production_factor".into());
        }
        if !(self.tier1_factor >= self.tier2_factor && self.tier2_factor >= self.tier3_factor) {
            problems.push("tier factors must not increase from tier-1 to tier-3".into());
        }
        if !(0.0..=1.0).contains(&self.exploitation_ceiling_epss) {
            problems.push(format!(
                "exploitation_ceiling_epss must lie in 0..=1, is {}",
                self.exploitation_ceiling_epss
            ));
        }
        if !(self.exploit_attacked_points >= self.exploit_functional_points
            && self.exploit_functional_points >= self.exploit_poc_points)
        {
            problems.push(
                "exploit maturity points must not increase from attacked to proof of concept"
                    .into(),
            );
        }
        let b = &self.bands;
        if !(b.p1 > b.p2 && b.p2 > b.p3 && b.p3 > 0.0 && b.p1 <= 100.0) {
            problems.push(format!(
                "bands must satisfy 100 >= p1 > p2 > p3 > 0, are {} {} {}",
                b.p1, b.p2, b.p3
            ));
        }
        let s = &self.ssvc;
        if !(0.0..=1.0).contains(&s.epss_poc)
            || !(0.0..=1.0).contains(&s.epss_active)
            || s.epss_poc > s.epss_active
        {
            problems.push("ssvc thresholds must satisfy 0 <= epss_poc <= epss_active <= 1".into());
        }
        for (name, v) in [
            ("critical", self.severity_scale.critical),
            ("high", self.severity_scale.high),
            ("medium", self.severity_scale.medium),
            ("low", self.severity_scale.low),
            ("info", self.severity_scale.info),
        ] {
            if !(0.0..=10.0).contains(&v) {
                problems.push(format!("severity_scale.{name} must lie in 0..=10, is {v}"));
            }
        }
        problems
    }

    /// The band of a (rounded) score.
    pub fn band(&self, score: f64) -> Band {
        if score >= self.bands.p1 {
            Band::P1
        } else if score >= self.bands.p2 {
            Band::P2
        } else if score >= self.bands.p3 {
            Band::P3
        } else {
            Band::P4
        }
    }
}

/// One term of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskTerm {
    /// `severity`, `epss-probability`, `epss-percentile`, `kev`, `ransomware`, `exposure`,
    /// `environment`, `criticality`, `data-classes`, `reachability`, `cap`.
    pub name: String,
    /// The fact, for a person: `CVSS 9.8`, `0.94358`, `internet-facing`, `unknown`.
    pub value: String,
    /// Points for an additive term, the factor for a multiplier.
    pub weight: f64,
    /// Points this term added (negative: removed), rounded to 0.01.
    pub contribution: f64,
    /// Where the fact comes from.
    pub source: String,
}

/// The outcome of [`assess`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// 0..=100, rounded to 0.1.
    pub score: f64,
    /// The unrounded score after the exploitation ceiling and before the compression above 80:
    /// orders findings that share a score.
    pub raw_score: f64,
    pub band: Band,
    pub ssvc: SsvcDecision,
    pub model_version: String,
    pub terms: Vec<RiskTerm>,
}

/// Lowercase, `_` and spaces as `-`, trimmed.
pub fn normalize_data_class(c: &str) -> String {
    c.trim().to_ascii_lowercase().replace(['_', ' '], "-")
}

fn points(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

fn factor(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 1.0 }
}

fn round_to(v: f64, step: f64) -> f64 {
    let r = (v / step).round() * step;
    // Avoid `-0.0` and representation noise such as 0.30000000000000004.
    let r = (r * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

fn fact_source(base: &str, parts: &[Option<String>]) -> String {
    let mut s = base.to_string();
    for p in parts.iter().flatten() {
        s.push(' ');
        s.push_str(p);
    }
    s
}

/// Scores one finding with the given weights.
pub fn assess(input: &RiskInput, weights: &RiskWeights) -> RiskAssessment {
    let w = weights;
    let mut terms = Vec::new();
    let add =
        |terms: &mut Vec<RiskTerm>, name: &str, value: String, weight, c: f64, source: String| {
            terms.push(RiskTerm {
                name: name.to_string(),
                value,
                weight,
                contribution: round_to(c, 0.01),
                source,
            });
        };

    // Severity.
    let cvss_ok = input
        .cvss
        .filter(|c| c.is_finite() && (0.0..=10.0).contains(c));
    let (cvss, value, source) = match (cvss_ok, input.cvss) {
        (Some(c), _) => (
            c,
            format!("CVSS {c}"),
            input
                .cvss_source
                .as_deref()
                .map_or("CVSS score".to_string(), |s| {
                    format!("CVSS rating from {s}")
                }),
        ),
        (None, other) => {
            let c = w.severity_scale.score(input.severity).clamp(0.0, 10.0);
            let c = if c.is_finite() { c } else { 0.0 };
            let ignored = other.map_or(String::new(), |o| {
                format!("CVSS {o} ignored (outside 0-10); ")
            });
            (
                c,
                format!("{ignored}severity {} read as CVSS {c}", input.severity),
                input
                    .severity_source
                    .as_deref()
                    .map_or("finding severity".to_string(), |s| {
                        format!("severity rating from {s}")
                    }),
            )
        }
    };
    let value = match &input.rating_note {
        Some(note) => format!("{value} ({note})"),
        None => value,
    };
    let sev_w = points(w.severity_points);
    let severity_points = sev_w * cvss / 10.0;
    add(
        &mut terms,
        "severity",
        value,
        sev_w,
        severity_points,
        source,
    );

    // EPSS.
    let epss = input
        .epss
        .as_ref()
        .filter(|e| e.probability.is_finite() && e.percentile.is_finite());
    let (p_w, pct_w) = (
        points(w.epss_probability_points),
        points(w.epss_percentile_points),
    );
    let (p, pct) = epss.map_or((0.0, 0.0), |e| {
        (e.probability.clamp(0.0, 1.0), e.percentile.clamp(0.0, 1.0))
    });
    let epss_source = epss.map_or("no EPSS score given".to_string(), |e| match &e.source {
        Some(source) => source.clone(),
        None => fact_source(
            "EPSS",
            &[
                e.score_date.map(|d| d.to_string()),
                e.model_version.as_ref().map(|m| format!("model {m}")),
            ],
        ),
    });
    add(
        &mut terms,
        "epss-probability",
        epss.map_or("none".to_string(), |_| format!("{p}")),
        p_w,
        p_w * p,
        epss_source.clone(),
    );
    add(
        &mut terms,
        "epss-percentile",
        epss.map_or("none".to_string(), |_| format!("{pct}")),
        pct_w,
        pct_w * pct,
        epss_source,
    );

    // Exploit maturity (CVSS `E`, or a public exploit reference).
    let maturity = input.maturity();
    let (m_value, m_w, m_source) = match &maturity {
        Some((m, src)) => {
            let w = match m {
                ExploitMaturity::Attacked => points(w.exploit_attacked_points),
                ExploitMaturity::Functional => points(w.exploit_functional_points),
                ExploitMaturity::ProofOfConcept => points(w.exploit_poc_points),
                ExploitMaturity::Unreported => 0.0,
            };
            (m.as_str().to_string(), w, src.clone())
        }
        None => (
            "unknown".to_string(),
            0.0,
            "no exploit maturity given".to_string(),
        ),
    };
    add(&mut terms, "exploit-maturity", m_value, m_w, m_w, m_source);

    // Actionability: whether a fix exists.
    let fix_w = points(w.fix_available_points);
    let (fix_value, fix_points, fix_source) = match input.fix_available {
        Some(true) => (
            "fix available".to_string(),
            fix_w,
            input
                .fix_source
                .clone()
                .unwrap_or_else(|| "scanner report".to_string()),
        ),
        Some(false) => (
            "no fix yet".to_string(),
            0.0,
            input
                .fix_source
                .clone()
                .unwrap_or_else(|| "scanner report: no fixed version".to_string()),
        ),
        None => (
            "unknown".to_string(),
            0.0,
            "no fix information given".to_string(),
        ),
    };
    add(&mut terms, "fix", fix_value, fix_w, fix_points, fix_source);

    // KEV.
    let kev_w = points(w.kev_points);
    let ransom_w = points(w.ransomware_points);
    let kev_source = input
        .kev
        .as_ref()
        .map_or("no KEV listing given".to_string(), |k| {
            fact_source("CISA KEV", std::slice::from_ref(&k.catalog_version))
        });
    // Listed: above every unlisted finding (their evidence is at most `unlisted_ceiling`).
    let kev_full = if w.kev_above_unlisted {
        w.unlisted_ceiling() + kev_w
    } else {
        kev_w
    };
    let (kev_value, kev_points) = match &input.kev {
        Some(k) => {
            let listed = k
                .date_added
                .map_or("listed".to_string(), |d| format!("listed (added {d})"));
            let listed = if w.kev_above_unlisted {
                format!(
                    "{listed}: above every unlisted finding (at most {} evidence points)",
                    round_to(w.unlisted_ceiling(), 0.01)
                )
            } else {
                listed
            };
            (listed, kev_full)
        }
        None => ("not listed".to_string(), 0.0),
    };
    add(
        &mut terms,
        "kev",
        kev_value,
        kev_full,
        kev_points,
        kev_source.clone(),
    );
    let ransom = input.kev.as_ref().is_some_and(|k| k.known_ransomware);
    add(
        &mut terms,
        "ransomware",
        if ransom {
            "known ransomware campaign use"
        } else {
            "not known"
        }
        .to_string(),
        ransom_w,
        if ransom { ransom_w } else { 0.0 },
        kev_source,
    );

    let evidence = severity_points
        + p_w * p
        + pct_w * pct
        + m_w
        + fix_points
        + kev_points
        + if ransom { ransom_w } else { 0.0 };

    // No exploitation evidence: EPSS known and low, not in KEV, no exploit beyond
    // "unreported". Such a finding never reaches P1 on severity alone.
    let ceiling_epss = w.exploitation_ceiling_epss;
    let unexploited = ceiling_epss > 0.0
        && input.kev.is_none()
        && epss.is_some_and(|_| p < ceiling_epss)
        && maturity
            .as_ref()
            .is_none_or(|(m, _)| *m == ExploitMaturity::Unreported);

    // Multipliers, applied in order; each contribution is the change it makes.
    let mut running = evidence;
    let asset_source = input.asset.source.as_deref().unwrap_or("asset context");
    let mut apply =
        |terms: &mut Vec<RiskTerm>, name: &str, value: String, f: f64, source: String| {
            let before = running;
            running *= f;
            add(terms, name, value, f, running - before, source);
        };

    let (value, f, src) = match input.asset.internet_facing {
        Some(true) => (
            "internet-facing",
            factor(w.internet_facing_factor),
            format!("{asset_source} tag internet-facing"),
        ),
        Some(false) => (
            "internal",
            factor(w.internal_factor),
            format!("{asset_source} tag internal"),
        ),
        None => ("unknown", 1.0, "no exposure given".to_string()),
    };
    apply(&mut terms, "exposure", value.to_string(), f, src);

    let (value, f, src) = match input.asset.production {
        Some(true) => (
            "production",
            factor(w.production_factor),
            format!("{asset_source} tag production"),
        ),
        Some(false) => (
            "not production",
            factor(w.non_production_factor),
            format!("{asset_source} tag non-production"),
        ),
        None => ("unknown", 1.0, "no environment given".to_string()),
    };
    apply(&mut terms, "environment", value.to_string(), f, src);

    let (value, f, src) = match input.asset.criticality {
        Some(c) => {
            let f = match c {
                Criticality::Tier1 => w.tier1_factor,
                Criticality::Tier2 => w.tier2_factor,
                Criticality::Tier3 => w.tier3_factor,
            };
            (
                c.as_str(),
                factor(f),
                format!("{asset_source} tag {}", c.as_str()),
            )
        }
        None => ("unknown", 1.0, "no criticality given".to_string()),
    };
    apply(&mut terms, "criticality", value.to_string(), f, src);

    let mut classes: Vec<String> = input
        .asset
        .data_classes
        .iter()
        .map(|c| normalize_data_class(c))
        .filter(|c| !c.is_empty())
        .collect();
    classes.sort();
    classes.dedup();
    let sum: f64 = classes
        .iter()
        .map(|c| {
            points(
                *w.data_class_weights
                    .get(c)
                    .unwrap_or(&w.other_data_class_weight),
            )
        })
        .sum();
    let data_f = 1.0 + sum.min(points(w.data_class_cap));
    let (value, src) = if classes.is_empty() {
        ("none".to_string(), "no data classes given".to_string())
    } else {
        (
            classes.join(", "),
            format!("{asset_source} tag {}", classes.join(", ")),
        )
    };
    apply(&mut terms, "data-classes", value, data_f, src);

    let (value, f, src) = match &input.execution {
        Some(e) => (e.value(), w.execution.factor(e), e.source()),
        None => {
            let (value, f) = match input.reachability {
                Reachability::Reachable => ("reachable", factor(w.reachable_factor).max(1.0)),
                Reachability::Unreachable => {
                    ("unreachable", factor(w.unreachable_factor).clamp(0.01, 1.0))
                }
                Reachability::Unknown => ("unknown", 1.0),
            };
            let src = match (&input.reachability, &input.reachability_source) {
                (Reachability::Unknown, _) => "no reachability evidence".to_string(),
                (_, Some(s)) => s.clone(),
                (_, None) => "reachability analysis".to_string(),
            };
            (value.to_string(), f, src)
        }
    };
    apply(&mut terms, "reachability", value, f, src);

    let raw = if running.is_finite() {
        running.max(0.0)
    } else {
        0.0
    };
    let raw = if unexploited {
        let held = hold_below_p1(raw, &w.bands);
        if held < raw {
            add(
                &mut terms,
                "exploitation-ceiling",
                format!(
                    "EPSS {p} below {ceiling_epss}, not in KEV, no known exploit: held below P1"
                ),
                round_to(w.bands.p1 - 0.1, 0.1),
                held - raw,
                format!("model {MODEL_VERSION}"),
            );
        }
        held
    } else {
        raw
    };
    let compressed = compress(raw, w.compression_scale);
    if raw > SOFT_START {
        add(
            &mut terms,
            "compression",
            format!("raw score {} above {SOFT_START}", round_to(raw, 0.1)),
            SOFT_SPAN,
            compressed - raw,
            format!("model {MODEL_VERSION}"),
        );
    }
    let mut score = round_to(compressed.min(100.0), 0.1);
    let mut raw = raw;
    // Security only: what the tools call code quality never enters the security bands.
    if let Some(words) = &input.quality {
        let ceiling = round_to(w.bands.p3 - 0.1, 0.1);
        if score > ceiling {
            add(
                &mut terms,
                "quality",
                "code quality, not security: kept below the security bands P1-P3".to_string(),
                ceiling,
                ceiling - score,
                words.clone(),
            );
            score = ceiling;
            raw = raw.min(ceiling);
        }
    }
    if raw > 0.0 && score < 0.1 {
        score = 0.1;
    }
    RiskAssessment {
        score,
        raw_score: raw,
        band: weights.band(score),
        ssvc: assess_ssvc(input, &weights.ssvc),
        model_version: MODEL_VERSION.to_string(),
        terms,
    }
}

/// One input whose score or band moved between two sets of weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMove {
    pub id: String,
    pub old_score: f64,
    pub old_band: Band,
    pub new_score: f64,
    pub new_band: Band,
}

/// Scores every input under `old` and `new` weights and lists those whose score or band
/// changed, largest move first (then by id).
pub fn diff_models(
    old: &RiskWeights,
    new: &RiskWeights,
    inputs: &[(String, RiskInput)],
) -> Vec<ModelMove> {
    let mut moves: Vec<ModelMove> = inputs
        .iter()
        .filter_map(|(id, input)| {
            let a = assess(input, old);
            let b = assess(input, new);
            (a.score != b.score || a.band != b.band).then(|| ModelMove {
                id: id.clone(),
                old_score: a.score,
                old_band: a.band,
                new_score: b.score,
                new_band: b.band,
            })
        })
        .collect();
    moves.sort_by(|x, y| {
        let dx = (x.new_score - x.old_score).abs();
        let dy = (y.new_score - y.old_score).abs();
        dy.total_cmp(&dx).then_with(|| x.id.cmp(&y.id))
    });
    moves
}
