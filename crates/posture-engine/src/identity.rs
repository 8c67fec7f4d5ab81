//! Occurrence identity: what makes a result in today's report "the same" as one in last
//! week's.
//!
//! Tiers, strongest first (the first that applies wins; the tier is stored with the
//! occurrence so that people can see how it was matched):
//!
//! 1. **secret**: the secret's hash + file path (+ rank, see below). The same leaked key at
//!    two places of one file is two literals to remove; moved lines keep the identity.
//! 2. **dependency** (sca, container, runtime with a package and a vulnerability id): the
//!    primary vulnerability id + package ecosystem + package name, and for `sca` the manifest
//!    path (one CVE in two manifests is two issues). Not the version (a bump to another
//!    vulnerable version is the same issue), not the line. Tool-independent, so two scanners
//!    naming the same CVE in the same package of the same manifest meet.
//! 3. **tool**: the scanner's own stable id (SARIF `partialFingerprints`, Semgrep's
//!    match-based id) + tool + rule.
//! 4. **content**: tool + rule + file + the normalized code context (the matched snippet,
//!    else the message). Survives moved lines.
//! 5. **resource** (IaC): tool + rule + file + resource address.
//! 6. **endpoint** (DAST): tool + rule + method + URL path (query values dropped) + parameter.
//! 7. **location**: tool + rule + file + line + title: the last resort.
//!
//! Within one report, occurrences that share a tier 3-7 key but stand at different places
//! (the same snippet twice in one file) are told apart by their rank in line order, which
//! survives shifting every line and reordering the results. Occurrences that share a key and
//! a place are duplicates: they collapse into one, and the summary counts them.

use posture_model::{Category, Occurrence, normalize_vuln_id};

/// The version of the identity formula. An ingest computes, beside each occurrence's current
/// fingerprint, the fingerprint the previous formula gave it where the two differ
/// ([`IdentifiedOccurrence::legacy_fingerprint`]); a stored occurrence with that fingerprint is
/// the same occurrence seen again and takes the new one (`lifecycle::diff_scope`), so a formula
/// change never detaches a finding's triage history.
///
/// * **1**: the rule id as the tool wrote it.
/// * **2**: a Semgrep rule is named without the local path of the rules checkout it was run
///   from (`opt.rules.python.flask.x` and `python.flask.x` are one rule: [`identity_rule`]);
///   moving the checkout no longer reopens every Semgrep finding.
pub const IDENTITY_VERSION: u32 = 2;

/// Top-level folders of the semgrep-rules repository (and the registry's id scheme): a Semgrep
/// rule id's stable name starts at the first of these segments.
const SEMGREP_RULE_ROOTS: &[&str] = &[
    "ai",
    "apex",
    "bash",
    "c",
    "clojure",
    "csharp",
    "dockerfile",
    "elixir",
    "generic",
    "go",
    "html",
    "java",
    "javascript",
    "json",
    "kotlin",
    "libsonnet",
    "ocaml",
    "php",
    "problem-based-packs",
    "python",
    "ruby",
    "rust",
    "scala",
    "solidity",
    "swift",
    "terraform",
    "trusted_python",
    "typescript",
    "yaml",
    "hcl",
];

/// The rule's stable name for identity (formula version 2): Semgrep rule ids run from a local
/// checkout carry the checkout's path (`opt.rules.`, `home.ci.semgrep-rules.`); the name starts
/// at the rules repository's language folder. Other tools' ids are kept as written.
pub fn identity_rule<'a>(tool: &str, rule_id: &'a str) -> &'a str {
    let rule_id = rule_id.trim();
    if !tool.eq_ignore_ascii_case("semgrep") {
        return rule_id;
    }
    let segments: Vec<&str> = rule_id.split('.').collect();
    if segments.len() < 3 {
        return rule_id;
    }
    // the first root segment that still leaves at least two segments after it; none at 0
    // means a prefix
    match segments[..segments.len() - 2]
        .iter()
        .position(|s| SEMGREP_RULE_ROOTS.contains(s))
    {
        Some(0) | None => rule_id,
        Some(i) => {
            let offset: usize = segments[..i].iter().map(|s| s.len() + 1).sum();
            &rule_id[offset..]
        }
    }
}
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A 128-bit identity, shown as 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(32);
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16)?;
            let lo = (chunk[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Fingerprint(out))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Which rule gave an occurrence its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityTier {
    Secret,
    Dependency,
    Tool,
    Content,
    Resource,
    Endpoint,
    Location,
}

impl IdentityTier {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityTier::Secret => "secret",
            IdentityTier::Dependency => "dependency",
            IdentityTier::Tool => "tool",
            IdentityTier::Content => "content",
            IdentityTier::Resource => "resource",
            IdentityTier::Endpoint => "endpoint",
            IdentityTier::Location => "location",
        }
    }

    /// Tiers that deliberately collapse several places into one issue (a dependency is one
    /// issue however many paths of an image hold the package).
    fn place_independent(self) -> bool {
        matches!(self, IdentityTier::Dependency)
    }
}

