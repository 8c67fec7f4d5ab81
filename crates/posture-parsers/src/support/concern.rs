//! Whether a tool classes a result as code quality rather than security, from the words the
//! tool itself uses (SARIF tags, semgrep's `metadata.category`, SonarQube's type and
//! impacts). Posture never guesses this from a title: a result is quality only when the
//! tool says so and says nothing of security.

/// Words tools use for code quality (lowercase, compared whole).
const QUALITY: &[&str] = &[
    "maintainability",
    "reliability",
    "correctness",
    "readability",
    "quality",
    "code-quality",
    "code quality",
    "style",
    "convention",
    "performance",
    "efficiency",
    "complexity",
    "useless-code",
    "best-practice",
    "best-practices",
    "bestpractice",
    "portability",
    "compatibility",
    "error-prone",
    "code_smell",
    "code-smell",
    "bug",
];

/// Whether a word says security (OWASP tags included; CWE tags too where `cwe_is_security`).
fn is_security(word: &str, cwe_is_security: bool) -> bool {
    let w = word.trim().to_ascii_lowercase();
    w == "security"
        || w.starts_with("security/")
        || w.starts_with("security-")
        || (cwe_is_security && w.contains("cwe"))
        || w.starts_with("owasp")
        || w.starts_with("external/owasp")
        || w == "vulnerability"
        || w == "security_hotspot"
        || w == "secret"
        || w == "secrets"
}

/// The quality words of a result, when its tool's words (tags, categories, types) name code
/// quality and none names security, and it has no CWE: `Some("reliability, correctness")`.
pub(crate) fn quality_concern<'a>(
    words: impl IntoIterator<Item = &'a str>,
    cwes: &[u32],
) -> Option<String> {
    if !cwes.is_empty() {
        return None;
    }
    quality_words(words, true)
}

/// SARIF's convention (CodeQL, and the tools that follow it): a security query carries the
/// `security` tag (and a `security-severity`); quality queries carry CWE tags too
/// (`java/inconsistent-equals-and-hashcode`: `reliability`, `correctness`,
/// `external/cwe/cwe-581`), so a CWE does not make a SARIF result security.
pub(crate) fn sarif_quality_concern<'a>(
    words: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    quality_words(words, false)
}

fn quality_words<'a>(
    words: impl IntoIterator<Item = &'a str>,
    cwe_is_security: bool,
) -> Option<String> {
    let mut found: Vec<String> = Vec::new();
    for w in words {
        if is_security(w, cwe_is_security) {
            return None;
        }
        let lower = w.trim().to_ascii_lowercase();
        if QUALITY.contains(&lower.as_str()) && !found.contains(&lower) {
            found.push(lower);
        }
    }
    (!found.is_empty()).then(|| found.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_only_when_the_tool_says_so_and_never_with_security() {
        // CodeQL's "Inconsistent equals and hashCode"
        assert_eq!(
            quality_concern(["reliability", "correctness"], &[]).as_deref(),
            Some("reliability, correctness")
        );
        // a CodeQL security query
        assert_eq!(
            quality_concern(["security", "correctness", "external/cwe/cwe-089"], &[]),
            None
        );
        assert_eq!(quality_concern(["maintainability"], &[89]), None);
        // nothing said: not quality (unknown stays security)
        assert_eq!(quality_concern([], &[]), None);
        assert_eq!(quality_concern(["java", "spring"], &[]), None);
        assert_eq!(quality_concern(["OWASP-A1"], &[]), None);
        // SARIF: CodeQL's quality queries carry CWE tags; only `security` says security
        assert_eq!(
            sarif_quality_concern(["reliability", "correctness", "external/cwe/cwe-581"])
                .as_deref(),
            Some("reliability, correctness")
        );
        assert_eq!(
            sarif_quality_concern(["security", "correctness", "external/cwe/cwe-089"]),
            None
        );
    }
}
