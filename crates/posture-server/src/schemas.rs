//! OpenAPI schemas of the JSON the API shares with the CLI (`posture findings --output json`,
//! `posture explain`, `posture ingest --output json`...): those values come from the store and
//! the app as they are, so their schemas are written here, next to each other, and the API
//! tests validate real answers against them. The values are kept as serialized JSON (in the
//! field order the CLI prints), never rebuilt as maps.

use serde::Serialize;
use serde_json::json;
use std::borrow::Cow;
use utoipa::openapi::{RefOr, Schema};

/// Parses a schema written as JSON. The schemas are constants checked by the unit test below;
/// should one not parse, it degrades to "any value" rather than failing a request.
fn schema_from(value: serde_json::Value) -> RefOr<Schema> {
    serde_json::from_value(value)
        .unwrap_or_else(|_| RefOr::T(Schema::Object(utoipa::openapi::schema::Object::new())))
}

macro_rules! json_schema_type {
    ($(#[$doc:meta])* $name:ident, $schema_name:literal, $schema:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub Box<serde_json::value::RawValue>);

        impl $name {
            /// The schema as JSON (also used by the unit test).
            pub fn schema_json() -> serde_json::Value {
                $schema
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                schema_from($schema)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema_name)
            }
        }
    };
}

fn nullable(t: &str) -> serde_json::Value {
    json!({ "type": [t, "null"] })
}

fn time() -> serde_json::Value {
    json!({ "type": "string", "format": "date-time" })
}

json_schema_type!(
    /// One occurrence: a scanner's report of the finding in one scope.
    OccurrenceJson,
    "Occurrence",
    json!({
        "type": "object",
        "description": "One scanner's report of the finding in one scope, with where its evidence is (report + JSON Pointer locator) and why it belongs to the finding.",
        "required": ["id", "tool", "branch", "report", "scan_id", "open", "fingerprint", "identity_tier", "first_seen", "last_seen", "rule_id", "severity", "category", "title", "locator", "location"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "tool": { "type": "string" },
            "branch": { "type": "string" },
            "report": { "type": "string", "description": "The report file as given to ingest (or the upload's name)." },
            "scan_id": { "type": "integer", "format": "int64" },
            "open": { "type": "boolean" },
            "fingerprint": { "type": "string", "pattern": "^[0-9a-f]{32}$" },
            "identity_tier": { "type": "string", "enum": ["secret", "dependency", "tool", "content", "resource", "endpoint", "location"] },
            "first_seen": time(),
            "last_seen": time(),
            "closed_at": time(),
            "correlation": {
                "type": "object",
                "required": ["confidence", "reason"],
                "properties": {
                    "confidence": { "type": "number", "minimum": 0, "maximum": 1 },
                    "reason": { "type": "string" },
                    "matched_occurrence": { "type": "integer", "format": "int64" }
                }
            },
            "rule_id": { "type": "string" },
            "title": { "type": "string" },
            "severity": { "$ref": "#/components/schemas/Severity" },
            "category": { "type": "string" },
            "locator": { "type": "string", "description": "JSON Pointer (or line) of the raw item in the report." },
            "location": { "type": "object" },
            "package": { "type": "object" },
            "vulnerability_ids": { "type": "array", "items": { "type": "string" } },
            "cwes": { "type": "array", "items": { "type": "integer" } }
        }
    })
);

json_schema_type!(
    /// The risk assessment of a finding (score, band, SSVC decision, explained terms).
    RiskJson,
    "Risk",
    json!({
        "type": "object",
        "required": ["score", "raw_score", "band", "ssvc", "model_version", "terms"],
        "properties": {
            "score": { "type": "number", "minimum": 0, "maximum": 100 },
            "raw_score": { "type": "number" },
            "band": { "type": "string", "enum": ["P1", "P2", "P3", "P4"] },
            "ssvc": {
                "type": "object",
                "required": ["decision", "reasons"],
                "properties": {
                    "decision": { "type": "string" },
                    "reasons": { "type": "array", "items": { "type": "string" } }
                }
            },
            "model_version": { "type": "string" },
            "terms": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "value", "weight", "contribution", "source"],
                    "properties": {
                        "name": { "type": "string" },
                        "value": { "type": "string" },
                        "weight": { "type": "number" },
                        "contribution": { "type": "number" },
                        "source": { "type": "string" }
                    }
                }
            }
        }
    })
);

json_schema_type!(
    /// A finding as `posture findings --output json` prints it: the finding, its occurrences,
    /// its owner and its risk.
    FindingJson,
    "Finding",
    json!({
        "type": "object",
        "required": ["id", "asset", "status", "severity", "category", "title", "rule_id", "first_seen", "last_seen", "fixed_at", "reopened", "triage", "triage_reason", "occurrences", "owner", "risk"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "asset": { "type": "string" },
            "status": { "$ref": "#/components/schemas/Status" },
            "severity": { "$ref": "#/components/schemas/Severity" },
            "category": { "type": "string", "enum": ["sast", "sca", "dast", "iac", "secret", "container", "runtime"] },
            "title": { "type": "string" },
            "rule_id": { "type": "string" },
            "first_seen": time(),
            "last_seen": time(),
            "fixed_at": { "type": ["string", "null"], "format": "date-time" },
            "reopened": { "type": "integer", "minimum": 0 },
            "triage": nullable("string"),
            "triage_reason": nullable("string"),
            "occurrences": { "type": "array", "items": { "$ref": "#/components/schemas/Occurrence" } },
            "owner": {
                "oneOf": [
                    { "type": "null" },
                    {
                        "type": "object",
                        "required": ["team", "source"],
                        "properties": { "team": nullable("string"), "source": { "type": "string" } }
                    }
                ]
            },
            "risk": { "$ref": "#/components/schemas/Risk" }
        }
    })
);

