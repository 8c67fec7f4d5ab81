//! `posture push`: a CI job's reports to a Posture server in one all-or-nothing upload
//! (`POST /api/v1/scans`, multipart with one `file` part per report, each preceded by its
//! `format` part when one was given), the server's summary printed; `--gate` then asks the
//! server for the gate's verdict and exits as `posture gate` does (0 pass, 1 blocks, 2 error),
//! and `--pr-comment` posts the verdict on the pull or merge request.
//!
//! The token comes from `POSTURE_TOKEN` (never a flag: flags end up in CI logs and process
//! lists) and travels only in the `Authorization` header; errors never print it.

use crate::commands::split_formats;
use anyhow::{Context, bail};
use clap::Args;
use posture_integrations::{HttpClient, HttpResponse};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The reports to upload (any supported format), all in one upload: the server stores
    /// all of them or none.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// The Posture server (`https://posture.acme.example`).
    #[arg(long, env = "POSTURE_SERVER")]
    pub server: String,
    /// The asset (application or service) the reports are of.
    #[arg(long)]
    pub asset: String,
    /// The branch that was scanned (default: the server's default branch of the asset, main).
    #[arg(long)]
    pub branch: Option<String>,
    /// The commit that was scanned.
    #[arg(long)]
    pub commit: Option<String>,
    /// What was scanned, when it is only part of the asset (see `posture ingest --target`).
    #[arg(long)]
    pub target: Option<String>,
    /// The reports' format instead of detecting it: `FORMAT` for every report, `FILE=FORMAT`
    /// for one of them (as `posture ingest --format`).
    #[arg(long, value_name = "[FILE=]FORMAT")]
    pub format: Vec<String>,
    /// Then ask the server for the gate's verdict on the branch and exit 0 pass, 1 blocks, 2
    /// error.
    #[arg(long)]
    pub gate: bool,
    /// With --gate: the baseline branch (default main).
    #[arg(long, requires = "gate")]
    pub baseline: Option<String>,
    /// With --gate: post the verdict on the pull or merge request (see `posture gate
    /// --pr-comment`); findings link to the server.
    #[arg(long, requires = "gate")]
    pub pr_comment: bool,
    /// With --gate: write the gate's SARIF 2.1.0 (for code scanning upload) to this file.
    #[arg(long, requires = "gate")]
    pub sarif: Option<PathBuf>,
    /// Refuse reports larger than this many bytes (before sending anything).
    #[arg(long, default_value_t = posture_app::DEFAULT_MAX_REPORT_BYTES)]
    pub max_report_size: u64,
    /// How long to wait for the server's answer, in seconds (for an upload the server takes
    /// as a job, 202, how long to wait for the job to end).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// A percent-encoded query value.
fn q(s: &str) -> String {
    posture_integrations::http::encode_component(s)
}

