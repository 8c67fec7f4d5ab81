//! The README's format table is generated from the registry (`PARSERS`: id, description,
//! categories), and this test fails when it is stale. Refresh it with
//! `POSTURE_UPDATE_README=1 cargo test -p posture-parsers --test it readme_table`.

use posture_parsers::PARSERS;
use std::path::Path;

const HEADER: &str = "| format id | reads | categories |\n|---|---|---|\n";

fn generated() -> String {
    let mut out = String::from(HEADER);
    for p in PARSERS {
        let categories: Vec<&str> = p.categories().iter().map(|c| c.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            p.id(),
            p.description().replace('|', "\\|"),
            categories.join(", ")
        ));
    }
    out
}

#[test]
fn the_readme_format_table_is_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme
        .find(HEADER)
        .expect("the README has the format table");
    let end = readme[start..]
        .find("\n\n")
        .map_or(readme.len(), |i| start + i + 1);
    let want = generated();
    if readme[start..end] == want {
        return;
    }
    if std::env::var_os("POSTURE_UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], want, &readme[end..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    panic!(
        "the README's format table is stale: refresh it with \
         POSTURE_UPDATE_README=1 cargo test -p posture-parsers --test it readme_table\n\
         --- README\n{}\n--- registry\n{}",
        &readme[start..end],
        want
    );
}
