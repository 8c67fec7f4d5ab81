//! A realistic, deterministic demo portfolio for `posture demo`.
//!
//! [`generate`] builds, from a seed and an end time, a small company's weekly scan history:
//! six services owned by four teams, scanned every week on `main` by the scanners each team
//! actually runs (Trivy, Grype, CodeQL, Semgrep, Gitleaks), as report bytes in each tool's
//! real format. No third-party data file is involved: everything is generated here.
//!
//! Pure: no I/O, no clock, no global randomness. The same `(seed, end, weeks)` always gives
//! byte-identical reports.
//!
//! # The story (reference weeks 0–15, stretched or squeezed onto `weeks`)
//!
//! * **payments-api** (payments, tier-1, pci): Log4Shell and three sibling log4j CVEs are
//!   fixed in week 1 by one bump, Spring4Shell in week 2; a Spring Boot upgrade in week 5
//!   fixes a dozen CVEs at once (spring-core, spring-expression, jackson-databind, snakeyaml,
//!   tomcat); Text4Shell is published in week 4 and fixed in week 6; snakeyaml's
//!   CVE-2022-1471 appears in week 7 and lasts until the Spring 6 migration of week 13; a new
//!   Tomcat critical appears in week 10, fixed in week 11; the base image is rebuilt in week 8
//!   (glibc, openssl, curl, krb5... fixed). **Grype is added beside Trivy on the image in
//!   week 3**: the image's findings then carry both tools, correlated. CodeQL's `java/sql-injection` in
//!   `RefundRepository.java` is fixed in week 3 and **regresses** in weeks 8–10. A staging AWS
//!   key is committed in week 4 and removed in week 5.
//! * **checkout-web** (storefront, tier-1): an Express upgrade in week 9 fixes nine CVEs at
//!   once (express, body-parser, qs, path-to-regexp, send, serve-static, cookie). **Semgrep is
//!   onboarded in week 6**: its backlog appears at once. A Stripe test key leaks for a week.
//! * **identity-service** (identity, tier-1, pii): Go module bumps (x/net, grpc) in week 4, the
//!   Go 1.22 toolchain in week 7; an SSRF (`go/request-forgery`) ships in week 5 and is fixed
//!   in week 7; a test signing key stays in `testdata/` the whole time.
//! * **orders-worker** (payments, tier-2): Grype on the image, **Trivy beside it from week 5**; requests/urllib3/certifi bump in
//!   week 5; the stale finding: Semgrep's `disabled-cert-validation` in the legacy ERP
//!   integration stays open all along.
//! * **reporting-batch** (data, tier-3, internal): Trivy on `requirements.txt` only — no SAST,
//!   no secret scanning (coverage gap); PyYAML's critical CVE-2020-14343 **stays open the whole
//!   time** (nobody owns it).
//! * **mobile-bff** (storefront, tier-2): jsonwebtoken is bumped in week 4 and **a bad merge in
//!   week 9 reverts it** (three CVEs and a hard-coded JWT secret come back until week 11); a
//!   GitHub token leaks in week 2, is removed, and comes back in weeks 10–11.
//!
//! Around these pinned events, each service has a few dozen seeded SAST findings that appear,
//! get fixed faster when more severe (critical 1–2 weeks, high 2–4, medium 3–8, low 6+ or
//! never) and sometimes regress, and files are edited between weeks so findings move to other
//! lines while their fingerprints stay.

mod catalog;
mod deps;
mod formats;
mod rng;
mod sast;
mod secrets;
mod story;
mod util;

use catalog::{SERVICES, Scanner};
use formats::Ctx;
use jiff::SignedDuration;
use posture_model::Timestamp;
use rng::{Rng, stable_hex};

/// The default number of weekly scans.
pub const DEFAULT_WEEKS: u32 = 16;

/// The default seed (`posture demo` without `--seed`).
pub const DEFAULT_SEED: u64 = 42;

/// The CISA KEV catalog's entries for the demo's CVEs (version 2025.08.25, CC0; provenance in
/// `data/README.md`): `posture demo` imports it so that exploitation evidence shows.
pub const KEV_SNAPSHOT: &str = include_str!("../data/kev-snapshot.json");

/// Where the demo writes [`KEV_SNAPSHOT`], relative to its posture.toml (`[feeds] kev`).
pub const KEV_SNAPSHOT_FILE: &str = "demo-feeds/kev.json";

/// The demo's policy (four eyes on accepted highs, SLAs, escalation), written beside its
/// posture.toml, whose `[policy] file` names it.
pub const POLICY: &str = include_str!("../data/policy.toml");

/// Where the demo writes [`POLICY`], relative to its posture.toml.
pub const POLICY_FILE: &str = "policy.toml";

/// One service of the demo company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAsset {
    pub name: String,
    pub team: String,
    pub tags: Vec<String>,
    /// `tier-1` (most critical) to `tier-3`.
    pub criticality: String,
    /// `https://github.com/acme-corp/<name>`.
    pub repository: String,
    /// Container image repository without tag, `None` for services not shipped as an image.
    pub image: Option<String>,
}

