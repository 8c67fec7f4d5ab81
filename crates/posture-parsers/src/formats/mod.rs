//! One module per scanner format. Each module documents its severity mapping and what it
//! collapses or splits compared with the raw items of the report.

pub mod clair;
pub mod dependency_check_json;
pub mod dependency_check_xml;
pub mod dockle;
pub mod github_vulnerability;
pub mod gitleaks;
pub mod grype;
pub mod hadolint;
pub mod retirejs;
pub mod sarif;
pub mod semgrep;
pub mod snyk;
pub mod trivy;
pub mod trivy_operator;
