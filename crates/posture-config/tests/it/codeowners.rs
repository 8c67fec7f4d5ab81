//! CODEOWNERS semantics, one small case at a time, then the GitHub docs example file.

use posture_config::{CodeOwners, Owner};

fn one(pattern: &str) -> CodeOwners {
    CodeOwners::parse("CODEOWNERS", &format!("{pattern} @o\n")).unwrap()
}

#[track_caller]
fn matches(pattern: &str, yes: &[&str], no: &[&str]) {
    let co = one(pattern);
    for p in yes {
        assert!(co.owners_of(p).is_some(), "`{pattern}` should match {p}");
    }
    for p in no {
        assert!(
            co.owners_of(p).is_none(),
            "`{pattern}` should not match {p}"
        );
    }
}

fn owners(co: &CodeOwners, path: &str) -> Option<Vec<String>> {
    co.owners_of(path)
        .map(|o| o.iter().map(ToString::to_string).collect())
}

#[test]
fn star_matches_everything() {
    matches(
        "*",
        &[
            "a",
            "README.md",
            "src/deep/x.rs",
            ".github/workflows/ci.yml",
        ],
        &[],
    );
}

#[test]
fn extension_matches_at_any_depth() {
    matches(
        "*.js",
        &["a.js", "src/a.js", "deep/er/still.js", ".hidden.js"],
        &["a.jsx", "a.js.map", "js", "src/a.ts"],
    );
}

#[test]
fn rooted_directory_owns_everything_below() {
    matches(
        "/build/logs/",
        &["build/logs/a.log", "build/logs/deep/b.log"],
        &["x/build/logs/a.log", "build/logs", "build/logsx/a"],
    );
}

#[test]
fn wildcard_last_segment_matches_one_level() {
    // GitHub docs: `docs/*` matches docs/getting-started.md, not docs/build-app/troubleshooting.md
    matches(
        "docs/*",
        &["docs/getting-started.md", "docs/x"],
        &[
            "docs/build-app/troubleshooting.md",
            "other/docs/a.md",
            "docs",
        ],
    );
}

#[test]
fn unrooted_directory_matches_at_any_depth() {
    matches(
        "apps/",
        &["apps/a.rb", "x/apps/a.rb", "x/y/apps/z/w.rb"],
        &["apps", "myapps/a.rb", "apps.rb"],
    );
}

#[test]
fn rooted_docs_directory() {
    matches(
        "/docs/",
        &["docs/a.md", "docs/b/c.md"],
        &["x/docs/a.md", "docs"],
    );
}

#[test]
fn double_star_prefix_matches_any_logs_directory() {
    matches(
        "**/logs",
        &[
            "logs/a",
            "build/logs/a",
            "scripts/logs/b",
            "deeply/nested/logs/c/d",
            "a/logs",
        ],
        &["a/logsx", "a/mylogs/b"],
    );
}

#[test]
fn double_star_in_the_middle() {
    matches(
        "a/**/b",
        &["a/b", "a/x/b", "a/x/y/b/c"],
        &["b", "x/a/b", "a/bc"],
    );
}

#[test]
fn literal_path_owns_file_or_directory() {
    matches(
        "/apps/github",
        &["apps/github", "apps/github/x.rb", "apps/github/d/e"],
        &["apps/github2/x", "x/apps/github"],
    );
}

#[test]
fn bare_name_matches_at_any_depth() {
    matches(
        "Makefile",
        &["Makefile", "sub/Makefile", "Makefile/x"],
        &["Makefile.am", "xMakefile"],
    );
}

#[test]
fn question_mark_is_one_character_not_a_separator() {
    matches(
        "a?.txt",
        &["ab.txt", "d/ab.txt"],
        &["abc.txt", "a.txt", "a/.txt"],
    );
}

#[test]
fn star_does_not_cross_directories_in_anchored_patterns() {
    matches(
        "/src/*.rs",
        &["src/main.rs"],
        &["src/bin/x.rs", "lib/src/main.rs"],
    );
}

#[test]
fn matching_is_case_sensitive() {
    matches("*.JS", &["a.JS"], &["a.js"]);
}

#[test]
fn paths_are_normalized() {
    matches("/src/", &["./src/a", "/src/a", "src\\a"], &[]);
}

