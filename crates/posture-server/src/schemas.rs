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
        "required": ["id", "tool", "branch", "report", "scan_id", "open", "fingerprint", "identity_tier", "first_seen", "last_seen", "rule_id", "severity", "category", "title", "locator"],
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
            "cwes": { "type": "array", "items": { "type": "integer" } },
            "description": { "type": "string" },
            "tool_severity": { "type": "string", "description": "The scanner's own severity word." },
            "cvss": { "type": "array", "items": { "type": "object" }, "description": "CVSS ratings the scanner gave." },
            "epss": { "type": "object" },
            "references": { "type": "array", "items": { "type": "string" } },
            "identity": { "type": "object", "description": "The parser's hints for the fingerprint." },
            "secret": { "type": "object", "description": "A secret's keyed hash and masked preview (never its value)." },
            "suppressed": { "type": "boolean", "description": "The scanner reported it as suppressed (absent: false)." },
            "quality": { "type": "string", "description": "The tool classes the result as code quality, not security: the words it used (absent: security). Such a finding stays out of the security bands P1-P3." }
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
        "required": ["id", "asset", "status", "severity", "category", "title", "rule_id", "first_seen", "last_seen", "fixed_at", "reopened", "triage", "triage_reason", "occurrences", "owner", "risk", "related"],
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
            "risk_score": { "type": "number", "minimum": 0, "maximum": 100, "description": "The risk score as last stored (the index lists are ordered by); absent until assessed. `risk` is the score computed on read." },
            "risk_band": { "type": "string", "enum": ["P1", "P2", "P3", "P4"], "description": "The band as last stored; absent until assessed." },
            "team": { "type": "string", "description": "The owning team as last stored; absent until assessed or without an owner." },
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
            "risk": { "$ref": "#/components/schemas/Risk" },
            "related": {
                "type": "array",
                "description": "Findings linked to this one (empty when none): the dependency finding of a package its code calls, or the SAST findings that call its package.",
                "items": {
                    "type": "object",
                    "required": ["id", "relation", "text"],
                    "properties": {
                        "id": { "type": "integer", "format": "int64" },
                        "relation": { "type": "string", "enum": ["calls-vulnerable-package", "called-at"] },
                        "text": { "type": "string" }
                    }
                }
            }
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
            "kind": { "type": "string", "description": "opened, fixed, reopened, triaged, expired, sla-breached, noted, rescored (a score or band moved: from/to are the bands, the reason the scores and the terms that moved)..." },
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
            "coverage": {
                "type": "array",
                "description": "Coverage reports recorded by an upload with kind=runtime (runtime evidence of which lines run; never findings). Absent otherwise.",
                "items": {
                    "type": "object",
                    "required": ["asset", "environment", "report", "format", "recorded_at", "files", "lines", "executed_lines", "replaced_files"],
                    "properties": {
                        "asset": { "type": "string" },
                        "environment": { "type": "string", "enum": ["production", "staging", "test"] },
                        "report": { "type": "string" },
                        "format": { "type": "string" },
                        "recorded_at": time(),
                        "files": { "type": "integer", "minimum": 0 },
                        "lines": { "type": "integer", "minimum": 0 },
                        "executed_lines": { "type": "integer", "minimum": 0 },
                        "replaced_files": { "type": "integer", "minimum": 0 }
                    }
                }
            },
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

fn mttr_row() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["group", "fixes", "mean_days", "median_days"],
        "properties": {
            "group": { "type": "string" },
            "fixes": { "type": "integer", "minimum": 0, "description": "Remediation cycles that ended by the date." },
            "mean_days": nullable("number"),
            "median_days": nullable("number")
        }
    })
}

fn categories() -> serde_json::Value {
    json!({ "type": "array", "items": { "type": "string", "enum": ["sast", "sca", "dast", "iac", "secret", "container", "runtime"] } })
}

