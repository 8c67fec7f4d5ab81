//! `posture.toml`: a valid portfolio and its lookups, then error reports (snapshots).

use posture_config::{Criticality, Environment, Exposure, parse_portfolio};

pub const EXAMPLE: &str = r#"# Acme's portfolio. Reviewed like code.

[risk]
# weights for the risk model
exposure = { internet-facing = 1.5, internal = 1.0 }
kev = 2

[correlation]
merge = 0.8
suggest = 0.5

[[team]]
name = "payments"
members = ["alice@example.com"]
aliases = ["@acme/payments-eng"]

[[team]]
name = "refunds"
members = ["@bob"]

[[team]]
name = "platform"

[[asset]]
name = "payments-api"   # the money path
team = "payments"
criticality = "tier-1"
environment = "production"
exposure = "internet-facing"
data = ["pci", "customer-data"]
compliance = ["pci-dss"]
tags = ["payments"]
repositories = ["github.com/acme/payments-api"]
images = ["ghcr.io/acme/payments-api"]
urls = ["https://pay.acme.example"]
codeowners = "CODEOWNERS"

[[asset]]
name = "checkout-web"
criticality = "tier-2"
environment = "staging"
exposure = "internal"
repositories = ["https://github.com/acme/checkout-web.git"]
images = ["acme/checkout-web"]
urls = ["https://shop.acme.example/checkout"]

# Refunds code lives in the payments repository.
[[owner]]
asset = "payments-api"
path = "src/refunds/**"
team = "refunds"

[[owner]]
path = "infra/"
team = "platform"
"#;

#[test]
fn example_portfolio_parses() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    assert_eq!(p.teams().len(), 3);
    assert_eq!(p.assets().len(), 2);
    let api = p.asset("payments-api").unwrap();
    assert_eq!(api.criticality, Some(Criticality::Tier1));
    assert_eq!(api.environment, Some(Environment::Production));
    assert_eq!(api.exposure, Some(Exposure::InternetFacing));
    assert_eq!(api.codeowners.as_deref(), Some("CODEOWNERS"));
    assert_eq!(p.asset_line("payments-api"), Some(24));
    assert_eq!(p.asset_line("checkout-web"), Some(38));
    assert_eq!(p.owner_rules()[0].line, 48);
    assert_eq!(p.correlation().merge, Some(0.8));
    assert_eq!(p.risk()["kev"], serde_json::json!(2));
    assert_eq!(
        p.risk()["exposure"]["internet-facing"],
        serde_json::json!(1.5)
    );
    assert_eq!(p.assets_of_team("payments").count(), 1);
    insta::assert_json_snapshot!(p);
}

#[test]
fn lookups() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let name = |a: Option<&posture_config::Asset>| a.map(|a| a.name.clone());
    assert_eq!(
        name(p.asset_for_repository("git@github.com:acme/payments-api.git")).as_deref(),
        Some("payments-api")
    );
    assert_eq!(
        name(p.asset_for_repository("https://GitHub.com/acme/checkout-web")).as_deref(),
        Some("checkout-web")
    );
    assert_eq!(name(p.asset_for_repository("github.com/acme/other")), None);
    assert_eq!(
        name(p.asset_for_image("ghcr.io/acme/payments-api:1.4.2")).as_deref(),
        Some("payments-api")
    );
    assert_eq!(
        name(p.asset_for_image("docker.io/acme/checkout-web@sha256:00")).as_deref(),
        Some("checkout-web")
    );
    assert_eq!(name(p.asset_for_image("ghcr.io/acme/payments")), None);
    assert_eq!(
        name(p.asset_for_url("https://pay.acme.example/api/v1?x=1")).as_deref(),
        Some("payments-api")
    );
    assert_eq!(
        name(p.asset_for_url("https://PAY.acme.example")).as_deref(),
        Some("payments-api")
    );
    assert_eq!(
        name(p.asset_for_url("https://pay.acme.example.evil.test/")),
        None
    );
    assert_eq!(
        name(p.asset_for_url("https://shop.acme.example/checkout/cart")).as_deref(),
        Some("checkout-web")
    );
    assert_eq!(
        name(p.asset_for_url("https://shop.acme.example/checkoutx")),
        None
    );
    assert_eq!(name(p.asset_for_url("https://shop.acme.example/")), None);
}

#[test]
fn empty_file_is_an_empty_portfolio() {
    let p = parse_portfolio("posture.toml", "").unwrap();
    assert!(p.assets().is_empty() && p.teams().is_empty() && p.risk().is_empty());
    assert_eq!(p.correlation().merge, None);
}

const MANY_ERRORS: &str = r#"[correlation]
merge = 0.4
suggest = 1.5

[[team]]
name = "payments"

[[team]]
name = "payments"

[[asset]]
name = "payments-api"
team = "paymnets"
criticality = "tier-0"
enviroment = "production"
tags = "payments"
repositories = ["github.com/acme/payments-api"]

[[asset]]
name = "payments-api"

[[asset]]
name = "checkout"
team = "payments"
exposure = "public"
repositories = ["https://github.com/acme/payments-api.git"]

[[owner]]
asset = "checkot"
path = "src/[refunds]/**"
team = "refunds"

[[owner]]
team = "payments"

[[asets]]
name = "x"
"#;

