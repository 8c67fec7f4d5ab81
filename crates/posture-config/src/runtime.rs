//! `[runtime]` of posture.toml: how runtime evidence meets the repository.
//!
//! ```toml
//! [[runtime.path_map]]        # a coverage path under `from` is read as `to` + the rest
//! from = "/app/"              # the build or container path (a prefix, matched whole segments)
//! to = "src/"                 # the repository path ("" = the repository root)
//! asset = "shop-api"          # optional: only for this asset's coverage
//! ```
//!
//! Coverage reports name files as the build saw them (`/app/views.py`,
//! `/home/runner/work/shop/shop/src/x.c`, `github.com/acme/ledger/db/user.go`), findings as the
//! repository does (`src/views.py`). [`PathMap::map`] rewrites a coverage path with the longest
//! matching `from` (the asset's own mappings first); without one, the path is only normalized
//! (`\` as `/`, no `./`). [`PathMap::matches`] then compares a mapped path with a finding's path:
//! equal, or, when the mapped path is absolute or longer, ending with `/` + the finding's path
//! (so `/home/runner/work/shop/shop/src/x.c` meets `src/x.c` without a mapping).

use serde::Serialize;

/// One `[[runtime.path_map]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathMapping {
    pub from: String,
    pub to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// Line of the table in posture.toml (for explanations).
    #[serde(skip)]
    pub line: usize,
}

/// `[runtime]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuntimeConfig {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path_map: Vec<PathMapping>,
}

impl RuntimeConfig {
    pub fn is_unset(&self) -> bool {
        self.path_map.is_empty()
    }

    /// The path map of one asset: its own mappings and those for every asset.
    pub fn path_map_for(&self, asset: &str) -> PathMap {
        PathMap::new(
            self.path_map
                .iter()
                .filter(|m| m.asset.as_deref().is_none_or(|a| a == asset))
                .map(|m| (m.from.clone(), m.to.clone())),
        )
    }
}

/// Normalizes a path for comparison: `\` as `/`, no leading `./`, no repeated `/`.
pub fn normalize_path(p: &str) -> String {
    let p = p.trim().replace('\\', "/");
    let mut out = String::with_capacity(p.len());
    let mut prev_slash = false;
    for c in p.chars() {
        if c == '/' {
            if prev_slash {
                continue;
            }
            prev_slash = true;
        } else {
            prev_slash = false;
        }
        out.push(c);
    }
    let mut s = out.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// Prefix rewrites from build paths to repository paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMap {
    /// `(from, to)`, normalized, longest `from` first.
    rules: Vec<(String, String)>,
}

impl PathMap {
    pub fn new(rules: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut rules: Vec<(String, String)> = rules
            .into_iter()
            .map(|(f, t)| (normalize_path(&f), normalize_path(&t)))
            .filter(|(f, _)| !f.is_empty())
            .collect();
        // Longest prefix first; among equals, the first written wins (stable sort).
        rules.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        PathMap { rules }
    }