json_schema_type!(
    /// Programme metrics as `posture metrics --output json` prints them.
    MetricsJson,
    "Metrics",
    json!({
        "type": "object",
        "description": "Programme metrics replayed from the event log as of a date.",
        "required": ["as_of", "findings", "open", "mttr", "criticals_past_sla", "density", "coverage", "weekly"],
        "properties": {
            "as_of": time(),
            "asset": { "type": "string" },
            "team": { "type": "string" },
            "findings": { "type": "integer", "minimum": 0, "description": "Findings that existed by the date." },
            "open": { "type": "integer", "minimum": 0 },
            "mttr": {
                "type": "object",
                "required": ["overall", "by_service", "by_team", "by_severity"],
                "properties": {
                    "overall": mttr_row(),
                    "by_service": { "type": "array", "items": mttr_row() },
                    "by_team": { "type": "array", "items": mttr_row() },
                    "by_severity": { "type": "array", "items": mttr_row() }
                }
            },
            "criticals_past_sla": {
                "type": "object",
                "required": ["open", "past_sla", "percent"],
                "properties": {
                    "open": { "type": "integer", "minimum": 0 },
                    "past_sla": { "type": "integer", "minimum": 0 },
                    "percent": nullable("number")
                }
            },
            "density": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["service", "open", "critical", "high", "medium", "low", "info", "per_kloc"],
                    "properties": {
                        "service": { "type": "string" },
                        "open": { "type": "integer", "minimum": 0 },
                        "critical": { "type": "integer", "minimum": 0 },
                        "high": { "type": "integer", "minimum": 0 },
                        "medium": { "type": "integer", "minimum": 0 },
                        "low": { "type": "integer", "minimum": 0 },
                        "info": { "type": "integer", "minimum": 0 },
                        "per_kloc": nullable("number")
                    }
                }
            },
            "coverage": {
                "type": "object",
                "required": ["days", "services", "full_suite_services", "full_suite_percent", "rows"],
                "properties": {
                    "days": { "type": "integer", "minimum": 1 },
                    "services": { "type": "integer", "minimum": 0 },
                    "full_suite_services": { "type": "integer", "minimum": 0 },
                    "full_suite_percent": nullable("number"),
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["service", "covered", "missing", "full_suite", "scans", "last_scan"],
                            "properties": {
                                "service": { "type": "string" },
                                "covered": categories(),
                                "missing": categories(),
                                "full_suite": { "type": "boolean" },
                                "scans": { "type": "integer", "minimum": 0 },
                                "last_scan": { "type": ["string", "null"], "format": "date-time" }
                            }
                        }
                    }
                }
            },
            "weekly": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["week", "starts", "opened", "fixed", "reopened"],
                    "properties": {
                        "week": { "type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$" },
                        "starts": { "type": "string", "format": "date" },
                        "opened": { "type": "integer", "minimum": 0 },
                        "fixed": { "type": "integer", "minimum": 0 },
                        "reopened": { "type": "integer", "minimum": 0, "description": "Regressions: fixed findings reported again." }
                    }
                }
            }
        }
    })
);

fn rule_match() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["rule_id", "description", "action", "mode", "line"],
        "properties": {
            "rule_id": { "type": "string" },
            "description": nullable("string"),
            "action": {
                "type": "object",
                "required": ["kind"],
                "properties": { "kind": { "type": "string", "enum": ["block", "warn", "require_approval", "escalate", "set_sla"] } }
            },
            "mode": { "type": "string", "enum": ["enforce", "log-only"] },
            "line": { "type": "integer", "minimum": 1 }
        }
    })
}

fn gate_finding() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["id", "title", "severity", "category", "rule_id", "tool", "location", "new", "risk", "band", "matches", "exception", "blocked", "fingerprint"],
        "properties": {
            "id": { "type": "integer", "format": "int64" },
            "title": { "type": "string" },
            "severity": { "$ref": "#/components/schemas/Severity" },
            "category": { "type": "string" },
            "rule_id": { "type": "string", "description": "The scanner's rule." },
            "tool": { "type": "string" },
            "location": { "type": "string" },
            "new": { "type": "boolean" },
            "risk": { "type": "number" },
            "band": { "type": "string" },
            "matches": { "type": "array", "description": "The policy rules that held, with why.", "items": rule_match() },
            "exception": {
                "type": "object",
                "required": ["exception"],
                "properties": { "exception": { "type": "string", "enum": ["none", "honoured", "needs-approval", "expired"] } }
            },
            "blocked": { "type": "boolean" },
            "fingerprint": { "type": "string" }
        }
    })
}

