//! Shared helpers for JSON formats: document parsing with positioned errors, per-item leniency
//! (a broken item becomes a diagnostic, the rest is kept), JSON Pointers, and deserializers for
//! the type drift scanners are known for (numbers as strings, `null` for lists).

use crate::{ParseError, ParseErrorKind};
use posture_model::{Diagnostic, DiagnosticLevel};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde_json::value::RawValue;
use std::fmt::Write as _;

/// Removes a UTF-8 byte order mark.
pub fn strip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input)
}

/// Whether the input is empty or only whitespace (after a BOM).
pub fn is_blank(input: &[u8]) -> bool {
    strip_bom(input).iter().all(|b| b.is_ascii_whitespace())
}

/// Parses a whole JSON document into `T`, with the error's line and column.
pub fn from_slice<'a, T: Deserialize<'a>>(input: &'a [u8]) -> Result<T, ParseError> {
    let input = strip_bom(input);
    if is_blank(input) {
        return Err(ParseError::new(ParseErrorKind::Empty, "the file is empty"));
    }
    serde_json::from_slice(input).map_err(|e| ParseError::from_json(&e))
}

/// Splits a stream of JSON values (JSON lines, or concatenated pretty-printed objects as
/// govulncheck writes) into raw values. The locator of the N-th value (0-based) is `/N`, as
/// if the stream were an array. A value that is not valid JSON ends the stream with an error
/// at its line and column (a truncated last line is reported as truncated).
pub fn stream_items(input: &[u8]) -> Result<Vec<&RawValue>, ParseError> {
    let input = strip_bom(input);
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_slice(input).into_iter::<&RawValue>();
    for item in stream {
        out.push(item.map_err(|e| ParseError::from_json(&e))?);
    }
    Ok(out)
}

/// Appends one segment to a JSON Pointer, escaping `~` and `/` as RFC 6901 says.
pub fn pointer(base: &str, segment: impl std::fmt::Display) -> String {
    let seg = segment.to_string();
    let mut out = String::with_capacity(base.len() + seg.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in seg.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends an array index to a JSON Pointer (no escaping needed).
pub fn pointer_index(base: &str, index: usize) -> String {
    let mut out = String::with_capacity(base.len() + 8);
    out.push_str(base);
    let _ = write!(out, "/{index}");
    out
}

/// Parses each raw item as `T`; an item that does not fit becomes a `Skipped` diagnostic with
/// its pointer, and the others are handed to `f` with their index and pointer.
pub fn each_item<'a, T, F>(
    items: &[&'a RawValue],
    base: &str,
    diagnostics: &mut Vec<Diagnostic>,
    mut f: F,
) where
    T: Deserialize<'a>,
    F: FnMut(usize, String, T),
{
    for (i, raw) in items.iter().enumerate() {
        let locator = pointer_index(base, i);
        // Every report item is a JSON object: serde would otherwise read an array as a struct
        // field by field (`[1, 2, 3]` as a leak of defaults).
        if !raw.get().trim_start().starts_with('{') {
            let found = match raw.get().trim_start().chars().next() {
                Some('[') => "an array",
                Some('"') => "a string",
                Some('n') => "null",
                Some('t' | 'f') => "a boolean",
                _ => "a number",
            };
            diagnostics.push(skipped(
                &locator,
                format!("item skipped: expected a JSON object, found {found}"),
            ));
            continue;
        }
        match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => f(i, locator, item),
            Err(e) => diagnostics.push(skipped(
                &locator,
                format!("item skipped: {}", strip_pos(&e)),
            )),
        }
    }
}

/// A `Skipped` diagnostic.
pub fn skipped(locator: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Skipped,
        locator: locator.to_string(),
        message: message.into(),
    }
}

/// A `Warning` diagnostic.
pub fn warning(locator: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Warning,
        locator: locator.to_string(),
        message: message.into(),
    }
}

fn strip_pos(e: &serde_json::Error) -> String {
    let mut m = e.to_string();
    if let Some(cut) = m.rfind(" at line ") {
        m.truncate(cut);
    }
    // the value may be a secret: never repeat it
    posture_model::redact_values(&m)
}

/// Parses an owned value out of a raw item (for rarely used sub-objects).
pub fn owned<T: DeserializeOwned>(raw: &RawValue) -> Option<T> {
    serde_json::from_str(raw.get()).ok()
}

