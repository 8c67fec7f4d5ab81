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
    assert_eq!(a.model_version, "posture-risk/3");
    insta::assert_json_snapshot!("log4shell_internet_prod_tier1", a);

    let b = assess(&medium_internal_test(), &w());
    assert_eq!(b.band, Band::P4);
    assert_eq!(b.ssvc.decision, SsvcOutcome::Track);
    insta::assert_json_snapshot!("medium_internal_test_unreachable", b);

    let c = assess(&RiskInput::new(Severity::High), &w());
    // No evidence at all: 50 x 8.0/10 = 40 points, every other term neutral
    // (`posture-risk/2`: 60 x 8.0/10 = 48).
    assert_eq!(c.score, 40.0);
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
    assert_eq!(weights.severity_points, 50.0);
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
    // The weights of `posture-risk/2`, where KEV points are added on top: the numbers below.
    let old = RiskWeights::posture_risk_2();
    assert!(diff_models(&old, &old, &inputs).is_empty());
    let new = RiskWeights {
        kev_points: 30.0,
        ..RiskWeights::posture_risk_2()
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
        ..RiskWeights::posture_risk_2()
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
        maturity in prop::option::of(maturity()),
        public_exploit in any::<bool>(),
        fix_available in opt_bool(),
    ) -> RiskInput {
        RiskInput {
            severity: sev,
            cvss,
            epss: epss.map(|(p, q)| EpssFact::new(p, q)),
            kev: kev.map(|r| KevFact { known_ransomware: r, ..KevFact::default() }),
            reachability: reach,
            asset,
            exploit_maturity: maturity,
            public_exploit,
            fix_available,
            ..RiskInput::default()
        }
    }
}

fn maturity() -> impl Strategy<Value = ExploitMaturity> {
    prop::sample::select(vec![
        ExploitMaturity::Unreported,
        ExploitMaturity::ProofOfConcept,
        ExploitMaturity::Functional,
        ExploitMaturity::Attacked,
    ])
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

    /// `posture-risk/3`: a KEV-listed finding outranks every unlisted finding of the same asset
    /// (and the same reachability evidence), whatever their severities, EPSS, exploit maturity
    /// and fixes.
    #[test]
    fn kev_listed_outranks_every_unlisted_of_the_same_asset(listed in input(), unlisted in input()) {
        let mut listed = listed;
        listed.kev = Some(KevFact::default());
        let mut unlisted = unlisted;
        unlisted.kev = None;
        unlisted.asset = listed.asset.clone();
        unlisted.reachability = listed.reachability;
        let (a, b) = (assess(&listed, &w()), assess(&unlisted, &w()));
        prop_assert!(outranks(&a, &b), "{} ({}) vs {} ({})", a.score, a.raw_score, b.score, b.raw_score);
    }

    /// `posture-risk/3`: EPSS below 1%, no KEV listing and no exploit: never P1, whatever the
    /// severity, the asset and the reachability.
    #[test]
    fn low_epss_unlisted_never_reaches_p1_on_severity_alone(i in input(), p in 0.0f64..0.01, q in 0.0f64..=1.0) {
        let mut i = i;
        i.kev = None;
        i.epss = Some(EpssFact::new(p, q));
        i.public_exploit = false;
        if i.exploit_maturity != Some(ExploitMaturity::Unreported) {
            i.exploit_maturity = None;
        }
        i.cvss = Some(i.cvss.unwrap_or(10.0));
        let a = assess(&i, &w());
        prop_assert!(a.band > Band::P1, "{} {:?}", a.score, a.band);
        prop_assert!(a.score < w().bands.p1);
    }

    #[test]
    fn monotonic_in_exploit_maturity(i in input(), a in maturity(), b in maturity()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut x = i.clone();
        x.exploit_maturity = Some(lo);
        let mut y = i;
        y.exploit_maturity = Some(hi);
        let (sx, sy) = (assess(&x, &w()), assess(&y, &w()));
        prop_assert!(sx.raw_score <= sy.raw_score && sx.score <= sy.score);
    }

    #[test]
    fn a_fix_never_lowers_and_no_fix_is_like_unknown(i in input()) {
        let mut fixed = i.clone();
        fixed.fix_available = Some(true);
        let mut none = i.clone();
        none.fix_available = Some(false);
        let mut unknown = i;
        unknown.fix_available = None;
        let (f, n, u) = (assess(&fixed, &w()), assess(&none, &w()), assess(&unknown, &w()));
        prop_assert!(f.raw_score >= n.raw_score && f.score >= n.score);
        prop_assert_eq!(n.score, u.score);
        let term = n.terms.iter().find(|t| t.name == "fix").unwrap();
        prop_assert_eq!(term.value.as_str(), "no fix yet");
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
        let expected = w().severity_points * c / 10.0;
        prop_assert!((a.raw_score - expected).abs() < 1e-9, "{} vs {}", a.raw_score, expected);
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
/// internet-facing, production asset with PCI data. (`posture-risk/3`: the unlisted high,
/// without any exploitation evidence, is no longer P1 there: 44 x 1.742 = 76.7, P2.)
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
        a.score < 100.0 && a.band == Band::P1 && b.band == Band::P2,
        "{} / {}",
        a.score,
        b.score
    );
}

