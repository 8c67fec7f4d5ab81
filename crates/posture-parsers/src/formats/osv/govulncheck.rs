//! govulncheck JSON output (`govulncheck -json` / `-format json`).
//!
//! Shapes:
//! * protocol v0.1.0 and v1.0.0: a **stream** of pretty-printed objects, each with one key:
//!   `config` (protocol_version, scanner_version...), `progress`, `osv` (a full OSV record),
//!   `SBOM`, `finding` (`{osv, fixed_version, trace[{module, version, package, function,
//!   receiver, position}]}`). Some copies (DefectDojo's) wrap the stream in a JSON array: read
//!   the same way.
//! * pre-1.0 (2022/23): one object `{Calls, Imports, Requires, Modules[{Path, Version}],
//!   Vulns[{OSV, Symbol, PkgPath, ModPath, CallSink, ImportSink, RequireSink}]}`.
//!
//! Empty: a stream without `finding` (`-mode query` prints only `osv` objects), `Vulns: []`,
//! and a 0-byte file.
//!
//! Items: govulncheck writes one `finding` per scan level (module, package, then one per
//! called symbol), and pre-1.0 one `Vulns[]` entry per vulnerable symbol. Posture emits **one
//! occurrence per (OSV id, module)**, keeping the deepest level seen (symbol > package >
//! module) and its locator (`/N` = N-th value of the stream; `/Vulns/N` pre-1.0). So
//! `source_call_json.json` (9 findings) gives 4 occurrences, `binary_call_json.json` (10
//! findings) 4, `convert_input.json` 3, and pre-1.0 `many_vulns.json` (12 symbol entries) 3.
//!
//! Reachability: when the kept level reaches a function (pre-1.0: `CallSink` set), the
//! description says `Reachability: called (symbol Result.Get ...)` with the symbols and the
//! first call site in the user's code; else `Reachability: imported` (package level) or
//! `Reachability: required` (module level). A later issue will turn this into data.
//!
//! Identity: `vulnerability_ids` = the GO id, then the OSV record's aliases (CVE, GHSA).
//! Package: ecosystem `golang`, name = module path (`stdlib` for the standard library),
//! installed version (trace `version`; pre-1.0 `Modules[]`), fixed version, purl
//! `pkg:golang/<module>@<version>` (not for `stdlib`/`toolchain`). No location: the module
//! requirement is in go.mod, which govulncheck does not name.
//!
//! Severity: the Go vulnerability database rates nothing, so every occurrence is **medium**
//! (`tool_severity` empty); the OSV record's `database_specific.severity`, when some database
//! adds one, is used instead (GHSA words: `MODERATE` → medium...).
//! Tool version: `config.scanner_version`.

use super::scanner::{OsvRecord, max_db_severity};
use crate::json::{self, null_default, opt_lenient_u32};
use crate::support::item;
use crate::support::{non_empty_trimmed, push_unique, push_vuln_id};
use crate::{BareEmpty, Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{
    Category, Diagnostic, Occurrence, Package, ParsedReport, Severity, ToolInfo, ToolRun,
};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Govulncheck;

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(default)]
    config: Option<Config>,
    #[serde(default, borrow)]
    osv: Option<&'a RawValue>,
    #[serde(default, borrow)]
    finding: Option<&'a RawValue>,
    #[serde(default)]
    progress: Option<serde::de::IgnoredAny>,
    #[serde(rename = "SBOM", default)]
    sbom: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    scanner_version: Option<String>,
}

#[derive(Deserialize)]
struct Finding {
    osv: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    trace: Vec<Frame>,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    receiver: Option<String>,
    #[serde(default)]
    position: Option<Position>,
}

#[derive(Deserialize)]
struct Position {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column: Option<u32>,
}

#[derive(Deserialize)]
struct Pre1<'a> {
    #[serde(rename = "Vulns", borrow, deserialize_with = "null_default")]
    vulns: Vec<&'a RawValue>,
    #[serde(rename = "Modules", default, deserialize_with = "null_default")]
    modules: Vec<Pre1Module>,
}

#[derive(Deserialize)]
struct Pre1Module {
    #[serde(rename = "Path", default)]
    path: Option<String>,
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct Pre1Vuln<'a> {
    #[serde(rename = "OSV", borrow)]
    osv: &'a RawValue,
    #[serde(rename = "Symbol", default)]
    symbol: Option<String>,
    #[serde(rename = "PkgPath", default)]
    pkg_path: Option<String>,
    #[serde(rename = "ModPath", default)]
    mod_path: Option<String>,
    #[serde(rename = "CallSink", default, deserialize_with = "opt_lenient_u32")]
    call_sink: Option<u32>,
    #[serde(rename = "ImportSink", default, deserialize_with = "opt_lenient_u32")]
    import_sink: Option<u32>,
}

/// One (OSV id, module) being collapsed.
struct Collapsed {
    osv: String,
    module: String,
    version: Option<String>,
    fixed: Vec<String>,
    /// 0 module, 1 package, 2 symbol.
    level: u8,
    locator: String,
    symbols: Vec<String>,
    call_site: Option<String>,
}

