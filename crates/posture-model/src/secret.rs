use serde::{Deserialize, Serialize};

/// The mask shown in place of a secret (and of every copy of it in a title, message or code
/// context): always the same length, so it says nothing about the secret's length.
pub const SECRET_MASK: &str = "********";

/// The prefix of a secret hash keyed with the installation's key ([`SecretKey::seal`]): the
/// only form of [`SecretEvidence::hash`] that is stored or shown.
pub const SEALED_PREFIX: &str = "keyed-blake3:";

/// The prefix of evidence a parser made and nobody sealed yet: the SHA-1 of the secret, the
/// form detect-secrets and Checkov report (so that a secret found in plaintext by one tool
/// meets the same secret found by those). Never stored: the store refuses it.
pub const UNSEALED_PREFIX: &str = "sha1:";

/// What Posture keeps of a secret found by a scanner: never the secret itself.
///
/// A parser makes it ([`SecretEvidence::from_plaintext`], [`SecretEvidence::from_sha1`]) with
/// an unkeyed SHA-1 that lives only in memory; before identity, correlation or the store see
/// it, the ingest seals it with the installation's key ([`SecretKey::seal`]): the stored and
/// shown hash cannot be checked against a guess without that key, which is kept outside the
/// database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEvidence {
    /// Sealed: `keyed-blake3:` + hex of the BLAKE3 hash, keyed with the installation's key, of
    /// the secret's SHA-1. Two tools that found the same secret produce the same hash, so they
    /// meet without plaintext. Before sealing (in memory only): `sha1:` + hex.
    pub hash: String,
    /// A preview safe to show, of fixed length: [`SECRET_MASK`], after the first 4 characters
    /// for secrets of 20 characters or more (`AKIA********`).
    pub masked: String,
    /// The secret has the shape of one line of a PEM/PGP block body (60 to 80 characters of
    /// the base64 alphabet, nothing else): correlation then takes consecutive such lines as one
    /// multi-line secret. A shape, not a value: every body line of every key has it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block_line: bool,
}

/// Whether a secret is shaped like one line of a PEM/PGP block body.
fn is_block_line(s: &str) -> bool {
    (60..=80).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

impl SecretEvidence {
    /// Hashes and masks a secret. The caller must drop every other copy of the plaintext.
    pub fn from_plaintext(secret: &str) -> Self {
        let trimmed = secret.trim();
        use sha1::Digest;
        let digest = sha1::Sha1::digest(trimmed.as_bytes());
        SecretEvidence {
            hash: format!("{UNSEALED_PREFIX}{}", hex(&digest)),
            masked: mask_secret(trimmed),
            block_line: is_block_line(trimmed),
        }
    }

    /// The evidence of a secret a tool reported only by its SHA-1 (detect-secrets' and
    /// Checkov's `hashed_secret`): `None` unless `sha1_hex` is 40 hexadecimal digits.
    pub fn from_sha1(sha1_hex: &str) -> Option<Self> {
        let h = sha1_hex.trim();
        (h.len() == 40 && h.chars().all(|c| c.is_ascii_hexdigit())).then(|| SecretEvidence {
            hash: format!("{UNSEALED_PREFIX}{}", h.to_ascii_lowercase()),
            masked: SECRET_MASK.to_string(),
            block_line: false,
        })
    }

    /// Whether the hash is keyed with an installation key (the only form that may be stored).
    pub fn is_sealed(&self) -> bool {
        self.hash.starts_with(SEALED_PREFIX)
    }

    /// Every identity of the secret this evidence carries: two pieces of evidence are the same
    /// secret when they share one.
    pub fn identities(&self) -> Vec<&str> {
        vec![self.hash.as_str()]
    }
}

/// An installation's secret key: the key of every secret hash Posture stores. Kept outside
/// the database (an environment variable or a key file, see the README); the database keeps
/// only its [check value](SecretKey::check_value), so that every writer of one database uses
/// the same key.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

/// The least key material accepted (bytes of text, e.g. 64 hex digits or 44 base64
/// characters of 32 random bytes both pass).
pub const MIN_KEY_MATERIAL: usize = 32;

impl SecretKey {
    /// Derives the key from key material (the text of `POSTURE_SECRET_KEY` or of a key file,
    /// surrounding whitespace ignored). Refuses material shorter than [`MIN_KEY_MATERIAL`].
    pub fn from_material(material: &[u8]) -> Result<Self, String> {
        let m = material.trim_ascii();
        if m.len() < MIN_KEY_MATERIAL {
            return Err(format!(
                "the secret key must be at least {MIN_KEY_MATERIAL} characters of random \
                 material (found {}); make one with `openssl rand -hex 32`",
                m.len()
            ));
        }
        Ok(SecretKey(blake3::derive_key(
            "posture 2026 installation secret key v1",
            m,
        )))
    }

    /// The value recorded in the database to recognise this key without revealing it.
    pub fn check_value(&self) -> String {
        let h = blake3::keyed_hash(&self.0, b"posture secret key check value v1");
        format!("kcv1:{}", &h.to_hex()[..32])
    }

    /// Replaces unsealed evidence (`sha1:`) by its keyed hash; sealed evidence is left as is.
    /// Any other form (an older `blake3:` hash) is keyed as a whole likewise.
    pub fn seal(&self, evidence: &mut SecretEvidence) {
        if evidence.is_sealed() {
            return;
        }
        let mut h = blake3::Hasher::new_keyed(&self.0);
        h.update(b"posture secret evidence v2\0");
        h.update(evidence.hash.as_bytes());
        evidence.hash = format!("{SEALED_PREFIX}{}", h.finalize().to_hex());
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Masks a secret for display, in fixed length: [`SECRET_MASK`], preceded by the first 4
/// characters only for secrets of 20 characters or more (where they say which kind of key it
/// is, `AKIA`, `ghp_`, and give little away). Nothing tells the length.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let mut out: String = if chars.len() >= 20 {
        chars[..4].iter().collect()
    } else {
        String::new()
    };
    out.push_str(SECRET_MASK);
    out
}

/// Withholds the values a deserializer's message repeats (`invalid type: floating point
/// `9.87e22`, expected a string`): the value may be a secret, and a message is stored and
/// shown. Field names and what was expected are kept, they help fix the report.
pub fn redact_values(message: &str) -> String {
    const MARKERS: [&str; 3] = ["invalid type: ", "invalid value: ", "unknown variant "];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let Some((at, marker)) = MARKERS
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, *m)))
            .min_by_key(|(i, _)| *i)
        else {
            out.push_str(rest);
            return out;
        };
        let start = at + marker.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(", expected").unwrap_or(tail.len());
        out.push_str(&withhold_quoted(&tail[..end]));
        rest = &tail[end..];
    }
}

