//! CODEOWNERS files (GitHub and GitLab syntax).
//!
//! * `#` starts a comment (a whole line, or a token starting with `#` after the pattern);
//!   `\#` at the start of a pattern is a literal `#` (GitLab), `\ ` a literal space.
//! * A rule is a pattern (see [patterns](crate#patterns)) followed by owners: `@user`,
//!   `@org/team` (GitLab nested groups `@group/sub/team`), `user@example.com`, or a GitLab
//!   role `@@developer`. A rule without owners makes the path unowned (GitHub), unless its
//!   GitLab section has default owners, which it then takes.
//! * GitLab sections: `[Section]`, `^[Optional section]`, `[Section][2]` (approvals),
//!   followed by the section's default owners. Sections with the same name (case-insensitive)
//!   are combined, as GitLab does.
//!
//! **Which rule wins.** GitHub: the last matching rule in the file. GitLab: the last match
//! *per section*, and the owners of every section combine. Posture routes a finding to one
//! owner, so [`CodeOwners::rule_for`] returns the last matching rule of the file among the
//! required sections (rules before any section header count as required), and only if
//! none matched, the last match among optional (`^[...]`) sections. For a GitHub file this
//! is exactly GitHub's rule. The GitLab per-section view is [`CodeOwners::section_matches`],
//! and [`CodeOwners::all_owners_of`] is the combined owner list GitLab would request
//! approvals from.
//!
//! Bad lines (unknown owner syntax, negation, character ranges, malformed section headers)
//! are all reported with their line numbers; [`CodeOwners::parse_lenient`] skips them, as
//! GitHub does, and keeps the rest.

use std::fmt;

use serde::Serialize;

use crate::diagnostic::{ConfigErrors, Sink};
use crate::pattern::{self, PatternSet};

/// One owner named in a CODEOWNERS file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Owner {
    /// `@octocat`
    User(String),
    /// `@org/team`; `team` keeps any GitLab subgroups (`@group/sub/team` -> `sub/team`).
    Team { org: String, team: String },
    /// `octocat@example.com`
    Email(String),
    /// GitLab role, `@@developer`
    Role(String),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::User(u) => write!(f, "@{u}"),
            Owner::Team { org, team } => write!(f, "@{org}/{team}"),
            Owner::Email(e) => f.write_str(e),
            Owner::Role(r) => write!(f, "@@{r}"),
        }
    }
}

impl Owner {
    /// Parses one owner token; `None` if it is no owner syntax.
    pub fn parse(token: &str) -> Option<Owner> {
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if let Some(role) = token.strip_prefix("@@") {
            return name_ok(role).then(|| Owner::Role(role.to_string()));
        }
        if let Some(rest) = token.strip_prefix('@') {
            return match rest.split_once('/') {
                Some((org, team)) => {
                    (name_ok(org) && team.split('/').all(name_ok)).then(|| Owner::Team {
                        org: org.to_string(),
                        team: team.to_string(),
                    })
                }
                None => name_ok(rest).then(|| Owner::User(rest.to_string())),
            };
        }
        let (local, domain) = token.split_once('@')?;
        let ok = !local.is_empty()
            && !local.contains(char::is_whitespace)
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
        ok.then(|| Owner::Email(token.to_string()))
    }
}

/// A GitLab section header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub name: String,
    /// `^[Name]`: approval optional.
    pub optional: bool,
    /// `[Name][2]`: approvals required.
    pub approvals: Option<u32>,
    /// Owners for the section's rules that name none.
    pub default_owners: Vec<Owner>,
    /// 1-based line of the (first) header.
    pub line: usize,
}

/// One rule line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// 1-based line in the file.
    pub line: usize,
    /// The pattern as written (escapes kept).
    pub pattern: String,
    /// Owners as written, or the section's default owners when the line names none.
    pub owners: Vec<Owner>,
    /// Whether `owners` came from the section's default owners.
    pub default_owners: bool,
    /// Index into [`CodeOwners::sections`].
    pub section: Option<usize>,
    /// The line as written (trimmed, without a trailing comment), for explanations.
    pub text: String,
}

/// A rule that matched a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    pub source_name: &'a str,
    pub rule: &'a Rule,
    pub section: Option<&'a Section>,
}

impl Match<'_> {
    pub fn owners(&self) -> &[Owner] {
        &self.rule.owners
    }

    /// `CODEOWNERS line 12: /src/payments/ @org/payments`
    pub fn explain(&self) -> String {
        let mut s = format!(
            "{} line {}: {}",
            self.source_name, self.rule.line, self.rule.text
        );
        if let Some(section) = self.section {
            s.push_str(&format!(" (section [{}]", section.name));
            if self.rule.default_owners && !self.rule.owners.is_empty() {
                let owners: Vec<String> = self.rule.owners.iter().map(|o| o.to_string()).collect();
                s.push_str(&format!(", default owners {}", owners.join(" ")));
            }
            s.push(')');
        }
        s
    }
}

