//! The CI templates (the GitHub Action `action.yml`, the GitLab component
//! `templates/gitlab/posture.yml`) call `posture push` with flags it has: a renamed flag breaks
//! this test, not a team's pipeline.

use crate::support::Workspace;
use std::path::Path;

#[test]
fn ci_templates_use_only_flags_posture_push_has() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let help = Workspace::new()
        .posture()
        .args(["push", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    for template in ["action.yml", "templates/gitlab/posture.yml"] {
        let text = std::fs::read_to_string(root.join(template)).expect("template");
        let mut seen = 0;
        for line in text
            .lines()
            .filter(|l| l.contains("posture push") || l.contains("args+=("))
        {
            for flag in line
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .filter(|w| w.starts_with("--") && w.len() > 2)
            {
                seen += 1;
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{template}: `{flag}` is not a flag of posture push"
                );
            }
        }
        assert!(seen >= 5, "{template}: no posture push call found");
    }
}
