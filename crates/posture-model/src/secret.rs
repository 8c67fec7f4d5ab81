use serde::{Deserialize, Serialize};

/// What Posture keeps of a secret found by a scanner: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEvidence {
    /// `blake3:` + hex of the BLAKE3 hash of the secret bytes, domain-separated. Two tools that
    /// found the same secret produce the same hash, so they can be correlated without plaintext.
    pub hash: String,
    /// A preview safe to show: at most the first 4 characters of a secret of 16 or more, fewer
    /// for shorter ones, and asterisks for the rest (`AKIA************`).
    pub masked: String,
    /// `sha1:` + hex SHA-1 of the secret: the form detect-secrets and Checkov report, so that a
    /// secret found by a plaintext scanner meets the same secret found by those. As
    /// brute-forceable as `hash` for short secrets, and no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
}

impl SecretEvidence {
    /// Hashes and masks a secret. The caller must drop every other copy of the plaintext.
    pub fn from_plaintext(secret: &str) -> Self {
        let trimmed = secret.trim();
        let mut hasher = blake3::Hasher::new_derive_key("posture 2026 secret evidence v1");
        hasher.update(trimmed.as_bytes());
        let sha1 = {
            use sha1::Digest;
            let digest = sha1::Sha1::digest(trimmed.as_bytes());
            let mut hex = String::with_capacity(40);
            for b in digest {
                hex.push_str(&format!("{b:02x}"));
            }
            hex
        };
        SecretEvidence {
            hash: format!("blake3:{}", hasher.finalize().to_hex()),
            masked: mask_secret(trimmed),
            sha1: Some(format!("sha1:{sha1}")),
        }
    }

    /// Every identity of the secret this evidence carries (`blake3:…`, `sha1:…`): two pieces
    /// of evidence are the same secret when they share one.
    pub fn identities(&self) -> Vec<&str> {
        let mut out = vec![self.hash.as_str()];
        if let Some(s) = &self.sha1
            && s != &self.hash
        {
            out.push(s.as_str());
        }
        out
    }
}

/// Masks a secret for display: reveals a prefix only when the secret is long enough that the
/// prefix gives away little (4 characters of 16+, 2 of 8+, none below), caps the output at 24
/// characters so the length of long secrets is not shown either.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let n = chars.len();
    let shown = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let mut out: String = chars[..shown].iter().collect();
    let stars = n.saturating_sub(shown).clamp(4, 20);
    out.extend(std::iter::repeat_n('*', stars));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_reveal_much() {
        assert_eq!(mask_secret("AKIAIOSFODNN7EXAMPLE"), "AKIA****************");
        assert_eq!(mask_secret("hunter22"), "hu******");
        assert_eq!(mask_secret("abc"), "****");
        let long = "x".repeat(500);
        assert_eq!(mask_secret(&long).len(), 24);
    }

    #[test]
    fn evidence_hash_is_stable_and_hides_the_secret() {
        let a = SecretEvidence::from_plaintext("AKIAIOSFODNN7EXAMPLE");
        let b = SecretEvidence::from_plaintext(" AKIAIOSFODNN7EXAMPLE\n");
        assert_eq!(a, b);
        assert!(!a.hash.contains("AKIAIOSFODNN7EXAMPLE"));
        assert!(a.hash.starts_with("blake3:"));
        // the SHA-1 that detect-secrets reports for this value
        assert_eq!(
            a.sha1.as_deref(),
            Some("sha1:25910f981e85ca04baf359199dd0bd4a3ae738b6")
        );
    }
}
