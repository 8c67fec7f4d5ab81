//! Text encodings of reports, and the head that detection reads.
//!
//! Scanners write UTF-8, but reports pass through Windows tools and PowerShell redirections
//! (`> report.json` writes UTF-16 LE with a byte order mark), so a report may arrive as UTF-16
//! (LE or BE, with a BOM or, recognisably, without one) or as UTF-8 with a BOM. [`decode`] gives
//! every parser UTF-8; anything else is an [`EncodingError`] naming the encoding and the byte
//! where reading stopped.
//!
//! Detection reads the head of a report ([`Head`]). For JSON, the head is a *skeleton*: every
//! string value is kept up to [`Head::MAX_STRING`] bytes and the rest of it skipped, so that a
//! huge first field (a 100 MB `Description` before a leak's `RuleID`) does not hide the keys
//! that say what the report is.

use std::borrow::Cow;

/// Why a report's bytes cannot be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the report is {encoding} but {problem} at byte {position}")]
pub struct EncodingError {
    /// The encoding the report was read as (`UTF-8`, `UTF-16 LE`...).
    pub encoding: &'static str,
    /// 0-based byte offset in the report as given.
    pub position: u64,
    pub problem: String,
}

/// The report as UTF-8: borrowed when it already is UTF-8 (with or without a BOM; parsers skip
/// the BOM), transcoded from UTF-16. UTF-32 is refused. Invalid UTF-8 is left to the parsers,
/// which report it with its line and column (see [`utf8_problem`] for detection's message).
pub fn decode(input: &[u8]) -> Result<Cow<'_, [u8]>, EncodingError> {
    if input.starts_with(&[0xFF, 0xFE, 0, 0]) || input.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(EncodingError {
            encoding: "UTF-32",
            position: 0,
            problem: "UTF-32 is not read (save it as UTF-8)".into(),
        });
    }
    if let Some(rest) = input.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, 2, false).map(Cow::Owned);
    }
    if let Some(rest) = input.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, 2, true).map(Cow::Owned);
    }
    // Without a BOM, UTF-16 shows as an ASCII character next to a zero byte: `{\0"\0` (LE) or
    // `\0{\0"` (BE). No text report starts with a NUL character.
    match input {
        [a, 0, b, 0, ..] if a.is_ascii() && *a != 0 && b.is_ascii() && *b != 0 => {
            utf16(input, 0, false).map(Cow::Owned)
        }
        [0, a, 0, b, ..] if a.is_ascii() && *a != 0 && b.is_ascii() && *b != 0 => {
            utf16(input, 0, true).map(Cow::Owned)
        }
        _ => Ok(Cow::Borrowed(input)),
    }
}

fn utf16(body: &[u8], offset: usize, big_endian: bool) -> Result<Vec<u8>, EncodingError> {
    let encoding = if big_endian { "UTF-16 BE" } else { "UTF-16 LE" };
    if !body.len().is_multiple_of(2) {
        return Err(EncodingError {
            encoding,
            position: (offset + body.len() - 1) as u64,
            problem: "it ends in the middle of a character (an odd number of bytes)".into(),
        });
    }
    let units = body.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut out = String::with_capacity(body.len() / 2);
    let mut at = offset;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                at += 2 * c.len_utf16();
                out.push(c);
            }
            Err(e) => {
                return Err(EncodingError {
                    encoding,
                    position: at as u64,
                    problem: format!("has an unpaired surrogate 0x{:04X}", e.unpaired_surrogate()),
                });
            }
        }
    }
    Ok(out.into_bytes())
}

/// Where UTF-8 input stops being UTF-8 within its first `limit` bytes, as an error naming
/// the byte.
pub fn utf8_problem(input: &[u8], limit: usize) -> Option<EncodingError> {
    let cut = input.len().min(limit);
    match std::str::from_utf8(&input[..cut]) {
        Ok(_) => None,
        Err(e) if e.error_len().is_none() => None, // cut inside a character by the limit
        Err(e) => {
            let at = e.valid_up_to();
            Some(EncodingError {
                encoding: "UTF-8",
                position: at as u64,
                problem: format!(
                    "byte 0x{:02X} is not valid UTF-8 (Posture reads UTF-8 and UTF-16)",
                    input[at]
                ),
            })
        }
    }
}

