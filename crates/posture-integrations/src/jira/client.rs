//! The Jira REST client: Cloud (API v3, ADF) and Server/Data Center (API v2), the few
//! endpoints the sync needs, with retries: a 429 waits its `Retry-After` (up to the configured
//! maximum), a 5xx or a transport error backs off exponentially, a 401 stops with a clear
//! error. The token is only ever in the `Authorization` header; it is not kept in any field
//! that `Debug` prints.

use crate::IntegrationError;
use crate::http::{HttpClient, HttpResponse};
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Duration;

/// The status of an issue as the sync reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    pub key: String,
    pub summary: String,
    pub priority: Option<String>,
    pub labels: Vec<String>,
    pub duedate: Option<String>,
    pub status: String,
    /// `new`, `indeterminate` or `done`.
    pub status_category: String,
    pub resolution: Option<String>,
}

/// A workflow transition available on an issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: String,
    pub name: String,
    /// Status category key of the target status.
    pub to_category: String,
}

/// Counts of the calls made (the sync prints them; tests compare them with the fake's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallCounts {
    pub reads: usize,
    pub writes: usize,
    pub retries: usize,
}

pub struct JiraClient {
    http: HttpClient,
    base: String,
    version: u8,
    auth: Secret,
    max_retry_after: u64,
    attempts: u32,
    backoff: Duration,
    pub counts: std::cell::Cell<CallCounts>,
}