impl Parser for Govulncheck {
    fn id(&self) -> &'static str {
        "govulncheck-json"
    }

    fn description(&self) -> &'static str {
        "govulncheck JSON stream (protocol v0.1.0, v1.0.0) and pre-1.0 {Calls, Vulns} object"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sca]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if s.has_key("config") && s.has_keys(&["protocol_version", "scanner_name"]) {
            return if s.contains("govulncheck") {
                Confidence::CERTAIN
            } else {
                Confidence::MATCH
            };
        }
        if s.is_json_object() && s.has_keys(&["Calls", "Vulns"]) {
            return Confidence::CERTAIN;
        }
        if s.is_json_object() && s.has_key("Vulns") && s.has_keys(&["ModPath", "CallSink"]) {
            return Confidence::CERTAIN;
        }
        Confidence::NO
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let mut report = ParsedReport::new(self.id());
        if json::is_blank(input) {
            report.runs.push(ToolRun {
                tool: ToolInfo::new("govulncheck", None),
                occurrences: Vec::new(),
            });
            return Ok(report);
        }
        let mut items = json::stream_items(input)?;
        let base = String::new();
        if let [only] = items.as_slice() {
            let t = only.get().trim_start();
            if t.starts_with('[') {
                items = serde_json::from_str(t).map_err(|e| ParseError::from_json(&e))?;
            } else if let Ok(pre) = serde_json::from_str::<Pre1>(t) {
                let occurrences = pre1(pre, &mut report.diagnostics);
                report.runs.push(ToolRun {
                    tool: ToolInfo::new("govulncheck", None),
                    occurrences,
                });
                return Ok(report);
            }
        }
        let diags = &mut report.diagnostics;
        let mut version = None;
        let mut records: Vec<OsvRecord> = Vec::new();
        let mut groups: Vec<Collapsed> = Vec::new();
        let mut known = 0usize;
        for (i, raw) in items.iter().enumerate() {
            let loc = json::pointer_index(&base, i);
            let Some(m) = item::<Message>(raw, &loc, diags) else {
                continue;
            };
            if m.config.is_some()
                || m.osv.is_some()
                || m.finding.is_some()
                || m.progress.is_some()
                || m.sbom.is_some()
            {
                known += 1;
            }
            if let Some(c) = m.config {
                version = non_empty_trimmed(c.scanner_version);
            }
            if let Some(o) = m.osv
                && let Some(r) = item::<OsvRecord>(o, &json::pointer(&loc, "osv"), diags)
            {
                records.push(r);
            }
            if let Some(f) = m.finding
                && let Some(f) = item::<Finding>(f, &json::pointer(&loc, "finding"), diags)
            {
                collapse(f, loc, &mut groups);
            }
        }
        if known == 0 && !items.is_empty() {
            return Err(ParseError::new(
                ParseErrorKind::Shape,
                "not govulncheck JSON: expected `config`/`osv`/`finding` objects or \
                 `{Calls, Vulns}`",
            ));
        }
        let occurrences = groups
            .into_iter()
            .map(|g| {
                let rec = records.iter().find(|r| r.id.trim() == g.osv.trim());
                build(g, rec)
            })
            .collect();
        report.runs.push(ToolRun {
            tool: ToolInfo::new("govulncheck", version),
            occurrences,
        });
        Ok(report)
    }
}

fn collapse(f: Finding, locator: String, groups: &mut Vec<Collapsed>) {
    let Some(first) = f.trace.first() else {
        return;
    };
    let module = first.module.clone().unwrap_or_default();
    let level = if first.function.is_some() {
        2
    } else if first.package.is_some() {
        1
    } else {
        0
    };
    let symbol = first.function.as_deref().map(|func| {
        let pkg = first.package.as_deref().unwrap_or("");
        match first.receiver.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => format!("{pkg}.{}.{func}", r.trim_start_matches('*')),
            None => format!("{pkg}.{func}"),
        }
    });
    let call_site = f.trace.iter().rev().find_map(|fr| {
        let p = fr.position.as_ref()?;
        let file = p.filename.as_deref()?;
        let func = fr.function.as_deref().unwrap_or("");
        let pkg = fr.package.as_deref().unwrap_or("");
        Some(format!(
            "{pkg}.{func} at {file}:{}:{}",
            p.line.unwrap_or(0),
            p.column.unwrap_or(0)
        ))
    });
    let idx = groups
        .iter()
        .position(|g| g.osv == f.osv && g.module == module);
    let g = match idx.and_then(|i| groups.get_mut(i)) {
        Some(g) => g,
        None => {
            groups.push(Collapsed {
                osv: f.osv.clone(),
                module: module.clone(),
                version: None,
                fixed: Vec::new(),
                level,
                locator: locator.clone(),
                symbols: Vec::new(),
                call_site: None,
            });
            let Some(g) = groups.last_mut() else { return };
            g
        }
    };
    if level > g.level {
        g.level = level;
        g.locator = locator;
    }
    if g.version.is_none() {
        g.version = non_empty_trimmed(first.version.clone());
    }
    if let Some(fv) = non_empty_trimmed(f.fixed_version) {
        push_unique(&mut g.fixed, fv);
    }
    if let Some(s) = symbol {
        push_unique(&mut g.symbols, s);
    }
    if level == 2 && g.call_site.is_none() && f.trace.len() > 1 {
        g.call_site = call_site;
    }
}

