//! Posture's portfolio configuration (`posture.toml`) and CODEOWNERS files.
//!
//! Pure: this crate parses text handed to it and never reads a file; the caller reads
//! `posture.toml` and the CODEOWNERS files its assets point at.
//!
//! # `posture.toml`
//!
//! One file for the whole portfolio, reviewed like code:
//!
//! ```toml
//! [risk]                 # optional: weights for the risk model, kept as JSON (Portfolio::risk)
//! [correlation]          # optional: thresholds in [0, 1], suggest <= merge
//! merge = 0.75
//! suggest = 0.5
//! [policy]               # optional: the policy file of `posture gate` (relative to posture.toml)
//! file = "policy.toml"
//!
//! [[team]]
//! name = "payments"
//! members = ["alice@example.com", "@bob"]   # optional: maps CODEOWNERS people to the team
//! aliases = ["@acme/payments-eng"]          # optional: CODEOWNERS spellings of the team
//!
//! [[asset]]
//! name = "payments-api"
//! team = "payments"
//! criticality = "tier-1"         # tier-1 | tier-2 | tier-3
//! environment = "production"     # production | staging | development | test
//! exposure = "internet-facing"   # internet-facing | internal
//! data = ["pci", "customer-data"]
//! compliance = ["pci-dss"]
//! tags = ["payments"]
//! repositories = ["github.com/acme/payments-api"]
//! images = ["ghcr.io/acme/payments-api"]
//! urls = ["https://pay.acme.example"]
//! codeowners = "CODEOWNERS"      # relative to posture.toml; the caller reads it
//!
//! [[owner]]                      # explicit ownership, CODEOWNERS pattern semantics
//! asset = "payments-api"         # optional: only for this asset
//! path = "src/refunds/**"
//! team = "refunds"
//! ```
//!
//! [`parse_portfolio`] reports a syntax error alone; a document that parses is validated
//! completely and *every* problem is reported at once, each with file, line and column,
//! rendered rustc-style by [`ConfigErrors`] (`annotate-snippets`). [`upsert_asset`] edits one
//! asset in place with `toml_edit`, keeping comments and order.
//!
//! # Diagnostic codes
//!
//! Stable: tools and tests may match on them.
//!
//! | code | meaning |
//! |---|---|
//! | `config::syntax` | not TOML (every error the parser recovered from is listed) |
//! | `config::unknown-key` | a key Posture does not know, with "did you mean" when one is close |
//! | `config::wrong-type` | e.g. a string where an array of strings is expected, `[team]` instead of `[[team]]` |
//! | `config::missing-key` | `[[team]]`/`[[asset]]` without `name`, `[[owner]]` without `path` or `team` |
//! | `config::invalid-value` | empty string, name with surrounding spaces, unknown criticality/environment/exposure (lists the allowed values), non-finite or too-large number in `[risk]` |
//! | `config::unknown-team` | an asset or `[[owner]]` names a team no `[[team]]` declares |
//! | `config::unknown-asset` | an `[[owner]]` names an asset no `[[asset]]` declares |
//! | `config::duplicate-team` | two `[[team]]` with one name |
//! | `config::duplicate-asset` | two `[[asset]]` with one name |
//! | `config::duplicate-reference` | one repository, image or URL listed by two assets (compared normalized) |
//! | `config::bad-glob` | an `[[owner]]` path that is no valid pattern |
//! | `config::threshold-range` | a correlation threshold outside [0, 1] |
//! | `config::threshold-order` | `suggest` above `merge` |
//! | `config::not-editable` | [`upsert_asset`] on a file whose assets are not `[[asset]]` tables |
//! | `codeowners::bad-pattern` | a pattern with character ranges, alternatives, bad `**`, a lone `\` |
//! | `codeowners::negation` | a `!pattern` (not CODEOWNERS syntax) |
//! | `codeowners::bad-owner` | an owner that is not `@user`, `@org/team`, an email or `@@role` |
//! | `codeowners::bad-section` | a malformed GitLab section header |
//!
//! # Patterns
//!
//! CODEOWNERS files and `[[owner]]` rules share one pattern language (gitignore-like, as
//! GitHub documents it for CODEOWNERS):
//!
//! | pattern | meaning |
//! |---|---|
//! | `*.js` | no `/` (except a trailing one): matches at any depth |
//! | `apps/` | trailing `/`: a directory named `apps` at any depth, everything below |
//! | `/docs/` | leading `/`: anchored at the repository root |
//! | `docs/*` | a `/` inside anchors too; a wildcard in the last segment matches that level only (`docs/a.md`, not `docs/x/a.md`) |
//! | `/apps/github` | a literal last segment owns the file, or the directory and everything below |
//! | `**/logs` | `**` is any number of directories: every `logs` directory |
//!
//! `*` and `?` do not cross `/`; `\` escapes. No negation, no `[a-z]` ranges, no `{a,b}`.
//! Matching is case-sensitive on repository-relative paths (`./` and leading `/` are ignored).
//!
//! # Ownership
//!
//! [`resolve_owner`] decides the team of a finding: an explicit `[[owner]]` rule of
//! `posture.toml` (they are evaluated after CODEOWNERS, so they win; among them the last
//! match wins) > the deciding CODEOWNERS rule (last match wins; see [`codeowners`] for
//! GitLab sections) if one of its owners maps to a configured team > the asset's `team` >
//! unowned. Every decision carries its explanation ("CODEOWNERS line 12: /src/payments/
//! @org/payments").

pub mod codeowners;
mod diagnostic;
mod edit;
mod owner;
mod parse;
mod pattern;
mod portfolio;
pub mod runtime;

pub use codeowners::{CodeOwners, Match, Owner, Rule, Section};
pub use diagnostic::{ConfigErrors, Diagnostic, RenderStyle, Sink, did_you_mean, line_column};
pub use edit::upsert_asset;
pub use owner::{OwnerDecision, OwnerSource, resolve_owner};
pub use parse::{
    CiBinding, GroupMapping, MAX_CI_TOKEN_MINUTES, OidcConfig, OidcSignIn, SIGN_IN_ROLES,
    issuer_url_ok, parse_portfolio, parse_risk_weights,
};
pub use portfolio::{
    Asset, AssetSpec, BranchesConfig, CorrelationConfig, Criticality, DEFAULT_BRANCH,
    DEFAULT_FEED_MAX_AGE_DAYS, DEFAULT_RETIRE_AFTER_DAYS, Environment, Exposure, FeedsConfig,
    OwnerRule, Portfolio, Team, normalize_image, normalize_repository, normalize_url,
};
pub use runtime::{PathMap, PathMapping, RuntimeConfig};
