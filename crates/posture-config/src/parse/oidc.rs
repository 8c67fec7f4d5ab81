//! `[oidc]`: single sign-on for the dashboard (an OpenID provider, the mapping of its groups to
//! Posture roles and teams) and `[[oidc.ci_bindings]]`: which CI platforms' ID tokens may be
//! exchanged for a short-lived upload token (RFC 8693).

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;
use toml::de::{DeTable, DeValue};

use super::Validator;
use crate::diagnostic::{did_you_mean, line_of};

const OIDC_KEYS: &[&str] = &[
    "issuer",
    "client_id",
    "client_secret_env",
    "scopes",
    "groups_claim",
    "username_claim",
    "redirect_path",
    "map",
    "ci_bindings",
];
const MAP_KEYS: &[&str] = &["group", "role", "team", "approval_role"];
const BINDING_KEYS: &[&str] = &["issuer", "audience", "claims", "assets", "role", "minutes"];
/// The access roles a group can give (ci is for pipelines: see `ci_bindings`).
pub const SIGN_IN_ROLES: &[&str] = &["admin", "appsec", "developer", "reader"];
/// The longest a token exchanged by a CI job may live.
pub const MAX_CI_TOKEN_MINUTES: u32 = 120;

/// `[oidc]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct OidcConfig {
    /// The dashboard's sign-in, when `issuer` and `client_id` are set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<OidcSignIn>,
    /// `[[oidc.ci_bindings]]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ci_bindings: Vec<CiBinding>,
}

/// The OpenID provider people sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcSignIn {
    /// The issuer URL exactly as the provider's ID tokens say (`iss`); its discovery document
    /// is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The environment variable holding the client secret (a confidential client); none: a
    /// public client (PKCE only).
    pub client_secret_env: Option<String>,
    /// Scopes asked for (`openid` is always added).
    pub scopes: Vec<String>,
    /// The ID token claim listing the user's groups (`groups`).
    pub groups_claim: String,
    /// The claim naming the user (`email`; `preferred_username` is another common choice).
    pub username_claim: String,
    /// Where the provider sends the browser back, under the base URL.
    pub redirect_path: String,
    /// `[[oidc.map]]`, in order.
    pub map: Vec<GroupMapping>,
}

/// `[[oidc.map]]`: a group of the provider gives an access role (and, to developers, a team)
/// and/or an approval role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMapping {
    pub group: String,
    /// `admin`, `appsec`, `developer` or `reader`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The team a developer acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// An approval role a policy's `require_approval` names (`appsec-lead`, `vp`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_role: Option<String>,
}

/// `[[oidc.ci_bindings]]`: ID tokens of `issuer` for `audience` whose claims all equal
/// `claims` may be exchanged for a `ci` token on `assets` living `minutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiBinding {
    pub issuer: String,
    pub audience: String,
    /// Claim name -> the exact value required (`repository`, `ref`, `project_path`...).
    pub claims: BTreeMap<String, String>,
    pub assets: Vec<String>,
    pub minutes: u32,
    /// 1-based line of the `[[oidc.ci_bindings]]` header (named in audit entries).
    pub line: usize,
}