fn pre1(pre: Pre1<'_>, diags: &mut Vec<Diagnostic>) -> Vec<Occurrence> {
    let mut groups: Vec<Collapsed> = Vec::new();
    let mut records: Vec<OsvRecord> = Vec::new();
    for (i, raw) in pre.vulns.iter().enumerate() {
        let loc = json::pointer_index("/Vulns", i);
        let Some(v) = item::<Pre1Vuln>(raw, &loc, diags) else {
            continue;
        };
        let Some(rec) = item::<OsvRecord>(v.osv, &json::pointer(&loc, "OSV"), diags) else {
            continue;
        };
        let module = v.mod_path.clone().unwrap_or_default();
        let level = if v.call_sink.unwrap_or(0) > 0 {
            2
        } else if v.import_sink.unwrap_or(0) > 0 {
            1
        } else {
            0
        };
        let version = pre
            .modules
            .iter()
            .find(|m| m.path.as_deref() == Some(module.as_str()))
            .and_then(|m| non_empty_trimmed(m.version.clone()));
        let fixed = rec.fixed_versions(&module);
        let symbol = v.symbol.as_deref().map(|s| match v.pkg_path.as_deref() {
            Some(p) if !p.is_empty() => format!("{p}.{s}"),
            _ => s.to_string(),
        });
        let idx = groups
            .iter()
            .position(|g| g.osv == rec.id && g.module == module);
        let g = match idx.and_then(|k| groups.get_mut(k)) {
            Some(g) => g,
            None => {
                groups.push(Collapsed {
                    osv: rec.id.clone(),
                    module: module.clone(),
                    version,
                    fixed,
                    level,
                    locator: loc.clone(),
                    symbols: Vec::new(),
                    call_site: None,
                });
                records.push(rec);
                let Some(g) = groups.last_mut() else { continue };
                g
            }
        };
        if level > g.level {
            g.level = level;
            g.locator = loc;
        }
        if level == 2
            && let Some(s) = symbol
        {
            push_unique(&mut g.symbols, s);
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let rec = records.iter().find(|r| r.id == g.osv);
            build(g, rec)
        })
        .collect()
}

fn build(g: Collapsed, rec: Option<&OsvRecord>) -> Occurrence {
    let mut ids = Vec::new();
    push_vuln_id(&mut ids, &g.osv);
    if let Some(r) = rec {
        for a in &r.aliases {
            push_vuln_id(&mut ids, a);
        }
    }
    let rule_id = ids.first().cloned().unwrap_or_else(|| g.osv.clone());
    let title = rec
        .and_then(|r| non_empty_trimmed(r.summary.clone()))
        .unwrap_or_else(|| format!("{rule_id} in {}", g.module));
    let (severity, tool_severity) = match rec.and_then(|r| max_db_severity(std::iter::once(r))) {
        Some((s, w)) => (s, Some(w)),
        None => (Severity::Medium, None),
    };
    let mut occ = Occurrence::new(Category::Sca, rule_id, title, severity, g.locator);
    occ.tool_severity = tool_severity;
    occ.vulnerability_ids = ids;
    let mut desc = Vec::new();
    if let Some(d) = rec.and_then(|r| non_empty_trimmed(r.details.clone())) {
        desc.push(d);
    }
    desc.push(match g.level {
        2 => {
            let mut s = if g.symbols.is_empty() {
                "Reachability: called".to_string()
            } else {
                format!("Reachability: called (symbol {})", g.symbols.join(", "))
            };
            if let Some(c) = &g.call_site {
                s.push_str(&format!("; called from {c}"));
            }
            s
        }
        1 => "Reachability: imported (no call of a vulnerable symbol found)".to_string(),
        _ => "Reachability: required (the module is a dependency; its vulnerable packages are \
              not imported)"
            .to_string(),
    });
    occ.description = Some(desc.join("\n\n"));
    if let Some(r) = rec {
        occ.cwes = r.cwes();
        occ.cvss = r.cvss();
        occ.references = r.references();
    }
    let module = g.module.trim().to_string();
    let purl = match (&g.version, module.as_str()) {
        (_, "stdlib" | "toolchain" | "") => None,
        (Some(v), m) => Some(format!("pkg:golang/{m}@{v}")),
        (None, _) => None,
    };
    occ.package = Some(Package {
        purl,
        ecosystem: Some("golang".to_string()),
        name: module,
        version: g.version,
        fixed_versions: g.fixed,
    });
    occ
}
