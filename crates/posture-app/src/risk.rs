//! Risk and ownership of findings: the portfolio configuration (`posture.toml` and the
//! CODEOWNERS files it points at), the threat feeds in the store, and `posture_risk::assess`.
//!
//! Each finding's risk input is built from: its severity; the best CVSS rating among all its
//! occurrences (`best_rating`); the KEV and EPSS facts of every vulnerability id of every
//! occurrence (an alias group counts as one: the strongest fact wins), and when no imported
//! EPSS feed scores any of them, the highest EPSS score a scanner reported with an occurrence
//! (grype 0.94+), named after the tool, report and score date; reachability (reachable
//! when a description line says `Reachability: called` or `Reachability: reachable`, the way
//! parsers pass govulncheck, Semgrep and OSV-Scanner verdicts, unreachable when it says
//! `not called` or `unreachable`; else reachable when the finding's package (ecosystem +
//! normalized name) is in the asset's runtime inventory, from a runtime SBOM ingested with
//! `--kind runtime`; unknown otherwise; for a SAST finding, runtime coverage of its lines
//! decides: see [`crate::execution`]); and the asset's context from the portfolio. Its owner comes from `posture_config::resolve_owner`.

use crate::AppError;
use posture_config::{CodeOwners, Environment, Exposure, Portfolio, RenderStyle};
use posture_model::Timestamp;
use posture_risk::{
    AssetContext, EpssFact, FeedKind, KevFact, Reachability, RiskAssessment, RiskInput, RiskWeights,
};
use posture_store::{
    EpssImport, EpssRow, FeedFacts, FeedImportRecord, FindingRecord, KevImport, KevRow, RiskChange,
    RuntimeComponentRecord, Store, StoredRisk,
};
use serde::Serialize;
use sha2::Digest;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest feed file read (the full EPSS CSV is about 15 MB; KEV JSON about 1.5 MB).
pub const MAX_FEED_BYTES: u64 = 512 * 1024 * 1024;

/// A loaded portfolio configuration: `posture.toml`, its CODEOWNERS files and risk weights.
#[derive(Debug, Clone)]
pub struct RiskConfig {
    pub path: PathBuf,
    pub portfolio: Portfolio,
    /// CODEOWNERS of each asset that names one.
    pub codeowners: HashMap<String, CodeOwners>,
    pub weights: RiskWeights,
    /// A fingerprint of everything above as read (file texts, model version): stored risk
    /// computed under another basis is assessed again.
    pub basis: String,
}

/// Reads and validates `posture.toml` and the CODEOWNERS files its assets name (relative to
/// the configuration file). Errors are rendered rustc-style, with file, line and column.
pub fn load_config(path: &Path) -> Result<RiskConfig, AppError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| AppError::Read {
        file: name.clone(),
        error,
    })?;
    let portfolio = posture_config::parse_portfolio(&name, &text)
        .map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))?;
    let mut basis = sha2::Sha256::new();
    basis.update(posture_risk::MODEL_VERSION.as_bytes());
    basis.update(b"\0posture.toml\0");
    basis.update(text.as_bytes());
    let base = path.parent().unwrap_or(Path::new("."));
    let mut codeowners = HashMap::new();
    for asset in portfolio.assets() {
        let Some(rel) = &asset.codeowners else {
            continue;
        };
        let file = base.join(rel);
        let file_name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|error| AppError::Read {
            file: file_name.clone(),
            error,
        })?;
        let co = CodeOwners::parse(&file_name, &text)
            .map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))?;
        basis.update(b"\0codeowners\0");
        basis.update(asset.name.as_bytes());
        basis.update(b"\0");
        basis.update(text.as_bytes());
        codeowners.insert(asset.name.clone(), co);
    }
    let weights = weights_from(&name, portfolio.risk())?;
    Ok(RiskConfig {
        path: path.to_path_buf(),
        portfolio,
        codeowners,
        weights,
        basis: format!("config:{}", hex::encode(basis.finalize())),
    })
}

