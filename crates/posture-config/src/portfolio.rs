//! The portfolio: teams, assets, explicit ownership rules, and the lookups over them.

use serde::Serialize;

use crate::codeowners::Owner;
use crate::pattern::PatternSet;
use crate::runtime::RuntimeConfig;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the order of the documentation.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in `posture.toml`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the spelling used in `posture.toml` (exact, lowercase).
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// How much the business depends on an asset.
    Criticality {
        /// Business-critical: an outage or breach is an incident for the company.
        Tier1 = "tier-1",
        /// Important, with workarounds.
        Tier2 = "tier-2",
        /// Everything else.
        Tier3 = "tier-3",
    }
}

vocabulary! {
    /// Where an asset runs.
    Environment {
        Production = "production",
        Staging = "staging",
        Development = "development",
        Test = "test",
    }
}

vocabulary! {
    /// Who can reach an asset.
    Exposure {
        InternetFacing = "internet-facing",
        Internal = "internal",
    }
}

/// A team: the unit findings are routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub name: String,
    /// People (emails or `@user` handles), used to map CODEOWNERS owners to the team.
    pub members: Vec<String>,
    /// CODEOWNERS spellings of the team (`@acme/payments-eng`) when they differ from `name`.
    pub aliases: Vec<String>,
}

/// One asset (a service, an application, a repository) of the portfolio.
///
/// Also the argument of [`crate::upsert_asset`] (alias [`AssetSpec`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Asset {
    pub name: String,
    pub team: Option<String>,
    pub criticality: Option<Criticality>,
    pub environment: Option<Environment>,
    pub exposure: Option<Exposure>,
    /// Data classes it handles (`pci`, `customer-data`, ...): free vocabulary.
    pub data: Vec<String>,
    /// Compliance scopes (`pci-dss`, `soc2`, ...): free vocabulary.
    pub compliance: Vec<String>,
    pub tags: Vec<String>,
    /// Source repositories (`github.com/acme/payments-api`, any URL form).
    pub repositories: Vec<String>,
    /// Container images, without tag or digest (`ghcr.io/acme/payments-api`).
    pub images: Vec<String>,
    /// Base URLs of deployed instances (DAST targets).
    pub urls: Vec<String>,
    /// Path of a CODEOWNERS file, relative to `posture.toml`; the caller reads it.
    pub codeowners: Option<String>,
    /// The branch whose scans decide its findings' status (else `[branches] default_branch`,
    /// else `main`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_branch: Option<String>,
}

/// What [`crate::upsert_asset`] writes: the same fields as a parsed [`Asset`].
pub type AssetSpec = Asset;

/// An explicit `[[owner]]` rule of `posture.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerRule {
    /// Only for this asset; `None`: every asset.
    pub asset: Option<String>,
    /// CODEOWNERS pattern (see [`crate::pattern`](crate#patterns)).
    pub path: String,
    pub team: String,
    /// 1-based line of `[[owner]]` in `posture.toml`.
    pub line: usize,
}

/// Correlation thresholds overriding the engine's defaults (merge 0.75, suggest 0.5).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct CorrelationConfig {
    pub merge: Option<f64>,
    pub suggest: Option<f64>,
}

/// `[branches]`: the default branch of every asset that names none, and how long a branch
/// may stay idle (no scan) before it retires by itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BranchesConfig {
    pub default_branch: Option<String>,
    pub retire_after_days: Option<u32>,
}

impl BranchesConfig {
    /// Nothing said: every default applies.
    pub fn is_unset(&self) -> bool {
        self.default_branch.is_none() && self.retire_after_days.is_none()
    }
}

/// The default branch when neither the asset nor `[branches]` names one.
pub const DEFAULT_BRANCH: &str = "main";
/// Days without a scan after which a branch retires, unless `[branches]` says otherwise.
pub const DEFAULT_RETIRE_AFTER_DAYS: u32 = 30;

