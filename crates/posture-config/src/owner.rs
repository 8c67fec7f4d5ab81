//! Who owns a finding: explicit rule > CODEOWNERS > the asset's team > unowned.

use std::fmt;

use serde::Serialize;

use crate::codeowners::{CodeOwners, Owner};
use crate::portfolio::Portfolio;

/// Where an ownership decision came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OwnerSource {
    /// An `[[owner]]` rule of `posture.toml`.
    Rule {
        source_name: String,
        line: usize,
        path: String,
        asset: Option<String>,
    },
    /// A CODEOWNERS rule whose owners map to a configured team.
    CodeOwners {
        source_name: String,
        line: usize,
        text: String,
    },
    /// The asset's `team`.
    AssetTeam { asset: String },
    /// Nothing decided.
    Unowned,
}

impl fmt::Display for OwnerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnerSource::Rule {
                source_name,
                line,
                path,
                asset,
            } => {
                write!(f, "{source_name} line {line}: [[owner]] path = \"{path}\"")?;
                if let Some(a) = asset {
                    write!(f, " (asset {a})")?;
                }
                Ok(())
            }
            OwnerSource::CodeOwners {
                source_name,
                line,
                text,
            } => write!(f, "{source_name} line {line}: {text}"),
            OwnerSource::AssetTeam { asset } => write!(f, "team of asset {asset}"),
            OwnerSource::Unowned => {
                f.write_str("no ownership rule, CODEOWNERS entry or asset team")
            }
        }
    }
}

/// The team a finding is routed to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerDecision {
    pub team: Option<String>,
    pub source: OwnerSource,
    /// The CODEOWNERS owners of the path, whenever a CODEOWNERS rule matched (also when
    /// they named no configured team and the decision fell through to the asset's team).
    pub codeowners: Vec<Owner>,
    /// The CODEOWNERS rule that matched without deciding, for the explanation.
    pub codeowners_note: Option<String>,
}

impl OwnerDecision {
    /// One line for people: `payments (CODEOWNERS line 12: /src/payments/ @org/payments)`.
    pub fn explain(&self) -> String {
        let mut s = match &self.team {
            Some(t) => format!("{t} ({})", self.source),
            None => format!("unowned ({})", self.source),
        };
        if let Some(note) = &self.codeowners_note {
            s.push_str(&format!("; {note}"));
        }
        s
    }
}

/// Decides the owning team of a finding in `asset` at `path` (a repository-relative file
/// path; `None` for findings without one, e.g. an image vulnerability).
///
/// Precedence: an `[[owner]]` rule of the portfolio (the last one matching, among those
/// for every asset and those for this asset) > the CODEOWNERS rule deciding the path, if
/// one of its owners maps to a configured team ([`Portfolio::team_for_owner`], first owner
/// that maps wins) > the asset's `team` > unowned. A CODEOWNERS rule that matches but names
/// no configured team (or nobody, on purpose) does not decide; its owners are kept in
/// [`OwnerDecision::codeowners`] and noted in the explanation.
pub fn resolve_owner(
    portfolio: &Portfolio,
    codeowners: Option<&CodeOwners>,
    asset: &str,
    path: Option<&str>,
) -> OwnerDecision {
    if let Some(path) = path
        && let Some(rule) = portfolio.owner_rule_for(asset, path)
    {
        return OwnerDecision {
            team: Some(rule.team.clone()),
            source: OwnerSource::Rule {
                source_name: portfolio.source_name().to_string(),
                line: rule.line,
                path: rule.path.clone(),
                asset: rule.asset.clone(),
            },
            codeowners: codeowners
                .and_then(|c| c.owners_of(path))
                .map(<[Owner]>::to_vec)
                .unwrap_or_default(),
            codeowners_note: None,
        };
    }
    let mut owners = Vec::new();
    let mut note = None;
    if let (Some(path), Some(co)) = (path, codeowners)
        && let Some(m) = co.rule_for(path)
    {
        owners = m.owners().to_vec();
        if let Some(team) = m.owners().iter().find_map(|o| portfolio.team_for_owner(o)) {
            return OwnerDecision {
                team: Some(team.name.clone()),
                source: OwnerSource::CodeOwners {
                    source_name: m.source_name.to_string(),
                    line: m.rule.line,
                    text: m.rule.text.clone(),
                },
                codeowners: owners,
                codeowners_note: None,
            };
        }
        note = Some(if m.owners().is_empty() {
            format!("{} leaves the path without owners", m.explain())
        } else {
            format!("{} names no configured team", m.explain())
        });
    }
    let (team, source) = match portfolio.asset(asset).and_then(|a| a.team.clone()) {
        Some(t) => (
            Some(t),
            OwnerSource::AssetTeam {
                asset: asset.to_string(),
            },
        ),
        None => (None, OwnerSource::Unowned),
    };
    OwnerDecision {
        team,
        source,
        codeowners: owners,
        codeowners_note: note,
    }
}
