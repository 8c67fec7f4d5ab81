//! Posture's own metrics registry and its Prometheus text exposition (format 0.0.4).
//!
//! Hand-written rather than the `metrics` crates: a dozen series, known in advance, counted
//! with a mutex-guarded map or an atomic each, rendered on a scrape. Labels are bounded by
//! construction: the route is the matched route *template* (`/api/v1/findings/{id}`), never
//! the raw path, and a path that matched no route counts as `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A cumulative histogram over [`LATENCY_BUCKETS`].
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {}", braces(labels), self.sum);
        let _ = writeln!(out, "{name}_count{} {}", braces(labels), self.count);
    }
}

/// Every series the server exposes at `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    started_unix: f64,
    /// (method, route, status) -> answers.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) -> latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    in_flight: AtomicI64,
    /// outcome (`stored`, or the error kind) -> uploads that reached the ingest.
    uploads: Mutex<BTreeMap<String, u64>>,
    upload_bytes: AtomicU64,
    ingest: Mutex<Histogram>,
    /// change (`new`, `linked`, `fixed`, `reopened`, `unchanged`) -> findings.
    findings: Mutex<BTreeMap<&'static str, u64>>,
    /// Uploads refused because as many as allowed were being read or ingested.
    uploads_refused: AtomicU64,
    connections_open: AtomicI64,
    connections_accepted: AtomicU64,
    /// Connections answered 503 at once because the cap was reached.
    connections_refused: AtomicU64,
    /// Upload jobs queued or running in this server.
    upload_jobs_active: AtomicI64,
    /// outcome (`done`, `failed`) -> upload jobs this server finished.
    upload_jobs: Mutex<BTreeMap<&'static str, u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            requests: Mutex::default(),
            latency: Mutex::default(),
            in_flight: AtomicI64::new(0),
            uploads: Mutex::default(),
            upload_bytes: AtomicU64::new(0),
            ingest: Mutex::default(),
            findings: Mutex::default(),
            uploads_refused: AtomicU64::new(0),
            connections_open: AtomicI64::new(0),
            connections_accepted: AtomicU64::new(0),
            connections_refused: AtomicU64::new(0),
            upload_jobs_active: AtomicI64::new(0),
            upload_jobs: Mutex::default(),
        }
    }
}

/// What an ingest changed, for [`Metrics::record_ingest`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestCounts {
    pub new: usize,
    pub linked: usize,
    pub unchanged: usize,
    pub fixed: usize,
    pub reopened: usize,
}

