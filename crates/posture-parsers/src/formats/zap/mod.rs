//! OWASP ZAP: the XML and the JSON report, one alert model ([`xml`]).

pub mod json;
pub mod xml;
