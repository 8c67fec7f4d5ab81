//! Policy file (TOML) -> [`Policy`], reporting every problem at once with file, line and
//! column: TOML syntax, unknown keys, wrong types, missing keys, unknown actions and modes,
//! a `require_approval` without `role`, CEL syntax errors, and a type check of each `when`
//! expression (every selected field must exist in [`PolicyContext`], every variable must be
//! `finding`, `asset` or `owner`, and the expression must give a boolean on a sample context).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use posture_config::{ConfigErrors, Sink, did_you_mean};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::context::PolicyContext;
use crate::{Action, Mode, Policy, Rule};

type Val<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &["rule"];
const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "when",
    "action",
    "mode",
    "role",
    "for",
    "after_days",
    "target",
    "days",
    "valid_from",
    "valid_until",
    "max_days",
    "allow_unauthenticated",
];
const ACTIONS: &[&str] = &["block", "warn", "require_approval", "escalate", "set_sla"];
const MODES: &[&str] = &["enforce", "log-only"];
/// Triage states a `require_approval` rule may name in `for`.
pub const APPROVAL_STATES: &[&str] = &["accepted", "false-positive", "not-affected"];
/// Variables a `when` expression may use.
pub const VARIABLES: &[&str] = &["finding", "asset", "owner"];

/// Diagnostic codes (stable; see the crate documentation).
pub(crate) mod code {
    pub const SYNTAX: &str = "P001";
    pub const UNKNOWN_KEY: &str = "P002";
    pub const WRONG_TYPE: &str = "P003";
    pub const MISSING_KEY: &str = "P004";
    pub const UNKNOWN_ACTION: &str = "P005";
    pub const MISSING_ROLE: &str = "P006";
    pub const CEL_SYNTAX: &str = "P007";
    pub const UNKNOWN_FIELD: &str = "P008";
    pub const CEL_TYPE: &str = "P009";
    pub const INVALID_VALUE: &str = "P010";
    pub const DUPLICATE_RULE: &str = "P011";
    pub const NOT_FOR_ACTION: &str = "P012";
}

/// Parses and checks a policy file. `source_name` is what diagnostics call the file.
pub fn parse_policy(source_name: &str, text: &str) -> Result<Policy, ConfigErrors> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut v = Checker {
        sink: Sink::new(text),
        text,
        env: Arc::new(cel::Env::stdlib()),
        sample: serde_json::to_value(PolicyContext::sample()).unwrap_or_default(),
    };
    if !errors.is_empty() {
        for e in errors {
            v.sink.push(
                code::SYNTAX,
                e.span().unwrap_or(0..0),
                format!("TOML syntax: {}", e.message().trim()),
                "here",
                None,
            );
        }
        return Err(ConfigErrors::new(source_name, text, v.sink.diagnostics));
    }
    let root = doc.get_ref();
    v.check_keys(root, TOP_KEYS, "the top level");
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: Vec<(String, usize)> = Vec::new();
    for (span, table) in v.rule_tables(root) {
        // Duplicate ids are found even when a rule has other errors.
        if let Some((_, val)) = table.get_key_value("id")
            && let DeValue::String(id) = val.get_ref()
        {
            let line = posture_config::line_column(text, span.start).0;
            if let Some((_, first)) = ids.iter().find(|(seen, _)| seen == id.as_ref()) {
                v.sink.push(
                    code::DUPLICATE_RULE,
                    val.span(),
                    format!("rule `{id}` is defined twice"),
                    format!("first defined at line {first}"),
                    Some("rule ids name decisions in gate output; keep them unique".into()),
                );
            } else {
                ids.push((id.to_string(), line));
            }
        }
        if let Some(rule) = v.rule(table, span) {
            rules.push(rule);
        }
    }
    if !v.sink.is_empty() {
        return Err(ConfigErrors::new(source_name, text, v.sink.diagnostics));
    }
    Ok(Policy {
        source_name: source_name.to_string(),
        rules,
        env: v.env,
    })
}

