//! Load benchmark of `posture serve`: many CI pipelines uploading while many readers page
//! through findings, against the real server binary and a real database (a SQLite file, or a
//! PostgreSQL database given with `--database postgres://...`). Prints throughput and latency
//! percentiles; it asserts nothing (machines are noisy: compare figures within one run).
//!
//! Phases:
//! 1. `preload` (with `--preload N`): N findings ingested through `posture ingest` from the
//!    shared workload (`../shared/bench/gen_reports.py`, 100,000-finding Trivy and SARIF
//!    reports over N/100,000 services), then the first risk-sorted list, which assesses and
//!    stores the risk of every finding.
//! 2. `quiet`: one client at a time: the first page of findings sorted by risk, a page deep
//!    in the list (keyset cursor), the dashboard overview and the findings page.
//! 3. `load`: `--uploaders` threads each uploading its own pipeline's reports (Trivy, 2,000
//!    findings, alternating between a full report and one with 10% fixed, so every upload
//!    changes state) for `--seconds`, while `--readers` threads page through findings sorted
//!    by risk (50 a page, 10 pages, then again).
//!
//! A failed call counts as an error; the first few distinct answers (status and body) of
//! each kind are printed after the figures, so a failure under load can be told apart.
//!
//! Usage: `cargo run --release -p posture-bench --bin posture-loadbench -- [--database DB]
//! [--preload 1000000] [--uploaders 16] [--readers 32] [--seconds 20] [--samples 200]
//! [--page-samples 20] [--out DIR]`.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    database: Option<String>,
    preload: usize,
    uploaders: usize,
    readers: usize,
    seconds: u64,
    samples: usize,
    /// Calls of each dashboard page in the quiet phase (they cost more at large sizes).
    page_samples: usize,
    out: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        database: None,
        preload: 0,
        uploaders: 16,
        readers: 32,
        seconds: 20,
        samples: 200,
        page_samples: 20,
        out: std::env::temp_dir().join("posture-loadbench"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    let value = |i: usize| {
        args.get(i + 1)
            .cloned()
            .ok_or(format!("{} needs a value", args[i]))
    };
    let number = |i: usize| -> Result<usize, String> {
        value(i)?
            .replace('_', "")
            .parse()
            .map_err(|_| format!("{} needs a number", args[i]))
    };
    while i < args.len() {
        match args[i].as_str() {
            "--database" => o.database = Some(value(i)?),
            "--preload" => o.preload = number(i)?,
            "--uploaders" => o.uploaders = number(i)?,
            "--readers" => o.readers = number(i)?,
            "--seconds" => o.seconds = number(i)? as u64,
            "--samples" => o.samples = number(i)?.max(1),
            "--page-samples" => o.page_samples = number(i)?,
            "--out" => o.out = PathBuf::from(value(i)?),
            other => return Err(format!("unknown option {other}")),
        }
        i += 2;
    }
    Ok(o)
}

fn posture_binary() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = me.with_file_name(format!("posture{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{} not found: build it first (cargo build --release -p posture)",
            bin.display()
        ))
    }
}

fn workload_script() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen_reports.py");
    if root.exists() {
        Ok(root)
    } else {
        Err(format!("the shared workload {} is absent", root.display()))
    }
}

fn generate(script: &Path, args: &[&str], out: &Path) -> Result<(), String> {
    if out.exists() && std::fs::metadata(out).map(|m| m.len() > 0).unwrap_or(false) {
        return Ok(());
    }
    let status = Command::new("python3")
        .arg(script)
        .args(args)
        .arg(out)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("gen_reports.py {args:?} failed"))
    }
}

