//! The CISA SSVC decision (Stakeholder-Specific Vulnerability Categorization).
//!
//! CISA's SSVC Guide (November 2022) decides among four outcomes from four decision points:
//!
//! | decision point | values | how Posture decides it (from a [`RiskInput`]) |
//! |---|---|---|
//! | **Exploitation** | none, public PoC, active | **active** when the CVE is in CISA KEV or its EPSS probability is at least [`SsvcThresholds::epss_active`] (0.5 by default); **public PoC** when EPSS is at least [`SsvcThresholds::epss_poc`] (0.1) or the finding references a public exploit ([`RiskInput::public_exploit`]); else **none** |
//! | **Automatable** | yes, no | **yes** when the CVSS vector says network attack vector, no privileges and no user interaction (v3/v4: `AV:N`, `PR:N`, `UI:N`; v2, which has no user-interaction metric: `AV:N`, `Au:N`); **no** otherwise, and when there is no vector that scores |
//! | **Technical Impact** | partial, total | **total** when the vector gives high confidentiality and high integrity impact (v3 `C:H`+`I:H`, v4 `VC:H`+`VI:H`, v2 `C:C`+`I:C`); **partial** otherwise and without a vector |
//! | **Mission & Well-being** | low, medium, high | from the asset: tier-1 is **high**; tier-2 is **high** with a high-impact data class ([`HIGH_IMPACT_DATA_CLASSES`]: pci, phi, pii, financial, credentials), else **medium**; tier-3 is **medium** with any data class, else **low**; an asset of unknown tier is **high** with a high-impact data class, else **medium**. A non-production asset (`production: Some(false)`) is one step lower. |
//!
//! The outcomes, as CISA defines them: **Track** (remediate within standard update timelines),
//! **Track\*** (the same, with closer monitoring), **Attend** (supervisory attention; remediate
//! sooner than standard timelines), **Act** (leadership attention; remediate as soon as possible).
//!
//! ## The decision table
//!
//! [`DECISION_TABLE`] is the published tree, one row per leaf (36 rows), in CISA's order
//! (Exploitation, then Automatable, then Technical Impact, then Mission & Well-being):
//!
//! | E | A | T | M=low | M=medium | M=high |
//! |---|---|---|---|---|---|
//! | none | no | partial | Track | Track | Track |
//! | none | no | total | Track | Track | Track\* |
//! | none | yes | partial | Track | Track | Attend |
//! | none | yes | total | Track | Track | Attend |
//! | PoC | no | partial | Track | Track | Track\* |
//! | PoC | no | total | Track | Track\* | Attend |
//! | PoC | yes | partial | Track | Track | Attend |
//! | PoC | yes | total | Track | Track\* | Attend |
//! | active | no | partial | Track | Track | Attend |
//! | active | no | total | Track | Attend | Act |
//! | active | yes | partial | Attend | Attend | Act |
//! | active | yes | total | Attend | Act | Act |

use crate::model::{Criticality, RiskInput};
use crate::rating::{CvssVersion, score_vector};
use serde::{Deserialize, Serialize};
use std::fmt;

/// SSVC decision point *Exploitation*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exploitation {
    None,
    PublicPoc,
    Active,
}

/// SSVC decision point *Automatable*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Automatable {
    No,
    Yes,
}

/// SSVC decision point *Technical Impact*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TechnicalImpact {
    Partial,
    Total,
}

/// SSVC decision point *Mission & Well-being*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissionWellbeing {
    Low,
    Medium,
    High,
}

/// CISA's outcomes, from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SsvcOutcome {
    Track,
    #[serde(rename = "Track*")]
    TrackStar,
    Attend,
    Act,
}

impl SsvcOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            SsvcOutcome::Track => "Track",
            SsvcOutcome::TrackStar => "Track*",
            SsvcOutcome::Attend => "Attend",
            SsvcOutcome::Act => "Act",
        }
    }
}

impl fmt::Display for SsvcOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use Automatable as A;
use Exploitation as E;
use MissionWellbeing as M;
use SsvcOutcome::{Act, Attend, Track, TrackStar};
use TechnicalImpact as T;

