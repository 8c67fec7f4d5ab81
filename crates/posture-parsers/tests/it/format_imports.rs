//! The import rule of `src/formats/`: a format module uses only `crate::support`,
//! `crate::json`, `crate::xml`, the crate's root items (`Parser`, `ParseError`...) and its own
//! family folder. A helper a second family needs moves to `support`, so families never
//! reach into each other (read from the sources, like the workspace's architecture test).

use std::path::{Path, PathBuf};

/// Modules below `crate::` a format may name.
const SHARED: &[&str] = &["support", "json", "xml"];

/// The family of a file under `src/formats/` (`trivy/k8s.rs` → `trivy`; `sarif.rs` → none).
fn family(rel: &Path) -> Option<String> {
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_str()?.to_string();
    parts.next().map(|_| first)
}

/// The first path segment of each item a `crate::` / `super::` path names: `x::y` → `[x]`,
/// `{x, y::z}` → `[x, y]`.
fn first_segments(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0usize;
        let mut items = Vec::new();
        let mut cur = String::new();
        for c in group.chars() {
            match c {
                '{' => {
                    depth += 1;
                    cur.push(c);
                }
                '}' if depth == 0 => break,
                '}' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth == 0 => items.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        items.push(cur);
        items
            .iter()
            .flat_map(|i| first_segments(i.trim()))
            .filter(|s| !s.is_empty())
            .collect()
    } else {
        let seg: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '*')
            .collect();
        let after = &rest[seg.len()..];
        if seg == "formats" || seg == "super" {
            // keep the next segment: `formats::trivy`, `super::super::x`
            if let Some(next) = after.strip_prefix("::") {
                return first_segments(next)
                    .into_iter()
                    .map(|n| format!("{seg}::{n}"))
                    .collect();
            }
        }
        vec![seg]
    }
}

/// Every path a file names through `crate::` or `super::` that breaks the rule.
fn violations(rel: &Path, source: &str) -> Vec<String> {
    let fam = family(rel);
    let mut out = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for (prefix, is_super) in [("crate::", false), ("super::", true)] {
            let mut from = 0;
            while let Some(at) = code[from..].find(prefix) {
                let start = from + at;
                from = start + prefix.len();
                // a path, not the tail of another word (`my_crate::`)
                if code[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                {
                    continue;
                }
                for seg in first_segments(&code[from..]) {
                    let ok = if is_super {
                        // `super::*` (a test module's parent) or a sibling in the own family
                        seg == "*" || (fam.is_some() && !seg.starts_with("super::"))
                    } else if let Some(f) = seg.strip_prefix("formats::") {
                        fam.as_deref() == Some(f)
                    } else {
                        SHARED.contains(&seg.as_str())
                            || seg.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    };
                    if !ok {
                        out.push(format!(
                            "{}:{}: {prefix}{seg}",
                            Path::new("src/formats").join(rel).display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir)
        .expect("src/formats is readable")
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn formats_import_only_support_json_xml_and_their_family() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/formats");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 50, "only {} format files found", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).expect("below src/formats");
        if rel == Path::new("mod.rs") {
            continue;
        }
        let source = std::fs::read_to_string(f).expect("source is UTF-8");
        bad.extend(violations(rel, &source));
    }
    assert!(
        bad.is_empty(),
        "format modules reaching outside support/json/xml and their own family \
         (move the helper to src/support/):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_rule_catches_a_format_importing_another_family() {
    let v = |rel: &str, src: &str| violations(Path::new(rel), src);
    // allowed
    assert!(v("trivy/k8s.rs", "use super::json::{Ctx, emit};").is_empty());
    assert!(v("trivy/k8s.rs", "use crate::formats::trivy::json::Ctx;").is_empty());
    assert!(v("sarif.rs", "use crate::support::{non_empty, trimmed};").is_empty());
    assert!(v("sarif.rs", "use crate::json::{self, null_default};").is_empty());
    assert!(
        v(
            "sarif.rs",
            "use crate::{Confidence, ParseError, Parser, Sniff};"
        )
        .is_empty()
    );
    assert!(v("sarif.rs", "mod tests {\n    use super::*;\n}").is_empty());
    assert!(
        v(
            "sarif.rs",
            "#[serde(deserialize_with = \"crate::support::present_list\")]"
        )
        .is_empty()
    );
    assert!(
        v(
            "sarif.rs",
            "// see crate::formats::trivy::json for the table"
        )
        .is_empty()
    );
    // another family, another format, a module that is not shared
    assert_eq!(
        v("grype/json.rs", "use crate::formats::trivy::json::Ctx;"),
        ["src/formats/grype/json.rs:1: crate::formats::trivy"]
    );
    assert_eq!(
        v("grype/json.rs", "use super::super::trivy::json::Ctx;"),
        ["src/formats/grype/json.rs:1: super::super::trivy"]
    );
    assert_eq!(
        v("gosec.rs", "use super::bandit::{flagged_code, reshape};"),
        ["src/formats/gosec.rs:1: super::bandit"]
    );
    assert_eq!(
        v(
            "zap/xml.rs",
            "use crate::{Parser, formats::burp::xml::join_url};"
        ),
        ["src/formats/zap/xml.rs:1: crate::formats::burp"]
    );
    assert_eq!(
        v("clair.rs", "let x = crate::encoding::decode(b);"),
        ["src/formats/clair.rs:1: crate::encoding"]
    );
    assert_eq!(
        v(
            "clair.rs",
            "#[serde(deserialize_with = \"super::bandit::present_list\")]"
        ),
        ["src/formats/clair.rs:1: super::bandit"]
    );
}
