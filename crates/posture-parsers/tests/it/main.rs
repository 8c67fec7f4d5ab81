//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod checkov;
mod common;
mod detect_secrets;
mod detection;
mod gitleaks;
mod grype;
mod iacsec_support;
mod kics;
mod ripsecrets;
mod sarif;
mod semgrep;
mod terrascan;
mod tfsec;
mod trivy;
mod trufflehog;
mod trufflehog3;
mod whispers;
