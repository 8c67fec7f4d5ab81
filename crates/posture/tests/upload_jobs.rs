//! Issue 19, "Large uploads as jobs", with the real `posture serve` binary on both back ends:
//! an upload above `--async-upload-above` is answered 202 with the job's address; the job's
//! answer, once done, is the synchronous upload's (the same summary), or its error naming the
//! report and the place; it is audited like an upload and counted in /metrics; `posture push`
//! waits for it; and a server killed mid-job leaves the job reported failed (interrupted) by
//! the next server, never running for ever, with nothing stored.

use posture_store::on_both_backends;
use posture_store::testing::{TEST_SECRET_KEY, TestBackend};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed and reaped on drop.
struct Server {
    child: Child,
    base: String,
    banner: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no graceful shutdown, no last write.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
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

fn start(db: &str, env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("server.log");
    let log_file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(posture_bin());
    clean(&mut command)
        .env("POSTURE_DATABASE", db)
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0"])
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
        .find(|w| w.starts_with("http://"))
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

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

fn request(base: &str, method: &str, path: &str, token: &str, body: &[u8]) -> Answer {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("{host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    s.write_all(body).unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
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

/// A gitleaks report of `n` distinct secrets.
fn gitleaks(n: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let secret = format!("{:032x}", i as u128 * 7_919 + 12_345);
            serde_json::json!({
                "RuleID": "generic-api-key", "Description": "Generic API Key",
                "StartLine": 3 + i % 50, "EndLine": 3 + i % 50, "StartColumn": 1, "EndColumn": 40,
                "Match": format!("key = {secret}"), "Secret": secret,
                "File": format!("app/config{}.py", i / 50), "Commit": "abc", "Tags": []
            })
        })
        .collect();
    serde_json::to_vec(&items).unwrap_or_else(|e| panic!("{e}"))
}

/// Polls a job until it ends (at most a minute).
fn await_job(base: &str, token: &str, location: &str) -> Value {
    let started = Instant::now();
    loop {
        let a = request(base, "GET", location, token, b"");
        assert_eq!(a.status, 200, "{}", a.body);
        let job = a.json();
        match job["state"].as_str() {
            Some("done" | "failed") => {
                assert!(a.header("retry-after").is_none());
                return job;
            }
            Some("queued" | "running") => {
                assert_eq!(a.header("retry-after"), Some("2"), "{:?}", a.headers);
            }
            other => panic!("state {other:?}: {job}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job did not end: {job}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn series(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The summary without what differs between two runs (scan ids, the time each step took).
fn comparable(mut summary: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("scan_ids");
                m.remove("timings");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut summary);
    summary
}

const UPLOAD: &str = "/api/v1/scans?asset=payments-api&format=gitleaks-json&name=leaks.json";

fn large_uploads_are_taken_as_jobs_with_the_synchronous_answer(b: &TestBackend) {
    let report = gitleaks(12);
    assert!(report.len() > 2000, "{}", report.len());
    let server = start(b.location(), &[("POSTURE_ASYNC_UPLOAD_ABOVE", "2000")]);
    let admin = bootstrap_token(&server);

    // Above the size: 202 at once, the job's address in Location and in the answer.
    let accepted = request(&server.base, "POST", UPLOAD, &admin, &report);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let job = accepted.json();
    let id = job["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{job}"))
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    let location = format!("/api/v1/uploads/{id}");
    assert_eq!(accepted.header("location"), Some(location.as_str()));
    assert_eq!(job["status_url"], location.as_str());
    assert!(
        ["queued", "running", "done"].contains(&job["state"].as_str().unwrap_or("")),
        "{job}"
    );
    assert_eq!(job["asset"], "payments-api");
    assert_eq!(job["reports"], serde_json::json!(["leaks.json"]));
    assert_eq!(job["bytes"], report.len());

    let done = await_job(&server.base, &admin, &location);
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["status"], 200, "{done}");
    let result = done["result"].clone();
    assert_eq!(result["asset"], "payments-api", "{result}");
    assert_eq!(result["total"]["new"], 12, "{result}");
    assert!(done["started_at"].is_string() && done["finished_at"].is_string());
    let findings = request(
        &server.base,
        "GET",
        "/api/v1/findings?asset=payments-api&limit=100",
        &admin,
        b"",
    )
    .json();
    assert_eq!(
        findings["findings"].as_array().map(Vec::len),
        Some(12),
        "{findings}"
    );

    // The same report uploaded synchronously to a fresh store answers the same summary.
    let fresh = TestBackend::sqlite();
    let sync_server = start(fresh.location(), &[]);
    let sync_admin = bootstrap_token(&sync_server);
    let sync = request(&sync_server.base, "POST", UPLOAD, &sync_admin, &report);
    assert_eq!(sync.status, 200, "{}", sync.body);
    assert_eq!(comparable(result.clone()), comparable(sync.json()));
    drop(sync_server);

    // A small upload is still answered when stored.
    let small = gitleaks(1);
    assert!(small.len() < 2000);
    let direct = request(
        &server.base,
        "POST",
        "/api/v1/scans?asset=orders-api&format=gitleaks-json",
        &admin,
        &small,
    );
    assert_eq!(direct.status, 200, "{}", direct.body);
    assert_eq!(direct.json()["total"]["new"], 1);

    // A broken report above the size: 202, then failed with the synchronous error (422,
    // naming the report and the place); nothing stored.
    let mut broken = report.clone();
    broken.truncate(report.len() - 40);
    let accepted = request(
        &server.base,
        "POST",
        "/api/v1/scans?asset=billing-api&format=gitleaks-json&name=broken.json",
        &admin,
        &broken,
    );
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let location = accepted
        .header("location")
        .unwrap_or_else(|| panic!("{:?}", accepted.headers))
        .to_string();
    let failed = await_job(&server.base, &admin, &location);
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["status"], 422, "{failed}");
    let error = &failed["result"]["error"];
    assert_eq!(error["status"], 422, "{failed}");
    assert_eq!(error["kind"], "unprocessable", "{failed}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("broken.json"), "{message}");
    assert!(message.contains("line 1"), "the place: {message}");
    let billing = request(
        &server.base,
        "GET",
        "/api/v1/findings?asset=billing-api",
        &admin,
        b"",
    );
    assert_eq!(billing.status, 400, "{}", billing.body);
    assert!(billing.body.contains("it has no scans"), "{}", billing.body);

    // Audited like an upload, with the job's id.
    let audit = request(&server.base, "GET", "/api/v1/audit?limit=50", &admin, b"").json();
    let entries = audit.as_array().cloned().unwrap_or_default();
    let upload = entries
        .iter()
        .find(|e| e["action"] == "scan.upload" && e["detail"]["job"] == id.as_str())
        .unwrap_or_else(|| panic!("no scan.upload with job {id}: {audit}"));
    assert_eq!(upload["target"], "asset payments-api");
    assert_eq!(upload["detail"]["new"], 12);
    assert_eq!(upload["detail"]["bytes"], report.len());

    // Counted in /metrics.
    let metrics = request(&server.base, "GET", "/metrics", &admin, b"").body;
    assert_eq!(
        series(&metrics, "posture_upload_jobs_total{outcome=\"done\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        series(&metrics, "posture_upload_jobs_total{outcome=\"failed\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(series(&metrics, "posture_upload_jobs_active"), Some(0.0));

    // No such job, or a malformed id: 404 in the API's error shape.
    for path in [
        "/api/v1/uploads/0123456789abcdef0123456789abcdef",
        "/api/v1/uploads/..%2F..",
    ] {
        let a = request(&server.base, "GET", path, &admin, b"");
        assert_eq!(a.status, 404, "{path}: {}", a.body);
        assert_eq!(a.json()["error"]["kind"], "not_found", "{}", a.body);
    }

    // The OpenAPI document describes the 202 and the job's answer (every key of it).
    let doc = request(&server.base, "GET", "/api/v1/openapi.json", &admin, b"").json();
    let upload = &doc["paths"]["/api/v1/scans"]["post"]["responses"]["202"];
    assert!(upload["headers"]["Location"].is_object(), "{upload}");
    assert_eq!(
        upload["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/UploadJobView"
    );
    let get = &doc["paths"]["/api/v1/uploads/{id}"]["get"];
    assert!(get["responses"]["200"].is_object() && get["responses"]["404"].is_object());
    let schema = &doc["components"]["schemas"]["UploadJobView"];
    let keys: Vec<String> = done
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for key in keys {
        assert!(
            schema["properties"].get(&key).is_some(),
            "{key} undocumented: {schema}"
        );
    }
    for key in schema["required"].as_array().cloned().unwrap_or_default() {
        let key = key.as_str().unwrap_or_default();
        assert!(done.get(key).is_some(), "{key} required, absent: {done}");
    }

    // `posture push` waits for the job and prints the summary, as for a synchronous upload.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("more-leaks.json");
    std::fs::write(&file, gitleaks(15)).unwrap_or_else(|e| panic!("{e}"));
    let mut push = Command::new(posture_bin());
    let out = clean(&mut push)
        .env("POSTURE_TOKEN", &admin)
        .args(["push", "--server", &server.base, "--asset", "ledger-api"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}\n{}", server.log());
    assert!(stderr.contains("took the upload as job"), "{stderr}");
    assert!(
        stdout.contains("pushed to ledger-api: 1 report(s); 15 new"),
        "{stdout}"
    );
}

fn a_job_whose_server_was_killed_is_reported_interrupted_by_the_next(b: &TestBackend) {
    // Large enough that its ingest takes a while after the 202.
    let report = gitleaks(40_000);
    let mut server = start(
        b.location(),
        &[
            ("POSTURE_ASYNC_UPLOAD_ABOVE", "1000"),
            ("POSTURE_MAX_CONCURRENT_UPLOADS", "1"),
        ],
    );
    let admin = bootstrap_token(&server);
    let accepted = request(&server.base, "POST", UPLOAD, &admin, &report);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    // The job holds the only upload slot while it runs: another upload is told to retry.
    let second = request(
        &server.base,
        "POST",
        "/api/v1/scans?asset=orders-api&format=gitleaks-json",
        &admin,
        &gitleaks(1),
    );
    assert_eq!(second.status, 429, "{}", second.body);
    let metrics = request(&server.base, "GET", "/metrics", &admin, b"").body;
    assert_eq!(
        series(&metrics, "posture_upload_jobs_active"),
        Some(1.0),
        "{metrics}"
    );
    server.kill();
    let location = accepted
        .header("location")
        .unwrap_or_else(|| panic!("{:?}", accepted.headers))
        .to_string();

    let next = start(b.location(), &[("POSTURE_ASYNC_UPLOAD_ABOVE", "1000")]);
    let job = request(&next.base, "GET", &location, &admin, b"");
    assert_eq!(job.status, 200, "{}", job.body);
    let job = job.json();
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["status"], 500, "{job}");
    assert_eq!(job["result"]["error"]["kind"], "interrupted", "{job}");
    assert!(
        job["result"]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("upload the report again"),
        "{job}"
    );
    // Read again: still failed, finished at the same time (recorded, not recomputed).
    let again = request(&next.base, "GET", &location, &admin, b"").json();
    assert_eq!(again["finished_at"], job["finished_at"]);
    // Nothing of it was stored: the asset has no scan.
    let findings = request(
        &next.base,
        "GET",
        "/api/v1/findings?asset=payments-api",
        &admin,
        b"",
    );
    assert_eq!(findings.status, 400, "{}", findings.body);
    assert!(
        findings.body.contains("it has no scans"),
        "{}",
        findings.body
    );
    let scans = request(&next.base, "GET", "/api/v1/scans", &admin, b"").json();
    assert_eq!(scans.as_array().map(Vec::len), Some(0), "{scans}");
}

on_both_backends!(
    large_uploads_are_taken_as_jobs_with_the_synchronous_answer,
    a_job_whose_server_was_killed_is_reported_interrupted_by_the_next,
);
