//! Architecture invariants, checked by machine (see ARCHITECTURE.md).
//!
//! 1. Dependencies between Posture's crates go one way:
//!    model <- parsers, engine <- store <- app <- posture (binary).
//! 2. The pure crates (model, parsers, engine, demo, risk, config, policy, export) do no I/O:
//!    no file system, network, process, environment or clock access in their sources.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Posture crates `krate` depends on in its normal dependencies: `[dependencies]` in every
/// spelling TOML allows (`posture-x.workspace = true`, a `[dependencies.posture-x]` table) and
/// every `[target.'cfg(..)'.dependencies]`, read with a real TOML parser.
fn posture_deps(krate: &str) -> Vec<String> {
    posture_deps_at(&workspace(), krate)
}

fn posture_deps_at(root: &Path, krate: &str) -> Vec<String> {
    let path = root.join("crates").join(krate).join("Cargo.toml");
    let manifest = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{krate}: {e}"));
    let doc =
        toml::de::DeTable::parse(&manifest).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fn table<'a>(v: &toml::de::DeValue<'a>) -> Option<toml::de::DeTable<'a>> {
        match v {
            toml::de::DeValue::Table(t) => Some(t.clone()),
            _ => None,
        }
    }
    let mut tables = Vec::new();
    for (key, value) in doc.get_ref() {
        match key.get_ref().as_ref() {
            "dependencies" => tables.extend(table(value.get_ref())),
            "target" => {
                for target in table(value.get_ref())
                    .into_iter()
                    .flat_map(|t| t.into_iter())
                {
                    for (k, v) in table(target.1.get_ref()).into_iter().flatten() {
                        if k.get_ref() == "dependencies" {
                            tables.extend(table(v.get_ref()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut deps: Vec<String> = tables
        .iter()
        .flat_map(|t| t.keys())
        .map(|name| name.get_ref().to_string())
        .filter(|name| name.starts_with("posture-"))
        .collect();
    deps.sort();
    deps.dedup();
    deps
}

#[test]
fn manifest_reader_sees_every_spelling() {
    let doc = r#"
[dependencies]
posture-model.workspace = true
[dependencies.posture-store]
workspace = true
[target.'cfg(unix)'.dependencies]
posture-risk = { path = "../posture-risk" }
[dev-dependencies]
posture-demo.workspace = true
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let krate = dir.path().join("crates").join("probe");
    std::fs::create_dir_all(&krate).expect("mkdir");
    std::fs::write(krate.join("Cargo.toml"), doc).expect("write");
    let deps = posture_deps_at(dir.path(), "probe");
    assert_eq!(deps, ["posture-model", "posture-risk", "posture-store"]);
}

#[test]
fn crate_dependencies_go_one_way() {
    let allowed: &[(&str, &[&str])] = &[
        ("posture-model", &[]),
        ("posture-parsers", &["posture-model"]),
        ("posture-engine", &["posture-model"]),
        ("posture-demo", &["posture-model"]),
        ("posture-risk", &["posture-model"]),
        ("posture-config", &["posture-model"]),
        ("posture-policy", &["posture-config"]),
        ("posture-store", &["posture-engine", "posture-model"]),
        ("posture-export", &["posture-model"]),
        ("posture-integrations", &["posture-model", "posture-store"]),
        (
            "posture-app",
            &[
                "posture-config",
                "posture-engine",
                "posture-export",
                "posture-integrations",
                "posture-model",
                "posture-parsers",
                "posture-policy",
                "posture-risk",
                "posture-store",
            ],
        ),
        (
            "posture-server",
            &[
                "posture-app",
                "posture-model",
                "posture-parsers",
                "posture-risk",
                "posture-store",
            ],
        ),
    ];
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(workspace().join("crates")).expect("crates dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if name == "posture" {
            continue; // the binary may use every crate
        }
        if name == "posture-bench" {
            // the benchmarks measure the product from outside; nothing may depend on them
            continue;
        }
        let rule = allowed.iter().find(|(k, _)| *k == name).unwrap_or_else(|| {
            panic!("crate {name} has no rule here: add one and to ARCHITECTURE.md")
        });
        for dep in posture_deps(&name) {
            assert!(
                rule.1.contains(&dep.as_str()),
                "{name} must not depend on {dep} (ARCHITECTURE.md)"
            );
        }
        seen.push(name);
    }
    assert!(
        seen.len() >= 5,
        "expected the workspace crates, saw {seen:?}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn pure_crates_do_no_io() {
    let banned = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "File::open",
        "Timestamp::now",
        "SystemTime::now",
        "Instant::now",
        "rusqlite",
        "tokio",
    ];
    for krate in [
        "posture-model",
        "posture-parsers",
        "posture-engine",
        "posture-demo",
        "posture-risk",
        "posture-config",
        "posture-policy",
        "posture-export",
    ] {
        let mut files = Vec::new();
        rust_files(
            &workspace().join("crates").join(krate).join("src"),
            &mut files,
        );
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read");
            // unit tests at the bottom of a file may read fixtures
            let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
            for b in banned {
                assert!(
                    !code.contains(b),
                    "{} uses `{b}`: {krate} must stay pure (ARCHITECTURE.md)",
                    f.display()
                );
            }
        }
    }
}
