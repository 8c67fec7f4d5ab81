//! OpenVEX documents (v0.0.1 and v0.2.0; govulncheck `-format openvex`, vexctl...):
//! `{"@context": "https://openvex.dev/ns[/vX]", "author", "timestamp", "statements": [...]}`.
//!
//! A VEX document states facts about findings; it reports none. Every statement becomes a
//! [`VexStatement`] in [`ParsedReport::vex`]; there are **zero occurrences** (one run of the tool
//! `openvex` with no occurrences, so the document is recorded).
//!
//! Shapes: v0.0.1 `vulnerability` is a string, `products` strings, statement-level
//! `subcomponents` strings, `version` a string; v0.2.0 `vulnerability {name, @id, aliases}`,
//! `products [{@id, identifiers, subcomponents [{@id}]}]`. Products are listed as written:
//! each product's `@id`, then its subcomponents' ids (the packages the statement is about).
//!
//! Status words are OpenVEX's own (`not_affected`, `affected`, `fixed`,
//! `under_investigation`); a statement with another status is skipped with a diagnostic.
//! The statement's `timestamp`, else the document's, is kept.

use crate::json;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, ParsedReport, ToolInfo, ToolRun, VexStatement, VexStatus, normalize_vuln_id,
};
use serde_json::Value;

pub struct OpenVex;

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ids_of(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |id: &str| {
        let id = normalize_vuln_id(id);
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    };
    match v {
        Value::String(t) => push(t),
        Value::Object(_) => {
            if let Some(n) = s(v, "name") {
                push(&n);
            } else if let Some(i) = s(v, "@id") {
                push(&i);
            }
            for a in v
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = a.as_str() {
                    push(t);
                }
            }
        }
        _ => {}
    }
    out
}

fn product_ids(v: &Value, out: &mut Vec<String>) {
    let mut push = |id: String| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    match v {
        Value::String(t) if !t.trim().is_empty() => push(t.trim().to_string()),
        Value::Object(_) => {
            if let Some(id) = s(v, "@id") {
                push(id);
            } else if let Some(p) = v.get("identifiers").and_then(|i| s(i, "purl")) {
                push(p);
            }
            for sc in v
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                product_ids(sc, out);
            }
        }
        _ => {}
    }
}

fn status_of(word: &str) -> Option<VexStatus> {
    Some(match word.trim().to_ascii_lowercase().as_str() {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

impl Parser for OpenVex {
    fn id(&self) -> &'static str {
        "openvex-json"
    }

    fn description(&self) -> &'static str {
        "OpenVEX document (v0.0.1, v0.2.0): VEX statements, no findings"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("@context") {
            return Confidence::NO;
        }
        if s.contains("openvex.dev/ns") {
            Confidence::CERTAIN
        } else if s.has_key("statements") {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let doc: Value = json::from_slice(input)?;
        let context_ok = doc
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex"));
        if !doc.is_object() || !(context_ok || doc.get("statements").is_some()) {
            return Err(ParseError::shape(
                "expected an OpenVEX document (`@context` https://openvex.dev/ns, `statements`)",
            ));
        }
        let doc_time = s(&doc, "timestamp");
        let mut diagnostics = Vec::new();
        let mut vex = Vec::new();
        let statements = match doc.get("statements") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => {
                return Err(ParseError::shape(
                    "OpenVEX `statements` must be a list of statements",
                ));
            }
        };
        for (i, st) in statements.iter().enumerate() {
            let loc = json::pointer_index("/statements", i);
            if !st.is_object() {
                diagnostics.push(json::skipped(&loc, "statement skipped: not an object"));
                continue;
            }
            let ids = st.get("vulnerability").map(ids_of).unwrap_or_default();
            if ids.is_empty() {
                diagnostics.push(json::skipped(&loc, "statement skipped: no vulnerability"));
                continue;
            }
            let Some(word) = s(st, "status") else {
                diagnostics.push(json::skipped(&loc, "statement skipped: no status"));
                continue;
            };
            let Some(status) = status_of(&word) else {
                diagnostics.push(json::skipped(
                    &loc,
                    format!("statement skipped: unknown status `{word}`"),
                ));
                continue;
            };
            let mut products = Vec::new();
            for p in st
                .get("products")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                product_ids(p, &mut products);
            }
            for sc in st
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                product_ids(sc, &mut products);
            }
            vex.push(VexStatement {
                vulnerability_ids: ids,
                products,
                status,
                justification: s(st, "justification"),
                impact_statement: s(st, "impact_statement"),
                action_statement: s(st, "action_statement"),
                timestamp: s(st, "timestamp").or_else(|| doc_time.clone()),
                locator: loc,
            });
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("openvex", None),
                occurrences: Vec::new(),
            }],
            diagnostics,
            vex,
            components: Vec::new(),
        })
    }
}
