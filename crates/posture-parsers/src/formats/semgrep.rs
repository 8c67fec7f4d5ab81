//! Semgrep JSON reports (`semgrep --json`, `semgrep scan --json`, `semgrep ci --json`), versions
//! 0.x (no top-level `version` key) to 1.x.
//!
//! Shape: an object with `results[]` (one item per match: `check_id`, `path`, `start`/`end`
//! `{line, col, offset}`, `extra`) and `errors[]`; optionally `version` (since 0.92), `paths`,
//! `skipped_rules`, `interfile_languages_used`, `time`, `explanations`. Written pretty-printed
//! or as one compact line; both read the same.
//!
//! Severity (`extra.severity`; Semgrep Supply Chain results prefer `metadata.sca-severity`, the
//! advisory's own rating, when present). Semgrep's legacy scale is mapped the way Semgrep maps
//! it onto its new one (ERROR = HIGH, WARNING = MEDIUM, INFO = LOW):
//!
//! | Semgrep                    | Posture  |
//! |----------------------------|----------|
//! | `CRITICAL`                 | critical |
//! | `ERROR`, `HIGH`            | high     |
//! | `WARNING`, `MEDIUM`        | medium   |
//! | `INFO`, `LOW`              | low      |
//! | `INVENTORY`, `EXPERIMENT`  | info     |
//! | missing or anything else   | medium (with a warning diagnostic for an unknown word) |
//!
//! Category: `sast` by default; `sca` when `extra.sca_info` is present (Semgrep Supply Chain);
//! `secret` when the rule's metadata marks it as a secrets rule (`product: secrets`, or
//! `category: security` with `secrets` in `subcategory` or `technology`, as Semgrep's secrets
//! rules do).
//!
//! Title: the last dotted segment of the rule id, humanized (`python.lang.security.audit.
//! dangerous-subprocess-use-tainted-env-args.dangerous-subprocess-use-tainted-env-args` reads
//! "Dangerous subprocess use tainted env args"): stable across matches, unlike the message,
//! which interpolates metavariables and is often several sentences long. The message is kept
//! whole as the description. When the last segment is an opaque id (Supply Chain's
//! `ssc-<uuid>`), the message's first sentence is the title instead.
//!
//! Identity hints: `tool_fingerprint` is `extra.fingerprint`, Semgrep's match-based id (a hash of
//! rule, path and matched code plus an index; it does not depend on the line), unless it is a
//! placeholder (`requires login` when logged out, `0x42` in Semgrep's own test snapshots, empty).
//! `context` is `extra.lines` with whitespace collapsed, unless it is the `requires login`
//! placeholder. Supply Chain results carry neither: dependencies are identified by
//! vulnerability id + package, and the match id of a reachable result depends on the code that
//! uses the package, not on the package.
//!
//! Supply Chain (`sca`): the package is `sca_info.dependency_match.found_dependency` (ecosystem
//! mapped to purl types: `gomod` → `golang`, `mix` → `hex`, `swiftpm` → `swift`); the location
//! is the lockfile (and the dependency's line in it) when Semgrep names one, and the code that
//! reaches the vulnerable package is named in the description. Vulnerability ids come from
//! `metadata.sca-vuln-database-identifier`, `cve`, `ghsa`, then advisory URLs in `references`;
//! fixed versions from `metadata.sca-fix-versions` (`[{package: version}]`) for the matched
//! package. The reachability verdict is written in the description as one line starting with
//! `Reachability: ` followed by `reachable`, `unreachable` or `not analysed`.
//!
//! Secrets: the matched text (the `start.col`..`end.col` span of `extra.lines` for a one-line
//! match, otherwise the trimmed lines) becomes a [`SecretEvidence`]; `lines`, `fix` and the
//! metavariables are never kept, and the secret is masked out of the message if it appears
//! there. `validation_state` (other than `NO_VALIDATOR`) is written in the description.
//!
//! Other fields: `is_ignored` (a `nosemgrep` comment) → `suppressed`; `metadata.cwe` (string or
//! list, `CWE-89: ...`) → `cwes`; `metadata.references` and `source` (the rule's page, or
//! `shortlink` without it) → `references`; confidence, likelihood, impact and OWASP ids are
//! summarised in the description. `metavars` and `dataflow_trace` are not read.
//!
//! Errors: each item of `errors[]` becomes a `Warning` diagnostic at `/errors/N`; a report with
//! errors and no results parses as zero occurrences plus those warnings.
//!
//! Not read: the Semgrep AppSec Platform's Supply Chain API export (`{"vulns": [...],
//! "hasMore": ..., "cursor": ...}`, one page of a paginated listing). It is a different format
//! from the CLI's and is refused with a Shape error that names it.
//!
//! Collapsing: none. One occurrence per `results[]` item (DefectDojo merges results with the same
//! rule, path and line; Posture leaves deduplication to the engine).

