//! Nuclei JSON output: JSON lines (`-json`/`-jsonl`, v2.3 to v3) and the v3 `-json-export`
//! array. A 0-byte file is nuclei's "nothing found".
//!
//! Shapes: v2.3 `templateID`, `matched`, `extracted_results`, `info.author`/`info.tags` as
//! comma strings, `info.reference` as a YAML-ish string; v2.5+ `template-id`, `matched-at`,
//! `matcher-name`, `extracted-results`, lists for author/tags/reference,
//! `info.classification {cve-id, cwe-id, cvss-metrics, cvss-score}` (any of them a string, a
//! list or `null`; `cwe-id` may be `nvd-cve-other`, which is not a CWE).
//!
//! Severity (`info.severity`):
//!
//! | nuclei   | Posture  |
//! |----------|----------|
//! | critical | critical |
//! | high     | high     |
//! | medium   | medium   |
//! | low      | low      |
//! | info     | info     |
//! | unknown  | info     |
//!
//! Occurrences: one per result line. Rule = `template-id`, suffixed `:matcher-name` when a
//! matcher is named (nuclei's own `[tech-detect:nginx]`: each matcher of a template is a
//! different issue at the same URL). Location: `url` = `matched-at` (else `matched`, `url`,
//! `host`), `method` from the first word of `request` for HTTP results. `context` = the
//! extracted results. No tool fingerprint: nuclei has none. Request and response are never kept.

use crate::json;
use crate::{BareEmpty, Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, CvssRating, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
    normalize_vuln_id,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Nuclei;

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "template-id", alias = "templateID", default)]
    template_id: Option<String>,
    info: Info,
    #[serde(rename = "matcher-name", alias = "matcher_name", default)]
    matcher_name: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(rename = "matched-at", alias = "matched", default)]
    matched_at: Option<String>,
    #[serde(
        rename = "extracted-results",
        alias = "extracted_results",
        default,
        deserialize_with = "strings"
    )]
    extracted: Vec<String>,
    #[serde(default)]
    request: Option<String>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "json::opt_lenient_string")]
    severity: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "strings")]
    reference: Vec<String>,
    #[serde(default)]
    classification: Option<Classification>,
}

#[derive(Deserialize)]
struct Classification {
    #[serde(rename = "cve-id", default, deserialize_with = "strings")]
    cve: Vec<String>,
    #[serde(rename = "cwe-id", default, deserialize_with = "strings")]
    cwe: Vec<String>,
    #[serde(rename = "cvss-metrics", default, deserialize_with = "strings")]
    cvss_metrics: Vec<String>,
    #[serde(
        rename = "cvss-score",
        default,
        deserialize_with = "json::opt_lenient_f64"
    )]
    cvss_score: Option<f64>,
}

