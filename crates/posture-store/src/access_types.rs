//! Types of access control: roles, API tokens (only their hashes), sessions, teams and the
//! audit log. The server hashes every secret before it reaches the store, so a token or a
//! session id is never stored in plaintext.

use posture_model::Timestamp;
use serde::Serialize;

/// What a token may do. Ordered from most to least power only for display; rights are
/// decided by [`Role::can`], never by comparing roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including tokens and the audit log.
    Admin,
    /// Reads and triages every asset, uploads scans.
    Appsec,
    /// Reads and triages the assets of their teams.
    Developer,
    /// Reads everything, writes nothing.
    Reader,
    /// Uploads scans for the assets named on the token, reads nothing else.
    Ci,
}

/// One right checked by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Read findings, assets, scans (developers: only their teams' assets).
    Read,
    /// Record a triage decision (developers: only their teams' assets).
    Triage,
    /// Upload a scan (ci: only the token's assets).
    Upload,
    /// Create and revoke tokens, read the audit log.
    Administer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Appsec,
        Role::Developer,
        Role::Reader,
        Role::Ci,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Appsec => "appsec",
            Role::Developer => "developer",
            Role::Reader => "reader",
            Role::Ci => "ci",
        }
    }

    /// Whether the role grants the right at all (the asset scope is checked separately).
    pub fn can(self, right: Right) -> bool {
        match right {
            Right::Read => !matches!(self, Role::Ci),
            Right::Triage => matches!(self, Role::Admin | Role::Appsec | Role::Developer),
            Right::Upload => matches!(self, Role::Admin | Role::Appsec | Role::Ci),
            Right::Administer => matches!(self, Role::Admin),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (roles are admin, appsec, developer, reader, ci)")
            })
    }
}

/// A token to create. `secret_hash` is the hex SHA-256 of the token; the token itself never
/// reaches the store.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The person or pipeline the token is for (a user, created on first use).
    pub user: String,
    /// A label to recognise the token by (`gitlab-ci payments`).
    pub name: String,
    pub role: Role,
    /// The teams the token acts for (a developer's scope): the token carries them, and each
    /// is recorded as a membership of the user brought by this token (revoking the token
    /// ends it unless another live token of the user names the team).
    pub teams: Vec<String>,
    /// The user is a service account (a pipeline), not a person: created as one, it holds no
    /// approval role. Tokens of role ci always belong to a service account.
    pub service_account: bool,
    /// The assets a `ci` token may upload to.
    pub assets: Vec<String>,
    pub secret_hash: String,
    /// The first characters of the token, kept to recognise it in lists.
    pub prefix: String,
    pub expires_at: Option<Timestamp>,
    pub created_by: String,
    pub at: Timestamp,
}

/// A stored token, without any secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub user: String,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    /// `person` or `service` (a service account).
    pub owner_kind: String,
    /// The teams the token carries (its own grant, not every team of its user).
    pub teams: Vec<String>,
    /// The assets a `ci` token is limited to.
    pub assets: Vec<String>,
    pub created_at: Timestamp,
    pub created_by: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// Who is calling: the token (directly, or behind a dashboard session) and its scope.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    pub token_id: i64,
    pub user: String,
    pub token_name: String,
    pub role: Role,
    /// The teams the token carries whose membership the user still holds (recorded in the
    /// store; `token_teams` adds the ones `posture.toml` declares).
    pub teams: Vec<String>,
    /// Every team the token names, held or not (the scope checks `posture.toml`'s members
    /// for the ones not in `teams`).
    pub token_teams: Vec<String>,
    pub assets: Vec<String>,
    /// `person` or `service`.
    pub user_kind: String,
    /// The approval roles the user holds (`appsec-lead`, `vp`...: the roles a policy's
    /// `require_approval` names), given by an admin.
    pub user_roles: Vec<String>,
}

/// A dashboard session to create (its id hashed).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret_hash: String,
    pub token_id: i64,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

/// One write to record in the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// The user behind the token (`bootstrap` for the first admin token).
    pub actor: String,
    pub token_id: Option<i64>,
    /// The client's address as the server saw it.
    pub client: Option<String>,
    /// What was done (`scan.upload`, `finding.triage`, `token.create`, `session.create`...).
    pub action: String,
    /// What it was done to (`finding 42`, `asset payments-api`, `token 3`).
    pub target: String,
    /// Details as JSON text (the triage state and reason, the upload's summary...).
    pub detail: serde_json::Value,
}

/// Builds the audit entry of a write from what the write did (the token made, the scan's
/// outcome). The store calls it inside the write's own transaction and stores the entry there:
/// the write and its audit entry are committed together or not at all. `None` records nothing.
pub type AuditOf<'a, T> = &'a dyn Fn(&T) -> Option<AuditEntry>;

