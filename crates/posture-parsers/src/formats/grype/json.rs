//! Grype JSON reports (`grype -o json`), from 0.2 (2020) to today.
//!
//! Shape: `{matches[], source{type, target}, distro, descriptor{name, version}}`. Each match is
//! `{vulnerability, relatedVulnerabilities[], matchDetails, artifact}`. Version drift:
//! * 0.2 (2020): no `source` but a top-level `image`; `cvssV2`/`cvssV3` objects;
//!   `fixedInVersion` string; `matchDetails` an object; no severity.
//! * 0.7: `links` instead of `urls`; CPEs as objects (`Part`, `Vendor`...); `matchDetails` an
//!   object. 2022 on: `cvss[]` (`version`, `vector`, `metrics.baseScore`, `source`, `type`),
//!   `fix{versions, state}`, `matchDetails[]`, CPE strings. 0.94+: `epss[]`, `risk`.
//! * Empty: `"matches": []` (or `null`), even on a single line.
//!
//! Not this format: grype's JSONL (`-o jsonl`, one match per line, no `matches` key), CycloneDX,
//! SARIF and template outputs.
//!
//! Items: one occurrence per `matches[]` item. Category **container** when `source.type` is
//! `image` (or the 0.2 top-level `image` is present), else **sca**. The same CVE on the same
//! package at two paths is two raw matches and two occurrences (the engine collapses them by
//! identity: vulnerability ids + package).
//!
//! Identity: `vulnerability_ids` = the CVE aliases first when the primary id is not a CVE (a
//! GHSA, a distro advisory...), then the primary `vulnerability.id`, then the other
//! `relatedVulnerabilities[].id`, normalized and deduplicated, so that the CVE leads as it does
//! in Trivy. `rule_id` stays the primary id. Package: `artifact` name, version, purl, fix
//! versions (`fix.versions`, or 0.2's `fixedInVersion`); ecosystem from `artifact.type`
//! (table in [`ecosystem_of`]), else `artifact.language`, else the purl type.
//!
//! Location: `path` = the first `artifact.locations[].path`, `layer` = its `layerID`, `image` =
//! `source.target.userInput` for image scans.
//!
//! Severity (`vulnerability.severity`): `Critical` → critical, `High` → high, `Medium` → medium,
//! `Low` → low, `Negligible` → info (the distribution says it needs no action), `Unknown` →
//! info (no rating yet: Posture does not guess upwards). When the word is missing (0.2) the
//! band of the highest CVSS base score is used, else info.
//!
//! CVSS: every `cvss[]` entry (or `cvssV2`/`cvssV3`) of the vulnerability and of its related
//! vulnerabilities, with `source` (else the record's `namespace`, else `grype`).
//! `description` falls back to the first related vulnerability's (grype puts NVD's text there).
//! A `fix.state` of `wont-fix` is noted at the end of the description.
//!
//! Tool version: `descriptor.version`; the placeholder `[not provided]` is dropped.

use crate::json::{self, null_default, opt_lenient_f64};
use crate::support::{non_empty, non_empty_trimmed, purl_type, push_unique, push_vuln_id, trimmed};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, EpssScore, Location, Occurrence, Package, ParsedReport, Severity,
    SeverityRating, ToolInfo, ToolRun, VulnIdKind, classify_vuln_id,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::borrow::Cow;

pub struct Grype;

#[derive(Deserialize)]
struct Doc<'a> {
    /// `None` when the key is missing; `null` reads as an empty list.
    #[serde(default, borrow, deserialize_with = "present")]
    matches: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow)]
    source: Option<Source<'a>>,
    #[serde(default)]
    descriptor: Option<Descriptor>,
    /// grype 0.2: the image scanned, before `source` existed.
    #[serde(default)]
    image: Option<IgnoredAny>,
}

/// A key that is present: its value, `null` read as the default.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    null_default(d).map(Some)
}

#[derive(Deserialize)]
struct Source<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    /// A string for directories and files, an object for images.
    #[serde(default, borrow)]
    target: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ImageTarget {
    #[serde(rename = "userInput", default)]
    user_input: Option<String>,
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Match<'a> {
    #[serde(borrow)]
    vulnerability: Vuln<'a>,
    #[serde(rename = "relatedVulnerabilities", default)]
    related: Option<Vec<Related>>,
    artifact: Artifact,
}

