//! OWASP ZAP XML reports (`OWASPZAPReport`): 2.4.3 merged and unmerged, 2.9, 2.10, 2.11 "XML
//! plus", 2.16 with request/response, weekly builds (`version="D-2021-03-29"`).
//!
//! Shape: `OWASPZAPReport/site[@name,@host,@port]/alerts/alertitem` with `pluginid`, `alertRef`,
//! `alert`/`name`, `riskcode`, `confidence`, `riskdesc`, `desc`, `instances/instance{uri, method,
//! param, attack, evidence}`, `solution`, `reference`, `cweid`, `wascid`. The report's
//! `generated` date is localized by some ZAP versions (`Fr., 30 Sep. 2022`): it is never read.
//!
//! Occurrences: **one per instance** (the engine identifies DAST issues by rule + method + URL +
//! parameter, and every instance is such a place). An alert item without `instances` (2.4.3
//! unmerged reports) is one occurrence, its URL from the item's own `uri`, else the site's name.
//! Request and response headers and bodies are never kept.
//!
//! Severity (`riskcode`, the word of `riskdesc` kept in `tool_severity`):
//!
//! | riskcode | riskdesc      | Posture |
//! |----------|---------------|---------|
//! | 3        | High          | high    |
//! | 2        | Medium        | medium  |
//! | 1        | Low           | low     |
//! | 0        | Informational | info    |
//!
//! A missing or unreadable `riskcode` falls back to the `riskdesc` word, else info with a
//! warning.
//!
//! Identity: rule = `alertRef` (ZAP's id of the alert variant, e.g. `10055-4`), else `pluginid`;
//! ZAP gives no per-instance id, so no tool fingerprint; `context` = the instance's `evidence`.

use crate::json;
use crate::support::{html_to_text, split_urls};
use crate::xml::{self, Element};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun,
};

pub struct ZapXml;