impl fmt::Display for Match<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone)]
pub struct CodeOwners {
    source_name: String,
    sections: Vec<Section>,
    rules: Vec<Rule>,
    patterns: PatternSet,
}

impl CodeOwners {
    /// Parses a CODEOWNERS file; every bad line is reported.
    pub fn parse(source_name: &str, text: &str) -> Result<CodeOwners, ConfigErrors> {
        match Self::parse_lenient(source_name, text) {
            (c, None) => Ok(c),
            (_, Some(e)) => Err(e),
        }
    }

    /// Parses a CODEOWNERS file, skipping bad lines (as GitHub does) and returning them.
    pub fn parse_lenient(source_name: &str, text: &str) -> (CodeOwners, Option<ConfigErrors>) {
        let mut sink = Sink::new(text);
        let mut sections: Vec<Section> = Vec::new();
        let mut rules = Vec::new();
        let mut current: Option<usize> = None;
        let mut offset = 0usize;
        for (i, raw_line) in text.split('\n').enumerate() {
            let line_no = i + 1;
            let line_start = offset;
            offset += raw_line.len() + 1;
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let indent = line.len() - line.trim_start().len();
            let body = line.trim_start();
            let base = line_start + indent;
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let tokens = tokenize(body);
            if body.starts_with('[') || body.starts_with("^[") {
                match parse_section(body) {
                    Ok((name, optional, approvals, rest_at)) => {
                        let owners_tokens: Vec<&Token> =
                            tokens.iter().filter(|t| t.start >= rest_at).collect();
                        // A bad default owner is reported; the section still opens (with the
                        // owners that parsed), so the rules below it keep their section.
                        let (owners, _) = parse_owners(&mut sink, base, &owners_tokens);
                        let existing = sections
                            .iter()
                            .position(|s| s.name.eq_ignore_ascii_case(&name));
                        current = Some(match existing {
                            Some(idx) => idx,
                            None => {
                                sections.push(Section {
                                    name,
                                    optional,
                                    approvals,
                                    default_owners: owners,
                                    line: line_no,
                                });
                                sections.len() - 1
                            }
                        });
                    }
                    Err(message) => sink.push(
                        "codeowners::bad-section",
                        base..base + body.len(),
                        message,
                        "section header",
                        Some("GitLab section headers look like `[Name]`, `^[Name]`, `[Name][2] @default-owner`".into()),
                    ),
                }
                continue;
            }
            let Some((first, rest)) = tokens.split_first() else {
                continue;
            };
            let span = base + first.start..base + first.end;
            if let Err(e) = pattern::globs(&first.text) {
                let code = if first.text.starts_with('!') {
                    "codeowners::negation"
                } else {
                    "codeowners::bad-pattern"
                };
                sink.push(code, span, e.message, "this pattern", e.help);
                continue;
            }
            let owner_tokens: Vec<&Token> = rest.iter().collect();
            let (mut owners, ok) = parse_owners(&mut sink, base, &owner_tokens);
            if !ok {
                continue;
            }
            let mut default_owners = false;
            if owners.is_empty()
                && let Some(section) = current.and_then(|c| sections.get(c))
                && !section.default_owners.is_empty()
            {
                owners = section.default_owners.clone();
                default_owners = true;
            }
            let end = tokens
                .iter()
                .take_while(|t| !t.comment)
                .map(|t| t.end)
                .last()
                .unwrap_or(body.len());
            rules.push(Rule {
                line: line_no,
                pattern: first.text.clone(),
                owners,
                default_owners,
                section: current,
                text: body.get(..end).unwrap_or(body).to_string(),
            });
        }
        let patterns = PatternSet::new(rules.iter().map(|r| r.pattern.as_str()));
        let errors =
            (!sink.is_empty()).then(|| ConfigErrors::new(source_name, text, sink.diagnostics));
        (
            CodeOwners {
                source_name: source_name.to_string(),
                sections,
                rules,
                patterns,
            },
            errors,
        )
    }

    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    fn is_optional(&self, rule: &Rule) -> bool {
        rule.section
            .and_then(|s| self.sections.get(s))
            .is_some_and(|s| s.optional)
    }

    fn to_match<'a>(&'a self, rule: &'a Rule) -> Match<'a> {
        Match {
            source_name: &self.source_name,
            rule,
            section: rule.section.and_then(|s| self.sections.get(s)),
        }
    }

