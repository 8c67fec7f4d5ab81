use posture_parsers::{DetectError, ParseError};
use posture_store::StoreError;

/// One error type for the application layer. Every input error names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error("{file}: cannot read: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}: cannot write: {error}")]
    Write { file: String, error: std::io::Error },
    #[error(
        "{file}: the report is {size} bytes, over the limit of {limit} bytes (raise it with --max-report-size)"
    )]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}: {}{error}", syntax.as_ref().map(|s| format!("{s}; ")).unwrap_or_default())]
    Detect {
        file: String,
        error: DetectError,
        /// Where the JSON breaks, when it does.
        syntax: Option<String>,
    },
    #[error("{file}: not a valid {format} report: {error}")]
    Parse {
        file: String,
        format: String,
        error: ParseError,
    },
    #[error("unknown format `{given}` (known formats: {known}; see `posture formats`)")]
    UnknownFormat { given: String, known: String },
    #[error("{0}")]
    Invalid(String),
    /// The triage state machine does not allow this move.
    #[error(
        "finding {finding}: cannot go from {from} to {to} (from {from} a finding can go to: {allowed})"
    )]
    Transition {
        finding: i64,
        from: posture_model::FindingStatus,
        to: posture_model::FindingStatus,
        allowed: String,
    },
    /// The decision needs an approver in a role it does not have.
    #[error("finding {finding}: {message}")]
    Approval { finding: i64, message: String },
    #[error("{0}")]
    Store(StoreError),
}

impl AppError {
    /// Whether the error is the user's input (exit code 2) rather than the system's.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, AppError::Store(StoreError::Database { .. }))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}