/// One ZAP alert, read from XML or JSON, before it becomes occurrences.
#[derive(Debug, Default)]
pub(crate) struct ZapAlert {
    pub plugin_id: Option<String>,
    pub alert_ref: Option<String>,
    pub name: Option<String>,
    pub riskcode: Option<String>,
    pub riskdesc: Option<String>,
    pub desc: Option<String>,
    pub solution: Option<String>,
    pub reference: Option<String>,
    pub cweid: Option<String>,
    /// The site's `name` (`https://host:port`), for items without a URI.
    pub site: Option<String>,
    /// `(locator, instance)`; empty when the item has no instances.
    pub instances: Vec<(String, ZapInstance)>,
    /// The item's own `uri`/`param`/... (2.4.3 unmerged reports).
    pub own: ZapInstance,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct ZapInstance {
    pub uri: Option<String>,
    pub method: Option<String>,
    pub param: Option<String>,
    pub evidence: Option<String>,
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

impl Parser for ZapXml {
    fn id(&self) -> &'static str {
        "zap-xml"
    }

    fn description(&self) -> &'static str {
        "OWASP ZAP XML report (2.4 to 2.16, weekly builds)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Dast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.first_char() == Some('<') && s.contains("<OWASPZAPReport") {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let root = xml::parse(input)?;
        if root.name != "OWASPZAPReport" {
            return Err(ParseError::shape(format!(
                "expected a ZAP XML report (root <OWASPZAPReport>), found <{}>",
                root.name
            )));
        }
        let version = nonempty(root.attr("version"));
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (si, site) in root.children_named("site") {
            let site_loc = xml::xpath("/OWASPZAPReport", "site", si);
            let site_name = nonempty(site.attr("name"));
            let Some(alerts) = site.child("alerts") else {
                continue;
            };
            let alerts_loc = format!("{site_loc}/alerts");
            for (ai, item) in alerts.children_named("alertitem") {
                let loc = xml::xpath(&alerts_loc, "alertitem", ai);
                let alert = read_alert(item, &loc, site_name.clone());
                alert_occurrences(alert, &loc, &mut occurrences, &mut diagnostics);
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("zap", version),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

fn instance_of(el: &Element) -> ZapInstance {
    ZapInstance {
        uri: nonempty(el.child_text("uri")),
        method: nonempty(el.child_text("method")),
        param: nonempty(el.child_text("param")),
        evidence: nonempty(el.child_text("evidence")),
    }
}

fn read_alert(item: &Element, loc: &str, site: Option<String>) -> ZapAlert {
    let instances = item
        .child("instances")
        .map(|list| {
            list.children_named("instance")
                .map(|(ii, inst)| {
                    (
                        xml::xpath(&format!("{loc}/instances"), "instance", ii),
                        instance_of(inst),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ZapAlert {
        plugin_id: nonempty(item.child_text("pluginid")),
        alert_ref: nonempty(item.child_text("alertRef")),
        name: nonempty(item.child_text("name")).or_else(|| nonempty(item.child_text("alert"))),
        riskcode: nonempty(item.child_text("riskcode")),
        riskdesc: nonempty(item.child_text("riskdesc")),
        desc: nonempty(item.child_text("desc")),
        solution: nonempty(item.child_text("solution")),
        reference: nonempty(item.child_text("reference")),
        cweid: nonempty(item.child_text("cweid")),
        site,
        instances,
        own: instance_of(item),
    }
}

/// The risk word of `riskdesc` (`Low (Medium)` -> `Low`).
fn risk_word(riskdesc: &str) -> &str {
    riskdesc.split('(').next().unwrap_or(riskdesc).trim()
}

fn severity_of(alert: &ZapAlert) -> Option<(Severity, String)> {
    let word = alert.riskdesc.as_deref().map(risk_word);
    let from_code = alert
        .riskcode
        .as_deref()
        .and_then(|c| c.trim().parse::<i64>().ok())
        .and_then(|c| match c {
            3 => Some(Severity::High),
            2 => Some(Severity::Medium),
            1 => Some(Severity::Low),
            0 => Some(Severity::Info),
            _ => None,
        });
    let tool_word = word
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .or_else(|| alert.riskcode.clone());
    match from_code {
        Some(s) => Some((s, tool_word.unwrap_or_default())),
        None => {
            let s = word.and_then(Severity::from_common_word)?;
            Some((s, tool_word.unwrap_or_default()))
        }
    }
}

/// Turns an alert into one occurrence per instance (one for an item without instances).
pub(crate) fn alert_occurrences(
    alert: ZapAlert,
    loc: &str,
    out: &mut Vec<Occurrence>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(rule) = alert.alert_ref.clone().or_else(|| alert.plugin_id.clone()) else {
        diagnostics.push(json::skipped(
            loc,
            "alert skipped: it has neither pluginid nor alertRef",
        ));
        return;
    };
    let (severity, tool_severity) = match severity_of(&alert) {
        Some(s) => s,
        None => {
            diagnostics.push(json::warning(
                loc,
                "no readable riskcode or riskdesc: severity set to info",
            ));
            (Severity::Info, String::new())
        }
    };
    let title = alert
        .name
        .clone()
        .unwrap_or_else(|| format!("ZAP alert {rule}"));
    let mut description = alert.desc.as_deref().map(html_to_text).unwrap_or_default();
    if let Some(sol) = alert.solution.as_deref().map(html_to_text)
        && !sol.is_empty()
    {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("Solution: ");
        description.push_str(&sol);
    }
    let references = alert
        .reference
        .as_deref()
        .map(split_urls)
        .unwrap_or_default();
    let cwes: Vec<u32> = alert
        .cweid
        .as_deref()
        .and_then(json::parse_cwe)
        .into_iter()
        .collect();
    let places: Vec<(String, ZapInstance)> = if alert.instances.is_empty() {
        vec![(loc.to_string(), alert.own.clone())]
    } else {
        alert.instances
    };
    for (iloc, inst) in places {
        let mut occ = Occurrence::new(Category::Dast, rule.clone(), title.clone(), severity, iloc);
        occ.tool_severity = Some(tool_severity.clone()).filter(|s| !s.is_empty());
        occ.description = Some(description.clone()).filter(|d| !d.is_empty());
        occ.cwes = cwes.clone();
        occ.references = references.clone();
        occ.location = Location {
            url: inst.uri.or_else(|| alert.site.clone()),
            method: inst.method.map(|m| m.to_ascii_uppercase()),
            parameter: inst.param,
            ..Location::default()
        };
        occ.identity.context = inst.evidence;
        out.push(occ);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glued_references_are_split() {
        assert_eq!(
            split_urls("http://www.w3.org/TR/CSP2/http://www.w3.org/TR/CSP/"),
            vec!["http://www.w3.org/TR/CSP2/", "http://www.w3.org/TR/CSP/"]
        );
        assert_eq!(
            split_urls("<p>https://a.example/x</p><p>https://b.example/y</p>"),
            vec!["https://a.example/x", "https://b.example/y"]
        );
    }

    #[test]
    fn html_is_flattened() {
        assert_eq!(
            html_to_text("<p>A &amp; B</p><ul><li>one</li><li>two</li></ul>"),
            "A & B\none\ntwo"
        );
    }
}