/// Risk weights from the JSON form of a `[risk]` table, validated.
fn weights_from(
    name: &str,
    risk: &serde_json::Map<String, serde_json::Value>,
) -> Result<RiskWeights, AppError> {
    let weights: RiskWeights = serde_json::from_value(serde_json::Value::Object(risk.clone()))
        .map_err(|e| AppError::Invalid(format!("{name}: [risk]: {e}")))?;
    let problems = weights.validate();
    if !problems.is_empty() {
        return Err(AppError::Invalid(format!(
            "{name}: [risk]: {}",
            problems.join("; ")
        )));
    }
    Ok(weights)
}

/// Reads a TOML file of risk weight overrides (the keys of `[risk]`, at the top level or
/// under `[risk]`) over the defaults.
pub fn load_weights(path: &Path) -> Result<RiskWeights, AppError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| AppError::Read {
        file: name.clone(),
        error,
    })?;
    let risk = posture_config::parse_risk_weights(&name, &text)
        .map_err(|e| AppError::Invalid(e.render(RenderStyle::Plain)))?;
    weights_from(&name, &risk)
}

/// The findings whose score or band moves from `old` weights to `new` ones, largest move
/// first (ids are finding ids).
pub fn diff_weights(
    findings: &[AssessedFinding],
    old: &RiskWeights,
    new: &RiskWeights,
) -> Vec<posture_risk::ModelMove> {
    let inputs: Vec<(String, RiskInput)> = findings
        .iter()
        .map(|f| (f.finding.id.to_string(), f.input.clone()))
        .collect();
    posture_risk::diff_models(old, new, &inputs)
}

/// Who owns a finding, and why.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerView {
    pub team: Option<String>,
    /// The explanation of the decision (`CODEOWNERS line 3: /src/ @acme/payments`).
    pub source: String,
}

/// A finding with its owner (when a portfolio is configured) and its risk.
#[derive(Debug, Clone, Serialize)]
pub struct AssessedFinding {
    #[serde(flatten)]
    pub finding: FindingRecord,
    pub owner: Option<OwnerView>,
    pub risk: RiskAssessment,
    /// Whether one of its vulnerability ids is in the CISA KEV catalog.
    #[serde(skip)]
    pub in_kev: bool,
    /// Whether the vulnerable code is known to be reachable (a scanner's verdict or the
    /// runtime inventory).
    #[serde(skip)]
    pub reachable: bool,
    /// The facts the score was computed from (to score again under other weights).
    #[serde(skip)]
    pub input: RiskInput,
    /// Findings linked to this one: the dependency finding of a package its code calls, or
    /// the SAST findings that call its package (`posture_app::story`); empty when none.
    pub related: Vec<crate::story::Related>,
}

