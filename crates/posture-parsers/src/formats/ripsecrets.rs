//! ripsecrets plain-text output (`ripsecrets [paths]`, its only format).
//!
//! Shape: one line per finding, `path:line:matched line` (ripgrep style); nothing at all when
//! no secret was found (exit code 0) — a 0-byte file is zero occurrences.
//!
//! Items: one occurrence per line (locator `line:N`, N being the 1-based line of the report),
//! category **secret**, CWE-798, `rule_id` `ripsecrets` (the tool does not say which pattern
//! matched). `location.path` is the path with a leading `./` dropped, `start_line` the line.
//!
//! Secrets: the matched line contains the secret, and ripsecrets does not say where. The line
//! is reduced to its likely secret token by [`likely_secret_token`] and only that token's hash
//! and masked preview are kept; the line itself is never stored. Rule (also used for TruffleHog
//! v2 and legacy trufflehog3 strings):
//! 1. the value side: the text after the first assignment outside quotes (`=` that is not part
//!    of `==`, `!=`, `<=`, `>=`, `=>`; or `:` followed by a space or a quote), else the line;
//! 2. candidates: the contents of the quoted strings (`'…'`, `"…"`, `` `…` ``) of the value side;
//!    if there are none, its words split on whitespace and `,;()[]{}<>#`;
//! 3. the longest candidate of at least 8 characters whose Shannon entropy is at least 3 bits
//!    per character; else the longest candidate; else the trimmed value side.
//!
//! Severity: ripsecrets has none; every finding is **high** (as for every secret scanner here).
//!
//! Detection: only when every non-empty line of the head looks like `path:digits:` and the
//! report is not JSON or XML (`MATCH`, not `CERTAIN`: grep output looks the same).

use crate::support::likely_secret_token;
use crate::{BareEmpty, Confidence, ParseError, ParseErrorKind, Parser, Sniff};
use posture_model::{
    Category, Location, Occurrence, ParsedReport, SecretEvidence, Severity, ToolInfo, ToolRun,
};

pub struct Ripsecrets;

/// Splits `path:line:rest`; `None` when the line does not have that shape.
fn split_line(line: &str) -> Option<(&str, u32, &str)> {
    let (path, rest) = line.split_once(':')?;
    if path.is_empty() || path.contains('\n') {
        return None;
    }
    let (num, text) = rest.split_once(':')?;
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((path, num.parse().ok()?, text))
}

impl Parser for Ripsecrets {
    fn id(&self) -> &'static str {
        "ripsecrets-text"
    }

    fn description(&self) -> &'static str {
        "ripsecrets text output (path:line:matched line)"
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Secret]
    }

    fn bare_empty(&self) -> &'static [BareEmpty] {
        &[BareEmpty::Nothing]
    }

    fn detect(&self, s: &Sniff<'_>) -> Confidence {
        if matches!(s.first_char(), Some('{' | '[' | '<') | None) {
            return Confidence::NO;
        }
        let mut lines: Vec<&str> = s.head.lines().filter(|l| !l.trim().is_empty()).collect();
        if !s.complete {
            // the last line of a cut head may be incomplete
            lines.pop();
        }
        if !lines.is_empty() && lines.iter().all(|l| split_line(l).is_some()) {
            Confidence::MATCH
        } else {
            Confidence::NO
        }
    }

    fn parse(&self, input: &[u8]) -> Result<ParsedReport, ParseError> {
        let input = crate::json::strip_bom(input);
        let text = std::str::from_utf8(input).map_err(|e| {
            ParseError::new(
                ParseErrorKind::Syntax,
                format!("ripsecrets output is not UTF-8 text ({e})"),
            )
            .at(crate::Position::Byte(e.valid_up_to() as u64))
        })?;
        let mut occurrences = Vec::new();
        let mut diagnostics = Vec::new();
        let mut good = 0usize;
        let mut bad = 0usize;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let locator = format!("line:{}", i + 1);
            let Some((path, n, matched)) = split_line(line) else {
                bad += 1;
                diagnostics.push(crate::json::skipped(
                    &locator,
                    "line skipped: not `path:line:matched text`",
                ));
                continue;
            };
            good += 1;
            let mut occ = Occurrence::new(
                Category::Secret,
                "ripsecrets",
                "Secret detected",
                Severity::High,
                locator,
            );
            occ.secret = likely_secret_token(matched).map(SecretEvidence::from_plaintext);
            occ.location = Location {
                path: Some(path.strip_prefix("./").unwrap_or(path).to_string()),
                start_line: Some(n).filter(|n| *n > 0),
                end_line: Some(n).filter(|n| *n > 0),
                ..Location::default()
            };
            occ.cwes = vec![798];
            occurrences.push(occ);
        }
        if good == 0 && bad > 0 {
            return Err(ParseError::shape(
                "not ripsecrets output: expected lines of `path:line:matched text`",
            ));
        }
        Ok(ParsedReport {
            format: self.id().to_string(),
            runs: vec![ToolRun {
                tool: ToolInfo::new("ripsecrets", None),
                occurrences,
            }],
            diagnostics,
            ..ParsedReport::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rule() {
        assert_eq!(
            likely_secret_token(r#"  access_key = "AKIAIOSFODNN7EXAMPLE""#),
            Some("AKIAIOSFODNN7EXAMPLE")
        );
        assert_eq!(
            likely_secret_token("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMAAA"),
            Some("AKIAIOSFODNN7EXAMAAA")
        );
        assert_eq!(
            likely_secret_token("app.config['SECRET_KEY_HMAC_2'] = 'am0r3C0mpl3xK3y'"),
            Some("am0r3C0mpl3xK3y")
        );
        assert_eq!(
            likely_secret_token(r#"+      "password": "md5$c77N8n6nJPb1$3b35","#),
            Some("md5$c77N8n6nJPb1$3b35")
        );
        assert_eq!(
            likely_secret_token("if a == b: token = 'x'"),
            Some("x"),
            "`==` is not an assignment"
        );
        assert_eq!(
            likely_secret_token("#20821e4abaea95268880f020c9f6768288f3725a"),
            Some("20821e4abaea95268880f020c9f6768288f3725a")
        );
        assert_eq!(likely_secret_token("   "), None);
    }

    #[test]
    fn line_shape() {
        assert_eq!(
            split_line("./a/b.tf:10:  k = \"v:1\""),
            Some(("./a/b.tf", 10, "  k = \"v:1\""))
        );
        assert_eq!(split_line("hello, world"), None);
        assert_eq!(split_line("a:b:c"), None);
    }
}
