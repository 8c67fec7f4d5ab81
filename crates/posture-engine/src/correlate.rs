//! Cross-scanner correlation: is a new occurrence the same issue as a finding another tool
//! (or another rule of the same tool) already reported? Every match has a confidence in [0, 1]
//! and a reason a person can read.
//!
//! Occurrences are compared through their [`Features`], a compact summary computed once and
//! stored with the occurrence. Candidates are found through blocking keys (a vulnerability id,
//! a file, a secret hash, an endpoint), so the cost grows with the number of plausible pairs,
//! not with the square of the findings.
//!
//! The rules, by family (documented in ARCHITECTURE.md; none is specific to one data set):
//!
//! * **dependency** (sca, container, runtime): the vulnerability id sets intersect (aliases
//!   included: CVE, GHSA, OSV, distro ids) and the package is the same (ecosystem + name,
//!   PEP 503 folding for PyPI). Two `sca` occurrences must also name the same manifest (one
//!   CVE in two manifests is two issues); a container or runtime occurrence joins the declared
//!   dependency whatever its path. Confidence 0.95.
//! * **secret** (secret scanners, and SAST/IaC results about hard-coded credentials): same
//!   file, same line (or an IaC block that contains the line). Different secret hashes on one
//!   line are two literals, never merged. Confidence 0.9 with equal hashes, 0.85 at the same
//!   line without a comparable hash, 0.8 for an IaC credential policy on the enclosing block.
//! * **code** (sast): same file, line ranges overlapping (within one line, for tools that
//!   report a statement's first line and others its argument's), and the same weakness class,
//!   from CWE families ([`WEAKNESS_CLASSES`]) or, for rules without CWE, from keywords in the
//!   rule id and title. Confidence 0.9 when both classes come from CWEs, 0.8 otherwise.
//!   Two different classes on one line are two issues; the same rule of the same tool twice on
//!   one line is two instances (exact identity already tells them apart).
//! * **config** (iac, and SAST rules on IaC files such as Terraform, Dockerfiles, CI
//!   workflows): same file, one location inside the other's block (or overlapping), and an
//!   equivalent control, judged by the words the two rules share after stop words and
//!   stemming (`check_name` of one, rule id and message of the other). The best candidate of
//!   the block wins only if it is clearly better than the runner-up. Confidence 0.6 to 0.9 by
//!   the overlap.
//! * **endpoint** (dast): same method, same URL path template (numeric and uuid-like segments
//!   folded), same parameter, same weakness class. Confidence 0.85.

use crate::identity::{normalize_package_name, normalize_path};
use posture_model::{Category, Occurrence, normalize_vuln_id};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Correlation thresholds: at or above `merge`, an occurrence joins the finding; between
/// `suggest` and `merge`, Posture records a suggested duplicate for a person to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub merge: f32,
    pub suggest: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            merge: 0.75,
            suggest: 0.5,
        }
    }
}

/// Which comparison applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Dependency,
    Secret,
    Code,
    Config,
    Endpoint,
}

/// What correlation needs to know of an occurrence. Stored with it (compact JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    #[serde(rename = "f")]
    pub family: Family,
    #[serde(rename = "c")]
    pub category: Category,
    #[serde(rename = "t")]
    pub tool: String,
    #[serde(rename = "r")]
    pub rule: String,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<(u32, u32)>,
    /// Weakness classes from CWEs.
    #[serde(rename = "w", default, skip_serializing_if = "Vec::is_empty")]
    pub cwe_classes: Vec<String>,
    /// Weakness classes from words of the rule id and title.
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub keyword_classes: Vec<String>,
    /// Vulnerability ids, normalized, aliases included.
    #[serde(rename = "v", default, skip_serializing_if = "Vec::is_empty")]
    pub vulns: Vec<String>,
    /// `ecosystem/name`, normalized.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The secret's identities (its hash keyed with the installation's key).
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub secret: Vec<String>,
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Dependencies: a sketch of the advisory's text (the 16 smallest hashes of its 3-word
    /// phrases, from its first 60 words). Advisory databases copy the NVD description, so two
    /// tools whose databases use different ids for one advisory (pyup.io vs PYSEC) still agree
    /// on most of its phrases, whatever either adds before or after.
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_sketch: Vec<u32>,
    /// Dependencies: the version numbers the advisory's text names (`before 5.3.1`): two
    /// advisories whose texts name different versions are different fixes.
    #[serde(rename = "n", default, skip_serializing_if = "Vec::is_empty")]
    pub advisory_versions: Vec<String>,
    /// Stemmed significant words of the rule id, title and IaC attributes.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
    /// The configuration control the rule tests, when the control map knows it.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The result is about a hard-coded credential (a secret scanner's, or a SAST/IaC rule's).
    #[serde(rename = "h", default, skip_serializing_if = "std::ops::Not::not")]
    pub credential: bool,
    /// What kind of secret rule reported it, for the rules about multi-line secrets and
    /// entropy detectors (see [`SecretRule`]).
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub secret_rule: Option<SecretRule>,
    /// The kind of configuration the rule is documented to test (a Kubernetes object, a
    /// Dockerfile instruction, a Terraform resource...), from the rule's own id scheme or the
    /// file, never from its words.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ConfigTarget>,
    /// The secret is shaped like a line of a key block's body, or sits in a key file
    /// (`.pem`, `.key`, `.crt`, `id_rsa`...), where every line is part of the key.
    #[serde(rename = "y", default, skip_serializing_if = "std::ops::Not::not")]
    pub block_line: bool,
}

/// Files that hold one key or certificate (bundle) and nothing else.
fn is_key_file(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    let file = p.rsplit('/').next().unwrap_or(&p);
    [
        ".pem", ".key", ".crt", ".cer", ".der", ".p8", ".asc", ".gpg", ".ppk", ".pk8",
    ]
    .iter()
    .any(|e| file.ends_with(e))
        || ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&file)
}

/// Secret rules whose results need more than "same literal at the same place".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretRule {
    /// An entropy detector (trufflehog3 `high-entropy`, detect-secrets' Base64/Hex High
    /// Entropy String): it reports a random-looking string, one line at a time, and two of
    /// them cut one literal differently (base64 vs hex alphabet).
    Entropy,
    /// A pattern rule for the head of a multi-line key or certificate block (`-----BEGIN ...
    /// PRIVATE KEY-----`, PGP blocks, certificates): the block's lines follow it.
    BlockHead,
}

/// Kinds of configuration a rule can be documented to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigTarget {
    Kubernetes,
    Dockerfile,
    Terraform,
    CloudFormation,
    Compose,
    GithubActions,
}

