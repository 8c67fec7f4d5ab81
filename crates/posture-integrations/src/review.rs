//! One comment on a pull request (GitHub) or merge request (GitLab) per asset, edited in place on
//! every rerun of the pipeline: `posture gate --pr-comment`.
//!
//! The comment carries a hidden marker (`<!-- posture-gate asset=NAME -->`, [`marker`]); a rerun
//! lists the request's comments (every page) and edits the one with the marker, so a pipeline
//! that runs ten times leaves one comment, and two assets gated in one request keep one each.
//!
//! Where to comment comes from the CI platform's own variables ([`ReviewHost::from_env`]):
//! - **GitHub Actions**: `GITHUB_API_URL`, `GITHUB_REPOSITORY` (`owner/name`), `GITHUB_TOKEN`
//!   and `GITHUB_EVENT_PATH` (the event payload: `pull_request.number`).
//! - **GitLab CI**: `CI_API_V4_URL`, `CI_PROJECT_ID`, `CI_MERGE_REQUEST_IID` and a token in
//!   `POSTURE_GITLAB_TOKEN` (else `GITLAB_TOKEN`): a project or personal access token with the
//!   `api` scope (a job token cannot write notes).
//!
//! Invariants: the token travels only in the `Authorization` / `PRIVATE-TOKEN` header and is
//! never printed; a pagination link that leaves the API's origin is not followed (the token
//! would go with it).

use crate::IntegrationError;
use crate::http::{HttpClient, HttpResponse};
use serde_json::{Value, json};

/// Where the comment goes.
#[derive(Clone, PartialEq, Eq)]
pub enum ReviewHost {
    GitHub {
        /// `https://api.github.com`, or a GitHub Enterprise Server's `/api/v3`.
        api: String,
        /// `owner/name`.
        repository: String,
        /// The pull request's number.
        number: u64,
        token: String,
    },
    GitLab {
        /// `https://gitlab.example.com/api/v4`.
        api: String,
        /// The project id (or URL-encoded path).
        project: String,
        /// The merge request's project-level id.
        iid: u64,
        token: String,
    },
}

impl std::fmt::Debug for ReviewHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        match self {
            ReviewHost::GitHub {
                api,
                repository,
                number,
                ..
            } => write!(f, "GitHub {api} {repository}#{number}"),
            ReviewHost::GitLab {
                api, project, iid, ..
            } => write!(f, "GitLab {api} project {project} !{iid}"),
        }
    }
}

/// What happened to the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentAction {
    Created { id: u64 },
    Updated { id: u64 },
}

/// The hidden marker of an asset's gate comment.
pub fn marker(asset: &str) -> String {
    // `--` cannot appear inside an HTML comment.
    format!(
        "<!-- posture-gate asset={} -->",
        asset.replace("--", "-\u{2010}")
    )
}

fn setup(message: impl Into<String>) -> IntegrationError {
    IntegrationError::ReviewSetup(message.into())
}

