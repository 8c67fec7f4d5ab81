//! OpenVEX 0.2.0: one statement per finding that names a vulnerability id, with the status,
//! justification, impact or action statement from the triage decision ([`crate::vex`]).
//!
//! Products are named the way scanners that apply VEX (Trivy, Grype) match them: by purl.
//! - A finding in a container image: the product is the image (`pkg:oci/...?repository_url=...`,
//!   [`crate::oci_purl`]), the package a subcomponent.
//! - A package finding without an image (a repository's dependency): the product is the
//!   package's own purl, repeated as its subcomponent (a scanner matches either the product
//!   against the vulnerable package or the subcomponent).
//! - Anything else: the asset, `urn:posture:asset:<name>`.
//!
//! Each statement's `timestamp` is when its status was decided (the triage decision, the fix,
//! else the first sighting), not the export's time; the document's `timestamp` is the
//! export's. Each statement has an `@id` derived from the finding's stable uid, so statements
//! about one CVE in two places of one asset stay distinct.

use crate::purl::encode;
use crate::{
    ExportError, ExportFinding, Producer, content_uuid, oci_purl, purl_of, rfc3339, vex_decision,
};
use posture_model::Timestamp;
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
        .map(statement)
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

/// The product a statement is about ([module docs](self)).
fn product(f: &ExportFinding) -> Value {
    let package = f.package.as_ref().map(purl_of);
    let subcomponents = |purl: &str| json!([{"@id": purl, "identifiers": {"purl": purl}}]);
    if let Some(image) = f.image.as_deref().and_then(oci_purl) {
        let mut p = json!({"@id": image, "identifiers": {"purl": image}});
        if let Some(purl) = &package {
            p["subcomponents"] = subcomponents(purl);
        }
        return p;
    }
    match &package {
        Some(purl) => json!({
            "@id": purl,
            "identifiers": {"purl": purl},
            "subcomponents": subcomponents(purl),
        }),
        None => json!({"@id": format!("urn:posture:asset:{}", encode(&f.asset))}),
    }
}

fn statement(f: &ExportFinding) -> Value {
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
    let product = product(f);
    let mut s = json!({
        "@id": format!("urn:uuid:{}", content_uuid(&[f.uid.as_bytes()])),
        "vulnerability": vulnerability,
        "products": [product],
        "status": d.openvex_status,
        "timestamp": rfc3339(f.status_since),
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
            s["action_statement_timestamp"] = json!(rfc3339(f.status_since));
        }
        _ => s["status_notes"] = json!(d.statement),
    }
    s
}
