//! `posture risk evaluate`: does the ranking put exploitation first? Over the open findings
//! (all assets, or one), the figures an AppSec engineer would check before trusting the top of
//! the queue, for the current model and an earlier one side by side:
//!
//! * the share of KEV-listed findings that rank in the top 10%;
//! * the share of the top 20 with exploitation evidence (KEV, EPSS of 1% or more, or an
//!   exploit maturity above "unreported");
//! * the number of low-severity findings (by the rating that counts: the distribution's for
//!   OS packages) in the top 10 and the top 20;
//! * how many code-quality results sit in the bands P1-P3 (must be none).

use crate::risk::AssessedFinding;
use posture_model::Severity;
use posture_risk::{Band, ExploitMaturity, RiskWeights};
use serde::Serialize;

/// The figures of one model over one set of findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankingFigures {
    pub model: String,
    pub findings: usize,
    pub kev_listed: usize,
    /// How many of the KEV-listed rank in the top 10% (`top_decile` findings).
    pub kev_in_top_decile: usize,
    pub top_decile: usize,
    /// `kev_in_top_decile / min(kev_listed, top_decile)`: 1.0 when the top 10% holds every
    /// KEV-listed finding it has room for.
    pub kev_share_in_top_decile: f64,
    /// Of the top 20: with exploitation evidence.
    pub top20_with_exploitation: usize,
    pub top20: usize,
    pub low_in_top10: usize,
    pub low_in_top20: usize,
    /// Code-quality results in P1-P3.
    pub quality_in_security_bands: usize,
    pub bands: [usize; 4],
}

fn exploited(f: &AssessedFinding) -> bool {
    f.input.kev.is_some()
        || f.input.epss.as_ref().is_some_and(|e| e.probability >= 0.01)
        || f.input
            .maturity()
            .is_some_and(|(m, _)| m > ExploitMaturity::Unreported)
}

/// The figures for `findings` scored under `weights` (named `model`).
pub fn figures(findings: &[AssessedFinding], weights: &RiskWeights, model: &str) -> RankingFigures {
    let mut scored: Vec<(f64, f64, i64, &AssessedFinding)> = findings
        .iter()
        .map(|f| {
            let a = posture_risk::assess(&f.input, weights);
            (a.score, a.raw_score, f.finding.id, f)
        })
        .collect();
    // the order every list uses: score, then the unrounded score, then the id
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
    });
    let n = scored.len();
    let decile = n.div_ceil(10);
    let kev_listed = scored.iter().filter(|s| s.3.input.kev.is_some()).count();
    let kev_in_top_decile = scored[..decile]
        .iter()
        .filter(|s| s.3.input.kev.is_some())
        .count();
    let room = kev_listed.min(decile);
    let low = |s: &&(f64, f64, i64, &AssessedFinding)| {
        s.3.input.severity == Severity::Low || s.3.input.cvss.is_some_and(|c| c < 4.0)
    };
    let top = |k: usize| &scored[..k.min(n)];
    let mut bands = [0usize; 4];
    let mut quality = 0;
    for (score, ..) in &scored {
        let band = weights.band(*score);
        bands[band as usize] += 1;
    }
    for s in &scored {
        if s.3.input.quality.is_some() && weights.band(s.0) != Band::P4 {
            quality += 1;
        }
    }
    RankingFigures {
        model: model.to_string(),
        findings: n,
        kev_listed,
        kev_in_top_decile,
        top_decile: decile,
        kev_share_in_top_decile: if room == 0 {
            1.0
        } else {
            (kev_in_top_decile as f64 / room as f64 * 1000.0).round() / 1000.0
        },
        top20_with_exploitation: top(20).iter().filter(|s| exploited(s.3)).count(),
        top20: top(20).len(),
        low_in_top10: top(10).iter().filter(low).count(),
        low_in_top20: top(20).iter().filter(low).count(),
        quality_in_security_bands: quality,
        bands,
    }
}
