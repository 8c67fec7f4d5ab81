//! Running Posture as a service a platform team operates: the probes (`/healthz`,
//! `/readyz`), the Prometheus metrics (`/metrics`), one log line per request with a request id
//! (`x-request-id`, taken from the client when well-formed, else made here, and returned), the
//! client's address behind trusted proxies (X-Forwarded-For/Proto), the cap on concurrent
//! uploads, and the accept loop with its timeouts, connection cap and graceful shutdown
//! ([`listener`]).

mod listener;
pub mod metrics;

pub use listener::{Limits, serve_with_limits};
pub use metrics::Metrics;

use crate::error::ApiError;
use crate::{AppState, Shared};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The header carrying a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Routes whose POST takes a report (counted against `--max-concurrent-uploads`).
const UPLOAD_ROUTES: [&str; 2] = ["/api/v1/scans", "/api/v1/gate"];

tokio::task_local! {
    static REQUEST: Arc<RequestInfo>;
}

/// What the request log line says of one request, filled as the request goes.
#[derive(Debug)]
struct RequestInfo {
    id: String,
    /// The client reached a trusted proxy over HTTPS.
    https: bool,
    /// (token id, user) once authenticated.
    caller: Mutex<Option<(i64, String)>>,
}

/// The id of the request being answered (on its task), for error answers and logs.
pub fn request_id() -> Option<String> {
    REQUEST.try_with(|r| r.id.clone()).ok()
}

/// Whether the request being answered came over HTTPS through a trusted proxy
/// (X-Forwarded-Proto: https): its cookies are then marked Secure.
pub fn request_is_https() -> bool {
    REQUEST.try_with(|r| r.https).unwrap_or(false)
}

/// Records who the request is from (token id and user) for its log line.
pub fn note_caller(token_id: i64, user: &str) {
    let _ = REQUEST.try_with(|r| {
        if let Ok(mut c) = r.caller.lock() {
            *c = Some((token_id, user.to_string()));
        }
    });
}

/// A fresh request id: 16 random bytes, hex.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: a process-unique id still ties an answer to its log line.
        use std::hash::BuildHasher;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        return format!("{:016x}{n:016x}", std::hash::RandomState::new().hash_one(n));
    }
    hex::encode(bytes)
}

/// A client's request id is kept when it is short and plain (it goes into logs and headers).
fn acceptable_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an address or a CIDR network (10.0.0.0/8)"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { network, bits })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.bits)
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client as the server records it (audit log, request log).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr {
    pub ip: Option<IpAddr>,
    /// The client reached a trusted proxy over HTTPS (X-Forwarded-Proto: https).
    pub https: bool,
}

/// The client of a request: the connection's peer, or, when the peer is a trusted proxy, the
/// nearest address in X-Forwarded-For that is not a trusted proxy (read right to left: each
/// proxy appends the address it saw, so only the entries added by trusted proxies can be
/// believed). X-Forwarded-Proto is believed from a trusted proxy only.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> ClientAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    let Some(peer) = peer else {
        return ClientAddr {
            ip: None,
            https: false,
        };
    };
    if !is_trusted(peer) {
        return ClientAddr {
            ip: Some(peer),
            https: false,
        };
    }
    let mut client = peer;
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| parse_forwarded_addr(a.trim()))
        .collect();
    for addr in forwarded.iter().rev() {
        client = *addr;
        if !is_trusted(*addr) {
            break;
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    ClientAddr {
        ip: Some(client),
        https,
    }
}

/// An X-Forwarded-For entry: an address, maybe with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_forwarded_addr(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    text.trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|a| a.parse().ok())
}

/// A slot among `--max-concurrent-uploads`, freed when dropped.
pub struct UploadSlot(Arc<AtomicUsize>);

impl Drop for UploadSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The upload slot of the request being answered, for a handler that hands the upload to a
/// job ([`HeldUpload::take`]): the job then holds the slot until it ends.
#[derive(Clone)]
pub struct HeldUpload(Arc<Mutex<Option<UploadSlot>>>);

impl HeldUpload {
    pub fn take(&self) -> Option<UploadSlot> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// Counts uploads in progress against a cap (a semaphore that never waits: beyond the cap
/// the client is told to come back).
#[derive(Debug)]
pub struct UploadSlots {
    busy: Arc<AtomicUsize>,
    max: usize,
}

impl UploadSlots {
    pub fn new(max: usize) -> Self {
        UploadSlots {
            busy: Arc::new(AtomicUsize::new(0)),
            max: max.max(1),
        }
    }

    pub fn try_acquire(&self) -> Option<UploadSlot> {
        self.busy
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| UploadSlot(self.busy.clone()))
    }
}