use crate::json::trimmed_non_empty as non_empty;
use crate::json::{self, null_default, opt_lenient_u32};
use crate::support::quality_concern;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, Package, ParsedReport, SecretEvidence, Severity,
    ToolInfo, ToolRun, VulnIdKind, classify_vuln_id, normalize_vuln_id,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;

/// Top-level keys of `semgrep --json` (0.x to 1.x), for detecting reports without results.
const TOP_LEVEL_KEYS: &[&str] = &[
    "results",
    "errors",
    "paths",
    "version",
    "skipped_rules",
    "interfile_languages_used",
    "time",
    "explanations",
    "rules_by_engine",
    "engine_requested",
    "skipped",
];

pub struct Semgrep;

/// The document. Items are kept raw so that one broken result costs only itself.
#[derive(Deserialize)]
struct Doc<'a> {
    /// `Some` when the key is present, even as `null`.
    #[serde(default, borrow, deserialize_with = "present_list")]
    results: Option<Vec<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present_list")]
    errors: Option<Vec<&'a RawValue>>,
    #[serde(default, deserialize_with = "first_string")]
    version: Option<String>,
    /// Only to recognise (and refuse) the AppSec Platform API export.
    #[serde(default, rename = "hasMore")]
    has_more: Option<IgnoredAny>,
    #[serde(default)]
    vulns: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Match {
    #[serde(default, deserialize_with = "first_string")]
    check_id: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    start: Pos,
    #[serde(default, deserialize_with = "null_default")]
    end: Pos,
    #[serde(default, deserialize_with = "null_default")]
    extra: Extra,
}

#[derive(Deserialize, Default)]
struct Pos {
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    col: Option<u32>,
}

