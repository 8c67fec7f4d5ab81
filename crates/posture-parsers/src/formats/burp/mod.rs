//! Burp Suite: the XML issue export and the REST API's scan issues, one severity table ([`xml`]).

pub mod api;
pub mod xml;
