use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Posture's normalized severity scale. Ordered: `Info < Low < Medium < High < Critical`.
///
/// Every parser maps its tool's own scale onto this one (and keeps the tool's string in
/// [`crate::Occurrence::tool_severity`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Maps a CVSS base score (v2, v3.x or v4.0) to the qualitative rating of CVSS v3/v4:
    /// 0.0 none (info), 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical.
    /// This is also how GitHub reads SARIF's `security-severity`.
    pub fn from_cvss_score(score: f64) -> Option<Severity> {
        if !score.is_finite() || !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        })
    }

    /// Reads the common words scanners use: `critical`, `high`, `error`, `medium`, `moderate`,
    /// `warning`, `low`, `note`, `info`, `informational`, `negligible`, `unknown`, `none`
    /// (case-insensitive). Returns `None` for anything else, so that a parser can decide.
    pub fn from_common_word(word: &str) -> Option<Severity> {
        let w = word.trim().to_ascii_lowercase();
        Some(match w.as_str() {
            "critical" | "crit" | "blocker" | "very high" | "veryhigh" => Severity::Critical,
            "high" | "error" | "major" | "important" | "severe" => Severity::High,
            "medium" | "moderate" | "warning" | "warn" | "med" => Severity::Medium,
            "low" | "minor" | "note" => Severity::Low,
            "info" | "informational" | "information" | "negligible" | "unknown" | "none"
            | "trace" | "unspecified" | "undefined" | "" => Severity::Info,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity `{other}` (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// The default SLA in days, the one table every default SLA comes from (a policy's `set_sla`
/// wins over it): by the finding's risk band when it has been assessed (P1 7 days, P2 30,
/// P3 90, P4 180; the priority people see sets the clock), else by severity (critical 7,
/// high 30, medium 90, low 180). An informational finding has no SLA either way.
pub fn default_sla_days(band: Option<&str>, severity: Severity) -> Option<u32> {
    if severity == Severity::Info {
        return None;
    }
    match band {
        Some("P1") => Some(7),
        Some("P2") => Some(30),
        Some("P3") => Some(90),
        Some("P4") => Some(180),
        _ => match severity {
            Severity::Critical => Some(7),
            Severity::High => Some(30),
            Severity::Medium => Some(90),
            Severity::Low => Some(180),
            Severity::Info => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_bands_follow_the_specification() {
        assert_eq!(Severity::from_cvss_score(9.8), Some(Severity::Critical));
        assert_eq!(Severity::from_cvss_score(9.0), Some(Severity::Critical));
        assert_eq!(Severity::from_cvss_score(8.9), Some(Severity::High));
        assert_eq!(Severity::from_cvss_score(7.0), Some(Severity::High));
        assert_eq!(Severity::from_cvss_score(6.9), Some(Severity::Medium));
        assert_eq!(Severity::from_cvss_score(4.0), Some(Severity::Medium));
        assert_eq!(Severity::from_cvss_score(0.1), Some(Severity::Low));
        assert_eq!(Severity::from_cvss_score(0.0), Some(Severity::Info));
        assert_eq!(Severity::from_cvss_score(11.0), None);
        assert_eq!(Severity::from_cvss_score(f64::NAN), None);
    }

    #[test]
    fn order_is_by_gravity() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("urgent".parse::<Severity>().is_err());
    }
}
