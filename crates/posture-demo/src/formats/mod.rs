//! One writer per report format, each producing the bytes the real tool would write.

pub(crate) mod codeql_sarif;
pub(crate) mod gitleaks;
pub(crate) mod grype;
pub(crate) mod semgrep_json;
pub(crate) mod semgrep_sarif;
pub(crate) mod trivy;

use crate::catalog::Service;
use crate::rng::stable_hex;
use jiff::Timestamp;

/// Everything a writer needs to know about one scan.
pub(crate) struct Ctx {
    pub seed: u64,
    pub service: &'static Service,
    /// Scan week (0-based) and its reference week.
    pub week: u32,
    pub r: u32,
    pub commit: String,
    pub scanned_at: Timestamp,
}

impl Ctx {
    /// `1.44.0`: the image tag built that week.
    pub(crate) fn tag(&self) -> String {
        format!("1.{}.0", self.service.minor.saturating_add(self.week))
    }

    /// `ghcr.io/acme-corp/payments-api:1.44.0`.
    pub(crate) fn image_ref(&self) -> String {
        format!(
            "{}:{}",
            self.service.image.unwrap_or(self.service.name),
            self.tag()
        )
    }

    /// A stable `sha256:` digest for a label of this week's image.
    pub(crate) fn digest(&self, what: &str) -> String {
        let week = self.week.to_string();
        let seed = self.seed.to_string();
        format!(
            "sha256:{}",
            stable_hex(64, &[&seed, self.service.name, &week, what])
        )
    }

    /// Layer digests of this week's image: the base layers change only when the base image
    /// is rebuilt, the application layer every week.
    pub(crate) fn layers(&self, rebuilt: bool) -> Vec<String> {
        let base = if rebuilt { "base-after" } else { "base-before" };
        let seed = self.seed.to_string();
        let mut out: Vec<String> = (0..3)
            .map(|i| {
                let i = i.to_string();
                format!(
                    "sha256:{}",
                    stable_hex(64, &[&seed, self.service.name, base, &i])
                )
            })
            .collect();
        out.push(self.digest("app-layer"));
        out
    }
}

/// Severity in Grype's title case.
pub(crate) fn title_case(sev: &str) -> String {
    let lower = sev.to_ascii_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}
