//! The OSV schema's readers: osv-scanner, and govulncheck (whose JSON embeds OSV records,
//! read by [`scanner`]).

pub mod govulncheck;
pub mod scanner;
