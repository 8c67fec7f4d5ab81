//! The accept loop of `posture serve`, in place of `axum::serve` (which has no timeouts):
//!
//! * a request's head must arrive within `header_timeout` (hyper's header read timeout, which
//!   also closes a keep-alive connection idle that long), and a request body that sends
//!   nothing for `body_timeout` fails (the handler answers 400 and stores nothing);
//! * at most `max_connections` are served at once: beyond, a connection is answered
//!   `503 Service Unavailable` with `Retry-After` and closed at once, so idle sockets cannot
//!   starve the process of file descriptors;
//! * on shutdown the listener closes, every connection finishes its request in flight and
//!   closes, and whatever is still open after `shutdown_timeout` (a client that sends half a
//!   request and waits) is dropped: SIGTERM never hangs.

use super::Metrics;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tower::Service;

/// The accept loop's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once (beyond: 503 and close).
    pub max_connections: usize,
    /// The longest wait for a request's head (also a keep-alive connection's idle time).
    pub header_timeout: Duration,
    /// The longest a request body may send nothing.
    pub body_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            shutdown_timeout: Duration::from_secs(25),
        }
    }
}

/// The answer to a connection beyond the cap.
const BUSY: &str = "{\"error\":{\"status\":503,\"kind\":\"unavailable\",\"message\":\"the server is serving as many connections as it may (--max-connections); retry shortly\"}}";

/// Serves `app` on `listener` until `shutdown` completes, then drains (see the module).
pub async fn serve_with_limits(
    listener: TcpListener,
    app: Router,
    base_path: &str,
    metrics: Arc<Metrics>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let open = Arc::new(AtomicUsize::new(0));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(target: "posture::server", error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        if open.load(Ordering::Acquire) >= limits.max_connections {
            metrics.connection_refused();
            tokio::spawn(refuse(stream));
            continue;
        }
        open.fetch_add(1, Ordering::AcqRel);
        metrics.connection_opened();
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let body_timeout = limits.body_timeout;
        let base: Arc<str> = Arc::from(base_path);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let request = request.map(|body| {
                axum::body::Body::new(tower_http::timeout::TimeoutBody::new(body_timeout, body))
            });
            let mut app = app.clone();
            let routed = under_base(request, &base);
            async move {
                match routed {
                    Ok(request) => app.call(request).await,
                    Err(answer) => Ok(answer),
                }
            }
        });
        let http = http.clone();
        let mut stop = stop_rx.clone();
        let (open, metrics) = (open.clone(), metrics.clone());
        tokio::spawn(async move {
            let connection = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(target: "posture::server", error = %e, "connection ended");
                        }
                        break;
                    }
                    changed = stop.changed(), if !stopping => {
                        let _ = changed;
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            open.fetch_sub(1, Ordering::AcqRel);
            metrics.connection_closed();
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + limits.shutdown_timeout;
    while open.load(Ordering::Acquire) > 0 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(
                target: "posture::server",
                open = open.load(Ordering::Acquire),
                "shutdown deadline reached: closing the connections still open"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Answers 503 to a connection beyond the cap, without reading its request.
async fn refuse(mut stream: tokio::net::TcpStream) {
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY}",
        BUSY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// A request under the base path with the prefix taken off (`/posture/findings` is routed as
/// `/findings`, `/posture` as `/`); outside it, the answer: the host's root redirects to the
/// base path, anything else is 404.
#[allow(clippy::result_large_err)]
pub(crate) fn under_base(
    mut request: axum::extract::Request,
    base: &str,
) -> Result<axum::extract::Request, axum::response::Response> {
    use axum::response::IntoResponse;
    if base.is_empty() {
        return Ok(request);
    }
    let path = request.uri().path();
    let rest = match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ if path == "/" => {
            return Err(axum::response::Redirect::to(&format!("{base}/")).into_response());
        }
        _ => {
            return Err(crate::ApiError::NotFound(format!(
                "nothing at {path}: this server is under {base}/"
            ))
            .into_response());
        }
    };
    let path_and_query = match request.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    };
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    match axum::http::Uri::from_parts(parts) {
        Ok(uri) => {
            *request.uri_mut() = uri;
            Ok(request)
        }
        Err(_) => Err(
            crate::ApiError::BadRequest("the request's path is malformed".into()).into_response(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(uri: &str, base: &str) -> Result<String, u16> {
        let request = axum::extract::Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        under_base(request, base)
            .map(|r| r.uri().to_string())
            .map_err(|a| a.status().as_u16())
    }

    #[test]
    fn the_base_path_is_taken_off_before_routing() {
        assert_eq!(path_of("/findings?x=1", ""), Ok("/findings?x=1".into()));
        assert_eq!(
            path_of("/posture/findings?x=1", "/posture"),
            Ok("/findings?x=1".into())
        );
        assert_eq!(path_of("/posture", "/posture"), Ok("/".into()));
        assert_eq!(path_of("/posture/", "/posture"), Ok("/".into()));
        assert_eq!(path_of("/", "/posture"), Err(303));
        assert_eq!(path_of("/posturex/findings", "/posture"), Err(404));
        assert_eq!(path_of("/api/v1/findings", "/posture"), Err(404));
    }
}
