//! The dashboard's templates, embedded in the binary and compiled once. Autoescape is on for
//! every template (they all end in `.html`); the only unescaped values are the SVG charts,
//! which [`crate::charts`] builds with every label escaped.

use minijinja::{AutoEscape, Environment};

const TEMPLATES: [(&str, &str); 23] = [
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("findings.html", include_str!("../templates/findings.html")),
    ("finding.html", include_str!("../templates/finding.html")),
    ("asset.html", include_str!("../templates/asset.html")),
    ("team.html", include_str!("../templates/team.html")),
    ("fixes.html", include_str!("../templates/fixes.html")),
    (
        "approvals.html",
        include_str!("../templates/approvals.html"),
    ),
    ("assets.html", include_str!("../templates/assets.html")),
    ("teams.html", include_str!("../templates/teams.html")),
    ("risks.html", include_str!("../templates/risks.html")),
    ("scans.html", include_str!("../templates/scans.html")),
    (
        "suggestions.html",
        include_str!("../templates/suggestions.html"),
    ),
    ("upload.html", include_str!("../templates/upload.html")),
    ("export.html", include_str!("../templates/export.html")),
    ("views.html", include_str!("../templates/views.html")),
    (
        "components.html",
        include_str!("../templates/components.html"),
    ),
    ("tokens.html", include_str!("../templates/tokens.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("audit.html", include_str!("../templates/audit.html")),
];

/// What [`templates`]' `seg` filter encodes: all but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The stylesheet, served at `/static/style.css`.
pub const STYLE_CSS: &str = include_str!("../static/style.css");

/// The templates; `base` (the server's sub-path, empty at the root) starts every link.
pub fn templates(base: &str) -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // Checked by `base_path_of` (letters, digits, `-._~%/` only): safe in an attribute.
    env.add_global("base", minijinja::Value::from_safe_string(base.to_string()));
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    // A name as one path segment or query value: everything but unreserved characters
    // percent-encoded, `/` included (`acme/payments` is `acme%2Fpayments`; minijinja's
    // `urlencode` keeps `/`).
    env.add_filter("seg", path_segment);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// A name as one path segment of a link (`acme/payments` → `acme%2Fpayments`): everything but
/// RFC 3986's unreserved characters percent-encoded, so a `/` in an asset or team name never
/// splits the path (the `urlencode` filter keeps `/`). Safe in an attribute.
fn path_segment(value: String) -> minijinja::Value {
    // only unreserved characters and `%XX` come out: safe in an attribute
    minijinja::Value::from_safe_string(
        percent_encoding::utf8_percent_encode(&value, SEGMENT).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let env = templates("").unwrap_or_else(|e| panic!("{e}"));
        let t = env
            .get_template("error.html")
            .unwrap_or_else(|e| panic!("{e}"));
        let html = t
            .render(minijinja::context! { status => 404, message => "<script>alert(1)</script>" })
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn links_start_with_the_base_path() {
        let env = templates("/posture").unwrap_or_else(|e| panic!("{e}"));
        let html = env
            .get_template("error.html")
            .and_then(|t| t.render(minijinja::context! { status => 404, message => "x" }))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            html.contains("href=\"/posture/static/style.css\""),
            "{html}"
        );
        assert!(html.contains("href=\"/posture/\""), "{html}");
        assert!(!html.contains("href=\"/static"), "{html}");
    }
}