/// Replaces every quoted span (`...`, "...", '...') of `s` by `(value withheld)`, and a bare
/// number after a type word (`integer 12`) likewise.
fn withhold_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    let mut withheld = false;
    while let Some((i, c)) = chars.next() {
        if matches!(c, '`' | '"' | '\'')
            && let Some(close) = s[i + 1..].rfind(c)
        {
            out.push_str("(value withheld)");
            withheld = true;
            let stop = i + 1 + close;
            while chars.peek().is_some_and(|(j, _)| *j <= stop) {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    if !withheld {
        // `invalid length 3` keeps its number; a value without quotes is cut after its kind
        let words: Vec<&str> = out.split_whitespace().collect();
        if words.len() > 1 && words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit())) {
            return format!("{} (value withheld)", words[0]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_reveal_much_nor_the_length() {
        assert_eq!(mask_secret("AKIAIOSFODNN7EXAMPLE"), "AKIA********");
        assert_eq!(mask_secret("hunter22"), "********");
        assert_eq!(mask_secret("hunter2"), "********");
        assert_eq!(mask_secret("abc"), "********");
        assert_eq!(mask_secret("0123456789abcdefghi"), "********");
        let long = "x".repeat(500);
        assert_eq!(mask_secret(&long), "xxxx********");
        assert_eq!(mask_secret(&"x".repeat(21)), mask_secret(&long));
    }

    #[test]
    fn evidence_is_unsealed_until_keyed_and_then_hides_the_secret() {
        let a = SecretEvidence::from_plaintext("AKIAIOSFODNN7EXAMPLE");
        let b = SecretEvidence::from_plaintext(" AKIAIOSFODNN7EXAMPLE\n");
        assert_eq!(a, b);
        // the SHA-1 that detect-secrets reports for this value meets it
        let ds = SecretEvidence::from_sha1("25910F981E85CA04BAF359199DD0BD4A3AE738B6");
        assert_eq!(ds.as_ref().map(|d| d.hash.as_str()), Some(a.hash.as_str()));
        assert!(!a.is_sealed());

        let key = SecretKey::from_material(b"0123456789abcdef0123456789abcdef").unwrap();
        let other = SecretKey::from_material(b"fedcba9876543210fedcba9876543210").unwrap();
        let (mut sa, mut sd, mut so) = (a.clone(), ds.unwrap(), a.clone());
        key.seal(&mut sa);
        key.seal(&mut sd);
        other.seal(&mut so);
        assert!(sa.is_sealed());
        assert_eq!(sa.hash, sd.hash, "one key: the same secret has one hash");
        assert_ne!(sa.hash, so.hash, "another key: another hash");
        assert!(!sa.hash.contains("25910f981e85ca04baf359199dd0bd4a3ae738b6"));
        let again = sa.clone();
        key.seal(&mut sa);
        assert_eq!(sa, again, "sealing twice changes nothing");
        assert_ne!(key.check_value(), other.check_value());
        assert!(!format!("{key:?}").contains("0123"));
    }

    #[test]
    fn deserializer_messages_do_not_repeat_values() {
        let m = redact_values(
            "item skipped: invalid type: floating point `9.876543210987655e+22`, expected a string",
        );
        assert_eq!(
            m,
            "item skipped: invalid type: floating point (value withheld), expected a string"
        );
        let m = redact_values(r#"invalid type: string "hunter2hunter2", expected u32"#);
        assert!(!m.contains("hunter2"), "{m}");
        let m = redact_values("unknown variant `s3cr3t`, expected one of `a`, `b`");
        assert_eq!(
            m,
            "unknown variant (value withheld), expected one of `a`, `b`"
        );
        assert_eq!(
            redact_values("missing field `RuleID`"),
            "missing field `RuleID`"
        );
    }

    #[test]
    fn short_key_material_is_refused() {
        assert!(SecretKey::from_material(b"  short  ").is_err());
        assert!(SecretEvidence::from_sha1("not hex").is_none());
    }
}
