//! Who is calling, and what they may do.
//!
//! API tokens are 32 random bytes from the operating system, shown once as `pst_<64 hex>`; the
//! store keeps only their SHA-256 and a display prefix. The API takes them as bearer tokens;
//! the dashboard trades one for a session cookie (random id, stored hashed, HttpOnly,
//! SameSite=Strict). Rights come from the role ([`Role::can`]) and a scope that belongs to the
//! grant, not to the user: a developer token acts for the teams it names (while its user is
//! still a member of each, recorded or declared in `posture.toml`), and sees and triages only
//! those teams' assets (the asset's `team` in `posture.toml`, or the finding's owner from
//! CODEOWNERS/owner rules); a ci token uploads only to its named assets. What a caller may not
//! read answers 404 exactly like what does not exist, so ids and names cannot be enumerated.

use crate::error::ApiError;
use posture_app::risk::{AssessedFinding, RiskConfig};
use posture_store::{Principal, Right, Role};
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "pst_";

/// How many characters of a token are kept for display (`pst_` + 8 hex).
const DISPLAY_PREFIX_LEN: usize = 12;

/// A freshly made secret: the value to hand out once, and what the store keeps.
pub struct NewSecret {
    pub value: String,
    pub hash: String,
    pub prefix: String,
}

/// 32 random bytes from the operating system, hex-encoded behind `prefix`.
pub fn new_secret(prefix: &str) -> Result<NewSecret, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("no randomness from the operating system: {e}")))?;
    let value = format!("{prefix}{}", hex::encode(bytes));
    Ok(NewSecret {
        hash: hash_secret(&value),
        prefix: value.chars().take(DISPLAY_PREFIX_LEN).collect(),
        value,
    })
}

/// The hex SHA-256 of a token or session id: what the store keeps and looks up. (A fast hash
/// fits: the secrets are 256-bit random values, not passwords.)
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CSRF token of a dashboard session: derived from the session id (which only the
/// browser's HttpOnly cookie holds), so it needs no storage and dies with the session.
pub fn csrf_for_session(session_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"posture csrf v1\0");
    h.update(session_id.as_bytes());
    hex::encode(h.finalize())
}

/// A caller and the portfolio, answering "may they...?".
pub struct Scope<'a> {
    pub principal: &'a Principal,
    pub portfolio: Option<&'a RiskConfig>,
}

impl<'a> Scope<'a> {
    pub fn new(principal: &'a Principal, portfolio: Option<&'a RiskConfig>) -> Self {
        Scope {
            principal,
            portfolio,
        }
    }

    /// The teams the caller's token acts for: the teams it names whose membership its user
    /// holds, recorded in the store or declared by the `members` of a `posture.toml` team
    /// (`@user` or the e-mail address, any case). A team the token does not name is never
    /// the caller's, whatever other tokens or the configuration say.
    pub fn teams(&self) -> Vec<String> {
        let mut teams = self.principal.teams.clone();
        let user = self.principal.user.trim().trim_start_matches('@');
        if let Some(config) = self.portfolio {
            for t in config.portfolio.teams() {
                if self.principal.token_teams.contains(&t.name)
                    && t.members
                        .iter()
                        .any(|m| m.trim().trim_start_matches('@').eq_ignore_ascii_case(user))
                {
                    teams.push(t.name.clone());
                }
            }
        }
        teams.sort();
        teams.dedup();
        teams
    }

    /// The team that owns an asset in `posture.toml`.
    pub fn team_of_asset(&self, asset: &str) -> Option<String> {
        self.portfolio
            .and_then(|c| c.portfolio.asset(asset))
            .and_then(|a| a.team.clone())
    }

