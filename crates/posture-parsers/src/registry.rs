//! The list of formats Posture reads, and detection by content.

use crate::formats;
use crate::{Confidence, Parser, Sniff};

/// Every format Posture reads. Adding a format: one file in `formats/`, one line here, its
/// fixtures (see CONTRIBUTING.md). Order matters only for documentation.
pub static PARSERS: &[&dyn Parser] = &[
    &formats::sarif::Sarif,
    &formats::trivy::Trivy,
    &formats::grype::Grype,
    &formats::semgrep::Semgrep,
    &formats::gitleaks::Gitleaks,
    &formats::osv_scanner::OsvScanner,
    &formats::npm_audit::NpmAudit,
    &formats::yarn_audit::YarnAudit,
    &formats::pip_audit::PipAudit,
    &formats::safety::Safety,
    &formats::cargo_audit::CargoAudit,
    &formats::govulncheck::Govulncheck,
    &formats::nancy::Nancy,
    &formats::bandit::Bandit,
    &formats::gosec::Gosec,
    &formats::brakeman::Brakeman,
    &formats::spotbugs::SpotBugs,
    &formats::eslint::Eslint,
    &formats::github_code_scanning::GithubCodeScanning,
    &formats::flake8::Flake8,
    &formats::sonarqube::SonarQube,
    &formats::checkov::Checkov,
    &formats::tfsec::Tfsec,
    &formats::kics::Kics,
    &formats::terrascan::Terrascan,
    &formats::trufflehog::Trufflehog,
    &formats::trufflehog3::Trufflehog3,
    &formats::detect_secrets::DetectSecrets,
    &formats::whispers::Whispers,
    &formats::ripsecrets::Ripsecrets,
    &formats::zap_xml::ZapXml,
    &formats::zap_json::ZapJson,
    &formats::nuclei::Nuclei,
    &formats::burp_xml::BurpXml,
    &formats::burp_api::BurpApi,
    &formats::cyclonedx_json::CycloneDxJson,
    &formats::cyclonedx_xml::CycloneDxXml,
    &formats::openvex::OpenVex,
    &formats::hadolint::Hadolint,
    &formats::dockle::Dockle,
    &formats::clair::Clair,
    &formats::github_vulnerability::GithubVulnerability,
    &formats::retirejs::Retirejs,
    &formats::snyk::Snyk,
    &formats::dependency_check_json::DependencyCheckJson,
    &formats::dependency_check_xml::DependencyCheckXml,
    &formats::trivy_operator::TrivyOperator,
    &formats::gitleaks_csv::GitleaksCsv,
    &formats::grype_jsonl::GrypeJsonl,
    &formats::asff::Asff,
    &formats::gitlab_security::GitlabSecurity,
    &formats::trivy_k8s::TrivyK8s,
    &formats::spdx_json::SpdxJson,
];

/// Looks a parser up by its `--format` id.
pub fn parser_by_id(id: &str) -> Option<&'static dyn Parser> {
    PARSERS.iter().copied().find(|p| p.id() == id)
}

/// Why no single format was detected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("the file is empty; pass --format if an empty file is a valid report of your tool")]
    Empty,
    #[error("not a report in any format Posture reads{}", resembled(.resembles))]
    NotRecognized { resembles: Vec<&'static str> },
    #[error("the report matches several formats equally ({}); pass --format", .candidates.join(", "))]
    Ambiguous { candidates: Vec<&'static str> },
}

fn resembled(r: &[&'static str]) -> String {
    if r.is_empty() {
        " (it resembles none of them)".to_string()
    } else {
        format!(
            " (it resembles {}; pass --format to read it as one)",
            r.join(", ")
        )
    }
}

/// Detects the format of a report from its content.
pub fn detect(input: &[u8]) -> Result<&'static dyn Parser, DetectError> {
    let sniff = Sniff::new(input);
    if crate::json::is_blank(input) {
        return Err(DetectError::Empty);
    }
    if sniff.head.is_empty() {
        // not UTF-8 from its first byte (binary, compressed, UTF-16): not "empty"
        return Err(DetectError::NotRecognized { resembles: vec![] });
    }
    let mut scored: Vec<(Confidence, &'static dyn Parser)> = PARSERS
        .iter()
        .map(|p| (p.detect(&sniff), *p))
        .filter(|(c, _)| *c > Confidence::NO)
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    match scored.as_slice() {
        [] => Err(DetectError::NotRecognized { resembles: vec![] }),
        [(best, p), rest @ ..] if *best >= Confidence::MATCH => {
            let tied: Vec<&'static str> = rest
                .iter()
                .filter(|(c, _)| c == best)
                .map(|(_, p)| p.id())
                .collect();
            if tied.is_empty() {
                Ok(*p)
            } else {
                let mut candidates = vec![p.id()];
                candidates.extend(tied);
                Err(DetectError::Ambiguous { candidates })
            }
        }
        weak => Err(DetectError::NotRecognized {
            resembles: weak.iter().map(|(_, p)| p.id()).collect(),
        }),
    }
}
