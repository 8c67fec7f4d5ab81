//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod bandit;
mod brakeman;
mod cargo_audit;
mod checkov;
mod common;
mod detect_secrets;
mod burp_api;
mod burp_xml;
mod cyclonedx_json;
mod cyclonedx_xml;
mod dast_sbom_detection;
mod detection;
mod eslint;
mod flake8;
mod github_code_scanning;
mod gitleaks;
mod gosec;
mod govulncheck;
mod grype;
mod iacsec_support;
mod kics;
mod nancy;
mod npm_audit;
mod osv_scanner;
mod pip_audit;
mod ripsecrets;
mod safety;
mod nuclei;
mod openvex;
mod sarif;
mod sca_support;
mod semgrep;
mod sonarqube;
mod spotbugs;
mod terrascan;
mod tfsec;
mod trivy;
mod trufflehog;
mod trufflehog3;
mod whispers;
mod yarn_audit;
mod zap_json;
mod zap_xml;