/// The configuration a rule is documented to test, from the tool's own rule scheme: semgrep-rules
/// folders (`yaml.kubernetes.*`, `dockerfile.*`, `terraform.*`, `yaml.docker-compose.*`,
/// `yaml.github-actions.*`, `json.aws.*`), checkov check ids (`CKV_K8S_*`, `CKV_DOCKER_*`,
/// `CKV_GHA_*`), then the file. The segment that names the target says where the rule looks,
/// not what weakness it finds.
pub fn config_target(rule_id: &str, path: Option<&str>) -> Option<ConfigTarget> {
    let r = rule_id.to_ascii_lowercase();
    // semgrep ids carry the local rules path (`opt.rules.yaml.kubernetes...`): look for the
    // scheme anywhere on a segment boundary
    let seg = |prefix: &str| {
        r.match_indices(prefix)
            .any(|(i, _)| i == 0 || r.as_bytes()[i - 1] == b'.')
    };
    if seg("yaml.kubernetes.") || r.starts_with("ckv_k8s_") || r.starts_with("ckv2_k8s_") {
        return Some(ConfigTarget::Kubernetes);
    }
    if seg("dockerfile.") || seg("generic.dockerfile.") || r.starts_with("ckv_docker_") {
        return Some(ConfigTarget::Dockerfile);
    }
    if seg("yaml.docker-compose.") {
        return Some(ConfigTarget::Compose);
    }
    if seg("yaml.github-actions.") || r.starts_with("ckv_gha_") || r.starts_with("ckv2_gha_") {
        return Some(ConfigTarget::GithubActions);
    }
    if seg("terraform.") {
        return Some(ConfigTarget::Terraform);
    }
    if seg("json.aws.") || seg("yaml.aws.") {
        return Some(ConfigTarget::CloudFormation);
    }
    let p = path?.to_ascii_lowercase();
    let file = p.rsplit('/').next().unwrap_or(&p);
    if p.ends_with(".tf") || p.ends_with(".tfvars") || p.ends_with(".hcl") {
        Some(ConfigTarget::Terraform)
    } else if file.starts_with("dockerfile") || file.ends_with(".dockerfile") {
        Some(ConfigTarget::Dockerfile)
    } else if file.starts_with("docker-compose") || file.starts_with("compose.y") {
        Some(ConfigTarget::Compose)
    } else if p.contains(".github/workflows/") {
        Some(ConfigTarget::GithubActions)
    } else {
        None
    }
}

/// The secret rule kind, from the rule's id and title (secret scanners name their detectors
/// plainly: `high-entropy`, `Base64 High Entropy String`, `Private Key`, `RSA private key`).
fn secret_rule(rule_id: &str, title: &str) -> Option<SecretRule> {
    let t = format!("{rule_id} {title}")
        .to_ascii_lowercase()
        .replace(['_', '-'], " ");
    if t.contains("entropy") {
        Some(SecretRule::Entropy)
    } else if t.contains("private key")
        || t.contains("privatekey")
        || t.contains("begin")
        || t.contains("pgp")
        || t.contains("certificate")
        || t.contains(" pem")
    {
        Some(SecretRule::BlockHead)
    } else {
        None
    }
}

/// A match between a new occurrence and an existing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub confidence: f32,
    pub reason: String,
    /// For configuration controls: the weight of the words the two rules share, to rank the
    /// checks of one block against each other (see [`decide_config`]).
    #[serde(skip)]
    pub strength: f32,
    /// The match rests on resemblance (alike advisory prose): enough to join one finding, not
    /// to declare two existing findings one issue.
    #[serde(skip)]
    pub resemblance: bool,
    /// The two results are lines of one multi-line secret: the finding may hold the same rule
    /// of the same tool more than once (one entropy hit per line of a key block).
    #[serde(skip)]
    pub block: bool,
}

/// The least shared word weight that can make a configuration match on its own: at least one
/// word that few rules of the asset use.
pub const CONFIG_MIN_STRENGTH: f32 = 2.0;

/// Decides between the checks of one block that a configuration result could be the twin of:
/// the best is taken when it shares clearly more (1.5 times the weight) than the runner-up, and
/// enough on its own ([`CONFIG_MIN_STRENGTH`]); otherwise the pair stays a suggestion at most.
pub fn decide_config(best: &Match, runner_up: Option<&Match>, candidates: usize) -> Match {
    if best.strength == f32::MAX {
        return best.clone(); // the control map said so
    }
    let clear = runner_up.is_none_or(|r| best.strength >= 1.5 * r.strength);
    // and the two rules share at least half of the weight of the less wordy one
    if clear && best.strength >= CONFIG_MIN_STRENGTH && best.confidence >= 0.7 {
        Match {
            confidence: best.confidence.max(0.8),
            reason: format!(
                "{} (the closest of {candidates} check(s) on the block)",
                best.reason
            ),
            strength: best.strength,
            resemblance: false,
            block: false,
        }
    } else {
        Match {
            confidence: best.confidence.min(0.7),
            reason: format!(
                "{} (not clearly closer than the other checks of the block)",
                best.reason
            ),
            strength: best.strength,
            resemblance: false,
            block: false,
        }
    }
}

/// CWE families: CWEs that name one weakness class. A small table, documented and reviewed
/// like code: a CWE appears in one class only.
pub const WEAKNESS_CLASSES: &[(&str, &[u32])] = &[
    ("sql-injection", &[89, 564, 943]),
    ("command-injection", &[77, 78, 88]),
    ("code-injection", &[94, 95, 96, 1336]),
    ("xss", &[79, 80, 83, 116]),
    ("path-traversal", &[22, 23, 36, 73]),
    ("hard-coded-credential", &[259, 321, 798, 547]),
    ("weak-hash", &[327, 328, 916, 759, 760]),
    ("weak-random", &[330, 338]),
    ("tls-verification", &[295, 297]),
    ("deserialization", &[502]),
    ("xxe", &[611, 776]),
    ("ssrf", &[918]),
    ("open-redirect", &[601]),
    ("cleartext-transport", &[319]),
    ("insecure-temp-file", &[377, 379]),
    ("debug-enabled", &[489, 215, 11]),
    ("resource-exhaustion", &[400, 770, 1088]),
    ("swallowed-exception", &[390, 391, 703]),
    ("csrf", &[352]),
    ("ldap-injection", &[90]),
    ("xpath-injection", &[643]),
    ("log-injection", &[117]),
];

/// Keywords that name a weakness class in rule ids and titles, for rules without a CWE (or
/// with only a generic one). Matched against whole stemmed words or word pairs.
pub const WEAKNESS_KEYWORDS: &[(&str, &[&str])] = &[
    ("sql-injection", &["sql", "sqli"]),
    (
        "command-injection",
        &["subprocess", "shell", "command", "popen", "os-system"],
    ),
    (
        "code-injection",
        &[
            "eval",
            "exec",
            "template-string",
            "render-template-string",
            "ssti",
        ],
    ),
    (
        "xss",
        &[
            "xss",
            "html",
            "unescaped",
            "safe-filter",
            "mark-safe",
            "markup",
        ],
    ),
    ("path-traversal", &["traversal", "path-injection"]),
    (
        "hard-coded-credential",
        &[
            "password",
            "secret",
            "hardcoded",
            "hard-coded",
            "credential",
            "api-key",
            "private-key",
            "token",
        ],
    ),
    (
        "weak-hash",
        &["md5", "sha1", "hashlib", "weak-hash", "insecure-hash"],
    ),
    ("weak-random", &["random", "prng"]),
    (
        "tls-verification",
        &[
            "verify",
            "cert-validation",
            "certificate",
            "ssl",
            "tls",
            "unverified",
        ],
    ),
    (
        "deserialization",
        &[
            "yaml",
            "pickle",
            "marshal",
            "deserial",
            "deserialization",
            "jsonpickle",
            "shelve",
        ],
    ),
    ("xxe", &["xxe", "xml", "lxml", "etree"]),
    ("ssrf", &["ssrf", "request-forgery"]),
    ("open-redirect", &["redirect"]),
    (
        "cleartext-transport",
        &["http", "cleartext", "insecure-transport"],
    ),
    ("insecure-temp-file", &["tmp", "temp", "mktemp", "tempfile"]),
    ("debug-enabled", &["debug"]),
    ("resource-exhaustion", &["timeout"]),
    (
        "swallowed-exception",
        &["try-except-pass", "except-pass", "try-except-continue"],
    ),
    ("csrf", &["csrf"]),
];

