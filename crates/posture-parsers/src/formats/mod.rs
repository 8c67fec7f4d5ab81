//! One module per scanner format. Each module documents its severity mapping and what it
//! collapses or splits compared with the raw items of the report.

pub mod checkov;
pub mod detect_secrets;
pub mod gitleaks;
pub mod grype;
pub mod kics;
pub mod ripsecrets;
pub mod sarif;
pub mod semgrep;
pub mod terrascan;
pub mod tfsec;
pub mod trivy;
pub mod trufflehog;
pub mod trufflehog3;
pub mod whispers;
