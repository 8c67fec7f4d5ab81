//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod cargo_audit;
mod bandit;
mod brakeman;
mod checkov;
mod common;
mod detect_secrets;
mod detection;
mod eslint;
mod flake8;
mod github_code_scanning;
mod gitleaks;
mod govulncheck;
mod gosec;
mod grype;
mod nancy;
mod npm_audit;
mod osv_scanner;
mod pip_audit;
mod safety;
mod iacsec_support;
mod kics;
mod ripsecrets;
mod sarif;
mod sca_support;
mod semgrep;
mod sonarqube;
mod spotbugs;
mod trivy;
mod yarn_audit;
mod terrascan;
mod tfsec;
mod trufflehog;
mod trufflehog3;
mod whispers;
