//! OCSF `vulnerability_finding` (class 2002, category 2 Findings), schema version
//! [`OCSF_VERSION`], as JSON lines: one event per finding, a snapshot of its state now.
//!
//! | Posture | OCSF |
//! |---|---|
//! | severity info/low/medium/high/critical | `severity_id` 1/2/3/4/5 |
//! | open / confirmed, in-progress / accepted, false-positive, not-affected / fixed | `status_id` 1 New / 2 In Progress / 3 Suppressed / 4 Resolved |
//! | new and never changed / changed (triaged, reopened) / fixed | `activity_id` 1 Create / 2 Update / 3 Close |
//! | stable uid, first/last seen | `finding_info.uid`, `first_seen_time`, `last_seen_time` |
//! | CVE (else CWE, else the rule as an advisory) | `vulnerabilities[].cve` / `.cwe` / `.advisory` (the schema allows exactly one) |
//! | package, fixed versions | `affected_packages[]`, `is_fix_available` |
//! | file and lines | `affected_code[]` |
//! | asset, owning team | `resources[]` (type `Application`, `group`) |

use crate::{ExportError, ExportFinding, Producer, purl_of};
use posture_model::{FindingStatus, Severity, Timestamp};
use serde_json::{Value, json};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.5.0";

/// Writes one OCSF event per finding, one JSON object per line.
pub fn write_ocsf(
    findings: &[ExportFinding],
    producer: &Producer,
    now: Timestamp,
) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::new();
    for f in findings {
        serde_json::to_writer(&mut out, &event(f, producer, now))?;
        out.push(b'\n');
    }
    Ok(out)
}

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

fn status(s: FindingStatus) -> (u8, &'static str) {
    match s {
        FindingStatus::Open => (1, "New"),
        FindingStatus::Confirmed | FindingStatus::InProgress => (2, "In Progress"),
        FindingStatus::Accepted | FindingStatus::FalsePositive | FindingStatus::NotAffected => {
            (3, "Suppressed")
        }
        FindingStatus::Fixed => (4, "Resolved"),
    }
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn event(f: &ExportFinding, producer: &Producer, now: Timestamp) -> Value {
    let (severity_id, severity_name) = severity(f.severity);
    let (status_id, status_name) = status(f.status);
    let (activity_id, activity_name) = match f.status {
        FindingStatus::Fixed => (3, "Close"),
        FindingStatus::Open if f.reopened == 0 => (1, "Create"),
        _ => (2, "Update"),
    };
    let product = json!({
        "name": "Posture",
        "vendor_name": "Posture",
        "version": producer.version,
    });
    let mut finding_info = json!({
        "uid": f.uid,
        "uid_alt": f.id.to_string(),
        "title": f.title,
        "first_seen_time": ms(f.first_seen),
        "last_seen_time": ms(f.last_seen),
        "created_time": ms(f.first_seen),
        "types": [f.category.as_str()],
        "product": product.clone(),
    });
    if let Some(d) = &f.description {
        finding_info["desc"] = json!(d);
    }
    let mut resource = json!({
        "uid": f.asset,
        "name": f.asset,
        "type": "Application",
    });
    if let Some(team) = &f.team {
        resource["group"] = json!({"name": team});
    }
    let mut e = json!({
        "activity_id": activity_id,
        "activity_name": activity_name,
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2002,
        "class_name": "Vulnerability Finding",
        "type_uid": 200200 + activity_id,
        "type_name": format!("Vulnerability Finding: {activity_name}"),
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": status_id,
        "status": status_name,
        "time": ms(now),
        "message": f.title,
        "finding_info": finding_info,
        "vulnerabilities": [vulnerability(f, severity_name)],
        "resources": [resource],
        "metadata": {
            "product": product,
            "version": crate::OCSF_VERSION,
            "uid": format!("{}@{}", f.uid, ms(now)),
        },
    });
    if let Some(reason) = &f.triage_reason {
        e["status_detail"] = json!(reason);
    }
    if let Some(fixed) = f.fixed_at {
        e["end_time"] = json!(ms(fixed));
    }
    e
}

fn vulnerability(f: &ExportFinding, severity_name: &str) -> Value {
    let mut v = json!({
        "title": f.title,
        "severity": severity_name,
        "first_seen_time": ms(f.first_seen),
        "last_seen_time": ms(f.last_seen),
        "vendor_name": f.tools.join(", "),
    });
    if let Some(d) = &f.description {
        v["desc"] = json!(d);
    }
    // The schema allows exactly one of cve, cwe, advisory.
    if let Some(cve) = f.cves().first() {
        let mut c = json!({"uid": cve});
        if let Some(r) = &f.cvss
            && let Some(score) = r.score.filter(|s| s.is_finite())
        {
            let version = match r.vector.as_deref() {
                Some(v) if v.starts_with("CVSS:4.0") => "4.0",
                Some(v) if v.starts_with("CVSS:3.1") => "3.1",
                Some(v) if v.starts_with("CVSS:3.0") => "3.0",
                Some(_) => "2.0",
                None => "3.1",
            };
            let mut cvss =
                json!({"base_score": score, "version": version, "vendor_name": r.source});
            if let Some(vector) = &r.vector {
                cvss["vector_string"] = json!(vector);
            }
            c["cvss"] = json!([cvss]);
        }
        if !f.cwes.is_empty() {
            c["related_cwes"] = f
                .cwes
                .iter()
                .map(|w| json!({"uid": w.to_string()}))
                .collect();
        }
        v["cve"] = c;
    } else if let Some(cwe) = f.cwes.first() {
        v["cwe"] = json!({"uid": cwe.to_string()});
    } else {
        let uid = f
            .vulnerability_ids
            .first()
            .cloned()
            .unwrap_or_else(|| f.rule_id.clone());
        v["advisory"] = json!({"uid": uid, "title": f.title});
    }
    if !f.references.is_empty() {
        v["references"] = json!(f.references);
    }
    if let Some(p) = &f.package {
        let mut pkg = json!({
            "name": p.name,
            "version": p.version.clone().unwrap_or_else(|| "unknown".into()),
            "purl": purl_of(p),
        });
        if let Some(eco) = &p.ecosystem {
            pkg["package_manager"] = json!(eco);
        }
        if let Some(fixed) = p.fixed_versions.first() {
            pkg["fixed_in_version"] = json!(fixed);
        }
        if let Some(path) = &f.location.path {
            pkg["path"] = json!(path);
        }
        v["affected_packages"] = json!([pkg]);
        v["is_fix_available"] = json!(!p.fixed_versions.is_empty());
    } else if let Some(path) = &f.location.path {
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut code = json!({"file": {"name": name, "path": path, "type_id": 1}});
        if let Some(l) = f.location.start_line {
            code["start_line"] = json!(l);
        }
        if let Some(l) = f.location.end_line {
            code["end_line"] = json!(l);
        }
        v["affected_code"] = json!([code]);
    }
    v
}