/// Normalized CVE ids of every occurrence of the finding.
fn cves_of(f: &FindingRecord) -> Vec<String> {
    let mut ids: Vec<String> = f
        .occurrences
        .iter()
        .flat_map(|o| o.data.vulnerability_ids.iter())
        .map(|id| id.trim().to_ascii_uppercase())
        .filter(|id| id.starts_with("CVE-"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn reachability_of(f: &FindingRecord) -> (Reachability, Option<String>) {
    let mut unreachable = None;
    for o in &f.occurrences {
        let Some(d) = &o.data.description else {
            continue;
        };
        for line in d.lines() {
            let Some(rest) = line.trim().strip_prefix("Reachability:") else {
                continue;
            };
            let verdict = rest.trim().to_ascii_lowercase();
            let source = || Some(format!("{}: Reachability: {}", o.tool, rest.trim()));
            if verdict.starts_with("called") || verdict.starts_with("reachable") {
                return (Reachability::Reachable, source());
            }
            if unreachable.is_none()
                && (verdict.starts_with("not called")
                    || verdict.starts_with("not reachable")
                    || verdict.starts_with("unreachable"))
            {
                unreachable = source();
            }
        }
    }
    match unreachable {
        Some(source) => (Reachability::Unreachable, Some(source)),
        None => (Reachability::Unknown, None),
    }
}

/// Ecosystem names folded to one vocabulary (purl types), so a scanner's `python` meets an
/// SBOM's `pypi`.
fn ecosystem_key(ecosystem: Option<&str>) -> String {
    let e = ecosystem.unwrap_or("").trim().to_ascii_lowercase();
    match e.as_str() {
        "pip" | "python" | "pypi" => "pypi".into(),
        "go" | "golang" | "go-module" => "golang".into(),
        "crates.io" | "cargo" | "rust" | "rust-crate" => "cargo".into(),
        "rubygems" | "gem" | "ruby" => "gem".into(),
        "java" | "maven" | "java-archive" => "maven".into(),
        "node" | "npm" | "javascript" => "npm".into(),
        "packagist" | "composer" | "php" => "composer".into(),
        "dotnet" | "nuget" => "nuget".into(),
        "debian" | "deb" | "ubuntu" => "deb".into(),
        "alpine" | "apk" => "apk".into(),
        "rpm" | "redhat" | "centos" | "rhel" => "rpm".into(),
        _ => e,
    }
}

fn package_key(ecosystem: Option<&str>, name: &str) -> (String, String) {
    let eco = ecosystem_key(ecosystem);
    let name = posture_engine::identity::normalize_package_name(Some(eco.as_str()), name);
    (eco, name)
}

/// The runtime inventory of the findings' assets: (asset, ecosystem, name) -> the evidence.
struct RuntimeIndex {
    by_package: HashMap<(String, String, String), String>,
}

impl RuntimeIndex {
    fn new(rows: Vec<RuntimeComponentRecord>) -> Self {
        let mut by_package = HashMap::new();
        for r in rows {
            let (eco, name) = package_key(r.ecosystem.as_deref(), &r.name);
            let version = r
                .version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            let source = format!(
                "runtime inventory {} {}: {}{version} loaded",
                r.report, r.seen_at, r.name
            );
            by_package.entry((r.asset, eco, name)).or_insert(source);
        }
        RuntimeIndex { by_package }
    }

    /// The evidence that the finding's package is loaded in its asset, if any.
    fn loaded(&self, f: &FindingRecord) -> Option<String> {
        if self.by_package.is_empty() {
            return None;
        }
        f.occurrences.iter().find_map(|o| {
            let p = o.data.package.as_ref()?;
            let (eco, name) = package_key(p.ecosystem.as_deref(), &p.name);
            self.by_package.get(&(f.asset.clone(), eco, name)).cloned()
        })
    }
}

fn date(s: &Option<String>) -> Option<jiff::civil::Date> {
    s.as_deref().and_then(|d| d.parse().ok())
}

fn kev_fact(r: &KevRow) -> KevFact {
    KevFact {
        catalog_version: r.catalog_version.clone(),
        date_added: date(&r.date_added),
        due_date: date(&r.due_date),
        known_ransomware: r.ransomware,
    }
}

fn epss_fact(r: &EpssRow) -> EpssFact {
    let mut f = EpssFact::new(r.probability, r.percentile);
    f.model_version = r.model_version.clone();
    f.score_date = date(&r.score_date);
    f
}

/// The highest EPSS score a scanner reported with one of the finding's occurrences, named
/// after the tool, the report and the score date (`grype 0.94.0 report scan.json, EPSS
/// 2025-06-18`). A missing percentile counts as 0.
fn scanner_epss(f: &FindingRecord) -> Option<EpssFact> {
    let (o, e) = f
        .occurrences
        .iter()
        .filter_map(|o| Some((o, o.data.epss.as_ref()?)))
        .filter(|(_, e)| e.probability.is_finite())
        .max_by(|a, b| a.1.probability.total_cmp(&b.1.probability))?;
    let mut fact = EpssFact::new(e.probability, e.percentile.unwrap_or(0.0));
    fact.score_date = date(&e.date);
    let mut source = format!("{} report {}, EPSS", e.source, o.report);
    if let Some(d) = &e.date {
        source.push(' ');
        source.push_str(d);
    }
    if e.percentile.is_none() {
        source.push_str(" (no percentile given)");
    }
    fact.source = Some(source);
    Some(fact)
}

fn asset_context(config: Option<&RiskConfig>, asset: &str) -> AssetContext {
    let mut ctx = AssetContext {
        name: Some(asset.to_string()),
        ..AssetContext::default()
    };
    let Some(cfg) = config else {
        return ctx;
    };
    let Some(a) = cfg.portfolio.asset(asset) else {
        return ctx;
    };
    ctx.criticality = a.criticality.map(|c| match c {
        posture_config::Criticality::Tier1 => posture_risk::Criticality::Tier1,
        posture_config::Criticality::Tier2 => posture_risk::Criticality::Tier2,
        posture_config::Criticality::Tier3 => posture_risk::Criticality::Tier3,
    });
    ctx.internet_facing = a.exposure.map(|e| e == Exposure::InternetFacing);
    ctx.production = a.environment.map(|e| e == Environment::Production);
    ctx.data_classes = a.data.clone();
    ctx.source = Some(match cfg.portfolio.asset_line(asset) {
        Some(line) => format!("{} line {line}", cfg.portfolio.source_name()),
        None => cfg.portfolio.source_name().to_string(),
    });
    ctx
}

/// The path ownership is decided by: the first occurrence's file (open ones first).
fn path_of(f: &FindingRecord) -> Option<&str> {
    let mut occ: Vec<_> = f.occurrences.iter().collect();
    occ.sort_by_key(|o| !o.open);
    occ.iter().find_map(|o| o.data.location.path.as_deref())
}

/// Owner of one finding, when a portfolio is configured.
pub fn owner_of(config: &RiskConfig, f: &FindingRecord) -> OwnerView {
    let d = posture_config::resolve_owner(
        &config.portfolio,
        config.codeowners.get(&f.asset),
        &f.asset,
        path_of(f),
    );
    OwnerView {
        team: d.team.clone(),
        source: d.explain(),
    }
}

/// The model version the app scores with.
pub const MODEL_VERSION: &str = posture_risk::MODEL_VERSION;

/// The weights that score as an earlier model version did (`posture-risk/2`), for `posture
/// risk diff --from`; `None` for a version the model cannot reproduce.
pub fn earlier_model(version: &str) -> Option<RiskWeights> {
    match version.trim() {
        "posture-risk/2" => Some(RiskWeights::posture_risk_2()),
        _ => None,
    }
}

/// The rating that counts. For an OS package (`deb`, `rpm`, `apk`...) that its distribution
/// rated (Trivy's `VendorSeverity`/`SeveritySource`, Grype's distro namespace), the
/// distribution's rating counts over NVD's: its CVSS rating if it gave one, else its severity
/// word; every other rating is named in the explanation. Otherwise `best_rating` chooses.
fn rated_input(f: &FindingRecord, ratings: &[posture_model::CvssRating]) -> RiskInput {
    let os_package = f.occurrences.iter().any(|o| {
        o.data
            .package
            .as_ref()
            .and_then(|p| p.ecosystem.as_deref())
            .is_some_and(posture_risk::is_os_package)
    });
    let distro = os_package
        .then(|| {
            f.occurrences.iter().find_map(|o| {
                posture_risk::distribution_rating(&o.data.severity_ratings)
                    .map(|r| (r.clone(), o.tool.clone()))
            })
        })
        .flatten();
    let Some((distro, tool)) = distro else {
        let mut input = RiskInput::new(f.severity);
        if let Some(chosen) = posture_risk::best_rating(ratings) {
            input = input.with_rating(&chosen);
        }
        return input;
    };
    let others: Vec<String> = ratings
        .iter()
        .filter(|r| !r.source.eq_ignore_ascii_case(&distro.source))
        .filter_map(|r| {
            let score = r
                .vector
                .as_deref()
                .and_then(|v| posture_risk::score_vector(v).ok())
                .map(|c| c.base_score)
                .or(r.score)?;
            Some(format!("{} CVSS {score}", r.source))
        })
        .collect();
    let mut note = format!(
        "{} rates it {} ({tool}); the distribution's rating counts for OS packages",
        distro.source, distro.severity
    );
    if !others.is_empty() {
        note.push_str(&format!("; also rated: {}", others.join(", ")));
    }
    let own: Vec<posture_model::CvssRating> = ratings
        .iter()
        .filter(|r| r.source.eq_ignore_ascii_case(&distro.source))
        .cloned()
        .collect();
    let mut input = RiskInput::new(distro.severity);
    match posture_risk::best_rating(&own) {
        Some(chosen) => input = input.with_rating(&chosen),
        None => input.severity_source = Some(format!("{} ({tool})", distro.source)),
    }
    input.rating_note = Some(note);
    input
}

/// Whether a fix exists, from the open occurrences' packages: a fixed version named by any tool
/// is a fix (`fixed in 0.12.3 (trivy)`); packages with no fixed version from every tool are "no
/// fix yet"; a finding without a package (code, IaC, secrets) is unknown.
/// Code quality, not security: when every tool that reports the finding (its open
/// occurrences, else all) classes it so (`codeql: SARIF tags: reliability, correctness`). One
/// tool calling it security keeps it a security finding.
fn quality_of(f: &FindingRecord) -> Option<String> {
    let open: Vec<_> = f.occurrences.iter().filter(|o| o.open).collect();
    let occurrences = if open.is_empty() {
        f.occurrences.iter().collect()
    } else {
        open
    };
    let mut said: Vec<String> = Vec::new();
    for o in occurrences {
        let words = o.data.quality.as_deref()?;
        let line = format!("{} {words}", o.tool);
        if !said.contains(&line) {
            said.push(line);
        }
    }
    (!said.is_empty()).then(|| said.join("; "))
}

fn fix_of(f: &FindingRecord) -> (Option<bool>, Option<String>) {
    let open: Vec<_> = f.occurrences.iter().filter(|o| o.open).collect();
    let occurrences = if open.is_empty() {
        f.occurrences.iter().collect()
    } else {
        open
    };
    let mut tools_without = Vec::new();
    for o in &occurrences {
        let Some(p) = &o.data.package else {
            continue;
        };
        if !p.fixed_versions.is_empty() {
            return (
                Some(true),
                Some(format!(
                    "{} {}: fixed in {}",
                    o.tool,
                    p.name,
                    p.fixed_versions.join(", ")
                )),
            );
        }
        if !tools_without.contains(&o.tool) {
            tools_without.push(o.tool.clone());
        }
    }
    if tools_without.is_empty() {
        (None, None)
    } else {
        (
            Some(false),
            Some(format!(
                "no fixed version in the {} report",
                tools_without.join(", ")
            )),
        )
    }
}

/// Assesses every finding: one feed lookup for all of them, then the formula per finding.
pub fn assess_findings(
    store: &dyn Store,
    config: Option<&RiskConfig>,
    findings: Vec<FindingRecord>,
) -> Result<Vec<AssessedFinding>, AppError> {
    let all: Vec<String> = findings.iter().flat_map(cves_of).collect();
    let facts: HashMap<String, FeedFacts> = if all.is_empty() {
        HashMap::new()
    } else {
        store.feed_facts(&all)?
    };
    let assets: Vec<String> = findings
        .iter()
        .filter(|f| f.occurrences.iter().any(|o| o.data.package.is_some()))
        .map(|f| f.asset.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let runtime = RuntimeIndex::new(if assets.is_empty() {
        Vec::new()
    } else {
        store.runtime_components(&assets)?
    });
    let coverage = crate::execution::CoverageIndex::load(store, config, &findings)?;
    let stories = crate::story::Stories::load(store, config, &findings)?;
    let default_weights = RiskWeights::default();
    let weights = config.map(|c| &c.weights).unwrap_or(&default_weights);
    let mut contexts: HashMap<String, AssetContext> = HashMap::new();
    let mut out = Vec::with_capacity(findings.len());
    for f in findings {
        let ratings: Vec<_> = f
            .occurrences
            .iter()
            .flat_map(|o| o.data.cvss.iter().cloned())
            .collect();
        let mut input = rated_input(&f, &ratings);
        for cve in cves_of(&f) {
            let Some(fact) = facts.get(&cve) else {
                continue;
            };
            if let Some(k) = &fact.kev {
                let better = match &input.kev {
                    None => true,
                    Some(old) => k.ransomware && !old.known_ransomware,
                };
                if better {
                    input.kev = Some(kev_fact(k));
                }
            }
            if let Some(e) = &fact.epss
                && input
                    .epss
                    .as_ref()
                    .is_none_or(|old| e.probability > old.probability)
            {
                input.epss = Some(epss_fact(e));
            }
        }
        if input.epss.is_none() {
            input.epss = scanner_epss(&f);
        }
        let (mut reach, mut reach_source) = reachability_of(&f);
        if reach == Reachability::Unknown
            && let Some(source) = runtime.loaded(&f)
        {
            reach = Reachability::Reachable;
            reach_source = Some(source);
        }
        // Runtime coverage of a SAST finding's lines decides its reachability.
        if let Some(e) = coverage.evidence(&f) {
            if e.executed() {
                reach = Reachability::Reachable;
            } else if e.environment == posture_model::coverage::CoverageEnvironment::Production {
                reach = Reachability::Unreachable;
            }
            reach_source = Some(e.source());
            input.execution = Some(e);
        }
        // A dependency whose package is called by code that ran (runtime coverage of the
        // SAST finding that calls it) is reachable, unless a scanner said otherwise.
        if reach == Reachability::Unknown
            && let Some(source) = stories.executed_call(&f)
        {
            reach = Reachability::Reachable;
            reach_source = Some(source);
        }
        let related = stories.related(&f);
        input.reachability = reach;
        input.reachability_source = reach_source;
        (input.fix_available, input.fix_source) = fix_of(&f);
        input.quality = quality_of(&f);
        input.asset = contexts
            .entry(f.asset.clone())
            .or_insert_with(|| asset_context(config, &f.asset))
            .clone();
        let risk = posture_risk::assess(&input, weights);
        let owner = config.map(|c| owner_of(c, &f));
        out.push(AssessedFinding {
            finding: f,
            owner,
            in_kev: input.kev.is_some(),
            reachable: input.reachability == Reachability::Reachable,
            risk,
            input,
            related,
        });
    }
    Ok(out)
}

/// The basis of stored risk computed without a portfolio configuration.
fn default_basis() -> String {
    format!("default:{}", posture_risk::MODEL_VERSION)
}

/// A stored assessment in short (`findings.risk_last`): what the next assessment compares
/// itself with to say what moved (score history).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AssessmentSummary {
    pub score: f64,
    pub band: String,
    pub model: String,
    /// Each term's fact and the points it added, by term name.
    pub terms: std::collections::BTreeMap<String, (String, f64)>,
}

impl AssessmentSummary {
    pub fn of(risk: &RiskAssessment) -> Self {
        AssessmentSummary {
            score: risk.score,
            band: risk.band.as_str().to_string(),
            model: risk.model_version.clone(),
            terms: risk
                .terms
                .iter()
                .map(|t| (t.name.clone(), (t.value.clone(), t.contribution)))
                .collect(),
        }
    }

    /// The change from `before` to this assessment, when the score (to 0.1) or the band
    /// moved: the bands, the scores and every term whose fact or points moved, largest move
    /// first (`78.9 -> 93.6: kev: not listed -> listed (+20.0 points); ...`).
    pub fn change_since(&self, before: &AssessmentSummary, at: Timestamp) -> Option<RiskChange> {
        let moved_score = (self.score - before.score).abs() >= 0.05;
        if !moved_score && self.band == before.band {
            return None;
        }
        let names: std::collections::BTreeSet<&String> =
            self.terms.keys().chain(before.terms.keys()).collect();
        let mut moves: Vec<(f64, String)> = Vec::new();
        for name in names {
            let old = before.terms.get(name);
            let new = self.terms.get(name);
            if old == new {
                continue;
            }
            let fact = |t: Option<&(String, f64)>| t.map_or("none".to_string(), |t| t.0.clone());
            let points = new.map_or(0.0, |t| t.1) - old.map_or(0.0, |t| t.1);
            let text = if fact(old) == fact(new) {
                format!("{name}: {} ({points:+.1} points)", fact(new))
            } else {
                format!(
                    "{name}: {} -> {} ({points:+.1} points)",
                    fact(old),
                    fact(new)
                )
            };
            moves.push((points.abs(), text));
        }
        moves.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut reason = format!("{:.1} -> {:.1}", before.score, self.score);
        if before.model != self.model {
            reason.push_str(&format!("; model {} -> {}", before.model, self.model));
        }
        for (_, m) in moves {
            reason.push_str("; ");
            reason.push_str(&m);
        }
        Some(RiskChange {
            at,
            actor: self.model.clone(),
            from_band: before.band.clone(),
            to_band: self.band.clone(),
            reason,
        })
    }
}

/// What [`refresh_stored_risk`] did.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RiskRefresh {
    /// Whether the configuration changed since the stored scores were computed (all were
    /// assessed again).
    pub basis_changed: bool,
    pub assessed: usize,
    /// How many of them moved in score or band (each a `rescored` event).
    pub rescored: usize,
}

/// How many findings one refresh step reads, assesses and stores at a time.
const REFRESH_BATCH: usize = 5_000;

/// Brings the stored risk (score, band, owning team) of every finding up to date: all of
/// them when the configuration changed, else only those an ingest, feed import, runtime
/// inventory, merge or split touched since. Cheap when nothing changed (one indexed read).
/// Lists sorted by risk read the stored values, so call this before them. A finding marked
/// again while it was being assessed keeps its mark (the store checks the version read), and
/// so does one a concurrent writer holds on PostgreSQL: the next refresh assesses it. Where
/// many threads refresh one store (the server), go through a [`RiskRefresher`].
pub fn refresh_stored_risk(
    store: &dyn Store,
    config: Option<&RiskConfig>,
) -> Result<RiskRefresh, AppError> {
    let basis = config
        .map(|c| c.basis.clone())
        .unwrap_or_else(default_basis);
    let mut out = RiskRefresh::default();
    if store.risk_basis()?.as_deref() != Some(basis.as_str()) {
        store.reset_risk(&basis)?;
        out.basis_changed = true;
    }
    loop {
        let batch = store.unassessed_findings(REFRESH_BATCH)?;
        if batch.is_empty() {
            break;
        }
        let n = batch.len();
        let ids: Vec<i64> = batch.iter().map(|f| f.id).collect();
        let last = store.last_assessments(&ids)?;
        let now = Timestamp::now();
        let rows: Vec<StoredRisk> = assess_findings(store, config, batch)?
            .into_iter()
            .map(|a| {
                let summary = AssessmentSummary::of(&a.risk);
                let change = last
                    .get(&a.finding.id)
                    .and_then(|before| serde_json::from_str::<AssessmentSummary>(before).ok())
                    .and_then(|before| summary.change_since(&before, now));
                StoredRisk {
                    finding_id: a.finding.id,
                    score: a.risk.score.max(0.0),
                    band: a.risk.band.as_str().to_string(),
                    team: a.owner.and_then(|o| o.team),
                    version: a.finding.risk_version,
                    last: serde_json::to_string(&summary).unwrap_or_default(),
                    change,
                }
            })
            .collect();
        let moved = rows.iter().filter(|r| r.change.is_some()).count();
        let stored = store.store_risk(rows)?;
        out.rescored += moved.min(stored);
        out.assessed += stored;
        // A full batch of which nothing could be stored (all marked again, or held by
        // writers) would come back as is: leave it to the next refresh.
        if n < REFRESH_BATCH || stored == 0 {
            break;
        }
    }
    Ok(out)
}

/// One stored-risk refresh at a time over one store, shared by every thread that would run
/// one (the server keeps one per store handle).
///
/// Why: after an upload, every reader of a risk-sorted list would otherwise assess the same
/// marked findings at once (and on PostgreSQL store them over each other). A caller that
/// finds a refresh running does not wait for it and does not start a second one: the
/// findings it has not stored yet stay marked "to assess" (listed last in risk order, never
/// in a stale place), and the next refresh, the next caller's, assesses them. Waiting
/// instead made every upload under load wait for a refresh whose writes queued behind the
/// other uploads' ingests (the SQLite writer): uploads answered all at once, 60% later.
#[derive(Debug, Default)]
pub struct RiskRefresher {
    running: std::sync::Mutex<()>,
}

impl RiskRefresher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs [`refresh_stored_risk`] unless a refresh is running; `None` when one was (it did
    /// not wait). Cheap when nothing is marked (one indexed read).
    pub fn refresh_if_idle(
        &self,
        store: &dyn Store,
        config: Option<&RiskConfig>,
    ) -> Result<Option<RiskRefresh>, AppError> {
        let _running = match self.running.try_lock() {
            Ok(guard) => guard,
            // a refresh panicked: the lock guards no data, so it is free again
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(None),
        };
        refresh_stored_risk(store, config).map(Some)
    }
}

#[cfg(test)]
mod refresher_tests {
    use super::*;

    /// A second caller never starts a refresh while one runs, and never waits for it.
    #[test]
    fn a_running_refresh_is_neither_repeated_nor_waited_for() {
        let store = posture_store::SqliteStore::open(":memory:").expect("store");
        let refresher = RiskRefresher::new();
        let done = refresher.refresh_if_idle(&store, None).expect("refresh");
        assert!(done.is_some(), "an idle refresher refreshes");
        let running = refresher.running.lock().expect("lock");
        let started = std::time::Instant::now();
        assert!(
            refresher
                .refresh_if_idle(&store, None)
                .expect("refresh")
                .is_none()
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        drop(running);
        assert!(
            refresher
                .refresh_if_idle(&store, None)
                .expect("refresh")
                .is_some()
        );
    }
}

/// Orders by risk score, highest first (ties: lower id first).
pub fn sort_by_risk(list: &mut [AssessedFinding]) {
    list.sort_by(|a, b| {
        b.risk
            .score
            .total_cmp(&a.risk.score)
            .then(a.finding.id.cmp(&b.finding.id))
    });
}

/// What one feed file held.
#[derive(Debug, Clone, Serialize)]
pub struct FeedImportOutcome {
    pub file: String,
    pub format: FeedKind,
    #[serde(flatten)]
    pub import: FeedImportRecord,
}

/// Reads a KEV (JSON or CSV) or EPSS (CSV, plain or gzip) file, detected by content, and
/// replaces that feed in the store.
pub fn import_feed_file(
    store: &dyn Store,
    path: &Path,
    at: Timestamp,
) -> Result<FeedImportOutcome, AppError> {
    let file = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|error| AppError::Read {
            file: file.clone(),
            error,
        })?
        .len();
    if size > MAX_FEED_BYTES {
        return Err(AppError::TooLarge {
            file,
            size,
            limit: MAX_FEED_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(|error| AppError::Read {
        file: file.clone(),
        error,
    })?;
    import_feed(store, &file, &bytes, at)
}

/// [`import_feed_file`] on bytes already read.
pub fn import_feed(
    store: &dyn Store,
    file: &str,
    bytes: &[u8],
    at: Timestamp,
) -> Result<FeedImportOutcome, AppError> {
    let Some(kind) = posture_risk::detect_feed(bytes) else {
        return Err(AppError::Invalid(format!(
            "{file}: not a CISA KEV catalog (JSON or CSV) or a FIRST EPSS score file (CSV, plain or gzip)"
        )));
    };
    let bad = |e: posture_risk::FeedError| AppError::Invalid(format!("{file}: {e}"));
    let import = match kind {
        FeedKind::KevJson | FeedKind::KevCsv => {
            let catalog = if kind == FeedKind::KevJson {
                posture_risk::parse_kev_json(bytes)
            } else {
                posture_risk::parse_kev_csv(bytes)
            }
            .map_err(bad)?;
            let entries = catalog
                .entries
                .iter()
                .map(|e| KevRow {
                    cve: e.cve_id.trim().to_ascii_uppercase(),
                    date_added: Some(e.date_added.to_string()),
                    ransomware: e.known_ransomware(),
                    catalog_version: catalog.catalog_version.clone(),
                    due_date: e.due_date.map(|d| d.to_string()),
                })
                .collect();
            store.import_kev(KevImport {
                catalog_version: catalog.catalog_version.clone(),
                date: catalog.date_released.clone(),
                entries,
                at,
            })?
        }
        FeedKind::EpssCsv | FeedKind::EpssCsvGzip => {
            let feed = posture_risk::parse_epss_csv(bytes).map_err(bad)?;
            let score_date = feed
                .score_date
                .map(|d| d.to_string())
                .or(feed.score_date_raw.clone());
            let entries = feed
                .scores
                .iter()
                .map(|s| EpssRow {
                    cve: s.cve.trim().to_ascii_uppercase(),
                    probability: s.epss,
                    percentile: s.percentile,
                    model_version: feed.model_version.clone(),
                    score_date: score_date.clone(),
                })
                .collect();
            store.import_epss(EpssImport {
                model_version: feed.model_version.clone(),
                score_date,
                entries,
                at,
            })?
        }
    };
    Ok(FeedImportOutcome {
        file: file.to_string(),
        format: kind,
        import,
    })
}
