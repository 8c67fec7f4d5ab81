//! TruffleHog JSON-lines output (`trufflehog --json`), v2 (Python) and v3 (Go).
//!
//! Shape: one JSON object per line (a 0-byte file when nothing was found).
//! * v2: `{branch, commit (the commit MESSAGE), commitHash, date, diff, path, printDiff, reason,
//!   stringsFound[]}`. `diff`/`printDiff` hold whole diffs around the secret and are never read.
//! * v3: `{SourceMetadata: {Data: {Git|Github|Filesystem|...: {file, line, commit,
//!   repository, ...}}}, SourceType, DetectorType (ints), DetectorName, DecoderName, Verified,
//!   Raw, RawV2, Redacted, ExtraData}`.
//!
//! Items, all category **secret**, CWE-798:
//! * v2: one occurrence per string of `stringsFound` (locator `/N/stringsFound/K`): each string is
//!   a separate secret. `rule_id` = `reason`. The string is reduced to its likely secret token
//!   with the rule of [`crate::support::likely_secret_token`] (so `secret = 'abc…'` from the
//!   "Generic Secret" regex hashes like the bare value other tools report) and then hashed. A
//!   string that is only a PEM armour line (`-----BEGIN RSA PRIVATE KEY-----`, what v2's
//!   private-key regexes match) is not a secret: every RSA key shares it, so no hash is kept and
//!   identity falls back to rule + file. There is no line number in v2.
//! * v3: one occurrence per line (locator `/N`). `rule_id` = `DetectorName` (else
//!   `DetectorType`). The secret is `Raw` (else `RawV2`): Go encodes `[]byte` as base64, so early
//!   v3 writes base64 while later versions write a plain string; `Raw` is decoded when it is
//!   valid padded base64 whose bytes are printable UTF-8, else used as written. `Redacted`
//!   (for AWS keys it is the whole key id), `ExtraData` and `RawV2` are never kept. Location:
//!   `file` (or `path`), `line`, and for Docker sources `image`/`layer`, from whichever source
//!   object `SourceMetadata.Data` holds.
//!
//! Counting: DefectDojo merges v2 items by file + reason (`v2_many_vulns.json`: 64 lines → 18
//! findings) and v3 items by file + detector + line... (`v3_git.json`: 4 → 3). Posture keeps
//! one occurrence per secret occurrence: 66 for v2 (two lines report two strings each), and the
//! engine's secret + file + rule fingerprint groups them into 19 (one file + reason pair,
//! `test_all.py` "Generic Secret", holds two different secrets, which DefectDojo's merge
//! conflates); 4 for v3 (the URI secret appears in two commits at the same line; the engine
//! merges them).
//!
//! Severity: TruffleHog has none. v3 `Verified: true` (the credential was checked live) →
//! **critical**; everything else → **high** (a committed credential is incident-grade until
//! proven revoked or fake). `tool_severity` is `verified`/`unverified` for v3.

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, opt_lenient_string, opt_lenient_u32, pointer, pointer_index};
use crate::support::likely_secret_token;
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::Value;

pub struct Trufflehog;

#[derive(Deserialize)]
struct V2 {
    #[serde(default)]
    branch: Option<String>,
    #[serde(rename = "commitHash", default)]
    commit_hash: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(
        rename = "stringsFound",
        default,
        deserialize_with = "json::one_or_many"
    )]
    strings_found: Vec<Value>,
}

#[derive(Deserialize)]
struct V3 {
    #[serde(rename = "SourceMetadata", default)]
    source_metadata: Option<Value>,
    #[serde(rename = "SourceName", default)]
    source_name: Option<String>,
    #[serde(
        rename = "DetectorType",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    detector_type: Option<String>,
    #[serde(rename = "DetectorName", default)]
    detector_name: Option<String>,
    #[serde(
        rename = "DecoderName",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    decoder_name: Option<String>,
    #[serde(rename = "Verified", default)]
    verified: Option<bool>,
    #[serde(rename = "Raw", default)]
    raw: Option<String>,
    #[serde(rename = "RawV2", default)]
    raw_v2: Option<String>,
}

#[derive(Deserialize, Default)]
struct SourceData {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    layer: Option<String>,
}

