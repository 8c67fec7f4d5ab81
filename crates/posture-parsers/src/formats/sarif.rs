//! Placeholder: being written (see the foundation issue). Detects nothing and reads nothing.

use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport};

pub struct Sarif;

impl Parser for Sarif {
    fn id(&self) -> &'static str {
        "sarif"
    }
    fn description(&self) -> &'static str {
        "sarif"
    }
    fn categories(&self) -> &'static [Category] {
        &[]
    }
    fn detect(&self, _s: &Sniff<'_>) -> Confidence {
        Confidence::NO
    }
    fn parse(&self, _input: &[u8]) -> Result<ParsedReport, ParseError> {
        Err(ParseError::shape("not implemented yet"))
    }
}
