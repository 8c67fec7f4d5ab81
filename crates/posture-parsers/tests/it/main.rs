//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod burp_api;
mod burp_xml;
mod common;
mod cyclonedx_json;
mod cyclonedx_xml;
mod dast_sbom_detection;
mod detection;
mod gitleaks;
mod grype;
mod nuclei;
mod openvex;
mod sarif;
mod semgrep;
mod trivy;
mod zap_json;
mod zap_xml;
