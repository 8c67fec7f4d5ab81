//! The policy crate: parsing, diagnostics with positions, evaluation, validity windows, modes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use posture_policy::{Action, Mode, Policy, PolicyContext, RenderStyle};

const EXAMPLE: &str = include_str!("../../../examples/policy.toml");

fn now() -> jiff::Timestamp {
    "2026-06-15T12:00:00Z".parse().unwrap()
}

fn example() -> Policy {
    Policy::parse(EXAMPLE, "examples/policy.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn ctx(
    severity: &str,
    tags: &[&str],
    data: &[&str],
    compliance: &[&str],
    age: i64,
) -> PolicyContext {
    let mut c = PolicyContext::sample();
    c.finding.severity = severity.to_string();
    c.finding.severity_rank = posture_policy::severity_rank(severity);
    c.finding.age_days = age;
    c.finding.kev = false;
    c.asset.tags = tags.iter().map(|s| s.to_string()).collect();
    c.asset.data = data.iter().map(|s| s.to_string()).collect();
    c.asset.compliance = compliance.iter().map(|s| s.to_string()).collect();
    c.asset.exposure = "internal".into();
    c
}

fn ids(p: &Policy, c: &PolicyContext) -> Vec<String> {
    p.evaluate(c, now())
        .into_iter()
        .map(|m| m.rule_id)
        .collect()
}

#[test]
fn policy_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Policy>();
}

#[test]
fn the_example_file_parses_with_every_rule() {
    let p = example();
    let ids: Vec<&str> = p.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "prod-high-blocks",
            "customer-data-critical-needs-vp",
            "customer-data-critical-blocks",
            "pci-older-than-30-days-escalate",
            "pci-older-than-30-days-blocks",
            "internet-facing-critical-sla",
            "kev-anywhere-log-only"
        ]
    );
    assert_eq!(p.rules()[0].line, 13);
}

#[test]
fn example_1_high_in_production_tagged_asset_blocks() {
    let p = example();
    let m = p.evaluate(&ctx("high", &["production"], &[], &[], 1), now());
    assert_eq!(m.len(), 1);
    assert!(m[0].blocks());
    assert_eq!(m[0].rule_id, "prod-high-blocks");
    // critical too; medium and non-production do not
    assert_eq!(
        ids(&p, &ctx("critical", &["production"], &[], &[], 1)),
        ["prod-high-blocks"]
    );
    assert!(ids(&p, &ctx("medium", &["production"], &[], &[], 1)).is_empty());
    assert!(ids(&p, &ctx("high", &["staging"], &[], &[], 1)).is_empty());
}

#[test]
fn example_2_critical_in_customer_data_service_needs_vp_to_defer() {
    let p = example();
    let c = ctx("critical", &[], &["customer-data"], &[], 1);
    let roles = p.required_roles(&c, "accepted", now());
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0].action,
        Action::RequireApproval {
            role: "vp".into(),
            states: vec!["accepted".into()],
            max_days: None,
            allow_unauthenticated: true,
        }
    );
    assert!(p.required_roles(&c, "false-positive", now()).is_empty());
    assert!(p.evaluate(&c, now()).iter().any(|m| m.blocks()));
    // a high in the same service needs nothing
    let high = ctx("high", &[], &["customer-data"], &[], 1);
    assert!(p.required_roles(&high, "accepted", now()).is_empty());
}

#[test]
fn example_3_findings_older_than_30_days_in_pci_services_escalate() {
    let p = example();
    let old = ctx("low", &[], &[], &["pci-dss"], 40);
    let m = p.evaluate(&old, now());
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0].action,
        Action::Escalate {
            after_days: Some(30),
            target: Some("jira:SEC".into())
        }
    );
    assert!(!m[0].blocks());
    assert_eq!(m[1].rule_id, "pci-older-than-30-days-blocks");
    assert!(m[1].blocks());
    assert!(ids(&p, &ctx("low", &[], &[], &["pci-dss"], 29)).is_empty());
    // 30 days old: escalated (`after_days` is inclusive), not yet blocking (`> 30`)
    assert_eq!(
        ids(&p, &ctx("low", &[], &["pci"], &[], 30)),
        ["pci-older-than-30-days-escalate"]
    );
    assert!(ids(&p, &ctx("low", &[], &[], &["soc2"], 400)).is_empty());
}

