//! SAST, SCA and runtime as one story: a SAST finding whose code calls a package that has
//! known vulnerabilities is linked to the dependency findings of that package in the same
//! asset, and runtime coverage of the SAST finding's lines is evidence for both.
//!
//! **The link** ([`calls`]): a package is called by a SAST finding when one of the package's
//! import names (PyPI `pyyaml` imports as `yaml`; npm and Go packages by their own name; Maven
//! by `groupId`) appears in the finding's code as a module (`yaml.load(`, `import yaml`,
//! `from yaml import`, `require('lodash')`, `from 'lodash'`), or as a whole segment of its rule
//! id (`python.lang.security.deserialization.avoid-pyyaml-load`) or a whole word of its title
//! (bandit's "Use of unsafe yaml load"). Only packages with open dependency findings in the
//! same asset are considered; standard-library modules never have dependency findings, so
//! `pickle.loads` links to nothing.
//!
//! **What it changes**: each side names the other in its `related` list (shown by `posture
//! explain`, the API and the finding page). When runtime coverage says the SAST finding's lines
//! ran, the dependency finding without a scanner verdict becomes reachable, with the line, the
//! hit count and the environment as its source ("reachable through app/app.py:329 (finding
//! #12, bandit B506), executed 12000 times in production"). Lines never executed say nothing of
//! the package (other code may call it), so they change nothing; nor does a link without
//! coverage.

use posture_model::Category;
use posture_store::FindingRecord;
use serde::Serialize;
use std::collections::HashSet;

/// A finding linked to another one, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    /// The other finding's id.
    pub id: i64,
    /// `calls-vulnerable-package` (a SAST finding to the dependency finding of the package
    /// its code calls) or `called-at` (the dependency finding to the SAST finding that calls
    /// the package).
    pub relation: String,
    /// For a person: `calls pyyaml 3.12 (finding #34: PYSEC-2018-49)`.
    pub text: String,
}

/// Import names of a package, lowercase: how code refers to it.
pub fn import_names(ecosystem: Option<&str>, name: &str) -> Vec<String> {
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Vec::new();
    }
    match ecosystem.map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("pypi") => {
            let normalized = name.replace(['-', '.'], "_");
            // distributions whose import name differs (the common ones)
            const PYPI: &[(&str, &str)] = &[
                ("pyyaml", "yaml"),
                ("python_docx", "docx"),
                ("beautifulsoup4", "bs4"),
                ("pyjwt", "jwt"),
                ("pillow", "pil"),
                ("scikit_learn", "sklearn"),
                ("python_dateutil", "dateutil"),
                ("opencv_python", "cv2"),
                ("pycryptodome", "crypto"),
                ("pycrypto", "crypto"),
                ("pyopenssl", "openssl"),
                ("msgpack_python", "msgpack"),
                ("attrs", "attr"),
                ("python_jose", "jose"),
                ("flask_sqlalchemy", "flask_sqlalchemy"),
                ("protobuf", "google.protobuf"),
            ];
            let mut out = vec![normalized.clone()];
            if let Some((_, import)) = PYPI.iter().find(|(d, _)| *d == normalized) {
                out.push((*import).to_string());
            }
            out.dedup();
            out
        }
        Some("maven") => {
            // `group:artifact` or a purl-style `group/artifact`: code imports the group
            let group = name.split([':', '/']).next().unwrap_or(&name).to_string();
            let artifact = name.rsplit([':', '/']).next().unwrap_or(&name).to_string();
            vec![group, artifact]
        }
        _ => vec![name],
    }
}

