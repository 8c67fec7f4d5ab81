//! Reading JSON items leniently: one unreadable item is a diagnostic, the rest is kept.

use crate::ParseError;
use crate::json;
use posture_model::Diagnostic;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A list that is present: `null` reads as empty, a missing key as `None` (with `default`).
pub(crate) fn present_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<&'de RawValue>>, D::Error> {
    Ok(Some(
        Option::<Vec<&'de RawValue>>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// Replaces serde's "invalid type ... expected struct Doc" with what the format expects,
/// keeping the position; syntax and truncation errors are kept as they are.
pub(crate) fn reshape(e: ParseError, expected: &str) -> ParseError {
    if e.kind == crate::ParseErrorKind::Shape {
        ParseError {
            message: expected.to_string(),
            ..e
        }
    } else {
        e
    }
}

/// Reads one raw item as `T`, or records a `Skipped` diagnostic at `locator`.
pub(crate) fn item<'a, T: Deserialize<'a>>(
    raw: &'a RawValue,
    locator: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_json::from_str::<T>(raw.get()) {
        Ok(v) => Some(v),
        Err(e) => {
            let mut m = e.to_string();
            if let Some(cut) = m.rfind(" at line ") {
                m.truncate(cut);
            }
            diags.push(json::skipped(locator, format!("item skipped: {m}")));
            None
        }
    }
}

/// A JSON object read as its entries in document order (`null` reads as no entries).
pub(crate) struct Entries<V>(pub Vec<(String, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}
