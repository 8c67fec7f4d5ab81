//! SPDX 2.x JSON SBOMs (SPDX 2.2 and 2.3; 2.1-era JSON is read alike): `trivy --format
//! spdx-json`, `syft -o spdx-json`, GitHub's dependency graph export, `spdx-sbom-generator`...
//!
//! An SBOM lists what is installed; it reports no issue. `packages[]` become
//! [`ParsedReport::components`] and the report has **zero occurrences** (one empty run for the
//! tool, so the scan is still recorded).
//!
//! Components: `name`, `versionInfo`, purl = the first `externalRefs[]` with `referenceType`
//! `purl` (its `referenceLocator`), ecosystem = the purl type. The package(s) the document
//! DESCRIBES (`documentDescribes[]` or a `DESCRIBES` relationship from `SPDXRef-DOCUMENT`) are
//! the thing scanned (Trivy's filesystem or image root, syft's source), not one of its
//! components, and are left out, as CycloneDX's `metadata.component` is; unless the document
//! describes every package it lists. `files[]` and `snippets[]` are not components.
//!
//! Tool: the first `creationInfo.creators[]` entry `Tool: <name>-<version>` (`Tool: trivy-0.50.1`
//! → trivy 0.50.1; Trivy's test placeholder version `dev` is dropped), else `spdx`.
//!
//! Severity: none (no occurrences). A package that is not an object with a `name` is a Skipped
//! diagnostic (locator `/packages/N`). SPDX 3 (JSON-LD, `@context`) is a different format and a
//! Shape error; a `spdxVersion` other than 2.x is an UnsupportedVersion error.

use crate::json::{self, null_default, opt_lenient_string};
use crate::support::{non_empty_trimmed, purl_type};
use crate::{Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{Category, Component, ParsedReport, ToolInfo, ToolRun};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

pub struct SpdxJson;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(
        rename = "spdxVersion",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    spdx_version: Option<String>,
    #[serde(rename = "creationInfo", default)]
    creation_info: Option<CreationInfo>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    packages: Vec<&'a RawValue>,
    #[serde(
        rename = "documentDescribes",
        default,
        deserialize_with = "null_default"
    )]
    document_describes: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    relationships: Vec<Relationship>,
}

#[derive(Deserialize)]
struct CreationInfo {
    #[serde(default, deserialize_with = "null_default")]
    creators: Vec<String>,
}

#[derive(Deserialize)]
struct Relationship {
    #[serde(
        rename = "spdxElementId",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    from: Option<String>,
    #[serde(
        rename = "relatedSpdxElement",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    to: Option<String>,
    #[serde(
        rename = "relationshipType",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(rename = "SPDXID", default, deserialize_with = "opt_lenient_string")]
    spdx_id: Option<String>,
    #[serde(
        rename = "versionInfo",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    version_info: Option<String>,
    #[serde(rename = "externalRefs", default, deserialize_with = "null_default")]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize)]
struct ExternalRef {
    #[serde(
        rename = "referenceType",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    kind: Option<String>,
    #[serde(
        rename = "referenceLocator",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    locator: Option<String>,
}

