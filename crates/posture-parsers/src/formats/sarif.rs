//! SARIF 2.1.0 logs from any producer (CodeQL, Semgrep, Trivy, Grype, gosec, Checkov, KICS,
//! Gitleaks, Bandit, Dependency-Check, osv-scanner, Snyk, Dockle, Flawfinder, mobsfscan,
//! SpotBugs, converters of the SARIF SDK...).
//!
//! # Versions
//!
//! `"version": "2.1.0"` is read; a missing `version` is accepted when the log has `runs`; `2.2`
//! (the OASIS draft) is read leniently as 2.1.0. `1.0.0`, `2.0.0` and the `2.0.0-csd.*` betas
//! have another shape (`tool.name`, `resultFile`...) and are refused with
//! [`ParseErrorKind::UnsupportedVersion`](crate::ParseErrorKind::UnsupportedVersion) naming the
//! version (convert them with `sarif-multitool transform` first).
//!
//! # Runs and tools
//!
//! One [`ToolRun`] per distinct normalized tool name (`runs[].tool.driver.name`, then the
//! pre-2.1 `tool.name`); runs of the same tool are merged in order, the first non-empty
//! `driver.version` / `driver.semanticVersion` wins. `CodeQL command-line toolchain` is folded
//! into `codeql`. A run without a tool name becomes `unknown-sarif-tool` with a warning.
//! `runs: []` is zero runs; a run with `results: []` (or none) is a run with zero occurrences,
//! which tells the engine the tool ran and found nothing. Failed executions
//! (`invocations[].executionSuccessful: false`) and `error` tool-execution notifications are
//! reported as warnings: the run is still kept.
//!
//! # Items
//!
//! The items are `runs[R].results[I]`. A result with N `locations` gives N occurrences, with
//! locator `/runs/R/results/I/locations/L` (DefectDojo reads mobsfscan's 9 results as 18
//! findings the same way); a result with 0 or 1 location gives one occurrence with locator
//! `/runs/R/results/I` (Dockle results have no location at all). Skipped, each with a
//! diagnostic: results with `baselineState: "absent"` (they are not in the current scan),
//! results of kind `pass` or `notApplicable` (not findings: Flawfinder writes one), and results
//! that do not have the shape of a result.
//!
//! # Rules
//!
//! A result finds its rule by `rule.toolComponent.index` + `ruleIndex`/`rule.index` in
//! `tool.extensions[i].rules` (CodeQL packs), else by `ruleIndex` / `rule.index` in
//! `driver.rules` (Fortify conversions have only `ruleIndex`), else by `ruleId` / `rule.id`
//! (then its hierarchical prefix, `CA2000/1` → `CA2000`). With neither (Gitleaks v7), the rule
//! id is the driver rule whose id begins the message (`AWS Access Key secret detected` → `AWS
//! Access Key`), else the message text. Title: rule `shortDescription` (unless it is a Fortify
//! `<Replace key=…>` template, then Fortify's `Type: Subtype`), rule `name`, the rule id.
//! Description: rule `fullDescription` (else `help.text` unless it is only a URL), then the
//! result message (with `{0}` arguments and `messageStrings` resolved).
//!
//! # Severity
//!
//! | Source, first that applies | Severity |
//! |---|---|
//! | `properties["security-severity"]` on the result, else on the rule (number or numeric string, 0-10) | CVSS bands: 9.0+ critical, 7.0+ high, 4.0+ medium, >0 low, 0 info |
//! | Dependency-Check: `properties.cvssv3_baseScore`, else `cvssv2_score` | the same CVSS bands |
//! | Dependency-Check: `properties.severity` (its unscored RetireJS findings) | the common words (`low`, `medium`, `high`, `critical`) |
//! | `level` on the result, else the rule's `defaultConfiguration.level` | `error` high, `warning` medium, `note` low, `none` info (unknown words medium) |
//! | no level anywhere, secret results (Gitleaks SARIF) | high, as the Gitleaks JSON reader: a leaked credential is incident-grade |
//! | no level anywhere, other results | medium (`warning`, SARIF's default) |
//!
//! `tool_severity` keeps the `security-severity` string, the score or word, or the level word as
//! written (nothing when the level was defaulted). `problem.severity` (CodeQL, Snyk IaC) and
//! tool-private severities (Nessus `severity`, Fortify `InstanceSeverity`) are not read: they
//! repeat `level` or are undocumented scales.
//!
//! # Category
//!
//! By normalized driver name:
//!
//! | Tools | Category |
//! |---|---|
//! | grype, osv-scanner, dependency-check, govulncheck, npm audit, yarn audit, pip-audit, cargo-audit, retire.js, snyk (open source), black duck, nancy, safety, bundler-audit, mend, dependabot | sca |
//! | dockle, snyk container, clair, anchore | container |
//! | checkov, tfsec, kics, terrascan, snyk iac, hadolint, tflint, cfn-lint, cfn_nag, kube-linter, kubesec, kube-score | iac |
//! | gitleaks, trufflehog, detect-secrets, ggshield, gitguardian, talisman, noseyparker, secretlint, any name containing `secret` | secret |
//! | zap, nuclei, burp, nikto, nessus, arachni, wapiti | dast |
//! | trivy | per rule: `Secret` → secret, `Misconfiguration` or an `AVD-`/`DS`/`KSV`/`KCV` id → iac, `OsPackageVulnerability` → container, otherwise (a CVE/GHSA-like id) → sca |
//! | codeql, lgtm.com, semgrep, gosec, bandit, snyk code, spotbugs, flawfinder, mobsfscan, njsscan, eslint, brakeman, pmd, sonarqube, checkmarx, clang-tidy, devskim, bearer, horusec, fortify | sast |
//! | any tool but Trivy, rule `CKV_SECRET_*` (Checkov) or `….secrets.…` (Semgrep's `generic.secrets` rules) | secret |
//! | any other tool | sca when the rule id carries a CVE/GHSA/OSV-like id or the result names a `component`; sast otherwise |
//!
//! Dependency results (sca, container) get `vulnerability_ids` from the rule id (Grype's
//! `CVE-…-pkg`, Trivy's `[HIGH] CVE-…`, Black Duck's `BDSA-… (CVE-…)`), the rule's
//! `deprecatedIds` and CVE/GHSA/OSV-like `tags` (osv-scanner, govulncheck), and a `package` from
//! the message or rule help (`Package:` / `Installed Version:` / `Version:` / `Fixed Version:`
//! lines of Trivy and Grype, osv-scanner's `Package 'name@version'`), the result properties
//! (`component`, `componentVersion`), a purl in the artifact's properties (Dependency-Check) or a
//! `name@version` logical location (Snyk Container). Their placeholder regions (`1:1`) are
//! dropped; container locations carry the scanned image in `image`.
//!
//! # Identity hints
//!
//! `tool_fingerprint`: every `partialFingerprints` entry sorted by key, as `key=value` joined
//! with `|` (CodeQL's `primaryLocationLineHash` hashes the line's content plus an occurrence
//! counter, not its number, so it survives moves), else the same of `fingerprints` (Semgrep's
//! `matchBasedId/v1`, Snyk, Flawfinder's `contextHash/v1`; values may be `{ "value": … }`
//! objects). Placeholder values are dropped (empty, `0x42`, `[line-hash]`, `<…>`,
//! `requires login`), as are Gitleaks' commit metadata keys (`commitSha`, `author`, `email`,
//! `date`, `commitMessage`), which are not fingerprints, and CodeQL's
//! `primaryLocationStartColumnFingerprint` (a column: a position, not content); a set whose values are all shorter than
//! 8 characters is no fingerprint. `context`: the primary location's `region.snippet.text`,
//! whitespace-collapsed, else the message text.
//!
//! # Locations
//!
//! `physicalLocation.artifactLocation.uri` (or the `uri` of `run.artifacts[index]`), with
//! `file://` removed, percent-escapes decoded, `\` turned into `/` (KICS writes Windows paths),
//! relative paths kept as written (`uriBaseId` is not resolved); other schemes (`http://`, `host://`) go to `url`. Region lines and columns, where
//! `0` and the `-1` sentinels mean "none". The first logical location's `fullyQualifiedName`
//! (else `name`) becomes `resource`.
//!
//! # Suppressions
//!
//! A result with a `suppressions` entry whose `status` is absent or `accepted` is `suppressed`
//! (`underReview` and `rejected` suppressions are not in effect).
//!
//! # Secrets
//!
//! Secret results hash `properties.offender`/`secret` (Gitleaks v7) else the snippet (Gitleaks
//! v8 writes the secret there; for Semgrep it is the matched line) into [`SecretEvidence`],
//! unless the tool masked it already (`REDACTED`, `***`: Checkov); the snippet is never kept as context, and
//! any copy of the secret in the message is masked; so is any copy in the other occurrences of
//! the log (a SAST rule whose snippet is the whole resource block that holds the key).