/// The modules a piece of code uses, lowercase: every dotted prefix of a dotted name
/// (`yaml.load(` gives `yaml`; `org.apache.logging.log4j.LogManager` gives `org`,
/// `org.apache`, ...), the names after `import` and `from`, and quoted module paths
/// (`require('lodash/merge')`, `from 'lodash'`: `lodash`; `@scope/pkg` whole).
pub fn modules_used(code: &str) -> HashSet<String> {
    let lower = code.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = HashSet::new();
    let ident_start = |c: u8| c.is_ascii_alphabetic() || c == b'_';
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if (c == b'\'' || c == b'"' || c == b'`') && i + 1 < bytes.len() {
            // a quoted module path after `require(`, `import`, `from`
            let head = lower[..i].trim_end();
            let end = lower[i + 1..].find(c as char).map(|e| i + 1 + e);
            if let Some(end) = end
                && (head.ends_with("require(")
                    || head.ends_with("from")
                    || head.ends_with("import"))
            {
                let path = &lower[i + 1..end];
                let module = if path.starts_with('@') {
                    path.splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
                } else {
                    path.split('/').next().unwrap_or("").to_string()
                };
                if !module.is_empty() && !module.starts_with('.') {
                    out.insert(module);
                }
                i = end + 1;
                continue;
            }
            i += 1;
            continue;
        }
        if ident_start(c) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b'.')) {
            // a dotted name
            let mut j = i;
            let mut parts_end = Vec::new();
            loop {
                while j < bytes.len() && ident(bytes[j]) {
                    j += 1;
                }
                parts_end.push(j);
                if j + 1 < bytes.len() && bytes[j] == b'.' && ident_start(bytes[j + 1]) {
                    j += 1;
                    continue;
                }
                break;
            }
            let name = &lower[i..j];
            let head = lower[..i].trim_end();
            if head.ends_with("import") || head.ends_with("from") {
                // `import yaml`, `from yaml.x import`: the name and its prefixes
                for e in &parts_end {
                    out.insert(lower[i..*e].to_string());
                }
            } else {
                // `yaml.load(`: the prefixes followed by a dot
                for e in &parts_end[..parts_end.len() - 1] {
                    out.insert(lower[i..*e].to_string());
                }
            }
            let _ = name;
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// The whole segments of a rule id and the whole words of a title, lowercase (split on
/// anything but letters and digits); dotted and underscored names are kept too.
fn named_words(rule_id: &str, title: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for text in [rule_id, title] {
        let lower = text.to_ascii_lowercase();
        out.extend(
            lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
        out.extend(
            lower
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .map(|w| w.trim_matches('.'))
                .filter(|w| w.contains(['_', '.']))
                .map(str::to_string),
        );
    }
    out
}

/// What a SAST finding's code and rule name: the modules its code uses, its rule id's
/// segments and its title's words.
pub fn sast_words(sast: &FindingRecord) -> HashSet<String> {
    let mut out = named_words(&sast.rule_id, &sast.title);
    for o in &sast.occurrences {
        if let Some(c) = o.data.identity.context.as_deref() {
            out.extend(modules_used(c));
        }
        out.extend(named_words(&o.data.rule_id, &o.data.title));
    }
    out
}

/// Whether the SAST finding whose words are `words` ([`sast_words`]) calls the package
/// `(ecosystem, name)`.
pub fn calls(words: &HashSet<String>, ecosystem: Option<&str>, name: &str) -> bool {
    import_names(ecosystem, name)
        .iter()
        .any(|n| words.contains(n))
}

/// The package of a dependency finding: its first occurrence with one.
pub fn package_of(f: &FindingRecord) -> Option<(Option<String>, String, Option<String>)> {
    if !matches!(f.category, Category::Sca | Category::Container) {
        return None;
    }
    f.occurrences.iter().find_map(|o| {
        let p = o.data.package.as_ref()?;
        Some((p.ecosystem.clone(), p.name.clone(), p.version.clone()))
    })
}

/// Where a finding is, for a person: `app/app.py:329`.
pub fn place(f: &FindingRecord) -> String {
    f.occurrences
        .iter()
        .find_map(|o| {
            let l = &o.data.location;
            let path = l.path.as_deref()?;
            Some(match l.start_line {
                Some(n) => format!("{path}:{n}"),
                None => path.to_string(),
            })
        })
        .unwrap_or_else(|| f.title.clone())
}

/// The first vulnerability id of a finding, for a person.
pub fn advisory(f: &FindingRecord) -> String {
    f.occurrences
        .iter()
        .flat_map(|o| o.data.vulnerability_ids.iter())
        .next()
        .cloned()
        .unwrap_or_else(|| f.rule_id.clone())
}

/// The tool and rule of a SAST finding: `bandit B506`.
pub fn rule(f: &FindingRecord) -> String {
    let tool = f.occurrences.first().map(|o| o.tool.as_str()).unwrap_or("");
    format!("{tool} {}", f.rule_id).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(code: &str) -> Vec<String> {
        let mut v: Vec<String> = modules_used(code).into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn modules_used_by_code() {
        assert_eq!(m("data = yaml.load(f)"), ["yaml"]);
        assert_eq!(m("import yaml"), ["yaml"]);
        // the imported name counts too (`from m import Name`: harmless, never a package)
        assert_eq!(
            m("from yaml.loader import Loader"),
            ["loader", "yaml", "yaml.loader"]
        );
        assert_eq!(m("const _ = require('lodash')"), ["lodash"]);
        assert_eq!(m("import merge from 'lodash/merge'"), ["lodash", "merge"]);
        assert_eq!(m("import x from '@babel/core/lib'"), ["@babel/core", "x"]);
        assert_eq!(
            m("org.apache.logging.log4j.LogManager.getLogger()"),
            [
                "org",
                "org.apache",
                "org.apache.logging",
                "org.apache.logging.log4j",
                "org.apache.logging.log4j.logmanager"
            ]
        );
        // not a module use
        assert!(m("the yaml file").is_empty());
        assert!(m("x = requests_total + 1").is_empty());
        assert!(!modules_used("my_yaml.load()").contains("yaml"));
        assert!(!modules_used("pyyaml.load()").contains("yaml"));
    }

    #[test]
    fn names_in_rule_ids_and_titles() {
        let w = named_words("python.lang.security.deserialization.avoid-pyyaml-load", "");
        assert!(w.contains("pyyaml"));
        assert!(named_words("B506", "Use of unsafe yaml load").contains("yaml"));
        assert!(!named_words("B506", "Use of unsafe yamlish load").contains("yaml"));
    }

    #[test]
    fn import_names_of_packages() {
        assert_eq!(import_names(Some("pypi"), "PyYAML"), ["pyyaml", "yaml"]);
        assert_eq!(
            import_names(Some("pypi"), "python-docx"),
            ["python_docx", "docx"]
        );
        assert_eq!(import_names(Some("npm"), "lodash"), ["lodash"]);
        assert_eq!(
            import_names(Some("maven"), "org.apache.logging.log4j:log4j-core"),
            ["org.apache.logging.log4j", "log4j-core"]
        );
    }
}

/// A SAST finding as the links need it.
struct SastSide {
    id: i64,
    words: HashSet<String>,
    place: String,
    rule: String,
    /// Runtime coverage of its lines, when they ran.
    executed: Option<posture_risk::ExecutionEvidence>,
}

/// A dependency finding as the links need it.
struct DepSide {
    id: i64,
    ecosystem: Option<String>,
    name: String,
    version: Option<String>,
    advisory: String,
}

/// The links of the findings being assessed, read once per assessment: the open SAST and
/// dependency findings of their assets, and the coverage of those SAST findings.
#[derive(Default)]
pub struct Stories {
    sast: std::collections::HashMap<String, Vec<SastSide>>,
    deps: std::collections::HashMap<String, Vec<DepSide>>,
}

impl Stories {
    /// Reads what links `findings` may have (nothing when none is a SAST or a dependency
    /// finding).
    pub fn load(
        store: &dyn posture_store::Store,
        config: Option<&crate::risk::RiskConfig>,
        findings: &[FindingRecord],
    ) -> Result<Self, crate::AppError> {
        use posture_model::FindingStatus;
        let mut assets: Vec<&str> = findings
            .iter()
            .filter(|f| f.category == Category::Sast || package_of(f).is_some())
            .map(|f| f.asset.as_str())
            .collect();
        assets.sort_unstable();
        assets.dedup();
        let mut out = Stories::default();
        let open = Some(vec![
            FindingStatus::Open,
            FindingStatus::Confirmed,
            FindingStatus::InProgress,
        ]);
        for asset in assets {
            let read = |category| {
                store.findings(&posture_store::FindingQuery {
                    asset: Some(asset.to_string()),
                    category: Some(category),
                    status: open.clone(),
                    ..Default::default()
                })
            };
            // SAST first: without it no link exists, and an asset of dependency findings only
            // (a container image) costs this one read
            let sast = read(Category::Sast)?;
            if sast.is_empty() {
                continue;
            }
            // the dependency findings are needed only for the SAST findings being assessed
            // (a dependency finding's callers come from the SAST side)
            if findings
                .iter()
                .any(|f| f.asset == asset && f.category == Category::Sast)
            {
                let mut deps = read(Category::Sca)?;
                deps.extend(read(Category::Container)?);
                let deps: Vec<DepSide> = deps
                    .iter()
                    .filter_map(|f| {
                        let (ecosystem, name, version) = package_of(f)?;
                        Some(DepSide {
                            id: f.id,
                            ecosystem,
                            name,
                            version,
                            advisory: advisory(f),
                        })
                    })
                    .collect();
                out.deps.insert(asset.to_string(), deps);
            }
            let coverage = crate::execution::CoverageIndex::load(store, config, &sast)?;
            let sides: Vec<SastSide> = sast
                .iter()
                .map(|f| SastSide {
                    id: f.id,
                    words: sast_words(f),
                    place: place(f),
                    rule: rule(f),
                    executed: coverage.evidence(f).filter(|e| e.executed()),
                })
                .collect();
            out.sast.insert(asset.to_string(), sides);
        }
        Ok(out)
    }

    /// The SAST findings that call this dependency finding's package.
    fn callers(&self, f: &FindingRecord) -> Vec<&SastSide> {
        let Some((ecosystem, name, _)) = package_of(f) else {
            return Vec::new();
        };
        self.sast
            .get(&f.asset)
            .map(|list| {
                list.iter()
                    .filter(|s| s.id != f.id && calls(&s.words, ecosystem.as_deref(), &name))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Where a dependency finding's package is called from code that ran: the source of its
    /// reachability (`reachable through app/app.py:329 (finding #12, bandit B506), executed
    /// 12000 times in production (coverage ...)`); the most-executed call site wins.
    pub fn executed_call(&self, f: &FindingRecord) -> Option<String> {
        let best = self
            .callers(f)
            .into_iter()
            .filter_map(|s| s.executed.as_ref().map(|e| (s, e)))
            .max_by_key(|(s, e)| {
                (
                    e.environment == posture_model::coverage::CoverageEnvironment::Production,
                    e.hits,
                    -s.id,
                )
            })?;
        let (s, e) = best;
        Some(format!(
            "reachable through {} (finding #{}, {}), executed {} times in {}: {}",
            s.place,
            s.id,
            s.rule,
            e.hits,
            e.environment.as_str(),
            e.source()
        ))
    }

    /// The findings linked to `f`, each way.
    pub fn related(&self, f: &FindingRecord) -> Vec<Related> {
        let mut out = Vec::new();
        if f.category == Category::Sast {
            let words = sast_words(f);
            for d in self.deps.get(&f.asset).into_iter().flatten() {
                if calls(&words, d.ecosystem.as_deref(), &d.name) {
                    out.push(Related {
                        id: d.id,
                        relation: "calls-vulnerable-package".into(),
                        text: format!(
                            "calls {}{}, which has a known vulnerability: finding #{} ({})",
                            d.name,
                            d.version
                                .as_deref()
                                .map(|v| format!(" {v}"))
                                .unwrap_or_default(),
                            d.id,
                            d.advisory
                        ),
                    });
                }
            }
        } else {
            for s in self.callers(f) {
                let ran = s
                    .executed
                    .as_ref()
                    .map(|e| format!(", executed {} times in {}", e.hits, e.environment.as_str()))
                    .unwrap_or_default();
                out.push(Related {
                    id: s.id,
                    relation: "called-at".into(),
                    text: format!(
                        "its package is called at {} (finding #{}, {}){ran}",
                        s.place, s.id, s.rule
                    ),
                });
            }
        }
        out
    }
}
