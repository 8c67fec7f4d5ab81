//! `posture approvals`: the four-eyes queue of a Posture server, from the command line. List
//! the decisions waiting for a role's approval, approve or reject one under the identity of
//! the token in `POSTURE_TOKEN` (never a flag). Approvals are given only through a server: a
//! local database has no identities to check.

use crate::output;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use posture_integrations::{HttpClient, HttpResponse, http::encode_component};
use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List approval requests the token may read (pending by default).
    List(ApprovalsListArgs),
    /// Approve a pending request (your user must hold its role and not have asked for it).
    Approve(ApprovalVerdictArgs),
    /// Reject a pending request: nothing changes on the finding.
    Reject(ApprovalVerdictArgs),
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The Posture server (`https://posture.acme.example`); the token is read from
    /// POSTURE_TOKEN.
    #[arg(long, env = "POSTURE_SERVER")]
    pub server: String,
    /// How long to wait for the server's answer, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ApprovalsListArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// pending (default), approved, rejected, withdrawn or all.
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long, value_enum)]
    pub output: Option<crate::cli::OutputFormat>,
}

#[derive(Debug, Args)]
pub struct ApprovalVerdictArgs {
    /// The request id (see `posture approvals list`).
    pub id: i64,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Why (kept with the request and in the audit log).
    #[arg(long)]
    pub note: Option<String>,
}

struct Server {
    base: String,
    token: String,
    client: HttpClient,
}

impl Server {
    fn new(a: &ServerArgs) -> anyhow::Result<Server> {
        let token = std::env::var("POSTURE_TOKEN")
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .context("set POSTURE_TOKEN to your Posture token")?;
        let base = a.server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            bail!("--server {base}: expected an http:// or https:// address");
        }
        Ok(Server {
            base,
            token,
            client: HttpClient::new(Duration::from_secs(a.timeout)),
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let target = format!("{}{}", self.base, path.split('?').next().unwrap_or(path));
        let mut headers = vec![("Authorization", format!("Bearer {}", self.token))];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_string()));
        }
        let r = self.client.send(
            method,
            &url,
            &target,
            &headers,
            body.map(|b| b.to_string().into_bytes()),
        )?;
        if !r.is_success() {
            return Err(server_error(&target, &r));
        }
        serde_json::from_str(&r.body).with_context(|| format!("{target}: the answer is not JSON"))
    }
}

fn server_error(target: &str, r: &HttpResponse) -> anyhow::Error {
    let message = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| r.body.chars().take(300).collect());
    anyhow::anyhow!("{target}: the server answered HTTP {}: {message}", r.status)
}

pub fn run(command: ApprovalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ApprovalsCommand::List(a) => {
            let server = Server::new(&a.server)?;
            let mut path = "/api/v1/approvals".to_string();
            if let Some(s) = a.status.as_deref().filter(|s| !s.trim().is_empty()) {
                path.push_str(&format!("?status={}", encode_component(s.trim())));
            }
            let list = server.call("GET", &path, None)?;
            match output::resolve(a.output) {
                crate::cli::OutputFormat::Json => output::json(&list)?,
                fmt => output::rows(
                    fmt,
                    &[
                        "ID",
                        "STATUS",
                        "FINDING",
                        "ASSET",
                        "SEVERITY",
                        "DECISION",
                        "UNTIL",
                        "ROLE",
                        "ASKED BY",
                        "YOU MAY DECIDE",
                    ],
                    list.as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(|v| {
                            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
                            vec![
                                v["id"].to_string(),
                                s("status"),
                                format!("#{} {}", v["finding_id"], s("finding_title")),
                                s("asset"),
                                s("severity"),
                                s("state"),
                                s("expires_at"),
                                s("role"),
                                s("requested_by"),
                                if v["you_may_decide"].as_bool() == Some(true) {
                                    "yes".into()
                                } else {
                                    "no".into()
                                },
                            ]
                        })
                        .collect(),
                )?,
            }
        }
        ApprovalsCommand::Approve(a) => verdict(a, "approve")?,
        ApprovalsCommand::Reject(a) => verdict(a, "reject")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn verdict(a: ApprovalVerdictArgs, which: &str) -> anyhow::Result<()> {
    let server = Server::new(&a.server)?;
    let body = serde_json::json!({ "note": a.note });
    let v = server.call(
        "POST",
        &format!("/api/v1/approvals/{}/{which}", a.id),
        Some(body),
    )?;
    println!(
        "request {} is {}: finding #{} {} ({}), {} asked by {}",
        v["id"],
        v["status"].as_str().unwrap_or("?"),
        v["finding_id"],
        v["finding_title"].as_str().unwrap_or(""),
        v["asset"].as_str().unwrap_or(""),
        v["state"].as_str().unwrap_or(""),
        v["requested_by"].as_str().unwrap_or("")
    );
    Ok(())
}
