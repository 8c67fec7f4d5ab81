//! Issue 19, the serving half: the real `posture serve` binary as a platform team runs it.
//! Probes and metrics without a token, one log line per request (JSON or text) with a request
//! id, no secret in the log, every option from the environment, a 500 naming its request id,
//! a sub-path and a trusted proxy, the upload and connection caps, shutdown with a half-sent
//! request, and PostgreSQL over TLS (sslmode=require and the verifying modes against the local
//! server's certificate), with passwords redacted and dead pooled connections replaced.

use posture_store::on_both_backends;
use posture_store::testing::{TEST_SECRET_KEY, TestBackend};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, stopped (SIGTERM, then killed) and reaped on drop.
struct Server {
    child: Child,
    base: String,
    /// What it printed on stdout up to "Press Ctrl-C".
    banner: String,
    log: PathBuf,
    /// How it ended, once it did.
    exit: Option<std::process::ExitStatus>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM; waits for the exit (at most `within`); returns how long it took.
    fn terminate(&mut self, within: Duration) -> Duration {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        while started.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exit = Some(status);
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        started.elapsed()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate(Duration::from_secs(10));
        }
    }
}

fn posture_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_posture"))
}

fn clean(command: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars() {
        if k.starts_with("POSTURE_") || k.starts_with("PGSSL") {
            command.env_remove(k);
        }
    }
    command.env("POSTURE_SECRET_KEY", TEST_SECRET_KEY)
}

/// Starts `posture serve` with `env` (and `args` after `serve`); the log goes to a file.
fn start(db: &str, env: &[(&str, &str)], args: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("server.log");
    let log_file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(posture_bin());
    clean(&mut command)
        .env("POSTURE_DATABASE", db)
        .envs(env.iter().copied())
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file));
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("posture serve: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let banner = banner.join("\n");
    let base = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches('/').to_string())
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "no URL printed: {banner}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    Server {
        child,
        base,
        banner,
        log,
        exit: None,
        _dir: dir,
    }
}

