//! Gitleaks reports: JSON, and CSV read into the same leak model ([`json`]).

pub mod csv;
pub mod json;