#[test]
fn set_sla_first_enforced_match_wins() {
    let p = Policy::parse(
        r#"
[[rule]]
id = "trial"
when = 'finding.severity == "critical"'
action = "set_sla"
days = 1
mode = "log-only"

[[rule]]
id = "internet"
when = 'asset.exposure == "internet-facing"'
action = "set_sla"
days = 3

[[rule]]
id = "all"
when = 'true'
action = "set_sla"
days = 5
"#,
        "p.toml",
    )
    .unwrap();
    let mut c = PolicyContext::sample();
    c.finding.severity = "critical".into();
    assert_eq!(p.sla_days(&c, now()), Some((3, "internet".to_string())));
    c.asset.exposure = "internal".into();
    assert_eq!(p.sla_days(&c, now()), Some((5, "all".to_string())));
}

#[test]
fn log_only_rules_are_reported_but_never_block() {
    let p = example();
    let mut c = ctx("low", &[], &[], &[], 1);
    c.finding.kev = true;
    let m = p.evaluate(&c, now());
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].rule_id, "kev-anywhere-log-only");
    assert_eq!(m[0].mode, Mode::LogOnly);
    assert_eq!(m[0].action, Action::Block);
    assert!(!m[0].blocks());
}

#[test]
fn validity_windows_are_inclusive_utc_dates() {
    let p = Policy::parse(
        r#"
[[rule]]
id = "windowed"
when = "true"
action = "block"
valid_from = "2026-06-01"
valid_until = 2026-06-30
"#,
        "p.toml",
    )
    .unwrap();
    let c = PolicyContext::sample();
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    assert!(p.evaluate(&c, at("2026-05-31T23:59:59Z")).is_empty());
    assert_eq!(p.evaluate(&c, at("2026-06-01T00:00:00Z")).len(), 1);
    assert_eq!(p.evaluate(&c, at("2026-06-30T23:59:59Z")).len(), 1);
    assert!(p.evaluate(&c, at("2026-07-01T00:00:00Z")).is_empty());
    // the example's trial rule ends 2027-12-31
    let e = example();
    let mut k = ctx("low", &[], &[], &[], 1);
    k.finding.kev = true;
    assert!(e.evaluate(&k, at("2028-01-01T00:00:00Z")).is_empty());
}

#[test]
fn null_comparisons_are_evaluation_errors_not_passes() {
    let p = Policy::parse(
        "[[rule]]\nid = \"late\"\nwhen = 'finding.sla.days_left < 0'\naction = \"block\"\n",
        "p.toml",
    )
    .unwrap();
    let mut c = PolicyContext::sample();
    c.finding.sla.days_left = Some(-2);
    assert_eq!(p.evaluate(&c, now()).len(), 1);
    c.finding.sla.days_left = None;
    let e = p.evaluate_checked(&c, now());
    assert!(e.matches.is_empty());
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].rule_id, "late");
}