use crate::json::{self, null_default, opt_lenient_f64, opt_lenient_u32};
use crate::support::{Purl, percent_decode, sarif_quality_concern};
use crate::{Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Diagnostic, IdentityHints, Location, Occurrence, Package, ParsedReport,
    SecretEvidence, Severity, ToolInfo, ToolRun, VulnIdKind, classify_vuln_id, mask_secret,
    normalize_vuln_id,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

pub struct Sarif;

/// Name given to a run that has no tool name.
pub const UNKNOWN_TOOL: &str = "unknown-sarif-tool";

// ---------------------------------------------------------------------------------------------
// Lenient leaf types

/// Any JSON value read as text when it is a string or a number (`{"value": "…"}` objects give
/// their `value`); anything else reads as `None` instead of failing the item.
#[derive(Debug, Default, Clone)]
struct Text<'a>(Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
    fn non_empty(&self) -> Option<&str> {
        self.get().map(str::trim).filter(|s| !s.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'a>, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'a>, A::Error> {
                let mut out = Text(None);
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "value" && out.0.is_none() {
                        out = map.next_value::<Text<'a>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string or a list of values, read as the list of its strings; anything else is empty.
#[derive(Debug, Default)]
struct TextList<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for TextList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = TextList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<TextList<'a>, E> {
                Ok(TextList(vec![Cow::Borrowed(v)]))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextList<'a>, E> {
                Ok(TextList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TextList<'a>, E> {
                Ok(TextList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TextList<'a>, E> {
                Ok(TextList(vec![Cow::Owned(v.to_string())]))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<TextList<'a>, E> {
                Ok(TextList::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TextList<'a>, E> {
                Ok(TextList::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<TextList<'a>, E> {
                Ok(TextList::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<TextList<'a>, E> {
                Ok(TextList::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<TextList<'a>, D::Error> {
                TextList::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextList<'a>, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element::<Text<'a>>()? {
                    if let Some(s) = t.0 {
                        out.push(s);
                    }
                }
                Ok(TextList(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextList<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TextList::default())
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A non-negative index; `-1` sentinels, strings and anything else read as `None`.
fn opt_index<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let v = Option::<json::Scalar>::deserialize(d)?;
    Ok(match v {
        Some(json::Scalar::Int(i)) => usize::try_from(i).ok(),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------------
// Log, run, tool, rule

#[derive(Deserialize)]
struct Log<'a> {
    #[serde(default, borrow)]
    version: Text<'a>,
    /// Outer `None`: no `runs` member; inner `None`: `"runs": null`.
    #[serde(default, borrow, deserialize_with = "present")]
    runs: Option<Option<Vec<&'a RawValue>>>,
}

/// Tells a member that is present (even `null`) from one that is missing (`default`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    #[serde(default, borrow)]
    tool: Option<Tool<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    results: Vec<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    artifacts: Vec<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    invocations: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(default, borrow)]
    driver: Option<Component<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    extensions: Vec<Component<'a>>,
    /// Pre-2.1 shape (`tool.name`), read only as a fallback for the name.
    #[serde(default, borrow)]
    name: Text<'a>,
    #[serde(default, borrow)]
    version: Text<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Component<'a> {
    #[serde(default, borrow)]
    name: Text<'a>,
    #[serde(default, borrow)]
    version: Text<'a>,
    #[serde(default, borrow)]
    semantic_version: Text<'a>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    rules: Vec<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct MultiText<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    #[serde(default, borrow)]
    id: Text<'a>,
    #[serde(default, borrow)]
    name: Text<'a>,
    #[serde(default, borrow)]
    short_description: Option<MultiText<'a>>,
    #[serde(default, borrow)]
    full_description: Option<MultiText<'a>>,
    #[serde(default, borrow)]
    help: Option<MultiText<'a>>,
    #[serde(default, borrow)]
    help_uri: Text<'a>,
    #[serde(default, borrow)]
    default_configuration: Option<RuleConfig<'a>>,
    #[serde(default, borrow)]
    properties: Option<Props<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    relationships: Vec<Relationship<'a>>,
    #[serde(default, borrow)]
    deprecated_ids: TextList<'a>,
    #[serde(default, borrow)]
    message_strings: Option<BTreeMap<Cow<'a, str>, MultiText<'a>>>,
}

#[derive(Deserialize, Default)]
struct RuleConfig<'a> {
    #[serde(default, borrow)]
    level: Text<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Relationship<'a> {
    #[serde(default, borrow)]
    target: Option<DescriptorRef<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescriptorRef<'a> {
    #[serde(default, borrow)]
    id: Text<'a>,
    #[serde(default, deserialize_with = "opt_index")]
    index: Option<usize>,
    #[serde(default, borrow)]
    tool_component: Option<ComponentRef<'a>>,
}

#[derive(Deserialize)]
struct ComponentRef<'a> {
    #[serde(default, borrow)]
    name: Text<'a>,
    #[serde(default, deserialize_with = "opt_index")]
    index: Option<usize>,
}

/// The property-bag members Posture reads, on rules and on results.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Props<'a> {
    #[serde(rename = "security-severity", default, borrow)]
    security_severity: Text<'a>,
    #[serde(default, borrow)]
    tags: TextList<'a>,
    #[serde(default, borrow)]
    cwe: TextList<'a>,
    // secrets (Gitleaks v7)
    #[serde(default, borrow)]
    offender: Text<'a>,
    #[serde(default, borrow)]
    secret: Text<'a>,
    // dependencies (Black Duck and generic)
    #[serde(default, borrow)]
    component: Text<'a>,
    #[serde(default, borrow)]
    component_version: Text<'a>,
    #[serde(default, borrow)]
    component_origin: Text<'a>,
    #[serde(default, borrow)]
    purl: Text<'a>,
    // Dependency-Check
    #[serde(default, borrow)]
    severity: Text<'a>,
    #[serde(
        rename = "cvssv3_baseScore",
        default,
        deserialize_with = "opt_lenient_f64"
    )]
    cvssv3_base_score: Option<f64>,
    #[serde(rename = "cvssv2_score", default, deserialize_with = "opt_lenient_f64")]
    cvssv2_score: Option<f64>,
    #[serde(default, borrow)]
    source: Text<'a>,
    // Fortify conversions
    #[serde(rename = "Type", default, borrow)]
    fortify_type: Text<'a>,
    #[serde(rename = "Subtype", default, borrow)]
    fortify_subtype: Text<'a>,
}

// ---------------------------------------------------------------------------------------------
// Result

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(default, borrow)]
    rule_id: Text<'a>,
    #[serde(default, deserialize_with = "opt_index")]
    rule_index: Option<usize>,
    #[serde(default, borrow)]
    rule: Option<DescriptorRef<'a>>,
    #[serde(default, borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    level: Text<'a>,
    #[serde(default, borrow)]
    message: Option<Message<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    locations: Vec<SarifLocation<'a>>,
    #[serde(default, borrow)]
    partial_fingerprints: Option<BTreeMap<Cow<'a, str>, Text<'a>>>,
    #[serde(default, borrow)]
    fingerprints: Option<BTreeMap<Cow<'a, str>, Text<'a>>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    suppressions: Vec<Suppression<'a>>,
    #[serde(default, borrow)]
    baseline_state: Text<'a>,
    #[serde(default, borrow)]
    properties: Option<Props<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    taxa: Vec<DescriptorRef<'a>>,
}

#[derive(Deserialize, Default)]
struct Message<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    id: Text<'a>,
    #[serde(default, borrow)]
    arguments: TextList<'a>,
}

#[derive(Deserialize)]
struct Suppression<'a> {
    #[serde(default, borrow)]
    status: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(default, borrow)]
    physical_location: Option<PhysicalLocation<'a>>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    #[serde(default, borrow)]
    artifact_location: Option<ArtifactLocation<'a>>,
    #[serde(default, borrow)]
    region: Option<Region<'a>>,
}

#[derive(Deserialize, Default)]
struct ArtifactLocation<'a> {
    #[serde(default, borrow)]
    uri: Text<'a>,
    #[serde(default, deserialize_with = "opt_index")]
    index: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Region<'a> {
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    start_column: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    end_column: Option<u32>,
    #[serde(default, borrow)]
    snippet: Option<MultiText<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    #[serde(default, borrow)]
    fully_qualified_name: Text<'a>,
    #[serde(default, borrow)]
    name: Text<'a>,
}

