//! Runtime execution evidence for code: the reachability term of a finding whose file and
//! line a coverage report covers (`posture ingest --kind runtime` of lcov, JaCoCo, Cobertura,
//! coverage.py or Go coverage).
//!
//! ```text
//! strength  = production 1.0 | staging 0.6 | test 0.3        (where the coverage was recorded)
//! volume    = min(1, ln(1 + hits) / ln(1 + hits_saturation))  (hits_saturation 10,000)
//! executed  : factor = 1 + (executed_factor - 1) x strength x (1 + volume) / 2
//! never run : factor = 1 - (1 - never_executed_factor) x strength
//! ```
//!
//! With the defaults (`executed_factor` 1.3, `never_executed_factor` 0.6): a line executed
//! 12,000 times in production weighs 1.3, once in production 1.16 (about a scanner's
//! "reachable", 1.15), 12,000 times in tests 1.09; a line of a covered file that never ran in
//! production 0.6, in staging 0.76, in tests 0.88. More hits never lower the factor, the
//! factor is bounded by `never_executed_factor..=executed_factor`, and test coverage always
//! moves a score less than production coverage does. A line the report does not cover
//! (its file absent, or the line not instrumented) is no evidence: the term stays unknown (1.0).

use posture_model::coverage::CoverageEnvironment;
use serde::{Deserialize, Serialize};

/// What runtime coverage says of a finding's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionEvidence {
    pub environment: CoverageEnvironment,
    /// The highest hit count of the finding's instrumented lines (0: none of them ran).
    pub hits: u64,
    /// The file as the finding names it, and the coverage report's path for it.
    pub path: String,
    /// The finding's lines that the report instruments, `42` or `42-44`.
    pub lines: String,
    /// The coverage report (file name and format).
    pub report: String,
    /// When the coverage was recorded (RFC 3339 date).
    pub recorded_at: String,
}

impl ExecutionEvidence {
    pub fn executed(&self) -> bool {
        self.hits > 0
    }

    /// `executed 12,000 times in production` / `never executed in production`.
    pub fn value(&self) -> String {
        if self.executed() {
            let times = if self.hits == 1 { "time" } else { "times" };
            format!(
                "executed {} {times} in {}",
                thousands(self.hits),
                self.environment.as_str()
            )
        } else {
            format!("never executed in {}", self.environment.as_str())
        }
    }

    /// `coverage prod.info (lcov) of 2026-12-01, production: app/views.py line 5, 12,000 hits`.
    pub fn source(&self) -> String {
        let line_word = if self.lines.contains('-') {
            "lines"
        } else {
            "line"
        };
        format!(
            "coverage {} of {}, {}: {} {line_word} {}, {} hits",
            self.report,
            self.recorded_at,
            self.environment.as_str(),
            self.path,
            self.lines,
            thousands(self.hits)
        )
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The numbers of the execution factor (`[risk.execution]` in posture.toml).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecutionWeights {
    /// The factor of a line executed `hits_saturation` times or more in production.
    pub executed_factor: f64,
    /// The factor of a never-executed line of a file production coverage covers.
    pub never_executed_factor: f64,
    /// Hits at which the volume of execution stops adding weight.
    pub hits_saturation: f64,
    pub production_strength: f64,
    pub staging_strength: f64,
    pub test_strength: f64,
}

impl Default for ExecutionWeights {
    fn default() -> Self {
        ExecutionWeights {
            executed_factor: 1.3,
            never_executed_factor: 0.6,
            hits_saturation: 10_000.0,
            production_strength: 1.0,
            staging_strength: 0.6,
            test_strength: 0.3,
        }
    }
}

impl ExecutionWeights {
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.executed_factor.is_finite() && self.executed_factor >= 1.0) {
            problems
                .push("execution.executed_factor must be >= 1 (running code never lowers)".into());
        }
        if !(self.never_executed_factor.is_finite()
            && self.never_executed_factor > 0.0
            && self.never_executed_factor <= 1.0)
        {
            problems.push(
                "execution.never_executed_factor must lie in (0, 1] (code that never ran never raises)"
                    .into(),
            );
        }
        if !(self.hits_saturation.is_finite() && self.hits_saturation >= 1.0) {
            problems.push("execution.hits_saturation must be >= 1".into());
        }
        let (p, s, t) = (
            self.production_strength,
            self.staging_strength,
            self.test_strength,
        );
        if !([p, s, t].iter().all(|x| (0.0..=1.0).contains(x)) && p >= s && s >= t) {
            problems.push(
                "execution strengths must satisfy 1 >= production >= staging >= test >= 0".into(),
            );
        }
        problems
    }

