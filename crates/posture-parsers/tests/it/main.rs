//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod cargo_audit;
mod bandit;
mod brakeman;
mod common;
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
mod sarif;
mod sca_support;
mod semgrep;
mod sonarqube;
mod spotbugs;
mod trivy;
mod yarn_audit;