impl ReviewHost {
    /// The host from the CI platform's variables (`var` reads one; `read` reads a file, for
    /// GitHub's event payload). GitHub Actions when `GITHUB_ACTIONS` or `GITHUB_REPOSITORY` is
    /// set, GitLab CI when `GITLAB_CI` or `CI_API_V4_URL` is; an error naming what is missing
    /// otherwise.
    pub fn from_env(
        var: &dyn Fn(&str) -> Option<String>,
        read: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<ReviewHost, IntegrationError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let need = |name: &str, what: &str| {
            get(name).ok_or_else(|| setup(format!("--pr-comment: {name} is not set ({what})")))
        };
        if get("GITHUB_ACTIONS").is_some() || get("GITHUB_REPOSITORY").is_some() {
            let api = get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
            let repository = need("GITHUB_REPOSITORY", "the repository, owner/name")?;
            let token = need(
                "GITHUB_TOKEN",
                "pass `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` with `pull-requests: write`",
            )?;
            let path = need("GITHUB_EVENT_PATH", "the event payload of the workflow run")?;
            let text = read(&path).map_err(|e| setup(format!("--pr-comment: {path}: {e}")))?;
            let event: Value = serde_json::from_str(&text).map_err(|e| {
                setup(format!(
                    "--pr-comment: {path}: not a GitHub event payload: {e}"
                ))
            })?;
            let number = event["pull_request"]["number"]
                .as_u64()
                .or_else(|| event["number"].as_u64())
                .ok_or_else(|| {
                    setup(format!(
                        "--pr-comment: {path}: this run is not for a pull request (no pull_request.number): run the gate with --pr-comment on `pull_request` events"
                    ))
                })?;
            return Ok(ReviewHost::GitHub {
                api: api.trim_end_matches('/').to_string(),
                repository,
                number,
                token,
            });
        }
        if get("GITLAB_CI").is_some() || get("CI_API_V4_URL").is_some() {
            let api = need("CI_API_V4_URL", "the GitLab API address")?;
            let project = need("CI_PROJECT_ID", "the project")?;
            let iid = need(
                "CI_MERGE_REQUEST_IID",
                "this job is not a merge-request pipeline: add `rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"`",
            )?;
            let iid = iid.parse::<u64>().map_err(|_| {
                setup(format!(
                    "--pr-comment: CI_MERGE_REQUEST_IID `{iid}` is not a number"
                ))
            })?;
            let token = get("POSTURE_GITLAB_TOKEN")
                .or_else(|| get("GITLAB_TOKEN"))
                .ok_or_else(|| {
                    setup(
                        "--pr-comment: set POSTURE_GITLAB_TOKEN (a project access token with the `api` scope): a job token cannot write merge-request notes",
                    )
                })?;
            return Ok(ReviewHost::GitLab {
                api: api.trim_end_matches('/').to_string(),
                project,
                iid,
                token,
            });
        }
        Err(setup(
            "--pr-comment: no pull or merge request here: run it in GitHub Actions (GITHUB_REPOSITORY, GITHUB_TOKEN, GITHUB_EVENT_PATH) or GitLab CI (CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, POSTURE_GITLAB_TOKEN)",
        ))
    }

    fn name(&self) -> &'static str {
        match self {
            ReviewHost::GitHub { .. } => "GitHub",
            ReviewHost::GitLab { .. } => "GitLab",
        }
    }

    fn api(&self) -> &str {
        match self {
            ReviewHost::GitHub { api, .. } | ReviewHost::GitLab { api, .. } => api,
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            ReviewHost::GitHub { token, .. } => vec![
                ("Authorization", format!("Bearer {token}")),
                ("Accept", "application/vnd.github+json".into()),
                ("X-GitHub-Api-Version", "2022-11-28".into()),
                ("Content-Type", "application/json".into()),
            ],
            ReviewHost::GitLab { token, .. } => vec![
                ("PRIVATE-TOKEN", token.clone()),
                ("Content-Type", "application/json".into()),
            ],
        }
    }

    /// The comments (notes) collection of the request.
    fn collection(&self) -> String {
        match self {
            ReviewHost::GitHub {
                api,
                repository,
                number,
                ..
            } => format!("{api}/repos/{repository}/issues/{number}/comments"),
            ReviewHost::GitLab {
                api, project, iid, ..
            } => format!(
                "{api}/projects/{}/merge_requests/{iid}/notes",
                crate::http::encode_component(project)
            ),
        }
    }

    /// One comment's address.
    fn comment(&self, id: u64) -> String {
        match self {
            ReviewHost::GitHub {
                api, repository, ..
            } => format!("{api}/repos/{repository}/issues/comments/{id}"),
            ReviewHost::GitLab { .. } => format!("{}/{id}", self.collection()),
        }
    }
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// The `rel="next"` target of an RFC 8288 `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim();
        (is_next && target.starts_with('<') && target.ends_with('>'))
            .then(|| target[1..target.len() - 1].to_string())
    })
}

fn refused(host: &ReviewHost, method: &str, target: &str, r: &HttpResponse) -> IntegrationError {
    let message = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error"))
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        })
        .unwrap_or_else(|| r.body.chars().take(200).collect());
    let hint = match r.status {
        401 => " (the token is not valid)",
        403 => match host {
            ReviewHost::GitHub { .. } => {
                " (the token may not comment: give the workflow `permissions: pull-requests: write`)"
            }
            ReviewHost::GitLab { .. } => " (the token needs the `api` scope and Reporter access)",
        },
        404 => " (no such pull or merge request, or the token cannot see it)",
        _ => "",
    };
    IntegrationError::Review {
        host: host.name(),
        method: method.to_string(),
        target: target.to_string(),
        status: r.status,
        message: format!("{message}{hint}"),
    }
}

