//! Secrets masked everywhere, once, for every format: the step between a parser and identity.
//!
//! A parser of a secret scanner turns the secret into [`SecretEvidence`] itself; other tools
//! report hard-coded credentials as ordinary results (Bandit's B105 title `Possible hardcoded
//! password: 'am0r3C0mpl3xK3y'` and its code context, a Checkov `CKV_SECRET_*`, a Semgrep
//! secrets rule, any result with CWE-259/321/798). [`protect`] recognises those by the data in
//! [`SECRET_RULES`] and [`SECRET_CWES`] and, before anything is identified or stored:
//!
//! * masks every quoted literal in every text field of the occurrence (title, description,
//!   code context, location's parameter), since the value (and its neighbours in the context
//!   lines) is there;
//! * gives it evidence from the value its title (or message) quotes when the parser had none,
//!   and the category `secret`, so that its identity is the secret's (the same secret found
//!   by a secret scanner meets it);
//! * masks every copy of those values in every other occurrence of the report;
//! * seals every piece of evidence with the installation's key ([`SecretKey::seal`]): what is
//!   stored and shown is a keyed hash, never the parser's unkeyed SHA-1.

use posture_model::{Category, Occurrence, SECRET_MASK, SecretEvidence, SecretKey};

/// CWEs whose results carry a credential: hard-coded password (259), hard-coded
/// cryptographic key (321), hard-coded credentials (798).
pub const SECRET_CWES: &[u32] = &[259, 321, 798];

