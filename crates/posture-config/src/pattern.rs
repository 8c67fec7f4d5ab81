//! CODEOWNERS path patterns, translated to `globset` globs.
//!
//! The same semantics serve CODEOWNERS files and the `[[owner]]` rules of `posture.toml`:
//!
//! | pattern | meaning | globs |
//! |---|---|---|
//! | `*.js` | no `/` (except a trailing one): any depth | `**/*.js` |
//! | `apps/` | trailing `/`: a directory, any depth, everything below | `**/apps/**` |
//! | `/docs/` | leading `/`: anchored at the repository root | `docs/**` |
//! | `docs/*` | a `/` inside: anchored; a wildcard in the last segment matches that level only | `docs/*` |
//! | `/apps/github` | a literal last segment owns the file or the directory and all below | `apps/github`, `apps/github/**` |
//! | `**/logs` | `**` matches any number of directories | `**/logs`, `**/logs/**` |
//!
//! `*` and `?` never match `/`. `\` escapes the next character (`\#`, `\ `). Negation (`!`)
//! and character ranges (`[a-z]`) are not CODEOWNERS syntax (GitHub ignores such lines) and
//! are refused. Paths are matched case-sensitively, relative to the repository root
//! (a leading `./` or `/` and Windows separators are normalized away).

use globset::{Glob, GlobBuilder};

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError {
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

/// Translates one pattern (with its `\` escapes) into the globs that implement it.
pub(crate) fn globs(pattern: &str) -> Result<Vec<Glob>, PatternError> {
    if pattern.is_empty() {
        return Err(PatternError {
            message: "empty path pattern".into(),
            help: None,
        });
    }
    if pattern.starts_with('!') {
        return Err(PatternError {
            message: "negated patterns (`!`) are not supported in CODEOWNERS".into(),
            help: Some(
                "list the paths that have owners instead; a later rule overrides an earlier one"
                    .into(),
            ),
        });
    }
    // Unescape into (char, literal?) pairs.
    let mut chars: Vec<(char, bool)> = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some(n) => chars.push((n, true)),
                None => {
                    return Err(PatternError {
                        message: "pattern ends with a lone `\\`".into(),
                        help: None,
                    });
                }
            }
        } else {
            if c == '[' || c == ']' || c == '{' || c == '}' {
                return Err(PatternError {
                    message: format!(
                        "`{c}` is not CODEOWNERS syntax (no character ranges or alternatives)"
                    ),
                    help: Some(format!("escape it as `\\{c}` to match it literally")),
                });
            }
            chars.push((c, false));
        }
    }
    let is_sep = |&(c, lit): &(char, bool)| c == '/' && !lit;
    let dir_only = chars.last().is_some_and(is_sep);
    while chars.last().is_some_and(is_sep) {
        chars.pop();
    }
    let rooted = chars.first().is_some_and(is_sep);
    while chars.first().is_some_and(is_sep) {
        chars.remove(0);
    }
    if chars.is_empty() {
        // `/` alone: the whole repository.
        return build(&["**".to_string()]);
    }
    let anchored = rooted || chars.iter().any(is_sep);
    let mut body = String::new();
    for &(c, lit) in &chars {
        match (c, lit) {
            ('*' | '?' | '/', false) => body.push(c),
            _ => body.push_str(&globset::escape(&c.to_string())),
        }
    }
    let last_start = chars.iter().rposition(is_sep).map_or(0, |i| i + 1);
    let last = chars.get(last_start..).unwrap_or(&[]);
    let last_is_globstar = last == [('*', false), ('*', false)];
    let last_has_wildcard = last.iter().any(|&(c, lit)| !lit && (c == '*' || c == '?'));
    let base = if anchored || body.starts_with("**") {
        body
    } else {
        format!("**/{body}")
    };
    let list = if last_is_globstar {
        vec![base]
    } else if dir_only {
        vec![format!("{base}/**")]
    } else if last_has_wildcard {
        vec![base]
    } else {
        vec![base.clone(), format!("{base}/**")]
    };
    build(&list)
}

fn build(list: &[String]) -> Result<Vec<Glob>, PatternError> {
    list.iter()
        .map(|g| {
            GlobBuilder::new(g)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| PatternError {
                    message: format!("invalid pattern: {}", e.kind()),
                    help: Some(
                        "`**` must be a whole path segment: `**/x`, `x/**`, `a/**/b`".into(),
                    ),
                })
        })
        .collect()
}

/// Normalizes a path for matching: `/` separators, no leading `./` or `/`.
pub(crate) fn normalize_path(path: &str) -> String {
    let p = path.replace('\\', "/");
    let mut s = p.as_str();
    loop {
        if let Some(r) = s.strip_prefix("./") {
            s = r;
        } else if let Some(r) = s.strip_prefix('/') {
            s = r;
        } else {
            break;
        }
    }
    s.to_string()
}

/// A compiled list of patterns where the last match wins.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternSet {
    set: globset::GlobSet,
    /// glob index -> pattern index
    owner: Vec<usize>,
}

impl PatternSet {
    /// Builds from already validated patterns (those that fail are skipped).
    pub(crate) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        let mut builder = globset::GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (i, p) in patterns.into_iter().enumerate() {
            for g in globs(p).unwrap_or_default() {
                builder.add(g);
                owner.push(i);
            }
        }
        match builder.build() {
            Ok(set) => PatternSet { set, owner },
            Err(_) => PatternSet::default(),
        }
    }

    /// Indices of every pattern matching `path`, ascending.
    pub(crate) fn matching(&self, path: &str) -> Vec<usize> {
        let path = normalize_path(path);
        let mut out: Vec<usize> = self
            .set
            .matches(path.as_str())
            .into_iter()
            .filter_map(|g| self.owner.get(g).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn g(p: &str) -> Vec<String> {
        globs(p)
            .unwrap()
            .iter()
            .map(|g| g.glob().to_string())
            .collect()
    }

    #[test]
    fn translations() {
        assert_eq!(g("*"), ["**/*"]);
        assert_eq!(g("*.js"), ["**/*.js"]);
        assert_eq!(g("apps/"), ["**/apps/**"]);
        assert_eq!(g("/docs/"), ["docs/**"]);
        assert_eq!(g("docs/*"), ["docs/*"]);
        assert_eq!(g("/apps/github"), ["apps/github", "apps/github/**"]);
        assert_eq!(g("**/logs"), ["**/logs", "**/logs/**"]);
        assert_eq!(g("/src/**"), ["src/**"]);
        assert_eq!(g("/"), ["**"]);
        assert_eq!(g("\\#notes"), ["**/#notes", "**/#notes/**"]);
        assert_eq!(g("a\\*b"), ["**/a[*]b", "**/a[*]b/**"]);
    }

    #[test]
    fn refusals() {
        assert!(globs("!foo").is_err());
        assert!(globs("[ab].js").is_err());
        assert!(globs("{a,b}").is_err());
        assert!(globs("foo\\").is_err());
        assert!(globs("").is_err());
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_path("./src/a.rs"), "src/a.rs");
        assert_eq!(normalize_path("/src/a.rs"), "src/a.rs");
        assert_eq!(normalize_path("src\\a.rs"), "src/a.rs");
    }
}
