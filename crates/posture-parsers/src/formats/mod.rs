//! One module per scanner format. Each module documents its severity mapping and what it
//! collapses or splits compared with the raw items of the report.
//!
//! A family of formats that share a document model is a folder (`trivy/`, `zap/`...); a format
//! imports only `crate::support`, `crate::json`, `crate::xml` and its own family.

pub mod asff;
pub mod bandit;
pub mod brakeman;
pub mod burp;
pub mod cargo_audit;
pub mod checkov;
pub mod clair;
pub mod cyclonedx;
pub mod dependency_check;
pub mod detect_secrets;
pub mod dockle;
pub mod eslint;
pub mod flake8;
pub mod github_code_scanning;
pub mod github_vulnerability;
pub mod gitlab_security;
pub mod gitleaks;
pub mod gosec;
pub mod grype;
pub mod hadolint;
pub mod kics;
pub mod nancy;
pub mod npm;
pub mod nuclei;
pub mod openvex;
pub mod osv;
pub mod pip_audit;
pub mod retirejs;
pub mod ripsecrets;
pub mod safety;
pub mod sarif;
pub mod semgrep;
pub mod snyk;
pub mod sonarqube;
pub mod spdx_json;
pub mod spotbugs;
pub mod terrascan;
pub mod tfsec;
pub mod trivy;
pub mod trufflehog;
pub mod trufflehog3;
pub mod whispers;
pub mod zap;