const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "by",
    "can",
    "consid",
    "detect",
    "do",
    "does",
    "ensur",
    "for",
    "from",
    "has",
    "have",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "may",
    "missing",
    "must",
    "no",
    "not",
    "of",
    "on",
    "or",
    "should",
    "that",
    "the",
    "this",
    "to",
    "use",
    "using",
    "with",
    "without",
    "enabl",
    "disabl",
    "configur",
    "set",
    "all",
    "opt",
    "rule",
    "rules",
    "security",
    "secur",
    "best",
    "practic",
    "audit",
    "lang",
    "terraform",
    "aws",
    "azure",
    "gcp",
    "google",
    "alicloud",
    "cloud",
    "resourc",
    "check",
    "found",
    "possibl",
    "any",
    "which",
    "will",
    "there",
    "when",
    "these",
    "those",
    "been",
    "was",
    "were",
    "so",
    "you",
    "your",
    "we",
    "our",
];

/// A crude English stemmer: enough to make `logs`, `logging` and `log` one word.
fn stem(w: &str) -> String {
    // a negated word speaks of the same property: `unencrypted` and `encrypted`
    let w = match w.strip_prefix("un") {
        Some(rest) if rest.len() >= 6 => rest,
        _ => w,
    };
    let mut s = w.to_string();
    for suffix in [
        "ations", "ation", "ings", "ing", "ies", "ed", "es", "s", "e",
    ] {
        if s.len() > suffix.len() + 2 && s.ends_with(suffix) {
            s.truncate(s.len() - suffix.len());
            if suffix == "ies" {
                s.push('y');
            }
            break;
        }
    }
    if s.len() > 3 {
        let b = s.as_bytes();
        let n = b.len();
        if b[n - 1] == b[n - 2]
            && b[n - 1].is_ascii_alphabetic()
            && !matches!(b[n - 1], b'l' | b's')
        {
            s.truncate(n - 1);
        }
    }
    s
}

/// Splits text into lowercase words on anything that is not a letter or digit.
fn raw_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// Significant stemmed words.
fn significant_words(text: &str) -> BTreeSet<String> {
    raw_words(text)
        .into_iter()
        .filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stem(&w))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

fn cwe_classes(cwes: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = WEAKNESS_CLASSES
        .iter()
        .filter(|(_, ids)| cwes.iter().any(|c| ids.contains(c)))
        .map(|(name, _)| (*name).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn keyword_classes(text: &str) -> Vec<String> {
    let words = raw_words(text);
    let joined: Vec<String> = words
        .windows(2)
        .map(|p| format!("{}-{}", p[0], p[1]))
        .collect();
    let joined3: Vec<String> = words
        .windows(3)
        .map(|p| format!("{}-{}-{}", p[0], p[1], p[2]))
        .collect();
    let has = |k: &str| {
        if k.contains('-') {
            joined.iter().any(|w| w == k) || joined3.iter().any(|w| w == k)
        } else {
            words
                .iter()
                .any(|w| w == k || (w.len() > k.len() + 1 && w.starts_with(k) && k.len() >= 4))
        }
    };
    let mut out: Vec<String> = WEAKNESS_KEYWORDS
        .iter()
        .filter(|(_, keys)| keys.iter().any(|k| has(k)))
        .map(|(name, _)| (*name).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether a path is infrastructure or pipeline configuration rather than program code.
fn is_config_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    let file = p.rsplit('/').next().unwrap_or(&p);
    p.ends_with(".tf")
        || p.ends_with(".tfvars")
        || p.ends_with(".hcl")
        || file.starts_with("dockerfile")
        || file.ends_with(".dockerfile")
        || file.starts_with("docker-compose")
        || file.starts_with("compose.y")
        || p.contains(".github/workflows/")
        || p.ends_with(".gitlab-ci.yml")
        || (p.contains("k8s") || p.contains("kubernetes") || p.contains("helm"))
            && (p.ends_with(".yaml") || p.ends_with(".yml"))
        || p.ends_with(".bicep")
        || (p.ends_with(".json") && (p.contains("cloudformation") || p.contains("arm")))
}

/// URL path template: scheme and host lowercased, query dropped, numeric and uuid-like
/// segments folded to `{id}`.
fn endpoint_template(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let (prefix, path) = match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            (
                format!(
                    "{}://{}",
                    scheme.to_ascii_lowercase(),
                    host.to_ascii_lowercase()
                ),
                path.to_string(),
            )
        }
        None => (String::new(), no_query.trim_start_matches('/').to_string()),
    };
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let hexish = s.len() >= 8 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if s.chars().all(|c| c.is_ascii_digit()) || hexish {
                "{id}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("{prefix}/{}", segs.join("/"))
}

/// Computes the correlation features of an occurrence.
pub fn features(tool: &str, o: &Occurrence) -> Features {
    let path = o
        .location
        .path
        .as_deref()
        .map(normalize_path)
        .map(|p| p.trim_start_matches('/').to_string());
    let lines = o.location.start_line.filter(|l| *l > 0).map(|s| {
        let e = o.location.end_line.filter(|e| *e >= s).unwrap_or(s);
        (s, e)
    });
    let text = format!("{} {}", o.rule_id, o.title);
    // Words that may name a weakness: the rule's own name (the last segment of a dotted id)
    // and its title. The id's other segments name a language, framework or technology
    // (`yaml.kubernetes.security...`, `python.flask...`): where the rule looks, not what it
    // finds (a Kubernetes manifest is YAML, not a YAML deserialization).
    let rule_name_text = format!(
        "{} {}",
        o.rule_id.rsplit('.').next().unwrap_or(&o.rule_id),
        o.title
    );
    // (dependencies, secrets and endpoints are compared by what they are, not where they sit)
    let target = if o.category.is_dependency()
        || o.category == Category::Secret
        || o.category == Category::Dast
    {
        None
    } else {
        config_target(&o.rule_id, path.as_deref())
    };
    let cwe_cls = cwe_classes(&o.cwes);
    let credential =
        o.category == Category::Secret || cwe_cls.iter().any(|c| c == "hard-coded-credential") || {
            let t = text.to_ascii_lowercase();
            (t.contains("hard coded")
                || t.contains("hard-coded")
                || t.contains("hardcoded")
                || t.contains("static credential")
                || t.contains("static-credential"))
                && (t.contains("secret")
                    || t.contains("key")
                    || t.contains("password")
                    || t.contains("credential")
                    || t.contains("token"))
        };
    let family =
        if o.category.is_dependency() && o.package.is_some() && !o.vulnerability_ids.is_empty() {
            Family::Dependency
        } else if o.category == Category::Secret
            || (credential && o.category != Category::Iac && o.category != Category::Dast)
        {
            Family::Secret
        } else if o.category == Category::Dast || o.location.url.is_some() && path.is_none() {
            Family::Endpoint
        } else if o.category == Category::Iac
            || target.is_some()
            || path.as_deref().is_some_and(is_config_path)
        {
            Family::Config
        } else {
            Family::Code
        };
    // the costlier features only for the families whose rules read them
    let kw_cls = if matches!(family, Family::Code | Family::Endpoint) {
        keyword_classes(&rule_name_text)
    } else {
        Vec::new()
    };
    let needs_words = matches!(family, Family::Config | Family::Secret);
    let mut vulns: Vec<String> = o
        .vulnerability_ids
        .iter()
        .map(|v| normalize_vuln_id(v))
        .collect();
    vulns.sort();
    vulns.dedup();
    let package = o.package.as_ref().map(|p| {
        let eco = p.ecosystem.as_deref().map(str::to_ascii_lowercase);
        format!(
            "{}/{}",
            eco.as_deref().unwrap_or(""),
            normalize_package_name(eco.as_deref(), &p.name).to_ascii_lowercase()
        )
    });
    // Words that describe the control: the title, the rule id's last dotted segment when it is
    // words (`aws-s3-bucket-versioning-not-enabled`, not an opaque id such as CKV_AWS_21, whose
    // pieces are also dropped from the title), and for configuration the description's first
    // sentence.
    let rule_name = o.rule_id.rsplit('.').next().unwrap_or(&o.rule_id);
    let opaque_rule = !rule_name.chars().any(|c| c.is_ascii_lowercase());
    let mut control_text = if needs_words {
        o.title.clone()
    } else {
        String::new()
    };
    if !opaque_rule && needs_words {
        control_text.push(' ');
        control_text.push_str(rule_name);
    }
    if family == Family::Config
        && let Some(d) = &o.description
    {
        control_text.push(' ');
        control_text.push_str(first_sentence(d));
    }
    let id_words: BTreeSet<String> = if opaque_rule && needs_words {
        significant_words(&o.rule_id)
    } else {
        BTreeSet::new()
    };
    let mut words: BTreeSet<String> = significant_words(&control_text)
        .into_iter()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()) && !id_words.contains(w))
        .collect();
    if let Some(r) = &o.location.resource
        && let Some(kind) = r.split('.').next()
    {
        // the resource's own type (`aws_db_instance`) names what every check of the block is
        // about, so it tells no control from another
        for w in significant_words(kind) {
            words.remove(&w);
        }
    }
    let block_line = family == Family::Secret
        && (o.secret.as_ref().is_some_and(|s| s.block_line)
            || path.as_deref().is_some_and(is_key_file));
    Features {
        family,
        category: o.category,
        tool: tool.to_string(),
        rule: o.rule_id.clone(),
        path,
        lines,
        cwe_classes: cwe_cls,
        keyword_classes: kw_cls,
        vulns,
        package,
        secret: o
            .secret
            .as_ref()
            .map(|s| s.identities().into_iter().map(String::from).collect())
            .unwrap_or_default(),
        endpoint: o.location.url.as_deref().map(|u| {
            format!(
                "{} {} {}",
                o.location
                    .method
                    .as_deref()
                    .unwrap_or("")
                    .to_ascii_uppercase(),
                endpoint_template(u),
                o.location.parameter.as_deref().unwrap_or("")
            )
        }),
        words: words.into_iter().collect(),
        control: (family == Family::Config)
            .then(|| crate::control_map::control_of(tool, &o.rule_id))
            .flatten(),
        credential,
        secret_rule: (family == Family::Secret)
            .then(|| secret_rule(&o.rule_id, &o.title))
            .flatten(),
        target: (family == Family::Config).then_some(target).flatten(),
        block_line,
        advisory_sketch: if family == Family::Dependency {
            o.description
                .as_deref()
                .map(advisory_sketch)
                .unwrap_or_default()
        } else {
            Vec::new()
        },
        advisory_versions: if family == Family::Dependency {
            o.description
                .as_deref()
                .map(advisory_versions)
                .unwrap_or_default()
        } else {
            Vec::new()
        },
    }
}

