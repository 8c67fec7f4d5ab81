//! Posture's integrations with the systems where findings are worked: webhook, Slack and
//! Microsoft Teams notifications through the outbox ([`notify`]), and the reconciling Jira sync
//! ([`jira`]). This crate does I/O (HTTP); the store keeps the outbox, the Jira links and the
//! conflict log (`posture_store::IntegrationStore`).
//!
//! Invariants: credentials (the Jira token, webhook signing secrets, webhook URLs that embed a
//! secret) are read from the environment when used and never stored, logged or printed; the
//! outbox is the only path to a notification receiver.

pub mod config;
pub mod http;
pub mod jira;
pub mod notify;
pub mod review;

pub use config::{
    ConfigError, Grouping, JiraConfig, Webhook, WebhookKind, jira_from, webhooks_from,
};
pub use http::{HttpClient, HttpResponse, TransportError};

/// One error type for the integrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrationError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] posture_store::StoreError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// Jira refused the credentials.
    #[error(
        "Jira refused the credentials (HTTP 401) at {target}: check POSTURE_JIRA_TOKEN and `user` in [jira]"
    )]
    Unauthorized { target: String },
    /// Jira answered with an error the sync cannot get past.
    #[error("Jira: {method} {target}: HTTP {status}: {message}")]
    Jira {
        method: String,
        target: String,
        status: u16,
        message: String,
    },
    #[error("Jira: {0}")]
    Template(String),
    #[error("{0}")]
    Unsupported(String),
    /// A code-review host (GitHub, GitLab) refused or failed a request.
    #[error("{host}: {method} {target}: HTTP {status}: {message}")]
    Review {
        host: &'static str,
        method: String,
        target: String,
        status: u16,
        message: String,
    },
    /// The CI environment does not say where to comment.
    #[error("{0}")]
    ReviewSetup(String),
}
