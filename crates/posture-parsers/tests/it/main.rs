//! Parser tests: fixtures of our own, the shared corpus of real reports, snapshots.
//!
//! One test binary (modules below) keeps link time down.

mod bandit;
mod brakeman;
mod common;
mod detection;
mod eslint;
mod flake8;
mod github_code_scanning;
mod gitleaks;
mod gosec;
mod grype;
mod sarif;
mod semgrep;
mod sonarqube;
mod spotbugs;
mod trivy;