#[test]
fn cel_features_policies_need() {
    let p = Policy::parse(
        r#"
[[rule]]
id = "a"
when = 'finding.cwe.exists(c, c == "CWE-89") && finding.risk >= 40.0 && finding.path.startsWith("src/")'
action = "warn"

[[rule]]
id = "b"
when = 'finding.reachable == true && finding.epss > 0.05 && size(finding.tools) == 1 && owner.team in ["payments", "identity"]'
action = "warn"

[[rule]]
id = "c"
when = 'finding.rule_id.matches("^python\\.") && asset.criticality == "tier-1"'
action = "warn"
"#,
        "p.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&p, &PolicyContext::sample()), ["a", "b", "c"]);
}

const BROKEN: &str = r#"[[rule]]
id = "one"
when = 'finding.sevrity == "high"'
action = "block"
colour = "red"

[[rule]]
id = "two"
when = 'finding.severity == '
action = "blok"

[[rule]]
id = "three"
when = 'finding.severity == "critical"'
action = "require_approval"

[[rule]]
id = "four"
description = "not a boolean"
when = 'finding.age_days + 1'
action = "warn"
mode = "dry-run"
valid_from = "June"
"#;

#[test]
fn every_error_is_reported_at_once_with_line_and_column() {
    let err = Policy::parse(BROKEN, "policy.toml").unwrap_err();
    let got: Vec<(&str, usize, usize)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code, d.line, d.column))
        .collect();
    assert_eq!(
        got,
        [
            ("P008", 3, 17),  // finding.sevrity: the field itself
            ("P002", 5, 1),   // colour
            ("P007", 9, 29),  // CEL syntax: the expression ends early
            ("P005", 10, 10), // blok
            ("P006", 15, 10), // require_approval without role
            ("P009", 20, 8),  // not a boolean
            ("P010", 22, 8),  // mode
            ("P010", 23, 14), // valid_from
        ],
        "{err}"
    );
    let text = err.render(RenderStyle::Plain);
    assert!(text.contains("did you mean `severity`?"), "{text}");
    assert!(text.contains("did you mean `block`?"), "{text}");
    assert!(text.contains("policy.toml:3:17"), "{text}");
    assert!(text.ends_with("error: policy.toml has 8 errors"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn structural_errors() {
    let err = Policy::parse("rule = 3\nextra = 1\n", "p.toml").unwrap_err();
    assert_eq!(err.codes(), ["P003", "P002"]);
    let err = Policy::parse(
        "[[rule]]\ndescription = \"x\"\n\n[[rule]]\nid = \"a\"\nwhen = 'true'\naction = \"block\"\nrole = \"vp\"\n\n[[rule]]\nid = \"a\"\nwhen = 'nobody.team == \"x\"'\naction = \"set_sla\"\n",
        "p.toml",
    )
    .unwrap_err();
    assert_eq!(
        err.codes(),
        ["P004", "P004", "P004", "P012", "P011", "P008", "P004"],
        "{err}"
    );
    let err = Policy::parse("[[rule]\nid = 1", "p.toml").unwrap_err();
    assert_eq!(err.codes()[0], "P001");
    assert_eq!(err.diagnostics()[0].line, 1);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any text as a policy file: parsed or refused with diagnostics inside the text.
        #[test]
        fn on_any_file(text in "\\PC{0,200}") {
            match Policy::parse(&text, "p.toml") {
                Ok(_) => {}
                Err(e) => {
                    prop_assert!(!e.diagnostics().is_empty());
                    for d in e.diagnostics() {
                        prop_assert!(d.span.end <= text.len());
                    }
                    let _ = e.render(RenderStyle::Plain);
                }
            }
        }

        /// Any expression in `when`: compiled and checked, or refused with a position.
        #[test]
        fn on_any_expression(expr in "[a-z_.()\\[\\]\"' <>=!&|+*0-9,]{0,60}") {
            let text = format!("[[rule]]\nid = \"r\"\nwhen = '''{expr}'''\naction = \"warn\"\n");
            match Policy::parse(&text, "p.toml") {
                Ok(p) => {
                    // evaluation never panics either
                    let _ = p.evaluate_checked(&PolicyContext::sample(), now());
                    let _ = p.evaluate_checked(&PolicyContext::default(), now());
                }
                Err(e) => {
                    for d in e.diagnostics() {
                        prop_assert!(d.span.end <= text.len());
                        prop_assert!(d.line >= 1 && d.line <= 5, "{}", e);
                    }
                }
            }
        }
    }
}
