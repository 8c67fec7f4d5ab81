//! Trivy: the JSON report, the Kubernetes cluster report (which embeds results of the JSON
//! report, read by [`json`]) and the Trivy Operator's custom resources.

pub mod json;
pub mod k8s;
pub mod operator;
