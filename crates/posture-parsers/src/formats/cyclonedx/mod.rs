//! CycloneDX BOMs with vulnerabilities: JSON and XML read into one document model ([`json`]).

pub mod json;
pub mod xml;
