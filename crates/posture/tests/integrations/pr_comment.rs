//! `posture gate --pr-comment` in a simulated GitHub Actions pull request and GitLab CI merge
//! request, against fake REST servers that check the method, the path, the authentication
//! header and the body, page their comment lists, and can refuse with a 403. A pipeline that
//! reruns leaves one comment, edited in place, naming only what the branch adds.

use crate::support::{Captured, Server, Workspace, free_port, trivy};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const GITHUB_TOKEN: &str = "ghs_fake_actions_token";
const GITLAB_TOKEN: &str = "glpat-fake-project-token";

/// The comments of one pull or merge request, and every request the fake received.
#[derive(Default)]
struct Thread {
    comments: Vec<(u64, String)>,
    next_id: u64,
    requests: Vec<Captured>,
    refuse_writes: bool,
}

fn page_of(url: &str) -> usize {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("page="))
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

/// A fake of the GitHub REST API for one pull request (acme/shop#7).
fn fake_github(thread: Arc<Mutex<Thread>>, port: u16) -> Server {
    Server::start(port, move |req| {
        let mut t = thread.lock().unwrap();
        t.requests.push(req.clone());
        if req.header("authorization") != Some(&format!("Bearer {GITHUB_TOKEN}"))
            || req.header("x-github-api-version") != Some("2022-11-28")
        {
            return (
                401,
                vec![],
                json!({"message": "Bad credentials"}).to_string(),
            );
        }
        let path = req.url.split('?').next().unwrap().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/repos/acme/shop/issues/7/comments") => {
                let page = page_of(&req.url);
                let items: Vec<Value> = t
                    .comments
                    .iter()
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|(id, body)| json!({"id": id, "body": body}))
                    .collect();
                let mut headers = vec![];
                if t.comments.len() > page * 100 {
                    headers.push((
                        "Link".to_string(),
                        format!(
                            "<http://127.0.0.1:{port}/repos/acme/shop/issues/7/comments?per_page=100&page={}>; rel=\"next\"",
                            page + 1
                        ),
                    ));
                }
                (200, headers, Value::from(items).to_string())
            }
            ("POST", "/repos/acme/shop/issues/7/comments") => {
                if t.refuse_writes {
                    return (
                        403,
                        vec![],
                        json!({"message": "Resource not accessible by integration"}).to_string(),
                    );
                }
                let body: Value = serde_json::from_str(&req.body).expect("a JSON body");
                t.next_id += 1;
                let id = 9000 + t.next_id;
                t.comments
                    .push((id, body["body"].as_str().expect("body").to_string()));
                (201, vec![], json!({"id": id}).to_string())
            }
            ("PATCH", p) if p.starts_with("/repos/acme/shop/issues/comments/") => {
                let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                let body: Value = serde_json::from_str(&req.body).expect("a JSON body");
                match t.comments.iter_mut().find(|(i, _)| *i == id) {
                    Some(c) => {
                        c.1 = body["body"].as_str().unwrap().to_string();
                        (200, vec![], json!({"id": id}).to_string())
                    }
                    None => (404, vec![], json!({"message": "Not Found"}).to_string()),
                }
            }
            _ => (404, vec![], json!({"message": "Not Found"}).to_string()),
        }
    })
}