impl Metrics {
    pub fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn request_finished(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            m.entry((method.to_string(), route.to_string()))
                .or_default()
                .observe(took.as_secs_f64());
        }
    }

    /// An upload that reached the ingest: its outcome, size, time and what it changed.
    pub fn record_ingest(
        &self,
        outcome: &str,
        bytes: usize,
        took: Duration,
        counts: Option<IngestCounts>,
    ) {
        if let Ok(mut m) = self.uploads.lock() {
            *m.entry(outcome.to_string()).or_default() += 1;
        }
        self.upload_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if let Ok(mut h) = self.ingest.lock() {
            h.observe(took.as_secs_f64());
        }
        if let (Some(c), Ok(mut m)) = (counts, self.findings.lock()) {
            for (change, n) in [
                ("new", c.new),
                ("linked", c.linked),
                ("unchanged", c.unchanged),
                ("fixed", c.fixed),
                ("reopened", c.reopened),
            ] {
                *m.entry(change).or_default() += n as u64;
            }
        }
    }

    /// An ingest's result, counted: stored (with what it changed) or its error's kind.
    pub fn record_ingest_result<S>(
        &self,
        result: &Result<(posture_store::IngestOutcome, S), posture_app::AppError>,
        bytes: usize,
        took: Duration,
    ) {
        match result {
            Ok((outcome, _)) => {
                let t = outcome.total();
                self.record_ingest(
                    "stored",
                    bytes,
                    took,
                    Some(IngestCounts {
                        new: t.new,
                        linked: t.linked,
                        unchanged: t.unchanged,
                        fixed: t.fixed,
                        reopened: t.reopened,
                    }),
                );
            }
            Err(e) => {
                let kind = match e {
                    posture_app::AppError::TooLarge { .. } => "too_large",
                    posture_app::AppError::Detect { .. }
                    | posture_app::AppError::Parse { .. }
                    | posture_app::AppError::UnknownFormat { .. } => "unreadable",
                    posture_app::AppError::Store(s) if s.is_disk_full() => "disk_full",
                    _ => "failed",
                };
                self.record_ingest(kind, bytes, took, None);
            }
        }
    }

    /// An upload taken as a job (202): active until [`Metrics::upload_job_finished`].
    pub fn upload_job_started(&self) {
        self.upload_jobs_active.fetch_add(1, Ordering::Relaxed);
    }

    /// An upload job ended: `done` or `failed`.
    pub fn upload_job_finished(&self, outcome: &'static str) {
        self.upload_jobs_active.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut m) = self.upload_jobs.lock() {
            *m.entry(outcome).or_default() += 1;
        }
    }

    pub fn upload_refused(&self) {
        self.uploads_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        self.connections_accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Answers counted so far for (method, route, status): for tests and the exposition.
    pub fn requests_of(&self, method: &str, route: &str, status: u16) -> u64 {
        self.requests
            .lock()
            .ok()
            .and_then(|m| {
                m.get(&(method.to_string(), route.to_string(), status))
                    .copied()
            })
            .unwrap_or(0)
    }

    /// The Prometheus text exposition; `outbox` is the number of notifications waiting for
    /// delivery when the store keeps an outbox.
    pub fn render(&self, outbox: Option<u64>) -> String {
        let mut out = String::with_capacity(4096);
        let help = |out: &mut String, name: &str, kind: &str, text: &str| {
            let _ = writeln!(out, "# HELP {name} {text}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
        };
        help(
            &mut out,
            "posture_build_info",
            "gauge",
            "The running Posture's version (always 1).",
        );
        let _ = writeln!(
            out,
            "posture_build_info{{version=\"{}\"}} 1",
            escape(env!("CARGO_PKG_VERSION"))
        );
        help(
            &mut out,
            "posture_process_start_time_seconds",
            "gauge",
            "When the server started, in seconds since the Unix epoch.",
        );
        let _ = writeln!(
            out,
            "posture_process_start_time_seconds {}",
            self.started_unix
        );

        help(
            &mut out,
            "posture_http_requests_total",
            "counter",
            "HTTP answers by method, route template and status.",
        );
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "posture_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(method),
                    escape(route)
                );
            }
        }
        help(
            &mut out,
            "posture_http_request_duration_seconds",
            "histogram",
            "Time from a request's head to its answer's head, by method and route template.",
        );
        if let Ok(m) = self.latency.lock() {
            for ((method, route), h) in m.iter() {
                h.render(
                    &mut out,
                    "posture_http_request_duration_seconds",
                    &format!("method=\"{}\",route=\"{}\"", escape(method), escape(route)),
                );
            }
        }
        help(
            &mut out,
            "posture_http_requests_in_flight",
            "gauge",
            "Requests being answered now.",
        );
        let _ = writeln!(
            out,
            "posture_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );

        help(
            &mut out,
            "posture_uploads_total",
            "counter",
            "Uploaded scans that reached the ingest, by outcome (stored, or the error kind).",
        );
        if let Ok(m) = self.uploads.lock() {
            for (outcome, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "posture_uploads_total{{outcome=\"{}\"}} {n}",
                    escape(outcome)
                );
            }
        }
        help(
            &mut out,
            "posture_upload_bytes_total",
            "counter",
            "Bytes of the uploaded reports that reached the ingest.",
        );
        let _ = writeln!(
            out,
            "posture_upload_bytes_total {}",
            self.upload_bytes.load(Ordering::Relaxed)
        );
        help(
            &mut out,
            "posture_uploads_refused_total",
            "counter",
            "Uploads answered 429 because --max-concurrent-uploads were in progress.",
        );
        let _ = writeln!(
            out,
            "posture_uploads_refused_total {}",
            self.uploads_refused.load(Ordering::Relaxed)
        );
        help(
            &mut out,
            "posture_upload_jobs_active",
            "gauge",
            "Uploads above --async-upload-above taken as jobs (202) and not yet finished.",
        );
        let _ = writeln!(
            out,
            "posture_upload_jobs_active {}",
            self.upload_jobs_active.load(Ordering::Relaxed)
        );
        help(
            &mut out,
            "posture_upload_jobs_total",
            "counter",
            "Upload jobs this server finished, by outcome (done, failed).",
        );
        if let Ok(m) = self.upload_jobs.lock() {
            for outcome in ["done", "failed"] {
                let n = m.get(outcome).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "posture_upload_jobs_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        help(
            &mut out,
            "posture_ingest_duration_seconds",
            "histogram",
            "Time of an upload's ingest (detect, parse, identify, store, audit).",
        );
        if let Ok(h) = self.ingest.lock() {
            h.render(&mut out, "posture_ingest_duration_seconds", "");
        }
        help(
            &mut out,
            "posture_findings_ingested_total",
            "counter",
            "Findings changed by uploads, by change (new, linked, unchanged, fixed, reopened).",
        );
        if let Ok(m) = self.findings.lock() {
            for (change, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "posture_findings_ingested_total{{change=\"{change}\"}} {n}"
                );
            }
        }

        help(
            &mut out,
            "posture_connections_open",
            "gauge",
            "Client connections open now.",
        );
        let _ = writeln!(
            out,
            "posture_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        help(
            &mut out,
            "posture_connections_accepted_total",
            "counter",
            "Client connections accepted and served.",
        );
        let _ = writeln!(
            out,
            "posture_connections_accepted_total {}",
            self.connections_accepted.load(Ordering::Relaxed)
        );
        help(
            &mut out,
            "posture_connections_refused_total",
            "counter",
            "Client connections answered 503 at once because --max-connections were open.",
        );
        let _ = writeln!(
            out,
            "posture_connections_refused_total {}",
            self.connections_refused.load(Ordering::Relaxed)
        );
        if let Some(depth) = outbox {
            help(
                &mut out,
                "posture_outbox_pending",
                "gauge",
                "Notifications in the outbox waiting for delivery.",
            );
            let _ = writeln!(out, "posture_outbox_pending {depth}");
        }
        out
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        for s in [0.001, 0.02, 0.3, 200.0] {
            h.observe(s);
        }
        let mut out = String::new();
        h.render(&mut out, "x", "route=\"/a\"");
        assert!(
            out.contains("x_bucket{route=\"/a\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/a\",le=\"0.025\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/a\",le=\"0.5\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/a\",le=\"120\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{route=\"/a\",le=\"+Inf\"} 4\n"),
            "{out}"
        );
        assert!(out.contains("x_count{route=\"/a\"} 4\n"), "{out}");
    }

    #[test]
    fn requests_are_counted_by_route_template_and_status() {
        let m = Metrics::default();
        for status in [200, 200, 404] {
            m.request_started();
            m.request_finished(
                "GET",
                "/api/v1/findings/{id}",
                status,
                Duration::from_millis(3),
            );
        }
        let text = m.render(Some(2));
        assert!(
            text.contains("posture_http_requests_total{method=\"GET\",route=\"/api/v1/findings/{id}\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("posture_http_requests_in_flight 0\n"),
            "{text}"
        );
        assert!(text.contains("posture_outbox_pending 2\n"), "{text}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