json_schema_type!(
    /// The gate's verdict: `verdict` and `exit_code`, then what `posture gate --output json`
    /// prints.
    GateJson,
    "GateOutcome",
    json!({
        "type": "object",
        "required": ["verdict", "exit_code", "asset", "branch", "baseline", "policy", "scope", "open_on_branch", "evaluated", "passed", "blocked", "warnings", "excepted", "findings", "errors", "notes"],
        "properties": {
            "verdict": { "type": "string", "enum": ["passed", "failed", "error"] },
            "exit_code": { "type": "integer", "enum": [0, 1, 2], "description": "The exit code of `posture gate`: 0 passed, 1 failed, 2 a rule could not be evaluated." },
            "asset": { "type": "string" },
            "branch": { "type": "string" },
            "baseline": { "type": "string" },
            "policy": { "type": "string", "description": "The policy file." },
            "scope": { "type": "string", "enum": ["new", "all"] },
            "open_on_branch": { "type": "integer", "minimum": 0 },
            "evaluated": { "type": "integer", "minimum": 0 },
            "passed": { "type": "boolean" },
            "blocked": { "type": "integer", "minimum": 0 },
            "warnings": { "type": "integer", "minimum": 0 },
            "excepted": { "type": "integer", "minimum": 0 },
            "findings": {
                "type": "array",
                "description": "Findings the policy said something about, blocked first.",
                "items": gate_finding()
            },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["finding_id", "rule_id", "line", "message"],
                    "properties": {
                        "finding_id": { "type": "integer", "format": "int64" },
                        "rule_id": { "type": "string" },
                        "line": { "type": "integer" },
                        "message": { "type": "string" }
                    }
                }
            },
            "notes": { "type": "array", "items": { "type": "string" } }
        }
    })
);

json_schema_type!(
    /// A SARIF 2.1.0 log (the gate's `format=sarif`; validated against the OASIS schema in
    /// the CLI's tests).
    SarifJson,
    "SarifLog",
    json!({
        "type": "object",
        "required": ["version", "runs"],
        "properties": {
            "$schema": { "type": "string" },
            "version": { "type": "string", "enum": ["2.1.0"] },
            "runs": { "type": "array", "items": { "type": "object" } }
        }
    })
);

fn ids() -> serde_json::Value {
    json!({ "type": "array", "items": { "type": "integer" } })
}

fn fix_package() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["name", "ecosystem", "purl"],
        "properties": {
            "name": { "type": "string" },
            "ecosystem": { "type": ["string", "null"], "description": "Purl type vocabulary: npm, pypi, maven, golang, cargo, gem, nuget, deb, rpm, apk..." },
            "purl": { "type": ["string", "null"], "description": "The package URL of the installed version." }
        }
    })
}

json_schema_type!(
    /// The remediation plan as `posture fixes --output json` prints it.
    FixPlanJson,
    "FixPlan",
    json!({
        "type": "object",
        "description": "Open findings grouped into the actions that close them, ranked by the risk they remove.",
        "required": ["actions", "unfixable", "open_findings", "findings_in_actions"],
        "properties": {
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "key", "summary", "package", "installed", "to_version", "major", "findings", "closes", "vulnerabilities", "assets", "risk_removed", "unfixable"],
                    "properties": {
                        "kind": { "type": "string", "enum": ["package-upgrade", "base-image", "code"] },
                        "key": { "type": "string", "description": "A stable key of the action." },
                        "summary": { "type": "string", "description": "What to do, in words: `upgrade lodash 4.17.4 → 4.17.10`." },
                        "package": { "oneOf": [fix_package(), { "type": "null" }] },
                        "installed": nullable("string"),
                        "to_version": { "type": ["string", "null"], "description": "The lowest version that fixes every finding listed, by the ecosystem's version order." },
                        "major": { "type": "boolean", "description": "Whether to_version crosses a major version (a breaking upgrade)." },
                        "findings": ids(),
                        "closes": { "type": "integer", "minimum": 0, "description": "Distinct issues closed: aliases of one vulnerability in one asset count once." },
                        "vulnerabilities": { "type": "array", "items": { "type": "string" } },
                        "assets": { "type": "array", "items": { "type": "string" } },
                        "risk_removed": { "type": "number", "minimum": 0 },
                        "unfixable": ids(),
                        "rule": { "type": "string" },
                        "path": { "type": "string" },
                        "image": { "type": "string" }
                    }
                }
            },
            "unfixable": {
                "type": "array",
                "description": "Packages with findings that no version fixes: no upgrade is offered.",
                "items": {
                    "type": "object",
                    "required": ["package", "installed", "findings", "assets", "risk"],
                    "properties": {
                        "package": fix_package(),
                        "installed": nullable("string"),
                        "findings": ids(),
                        "assets": { "type": "array", "items": { "type": "string" } },
                        "risk": { "type": "number", "minimum": 0 }
                    }
                }
            },
            "open_findings": { "type": "integer", "minimum": 0 },
            "findings_in_actions": { "type": "integer", "minimum": 0 }
        }
    })
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
            ("Metrics", MetricsJson::schema_json()),
            ("GateOutcome", GateJson::schema_json()),
            ("SarifLog", SarifJson::schema_json()),
            ("FixPlan", FixPlanJson::schema_json()),
        ] {
            if let Err(e) = serde_json::from_value::<RefOr<Schema>>(s) {
                panic!("schema {name} does not parse as an OpenAPI schema: {e}");
            }
        }
    }
}