/// A fake of the GitLab REST API (v4) for one merge request (project 17, !5).
fn fake_gitlab(thread: Arc<Mutex<Thread>>, port: u16) -> Server {
    Server::start(port, move |req| {
        let mut t = thread.lock().unwrap();
        t.requests.push(req.clone());
        if req.header("private-token") != Some(GITLAB_TOKEN) {
            return (
                401,
                vec![],
                json!({"message": "401 Unauthorized"}).to_string(),
            );
        }
        let path = req.url.split('?').next().unwrap().to_string();
        let notes = "/api/v4/projects/17/merge_requests/5/notes";
        match req.method.as_str() {
            "GET" if path == notes => {
                let page = page_of(&req.url);
                let items: Vec<Value> = t
                    .comments
                    .iter()
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|(id, body)| json!({"id": id, "body": body, "system": false}))
                    .collect();
                let next = if t.comments.len() > page * 100 {
                    (page + 1).to_string()
                } else {
                    String::new()
                };
                (
                    200,
                    vec![("X-Next-Page".to_string(), next)],
                    Value::from(items).to_string(),
                )
            }
            "POST" if path == notes => {
                let body: Value = serde_json::from_str(&req.body).expect("a JSON body");
                t.next_id += 1;
                let id = 500 + t.next_id;
                t.comments
                    .push((id, body["body"].as_str().unwrap().to_string()));
                (201, vec![], json!({"id": id}).to_string())
            }
            "PUT" if path.starts_with(&format!("{notes}/")) => {
                let id: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
                let body: Value = serde_json::from_str(&req.body).expect("a JSON body");
                match t.comments.iter_mut().find(|(i, _)| *i == id) {
                    Some(c) => {
                        c.1 = body["body"].as_str().unwrap().to_string();
                        (200, vec![], json!({"id": id}).to_string())
                    }
                    None => (404, vec![], json!({"message": "404 Not found"}).to_string()),
                }
            }
            _ => (404, vec![], json!({"message": "404 Not found"}).to_string()),
        }
    })
}

/// A workspace whose main branch has jinja2's CVE, with the example policy (high or critical
/// in a production asset blocks).
fn workspace() -> Workspace {
    let ws = Workspace::new();
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy.toml");
    std::fs::copy(example, ws.path("policy.toml")).unwrap();
    ws.write(
        "posture.toml",
        "[policy]\nfile = \"policy.toml\"\n\n[[asset]]\nname = \"shop\"\ntags = [\"production\"]\n",
    );
    ws.ingest(
        "shop",
        &[("CVE-2026-1002", "jinja2", "HIGH")],
        "2026-03-01T10:00:00Z",
    );
    // The branch adds a critical in django and keeps main's jinja2 finding; a scanner's text
    // tries to ping someone and link elsewhere.
    let mut pr = trivy(&[
        ("CVE-2026-1004", "django", "CRITICAL"),
        ("CVE-2026-1002", "jinja2", "HIGH"),
    ]);
    pr = pr.replace(
        "django: a vulnerability",
        "django: ask @octocat at https://evil.example/fix",
    );
    ws.write("pr.json", &pr);
    ws
}

fn gate(ws: &Workspace, envs: &[(&str, String)]) -> (i32, String) {
    let mut cmd = ws.posture();
    cmd.args([
        "gate",
        "--asset",
        "shop",
        "--branch",
        "pr-7",
        "--pr-comment",
        "--base-url",
        "https://posture.acme.example",
        "--at",
        "2026-03-02T10:00:00Z",
    ])
    .arg(ws.path("pr.json"));
    for k in [
        "GITHUB_ACTIONS",
        "GITHUB_API_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_TOKEN",
        "GITHUB_EVENT_PATH",
        "GITLAB_CI",
        "CI_API_V4_URL",
        "CI_PROJECT_ID",
        "CI_MERGE_REQUEST_IID",
        "POSTURE_GITLAB_TOKEN",
        "GITLAB_TOKEN",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn check_comment(body: &str) {
    assert!(
        body.starts_with("<!-- posture-gate asset=shop -->\n"),
        "{body}"
    );
    // Only what the branch adds: django, not main's jinja2.
    assert!(body.contains("django"), "{body}");
    assert!(!body.contains("jinja2"), "{body}");
    // Findings link to Posture, never `#N` (an issue of the repository).
    assert!(
        body.contains("](https://posture.acme.example/findings/"),
        "{body}"
    );
    assert!(!body.contains("| #"), "{body}");
    // Scanner text cannot ping or link.
    assert!(
        body.contains("`@octocat`") && body.contains("`https://evil.example/fix`"),
        "{body}"
    );
}

#[test]
fn github_pull_request_gets_one_comment_updated_on_every_rerun() {
    let ws = workspace();
    let thread: Arc<Mutex<Thread>> = Arc::default();
    // 130 comments from people already: ours lands on the second page.
    for i in 0..130 {
        thread
            .lock()
            .unwrap()
            .comments
            .push((i + 1, format!("LGTM {i}")));
    }
    let port = free_port();
    let _server = fake_github(thread.clone(), port);
    let event = ws.write(
        "event.json",
        &json!({"action": "synchronize", "pull_request": {"number": 7}}).to_string(),
    );
    let envs = vec![
        ("GITHUB_ACTIONS", "true".to_string()),
        ("GITHUB_API_URL", format!("http://127.0.0.1:{port}")),
        ("GITHUB_REPOSITORY", "acme/shop".to_string()),
        ("GITHUB_TOKEN", GITHUB_TOKEN.to_string()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
    ];
    let (code, err) = gate(&ws, &envs);
    assert_eq!(code, 1, "the critical blocks: {err}");
    assert!(err.contains("posted"), "{err}");
    let (code, err) = gate(&ws, &envs);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("updated"), "{err}");
    assert!(!err.contains(GITHUB_TOKEN));
    let t = thread.lock().unwrap();
    let ours: Vec<&(u64, String)> = t
        .comments
        .iter()
        .filter(|(_, b)| b.contains("posture-gate"))
        .collect();
    assert_eq!(ours.len(), 1, "one comment after two runs");
    check_comment(&ours[0].1);
    // The second run read both pages, then edited the comment in place.
    let methods: Vec<String> = t
        .requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url))
        .collect();
    assert_eq!(
        methods,
        [
            "GET /repos/acme/shop/issues/7/comments?per_page=100",
            "GET /repos/acme/shop/issues/7/comments?per_page=100&page=2",
            "POST /repos/acme/shop/issues/7/comments",
            "GET /repos/acme/shop/issues/7/comments?per_page=100",
            "GET /repos/acme/shop/issues/7/comments?per_page=100&page=2",
            &format!("PATCH /repos/acme/shop/issues/comments/{}", ours[0].0),
        ]
    );
}