/// How a rule id is matched (ASCII case ignored).
#[derive(Debug, Clone, Copy)]
pub enum RuleMatch {
    Exact(&'static str),
    Prefix(&'static str),
    Contains(&'static str),
}

/// A rule whose results carry a credential, for one tool (folded name) or any (`None`).
#[derive(Debug, Clone, Copy)]
pub struct SecretRule {
    pub tool: Option<&'static str>,
    pub rule: RuleMatch,
}

const fn rule(tool: Option<&'static str>, rule: RuleMatch) -> SecretRule {
    SecretRule { tool, rule }
}

/// Rules whose results carry a credential, beyond the secret scanners (whose results are all
/// [`Category::Secret`]) and the CWEs of [`SECRET_CWES`].
pub const SECRET_RULES: &[SecretRule] = &[
    // Bandit: hardcoded_password_string, _funcarg, _default
    rule(Some("bandit"), RuleMatch::Exact("B105")),
    rule(Some("bandit"), RuleMatch::Exact("B106")),
    rule(Some("bandit"), RuleMatch::Exact("B107")),
    // Checkov's secrets framework
    rule(None, RuleMatch::Prefix("CKV_SECRET_")),
    // Semgrep (and its registry's ids in any tool's SARIF): `generic.secrets.*`, the
    // `*.hardcoded-*` credential rules
    rule(None, RuleMatch::Contains(".secrets.")),
    rule(None, RuleMatch::Prefix("secrets.")),
    rule(None, RuleMatch::Contains("hardcoded-secret")),
    rule(None, RuleMatch::Contains("hardcoded-password")),
    rule(None, RuleMatch::Contains("hardcoded_password")),
    rule(None, RuleMatch::Contains("hardcoded-credential")),
    rule(None, RuleMatch::Contains("hardcoded-token")),
    rule(None, RuleMatch::Contains("hardcoded-key")),
    rule(None, RuleMatch::Contains("hardcoded_config_secret")),
    rule(None, RuleMatch::Contains("hard-coded-credential")),
    rule(None, RuleMatch::Contains("hard-coded-password")),
];

/// Values shorter than this are not searched for in other fields (too likely to be ordinary
/// words); they are still masked where they appear quoted.
const MIN_SCRUB_LEN: usize = 6;

/// Whether `o` (a result of `tool`) carries a credential in its text.
pub fn is_secret_bearing(tool: &str, o: &Occurrence) -> bool {
    if o.category == Category::Secret || o.secret.is_some() {
        return true;
    }
    if o.cwes.iter().any(|c| SECRET_CWES.contains(c)) {
        return true;
    }
    let id = o.rule_id.to_ascii_lowercase();
    SECRET_RULES.iter().any(|r| {
        r.tool.is_none_or(|t| t.eq_ignore_ascii_case(tool))
            && match r.rule {
                RuleMatch::Exact(x) => id == x.to_ascii_lowercase(),
                RuleMatch::Prefix(x) => id.starts_with(&x.to_ascii_lowercase()),
                RuleMatch::Contains(x) => id.contains(&x.to_ascii_lowercase()),
            }
    })
}

/// Masks the secrets of one tool's occurrences and seals their evidence (see the module).
/// Returns how many occurrences were secret-bearing.
pub fn protect(tool: &str, occurrences: &mut [Occurrence], key: &SecretKey) -> usize {
    let mut values: Vec<String> = Vec::new();
    let mut bearing = 0;
    for o in occurrences.iter_mut() {
        if !is_secret_bearing(tool, o) {
            continue;
        }
        bearing += 1;
        // the value the result quotes: in its title (Bandit's JSON), else in the first line
        // of its message (SARIF keeps the rule's name as the title)
        let mut quoted = quoted_literals(&o.title);
        if quoted.is_empty()
            && let Some(first) = o.description.as_deref().and_then(|d| d.lines().next())
        {
            quoted = quoted_literals(first);
        }
        let stated = stated_value(&o.title).or_else(|| {
            o.description
                .as_deref()
                .and_then(|d| d.lines().next())
                .and_then(stated_value)
        });
        if o.secret.is_none()
            && let Some(value) = stated
        {
            // a hard-coded credential whose value is known is a secret like any other: it is
            // identified by the secret's hash and place, so a secret scanner's report of the
            // same value meets it
            o.secret = Some(SecretEvidence::from_plaintext(&value));
            o.category = Category::Secret;
        }
        // the values it quotes are searched for everywhere else (the literals of the
        // code context are masked in place: they include names, `'password'`, that must stay)
        for text in quoted {
            let word = text.trim().to_ascii_lowercase();
            if word.chars().count() >= MIN_SCRUB_LEN
                && !CREDENTIAL_WORDS.contains(&word.as_str())
                && !values.contains(&text)
            {
                values.push(text);
            }
        }
        for field in text_fields(o) {
            let masked = mask_quoted(field);
            if masked != *field {
                *field = masked;
            }
        }
    }
    // longest first, so a value that contains another is masked whole
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    for o in occurrences.iter_mut() {
        for field in scrub_fields(o) {
            let mut masked = mask_assigned(field);
            for v in &values {
                if masked.contains(v.as_str()) {
                    masked = masked.replace(v.as_str(), SECRET_MASK);
                }
            }
            if masked != *field {
                *field = masked;
            }
        }
    }
    for o in occurrences.iter_mut() {
        if let Some(evidence) = o.secret.as_mut() {
            key.seal(evidence);
        }
    }
    bearing
}

/// The free-text fields of an occurrence whose quoted literals are masked when it carries a
/// credential.
fn text_fields(o: &mut Occurrence) -> Vec<&mut String> {
    let mut out = vec![&mut o.title];
    for s in [
        o.description.as_mut(),
        o.identity.context.as_mut(),
        o.location.parameter.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        out.push(s);
    }
    out
}

/// Every free-text field of an occurrence a known value could hide in.
fn scrub_fields(o: &mut Occurrence) -> Vec<&mut String> {
    let mut out = vec![&mut o.title];
    for s in [
        o.description.as_mut(),
        o.identity.context.as_mut(),
        o.location.parameter.as_mut(),
        o.location.resource.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        out.push(s);
    }
    out.extend(o.references.iter_mut());
    out
}

/// Words that, before a quoted literal on its line and followed by an assignment, make the
/// literal a credential (`password = '…'`, `'api_key': "…"`, `login(token="…")`).
pub const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
    "privatekey",
    "credential",
    "auth",
];

/// `s` with every quoted literal that is assigned to a credential-named thing masked, in any
/// tool's result: the code context of an ordinary rule on a line that sets a password shows
/// the password too.
pub fn mask_assigned(s: &str) -> String {
    let spans: Vec<(usize, usize)> = spans(s)
        .into_iter()
        .filter(|&(a, _)| {
            let line_start = s[..a].rfind('\n').map_or(0, |i| i + 1);
            let before = s[line_start..a - 1].to_ascii_lowercase();
            CREDENTIAL_WORDS.iter().any(|w| {
                before
                    .rfind(w)
                    .is_some_and(|at| before[at..].contains(['=', ':', '(', ',']))
            })
        })
        .collect();
    if spans.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (a, b) in spans {
        out.push_str(&s[at..a]);
        out.push_str(SECRET_MASK);
        at = b;
    }
    out.push_str(&s[at..]);
    out
}

/// The value a message states at its end, `...: 'value'` (Bandit's `Possible hardcoded
/// password: '...'`, in its JSON title and its SARIF message): only that shape gives a
/// result evidence, so a message that merely quotes a name never makes one.
fn stated_value(line: &str) -> Option<String> {
    let line = line.trim_end();
    let (a, b) = *spans(line).last()?;
    let closes_line = b + 1 == line.len();
    let after_colon = line[..a - 1].trim_end().ends_with(':');
    let value = &line[a..b];
    (closes_line && after_colon && !value.trim().is_empty()).then(|| value.to_string())
}

/// The quoted spans of `s` (`'…'`, `"…"`, `` `…` ``, backslash escapes skipped), one line at
/// most each. A `'` right after a letter or digit (`don't`) opens nothing.
fn quoted_literals(s: &str) -> Vec<String> {
    spans(s)
        .into_iter()
        .map(|(a, b)| s[a..b].to_string())
        .collect()
}

/// `s` with the inside of every quoted span replaced by [`SECRET_MASK`].
fn mask_quoted(s: &str) -> String {
    let spans = spans(s);
    if spans.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (a, b) in spans {
        out.push_str(&s[at..a]);
        out.push_str(SECRET_MASK);
        at = b;
    }
    out.push_str(&s[at..]);
    out
}

/// Byte ranges of the insides of the non-empty quoted spans of `s`.
fn spans(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        let opens = matches!(q, b'\'' | b'"' | b'`')
            && !(q == b'\'' && i > 0 && bytes[i - 1].is_ascii_alphanumeric());
        if !opens {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut closed = None;
        while j < bytes.len() {
            match bytes[j] {
                b'\\' => j += 2,
                b'\n' => break,
                c if c == q => {
                    closed = Some(j);
                    break;
                }
                _ => j += 1,
            }
        }
        match closed {
            Some(end) if end > i + 1 => {
                out.push((i + 1, end));
                i = end + 1;
            }
            Some(end) => i = end + 1,
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_model::Severity;

    fn key() -> SecretKey {
        SecretKey::from_material(b"test key material, at least 32 bytes long").unwrap()
    }

    fn bandit(title: &str, context: &str) -> Occurrence {
        let mut o = Occurrence::new(Category::Sast, "B105", title, Severity::Low, "/results/1");
        o.cwes = vec![259];
        o.identity.context = Some(context.to_string());
        o
    }

    #[test]
    fn a_hardcoded_password_is_masked_in_every_field_and_identified_by_its_hash() {
        let mut occs = vec![
            bandit(
                "Possible hardcoded password: 'am0r3C0mpl3xK3y'",
                "app.config['SECRET_KEY_HMAC_2'] = 'am0r3C0mpl3xK3y'",
            ),
            // another tool's result on the same line, not a secret rule
            {
                let mut o = Occurrence::new(
                    Category::Sast,
                    "flask-config",
                    "Config set in code",
                    Severity::Low,
                    "/results/2",
                );
                o.identity.context = Some("x = am0r3C0mpl3xK3y + 1".into());
                o
            },
        ];
        assert_eq!(protect("bandit", &mut occs, &key()), 1);
        let dump = format!("{occs:?}");
        assert!(!dump.contains("am0r3C0mpl3xK3y"), "{dump}");
        assert_eq!(occs[0].title, "Possible hardcoded password: '********'");
        assert_eq!(occs[0].category, Category::Secret);
        let ev = occs[0].secret.as_ref().unwrap();
        assert!(ev.is_sealed());
        let mut found_by_a_scanner = SecretEvidence::from_plaintext("am0r3C0mpl3xK3y");
        key().seal(&mut found_by_a_scanner);
        assert_eq!(ev.hash, found_by_a_scanner.hash);
        assert_eq!(ev.masked, SECRET_MASK);
    }

    #[test]
    fn ordinary_results_are_left_alone_but_their_evidence_is_sealed() {
        let mut o = Occurrence::new(
            Category::Sast,
            "B602",
            "subprocess call with shell=True: 'ls'",
            Severity::High,
            "/results/0",
        );
        o.identity.context = Some("run('ls', shell=True)".into());
        let before = o.clone();
        let mut occs = vec![o];
        assert_eq!(protect("bandit", &mut occs, &key()), 0);
        assert_eq!(occs[0], before);
    }

    #[test]
    fn literals_assigned_to_credentials_are_masked_in_any_result() {
        assert_eq!(
            mask_assigned("auth = {'username': 'admin', 'password': 'admin123'}"),
            "auth = {'********': '********', '********': '********'}"
        );
        assert_eq!(
            mask_assigned("app.config['SECRET_KEY_HMAC_2'] = 'am0r3C0mpl3xK3y'"),
            "app.config['SECRET_KEY_HMAC_2'] = '********'"
        );
        assert_eq!(mask_assigned("open('x.txt')"), "open('x.txt')");
    }

    #[test]
    fn only_a_stated_value_becomes_evidence() {
        assert_eq!(
            stated_value("Possible hardcoded password: 'admin123'").as_deref(),
            Some("admin123")
        );
        assert_eq!(
            stated_value("Ensure 'provider' has no hard-coded key"),
            None
        );
        assert_eq!(stated_value("Use of 'x' here: fine"), None);
    }

    #[test]
    fn quotes_in_prose_do_not_open_literals() {
        assert_eq!(
            mask_quoted("don't use 'hunter2' here, it's \"x\\\"y\""),
            "don't use '********' here, it's \"********\""
        );
        assert_eq!(mask_quoted("''"), "''");
    }

    #[test]
    fn rules_and_cwes_are_recognised_as_data() {
        let mut o = Occurrence::new(Category::Iac, "CKV_SECRET_6", "t", Severity::Low, "/");
        assert!(is_secret_bearing("checkov", &o));
        o.rule_id = "generic.secrets.security.detected-aws-access-key-id-value".into();
        assert!(is_secret_bearing("semgrep", &o));
        o.rule_id = "B105".into();
        assert!(is_secret_bearing("bandit", &o));
        assert!(!is_secret_bearing("another", &o));
        o.cwes = vec![798];
        assert!(is_secret_bearing("another", &o));
    }
}