impl Parser for Trufflehog {
    fn id(&self) -> &'static str {
        "trufflehog-jsonl"
    }

    fn description(&self) -> &'static str {
        "TruffleHog JSON lines (v2 and v3)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_key("SourceMetadata") && (s.has_key("DetectorName") || s.has_key("DetectorType")) {
            return Confidence::CERTAIN;
        }
        if s.has_keys(&["stringsFound", "reason"])
            && (s.has_key("commitHash") || s.has_key("printDiff"))
        {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items = json::stream_items(input)?;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (i, raw) in items.iter().enumerate() {
            let locator = pointer_index("", i);
            let text = raw.get();
            if !text.trim_start().starts_with('{') {
                return Err(ParseError::shape(format!(
                    "not TruffleHog output: item {i} is not a JSON object (expected one finding object per line)"
                )));
            }
            let probe: Value = match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    diagnostics.push(json::skipped(&locator, format!("item skipped: {e}")));
                    continue;
                }
            };
            if probe.get("SourceMetadata").is_some() || probe.get("DetectorName").is_some() {
                match serde_json::from_str::<V3>(text) {
                    Ok(v) => occurrences.push(v3_occurrence(v, locator)),
                    Err(e) => {
                        diagnostics.push(json::skipped(&locator, format!("item skipped: {e}")))
                    }
                }
            } else if probe.get("stringsFound").is_some() || probe.get("reason").is_some() {
                match serde_json::from_str::<V2>(text) {
                    Ok(v) => v2_occurrences(v, &locator, &mut occurrences, &mut diagnostics),
                    Err(e) => {
                        diagnostics.push(json::skipped(&locator, format!("item skipped: {e}")))
                    }
                }
            } else if i == 0 {
                return Err(ParseError::shape(
                    "not TruffleHog output: expected `SourceMetadata`/`DetectorName` (v3) or `stringsFound`/`reason` (v2)",
                ));
            } else {
                diagnostics.push(json::skipped(
                    &locator,
                    "item skipped: neither a TruffleHog v2 nor a v3 finding",
                ));
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("trufflehog", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// A PEM armour line alone (`-----BEGIN RSA PRIVATE KEY-----`) is a marker, not a secret.
fn is_pem_armour(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("-----") && t.ends_with("-----") && !t.contains('\n') && t.len() < 80
}

fn v2_occurrences(
    v: V2,
    locator: &str,
    out: &mut Vec<Occurrence>,
    diags: &mut Vec<posture_model::Diagnostic>,
) {
    let reason = non_empty(v.reason).unwrap_or_else(|| "trufflehog".to_string());
    let path = non_empty(v.path);
    let mut desc = Vec::new();
    if let Some(c) = non_empty(v.commit_hash) {
        desc.push(format!("Found in commit {c}."));
    }
    if let Some(b) = non_empty(v.branch) {
        desc.push(format!("Branch: {b}."));
    }
    let base = pointer(locator, "stringsFound");
    if v.strings_found.is_empty() {
        diags.push(json::warning(
            locator,
            "no `stringsFound`: nothing to report",
        ));
    }
    for (k, s) in v.strings_found.iter().enumerate() {
        let loc = pointer_index(&base, k);
        let Some(s) = s.as_str() else {
            diags.push(json::skipped(
                &loc,
                "item skipped: a found string is not a string",
            ));
            continue;
        };
        let mut occ = Occurrence::new(
            Category::Secret,
            reason.clone(),
            format!("Secret detected: {reason}"),
            Severity::High,
            loc,
        );
        if !is_pem_armour(s) {
            occ.secret = likely_secret_token(s).map(SecretEvidence::from_plaintext);
        }
        occ.location.path = path.clone();
        occ.description = (!desc.is_empty()).then(|| desc.join(" "));
        occ.cwes = vec![798];
        out.push(occ);
    }
}

fn v3_occurrence(v: V3, locator: String) -> Occurrence {
    let rule = non_empty(v.detector_name)
        .or(non_empty(v.detector_type.map(|t| format!("detector-{t}"))))
        .unwrap_or_else(|| "trufflehog".to_string());
    let verified = v.verified.unwrap_or(false);
    let severity = if verified {
        Severity::Critical
    } else {
        Severity::High
    };
    let title = if verified {
        format!("Verified secret detected: {rule}")
    } else {
        format!("Secret detected: {rule}")
    };
    let mut occ = Occurrence::new(Category::Secret, rule, title, severity, locator);
    occ.tool_severity = Some(if verified { "verified" } else { "unverified" }.to_string());
    let raw = non_empty(v.raw).or(non_empty(v.raw_v2));
    occ.secret = raw.map(|r| {
        let plain = crate::support::base64::decode_printable(&r).unwrap_or(r);
        SecretEvidence::from_plaintext(&plain)
    });
    // the first source object inside `Data` (`Git`, `Github`, `Filesystem`, `Docker`...)
    let (source_kind, data) = v
        .source_metadata
        .as_ref()
        .and_then(|m| m.get("Data"))
        .and_then(Value::as_object)
        .and_then(|o| o.iter().next())
        .map(|(k, d)| {
            (
                Some(k.clone()),
                serde_json::from_value::<SourceData>(d.clone()).unwrap_or_default(),
            )
        })
        .unwrap_or((None, SourceData::default()));
    occ.location = Location {
        path: non_empty(data.file).or(non_empty(data.path)),
        start_line: data.line.filter(|l| *l > 0),
        end_line: data.line.filter(|l| *l > 0),
        image: non_empty(data.image),
        layer: non_empty(data.layer),
        ..Location::default()
    };
    let mut desc = Vec::new();
    if let Some(c) = non_empty(data.commit) {
        desc.push(format!("Found in commit {c}."));
    }
    if let Some(r) = non_empty(data.repository) {
        desc.push(format!("Repository: {r}."));
    }
    if let Some(s) = non_empty(v.source_name).or(source_kind) {
        desc.push(format!("Source: {s}."));
    }
    if let Some(d) = non_empty(v.decoder_name).filter(|d| d != "PLAIN" && d != "0" && d != "1") {
        desc.push(format!("Decoder: {d}."));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join(" "));
    occ.cwes = vec![798];
    occ
}

#[cfg(test)]
mod tests {
    use crate::support::base64::decode_printable;

    #[test]
    fn base64_only_when_printable() {
        assert_eq!(
            decode_printable("QUtJQVlWUDRDSVBQRVJVVklGWEc="),
            Some("AKIAYVP4CIPPERUVIFXG".to_string())
        );
        assert_eq!(decode_printable("AKIAYVP4CIPPERUVIFXG"), None);
        assert_eq!(decode_printable("abc"), None);
        assert_eq!(decode_printable("YQ=="), Some("a".to_string()));
        assert_eq!(decode_printable("Y===",), None);
        assert_eq!(decode_printable("YQ==YQ=="), None);
    }
}
