//! OpenVEX 0.2.0: one statement per finding that names a vulnerability id, with the status,
//! justification, impact or action statement from the triage decision ([`crate::vex`]).
//!
//! The product is the asset (`urn:posture:asset:<name>`), the package a subcomponent (its
//! purl). Each statement has an `@id` derived from the finding's stable uid, so statements about
//! one CVE in two places of one asset stay distinct.

use crate::purl::encode;
use crate::{ExportError, ExportFinding, Producer, content_uuid, purl_of, rfc3339, vex_decision};
use posture_model::{FindingStatus, Timestamp};
use serde_json::{Value, json};

/// Writes an OpenVEX 0.2.0 JSON document. Refuses when no finding names a vulnerability id:
/// an OpenVEX document needs at least one statement.
pub fn write_openvex(
    findings: &[ExportFinding],
    producer: &Producer,
    now: Timestamp,
) -> Result<Vec<u8>, ExportError> {
    let statements: Vec<Value> = findings
        .iter()
        .filter(|f| f.primary_vulnerability().is_some())
        .map(|f| statement(f, now))
        .collect();
    if statements.is_empty() {
        return Err(ExportError::Empty(
            "no finding with a vulnerability id matches: an OpenVEX document needs at least one statement"
                .into(),
        ));
    }
    let body = serde_json::to_vec(&statements)?;
    let id = content_uuid(&[&body, rfc3339(now).as_bytes()]);
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:uuid:{id}"),
        "author": producer.author,
        "role": "Document Creator",
        "timestamp": rfc3339(now),
        "version": 1,
        "tooling": format!("{} {}", producer.name, producer.version),
        "statements": statements,
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

fn statement(f: &ExportFinding, now: Timestamp) -> Value {
    let primary = f.primary_vulnerability().unwrap_or_default();
    let d = vex_decision(f);
    let mut vulnerability = json!({"name": primary, "description": f.title});
    let aliases: Vec<&String> = f
        .vulnerability_ids
        .iter()
        .filter(|id| id.as_str() != primary)
        .collect();
    if !aliases.is_empty() {
        vulnerability["aliases"] = json!(aliases);
    }
    let mut product = json!({"@id": format!("urn:posture:asset:{}", encode(&f.asset))});
    if let Some(p) = &f.package {
        let purl = purl_of(p);
        product["subcomponents"] = json!([{"@id": purl, "identifiers": {"purl": purl}}]);
    }
    let mut s = json!({
        "@id": format!("urn:uuid:{}", content_uuid(&[f.uid.as_bytes()])),
        "vulnerability": vulnerability,
        "products": [product],
        "status": d.openvex_status,
        "timestamp": rfc3339(if f.status == FindingStatus::Fixed { f.fixed_at.unwrap_or(now) } else { now }),
    });
    match d.openvex_status {
        "not_affected" => match d.openvex_justification {
            Some(j) => {
                s["justification"] = json!(j);
                s["status_notes"] = json!(d.statement);
            }
            None => s["impact_statement"] = json!(d.statement),
        },
        "affected" => {
            s["action_statement"] = json!(d.statement);
            s["action_statement_timestamp"] = json!(rfc3339(now));
        }
        _ => s["status_notes"] = json!(d.statement),
    }
    s
}
