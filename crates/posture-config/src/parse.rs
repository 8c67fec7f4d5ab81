//! `posture.toml` -> [`Portfolio`], reporting every problem at once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::codeowners::Owner;
use crate::diagnostic::{ConfigErrors, Sink, did_you_mean, line_of};
use crate::pattern::{self, PatternSet};
use crate::portfolio::{
    Asset, BranchesConfig, CorrelationConfig, Criticality, Environment, Exposure, FeedsConfig,
    OwnerRule, Portfolio, Team, normalize_image, normalize_repository, normalize_url,
};
use crate::runtime::{PathMapping, RuntimeConfig};

mod oidc;
pub use oidc::{
    CiBinding, GroupMapping, MAX_CI_TOKEN_MINUTES, OidcConfig, OidcSignIn, SIGN_IN_ROLES,
    issuer_url_ok,
};

type Key<'i> = Spanned<Cow<'i, str>>;
type Val<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &[
    "risk",
    "correlation",
    "team",
    "asset",
    "owner",
    "policy",
    "branches",
    "runtime",
    "feeds",
    "oidc",
    // integrations (kept as JSON, interpreted by posture-integrations)
    "jira",
    "webhook",
];
const POLICY_KEYS: &[&str] = &["file"];
const CORRELATION_KEYS: &[&str] = &["merge", "suggest"];
const BRANCHES_KEYS: &[&str] = &["default_branch", "retire_after_days"];
const TEAM_KEYS: &[&str] = &["name", "members", "aliases"];
pub(crate) const ASSET_KEYS: &[&str] = &[
    "name",
    "team",
    "criticality",
    "environment",
    "exposure",
    "data",
    "compliance",
    "tags",
    "repositories",
    "images",
    "urls",
    "codeowners",
    "default_branch",
];
const OWNER_KEYS: &[&str] = &["asset", "path", "team"];
const RUNTIME_KEYS: &[&str] = &["path_map"];
const FEEDS_KEYS: &[&str] = &["kev", "epss", "max_age_days"];
const PATH_MAP_KEYS: &[&str] = &["from", "to", "asset"];

