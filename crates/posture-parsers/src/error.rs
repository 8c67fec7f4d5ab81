use std::fmt;

/// Where in a report a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// 1-based line and column (JSON and XML readers know them).
    LineColumn { line: usize, column: usize },
    /// 0-based byte offset.
    Byte(u64),
    /// A JSON Pointer or XML path to the offending item.
    Pointer(String),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Position::Byte(b) => write!(f, "byte {b}"),
            Position::Pointer(p) => write!(f, "at {p}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not valid JSON/XML at all (syntax error).
    Syntax,
    /// The file ends in the middle of the document.
    Truncated,
    /// Valid syntax, but not the shape of this format.
    Shape,
    /// The file is empty.
    Empty,
    /// A version of the format Posture does not read.
    UnsupportedVersion,
    /// The report is the tool's error output, not results.
    ToolError,
    /// Over a size, depth or count limit.
    Limit,
}

/// The report as a whole cannot be read. Item-level problems are diagnostics instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
    pub position: Option<Position>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.position {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl ParseError {
    pub fn new(kind: ParseErrorKind, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            message: message.into(),
            position: None,
        }
    }

    pub fn shape(message: impl Into<String>) -> Self {
        Self::new(ParseErrorKind::Shape, message)
    }

    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// Converts a serde_json error, keeping its line and column and telling a truncated file
    /// from a syntax error from a shape mismatch.
    pub fn from_json(err: &serde_json::Error) -> Self {
        use serde_json::error::Category as C;
        let kind = match err.classify() {
            C::Eof => ParseErrorKind::Truncated,
            C::Syntax => ParseErrorKind::Syntax,
            C::Data => ParseErrorKind::Shape,
            C::Io => ParseErrorKind::Syntax,
        };
        let mut message = err.to_string();
        // serde_json appends " at line L column C": we carry those as a Position instead.
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        if kind == ParseErrorKind::Truncated {
            message = format!("the report is truncated ({message})");
        }
        let position = (err.line() > 0).then_some(Position::LineColumn {
            line: err.line(),
            column: err.column(),
        });
        ParseError {
            kind,
            message,
            position,
        }
    }
}
