//! Severity scales as data: a format names its table, [`lookup`] reads a word in it.
//!
//! Formats that share a scale share its table; a format whose words are its own keeps its own
//! table here too, so each mapping is one `const` that the module documentation can quote.

use posture_model::Severity;

/// A tool's severity words (upper case) and what each means.
pub(crate) type Table = &'static [(&'static str, Severity)];

/// The word (trimmed, any case) in `table`.
pub(crate) fn lookup(table: Table, word: &str) -> Option<Severity> {
    let w = word.trim();
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(w))
        .map(|(_, s)| *s)
}

/// Critical, high, medium, low: Trivy and the Trivy Operator (anything else is info).
pub(crate) const CRITICAL_TO_LOW: Table = &[
    ("CRITICAL", Severity::Critical),
    ("HIGH", Severity::High),
    ("MEDIUM", Severity::Medium),
    ("LOW", Severity::Low),
];

/// GitHub's advisory database words (`moderate` for medium).
pub(crate) const GITHUB_ADVISORY: Table = &[
    ("CRITICAL", Severity::Critical),
    ("HIGH", Severity::High),
    ("MODERATE", Severity::Medium),
    ("MEDIUM", Severity::Medium),
    ("LOW", Severity::Low),
];

/// OWASP Dependency-Check (its own words and the CVSS v3 qualitative ratings).
pub(crate) const DEPENDENCY_CHECK: Table = &[
    ("CRITICAL", Severity::Critical),
    ("HIGH", Severity::High),
    ("MEDIUM", Severity::Medium),
    ("MODERATE", Severity::Medium),
    ("LOW", Severity::Low),
    ("INFO", Severity::Info),
    ("INFORMATIONAL", Severity::Info),
    ("NONE", Severity::Info),
];

/// AWS Security Hub's `Severity.Label`.
pub(crate) const ASFF_LABEL: Table = &[
    ("CRITICAL", Severity::Critical),
    ("HIGH", Severity::High),
    ("MEDIUM", Severity::Medium),
    ("LOW", Severity::Low),
    ("INFORMATIONAL", Severity::Info),
    ("INFO", Severity::Info),
    ("UNKNOWN", Severity::Info),
];

/// Semgrep's levels (`ERROR`/`WARNING`/`INFO`) and the newer words.
pub(crate) const SEMGREP: Table = &[
    ("CRITICAL", Severity::Critical),
    ("ERROR", Severity::High),
    ("HIGH", Severity::High),
    ("WARNING", Severity::Medium),
    ("MEDIUM", Severity::Medium),
    ("INFO", Severity::Low),
    ("LOW", Severity::Low),
    ("INVENTORY", Severity::Info),
    ("EXPERIMENT", Severity::Info),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_trims_and_ignores_case() {
        assert_eq!(lookup(CRITICAL_TO_LOW, " high "), Some(Severity::High));
        assert_eq!(
            lookup(CRITICAL_TO_LOW, "Critical"),
            Some(Severity::Critical)
        );
        assert_eq!(lookup(CRITICAL_TO_LOW, "unknown"), None);
        assert_eq!(lookup(GITHUB_ADVISORY, "moderate"), Some(Severity::Medium));
        assert_eq!(lookup(SEMGREP, "info"), Some(Severity::Low));
        assert_eq!(lookup(ASFF_LABEL, "informational"), Some(Severity::Info));
        assert_eq!(lookup(DEPENDENCY_CHECK, "none"), Some(Severity::Info));
    }
}