    fn strength(&self, env: CoverageEnvironment) -> f64 {
        let s = match env {
            CoverageEnvironment::Production => self.production_strength,
            CoverageEnvironment::Staging => self.staging_strength,
            CoverageEnvironment::Test => self.test_strength,
        };
        if s.is_finite() {
            s.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The reachability factor of this evidence (see the module docs); always within
    /// `never_executed_factor..=executed_factor` (clamped to sane values).
    pub fn factor(&self, e: &ExecutionEvidence) -> f64 {
        let strength = self.strength(e.environment);
        if e.executed() {
            let top = if self.executed_factor.is_finite() {
                self.executed_factor.max(1.0)
            } else {
                1.0
            };
            let sat = if self.hits_saturation.is_finite() {
                self.hits_saturation.max(1.0)
            } else {
                1.0
            };
            let volume = ((1.0 + e.hits as f64).ln() / (1.0 + sat).ln()).min(1.0);
            1.0 + (top - 1.0) * strength * (1.0 + volume) / 2.0
        } else {
            let low = if self.never_executed_factor.is_finite() {
                self.never_executed_factor.clamp(0.01, 1.0)
            } else {
                1.0
            };
            1.0 - (1.0 - low) * strength
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(env: CoverageEnvironment, hits: u64) -> ExecutionEvidence {
        ExecutionEvidence {
            environment: env,
            hits,
            path: "app/views.py".into(),
            lines: "5".into(),
            report: "prod.info (lcov)".into(),
            recorded_at: "2026-12-01".into(),
        }
    }

    #[test]
    fn defaults_give_the_documented_factors() {
        let w = ExecutionWeights::default();
        let f = |env, hits| (w.factor(&ev(env, hits)) * 100.0).round() / 100.0;
        use CoverageEnvironment::*;
        assert_eq!(f(Production, 12_000), 1.3);
        assert_eq!(f(Production, 1), 1.16);
        assert_eq!(f(Test, 12_000), 1.09);
        assert_eq!(f(Production, 0), 0.6);
        assert_eq!(f(Staging, 0), 0.76);
        assert_eq!(f(Test, 0), 0.88);
        assert!(w.validate().is_empty());
        assert_eq!(
            ev(Production, 12_000).value(),
            "executed 12,000 times in production"
        );
        assert_eq!(
            ev(Production, 12_000).source(),
            "coverage prod.info (lcov) of 2026-12-01, production: app/views.py line 5, 12,000 hits"
        );
        assert_eq!(ev(Test, 0).value(), "never executed in test");
    }

    #[test]
    fn bad_weights_are_named() {
        let w = ExecutionWeights {
            executed_factor: 0.9,
            test_strength: 0.9,
            ..ExecutionWeights::default()
        };
        assert_eq!(w.validate().len(), 2);
    }

    #[test]
    fn coverage_decides_the_reachability_term_of_an_assessment() {
        use crate::{RiskInput, RiskWeights, assess};
        use posture_model::Severity;
        let w = RiskWeights::default();
        let score = |e: Option<ExecutionEvidence>| {
            let mut i = RiskInput::new(Severity::High);
            i.execution = e;
            assess(&i, &w)
        };
        let unknown = score(None);
        let hot = score(Some(ev(CoverageEnvironment::Production, 12_000)));
        let hot_in_tests = score(Some(ev(CoverageEnvironment::Test, 12_000)));
        let cold = score(Some(ev(CoverageEnvironment::Production, 0)));
        let cold_in_tests = score(Some(ev(CoverageEnvironment::Test, 0)));
        assert!(hot.score > hot_in_tests.score && hot_in_tests.score > unknown.score);
        assert!(unknown.score > cold_in_tests.score && cold_in_tests.score > cold.score);
        assert!(cold.score > 0.0, "demoted, never to zero");
        let term = hot.terms.iter().find(|t| t.name == "reachability").unwrap();
        assert_eq!(term.value, "executed 12,000 times in production");
        assert!(
            term.source.contains("app/views.py line 5, 12,000 hits"),
            "{}",
            term.source
        );
        assert!(term.contribution > 0.0);
        let term = unknown
            .terms
            .iter()
            .find(|t| t.name == "reachability")
            .unwrap();
        assert_eq!((term.value.as_str(), term.weight), ("unknown", 1.0));
    }

    fn env() -> impl Strategy<Value = CoverageEnvironment> {
        prop_oneof![
            Just(CoverageEnvironment::Production),
            Just(CoverageEnvironment::Staging),
            Just(CoverageEnvironment::Test)
        ]
    }

    proptest! {
        /// More hits never lower the factor; executed never below 1, never run never above 1;
        /// everything within the bounds; production moves a score at least as much as tests.
        #[test]
        fn factor_is_monotonic_and_bounded(e in env(), a in 0u64..1_000_000_000, b in 0u64..1_000_000_000) {
            let w = ExecutionWeights::default();
            let (lo, hi) = (a.min(b), a.max(b));
            let (fl, fh) = (w.factor(&ev(e, lo)), w.factor(&ev(e, hi)));
            prop_assert!(fl <= fh);
            prop_assert!((0.6..=1.3).contains(&fl) && (0.6..=1.3).contains(&fh));
            if hi > 0 { prop_assert!(fh >= 1.0); } else { prop_assert!(fh <= 1.0); }
            let prod = w.factor(&ev(CoverageEnvironment::Production, hi));
            let test = w.factor(&ev(CoverageEnvironment::Test, hi));
            prop_assert!((prod - 1.0).abs() >= (test - 1.0).abs());
        }
    }
}
