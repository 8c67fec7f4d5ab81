//! posture-risk tests: the shared corpus (CVSS vectors, KEV catalogs, EPSS), the risk model's
//! properties and snapshots, feed edge cases. One test binary keeps link time down.

#![allow(clippy::unwrap_used)]

mod corpus;
mod feeds;
mod model;