    /// The rule deciding `path` (see the module docs for sections).
    pub fn rule_for(&self, path: &str) -> Option<Match<'_>> {
        let matching: Vec<&Rule> = self
            .patterns
            .matching(path)
            .into_iter()
            .filter_map(|i| self.rules.get(i))
            .collect();
        let required = matching.iter().rev().find(|r| !self.is_optional(r));
        let rule = required.or_else(|| matching.last())?;
        Some(self.to_match(rule))
    }

    /// Owners of `path`: `None` if no rule matches, `Some(&[])` if the deciding rule names
    /// no owner (the path was made unowned on purpose).
    pub fn owners_of(&self, path: &str) -> Option<&[Owner]> {
        self.rule_for(path).map(|m| m.rule.owners.as_slice())
    }

    /// GitLab's view: the last matching rule of every section, in section order (rules
    /// outside any section first).
    pub fn section_matches(&self, path: &str) -> Vec<Match<'_>> {
        let mut last: Vec<(Option<usize>, &Rule)> = Vec::new();
        for rule in self
            .patterns
            .matching(path)
            .into_iter()
            .filter_map(|i| self.rules.get(i))
        {
            match last.iter_mut().find(|(s, _)| *s == rule.section) {
                Some(entry) => entry.1 = rule,
                None => last.push((rule.section, rule)),
            }
        }
        last.sort_by_key(|(s, _)| s.map_or(0, |i| i + 1));
        last.into_iter().map(|(_, r)| self.to_match(r)).collect()
    }

    /// Owners of every section's match combined (GitLab approvals), without repeats.
    pub fn all_owners_of(&self, path: &str) -> Vec<&Owner> {
        let mut out: Vec<&Owner> = Vec::new();
        for m in self.section_matches(path) {
            for o in &m.rule.owners {
                if !out.contains(&o) {
                    out.push(o);
                }
            }
        }
        out
    }
}

#[derive(Debug)]
struct Token {
    /// Text with escapes kept (`\#`, `\ `).
    text: String,
    start: usize,
    end: usize,
    /// Starts an inline comment (`# ...`).
    comment: bool,
}

/// Splits a line at unescaped whitespace; a token starting with `#` (after the first)
/// begins a comment that runs to the end of the line.
fn tokenize(body: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' && !tokens.is_empty() {
            tokens.push(Token {
                text: body.get(start..).unwrap_or("").to_string(),
                start,
                end: body.len(),
                comment: true,
            });
            break;
        }
        let mut text = String::new();
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            text.push(c);
            end = i + c.len_utf8();
            if c == '\\'
                && let Some(&(j, n)) = chars.peek()
            {
                chars.next();
                text.push(n);
                end = j + n.len_utf8();
            }
        }
        tokens.push(Token {
            text,
            start,
            end,
            comment: false,
        });
    }
    tokens
}

/// `^[Name][2] rest` -> (name, optional, approvals, byte offset of rest).
fn parse_section(body: &str) -> Result<(String, bool, Option<u32>, usize), String> {
    let (optional, after) = match body.strip_prefix('^') {
        Some(r) => (true, r),
        None => (false, body),
    };
    let skip = body.len() - after.len();
    let inner = after
        .strip_prefix('[')
        .ok_or("section header must start with `[`")?;
    let close = inner.find(']').ok_or("section header has no closing `]`")?;
    let name = inner.get(..close).unwrap_or("").trim().to_string();
    if name.is_empty() {
        return Err("section header has an empty name".into());
    }
    let mut rest_at = skip + 1 + close + 1;
    let mut approvals = None;
    let rest = body.get(rest_at..).unwrap_or("");
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or("approval count has no closing `]`")?;
        let n = r.get(..close).unwrap_or("");
        approvals = Some(
            n.trim()
                .parse::<u32>()
                .map_err(|_| format!("approval count `{n}` is not a number"))?,
        );
        rest_at += close + 2;
    }
    let rest = body.get(rest_at..).unwrap_or("");
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return Err("section header must be followed by a space before its owners".into());
    }
    Ok((name, optional, approvals, rest_at))
}

/// Owners from tokens (stopping at a comment), and whether all of them parsed (bad ones
/// are reported).
fn parse_owners(sink: &mut Sink<'_>, base: usize, tokens: &[&Token]) -> (Vec<Owner>, bool) {
    let mut owners = Vec::new();
    let mut ok = true;
    for t in tokens {
        if t.comment {
            break;
        }
        match Owner::parse(&t.text) {
            Some(o) => owners.push(o),
            None => {
                ok = false;
                sink.push(
                    "codeowners::bad-owner",
                    base + t.start..base + t.end,
                    format!("`{}` is not an owner", t.text),
                    "not an owner",
                    Some("owners are `@user`, `@org/team`, `user@example.com` (or a GitLab role `@@developer`)".into()),
                );
            }
        }
    }
    (owners, ok)
}