/// The issue's observation: a KEV-listed medium ranked below an unlisted critical whose EPSS
/// is 0.1% in an internet-facing production asset (`posture-risk/2`); `posture-risk/3` turns
/// that round, and says so through `diff_models`.
#[test]
fn a_kev_listed_medium_outranks_an_unlisted_critical_with_low_epss() {
    let asset = AssetContext {
        internet_facing: Some(true),
        production: Some(true),
        ..AssetContext::default()
    };
    let mut medium = RiskInput::new(Severity::Medium);
    medium.cvss = Some(5.3);
    medium.epss = Some(EpssFact::new(0.02, 0.8));
    medium.kev = Some(KevFact::default());
    medium.asset = asset.clone();
    let mut critical = RiskInput::new(Severity::Critical);
    critical.cvss = Some(9.8);
    critical.cvss_vector = Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into());
    critical.epss = Some(EpssFact::new(0.001, 0.4));
    critical.asset = asset;
    let v2 = RiskWeights::posture_risk_2();
    let (m2, c2) = (assess(&medium, &v2), assess(&critical, &v2));
    assert!(m2.score < c2.score, "v2: {} vs {}", m2.score, c2.score);
    let (m3, c3) = (assess(&medium, &w()), assess(&critical, &w()));
    assert!(m3.score > c3.score, "v3: {} vs {}", m3.score, c3.score);
    assert_eq!((m3.band, c3.band), (Band::P1, Band::P2));
    let ceiling = c3
        .terms
        .iter()
        .find(|t| t.name == "exploitation-ceiling")
        .expect("the critical is held below P1");
    assert!(ceiling.contribution < 0.0);
    let inputs = vec![
        ("medium".to_string(), medium),
        ("critical".to_string(), critical),
    ];
    let moves = diff_models(&v2, &w(), &inputs);
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert!(moves.iter().all(|m| m.old_score != m.new_score));
}

#[test]
fn exploitation_weighs_at_least_as_much_as_severity() {
    let w = w();
    let exploitation = w.epss_probability_points
        + w.epss_percentile_points
        + w.exploit_attacked_points.max(w.exploit_functional_points);
    assert!(exploitation >= w.severity_points);
    assert!(w.kev_above_unlisted && w.unlisted_ceiling() + w.kev_points > w.severity_points);
}

#[test]
fn exploit_maturity_from_cvss_vectors() {
    for (v, m) in [
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
            Some(ExploitMaturity::Attacked),
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P",
            Some(ExploitMaturity::ProofOfConcept),
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
            Some(ExploitMaturity::Unreported),
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X",
            None,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H/RL:O/RC:C",
            Some(ExploitMaturity::Attacked),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F",
            Some(ExploitMaturity::Functional),
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P",
            Some(ExploitMaturity::ProofOfConcept),
        ),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None),
        (
            "(AV:N/AC:L/Au:N/C:C/I:C/A:C/E:POC)",
            Some(ExploitMaturity::ProofOfConcept),
        ),
    ] {
        assert_eq!(ExploitMaturity::from_vector(v), m, "{v}");
    }
    // Through the model: the vector's E metric is a term with its source.
    let mut i = RiskInput::new(Severity::High);
    i.cvss = Some(8.1);
    i.cvss_vector = Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H".into());
    i.cvss_source = Some("nvd".into());
    let a = assess(&i, &w());
    let t = a
        .terms
        .iter()
        .find(|t| t.name == "exploit-maturity")
        .unwrap();
    assert_eq!(
        (t.value.as_str(), t.contribution, t.source.as_str()),
        ("attacked", 20.0, "CVSS vector E metric (nvd)")
    );
    // A public exploit reference is a proof of concept.
    i.cvss_vector = None;
    i.public_exploit = true;
    let a = assess(&i, &w());
    let t = a
        .terms
        .iter()
        .find(|t| t.name == "exploit-maturity")
        .unwrap();
    assert_eq!(
        (t.value.as_str(), t.contribution),
        ("proof of concept", 10.0)
    );
}

/// Security only (issue 15): a result every tool calls code quality stays below the security
/// bands, however critical its asset, and says why; the same result without the mark ranks
/// as before.
#[test]
fn code_quality_never_enters_the_security_bands() {
    let mut security = RiskInput::new(Severity::High);
    security.asset = log4shell().asset;
    let before = assess(&security, &w());
    assert!(before.band <= Band::P2, "{:?}", before.band);
    let mut quality = security.clone();
    quality.quality = Some("SARIF tags: reliability, correctness".into());
    let a = assess(&quality, &w());
    assert_eq!(a.band, Band::P4, "{a:?}");
    assert!(a.score < w().bands.p3, "{}", a.score);
    let term = a
        .terms
        .iter()
        .find(|t| t.name == "quality")
        .expect("quality term");
    assert_eq!(term.source, "SARIF tags: reliability, correctness");
    assert!(term.contribution < 0.0);
    let sum: f64 = a.terms.iter().map(|t| t.contribution).sum();
    assert!((sum - a.score).abs() <= 0.15, "{sum} vs {}", a.score);
    // a low-scoring quality result is left as it is (no term)
    let mut low = RiskInput::new(Severity::Low);
    low.quality = quality.quality.clone();
    assert!(assess(&low, &w()).terms.iter().all(|t| t.name != "quality"));
}
