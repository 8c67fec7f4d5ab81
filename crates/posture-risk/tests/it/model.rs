//! The risk model's promises, as properties and as snapshots of explained assessments.

use posture_model::Severity;
use posture_risk::*;
use proptest::prelude::*;

fn w() -> RiskWeights {
    RiskWeights::default()
}

fn log4shell() -> RiskInput {
    let mut i = RiskInput::new(Severity::Critical);
    i.cvss = Some(10.0);
    i.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into());
    i.cvss_source = Some("nvd".into());
    i.epss = Some(EpssFact {
        probability: 0.94358,
        percentile: 0.9995,
        model_version: Some("v2025.03.14".into()),
        score_date: Some(jiff::civil::date(2025, 8, 25)),
        source: None,
    });
    i.kev = Some(KevFact {
        catalog_version: Some("2025.08.25".into()),
        date_added: Some(jiff::civil::date(2021, 12, 10)),
        due_date: Some(jiff::civil::date(2021, 12, 24)),
        known_ransomware: true,
    });
    i.reachability = Reachability::Reachable;
    i.reachability_source = Some("call graph (govulncheck)".into());
    i.asset = AssetContext {
        name: Some("payments-api".into()),
        criticality: Some(Criticality::Tier1),
        internet_facing: Some(true),
        production: Some(true),
        data_classes: vec!["pci".into(), "customer_data".into()],
        source: Some("asset config".into()),
    };
    i
}

fn medium_internal_test() -> RiskInput {
    let mut i = RiskInput::new(Severity::Medium);
    i.cvss = Some(5.3);
    i.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N".into());
    i.cvss_source = Some("ghsa".into());
    i.epss = Some(EpssFact::new(0.00043, 0.118));
    i.reachability = Reachability::Unreachable;
    i.asset = AssetContext {
        name: Some("build-tools".into()),
        criticality: Some(Criticality::Tier3),
        internet_facing: Some(false),
        production: Some(false),
        data_classes: vec![],
        source: Some("asset config".into()),
    };
    i
}

#[test]
fn explained_assessments() {
    let a = assess(&log4shell(), &w());
    assert_eq!(a.score, 100.0);
    assert_eq!(a.band, Band::P1);
    assert_eq!(a.ssvc.decision, SsvcOutcome::Act);
    assert_eq!(a.model_version, "posture-risk/2");
    insta::assert_json_snapshot!("log4shell_internet_prod_tier1", a);

    let b = assess(&medium_internal_test(), &w());
    assert_eq!(b.band, Band::P4);
    assert_eq!(b.ssvc.decision, SsvcOutcome::Track);
    insta::assert_json_snapshot!("medium_internal_test_unreachable", b);

    let c = assess(&RiskInput::new(Severity::High), &w());
    // No evidence at all: 60 x 8.0/10 = 48 points, every other term neutral.
    assert_eq!(c.score, 48.0);
    assert_eq!(c.band, Band::P3);
    insta::assert_json_snapshot!("high_severity_no_evidence", c);
}

#[test]
fn the_default_weights() {
    assert!(w().validate().is_empty(), "{:?}", w().validate());
    insta::assert_json_snapshot!("default_weights", w());
}