#[derive(Deserialize)]
struct Artifact<'a> {
    #[serde(default, borrow)]
    location: Option<ArtifactLocation<'a>>,
    #[serde(default, borrow)]
    properties: Option<BTreeMap<Cow<'a, str>, Text<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    #[serde(default)]
    execution_successful: Option<bool>,
    #[serde(default, borrow, deserialize_with = "null_default")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(default, borrow)]
    level: Text<'a>,
    #[serde(default, borrow)]
    message: Option<MultiText<'a>>,
}

// ---------------------------------------------------------------------------------------------
// Parser

impl Parser for Sarif {
    fn id(&self) -> &'static str {
        "sarif"
    }

    fn description(&self) -> &'static str {
        "SARIF 2.1.0 log from any tool (CodeQL, Semgrep, Trivy, Grype, gosec, Checkov, KICS...)"
    }

    fn categories(&self) -> &'static [Category] {
        &[
            Category::Sast,
            Category::Sca,
            Category::Iac,
            Category::Secret,
            Category::Dast,
            Category::Container,
        ]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("runs") {
            return Confidence::NO;
        }
        let schema = s.contains("sarif-schema")
            || s.contains("/sarif")
            || s.contains("sarif-2")
            || s.contains("sarif-1");
        if schema || s.has_key("driver") {
            Confidence::CERTAIN
        } else if s.count_keys(&["results", "tool", "ruleId", "locations"]) >= 1 {
            Confidence::MATCH
        } else {
            Confidence::RESEMBLES
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let trimmed = json::strip_bom(input);
        let first = trimmed.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some() && first != Some(&b'{') {
            // let the JSON reader report syntax errors first, then the shape
            json::from_slice::<IgnoredAny>(input)?;
            return Err(ParseError::shape(
                "not a SARIF log: expected a JSON object with a `runs` array",
            ));
        }
        let log: Log<'_> = json::from_slice(input).map_err(|e| {
            if e.kind == ParseErrorKind::Shape {
                ParseError {
                    message: format!("not a SARIF log: {}", e.message),
                    ..e
                }
            } else {
                e
            }
        })?;
        check_version(log.version.non_empty())?;
        let runs = match log.runs {
            None => {
                return Err(ParseError::shape(
                    "not a SARIF log: the object has no `runs` array",
                ));
            }
            Some(r) => r.unwrap_or_default(),
        };
        let mut out = ParsedReport {
            format: self.id().to_string(),
            runs: Vec::new(),
            diagnostics: Vec::new(),
            ..ParsedReport::default()
        };
        let mut secrets = Vec::new();
        for (r, raw) in runs.iter().enumerate() {
            let base = json::pointer_index("/runs", r);
            match serde_json::from_str::<Run<'_>>(raw.get()) {
                Ok(run) => read_run(run, r, &base, &mut out, &mut secrets),
                Err(e) => out.diagnostics.push(json::skipped(
                    &base,
                    format!("run skipped: not a SARIF run ({})", strip_pos(&e)),
                )),
            }
        }
        if !secrets.is_empty() {
            // a secret found by one rule also sits in the snippets of others (a SAST rule
            // matching the whole resource block): mask it everywhere
            secrets.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            secrets.dedup();
            for occ in out.runs.iter_mut().flat_map(|r| r.occurrences.iter_mut()) {
                for secret in &secrets {
                    scrub_secret(occ, secret);
                }
            }
        }
        Ok(out)
    }
}

fn strip_pos(e: &serde_json::Error) -> String {
    let mut m = e.to_string();
    if let Some(cut) = m.rfind(" at line ") {
        m.truncate(cut);
    }
    m
}

fn check_version(version: Option<&str>) -> Result<(), ParseError> {
    let Some(v) = version else { return Ok(()) };
    if v == "2.1.0" || v.starts_with("2.1.") || v == "2.2" || v.starts_with("2.2.") {
        return Ok(());
    }
    Err(ParseError::new(
        ParseErrorKind::UnsupportedVersion,
        format!(
            "SARIF version {v} is not supported: Posture reads SARIF 2.1.0 (and 2.2 leniently); \
             convert older logs with `sarif-multitool transform --sarif-output-version Current`"
        ),
    ))
}

/// Per-run knowledge of the tool, used to pick categories.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ToolKind {
    Fixed(Category),
    Trivy,
    DependencyCheck,
    Other,
}