impl Parser for SpdxJson {
    fn id(&self) -> &'static str {
        "spdx-json"
    }

    fn description(&self) -> &'static str {
        "SPDX 2.2/2.3 JSON SBOM (packages as components; no findings)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("spdxVersion") {
            return Confidence::NO;
        }
        if s.has_key("SPDXID") && (s.contains("\"SPDX-2") || s.has_key("creationInfo")) {
            Confidence::CERTAIN
        } else {
            Confidence::MATCH
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let body = json::strip_bom(input);
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            let _: IgnoredAny = json::from_slice(input)?;
            return Err(ParseError::shape(
                "not an SPDX JSON document: expected an object with `spdxVersion` and `packages`",
            ));
        }
        let doc: Doc = json::from_slice(input)?;
        let Some(version) = non_empty_trimmed(doc.spdx_version) else {
            return Err(ParseError::shape(
                "not an SPDX 2.x JSON document: no `spdxVersion` (SPDX 3 JSON-LD is not read)",
            ));
        };
        if !version.to_ascii_uppercase().starts_with("SPDX-2.") {
            return Err(ParseError::new(
                ParseErrorKind::UnsupportedVersion,
                format!("spdxVersion `{version}`: Posture reads SPDX 2.x JSON"),
            ));
        }
        let mut described: Vec<String> = doc
            .document_describes
            .into_iter()
            .map(|d| d.trim().to_string())
            .collect();
        for r in doc.relationships {
            let is_describes = r
                .kind
                .as_deref()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("DESCRIBES"));
            let from_doc = r.from.as_deref().map(str::trim) == Some("SPDXRef-DOCUMENT");
            if is_describes
                && from_doc
                && let Some(to) = non_empty_trimmed(r.to)
                && !described.contains(&to)
            {
                described.push(to);
            }
        }
        let mut diagnostics = Vec::new();
        let mut packages = Vec::with_capacity(doc.packages.len());
        json::each_item(
            &doc.packages,
            "/packages",
            &mut diagnostics,
            |_, locator, p: Package| packages.push((locator, p)),
        );
        let is_described = |p: &Package| {
            p.spdx_id
                .as_deref()
                .is_some_and(|id| described.iter().any(|d| d == id.trim()))
        };
        let all_described = packages.iter().all(|(_, p)| is_described(p));
        let mut components = Vec::with_capacity(packages.len());
        for (locator, p) in packages {
            if !all_described && is_described(&p) {
                continue;
            }
            let Some(name) = non_empty_trimmed(Some(p.name)) else {
                diagnostics.push(json::skipped(&locator, "package skipped: empty name"));
                continue;
            };
            let purl = p
                .external_refs
                .into_iter()
                .find(|r| {
                    r.kind
                        .as_deref()
                        .is_some_and(|k| k.trim().eq_ignore_ascii_case("purl"))
                        && r.locator.as_deref().is_some_and(|l| !l.trim().is_empty())
                })
                .and_then(|r| non_empty_trimmed(r.locator));
            components.push(Component {
                name,
                version: non_empty_trimmed(p.version_info)
                    .filter(|v| v != "NOASSERTION" && v != "NONE"),
                ecosystem: purl.as_deref().and_then(purl_type),
                purl,
                locator,
            });
        }
        let tool = doc
            .creation_info
            .map(|c| c.creators)
            .unwrap_or_default()
            .iter()
            .find_map(|c| tool_of(c))
            .unwrap_or_else(|| ToolInfo::new("spdx", None));
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool,
                occurrences: Vec::new(),
            }],
            diagnostics,
            components,
            ..ParsedReport::default()
        })
    }
}

/// `Tool: trivy-0.50.1` → trivy 0.50.1; `Tool: GitHub.com-Dependency-Graph` → the whole name.
fn tool_of(creator: &str) -> Option<ToolInfo> {
    let rest = creator.trim().strip_prefix("Tool:")?.trim();
    if rest.is_empty() {
        return None;
    }
    let (name, version) = match rest.rsplit_once('-') {
        Some((n, v))
            if !n.trim().is_empty()
                && (v.starts_with(|c: char| c.is_ascii_digit())
                    || v.strip_prefix('v')
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                    || v == "dev") =>
        {
            (n.trim(), Some(v.trim()))
        }
        _ => (rest, None),
    };
    let version = version
        .filter(|v| *v != "dev")
        .map(|v| v.strip_prefix('v').unwrap_or(v).to_string());
    Some(ToolInfo::new(name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_creators() {
        let t = tool_of("Tool: trivy-0.50.1").unwrap();
        assert_eq!(
            (t.name.as_str(), t.version.as_deref()),
            ("trivy", Some("0.50.1"))
        );
        let t = tool_of("Tool: trivy-dev").unwrap();
        assert_eq!((t.name.as_str(), t.version), ("trivy", None));
        let t = tool_of("Tool: syft-v1.2.0").unwrap();
        assert_eq!(t.version.as_deref(), Some("1.2.0"));
        let t = tool_of("Tool: GitHub.com-Dependency-Graph").unwrap();
        assert_eq!(t.name, "github.com-dependency-graph");
        assert!(tool_of("Organization: aquasecurity").is_none());
    }
}
