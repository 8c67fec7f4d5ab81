//! Base64 payloads, decoded by the `base64` crate.
//!
//! Scanners embed base64 in two ways: Burp's requests and responses (standard or URL-safe
//! alphabet, line-wrapped, sometimes unpadded, of which only the head is needed) and
//! TruffleHog's decoded-secret hints (strict, padded standard base64).

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard alphabet, no padding expected, trailing bits tolerated (Burp's exports).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Standard alphabet, canonical padding required, trailing bits tolerated.
const PADDED: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes base64 (standard or URL-safe alphabet, padding optional, whitespace ignored) up to
/// `limit` output bytes: only the head is read, so a huge body costs nothing. `None` on a
/// character outside the alphabet within the part read.
pub(crate) fn decode_prefix(text: &str, limit: usize) -> Option<Vec<u8>> {
    // characters needed for `limit` bytes (6 bits each)
    let wanted = (limit.saturating_mul(4)).div_ceil(3);
    let mut clean = Vec::with_capacity(wanted.min(text.len()));
    for c in text.bytes() {
        if clean.len() >= wanted {
            break;
        }
        match c {
            b'=' => break,
            b'-' => clean.push(b'+'),
            b'_' => clean.push(b'/'),
            c if c.is_ascii_whitespace() => {}
            c if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' => clean.push(c),
            _ => return None,
        }
    }
    // a lone last character carries 6 bits: no whole byte (it was checked above)
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let mut out = LENIENT.decode(&clean).ok()?;
    out.truncate(limit);
    Some(out)
}

/// Decodes strict padded standard base64 when the result is printable UTF-8 text (tabs and
/// line breaks allowed) that is not blank.
pub(crate) fn decode_printable(s: &str) -> Option<String> {
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let text = String::from_utf8(PADDED.decode(s).ok()?).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (printable && !text.trim().is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_reads_both_alphabets_wrapped_and_unpadded() {
        assert_eq!(
            decode_prefix("R0VUIC8g\nSFRUUA==", 100).unwrap(),
            b"GET / HTTP"
        );
        assert_eq!(decode_prefix("R0VUIC8gSFRUUA", 100).unwrap(), b"GET / HTTP");
        assert_eq!(decode_prefix("R0VUIC8gSFRUUA", 3).unwrap(), b"GET");
        assert_eq!(
            decode_prefix("-_-_", 10).unwrap(),
            decode_prefix("+/+/", 10).unwrap()
        );
        assert_eq!(decode_prefix("R0VU!", 10), None);
        // the part after `limit` is not read
        assert_eq!(decode_prefix("R0VU!!!!", 3).unwrap(), b"GET");
        // a lone last character makes no byte
        assert_eq!(decode_prefix("R0VUI", 10).unwrap(), b"GET");
        assert_eq!(decode_prefix("", 10).unwrap(), b"");
    }

    #[test]
    fn printable_is_strict() {
        assert_eq!(decode_printable("aGVsbG8=").as_deref(), Some("hello"));
        assert_eq!(decode_printable("aGVsbG8"), None);
        assert_eq!(decode_printable("aGVs=G8="), None);
        assert_eq!(
            decode_printable("AAECAw=="),
            None,
            "control bytes are not text"
        );
        assert_eq!(decode_printable("ICAg"), None, "blank");
    }
}