/// The CISA SSVC tree (CISA SSVC Guide, 2022), one row per leaf.
pub const DECISION_TABLE: [(
    Exploitation,
    Automatable,
    TechnicalImpact,
    MissionWellbeing,
    SsvcOutcome,
); 36] = [
    (E::None, A::No, T::Partial, M::Low, Track),
    (E::None, A::No, T::Partial, M::Medium, Track),
    (E::None, A::No, T::Partial, M::High, Track),
    (E::None, A::No, T::Total, M::Low, Track),
    (E::None, A::No, T::Total, M::Medium, Track),
    (E::None, A::No, T::Total, M::High, TrackStar),
    (E::None, A::Yes, T::Partial, M::Low, Track),
    (E::None, A::Yes, T::Partial, M::Medium, Track),
    (E::None, A::Yes, T::Partial, M::High, Attend),
    (E::None, A::Yes, T::Total, M::Low, Track),
    (E::None, A::Yes, T::Total, M::Medium, Track),
    (E::None, A::Yes, T::Total, M::High, Attend),
    (E::PublicPoc, A::No, T::Partial, M::Low, Track),
    (E::PublicPoc, A::No, T::Partial, M::Medium, Track),
    (E::PublicPoc, A::No, T::Partial, M::High, TrackStar),
    (E::PublicPoc, A::No, T::Total, M::Low, Track),
    (E::PublicPoc, A::No, T::Total, M::Medium, TrackStar),
    (E::PublicPoc, A::No, T::Total, M::High, Attend),
    (E::PublicPoc, A::Yes, T::Partial, M::Low, Track),
    (E::PublicPoc, A::Yes, T::Partial, M::Medium, Track),
    (E::PublicPoc, A::Yes, T::Partial, M::High, Attend),
    (E::PublicPoc, A::Yes, T::Total, M::Low, Track),
    (E::PublicPoc, A::Yes, T::Total, M::Medium, TrackStar),
    (E::PublicPoc, A::Yes, T::Total, M::High, Attend),
    (E::Active, A::No, T::Partial, M::Low, Track),
    (E::Active, A::No, T::Partial, M::Medium, Track),
    (E::Active, A::No, T::Partial, M::High, Attend),
    (E::Active, A::No, T::Total, M::Low, Track),
    (E::Active, A::No, T::Total, M::Medium, Attend),
    (E::Active, A::No, T::Total, M::High, Act),
    (E::Active, A::Yes, T::Partial, M::Low, Attend),
    (E::Active, A::Yes, T::Partial, M::Medium, Attend),
    (E::Active, A::Yes, T::Partial, M::High, Act),
    (E::Active, A::Yes, T::Total, M::Low, Attend),
    (E::Active, A::Yes, T::Total, M::Medium, Act),
    (E::Active, A::Yes, T::Total, M::High, Act),
];

/// Looks the outcome up in [`DECISION_TABLE`].
pub fn decide(
    e: Exploitation,
    a: Automatable,
    t: TechnicalImpact,
    m: MissionWellbeing,
) -> SsvcOutcome {
    DECISION_TABLE
        .iter()
        .find(|row| row.0 == e && row.1 == a && row.2 == t && row.3 == m)
        .map_or(Act, |row| row.4) // unreachable: the table covers every combination
}

/// EPSS thresholds for the *Exploitation* decision point (part of [`crate::RiskWeights`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsvcThresholds {
    /// EPSS probability at or above which exploitation counts as **active** (default 0.5).
    pub epss_active: f64,
    /// EPSS probability at or above which exploitation counts as **public PoC** (default 0.1).
    pub epss_poc: f64,
}

impl Default for SsvcThresholds {
    fn default() -> Self {
        SsvcThresholds {
            epss_active: 0.5,
            epss_poc: 0.1,
        }
    }
}

/// Data classes that make Mission & Well-being high (see the module docs).
pub const HIGH_IMPACT_DATA_CLASSES: &[&str] = &["pci", "phi", "pii", "financial", "credentials"];

