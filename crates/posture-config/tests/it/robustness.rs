//! Arbitrary input never panics: parsing, validation, rendering, matching.

use posture_config::{CodeOwners, RenderStyle, parse_portfolio, upsert_asset};
use proptest::prelude::*;

/// TOML-ish and CODEOWNERS-ish fragments, so that generated input reaches deep paths.
fn fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[[asset]]\n".to_string()),
        Just("[[team]]\n".to_string()),
        Just("[[owner]]\n".to_string()),
        Just("[correlation]\n".to_string()),
        Just("[risk]\n".to_string()),
        Just("name = \"a\"\n".to_string()),
        Just("team = \"a\"\n".to_string()),
        Just("path = \"src/**\"\n".to_string()),
        Just("merge = 2\n".to_string()),
        Just("criticality = \"tier-9\"\n".to_string()),
        Just("^[S][2] @o\n".to_string()),
        Just("*.rs @a/b x@y.z\n".to_string()),
        Just("\\#x @u # c\n".to_string()),
        "[ -~é\\n\\[\\]\"#=@*/\\\\!]{0,12}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn portfolio_never_panics(text in fragments()) {
        match parse_portfolio("posture.toml", &text) {
            Ok(p) => {
                for a in p.assets() {
                    prop_assert!(upsert_asset(&text, a).is_ok());
                }
            }
            Err(e) => {
                prop_assert!(!e.diagnostics().is_empty());
                let _ = e.render(RenderStyle::Styled);
                let _ = e.to_string();
            }
        }
    }

    #[test]
    fn codeowners_never_panics(text in fragments(), path in "[a-z/.é*]{0,20}") {
        let (co, err) = CodeOwners::parse_lenient("CODEOWNERS", &text);
        if let Some(e) = err {
            let _ = e.to_string();
        }
        let _ = co.owners_of(&path);
        let _ = co.all_owners_of(&path);
    }
}