/// Parses and validates `posture.toml`.
///
/// `source_name` is what diagnostics call the file. A syntax error is reported alone (with
/// any further syntax errors the parser recovered from); a document that parses is validated
/// completely, and every problem is reported, in the order of the text.
pub fn parse_portfolio(source_name: &str, text: &str) -> Result<Portfolio, ConfigErrors> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut sink = Sink::new(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            sink.push(
                "config::syntax",
                span,
                format!("TOML syntax: {}", e.message().trim()),
                "here",
                None,
            );
        }
        return Err(ConfigErrors::new(source_name, text, sink.diagnostics));
    }
    let mut v = Validator { sink };
    let root = doc.get_ref();
    v.check_keys(root, TOP_KEYS, "");

    let risk = match root.get_key_value("risk") {
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => v.json_table(t),
            other => {
                v.wrong_type(
                    "risk",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[risk]`".into()),
                );
                serde_json::Map::new()
            }
        },
        None => serde_json::Map::new(),
    };

    let correlation = match root.get_key_value("correlation") {
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => v.correlation(t),
            other => {
                v.wrong_type(
                    "correlation",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[correlation]`".into()),
                );
                CorrelationConfig::default()
            }
        },
        None => CorrelationConfig::default(),
    };

    let branches = match root.get_key_value("branches") {
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => v.branches(t),
            other => {
                v.wrong_type(
                    "branches",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[branches]`".into()),
                );
                BranchesConfig::default()
            }
        },
        None => BranchesConfig::default(),
    };

    let policy_file = match root.get_key_value("policy") {
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => v.policy(t),
            other => {
                v.wrong_type(
                    "policy",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[policy]` with `file = \"policy.toml\"`".into()),
                );
                None
            }
        },
        None => None,
    };
    // Integrations: kept as JSON like `[risk]`; posture-integrations interprets them.
    let jira = match root.get_key_value("jira") {
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => Some(v.json_table(t)),
            other => {
                v.wrong_type(
                    "jira",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[jira]`".into()),
                );
                None
            }
        },
        None => None,
    };
    let webhooks: Vec<serde_json::Map<String, serde_json::Value>> = v
        .tables(root, "webhook")
        .into_iter()
        .map(|(_, t)| v.json_table(t))
        .collect();

    let mut teams = Vec::new();
    let mut team_names: Vec<(String, Range<usize>)> = Vec::new();
    for (item_span, t) in v.tables(root, "team") {
        v.check_keys(t, TEAM_KEYS, "[[team]]");
        let name = v.required_name(t, "team", item_span.clone());
        let members = v.owner_list(t, "members", true);
        let aliases = v.owner_list(t, "aliases", false);
        let Some((name, name_span)) = name else {
            continue;
        };
        if let Some((_, first)) = team_names.iter().find(|(n, _)| *n == name) {
            let line = line_of(text, first.start);
            v.sink.push(
                "config::duplicate-team",
                name_span,
                format!("team `{name}` is defined twice"),
                format!("first defined at line {line}"),
                Some("merge the two [[team]] tables".into()),
            );
            continue;
        }
        team_names.push((name.clone(), name_span));
        teams.push(Team {
            name,
            members,
            aliases,
        });
    }
    let known_teams: Vec<&str> = team_names.iter().map(|(n, _)| n.as_str()).collect();

    let mut assets: Vec<Asset> = Vec::new();
    let mut asset_lines = Vec::new();
    let mut asset_names: Vec<(String, Range<usize>)> = Vec::new();
    // (kind, normalized reference) -> (asset, span)
    let mut references: HashMap<(&str, String), (String, Range<usize>)> = HashMap::new();
    for (item_span, t) in v.tables(root, "asset") {
        v.check_keys(t, ASSET_KEYS, "[[asset]]");
        let name = v.required_name(t, "asset", item_span.clone());
        let team = v.team_ref(t, "team", &known_teams);
        let mut asset = Asset {
            team,
            criticality: v.vocabulary(
                t,
                "criticality",
                Criticality::parse,
                Criticality::ALL.iter().map(|c| c.as_str()),
            ),
            environment: v.vocabulary(
                t,
                "environment",
                Environment::parse,
                Environment::ALL.iter().map(|c| c.as_str()),
            ),
            exposure: v.vocabulary(
                t,
                "exposure",
                Exposure::parse,
                Exposure::ALL.iter().map(|c| c.as_str()),
            ),
            data: v.string_list(t, "data"),
            compliance: v.string_list(t, "compliance"),
            tags: v.string_list(t, "tags"),
            repositories: v.string_list(t, "repositories"),
            images: v.string_list(t, "images"),
            urls: v.string_list(t, "urls"),
            codeowners: v.string(t, "codeowners"),
            default_branch: v.branch_name(t, "default_branch"),
            name: String::new(),
        };
        let Some((name, name_span)) = name else {
            continue;
        };
        if let Some((_, first)) = asset_names.iter().find(|(n, _)| *n == name) {
            let line = line_of(text, first.start);
            v.sink.push(
                "config::duplicate-asset",
                name_span,
                format!("asset `{name}` is defined twice"),
                format!("first defined at line {line}"),
                Some("asset names are unique: rename one or merge the two [[asset]] tables".into()),
            );
            continue;
        }
        asset_names.push((name.clone(), name_span));
        asset.name = name;
        for (kind, normalize) in [
            ("repositories", normalize_repository as fn(&str) -> String),
            ("images", normalize_image),
            ("urls", normalize_url),
        ] {
            for (value, span) in v.string_list_spans(t, kind) {
                let key = (kind, normalize(&value));
                match references.get(&key) {
                    Some((other, _)) if *other != asset.name => {
                        v.sink.push(
                            "config::duplicate-reference",
                            span,
                            format!("`{value}` is listed by assets `{other}` and `{}`", asset.name),
                            format!("also in asset `{other}`"),
                            Some(format!("a reference in `{kind}` identifies one asset: keep it in one of them")),
                        );
                    }
                    Some(_) => {}
                    None => {
                        references.insert(key, (asset.name.clone(), span));
                    }
                }
            }
        }
        asset_lines.push(line_of(text, item_span.start));
        assets.push(asset);
    }
    let known_assets: Vec<&str> = asset_names.iter().map(|(n, _)| n.as_str()).collect();

    let mut owner_rules = Vec::new();
    for (item_span, t) in v.tables(root, "owner") {
        v.check_keys(t, OWNER_KEYS, "[[owner]]");
        let asset = v.string(t, "asset");
        if let (Some(a), Some((_, val))) = (&asset, t.get_key_value("asset"))
            && !known_assets.contains(&a.as_str())
        {
            let help = did_you_mean(a, known_assets.iter().copied())
                .or_else(|| Some("declare it with an [[asset]] table".into()));
            v.sink.push(
                "config::unknown-asset",
                val.span(),
                format!("unknown asset `{a}`"),
                "no [[asset]] has this name",
                help,
            );
        }
        let path = match v.string(t, "path") {
            Some(p) => {
                if let Err(e) = pattern::globs(&p) {
                    let span = t
                        .get_key_value("path")
                        .map_or(item_span.clone(), |(_, val)| val.span());
                    v.sink.push(
                        "config::bad-glob",
                        span,
                        format!("bad path pattern `{p}`: {}", e.message),
                        "this pattern",
                        e.help,
                    );
                    None
                } else {
                    Some(p)
                }
            }
            None => {
                if !t.contains_key("path") {
                    v.missing("owner", "path", item_span.clone());
                }
                None
            }
        };
        let team = v.team_ref(t, "team", &known_teams);
        if !t.contains_key("team") {
            v.missing("owner", "team", item_span.clone());
        }
        if let (Some(path), Some(team)) = (path, team) {
            owner_rules.push(OwnerRule {
                asset,
                path,
                team,
                line: line_of(text, item_span.start),
            });
        }
    }

    let mut runtime = RuntimeConfig::default();
    if let Some((_, val)) = root.get_key_value("runtime") {
        match val.get_ref() {
            DeValue::Table(t) => {
                v.check_keys(t, RUNTIME_KEYS, "[runtime]");
                for (item_span, m) in v.tables(t, "path_map") {
                    v.check_keys(m, PATH_MAP_KEYS, "[[runtime.path_map]]");
                    let from = v.string(m, "from");
                    // `to = ""` (the repository root) is allowed.
                    let to = match m.get_key_value("to").map(|(_, val)| (val.get_ref(), val)) {
                        Some((DeValue::String(s), _)) => Some(s.to_string()),
                        Some((_, val)) => v.string_value("to", val),
                        None => None,
                    };
                    let asset = v.string(m, "asset");
                    if let (Some(a), Some((_, val))) = (&asset, m.get_key_value("asset"))
                        && !known_assets.contains(&a.as_str())
                    {
                        let help = did_you_mean(a, known_assets.iter().copied())
                            .or_else(|| Some("declare it with an [[asset]] table".into()));
                        v.sink.push(
                            "config::unknown-asset",
                            val.span(),
                            format!("unknown asset `{a}`"),
                            "no [[asset]] has this name",
                            help,
                        );
                    }
                    if m.get_key_value("from").is_none() {
                        v.missing("runtime.path_map", "from", item_span.clone());
                    }
                    if to.is_none() && m.get_key_value("to").is_none() {
                        v.missing("runtime.path_map", "to", item_span.clone());
                    }
                    if let (Some(from), Some(to)) = (from, to)
                        && !from.trim().is_empty()
                    {
                        runtime.path_map.push(PathMapping {
                            from,
                            to,
                            asset,
                            line: line_of(text, item_span.start),
                        });
                    }
                }
            }
            other => v.wrong_type(
                "runtime",
                val.span(),
                "a table",
                other,
                Some("write `[[runtime.path_map]]` tables".into()),
            ),
        }
    }

    let feeds = match root.get_key_value("feeds") {
        None => FeedsConfig::default(),
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => v.feeds(t),
            other => {
                v.wrong_type(
                    "feeds",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[feeds]` with `kev`, `epss` and `max_age_days`".into()),
                );
                FeedsConfig::default()
            }
        },
    };

    let oidc = match root.get_key_value("oidc") {
        None => None,
        Some((_, val)) => match val.get_ref() {
            DeValue::Table(t) => Some(v.oidc(t, val.span(), text, &known_teams, &known_assets)),
            other => {
                v.wrong_type(
                    "oidc",
                    val.span(),
                    "a table",
                    other,
                    Some("write `[oidc]` with `issuer` and `client_id`".into()),
                );
                None
            }
        },
    };

    if !v.sink.is_empty() {
        return Err(ConfigErrors::new(source_name, text, v.sink.diagnostics));
    }
    let owner_patterns = PatternSet::new(owner_rules.iter().map(|r| r.path.as_str()));
    Ok(Portfolio {
        source_name: source_name.to_string(),
        risk,
        correlation,
        branches,
        policy_file,
        teams,
        assets,
        asset_lines,
        owner_rules,
        owner_patterns,
        jira,
        webhooks,
        runtime,
        feeds,
        oidc,
    })
}