fn first_sentence(text: &str) -> &str {
    let t = text.trim();
    let end = t.find(". ").map(|i| i + 1).unwrap_or(t.len()).min(300);
    let mut end = end.min(t.len());
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    &t[..end]
}

const SKETCH: usize = 16;

/// Bottom-16 sketch of the 3-word phrases of the first 60 words (lowercased, punctuation
/// dropped). Empty for texts under 8 words, too short to identify an advisory.
fn advisory_sketch(text: &str) -> Vec<u32> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(60)
        .map(|w| w.to_lowercase())
        .collect();
    if words.len() < 8 {
        return Vec::new();
    }
    let mut hashes: Vec<u32> = words
        .windows(3)
        .map(|w| {
            // FNV-1a: a sketch needs spread, not secrecy, and this runs per phrase
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for (i, part) in w.iter().enumerate() {
                if i > 0 {
                    h ^= u64::from(b' ');
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                for byte in part.bytes() {
                    h ^= u64::from(byte);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            // splitmix64 finalizer: bottom-k sketches need uniformly spread values
            h ^= h >> 30;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 27;
            h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^= h >> 31;
            (h >> 32) as u32
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH);
    hashes
}

/// Version numbers (`1.2`, `0.12.3`) among the first 60 words of an advisory's text.
fn advisory_versions(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .take(60)
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            w.contains('.')
                && w.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(String::from)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Estimated share of phrases two sketches have in common (0..=1).
fn sketch_similarity(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut union: Vec<u32> = a.iter().chain(b).copied().collect();
    union.sort_unstable();
    union.dedup();
    union.truncate(SKETCH);
    let both = union
        .iter()
        .filter(|h| a.binary_search(h).is_ok() && b.binary_search(h).is_ok())
        .count();
    both as f32 / union.len() as f32
}

/// Keys under which an occurrence can be found by candidates: two occurrences that could
/// match share at least one key.
pub fn blocking_keys(f: &Features) -> Vec<String> {
    const BUCKET: u32 = 8;
    let mut keys = Vec::new();
    match f.family {
        Family::Dependency => {
            for v in &f.vulns {
                keys.push(format!("v:{v}"));
            }
            if let Some(p) = &f.package {
                // advisories of one package in one manifest meet to compare their texts
                keys.push(format!("p:{p}@{}", f.path.as_deref().unwrap_or("")));
            }
        }
        Family::Endpoint => {
            if let Some(e) = &f.endpoint {
                keys.push(format!("e:{e}"));
            }
        }
        Family::Code | Family::Secret => {
            if let (Some(p), Some((s, e))) = (&f.path, f.lines) {
                // buckets of lines around the location: candidates are nearby results only,
                // so a file with thousands of results costs no quadratic comparison
                // wide enough for the injection window (a sink a few lines below its string)
                let first = s.saturating_sub(1 + INJECTION_WINDOW) / BUCKET;
                let last = (e.saturating_add(1 + INJECTION_WINDOW) / BUCKET).min(first + 64);
                for b in first..=last {
                    keys.push(format!("b:{p}:{b}"));
                }
            }
            if f.family == Family::Secret
                && let Some(p) = &f.path
            {
                // IaC policies about hard-coded credentials are keyed by file
                keys.push(format!("f:{p}"));
            }
        }
        Family::Config => {
            if let Some(p) = &f.path {
                keys.push(format!("f:{p}"));
            }
        }
    }
    for s in &f.secret {
        keys.push(format!("s:{s}"));
    }
    keys
}

fn overlap(a: (u32, u32), b: (u32, u32), slack: u32) -> bool {
    a.0 <= b.1.saturating_add(slack) && b.0 <= a.1.saturating_add(slack)
}

fn contains(outer: (u32, u32), inner: (u32, u32)) -> bool {
    outer.0 <= inner.0 && inner.1 <= outer.1
}

fn shared<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    a.iter().filter(|x| b.contains(x)).collect()
}

fn lines_text(l: Option<(u32, u32)>) -> String {
    match l {
        Some((s, e)) if s == e => format!("line {s}"),
        Some((s, e)) => format!("lines {s}-{e}"),
        None => "no line".to_string(),
    }
}

/// How rare each control word is among the configuration rules of the asset: a word that
/// every check of a resource type uses (`bucket`, `database`) tells no control from another.
#[derive(Debug, Clone, Default)]
pub struct WordWeights {
    /// Number of distinct (tool, rule) pairs using each word.
    df: std::collections::HashMap<String, u32>,
    rules: u32,
}

impl WordWeights {
    /// Counts the words of every distinct (tool, rule) among configuration features.
    pub fn from_features<'a>(features: impl Iterator<Item = &'a Features>) -> Self {
        let mut seen: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
        let mut w = WordWeights::default();
        for f in features {
            if f.family != Family::Config || !seen.insert((f.tool.as_str(), f.rule.as_str())) {
                continue;
            }
            w.rules += 1;
            for word in &f.words {
                *w.df.entry(word.clone()).or_default() += 1;
            }
        }
        w
    }

    /// Inverse document frequency, smoothed so that a small portfolio weighs words evenly.
    pub fn weight(&self, word: &str) -> f32 {
        let n = self.rules as f32 + 20.0;
        let df = self.df.get(word).copied().unwrap_or(0) as f32 + 1.0;
        (n / df).ln().max(0.05)
    }
}

/// Scores a pair. `None` means "not the same issue" (or no rule applies).
pub fn score(a: &Features, b: &Features) -> Option<Match> {
    score_with(a, b, &WordWeights::default())
}

/// [`score`] with the asset's word weights for configuration controls.
pub fn score_with(a: &Features, b: &Features, weights: &WordWeights) -> Option<Match> {
    // the same tool and rule at two places is two instances: exact identity decides those,
    // except the lines of one multi-line secret (an entropy detector reports each line)
    if a.tool == b.tool && a.rule == b.rule {
        return secret_block_lines(a, b);
    }
    let fam = |f: Family| a.family == f && b.family == f;
    if fam(Family::Dependency) {
        return dependency(a, b);
    }
    let credential_pair = (a.family == Family::Secret || a.credential)
        && (b.family == Family::Secret || b.credential);
    if credential_pair && (a.family == Family::Secret || b.family == Family::Secret) {
        return secret(a, b);
    }
    if fam(Family::Code) {
        return code(a, b);
    }
    if fam(Family::Config) {
        return config(a, b, weights);
    }
    if fam(Family::Endpoint) {
        return endpoint(a, b);
    }
    None
}

fn dependency(a: &Features, b: &Features) -> Option<Match> {
    if a.package.is_none() || a.package != b.package {
        return None;
    }
    if a.category == Category::Sca
        && b.category == Category::Sca
        && a.path.is_some()
        && b.path.is_some()
        && a.path != b.path
    {
        return None;
    }
    let manifest = match (
        &a.path,
        a.category == Category::Sca && b.category == Category::Sca,
    ) {
        (Some(p), true) => format!(", manifest {p}"),
        _ => String::new(),
    };
    let package = a.package.as_deref().unwrap_or("");
    if let Some(first) = shared(&a.vulns, &b.vulns).first() {
        let alias = match (a.vulns.first(), b.vulns.first()) {
            (Some(x), Some(y)) if x != y => format!(" (ids {} / {})", a.rule, b.rule),
            _ => String::new(),
        };
        return Some(Match {
            confidence: 0.95,
            strength: 0.0,
            resemblance: false,
            block: false,
            reason: format!(
                "same vulnerability {first}{alias} in the same package {package}{manifest}"
            ),
        });
    }
    // no id in common: the two advisory databases may name one advisory differently; the
    // text they copy from the original advisory then says it is the same
    // Text is evidence only between two databases that name one advisory differently: not
    // within one tool (a database does not list one advisory twice), and not when both name a
    // CVE and the CVEs differ (different CVEs are different issues, however alike their prose).
    let cves = |f: &Features| -> Vec<String> {
        f.vulns
            .iter()
            .filter(|v| v.starts_with("CVE-"))
            .cloned()
            .collect()
    };
    let (cva, cvb) = (cves(a), cves(b));
    if a.tool == b.tool || (!cva.is_empty() && !cvb.is_empty()) {
        return None;
    }
    if !a.advisory_versions.is_empty()
        && !b.advisory_versions.is_empty()
        && shared(&a.advisory_versions, &b.advisory_versions).is_empty()
    {
        return None; // alike prose about different fixed versions: two advisories
    }
    let similarity = sketch_similarity(&a.advisory_sketch, &b.advisory_sketch);
    if similarity >= 0.5 {
        return Some(Match {
            // the closer the texts, the surer: among several alike advisories of one package
            // the closest wins
            confidence: 0.6 + 0.35 * similarity,
            strength: 0.0,
            resemblance: true,
            block: false,
            reason: format!(
                "same advisory text ({:.0}% of its phrases in common) for {} and {} in the same package {package}{manifest}",
                similarity * 100.0,
                a.rule,
                b.rule
            ),
        });
    }
    None
}

/// Lines a PEM/PGP block can span after its head (a 4096-bit RSA key is 51 lines).
pub const SECRET_BLOCK_LINES: u32 = 60;

/// Two entropy hits on consecutive lines of one file are lines of one multi-line secret (a
/// key or certificate body, 64 characters a line): one credential to rotate, whichever tool
/// or rule reported each line.
fn secret_block_lines(a: &Features, b: &Features) -> Option<Match> {
    if a.family != Family::Secret
        || b.family != Family::Secret
        || a.secret_rule != Some(SecretRule::Entropy)
        || b.secret_rule != Some(SecretRule::Entropy)
        || !a.block_line
        || !b.block_line
        || a.path.is_none()
        || a.path != b.path
    {
        return None;
    }
    let (la, lb) = (a.lines?, b.lines?);
    if la.0.abs_diff(lb.0) != 1 || (!a.secret.is_empty() && a.secret == b.secret) {
        return None;
    }
    Some(Match {
        confidence: 0.8,
        strength: 0.0,
        resemblance: false,
        block: true,
        reason: format!(
            "high-entropy strings on consecutive lines of {} ({} / {}): lines of one multi-line secret",
            a.path.as_deref().unwrap_or(""),
            lines_text(Some(la)),
            lines_text(Some(lb))
        ),
    })
}

fn secret(a: &Features, b: &Features) -> Option<Match> {
    let (pa, pb) = (a.path.as_ref()?, b.path.as_ref()?);
    if pa != pb {
        return None;
    }
    let (la, lb) = (a.lines?, b.lines?);
    let hashes_equal = !shared(&a.secret, &b.secret).is_empty();
    let entropy_pair =
        a.secret_rule == Some(SecretRule::Entropy) && b.secret_rule == Some(SecretRule::Entropy);
    // the lines of a key block: a head rule (BEGIN ... PRIVATE KEY) and the entropy hits on
    // the lines below it; the nearest head wins, and the match never merges two findings (a
    // file may hold a certificate and then a key)
    let head_line = |h: &Features, l: &Features, lh: (u32, u32), ll: (u32, u32)| {
        h.secret_rule == Some(SecretRule::BlockHead)
            && l.secret_rule == Some(SecretRule::Entropy)
            && l.block_line
            && ll.0 > lh.0
            && ll.0 <= lh.0 + SECRET_BLOCK_LINES
    };
    if head_line(a, b, la, lb) || head_line(b, a, lb, la) {
        let distance = la.0.abs_diff(lb.0);
        return Some(Match {
            confidence: 0.8 - 0.0005 * distance as f32,
            strength: 0.0,
            resemblance: true,
            block: true,
            reason: format!(
                "a key block's head and a high-entropy line {distance} line(s) below it in {pa} ({} / {}): one multi-line secret",
                lines_text(Some(la)),
                lines_text(Some(lb))
            ),
        });
    }
    if entropy_pair && a.tool != b.tool && !hashes_equal && la.0.abs_diff(lb.0) <= 1 {
        // two entropy detectors cut one literal differently (base64 vs hex alphabet, quotes
        // in or out) and count lines differently: the same string, told by its place; a line
        // with two literals makes the closest one win, never a merge of the two
        return Some(Match {
            confidence: 0.78,
            strength: 0.0,
            resemblance: true,
            block: false,
            reason: format!(
                "high-entropy strings of two tools at {pa} {} / {}: one literal, cut differently by each detector",
                lines_text(Some(la)),
                lines_text(Some(lb))
            ),
        });
    }
    if let Some(m) = secret_block_lines(a, b) {
        return Some(m);
    }
    if !a.secret.is_empty() && !b.secret.is_empty() && !hashes_equal {
        return None; // two literals
    }
    let same_line = la.0 == lb.0;
    if same_line || (hashes_equal && overlap(la, lb, 0)) {
        return Some(Match {
            confidence: if hashes_equal { 0.9 } else { 0.85 },
            strength: 0.0,
            resemblance: false,
            block: false,
            reason: format!(
                "same {} at {pa} {}",
                if hashes_equal {
                    "secret (equal hashes)"
                } else {
                    "credential"
                },
                lines_text(Some(la))
            ),
        });
    }
    // an access key id and its secret key written together (adjacent lines) are one
    // credential: one thing to rotate
    let kind = |f: &Features| {
        let t = format!("{} {}", f.rule, f.words.join(" ")).to_ascii_lowercase();
        let id = t.contains("key id")
            || t.contains("key-id")
            || t.contains("access key")
            || t.contains("access-key")
            || t.contains("access-token")
            || t.contains("keyid");
        let secret = t.contains("secret") && !id;
        (id, secret)
    };
    let (ka, kb) = (kind(a), kind(b));
    let adjacent = la.0.abs_diff(lb.0) == 1;
    if adjacent && ((ka.0 && kb.1) || (ka.1 && kb.0)) {
        return Some(Match {
            confidence: 0.8,
            strength: 0.0,
            resemblance: false,
            block: false,
            reason: format!(
                "an access key id and its secret key on adjacent lines of {pa} ({} / {}): one credential",
                lines_text(Some(la)),
                lines_text(Some(lb))
            ),
        });
    }
    // an IaC policy about hard-coded credentials on the block that holds the secret
    let block_policy = |p: &Features, s: &Features, lp: (u32, u32), ls: (u32, u32)| {
        p.family == Family::Config
            && p.credential
            && s.family == Family::Secret
            && lp.1 > lp.0
            && contains(lp, ls)
    };
    if block_policy(a, b, la, lb) || block_policy(b, a, lb, la) {
        // the policy names the block, not the literal: it joins a credential a named detector
        // found in it (an access key, a password), never declaring two credentials of the
        // block one issue; a random-looking string (an entropy hit: a commit hash in a tag)
        // is only suggested
        let named = if a.family == Family::Secret {
            a.secret_rule != Some(SecretRule::Entropy)
        } else {
            b.secret_rule != Some(SecretRule::Entropy)
        };
        return Some(Match {
            confidence: if named { 0.76 } else { 0.65 },
            strength: 0.0,
            resemblance: true,
            block: false,
            reason: format!(
                "hard-coded credential policy on the block {pa} {} that contains the secret at {}",
                lines_text(Some(if la.1 - la.0 > lb.1 - lb.0 { la } else { lb })),
                lines_text(Some(if la.1 - la.0 > lb.1 - lb.0 { lb } else { la }))
            ),
        });
    }
    None
}

/// Injection classes: a tainted string built on one line and the sink that runs it a few lines
/// below are one issue, which tools report at either place.
const INJECTION_CLASSES: &[&str] = &[
    "sql-injection",
    "command-injection",
    "code-injection",
    "xss",
    "ldap-injection",
    "xpath-injection",
];

/// Lines between a tainted string and its sink that still count as one injection.
const INJECTION_WINDOW: u32 = 5;

/// Classes that name one issue from two sides: rendering a tainted template string is
/// reported as XSS (CWE-79) by some rules and as template/code injection (CWE-96, 1336) by
/// others.
const RELATED_CLASSES: &[(&str, &str)] = &[("xss", "code-injection")];

fn code(a: &Features, b: &Features) -> Option<Match> {
    let (pa, pb) = (a.path.as_ref()?, b.path.as_ref()?);
    if pa != pb {
        return None;
    }
    let (la, lb) = (a.lines?, b.lines?);
    // classes from CWEs when both have them; keywords fill in for a side without CWE class
    let ca = if a.cwe_classes.is_empty() {
        &a.keyword_classes
    } else {
        &a.cwe_classes
    };
    let cb = if b.cwe_classes.is_empty() {
        &b.keyword_classes
    } else {
        &b.cwe_classes
    };
    // two CWE-derived classes that differ are two weaknesses
    let common = shared(ca, cb);
    let from_cwe = !a.cwe_classes.is_empty() && !b.cwe_classes.is_empty();
    let how = if from_cwe {
        ", by CWE"
    } else {
        ", by rule keywords"
    };
    if let Some(class) = common.first() {
        if overlap(la, lb, 1) {
            return Some(Match {
                confidence: if from_cwe { 0.9 } else { 0.8 },
                strength: 0.0,
                resemblance: false,
                block: false,
                reason: format!(
                    "same weakness ({class}{how}) in {pa} at overlapping {} / {}",
                    lines_text(Some(la)),
                    lines_text(Some(lb))
                ),
            });
        }
        if INJECTION_CLASSES.contains(&class.as_str()) && overlap(la, lb, INJECTION_WINDOW) {
            return Some(Match {
                confidence: 0.75,
                strength: 0.0,
                resemblance: false,
                block: false,
                reason: format!(
                    "same injection ({class}{how}) in {pa} within {INJECTION_WINDOW} lines ({} / {}): the tainted string and the sink that runs it",
                    lines_text(Some(la)),
                    lines_text(Some(lb))
                ),
            });
        }
        return None;
    }
    // A tool's CWE can be off (bandit gives CWE-94 to Flask's `debug=True`): when both rules'
    // own names say one class and one of them has a CWE of that class, that is the weakness.
    let named = shared(&a.keyword_classes, &b.keyword_classes)
        .into_iter()
        .find(|k| a.cwe_classes.contains(k) || b.cwe_classes.contains(k));
    if let Some(class) = named
        && overlap(la, lb, 1)
    {
        return Some(Match {
            confidence: 0.8,
            strength: 0.0,
            resemblance: false,
            block: false,
            reason: format!(
                "same weakness ({class}: both rules name it, a CWE confirms it) in {pa} at overlapping {} / {}",
                lines_text(Some(la)),
                lines_text(Some(lb))
            ),
        });
    }
    let related = RELATED_CLASSES.iter().find(|(x, y)| {
        (ca.iter().any(|c| c == x) && cb.iter().any(|c| c == y))
            || (ca.iter().any(|c| c == y) && cb.iter().any(|c| c == x))
    })?;
    if overlap(la, lb, 1) {
        return Some(Match {
            confidence: 0.75,
            strength: 0.0,
            resemblance: false,
            block: false,
            reason: format!(
                "related weaknesses ({} / {}) on overlapping {} / {} of {pa}: one tainted template rendered",
                related.0,
                related.1,
                lines_text(Some(la)),
                lines_text(Some(lb))
            ),
        });
    }
    None
}

fn config(a: &Features, b: &Features, weights: &WordWeights) -> Option<Match> {
    let (pa, pb) = (a.path.as_ref()?, b.path.as_ref()?);
    if pa != pb {
        return None;
    }
    // one tool's distinct checks are distinct controls, even when one attribute fails both;
    // except two rules of one rule set that the control map knows test one setting (a rule
    // written twice, a setting checked in two shapes), on the same block
    if a.tool == b.tool {
        let (Some(ca), Some(cb)) = (&a.control, &b.control) else {
            return None;
        };
        let (la, lb) = (a.lines?, b.lines?);
        if ca != cb || !(contains(la, lb) || contains(lb, la) || overlap(la, lb, 0)) {
            return None;
        }
        return Some(Match {
            confidence: 0.85,
            strength: f32::MAX,
            resemblance: false,
            block: false,
            reason: format!(
                "two rules of {} that test one control ({} = {}, control map: {ca}) on the same block of {pa} ({} / {})",
                a.tool,
                a.rule.rsplit('.').next().unwrap_or(&a.rule),
                b.rule.rsplit('.').next().unwrap_or(&b.rule),
                lines_text(a.lines),
                lines_text(b.lines)
            ),
        });
    }
    let (la, lb) = (
        a.lines.unwrap_or((0, u32::MAX)),
        b.lines.unwrap_or((0, u32::MAX)),
    );
    if !(contains(la, lb) || contains(lb, la) || overlap(la, lb, 0)) {
        return None;
    }
    // the control map decides where it knows both rules
    if let (Some(ca), Some(cb)) = (&a.control, &b.control) {
        if ca != cb {
            return None;
        }
        return Some(Match {
            confidence: 0.9,
            strength: f32::MAX,
            resemblance: false,
            block: false,
            reason: format!(
                "equivalent controls ({} = {}, control map: {ca}) on the same block of {pa} ({} / {})",
                a.rule.rsplit('.').next().unwrap_or(&a.rule),
                b.rule.rsplit('.').next().unwrap_or(&b.rule),
                lines_text(a.lines),
                lines_text(b.lines)
            ),
        });
    }
    let common = shared(&a.words, &b.words);
    if common.is_empty() {
        return None;
    }
    // weighted overlap: the share of the less wordy rule's weight that the two rules share
    let total = |ws: &[String]| ws.iter().map(|w| weights.weight(w)).sum::<f32>();
    let shared_weight: f32 = common.iter().map(|w| weights.weight(w)).sum();
    let ratio = shared_weight / total(&a.words).min(total(&b.words)).max(f32::EPSILON);
    let confidence = (0.45 + 0.5 * ratio).min(0.9);
    Some(Match {
        confidence,
        strength: shared_weight,
        resemblance: false,
        block: false,
        reason: format!(
            "same control on the same block of {pa} ({} / {}): both rules speak of {}",
            lines_text(a.lines),
            lines_text(b.lines),
            common
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

fn endpoint(a: &Features, b: &Features) -> Option<Match> {
    if a.endpoint.is_none() || a.endpoint != b.endpoint {
        return None;
    }
    let ca = if a.cwe_classes.is_empty() {
        &a.keyword_classes
    } else {
        &a.cwe_classes
    };
    let cb = if b.cwe_classes.is_empty() {
        &b.keyword_classes
    } else {
        &b.cwe_classes
    };
    let class = shared(ca, cb).first().map(|s| s.to_string())?;
    Some(Match {
        confidence: 0.85,
        strength: 0.0,
        resemblance: false,
        block: false,
        reason: format!(
            "same weakness ({class}) at the same endpoint {}",
            a.endpoint.as_deref().unwrap_or("")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_model::{Location, Package, SecretEvidence, Severity};

    fn sast(tool: &str, rule: &str, title: &str, line: (u32, u32), cwes: &[u32]) -> Features {
        let mut o = Occurrence::new(Category::Sast, rule, title, Severity::High, "/x");
        o.location = Location {
            path: Some("app/app.py".into()),
            start_line: Some(line.0),
            end_line: Some(line.1),
            ..Default::default()
        };
        o.cwes = cwes.to_vec();
        features(tool, &o)
    }

    #[test]
    fn same_weakness_on_overlapping_lines_merges() {
        let bandit = sast(
            "bandit",
            "B608",
            "hardcoded_sql_expressions",
            (261, 261),
            &[89],
        );
        let semgrep = sast(
            "semgrep",
            "python.flask.security.injection.tainted-sql-string",
            "Tainted SQL string",
            (261, 261),
            &[704],
        );
        let m = score(&bandit, &semgrep).expect("match");
        assert!(m.confidence >= Thresholds::default().merge, "{m:?}");
        assert!(m.reason.contains("sql-injection"), "{}", m.reason);
    }

    #[test]
    fn different_weaknesses_on_one_line_stay_apart() {
        let timeout = sast(
            "bandit",
            "B113",
            "request_without_timeout",
            (18, 18),
            &[400],
        );
        let verify = sast(
            "semgrep",
            "python.requests.security.disabled-cert-validation",
            "Disabled cert validation",
            (18, 18),
            &[295],
        );
        assert!(score(&timeout, &verify).is_none());
    }

    #[test]
    fn dependency_aliases_join_across_tools_but_not_manifests() {
        let dep = |tool: &str, ids: &[&str], path: &str| {
            let mut o = Occurrence::new(Category::Sca, ids[0], "t", Severity::High, "/x");
            o.vulnerability_ids = ids.iter().map(|s| s.to_string()).collect();
            o.package = Some(Package {
                ecosystem: Some("pypi".into()),
                name: "Django".into(),
                version: Some("1.2".into()),
                ..Default::default()
            });
            o.location.path = Some(path.into());
            features(tool, &o)
        };
        let a = dep(
            "pip-audit",
            &["PYSEC-2012-3", "CVE-2012-3443"],
            "packages/requirements.txt",
        );
        let b = dep(
            "safety",
            &["pyup.io-33068", "CVE-2012-3443"],
            "packages/requirements.txt",
        );
        let c = dep(
            "safety",
            &["pyup.io-33068", "CVE-2012-3443"],
            "packages/sub/requirements.txt",
        );
        let m = score(&a, &b).expect("match");
        assert!(m.reason.contains("CVE-2012-3443"), "{}", m.reason);
        assert!(score(&a, &c).is_none());
    }

    #[test]
    fn two_literals_on_one_line_are_two_secrets() {
        let sec = |tool: &str, secret: &str| {
            let mut o = Occurrence::new(Category::Secret, "k", "t", Severity::High, "/x");
            o.location = Location {
                path: Some("a.tf".into()),
                start_line: Some(3),
                ..Default::default()
            };
            o.secret = Some(SecretEvidence::from_plaintext(secret));
            features(tool, &o)
        };
        assert!(
            score(
                &sec("trufflehog3", "AAAA1111BBBB2222"),
                &sec("whispers", "AAAA1111BBBB2222")
            )
            .is_some()
        );
        assert!(
            score(
                &sec("trufflehog3", "AAAA1111BBBB2222"),
                &sec("whispers", "CCCC3333DDDD4444")
            )
            .is_none()
        );
    }

    #[test]
    fn words_stem_and_drop_stop_words() {
        let w = significant_words("Ensure that respective logs of Amazon RDS are enabled");
        assert!(w.contains("log"), "{w:?}");
        assert!(!w.contains("ensur"));
        let w = significant_words("aws-db-instance-no-logging");
        assert!(w.contains("log"), "{w:?}");
    }

    fn at(
        category: Category,
        tool: &str,
        rule: &str,
        title: &str,
        path: &str,
        lines: (u32, u32),
    ) -> Features {
        let mut o = Occurrence::new(category, rule, title, Severity::High, "/x");
        o.location = Location {
            path: Some(path.into()),
            start_line: Some(lines.0),
            end_line: Some(lines.1),
            ..Default::default()
        };
        features(tool, &o)
    }

    #[test]
    fn kubernetes_rules_are_configuration_not_yaml_deserialization() {
        let rule = |name: &str| format!("opt.rules.yaml.kubernetes.security.{name}.{name}");
        let privileged = at(
            Category::Sast,
            "semgrep",
            &rule("privileged-container"),
            "Privileged container",
            "deploy/app.yaml",
            (18, 24),
        );
        let hostpid = at(
            Category::Sast,
            "semgrep",
            &rule("hostpid-pod"),
            "Hostpid pod",
            "deploy/app.yaml",
            (18, 24),
        );
        assert_eq!(privileged.family, Family::Config);
        assert_eq!(privileged.target, Some(ConfigTarget::Kubernetes));
        assert!(privileged.keyword_classes.is_empty());
        // two settings of one workload are two issues
        assert!(score(&privileged, &hostpid).is_none());
        // the checkov check of the same setting on the workload's document is the same issue
        let ckv = |id: &str, name: &str| {
            at(
                Category::Iac,
                "checkov",
                id,
                name,
                "deploy/app.yaml",
                (1, 40),
            )
        };
        let m = score(
            &privileged,
            &ckv("CKV_K8S_16", "Container should not be privileged"),
        )
        .expect("same setting");
        assert!(
            m.confidence >= 0.75 && m.reason.contains("CKV_K8S_16"),
            "{m:?}"
        );
        assert!(
            score(
                &privileged,
                &ckv(
                    "CKV_K8S_17",
                    "Containers should not share the host process ID namespace"
                )
            )
            .is_none()
        );
        // and a Python rule about YAML is still deserialization
        let yaml_load = sast("bandit", "B506", "yaml_load", (12, 12), &[]);
        assert_eq!(
            yaml_load.keyword_classes,
            vec!["deserialization".to_string()]
        );
    }

    #[test]
    fn one_rule_written_twice_in_one_tool_is_one_issue() {
        let sg = |name: &str, lines| {
            at(
                Category::Sast,
                "semgrep",
                &format!("opt.rules.terraform.aws.security.{name}"),
                name,
                "logs.tf",
                lines,
            )
        };
        let a = sg("missing-cloudwatch-log-group-kms-key", (3, 9));
        let b = sg("aws-cloudwatch-log-group-unencrypted", (3, 9));
        let m = score(&a, &b).expect("one check twice");
        assert!(m.confidence >= 0.75, "{m:?}");
        // another attribute of the same block stays apart
        assert!(score(&a, &sg("aws-cloudwatch-log-group-no-retention", (3, 9))).is_none());
        // the same check on another block stays apart
        assert!(score(&a, &sg("aws-cloudwatch-log-group-unencrypted", (11, 17))).is_none());
    }

    #[test]
    fn flask_debug_is_one_weakness_whatever_cwe_bandit_gives() {
        let bandit = sast("bandit", "B201", "flask_debug_true", (40, 40), &[94]);
        let semgrep = sast(
            "semgrep",
            "python.flask.security.audit.debug-enabled.debug-enabled",
            "Debug enabled",
            (40, 40),
            &[489],
        );
        let m = score(&bandit, &semgrep).expect("same check");
        assert!(m.confidence >= 0.75 && m.reason.contains("debug"), "{m:?}");
        // but a CWE class named by one rule only does not override the other's
        let eval = sast(
            "semgrep",
            "python.lang.security.audit.eval-detected",
            "Eval detected",
            (40, 40),
            &[95],
        );
        assert!(score(&eval, &semgrep).is_none());
    }

    fn secret_at(tool: &str, rule: &str, path: &str, line: u32, value: Option<&str>) -> Features {
        let mut o = Occurrence::new(Category::Secret, rule, rule, Severity::High, "/x");
        o.location = Location {
            path: Some(path.into()),
            start_line: Some(line),
            ..Default::default()
        };
        o.secret = value.map(SecretEvidence::from_plaintext);
        features(tool, &o)
    }

    #[test]
    fn a_pem_block_is_one_credential() {
        let head = secret_at("detect-secrets", "Private Key", "certs/server.key", 1, None);
        let line = |n: u32| {
            secret_at(
                "trufflehog3",
                "high-entropy",
                "certs/server.key",
                n,
                Some(&format!(
                    "MIICXgIBAAKBgQCfn8uP4FuHaaAPrMkcl1fNMQM5EGMT4nn{n:04}"
                )),
            )
        };
        assert_eq!(head.secret_rule, Some(SecretRule::BlockHead));
        assert_eq!(line(2).secret_rule, Some(SecretRule::Entropy));
        // the same entropy rule on consecutive lines: one block, allowed in one finding
        let m = score(&line(2), &line(3)).expect("consecutive lines");
        assert!(m.block && m.confidence >= 0.75, "{m:?}");
        // not two lines apart, not in another file
        assert!(score(&line(2), &line(4)).is_none());
        let other = secret_at(
            "trufflehog3",
            "high-entropy",
            "certs/other.key",
            3,
            Some("x1y2z3w4v5u6t7s8r9q0"),
        );
        assert!(score(&line(2), &other).is_none());
        // the head and the lines below it
        let m = score(&head, &line(9)).expect("head and body");
        assert!(m.block && m.resemblance && m.confidence >= 0.75, "{m:?}");
        assert!(score(&head, &line(1 + SECRET_BLOCK_LINES + 1)).is_none());
        // two hashes on consecutive lines of a document are two literals, not a key body
        let hash_line =
            |n: u32, v: &str| secret_at("trufflehog3", "high-entropy", "README.md", n, Some(v));
        assert!(
            score(
                &hash_line(151, "25910f981e85ca04baf359199dd0bd4a3ae738b6"),
                &hash_line(152, "d70eab08607a4d05faa2d0d6647206599e9abc65")
            )
            .is_none()
        );
        // body-shaped lines (64 base64 characters) in any file are
        let body = |n: u32, c: char| {
            secret_at(
                "trufflehog3",
                "high-entropy",
                "deploy/secret.yaml",
                n,
                Some(&c.to_string().repeat(64)),
            )
        };
        assert!(score(&body(7, 'A'), &body(8, 'B')).is_some_and(|m| m.block));
        // a password and a token on consecutive lines are not entropy hits: two issues
        let pw = secret_at(
            "detect-secrets",
            "Secret Keyword",
            "app.env",
            4,
            Some("hunter2hunter2"),
        );
        let tok = secret_at(
            "detect-secrets",
            "Secret Keyword",
            "app.env",
            5,
            Some("tok-123456789"),
        );
        assert!(score(&pw, &tok).is_none());
    }

    #[test]
    fn one_literal_cut_differently_by_two_entropy_detectors() {
        let b64 = secret_at(
            "detect-secrets",
            "Base64 High Entropy String",
            "cfg.yaml",
            12,
            Some("\"c2VjcmV0LXZhbHVlLWhlcmU=\""),
        );
        let th3 = secret_at(
            "trufflehog3",
            "high-entropy",
            "cfg.yaml",
            12,
            Some("c2VjcmV0LXZhbHVlLWhlcmU="),
        );
        let m = score(&b64, &th3).expect("one literal");
        assert!(m.resemblance && m.confidence >= 0.75, "{m:?}");
        // a non-entropy rule with another value on the line is another literal
        let kw = secret_at("whispers", "password", "cfg.yaml", 12, Some("other"));
        assert!(score(&kw, &th3).is_none());
    }

    #[test]
    fn endpoint_templates_fold_ids() {
        assert_eq!(
            endpoint_template("https://Shop.example/users/42/orders?x=1"),
            "https://shop.example/users/{id}/orders"
        );
    }
}