#[test]
fn a_config_overrides_only_what_it_names() {
    let weights: RiskWeights = serde_json::from_str(
        r#"{"kev_points": 25, "bands": {"p1": 85}, "data_class_weights": {"pci": 0.15}}"#,
    )
    .unwrap();
    assert_eq!(weights.kev_points, 25.0);
    assert_eq!(weights.bands.p1, 85.0);
    assert_eq!(weights.bands.p2, 55.0);
    assert_eq!(weights.severity_points, 60.0);
    // A map is replaced whole, not merged: say so by testing it.
    assert_eq!(weights.data_class_weights.len(), 1);
    let bad: RiskWeights =
        serde_json::from_str(r#"{"reachable_factor": 0.5, "unreachable_factor": -1}"#).unwrap();
    let problems = bad.validate();
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn terms_add_up_to_the_score_and_name_their_sources() {
    for input in [
        log4shell(),
        medium_internal_test(),
        RiskInput::new(Severity::Low),
    ] {
        let a = assess(&input, &w());
        let sum: f64 = a.terms.iter().map(|t| t.contribution).sum();
        assert!((sum - a.score).abs() <= 0.15, "{sum} vs {}", a.score);
    }
    let a = assess(&log4shell(), &w());
    let source = |name: &str| {
        a.terms
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.source.clone())
            .unwrap()
    };
    assert_eq!(
        source("epss-probability"),
        "EPSS 2025-08-25 model v2025.03.14"
    );
    assert_eq!(source("kev"), "CISA KEV 2025.08.25");
    assert_eq!(source("exposure"), "asset config tag internet-facing");
    assert_eq!(
        source("data-classes"),
        "asset config tag customer-data, pci"
    );
    assert_eq!(source("severity"), "CVSS rating from nvd");
    assert!(
        a.terms
            .iter()
            .any(|t| t.name == "compression" && t.contribution < 0.0)
    );
}

#[test]
fn changing_the_weights_shows_what_moved() {
    let inputs = vec![
        ("log4shell".to_string(), log4shell()),
        ("medium".to_string(), medium_internal_test()),
        ("kev-only".to_string(), {
            let mut i = RiskInput::new(Severity::High);
            i.cvss = Some(7.5);
            i.kev = Some(KevFact::default());
            i
        }),
        ("plain".to_string(), RiskInput::new(Severity::High)),
    ];
    let old = w();
    assert!(diff_models(&old, &old, &inputs).is_empty());
    let new = RiskWeights {
        kev_points: 30.0,
        ..w()
    };
    let moves = diff_models(&old, &new, &inputs);
    // Log4Shell stays capped at 100 and the others are not in KEV: only `kev-only` moves,
    // 45 + 15 = 60 (P2) -> 45 + 30 = 75 (P2).
    assert_eq!(
        moves,
        vec![ModelMove {
            id: "kev-only".into(),
            old_score: 60.0,
            old_band: Band::P2,
            new_score: 75.0,
            new_band: Band::P2,
        }]
    );
    let stricter = RiskWeights {
        bands: BandThresholds {
            p1: 80.0,
            p2: 65.0,
            p3: 30.0,
        },
        ..w()
    };
    let moves = diff_models(&old, &stricter, &inputs);
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].old_band, moves[0].new_band), (Band::P2, Band::P3));
}

#[test]
fn ssvc_through_the_model() {
    // Active (EPSS above 0.5), automatable, total, tier-2 with pii: high -> Act.
    let mut i = RiskInput::new(Severity::Critical);
    i.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into());
    i.epss = Some(EpssFact::new(0.6, 0.99));
    i.asset.criticality = Some(Criticality::Tier2);
    i.asset.data_classes = vec!["PII".into()];
    let d = assess_ssvc(&i, &SsvcThresholds::default());
    assert_eq!(
        (
            d.exploitation,
            d.automatable,
            d.technical_impact,
            d.mission_wellbeing
        ),
        (
            Exploitation::Active,
            Automatable::Yes,
            TechnicalImpact::Total,
            MissionWellbeing::High
        )
    );
    assert_eq!(d.decision, SsvcOutcome::Act);
    assert_eq!(d.reasons.len(), 4);
    // The same outside production: medium -> Act still (active, yes, total, medium).
    i.asset.production = Some(false);
    assert_eq!(
        assess_ssvc(&i, &SsvcThresholds::default()).decision,
        SsvcOutcome::Act
    );
    // EPSS 0.2: public PoC; user interaction required: not automatable; tier-3: low -> Track.
    i.epss = Some(EpssFact::new(0.2, 0.95));
    i.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H".into());
    i.asset.criticality = Some(Criticality::Tier3);
    i.asset.data_classes.clear();
    i.asset.production = None;
    let d = assess_ssvc(&i, &SsvcThresholds::default());
    assert_eq!(
        (
            d.exploitation,
            d.automatable,
            d.mission_wellbeing,
            d.decision
        ),
        (
            Exploitation::PublicPoc,
            Automatable::No,
            MissionWellbeing::Low,
            SsvcOutcome::Track
        )
    );
    // v4 and v2 vectors are read too; no vector: not automatable, partial.
    i.cvss_vector = Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into());
    let d = assess_ssvc(&i, &SsvcThresholds::default());
    assert_eq!(
        (d.automatable, d.technical_impact),
        (Automatable::Yes, TechnicalImpact::Total)
    );
    i.cvss_vector = Some("AV:N/AC:L/Au:N/C:C/I:C/A:C".into());
    let d = assess_ssvc(&i, &SsvcThresholds::default());
    assert_eq!(
        (d.automatable, d.technical_impact),
        (Automatable::Yes, TechnicalImpact::Total)
    );
    i.cvss_vector = None;
    i.kev = Some(KevFact::default());
    i.asset.criticality = Some(Criticality::Tier1);
    let d = assess_ssvc(&i, &SsvcThresholds::default());
    assert_eq!(
        (
            d.exploitation,
            d.automatable,
            d.technical_impact,
            d.decision
        ),
        (
            Exploitation::Active,
            Automatable::No,
            TechnicalImpact::Partial,
            SsvcOutcome::Attend
        )
    );
    // A public exploit reference alone is a PoC.
    let mut j = RiskInput::new(Severity::High);
    j.public_exploit = true;
    assert_eq!(
        assess_ssvc(&j, &SsvcThresholds::default()).exploitation,
        Exploitation::PublicPoc
    );
}

