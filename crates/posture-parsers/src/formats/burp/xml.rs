//! Burp Suite XML export (Scanner "Report issues" as XML, Burp 1.6 to 2023): `issues/issue`
//! with `serialNumber`, `type`, `name`, `host`, `path`, `location`, `severity`, `confidence`,
//! `issueBackground`, `remediationBackground`, `issueDetail`, `vulnerabilityClassifications`,
//! `references`, and `requestresponse` (base64 request/response). The inline
//! `<!DOCTYPE issues [...]>` Burp writes is accepted; no entity is ever expanded.
//!
//! Severity:
//!
//! | Burp        | Posture |
//! |-------------|---------|
//! | High        | high    |
//! | Medium      | medium  |
//! | Low         | low     |
//! | Information | info    |
//!
//! Occurrences: one per `<issue>` (an issue is one place: host + path + insertion point).
//! DefectDojo folds issues of one type into one finding (issue4399.xml: 441 issues -> 20);
//! Posture does not, the engine's identity (rule + method + URL + parameter) keeps places apart.
//!
//! Location: `url` = host + path; `parameter` = the insertion point Burp names in brackets at
//! the end of `location` (`/login.jsp [password parameter]` -> `password parameter`); `method`
//! from the request's `method` attribute, else the decoded request line. Requests and
//! responses are never stored. Rule = the issue `type` (Burp's numeric issue type); the
//! `serialNumber` is not a tool fingerprint (Burp draws a new one per scan).

use crate::json;
use crate::support::join_url;
use crate::support::{html_to_text, split_urls};
use crate::xml::{self, Element};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};

pub struct BurpXml;

impl Parser for BurpXml {
    fn id(&self) -> &'static str {
        "burp-xml"
    }

    fn description(&self) -> &'static str {
        "Burp Suite XML issue export"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Dast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() != Some('<') || !s.contains("<issues") {
            return Confidence::NO;
        }
        if s.contains("burpVersion") {
            Confidence::CERTAIN
        } else if s.contains("<serialNumber>") {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let root = xml::parse(input)?;
        if root.name != "issues" {
            return Err(ParseError::shape(format!(
                "expected a Burp XML export (root <issues>), found <{}>",
                root.name
            )));
        }
        let version = root
            .attr("burpVersion")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (i, issue) in root.children_named("issue") {
            let loc = xml::xpath("/issues", "issue", i);
            match to_occurrence(issue, &loc) {
                Some(o) => occurrences.push(o),
                None => diagnostics.push(json::skipped(
                    &loc,
                    "issue skipped: it has neither a type nor a name",
                )),
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("burp", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// Burp's severity words (also those of the REST API, lowercase).
pub(crate) fn burp_severity(word: &str) -> Severity {
    match word.trim().to_ascii_lowercase().as_str() {
        "high" => Severity::High,
        "medium" => Severity::Medium,
        "low" => Severity::Low,
        _ => Severity::Info,
    }
}

/// The insertion point at the end of a Burp `location`: `/a [b_id cookie]` -> `b_id cookie`.
pub(crate) fn insertion_point(location: &str) -> Option<String> {
    let t = location.trim();
    let inner = t.strip_suffix(']')?;
    let open = inner.rfind(" [")?;
    let p = inner.get(open + 2..)?.trim();
    (!p.is_empty()).then(|| p.to_string())
}

/// The method of an HTTP request line (`POST /a HTTP/1.1` -> `POST`).
pub(crate) fn request_method(request: &[u8]) -> Option<String> {
    let end = request
        .iter()
        .position(|b| *b == b' ' || *b == b'\r' || *b == b'\n')?;
    let word = std::str::from_utf8(request.get(..end)?).ok()?;
    let ok = !word.is_empty()
        && word.len() <= 16
        && word.chars().all(|c| c.is_ascii_uppercase() || c == '-');
    ok.then(|| word.to_string())
}

fn method_of(issue: &Element) -> Option<String> {
    for (_, rr) in issue.children_named("requestresponse") {
        let Some(req) = rr.child("request") else {
            continue;
        };
        if let Some(m) = req.attr("method").map(str::trim).filter(|m| !m.is_empty()) {
            return Some(m.to_ascii_uppercase());
        }
        let text = req.text.trim();
        let decoded = if req.attr("base64") == Some("true") {
            crate::support::base64::decode_prefix(text, 64)
        } else {
            Some(text.as_bytes().iter().take(64).copied().collect())
        };
        if let Some(m) = decoded.as_deref().and_then(request_method) {
            return Some(m);
        }
    }
    None
}

fn to_occurrence(issue: &Element, loc: &str) -> Option<Occurrence> {
    let kind = issue.child_text("type").map(str::to_string);
    let name = issue.child_text("name").map(str::to_string);
    let rule = kind.clone().or_else(|| name.clone())?;
    let title = name.unwrap_or_else(|| format!("Burp issue {rule}"));
    let word = issue.child_text("severity").map(str::to_string);
    let severity = word.as_deref().map(burp_severity).unwrap_or(Severity::Info);
    let mut occ = Occurrence::new(Category::Dast, rule, title, severity, loc.to_string());
    occ.tool_severity = word;
    let mut parts = Vec::new();
    for (field, label) in [
        ("issueDetail", ""),
        ("issueBackground", ""),
        ("remediationDetail", "Remediation: "),
        ("remediationBackground", "Remediation: "),
    ] {
        if let Some(t) = issue.child_text(field).map(html_to_text)
            && !t.is_empty()
        {
            parts.push(format!("{label}{t}"));
        }
    }
    occ.description = (!parts.is_empty()).then(|| parts.join("\n\n"));
    if let Some(c) = issue.child_text("vulnerabilityClassifications") {
        let mut cwes = Vec::new();
        let mut rest = c;
        while let Some(i) = rest.find("CWE-") {
            let after = rest.get(i..).unwrap_or("");
            if let Some(n) = json::parse_cwe(after) {
                cwes.push(n);
            }
            rest = rest.get(i + 4..).unwrap_or("");
        }
        occ.cwes = json::tidy_cwes(cwes);
    }
    if let Some(r) = issue.child_text("references") {
        occ.references = hrefs(r);
        if occ.references.is_empty() {
            occ.references = split_urls(r);
        }
    }
    let host = issue.child_text("host");
    let path = issue.child_text("path");
    occ.location = Location {
        url: join_url(host, path),
        method: method_of(issue),
        parameter: issue.child_text("location").and_then(insertion_point),
        ..Location::default()
    };
    Some(occ)
}

/// The `href` targets of an HTML fragment.
fn hrefs(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        let after = rest.get(i + 6..).unwrap_or("");
        let end = after.find('"').unwrap_or(after.len());
        let url = after.get(..end).unwrap_or("").trim();
        if !url.is_empty() && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
        rest = after.get(end..).unwrap_or("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            insertion_point("/bodgeit/basket.jsp [b_id cookie]").as_deref(),
            Some("b_id cookie")
        );
        assert_eq!(insertion_point("/"), None);
        assert_eq!(
            crate::support::base64::decode_prefix("UE9TVCAv", 64).as_deref(),
            Some(&b"POST /"[..])
        );
        assert_eq!(request_method(b"GET / HTTP/1.1").as_deref(), Some("GET"));
        assert_eq!(request_method(b"garbage"), None);
        assert_eq!(crate::support::base64::decode_prefix("*", 4), None);
        assert_eq!(
            join_url(Some("http://bwa/"), Some("/a")).as_deref(),
            Some("http://bwa/a")
        );
    }
}
