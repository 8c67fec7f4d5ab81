//! Vulnerability ids: recognised, normalised and collected once.

use posture_model::normalize_vuln_id;

/// Adds a vulnerability id (normalized) unless it is empty or already listed.
pub(crate) fn push_vuln_id(ids: &mut Vec<String>, id: &str) {
    if id.trim().is_empty() {
        return;
    }
    let n = normalize_vuln_id(id);
    if !ids.contains(&n) {
        ids.push(n);
    }
}

/// CVE and GHSA ids named in free text, normalized, in order of appearance, deduplicated.
pub(crate) fn vuln_ids_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let upper = token.to_ascii_uppercase();
        let ok = if let Some(rest) = upper.strip_prefix("CVE-") {
            let mut parts = rest.splitn(2, '-');
            let year = parts.next().unwrap_or("");
            let num = parts.next().unwrap_or("");
            year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && num.len() >= 4
                && num.bytes().all(|b| b.is_ascii_digit())
        } else if let Some(rest) = upper.strip_prefix("GHSA-") {
            let parts: Vec<&str> = rest.split('-').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        } else {
            false
        };
        if ok {
            let id = normalize_vuln_id(token);
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}