/// An occurrence with its identity and its stored form. The full occurrence is kept only
/// serialized (`data`), so a 100,000-finding report is not held twice in memory.
#[derive(Debug, Clone)]
pub struct IdentifiedOccurrence {
    pub fingerprint: Fingerprint,
    pub tier: IdentityTier,
    /// What a finding founded by this occurrence needs.
    pub summary: OccurrenceSummary,
    /// What correlation compares (stored with the occurrence).
    pub features: crate::correlate::Features,
    /// `features` serialized (what the store keeps), made with the rest in parallel.
    pub features_json: String,
    /// For content-identified occurrences: the identity without the file path, so that a file
    /// renamed with its content keeps its occurrences (see `lifecycle::diff_scope`).
    pub relocation_key: Option<Fingerprint>,
    /// See [`place_key`]: what the same tool reports at the same place in any of its formats.
    pub place_key: Option<Fingerprint>,
    /// The fingerprint the previous identity formula ([`IDENTITY_VERSION`] - 1) gave this
    /// occurrence, when it differs from `fingerprint`: a stored occurrence with it is this one.
    pub legacy_fingerprint: Option<Fingerprint>,
    /// The occurrence serialized as JSON (what the store keeps).
    pub data: String,
    /// Hash of `data`: tells a changed occurrence (moved lines, new locator) from an identical one.
    pub data_hash: Fingerprint,
}

/// The fields of an occurrence that findings and listings use directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceSummary {
    pub category: Category,
    pub severity: posture_model::Severity,
    pub title: String,
    pub rule_id: String,
    /// Where the raw item is in the report.
    pub locator: String,
}

/// The result of [`identify`]: unique occurrences, in report order, and how many duplicates
/// were collapsed into them.
#[derive(Debug, Clone, Default)]
pub struct Identified {
    pub occurrences: Vec<IdentifiedOccurrence>,
    pub collapsed: usize,
    /// For each collapsed duplicate: its locator and the fingerprint of the occurrence it was
    /// collapsed into (so every raw item of a report can be traced to what Posture kept).
    pub collapsed_into: Vec<(String, Fingerprint)>,
}

struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    fn new(domain: &str) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(b"posture-identity-v1\0");
        h.update(domain.as_bytes());
        KeyHasher(h)
    }
    /// Length-prefixed fields: no two field lists hash alike by shifting a boundary.
    fn field(&mut self, s: &str) -> &mut Self {
        self.0.update(&(s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
        self
    }
    fn opt(&mut self, s: Option<&str>) -> &mut Self {
        self.field(s.unwrap_or(""))
    }
    fn num(&mut self, n: u64) -> &mut Self {
        self.0.update(&n.to_le_bytes());
        self
    }
    fn finish(&self) -> Fingerprint {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.0.finalize().as_bytes()[..16]);
        Fingerprint(out)
    }
}

