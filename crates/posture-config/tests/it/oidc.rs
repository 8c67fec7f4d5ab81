//! `[oidc]`: single sign-on and CI token exchange bindings, with spanned diagnostics.

use posture_config::parse_portfolio;

const TEAMS: &str = r#"
[[team]]
name = "payments"

[[asset]]
name = "payments-api"
team = "payments"
"#;

fn parse(extra: &str) -> Result<posture_config::Portfolio, posture_config::ConfigErrors> {
    parse_portfolio("posture.toml", &format!("{TEAMS}{extra}"))
}

#[test]
fn a_complete_oidc_section_is_read_with_defaults() {
    let p = parse(
        r#"
[oidc]
issuer = "https://keycloak.acme.example/realms/acme"
client_id = "posture"
client_secret_env = "POSTURE_OIDC_SECRET"

[[oidc.map]]
group = "payments-devs"
role = "developer"
team = "payments"

[[oidc.map]]
group = "appsec-leads"
approval_role = "appsec-lead"

[[oidc.ci_bindings]]
issuer = "https://token.actions.githubusercontent.com"
audience = "posture"
claims = { repository = "acme/payments-api", ref = "refs/heads/main" }
assets = ["payments-api"]
"#,
    )
    .unwrap();
    let oidc = p.oidc().unwrap();
    let sign_in = oidc.sign_in.as_ref().unwrap();
    assert_eq!(sign_in.issuer, "https://keycloak.acme.example/realms/acme");
    assert_eq!(sign_in.scopes, ["openid", "email", "profile"]);
    assert_eq!(sign_in.groups_claim, "groups");
    assert_eq!(sign_in.username_claim, "email");
    assert_eq!(sign_in.redirect_path, "/login/oidc/callback");
    assert_eq!(sign_in.map.len(), 2);
    assert_eq!(sign_in.map[1].approval_role.as_deref(), Some("appsec-lead"));
    let b = &oidc.ci_bindings[0];
    assert_eq!(b.minutes, 15);
    assert_eq!(b.claims["repository"], "acme/payments-api");
    assert_eq!(b.line, 23);
}

#[test]
fn bindings_alone_need_no_sign_in() {
    let p = parse(
        r#"
[[oidc.ci_bindings]]
issuer = "https://gitlab.com"
audience = "posture"
claims = { project_path = "acme/payments-api", ref = "main" }
assets = ["payments-api"]
minutes = 5
"#,
    )
    .unwrap();
    let oidc = p.oidc().unwrap();
    assert!(oidc.sign_in.is_none());
    assert_eq!(oidc.ci_bindings[0].minutes, 5);
}

#[test]
fn every_oidc_mistake_is_reported_with_its_place() {
    let text = format!(
        "{TEAMS}{}",
        r#"
[oidc]
issuer = "http://idp.acme.example"
scopes = "openid"
groupz = "groups"
redirect_path = "/findings"

[[oidc.map]]
group = "vps"
role = "vp"

[[oidc.map]]
group = "devs"
role = "developer"

[[oidc.map]]
group = "auditors"
role = "reader"
team = "payments"

[[oidc.map]]
group = "nothing"

[[oidc.ci_bindings]]
issuer = "https://token.actions.githubusercontent.com"
audience = "posture"
claims = {}
assets = ["payment-api"]
role = "admin"
minutes = 1440
"#
    );
    let errors = parse_portfolio("posture.toml", &text).unwrap_err();
    let rendered = errors.to_string();
    let messages: Vec<String> = errors
        .diagnostics()
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                d.line,
                d.code,
                d.message,
                d.help.clone().unwrap_or_default()
            )
        })
        .collect();
    let has = |needle: &str| {
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "no diagnostic with `{needle}` in:\n{}",
            messages.join("\n")
        );
    };
    has("config::invalid-value `issuer` `http://idp.acme.example` is not an issuer URL");
    has("config::wrong-type `scopes` must be an array of strings");
    has("config::unknown-key unknown key `groupz` in [oidc]");
    has("redirect_path `/findings` is not a callback path");
    has("unknown role `vp` in [[oidc.map]]");
    has("approval role such as `vp` goes in `approval_role`");
    has("with `role = \"developer\"` is missing `team`");
    has("`team` is for developers");
    has("[[oidc.map]] gives nothing");
    has("[oidc] is missing `client_id`");
    has("`claims` is empty");
    has("config::unknown-asset unknown asset `payment-api`");
    has("did you mean `payments-api`");
    has("a CI job's exchanged token has role `ci`");
    has("`minutes` must be between 1 and 120");
    // Each names its line.
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("10:config::invalid-value `issuer`")),
        "{messages:?}"
    );
    assert!(rendered.contains("posture.toml:"), "{rendered}");
}
