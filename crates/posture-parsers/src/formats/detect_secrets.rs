//! detect-secrets baselines (`detect-secrets scan > .secrets.baseline`), versions 0.x and 1.x.
//!
//! Shape: `{version, plugins_used[], filters_used[], results {"<file>": [{type, filename,
//! hashed_secret, is_verified, line_number, is_secret?}]}, generated_at}`; `results: {}` when
//! nothing was found.
//!
//! Items: one occurrence per entry of each file's list (locator `/results/<file>/<k>`, the file
//! name escaped per RFC 6901), category **secret**, CWE-798. `rule_id` = `type` (`AWS Access Key`,
//! `Hex High Entropy String`...). `location.path` = `filename` (else the key), `start_line` =
//! `line_number`. An entry audited as a false positive (`is_secret: false`) is kept with
//! `suppressed = true`.
//!
//! Secrets: the report does not contain the secret, only `hashed_secret`, the SHA-1 of it. The
//! evidence is `SecretEvidence { hash: "sha1:<hashed_secret>", masked: "********" }` (nothing of the
//! secret is known, so the preview shows nothing). It is not re-hashed: the value is the SHA-1
//! of the plaintext as detect-secrets computed it, which Checkov writes too (its secret
//! `resource`), so those two tools correlate directly. Matching detect-secrets against tools that
//! give the plaintext (hashed with BLAKE3 by Posture) needs the SHA-1 of their plaintext as well,
//! which a later correlation change may add alongside. detect-secrets reports a repeated value
//! once per file (its first line only).
//!
//! Severity: detect-secrets has none. Entropy detectors (`… High Entropy String`) → **medium**
//! (they flag any random-looking string: hashes, ids); every other detector (`AWS Access Key`,
//! `Private Key`, `Secret Keyword`...) → **high**. `is_verified: true` → **critical**.

use crate::json::{self, opt_lenient_u32, pointer};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub struct DetectSecrets;

#[derive(Deserialize)]
struct Baseline<'a> {
    #[serde(default, borrow)]
    results: Option<indexmap_like::Ordered<'a>>,
    #[serde(default)]
    version: Option<String>,
}

/// Keeps the files of `results` in report order (serde_json maps would sort them).
mod indexmap_like {
    use serde::Deserialize;
    use serde::de::{Deserializer, MapAccess, Visitor};
    use serde_json::value::RawValue;

    pub struct Ordered<'a>(pub Vec<(String, &'a RawValue)>);

    impl<'de: 'a, 'a> Deserialize<'de> for Ordered<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Ordered<'a>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object of file name to findings")
                }
                fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Ordered<'a>, M::Error> {
                    let mut v = Vec::new();
                    while let Some((k, val)) = m.next_entry::<String, &'a RawValue>()? {
                        v.push((k, val));
                    }
                    Ok(Ordered(v))
                }
            }
            d.deserialize_map(V(std::marker::PhantomData))
        }
    }
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    hashed_secret: Option<String>,
    #[serde(default)]
    is_verified: Option<bool>,
    #[serde(default)]
    is_secret: Option<bool>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line_number: Option<u32>,
}

impl Parser for DetectSecrets {
    fn id(&self) -> &'static str {
        "detect-secrets-json"
    }

    fn description(&self) -> &'static str {
        "detect-secrets baseline (JSON)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("results") {
            return Confidence::NO;
        }
        if s.has_key("plugins_used") || s.has_key("hashed_secret") {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        require_key(input, "results", "detect-secrets baseline")?;
        let b: Baseline = json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!(
                    "not a detect-secrets baseline: expected `results` mapping files to findings ({})",
                    e.message
                ))
            } else {
                e
            }
        })?;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let files = b.results.map(|r| r.0).unwrap_or_default();
        // a file listed twice would be odd JSON; keep the last, as JSON readers do
        let mut seen = BTreeMap::new();
        for (i, (name, _)) in files.iter().enumerate() {
            seen.insert(name.clone(), i);
        }
        for (i, (name, raw)) in files.iter().enumerate() {
            if seen.get(name) != Some(&i) {
                continue;
            }
            let base = pointer("/results", name);
            let items: Vec<&RawValue> =
                match serde_json::from_str::<Option<Vec<&RawValue>>>(raw.get()) {
                    Ok(v) => v.unwrap_or_default(),
                    Err(e) => {
                        diagnostics.push(json::skipped(&base, format!("file skipped: {e}")));
                        continue;
                    }
                };
            json::each_item(&items, &base, &mut diagnostics, |_, loc, e: Entry| {
                occurrences.push(to_occurrence(e, name, loc));
            });
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("detect-secrets", b.version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn to_occurrence(e: Entry, file: &str, locator: String) -> Occurrence {
    let kind = e
        .kind
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "detect-secrets".to_string());
    let verified = e.is_verified.unwrap_or(false);
    let severity = if verified {
        Severity::Critical
    } else if kind.contains("High Entropy") {
        Severity::Medium
    } else {
        Severity::High
    };
    let mut occ = Occurrence::new(
        Category::Secret,
        kind.clone(),
        format!("Secret detected: {kind}"),
        severity,
        locator,
    );
    occ.secret = e
        .hashed_secret
        .as_deref()
        .and_then(SecretEvidence::from_sha1);
    let path = e
        .filename
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| file.to_string());
    occ.location = Location {
        path: Some(path).filter(|p| !p.is_empty()),
        start_line: e.line_number.filter(|l| *l > 0),
        end_line: e.line_number.filter(|l| *l > 0),
        ..Location::default()
    };
    if verified {
        occ.description = Some("Verified as a live credential by detect-secrets.".to_string());
    }
    occ.suppressed = e.is_secret == Some(false);
    occ.cwes = vec![798];
    occ
}

/// The report must be a JSON object holding `key` (serde would also read a struct from an
/// array, and treats a missing optional field as absent). Returns the raw value of `key`.
fn require_key<'a>(input: &'a [u8], key: &str, what: &str) -> Result<&'a RawValue, ParseError> {
    let top: std::collections::BTreeMap<String, &RawValue> =
        json::from_slice(input).map_err(|e| {
            if e.kind == crate::ParseErrorKind::Shape {
                ParseError::shape(format!("not a {what}: expected a JSON object with `{key}`"))
            } else {
                e
            }
        })?;
    top.get(key).copied().ok_or_else(|| {
        ParseError::shape(format!("not a {what}: expected a JSON object with `{key}`"))
    })
}