    /// Whether `path` is under `prefix`, on a segment boundary (`/app` covers `/app/x` and
    /// `/app`, never `/application`).
    fn strip<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
        let rest = path.strip_prefix(prefix)?;
        if prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/') {
            Some(rest.trim_start_matches('/'))
        } else {
            None
        }
    }

    /// The repository path of a coverage path: the longest matching `from` replaced by its
    /// `to`; else the path, normalized.
    pub fn map(&self, path: &str) -> String {
        let p = normalize_path(path);
        for (from, to) in &self.rules {
            if let Some(rest) = Self::strip(&p, from) {
                return if to.is_empty() {
                    rest.to_string()
                } else if rest.is_empty() {
                    to.trim_end_matches('/').to_string()
                } else {
                    format!("{}/{rest}", to.trim_end_matches('/'))
                };
            }
        }
        p
    }

    /// Whether a mapped coverage path is the file of a finding at `finding_path`: equal after
    /// normalization, or the coverage path ends with `/` + the finding's path.
    pub fn matches(mapped: &str, finding_path: &str) -> bool {
        let f = normalize_path(finding_path);
        let f = f.trim_start_matches('/');
        if f.is_empty() {
            return false;
        }
        let m = normalize_path(mapped);
        m == f || m.strip_suffix(f).is_some_and(|head| head.ends_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn map(rules: &[(&str, &str)]) -> PathMap {
        PathMap::new(rules.iter().map(|(f, t)| (f.to_string(), t.to_string())))
    }

    #[test]
    fn path_map_examples() {
        let m = map(&[
            ("/app/", "src/"),
            ("/app/vendor/", "third_party/"),
            ("C:\\build", ""),
        ]);
        assert_eq!(m.map("/app/views.py"), "src/views.py");
        assert_eq!(m.map("/app/vendor/lib.py"), "third_party/lib.py");
        assert_eq!(m.map("/application/x.py"), "/application/x.py");
        assert_eq!(m.map("C:\\build\\pkg\\a.go"), "pkg/a.go");
        assert_eq!(m.map("./app/views.py"), "app/views.py");
        assert!(PathMap::matches("src/views.py", "./src/views.py"));
        assert!(PathMap::matches(
            "/home/runner/work/shop/shop/src/x.c",
            "src/x.c"
        ));
        assert!(!PathMap::matches(
            "/home/runner/work/shop/mysrc/x.c",
            "src/x.c"
        ));
        assert!(!PathMap::matches("src/views.py", ""));
    }

    fn segment() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9_.-]{1,8}".prop_filter("not . or ..", |s| s != "." && s != "..")
    }

    fn rel_path() -> impl Strategy<Value = String> {
        proptest::collection::vec(segment(), 1..5).prop_map(|v| v.join("/"))
    }

    proptest! {
        /// A path under `from` maps to `to` + the rest, whatever the separators.
        #[test]
        fn path_map_rewrites_under_the_prefix(from in rel_path(), to in rel_path(), rest in rel_path(), abs in any::<bool>(), windows in any::<bool>()) {
            let from = if abs { format!("/{from}") } else { from };
            let m = PathMap::new([(format!("{from}/"), format!("{to}/"))]);
            let mut p = format!("{from}/{rest}");
            if windows { p = p.replace('/', "\\"); }
            prop_assert_eq!(m.map(&p), format!("{to}/{rest}"));
            let finding = format!("./{to}/{rest}");
            prop_assert!(PathMap::matches(&m.map(&p), &finding));
        }

        /// A path not under any `from` (on a segment boundary) is only normalized; mapping
        /// never panics and a normalized path is a fixed point of normalization.
        #[test]
        fn path_map_leaves_other_paths(from in rel_path(), suffix in "[a-z0-9]{1,4}", rest in rel_path(), other in rel_path()) {
            let m = PathMap::new([(from.clone(), "src".to_string())]);
            // Same leading characters, different last segment: never a match.
            let p = format!("{from}{suffix}/{rest}");
            prop_assert_eq!(m.map(&p), p.clone());
            let n = normalize_path(&other);
            prop_assert_eq!(normalize_path(&n), n);
        }

        /// The longest matching prefix wins, whatever the order of the rules.
        #[test]
        fn path_map_longest_prefix_wins(a in rel_path(), b in rel_path(), rest in rel_path(), flip in any::<bool>()) {
            let outer = (format!("/{a}"), "outer".to_string());
            let inner = (format!("/{a}/{b}"), "inner".to_string());
            let rules = if flip { vec![outer, inner] } else { vec![inner, outer] };
            let m = PathMap::new(rules);
            prop_assert_eq!(m.map(&format!("/{a}/{b}/{rest}")), format!("inner/{rest}"));
        }

        /// A finding's path matches the coverage path it is a whole-segment suffix of, and no
        /// path that merely ends with the same characters.
        #[test]
        fn path_match_is_by_whole_segments(head in rel_path(), tail in rel_path(), glue in "[a-z]{1,3}") {
            let coverage = format!("/{head}/{tail}");
            prop_assert!(PathMap::matches(&coverage, &tail));
            let glued = format!("/{head}{glue}{tail}");
            let boundary = format!("/{tail}");
            prop_assert!(!PathMap::matches(&glued, &tail) || glued.ends_with(&boundary));
        }
    }
}

#[cfg(test)]
mod config_tests {
    #[test]
    fn runtime_path_map_is_read_and_checked() {
        let text = r#"
[[asset]]
name = "shop"

[[runtime.path_map]]
from = "/app/"
to = "src/"

[[runtime.path_map]]
from = "/srv/"
to = ""
asset = "shop"
"#;
        let p = crate::parse_portfolio("posture.toml", text).unwrap();
        let m = p.runtime().path_map_for("shop");
        assert_eq!(m.map("/app/views.py"), "src/views.py");
        assert_eq!(m.map("/srv/views.py"), "views.py");
        assert_eq!(p.runtime().path_map_for("other").map("/srv/x"), "/srv/x");
        assert_eq!(p.runtime().path_map[0].line, 5);

        let bad = r#"
[[runtime.path_map]]
from = "/app/"
asset = "shopp"
colour = "red"
"#;
        let e = crate::parse_portfolio("posture.toml", bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown asset `shopp`"), "{e}");
        assert!(e.contains("missing `to`"), "{e}");
        assert!(e.contains("unknown key `colour`"), "{e}");
    }
}