/// Collapses runs of whitespace to one space and trims: code context survives re-indentation.
pub fn normalize_context(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Normalizes a file path for identity: forward slashes, no `./` or `file://` prefix.
pub fn normalize_path(p: &str) -> String {
    let p = p.trim();
    let p = p.strip_prefix("file://").unwrap_or(p);
    let mut s = p.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

/// Package name as the ecosystem compares names: PyPI folds case and `_`/`.` to `-` (PEP 503),
/// npm/Maven/Go/Cargo names are case-sensitive, distro packages are lowercase.
pub fn normalize_package_name(ecosystem: Option<&str>, name: &str) -> String {
    let name = name.trim();
    match ecosystem.map(str::to_ascii_lowercase).as_deref() {
        Some("pypi") | Some("pip") | Some("python") => {
            let lower = name.to_ascii_lowercase();
            let mut out = String::with_capacity(lower.len());
            let mut last_dash = false;
            for c in lower.chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !last_dash {
                        out.push('-');
                    }
                    last_dash = true;
                } else {
                    out.push(c);
                    last_dash = false;
                }
            }
            out
        }
        Some("deb") | Some("apk") | Some("rpm") | Some("nuget") | Some("composer") => {
            name.to_ascii_lowercase()
        }
        _ => name.to_string(),
    }
}

/// The URL path with query values dropped (`/users/42?id=1&x=2` -> `/users/42?id&x`), host
/// lowercased. Numeric path segments are kept: endpoint templates come with correlation.
fn normalize_url(u: &str) -> String {
    let u = u.trim();
    let (base, query) = match u.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (u, None),
    };
    let base = base.split('#').next().unwrap_or(base);
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
            format!(
                "{}://{}/{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => base.to_string(),
    };
    if let Some(q) = query {
        let mut names: Vec<&str> = q
            .split('&')
            .map(|kv| kv.split('=').next().unwrap_or(kv))
            .filter(|k| !k.is_empty())
            .collect();
        names.sort_unstable();
        names.dedup();
        if !names.is_empty() {
            out.push('?');
            out.push_str(&names.join("&"));
        }
    }
    out
}

/// The tool's own identity of a result that does not depend on the report format: tool, rule,
/// file and the line where the flagged code ends (else where it starts; 0 or absent = the
/// file's first line). The same tool's JSON and SARIF reports agree on these where they
/// disagree on the fingerprint (one has the code snippet, the other not) and on the start
/// line (Bandit's JSON `line_number` is a multi-line call's last line, its SARIF `startLine`
/// the first; both end where the call ends), so a format switch is recognised as the same
/// results (see `lifecycle::diff_scope`) and the gate compares branches by it. `None`
/// without a file path.
pub fn place_key(tool: &str, o: &Occurrence) -> Option<Fingerprint> {
    let path = o.location.path.as_deref().map(normalize_path)?;
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    let mut h = KeyHasher::new("place");
    h.field(tool)
        .field(identity_rule(tool, &o.rule_id))
        .field(path)
        .num(u64::from(
            o.location
                .end_line
                .filter(|l| *l > 0)
                .or(o.location.start_line)
                .unwrap_or(0)
                .max(1),
        ));
    Some(h.finish())
}

/// The identity key of one occurrence before disambiguation by rank (current formula).
fn base_key(tool: &str, o: &Occurrence) -> (IdentityTier, Fingerprint) {
    base_key_with_rule(tool, identity_rule(tool, &o.rule_id), o)
}