#[test]
fn criticality_reads_common_spellings() {
    for (s, c) in [
        ("tier-1", Criticality::Tier1),
        ("Tier2", Criticality::Tier2),
        ("t3", Criticality::Tier3),
        ("3", Criticality::Tier3),
    ] {
        assert_eq!(s.parse::<Criticality>(), Ok(c));
    }
    assert!("gold".parse::<Criticality>().is_err());
}

// ---- properties ----

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}

fn opt_bool() -> impl Strategy<Value = Option<bool>> {
    prop::option::of(any::<bool>())
}

fn asset() -> impl Strategy<Value = AssetContext> {
    (
        prop::option::of(prop::sample::select(vec![
            Criticality::Tier1,
            Criticality::Tier2,
            Criticality::Tier3,
        ])),
        opt_bool(),
        opt_bool(),
        prop::collection::vec(
            prop::sample::select(vec!["pci", "pii", "phi", "customer-data", "public", "x"]),
            0..3,
        ),
    )
        .prop_map(
            |(criticality, internet_facing, production, classes)| AssetContext {
                criticality,
                internet_facing,
                production,
                data_classes: classes.into_iter().map(str::to_string).collect(),
                ..AssetContext::default()
            },
        )
}

prop_compose! {
    fn input()(
        sev in severity(),
        cvss in prop::option::of(0.0f64..=10.0),
        epss in prop::option::of((0.0f64..=1.0, 0.0f64..=1.0)),
        kev in prop::option::of(any::<bool>()),
        reach in prop::sample::select(vec![Reachability::Reachable, Reachability::Unreachable, Reachability::Unknown]),
        asset in asset(),
    ) -> RiskInput {
        RiskInput {
            severity: sev,
            cvss,
            epss: epss.map(|(p, q)| EpssFact::new(p, q)),
            kev: kev.map(|r| KevFact { known_ransomware: r, ..KevFact::default() }),
            reachability: reach,
            asset,
            ..RiskInput::default()
        }
    }
}

/// `a` outranks `b`: higher raw score, and a score at least as high (the cap and rounding may
/// make two scores equal, never reverse them).
fn outranks(a: &RiskAssessment, b: &RiskAssessment) -> bool {
    a.raw_score > b.raw_score && a.score >= b.score && a.band <= b.band
}

