//! Editing the portfolio's assets in `posture.toml` (`posture assets list|set`).
//!
//! The file is read whole, edited with `posture_config::upsert_asset` (comments and order
//! kept) and written back atomically: a temporary file next to it, then a rename. A change
//! that would make the configuration invalid (an unknown team...) writes nothing and returns
//! the rendered diagnostics.

use crate::AppError;
use posture_config::{Asset, AssetSpec, Portfolio, RenderStyle};
use std::io::Write as _;
use std::path::Path;

/// The text of the configuration file; an absent file reads as empty.
fn read_text(path: &Path) -> Result<String, AppError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(AppError::Read {
            file: path.display().to_string(),
            error,
        }),
    }
}

fn parse(path: &Path, text: &str) -> Result<Portfolio, AppError> {
    posture_config::parse_portfolio(&path.display().to_string(), text)
        .map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))
}

/// The assets of the configuration file (none when it does not exist).
pub fn list_assets(path: &Path) -> Result<Vec<Asset>, AppError> {
    let text = read_text(path)?;
    Ok(parse(path, &text)?.assets().to_vec())
}

/// Adds or changes one asset: `edit` receives the asset as configured (or a new one with only
/// its name) and changes it. Returns the asset as written. The file (created if absent) is
/// left untouched when the result would not be valid.
pub fn set_asset(
    path: &Path,
    name: &str,
    edit: impl FnOnce(&mut AssetSpec),
) -> Result<Asset, AppError> {
    let text = read_text(path)?;
    let before = parse(path, &text)?;
    let mut spec = before.asset(name).cloned().unwrap_or_else(|| Asset {
        name: name.to_string(),
        ..Asset::default()
    });
    edit(&mut spec);
    spec.name = name.to_string();
    let mut out = posture_config::upsert_asset(&text, &spec)
        .map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let after = parse(path, &out)?;
    if out != text || !path.exists() {
        write_atomically(path, &out)?;
    }
    after
        .asset(name)
        .cloned()
        .ok_or_else(|| AppError::Invalid(format!("{}: asset `{name}` not written", path.display())))
}

/// Writes `text` to a temporary file in the same folder, then renames it over `path`.
fn write_atomically(path: &Path, text: &str) -> Result<(), AppError> {
    let err = |error| AppError::Write {
        file: path.display().to_string(),
        error,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "posture.toml".into());
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