#[test]
fn escaped_hash_and_space() {
    let co = CodeOwners::parse("CODEOWNERS", "\\#notes @a\nmy\\ file.txt @b\n").unwrap();
    assert_eq!(owners(&co, "#notes"), Some(vec!["@a".into()]));
    assert_eq!(owners(&co, "x/my file.txt"), Some(vec!["@b".into()]));
    assert_eq!(owners(&co, "notes"), None);
}

#[test]
fn comments_and_blank_lines() {
    let co = CodeOwners::parse(
        "CODEOWNERS",
        "# comment\n\n   # indented comment\n*.rs @a # trailing comment\n",
    )
    .unwrap();
    assert_eq!(co.rules().len(), 1);
    assert_eq!(co.rules()[0].line, 4);
    assert_eq!(co.rules()[0].text, "*.rs @a");
    assert_eq!(owners(&co, "x.rs"), Some(vec!["@a".into()]));
}

#[test]
fn last_matching_rule_wins() {
    let co = CodeOwners::parse("CODEOWNERS", "* @a\n*.js @b\n").unwrap();
    assert_eq!(owners(&co, "x.js"), Some(vec!["@b".into()]));
    assert_eq!(owners(&co, "x.rs"), Some(vec!["@a".into()]));
    let co = CodeOwners::parse("CODEOWNERS", "*.js @b\n* @a\n").unwrap();
    assert_eq!(owners(&co, "x.js"), Some(vec!["@a".into()]));
}

#[test]
fn rule_without_owners_unowns() {
    let co = CodeOwners::parse("CODEOWNERS", "/apps/ @octocat\n/apps/github\n").unwrap();
    assert_eq!(owners(&co, "apps/github/x"), Some(vec![]));
    assert_eq!(owners(&co, "apps/web/x"), Some(vec!["@octocat".into()]));
}

#[test]
fn owner_kinds() {
    let co = CodeOwners::parse(
        "CODEOWNERS",
        "* @user @org/team @group/sub/team dev@example.com @@developer\n",
    )
    .unwrap();
    assert_eq!(
        co.owners_of("x").unwrap(),
        &[
            Owner::User("user".into()),
            Owner::Team {
                org: "org".into(),
                team: "team".into()
            },
            Owner::Team {
                org: "group".into(),
                team: "sub/team".into()
            },
            Owner::Email("dev@example.com".into()),
            Owner::Role("developer".into()),
        ]
    );
}

#[test]
fn crlf_line_endings() {
    let co = CodeOwners::parse("CODEOWNERS", "# c\r\n*.rs @a\r\n").unwrap();
    assert_eq!(co.rules()[0].line, 2);
    assert_eq!(owners(&co, "a.rs"), Some(vec!["@a".into()]));
}

/// The example file of GitHub's "About code owners" documentation.
const GITHUB_DOCS: &str = r#"# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/* docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has no owners
/apps/ @octocat
/apps/github
"#;

#[test]
fn github_docs_example() {
    let co = CodeOwners::parse(".github/CODEOWNERS", GITHUB_DOCS).unwrap();
    assert_eq!(co.rules().len(), 14);
    let cases: Vec<(&str, String)> = [
        "README.md",
        "src/app.js",
        "main.go",
        "notes/todo.txt",
        "build/logs/a.log",
        "docs/getting-started.md",
        "docs/build-app/troubleshooting.md",
        "lib/apps/x.c",
        "scripts/deploy.sh",
        "deeply/nested/logs/x",
        "apps/web/index.js",
        "apps/github/x.rb",
    ]
    .into_iter()
    .map(|p| {
        let m = co.rule_for(p).unwrap();
        (p, m.explain())
    })
    .collect();
    insta::assert_yaml_snapshot!(cases);
}

const GITLAB: &str = "\
* @fallback

[Documentation] @docs-team
docs/
README.md @alice

^[Security][2] @sec/team
*.rs
config/secrets.yml

[Backend] @acme/backend
*.rs @carol
src/legacy/

[documentation]
guides/
";