/// The identity key with the rule named `rule` (formula 1 named it as written: `o.rule_id`).
fn base_key_with_rule(tool: &str, rule: &str, o: &Occurrence) -> (IdentityTier, Fingerprint) {
    let path = o.location.path.as_deref().map(normalize_path);
    if o.category == Category::Secret
        && let Some(secret) = &o.secret
    {
        let mut h = KeyHasher::new("secret");
        h.field(&secret.hash).opt(path.as_deref());
        return (IdentityTier::Secret, h.finish());
    }
    if o.category.is_dependency()
        && let (Some(pkg), Some(vid)) = (&o.package, o.vulnerability_ids.first())
    {
        let eco = pkg.ecosystem.as_deref().map(str::to_ascii_lowercase);
        let mut h = KeyHasher::new("dependency");
        h.field(&normalize_vuln_id(vid))
            .opt(eco.as_deref())
            .field(&normalize_package_name(eco.as_deref(), &pkg.name));
        // A manifest is part of the identity of a declared dependency (one CVE in two
        // requirement files of a monorepo is two things to fix); a container's or a runtime's
        // package is identified by the image or workload, i.e. the asset.
        if o.category == Category::Sca
            && let Some(p) = path.as_deref()
        {
            h.field(p.trim_start_matches('/'));
        }
        return (IdentityTier::Dependency, h.finish());
    }
    if let Some(tfp) = o
        .identity
        .tool_fingerprint
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        let mut h = KeyHasher::new("tool");
        h.field(tool).field(rule).field(tfp);
        return (IdentityTier::Tool, h.finish());
    }
    if let Some(ctx) = o.identity.context.as_deref().map(normalize_context)
        && !ctx.is_empty()
    {
        let mut h = KeyHasher::new("content");
        h.field(tool).field(rule).opt(path.as_deref()).field(&ctx);
        return (IdentityTier::Content, h.finish());
    }
    if let Some(res) = o.location.resource.as_deref().filter(|r| !r.is_empty()) {
        let mut h = KeyHasher::new("resource");
        h.field(tool).field(rule).opt(path.as_deref()).field(res);
        return (IdentityTier::Resource, h.finish());
    }
    if let Some(url) = o.location.url.as_deref().filter(|u| !u.is_empty()) {
        let mut h = KeyHasher::new("endpoint");
        h.field(tool)
            .field(rule)
            .field(
                &o.location
                    .method
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_uppercase(),
            )
            .field(&normalize_url(url))
            .opt(o.location.parameter.as_deref());
        return (IdentityTier::Endpoint, h.finish());
    }
    let mut h = KeyHasher::new("location");
    h.field(tool)
        .field(rule)
        .opt(path.as_deref())
        .num(u64::from(o.location.start_line.unwrap_or(0)))
        .opt(o.location.image.as_deref())
        .field(&o.title);
    if o.category.is_dependency() {
        // a dependency finding without package or id: keep what identifies it
        h.field(&o.vulnerability_ids.join(","));
        if let Some(p) = &o.package {
            h.field(&p.name);
        }
    }
    (IdentityTier::Location, h.finish())
}

/// The place of an occurrence, to tell duplicates (same place) from siblings (same key,
/// another place). Ordered by line so that a rank survives shifting all lines.
type Place = (u32, u32, u32, u32, String);

fn place(o: &Occurrence) -> Place {
    let l = &o.location;
    (
        l.start_line.unwrap_or(0),
        l.start_column.unwrap_or(0),
        l.end_line.unwrap_or(0),
        l.end_column.unwrap_or(0),
        [
            l.path.as_deref().map(normalize_path).unwrap_or_default(),
            l.url.clone().unwrap_or_default(),
            l.parameter.clone().unwrap_or_default(),
            l.resource.clone().unwrap_or_default(),
        ]
        .join("\u{1f}"),
    )
}