/// Whether a URL is one an issuer may have: `https://`, or `http://` to this machine (tests,
/// a provider beside the server).
pub fn issuer_url_ok(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

impl Validator<'_> {
    pub(super) fn oidc(
        &mut self,
        t: &DeTable<'_>,
        table_span: Range<usize>,
        text: &str,
        known_teams: &[&str],
        known_assets: &[&str],
    ) -> OidcConfig {
        self.check_keys(t, OIDC_KEYS, "[oidc]");
        let issuer = self.issuer(t, "issuer");
        let client_id = self.string(t, "client_id");
        let client_secret_env = self.string(t, "client_secret_env");
        let scopes = self.string_list(t, "scopes");
        let groups_claim = self.string(t, "groups_claim");
        let username_claim = self.string(t, "username_claim");
        let redirect_path = match t.get_key_value("redirect_path") {
            Some((_, val)) => {
                let p = self.string_value("redirect_path", val);
                match p {
                    Some(p)
                        if !["/login/oidc/", "/oidc/", "/auth/"]
                            .iter()
                            .any(|prefix| p.starts_with(prefix) && p.len() > prefix.len())
                            || p.contains(['?', '#', ' ', '{', '}', '*']) =>
                    {
                        self.sink.push(
                            "config::invalid-value",
                            val.span(),
                            format!("redirect_path `{p}` is not a callback path Posture can serve"),
                            "expected a path like `/login/oidc/callback`",
                            Some("the path is under /login/oidc/, /oidc/ or /auth/ (the dashboard's other paths are taken) and has no query".into()),
                        );
                        None
                    }
                    p => p,
                }
            }
            None => None,
        };
        let mut map = Vec::new();
        for (item_span, m) in self.tables(t, "map") {
            self.check_keys(m, MAP_KEYS, "[[oidc.map]]");
            let group = self.string(m, "group");
            if !m.contains_key("group") {
                self.missing("oidc.map", "group", item_span.clone());
            }
            let role = self.sign_in_role(m);
            let team = self.team_ref(m, "team", known_teams);
            let approval_role = self.string(m, "approval_role");
            if !m.contains_key("role") && !m.contains_key("approval_role") {
                self.sink.push(
                    "config::missing-key",
                    item_span.clone(),
                    "[[oidc.map]] gives nothing: it needs `role` or `approval_role`",
                    "this table",
                    Some("write `role = \"developer\"` with `team = \"...\"`, or `approval_role = \"appsec-lead\"`".into()),
                );
            }
            if let Some((_, val)) = m.get_key_value("team")
                && role.as_deref().is_some_and(|r| r != "developer")
            {
                self.sink.push(
                    "config::invalid-value",
                    val.span(),
                    "`team` is for developers: other roles see every team",
                    "a team with a role other than developer",
                    Some("remove `team`, or write `role = \"developer\"`".into()),
                );
            }
            if role.as_deref() == Some("developer") && !m.contains_key("team") {
                self.sink.push(
                    "config::missing-key",
                    item_span.clone(),
                    "[[oidc.map]] with `role = \"developer\"` is missing `team`",
                    "a developer acts for a team",
                    Some("add `team = \"...\"` (a [[team]] name)".into()),
                );
            }
            if let Some(group) = group {
                map.push(GroupMapping {
                    group,
                    role,
                    team,
                    approval_role,
                });
            }
        }
        let mut ci_bindings = Vec::new();
        for (item_span, b) in self.tables(t, "ci_bindings") {
            let line = line_of(text, item_span.start);
            if let Some(binding) = self.ci_binding(b, item_span, line, known_assets) {
                ci_bindings.push(binding);
            }
        }
        let sign_in_keys = [
            "issuer",
            "client_id",
            "client_secret_env",
            "scopes",
            "groups_claim",
            "username_claim",
            "redirect_path",
            "map",
        ];
        let any_sign_in = sign_in_keys.iter().any(|k| t.contains_key(*k));
        let sign_in = if any_sign_in {
            for key in ["issuer", "client_id"] {
                if !t.contains_key(key) {
                    self.sink.push(
                        "config::missing-key",
                        table_span.clone(),
                        format!("[oidc] is missing `{key}`"),
                        "sign-in needs the provider's `issuer` and Posture's `client_id`",
                        Some(format!("add `{key} = \"...\"` under [oidc]")),
                    );
                }
            }
            match (issuer, client_id) {
                (Some(issuer), Some(client_id)) => {
                    let mut scopes = scopes;
                    if !scopes.iter().any(|s| s == "openid") {
                        scopes.insert(0, "openid".into());
                    }
                    if scopes.len() == 1 {
                        scopes.extend(["email".to_string(), "profile".to_string()]);
                    }
                    Some(OidcSignIn {
                        issuer,
                        client_id,
                        client_secret_env,
                        scopes,
                        groups_claim: groups_claim.unwrap_or_else(|| "groups".into()),
                        username_claim: username_claim.unwrap_or_else(|| "email".into()),
                        redirect_path: redirect_path
                            .unwrap_or_else(|| "/login/oidc/callback".into()),
                        map,
                    })
                }
                _ => None,
            }
        } else {
            None
        };
        OidcConfig {
            sign_in,
            ci_bindings,
        }
    }

    fn issuer(&mut self, t: &DeTable<'_>, key: &str) -> Option<String> {
        let (_, val) = t.get_key_value(key)?;
        let url = self.string_value(key, val)?;
        if issuer_url_ok(&url) && url.trim() == url {
            return Some(url);
        }
        self.sink.push(
            "config::invalid-value",
            val.span(),
            format!("`{key}` `{url}` is not an issuer URL"),
            "expected an https:// URL",
            Some("write the provider's issuer exactly as its tokens' `iss` (https://; http:// only to localhost)".into()),
        );
        None
    }

    fn sign_in_role(&mut self, m: &DeTable<'_>) -> Option<String> {
        let (_, val) = m.get_key_value("role")?;
        let role = self.string_value("role", val)?;
        if SIGN_IN_ROLES.contains(&role.as_str()) {
            return Some(role);
        }
        let mut help = format!(
            "expected one of {}",
            SIGN_IN_ROLES
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if role == "ci" {
            help = "ci is for pipelines: use [[oidc.ci_bindings]]".into();
        } else if let Some(dym) = did_you_mean(&role, SIGN_IN_ROLES.iter().copied()) {
            help = format!(
                "{dym} ({help}); an approval role such as `appsec-lead` goes in `approval_role`"
            );
        } else {
            help = format!("{help}; an approval role such as `{role}` goes in `approval_role`");
        }
        self.sink.push(
            "config::invalid-value",
            val.span(),
            format!("unknown role `{role}` in [[oidc.map]]"),
            "not a role a sign-in can give",
            Some(help),
        );
        None
    }

    fn ci_binding(
        &mut self,
        b: &DeTable<'_>,
        item_span: Range<usize>,
        line: usize,
        known_assets: &[&str],
    ) -> Option<CiBinding> {
        self.check_keys(b, BINDING_KEYS, "[[oidc.ci_bindings]]");
        let issuer = self.issuer(b, "issuer");
        let audience = self.string(b, "audience");
        for key in ["issuer", "audience", "claims", "assets"] {
            if !b.contains_key(key) {
                self.missing("oidc.ci_bindings", key, item_span.clone());
            }
        }
        if let Some((_, val)) = b.get_key_value("role") {
            let role = self.string_value("role", val);
            if role.as_deref().is_some_and(|r| r != "ci") {
                self.sink.push(
                    "config::invalid-value",
                    val.span(),
                    "a CI job's exchanged token has role `ci`",
                    "only `ci` is allowed here",
                    Some("remove `role`, or write `role = \"ci\"`".into()),
                );
            }
        }
        let mut claims = BTreeMap::new();
        if let Some((_, val)) = b.get_key_value("claims") {
            match val.get_ref() {
                DeValue::Table(ct) => {
                    for (k, cv) in ct.iter() {
                        if let Some(s) = self.string_value(k.get_ref(), cv) {
                            claims.insert(k.get_ref().to_string(), s);
                        }
                    }
                    if ct.is_empty() {
                        self.sink.push(
                            "config::invalid-value",
                            val.span(),
                            "`claims` is empty: any job of the issuer could upload",
                            "no claim required",
                            Some("require the job's repository and ref, e.g. `claims = { repository = \"acme/payments-api\", ref = \"refs/heads/main\" }`".into()),
                        );
                    }
                }
                other => self.wrong_type(
                    "claims",
                    val.span(),
                    "a table",
                    other,
                    Some("write `claims = { repository = \"acme/payments-api\", ref = \"refs/heads/main\" }`".into()),
                ),
            }
        }
        let assets = self.string_list(b, "assets");
        for (a, span) in self.string_list_spans(b, "assets") {
            if !known_assets.contains(&a.as_str()) {
                let help = did_you_mean(&a, known_assets.iter().copied())
                    .or_else(|| Some("declare it with an [[asset]] table".into()));
                self.sink.push(
                    "config::unknown-asset",
                    span,
                    format!("unknown asset `{a}`"),
                    "no [[asset]] has this name",
                    help,
                );
            }
        }
        let minutes = match b.get_key_value("minutes") {
            None => 15,
            Some((_, val)) => {
                match val.get_ref() {
                    DeValue::Integer(i) => match u32::from_str_radix(i.as_str(), i.radix()) {
                        Ok(m) if (1..=MAX_CI_TOKEN_MINUTES).contains(&m) => m,
                        _ => {
                            self.sink.push(
                            "config::invalid-value",
                            val.span(),
                            format!("`minutes` must be between 1 and {MAX_CI_TOKEN_MINUTES}"),
                            "out of range",
                            Some("an exchanged token lives as long as a job: 15 minutes unless said".into()),
                        );
                            15
                        }
                    },
                    other => {
                        self.wrong_type("minutes", val.span(), "an integer", other, None);
                        15
                    }
                }
            }
        };
        Some(CiBinding {
            issuer: issuer?,
            audience: audience?,
            line,
            claims: if claims.is_empty() {
                return None;
            } else {
                claims
            },
            assets: if assets.is_empty() {
                return None;
            } else {
                assets
            },
            minutes,
        })
    }
}