/// A string, a list of strings (non-strings dropped) or `null`, as a list; a string that is a
/// comma list (`"a,b"`) or a YAML-ish list (`"- a\n- b"`) is split.
fn strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    let mut out = Vec::new();
    let mut push = |s: &str| {
        for part in s.split(['\n', ',']) {
            let p = part.trim().trim_start_matches("- ").trim();
            if !p.is_empty() {
                out.push(p.to_string());
            }
        }
    };
    match v {
        Some(serde_json::Value::String(s)) => push(&s),
        Some(serde_json::Value::Array(items)) => {
            for i in items {
                if let serde_json::Value::String(s) = i {
                    push(&s);
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

impl Parser for Nuclei {
    fn id(&self) -> &'static str {
        "nuclei-json"
    }

    fn description(&self) -> &'static str {
        "Nuclei JSON lines (v2.3 to v3) and -json-export array"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Dast]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing, BareEmpty::EmptyArray]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !(s.is_json_object() || s.is_json_array()) {
            return Confidence::NO;
        }
        let template = s.has_key("template-id") || s.has_key("templateID");
        let matched = s.has_key("matched-at") || s.has_key("matched") || s.has_key("host");
        if template && s.has_key("info") && matched {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let trimmed = json::strip_bom(input);
        let first = trimmed.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let items: Vec<&RawValue> = match first {
            None => Vec::new(),
            Some(b'[') => json::from_slice::<Vec<&RawValue>>(input)?,
            Some(b'{') => json::stream_items(input)?,
            Some(_) => {
                return Err(ParseError::shape(
                    "expected nuclei JSON lines (objects with `template-id`) or a JSON array",
                ));
            }
        };
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::with_capacity(items.len());
        for (i, raw) in items.iter().enumerate() {
            let locator = json::pointer_index("", i);
            if !raw.get().starts_with('{') {
                diagnostics.push(json::skipped(&locator, "result skipped: not an object"));
                continue;
            }
            match serde_json::from_str::<Item>(raw.get()) {
                Ok(item) => match to_occurrence(item, &locator) {
                    Some(o) => occurrences.push(o),
                    None => diagnostics.push(json::skipped(
                        &locator,
                        "result skipped: it has no template-id",
                    )),
                },
                Err(e) => {
                    let mut m = e.to_string();
                    if let Some(cut) = m.rfind(" at line ") {
                        m.truncate(cut);
                    }
                    diagnostics.push(json::skipped(&locator, format!("item skipped: {m}")));
                }
            }
        }
        if occurrences.is_empty() && !items.is_empty() && diagnostics.len() == items.len() {
            return Err(ParseError::shape(
                "expected nuclei results (objects with `template-id` and `info`); none of the items is one",
            ));
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("nuclei", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn ne(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn method_of(request: &str) -> Option<String> {
    let word = request.split_whitespace().next()?;
    let ok = !word.is_empty()
        && word.len() <= 16
        && word.chars().all(|c| c.is_ascii_uppercase() || c == '-');
    ok.then(|| word.to_string())
}

fn to_occurrence(item: Item, locator: &str) -> Option<Occurrence> {
    let template = ne(item.template_id)?;
    let matcher = ne(item.matcher_name);
    let rule = match &matcher {
        Some(m) => format!("{template}:{m}"),
        None => template.clone(),
    };
    let word = ne(item.info.severity);
    let severity = word
        .as_deref()
        .and_then(Severity::from_common_word)
        .unwrap_or(Severity::Info);
    let name = ne(item.info.name).unwrap_or_else(|| template.clone());
    let title = match &matcher {
        Some(m) => format!("{name} ({m})"),
        None => name,
    };
    let mut occ = Occurrence::new(Category::Dast, rule, title, severity, locator.to_string());
    occ.tool_severity = word;
    occ.description = ne(item.info.description);
    occ.references = item
        .info
        .reference
        .into_iter()
        .filter(|r| r.starts_with("http"))
        .collect();
    occ.references.dedup();
    if let Some(c) = item.info.classification {
        let mut cwes: Vec<u32> = c.cwe.iter().filter_map(|s| json::parse_cwe(s)).collect();
        cwes = json::tidy_cwes(std::mem::take(&mut cwes));
        occ.cwes = cwes;
        for id in c.cve {
            let id = normalize_vuln_id(&id);
            if !occ.vulnerability_ids.contains(&id) {
                occ.vulnerability_ids.push(id);
            }
        }
        let vector = c.cvss_metrics.into_iter().next();
        if vector.is_some() || c.cvss_score.is_some() {
            occ.cvss.push(CvssRating {
                source: "nuclei".to_string(),
                vector,
                score: c.cvss_score,
            });
        }
    }
    let url = ne(item.matched_at).or(ne(item.url)).or(ne(item.host));
    let http = item
        .kind
        .as_deref()
        .is_none_or(|k| k.eq_ignore_ascii_case("http"));
    occ.location = Location {
        url,
        method: if http {
            item.request.as_deref().and_then(method_of)
        } else {
            None
        },
        ..Location::default()
    };
    if !item.extracted.is_empty() {
        occ.identity.context = Some(item.extracted.join(", "));
    }
    Some(occ)
}