struct Checker<'t> {
    sink: Sink<'t>,
    text: &'t str,
    env: Arc<cel::Env>,
    sample: serde_json::Value,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t> Checker<'t> {
    fn check_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], place: &str) {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if !allowed.contains(&key) {
                let help = did_you_mean(key, allowed.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "{place} accepts: {}",
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                self.sink.push(
                    code::UNKNOWN_KEY,
                    k.span(),
                    format!("unknown key `{key}` in {place}"),
                    "unknown key",
                    Some(help),
                );
            }
        }
    }

    fn wrong_type(&mut self, key: &str, span: Range<usize>, want: &str, got: &DeValue<'_>) {
        self.sink.push(
            code::WRONG_TYPE,
            span,
            format!("`{key}` must be {want}, not {}", type_name(got)),
            format!("expected {want}"),
            None,
        );
    }

    fn rule_tables<'a, 'i>(
        &mut self,
        root: &'a DeTable<'i>,
    ) -> Vec<(Range<usize>, &'a DeTable<'i>)> {
        let Some((_, val)) = root.get_key_value("rule") else {
            return Vec::new();
        };
        match val.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(t) => out.push((item.span(), t)),
                        other => self.wrong_type("rule", item.span(), "a table", other),
                    }
                }
                out
            }
            other => {
                self.wrong_type("rule", val.span(), "an array of tables (`[[rule]]`)", other);
                Vec::new()
            }
        }
    }

    /// A string value, or a diagnostic.
    fn string(&mut self, key: &str, val: &Val<'_>) -> Option<String> {
        match val.get_ref() {
            DeValue::String(s) if s.trim().is_empty() => {
                self.sink.push(
                    code::INVALID_VALUE,
                    val.span(),
                    format!("`{key}` is empty"),
                    "empty",
                    None,
                );
                None
            }
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.wrong_type(key, val.span(), "a string", other);
                None
            }
        }
    }

    fn optional_string(&mut self, t: &DeTable<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let (_, val) = t.get_key_value(key)?;
        self.string(key, val).map(|s| (s, val.span()))
    }

    fn required_string(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        table_span: &Range<usize>,
        help: &str,
    ) -> Option<(String, Range<usize>)> {
        if t.get_key_value(key).is_none() {
            self.sink.push(
                code::MISSING_KEY,
                table_span.start..table_span.start,
                format!("`[[rule]]` has no `{key}`"),
                format!("`{key}` missing in this rule"),
                Some(help.to_string()),
            );
            return None;
        }
        self.optional_string(t, key)
    }

    fn days(&mut self, t: &DeTable<'_>, key: &str) -> Option<(u32, Range<usize>)> {
        let (_, val) = t.get_key_value(key)?;
        match val.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) if (0..=36_500).contains(&n) => Some((n as u32, val.span())),
                _ => {
                    self.sink.push(
                        code::INVALID_VALUE,
                        val.span(),
                        format!("`{key}` is out of range"),
                        "must be a whole number of days from 0 to 36500",
                        None,
                    );
                    None
                }
            },
            other => {
                self.wrong_type(key, val.span(), "a whole number of days", other);
                None
            }
        }
    }

    fn date(&mut self, t: &DeTable<'_>, key: &str) -> Option<(jiff::civil::Date, Range<usize>)> {
        let (_, val) = t.get_key_value(key)?;
        let raw = match val.get_ref() {
            DeValue::String(s) => s.to_string(),
            // TOML's own local date (`valid_from = 2026-01-01`).
            DeValue::Datetime(d) => d.to_string(),
            other => {
                self.wrong_type(key, val.span(), "a date (`2026-01-31`)", other);
                return None;
            }
        };
        match raw.trim().parse::<jiff::civil::Date>() {
            Ok(d) if raw.trim().len() == 10 => Some((d, val.span())),
            _ => {
                self.sink.push(
                    code::INVALID_VALUE,
                    val.span(),
                    format!("`{key}` is not a date"),
                    "expected YYYY-MM-DD",
                    Some(format!("write `{key} = \"2026-01-31\"`")),
                );
                None
            }
        }
    }

    fn states(&mut self, t: &DeTable<'_>) -> Option<(Vec<String>, Range<usize>)> {
        let (_, val) = t.get_key_value("for")?;
        let DeValue::Array(items) = val.get_ref() else {
            self.wrong_type(
                "for",
                val.span(),
                "an array of triage states",
                val.get_ref(),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) if APPROVAL_STATES.contains(&s.as_ref()) => {
                    out.push(s.to_string())
                }
                DeValue::String(s) => self.sink.push(
                    code::INVALID_VALUE,
                    item.span(),
                    format!("`{s}` is not a triage state that needs approval"),
                    "unknown state",
                    Some(
                        did_you_mean(s, APPROVAL_STATES.iter().copied())
                            .unwrap_or_else(|| format!("states: {}", APPROVAL_STATES.join(", "))),
                    ),
                ),
                other => self.wrong_type("for", item.span(), "a string", other),
            }
        }
        Some((out, val.span()))
    }

    fn rule(&mut self, t: &DeTable<'_>, span: Range<usize>) -> Option<Rule> {
        self.check_keys(t, RULE_KEYS, "[[rule]]");
        let line = posture_config::line_column(self.text, span.start).0;
        let id = self.required_string(
            t,
            "id",
            &span,
            "give every rule a short, stable id: `id = \"prod-high-blocks\"`",
        );
        let description = self.optional_string(t, "description").map(|(s, _)| s);
        let when = self.required_string(
            t,
            "when",
            &span,
            "write the condition in CEL: `when = 'finding.severity == \"critical\"'`",
        );
        let program = when
            .as_ref()
            .and_then(|(src, when_span)| self.compile(src, when_span.clone()));
        let action_word = self.required_string(
            t,
            "action",
            &span,
            "actions: block, warn, require_approval, escalate, set_sla",
        );
        let mode = match self.optional_string(t, "mode") {
            None => Some(Mode::Enforce),
            Some((m, s)) => match m.as_str() {
                "enforce" => Some(Mode::Enforce),
                "log-only" | "log_only" => Some(Mode::LogOnly),
                _ => {
                    self.sink.push(
                        code::INVALID_VALUE,
                        s,
                        format!("unknown mode `{m}`"),
                        "unknown mode",
                        Some(
                            did_you_mean(&m, MODES.iter().copied())
                                .unwrap_or_else(|| "modes: enforce (default), log-only".into()),
                        ),
                    );
                    None
                }
            },
        };
        let role = self.optional_string(t, "role");
        let states = self.states(t);
        let after_days = self.days(t, "after_days");
        let target = self.optional_string(t, "target");
        let days = self.days(t, "days");
        let max_days = self.days(t, "max_days");
        let allow_unauthenticated = match t.get_key_value("allow_unauthenticated") {
            None => None,
            Some((_, val)) => match val.get_ref() {
                DeValue::Boolean(b) => Some(*b),
                other => {
                    self.wrong_type("allow_unauthenticated", val.span(), "true or false", other);
                    None
                }
            },
        };
        let valid_from = self.date(t, "valid_from");
        let valid_until = self.date(t, "valid_until");
        if let (Some((from, _)), Some((until, s))) = (&valid_from, &valid_until)
            && until < from
        {
            self.sink.push(
                code::INVALID_VALUE,
                s.clone(),
                "`valid_until` is before `valid_from`".to_string(),
                format!("before {from}"),
                None,
            );
        }
        let action = match &action_word {
            None => None,
            Some((word, s)) => {
                let word = word.as_str();
                // Keys that only make sense with another action.
                let belongs: &[(&str, bool, &str)] = &[
                    ("role", role.is_some(), "require_approval"),
                    ("for", states.is_some(), "require_approval"),
                    ("after_days", after_days.is_some(), "escalate"),
                    ("target", target.is_some(), "escalate"),
                    ("days", days.is_some(), "set_sla"),
                    ("max_days", max_days.is_some(), "require_approval"),
                    (
                        "allow_unauthenticated",
                        allow_unauthenticated.is_some(),
                        "require_approval",
                    ),
                ];
                for (key, present, owner) in belongs {
                    if *present && word != *owner && ACTIONS.contains(&word) {
                        let key_span = t.get_key_value(*key).map(|(k, _)| k.span()).unwrap_or(0..0);
                        self.sink.push(
                            code::NOT_FOR_ACTION,
                            key_span,
                            format!("`{key}` does not apply to action `{word}`"),
                            format!("only for `{owner}`"),
                            Some(format!("remove `{key}` or use `action = \"{owner}\"`")),
                        );
                    }
                }
                match word {
                    "block" => Some(Action::Block),
                    "warn" => Some(Action::Warn),
                    "require_approval" => match &role {
                        Some((r, _)) => Some(Action::RequireApproval {
                            role: r.clone(),
                            states: states
                                .as_ref()
                                .map(|(v, _)| v.clone())
                                .filter(|v| !v.is_empty())
                                .unwrap_or_else(|| {
                                    APPROVAL_STATES.iter().map(|s| s.to_string()).collect()
                                }),
                            max_days: max_days.map(|(d, _)| d),
                            allow_unauthenticated: allow_unauthenticated.unwrap_or(true),
                        }),
                        None => {
                            self.sink.push(
                                code::MISSING_ROLE,
                                s.clone(),
                                "`require_approval` needs a `role`".to_string(),
                                "no role named in this rule",
                                Some("add `role = \"vp\"`: the role whose approval the decision needs".into()),
                            );
                            None
                        }
                    },
                    "escalate" => Some(Action::Escalate {
                        after_days: after_days.map(|(d, _)| d),
                        target: target.as_ref().map(|(t, _)| t.clone()),
                    }),
                    "set_sla" => match days {
                        Some((d, _)) => Some(Action::SetSla { days: d }),
                        None => {
                            self.sink.push(
                                code::MISSING_KEY,
                                s.clone(),
                                "`set_sla` needs `days`".to_string(),
                                "no `days` in this rule",
                                Some("add `days = 14`: the days allowed from first seen".into()),
                            );
                            None
                        }
                    },
                    other => {
                        self.sink.push(
                            code::UNKNOWN_ACTION,
                            s.clone(),
                            format!("unknown action `{other}`"),
                            "unknown action",
                            Some(
                                did_you_mean(other, ACTIONS.iter().copied())
                                    .unwrap_or_else(|| format!("actions: {}", ACTIONS.join(", "))),
                            ),
                        );
                        None
                    }
                }
            }
        };
        let (id, _) = id?;
        Some(Rule {
            id,
            description,
            when: when?.0,
            program: Arc::new(program?),
            action: action?,
            mode: mode?,
            valid_from: valid_from.map(|(d, _)| d),
            valid_until: valid_until.map(|(d, _)| d),
            line,
        })
    }

    /// Where the expression's text starts in the file, when the TOML string holds it
    /// verbatim (literal strings, basic strings without escapes); else `None`.
    fn expression_origin(&self, src: &str, span: &Range<usize>) -> Option<usize> {
        let raw = self.text.get(span.clone())?;
        for delim in ["'''", "\"\"\"", "'", "\""] {
            if let Some(inner) = raw.strip_prefix(delim).and_then(|r| r.strip_suffix(delim)) {
                let mut start = span.start + delim.len();
                let mut inner = inner;
                if delim.len() == 3 {
                    if let Some(rest) = inner.strip_prefix("\r\n") {
                        inner = rest;
                        start += 2;
                    } else if let Some(rest) = inner.strip_prefix('\n') {
                        inner = rest;
                        start += 1;
                    }
                }
                return (inner == src).then_some(start);
            }
        }
        None
    }

    /// A span in the file for a character range of the expression.
    fn span_in(
        &self,
        src: &str,
        origin: Option<usize>,
        whole: &Range<usize>,
        chars: Range<usize>,
    ) -> Range<usize> {
        let Some(origin) = origin else {
            return whole.clone();
        };
        let byte = |c: usize| src.char_indices().nth(c).map_or(src.len(), |(b, _)| b);
        origin + byte(chars.start)..origin + byte(chars.end.max(chars.start + 1))
    }

    /// Compiles and type-checks one `when` expression.
    fn compile(&mut self, src: &str, span: Range<usize>) -> Option<cel::Program> {
        let origin = self.expression_origin(src, &span);
        let program = match self.env.compile(src) {
            Ok(p) => p,
            Err(errors) => {
                for e in errors.errors {
                    // `pos` is (1-based line, 0-based column) within the expression.
                    let line = usize::try_from(e.pos.0).unwrap_or(1).max(1);
                    let col = usize::try_from(e.pos.1).unwrap_or(0);
                    let line_start: usize = src
                        .split_inclusive('\n')
                        .take(line - 1)
                        .map(|l| l.chars().count())
                        .sum();
                    let at = line_start + col;
                    let s = self.span_in(src, origin, &span, at..at + 1);
                    self.sink.push(
                        code::CEL_SYNTAX,
                        s,
                        format!("CEL syntax: {}", e.msg),
                        "here",
                        None,
                    );
                }
                return None;
            }
        };
        let before = self.sink.diagnostics.len();
        let mut bound = Vec::new();
        self.walk(
            program.expression(),
            &program,
            src,
            origin,
            &span,
            &mut bound,
        );
        if self.sink.diagnostics.len() > before {
            return None;
        }
        // Evaluate on the sample context: catches type errors the field check cannot see.
        let ctx = crate::eval::cel_context(&self.env, &PolicyContext::sample());
        match ctx.map(|c| program.execute(&c)) {
            Ok(Ok(cel::Value::Bool(_))) => Some(program),
            Ok(Ok(other)) => {
                self.sink.push(
                    code::CEL_TYPE,
                    span,
                    "`when` must give a boolean".to_string(),
                    format!("gives {}", cel_type(&other)),
                    Some("compare or test something: `finding.severity == \"high\"`".into()),
                );
                None
            }
            Ok(Err(e)) | Err(e) => {
                self.sink.push(
                    code::CEL_TYPE,
                    span,
                    format!("`when` fails on a sample finding: {e}"),
                    "type error",
                    Some(
                        "see the context fields and their types in the policy documentation".into(),
                    ),
                );
                None
            }
        }
    }

    /// Checks every variable and selected field against the context's fields.
    fn walk(
        &mut self,
        e: &IdedExpr,
        program: &cel::Program,
        src: &str,
        origin: Option<usize>,
        whole: &Range<usize>,
        bound: &mut Vec<String>,
    ) {
        match &e.expr {
            Expr::Ident(name) if !bound.contains(name) && !VARIABLES.contains(&name.as_str()) => {
                let at = self.node_chars(program, e.id, name.chars().count(), 0);
                let s = at.map_or(whole.clone(), |r| self.span_in(src, origin, whole, r));
                self.sink.push(
                    code::UNKNOWN_FIELD,
                    s,
                    format!("unknown variable `{name}`"),
                    "not in the policy context",
                    Some(
                        did_you_mean(name, VARIABLES.iter().copied()).unwrap_or_else(|| {
                            "expressions read `finding`, `asset` and `owner`".into()
                        }),
                    ),
                );
            }
            Expr::Select(_) => {
                // Flatten `root.a.b` into the root and its (node id, field) steps.
                let mut steps: Vec<(u64, &str)> = Vec::new();
                let mut cur = e;
                while let Expr::Select(sel) = &cur.expr {
                    steps.push((cur.id, sel.field.as_str()));
                    cur = &sel.operand;
                }
                steps.reverse();
                match &cur.expr {
                    Expr::Ident(root) if !bound.contains(root) => {
                        let Some(mut node) = self.sample.get(root.as_str()).cloned() else {
                            // Unknown root variable: reported by the Ident arm.
                            self.walk(cur, program, src, origin, whole, bound);
                            return;
                        };
                        let mut path = root.clone();
                        for (id, field) in steps {
                            let serde_json::Value::Object(map) = &node else {
                                let at = self.node_chars(program, id, field.chars().count(), 1);
                                let s = at
                                    .map_or(whole.clone(), |r| self.span_in(src, origin, whole, r));
                                self.sink.push(
                                    code::UNKNOWN_FIELD,
                                    s,
                                    format!("`{path}` has no fields"),
                                    format!("`{field}` selected from a value"),
                                    None,
                                );
                                return;
                            };
                            let Some(next) = map.get(field) else {
                                let at = self.node_chars(program, id, field.chars().count(), 1);
                                let s = at
                                    .map_or(whole.clone(), |r| self.span_in(src, origin, whole, r));
                                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                                self.sink.push(
                                    code::UNKNOWN_FIELD,
                                    s,
                                    format!("unknown field `{field}` of `{path}`"),
                                    "unknown field",
                                    Some(did_you_mean(field, keys.iter().copied()).unwrap_or_else(
                                        || format!("`{path}` has: {}", keys.join(", ")),
                                    )),
                                );
                                return;
                            };
                            node = next.clone();
                            path = format!("{path}.{field}");
                        }
                    }
                    _ => self.walk(cur, program, src, origin, whole, bound),
                }
            }
            Expr::Call(call) => {
                if let Some(t) = &call.target {
                    self.walk(t, program, src, origin, whole, bound);
                }
                for a in &call.args {
                    self.walk(a, program, src, origin, whole, bound);
                }
            }
            Expr::Comprehension(c) => {
                self.walk(&c.iter_range, program, src, origin, whole, bound);
                self.walk(&c.accu_init, program, src, origin, whole, bound);
                let n = bound.len();
                bound.push(c.iter_var.clone());
                if let Some(v) = &c.iter_var2 {
                    bound.push(v.clone());
                }
                bound.push(c.accu_var.clone());
                self.walk(&c.loop_cond, program, src, origin, whole, bound);
                self.walk(&c.loop_step, program, src, origin, whole, bound);
                self.walk(&c.result, program, src, origin, whole, bound);
                bound.truncate(n);
            }
            Expr::List(l) => {
                for x in &l.elements {
                    self.walk(x, program, src, origin, whole, bound);
                }
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        self.walk(&me.key, program, src, origin, whole, bound);
                        self.walk(&me.value, program, src, origin, whole, bound);
                    }
                }
            }
            Expr::Struct(st) => {
                for entry in &st.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.walk(&f.value, program, src, origin, whole, bound);
                    }
                }
            }
            _ => {}
        }
    }

    /// The character range of a node's name in the expression (`skip` characters after the
    /// node's offset: 1 for a select's `.`).
    fn node_chars(
        &self,
        program: &cel::Program,
        id: u64,
        len: usize,
        skip: usize,
    ) -> Option<Range<usize>> {
        let (start, _) = program.source_info().offset_for(id)?;
        let start = start as usize + skip;
        Some(start..start + len.max(1))
    }
}

fn cel_type(v: &cel::Value) -> Cow<'static, str> {
    match v {
        cel::Value::Int(_) => "an int".into(),
        cel::Value::UInt(_) => "a uint".into(),
        cel::Value::Float(_) => "a double".into(),
        cel::Value::String(_) => "a string".into(),
        cel::Value::List(_) => "a list".into(),
        cel::Value::Map(_) => "a map".into(),
        cel::Value::Null => "null".into(),
        other => format!("{other:?}").into(),
    }
}