fn tool_kind(name: &str) -> ToolKind {
    const SCA: &[&str] = &[
        "grype",
        "anchore grype",
        "osv-scanner",
        "osv scanner",
        "govulncheck",
        "npm audit",
        "npm-audit",
        "yarn audit",
        "yarn-audit",
        "pip-audit",
        "cargo-audit",
        "cargo audit",
        "retire.js",
        "retirejs",
        "snyk",
        "snyk open source",
        "black duck",
        "blackduck",
        "nancy",
        "safety",
        "bundler-audit",
        "mend",
        "whitesource",
        "dependabot",
        "ossindex",
    ];
    const CONTAINER: &[&str] = &[
        "dockle",
        "snyk container",
        "clair",
        "anchore",
        "anchore engine",
    ];
    const IAC: &[&str] = &[
        "checkov",
        "tfsec",
        "kics",
        "terrascan",
        "snyk iac",
        "snyk infrastructure as code",
        "hadolint",
        "tflint",
        "cfn-lint",
        "cfn_nag",
        "kube-linter",
        "kubesec",
        "kube-score",
    ];
    const SECRET: &[&str] = &[
        "gitleaks",
        "trufflehog",
        "trufflehog3",
        "detect-secrets",
        "ggshield",
        "gitguardian",
        "talisman",
        "noseyparker",
        "nosey parker",
        "secretlint",
    ];
    const DAST: &[&str] = &[
        "zap",
        "owasp zap",
        "zaproxy",
        "nuclei",
        "burp",
        "burp suite",
        "nikto",
        "nessus",
        "arachni",
        "wapiti",
    ];
    const SAST: &[&str] = &[
        "codeql",
        "lgtm.com",
        "semgrep",
        "gosec",
        "bandit",
        "snykcode",
        "snyk code",
        "spotbugs",
        "flawfinder",
        "mobsfscan",
        "njsscan",
        "nodejsscan",
        "eslint",
        "brakeman",
        "pmd",
        "sonarqube",
        "checkmarx",
        "clang-tidy",
        "devskim",
        "bearer",
        "horusec",
    ];
    if SAST.contains(&name) || name.contains("fortify") {
        return ToolKind::Fixed(Category::Sast);
    }
    if name == "trivy" {
        return ToolKind::Trivy;
    }
    if name == "dependency-check" || name == "owasp dependency-check" {
        return ToolKind::DependencyCheck;
    }
    for (list, cat) in [
        (SCA, Category::Sca),
        (CONTAINER, Category::Container),
        (IAC, Category::Iac),
        (SECRET, Category::Secret),
        (DAST, Category::Dast),
    ] {
        if list.contains(&name) {
            return ToolKind::Fixed(cat);
        }
    }
    if name.contains("secret") {
        return ToolKind::Fixed(Category::Secret);
    }
    ToolKind::Other
}

fn tool_name(run: &Run<'_>) -> Option<(String, Option<String>)> {
    let tool = run.tool.as_ref()?;
    let driver = tool.driver.as_ref();
    let name = driver
        .and_then(|d| d.name.non_empty())
        .or_else(|| tool.name.non_empty())?;
    let version = driver
        .and_then(|d| {
            d.version
                .non_empty()
                .or_else(|| d.semantic_version.non_empty())
        })
        .or_else(|| tool.version.non_empty())
        .map(str::to_string);
    let name = if name.eq_ignore_ascii_case("CodeQL command-line toolchain") {
        "CodeQL"
    } else {
        name
    };
    Some((name.to_string(), version))
}

fn read_run(run: Run<'_>, r: usize, base: &str, out: &mut ParsedReport, secrets: &mut Vec<String>) {
    let tool = match tool_name(&run) {
        Some((name, version)) => ToolInfo::new(name, version),
        None => {
            out.diagnostics.push(json::warning(
                base,
                format!(
                    "the run has no tool name (`tool.driver.name`); its results are attributed \
                     to `{UNKNOWN_TOOL}`"
                ),
            ));
            ToolInfo::new(UNKNOWN_TOOL, None)
        }
    };
    for (i, raw) in run.invocations.iter().enumerate() {
        let loc = json::pointer_index(&format!("{base}/invocations"), i);
        let Ok(inv) = serde_json::from_str::<Invocation<'_>>(raw.get()) else {
            continue;
        };
        if inv.execution_successful == Some(false) {
            out.diagnostics.push(json::warning(
                &loc,
                "the tool reports that its execution failed: results may be incomplete",
            ));
        }
        for (n, note) in inv.tool_execution_notifications.iter().enumerate() {
            if note.level.get() == Some("error") {
                let text = note
                    .message
                    .as_ref()
                    .and_then(|m| m.text.non_empty())
                    .unwrap_or("(no message)");
                out.diagnostics.push(json::warning(
                    &json::pointer_index(&format!("{loc}/toolExecutionNotifications"), n),
                    format!("the tool reported an error: {text}"),
                ));
            }
        }
    }
    let kind = tool_kind(&tool.name);
    let ctx = RunContext::new(&run, base, kind, &mut out.diagnostics);

    let pos = match out.runs.iter().position(|t| t.tool.name == tool.name) {
        Some(p) => {
            if let Some(existing) = out.runs.get_mut(p)
                && existing.tool.version.is_none()
            {
                existing.tool.version = tool.version;
            }
            p
        }
        None => {
            out.runs.push(ToolRun {
                tool,
                occurrences: Vec::with_capacity(run.results.len()),
            });
            out.runs.len() - 1
        }
    };
    let results_base = format!("/runs/{r}/results");
    let mut occurrences = Vec::with_capacity(run.results.len());
    let diagnostics = &mut out.diagnostics;
    json::each_item(
        &run.results,
        &results_base,
        diagnostics,
        |_, locator, res: SarifResult<'_>| {
            ctx.result(res, locator, &mut occurrences);
        },
    );
    // diagnostics gathered while converting (absent results, pass results)
    out.diagnostics.append(&mut ctx.take_diagnostics());
    secrets.append(&mut ctx.secrets.borrow_mut());
    if let Some(t) = out.runs.get_mut(pos) {
        t.occurrences.append(&mut occurrences);
    }
}

/// What a rule says, computed once per rule.
#[derive(Default)]
struct RuleInfo {
    id: String,
    name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    help_text: Option<String>,
    default_level: Option<String>,
    security_severity: Option<String>,
    cwes: Vec<u32>,
    /// CVE/GHSA/OSV-like ids found in tags and `deprecatedIds`.
    aliases: Vec<String>,
    /// The rule's tags, for whether the tool classes it as code quality.
    tags: Vec<String>,
    references: Vec<String>,
    message_strings: HashMap<String, String>,
}

impl RuleInfo {
    fn from_rule(rule: Rule<'_>) -> RuleInfo {
        let props = rule.properties.unwrap_or_default();
        let id = rule.id.non_empty().unwrap_or_default().to_string();
        let name = rule.name.non_empty().map(str::to_string);
        let short = rule
            .short_description
            .as_ref()
            .and_then(|m| m.text.non_empty())
            .filter(|t| !t.contains("<Replace key="))
            .map(first_line);
        let fortify =
            props
                .fortify_type
                .non_empty()
                .map(|t| match props.fortify_subtype.non_empty() {
                    Some(s) => format!("{t}: {s}"),
                    None => t.to_string(),
                });
        let title = short.or(fortify).or_else(|| name.clone());
        let help_text = rule
            .help
            .as_ref()
            .and_then(|m| m.text.non_empty())
            .map(str::to_string);
        let mut references = Vec::new();
        if let Some(u) = rule.help_uri.non_empty().filter(|u| is_web_url(u)) {
            references.push(u.to_string());
        }
        let full = rule
            .full_description
            .as_ref()
            .and_then(|m| m.text.non_empty())
            .filter(|t| !t.contains("<Replace key="))
            .map(str::to_string);
        let description = full.or_else(|| match &help_text {
            Some(h) if is_web_url(h) => {
                if !references.iter().any(|r| r == h) {
                    references.push(h.clone());
                }
                None
            }
            other => other.clone(),
        });
        let mut cwes = Vec::new();
        collect_cwes(&props, &mut cwes);
        for rel in &rule.relationships {
            if let Some(t) = &rel.target {
                push_taxon_cwe(t, &mut cwes);
            }
        }
        let mut aliases = Vec::new();
        for t in props.tags.0.iter().chain(rule.deprecated_ids.0.iter()) {
            let t = t.trim();
            if !t.contains(' ')
                && matches!(
                    classify_vuln_id(t),
                    VulnIdKind::Cve | VulnIdKind::Ghsa | VulnIdKind::Osv
                )
            {
                aliases.push(normalize_vuln_id(t));
            }
        }
        let message_strings = rule
            .message_strings
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.text.0.map(|t| (k.into_owned(), t.into_owned())))
            .collect();
        RuleInfo {
            id,
            name,
            title,
            description,
            help_text,
            default_level: rule
                .default_configuration
                .and_then(|c| c.level.non_empty().map(str::to_string)),
            security_severity: props.security_severity.non_empty().map(str::to_string),
            cwes: json::tidy_cwes(cwes),
            aliases,
            tags: props.tags.0.iter().map(|t| t.trim().to_string()).collect(),
            references,
            message_strings,
        }
    }
}

