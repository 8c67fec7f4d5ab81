//! The one HTTP client of the integrations: `ureq` 3 (synchronous, rustls with ring, no async
//! runtime: the CLI and the store are synchronous, and an async server calls this from
//! `spawn_blocking` as it does the store). HTTP error statuses are returned, not raised, so each
//! caller decides what a 401, a 429 or a 500 means.
//!
//! Credentials travel only in headers built by the callers; this module never logs or formats
//! a request's headers, and its errors name the method and URL only (no query secrets: Posture
//! never puts credentials in URLs it builds).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::time::Duration;

/// Everything but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A query value or path segment, percent-encoded (a GitLab project path, an asset name).
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A response, read whole (bodies of the APIs used are small JSON documents).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one (delta-seconds form).
    pub retry_after: Option<u64>,
    /// The pagination headers, when sent: `Link` (GitHub, RFC 8288) and `X-Next-Page`
    /// (GitLab), lower-case names.
    pub pagination: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A pagination header's value (`link`, `x-next-page`).
    pub fn pagination_header(&self, name: &str) -> Option<&str> {
        self.pagination
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A transport failure: no HTTP response at all (refused connection, timeout, TLS).
#[derive(Debug, thiserror::Error)]
#[error("{method} {target}: {message}")]
pub struct TransportError {
    pub method: String,
    /// The URL without its query, or a name when the URL itself is secret.
    pub target: String,
    pub message: String,
}

/// A blocking HTTP client with timeouts.
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
}

impl HttpClient {
    /// A client whose every request ends within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("posture/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpClient { agent }
    }

    /// Sends a request. `target` is what errors call it (a URL without secrets, or a name).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        target: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, TransportError> {
        let fail = |message: String| TransportError {
            method: method.to_string(),
            target: target.to_string(),
            message,
        };
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, v.as_str());
        }
        let result = match body {
            Some(b) => builder
                .body(b)
                .map_err(|e| fail(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| fail(e.to_string()))),
            None => builder
                .body(())
                .map_err(|e| fail(e.to_string()))
                .and_then(|r| self.agent.run(r).map_err(|e| fail(e.to_string()))),
        };
        let mut response = result?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let pagination = ["link", "x-next-page"]
            .iter()
            .filter_map(|name| {
                let v = response.headers().get(*name)?.to_str().ok()?;
                Some((name.to_string(), v.to_string()))
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Ok(HttpResponse {
            status,
            retry_after,
            pagination,
            body,
        })
    }

    /// Downloads a file (a threat feed: JSON, CSV or gzip) of at most `limit` bytes; any
    /// answer but 2xx, or a body over the limit, is an error naming the URL.
    pub fn download(&self, url: &str, limit: u64) -> Result<Vec<u8>, TransportError> {
        let fail = |message: String| TransportError {
            method: "GET".to_string(),
            target: url.split('?').next().unwrap_or(url).to_string(),
            message,
        };
        let request = ureq::http::Request::builder()
            .method("GET")
            .uri(url)
            .body(())
            .map_err(|e| fail(e.to_string()))?;
        let mut response = self.agent.run(request).map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(fail(format!("answered HTTP {status}")));
        }
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| fail(e.to_string()))
    }
}