/// Gives every occurrence of one tool's run its fingerprint and collapses duplicates.
///
/// Deterministic: the result depends on the set of occurrences and their places, not on the
/// order in which the report lists them (except which of several exact duplicates is kept: the
/// first).
pub fn identify(tool: &str, occurrences: Vec<Occurrence>) -> Identified {
    // Keys, serialization and hashing are independent per occurrence: spread them over the
    // cores in contiguous chunks (order is kept), then rank and collapse in one pass.
    let prepared = parallel_map(occurrences, |o| {
        let (tier, fp) = base_key(tool, &o);
        // formula 1 named the rule as written; only where that differs is there anything to
        // bridge
        let legacy = (identity_rule(tool, &o.rule_id) != o.rule_id.trim()
            || o.rule_id.trim() != o.rule_id)
            .then(|| base_key_with_rule(tool, &o.rule_id, &o).1);
        let place = place(&o);
        let data = serde_json::to_string(&o).unwrap_or_else(|_| "{}".to_string());
        let data_hash = {
            let h = blake3::hash(data.as_bytes());
            let mut out = [0u8; 16];
            out.copy_from_slice(&h.as_bytes()[..16]);
            Fingerprint(out)
        };
        let features = crate::correlate::features(tool, &o);
        let relocation_key = (tier == IdentityTier::Content)
            .then(|| o.identity.context.as_deref().map(normalize_context))
            .flatten()
            .map(|ctx| {
                let mut h = KeyHasher::new("relocation");
                h.field(tool)
                    .field(identity_rule(tool, &o.rule_id))
                    .field(&ctx);
                h.finish()
            });
        let features_json = serde_json::to_string(&features).unwrap_or_else(|_| "{}".to_string());
        let place_key = place_key(tool, &o);
        let summary = OccurrenceSummary {
            category: o.category,
            severity: o.severity,
            title: o.title,
            rule_id: o.rule_id,
            locator: o.locator,
        };
        Prepared {
            tier,
            key: fp,
            legacy,
            place,
            item: IdentifiedOccurrence {
                fingerprint: fp,
                tier,
                summary,
                features,
                features_json,
                relocation_key,
                place_key,
                legacy_fingerprint: None,
                data,
                data_hash,
            },
        }
    });

    // Group indices by key to find siblings that need a rank.
    let mut groups: HashMap<Fingerprint, Vec<usize>> = HashMap::with_capacity(prepared.len());
    for (i, p) in prepared.iter().enumerate() {
        groups.entry(p.key).or_default().push(i);
    }
    let mut final_fp: Vec<Fingerprint> = prepared.iter().map(|p| p.key).collect();
    // formula-1 keys differ from the current ones by the rule's name only, so they group the
    // same occurrences and take the same ranks
    let mut final_legacy: Vec<Option<Fingerprint>> = prepared.iter().map(|p| p.legacy).collect();
    for (fp, idxs) in &groups {
        if idxs.len() < 2 || prepared[idxs[0]].tier.place_independent() {
            continue;
        }
        let mut places: Vec<(&Place, usize)> =
            idxs.iter().map(|&i| (&prepared[i].place, i)).collect();
        places.sort();
        let mut rank: u64 = 0;
        let mut assigned: Vec<(usize, u64)> = Vec::with_capacity(places.len());
        for (n, (p, i)) in places.iter().enumerate() {
            if n > 0 && places[n - 1].0 != *p {
                rank += 1;
            }
            assigned.push((*i, rank));
        }
        if rank == 0 {
            continue; // all at one place: plain duplicates
        }
        let ranked = |key: &Fingerprint, r: u64| {
            let mut h = blake3::Hasher::new();
            h.update(&key.0);
            h.update(&r.to_le_bytes());
            let mut out = [0u8; 16];
            out.copy_from_slice(&h.finalize().as_bytes()[..16]);
            Fingerprint(out)
        };
        for (i, r) in assigned {
            final_fp[i] = ranked(fp, r);
            if let Some(l) = prepared[i].legacy {
                final_legacy[i] = Some(ranked(&l, r));
            }
        }
    }

    let mut seen: HashMap<Fingerprint, ()> = HashMap::with_capacity(prepared.len());
    let mut out = Identified {
        occurrences: Vec::with_capacity(prepared.len()),
        collapsed: 0,
        collapsed_into: Vec::new(),
    };
    for ((p, fp), legacy) in prepared.into_iter().zip(final_fp).zip(final_legacy) {
        if seen.insert(fp, ()).is_some() {
            out.collapsed += 1;
            out.collapsed_into.push((p.item.summary.locator, fp));
            continue;
        }
        let mut item = p.item;
        item.fingerprint = fp;
        item.legacy_fingerprint = legacy.filter(|l| *l != fp);
        out.occurrences.push(item);
    }
    out
}

struct Prepared {
    tier: IdentityTier,
    key: Fingerprint,
    /// The formula-1 key, where it differs.
    legacy: Option<Fingerprint>,
    place: Place,
    item: IdentifiedOccurrence,
}

