//! The server's one error type: every failure becomes a JSON body `{"error": {...}}` with the
//! HTTP status that says whose fault it is (API), or an HTML page (dashboard).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use posture_app::AppError;
use posture_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, an unknown token, an expired or revoked one.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token without the right for this request.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A malformed request (bad parameter, bad cursor, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// The server's configuration does not allow the request (no policy configured, or a
    /// policy file that does not check).
    #[error("{0}")]
    Conflict(String),
    /// The upload is over the size cap.
    #[error("{0}")]
    TooLarge(String),
    /// The upload is not a report Posture can read (names the upload and the place).
    #[error("{0}")]
    Unprocessable(String),
    /// Too many uploads at once (`--max-concurrent-uploads`): 429 with Retry-After.
    #[error("{0}")]
    Busy(String),
    /// The database's disk is full: 507, nothing was stored.
    #[error("{0}")]
    InsufficientStorage(String),
    #[error("{0}")]
    Internal(String),
}

/// Seconds a client is asked to wait after a 429 or 503.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status code.
    pub status: u16,
    /// A machine-readable kind: unauthorized, forbidden, not_found, bad_request, conflict,
    /// payload_too_large, unprocessable, too_many_requests, insufficient_storage, internal.
    pub kind: String,
    /// What went wrong, naming the upload and the place when it is about a report. For a 500,
    /// the request id to quote (also in the `x-request-id` header): the cause is in the
    /// server's log under it, never in the answer.
    pub message: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Busy(_) => "too_many_requests",
            ApiError::InsufficientStorage(_) => "insufficient_storage",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ApiError {
    /// What the client is told. A 500's cause (a database's error text, a path) is never sent:
    /// it is logged with a fresh error id, and the client gets that id to quote.
    pub fn client_message(&self) -> String {
        match self {
            ApiError::Internal(cause) => {
                // The request's id (also in the answer's x-request-id header), which the
                // request's log line carries too; a fresh id outside a request.
                let id = crate::ops::request_id().unwrap_or_else(error_id);
                tracing::error!(request_id = %id, cause = %cause, "internal error");
                format!(
                    "internal error {id}: the server could not complete the request; its log has the cause under this request id"
                )
            }
            ApiError::InsufficientStorage(cause) => {
                let id = crate::ops::request_id().unwrap_or_else(error_id);
                tracing::error!(request_id = %id, cause = %cause, "the database's disk is full");
                format!(
                    "the database's disk is full (request {id}): nothing was stored; free space on the database's volume and retry"
                )
            }
            other => other.to_string(),
        }
    }
}

/// A fresh, unpredictable id for one internal error (16 hex digits).
fn error_id() -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // RandomState is seeded from the OS's randomness: a random 64-bit value per error.
    format!("{:016x}", std::hash::RandomState::new().hash_one(n))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorDetail {
                status: status.as_u16(),
                kind: self.kind().to_string(),
                message: self.client_message(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"posture\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("not found: {what}")),
            StoreError::Invalid(what) => ApiError::BadRequest(what),
            full if full.is_disk_full() => ApiError::InsufficientStorage(full.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            AppError::Detect { .. } | AppError::Parse { .. } => {
                ApiError::Unprocessable(e.to_string())
            }
            AppError::UnknownFormat { .. }
            | AppError::Invalid(_)
            | AppError::Transition { .. }
            | AppError::Approval { .. } => ApiError::BadRequest(e.to_string()),
            AppError::Store(s) => s.into(),
            AppError::Read { .. } | AppError::Write { .. } => ApiError::Internal(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// axum's `Query` with its rejection as an [`ApiError`]: a malformed or unknown query
/// parameter (`?sevrity=critical`) is a 400 with the JSON error body naming it, never ignored.
/// The parameter structs say `deny_unknown_fields`.
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(ApiError::BadRequest(format!(
                "query string: {}",
                e.body_text()
                    .trim_start_matches("Failed to deserialize query string: ")
            ))),
        }
    }
}
