//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod clair;
mod common;
mod dependency_check;
mod detection;
mod dockle;
mod github_vulnerability;
mod gitleaks;
mod grype;
mod hadolint;
mod retirejs;
mod sarif;
mod semgrep;
mod snyk;
mod trivy;
mod trivy_operator;
