//! Errors raised before a handler runs, in the documented shapes.
//!
//! axum's extractors answer their own rejections as `text/plain` (a bad query value, a body
//! that is not JSON or lacks a field, `abc` as an id, a wrong Content-Type), and its router
//! answers 405 with an empty body. This layer gives every such answer the shape of the rest:
//! under `/api/` the JSON body `{"error": {"status", "kind", "message"}}` ([`ErrorBody`]), on
//! the dashboard its error page. Answers that already are JSON or HTML pass unchanged, and so
//! does every success.

use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::{AppState, web};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The most of a rejection's text that is read (axum's are one line).
const MAX_TEXT: usize = 16 * 1024;

/// The machine-readable kind of an error status (as [`ApiError::kind`] for its own).
pub fn kind_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "unprocessable",
        429 => "too_many_requests",
        507 => "insufficient_storage",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

fn is_shaped(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|c| c.trim().to_ascii_lowercase())
        .is_some_and(|c| {
            c.starts_with("application/json")
                || c.starts_with("text/html")
                || c.starts_with("application/problem+json")
        })
}

/// What the client is told of a rejection: axum's text, said plainly, or the status's reason.
fn message_of(status: StatusCode, text: &str, method: &str, path: &str) -> String {
    let text = text.trim();
    match status {
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not a method of {path}"),
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_string(),
        _ => text
            .replace("Failed to deserialize query string: ", "query string: ")
            .replace("Invalid URL: ", "path: "),
    }
}

/// The layer (see the module's documentation).
pub(crate) async fn shape_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status();
    // The probes and /metrics answer their own plain text (for load balancers and scrapers).
    let operational = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
    if !(status.is_client_error() || status.is_server_error())
        || is_shaped(&response)
        || operational
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_TEXT).await {
        Ok(b) => String::from_utf8_lossy(&b).to_string(),
        Err(_) => String::new(),
    };
    let message = message_of(status, &text, &method, &path);
    let mut shaped = if path.starts_with("/api/") {
        let body = ErrorBody {
            error: ErrorDetail {
                status: status.as_u16(),
                kind: kind_of(status).to_string(),
                message,
            },
        };
        (status, axum::Json(body)).into_response()
    } else {
        let mut page = web::error_page(&state, None, &ApiError::BadRequest(message));
        *page.status_mut() = status;
        page
    };
    // Headers the rejection carried (Allow of a 405, Retry-After, WWW-Authenticate) stay.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if !shaped.headers().contains_key(header::CONTENT_TYPE) {
        shaped.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    shaped
}