/// A multipart/form-data body: `(name, filename, bytes)` parts, with a boundary that occurs in
/// none of them.
fn multipart(parts: &[(&str, Option<String>, &[u8])]) -> (String, Vec<u8>) {
    let mut n: u64 = 0x5eed;
    let boundary = loop {
        let b = format!("posture-{n:016x}");
        if !parts
            .iter()
            .any(|(_, _, bytes)| bytes.windows(b.len()).any(|w| w == b.as_bytes()))
        {
            break b;
        }
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    };
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => {
                let f = f.replace(['"', '\r', '\n', '\\'], "_");
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn server_error(what: &str, r: &HttpResponse) -> anyhow::Error {
    let message = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| r.body.chars().take(300).collect());
    let hint = match r.status {
        401 => " (POSTURE_TOKEN is not a valid token for this server)",
        403 => " (the token may not do this for this asset: a ci token is bound to its assets)",
        _ => "",
    };
    anyhow::anyhow!(
        "{what}: the server answered HTTP {}: {message}{hint}",
        r.status
    )
}

pub fn push(a: PushArgs) -> anyhow::Result<ExitCode> {
    let token = std::env::var("POSTURE_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .context(
            "set POSTURE_TOKEN to a Posture token (`posture token create --role ci --asset A`)",
        )?;
    let base = a.server.trim().trim_end_matches('/').to_string();
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        bail!("--server {base}: expected an http:// or https:// address");
    }
    let review = if a.pr_comment {
        Some(posture_integrations::review::ReviewHost::from_env(
            &|k| std::env::var(k).ok(),
            &|p| std::fs::read_to_string(p).map_err(|e| e.to_string()),
        )?)
    } else {
        None
    };
    // Read and check every file before sending anything.
    let (batch_format, per_file) = split_formats(&a.format, &a.reports)?;
    let mut sources = Vec::with_capacity(a.reports.len());
    for (i, f) in a.reports.iter().enumerate() {
        let source = posture_app::read_report_file(f, a.max_report_size)?;
        sources.push((source, per_file.get(&i).cloned()));
    }
    let mut parts: Vec<(&str, Option<String>, &[u8])> = Vec::new();
    for (source, format) in &sources {
        if let Some(f) = format {
            parts.push(("format", None, f.as_bytes()));
        }
        parts.push(("file", Some(source.name.clone()), &source.bytes));
    }
    let (content_type, body) = multipart(&parts);
    let mut url = format!("{base}/api/v1/scans?asset={}", q(&a.asset));
    for (k, v) in [
        ("branch", &a.branch),
        ("commit", &a.commit),
        ("target", &a.target),
        ("format", &batch_format),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            url.push_str(&format!("&{k}={}", q(v)));
        }
    }
    let client = HttpClient::new(Duration::from_secs(a.timeout));
    let auth = ("Authorization", format!("Bearer {token}"));
    let target = format!("{base}/api/v1/scans");
    let r = client.send(
        "POST",
        &url,
        &target,
        &[auth.clone(), ("Content-Type", content_type)],
        Some(body),
    )?;
    if !r.is_success() {
        return Err(server_error(
            &format!("pushing {} report(s) for {}", sources.len(), a.asset),
            &r,
        ));
    }
    let r = if r.status == 202 {
        await_upload_job(&client, &base, &auth, &r, Duration::from_secs(a.timeout))?
    } else {
        r
    };
    if !r.is_success() {
        return Err(server_error(
            &format!("pushing {} report(s) for {}", sources.len(), a.asset),
            &r,
        ));
    }
    let summary: Value = serde_json::from_str(&r.body)
        .with_context(|| format!("{target}: the answer is not JSON"))?;
    print_summary(&summary);
    if !a.gate {
        return Ok(ExitCode::SUCCESS);
    }
    let mut url = format!("{base}/api/v1/gate?asset={}&format=json", q(&a.asset));
    for (k, v) in [("branch", &a.branch), ("baseline", &a.baseline)] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            url.push_str(&format!("&{k}={}", q(v)));
        }
    }
    let target = format!("{base}/api/v1/gate");
    let r = client.send(
        "POST",
        &url,
        &target,
        std::slice::from_ref(&auth),
        Some(Vec::new()),
    )?;
    if !r.is_success() {
        return Err(server_error(&format!("the gate for {}", a.asset), &r));
    }
    let answer: Value = serde_json::from_str(&r.body)
        .with_context(|| format!("{target}: the answer is not JSON"))?;
    let code = answer["exit_code"].as_u64().unwrap_or(2);
    let verdict = answer["verdict"].as_str().unwrap_or("error");
    let o = &answer["outcome"];
    println!(
        "posture gate {}: asset {} branch {} (baseline {}): {} evaluated, {} blocking, {} reported, {} excepted",
        verdict.to_ascii_uppercase(),
        o["asset"].as_str().unwrap_or(&a.asset),
        o["branch"].as_str().unwrap_or_default(),
        o["baseline"].as_str().unwrap_or_default(),
        o["evaluated"],
        o["blocked"],
        o["warnings"],
        o["excepted"],
    );
    if let Some(path) = &a.sarif {
        let url = url.replace("format=json", "format=sarif");
        let r = client.send(
            "POST",
            &url,
            &target,
            std::slice::from_ref(&auth),
            Some(Vec::new()),
        )?;
        if !r.is_success() {
            return Err(server_error(
                &format!("the gate's SARIF for {}", a.asset),
                &r,
            ));
        }
        std::fs::write(path, r.body.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let mut comment_failed = false;
    if let Some(host) = &review {
        // The same verdict as Markdown, findings linked to the server.
        let url = format!("{url}&base_url={}", q(&base)).replace("format=json", "format=markdown");
        let r = client.send("POST", &url, &target, &[auth], Some(Vec::new()))?;
        if !r.is_success() {
            return Err(server_error(
                &format!("the gate's Markdown for {}", a.asset),
                &r,
            ));
        }
        let client = HttpClient::new(Duration::from_secs(30));
        match posture_integrations::review::upsert_comment(&client, host, &a.asset, &r.body) {
            Ok(action) => eprintln!("posture push: {action:?} on {host:?}"),
            Err(e) => {
                eprintln!("error: the pull-request comment could not be posted: {e}");
                comment_failed = true;
            }
        }
    }
    Ok(match code {
        _ if comment_failed => ExitCode::from(2),
        0 => ExitCode::SUCCESS,
        1 => ExitCode::from(1),
        _ => ExitCode::from(2),
    })
}

/// An upload the server took as a job (202, above its `--async-upload-above`): polls the
/// job's address until it ends, and answers what the upload would have answered (its status
/// and body), or gives up after `within`.
fn await_upload_job(
    client: &HttpClient,
    base: &str,
    auth: &(&str, String),
    accepted: &HttpResponse,
    within: Duration,
) -> anyhow::Result<HttpResponse> {
    let job: Value =
        serde_json::from_str(&accepted.body).context("the server's 202 answer is not JSON")?;
    let id = job["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .context("the server's 202 answer names no upload job")?
        .to_string();
    let url = format!("{base}/api/v1/uploads/{id}");
    let target = format!("{base}/api/v1/uploads");
    eprintln!("posture push: the server took the upload as job {id}; waiting for it to end");
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let r = client.send("GET", &url, &target, std::slice::from_ref(auth), None)?;
        if !r.is_success() {
            return Err(server_error(&format!("upload job {id}"), &r));
        }
        let job: Value = serde_json::from_str(&r.body)
            .with_context(|| format!("{target}: the answer is not JSON"))?;
        match job["state"].as_str() {
            Some("done" | "failed") => {
                let status = job["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .context("a finished upload job without a status")?;
                return Ok(HttpResponse {
                    status,
                    retry_after: None,
                    pagination: Vec::new(),
                    body: job["result"].to_string(),
                });
            }
            Some("queued" | "running") => {}
            other => bail!("upload job {id}: unknown state {other:?}"),
        }
        if started.elapsed() >= within {
            bail!(
                "upload job {id} did not end within {} s (--timeout); it goes on in the server: GET {url}",
                within.as_secs()
            );
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

fn print_summary(s: &Value) {
    let total = &s["total"];
    println!(
        "pushed to {}: {} report(s); {} new, {} linked, {} unchanged, {} fixed, {} reopened",
        s["asset"].as_str().unwrap_or_default(),
        s["reports"].as_array().map(Vec::len).unwrap_or(0),
        total["new"],
        total["linked"],
        total["unchanged"],
        total["fixed"],
        total["reopened"],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_have_a_boundary_no_part_contains() {
        let evil = b"--posture-0000000000005eed\r\n";
        let (ct, body) = multipart(&[
            ("format", None, b"semgrep-json"),
            ("file", Some("a\"b.json".into()), evil),
        ]);
        let boundary = ct.split("boundary=").nth(1).unwrap();
        assert_ne!(boundary, "posture-0000000000005eed");
        let text = String::from_utf8_lossy(&body);
        assert_eq!(text.matches(&format!("--{boundary}\r\n")).count(), 2);
        assert!(text.contains("filename=\"a_b.json\""));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
