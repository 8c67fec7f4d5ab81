//! flake8 JSON reports (`flake8 --format=json`, the `flake8-json` formatter), typically with a
//! security plugin: dlint (`DUO1xx` rules) or flake8-bandit (`S1xx`...).
//!
//! Shape: an object keyed by file path, each value the list of that file's violations
//! (`code`, `filename`, `line_number`, `column_number`, `text`, `physical_line`). A file
//! without violations has `[]` (or `null`); `{}` is zero occurrences.
//!
//! Severity: flake8 has none. By the code's plugin:
//!
//! | code                                   | Posture |
//! |----------------------------------------|---------|
//! | `DUO…` (dlint)                         | medium  |
//! | `S…` (flake8-bandit)                   | medium  |
//! | `E999` (the file does not parse)       | low     |
//! | anything else (pycodestyle `E`/`W`, pyflakes `F`, `C`, `N`...) | info |
//!
//! dlint documents no severities of its own; its rules flag insecure API use (like Bandit's
//! MEDIUM), so medium. flake8-bandit drops Bandit's severity in flake8 output. `tool_severity`
//! is not set (the tool gives no word).
//!
//! CWE (dlint only): dlint's rule set is fixed (`DUO101`-`DUO138`) and its documentation
//! (`docs/README.md` and `docs/linters/DUOxxx.md` of dlint-py/dlint) says what each rule flags,
//! though it names no CWE. The security-relevant rules carry the CWE of what they flag, so that
//! a dlint finding meets Bandit's or Semgrep's on the same line (see [`dlint_cwe`]):
//!
//! | dlint rule (what it flags)                                  | CWE  |
//! |-------------------------------------------------------------|------|
//! | DUO102 `random` module instead of `SystemRandom`            | 330  |
//! | DUO103 `pickle`/`cPickle`; DUO109 `yaml.load`; DUO119 `shelve`; DUO120 `marshal` | 502 |
//! | DUO104 `eval`; DUO105 `exec`; DUO108 Python 2 `input`; DUO110 `compile` | 95 |
//! | DUO106 `os.system`/`popen*`; DUO116 `subprocess` `shell=True`; DUO125 `commands`; DUO126 `popen2` | 78 |
//! | DUO107 XML modules instead of `defusedxml`; DUO135 `defusedxml` without all `forbid_*` | 611 |
//! | DUO112 `zipfile` and DUO115 `tarfile` `extract`/`extractall` | 22  |
//! | DUO121 `tempfile.mktemp` (race)                              | 377  |
//! | DUO122 `ssl` unverified contexts, SSLv3, `CERT_NONE`; DUO123 `requests` `verify=False`; DUO127 `duo_client` `ca_certs=HTTP\|DISABLE`; DUO131 `urllib3` warnings disabled; DUO132 `urllib3` `cert_reqs` none | 295 |
//! | DUO130 `hashlib` MD5/SHA1; DUO133 PyCrypto `Crypto`; DUO134 `cryptography` MD5/SHA1/ECB/ARC4...; DUO136 `xmlsec` 3DES/MD5/SHA1/PKCS1 | 327 |
//! | DUO137 `itsdangerous` allowing empty signing (`algorithm` none) | 347 |
//! | DUO138 catastrophic `re` backtracking (ReDoS)                | 1333 |
//!
//! Left without a CWE: the Twisted correctness rules (DUO101, DUO113, DUO114), and rules whose
//! weakness is not one CWE or is unclear from the documentation (DUO111 `sys`, DUO117 `dl`,
//! DUO118 `gl`, DUO124 `xmlrpc` `allow_dotted_names`, DUO128/DUO129 OneLogin SAML settings).
//! flake8-bandit codes get no CWE here (Bandit's own JSON carries it).
//!
//! Identity hints: no `tool_fingerprint`. `context` is `physical_line` (the source line),
//! whitespace collapsed.
//!
//! Paths: a leading `./` (flake8 run on `.`) is removed. `column_number` is 1-based as given.
//! Tool: one run named `flake8`, whatever plugins produced the codes (the rule id says which).
//!
//! Locators: `/<path>/<index>` (the path escaped as RFC 6901 says, `/` → `~1`).
//!
//! Collapsing: none, one occurrence per violation.

use crate::json::{self, opt_lenient_string, opt_lenient_u32};
use crate::support::tidy_path;
use crate::{Confidence, ParseError, Parser, Sniff};
use posture_model::{Category, Location, Occurrence, ParsedReport, Severity, ToolInfo, ToolRun};
use serde::Deserialize;
use serde_json::value::RawValue;

pub struct Flake8;

#[derive(Deserialize)]
struct Violation {
    #[serde(default, deserialize_with = "opt_lenient_string")]
    code: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    filename: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    line_number: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_u32")]
    column_number: Option<u32>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    text: Option<String>,
    #[serde(default, deserialize_with = "opt_lenient_string")]
    physical_line: Option<String>,
}