proptest! {
    #[test]
    fn score_is_always_within_0_and_100(i in input(), cvss in prop::option::of(any::<f64>()), p in any::<f64>(), q in any::<f64>()) {
        let mut i = i;
        let a = assess(&i, &w());
        prop_assert!((0.0..=100.0).contains(&a.score));
        // Garbage numbers too.
        i.cvss = cvss;
        i.epss = Some(EpssFact::new(p, q));
        let a = assess(&i, &w());
        prop_assert!((0.0..=100.0).contains(&a.score), "{}", a.score);
    }

    #[test]
    fn score_is_within_0_and_100_for_any_weights(
        i in input(),
        pts in prop::collection::vec(any::<f64>(), 5),
        facs in prop::collection::vec(any::<f64>(), 9),
    ) {
        let weights = RiskWeights {
            severity_points: pts[0], epss_probability_points: pts[1], epss_percentile_points: pts[2],
            kev_points: pts[3], ransomware_points: pts[4],
            internet_facing_factor: facs[0], internal_factor: facs[1], production_factor: facs[2],
            non_production_factor: facs[3], tier1_factor: facs[4], tier2_factor: facs[5],
            tier3_factor: facs[6], reachable_factor: facs[7], unreachable_factor: facs[8],
            ..w()
        };
        let a = assess(&i, &weights);
        prop_assert!((0.0..=100.0).contains(&a.score), "{}", a.score);
        prop_assert!(a.raw_score.is_finite());
    }

    #[test]
    fn kev_listed_outranks_not_listed_of_equal_cvss(i in input()) {
        let mut listed = i.clone();
        listed.kev = Some(KevFact::default());
        let mut not = i;
        not.kev = None;
        prop_assert!(outranks(&assess(&listed, &w()), &assess(&not, &w())));
    }

    #[test]
    fn internet_facing_production_outranks_internal_test(i in input()) {
        let mut exposed = i.clone();
        exposed.asset.internet_facing = Some(true);
        exposed.asset.production = Some(true);
        let mut internal = i;
        internal.asset.internet_facing = Some(false);
        internal.asset.production = Some(false);
        let (a, b) = (assess(&exposed, &w()), assess(&internal, &w()));
        if b.raw_score > 0.0 {
            prop_assert!(outranks(&a, &b));
        } else {
            prop_assert_eq!(a.score, 0.0);
        }
    }

    #[test]
    fn reachable_outranks_unknown_and_unknown_is_the_baseline(i in input()) {
        let mut reachable = i.clone();
        reachable.reachability = Reachability::Reachable;
        let mut unknown = i.clone();
        unknown.reachability = Reachability::Unknown;
        let mut unreachable = i;
        unreachable.reachability = Reachability::Unreachable;
        let (r, u, n) = (assess(&reachable, &w()), assess(&unknown, &w()), assess(&unreachable, &w()));
        // The no-evidence baseline: the same input with its reachability left at the default.
        let mut baseline = unknown.clone();
        baseline.reachability = RiskInput::default().reachability;
        prop_assert_eq!(&u, &assess(&baseline, &w()));
        let term = u.terms.iter().find(|t| t.name == "reachability").unwrap();
        prop_assert_eq!((term.weight, term.contribution), (1.0, 0.0));
        if u.raw_score > 0.0 {
            prop_assert!(outranks(&r, &u));
            prop_assert!(outranks(&u, &n));
            // Unreachable lowers but never to zero.
            prop_assert!(n.score > 0.0);
        }
    }

    #[test]
    fn unknown_facts_are_neutral(sev in severity(), cvss in prop::option::of(0.0f64..=10.0)) {
        let mut i = RiskInput::new(sev);
        i.cvss = cvss;
        let a = assess(&i, &w());
        let c = cvss.unwrap_or_else(|| w().severity_scale.score(sev));
        prop_assert!((a.raw_score - 6.0 * c).abs() < 1e-9, "{} vs {}", a.raw_score, 6.0 * c);
        for t in a.terms.iter().filter(|t| t.name != "severity") {
            prop_assert_eq!(t.contribution, 0.0, "{}", t.name);
        }
    }

    #[test]
    fn monotonic_in_cvss(i in input(), a in 0.0f64..=10.0, b in 0.0f64..=10.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut x = i.clone();
        x.cvss = Some(lo);
        let mut y = i;
        y.cvss = Some(hi);
        let (sx, sy) = (assess(&x, &w()), assess(&y, &w()));
        prop_assert!(sx.raw_score <= sy.raw_score && sx.score <= sy.score);
    }

    #[test]
    fn monotonic_in_epss(i in input(), p in (0.0f64..=1.0, 0.0f64..=1.0), q in (0.0f64..=1.0, 0.0f64..=1.0)) {
        let lo = EpssFact::new(p.0.min(q.0), p.1.min(q.1));
        let hi = EpssFact::new(p.0.max(q.0), p.1.max(q.1));
        let mut x = i.clone();
        x.epss = Some(lo);
        let mut y = i;
        y.epss = Some(hi);
        let (sx, sy) = (assess(&x, &w()), assess(&y, &w()));
        prop_assert!(sx.raw_score <= sy.raw_score && sx.score <= sy.score);
    }

    #[test]
    fn the_contributions_explain_the_score(i in input()) {
        let a = assess(&i, &w());
        let sum: f64 = a.terms.iter().map(|t| t.contribution).sum();
        prop_assert!((sum - a.score).abs() <= 0.15, "{} vs {}", sum, a.score);
        prop_assert!(a.terms.len() >= 10);
    }
}

/// `posture-risk/2` keeps the order of the most critical assets' findings, where version 1
/// capped them all at 100: a KEV-listed CVE outranks an unlisted one of equal CVSS in a tier-1,
/// internet-facing, production asset with PCI data.
#[test]
fn kev_outranks_in_the_most_critical_assets_too() {
    let asset = AssetContext {
        criticality: Some(Criticality::Tier1),
        internet_facing: Some(true),
        production: Some(true),
        data_classes: vec!["pci".into()],
        source: Some("asset config".into()),
        ..AssetContext::default()
    };
    let mut plain = RiskInput::new(Severity::High);
    plain.cvss = Some(8.8);
    plain.asset = asset.clone();
    let mut listed = plain.clone();
    listed.kev = Some(KevFact::default());
    let (a, b) = (assess(&listed, &w()), assess(&plain, &w()));
    assert!(a.score > b.score, "{} vs {}", a.score, b.score);
    assert!(
        a.score < 100.0 && b.score >= 80.0,
        "{} / {}",
        a.score,
        b.score
    );
}
