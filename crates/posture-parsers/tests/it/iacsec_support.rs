//! Helpers shared by the IaC and secret-scanner parser tests (checkov, tfsec, kics, terrascan,
//! trufflehog, trufflehog3, detect-secrets, whispers, ripsecrets).

use posture_model::ParsedReport;
use posture_parsers::Parser;
use std::path::{Path, PathBuf};

/// Every file of `multiscan/*/` whose name satisfies `pick` (relative to the corpus root).
pub fn multiscan_files(root: &Path, pick: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(targets) = std::fs::read_dir(root.join("multiscan")) else {
        return out;
    };
    for t in targets.flatten() {
        let Ok(files) = std::fs::read_dir(t.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if pick(&name) {
                let rel: PathBuf = Path::new("multiscan").join(t.file_name()).join(&name);
                out.push(rel.to_string_lossy().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Fails when any of the secrets appears in the serialized report.
pub fn assert_no_plaintext(name: &str, report: &ParsedReport, secrets: &[String]) {
    let mut json = serde_json::to_string(report).expect("serializes");
    // Hash identities are not plaintext, even when a report lists one secret's SHA-1 as
    // another "secret" (terragoat's README tabulates the SHA-1 of AWS's example keys, and
    // trufflehog3 reports those hex strings): blank them before looking for leaks.
    for o in report.runs.iter().flat_map(|r| &r.occurrences) {
        if let Some(ev) = &o.secret {
            for id in ev.identities() {
                json = json.replace(id, "<hash>");
            }
        }
    }
    for s in secrets {
        let s = s.trim();
        if s.len() >= 6 {
            assert!(
                !json.contains(s),
                "{name}: plaintext secret leaked: {s:.6}…"
            );
        }
    }
}

/// Every occurrence has a locator, and secrets never carry a context.
pub fn assert_secret_hygiene(name: &str, report: &ParsedReport) {
    for o in report.runs.iter().flat_map(|r| &r.occurrences) {
        assert!(!o.locator.is_empty(), "{name}: empty locator");
        if o.category == posture_model::Category::Secret {
            assert!(
                o.identity.context.is_none(),
                "{name}: secret with a context"
            );
        }
    }
}

/// Every prefix of the fixture (and a few byte mutations) parses or fails cleanly: no panic.
pub fn assert_never_panics(parser: &dyn Parser, bytes: &[u8]) {
    let step = (bytes.len() / 200).max(1);
    for cut in (0..=bytes.len()).step_by(step) {
        let _ = parser.parse(&bytes[..cut]);
    }
    for (i, b) in [b'"', b'{', b']', b'\n', 0xff, b':'].iter().enumerate() {
        for at in (i * 7..bytes.len()).step_by(step.max(13)) {
            let mut m = bytes.to_vec();
            m[at] = *b;
            let _ = parser.parse(&m);
        }
    }
}