impl Parser for Flake8 {
    fn id(&self) -> &'static str {
        "flake8-json"
    }

    fn description(&self) -> &'static str {
        "flake8 JSON report (flake8-json formatter; dlint, flake8-bandit)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Sast]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if !s.is_json_object() {
            return Confidence::NO;
        }
        if s.has_keys(&["code", "filename", "line_number", "column_number", "text"])
            && s.has_key("physical_line")
        {
            Confidence::CERTAIN
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        const EXPECTED: &str = "expected a flake8 JSON report (an object mapping each file to \
                                its list of violations)";
        let files: Vec<(String, Option<Vec<&RawValue>>)> = json::from_slice::<OrderedMap>(input)
            .map_err(|e| crate::support::reshape(e, EXPECTED))?
            .0;
        let mut diagnostics = Vec::new();
        let mut occurrences = Vec::new();
        for (path, items) in &files {
            let base = json::pointer("", path);
            let items = items.as_deref().unwrap_or_default();
            json::each_item(items, &base, &mut diagnostics, |_, loc, v: Violation| {
                occurrences.push(to_occurrence(v, path, loc));
            });
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("flake8", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

/// The top-level object in document order (serde_json's map would sort it).
struct OrderedMap<'a>(Vec<(String, Option<Vec<&'a RawValue>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for OrderedMap<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = OrderedMap<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object mapping file paths to lists of violations")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Option<Vec<&'de RawValue>>>()? {
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

fn severity(code: &str) -> Severity {
    let c = code.trim().to_ascii_uppercase();
    let bandit_plugin = c
        .strip_prefix('S')
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
    if c.starts_with("DUO") || bandit_plugin {
        Severity::Medium
    } else if c == "E999" {
        Severity::Low
    } else {
        Severity::Info
    }
}

fn to_occurrence(v: Violation, key: &str, locator: String) -> Occurrence {
    let rule = v
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("flake8")
        .to_string();
    let title = v
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(&rule)
        .to_string();
    let mut occ = Occurrence::new(
        Category::Sast,
        rule.clone(),
        title,
        severity(&rule),
        locator,
    );
    let path = v
        .filename
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or(key);
    occ.location = Location {
        path: Some(tidy_path(path)).filter(|p| !p.is_empty()),
        start_line: v.line_number.filter(|l| *l > 0),
        start_column: v.column_number.filter(|c| *c > 0),
        ..Location::default()
    };
    if let Some(cwe) = dlint_cwe(&rule) {
        occ.cwes = vec![cwe];
    }
    occ.identity.context = v.physical_line.as_deref().and_then(|l| {
        let t = l.split_whitespace().collect::<Vec<_>>().join(" ");
        (!t.is_empty()).then_some(t)
    });
    occ
}

/// The CWE a dlint rule flags (table and sources in the module docs); `None` for other codes
/// and for dlint rules without one clear weakness.
fn dlint_cwe(code: &str) -> Option<u32> {
    let n: u32 = code
        .trim()
        .to_ascii_uppercase()
        .strip_prefix("DUO")?
        .parse()
        .ok()?;
    Some(match n {
        102 => 330,
        103 | 109 | 119 | 120 => 502,
        104 | 105 | 108 | 110 => 95,
        106 | 116 | 125 | 126 => 78,
        107 | 135 => 611,
        112 | 115 => 22,
        121 => 377,
        122 | 123 | 127 | 131 | 132 => 295,
        130 | 133 | 134 | 136 => 327,
        137 => 347,
        138 => 1333,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_by_plugin() {
        assert_eq!(severity("DUO130"), Severity::Medium);
        assert_eq!(severity("S101"), Severity::Medium);
        assert_eq!(severity("E501"), Severity::Info);
        assert_eq!(severity("SIM102"), Severity::Info);
        assert_eq!(severity("E999"), Severity::Low);
        assert_eq!(severity("S"), Severity::Info);
    }

    #[test]
    fn dlint_cwes() {
        assert_eq!(dlint_cwe("DUO130"), Some(327));
        assert_eq!(dlint_cwe("duo103"), Some(502));
        assert_eq!(dlint_cwe("DUO116"), Some(78));
        assert_eq!(dlint_cwe("DUO138"), Some(1333));
        assert_eq!(dlint_cwe("DUO101"), None, "Twisted correctness rule");
        assert_eq!(dlint_cwe("DUO124"), None);
        assert_eq!(dlint_cwe("S608"), None);
        assert_eq!(dlint_cwe("DUO"), None);
        let mapped = (101..=138)
            .filter(|n| dlint_cwe(&format!("DUO{n}")).is_some())
            .count();
        assert_eq!(mapped, 29);
    }
}
