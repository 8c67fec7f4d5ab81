//! A small stateful Jira Cloud (REST v3) for the sync tests: issues, a custom workflow whose
//! transition and status names say nothing of their category (so only categories can be
//! relied on), JQL `key in (...)` search, issue links, authentication, and injected errors
//! (401, 429 with Retry-After, 500). It counts calls and the calls that change something.

use crate::support::{Captured, Server};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const USER: &str = "bot@acme.example";
pub const TOKEN: &str = "jira-api-token-7f3a9c";

#[derive(Debug, Clone)]
pub struct Issue {
    pub key: String,
    pub fields: Value,
    pub status: &'static str,
    pub category: &'static str,
    pub resolution: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub issues: BTreeMap<String, Issue>,
    pub next: u32,
    pub calls: usize,
    pub mutations: usize,
    pub inject: VecDeque<(u16, Option<u64>)>,
    /// (time, status) of each answer, to check that Retry-After was honoured.
    pub answers: Vec<(Instant, u16)>,
    pub links: Vec<(String, String)>,
    pub log: Vec<String>,
}

/// (id, name, target status, its category)
const TRANSITIONS: &[(&str, &str, &str, &str)] = &[
    ("11", "Back to backlog", "Backlog", "new"),
    ("21", "Start", "Working", "indeterminate"),
    ("31", "Ship it", "Shipped", "done"),
];

pub struct FakeJira {
    pub state: Arc<Mutex<State>>,
    pub port: u16,
    _server: Server,
}