#[derive(Deserialize, Default)]
struct Extra {
    #[serde(default, deserialize_with = "first_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    severity: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    metadata: Metadata,
    #[serde(default, deserialize_with = "first_string")]
    lines: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    fingerprint: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    is_ignored: bool,
    #[serde(default, deserialize_with = "first_string")]
    validation_state: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    fix: Option<String>,
    #[serde(default)]
    sca_info: Option<ScaInfo>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Metadata {
    #[serde(deserialize_with = "strings")]
    cwe: Vec<String>,
    #[serde(deserialize_with = "strings")]
    owasp: Vec<String>,
    #[serde(deserialize_with = "strings")]
    references: Vec<String>,
    #[serde(deserialize_with = "first_string")]
    confidence: Option<String>,
    #[serde(deserialize_with = "first_string")]
    likelihood: Option<String>,
    #[serde(deserialize_with = "first_string")]
    impact: Option<String>,
    #[serde(deserialize_with = "strings")]
    category: Vec<String>,
    #[serde(deserialize_with = "strings")]
    subcategory: Vec<String>,
    #[serde(deserialize_with = "strings")]
    technology: Vec<String>,
    #[serde(deserialize_with = "strings")]
    product: Vec<String>,
    #[serde(deserialize_with = "first_string")]
    source: Option<String>,
    #[serde(deserialize_with = "first_string")]
    shortlink: Option<String>,
    #[serde(rename = "sca-vuln-database-identifier", deserialize_with = "strings")]
    sca_vuln_id: Vec<String>,
    #[serde(deserialize_with = "strings")]
    cve: Vec<String>,
    #[serde(deserialize_with = "strings")]
    ghsa: Vec<String>,
    #[serde(rename = "sca-severity", deserialize_with = "first_string")]
    sca_severity: Option<String>,
    #[serde(rename = "sca-fix-versions", deserialize_with = "fix_versions")]
    sca_fix_versions: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ScaInfo {
    #[serde(default, deserialize_with = "lenient_opt_bool")]
    reachable: Option<bool>,
    #[serde(default, deserialize_with = "lenient_opt_bool")]
    reachability_rule: Option<bool>,
    #[serde(default)]
    dependency_match: Option<DependencyMatch>,
}

#[derive(Deserialize)]
struct DependencyMatch {
    #[serde(default)]
    found_dependency: Option<FoundDependency>,
    #[serde(default)]
    dependency_pattern: Option<DependencyPattern>,
    #[serde(default, deserialize_with = "first_string")]
    lockfile: Option<String>,
}

#[derive(Deserialize)]
struct FoundDependency {
    #[serde(default, deserialize_with = "first_string")]
    package: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    version: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    ecosystem: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    lockfile_path: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line_number: Option<u32>,
    #[serde(default, deserialize_with = "first_string")]
    transitivity: Option<String>,
}

#[derive(Deserialize)]
struct DependencyPattern {
    #[serde(default, deserialize_with = "first_string")]
    semver_range: Option<String>,
}

#[derive(Deserialize)]
struct CliError {
    #[serde(default, deserialize_with = "first_string")]
    level: Option<String>,
    /// A string, or (since 1.45) `["PatternParseError", [...]]`: the first string is the name.
    #[serde(default, rename = "type", deserialize_with = "first_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    message: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    long_msg: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    short_msg: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "first_string")]
    rule_id: Option<String>,
}

impl Parser for Semgrep {
    fn id(&self) -> &'static str {
        "semgrep-json"
    }

    fn description(&self) -> &'static str {
        "Semgrep JSON report (semgrep --json, 0.x and 1.x; Code, Supply Chain and Secrets results)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast, Category::Sca, Category::Secret]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        // SARIF (`runs`), GitLab security reports (`vulnerabilities` + `scan`): Semgrep writes
        // both, and neither is this format.
        if s.has_key("runs") || (s.has_key("vulnerabilities") && s.has_key("scan")) {
            return Confidence::NO;
        }
        // Checkov's results also carry `check_id`, under `results.failed_checks`.
        if s.has_key("check_type") || s.has_key("failed_checks") || s.has_key("passed_checks") {
            return Confidence::NO;
        }
        let results = s.has_key("results");
        if results && s.has_key("check_id") && s.has_key("extra") {
            return Confidence::CERTAIN;
        }
        // No result in the head: an empty report or a failed run. `results` and `errors` are
        // common words (Bandit, Retire.js...), so the top-level keys must all be Semgrep's.
        if s.complete {
            let Ok(keys) = serde_json::from_str::<BTreeMap<&str, &RawValue>>(s.head) else {
                return Confidence::NO;
            };
            let ours = keys.keys().all(|k| TOP_LEVEL_KEYS.contains(k));
            // Semgrep always writes `errors`; `{"results": null}` alone is tfsec's empty report.
            let core = keys.contains_key("errors");
            // results without `check_id` are another tool's (OSV-Scanner writes `{"results"}`)
            let no_results = keys.get("results").is_none_or(|raw| {
                serde_json::from_str::<Option<Vec<IgnoredAny>>>(raw.get())
                    .is_ok_and(|v| v.is_none_or(|v| v.is_empty()))
            });
            if !ours || !core || !no_results {
                return Confidence::NO;
            }
            let semgrep_only = ["paths", "skipped_rules", "interfile_languages_used"]
                .iter()
                .any(|k| keys.contains_key(k));
            return if semgrep_only {
                Confidence::CERTAIN
            } else {
                // `{"results": [], "errors": []}` (DefectDojo's empty.json)
                Confidence::MATCH
            };
        }
        // A head of a large report with no result in it: a huge `errors[]` list.
        let semgrep_only = s.has_key("skipped_rules") || s.has_key("interfile_languages_used");
        if s.has_key("errors") && semgrep_only && s.has_keys(&["level", "type"]) {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Doc = json::from_slice(input).map_err(|mut e| {
            if e.kind == crate::ParseErrorKind::Shape {
                e.message = format!("not a Semgrep JSON report: {}", e.message);
            }
            e
        })?;
        if doc.results.is_none() && doc.errors.is_none() {
            if doc.vulns.is_some() && doc.has_more.is_some() {
                return Err(ParseError::shape(
                    "this is a Semgrep AppSec Platform Supply Chain API export (`vulns`, \
                     `hasMore`, `cursor`), not `semgrep --json` output; it is not supported: \
                     scan with `semgrep ci --json` or `semgrep scan --json` instead",
                ));
            }
            return Err(ParseError::shape(
                "not a Semgrep JSON report: the object has neither `results` nor `errors`",
            ));
        }
        let items = doc.results.unwrap_or_default();
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        // Unknown severity words, reported once per distinct word (with the first locator).
        let mut unknown: Vec<(String, String)> = Vec::new();
        json::each_item(
            &items,
            "/results",
            &mut diagnostics,
            |_, locator, m: Match| {
                let occ = to_occurrence(m, locator);
                if let Some(word) = &occ.tool_severity
                    && severity_of(word).is_none()
                    && !unknown.iter().any(|(w, _)| w == word)
                {
                    unknown.push((word.clone(), occ.locator.clone()));
                }
                occurrences.push(occ);
            },
        );
        for (word, locator) in unknown {
            diagnostics.push(json::warning(
                &locator,
                format!("unknown Semgrep severity `{word}` read as medium"),
            ));
        }
        let errors = doc.errors.unwrap_or_default();
        let mut error_diags = Vec::with_capacity(errors.len());
        json::each_item(
            &errors,
            "/errors",
            &mut diagnostics,
            |_, locator, e: CliError| {
                error_diags.push(error_diagnostic(e, &locator));
            },
        );
        diagnostics.extend(error_diags);
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("semgrep", doc.version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// A list that is present: `null` reads as empty (called only when the key is there).
fn present_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<&'de RawValue>>, D::Error> {
    Ok(Some(
        Option::<Vec<&'de RawValue>>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// The severity table of the module documentation; `None` for a word it does not list.
fn severity_of(word: &str) -> Option<Severity> {
    crate::support::severity::lookup(crate::support::severity::SEMGREP, word)
}

/// Placeholders Semgrep writes instead of a fingerprint or the matched lines.
fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.eq_ignore_ascii_case("requires login")
        || t == "0x42"
        || t.eq_ignore_ascii_case("[line-hash]")
}

fn collapse_ws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `python.lang.security.audit.eval-injection` → `Eval injection`; `None` for an opaque id.
fn humanize_rule(rule: &str) -> Option<String> {
    let last = rule
        .rsplit('.')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("");
    let words: Vec<&str> = last
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    // Opaque: `ssc-82207871-bbda-...`, hashes, numbers. A readable id has a word of 3+ letters
    // that is not a hex run.
    let readable = words.iter().any(|w| {
        w.len() >= 3
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && !w.chars().all(|c| c.is_ascii_hexdigit())
            && !w.eq_ignore_ascii_case("ssc")
    });
    if !readable {
        return None;
    }
    let joined = words.join(" ");
    let mut chars = joined.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// The first sentence of a message, at most 120 characters, whitespace collapsed.
fn first_sentence(message: &str) -> String {
    let flat = collapse_ws(message);
    let end = flat.find(". ").map_or(flat.len(), |i| i + 1);
    let sentence = flat.get(..end).unwrap_or(&flat);
    if sentence.chars().count() > 120 {
        let cut: String = sentence.chars().take(117).collect();
        format!("{}...", cut.trim_end())
    } else {
        sentence.to_string()
    }
}

fn has_word(list: &[String], word: &str) -> bool {
    list.iter().any(|s| s.trim().eq_ignore_ascii_case(word))
}

fn is_secrets_rule(m: &Metadata) -> bool {
    has_word(&m.product, "secrets")
        || (has_word(&m.category, "security")
            && (has_word(&m.subcategory, "secrets") || has_word(&m.technology, "secrets")))
}

/// Semgrep's ecosystem names in purl-type vocabulary.
fn purl_type(ecosystem: &str) -> String {
    let e = ecosystem.trim().to_ascii_lowercase();
    match e.as_str() {
        "gomod" | "go" => "golang".to_string(),
        "mix" => "hex".to_string(),
        "swiftpm" => "swift".to_string(),
        "pub" => "pub".to_string(),
        _ => e,
    }
}

/// The text the match covers: the column span of a one-line match, else the trimmed lines.
fn matched_text(lines: &str, start: &Pos, end: &Pos) -> Option<String> {
    if is_placeholder(lines) {
        return None;
    }
    let one_line = !lines.trim_end_matches(['\n', '\r']).contains('\n');
    if one_line
        && start.line.is_some()
        && start.line == end.line
        && let (Some(a), Some(b)) = (start.col, end.col)
    {
        let (a, b) = (a.saturating_sub(1) as usize, b.saturating_sub(1) as usize);
        let span: String = lines.chars().skip(a).take(b.saturating_sub(a)).collect();
        if !span.trim().is_empty() {
            return Some(span.trim().to_string());
        }
    }
    Some(lines.trim().to_string()).filter(|s| !s.is_empty())
}

/// CVE/GHSA ids at the end of advisory URLs (`.../advisories/GHSA-...`, `.../detail/CVE-...`).
fn vuln_id_from_url(url: &str) -> Option<String> {
    let last = url.trim().trim_end_matches('/').rsplit('/').next()?;
    matches!(classify_vuln_id(last), VulnIdKind::Cve | VulnIdKind::Ghsa).then(|| last.to_string())
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && !list.contains(&value) {
        list.push(value);
    }
}

fn to_occurrence(m: Match, locator: String) -> Occurrence {
    let Match {
        check_id,
        path,
        start,
        end,
        extra,
    } = m;
    let meta = extra.metadata;
    let rule = non_empty(check_id).unwrap_or_else(|| "semgrep".to_string());
    let message = non_empty(extra.message).unwrap_or_default();
    let sca = extra.sca_info;
    let category = if sca.is_some() {
        Category::Sca
    } else if is_secrets_rule(&meta) {
        Category::Secret
    } else {
        Category::Sast
    };

    let tool_severity = match (&sca, non_empty(meta.sca_severity.clone())) {
        (Some(_), Some(s)) => Some(s),
        _ => non_empty(extra.severity),
    };
    let severity = tool_severity
        .as_deref()
        .and_then(severity_of)
        .unwrap_or(Severity::Medium);

    // Secret evidence first, so that the plaintext can be kept out of every text field.
    let lines = extra.lines.filter(|l| !is_placeholder(l));
    let secret = if category == Category::Secret {
        lines.as_deref().and_then(|l| matched_text(l, &start, &end))
    } else {
        None
    };
    let evidence = secret.as_deref().map(SecretEvidence::from_plaintext);
    let mask = evidence.as_ref().map(|e| e.masked.clone());
    let whole_line = lines.as_deref().map(str::trim).unwrap_or("");
    let scrub = |text: &str| -> String {
        match (&secret, &mask) {
            (Some(s), Some(m)) => {
                let mut out = text.to_string();
                for plain in [whole_line, s.as_str()] {
                    if plain.len() >= 4 {
                        out = out.replace(plain, m);
                    }
                }
                out
            }
            _ => text.to_string(),
        }
    };

    let title = match humanize_rule(&rule) {
        Some(t) => t,
        None if !message.is_empty() => scrub(&first_sentence(&message)),
        None => rule.clone(),
    };

    let mut occ = Occurrence::new(category, rule, title, severity, locator);
    occ.tool_severity = tool_severity;
    occ.suppressed = extra.is_ignored;
    occ.secret = evidence;
    occ.cwes = json::tidy_cwes(meta.cwe.iter().filter_map(|c| json::parse_cwe(c)).collect());
    // code quality when the rule's own category says so (`correctness`, `best-practice`,
    // `performance`, `maintainability`...) and nothing says security
    if category == Category::Sast {
        occ.quality = quality_concern(
            meta.category
                .iter()
                .chain(meta.subcategory.iter())
                .map(String::as_str),
            &occ.cwes,
        )
        .map(|words| format!("semgrep category: {words}"));
    }

    let mut references = Vec::new();
    for r in &meta.references {
        push_unique(&mut references, r.trim().to_string());
    }
    if let Some(src) = non_empty(meta.source.clone()).or_else(|| non_empty(meta.shortlink.clone()))
    {
        push_unique(&mut references, src);
    }

    let code_location = Location {
        path: non_empty(path),
        start_line: start.line.filter(|l| *l > 0),
        end_line: end.line.filter(|l| *l > 0),
        start_column: start.col.filter(|c| *c > 0),
        end_column: end.col.filter(|c| *c > 0),
        ..Location::default()
    };

    // Description: the message, then one line per extra fact.
    let mut desc: Vec<String> = Vec::new();
    if !message.is_empty() {
        desc.push(scrub(&message));
    }

    if let Some(sca) = sca {
        let dm = sca.dependency_match;
        let (found, pattern, lockfile) = match dm {
            Some(d) => (
                d.found_dependency,
                d.dependency_pattern,
                non_empty(d.lockfile),
            ),
            None => (None, None, None),
        };
        let lockfile = found
            .as_ref()
            .and_then(|f| non_empty(f.lockfile_path.clone()))
            .or(lockfile);
        let mut ids = Vec::new();
        for id in meta
            .sca_vuln_id
            .iter()
            .chain(meta.cve.iter())
            .chain(meta.ghsa.iter())
        {
            push_unique(&mut ids, normalize_vuln_id(id));
        }
        for r in &references {
            if let Some(id) = vuln_id_from_url(r) {
                push_unique(&mut ids, normalize_vuln_id(&id));
            }
        }
        occ.vulnerability_ids = ids;
        if let Some(f) = &found
            && let Some(name) = non_empty(f.package.clone())
        {
            let fixed: Vec<String> = meta
                .sca_fix_versions
                .iter()
                .filter(|(pkg, _)| {
                    pkg.eq_ignore_ascii_case(&name) || meta.sca_fix_versions.len() == 1
                })
                .map(|(_, v)| v.clone())
                .collect();
            let mut fixed_versions = Vec::new();
            for v in fixed {
                push_unique(&mut fixed_versions, v);
            }
            let ecosystem = non_empty(f.ecosystem.clone()).map(|e| purl_type(&e));
            let version = non_empty(f.version.clone());
            let mut line = format!("Package: {name}");
            if let Some(v) = &version {
                line.push_str(&format!(" {v}"));
            }
            let mut attrs = Vec::new();
            if let Some(e) = &ecosystem {
                attrs.push(e.clone());
            }
            if let Some(t) = non_empty(f.transitivity.clone()) {
                attrs.push(t);
            }
            if !attrs.is_empty() {
                line.push_str(&format!(" ({})", attrs.join(", ")));
            }
            if let Some(l) = &lockfile {
                line.push_str(&format!(" in {l}"));
            }
            line.push('.');
            desc.push(line);
            occ.package = Some(Package {
                purl: None,
                ecosystem,
                name,
                version,
                fixed_versions,
            });
        }
        if let Some(range) = pattern.and_then(|p| non_empty(p.semver_range)) {
            desc.push(format!("Vulnerable versions: {range}."));
        }
        let code_at = code_location.short();
        let verdict = match (sca.reachable, sca.reachability_rule) {
            (Some(true), _) if code_at.is_empty() => "Reachability: reachable.".to_string(),
            (Some(true), _) => {
                format!("Reachability: reachable (the vulnerable code is used at {code_at}).")
            }
            (Some(false), Some(true)) => {
                "Reachability: unreachable (the vulnerable code is not used).".to_string()
            }
            _ => "Reachability: not analysed (no reachability rule for this advisory).".to_string(),
        };
        desc.push(verdict);
        // The dependency is where it is declared: the lockfile, when Semgrep names one.
        occ.location = match &lockfile {
            Some(l) if Some(l) != code_location.path.as_ref() => Location {
                path: Some(l.clone()),
                start_line: found
                    .as_ref()
                    .and_then(|f| f.line_number)
                    .filter(|n| *n > 0),
                ..Location::default()
            },
            _ => code_location,
        };
    } else {
        occ.location = code_location;
        if category != Category::Secret {
            occ.identity.context = lines.as_deref().map(collapse_ws).filter(|c| !c.is_empty());
        }
        occ.identity.tool_fingerprint = non_empty(extra.fingerprint).filter(|f| !is_placeholder(f));
    }

    let mut facts = Vec::new();
    for (name, value) in [
        ("Confidence", &meta.confidence),
        ("likelihood", &meta.likelihood),
        ("impact", &meta.impact),
    ] {
        if let Some(v) = non_empty(value.clone()) {
            facts.push(format!("{name}: {v}"));
        }
    }
    if !facts.is_empty() {
        let mut line = facts.join(", ");
        if let Some(first) = line.get(..1) {
            line = format!(
                "{}{}",
                first.to_ascii_uppercase(),
                line.get(1..).unwrap_or("")
            );
        }
        desc.push(format!("{line}."));
    }
    let owasp: Vec<&str> = meta
        .owasp
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !owasp.is_empty() {
        desc.push(format!("OWASP: {}.", owasp.join("; ")));
    }
    if category == Category::Secret {
        if let Some(state) =
            non_empty(extra.validation_state).filter(|s| !s.eq_ignore_ascii_case("NO_VALIDATOR"))
        {
            desc.push(format!(
                "Validation: {}.",
                state.to_ascii_lowercase().replace('_', " ")
            ));
        }
    } else if let Some(fix) = non_empty(extra.fix) {
        desc.push(format!("Suggested fix: {fix}"));
    }
    occ.description = (!desc.is_empty()).then(|| desc.join("\n\n"));
    occ.references = references;
    occ
}

fn error_diagnostic(e: CliError, locator: &str) -> Diagnostic {
    let level = non_empty(e.level).unwrap_or_else(|| "error".to_string());
    let mut head = format!("semgrep {level}");
    if let Some(kind) = non_empty(e.kind) {
        head.push_str(&format!(" ({kind})"));
    }
    if let Some(rule) = non_empty(e.rule_id) {
        head.push_str(&format!(" in rule {rule}"));
    }
    if let Some(path) = non_empty(e.path) {
        head.push_str(&format!(" on {path}"));
    }
    let text = non_empty(e.message)
        .or(non_empty(e.long_msg))
        .or(non_empty(e.short_msg))
        .map(|m| collapse_ws(&m));
    let message = match text {
        Some(t) => format!("{head}: {t}"),
        None => head,
    };
    json::warning(locator, message)
}

// ---- lenient deserializers for the free-form `metadata` and drifting fields ----

/// Strings out of anything: a scalar is one string, a list is flattened, objects and `null`
/// are nothing. Never fails on a well-formed value.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(StringsVisitor)
}

/// The first string of [`strings`] (without building the list).
fn first_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(FirstVisitor)
}

struct First(Option<String>);

impl<'de> Deserialize<'de> for First {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FirstVisitor).map(First)
    }
}

struct FirstVisitor;

impl<'de> Visitor<'de> for FirstVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        first_string(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = None;
        while out.is_none() {
            match seq.next_element::<First>()? {
                Some(First(v)) => out = v,
                None => return Ok(None),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(out)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        strings(d).map(Strings)
    }
}

struct StringsVisitor;

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(vec![v])
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        strings(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strings(v)) = seq.next_element()? {
            out.extend(v);
        }
        Ok(out)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

/// `sca-fix-versions`: `[{"package": "1.2.3"}, ...]` as (package, version) pairs; anything
/// else is ignored.
fn fix_versions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct FixVisitor;
    impl<'de> Visitor<'de> for FixVisitor {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(FixEntry(v)) = seq.next_element()? {
                out.extend(v);
            }
            Ok(out)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            FixEntryVisitor.visit_map(map)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    d.deserialize_any(FixVisitor)
}

struct FixEntry(Vec<(String, String)>);

impl<'de> Deserialize<'de> for FixEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FixEntryVisitor).map(FixEntry)
    }
}

struct FixEntryVisitor;

impl<'de> Visitor<'de> for FixEntryVisitor {
    type Value = Vec<(String, String)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of package: version")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, Strings(v))) = map.next_entry::<String, Strings>()? {
            if let Some(v) = v.into_iter().next() {
                out.push((k, v));
            }
        }
        Ok(out)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// `true`/`false`, `"true"`/`"false"`; anything else is `None`.
fn lenient_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(strings(d)?
        .into_iter()
        .next()
        .and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }))
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(lenient_opt_bool(d)?.unwrap_or(false))
}
