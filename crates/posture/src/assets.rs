//! `posture assets list|set`: the portfolio's assets in the configuration file.

use crate::cli::{AssetsCommand, AssetsListArgs, AssetsSetArgs, OutputFormat};
use crate::output;
use anyhow::bail;
use posture_config::{Asset, Criticality, Environment, Exposure};
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: Option<&Path>, c: AssetsCommand) -> anyhow::Result<ExitCode> {
    let path = config.unwrap_or(Path::new(crate::risk::DEFAULT_CONFIG));
    match c {
        AssetsCommand::List(a) => list(path, a),
        AssetsCommand::Set(a) => set(path, *a),
    }
}

fn list(path: &Path, a: AssetsListArgs) -> anyhow::Result<ExitCode> {
    let assets = posture_app::assets::list_assets(path)?;
    print(&assets, a.output)?;
    Ok(ExitCode::SUCCESS)
}

/// An empty value clears the field.
fn one(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn many(v: Vec<String>) -> Vec<String> {
    v.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A vocabulary value: `Some(None)` clears it, an unknown spelling is an error.
fn word<T: Copy>(
    flag: &str,
    given: Option<&str>,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    show: fn(T) -> &'static str,
) -> anyhow::Result<Option<Option<T>>> {
    let Some(text) = given else { return Ok(None) };
    let text = text.trim();
    if text.is_empty() {
        return Ok(Some(None));
    }
    match parse(text) {
        Some(v) => Ok(Some(Some(v))),
        None => bail!(
            "invalid value `{text}` for {flag} (expected one of: {})",
            all.iter().map(|v| show(*v)).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn set(path: &Path, a: AssetsSetArgs) -> anyhow::Result<ExitCode> {
    if a.name.trim().is_empty() || a.name.trim() != a.name {
        bail!("invalid asset name `{}`", a.name);
    }
    // Check every value before touching the file.
    let criticality = word(
        "--criticality",
        a.criticality.as_deref(),
        Criticality::parse,
        Criticality::ALL,
        Criticality::as_str,
    )?;
    let environment = word(
        "--environment",
        a.environment.as_deref(),
        Environment::parse,
        Environment::ALL,
        Environment::as_str,
    )?;
    let exposure = word(
        "--exposure",
        a.exposure.as_deref(),
        Exposure::parse,
        Exposure::ALL,
        Exposure::as_str,
    )?;
    let asset = posture_app::assets::set_asset(path, &a.name, |spec| {
        if a.team.is_some() {
            spec.team = one(a.team);
        }
        if let Some(v) = criticality {
            spec.criticality = v;
        }
        if let Some(v) = environment {
            spec.environment = v;
        }
        if let Some(v) = exposure {
            spec.exposure = v;
        }
        if let Some(v) = a.data {
            spec.data = many(v);
        }
        if let Some(v) = a.compliance {
            spec.compliance = many(v);
        }
        if let Some(v) = a.tags {
            spec.tags = many(v);
        }
        if let Some(v) = a.repositories {
            spec.repositories = many(v);
        }
        if let Some(v) = a.images {
            spec.images = many(v);
        }
        if let Some(v) = a.urls {
            spec.urls = many(v);
        }
        if a.codeowners.is_some() {
            spec.codeowners = one(a.codeowners);
        }
    })?;
    match output::resolve(a.output) {
        OutputFormat::Json => output::json(&asset)?,
        fmt => {
            if fmt == OutputFormat::Table {
                println!("{}: asset {} written", path.display(), asset.name);
            }
            print(std::slice::from_ref(&asset), Some(fmt))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(assets: &[Asset], fmt: Option<OutputFormat>) -> anyhow::Result<()> {
    let opt = |v: Option<&str>| v.unwrap_or("-").to_string();
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    let header = [
        "ASSET",
        "TEAM",
        "CRITICALITY",
        "ENVIRONMENT",
        "EXPOSURE",
        "DATA",
        "TAGS",
        "REPOSITORIES",
    ];
    let rows: Vec<Vec<String>> = assets
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                opt(a.team.as_deref()),
                opt(a.criticality.map(|c| c.as_str())),
                opt(a.environment.map(|c| c.as_str())),
                opt(a.exposure.map(|c| c.as_str())),
                list(&a.data),
                list(&a.tags),
                list(&a.repositories),
            ]
        })
        .collect();
    match output::resolve(fmt) {
        OutputFormat::Json => output::json(&assets)?,
        OutputFormat::Csv => output::csv(
            &header
                .map(|h| h.to_ascii_lowercase())
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            rows,
        )?,
        OutputFormat::Table => output::table(&header, rows)?,
    }
    Ok(())
}
