//! OWASP Dependency-Check reports: JSON and XML share one occurrence builder ([`json`]).

pub mod json;
pub mod xml;