#[test]
fn gitlab_sections() {
    let co = CodeOwners::parse("CODEOWNERS", GITLAB).unwrap();
    let names: Vec<(&str, bool, Option<u32>)> = co
        .sections()
        .iter()
        .map(|s| (s.name.as_str(), s.optional, s.approvals))
        .collect();
    // `[documentation]` joins `[Documentation]` (case-insensitive), as in GitLab
    assert_eq!(
        names,
        [
            ("Documentation", false, None),
            ("Security", true, Some(2)),
            ("Backend", false, None)
        ]
    );
    // default owners fill rules without owners
    assert_eq!(owners(&co, "docs/a.md"), Some(vec!["@docs-team".into()]));
    assert_eq!(owners(&co, "guides/x.md"), Some(vec!["@docs-team".into()]));
    assert_eq!(owners(&co, "README.md"), Some(vec!["@alice".into()]));
    // required sections decide before optional ones
    assert_eq!(owners(&co, "src/main.rs"), Some(vec!["@carol".into()]));
    assert_eq!(
        owners(&co, "src/legacy/old.c"),
        Some(vec!["@acme/backend".into()])
    );
    // a rule outside any section is required
    assert_eq!(owners(&co, "Cargo.toml"), Some(vec!["@fallback".into()]));
    // optional match only counts when nothing required matched... but `*` is required here
    assert_eq!(
        owners(&co, "config/secrets.yml"),
        Some(vec!["@fallback".into()])
    );
    // per-section view and combined owners (GitLab approvals)
    let per_section: Vec<String> = co
        .section_matches("src/main.rs")
        .iter()
        .map(|m| m.explain())
        .collect();
    assert_eq!(
        per_section,
        [
            "CODEOWNERS line 1: * @fallback",
            "CODEOWNERS line 8: *.rs (section [Security], default owners @sec/team)",
            "CODEOWNERS line 12: *.rs @carol (section [Backend])",
        ]
    );
    let all: Vec<String> = co
        .all_owners_of("src/main.rs")
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert_eq!(all, ["@fallback", "@sec/team", "@carol"]);
}

#[test]
fn optional_section_decides_when_alone() {
    let co = CodeOwners::parse(
        "CODEOWNERS",
        "^[Security] @sec/team\nconfig/secrets.yml\n\n[Backend]\n*.rs @carol\n",
    )
    .unwrap();
    assert_eq!(
        owners(&co, "config/secrets.yml"),
        Some(vec!["@sec/team".into()])
    );
    assert_eq!(owners(&co, "a.rs"), Some(vec!["@carol".into()]));
    assert_eq!(owners(&co, "a.py"), None);
}

#[test]
fn section_with_a_bad_default_owner_still_opens() {
    let (co, err) = CodeOwners::parse_lenient("CODEOWNERS", "[Docs] @docs oops\ndocs/\n");
    assert_eq!(err.unwrap().codes(), ["codeowners::bad-owner"]);
    assert_eq!(co.sections()[0].name, "Docs");
    assert_eq!(owners(&co, "docs/a.md"), Some(vec!["@docs".into()]));
}

const BAD: &str = "\
* @ok
!*.log @a
[a-z].txt @b
src/ not-an-owner @c
[Broken
/x/ @org/
docs/ @d # fine
^[]
lib/\\ @e
";

#[test]
fn bad_lines_are_all_reported_with_line_numbers() {
    let err = CodeOwners::parse("CODEOWNERS", BAD).unwrap_err();
    let lines: Vec<(usize, &str)> = err.diagnostics().iter().map(|d| (d.line, d.code)).collect();
    assert_eq!(
        lines,
        [
            (2, "codeowners::negation"),
            (3, "codeowners::bad-section"),
            (4, "codeowners::bad-owner"),
            (5, "codeowners::bad-section"),
            (6, "codeowners::bad-owner"),
            (8, "codeowners::bad-section"),
        ]
    );
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn lenient_parse_keeps_good_lines() {
    let (co, err) = CodeOwners::parse_lenient("CODEOWNERS", BAD);
    assert_eq!(err.map(|e| e.diagnostics().len()), Some(6));
    let kept: Vec<usize> = co.rules().iter().map(|r| r.line).collect();
    assert_eq!(kept, [1, 7, 9]);
    assert_eq!(owners(&co, "docs/x"), Some(vec!["@d".into()]));
}