/// Parses a file of risk weight overrides (`posture risk diff --weights FILE`) into the JSON
/// form of `posture.toml`'s `[risk]`: the keys at the top level, or under a `[risk]` table
/// (so a `posture.toml` works as is; its other tables are then ignored).
pub fn parse_risk_weights(
    source_name: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, ConfigErrors> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut sink = Sink::new(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            sink.push(
                "config::syntax",
                span,
                format!("TOML syntax: {}", e.message().trim()),
                "here",
                None,
            );
        }
        return Err(ConfigErrors::new(source_name, text, sink.diagnostics));
    }
    let mut v = Validator { sink };
    let root = doc.get_ref();
    let risk = match root.get("risk").map(|val| val.get_ref()) {
        Some(DeValue::Table(t)) => v.json_table(t),
        _ => v.json_table(root),
    };
    if v.sink.diagnostics.is_empty() {
        Ok(risk)
    } else {
        Err(ConfigErrors::new(source_name, text, v.sink.diagnostics))
    }
}

struct Validator<'t> {
    sink: Sink<'t>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t> Validator<'t> {
    fn check_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], place: &str) {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if !allowed.contains(&key) {
                let help = did_you_mean(key, allowed.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "{} accepts: {}",
                        if place.is_empty() {
                            "the top level"
                        } else {
                            place
                        },
                        allowed
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
                self.sink.push(
                    "config::unknown-key",
                    k.span(),
                    if place.is_empty() {
                        format!("unknown key `{key}` at the top level")
                    } else {
                        format!("unknown key `{key}` in {place}")
                    },
                    "unknown key",
                    Some(help),
                );
            }
        }
    }

    fn wrong_type(
        &mut self,
        key: &str,
        span: Range<usize>,
        expected: &str,
        found: &DeValue<'_>,
        help: Option<String>,
    ) {
        self.sink.push(
            "config::wrong-type",
            span,
            format!("`{key}` must be {expected}, found {}", type_name(found)),
            format!("expected {expected}"),
            help,
        );
    }

    fn missing(&mut self, table: &str, key: &str, span: Range<usize>) {
        self.sink.push(
            "config::missing-key",
            span,
            format!("[[{table}]] is missing `{key}`"),
            format!("this table needs `{key} = ...`"),
            None,
        );
    }

    /// The tables of an array of tables (`[[team]]`); anything else is reported.
    fn tables<'a, 'i>(
        &mut self,
        root: &'a DeTable<'i>,
        key: &str,
    ) -> Vec<(Range<usize>, &'a DeTable<'i>)> {
        let Some((_, val)) = root.get_key_value(key) else {
            return Vec::new();
        };
        let help = Some(format!("write one `[[{key}]]` table per {key}"));
        match val.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(t) => out.push((item.span(), t)),
                        other => self.wrong_type(key, item.span(), "a table", other, help.clone()),
                    }
                }
                out
            }
            other => {
                self.wrong_type(key, val.span(), "an array of tables", other, help);
                Vec::new()
            }
        }
    }

    fn string_value(&mut self, key: &str, val: &Val<'_>) -> Option<String> {
        match val.get_ref() {
            DeValue::String(s) => {
                if s.trim().is_empty() {
                    self.sink.push(
                        "config::invalid-value",
                        val.span(),
                        format!("`{key}` is empty"),
                        "empty string",
                        None,
                    );
                    None
                } else {
                    Some(s.to_string())
                }
            }
            other => {
                self.wrong_type(key, val.span(), "a string", other, None);
                None
            }
        }
    }

    fn string(&mut self, t: &DeTable<'_>, key: &str) -> Option<String> {
        let (_, val) = t.get_key_value(key)?;
        self.string_value(key, val)
    }

    fn required_name(
        &mut self,
        t: &DeTable<'_>,
        table: &str,
        item_span: Range<usize>,
    ) -> Option<(String, Range<usize>)> {
        match t.get_key_value("name") {
            Some((_, val)) => {
                let name = self.string_value("name", val)?;
                if name.trim() != name {
                    self.sink.push(
                        "config::invalid-value",
                        val.span(),
                        format!("{table} name `{name}` has leading or trailing spaces"),
                        "trim this name",
                        None,
                    );
                    return None;
                }
                Some((name, val.span()))
            }
            None => {
                self.missing(table, "name", item_span);
                None
            }
        }
    }

    fn string_list_spans(&mut self, t: &DeTable<'_>, key: &str) -> Vec<(String, Range<usize>)> {
        let Some((_, val)) = t.get_key_value(key) else {
            return Vec::new();
        };
        match val.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| match item.get_ref() {
                    DeValue::String(s) if !s.trim().is_empty() => {
                        Some((s.to_string(), item.span()))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn string_list(&mut self, t: &DeTable<'_>, key: &str) -> Vec<String> {
        let Some((_, val)) = t.get_key_value(key) else {
            return Vec::new();
        };
        match val.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| match item.get_ref() {
                    DeValue::String(_) => self.string_value(key, item),
                    other => {
                        self.sink.push(
                            "config::wrong-type",
                            item.span(),
                            format!(
                                "items of `{key}` must be strings, found {}",
                                type_name(other)
                            ),
                            "expected a string",
                            None,
                        );
                        None
                    }
                })
                .collect(),
            DeValue::String(s) => {
                self.wrong_type(
                    key,
                    val.span(),
                    "an array of strings",
                    val.get_ref(),
                    Some(format!("write `{key} = [\"{s}\"]`")),
                );
                Vec::new()
            }
            other => {
                self.wrong_type(key, val.span(), "an array of strings", other, None);
                Vec::new()
            }
        }
    }

    /// `members` (people: `@user` or an email) or `aliases` (any CODEOWNERS owner).
    fn owner_list(&mut self, t: &DeTable<'_>, key: &str, people: bool) -> Vec<String> {
        let list = self.string_list(t, key);
        for (value, span) in self.string_list_spans(t, key) {
            let ok = match Owner::parse(&value) {
                Some(Owner::User(_) | Owner::Email(_)) => true,
                Some(_) => !people,
                None => false,
            };
            if !ok {
                let (what, example) = if people {
                    ("a person", "`alice@example.com` or `@alice`")
                } else {
                    ("a CODEOWNERS owner", "`@org/team`, `@user` or an email")
                };
                self.sink.push(
                    "config::invalid-value",
                    span,
                    format!("`{value}` in `{key}` is not {what}"),
                    format!("expected {what}"),
                    Some(format!("write {example}")),
                );
            }
        }
        list
    }

    fn vocabulary<'a, T>(
        &mut self,
        t: &DeTable<'_>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        allowed: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<T> {
        let (_, val) = t.get_key_value(key)?;
        let s = self.string_value(key, val)?;
        if let Some(x) = parse(&s) {
            return Some(x);
        }
        let list = allowed
            .clone()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut help = format!("expected one of {list}");
        if let Some(dym) = did_you_mean(&s, allowed) {
            help = format!("{dym} ({help})");
        }
        self.sink.push(
            "config::invalid-value",
            val.span(),
            format!("unknown {key} `{s}`"),
            format!("not a valid {key}"),
            Some(help),
        );
        None
    }

    fn team_ref(&mut self, t: &DeTable<'_>, key: &str, known: &[&str]) -> Option<String> {
        let (_, val) = t.get_key_value(key)?;
        let name = self.string_value(key, val)?;
        if known.contains(&name.as_str()) {
            return Some(name);
        }
        let help = did_you_mean(&name, known.iter().copied())
            .unwrap_or_else(|| format!("declare it: [[team]] name = \"{name}\""));
        self.sink.push(
            "config::unknown-team",
            val.span(),
            format!("unknown team `{name}`"),
            "no [[team]] has this name",
            Some(help),
        );
        None
    }

    /// `[policy]`: `file`, the policy file (relative to posture.toml; the caller reads it).
    fn policy(&mut self, t: &DeTable<'_>) -> Option<String> {
        self.check_keys(t, POLICY_KEYS, "[policy]");
        let (_, val) = t.get_key_value("file")?;
        self.string_value("file", val)
    }

    /// A branch name: a non-empty string without surrounding spaces.
    fn branch_name(&mut self, t: &DeTable<'_>, key: &str) -> Option<String> {
        let (_, val) = t.get_key_value(key)?;
        let name = self.string_value(key, val)?;
        if name.trim() != name {
            self.sink.push(
                "config::invalid-value",
                val.span(),
                format!("branch name `{name}` has leading or trailing spaces"),
                "trim this name",
                None,
            );
            return None;
        }
        Some(name)
    }

    fn feeds(&mut self, t: &DeTable<'_>) -> FeedsConfig {
        self.check_keys(t, FEEDS_KEYS, "[feeds]");
        let mut out = FeedsConfig {
            kev: self.string(t, "kev"),
            epss: self.string(t, "epss"),
            max_age_days: None,
        };
        for (key, value) in [("kev", &out.kev), ("epss", &out.epss)] {
            if let (Some(v), Some((_, val))) = (value, t.get_key_value(key))
                && v.trim().is_empty()
            {
                self.sink.push(
                    "config::invalid-value",
                    val.span(),
                    format!("`{key}` is empty"),
                    "must name a URL (https://...) or a file",
                    None,
                );
            }
        }
        if let Some((_, val)) = t.get_key_value("max_age_days") {
            match val.get_ref() {
                DeValue::Integer(i) => {
                    match i64::from_str_radix(i.as_str(), i.radix())
                        .ok()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n >= 1)
                    {
                        Some(n) => out.max_age_days = Some(n),
                        None => self.sink.push(
                            "config::invalid-value",
                            val.span(),
                            "`max_age_days` is out of range".to_string(),
                            "must be a whole number of days, 1 or more",
                            Some("an imported feed older than this is said to be stale".into()),
                        ),
                    }
                }
                other => self.wrong_type(
                    "max_age_days",
                    val.span(),
                    "a whole number of days",
                    other,
                    None,
                ),
            }
        }
        out
    }

    fn branches(&mut self, t: &DeTable<'_>) -> BranchesConfig {
        self.check_keys(t, BRANCHES_KEYS, "[branches]");
        let mut out = BranchesConfig {
            default_branch: self.branch_name(t, "default_branch"),
            retire_after_days: None,
        };
        if let Some((_, val)) = t.get_key_value("retire_after_days") {
            match val.get_ref() {
                DeValue::Integer(i) => {
                    match i64::from_str_radix(i.as_str(), i.radix())
                        .ok()
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| *n >= 1)
                    {
                        Some(n) => out.retire_after_days = Some(n),
                        None => self.sink.push(
                            "config::invalid-value",
                            val.span(),
                            "`retire_after_days` is out of range".to_string(),
                            "must be a whole number of days, 1 or more",
                            Some("a branch with no scan for this many days retires".into()),
                        ),
                    }
                }
                other => self.wrong_type(
                    "retire_after_days",
                    val.span(),
                    "a whole number of days",
                    other,
                    None,
                ),
            }
        }
        out
    }

    fn correlation(&mut self, t: &DeTable<'_>) -> CorrelationConfig {
        self.check_keys(t, CORRELATION_KEYS, "[correlation]");
        let mut out = CorrelationConfig::default();
        let mut spans = Vec::new();
        for key in CORRELATION_KEYS {
            let Some((_, val)) = t.get_key_value(*key) else {
                continue;
            };
            let number = match val.get_ref() {
                DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
                DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .map(|n| n as f64),
                other => {
                    self.wrong_type(key, val.span(), "a number between 0 and 1", other, None);
                    continue;
                }
            };
            match number {
                Some(n) if (0.0..=1.0).contains(&n) => {
                    spans.push(val.span());
                    if *key == "merge" {
                        out.merge = Some(n);
                    } else {
                        out.suggest = Some(n);
                    }
                }
                _ => self.sink.push(
                    "config::threshold-range",
                    val.span(),
                    format!("correlation threshold `{key}` is out of range"),
                    "must be between 0 and 1",
                    Some("thresholds are confidences: 0.0 (anything) to 1.0 (certain)".into()),
                ),
            }
        }
        if let (Some(m), Some(s)) = (out.merge, out.suggest)
            && s > m
            && let Some(span) = spans.last()
        {
            self.sink.push(
                "config::threshold-order",
                span.clone(),
                format!("`suggest` ({s}) is above `merge` ({m})"),
                "must not exceed `merge`",
                Some("pairs between `suggest` and `merge` are suggested; at or above `merge` they merge".into()),
            );
        }
        out
    }

    fn json_table(&mut self, t: &DeTable<'_>) -> serde_json::Map<String, serde_json::Value> {
        t.iter()
            .map(|(k, v)| (k.get_ref().to_string(), self.json(k, v)))
            .collect()
    }

    fn json(&mut self, key: &Key<'_>, val: &Val<'_>) -> serde_json::Value {
        use serde_json::Value;
        match val.get_ref() {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Value::from(n),
                Err(_) => {
                    self.sink.push(
                        "config::invalid-value",
                        val.span(),
                        format!("`{}`: integer out of range", key.get_ref()),
                        "too large",
                        None,
                    );
                    Value::Null
                }
            },
            DeValue::Float(f) => match f
                .as_str()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => {
                    self.sink.push(
                        "config::invalid-value",
                        val.span(),
                        format!("`{}`: not a finite number", key.get_ref()),
                        "inf and nan are not weights",
                        None,
                    );
                    Value::Null
                }
            },
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Datetime(d) => Value::String(d.to_string()),
            DeValue::Array(items) => {
                Value::Array(items.iter().map(|i| self.json(key, i)).collect())
            }
            DeValue::Table(t) => Value::Object(self.json_table(t)),
        }
    }
}
