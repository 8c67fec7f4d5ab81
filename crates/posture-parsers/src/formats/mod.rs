//! One module per scanner format. Each module documents its severity mapping and what it
//! collapses or splits compared with the raw items of the report.

pub mod burp_api;
pub mod burp_xml;
pub mod cyclonedx_json;
pub mod cyclonedx_xml;
pub mod gitleaks;
pub mod grype;
pub mod nuclei;
pub mod openvex;
pub mod sarif;
pub mod semgrep;
pub mod trivy;
pub mod zap_json;
pub mod zap_xml;