/// `[feeds]`: where `posture feeds update` reads the threat feeds (a URL, or a file relative
/// to posture.toml), and after how many days an imported feed is said to be stale.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FeedsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
}

/// Days after which an imported feed is stale, unless `[feeds] max_age_days` says otherwise
/// (CISA updates KEV on working days, FIRST publishes EPSS daily).
pub const DEFAULT_FEED_MAX_AGE_DAYS: u32 = 7;

impl FeedsConfig {
    pub fn is_unset(&self) -> bool {
        self == &FeedsConfig::default()
    }

    /// The age in days after which a feed is stale.
    pub fn max_age_days(&self) -> u32 {
        self.max_age_days.unwrap_or(DEFAULT_FEED_MAX_AGE_DAYS)
    }
}

/// The whole of `posture.toml`, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Portfolio {
    pub(crate) source_name: String,
    pub(crate) risk: serde_json::Map<String, serde_json::Value>,
    pub(crate) correlation: CorrelationConfig,
    #[serde(skip_serializing_if = "BranchesConfig::is_unset")]
    pub(crate) branches: BranchesConfig,
    /// `[policy] file`: the policy file, relative to the configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) policy_file: Option<String>,
    pub(crate) teams: Vec<Team>,
    pub(crate) assets: Vec<Asset>,
    #[serde(skip)]
    pub(crate) asset_lines: Vec<usize>,
    pub(crate) owner_rules: Vec<OwnerRule>,
    #[serde(skip)]
    pub(crate) owner_patterns: PatternSet,
    /// `[jira]` as JSON, when present (posture-integrations interprets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jira: Option<serde_json::Map<String, serde_json::Value>>,
    /// Each `[[webhook]]` as JSON (posture-integrations interprets them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) webhooks: Vec<serde_json::Map<String, serde_json::Value>>,
    /// `[runtime]`: how runtime evidence (coverage paths) meets the repository.
    #[serde(skip_serializing_if = "RuntimeConfig::is_unset")]
    pub(crate) runtime: RuntimeConfig,
    /// `[feeds]`: the threat feeds' sources and freshness.
    #[serde(skip_serializing_if = "FeedsConfig::is_unset")]
    pub(crate) feeds: FeedsConfig,
    /// `[oidc]`: single sign-on and CI token exchange bindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) oidc: Option<crate::OidcConfig>,
}

impl Portfolio {
    /// `[oidc]`, when present.
    pub fn oidc(&self) -> Option<&crate::OidcConfig> {
        self.oidc.as_ref()
    }

    /// `[feeds]`.
    pub fn feeds(&self) -> &FeedsConfig {
        &self.feeds
    }

    /// The name the portfolio was parsed from (for explanations).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The `[risk]` table as JSON (empty when absent); the risk model interprets it.
    pub fn risk(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.risk
    }

    /// The `[jira]` table as JSON, when present.
    pub fn jira(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.jira.as_ref()
    }

    /// The `[[webhook]]` tables as JSON, in order.
    pub fn webhooks(&self) -> &[serde_json::Map<String, serde_json::Value>] {
        &self.webhooks
    }

    /// `[runtime]` (the coverage path map).
    pub fn runtime(&self) -> &RuntimeConfig {
        &self.runtime
    }

    pub fn correlation(&self) -> CorrelationConfig {
        self.correlation
    }

    /// The asset's default branch: its own `default_branch`, else `[branches]
    /// default_branch`, else `main`. An asset posture.toml does not list gets the global one.
    pub fn default_branch(&self, asset: &str) -> &str {
        self.asset(asset)
            .and_then(|a| a.default_branch.as_deref())
            .or(self.branches.default_branch.as_deref())
            .unwrap_or(DEFAULT_BRANCH)
    }

    /// `[branches] retire_after_days` (30 unless said).
    pub fn retire_after_days(&self) -> u32 {
        self.branches
            .retire_after_days
            .unwrap_or(DEFAULT_RETIRE_AFTER_DAYS)
    }