/// `null` reads as the type's default (an empty list, an empty string...).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string, a number or a bool, read as a string; `null` as `None`.
pub fn opt_lenient_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let v = Option::<Scalar>::deserialize(d)?;
    Ok(v.and_then(Scalar::into_string))
}

/// A number, or a string holding a number (`"12"`, or the first of a range `"12-14"`); anything
/// else reads as `None` rather than failing the item.
pub fn opt_lenient_u32<'de, D>(d: D) -> Result<Option<u32>, D::Error>
where
    D: Deserializer<'de>,
{
    let v = Option::<Scalar>::deserialize(d)?;
    Ok(v.and_then(|s| s.as_u32()))
}

/// A number or a numeric string as `f64`.
pub fn opt_lenient_f64<'de, D>(d: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    let v = Option::<Scalar>::deserialize(d)?;
    Ok(v.and_then(|s| match s {
        Scalar::Float(f) => Some(f),
        Scalar::Int(i) => Some(i as f64),
        Scalar::Str(s) => s.trim().parse().ok(),
        Scalar::Bool(_) => None,
    })
    .filter(|f| f.is_finite()))
}

/// A single value or a list of them, read as a list; `null` as empty.
pub fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(v)) => vec![v],
    })
}

/// Any JSON scalar.
#[derive(Debug, Clone)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    pub fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Bool(b) => Some(b.to_string()),
        }
    }

    pub fn as_u32(&self) -> Option<u32> {
        match self {
            Scalar::Int(i) => u32::try_from(*i).ok(),
            Scalar::Float(f) if f.is_finite() && *f >= 0.0 && *f <= u32::MAX as f64 => {
                Some(*f as u32)
            }
            Scalar::Str(s) => {
                let first = s.trim().split(['-', ',', ' ']).next().unwrap_or("");
                first.parse().ok()
            }
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v)
                    .map(Scalar::Int)
                    .unwrap_or(Scalar::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses CWE ids out of the shapes tools use: `CWE-79`, `cwe-79: Improper...`, `79`,
/// `["CWE-79", "CWE-80"]` (call once per string).
pub fn parse_cwe(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t
        .strip_prefix("CWE-")
        .or_else(|| t.strip_prefix("cwe-"))
        .or_else(|| t.strip_prefix("CWE "))
        .or_else(|| t.strip_prefix("CWE:"))
        .unwrap_or(t);
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok().filter(|n| *n > 0)
}

/// A field's text, trimmed, or `None` when absent or blank (the usual reading of optional
/// scanner strings).
pub fn trimmed_non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Sorts and deduplicates a list of CWE ids.
pub fn tidy_cwes(mut cwes: Vec<u32>) -> Vec<u32> {
    cwes.sort_unstable();
    cwes.dedup();
    cwes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_per_rfc6901() {
        assert_eq!(pointer("", "a/b~c"), "/a~1b~0c");
        assert_eq!(pointer_index("/runs/0/results", 17), "/runs/0/results/17");
    }

    #[test]
    fn cwe_shapes() {
        assert_eq!(parse_cwe("CWE-79"), Some(79));
        assert_eq!(parse_cwe("cwe-89: SQL Injection"), Some(89));
        assert_eq!(parse_cwe("22"), Some(22));
        assert_eq!(parse_cwe("nvd-cve-other"), None);
    }

    #[test]
    fn truncated_json_is_reported_as_truncated() {
        let err = from_slice::<serde_json::Value>(b"{\"a\": [1, 2").unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Truncated);
        assert!(err.position.is_some());
        let err = from_slice::<serde_json::Value>(b"   ").unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Empty);
    }

    #[test]
    fn streams_of_values() {
        let items = stream_items(b"{\"a\":1}\n{\"a\":2}\n\n{\n \"a\": 3\n}").unwrap();
        assert_eq!(items.len(), 3);
        assert!(stream_items(b"").unwrap().is_empty());
        let e = stream_items(b"{\"a\":1}\n{\"a\":").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Truncated);
    }

    #[test]
    fn lenient_numbers() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "opt_lenient_u32")]
            line: Option<u32>,
        }
        let t: T = serde_json::from_str(r#"{"line": "12-14"}"#).unwrap();
        assert_eq!(t.line, Some(12));
        let t: T = serde_json::from_str(r#"{"line": 7}"#).unwrap();
        assert_eq!(t.line, Some(7));
        let t: T = serde_json::from_str(r#"{"line": null}"#).unwrap();
        assert_eq!(t.line, None);
    }
}