#[test]
fn a_refused_comment_fails_the_job_and_names_the_permission() {
    let ws = workspace();
    let thread: Arc<Mutex<Thread>> = Arc::default();
    thread.lock().unwrap().refuse_writes = true;
    let port = free_port();
    let _server = fake_github(thread.clone(), port);
    let event = ws.write(
        "event.json",
        &json!({"pull_request": {"number": 7}}).to_string(),
    );
    let (code, err) = gate(
        &ws,
        &[
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_API_URL", format!("http://127.0.0.1:{port}")),
            ("GITHUB_REPOSITORY", "acme/shop".to_string()),
            ("GITHUB_TOKEN", GITHUB_TOKEN.to_string()),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("HTTP 403"), "{err}");
    assert!(err.contains("pull-requests: write"), "{err}");
    // Outside a pull request, the gate says what is missing before ingesting anything.
    let (code, err) = gate(&ws, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no pull or merge request"), "{err}");
}

#[test]
fn gitlab_merge_request_gets_one_note_updated_on_every_rerun() {
    let ws = workspace();
    let thread: Arc<Mutex<Thread>> = Arc::default();
    for i in 0..101 {
        thread
            .lock()
            .unwrap()
            .comments
            .push((i + 1, format!("note {i}")));
    }
    let port = free_port();
    let _server = fake_gitlab(thread.clone(), port);
    let envs = vec![
        ("GITLAB_CI", "true".to_string()),
        ("CI_API_V4_URL", format!("http://127.0.0.1:{port}/api/v4")),
        ("CI_PROJECT_ID", "17".to_string()),
        ("CI_MERGE_REQUEST_IID", "5".to_string()),
        ("POSTURE_GITLAB_TOKEN", GITLAB_TOKEN.to_string()),
    ];
    let (code, err) = gate(&ws, &envs);
    assert_eq!(code, 1, "{err}");
    let (code, err) = gate(&ws, &envs);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("updated"), "{err}");
    let t = thread.lock().unwrap();
    let ours: Vec<&(u64, String)> = t
        .comments
        .iter()
        .filter(|(_, b)| b.contains("posture-gate"))
        .collect();
    assert_eq!(ours.len(), 1);
    check_comment(&ours[0].1);
    let last = t.requests.last().unwrap();
    assert_eq!(last.method, "PUT");
    assert_eq!(
        last.url,
        format!("/api/v4/projects/17/merge_requests/5/notes/{}", ours[0].0)
    );
}