/// Creates the asset's comment, or edits the one a previous run left (found by its marker on
/// any page of the request's comments). `body` is the Markdown; the marker is added.
pub fn upsert_comment(
    client: &HttpClient,
    host: &ReviewHost,
    asset: &str,
    body: &str,
) -> Result<CommentAction, IntegrationError> {
    let mark = marker(asset);
    let text = format!("{mark}\n{body}");
    let headers = host.headers();
    let api_origin = origin(host.api()).to_string();
    // Find our comment.
    let mut url = format!("{}?per_page=100", host.collection());
    let mut found: Option<u64> = None;
    for _page in 0..100 {
        let target = url.split('?').next().unwrap_or(&url).to_string();
        let r = client.send("GET", &url, &target, &headers, None)?;
        if !r.is_success() {
            return Err(refused(host, "GET", &target, &r));
        }
        let list: Value = serde_json::from_str(&r.body).map_err(|e| IntegrationError::Review {
            host: host.name(),
            method: "GET".into(),
            target: target.clone(),
            status: r.status,
            message: format!("not a JSON list of comments: {e}"),
        })?;
        found = list.as_array().into_iter().flatten().find_map(|c| {
            let body = c["body"].as_str()?;
            body.starts_with(&mark).then(|| c["id"].as_u64()).flatten()
        });
        if found.is_some() {
            break;
        }
        let next = match host {
            ReviewHost::GitHub { .. } => r.pagination_header("link").and_then(next_link),
            ReviewHost::GitLab { .. } => r
                .pagination_header("x-next-page")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| format!("{}?per_page=100&page={p}", host.collection())),
        };
        match next {
            Some(n) if origin(&n) == api_origin => url = n,
            Some(n) => {
                return Err(IntegrationError::Review {
                    host: host.name(),
                    method: "GET".into(),
                    target,
                    status: r.status,
                    message: format!(
                        "the next page is on another origin ({}): not followed with the token",
                        origin(&n)
                    ),
                });
            }
            None => break,
        }
    }
    let payload = serde_json::to_vec(&json!({ "body": text })).unwrap_or_default();
    let (method, url) = match (found, host) {
        (Some(id), ReviewHost::GitHub { .. }) => ("PATCH", host.comment(id)),
        (Some(id), ReviewHost::GitLab { .. }) => ("PUT", host.comment(id)),
        (None, _) => ("POST", host.collection()),
    };
    let r = client.send(method, &url, &url, &headers, Some(payload))?;
    if !r.is_success() {
        return Err(refused(host, method, &url, &r));
    }
    let id = serde_json::from_str::<Value>(&r.body)
        .ok()
        .and_then(|v| v["id"].as_u64())
        .or(found)
        .unwrap_or_default();
    Ok(match found {
        Some(_) => CommentAction::Updated { id },
        None => CommentAction::Created { id },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn reads_github_actions_and_gitlab_ci_variables() {
        let read = |_: &str| Ok(r#"{"pull_request": {"number": 42}}"#.to_string());
        let gh = ReviewHost::from_env(
            &env(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_API_URL", "https://ghe.acme.example/api/v3/"),
                ("GITHUB_REPOSITORY", "acme/payments"),
                ("GITHUB_TOKEN", "ghs_secret"),
                ("GITHUB_EVENT_PATH", "/tmp/event.json"),
            ]),
            &read,
        )
        .unwrap();
        assert_eq!(
            gh,
            ReviewHost::GitHub {
                api: "https://ghe.acme.example/api/v3".into(),
                repository: "acme/payments".into(),
                number: 42,
                token: "ghs_secret".into(),
            }
        );
        assert!(!format!("{gh:?}").contains("ghs_secret"));
        let gl = ReviewHost::from_env(
            &env(&[
                ("GITLAB_CI", "true"),
                ("CI_API_V4_URL", "https://gitlab.acme.example/api/v4"),
                ("CI_PROJECT_ID", "17"),
                ("CI_MERGE_REQUEST_IID", "5"),
                ("POSTURE_GITLAB_TOKEN", "glpat-secret"),
            ]),
            &read,
        )
        .unwrap();
        assert_eq!(
            gl.collection(),
            "https://gitlab.acme.example/api/v4/projects/17/merge_requests/5/notes"
        );
        // A push event is not a pull request; a missing token is named.
        let push = |_: &str| Ok(r#"{"ref": "refs/heads/main"}"#.to_string());
        let e = ReviewHost::from_env(
            &env(&[
                ("GITHUB_REPOSITORY", "acme/payments"),
                ("GITHUB_TOKEN", "t"),
                ("GITHUB_EVENT_PATH", "/tmp/event.json"),
            ]),
            &push,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not for a pull request"), "{e}");
        let e = ReviewHost::from_env(
            &env(&[
                ("CI_API_V4_URL", "https://gitlab.acme.example/api/v4"),
                ("CI_PROJECT_ID", "17"),
                ("CI_MERGE_REQUEST_IID", "5"),
            ]),
            &read,
        )
        .unwrap_err();
        assert!(e.to_string().contains("POSTURE_GITLAB_TOKEN"), "{e}");
        let e = ReviewHost::from_env(&env(&[]), &read).unwrap_err();
        assert!(e.to_string().contains("no pull or merge request"), "{e}");
    }

    #[test]
    fn follows_rfc_8288_next_links() {
        let link = r#"<https://api.github.com/repositories/1/issues/42/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/42/comments?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues/42/comments?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://x/a?page=1>; rel="prev""#), None);
        assert_eq!(
            origin("https://api.github.com/repos/a/b"),
            "https://api.github.com"
        );
        assert_eq!(origin("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
    }

    #[test]
    fn markers_are_per_asset_and_stay_html_comments() {
        assert_eq!(
            marker("payments-api"),
            "<!-- posture-gate asset=payments-api -->"
        );
        let m = marker("a--b -->x");
        let inner = m
            .strip_prefix("<!-- ")
            .and_then(|m| m.strip_suffix(" -->"))
            .unwrap();
        assert!(!inner.contains("--"), "{m}");
    }
}