#[derive(Deserialize)]
struct Vuln<'a> {
    id: String,
    #[serde(rename = "dataSource", default)]
    data_source: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default, borrow)]
    severity: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "null_default")]
    urls: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    links: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    cvss: Vec<Cvss>,
    #[serde(rename = "cvssV2", default)]
    cvss_v2: Option<OldCvss>,
    #[serde(rename = "cvssV3", default)]
    cvss_v3: Option<OldCvss>,
    #[serde(default)]
    fix: Option<Fix<'a>>,
    #[serde(rename = "fixedInVersion", default)]
    fixed_in_version: Option<String>,
    /// grype 0.94+: EPSS scores of the CVEs (read leniently: a bad list costs only the score).
    #[serde(default, borrow)]
    epss: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EpssEntry {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_f64")]
    epss: Option<f64>,
    #[serde(default, deserialize_with = "opt_lenient_f64")]
    percentile: Option<f64>,
    #[serde(default)]
    date: Option<String>,
}

#[derive(Deserialize)]
struct Related {
    id: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    cvss: Vec<Cvss>,
    #[serde(rename = "cvssV2", default)]
    cvss_v2: Option<OldCvss>,
    #[serde(rename = "cvssV3", default)]
    cvss_v3: Option<OldCvss>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    vector: Option<String>,
    #[serde(default)]
    metrics: Option<Metrics>,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(rename = "baseScore", default, deserialize_with = "opt_lenient_f64")]
    base_score: Option<f64>,
}

#[derive(Deserialize)]
struct OldCvss {
    #[serde(rename = "baseScore", default, deserialize_with = "opt_lenient_f64")]
    base_score: Option<f64>,
    #[serde(default)]
    vector: Option<String>,
}

#[derive(Deserialize)]
struct Fix<'a> {
    #[serde(default, deserialize_with = "null_default")]
    versions: Vec<String>,
    #[serde(default, borrow)]
    state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Artifact {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    locations: Vec<ArtifactLocation>,
}

#[derive(Deserialize)]
struct ArtifactLocation {
    #[serde(default)]
    path: Option<String>,
    #[serde(rename = "layerID", default)]
    layer_id: Option<String>,
}