#[test]
fn every_error_is_reported_at_once() {
    let err = parse_portfolio("posture.toml", MANY_ERRORS).unwrap_err();
    let found: Vec<(usize, usize, &str)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.line, d.column, d.code))
        .collect();
    assert_eq!(
        found,
        [
            (3, 11, "config::threshold-range"),
            (9, 8, "config::duplicate-team"),
            (13, 8, "config::unknown-team"),
            (14, 15, "config::invalid-value"),
            (15, 1, "config::unknown-key"),
            (16, 8, "config::wrong-type"),
            (20, 8, "config::duplicate-asset"),
            (25, 12, "config::invalid-value"),
            (26, 17, "config::duplicate-reference"),
            (29, 9, "config::unknown-asset"),
            (30, 8, "config::bad-glob"),
            (31, 8, "config::unknown-team"),
            (33, 1, "config::missing-key"),
            (36, 3, "config::unknown-key"),
        ]
    );
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn syntax_errors_come_alone() {
    let text = "[[asset]]\nname = \"x\nteam = \"nobody\"\n";
    let err = parse_portfolio("posture.toml", text).unwrap_err();
    assert!(
        err.codes().iter().all(|c| *c == "config::syntax"),
        "{:?}",
        err.codes()
    );
    assert_eq!(err.diagnostics()[0].line, 2);
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn duplicate_keys_are_syntax_errors() {
    let err =
        parse_portfolio("posture.toml", "[[asset]]\nname = \"a\"\nname = \"b\"\n").unwrap_err();
    assert_eq!(err.codes(), ["config::syntax"]);
    assert_eq!(
        (err.diagnostics()[0].line, err.diagnostics()[0].column),
        (3, 1)
    );
}

#[test]
fn thresholds_in_order() {
    let err = parse_portfolio(
        "posture.toml",
        "[correlation]\nmerge = 0.5\nsuggest = 0.6\n",
    )
    .unwrap_err();
    assert_eq!(err.codes(), ["config::threshold-order"]);
    let ok = parse_portfolio("posture.toml", "[correlation]\nmerge = 1\nsuggest = 0\n").unwrap();
    assert_eq!(
        (ok.correlation().merge, ok.correlation().suggest),
        (Some(1.0), Some(0.0))
    );
    let err = parse_portfolio(
        "posture.toml",
        "[correlation]\nmerge = \"high\"\nsugest = 0.2\n",
    )
    .unwrap_err();
    assert_eq!(err.codes(), ["config::wrong-type", "config::unknown-key"]);
    assert_eq!(
        err.diagnostics()[1].help.as_deref(),
        Some("did you mean `suggest`?")
    );
}

#[test]
fn shapes_are_checked() {
    let text = "risk = 3\n[team]\nname = \"a\"\n[[asset]]\nname = \"\"\n[[asset]]\nname = \" x\"\ndata = [\"pci\", 3]\n";
    let err = parse_portfolio("posture.toml", text).unwrap_err();
    insta::assert_snapshot!(err.to_string());
    assert_eq!(
        err.codes(),
        [
            "config::wrong-type",
            "config::wrong-type",
            "config::invalid-value",
            "config::invalid-value",
            "config::wrong-type",
        ]
    );
}

#[test]
fn team_members_and_aliases_are_owners() {
    let text = "[[team]]\nname = \"a\"\nmembers = [\"alice@example.com\", \"@bob\", \"@acme/x\", \"carol\"]\naliases = [\"@acme/a-eng\", \"a team\"]\n";
    let err = parse_portfolio("posture.toml", text).unwrap_err();
    let found: Vec<(usize, usize, &str)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, 41, "`@acme/x` in `members` is not a person"),
            (3, 52, "`carol` in `members` is not a person"),
            (4, 27, "`a team` in `aliases` is not a CODEOWNERS owner"),
        ]
    );
}

#[test]
fn unknown_key_without_close_match_lists_the_keys() {
    let err =
        parse_portfolio("posture.toml", "[[team]]\nname = \"a\"\nslack = \"#a\"\n").unwrap_err();
    assert_eq!(
        err.diagnostics()[0].help.as_deref(),
        Some("[[team]] accepts: `name`, `members`, `aliases`")
    );
}

#[test]
fn styled_rendering_has_colours_and_plain_has_none() {
    let err =
        parse_portfolio("posture.toml", "[[asset]]\nname = \"a\"\nteam = \"x\"\n").unwrap_err();
    assert!(
        err.render(posture_config::RenderStyle::Styled)
            .contains('\u{1b}')
    );
    assert!(!err.to_string().contains('\u{1b}'));
    assert!(err.to_string().contains("posture.toml:3:8"), "{err}");
}

#[test]
fn never_panics_on_odd_input() {
    for text in [
        "\u{feff}[[asset]]\nname = \"é\"\nteam = \"ü\"\n",
        "asset = [1, \"x\", {name = 3}]\n",
        "[risk]\nx = nan\ny = 0x7fffffffffffffff\nz = 1979-05-27T07:32:00Z\n",
        "[[owner]]\npath = \"\\\\\"\nteam = 1\n",
        "=",
        "[",
        "\"\\u0000\" = 1",
    ] {
        let _ = parse_portfolio("posture.toml", text).map_err(|e| e.to_string());
    }
}

#[test]
fn the_policy_file_of_the_gate_is_named_under_policy() {
    let p = posture_config::parse_portfolio("posture.toml", "[policy]\nfile = \"policy.toml\"\n")
        .unwrap();
    assert_eq!(p.policy_file(), Some("policy.toml"));
    let none = posture_config::parse_portfolio("posture.toml", "").unwrap();
    assert_eq!(none.policy_file(), None);
    let err = posture_config::parse_portfolio(
        "posture.toml",
        "[policy]\nfiel = \"policy.toml\"\n\n[[asset]]\nname = \"a\"\n\npolicy = 3\n",
    )
    .unwrap_err();
    assert!(err.codes().contains(&"config::unknown-key"), "{err}");
    let err = posture_config::parse_portfolio("posture.toml", "[policy]\nfile = 3\n").unwrap_err();
    assert_eq!(err.codes(), ["config::wrong-type"], "{err}");
}
