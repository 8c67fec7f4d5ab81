//! Grype JSON lines (`grype -o jsonl`, 2026 on): one match object per line, the same object as
//! an item of `grype -o json`'s `matches[]` (`{vulnerability, relatedVulnerabilities,
//! matchDetails, artifact}`), with no surrounding document: no `source`, no `descriptor`. A line
//! holding a whole `grype -o json` document (`{matches: [...]}`) is read too, match by match.
//! Grype writes nothing when nothing matched: a 0-byte file is zero occurrences.
//!
//! Mapping: exactly the `grype-json` one (each match goes through the same conversion: ids with
//! the CVE first, package with ecosystem, fix versions, CVSS, path and layer), with one
//! difference forced by the shape: with no `source.type` to say whether an image was scanned,
//! a match is **container** when its artifact is an operating-system package (`deb`, `apk`,
//! `rpm`, `alpm`, `portage`, `linux-kernel*`) or sits in an image layer (a `layerID`), and
//! **sca** otherwise. No image name and no tool version are known.
//!
//! Severity (`vulnerability.severity`, as in `grype-json`): `Critical` → critical, `High` →
//! high, `Medium` → medium, `Low` → low, `Negligible` and `Unknown` → info; with no word, the
//! band of the highest CVSS base score, else info.
//!
//! Locators: `/N` for the N-th line's value (0-based, as if the stream were an array);
//! `/N/matches/M` inside a whole-document line. A value that does not fit a match is a Skipped
//! diagnostic; a line that is not JSON ends the stream with a positioned error.

use super::json::{Match, to_occurrence};
use crate::json::{self, null_default};
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct GrypeJsonl;

/// What decides the category of a match, read before the match itself.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(default, borrow)]
    matches: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    artifact: Option<PeekArtifact>,
}

#[derive(Deserialize)]
struct PeekArtifact {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    locations: Vec<PeekLocation>,
}

#[derive(Deserialize)]
struct PeekLocation {
    #[serde(rename = "layerID", default)]
    layer_id: Option<String>,
}

impl Parser for GrypeJsonl {
    fn id(&self) -> &'static str {
        "grype-jsonl"
    }

    fn description(&self) -> &'static str {
        "Grype JSON lines (grype -o jsonl): one match per line"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container, Category::Sca]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        let first = s.head.lines().next().unwrap_or("");
        let line = Sniff {
            head: first,
            complete: false,
        };
        // a one-line `grype -o json` document is grype-json's
        if line.has_key("matches") || !line.has_keys(&["vulnerability", "artifact"]) {
            return Confidence::NO;
        }
        if line.has_key("matchDetails") || line.has_key("relatedVulnerabilities") {
            Confidence::CERTAIN
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let items = json::stream_items(input)?;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        for (i, raw) in items.iter().enumerate() {
            let locator = json::pointer_index("", i);
            let peek = match serde_json::from_str::<Peek>(raw.get()) {
                Ok(p) => p,
                Err(_) => {
                    diagnostics.push(json::skipped(
                        &locator,
                        "item skipped: not a Grype match object",
                    ));
                    continue;
                }
            };
            if let Some(matches) = peek.matches {
                let base = format!("{locator}/matches");
                let mut cats = Vec::with_capacity(matches.len());
                for m in &matches {
                    let p = serde_json::from_str::<Peek>(m.get()).ok();
                    cats.push(category_of(p.as_ref().and_then(|p| p.artifact.as_ref())));
                }
                json::each_item(&matches, &base, &mut diagnostics, |j, loc, m: Match| {
                    let cat = cats.get(j).copied().unwrap_or(Category::Sca);
                    occurrences.push(to_occurrence(m, loc, cat, None));
                });
                continue;
            }
            let category = category_of(peek.artifact.as_ref());
            match serde_json::from_str::<Match>(raw.get()) {
                Ok(m) => occurrences.push(to_occurrence(m, locator, category, None)),
                Err(e) => {
                    let mut msg = e.to_string();
                    if let Some(cut) = msg.rfind(" at line ") {
                        msg.truncate(cut);
                    }
                    diagnostics.push(json::skipped(&locator, format!("item skipped: {msg}")));
                }
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("grype", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn category_of(artifact: Option<&PeekArtifact>) -> Category {
    let Some(a) = artifact else {
        return Category::Sca;
    };
    let kind = a.kind.as_deref().unwrap_or("").trim().to_ascii_lowercase();
    let os = matches!(kind.as_str(), "deb" | "apk" | "rpm" | "alpm" | "portage")
        || kind.starts_with("linux-kernel");
    let layered = a.locations.iter().any(|l| {
        l.layer_id
            .as_deref()
            .is_some_and(|id| !id.trim().is_empty())
    });
    if os || layered {
        Category::Container
    } else {
        Category::Sca
    }
}