fn bootstrap_token(server: &Server) -> String {
    server
        .banner
        .split_whitespace()
        .find(|w| w.starts_with("pst_"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no bootstrap token: {}", server.banner))
}

/// One answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The host:port of a base URL (`http://127.0.0.1:1234/posture` gives `127.0.0.1:1234`).
fn host_of(base: &str) -> &str {
    let rest = base.trim_start_matches("http://");
    rest.split('/').next().unwrap_or(rest)
}

fn request(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let host = host_of(base);
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("{host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    s.write_all(body).unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_answer(&String::from_utf8_lossy(&raw))
}

fn parse_answer(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(base: &str, path: &str, token: Option<&str>) -> Answer {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    request(base, "GET", path, &headers, b"")
}

const GITLEAKS: &[u8] = br#"[{"RuleID":"generic-api-key","Description":"Generic API Key","StartLine":3,"EndLine":3,"StartColumn":1,"EndColumn":20,"Match":"key = abcdef0123456789abcdef","Secret":"abcdef0123456789abcdef","File":"app/config.py","Commit":"abc","Tags":[]}]"#;

/// The value of one series in a Prometheus text exposition.
fn series(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn probes_metrics_and_request_logs_from_an_environment_configured_server(b: &TestBackend) {
    // Every option from the environment: the listen address, the log format, the metrics
    // token, the upload cap.
    let metrics_token = "metrics-scraper-secret-0123456789";
    let mut server = start(
        b.location(),
        &[
            ("POSTURE_LISTEN", "127.0.0.1:0"),
            ("POSTURE_LOG_FORMAT", "json"),
            ("POSTURE_METRICS_TOKEN", metrics_token),
            ("POSTURE_MAX_UPLOAD_SIZE", "100000"),
        ],
        &[],
    );
    let base = server.base.clone();
    let admin = bootstrap_token(&server);

    // Probes: no token needed.
    let health = get(&base, "/healthz", None);
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, r#"{"status":"ok"}"#)
    );
    let ready = get(&base, "/readyz", None);
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains(r#""status":"ready""#), "{}", ready.body);

    // A few requests to count: two lists, one missing finding, one upload.
    for _ in 0..2 {
        assert_eq!(get(&base, "/api/v1/findings", Some(&admin)).status, 200);
    }
    let missing = get(&base, "/api/v1/findings/987654", Some(&admin));
    assert_eq!(missing.status, 404, "{}", missing.body);
    let auth = format!("Bearer {admin}");
    let upload = request(
        &base,
        "POST",
        "/api/v1/scans?asset=payments-api&format=gitleaks-json&name=gitleaks.json",
        &[
            ("Authorization", &auth),
            ("X-Request-Id", "ci-run-42.upload"),
        ],
        GITLEAKS,
    );
    assert_eq!(upload.status, 200, "{}", upload.body);
    assert_eq!(
        upload.header("x-request-id"),
        Some("ci-run-42.upload"),
        "a well-formed request id is kept and returned"
    );
    let generated = get(&base, "/healthz", None);
    let id = generated.header("x-request-id").unwrap_or_default();
    assert_eq!(
        id.len(),
        32,
        "an id is made when the client sends none: {id}"
    );
    let forged = request(&base, "GET", "/healthz", &[("X-Request-Id", "a b<c>")], b"");
    assert_ne!(forged.header("x-request-id"), Some("a b<c>"));

    // /metrics: refused without the metrics token, Prometheus text with it.
    assert_eq!(get(&base, "/metrics", None).status, 401);
    assert_eq!(get(&base, "/metrics", Some(&admin)).status, 401);
    let metrics = get(&base, "/metrics", Some(metrics_token));
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        metrics.headers
    );
    let m = &metrics.body;
    let count = |labels: &str| series(m, &format!("posture_http_requests_total{{{labels}}}"));
    assert_eq!(
        count(r#"method="GET",route="/api/v1/findings",status="200""#),
        Some(2.0),
        "{m}"
    );
    // The route template, never the raw path.
    assert_eq!(
        count(r#"method="GET",route="/api/v1/findings/{id}",status="404""#),
        Some(1.0),
        "{m}"
    );
    assert!(!m.contains("987654"), "{m}");
    assert_eq!(
        count(r#"method="POST",route="/api/v1/scans",status="200""#),
        Some(1.0)
    );
    assert_eq!(
        series(
            m,
            r#"posture_http_request_duration_seconds_count{method="GET",route="/api/v1/findings"}"#
        ),
        Some(2.0),
        "{m}"
    );
    assert!(
        m.contains(r#"posture_http_request_duration_seconds_bucket{method="GET",route="/api/v1/findings",le="+Inf"} 2"#),
        "{m}"
    );
    assert_eq!(
        series(m, r#"posture_uploads_total{outcome="stored"}"#),
        Some(1.0),
        "{m}"
    );
    assert_eq!(
        series(m, "posture_upload_bytes_total"),
        Some(GITLEAKS.len() as f64)
    );
    assert_eq!(
        series(m, "posture_ingest_duration_seconds_count"),
        Some(1.0)
    );
    assert_eq!(
        series(m, r#"posture_findings_ingested_total{change="new"}"#),
        Some(1.0),
        "{m}"
    );
    assert_eq!(series(m, "posture_outbox_pending"), Some(0.0), "{m}");

    // The log: one JSON object per request, with the route, status, duration, caller and
    // request id; never a token, the metrics token, the secret key or the reported secret.
    let took = server.terminate(Duration::from_secs(30));
    assert!(took < Duration::from_secs(10), "SIGTERM took {took:?}");
    let log = server.log();
    // A clean exit: on PostgreSQL the store's clients were once dropped on an async worker,
    // which aborted the process at every shutdown.
    assert!(
        server.exit.is_some_and(|s| s.success()),
        "exit {:?}:\n{log}",
        server.exit
    );
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "posture::request")
        .collect();
    assert!(requests.len() >= 10, "{log}");
    let upload_line = requests
        .iter()
        .find(|l| l["request_id"] == "ci-run-42.upload")
        .unwrap_or_else(|| panic!("no line for the upload: {log}"));
    assert_eq!(upload_line["method"], "POST");
    assert_eq!(upload_line["route"], "/api/v1/scans");
    assert_eq!(upload_line["status"], 200);
    assert_eq!(upload_line["user"], "admin");
    assert!(upload_line["token_id"].as_i64().is_some(), "{upload_line}");
    assert!(
        upload_line["duration_ms"].as_f64().is_some(),
        "{upload_line}"
    );
    assert_eq!(upload_line["client"], "127.0.0.1");
    assert!(
        requests
            .iter()
            .any(|l| l["route"] == "/api/v1/findings/{id}" && l["status"] == 404),
        "{log}"
    );
    for secret in [
        admin.as_str(),
        &admin[4..],
        metrics_token,
        TEST_SECRET_KEY,
        "abcdef0123456789abcdef",
        "987654",
    ] {
        assert!(!log.contains(secret), "`{secret}` is in the log:\n{log}");
    }
}

fn a_500_names_its_request_id_and_only_the_log_has_the_cause(b: &TestBackend) {
    let mut server = start(
        b.location(),
        &[("POSTURE_LOG_FORMAT", "text")],
        &["--listen", "127.0.0.1:0"],
    );
    let admin = bootstrap_token(&server);
    assert_eq!(get(&server.base, "/api/v1/audit", Some(&admin)).status, 200);
    // The audit table goes away under the running server (an operator's mistake, a broken
    // restore): reading the audit log fails inside the database.
    match b {
        TestBackend::Sqlite { path, .. } => {
            let db = rusqlite::Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
            db.execute_batch("ALTER TABLE audit_log RENAME TO audit_log_gone")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        TestBackend::Postgres(_) => {
            let mut db = postgres::Client::connect(b.location(), postgres::NoTls)
                .unwrap_or_else(|e| panic!("{e}"));
            db.batch_execute("ALTER TABLE audit_log RENAME TO audit_log_gone")
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let answer = get(&server.base, "/api/v1/audit", Some(&admin));
    assert_eq!(answer.status, 500, "{}", answer.body);
    let id = answer
        .header("x-request-id")
        .unwrap_or_else(|| panic!("no request id: {:?}", answer.headers))
        .to_string();
    assert!(
        answer.body.contains(&format!("internal error {id}")),
        "the answer names its request id {id}: {}",
        answer.body
    );
    assert!(
        !answer.body.contains("audit_log") && !answer.body.to_lowercase().contains("relation"),
        "no database text in the answer: {}",
        answer.body
    );
    server.terminate(Duration::from_secs(30));
    let log = server.log();
    let cause = log
        .lines()
        .find(|l| l.contains(&id) && l.contains("internal error"))
        .unwrap_or_else(|| panic!("no cause under {id} in the log:\n{log}"));
    assert!(cause.contains("audit_log"), "{cause}");
    assert!(
        log.lines()
            .any(|l| l.contains("posture::request") && l.contains(&id) && l.contains("status=500")),
        "the request's line carries the same id:\n{log}"
    );
    assert!(!log.contains(&admin), "{log}");
}

on_both_backends!(
    probes_metrics_and_request_logs_from_an_environment_configured_server,
    a_500_names_its_request_id_and_only_the_log_has_the_cause,
);

#[test]
fn a_sub_path_behind_a_trusted_proxy_records_the_client() {
    let db = TestBackend::sqlite();
    let server = start(
        db.location(),
        &[
            ("POSTURE_BASE_URL", "https://tools.example/posture/"),
            ("POSTURE_TRUSTED_PROXIES", "127.0.0.0/8,::1"),
        ],
        &["--listen", "127.0.0.1:0"],
    );
    // The banner names the public address.
    assert!(
        server
            .banner
            .contains("https://tools.example/posture/ (dashboard)"),
        "{}",
        server.banner
    );
    let admin = bootstrap_token(&server);
    let port = server
        .log()
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("listen=127.0.0.1:"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("no listen line: {}", server.log()));
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(get(&base, "/posture/healthz", None).status, 200);
    assert_eq!(get(&base, "/healthz", None).status, 404);
    let root = get(&base, "/", None);
    assert_eq!(root.status, 303);
    assert_eq!(root.header("location"), Some("/posture/"));
    let login = get(&base, "/posture/login", None);
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains(r#"action="/posture/login""#)
            && login.body.contains(r#"href="/posture/static/style.css""#),
        "{}",
        login.body
    );
    // An https:// base URL marks cookies Secure, under the base path.
    let cookie = login.header("set-cookie").unwrap_or_default();
    assert!(
        cookie.contains("Path=/posture/login") && cookie.contains("Secure"),
        "{cookie}"
    );
    let unsigned = get(&base, "/posture/", None);
    assert_eq!(unsigned.status, 303);
    assert_eq!(unsigned.header("location"), Some("/posture/login"));
    // The proxy's X-Forwarded-For names the client, and the audit log records it.
    let auth = format!("Bearer {admin}");
    let upload = request(
        &base,
        "POST",
        "/posture/api/v1/scans?asset=payments-api&format=gitleaks-json",
        &[
            ("Authorization", &auth),
            ("X-Forwarded-For", "198.51.100.23, 127.0.0.1"),
            ("X-Forwarded-Proto", "https"),
        ],
        GITLEAKS,
    );
    assert_eq!(upload.status, 200, "{}", upload.body);
    let audit = get(&base, "/posture/api/v1/audit", Some(&admin));
    let audit: serde_json::Value =
        serde_json::from_str(&audit.body).unwrap_or_else(|e| panic!("{e}: {}", audit.body));
    let entry = audit
        .as_array()
        .and_then(|a| a.iter().find(|e| e["action"] == "scan.upload"))
        .unwrap_or_else(|| panic!("no upload audited: {audit:#}"));
    assert_eq!(entry["client"], "198.51.100.23", "{entry:#}");
    let metrics = get(&base, "/posture/metrics", None);
    assert!(
        metrics
            .body
            .contains(r#"route="/api/v1/scans",status="200""#),
        "routes are counted without the base path: {}",
        metrics.body
    );
}

#[test]
fn uploads_and_connections_beyond_the_caps_are_told_to_retry() {
    let db = TestBackend::sqlite();
    let mut server = start(
        db.location(),
        &[
            ("POSTURE_MAX_CONCURRENT_UPLOADS", "1"),
            ("POSTURE_MAX_CONNECTIONS", "3"),
        ],
        &["--listen", "127.0.0.1:0"],
    );
    let admin = bootstrap_token(&server);
    let host = host_of(&server.base).to_string();
    // An upload whose body is still coming holds the only upload slot...
    let mut slow = TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}"));
    write!(
        slow,
        "POST /api/v1/scans?asset=payments-api&format=gitleaks-json HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {admin}\r\nContent-Length: {}\r\n\r\n",
        GITLEAKS.len()
    )
    .unwrap_or_else(|e| panic!("{e}"));
    slow.write_all(&GITLEAKS[..10])
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(500));
    // ...so another is answered 429 with Retry-After, and reads still go through.
    let auth = format!("Bearer {admin}");
    let second = request(
        &server.base,
        "POST",
        "/api/v1/scans?asset=payments-api&format=gitleaks-json",
        &[("Authorization", &auth)],
        GITLEAKS,
    );
    assert_eq!(second.status, 429, "{}", second.body);
    assert!(
        second.header("retry-after").is_some(),
        "{:?}",
        second.headers
    );
    assert!(second.body.contains("too_many_requests"), "{}", second.body);
    assert_eq!(
        get(&server.base, "/api/v1/findings", Some(&admin)).status,
        200
    );
    // The slow upload completes and is stored.
    slow.write_all(&GITLEAKS[10..])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert_eq!(parse_answer(&answer).status, 200, "{answer}");
    drop(slow);

    // Connections: three idle sockets fill the cap; the fourth is answered 503 at once.
    std::thread::sleep(Duration::from_millis(200));
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut fourth = TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}"));
    fourth
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = String::new();
    let _ = fourth.read_to_string(&mut raw);
    let refused = parse_answer(&raw);
    assert_eq!(refused.status, 503, "{raw}");
    assert!(refused.header("retry-after").is_some(), "{raw}");
    drop(idle);
    std::thread::sleep(Duration::from_millis(300));
    let metrics = get(&server.base, "/metrics", None).body;
    assert_eq!(
        series(&metrics, "posture_uploads_refused_total"),
        Some(1.0),
        "{metrics}"
    );
    assert!(
        series(&metrics, "posture_connections_refused_total").is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    server.terminate(Duration::from_secs(30));
}

#[test]
fn idle_and_half_sent_requests_time_out_and_never_hold_up_shutdown() {
    let db = TestBackend::sqlite();
    let server = start(
        db.location(),
        &[],
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "1s",
            "--shutdown-timeout",
            "2s",
        ],
    );
    let host = host_of(&server.base).to_string();
    // A connection that sends nothing, and one that sends half a request head, are closed
    // after the header timeout.
    for opening in [&b""[..], &b"GET /healthz HTTP/1.1\r\nHost: x\r\n"[..]] {
        let mut s = TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}"));
        s.write_all(opening).unwrap_or_else(|e| panic!("{e}"));
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap_or_else(|e| panic!("{e}"));
        let started = Instant::now();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "closed after {:?}",
            started.elapsed()
        );
    }
    drop(server);

    // SIGTERM with a half-sent request (and a long header timeout): the server exits within
    // its shutdown deadline.
    let db = TestBackend::sqlite();
    let mut server = start(
        db.location(),
        &[
            ("POSTURE_SHUTDOWN_TIMEOUT", "2s"),
            ("POSTURE_HEADER_TIMEOUT", "5m"),
        ],
        &["--listen", "127.0.0.1:0"],
    );
    let host = host_of(&server.base).to_string();
    let mut half = TcpStream::connect(&host).unwrap_or_else(|e| panic!("{e}"));
    half.write_all(b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(300));
    let took = server.terminate(Duration::from_secs(30));
    assert!(took < Duration::from_secs(6), "SIGTERM took {took:?}");
    drop(half);
}

/// The local server's certificate (Debian's snakeoil, CN=localhost), when PostgreSQL is
/// reachable with TLS on and the file is here.
fn local_server_certificate() -> Option<&'static Path> {
    let path = Path::new("/etc/ssl/certs/ssl-cert-snakeoil.pem");
    path.is_file().then_some(path)
}

/// `posture findings` over `url`: (exit code, stdout, stderr).
fn findings_over(url: &str) -> (i32, String, String) {
    let out = clean(&mut Command::new(posture_bin()))
        .args(["--database", url, "findings", "--output", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn postgres_over_tls_with_sslmode_require_and_the_verifying_modes() {
    let Some(db) = TestBackend::postgres("serve_tls") else {
        eprintln!("NOTICE: PostgreSQL is not reachable; the TLS test is skipped");
        return;
    };
    let url = db.location().to_string();
    let with = |params: &str| {
        if url.contains('?') {
            format!("{url}&{params}")
        } else {
            format!("{url}?{params}")
        }
    };
    let mut admin =
        postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"));
    let ssl_on: String = admin
        .query_one("SHOW ssl", &[])
        .and_then(|r| r.try_get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    if ssl_on != "on" {
        eprintln!("NOTICE: the local PostgreSQL has ssl off; the TLS test is skipped");
        return;
    }
    let dbname: String = admin
        .query_one("SELECT current_database()", &[])
        .and_then(|r| r.try_get(0))
        .unwrap_or_else(|e| panic!("{e}"));

    // The server over sslmode=require: its connections are encrypted.
    let require = with("sslmode=require");
    let server = start(&require, &[], &["--listen", "127.0.0.1:0"]);
    let token = bootstrap_token(&server);
    assert_eq!(get(&server.base, "/readyz", None).status, 200);
    assert_eq!(
        get(&server.base, "/api/v1/findings", Some(&token)).status,
        200
    );
    let encrypted: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND a.application_name = 'posture' AND s.ssl",
            &[&dbname],
        )
        .and_then(|r| r.try_get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let plain: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND a.application_name = 'posture' AND NOT s.ssl",
            &[&dbname],
        )
        .and_then(|r| r.try_get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        encrypted >= 1 && plain == 0,
        "{encrypted} encrypted, {plain} plain"
    );

    // The pool replaces the connections PostgreSQL dropped: no request fails.
    let killed: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'posture') t",
            &[&dbname],
        )
        .and_then(|r| r.try_get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed >= 1);
    std::thread::sleep(Duration::from_millis(700));
    for _ in 0..5 {
        let answer = get(&server.base, "/api/v1/findings", Some(&token));
        assert_eq!(
            answer.status, 200,
            "after pg_terminate_backend: {}",
            answer.body
        );
    }
    assert_eq!(get(&server.base, "/readyz", None).status, 200);
    drop(server);

    let (code, _, err) = findings_over(&with("sslmode=verify-full"));
    assert_eq!(code, 2);
    assert!(err.contains("sslrootcert"), "{err}");
    let (code, _, err) =
        findings_over(&with("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"));
    assert_eq!(code, 2);
    assert!(
        err.contains("sslrootcert /nonexistent/ca.pem: cannot read the CA file"),
        "{err}"
    );
    let Some(cert) = local_server_certificate() else {
        eprintln!("NOTICE: no snakeoil certificate; verify-ca/verify-full are not tried");
        return;
    };
    let cert = cert.display().to_string();
    // verify-full checks the name: the certificate says localhost, not 127.0.0.1.
    let by_ip = with(&format!("sslmode=verify-full&sslrootcert={cert}"));
    let (code, _, err) = findings_over(&by_ip);
    if code == 0 {
        eprintln!("NOTICE: the local server's certificate is not the snakeoil one; skipped");
        return;
    }
    assert!(err.contains("not valid for name"), "{err}");
    // verify-ca checks only the chain.
    let (code, out, err) = findings_over(&with(&format!("sslmode=verify-ca&sslrootcert={cert}")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "[]");
    // verify-full by the certificate's name.
    let by_name = by_ip.replacen("127.0.0.1", "localhost", 1);
    let (code, _, err) = findings_over(&by_name);
    assert_eq!(code, 0, "{err}");
    // The public authorities do not vouch for a self-signed certificate.
    let (code, _, err) = findings_over(&by_name.replace(&cert, "system"));
    assert_eq!(code, 2);
    assert!(err.contains("UnknownIssuer"), "{err}");
}

#[test]
fn database_passwords_never_reach_the_output_or_the_log() {
    // A password with characters its writer did not percent-encode.
    let password = "s3cr/et?pw";
    // A server that cannot reach PostgreSQL (nothing listens on port 1) fails naming the
    // database without its password.
    let url = format!("postgres://posture:{password}@127.0.0.1:1/posture?sslmode=require");
    let (code, out, err) = findings_over(&url);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("postgres://posture:***@127.0.0.1:1/posture"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains("s3cr"), "{err}");
    let out = clean(&mut Command::new(posture_bin()))
        .args(["--database", &url, "serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!all.contains("s3cr"), "{all}");
    assert!(
        all.contains("cannot open the database postgres://posture:***@"),
        "{all}"
    );

    // A running server (the local PostgreSQL trusts the connection, so any password is
    // accepted) prints and logs its database without the password.
    let Some(db) = TestBackend::postgres("serve_redaction") else {
        eprintln!("NOTICE: PostgreSQL is not reachable; the running-server half is skipped");
        return;
    };
    let with_password = db.location().replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{password}@"),
        1,
    );
    assert_ne!(
        with_password,
        db.location(),
        "the test URL has the expected shape"
    );
    let mut server = start(&with_password, &[], &["--listen", "127.0.0.1:0"]);
    assert_eq!(get(&server.base, "/readyz", None).status, 200);
    assert!(
        server.banner.contains("postgres://postgres:***@"),
        "{}",
        server.banner
    );
    server.terminate(Duration::from_secs(30));
    let log = server.log();
    assert!(log.contains("postgres://postgres:***@"), "{log}");
    for text in [&server.banner, &log] {
        assert!(!text.contains("s3cr"), "{text}");
    }
}

/// A small file system of its own (tmpfs), unmounted on drop (then its mount point, a
/// temporary directory, goes).
struct SmallDisk(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl SmallDisk {
    /// `None` (with a notice) where mounting is not allowed (not root, no tmpfs).
    fn mount(kib: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().to_path_buf();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk(path, dir))
    }

    fn available_kib(&self) -> u64 {
        let out = Command::new("df")
            .args(["-k", "--output=avail"])
            .arg(&self.0)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_answers_507_and_writes_resume_when_space_returns() {
    let Some(disk) = SmallDisk::mount(4096) else {
        eprintln!(
            "NOTICE: cannot mount a small tmpfs here (not root?): the full-disk test is SKIPPED"
        );
        return;
    };
    let db = disk.0.join("posture.db");
    let db = db.to_str().unwrap_or_else(|| panic!("path"));
    let mut server = start(db, &[], &["--listen", "127.0.0.1:0"]);
    let admin = bootstrap_token(&server);
    let report: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            serde_json::json!({
                "RuleID": "generic-api-key", "Description": format!("Generic API Key {i}"),
                "StartLine": i, "EndLine": i, "StartColumn": 1, "EndColumn": 20,
                "Match": format!("key = {i:0>24}"), "Secret": format!("{i:0>24}"),
                "File": format!("app/f{i}.py"), "Commit": "abc", "Tags": []
            })
        })
        .collect();
    let report = serde_json::to_vec(&report).unwrap_or_else(|e| panic!("{e}"));
    // The token's first use notes its use (a write, at most once a minute): done now, so that
    // the full disk meets the upload's ingest, not the token check.
    let me = get(&server.base, "/api/v1/me", Some(&admin));
    assert_eq!(me.status, 200, "{}", me.body);
    // Fill the disk but a few KiB.
    let filler = disk.0.join("filler");
    // (The server's scheduled jobs may write meanwhile: a filler that meets a full disk has
    // filled it, which is the point.)
    let room = disk.available_kib().saturating_sub(4) as usize;
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap_or_else(|e| panic!("{e}"));
        let kib = vec![0u8; 1024];
        for _ in 0..room {
            if let Err(e) = f.write_all(&kib) {
                assert_eq!(
                    e.raw_os_error(),
                    Some(28),
                    "only a full disk stops the filler: {e}"
                );
                break;
            }
        }
    }
    let auth = format!("Bearer {admin}");
    let upload = || {
        request(
            &server.base,
            "POST",
            "/api/v1/scans?asset=payments-api&format=gitleaks-json",
            &[("Authorization", &auth)],
            &report,
        )
    };
    let full = upload();
    assert_eq!(full.status, 507, "{}", full.body);
    assert!(full.body.contains("insufficient_storage"), "{}", full.body);
    assert!(
        full.body.contains("the database's disk is full"),
        "{}",
        full.body
    );
    assert!(!full.body.contains("disk I/O"), "{}", full.body);
    // Space returns: the same upload is stored, without a restart.
    std::fs::remove_file(&filler).unwrap_or_else(|e| panic!("{e}"));
    let stored = upload();
    assert_eq!(stored.status, 200, "{}", stored.body);
    assert!(stored.body.contains("\"new\":300"), "{}", stored.body);
    let metrics = get(&server.base, "/metrics", None).body;
    assert_eq!(
        series(&metrics, r#"posture_uploads_total{outcome="disk_full"}"#),
        Some(1.0),
        "{metrics}"
    );
    server.terminate(Duration::from_secs(30));
    assert!(server.log().contains("the database's disk is full"));
}

#[test]
fn https_forwarded_by_a_trusted_proxy_marks_cookies_secure() {
    let db = TestBackend::sqlite();
    let server = start(
        db.location(),
        &[("POSTURE_TRUSTED_PROXIES", "127.0.0.1")],
        &["--listen", "127.0.0.1:0"],
    );
    let login = |proto: &str| {
        let answer = request(
            &server.base,
            "GET",
            "/login",
            &[("X-Forwarded-Proto", proto)],
            b"",
        );
        assert_eq!(answer.status, 200);
        answer.header("set-cookie").unwrap_or_default().to_string()
    };
    assert!(login("https").contains("; Secure"), "{}", login("https"));
    assert!(!login("http").contains("Secure"), "{}", login("http"));
    drop(server);
    // From a client that is not a trusted proxy, the header is not believed.
    let db = TestBackend::sqlite();
    let server = start(db.location(), &[], &["--listen", "127.0.0.1:0"]);
    let answer = request(
        &server.base,
        "GET",
        "/login",
        &[("X-Forwarded-Proto", "https")],
        b"",
    );
    assert!(
        !answer
            .header("set-cookie")
            .unwrap_or_default()
            .contains("Secure"),
        "{:?}",
        answer.headers
    );
}