json_schema_type!(
    /// One entry of a finding's event log.
    EventJson,
    "Event",
    json!({
        "type": "object",
        "required": ["id", "finding_id", "at", "kind", "scan_id", "actor", "from_status", "to_status", "reason"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "finding_id": { "type": "integer", "format": "int64" },
            "at": time(),
            "kind": { "type": "string", "description": "opened, fixed, reopened, triaged, merged..." },
            "scan_id": nullable("integer"),
            "actor": nullable("string"),
            "from_status": nullable("string"),
            "to_status": nullable("string"),
            "reason": nullable("string")
        }
    })
);

json_schema_type!(
    /// A suggested duplicate.
    SuggestionJson,
    "Suggestion",
    json!({
        "type": "object",
        "required": ["id", "asset", "finding_id", "other_finding_id", "confidence", "reason", "state", "created_at"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "asset": { "type": "string" },
            "finding_id": { "type": "integer", "format": "int64" },
            "other_finding_id": { "type": "integer", "format": "int64" },
            "confidence": { "type": "number" },
            "reason": { "type": "string" },
            "state": { "type": "string" },
            "created_at": time(),
            "decided_by": { "type": "string" }
        }
    })
);

json_schema_type!(
    /// Everything `posture explain --output json` prints.
    ExplanationJson,
    "Explanation",
    json!({
        "type": "object",
        "required": ["finding", "suggestions", "events", "risk", "owner"],
        "properties": {
            "finding": { "$ref": "#/components/schemas/Finding" },
            "suggestions": { "type": "array", "items": { "$ref": "#/components/schemas/Suggestion" } },
            "events": { "type": "array", "items": { "$ref": "#/components/schemas/Event" } },
            "risk": { "$ref": "#/components/schemas/Risk" },
            "owner": {
                "oneOf": [
                    { "type": "null" },
                    {
                        "type": "object",
                        "required": ["team", "source"],
                        "properties": { "team": nullable("string"), "source": { "type": "string" } }
                    }
                ]
            }
        }
    })
);

json_schema_type!(
    /// One ingested scan.
    ScanJson,
    "Scan",
    json!({
        "type": "object",
        "required": ["id", "asset", "tool", "format", "branch", "kind", "report", "sha256", "at", "occurrences", "summary", "diagnostics"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "asset": { "type": "string" },
            "tool": { "type": "string" },
            "tool_version": nullable("string"),
            "format": { "type": "string" },
            "branch": { "type": "string" },
            "commit": nullable("string"),
            "kind": { "type": "string", "enum": ["findings", "runtime"] },
            "report": { "type": "string" },
            "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
            "at": time(),
            "occurrences": { "type": "integer", "minimum": 0 },
            "summary": { "type": "object" },
            "diagnostics": { "type": "array", "items": { "type": "object" } }
        }
    })
);

json_schema_type!(
    /// What an upload changed, as `posture ingest --output json` prints it.
    IngestSummaryJson,
    "IngestSummary",
    json!({
        "type": "object",
        "required": ["asset", "reports", "scopes", "total"],
        "properties": {
            "asset": { "type": "string" },
            "reports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "format", "parsed", "skipped", "diagnostics"],
                    "properties": {
                        "name": { "type": "string" },
                        "format": { "type": "string" },
                        "parsed": { "type": "integer", "minimum": 0 },
                        "skipped": { "type": "integer", "minimum": 0 },
                        "diagnostics": { "type": "array", "items": { "type": "object" } }
                    }
                }
            },
            "scopes": { "type": "array", "items": { "type": "object", "required": ["tool", "branch", "identical", "occurrences"] } },
            "total": {
                "type": "object",
                "required": ["new", "unchanged", "fixed", "reopened"],
                "properties": {
                    "new": { "type": "integer" },
                    "unchanged": { "type": "integer" },
                    "fixed": { "type": "integer" },
                    "reopened": { "type": "integer" }
                }
            }
        }
    })
);

json_schema_type!(
    /// A severity.
    SeverityJson,
    "Severity",
    json!({ "type": "string", "enum": ["critical", "high", "medium", "low", "info"] })
);

json_schema_type!(
    /// A finding's status: open or fixed (decided by scans) or a person's triage decision.
    StatusJson,
    "Status",
    json!({ "type": "string", "enum": ["open", "confirmed", "in-progress", "false-positive", "accepted", "not-affected", "fixed"] })
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_parses() {
        for (name, s) in [
            ("Occurrence", OccurrenceJson::schema_json()),
            ("Risk", RiskJson::schema_json()),
            ("Finding", FindingJson::schema_json()),
            ("Event", EventJson::schema_json()),
            ("Suggestion", SuggestionJson::schema_json()),
            ("Explanation", ExplanationJson::schema_json()),
            ("Scan", ScanJson::schema_json()),
            ("IngestSummary", IngestSummaryJson::schema_json()),
            ("Severity", SeverityJson::schema_json()),
            ("Status", StatusJson::schema_json()),
        ] {
            if let Err(e) = serde_json::from_value::<RefOr<Schema>>(s) {
                panic!("schema {name} does not parse as an OpenAPI schema: {e}");
            }
        }
    }
}