fn run_posture(bin: &Path, db: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("--database")
        .arg(db)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "posture {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn start_server(bin: &Path, db: &str, token: &str) -> Result<Server, String> {
    let port = free_port()?;
    let child = Command::new(bin)
        .args(["--database", db, "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let a = agent();
    for _ in 0..600 {
        if let Ok(r) = a
            .get(format!("{}/api/v1/me", server.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            && r.status() == 200
        {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the server did not answer within 60 s".into())
}

/// Milliseconds of each call of one kind, to report percentiles.
#[derive(Default)]
struct Samples {
    ms: Vec<f64>,
    errors: u64,
    /// The first few distinct errors (status and body), printed after the figures.
    error_texts: Vec<String>,
}

/// How many distinct errors of one kind are kept to print.
const ERRORS_KEPT: usize = 5;

impl Samples {
    fn error(&mut self, status: u16, body: &[u8]) {
        self.errors += 1;
        let mut text = String::from_utf8_lossy(body).into_owned();
        text.truncate(300);
        let text = format!("HTTP {status}: {text}");
        if self.error_texts.len() < ERRORS_KEPT && !self.error_texts.contains(&text) {
            self.error_texts.push(text);
        }
    }

    fn print_errors(&self, name: &str) {
        for e in &self.error_texts {
            println!("  {name} error: {e}");
        }
    }

    fn percentile(sorted: &[f64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    fn line(&self, name: &str, seconds: f64) -> String {
        let mut s = self.ms.clone();
        s.sort_by(f64::total_cmp);
        format!(
            "{name:<34} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7}",
            s.len(),
            s.len() as f64 / seconds,
            Self::percentile(&s, 50.0),
            Self::percentile(&s, 99.0),
            s.last().copied().unwrap_or(f64::NAN),
            self.errors
        )
    }
}

fn header() -> String {
    format!(
        "{:<34} {:>7} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "operation", "calls", "per s", "p50 ms", "p99 ms", "max ms", "errors"
    )
}

fn timed_get(a: &ureq::Agent, url: &str, auth: &(&str, String)) -> (f64, u16, Vec<u8>) {
    let t = Instant::now();
    match a.get(url).header(auth.0, &auth.1).call() {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let mut body = Vec::new();
            let _ = r.body_mut().as_reader().read_to_end(&mut body);
            (t.elapsed().as_secs_f64() * 1e3, status, body)
        }
        Err(e) => (
            t.elapsed().as_secs_f64() * 1e3,
            0,
            e.to_string().into_bytes(),
        ),
    }
}

fn next_cursor(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("next_cursor")?.as_str().map(str::to_string)
}

/// Signs in to the dashboard with the token: the session cookie.
fn sign_in(a: &ureq::Agent, base: &str, token: &str) -> Result<String, String> {
    let r = a
        .get(format!("{base}/login"))
        .call()
        .map_err(|e| e.to_string())?;
    let csrf = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("posture_login_csrf="))
        .and_then(|c| c.split(';').next())
        .ok_or("no sign-in CSRF cookie")?
        .to_string();
    let r = a
        .post(format!("{base}/login"))
        .header("Cookie", format!("posture_login_csrf={csrf}"))
        .send_form([("token", token), ("csrf", csrf.as_str())])
        .map_err(|e| e.to_string())?;
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("posture_session="))
        .and_then(|c| c.split(';').next())
        .map(|s| format!("posture_session={s}"))
        .ok_or_else(|| format!("sign-in refused ({})", r.status()))
}

fn main() -> Result<(), String> {
    let o = parse_options()?;
    let bin = posture_binary()?;
    let script = workload_script()?;
    std::fs::create_dir_all(&o.out).map_err(|e| e.to_string())?;
    let db = match &o.database {
        Some(d) => d.clone(),
        None => {
            let p = o.out.join(format!("loadbench-{}.db", std::process::id()));
            p.display().to_string()
        }
    };
    println!("posture-loadbench: database {db}");

    // 1. preload
    if o.preload > 0 {
        let reports = o.preload.div_ceil(100_000);
        let t = Instant::now();
        for k in 0..reports {
            let n = (o.preload - k * 100_000).min(100_000).to_string();
            let seed = (k / 2 + 1).to_string();
            let (fmt, ext) = if k.is_multiple_of(2) {
                ("trivy", "json")
            } else {
                ("sarif", "sarif")
            };
            let file = o.out.join(format!("preload-{fmt}-{n}-{seed}.{ext}"));
            generate(&script, &[fmt, &n, "--seed", &seed], &file)?;
            let file = file.display().to_string();
            let asset = format!("service-{k:02}");
            run_posture(
                &bin,
                &db,
                &["ingest", "--asset", &asset, &file, "--output", "json"],
            )?;
            // the reports are large: keep the disk for the database
            let _ = std::fs::remove_file(&file);
        }
        println!(
            "preload: {} findings over {reports} services ingested in {:.1} s",
            o.preload,
            t.elapsed().as_secs_f64()
        );
    }

    let token = run_posture(
        &bin,
        &db,
        &["token", "create", "--role", "admin", "--name", "loadbench"],
    )?
    .trim()
    .to_string();
    let server = start_server(&bin, &db, &token)?;
    let base = server.base.clone();
    let a = agent();
    let auth = ("Authorization", format!("Bearer {token}"));

    let first = format!("{base}/api/v1/findings?sort=risk&limit=50");
    let (ms, status, body) = timed_get(&a, &first, &auth);
    println!(
        "first risk-sorted list (assesses and stores every finding's risk): {ms:.0} ms, HTTP {status}"
    );
    // a cursor ten pages deep
    let mut deep = next_cursor(&body);
    for _ in 0..9 {
        let Some(c) = &deep else { break };
        let (_, _, b) = timed_get(&a, &format!("{first}&cursor={c}"), &auth);
        deep = next_cursor(&b);
    }

    // 2. quiet latency
    let cookie = sign_in(&a, &base, &token)?;
    let page_auth = ("Cookie", cookie);
    let quiet: Vec<(&str, String, &(&str, String))> = vec![
        ("GET /api/v1/findings sort=risk p1", first.clone(), &auth),
        (
            "GET /api/v1/findings sort=risk p11",
            match &deep {
                Some(c) => format!("{first}&cursor={c}"),
                None => first.clone(),
            },
            &auth,
        ),
        ("GET / (dashboard)", format!("{base}/"), &page_auth),
        (
            "GET /findings?sort=risk (page)",
            format!("{base}/findings?sort=risk"),
            &page_auth,
        ),
    ];
    println!(
        "\nquiet: one client, {} calls of each API list, {} of each page",
        o.samples, o.page_samples
    );
    println!("{}", header());
    for (k, (name, url, auth)) in quiet.iter().enumerate() {
        let calls = if k < 2 { o.samples } else { o.page_samples };
        if calls == 0 {
            continue;
        }
        let mut s = Samples::default();
        let t = Instant::now();
        for _ in 0..calls {
            let (ms, status, body) = timed_get(&a, url, auth);
            if status == 200 {
                s.ms.push(ms);
            } else {
                s.error(status, &body);
            }
        }
        println!("{}", s.line(name, t.elapsed().as_secs_f64()));
        s.print_errors(name);
    }

    // 3. load
    let mut uploads: Vec<(PathBuf, PathBuf)> = Vec::new();
    for i in 0..o.uploaders {
        let seed = (100 + i).to_string();
        let full = o.out.join(format!("pipeline-{i}.json"));
        let fixed = o.out.join(format!("pipeline-{i}-fixed.json"));
        generate(&script, &["trivy", "2000", "--seed", &seed], &full)?;
        generate(
            &script,
            &["trivy", "2000", "--seed", &seed, "--drop", "10"],
            &fixed,
        )?;
        uploads.push((full, fixed));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let upload_samples = Arc::new(Mutex::new(Samples::default()));
    let read_samples = Arc::new(Mutex::new(Samples::default()));
    let findings_uploaded = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    let t0 = Instant::now();
    for (i, (full, fixed)) in uploads.into_iter().enumerate() {
        let bodies = [
            std::fs::read(&full).map_err(|e| e.to_string())?,
            std::fs::read(&fixed).map_err(|e| e.to_string())?,
        ];
        let (stop, samples, count) = (
            stop.clone(),
            upload_samples.clone(),
            findings_uploaded.clone(),
        );
        let (base, token) = (base.clone(), token.clone());
        threads.push(std::thread::spawn(move || {
            let a = agent();
            // four services, each built by four pipelines (per-target scopes)
            let url = format!(
                "{base}/api/v1/scans?asset=load-{}&target=pipeline-{i}",
                i % 4
            );
            let mut k = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = &bodies[k % 2];
                let t = Instant::now();
                let r = a
                    .post(&url)
                    .header("Authorization", format!("Bearer {token}"))
                    .send(&body[..]);
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let failed = match r {
                    Ok(r) if r.status() == 200 || r.status() == 201 => None,
                    Ok(mut r) => {
                        let mut body = Vec::new();
                        let _ = r.body_mut().as_reader().read_to_end(&mut body);
                        Some((r.status().as_u16(), body))
                    }
                    Err(e) => Some((0, e.to_string().into_bytes())),
                };
                let mut s = samples.lock().unwrap_or_else(|e| e.into_inner());
                match failed {
                    None => {
                        s.ms.push(ms);
                        count.fetch_add(
                            if k.is_multiple_of(2) { 2000 } else { 1800 },
                            Ordering::Relaxed,
                        );
                    }
                    Some((status, body)) => s.error(status, &body),
                }
                k += 1;
            }
        }));
    }
    for _ in 0..o.readers {
        let (stop, samples) = (stop.clone(), read_samples.clone());
        let (first, auth) = (first.clone(), auth.1.clone());
        threads.push(std::thread::spawn(move || {
            let a = agent();
            let auth = ("Authorization", auth);
            while !stop.load(Ordering::Relaxed) {
                let mut cursor: Option<String> = None;
                for _ in 0..10 {
                    let url = match &cursor {
                        Some(c) => format!("{first}&cursor={c}"),
                        None => first.clone(),
                    };
                    let (ms, status, body) = timed_get(&a, &url, &auth);
                    let mut s = samples.lock().unwrap_or_else(|e| e.into_inner());
                    if status == 200 {
                        s.ms.push(ms);
                    } else {
                        s.error(status, &body);
                    }
                    drop(s);
                    cursor = next_cursor(&body);
                    if cursor.is_none() || stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(o.seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "\nload: {} uploaders, {} readers, {secs:.1} s",
        o.uploaders, o.readers
    );
    println!("{}", header());
    let up = upload_samples.lock().unwrap_or_else(|e| e.into_inner());
    println!("{}", up.line("POST /api/v1/scans (2,000 findings)", secs));
    let rd = read_samples.lock().unwrap_or_else(|e| e.into_inner());
    println!("{}", rd.line("GET /api/v1/findings sort=risk", secs));
    up.print_errors("upload");
    rd.print_errors("read");
    println!(
        "ingest throughput under load: {:.0} findings/s",
        findings_uploaded.load(Ordering::Relaxed) as f64 / secs
    );
    drop(server);
    Ok(())
}