/// Maps `f` over `items` on up to `available_parallelism` threads, keeping the order. Small
/// inputs stay on the calling thread.
fn parallel_map<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || items.len() < 4096 {
        return items.into_iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items;
    while items.len() > chunk {
        let tail = items.split_off(chunk);
        chunks.push(items);
        items = tail;
    }
    chunks.push(items);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || c.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_model::{Location, Package, SecretEvidence, Severity};

    fn sast(rule: &str, path: &str, line: u32, ctx: &str) -> Occurrence {
        let mut o = Occurrence::new(Category::Sast, rule, "t", Severity::High, "/x");
        o.location = Location {
            path: Some(path.into()),
            start_line: Some(line),
            ..Default::default()
        };
        o.identity.context = Some(ctx.into());
        o
    }

    #[test]
    fn semgrep_rules_are_named_without_the_checkout_path() {
        let name = "python.flask.security.audit.debug-enabled.debug-enabled";
        assert_eq!(identity_rule("semgrep", &format!("opt.rules.{name}")), name);
        assert_eq!(
            identity_rule("semgrep", &format!("home.ci.semgrep-rules.{name}")),
            name
        );
        assert_eq!(identity_rule("semgrep", name), name);
        // other tools' ids as written; short ids as written
        assert_eq!(
            identity_rule("bandit", "opt.rules.python.x.y"),
            "opt.rules.python.x.y"
        );
        assert_eq!(identity_rule("semgrep", "opt.python"), "opt.python");
        assert_eq!(identity_rule("semgrep", "my-rule"), "my-rule");
    }

    #[test]
    fn a_formula_change_bridges_stored_identities() {
        // the same rule run from two checkouts: one identity under formula 2
        let a = identify(
            "semgrep",
            vec![
                sast(
                    "opt.rules.python.flask.x.debug",
                    "app.py",
                    4,
                    "app.run(debug=True)",
                ),
                sast(
                    "opt.rules.python.flask.x.debug",
                    "app.py",
                    9,
                    "app.run(debug=True)",
                ),
            ],
        );
        let b = identify(
            "semgrep",
            vec![
                sast(
                    "ci.rules.python.flask.x.debug",
                    "app.py",
                    4,
                    "app.run(debug=True)",
                ),
                sast(
                    "ci.rules.python.flask.x.debug",
                    "app.py",
                    9,
                    "app.run(debug=True)",
                ),
            ],
        );
        assert_eq!(a.occurrences.len(), 2);
        for (x, y) in a.occurrences.iter().zip(&b.occurrences) {
            assert_eq!(x.fingerprint, y.fingerprint);
            // formula 1 named the rule as written: that identity is carried to bridge it
            assert!(x.legacy_fingerprint.is_some());
            assert_ne!(x.legacy_fingerprint, y.legacy_fingerprint);
            assert_ne!(x.legacy_fingerprint, Some(x.fingerprint));
        }
        // the ranked siblings keep distinct legacy identities
        assert_ne!(
            a.occurrences[0].legacy_fingerprint,
            a.occurrences[1].legacy_fingerprint
        );
        // stored under formula 1 (one open, one closed): both seen again, nothing new or closed
        let existing: Vec<crate::lifecycle::ExistingOccurrence> = a
            .occurrences
            .iter()
            .enumerate()
            .map(|(i, o)| crate::lifecycle::ExistingOccurrence {
                id: i as i64 + 1,
                fingerprint: o.legacy_fingerprint.expect("legacy"),
                finding_id: 10 + i as i64,
                open: i == 0,
                data_hash: o.data_hash,
                relocation_key: None,
                place_key: None,
            })
            .collect();
        let diff = crate::lifecycle::diff_scope(&existing, &a);
        assert!(diff.new.is_empty(), "{:?}", diff.new);
        assert!(diff.closed.is_empty(), "{:?}", diff.closed);
        assert_eq!(diff.seen.len(), 2);
        for s in &diff.seen {
            assert!(s.changed, "the stored fingerprint is rewritten");
            assert_eq!(s.finding_id, 10 + s.occurrence_id - 1, "keeps its finding");
        }
        assert!(diff.seen.iter().any(|s| s.was_closed));
        // a tool whose ids do not change carries no legacy identity
        let plain = identify(
            "bandit",
            vec![sast("B201", "app.py", 4, "app.run(debug=True)")],
        );
        assert!(plain.occurrences[0].legacy_fingerprint.is_none());
    }

    #[test]
    fn hex_round_trip() {
        let fp = Fingerprint([0xab; 16]);
        assert_eq!(Fingerprint::from_hex(&fp.to_hex()), Some(fp));
        assert_eq!(Fingerprint::from_hex("zz"), None);
    }

    #[test]
    fn same_snippet_twice_in_a_file_are_two_occurrences() {
        let r = identify(
            "semgrep",
            vec![
                sast("r", "a.py", 10, "eval(x)"),
                sast("r", "a.py", 20, "eval(x)"),
            ],
        );
        assert_eq!(r.occurrences.len(), 2);
        assert_eq!(r.collapsed, 0);
        assert_ne!(r.occurrences[0].fingerprint, r.occurrences[1].fingerprint);
    }

    #[test]
    fn exact_duplicates_collapse() {
        let r = identify(
            "semgrep",
            vec![
                sast("r", "a.py", 10, "eval(x)"),
                sast("r", "a.py", 10, "eval(x)"),
            ],
        );
        assert_eq!(r.occurrences.len(), 1);
        assert_eq!(r.collapsed, 1);
    }

    #[test]
    fn dependency_identity_ignores_version_and_tool_and_keeps_the_manifest() {
        let dep = |cat: Category, path: &str, version: &str| {
            let mut o = Occurrence::new(cat, "CVE-1", "t", Severity::High, "/x");
            o.vulnerability_ids = vec!["cve-2021-44228".into()];
            o.package = Some(Package {
                ecosystem: Some("maven".into()),
                name: "org.apache.logging.log4j:log4j-core".into(),
                version: Some(version.into()),
                ..Default::default()
            });
            o.location.path = Some(path.into());
            o
        };
        let fp = |tool: &str, o: Occurrence| identify(tool, vec![o]).occurrences[0].fingerprint;
        // same manifest, another tool, a bumped (still vulnerable) version: the same issue
        assert_eq!(
            fp("trivy", dep(Category::Sca, "pom.xml", "2.14.1")),
            fp("grype", dep(Category::Sca, "/pom.xml", "2.15.0"))
        );
        // another manifest of the same repository: another issue to fix
        assert_ne!(
            fp("trivy", dep(Category::Sca, "pom.xml", "2.14.1")),
            fp("trivy", dep(Category::Sca, "services/b/pom.xml", "2.14.1"))
        );
        // in a container image the package's path does not matter
        assert_eq!(
            fp(
                "trivy",
                dep(Category::Container, "app/lib/log4j.jar", "2.14.1")
            ),
            fp("grype", dep(Category::Container, "/opt/app.jar", "2.14.1"))
        );
        let r = identify("trivy", vec![dep(Category::Sca, "pom.xml", "2.14.1")]);
        assert_eq!(r.occurrences[0].tier, IdentityTier::Dependency);
    }

    #[test]
    fn one_secret_at_two_places_of_a_file_is_two_occurrences() {
        let sec = |line: u32| {
            let mut o = Occurrence::new(Category::Secret, "aws", "t", Severity::High, "/x");
            o.secret = Some(SecretEvidence::from_plaintext("AKIAEXAMPLEEXAMPLE12"));
            o.location.path = Some("cfg.py".into());
            o.location.start_line = Some(line);
            o
        };
        let r = identify("gitleaks", vec![sec(3), sec(9)]);
        assert_eq!(r.occurrences.len(), 2, "two literals to remove");
        assert_eq!(r.collapsed, 0);
        // both lines shift: the identities stay
        let moved = identify("gitleaks", vec![sec(13), sec(19)]);
        let fps = |r: &Identified| {
            let mut v: Vec<_> = r.occurrences.iter().map(|o| o.fingerprint).collect();
            v.sort();
            v
        };
        assert_eq!(fps(&r), fps(&moved));
    }

    #[test]
    fn pypi_names_fold() {
        assert_eq!(
            normalize_package_name(Some("pypi"), "Flask_SQLAlchemy"),
            "flask-sqlalchemy"
        );
        assert_eq!(normalize_package_name(Some("npm"), "Lodash"), "Lodash");
    }

    #[test]
    fn urls_drop_query_values() {
        assert_eq!(
            normalize_url("HTTPS://Example.com/a/b?z=1&a=2#frag"),
            "https://example.com/a/b?a&z"
        );
    }
}
