//! One module per scanner format. Each module documents its severity mapping and what it
//! collapses or splits compared with the raw items of the report.

pub mod bandit;
pub mod brakeman;
pub mod cargo_audit;
pub mod checkov;
pub mod detect_secrets;
pub mod eslint;
pub mod flake8;
pub mod github_code_scanning;
pub mod gitleaks;
pub mod gosec;
pub mod govulncheck;
pub mod grype;
pub mod kics;
pub mod nancy;
pub mod npm_audit;
pub mod osv_scanner;
pub mod pip_audit;
pub mod ripsecrets;
pub mod safety;
pub mod sarif;
pub mod semgrep;
pub mod sonarqube;
pub mod spotbugs;
pub mod terrascan;
pub mod tfsec;
pub mod trivy;
pub mod trufflehog;
pub mod trufflehog3;
pub mod whispers;
pub mod yarn_audit;
