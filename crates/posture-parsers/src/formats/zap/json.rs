//! OWASP ZAP JSON reports (the "traditional JSON" report, 2.9 to 2.16): `{"@programName",
//! "@version", "site": [{"@name", "@host", "@port", "alerts": [...]}]}`. Numbers are written as
//! strings (`"riskcode": "2"`); `site` is an object in some old reports, a list since.
//!
//! Occurrences, severity table and identity are those of [`super::xml`]: one occurrence per
//! instance, `riskcode` 3/2/1/0 -> high/medium/low/info, rule = `alertRef` else `pluginid`,
//! `context` = evidence. Locators are JSON Pointers (`/site/0/alerts/3/instances/1`).

use super::xml::{ZapAlert, ZapInstance, alert_occurrences};
use crate::json::{self, null_default, one_or_many, opt_lenient_string};
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, ParsedReport, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct ZapJson;

#[derive(Deserialize)]
struct Report<'a> {
    #[serde(rename = "@version", default, deserialize_with = "opt_lenient_string")]
    version: Option<String>,
    #[serde(
        rename = "@programName",
        default,
        deserialize_with = "opt_lenient_string"
    )]
    program_name: Option<String>,
    #[serde(default, borrow)]
    site: Option<Sites<'a>>,
}

/// `site` as a list or a single object (`null` reads as none).
#[derive(Default)]
struct Sites<'a>(Vec<&'a RawValue>, bool);

impl<'de: 'a, 'a> Deserialize<'de> for Sites<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: &'a RawValue = Deserialize::deserialize(d)?;
        let text = raw.get().trim_start();
        if text.starts_with('[') {
            let v: Vec<&'a RawValue> =
                serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?;
            Ok(Sites(v, true))
        } else if text == "null" {
            Ok(Sites(Vec::new(), true))
        } else {
            Ok(Sites(vec![raw], false))
        }
    }
}

#[derive(Deserialize)]
struct Site<'a> {
    #[serde(rename = "@name", default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "null_default", borrow)]
    alerts: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Alert {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    pluginid: Option<String>,
    #[serde(rename = "alertRef", default, deserialize_with = "opt_lenient_string")]
    alert_ref: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    alert: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    riskcode: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    riskdesc: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    desc: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    solution: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    cweid: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    instances: Vec<Instance>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
struct Instance {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    uri: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    method: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    param: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    evidence: Option<String>,
}

fn ne(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl Parser for ZapJson {
    fn id(&self) -> &'static str {
        "zap-json"
    }

    fn description(&self) -> &'static str {
        "OWASP ZAP JSON report (traditional JSON, 2.9+)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Dast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() || !s.has_key("site") {
            return Confidence::NO;
        }
        if s.has_keys(&["pluginid", "riskcode"]) || s.has_key("@programName") {
            Confidence::CERTAIN
        } else if s.has_keys(&["@version", "@generated"]) {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let raw: &RawValue = json::from_slice(input)?;
        if !raw.get().starts_with('{') {
            return Err(ParseError::shape(
                "expected a ZAP JSON report (an object with `site`)",
            ));
        }
        let report: Report =
            serde_json::from_str(raw.get()).map_err(|e| ParseError::from_json(&e))?;
        if report.site.is_none() && report.program_name.is_none() {
            return Err(ParseError::shape(
                "expected a ZAP JSON report (an object with `site`)",
            ));
        }
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        let Sites(sites, is_list) = report.site.unwrap_or_default();
        for (si, raw_site) in sites.iter().enumerate() {
            let site_loc = if is_list {
                json::pointer_index("/site", si)
            } else {
                "/site".to_string()
            };
            let site: Site = match serde_json::from_str(raw_site.get()) {
                Ok(s) => s,
                Err(e) => {
                    diagnostics.push(json::skipped(&site_loc, format!("site skipped: {e}")));
                    continue;
                }
            };
            let site_name = ne(site.name);
            let alerts_loc = format!("{site_loc}/alerts");
            let mut parsed = Vec::new();
            json::each_item(
                &site.alerts,
                &alerts_loc,
                &mut diagnostics,
                |_, loc, a: Alert| parsed.push((loc, a)),
            );
            for (loc, a) in parsed {
                let instances = a
                    .instances
                    .into_iter()
                    .enumerate()
                    .map(|(ii, inst)| {
                        (
                            json::pointer_index(&format!("{loc}/instances"), ii),
                            ZapInstance {
                                uri: ne(inst.uri),
                                method: ne(inst.method),
                                param: ne(inst.param),
                                evidence: ne(inst.evidence),
                            },
                        )
                    })
                    .collect();
                let alert = ZapAlert {
                    plugin_id: ne(a.pluginid),
                    alert_ref: ne(a.alert_ref),
                    name: ne(a.name).or(ne(a.alert)),
                    riskcode: ne(a.riskcode),
                    riskdesc: ne(a.riskdesc),
                    desc: ne(a.desc),
                    solution: ne(a.solution),
                    reference: ne(a.reference),
                    cweid: ne(a.cweid),
                    site: site_name.clone(),
                    instances,
                    own: ZapInstance {
                        uri: ne(a.uri),
                        ..ZapInstance::default()
                    },
                };
                alert_occurrences(alert, &loc, &mut occurrences, &mut diagnostics);
            }
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("zap", ne(report.version)),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}
