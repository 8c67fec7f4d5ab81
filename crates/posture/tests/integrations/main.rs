//! End-to-end tests of the integrations: the real `posture` binary on real SQLite files.
//! `code_scanning`: SARIF and VEX exports as GitHub code scanning and scanners applying VEX take them.
//! `export`: every format from a real ingest, validated against its published schema.
//! `notify`: webhook delivery through the outbox to a local receiver that is down, then up.
//! `pr_comment`: `posture gate --pr-comment` against fake GitHub and GitLab REST servers.
//! `jira`: the reconciling sync against a local stateful fake Jira.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

mod ci_templates;
mod code_scanning;
mod export;
mod fake_jira;
mod jira;
mod notify;
mod pr_comment;
mod support;
