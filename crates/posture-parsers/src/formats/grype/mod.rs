//! Grype: the JSON report and JSON lines of its matches (one match model, [`json`]).

pub mod json;
pub mod jsonl;
