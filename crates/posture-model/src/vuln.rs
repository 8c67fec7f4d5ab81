//! Vulnerability identifiers: classification and normalization, so that `cve-2021-44228` and
//! `CVE-2021-44228` are one id and the engine can tell a CVE from a GHSA or an OSV id.

/// The family of a vulnerability identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VulnIdKind {
    Cve,
    Ghsa,
    /// OSV-native ids: `GO-`, `PYSEC-`, `RUSTSEC-`, `OSV-`, `MAL-`...
    Osv,
    /// Distribution advisories: `DSA-`, `DLA-`, `RHSA-`, `ALAS-`, `USN-`, `SUSE-`...
    Distro,
    Other,
}

/// Upper-cases the prefix of well-known ids (`cve-2021-1` -> `CVE-2021-1`), keeps GHSA's
/// lowercase body (`GHSA-jfh8-c2jp-5v3q`), and trims whitespace. Unknown ids are only trimmed.
pub fn normalize_vuln_id(id: &str) -> String {
    let t = id.trim();
    let upper = t.to_ascii_uppercase();
    if upper.starts_with("GHSA-") {
        return format!("GHSA-{}", t[5..].to_ascii_lowercase());
    }
    match classify_vuln_id(&upper) {
        VulnIdKind::Other => t.to_string(),
        _ => upper,
    }
}

/// Classifies an identifier by its prefix (case-insensitive).
pub fn classify_vuln_id(id: &str) -> VulnIdKind {
    let u = id.trim().to_ascii_uppercase();
    if u.starts_with("CVE-") {
        VulnIdKind::Cve
    } else if u.starts_with("GHSA-") {
        VulnIdKind::Ghsa
    } else if [
        "GO-", "PYSEC-", "RUSTSEC-", "OSV-", "MAL-", "GSD-", "UVI-", "BIT-", "RSEC-", "HSEC-",
        "PSF-", "CURL-",
    ]
    .iter()
    .any(|p| u.starts_with(p))
    {
        VulnIdKind::Osv
    } else if [
        "DSA-",
        "DLA-",
        "RHSA-",
        "RHBA-",
        "RHEA-",
        "ALAS",
        "USN-",
        "SUSE-",
        "OPENSUSE-",
        "ELSA-",
        "ALSA-",
        "RLSA-",
        "TEMP-",
        "DTSA-",
        "ALPINE-",
        "CGA-",
        "MGASA-",
    ]
    .iter()
    .any(|p| u.starts_with(p))
    {
        VulnIdKind::Distro
    } else {
        VulnIdKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_known_prefixes() {
        assert_eq!(normalize_vuln_id(" cve-2021-44228 "), "CVE-2021-44228");
        assert_eq!(
            normalize_vuln_id("ghsa-JFH8-c2jp-5v3q"),
            "GHSA-jfh8-c2jp-5v3q"
        );
        assert_eq!(normalize_vuln_id("pysec-2021-1"), "PYSEC-2021-1");
        assert_eq!(
            normalize_vuln_id("npm:lodash:20180130"),
            "npm:lodash:20180130"
        );
        assert_eq!(classify_vuln_id("RHSA-2020:1234"), VulnIdKind::Distro);
        assert_eq!(classify_vuln_id("SNYK-JS-LODASH-1"), VulnIdKind::Other);
    }
}