/// An SSVC decision with the value of each decision point and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsvcDecision {
    pub exploitation: Exploitation,
    pub automatable: Automatable,
    pub technical_impact: TechnicalImpact,
    pub mission_wellbeing: MissionWellbeing,
    pub decision: SsvcOutcome,
    /// One sentence per decision point, in the order above.
    pub reasons: Vec<String>,
}

/// Metric `key:value` pairs of a vector that scores (so the keys are known to be valid).
fn vector_metrics(vector: &str) -> Option<(CvssVersion, Vec<(String, String)>)> {
    let score = score_vector(vector).ok()?;
    let metrics = score
        .vector
        .split('/')
        .filter(|p| !p.starts_with("CVSS:"))
        .filter_map(|p| p.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some((score.version, metrics))
}

fn has(metrics: &[(String, String)], key: &str, value: &str) -> bool {
    metrics.iter().any(|(k, v)| k == key && v == value)
}

/// Decides SSVC for one finding.
pub fn assess_ssvc(input: &RiskInput, thresholds: &SsvcThresholds) -> SsvcDecision {
    let mut reasons = Vec::new();

    let epss = input
        .epss
        .as_ref()
        .map(|e| e.probability)
        .filter(|p| p.is_finite());
    let exploitation = if input.kev.is_some() {
        reasons.push("exploitation active: listed in CISA KEV".to_string());
        E::Active
    } else if let Some(p) = epss.filter(|p| *p >= thresholds.epss_active) {
        reasons.push(format!(
            "exploitation active: EPSS {p} >= {}",
            thresholds.epss_active
        ));
        E::Active
    } else if let Some(p) = epss.filter(|p| *p >= thresholds.epss_poc) {
        reasons.push(format!(
            "exploitation public PoC: EPSS {p} >= {}",
            thresholds.epss_poc
        ));
        E::PublicPoc
    } else if input.public_exploit {
        reasons.push("exploitation public PoC: a public exploit is referenced".to_string());
        E::PublicPoc
    } else {
        reasons.push("exploitation none: not in KEV, EPSS below thresholds or absent, no public exploit reference".to_string());
        E::None
    };

    let metrics = input.cvss_vector.as_deref().and_then(vector_metrics);
    let (automatable, technical_impact) = match &metrics {
        Some((version, m)) => {
            let auto = match version {
                CvssVersion::V2 => has(m, "AV", "N") && has(m, "Au", "N"),
                _ => has(m, "AV", "N") && has(m, "PR", "N") && has(m, "UI", "N"),
            };
            let total = match version {
                CvssVersion::V2 => has(m, "C", "C") && has(m, "I", "C"),
                CvssVersion::V4_0 => has(m, "VC", "H") && has(m, "VI", "H"),
                _ => has(m, "C", "H") && has(m, "I", "H"),
            };
            reasons.push(if auto {
                format!("automatable yes: CVSS {version} vector: network, no privileges, no user interaction")
            } else {
                format!("automatable no: CVSS {version} vector needs local/adjacent access, privileges or user interaction")
            });
            reasons.push(if total {
                format!("technical impact total: CVSS {version} confidentiality and integrity impact high")
            } else {
                format!("technical impact partial: CVSS {version} confidentiality and integrity impact not both high")
            });
            (
                if auto { A::Yes } else { A::No },
                if total { T::Total } else { T::Partial },
            )
        }
        None => {
            reasons.push("automatable no: no CVSS vector that scores".to_string());
            reasons.push("technical impact partial: no CVSS vector that scores".to_string());
            (A::No, T::Partial)
        }
    };

    let classes: Vec<String> = input
        .asset
        .data_classes
        .iter()
        .map(|c| crate::model::normalize_data_class(c))
        .filter(|c| !c.is_empty())
        .collect();
    let high_impact = classes
        .iter()
        .any(|c| HIGH_IMPACT_DATA_CLASSES.contains(&c.as_str()));
    let (mut mission, why) = match input.asset.criticality {
        Some(Criticality::Tier1) => (M::High, "tier-1 asset".to_string()),
        Some(Criticality::Tier2) if high_impact => {
            (M::High, "tier-2 asset with high-impact data".to_string())
        }
        Some(Criticality::Tier2) => (M::Medium, "tier-2 asset".to_string()),
        Some(Criticality::Tier3) if !classes.is_empty() => {
            (M::Medium, "tier-3 asset with classified data".to_string())
        }
        Some(Criticality::Tier3) => (M::Low, "tier-3 asset".to_string()),
        None if high_impact => (
            M::High,
            "asset of unknown tier with high-impact data".to_string(),
        ),
        None => (M::Medium, "asset of unknown tier".to_string()),
    };
    let mut why = why;
    if input.asset.production == Some(false) {
        mission = match mission {
            M::High => M::Medium,
            _ => M::Low,
        };
        why.push_str(", not production (one step lower)");
    }
    reasons.push(format!(
        "mission & well-being {}: {why}",
        match mission {
            M::Low => "low",
            M::Medium => "medium",
            M::High => "high",
        }
    ));

    SsvcDecision {
        exploitation,
        automatable,
        technical_impact,
        mission_wellbeing: mission,
        decision: decide(exploitation, automatable, technical_impact, mission),
        reasons,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_every_combination_once() {
        let mut n = 0;
        for e in [E::None, E::PublicPoc, E::Active] {
            for a in [A::No, A::Yes] {
                for t in [T::Partial, T::Total] {
                    for m in [M::Low, M::Medium, M::High] {
                        let rows = DECISION_TABLE
                            .iter()
                            .filter(|r| r.0 == e && r.1 == a && r.2 == t && r.3 == m)
                            .count();
                        assert_eq!(rows, 1, "{e:?} {a:?} {t:?} {m:?}");
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 36);
    }

    #[test]
    fn rows_of_the_published_tree() {
        // Rows as numbered in CISA's published table (0-based, E > A > T > M order).
        assert_eq!(decide(E::None, A::No, T::Partial, M::Low), Track); // 0
        assert_eq!(decide(E::None, A::No, T::Total, M::High), TrackStar); // 5
        assert_eq!(decide(E::None, A::Yes, T::Partial, M::High), Attend); // 8
        assert_eq!(decide(E::PublicPoc, A::No, T::Partial, M::High), TrackStar); // 14
        assert_eq!(decide(E::PublicPoc, A::No, T::Total, M::Medium), TrackStar); // 16
        assert_eq!(decide(E::PublicPoc, A::Yes, T::Total, M::High), Attend); // 23
        assert_eq!(decide(E::Active, A::No, T::Partial, M::High), Attend); // 26
        assert_eq!(decide(E::Active, A::No, T::Total, M::Medium), Attend); // 28
        assert_eq!(decide(E::Active, A::No, T::Total, M::High), Act); // 29
        assert_eq!(decide(E::Active, A::Yes, T::Partial, M::Low), Attend); // 30
        assert_eq!(decide(E::Active, A::Yes, T::Partial, M::High), Act); // 32
        assert_eq!(decide(E::Active, A::Yes, T::Total, M::Medium), Act); // 34
        // The outcome counts of the whole published tree: 18 Track, 4 Track*, 10 Attend, 4 Act.
        let count = |o| DECISION_TABLE.iter().filter(|r| r.4 == o).count();
        assert_eq!(
            (count(Track), count(TrackStar), count(Attend), count(Act)),
            (18, 4, 10, 4)
        );
    }

    #[test]
    fn more_exploitation_never_lowers_the_outcome() {
        for a in [A::No, A::Yes] {
            for t in [T::Partial, T::Total] {
                for m in [M::Low, M::Medium, M::High] {
                    let none = decide(E::None, a, t, m);
                    let poc = decide(E::PublicPoc, a, t, m);
                    let active = decide(E::Active, a, t, m);
                    // Track* and Track are both "standard timelines"; compare by urgency class.
                    let class = |o: SsvcOutcome| match o {
                        Track | TrackStar => 0,
                        Attend => 1,
                        Act => 2,
                    };
                    assert!(class(none) <= class(poc) && class(poc) <= class(active));
                }
            }
        }
    }
}