impl Parser for Grype {
    fn id(&self) -> &'static str {
        "grype-json"
    }

    fn description(&self) -> &'static str {
        "Grype JSON report (grype -o json, 0.2 to current)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Container, Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("matches") {
            return Confidence::NO;
        }
        if s.has_key("bomFormat") || s.has_key("runs") {
            return Confidence::NO;
        }
        let grype_descriptor = s.has_key("descriptor") && s.contains("\"grype\"");
        let match_shape = s.has_keys(&["vulnerability", "artifact"]);
        if grype_descriptor || (match_shape && (s.has_key("matchDetails") || s.has_key("source"))) {
            Confidence::CERTAIN
        } else if match_shape || (s.has_key("source") && s.has_key("distro")) {
            Confidence::MATCH
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let _: IgnoredAny = json::from_slice(input)?;
            return Err(ParseError::shape(
                "not a Grype JSON report: expected an object with `matches` (grype -o json)",
            ));
        }
        let doc: Doc = json::from_slice(input)?;
        let Some(items) = doc.matches else {
            return Err(ParseError::shape(
                "not a Grype JSON report: no `matches` list (grype -o json)",
            ));
        };
        let mut is_image = doc.image.is_some();
        let mut image = None;
        if let Some(src) = doc.source {
            let kind = src.kind.as_deref().map(str::trim).unwrap_or("");
            if kind.eq_ignore_ascii_case("image") {
                is_image = true;
                image = src
                    .target
                    .and_then(json::owned::<ImageTarget>)
                    .and_then(|t| non_empty(t.user_input));
            } else if !kind.is_empty() {
                is_image = false;
            }
        }
        let category = if is_image {
            Category::Container
        } else {
            Category::Sca
        };
        let version = doc
            .descriptor
            .filter(|d| {
                d.name
                    .as_deref()
                    .is_none_or(|n| n.trim().eq_ignore_ascii_case("grype"))
            })
            .and_then(|d| d.version)
            .filter(|v| !v.trim().is_empty() && !v.contains("not provided"));

        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        json::each_item(
            &items,
            "/matches",
            &mut diagnostics,
            |_, locator, m: Match| {
                let mut occ = to_occurrence(m, locator, category, image.as_deref());
                if let (Some(e), Some(v)) = (occ.epss.as_mut(), version.as_deref()) {
                    e.source = format!("grype {}", v.trim());
                }
                occurrences.push(occ);
            },
        );
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("grype", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

pub(crate) fn to_occurrence(
    m: Match<'_>,
    locator: String,
    category: Category,
    image: Option<&str>,
) -> Occurrence {
    let v = m.vulnerability;
    let related = m.related.unwrap_or_default();
    let a = m.artifact;
    let primary = trimmed(v.id);

    let mut ids = Vec::new();
    if classify_vuln_id(&primary) != VulnIdKind::Cve {
        for r in &related {
            if classify_vuln_id(&r.id) == VulnIdKind::Cve {
                push_vuln_id(&mut ids, &r.id);
            }
        }
    }
    push_vuln_id(&mut ids, &primary);
    for r in &related {
        push_vuln_id(&mut ids, &r.id);
    }

    let mut cvss = Vec::new();
    let primary_source = non_empty(v.namespace.clone());
    add_cvss(
        &mut cvss,
        v.cvss,
        v.cvss_v2,
        v.cvss_v3,
        primary_source.as_deref(),
    );
    let mut related_description = None;
    for r in related {
        add_cvss(
            &mut cvss,
            r.cvss,
            r.cvss_v2,
            r.cvss_v3,
            r.namespace.as_deref(),
        );
        if related_description.is_none() {
            related_description = non_empty(r.description);
        }
    }

    let tool_severity = v
        .severity
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let severity = match tool_severity {
        Some(word) => severity_of(word),
        None => cvss
            .iter()
            .filter_map(|c| c.score.and_then(Severity::from_cvss_score))
            .max()
            .unwrap_or(Severity::Info),
    };

    let name = non_empty_trimmed(a.name).unwrap_or_default();
    let version = non_empty(a.version);
    let title = match (&name, &version) {
        (n, _) if n.is_empty() => primary.clone(),
        (n, Some(ver)) => format!("{primary} in {n} {ver}"),
        (n, None) => format!("{primary} in {n}"),
    };
    let mut occ = Occurrence::new(
        category,
        if primary.is_empty() {
            "unknown".to_string()
        } else {
            primary.clone()
        },
        title,
        severity,
        locator,
    );
    occ.tool_severity = tool_severity.map(String::from);
    occ.severity_ratings = distro_rating(primary_source.as_deref(), tool_severity)
        .into_iter()
        .collect();
    occ.epss = v.epss.and_then(|raw| epss_of(raw, &primary, &ids));
    occ.vulnerability_ids = ids;
    occ.cvss = cvss;

    let (fixed_versions, wont_fix) = match v.fix {
        Some(f) => (
            f.versions,
            f.state
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("wont-fix")),
        ),
        None => (Vec::new(), false),
    };
    let mut fixed: Vec<String> = Vec::new();
    for f in fixed_versions.into_iter().chain(v.fixed_in_version) {
        push_unique(&mut fixed, f);
    }

    let mut description = non_empty(v.description)
        .or(related_description)
        .map(trimmed);
    if wont_fix {
        let note = "Fix state: wont-fix.";
        description = Some(match description {
            Some(d) => format!("{d}\n\n{note}"),
            None => note.to_string(),
        });
    }
    occ.description = description;

    let mut refs = Vec::new();
    for r in v
        .data_source
        .into_iter()
        .chain(v.urls)
        .chain(v.links)
        .filter(|u| u.contains("://"))
    {
        push_unique(&mut refs, r);
    }
    occ.references = refs;

    let purl = non_empty_trimmed(a.purl);
    let ecosystem = a
        .kind
        .as_deref()
        .and_then(ecosystem_of)
        .or_else(|| a.language.as_deref().and_then(ecosystem_of))
        .map(str::to_string)
        .or_else(|| purl.as_deref().and_then(purl_type));
    let first = a.locations.into_iter().next();
    let (path, layer) = match first {
        Some(l) => (non_empty(l.path), non_empty(l.layer_id)),
        None => (None, None),
    };
    occ.location = Location {
        path,
        image: image.map(String::from),
        layer,
        ..Location::default()
    };
    occ.package = (!name.is_empty()).then_some(Package {
        purl,
        ecosystem,
        name,
        version,
        fixed_versions: fixed,
    });
    occ
}