    /// `[policy] file`: the policy file the CI gate uses, relative to the configuration file
    /// (the caller reads it).
    pub fn policy_file(&self) -> Option<&str> {
        self.policy_file.as_deref()
    }

    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    pub fn owner_rules(&self) -> &[OwnerRule] {
        &self.owner_rules
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.name == name)
    }

    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }

    /// 1-based line of the asset's `[[asset]]` header.
    pub fn asset_line(&self, name: &str) -> Option<usize> {
        let i = self.assets.iter().position(|a| a.name == name)?;
        self.asset_lines.get(i).copied()
    }

    /// Assets of a team, in file order.
    pub fn assets_of_team<'a>(&'a self, team: &'a str) -> impl Iterator<Item = &'a Asset> + 'a {
        self.assets
            .iter()
            .filter(move |a| a.team.as_deref() == Some(team))
    }

    /// The asset that lists this repository, in any URL form (`https://github.com/acme/x.git`,
    /// `git@github.com:acme/x`, `github.com/acme/x`), compared case-insensitively.
    pub fn asset_for_repository(&self, url: &str) -> Option<&Asset> {
        let want = normalize_repository(url);
        self.assets.iter().find(|a| {
            a.repositories
                .iter()
                .any(|r| normalize_repository(r) == want)
        })
    }

    /// The asset that lists this image; tag and digest are ignored, Docker Hub short names
    /// are expanded (`nginx:1.25` = `docker.io/library/nginx`).
    pub fn asset_for_image(&self, reference: &str) -> Option<&Asset> {
        let want = normalize_image(reference);
        self.assets
            .iter()
            .find(|a| a.images.iter().any(|i| normalize_image(i) == want))
    }

    /// The asset whose base URL is the longest prefix of `url` at a path boundary
    /// (`https://pay.acme.example` matches `https://pay.acme.example/api?x=1`, not
    /// `https://pay.acme.example.evil.test`). Scheme and host compare case-insensitively.
    pub fn asset_for_url(&self, url: &str) -> Option<&Asset> {
        let want = normalize_url(url);
        let mut best: Option<(usize, &Asset)> = None;
        for a in &self.assets {
            for u in &a.urls {
                let base = normalize_url(u);
                let boundary = want.strip_prefix(base.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with(['/', '?', '#']) || base.ends_with('/')
                });
                if boundary && best.is_none_or(|(n, _)| base.len() > n) {
                    best = Some((base.len(), a));
                }
            }
        }
        best.map(|(_, a)| a)
    }

    /// The configured team a CODEOWNERS owner stands for: a team alias (`@acme/payments-eng`),
    /// then a team whose name is the owner's team slug (`@acme/payments` -> `payments`), then
    /// the team listing the person (`alice@example.com` or `@alice`) among its members.
    /// Comparisons ignore ASCII case.
    pub fn team_for_owner(&self, owner: &Owner) -> Option<&Team> {
        let spelled = owner.to_string();
        if let Some(t) = self
            .teams
            .iter()
            .find(|t| t.aliases.iter().any(|a| a.eq_ignore_ascii_case(&spelled)))
        {
            return Some(t);
        }
        match owner {
            Owner::Team { team, .. } => {
                let slug = team.rsplit('/').next().unwrap_or(team);
                self.teams
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(slug))
            }
            Owner::User(_) | Owner::Email(_) => self
                .teams
                .iter()
                .find(|t| t.members.iter().any(|m| m.eq_ignore_ascii_case(&spelled))),
            Owner::Role(_) => None,
        }
    }

    /// The `[[owner]]` rule deciding `path` in `asset` (last applicable match wins).
    pub fn owner_rule_for(&self, asset: &str, path: &str) -> Option<&OwnerRule> {
        self.owner_patterns
            .matching(path)
            .into_iter()
            .rev()
            .filter_map(|i| self.owner_rules.get(i))
            .find(|r| r.asset.as_deref().is_none_or(|a| a == asset))
    }
}

