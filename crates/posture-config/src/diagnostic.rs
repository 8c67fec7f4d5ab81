//! Diagnostics with a source span, rendered rustc-style by `annotate-snippets`.

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

/// One problem in a configuration file, with its place in the text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `config::unknown-key` (see the table in the crate docs).
    pub code: &'static str,
    /// What is wrong, one line.
    pub message: String,
    /// Byte range in the source text (clamped to it and to character boundaries).
    pub span: Range<usize>,
    /// Short label shown under the span.
    pub label: String,
    /// How to fix it, when Posture knows ("did you mean `team`?").
    pub help: Option<String>,
    /// 1-based line of the span start.
    pub line: usize,
    /// 1-based column (in characters) of the span start.
    pub column: usize,
}

/// Every diagnostic found in one file, with the text they point into.
///
/// `Display` renders them all, plain (no colours), rustc-style; [`ConfigErrors::render`] can
/// add colours for a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    source_name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

/// How [`ConfigErrors::render`] decorates its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderStyle {
    /// No ANSI escapes (files, logs, snapshots).
    #[default]
    Plain,
    /// ANSI colours for a terminal.
    Styled,
}

impl ConfigErrors {
    /// Collects diagnostics of one file (sorted by position, duplicates dropped).
    pub fn new(source_name: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| {
            (a.span.start, a.span.end, a.code).cmp(&(b.span.start, b.span.end, b.code))
        });
        diagnostics.dedup();
        ConfigErrors {
            source_name: source_name.to_string(),
            source: source.to_string(),
            diagnostics,
        }
    }

    /// The diagnostics, in the order of the text.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The name the diagnostics point at (`posture.toml`, `.github/CODEOWNERS`).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The distinct codes, in the order of the text (handy for tests and metrics).
    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.code).collect()
    }

    /// Renders every diagnostic, then a summary line.
    pub fn render(&self, style: RenderStyle) -> String {
        let renderer = match style {
            RenderStyle::Plain => Renderer::plain(),
            RenderStyle::Styled => Renderer::styled(),
        };
        let mut out = String::new();
        for d in &self.diagnostics {
            let snippet = Snippet::source(self.source.as_str())
                .path(self.source_name.as_str())
                .annotation(
                    AnnotationKind::Primary
                        .span(d.span.clone())
                        .label(d.label.as_str()),
                );
            let mut group = Level::ERROR
                .primary_title(d.message.as_str())
                .id(d.code)
                .element(snippet);
            if let Some(help) = &d.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        let n = self.diagnostics.len();
        out.push_str(&format!(
            "error: {} has {n} error{}",
            self.source_name,
            if n == 1 { "" } else { "s" }
        ));
        out
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(RenderStyle::Plain))
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects diagnostics against one source text (also used by `posture-policy`).
pub struct Sink<'t> {
    text: &'t str,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'t> Sink<'t> {
    pub fn new(text: &'t str) -> Self {
        Sink {
            text,
            diagnostics: Vec::new(),
        }
    }

    pub fn push(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let span = clamp(self.text, span);
        let (line, column) = line_column(self.text, span.start);
        self.diagnostics.push(Diagnostic {
            code,
            message: message.into(),
            span,
            label: label.into(),
            help,
            line,
            column,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Clamps a span to the text and to character boundaries, so rendering never panics.
fn clamp(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    let mut end = span.end.min(text.len()).max(start);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    line_column(text, offset).0
}

/// "did you mean `x`?" for the closest candidate, if it is close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let t = "ab\nçd = 1\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 6), (2, 3));
    }

    #[test]
    fn clamping_keeps_spans_inside_the_text() {
        assert_eq!(clamp("é", 1..9), 0..2);
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..2;
        assert_eq!(clamp("abc", reversed), 3..3);
    }

    #[test]
    fn suggestions_only_when_close() {
        assert_eq!(
            did_you_mean("taem", ["team", "tags"]).as_deref(),
            Some("did you mean `team`?")
        );
        assert_eq!(did_you_mean("zzz", ["team", "tags"]), None);
    }
}
