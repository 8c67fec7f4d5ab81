//! From a finding's triage state to a VEX decision, once, for both VEX formats.
//!
//! | Posture status | OpenVEX | CycloneDX `analysis.state` / `response` |
//! |---|---|---|
//! | open (no decision yet) | `under_investigation` | `in_triage` |
//! | confirmed, in-progress | `affected` (action: upgrade to the fixed version, else "no fix yet") | `exploitable` / `update` or `can_not_fix` |
//! | accepted (risk accepted) | `affected` (action: the acceptance and its reason) | `exploitable` / `will_not_fix` |
//! | not-affected | `not_affected` with the justification named in the reason, else the reason as impact statement | `not_affected` with the matching justification |
//! | false-positive | `not_affected` with the reason as impact statement | `false_positive` |
//! | fixed | `fixed` | `resolved` |
//!
//! A not-affected justification is read from the triage reason: either format's vocabulary
//! (`vulnerable_code_not_in_execute_path`, `code_not_reachable`...) at its start, as
//! `posture triage --state not-affected --reason "code_not_reachable: only used in tests"` writes it.

use crate::ExportFinding;
use posture_model::FindingStatus;

/// What a VEX document says of one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDecision {
    /// OpenVEX status.
    pub openvex_status: &'static str,
    /// OpenVEX justification (only for `not_affected`, when the reason names one).
    pub openvex_justification: Option<&'static str>,
    /// CycloneDX `analysis.state`.
    pub cdx_state: &'static str,
    /// CycloneDX `analysis.justification`.
    pub cdx_justification: Option<&'static str>,
    /// CycloneDX `analysis.response`.
    pub cdx_response: Vec<&'static str>,
    /// The human text: impact statement (not affected), action statement (affected), detail.
    pub statement: String,
}

/// Justifications of both formats, each pair meaning the same.
const JUSTIFICATIONS: &[(&str, &str)] = &[
    ("component_not_present", "code_not_present"),
    ("vulnerable_code_not_present", "code_not_present"),
    ("vulnerable_code_not_in_execute_path", "code_not_reachable"),
    (
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "requires_environment",
    ),
    (
        "inline_mitigations_already_exist",
        "protected_by_mitigating_control",
    ),
];

/// CycloneDX-only justifications, and the closest OpenVEX one.
const CDX_ONLY: &[(&str, &str)] = &[
    (
        "requires_configuration",
        "vulnerable_code_cannot_be_controlled_by_adversary",
    ),
    ("requires_dependency", "component_not_present"),
    ("protected_by_compiler", "inline_mitigations_already_exist"),
    ("protected_at_runtime", "inline_mitigations_already_exist"),
    ("protected_at_perimeter", "inline_mitigations_already_exist"),
];

/// (OpenVEX, CycloneDX) justification named at the start of a triage reason.
fn justification_in(reason: &str) -> Option<(&'static str, &'static str)> {
    let head = reason
        .trim()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace('-', "_");
    if head.is_empty() {
        return None;
    }
    for (ov, cdx) in JUSTIFICATIONS {
        if head == *ov || head == *cdx {
            return Some((ov, cdx));
        }
    }
    CDX_ONLY
        .iter()
        .find(|(cdx, _)| head == *cdx)
        .map(|(cdx, ov)| (*ov, *cdx))
}

/// The VEX decision for one finding, from its status and triage reason.
pub fn vex_decision(f: &ExportFinding) -> VexDecision {
    let reason = f
        .triage_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let fix = f
        .package
        .as_ref()
        .filter(|p| !p.fixed_versions.is_empty())
        .map(|p| format!("Upgrade {} to {}.", p.name, p.fixed_versions.join(" or ")));
    match f.status {
        FindingStatus::Open => VexDecision {
            openvex_status: "under_investigation",
            openvex_justification: None,
            cdx_state: "in_triage",
            cdx_justification: None,
            cdx_response: Vec::new(),
            statement: format!("Reported by {}; not triaged yet.", f.tools.join(", ")),
        },
        FindingStatus::Confirmed | FindingStatus::InProgress => VexDecision {
            openvex_status: "affected",
            openvex_justification: None,
            cdx_state: "exploitable",
            cdx_justification: None,
            cdx_response: vec![if fix.is_some() {
                "update"
            } else {
                "can_not_fix"
            }],
            statement: match (&fix, reason) {
                (Some(fix), _) => fix.clone(),
                (None, Some(r)) => format!("No fixed version is known yet: {r}"),
                (None, None) => "No fixed version is known yet.".to_string(),
            },
        },
        FindingStatus::Accepted => VexDecision {
            openvex_status: "affected",
            openvex_justification: None,
            cdx_state: "exploitable",
            cdx_justification: None,
            cdx_response: vec!["will_not_fix"],
            statement: format!(
                "Risk accepted{}",
                reason
                    .map(|r| format!(": {r}"))
                    .unwrap_or_else(|| ".".into())
            ),
        },
        FindingStatus::NotAffected => {
            let j = reason.and_then(justification_in);
            VexDecision {
                openvex_status: "not_affected",
                openvex_justification: j.map(|(ov, _)| ov),
                cdx_state: "not_affected",
                cdx_justification: j.map(|(_, cdx)| cdx),
                cdx_response: Vec::new(),
                statement: reason
                    .map(str::to_string)
                    .unwrap_or_else(|| "Not affected (no reason recorded).".into()),
            }
        }
        FindingStatus::FalsePositive => VexDecision {
            openvex_status: "not_affected",
            openvex_justification: None,
            cdx_state: "false_positive",
            cdx_justification: None,
            cdx_response: Vec::new(),
            statement: format!(
                "False positive{}",
                reason
                    .map(|r| format!(": {r}"))
                    .unwrap_or_else(|| ".".into())
            ),
        },
        FindingStatus::Fixed => VexDecision {
            openvex_status: "fixed",
            openvex_justification: None,
            cdx_state: "resolved",
            cdx_justification: None,
            cdx_response: Vec::new(),
            statement: "No longer reported by any scanner.".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_justifications_of_both_vocabularies() {
        assert_eq!(
            justification_in("code_not_reachable: only in tests"),
            Some(("vulnerable_code_not_in_execute_path", "code_not_reachable"))
        );
        assert_eq!(
            justification_in("vulnerable-code-not-present"),
            Some(("vulnerable_code_not_present", "code_not_present"))
        );
        assert_eq!(
            justification_in("protected_at_perimeter (WAF rule 12)"),
            Some(("inline_mitigations_already_exist", "protected_at_perimeter"))
        );
        assert_eq!(justification_in("we think it is fine"), None);
    }
}