struct RunContext<'r, 'a> {
    rules: Vec<RuleInfo>,
    extensions: Vec<(String, Vec<RuleInfo>)>,
    by_id: HashMap<String, usize>,
    artifacts: &'r [&'a RawValue],
    kind: ToolKind,
    diagnostics: std::cell::RefCell<Vec<Diagnostic>>,
    /// Plaintext secrets seen in this run, to mask in every occurrence of the report.
    secrets: std::cell::RefCell<Vec<String>>,
}

fn parse_rules(raw: &[&RawValue], base: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<RuleInfo> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| match serde_json::from_str::<Rule<'_>>(r.get()) {
            Ok(rule) => RuleInfo::from_rule(rule),
            Err(e) => {
                diagnostics.push(json::warning(
                    &json::pointer_index(base, i),
                    format!("rule ignored: {}", strip_pos(&e)),
                ));
                RuleInfo::default()
            }
        })
        .collect()
}

impl<'r, 'a> RunContext<'r, 'a> {
    fn new(
        run: &'r Run<'a>,
        base: &str,
        kind: ToolKind,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Self {
        let tool = run.tool.as_ref();
        let rules = tool
            .and_then(|t| t.driver.as_ref())
            .map(|d| parse_rules(&d.rules, &format!("{base}/tool/driver/rules"), diagnostics))
            .unwrap_or_default();
        let extensions = tool
            .map(|t| {
                t.extensions
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        (
                            e.name.non_empty().unwrap_or_default().to_string(),
                            parse_rules(
                                &e.rules,
                                &format!("{base}/tool/extensions/{i}/rules"),
                                diagnostics,
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut by_id = HashMap::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            if !rule.id.is_empty() {
                by_id.entry(rule.id.clone()).or_insert(i);
            }
        }
        RunContext {
            rules,
            extensions,
            by_id,
            artifacts: &run.artifacts,
            kind,
            diagnostics: std::cell::RefCell::new(Vec::new()),
            secrets: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.diagnostics.borrow_mut())
    }

    fn find_rule(&self, res: &SarifResult<'_>) -> Option<&RuleInfo> {
        let rref = res.rule.as_ref();
        let index = rref.and_then(|r| r.index).or(res.rule_index);
        let id = res
            .rule_id
            .non_empty()
            .or_else(|| rref.and_then(|r| r.id.non_empty()));
        // a rule of an extension (CodeQL query packs)
        if let Some(tc) = rref.and_then(|r| r.tool_component.as_ref()) {
            let ext = tc.index.and_then(|i| self.extensions.get(i)).or_else(|| {
                tc.name
                    .non_empty()
                    .and_then(|n| self.extensions.iter().find(|(en, _)| en == n))
            });
            if let Some((_, rules)) = ext {
                let found = index
                    .and_then(|i| rules.get(i))
                    .filter(|r| id.is_none_or(|id| r.id == id))
                    .or_else(|| id.and_then(|id| rules.iter().find(|r| r.id == id)));
                if found.is_some() {
                    return found;
                }
            }
        }
        if let Some(rule) = index.and_then(|i| self.rules.get(i))
            && id.is_none_or(|id| rule.id == id || rule.id.is_empty())
        {
            return Some(rule);
        }
        let id = id?;
        if let Some(i) = self.by_id.get(id) {
            return self.rules.get(*i);
        }
        // hierarchical ids: `CA2000/1` is a sub-rule of `CA2000`
        id.rsplit_once('/')
            .and_then(|(parent, _)| self.by_id.get(parent))
            .and_then(|i| self.rules.get(*i))
    }

    fn artifact(&self, index: usize) -> Option<Artifact<'a>> {
        self.artifacts
            .get(index)
            .and_then(|raw| serde_json::from_str::<Artifact<'a>>(raw.get()).ok())
    }

    fn result(&self, res: SarifResult<'_>, locator: String, out: &mut Vec<Occurrence>) {
        if res.baseline_state.get() == Some("absent") {
            self.diagnostics.borrow_mut().push(json::warning(
                &locator,
                "result skipped: `baselineState` is `absent` (it is not in this scan)",
            ));
            return;
        }
        if let Some(k @ ("pass" | "notApplicable")) = res.kind.get() {
            self.diagnostics.borrow_mut().push(json::warning(
                &locator,
                format!("result skipped: its kind is `{k}`, not a finding"),
            ));
            return;
        }
        let rule = self.find_rule(&res);
        let message = resolve_message(res.message.as_ref(), rule);
        let rule_id = match (res.rule_id.non_empty(), rule) {
            (Some(id), _) => id.to_string(),
            (None, Some(r)) if !r.id.is_empty() => r.id.clone(),
            (None, _) => res
                .rule
                .as_ref()
                .and_then(|r| r.id.non_empty())
                .map(str::to_string)
                .or_else(|| self.rule_from_message(message.as_deref()))
                .unwrap_or_else(|| "sarif-result".to_string()),
        };
        // the rule found by message text (Gitleaks v7) when the result names none
        let rule = rule.or_else(|| {
            if res.rule_id.non_empty().is_none() {
                self.by_id.get(&rule_id).and_then(|i| self.rules.get(*i))
            } else {
                None
            }
        });
        let props = res.properties.unwrap_or_default();
        let category = self.category(&rule_id, rule, &props);

        let title = rule
            .and_then(|r| r.title.clone())
            .unwrap_or_else(|| rule_id.clone());

        // severity
        let (severity, tool_severity, cvss) =
            severity_of(&res.level, rule, &props, self.kind, category);

        // CWEs
        let mut cwes = rule.map(|r| r.cwes.clone()).unwrap_or_default();
        let before = cwes.len();
        collect_cwes(&props, &mut cwes);
        for t in &res.taxa {
            push_taxon_cwe(t, &mut cwes);
        }
        if cwes.len() != before {
            cwes = json::tidy_cwes(cwes);
        }

        // secrets
        let snippet = res
            .locations
            .first()
            .and_then(|l| l.physical_location.as_ref())
            .and_then(|p| p.region.as_ref())
            .and_then(|r| r.snippet.as_ref())
            .and_then(|s| s.text.non_empty());
        let secret_plain = if category == Category::Secret {
            props
                .offender
                .non_empty()
                .or_else(|| props.secret.non_empty())
                .or(snippet)
                .filter(|s| !is_redacted(s))
        } else {
            None
        };

        // description: rule text, then the message
        let mut description = rule.and_then(|r| r.description.clone());
        if let Some(m) = message.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            let dup = description.as_deref().is_some_and(|d| d.trim() == m) || title == m;
            if !dup {
                description = Some(match description {
                    Some(d) => format!("{d}\n\n{m}"),
                    None => m.to_string(),
                });
            }
        }

        // identity
        let tool_fingerprint = fingerprint(res.partial_fingerprints.as_ref())
            .or_else(|| fingerprint(res.fingerprints.as_ref()));
        let context = if category == Category::Secret {
            None
        } else {
            snippet
                .filter(|s| !is_placeholder_snippet(s))
                .map(collapse_ws)
                .or_else(|| message.as_deref().map(collapse_ws))
                .filter(|c| !c.is_empty())
        };

        let mut base = Occurrence::new(category, rule_id, title, severity, String::new());
        base.description = description;
        base.tool_severity = tool_severity;
        base.cwes = cwes;
        base.cvss = cvss;
        base.references = rule.map(|r| r.references.clone()).unwrap_or_default();
        base.identity = IdentityHints {
            tool_fingerprint,
            context,
        };
        // code quality, when the tool's tags say so and nothing says security (a
        // `security-severity` is CodeQL's mark of a security query)
        let security_severity = props.security_severity.non_empty().is_some()
            || rule.is_some_and(|r| r.security_severity.is_some());
        if category == Category::Sast && !security_severity {
            let rule_tags = rule.map(|r| r.tags.as_slice()).unwrap_or_default();
            base.quality = sarif_quality_concern(
                rule_tags
                    .iter()
                    .map(String::as_str)
                    .chain(props.tags.0.iter().map(|t| &**t)),
            )
            .map(|words| format!("SARIF tags: {words}"));
        }
        base.suppressed = res.suppressions.iter().any(|s| {
            matches!(s.status.get(), None | Some("accepted"))
                || s.status.get().is_some_and(|st| st.is_empty())
        });
        if let Some(secret) = secret_plain {
            let evidence = SecretEvidence::from_plaintext(secret);
            scrub_secret(&mut base, secret);
            if secret.trim().len() >= 4 {
                let mut seen = self.secrets.borrow_mut();
                seen.push(secret.trim().to_string());
                let collapsed = collapse_ws(secret);
                if collapsed != secret.trim() {
                    // contexts are whitespace-collapsed
                    seen.push(collapsed);
                }
            }
            base.secret = Some(evidence);
        }
        if category.is_dependency() {
            self.fill_dependency(&mut base, rule, message.as_deref(), &props, &res.locations);
        }

        let n = res.locations.len();
        if n == 0 {
            base.locator = locator;
            out.push(base);
            return;
        }
        for (l, loc) in res.locations.iter().enumerate() {
            let mut occ = if l + 1 == n {
                std::mem::replace(
                    &mut base,
                    Occurrence::new(Category::Sast, "", "", Severity::Info, ""),
                )
            } else {
                base.clone()
            };
            occ.locator = if n > 1 {
                json::pointer_index(&format!("{locator}/locations"), l)
            } else {
                locator.clone()
            };
            occ.location = self.location(loc, category);
            if n > 1 && category != Category::Secret {
                // each location has its own snippet
                if let Some(s) = loc
                    .physical_location
                    .as_ref()
                    .and_then(|p| p.region.as_ref())
                    .and_then(|r| r.snippet.as_ref())
                    .and_then(|s| s.text.non_empty())
                    .filter(|s| !is_placeholder_snippet(s))
                {
                    occ.identity.context = Some(collapse_ws(s));
                }
            }
            out.push(occ);
        }
    }

    fn rule_from_message(&self, message: Option<&str>) -> Option<String> {
        let m = message?.trim();
        if m.is_empty() {
            return None;
        }
        let best = self
            .rules
            .iter()
            .filter(|r| !r.id.is_empty() && m.starts_with(r.id.as_str()))
            .max_by_key(|r| r.id.len());
        Some(match best {
            Some(r) => r.id.clone(),
            None => first_line(m),
        })
    }

    fn category(&self, rule_id: &str, rule: Option<&RuleInfo>, props: &Props<'_>) -> Category {
        if self.kind != ToolKind::Trivy && is_secret_rule(rule_id) {
            return Category::Secret;
        }
        match self.kind {
            ToolKind::Fixed(c) => c,
            ToolKind::DependencyCheck => Category::Sca,
            ToolKind::Trivy => {
                let name = rule.and_then(|r| r.name.as_deref()).unwrap_or_default();
                let upper = rule_id.to_ascii_uppercase();
                if name.contains("Secret") {
                    Category::Secret
                } else if name.contains("Misconfig")
                    || upper.starts_with("AVD-")
                    || upper.starts_with("DS")
                    || upper.starts_with("KSV")
                    || upper.starts_with("KCV")
                {
                    Category::Iac
                } else if name.starts_with("OsPackage") || name.starts_with("OS Package") {
                    Category::Container
                } else {
                    Category::Sca
                }
            }
            ToolKind::Other => {
                if props.component.non_empty().is_some() || !extract_vuln_ids(rule_id).is_empty() {
                    Category::Sca
                } else {
                    Category::Sast
                }
            }
        }
    }

    fn location(&self, loc: &SarifLocation<'_>, category: Category) -> Location {
        let mut out = Location::default();
        if let Some(p) = &loc.physical_location {
            let art = p.artifact_location.as_ref();
            let uri = art.and_then(|a| a.uri.non_empty()).map(Cow::Borrowed);
            let uri = uri.or_else(|| {
                let a = self.artifact(art?.index?)?;
                a.location?
                    .uri
                    .non_empty()
                    .map(|u| Cow::Owned(u.to_string()))
            });
            if let Some(uri) = uri {
                match normalize_uri(&uri) {
                    UriKind::Path(p) => out.path = Some(p),
                    UriKind::Url(u) => out.url = Some(u),
                }
            }
            if let Some(r) = &p.region {
                out.start_line = r.start_line.filter(|n| *n > 0);
                out.end_line = r.end_line.filter(|n| *n > 0);
                out.start_column = r.start_column.filter(|n| *n > 0);
                out.end_column = r.end_column.filter(|n| *n > 0);
            }
        }
        if let Some(l) = loc.logical_locations.first() {
            out.resource = l
                .fully_qualified_name
                .non_empty()
                .or_else(|| l.name.non_empty())
                .map(str::to_string);
        }
        if category.is_dependency() {
            // Trivy, Grype and govulncheck write placeholder regions (1:1) for packages
            out.start_column = None;
            out.end_column = None;
            if out.start_line == Some(1) && out.end_line.is_none_or(|e| e == 1) {
                out.start_line = None;
                out.end_line = None;
            }
            if category == Category::Container && out.image.is_none() {
                out.image = out.path.take();
            }
        }
        out
    }

    fn fill_dependency(
        &self,
        occ: &mut Occurrence,
        rule: Option<&RuleInfo>,
        message: Option<&str>,
        props: &Props<'_>,
        locations: &[SarifLocation<'_>],
    ) {
        let mut ids = extract_vuln_ids(&occ.rule_id);
        if ids.is_empty() && !occ.rule_id.contains(char::is_whitespace) {
            // a tool's own advisory id (SNYK-…, a bare GO-… id)
            ids.push(normalize_vuln_id(&occ.rule_id));
        }
        if let Some(r) = rule {
            ids.extend(r.aliases.iter().cloned());
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|i| seen.insert(i.clone()));
        occ.vulnerability_ids = ids;

        let mut pkg = package_from_props(props)
            .or_else(|| message.and_then(package_from_text))
            .or_else(|| {
                rule.and_then(|r| r.help_text.as_deref())
                    .and_then(package_from_text)
            })
            .or_else(|| self.package_from_artifact(locations))
            .or_else(|| message.and_then(package_from_phrases))
            .or_else(|| {
                locations
                    .first()
                    .and_then(|l| l.logical_locations.first())
                    .and_then(|l| l.fully_qualified_name.non_empty())
                    .and_then(split_name_at_version)
            });
        if pkg.is_none() {
            // Grype: `CVE-2021-1234-pkgname`
            if let Some(first) = occ.vulnerability_ids.first()
                && let Some(rest) = occ.rule_id.strip_prefix(first.as_str())
            {
                let name = rest.trim_start_matches('-').trim();
                if !name.is_empty() && !name.contains(' ') {
                    pkg = Some(Package {
                        name: name.to_string(),
                        ..Package::default()
                    });
                }
            }
        }
        occ.package = pkg;
    }

    fn package_from_artifact(&self, locations: &[SarifLocation<'_>]) -> Option<Package> {
        let index = locations
            .first()?
            .physical_location
            .as_ref()?
            .artifact_location
            .as_ref()?
            .index?;
        let art = self.artifact(index)?;
        let props = art.properties?;
        props
            .values()
            .filter_map(|v| v.non_empty())
            .find(|v| v.starts_with("pkg:"))
            .and_then(package_from_purl)
    }
}

fn severity_of(
    level: &Text<'_>,
    rule: Option<&RuleInfo>,
    props: &Props<'_>,
    kind: ToolKind,
    category: Category,
) -> (Severity, Option<String>, Vec<CvssRating>) {
    let mut cvss = Vec::new();
    if kind == ToolKind::DependencyCheck {
        let source = props
            .source
            .non_empty()
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "dependency-check".to_string());
        for score in [props.cvssv3_base_score, props.cvssv2_score]
            .into_iter()
            .flatten()
        {
            cvss.push(CvssRating {
                source: source.clone(),
                vector: None,
                score: Some(score),
            });
        }
    }
    let sec = props
        .security_severity
        .non_empty()
        .or_else(|| rule.and_then(|r| r.security_severity.as_deref()));
    if let Some(s) = sec
        && let Some(sev) = s.parse::<f64>().ok().and_then(Severity::from_cvss_score)
    {
        return (sev, Some(s.to_string()), cvss);
    }
    if kind == ToolKind::DependencyCheck {
        let score = props.cvssv3_base_score.or(props.cvssv2_score);
        if let Some(sev) = score.and_then(Severity::from_cvss_score) {
            return (sev, score.map(|s| s.to_string()), cvss);
        }
        if let Some(w) = props.severity.non_empty()
            && let Some(sev) = Severity::from_common_word(w)
        {
            return (sev, Some(w.to_string()), cvss);
        }
    }
    let written = level
        .non_empty()
        .or_else(|| rule.and_then(|r| r.default_level.as_deref()));
    let w = written.unwrap_or("warning");
    let sev = if w.eq_ignore_ascii_case("error") {
        Severity::High
    } else if w.eq_ignore_ascii_case("note") {
        Severity::Low
    } else if w.eq_ignore_ascii_case("none") {
        Severity::Info
    } else if written.is_none() && category == Category::Secret {
        // no level anywhere: a leaked credential is high, as in the Gitleaks JSON reader
        Severity::High
    } else {
        // `warning`, and unknown words
        Severity::Medium
    };
    (sev, written.map(str::to_string), cvss)
}

fn resolve_message(msg: Option<&Message<'_>>, rule: Option<&RuleInfo>) -> Option<String> {
    let msg = msg?;
    let template = msg.text.get().map(str::to_string).or_else(|| {
        let id = msg.id.non_empty()?;
        rule?.message_strings.get(id).cloned()
    })?;
    if msg.arguments.0.is_empty() || !template.contains('{') {
        return Some(template);
    }
    let mut out = template;
    for (i, arg) in msg.arguments.0.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), arg);
    }
    Some(out)
}

fn collect_cwes(props: &Props<'_>, out: &mut Vec<u32>) {
    for tag in &props.tags.0 {
        let t = tag.trim();
        let lower = t.to_ascii_lowercase();
        let rest = lower.strip_prefix("external/cwe/").unwrap_or(&lower);
        if rest.starts_with("cwe")
            && let Some(n) = json::parse_cwe(&rest.replace("cwe:", "cwe-"))
        {
            out.push(n);
        }
    }
    for c in &props.cwe.0 {
        let upper = c.trim().to_ascii_uppercase();
        if let Some(n) = json::parse_cwe(&upper) {
            out.push(n);
        }
    }
}

fn push_taxon_cwe(t: &DescriptorRef<'_>, out: &mut Vec<u32>) {
    let is_cwe = t
        .tool_component
        .as_ref()
        .and_then(|c| c.name.non_empty())
        .is_some_and(|n| n.eq_ignore_ascii_case("cwe"));
    if let Some(id) = t.id.non_empty() {
        let upper = id.to_ascii_uppercase();
        if (is_cwe || upper.starts_with("CWE-"))
            && let Some(n) = json::parse_cwe(&upper)
        {
            out.push(n);
        }
    }
}

/// Joins the usable entries of a fingerprint map, sorted by key.
fn fingerprint(map: Option<&BTreeMap<Cow<'_, str>, Text<'_>>>) -> Option<String> {
    const NOT_IDENTITY: &[&str] = &[
        // Gitleaks: commit metadata, not fingerprints
        "commitSha",
        "author",
        "email",
        "date",
        "commitMessage",
        // CodeQL: the start column, a position
        "primaryLocationStartColumnFingerprint",
    ];
    let map = map?;
    let mut out = String::new();
    let mut substantial = false;
    for (k, v) in map {
        if NOT_IDENTITY.contains(&k.as_ref()) {
            continue;
        }
        let Some(v) = v.non_empty().filter(|v| !is_placeholder_fingerprint(v)) else {
            continue;
        };
        if v.len() >= 8 {
            substantial = true;
        }
        if !out.is_empty() {
            out.push('|');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    (substantial && !out.is_empty()).then_some(out)
}

fn is_placeholder_fingerprint(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l == "0x42"
        || l == "requires login"
        || (l.starts_with('[') && l.ends_with(']'))
        || (l.starts_with('<') && l.ends_with('>'))
        || (l.len() >= 8 && l.chars().all(|c| c == '0' || c == ':' || c == '-'))
}

fn is_placeholder_snippet(s: &str) -> bool {
    s.trim().eq_ignore_ascii_case("requires login")
}

/// Secret-detection rules of general tools: Checkov's `CKV_SECRET_*`, Semgrep's
/// `generic.secrets.*` rules.
fn is_secret_rule(rule_id: &str) -> bool {
    rule_id.starts_with("CKV_SECRET_")
        || rule_id.starts_with("secrets.")
        || rule_id.contains(".secrets.")
}

/// A secret the tool already masked (`REDACTED`, `AKIAI**********`) cannot be hashed.
fn is_redacted(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("redacted") || t.contains("***")
}

/// Masks every copy of the secret in the text fields of an occurrence.
fn scrub_secret(occ: &mut Occurrence, secret: &str) {
    let secret = secret.trim();
    if secret.len() < 4 {
        return;
    }
    let masked = mask_secret(secret);
    for field in [&mut occ.title, &mut occ.rule_id] {
        if field.contains(secret) {
            *field = field.replace(secret, &masked);
        }
    }
    for text in [&mut occ.description, &mut occ.identity.context] {
        if let Some(d) = text.as_mut()
            && d.contains(secret)
        {
            *d = d.replace(secret, &masked);
        }
    }
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn first_line(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or_default().trim();
    if line.chars().count() > 200 {
        let mut t: String = line.chars().take(200).collect();
        t.push('…');
        t
    } else {
        line.to_string()
    }
}

fn is_web_url(s: &str) -> bool {
    let s = s.trim();
    (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace)
}

enum UriKind {
    Path(String),
    Url(String),
}

fn normalize_uri(uri: &str) -> UriKind {
    let uri = uri.trim();
    if let Some(rest) = uri.strip_prefix("file://") {
        let mut p = rest;
        while p.starts_with("//") {
            p = &p[1..];
        }
        // `/C:/code/x.c` → `C:/code/x.c`
        let b = p.as_bytes();
        if b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
            p = &p[1..];
        }
        return UriKind::Path(percent_decode(p));
    }
    if let Some((scheme, _)) = uri.split_once("://")
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
    {
        return UriKind::Url(uri.to_string());
    }
    // URIs separate with `/`; KICS and hadolint write Windows paths with `\`
    let path = percent_decode(uri);
    if path.contains('\\') {
        UriKind::Path(path.replace('\\', "/"))
    } else {
        UriKind::Path(path)
    }
}

// ---------------------------------------------------------------------------------------------
// Vulnerability ids and packages

/// CVE/GHSA/OSV/distro ids found in a rule id, cut to their canonical form (Grype appends the
/// package: `CVE-2021-1234-log4j-core`; Trivy's template prefixes the severity: `[HIGH] CVE-…`).
fn extract_vuln_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | '"' | '\'')
    }) {
        if let Some(id) = canonical_vuln_id(token)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

fn canonical_vuln_id(token: &str) -> Option<String> {
    // every known id is `LETTERS-DIGITS…`: cheap test before any allocation
    let (prefix, rest) = token.split_once('-')?;
    if prefix.is_empty()
        || !prefix.bytes().all(|b| b.is_ascii_alphabetic())
        || !rest
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let upper = token.to_ascii_uppercase();
    let parts: Vec<&str> = token.split('-').collect();
    if upper.starts_with("CVE-") {
        let year = parts.get(1)?;
        let num = parts.get(2)?;
        let num_digits: String = num.chars().take_while(|c| c.is_ascii_digit()).collect();
        if year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) && num_digits.len() >= 4 {
            return Some(format!("CVE-{year}-{num_digits}"));
        }
        return None;
    }
    if upper.starts_with("GHSA-") {
        let groups = parts.get(1..4)?;
        if groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Some(normalize_vuln_id(&format!(
                "GHSA-{}-{}-{}",
                groups.first()?,
                groups.get(1)?,
                groups.get(2)?
            )));
        }
        return None;
    }
    let osv_like = matches!(classify_vuln_id(token), VulnIdKind::Osv) || upper.starts_with("BDSA-");
    if osv_like {
        // PREFIX-YEAR-NUMBER
        let year = parts.get(1)?;
        let num = parts.get(2)?;
        if year.chars().all(|c| c.is_ascii_digit())
            && !num.is_empty()
            && num.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Some(normalize_vuln_id(&format!(
                "{}-{year}-{num}",
                parts.first()?
            )));
        }
    }
    None
}