/// The head of a report as detection reads it: up to [`crate::Sniff::HEAD_BYTES`] of text, a
/// JSON document's long strings shortened (see the module documentation).
#[derive(Debug, Clone)]
pub struct Head {
    text: String,
    complete: bool,
}

impl Head {
    /// How much of each JSON string the head keeps.
    pub const MAX_STRING: usize = 1024;

    /// Reads the head of UTF-8 input (after [`decode`]).
    pub fn of(input: &[u8]) -> Head {
        let body = crate::json::strip_bom(input);
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(body.len());
        let body = &body[start..];
        let (bytes, complete) = if matches!(body.first(), Some(b'{' | b'[')) {
            skeleton(body, crate::Sniff::HEAD_BYTES, Self::MAX_STRING)
        } else {
            let cut = body.len().min(crate::Sniff::HEAD_BYTES);
            (body[..cut].to_vec(), cut == body.len())
        };
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                bytes.truncate(valid);
                String::from_utf8(bytes).unwrap_or_default()
            }
        };
        Head { text, complete }
    }

    pub fn sniff(&self) -> crate::Sniff<'_> {
        crate::Sniff {
            head: self.text.trim_start(),
            complete: self.complete,
        }
    }
}

/// Copies JSON text up to `max_out` bytes, keeping at most `max_string` bytes of each string
/// (cut between characters and escapes, so the result stays JSON). Whether all input was read.
fn skeleton(input: &[u8], max_out: usize, max_string: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len().min(max_out) + max_string);
    let mut i = 0;
    while i < input.len() && out.len() < max_out {
        let b = input[i];
        out.push(b);
        i += 1;
        if b != b'"' {
            continue;
        }
        // inside a string: keep its start, skip the rest
        let mut kept = 0;
        while i < input.len() {
            let c = input[i];
            if c == b'"' {
                out.push(c);
                i += 1;
                break;
            }
            if kept >= max_string {
                // skip fast to the next quote or backslash
                match input[i..].iter().position(|&x| x == b'"' || x == b'\\') {
                    Some(p) if input[i + p] == b'"' => i += p,
                    Some(p) => i += p + 2,
                    None => i = input.len(),
                }
                continue;
            }
            let unit = match c {
                b'\\' if input.get(i + 1) == Some(&b'u') => 6,
                b'\\' => 2,
                0xF0..=0xFF => 4,
                0xE0..=0xEF => 3,
                0xC0..=0xDF => 2,
                _ => 1,
            };
            let end = (i + unit).min(input.len());
            out.extend_from_slice(&input[i..end]);
            kept += end - i;
            i = end;
        }
    }
    (out, i >= input.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = r#"[{"RuleID": "aws", "File": "é.py"}]"#;
        assert_eq!(
            decode(&utf16le(text, true)).unwrap().as_ref(),
            text.as_bytes()
        );
        assert_eq!(
            decode(&utf16le(text, false)).unwrap().as_ref(),
            text.as_bytes()
        );
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&be).unwrap().as_ref(), text.as_bytes());
        assert!(matches!(decode(b"[]").unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn broken_utf16_names_the_byte() {
        let mut v = utf16le("[1]", true);
        v.extend_from_slice(&0xD800u16.to_le_bytes());
        v.extend_from_slice(&u16::from(b'x').to_le_bytes());
        let e = decode(&v).unwrap_err();
        assert_eq!((e.encoding, e.position), ("UTF-16 LE", 8));
        v.push(0);
        let e = decode(&v).unwrap_err();
        assert_eq!(e.position, 12);
        let e = utf8_problem(b"[\"caf\xE9\"]", 100).unwrap();
        assert_eq!((e.encoding, e.position), ("UTF-8", 5));
        assert!(e.to_string().contains("byte 5"), "{e}");
    }

    #[test]
    fn skeleton_skips_long_strings() {
        let long = "x".repeat(10_000);
        let doc = format!(r#"[{{"Description": "{long}\"q", "RuleID": "r\u00e9"}}]"#);
        let head = Head::of(doc.as_bytes());
        let s = head.sniff();
        assert!(s.complete);
        assert!(s.has_key("RuleID"), "{}", &s.head[s.head.len() - 40..]);
        assert!(s.head.len() < 2000);
        let v: serde_json::Value = serde_json::from_str(s.head).unwrap();
        assert_eq!(v[0]["RuleID"], "ré");
    }
}
