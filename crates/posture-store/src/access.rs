//! [`AccessStore`]: who may call the server. Users, teams and memberships, API tokens (stored
//! as SHA-256 hashes with a display prefix, an expiry and a revocation time), dashboard
//! sessions (hashed ids) and the audit log of every write. A sub-trait of [`Store`], so one
//! back end object serves both and a server holds a single handle.

use crate::{
    ApprovalRecord, AuditEntry, AuditOf, AuditRecord, NewApproval, NewSession, NewToken,
    NewVexSuggestion, Principal, SavedViewRecord, SsoOutcome, SsoSignIn, Store, StoreError,
    TeamRecord, TokenRecord, UserRecord, VexSuggestionRecord,
};
use posture_model::Timestamp;

pub trait AccessStore: Store {
    /// Creates a token (and its user, team and membership when new). The hash must be unique.
    fn create_token(&self, token: NewToken) -> Result<TokenRecord, StoreError> {
        self.create_token_audited(token, &|_| None)
    }

    /// [`AccessStore::create_token`] with the audit entry of the new token written in the
    /// same transaction.
    fn create_token_audited(
        &self,
        token: NewToken,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError>;

    /// Every token, newest first (revoked and expired ones included).
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// How many tokens could still be used at `now` (neither revoked nor expired).
    fn active_token_count(&self, now: Timestamp) -> Result<usize, StoreError>;

    /// Revokes a token (and ends its sessions, and the memberships it brought that no other
    /// live token of its user names). Revoking twice keeps the first time.
    fn revoke_token(&self, id: i64, at: Timestamp) -> Result<TokenRecord, StoreError> {
        self.revoke_token_audited(id, at, &|_| None)
    }

    /// [`AccessStore::revoke_token`] with its audit entry written in the same transaction.
    fn revoke_token_audited(
        &self,
        id: i64,
        at: Timestamp,
        audit: AuditOf<'_, TokenRecord>,
    ) -> Result<TokenRecord, StoreError>;

    /// The caller behind a token hash, when the token exists, is not revoked and has not
    /// expired at `now`. Notes the use (at most once a minute per token).
    fn authenticate(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError>;

    /// Records a dashboard session.
    fn create_session(&self, session: NewSession) -> Result<(), StoreError>;

    /// The caller behind a session hash, when the session has not expired and its token is
    /// still valid at `now`.
    fn session_principal(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Principal>, StoreError>;

    /// Ends a session (signing out). Unknown hashes are ignored.
    fn delete_session(&self, secret_hash: &str) -> Result<(), StoreError>;

    /// Appends to the audit log.
    fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError>;

    /// The audit log, newest first, at most `limit` entries.
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;

    /// Teams known to access control (created by tokens' `--team`), with their members.
    fn teams(&self) -> Result<Vec<TeamRecord>, StoreError>;

    /// Every user (people and service accounts) with roles, teams and live tokens at `now`.
    fn users(&self, now: Timestamp) -> Result<Vec<UserRecord>, StoreError>;

    /// Creates a user when new (`service`: a service account). An existing user keeps its kind.
    fn ensure_user(&self, name: &str, service: bool, at: Timestamp) -> Result<(), StoreError>;

    /// Gives a user an approval role (a person only: a service account approves nothing).
    fn grant_user_role(
        &self,
        user: &str,
        role: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Takes an approval role away; answers whether the user held it.
    fn revoke_user_role(&self, user: &str, role: &str) -> Result<bool, StoreError>;

    /// Records a membership (declared by an admin, brought by no token).
    fn add_membership(&self, team: &str, user: &str, at: Timestamp) -> Result<(), StoreError>;

    /// Ends a membership: no token of the user acts for the team any more. Answers whether
    /// there was one.
    fn remove_membership(&self, team: &str, user: &str) -> Result<bool, StoreError>;

    /// Records a decision waiting for approval.
    fn create_approval(&self, request: NewApproval) -> Result<ApprovalRecord, StoreError>;

    /// Approval requests, newest first (of one status when given).
    fn approvals(&self, status: Option<&str>) -> Result<Vec<ApprovalRecord>, StoreError>;

    fn approval(&self, id: i64) -> Result<Option<ApprovalRecord>, StoreError>;

    /// Moves a request from `from` to `to` (approved, rejected, withdrawn, or back to pending
    /// when applying an approval failed). Answers `None` when it is no longer in `from` (someone
    /// else decided meanwhile).
    fn close_approval(
        &self,
        id: i64,
        from: &str,
        to: &str,
        by: Option<&str>,
        at: Option<Timestamp>,
        note: Option<&str>,
    ) -> Result<Option<ApprovalRecord>, StoreError>;

    /// Records a VEX document held as a suggestion.
    fn create_vex_suggestion(
        &self,
        suggestion: NewVexSuggestion,
    ) -> Result<VexSuggestionRecord, StoreError>;

    /// VEX suggestions, newest first (of one status when given).
    fn vex_suggestions(&self, status: Option<&str>)
    -> Result<Vec<VexSuggestionRecord>, StoreError>;

    /// Moves a pending suggestion to `applied` or `dismissed`; `None` when it was not pending.
    fn close_vex_suggestion(
        &self,
        id: i64,
        to: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<VexSuggestionRecord>, StoreError>;

    /// Signs a user in through the OpenID provider: links the identity to a user (created at
    /// the first sign-in), refreshes the user's sign-in token (role, teams) and the approval
    /// roles the provider's groups give (a group removed takes its right away, for every
    /// session of the user), opens the session, and writes `audit`'s entry, in one
    /// transaction.
    fn sso_sign_in(
        &self,
        sign_in: SsoSignIn,
        audit: AuditOf<'_, SsoOutcome>,
    ) -> Result<SsoOutcome, StoreError>;

    /// Ends every dashboard session of a user ("sign out everywhere"), writing `audit` (with
    /// the number of sessions ended added to its detail) in the same transaction. Answers how
    /// many sessions ended; 404 for an unknown user.
    fn end_user_sessions(&self, user: &str, audit: Option<AuditEntry>)
    -> Result<usize, StoreError>;

    /// A person's saved views (named filters of the findings list), by name.
    fn saved_views(&self, user: &str) -> Result<Vec<SavedViewRecord>, StoreError>;

    /// Saves a view of `user` (a view of the same name is replaced); answers its id.
    fn save_view(
        &self,
        user: &str,
        name: &str,
        query: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError>;

    /// Deletes a view of `user`; `false` when `user` has no view of that id.
    fn delete_saved_view(&self, user: &str, id: i64) -> Result<bool, StoreError>;
}
