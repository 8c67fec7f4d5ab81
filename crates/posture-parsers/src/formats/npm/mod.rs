//! npm's audit: `npm audit --json` and `yarn audit --json` (Yarn 1 prints npm 6 advisories,
//! read by [`audit`]).

pub mod audit;
pub mod yarn;