/// A recorded write.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub token_id: Option<i64>,
    pub client: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// A team and the users in it.
#[derive(Debug, Clone, Serialize)]
pub struct TeamRecord {
    pub name: String,
    pub members: Vec<String>,
}

/// A user: a person or a service account, their approval roles and team memberships.
#[derive(Debug, Clone, Serialize)]
pub struct UserRecord {
    pub name: String,
    /// `person` or `service`.
    pub kind: String,
    /// Approval roles held (the roles a policy's `require_approval` names).
    pub roles: Vec<String>,
    /// Teams the user is a member of (recorded memberships).
    pub teams: Vec<String>,
    /// Tokens not revoked nor expired at the time of the listing.
    pub active_tokens: usize,
    pub created_at: Timestamp,
}

/// A decision that waits for the approval of a role (a policy's `require_approval`).
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub finding_id: i64,
    /// The finding's status when the decision was asked for (the approval applies from it).
    pub from_status: String,
    /// The state asked for (`accepted`...).
    pub state: String,
    pub reason: String,
    pub expires_at: Option<Timestamp>,
    /// The role whose holder must approve.
    pub role: String,
    /// The policy rule that asked for it.
    pub rule_id: Option<String>,
    pub requested_by: String,
    pub requested_token: Option<i64>,
    pub at: Timestamp,
}

/// A recorded approval request.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalRecord {
    pub id: i64,
    pub finding_id: i64,
    pub from_status: String,
    pub state: String,
    pub reason: String,
    pub expires_at: Option<Timestamp>,
    pub role: String,
    pub rule_id: Option<String>,
    pub requested_by: String,
    pub requested_token: Option<i64>,
    pub requested_at: Timestamp,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub note: Option<String>,
}

/// A VEX document held as a suggestion (uploaded by a caller without the triage right).
#[derive(Debug, Clone)]
pub struct NewVexSuggestion {
    pub asset: String,
    pub report: String,
    /// The statements, as JSON.
    pub statements: serde_json::Value,
    pub uploaded_by: String,
    pub token_id: Option<i64>,
    pub at: Timestamp,
}

/// A recorded VEX suggestion.
#[derive(Debug, Clone, Serialize)]
pub struct VexSuggestionRecord {
    pub id: i64,
    pub asset: String,
    pub report: String,
    pub statements: serde_json::Value,
    pub uploaded_by: String,
    pub token_id: Option<i64>,
    pub created_at: Timestamp,
    /// `pending`, `applied` or `dismissed`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// A sign-in through the OpenID provider, checked by the server: who (the provider's
/// `issuer` and `subject`, and the user name its claims give), and what the groups give now.
/// `token_hash` and `session_hash` are hashes of fresh random secrets; neither secret reaches
/// the store, and the sign-in token's is never shown to anyone (sessions are its only use).
#[derive(Debug, Clone)]
pub struct SsoSignIn {
    pub issuer: String,
    pub subject: String,
    /// The name of a user signing in for the first time (later sign-ins keep the user the
    /// identity was first linked to).
    pub user: String,
    /// The access role the groups give.
    pub role: Role,
    /// The teams the groups give (developers).
    pub teams: Vec<String>,
    /// The approval roles the groups give (replacing those the provider gave before; roles an
    /// admin gave stay).
    pub approval_roles: Vec<String>,
    /// The groups of the ID token, kept for the users page.
    pub groups: Vec<String>,
    pub token_hash: String,
    pub token_prefix: String,
    pub session_hash: String,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

/// What a sign-in did.
#[derive(Debug, Clone, Serialize)]
pub struct SsoOutcome {
    pub user: String,
    /// The user was created by this sign-in.
    pub created: bool,
    /// The sign-in token behind the session.
    pub token_id: i64,
    pub role: Role,
    pub teams: Vec<String>,
    pub approval_roles: Vec<String>,
    /// Teams and approval roles the groups gave before and no longer do.
    pub removed: Vec<String>,
}

/// The name of the token a sign-in creates (one per user, refreshed at every sign-in).
pub const SSO_TOKEN_NAME: &str = "single sign-on";
/// Who "creates" sign-in tokens, and gives approval roles from the provider's groups.
pub const SSO_GRANTOR: &str = "oidc";

/// A person's saved view: a named filter of the findings list (its query string).
#[derive(Debug, Clone, Serialize)]
pub struct SavedViewRecord {
    pub id: i64,
    pub user: String,
    pub name: String,
    /// The findings list's query string (`severity=critical&team=payments`).
    pub query: String,
    pub created_at: Timestamp,
}