/// One scanner report, as the tool wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    /// [`DemoAsset::name`] of the scanned service.
    pub asset: String,
    /// The scanner that wrote it: `trivy`, `grype`, `codeql`, `semgrep` or `gitleaks` (an
    /// ingest hint: Gitleaks' empty report `[]` cannot be recognized by content alone).
    pub tool: String,
    pub branch: String,
    /// 40-hex commit sha scanned (one commit per service and week).
    pub commit: String,
    pub scanned_at: Timestamp,
    /// Unique, flat file name: `<asset>_<yyyy-mm-dd>_<scanner>.<json|sarif>`.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The whole demo: assets and every report, sorted by `scanned_at` (ties by file name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPortfolio {
    pub assets: Vec<DemoAsset>,
    pub reports: Vec<DemoReport>,
}

/// Generates the demo: `weeks` weekly scans of every service, one week apart, the last ones
/// within a few hours before `end` (every `scanned_at` is `<= end`; each service's pipeline
/// runs at its own time of day). Deterministic for `(seed, end, weeks)`; the work is linear in
/// `weeks`, so callers should bound it (the CLI default is [`DEFAULT_WEEKS`]).
///
/// `weeks == 0` gives the assets and no report. The story is written on 16 reference weeks
/// and mapped onto `weeks`; with fewer weeks some short-lived events are skipped, with more
/// each story week lasts longer. Sizes at 16 weeks and the default seed: 258 reports, about
/// 7,700 occurrences, about 18 MB.
pub fn generate(seed: u64, end: Timestamp, weeks: u32) -> DemoPortfolio {
    let assets = SERVICES
        .iter()
        .map(|s| DemoAsset {
            name: s.name.to_string(),
            team: s.team.to_string(),
            tags: s.tags.iter().map(|t| (*t).to_string()).collect(),
            criticality: s.criticality.to_string(),
            repository: s.repository.to_string(),
            image: s.image.map(str::to_string),
        })
        .collect();
    let seed_s = seed.to_string();
    let mut reports = Vec::new();
    for (si, svc) in SERVICES.iter().enumerate() {
        let plan = sast::plan(seed, svc.name);
        for w in 0..weeks {
            let r = story::ref_week(w, weeks);
            let week_s = w.to_string();
            let commit = stable_hex(40, &[&seed_s, svc.name, &week_s, "commit"]);
            let mut jitter = Rng::stream(seed, &["time", svc.name, &week_s]);
            // each service's pipeline runs at its own time of day, scanners a few minutes apart
            let weeks_back = i64::from(weeks - 1 - w);
            let minutes_back =
                60 + 47 * i64::try_from(si).unwrap_or(0) + i64::from(jitter.range(0, 25));
            let base = end
                .checked_sub(SignedDuration::from_hours(24 * 7 * weeks_back))
                .and_then(|t| t.checked_sub(SignedDuration::from_mins(minutes_back)))
                .unwrap_or(Timestamp::MIN);
            for (k, &(scanner, from)) in svc.scanners.iter().enumerate() {
                if r < from {
                    continue;
                }
                let secs = 60 * 4 * i64::try_from(k).unwrap_or(0) + i64::from(jitter.range(0, 59));
                let scanned_at = base
                    .checked_add(SignedDuration::from_secs(secs))
                    .unwrap_or(base)
                    .min(end);
                let ctx = Ctx {
                    seed,
                    service: svc,
                    week: w,
                    r,
                    commit: commit.clone(),
                    scanned_at,
                };
                let bytes = match (scanner, plan.as_ref()) {
                    (Scanner::TrivyImage, _) => formats::trivy::write(&ctx, true),
                    (Scanner::TrivyFs, _) => formats::trivy::write(&ctx, false),
                    (Scanner::GrypeImage, _) => formats::grype::write(&ctx),
                    (Scanner::Gitleaks, _) => formats::gitleaks::write(&ctx),
                    (Scanner::CodeQl, Some(p)) => {
                        let language = if matches!(p.rules, sast::RuleSet::CodeQlGo) {
                            "go"
                        } else {
                            "java"
                        };
                        formats::codeql_sarif::write(&ctx, p, language)
                    }
                    (Scanner::SemgrepJson, Some(p)) => formats::semgrep_json::write(&ctx, p),
                    (Scanner::SemgrepSarif, Some(p)) => formats::semgrep_sarif::write(&ctx, p),
                    (_, None) => continue,
                };
                reports.push(DemoReport {
                    asset: svc.name.to_string(),
                    tool: scanner.tool().to_string(),
                    branch: "main".to_string(),
                    commit: commit.clone(),
                    scanned_at,
                    file_name: format!(
                        "{}_{}_{}",
                        svc.name,
                        util::date(scanned_at),
                        scanner.file_suffix()
                    ),
                    bytes,
                });
            }
        }
    }
    reports.sort_by(|a, b| (a.scanned_at, &a.file_name).cmp(&(b.scanned_at, &b.file_name)));
    DemoPortfolio { assets, reports }
}
