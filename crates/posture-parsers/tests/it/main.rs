//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod cargo_audit;
mod common;
mod detection;
mod gitleaks;
mod govulncheck;
mod grype;
mod nancy;
mod npm_audit;
mod osv_scanner;
mod pip_audit;
mod safety;
mod sarif;
mod sca_support;
mod semgrep;
mod trivy;
mod yarn_audit;
