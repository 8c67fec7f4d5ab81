//! Rendering for people (tables) and scripts (JSON, CSV).

use crate::cli::OutputFormat;
use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use std::io::{IsTerminal, Write};

/// The format to print in: the one asked for, else a table on a terminal and JSON otherwise.
pub fn resolve(asked: Option<OutputFormat>) -> OutputFormat {
    asked.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        }
    })
}

/// Prints a value as pretty JSON followed by a newline.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints rows as a table with a header.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{t}")?;
    Ok(())
}

/// Prints rows as CSV with a header. Scanner text is untrusted: a cell a spreadsheet would
/// read as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+`, `-`, tab, CR first) is prefixed
/// with `'` (`posture_export::defuse`, as in `posture export`); a plain number
/// (`-3.5`, a score's move) is no formula and stays as it is.
pub fn csv(header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    w.write_record(header.iter().map(|h| cell(h).into_owned()))?;
    for r in rows {
        w.write_record(r.iter().map(|c| cell(c).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

/// One CSV cell, defused unless it is a plain number.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.trim() == text && !text.is_empty() && text.parse::<f64>().is_ok_and(f64::is_finite) {
        return text.into();
    }
    posture_export::defuse(text)
}

/// Shortens text for a table cell.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Prints rows as CSV or as a table (JSON callers serialize their records instead).
pub fn rows(fmt: OutputFormat, header: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
    if fmt == OutputFormat::Csv {
        csv(header, rows)
    } else {
        table(header, rows)
    }
}
