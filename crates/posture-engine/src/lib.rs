//! Posture's pure logic, between the parsers and the store.
//!
//! * [`identity`]: the fingerprint of each occurrence (stable across re-scans, moved lines,
//!   reordered results), and the collapsing of duplicates within one report;
//! * [`lifecycle`]: given what a scope held before and what the new scan says, the plan of
//!   changes (new, seen again, closed, fixed, reopened) that the store applies in one
//!   transaction;
//! * [`correlate`]: what identity cannot join (other ids for one advisory, other rules for one
//!   weakness, other tools for one control): features, blocking keys, and scored matches, each
//!   with a confidence and a sentence a person can read;
//! * [`control_map`]: the reviewed table of equivalent IaC controls across scanners;
//! * [`fixes`]: remediation planning: open findings grouped into the actions that close them
//!   (package upgrades to the lowest version fixing them all, base images, code), ranked by
//!   the risk they remove; [`versions`]: the version orders of package ecosystems it uses;
//! * [`secrets`]: secrets masked in every field of every format, evidence sealed with the
//!   installation's key, before identity.
//!
//! Architecture invariant: no I/O, no clock (times are passed in), no storage types. The store
//! calls these functions inside its transaction; both SQLite and PostgreSQL back ends therefore
//! make exactly the same decisions.

pub mod control_map;
pub mod correlate;
pub mod fixes;
pub mod identity;
pub mod lifecycle;
pub mod secrets;
pub mod versions;

pub use correlate::{Features, Match, Thresholds};
pub use identity::{
    Fingerprint, Identified, IdentifiedOccurrence, IdentityTier, identify, place_key,
};
pub use lifecycle::{BranchActivity, RetirePlan, idle_branches, retire_plan};
pub use lifecycle::{
    CorrelationCandidate, CorrelationInput, ExistingFinding, ExistingOccurrence, FindingRef,
    IngestPlan, Link, NewOccurrence, OccurrenceRef, PlanSummary, ScopeDiff, Suggestion, diff_scope,
    plan,
};