/// Black Duck and generic result properties.
fn package_from_props(props: &Props<'_>) -> Option<Package> {
    if let Some(p) = props.purl.non_empty().and_then(package_from_purl) {
        return Some(p);
    }
    let name = props.component.non_empty()?;
    Some(Package {
        purl: None,
        ecosystem: props.component_origin.non_empty().map(ecosystem_of),
        name: name.to_string(),
        version: props.component_version.non_empty().map(str::to_string),
        fixed_versions: Vec::new(),
    })
}

/// `Package: x` / `Installed Version: y` / `Version: y` / `Fixed Version: z` / `Type: t` lines
/// (Trivy messages and help, Grype help).
fn package_from_text(text: &str) -> Option<Package> {
    let mut name = None;
    let mut version = None;
    let mut fixed = None;
    let mut kind = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k.trim() {
            "Package" => name = name.or(Some(v)),
            "Installed Version" | "Version" => version = version.or(Some(v)),
            "Fixed Version" | "Fix Version" => fixed = fixed.or(Some(v)),
            "Type" => kind = kind.or(Some(v)),
            _ => {}
        }
    }
    let name = name?;
    Some(Package {
        purl: None,
        ecosystem: kind.map(ecosystem_of),
        name: name.to_string(),
        version: version.map(str::to_string),
        fixed_versions: fixed
            .map(|f| {
                f.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// osv-scanner: `Package 'name@version' is vulnerable…`; govulncheck: `vulnerable module (m)`.
fn package_from_phrases(text: &str) -> Option<Package> {
    if let Some(rest) = text.strip_prefix("Package '") {
        let spec = rest.split('\'').next()?;
        return split_name_at_version(spec);
    }
    if let Some((_, rest)) = text.split_once("vulnerable module (") {
        let name = rest.split(')').next()?.trim();
        if !name.is_empty() && !name.contains([' ', ',']) {
            return Some(Package {
                ecosystem: Some("golang".to_string()),
                name: name.to_string(),
                ..Package::default()
            });
        }
    }
    None
}

fn split_name_at_version(spec: &str) -> Option<Package> {
    let spec = spec.trim();
    // `@scope/name@1.0` keeps its leading `@`
    let (name, version) = match spec.rfind('@') {
        Some(i) if i > 0 => (spec.get(..i)?, spec.get(i + 1..)),
        _ => (spec, None),
    };
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    Some(Package {
        name: name.to_string(),
        version: version.filter(|v| !v.is_empty()).map(str::to_string),
        ..Package::default()
    })
}

fn package_from_purl(purl: &str) -> Option<Package> {
    let p = Purl::parse(purl)?;
    Some(Package {
        purl: Some(purl.trim().to_string()),
        name: p.display_name(),
        ecosystem: Some(p.ty),
        version: p.version,
        fixed_versions: Vec::new(),
    })
}

/// Package types of Grype and origins of Black Duck, in purl-type vocabulary.
fn ecosystem_of(kind: &str) -> String {
    let k = kind.trim().to_ascii_lowercase();
    match k.as_str() {
        "java-archive" | "jenkins-plugin" | "java" | "maven" => "maven",
        "npm" | "node" | "javascript" => "npm",
        "python" | "pypi" | "pip" => "pypi",
        "gem" | "rubygems" => "gem",
        "go-module" | "go" | "golang" => "golang",
        "rust-crate" | "cargo" | "crates" => "cargo",
        "dotnet" | "nuget" => "nuget",
        "php-composer" | "composer" | "packagist" => "composer",
        "deb" | "debian" => "deb",
        "rpm" => "rpm",
        "apk" | "alpine" => "apk",
        other => other,
    }
    .to_string()
}
