//! CycloneDX 1.6 VEX: a BOM whose `vulnerabilities` carry Posture's triage decisions as
//! `analysis` (state, justification, response, detail; mapping in [`crate::vex`]).
//!
//! Shape: one `application` component per asset (`bom-ref` `asset:<name>`; with the purl of
//! its image, `pkg:oci/...`, when the findings name one or posture.toml lists one), the affected
//! packages nested under it (`asset:<name>:<purl>`), and one vulnerability per finding that
//! names a vulnerability id (CVE first; the other ids as `references`), which `affects` the
//! package, or the application when the finding names no package. Findings without any
//! vulnerability id (a SAST rule, a misconfiguration) are not vulnerabilities in the VEX sense
//! and are left out.

use crate::{
    ExportError, ExportFinding, Producer, content_uuid, oci_purl, purl_of, rfc3339, vex_decision,
};
use posture_model::Timestamp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Writes a CycloneDX 1.6 JSON VEX document.
pub fn write_cyclonedx_vex(
    findings: &[ExportFinding],
    producer: &Producer,
    now: Timestamp,
) -> Result<Vec<u8>, ExportError> {
    let vulnerable: Vec<&ExportFinding> = findings
        .iter()
        .filter(|f| f.primary_vulnerability().is_some())
        .collect();
    // asset -> purl -> (name, version)
    let mut assets: BTreeMap<&str, BTreeMap<String, (String, Option<String>)>> = BTreeMap::new();
    let mut images: BTreeMap<&str, String> = BTreeMap::new();
    let mut vulnerabilities = Vec::with_capacity(vulnerable.len());
    for f in &vulnerable {
        if let Some(purl) = f.image.as_deref().and_then(oci_purl) {
            images.entry(f.asset.as_str()).or_insert(purl);
        }
        let packages = assets.entry(f.asset.as_str()).or_default();
        let affected = match &f.package {
            Some(p) => {
                let purl = purl_of(p);
                packages.insert(purl.clone(), (p.name.clone(), p.version.clone()));
                format!("asset:{}:{purl}", f.asset)
            }
            None => format!("asset:{}", f.asset),
        };
        vulnerabilities.push(vulnerability(f, affected));
    }
    let components: Vec<Value> = assets
        .iter()
        .map(|(asset, packages)| {
            let mut app = json!({
                "type": "application",
                "bom-ref": format!("asset:{asset}"),
                "name": asset,
            });
            if let Some(purl) = images.get(asset) {
                app["type"] = json!("container");
                app["purl"] = json!(purl);
            }
            if !packages.is_empty() {
                app["components"] = packages
                    .iter()
                    .map(|(purl, (name, version))| {
                        let mut c = json!({
                            "type": "library",
                            "bom-ref": format!("asset:{asset}:{purl}"),
                            "name": name,
                            "purl": purl,
                        });
                        if let Some(v) = version {
                            c["version"] = json!(v);
                        }
                        c
                    })
                    .collect();
            }
            app
        })
        .collect();
    let body = serde_json::to_vec(&vulnerabilities)?;
    let serial = content_uuid(&[&body, rfc3339(now).as_bytes()]);
    let mut metadata = json!({
        "timestamp": rfc3339(now),
        "tools": {"components": [{
            "type": "application",
            "name": producer.name,
            "version": producer.version,
        }]},
    });
    if assets.len() == 1
        && let Some(asset) = assets.keys().next()
    {
        metadata["component"] = json!({
            "type": "application",
            "bom-ref": format!("product:{asset}"),
            "name": asset,
        });
    }
    let doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

fn source_of(id: &str) -> Option<Value> {
    if id.starts_with("CVE-") {
        Some(json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")}))
    } else if id.starts_with("GHSA-") {
        Some(json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")}))
    } else if id.starts_with("RUSTSEC-") {
        Some(json!({"name": "RustSec", "url": format!("https://rustsec.org/advisories/{id}")}))
    } else if id.starts_with("GO-") || id.starts_with("PYSEC-") || id.starts_with("OSV-") {
        Some(json!({"name": "OSV", "url": format!("https://osv.dev/vulnerability/{id}")}))
    } else {
        None
    }
}

fn vulnerability(f: &ExportFinding, affected: String) -> Value {
    let primary = f.primary_vulnerability().unwrap_or_default();
    let d = vex_decision(f);
    let mut v = json!({
        "bom-ref": format!("finding:{}", f.uid),
        "id": primary,
        "description": f.title,
        "affects": [{"ref": affected}],
        "properties": [
            {"name": "posture:finding-id", "value": f.id.to_string()},
            {"name": "posture:status", "value": f.status.as_str()},
        ],
    });
    if let Some(s) = source_of(primary) {
        v["source"] = s;
    }
    let refs: Vec<Value> = f
        .vulnerability_ids
        .iter()
        .filter(|id| id.as_str() != primary)
        .map(|id| {
            let mut r = json!({"id": id});
            r["source"] = source_of(id).unwrap_or_else(|| json!({"name": "scanner"}));
            r
        })
        .collect();
    if !refs.is_empty() {
        v["references"] = json!(refs);
    }
    let mut rating = json!({"severity": f.severity.as_str()});
    if let Some(c) = &f.cvss {
        if let Some(s) = c.score.filter(|s| s.is_finite()) {
            rating["score"] = json!(s);
        }
        if let Some(vector) = &c.vector {
            rating["vector"] = json!(vector);
            rating["method"] = json!(if vector.starts_with("CVSS:4") {
                "CVSSv4"
            } else if vector.starts_with("CVSS:3.1") {
                "CVSSv31"
            } else if vector.starts_with("CVSS:3") {
                "CVSSv3"
            } else {
                "CVSSv2"
            });
        }
        rating["source"] = json!({"name": c.source});
    }
    v["ratings"] = json!([rating]);
    if !f.cwes.is_empty() {
        v["cwes"] = json!(f.cwes);
    }
    let mut analysis = json!({
        "state": d.cdx_state,
        "detail": d.statement,
        "firstIssued": rfc3339(f.first_seen),
        "lastUpdated": rfc3339(f.status_since.max(f.first_seen)),
    });
    if let Some(j) = d.cdx_justification {
        analysis["justification"] = json!(j);
    }
    if !d.cdx_response.is_empty() {
        analysis["response"] = json!(d.cdx_response);
    }
    v["analysis"] = analysis;
    if let Some(p) = &f.package
        && !p.fixed_versions.is_empty()
    {
        v["recommendation"] = json!(format!(
            "Upgrade {} to {}",
            p.name,
            p.fixed_versions.join(" or ")
        ));
    }
    v
}
