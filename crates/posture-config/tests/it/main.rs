//! Integration tests of posture-config.

#![allow(clippy::unwrap_used)]

mod codeowners;
mod config;
mod edit;
mod oidc;
mod owner;
mod robustness;