/// The outermost layer of every route: request id, client address, upload cap, metrics and
/// the request's log line.
pub(crate) async fn observe(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = request.method().clone();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = client_address(peer, request.headers(), &state.settings.trusted_proxies);
    request.extensions_mut().insert(client);
    let info = Arc::new(RequestInfo {
        id: id.clone(),
        https: client.https,
        caller: Mutex::new(None),
    });
    state.metrics.request_started();
    let upload = method == Method::POST && UPLOAD_ROUTES.contains(&route.as_str());
    let mut response = if upload {
        match state.upload_slots.try_acquire() {
            Some(slot) => {
                // An upload taken as a job keeps its slot until the job ends (it takes it
                // out of the request); otherwise the slot is freed with the answer.
                let held = HeldUpload(Arc::new(Mutex::new(Some(slot))));
                request.extensions_mut().insert(held.clone());
                let response = REQUEST.scope(info.clone(), next.run(request)).await;
                drop(held);
                response
            }
            None => {
                state.metrics.upload_refused();
                ApiError::Busy(format!(
                    "{} uploads are being taken already (--max-concurrent-uploads); retry in a few seconds",
                    state.settings.max_concurrent_uploads
                ))
                .into_response()
            }
        }
    } else {
        REQUEST.scope(info.clone(), next.run(request)).await
    };
    let took = started.elapsed();
    let status = response.status();
    state
        .metrics
        .request_finished(method.as_str(), &route, status.as_u16(), took);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let caller = info.caller.lock().ok().and_then(|c| c.clone());
    let (token_id, user) = match &caller {
        Some((t, u)) => (Some(*t), Some(u.as_str())),
        None => (None, None),
    };
    let duration_ms = (took.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    let client = client.ip.map(|ip| ip.to_string());
    // The route template, never the path or the query: no token, cursor or name of the
    // caller's choosing reaches the log.
    if status.is_server_error() {
        tracing::warn!(
            target: "posture::request",
            request_id = %id, method = %method, route = %route, status = status.as_u16(),
            duration_ms, token_id, user, client,
            "request"
        );
    } else {
        tracing::info!(
            target: "posture::request",
            request_id = %id, method = %method, route = %route, status = status.as_u16(),
            duration_ms, token_id, user, client,
            "request"
        );
    }
    response
}

/// `GET /healthz`: the process is up and answering (no database call).
pub(crate) async fn healthz() -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({ "status": "ok" })),
    )
        .into_response()
}

/// `GET /readyz`: the database answers and its schema is this build's; 503 otherwise (the
/// reason in the answer, the database's own words only in the log).
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let result = state.blocking(|s| Ok(s.store.ready())).await;
    let (status, body) = match result {
        Ok(Ok(())) => (
            StatusCode::OK,
            serde_json::json!({ "status": "ready", "database": "ok" }),
        ),
        Ok(Err(e)) => {
            let reason = match &e {
                posture_store::StoreError::Unsupported(why) if why.contains("schema") => {
                    why.clone()
                }
                _ => "the database does not answer".to_string(),
            };
            tracing::warn!(target: "posture::readyz", cause = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "not ready", "reason": reason }),
            )
        }
        Err(e) => {
            tracing::warn!(target: "posture::readyz", cause = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "not ready", "reason": "the check did not run" }),
            )
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text. Open (for a scraper on the internal network) unless
/// `--metrics-token` is set, then only with `Authorization: Bearer <that token>`.
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.settings.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .unwrap_or("");
        if !crate::auth::constant_time_eq(given, expected) {
            return ApiError::Unauthorized(
                "/metrics needs the metrics token (--metrics-token): Authorization: Bearer ..."
                    .into(),
            )
            .into_response();
        }
    }
    let outbox = state
        .blocking(|s: &Shared| Ok(outbox_depth(s)))
        .await
        .ok()
        .flatten();
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(outbox),
    )
        .into_response()
}

/// Notifications waiting in the outbox (capped: past the cap the gauge says the cap).
fn outbox_depth(s: &Shared) -> Option<u64> {
    const CAP: usize = 10_000;
    let integrations = s.store.integrations()?;
    integrations
        .outbox(true, CAP)
        .ok()
        .map(|pending| pending.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter()
            .map(|c| c.parse().unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n: Cidr = "10.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(n.contains(ip("10.1.2.3")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped IPv6");
        let one: Cidr = "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "fd00::/8".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(all.contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.5"),
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let trusted = cidrs(&["10.0.0.0/8"]);
        // From the trusted proxy: the nearest untrusted entry (the first two could be forged).
        let c = client_address(Some(ip("10.0.0.9")), &headers, &trusted);
        assert_eq!(c.ip, Some(ip("203.0.113.7")));
        assert!(c.https);
        // From anyone else: the peer, and the headers are ignored.
        let c = client_address(Some(ip("198.51.100.1")), &headers, &trusted);
        assert_eq!(c.ip, Some(ip("198.51.100.1")));
        assert!(!c.https);
        // No trusted proxies configured: the peer.
        let c = client_address(Some(ip("10.0.0.9")), &headers, &[]);
        assert_eq!(c.ip, Some(ip("10.0.0.9")));
        assert_eq!(
            parse_forwarded_addr("[2001:db8::1]:443"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(parse_forwarded_addr("192.0.2.1:80"), Some(ip("192.0.2.1")));
    }

    #[test]
    fn request_ids_from_clients_are_kept_only_when_plain() {
        assert!(acceptable_request_id("3f2a-9b_c.d:1"));
        assert!(!acceptable_request_id(""));
        assert!(!acceptable_request_id("a b"));
        assert!(!acceptable_request_id("x\r\nSet-Cookie: a=b"));
        assert!(!acceptable_request_id(&"a".repeat(129)));
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(acceptable_request_id(&id));
    }

    #[test]
    fn upload_slots_refuse_beyond_the_cap_and_free_on_drop() {
        let slots = UploadSlots::new(2);
        let a = slots.try_acquire();
        let b = slots.try_acquire();
        assert!(a.is_some() && b.is_some());
        assert!(slots.try_acquire().is_none());
        drop(a);
        assert!(slots.try_acquire().is_some());
    }
}