    /// Refuses a role without the right at all (403).
    pub fn require(&self, right: Right) -> Result<(), ApiError> {
        if self.principal.role.can(right) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} token may not {}",
                self.principal.role,
                match right {
                    Right::Read => "read findings",
                    Right::Triage => "triage findings",
                    Right::Upload => "upload scans",
                    Right::Administer => "administer tokens or read the audit log",
                }
            )))
        }
    }

    /// Whether every asset is in scope for reading (not a developer).
    pub fn reads_everything(&self) -> bool {
        self.principal.role.can(Right::Read) && self.principal.role != Role::Developer
    }

    /// Whether the caller may read this asset as a whole.
    pub fn may_read_asset(&self, asset: &str) -> bool {
        if self.reads_everything() {
            return true;
        }
        if self.principal.role != Role::Developer {
            return false;
        }
        let teams = self.teams();
        self.team_of_asset(asset)
            .is_some_and(|t| teams.contains(&t))
    }

    /// Whether the caller may read this finding: its asset is theirs, or (developers) their
    /// team owns the finding's code.
    pub fn may_read_finding(&self, f: &AssessedFinding) -> bool {
        if self.may_read_asset(&f.finding.asset) {
            return true;
        }
        if self.principal.role != Role::Developer {
            return false;
        }
        let teams = self.teams();
        f.owner
            .as_ref()
            .and_then(|o| o.team.as_ref())
            .is_some_and(|t| teams.contains(t))
    }

    /// Whether the caller may read findings of this asset owned by this team (a group of the
    /// store's summary): as [`Scope::may_read_finding`], from the stored owning team.
    pub fn may_read_group(&self, asset: &str, team: Option<&str>) -> bool {
        if self.may_read_asset(asset) {
            return true;
        }
        if self.principal.role != Role::Developer {
            return false;
        }
        team.is_some_and(|t| self.teams().iter().any(|mine| mine == t))
    }

    /// 403 unless the caller's role may triage; 404 (as for an unknown id) unless the
    /// caller may read this finding.
    pub fn require_triage(&self, f: &AssessedFinding) -> Result<(), ApiError> {
        self.require(Right::Triage)?;
        if self.may_read_finding(f) {
            Ok(())
        } else {
            Err(not_found_finding(f.finding.id))
        }
    }

    /// Whether the caller's user holds an approval role (`appsec-lead`, `vp`...).
    pub fn holds_role(&self, role: &str) -> bool {
        self.principal.user_kind == "person"
            && self
                .principal
                .user_roles
                .iter()
                .any(|r| r.eq_ignore_ascii_case(role.trim()))
    }

    /// 403 unless the caller may upload scans of this asset.
    pub fn require_upload(&self, asset: &str) -> Result<(), ApiError> {
        self.require(Right::Upload)?;
        if self.principal.role == Role::Ci
            && !self.principal.assets.iter().any(|a| a == asset.trim())
        {
            return Err(ApiError::Forbidden(format!(
                "this ci token may upload only to {}, not to {asset}",
                self.principal.assets.join(", ")
            )));
        }
        Ok(())
    }
}

/// What a caller hears about a finding they may not read: exactly what they would hear about
/// one that does not exist.
pub fn not_found_finding(id: i64) -> ApiError {
    ApiError::NotFound(format!("no finding with id {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hashed() {
        let a = new_secret(TOKEN_PREFIX).unwrap_or_else(|e| panic!("{e}"));
        let b = new_secret(TOKEN_PREFIX).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.value, b.value);
        assert!(a.value.starts_with("pst_") && a.value.len() == 4 + 64);
        assert_eq!(a.hash, hash_secret(&a.value));
        assert!(!a.hash.contains(&a.value[4..]));
        assert!(a.value.starts_with(&a.prefix) && a.prefix.len() == 12);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn roles_grant_what_the_matrix_says() {
        use Right::*;
        let table = [
            (Role::Admin, [true, true, true, true]),
            (Role::Appsec, [true, true, true, false]),
            (Role::Developer, [true, true, false, false]),
            (Role::Reader, [true, false, false, false]),
            (Role::Ci, [false, false, true, false]),
        ];
        for (role, rights) in table {
            for (right, expected) in [Read, Triage, Upload, Administer].into_iter().zip(rights) {
                assert_eq!(role.can(right), expected, "{role} {right:?}");
            }
        }
    }
}
