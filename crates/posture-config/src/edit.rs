//! Editing `posture.toml` in place (`posture asset set ...`), keeping comments and order.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::diagnostic::{ConfigErrors, Sink};
use crate::parse::parse_portfolio;
use crate::portfolio::AssetSpec;

const SOURCE: &str = "posture.toml";

/// Adds the asset, or updates the `[[asset]]` of the same name, and returns the new text.
///
/// Everything else is kept byte for byte: other tables, comments, key order. In the updated
/// table, a key whose value does not change is not touched (its formatting and trailing
/// comment stay); a changed key keeps its place and its comments; a key the spec leaves
/// empty (`None`, `[]`) is removed; a new key goes at the end of the table. A new asset is
/// placed after the last `[[asset]]` (at the end of the file if there is none).
///
/// The result is validated like any `posture.toml`: if it is not valid (an unknown team,
/// a repository already claimed by another asset, or errors already in the file), the
/// diagnostics are returned, pointing into the text that would have been written.
pub fn upsert_asset(text: &str, spec: &AssetSpec) -> Result<String, ConfigErrors> {
    let mut doc: DocumentMut = match text.parse() {
        Ok(d) => d,
        // The parser's own report (with every syntax error) says it best.
        Err(_) => return parse_portfolio(SOURCE, text).map(|_| text.to_string()),
    };
    let assets = match doc.get_mut("asset") {
        None => {
            doc.insert("asset", Item::ArrayOfTables(ArrayOfTables::new()));
            doc.get_mut("asset").and_then(Item::as_array_of_tables_mut)
        }
        Some(item) => item.as_array_of_tables_mut(),
    };
    let Some(assets) = assets else {
        let mut sink = Sink::new(text);
        let span = doc
            .as_table()
            .key("asset")
            .and_then(|k| k.span())
            .unwrap_or(0..0);
        sink.push(
            "config::not-editable",
            span,
            "`asset` is not written as `[[asset]]` tables",
            "Posture edits [[asset]] tables only",
            Some("rewrite the assets as one `[[asset]]` table each".into()),
        );
        return Err(ConfigErrors::new(SOURCE, text, sink.diagnostics));
    };
    let existing = assets
        .iter_mut()
        .find(|t| t.get("name").and_then(Item::as_str) == Some(spec.name.as_str()));
    match existing {
        Some(table) => update(table, spec),
        None => {
            let mut table = Table::new();
            update(&mut table, spec);
            if !text.trim().is_empty() {
                table.decor_mut().set_prefix("\n");
            }
            assets.push(table);
        }
    }
    let out = doc.to_string();
    parse_portfolio(SOURCE, &out)?;
    Ok(out)
}

enum Field {
    One(Option<String>),
    List(Vec<String>),
}

fn fields(spec: &AssetSpec) -> Vec<(&'static str, Field)> {
    use Field::{List, One};
    vec![
        ("name", One(Some(spec.name.clone()))),
        ("team", One(spec.team.clone())),
        (
            "criticality",
            One(spec.criticality.map(|c| c.as_str().to_string())),
        ),
        (
            "environment",
            One(spec.environment.map(|c| c.as_str().to_string())),
        ),
        (
            "exposure",
            One(spec.exposure.map(|c| c.as_str().to_string())),
        ),
        ("data", List(spec.data.clone())),
        ("compliance", List(spec.compliance.clone())),
        ("tags", List(spec.tags.clone())),
        ("repositories", List(spec.repositories.clone())),
        ("images", List(spec.images.clone())),
        ("urls", List(spec.urls.clone())),
        ("codeowners", One(spec.codeowners.clone())),
        ("default_branch", One(spec.default_branch.clone())),
    ]
}

fn update(table: &mut Table, spec: &AssetSpec) {
    for (key, field) in fields(spec) {
        let new: Option<Value> = match &field {
            Field::One(v) => v.as_deref().map(Value::from),
            Field::List(v) if v.is_empty() => None,
            Field::List(v) => Some(Value::Array(
                v.iter().map(String::as_str).collect::<Array>(),
            )),
        };
        let Some(new) = new else {
            table.remove(key);
            continue;
        };
        match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(old) if same(old, &field) => {}
            Some(old) => {
                let decor = old.decor().clone();
                *old = new;
                *old.decor_mut() = decor;
            }
            None => {
                table.insert(key, Item::Value(new));
            }
        }
    }
}

fn same(old: &Value, field: &Field) -> bool {
    match (old, field) {
        (Value::String(s), Field::One(Some(v))) => s.value() == v,
        (Value::Array(a), Field::List(v)) => {
            a.len() == v.len() && a.iter().zip(v).all(|(x, y)| x.as_str() == Some(y.as_str()))
        }
        _ => false,
    }
}