/// `https://GitHub.com/Acme/X.git`, `git@github.com:acme/x`, `ssh://git@github.com/acme/x/`
/// all become `github.com/acme/x`.
pub fn normalize_repository(url: &str) -> String {
    let mut s = url.trim().to_ascii_lowercase();
    if let Some(i) = s.find("://") {
        s = s.split_off(i + 3);
    } else if let Some(colon) = s.find(':') {
        // scp-like `git@host:path`
        if s.find('/').is_none_or(|slash| colon < slash) {
            s.replace_range(colon..=colon, "/");
        }
    }
    if let Some(at) = s.find('@')
        && s.find('/').is_none_or(|slash| at < slash)
    {
        s = s.split_off(at + 1);
    }
    let mut s = s.trim_end_matches('/').to_string();
    if let Some(stripped) = s.strip_suffix(".git") {
        s = stripped.trim_end_matches('/').to_string();
    }
    s.strip_prefix("www.").map(str::to_string).unwrap_or(s)
}

/// `nginx:1.25` -> `docker.io/library/nginx`; `ghcr.io/acme/x:1@sha256:..` -> `ghcr.io/acme/x`.
pub fn normalize_image(reference: &str) -> String {
    let mut s = reference.trim().to_ascii_lowercase();
    if let Some(at) = s.find('@') {
        s.truncate(at);
    }
    if let Some(colon) = s.rfind(':')
        && s.rfind('/').is_none_or(|slash| colon > slash)
    {
        s.truncate(colon);
    }
    let first = s.split('/').next().unwrap_or("");
    let has_registry =
        s.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let s = if has_registry {
        s
    } else if s.contains('/') {
        format!("docker.io/{s}")
    } else {
        format!("docker.io/library/{s}")
    };
    match s.strip_prefix("index.docker.io/") {
        Some(rest) => format!("docker.io/{rest}"),
        None => s,
    }
}

/// Lowercases scheme and authority, drops default ports and trailing `/`.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.find("://") {
        Some(i) => (
            url.get(..i).unwrap_or("").to_ascii_lowercase(),
            url.get(i + 3..).unwrap_or(""),
        ),
        None => ("https".to_string(), url),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let mut authority = authority.to_ascii_lowercase();
    for (sch, port) in [("https", ":443"), ("http", ":80")] {
        if scheme == sch && authority.ends_with(port) {
            authority.truncate(authority.len() - port.len());
        }
    }
    let out = format!("{scheme}://{authority}{path}");
    out.trim_end_matches('/').to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        for form in [
            "github.com/acme/payments-api",
            "https://github.com/Acme/payments-api.git",
            "git@github.com:acme/payments-api.git",
            "ssh://git@github.com/acme/payments-api/",
            "https://www.github.com/acme/payments-api",
        ] {
            assert_eq!(
                normalize_repository(form),
                "github.com/acme/payments-api",
                "{form}"
            );
        }
    }

    #[test]
    fn images() {
        assert_eq!(normalize_image("nginx:1.25"), "docker.io/library/nginx");
        assert_eq!(normalize_image("acme/api"), "docker.io/acme/api");
        assert_eq!(
            normalize_image("ghcr.io/acme/x:1.2@sha256:abc"),
            "ghcr.io/acme/x"
        );
        assert_eq!(normalize_image("localhost:5000/x:dev"), "localhost:5000/x");
        assert_eq!(
            normalize_image("index.docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("HTTPS://Pay.Acme.Example:443/"),
            "https://pay.acme.example"
        );
        assert_eq!(
            normalize_url("pay.acme.example/API"),
            "https://pay.acme.example/API"
        );
    }

    #[test]
    fn vocabularies_round_trip() {
        for c in Criticality::ALL {
            assert_eq!(Criticality::parse(c.as_str()), Some(*c));
        }
        assert_eq!(
            Exposure::parse("internet-facing"),
            Some(Exposure::InternetFacing)
        );
        assert_eq!(Environment::parse("Production"), None);
    }
}
