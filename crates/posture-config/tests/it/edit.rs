//! `upsert_asset` edits in place: comments, order and untouched keys survive.

use posture_config::{AssetSpec, Criticality, parse_portfolio, upsert_asset};

use crate::config::EXAMPLE;

#[test]
fn upserting_an_unchanged_asset_changes_nothing() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    for asset in p.assets() {
        assert_eq!(
            upsert_asset(EXAMPLE, asset).unwrap(),
            EXAMPLE,
            "{}",
            asset.name
        );
    }
}

#[test]
fn updating_keeps_comments_and_order() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let mut spec = p.asset("payments-api").unwrap().clone();
    spec.criticality = Some(Criticality::Tier2);
    spec.tags.push("pci".into());
    spec.codeowners = None;
    let out = upsert_asset(EXAMPLE, &spec).unwrap();
    // every comment of the original is still there
    for line in EXAMPLE.lines().filter(|l| l.contains('#')) {
        assert!(out.contains(line), "lost `{line}`");
    }
    let p2 = parse_portfolio("posture.toml", &out).unwrap();
    assert_eq!(p2.asset("payments-api"), Some(&spec));
    assert_eq!(p2.asset("checkout-web"), p.asset("checkout-web"));
    insta::assert_snapshot!(diff(EXAMPLE, &out));
}

#[test]
fn adding_puts_the_asset_after_the_last_asset() {
    let spec = AssetSpec {
        name: "ledger".into(),
        team: Some("payments".into()),
        criticality: Some(Criticality::Tier1),
        repositories: vec!["github.com/acme/ledger".into()],
        ..AssetSpec::default()
    };
    let out = upsert_asset(EXAMPLE, &spec).unwrap();
    assert!(out.starts_with(EXAMPLE.split("# Refunds code").next().unwrap()));
    let p = parse_portfolio("posture.toml", &out).unwrap();
    let names: Vec<&str> = p.assets().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["payments-api", "checkout-web", "ledger"]);
    assert_eq!(p.owner_rules().len(), 2);
    insta::assert_snapshot!(diff(EXAMPLE, &out));
}

#[test]
fn adding_to_an_empty_file() {
    let spec = AssetSpec {
        name: "a".into(),
        tags: vec!["x".into()],
        ..AssetSpec::default()
    };
    let out = upsert_asset("", &spec).unwrap();
    assert_eq!(
        parse_portfolio("posture.toml", &out).unwrap().asset("a"),
        Some(&spec)
    );
    insta::assert_snapshot!(out);
}

#[test]
fn a_changed_value_keeps_its_comments() {
    let text =
        "[[asset]]\nname = \"a\"\n# why tier-1\ncriticality = \"tier-1\"  # reviewed 2026-01\n";
    let spec = AssetSpec {
        name: "a".into(),
        criticality: Some(Criticality::Tier2),
        ..AssetSpec::default()
    };
    assert_eq!(
        upsert_asset(text, &spec).unwrap(),
        "[[asset]]\nname = \"a\"\n# why tier-1\ncriticality = \"tier-2\"  # reviewed 2026-01\n"
    );
}

#[test]
fn invalid_result_is_refused_with_diagnostics() {
    let spec = AssetSpec {
        name: "x".into(),
        team: Some("nobody".into()),
        ..AssetSpec::default()
    };
    let err = upsert_asset(EXAMPLE, &spec).unwrap_err();
    assert_eq!(err.codes(), ["config::unknown-team"]);
    let spec = AssetSpec {
        name: "x".into(),
        repositories: vec!["https://github.com/acme/payments-api".into()],
        ..AssetSpec::default()
    };
    assert_eq!(
        upsert_asset(EXAMPLE, &spec).unwrap_err().codes(),
        ["config::duplicate-reference"]
    );
}

#[test]
fn syntax_errors_and_inline_assets_are_refused() {
    assert_eq!(
        upsert_asset(
            "[[asset]\n",
            &AssetSpec {
                name: "a".into(),
                ..AssetSpec::default()
            }
        )
        .unwrap_err()
        .codes(),
        ["config::syntax"]
    );
    assert_eq!(
        upsert_asset(
            "asset = [{ name = \"a\" }]\n",
            &AssetSpec {
                name: "a".into(),
                ..AssetSpec::default()
            }
        )
        .unwrap_err()
        .codes(),
        ["config::not-editable"]
    );
}

/// A unified diff with one line of context, for readable snapshots.
fn diff(before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(1)
        .to_string()
}