/// A distro namespace's own severity (`debian:distro:debian:12` or `debian:10` rates it `Low`): the
/// distribution is the source. Other namespaces (`nvd:cpe`, `github:language:python`) and
/// `Unknown` give none.
fn distro_rating(namespace: Option<&str>, severity: Option<&str>) -> Option<SeverityRating> {
    let namespace = namespace?.trim();
    let (distro, rest) = namespace.split_once(':')?;
    let word = severity?.trim();
    // `debian:distro:debian:12` (grype 0.74+) or `debian:10` (older).
    let distro_namespace =
        rest.starts_with("distro:") || rest.starts_with(|c: char| c.is_ascii_digit());
    if !distro_namespace || distro.is_empty() || word.eq_ignore_ascii_case("unknown") {
        return None;
    }
    Some(SeverityRating {
        source: distro.to_ascii_lowercase(),
        severity: severity_of(word),
    })
}

/// The EPSS entry of the primary id (or, failing that, of its CVE alias, or the first valid
/// one); probabilities outside 0..=1 are dropped. The source is `grype`; [`Grype::parse`] adds
/// the version.
fn epss_of(raw: &RawValue, primary: &str, ids: &[String]) -> Option<EpssScore> {
    let entries: Vec<EpssEntry> = json::owned(raw)?;
    let valid = |e: &&EpssEntry| e.epss.is_some_and(|p| (0.0..=1.0).contains(&p));
    let is = |e: &&EpssEntry, id: &str| {
        e.cve
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(id))
    };
    let chosen = entries
        .iter()
        .filter(valid)
        .find(|e| is(e, primary))
        .or_else(|| {
            entries
                .iter()
                .filter(valid)
                .find(|e| ids.iter().any(|id| is(e, id)))
        })
        .or_else(|| entries.iter().find(valid))?;
    Some(EpssScore {
        probability: chosen.epss?,
        percentile: chosen.percentile.filter(|p| (0.0..=1.0).contains(p)),
        date: non_empty_trimmed(chosen.date.clone()),
        source: "grype".to_string(),
    })
}

fn add_cvss(
    out: &mut Vec<CvssRating>,
    list: Vec<Cvss>,
    v2: Option<OldCvss>,
    v3: Option<OldCvss>,
    namespace: Option<&str>,
) {
    let fallback = namespace
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("grype");
    let mut push = |source: Option<String>, vector: Option<String>, score: Option<f64>| {
        let vector = non_empty_trimmed(vector);
        if vector.is_none() && score.is_none() {
            return;
        }
        let rating = CvssRating {
            source: non_empty_trimmed(source).unwrap_or_else(|| fallback.to_string()),
            vector,
            score,
        };
        if !out.contains(&rating) {
            out.push(rating);
        }
    };
    for c in list {
        push(c.source, c.vector, c.metrics.and_then(|m| m.base_score));
    }
    for c in [v3, v2].into_iter().flatten() {
        push(None, c.vector, c.base_score);
    }
}

/// Grype's severity words (table in the module docs).
fn severity_of(word: &str) -> Severity {
    match word.trim().to_ascii_lowercase().as_str() {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info, // negligible, unknown, anything new
    }
}

/// Package ecosystem (purl type vocabulary) from a syft/grype `artifact.type` (or `language`).
fn ecosystem_of(kind: &str) -> Option<&'static str> {
    Some(match kind.trim().to_ascii_lowercase().as_str() {
        "deb" => "deb",
        "apk" => "apk",
        "rpm" => "rpm",
        "npm" | "javascript" => "npm",
        "python" => "pypi",
        "java-archive" | "jenkins-plugin" | "graalvm-native-image" | "java" => "maven",
        "go-module" | "go" => "golang",
        "rust-crate" | "rust" => "cargo",
        "gem" | "ruby" => "gem",
        "dotnet" => "nuget",
        "php-composer" | "php" => "composer",
        "php-pecl" | "php-pear" => "pecl",
        "dart-pub" | "dart" => "pub",
        "hex" | "erlang-otp" | "elixir" | "erlang" => "hex",
        "conan" | "cpp" => "conan",
        "swift" | "swiftpm" => "swift",
        "pod" => "cocoapods",
        "alpm" => "alpm",
        "portage" => "ebuild",
        "nix" => "nix",
        "hackage" | "haskell" => "hackage",
        "lua-rocks" | "lua" => "luarocks",
        "conda" => "conda",
        "bitnami" => "bitnami",
        "r-package" | "r" => "cran",
        "opam" | "ocaml" => "opam",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_table() {
        assert_eq!(severity_of("Critical"), Severity::Critical);
        assert_eq!(severity_of("Negligible"), Severity::Info);
        assert_eq!(severity_of("Unknown"), Severity::Info);
        assert_eq!(ecosystem_of("java-archive"), Some("maven"));
        assert_eq!(ecosystem_of("binary"), None);
    }
}
