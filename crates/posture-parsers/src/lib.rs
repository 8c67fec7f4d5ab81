//! Readers for scanner reports: bytes in, normalized [`ParsedReport`]s out.
//!
//! Each format is one file in [`formats`] implementing [`Parser`], and one line in
//! [`registry::PARSERS`]. The registry also auto-detects a report's format from its content
//! (never from its file name).
//!
//! Architecture invariant: this crate does no I/O (it is handed bytes), computes no
//! fingerprints (it hands the engine [`posture_model::IdentityHints`]), and never panics on
//! input: every problem is a [`ParseError`] (the report as a whole is unreadable) or a
//! [`posture_model::Diagnostic`] (one item was skipped, the rest is kept).
//!
//! Secrets: a parser that reads a secret scanner's output turns the secret into a
//! [`posture_model::SecretEvidence`] (hash + masked preview) immediately, and never copies the
//! plaintext into any other field (title, description, snippet, context).

pub mod coverage;
pub mod encoding;
mod error;
pub mod formats;
pub mod json;
mod registry;
mod sniff;
mod support;
pub mod xml;

pub use error::{ParseError, ParseErrorKind, Position};
pub use registry::{
    Choice, Chosen, DetectError, PARSERS, bare_empty_shape, choose, detect, parser_by_id,
    tool_named_by,
};
pub use sniff::Sniff;

use posture_model::{Category, ParsedReport};

/// How sure a parser is that a report is in its format. `0` means no; below
/// [`Confidence::MATCH`] means "resembles" (named in errors); at or above, a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Confidence(pub u8);

impl Confidence {
    pub const NO: Confidence = Confidence(0);
    pub const RESEMBLES: Confidence = Confidence(20);
    pub const MATCH: Confidence = Confidence(50);
    pub const CERTAIN: Confidence = Confidence(90);
}

/// An output with nothing in it that cannot say which tool wrote it. A tool that writes one
/// when it finds nothing declares it ([`Parser::bare_empty`]): such a file is a clean scan of
/// that tool when its format is given, or when its file name names the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareEmpty {
    /// A 0-byte (or whitespace-only) file: JSON-lines and text tools print nothing.
    Nothing,
    /// `[]`.
    EmptyArray,
    /// `null`.
    Null,
}

impl BareEmpty {
    pub fn as_str(self) -> &'static str {
        match self {
            BareEmpty::Nothing => "an empty file",
            BareEmpty::EmptyArray => "`[]`",
            BareEmpty::Null => "`null`",
        }
    }
}

/// One scanner format. Implementations are unit structs listed in [`PARSERS`].
///
/// The contract every parser meets (checked by the conformance tests):
/// * `parse` MUST NOT panic, whatever the bytes; it returns [`ParseError`] when the input is not
///   a readable report of this format, and a diagnostic for each item it had to skip;
/// * every occurrence carries a `locator` that points at its raw item in the report;
/// * severities are mapped with the table in the format's module documentation, and the tool's
///   own word is kept in `tool_severity`;
/// * the empty shapes of a format (`null`, `[]`, no results) parse as zero occurrences;
/// * `detect` looks only at the [`Sniff`] (the head of the file), so detection stays cheap on
///   reports of hundreds of megabytes.
pub trait Parser: Sync {
    /// Stable id, accepted by `--format` (`sarif`, `trivy-json`...).
    fn id(&self) -> &'static str;
    /// One line for `posture formats`.
    fn description(&self) -> &'static str;
    /// The categories its occurrences can have.
    fn categories(&self) -> &'static [Category];
    /// How likely the report is in this format, from its head.
    fn detect(&self, sniff: &Sniff<'_>) -> Confidence;
    /// Reads a whole report.
    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError>;
    /// The outputs this format's tool writes when it finds nothing and that do not name the
    /// tool (`[]`, `null`, nothing). Default: none, the tool always writes a document that
    /// says what it is (so a 0-byte file is a crashed scanner, never a clean scan).
    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[]
    }
}