impl FakeJira {
    pub fn start() -> FakeJira {
        let port = crate::support::free_port();
        let state: Arc<Mutex<State>> = Arc::default();
        let s = state.clone();
        let server = Server::start(port, move |req| {
            let mut st = s.lock().unwrap();
            let answer = handle(&mut st, req);
            st.answers.push((Instant::now(), answer.0));
            answer
        });
        FakeJira {
            state,
            port,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn mutations(&self) -> usize {
        self.state.lock().unwrap().mutations
    }

    pub fn issue(&self, key: &str) -> Issue {
        self.state
            .lock()
            .unwrap()
            .issues
            .get(key)
            .cloned()
            .expect("issue")
    }

    /// A person closes an issue in the Jira UI.
    pub fn close_by_person(&self, key: &str, resolution: &str) {
        let mut st = self.state.lock().unwrap();
        let i = st.issues.get_mut(key).expect("issue");
        i.status = "Shipped";
        i.category = "done";
        i.resolution = Some(resolution.into());
    }

    pub fn inject(&self, errors: &[(u16, Option<u64>)]) {
        self.state
            .lock()
            .unwrap()
            .inject
            .extend(errors.iter().copied());
    }
}

fn reply(status: u16, body: Value) -> (u16, Vec<(String, String)>, String) {
    (
        status,
        vec![("Content-Type".into(), "application/json".into())],
        if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
    )
}

fn issue_json(i: &Issue) -> Value {
    json!({
        "id": format!("1{}", i.key.trim_start_matches("SEC-")),
        "key": i.key,
        "self": format!("/rest/api/3/issue/{}", i.key),
        "fields": {
            "summary": i.fields["summary"],
            "priority": i.fields["priority"],
            "labels": i.fields.get("labels").cloned().unwrap_or(json!([])),
            "duedate": i.fields.get("duedate").cloned().unwrap_or(Value::Null),
            "status": {"name": i.status, "statusCategory": {"key": i.category}},
            "resolution": i.resolution.as_ref().map(|r| json!({"name": r})).unwrap_or(Value::Null),
        },
    })
}

fn handle(st: &mut State, req: &Captured) -> (u16, Vec<(String, String)>, String) {
    st.calls += 1;
    st.log.push(format!("{} {}", req.method, req.url));
    if let Some((status, retry_after)) = st.inject.pop_front() {
        let mut r = reply(
            status,
            json!({"errorMessages": [format!("injected {status}")]}),
        );
        if let Some(s) = retry_after {
            r.1.push(("Retry-After".into(), s.to_string()));
        }
        return r;
    }
    let expected = format!(
        "Basic {}",
        base64_encode(format!("{USER}:{TOKEN}").as_bytes())
    );
    let bearer = format!("Bearer {TOKEN}");
    let auth = req.header("Authorization");
    if auth != Some(expected.as_str()) && auth != Some(bearer.as_str()) {
        return reply(
            401,
            json!({"errorMessages": ["You are not authenticated."]}),
        );
    }
    let path = req.url.split('?').next().unwrap_or("").to_string();
    let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    // Cloud is REST v3 (ADF descriptions, /search/jql); Server/Data Center is v2 (text, /search).
    let (version, rest) = if let Some(r) = path.strip_prefix("/rest/api/3/") {
        (3, r)
    } else if let Some(r) = path.strip_prefix("/rest/api/2/") {
        (2, r)
    } else {
        return reply(404, json!({"errorMessages": ["no such API"]}));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("POST", ["search", "jql"]) | ("POST", ["search"]) => {
            if (version == 3) != (parts.len() == 2) {
                return reply(
                    410,
                    json!({"errorMessages": ["this search endpoint is not available in this API version"]}),
                );
            }
            let jql = body["jql"].as_str().unwrap_or("");
            let inner = jql
                .split_once('(')
                .and_then(|(_, r)| r.rsplit_once(')'))
                .map(|(k, _)| k)
                .unwrap_or("");
            let issues: Vec<Value> = inner
                .split(',')
                .map(str::trim)
                .filter_map(|k| st.issues.get(k))
                .map(issue_json)
                .collect();
            reply(200, json!({"issues": issues, "isLast": true}))
        }
        ("POST", ["issue"]) => {
            let f = &body["fields"];
            let mut errors = serde_json::Map::new();
            if f["project"]["key"] != "SEC" {
                errors.insert("project".into(), json!("valid project is required"));
            }
            if f["summary"].as_str().is_none_or(str::is_empty) {
                errors.insert(
                    "summary".into(),
                    json!("You must specify a summary of the issue."),
                );
            }
            if f["issuetype"]["name"].as_str().is_none() {
                errors.insert("issuetype".into(), json!("valid issue type is required"));
            }
            if (version == 3 && f["description"]["type"] != "doc")
                || (version == 2 && !f["description"].is_string())
            {
                errors.insert(
                    "description".into(),
                    json!("Operation value must be an Atlassian Document"),
                );
            }
            let p = f["priority"]["name"].as_str().unwrap_or("");
            if !["Highest", "High", "Medium", "Low", "Lowest"].contains(&p) {
                errors.insert(
                    "priority".into(),
                    json!(format!("Specify a valid priority: {p}")),
                );
            }
            if !errors.is_empty() {
                return reply(400, json!({"errorMessages": [], "errors": errors}));
            }
            st.mutations += 1;
            st.next += 1;
            let key = format!("SEC-{}", st.next);
            st.issues.insert(
                key.clone(),
                Issue {
                    key: key.clone(),
                    fields: f.clone(),
                    status: "Backlog",
                    category: "new",
                    resolution: None,
                },
            );
            reply(
                201,
                json!({"id": format!("1{}", st.next), "key": key, "self": format!("/rest/api/3/issue/{key}")}),
            )
        }
        ("PUT", ["issue", key]) => {
            let Some(i) = st.issues.get_mut(*key) else {
                return reply(
                    404,
                    json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."]}),
                );
            };
            if let Some(fields) = body["fields"].as_object() {
                for (k, v) in fields {
                    i.fields[k.as_str()] = v.clone();
                }
            }
            st.mutations += 1;
            reply(204, Value::Null)
        }
        ("GET", ["issue", key, "transitions"]) => {
            if !st.issues.contains_key(*key) {
                return reply(404, json!({"errorMessages": ["Issue does not exist"]}));
            }
            let list: Vec<Value> = TRANSITIONS
                .iter()
                .map(|(id, name, to, cat)| json!({"id": id, "name": name, "to": {"name": to, "statusCategory": {"key": cat}}}))
                .collect();
            reply(200, json!({"expand": "transitions", "transitions": list}))
        }
        ("POST", ["issue", key, "transitions"]) => {
            let id = body["transition"]["id"].as_str().unwrap_or("");
            let Some((_, _, to, cat)) = TRANSITIONS.iter().find(|t| t.0 == id) else {
                return reply(
                    400,
                    json!({"errorMessages": ["Transition id is not valid for this issue."]}),
                );
            };
            let Some(i) = st.issues.get_mut(*key) else {
                return reply(404, json!({"errorMessages": ["Issue does not exist"]}));
            };
            i.status = to;
            i.category = cat;
            i.resolution = (*cat == "done").then(|| "Done".to_string());
            st.mutations += 1;
            reply(204, Value::Null)
        }
        ("POST", ["issueLink"]) => {
            st.mutations += 1;
            let a = body["inwardIssue"]["key"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let b = body["outwardIssue"]["key"]
                .as_str()
                .unwrap_or("")
                .to_string();
            st.links.push((a, b));
            reply(201, Value::Null)
        }
        _ => reply(
            404,
            json!({"errorMessages": [format!("no route {} {}", req.method, path)]}),
        ),
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