/// A credential header value that never shows in `Debug` output.
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl JiraClient {
    /// `user` = basic authentication (Cloud: email + API token); none = bearer token
    /// (Server/Data Center personal access token).
    pub fn new(
        http: HttpClient,
        base_url: &str,
        version: u8,
        user: Option<&str>,
        token: &str,
        max_retry_after: u64,
    ) -> Self {
        let auth = match user {
            Some(u) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{token}"))
            ),
            None => format!("Bearer {token}"),
        };
        JiraClient {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            version,
            auth: Secret(auth),
            max_retry_after,
            attempts: 5,
            backoff: Duration::from_millis(500),
            counts: Default::default(),
        }
    }

    /// Shorter waits between 5xx retries (tests).
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    fn api(&self, path: &str) -> String {
        format!("/rest/api/{}/{path}", self.version)
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, IntegrationError> {
        let url = format!("{}{path}", self.base);
        let target = format!("{}{}", self.base, path.split('?').next().unwrap_or(path));
        let write = method != "GET" && !path.ends_with("/search") && !path.ends_with("/search/jql");
        let mut headers = vec![
            ("Authorization", self.auth.0.clone()),
            ("Accept", "application/json".to_string()),
        ];
        if body.is_some() {
            headers.push(("Content-Type", "application/json".to_string()));
        }
        let bytes = body.map(|b| b.to_string().into_bytes());
        let mut wait = self.backoff;
        let mut last: Option<IntegrationError> = None;
        for attempt in 0..self.attempts {
            if attempt > 0 {
                let mut c = self.counts.get();
                c.retries += 1;
                self.counts.set(c);
            }
            let mut c = self.counts.get();
            if write {
                c.writes += 1;
            } else {
                c.reads += 1;
            }
            self.counts.set(c);
            let response = match self
                .http
                .send(method, &url, &target, &headers, bytes.clone())
            {
                Ok(r) => r,
                Err(e) => {
                    last = Some(e.into());
                    std::thread::sleep(wait);
                    wait *= 2;
                    continue;
                }
            };
            match response.status {
                s if (200..300).contains(&s) => {
                    return Ok(if response.body.trim().is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_str(&response.body).map_err(|e| {
                            IntegrationError::Jira {
                                method: method.into(),
                                target: target.clone(),
                                status: s,
                                message: format!("the answer is not JSON: {e}"),
                            }
                        })?
                    });
                }
                401 => return Err(IntegrationError::Unauthorized { target }),
                429 => {
                    let secs = response.retry_after.unwrap_or(wait.as_secs().max(1));
                    if secs > self.max_retry_after {
                        return Err(IntegrationError::Jira {
                            method: method.into(),
                            target,
                            status: 429,
                            message: format!(
                                "rate limited for {secs} s, longer than max_retry_after ({} s)",
                                self.max_retry_after
                            ),
                        });
                    }
                    last = Some(jira_error(method, &target, &response));
                    std::thread::sleep(Duration::from_secs(secs));
                }
                s if s >= 500 => {
                    last = Some(jira_error(method, &target, &response));
                    std::thread::sleep(wait);
                    wait *= 2;
                }
                _ => return Err(jira_error(method, &target, &response)),
            }
        }
        Err(last.unwrap_or(IntegrationError::Jira {
            method: method.into(),
            target,
            status: 0,
            message: "no attempt was made".into(),
        }))
    }

    /// The current state of these issues (missing keys are absent from the result).
    pub fn issues(&self, keys: &[String]) -> Result<Vec<IssueState>, IntegrationError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(50) {
            let jql = format!("key in ({})", chunk.join(", "));
            let fields = [
                "summary",
                "priority",
                "labels",
                "duedate",
                "status",
                "resolution",
            ];
            let path = if self.version >= 3 {
                self.api("search/jql")
            } else {
                self.api("search")
            };
            let body = json!({"jql": jql, "fields": fields, "maxResults": 100});
            match self.call("POST", &path, Some(&body)) {
                Ok(v) => {
                    for issue in v["issues"].as_array().into_iter().flatten() {
                        out.push(issue_state(issue));
                    }
                }
                // JQL naming a deleted or moved issue fails whole: read them one by one.
                Err(IntegrationError::Jira { status: 400, .. }) => {
                    for key in chunk {
                        let path = self.api(&format!(
                            "issue/{key}?fields=summary,priority,labels,duedate,status,resolution"
                        ));
                        match self.call("GET", &path, None) {
                            Ok(v) => out.push(issue_state(&v)),
                            Err(IntegrationError::Jira { status: 404, .. }) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Creates an issue; returns its key.
    pub fn create(&self, fields: &Value) -> Result<String, IntegrationError> {
        let v = self.call("POST", &self.api("issue"), Some(&json!({"fields": fields})))?;
        v["key"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| IntegrationError::Jira {
                method: "POST".into(),
                target: self.api("issue"),
                status: 201,
                message: "the answer has no issue key".into(),
            })
    }

    pub fn update(&self, key: &str, fields: &Value) -> Result<(), IntegrationError> {
        self.call(
            "PUT",
            &self.api(&format!("issue/{key}")),
            Some(&json!({"fields": fields})),
        )?;
        Ok(())
    }

    pub fn transitions(&self, key: &str) -> Result<Vec<Transition>, IntegrationError> {
        let v = self.call("GET", &self.api(&format!("issue/{key}/transitions")), None)?;
        Ok(v["transitions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| Transition {
                id: t["id"].as_str().unwrap_or_default().to_string(),
                name: t["name"].as_str().unwrap_or_default().to_string(),
                to_category: t["to"]["statusCategory"]["key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            })
            .filter(|t| !t.id.is_empty())
            .collect())
    }

    pub fn transition(&self, key: &str, id: &str) -> Result<(), IntegrationError> {
        self.call(
            "POST",
            &self.api(&format!("issue/{key}/transitions")),
            Some(&json!({"transition": {"id": id}})),
        )?;
        Ok(())
    }

    /// Links two issues with the `Relates` link type.
    pub fn link(&self, from: &str, to: &str) -> Result<(), IntegrationError> {
        self.call(
            "POST",
            &self.api("issueLink"),
            Some(&json!({
                "type": {"name": "Relates"},
                "inwardIssue": {"key": from},
                "outwardIssue": {"key": to},
            })),
        )?;
        Ok(())
    }
}

fn jira_error(method: &str, target: &str, r: &HttpResponse) -> IntegrationError {
    // Jira's error shape: {"errorMessages": [...], "errors": {"field": "message"}}.
    let message = serde_json::from_str::<Value>(&r.body)
        .ok()
        .map(|v| {
            let mut parts: Vec<String> = v["errorMessages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            if let Some(errors) = v["errors"].as_object() {
                for (k, m) in errors {
                    parts.push(format!("{k}: {}", m.as_str().unwrap_or_default()));
                }
            }
            parts.join("; ")
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| r.body.chars().take(200).collect());
    IntegrationError::Jira {
        method: method.into(),
        target: target.into(),
        status: r.status,
        message,
    }
}

fn issue_state(v: &Value) -> IssueState {
    let f = &v["fields"];
    IssueState {
        key: v["key"].as_str().unwrap_or_default().to_string(),
        summary: f["summary"].as_str().unwrap_or_default().to_string(),
        priority: f["priority"]["name"].as_str().map(str::to_string),
        labels: f["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect(),
        duedate: f["duedate"].as_str().map(str::to_string),
        status: f["status"]["name"].as_str().unwrap_or_default().to_string(),
        status_category: f["status"]["statusCategory"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        resolution: f["resolution"]["name"].as_str().map(str::to_string),
    }
}
