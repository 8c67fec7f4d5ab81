//! Ownership precedence: explicit rule > CODEOWNERS > asset team > unowned.

use posture_config::{CodeOwners, OwnerSource, parse_portfolio, resolve_owner};

use crate::config::EXAMPLE;

const CODEOWNERS: &str = "\
* @acme/platform-team
/src/ @acme/payments-eng
/src/refunds/ @acme/payments
/docs/ @nobody
/vendor/
/web/ alice@example.com
";

#[test]
fn precedence_and_explanations() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let co = CodeOwners::parse("CODEOWNERS", CODEOWNERS).unwrap();
    let cases = [
        ("payments-api", Some("src/refunds/issue.rs")),
        ("checkout-web", Some("src/refunds/issue.rs")),
        ("payments-api", Some("src/pay.rs")),
        ("payments-api", Some("web/index.js")),
        ("payments-api", Some("docs/x.md")),
        ("payments-api", Some("vendor/lib.js")),
        ("payments-api", Some("infra/main.tf")),
        ("payments-api", None),
        ("checkout-web", Some("README.md")),
        ("unknown", Some("README.md")),
    ];
    let got: Vec<String> = cases
        .iter()
        .map(|(asset, path)| {
            let d = resolve_owner(&p, Some(&co), asset, *path);
            format!("{asset} {}: {}", path.unwrap_or("-"), d.explain())
        })
        .collect();
    insta::assert_snapshot!(got.join("\n"));
}

#[test]
fn explicit_rule_beats_codeowners() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let co = CodeOwners::parse("CODEOWNERS", CODEOWNERS).unwrap();
    let d = resolve_owner(&p, Some(&co), "payments-api", Some("src/refunds/a.rs"));
    assert_eq!(d.team.as_deref(), Some("refunds"));
    assert!(
        matches!(d.source, OwnerSource::Rule { line: 48, .. }),
        "{:?}",
        d.source
    );
    // the CODEOWNERS view is kept for the explanation
    assert_eq!(d.codeowners.len(), 1);
    // the rule is for payments-api only: another asset goes by CODEOWNERS
    let d = resolve_owner(&p, Some(&co), "checkout-web", Some("src/refunds/a.rs"));
    assert_eq!(d.team.as_deref(), Some("payments"));
    assert!(
        matches!(d.source, OwnerSource::CodeOwners { line: 3, .. }),
        "{:?}",
        d.source
    );
}

#[test]
fn codeowners_beats_asset_team_and_falls_through_when_unmapped() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let co = CodeOwners::parse("CODEOWNERS", CODEOWNERS).unwrap();
    // alias @acme/payments-eng -> payments
    let d = resolve_owner(&p, Some(&co), "payments-api", Some("src/a.rs"));
    assert_eq!(d.team.as_deref(), Some("payments"));
    // member email -> payments
    let d = resolve_owner(&p, Some(&co), "checkout-web", Some("web/a.js"));
    assert_eq!(d.team.as_deref(), Some("payments"));
    // @nobody is no team: the asset's team decides
    let d = resolve_owner(&p, Some(&co), "payments-api", Some("docs/a.md"));
    assert_eq!(d.team.as_deref(), Some("payments"));
    assert_eq!(
        d.source,
        OwnerSource::AssetTeam {
            asset: "payments-api".into()
        }
    );
    assert_eq!(d.codeowners[0].to_string(), "@nobody");
    // no team for checkout-web and `@acme/platform-team` maps to nothing: unowned
    let d = resolve_owner(&p, Some(&co), "checkout-web", Some("README.md"));
    assert_eq!((d.team, d.source), (None, OwnerSource::Unowned));
}

#[test]
fn without_codeowners_the_asset_team_decides() {
    let p = parse_portfolio("posture.toml", EXAMPLE).unwrap();
    let d = resolve_owner(&p, None, "payments-api", Some("src/a.rs"));
    assert_eq!(d.team.as_deref(), Some("payments"));
    assert!(d.codeowners.is_empty() && d.codeowners_note.is_none());
    // the global [[owner]] rule applies to every asset
    let d = resolve_owner(&p, None, "checkout-web", Some("infra/k8s/deploy.yaml"));
    assert_eq!(d.team.as_deref(), Some("platform"));
}

#[test]
fn last_explicit_rule_wins() {
    let text = "[[team]]\nname = \"a\"\n[[team]]\nname = \"b\"\n[[asset]]\nname = \"x\"\n\
                [[owner]]\npath = \"src/\"\nteam = \"a\"\n[[owner]]\npath = \"*.rs\"\nteam = \"b\"\n";
    let p = parse_portfolio("posture.toml", text).unwrap();
    assert_eq!(
        resolve_owner(&p, None, "x", Some("src/main.rs"))
            .team
            .as_deref(),
        Some("b")
    );
    assert_eq!(
        resolve_owner(&p, None, "x", Some("src/main.c"))
            .team
            .as_deref(),
        Some("a")
    );
}
