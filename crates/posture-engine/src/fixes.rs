//! Remediation by fix: open findings grouped into the actions that close them ("upgrade
//! lodash 4.17.4 → 4.17.10 closes 6 findings in 2 assets"), ranked by the risk they remove.
//!
//! * **Package upgrades**, one per (ecosystem, package, installed version) across assets:
//!   `to_version` is the lowest version that fixes every finding the action closes, by the
//!   ecosystem's own order ([`crate::versions`]). Each occurrence's fixed versions are read as
//!   a fix specification ([`FixSpec`]): a list of versions (`4.17.5, 4.17.9`, one per release
//!   line: `2.12.6.1, 2.13.2.1` fixes 2.12 from 2.12.6.1 and 2.13 from 2.13.2.1) or ranges
//!   (`>= 2.6.9 < 3.0.0 || >= 3.1.0`). The candidates are the lower bounds above the installed
//!   version; the lowest that every finding's specifications contain wins. When no single
//!   version closes them all (tools disagreeing on release lines), the version closing most
//!   makes one action and the rest another. Findings of the package that no version fixes are
//!   its `unfixable` ones; a package with only those gets no upgrade
//!   ([`FixPlan::unfixable`]).
//! * **Base-image upgrades**: the container findings of operating-system packages a named
//!   base image brings, when the report names it.
//! * **Code actions**: one rule in one file of one asset, for SAST.
//!
//! Aliases of one vulnerability (CVE, GHSA, OSV and distribution ids) count once per asset:
//! findings of one action that share an id in one asset are one issue, in `closes` and in
//! `risk_removed` (the highest score of the issue); `findings` still lists every id.
//!
//! Pure: the application reads the open findings, passes [`FixInput`]s and renders the plan.

use crate::versions::{Scheme, Version, crosses_major};
use posture_model::{Category, normalize_vuln_id};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One open finding, as remediation planning needs it.
#[derive(Debug, Clone, Default)]
pub struct FixInput {
    pub finding: i64,
    pub asset: String,
    pub category: Option<Category>,
    pub rule_id: String,
    /// The finding's risk score (0-100).
    pub risk: f64,
    /// Every vulnerability id of its occurrences (any spelling).
    pub vulnerability_ids: Vec<String>,
    /// The package, from its first open occurrence that names one.
    pub package: Option<FixPackage>,
    /// Each occurrence's fixed versions, as the scanner wrote them (occurrences without any
    /// left out).
    pub fixed: Vec<Vec<String>>,
    /// The file, for code findings.
    pub path: Option<String>,
    /// The base image the report says the finding's image is built on.
    pub base_image: Option<String>,
}

/// A package as an action names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FixPackage {
    pub name: String,
    /// Purl type vocabulary (`npm`, `pypi`, `deb`...).
    pub ecosystem: Option<String>,
    /// The package URL of the installed version.
    pub purl: Option<String>,
    /// The installed version (not serialized here: the action's `installed`).
    #[serde(skip)]
    pub version: Option<String>,
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    PackageUpgrade,
    BaseImage,
    Code,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::PackageUpgrade => "package-upgrade",
            FixKind::BaseImage => "base-image",
            FixKind::Code => "code",
        }
    }
}

/// One remediation action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixAction {
    pub kind: FixKind,
    /// A stable key of the action (`package-upgrade:npm/lodash@4.17.4->4.17.10`,
    /// `code:payments-api:rule:path`), the same across reads of the same data.
    pub key: String,
    /// What to do, in words (`upgrade lodash 4.17.4 → 4.17.10`).
    pub summary: String,
    /// The package upgraded (package upgrades only).
    pub package: Option<FixPackage>,
    /// The installed version (package upgrades only).
    pub installed: Option<String>,
    /// The version to upgrade to: the lowest that fixes every finding listed.
    pub to_version: Option<String>,
    /// Whether `to_version` crosses a major version of `installed` (a breaking upgrade).
    pub major: bool,
    /// The findings the action closes (ids), ascending.
    pub findings: Vec<i64>,
    /// Distinct issues closed: findings of one asset that are one vulnerability under several
    /// ids count once.
    pub closes: usize,
    /// The vulnerabilities closed, one id per alias group (a CVE where there is one), sorted.
    pub vulnerabilities: Vec<String>,
    /// The assets it touches (its blast radius), sorted.
    pub assets: Vec<String>,
    /// The sum of the closed issues' risk scores.
    pub risk_removed: f64,
    /// Findings of the same package and installed version that no version fixes.
    pub unfixable: Vec<i64>,
    /// The rule (code actions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The file (code actions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The base image (base-image actions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl FixAction {
    /// The action and what it closes in one sentence: `upgrade lodash 4.17.4 → 4.17.10
    /// closes 3 findings`.
    pub fn sentence(&self) -> String {
        let n = self.closes;
        format!(
            "{} closes {n} finding{}",
            self.summary,
            if n == 1 { "" } else { "s" }
        )
    }
}

/// A package (at one installed version) whose findings no version fixes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unfixable {
    pub package: FixPackage,
    pub installed: Option<String>,
    pub findings: Vec<i64>,
    pub assets: Vec<String>,
    /// The sum of their risk scores (aliases once).
    pub risk: f64,
}

/// Every action, ranked by the risk it removes (then by what it closes, then by key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixPlan {
    pub actions: Vec<FixAction>,
    /// Packages with findings but no fixed version: no upgrade is offered.
    pub unfixable: Vec<Unfixable>,
    /// Open findings considered.
    pub open_findings: usize,
    /// Findings some action closes.
    pub findings_in_actions: usize,
}

/// A finding's fix, read from one scanner's fixed versions: the versions (as intervals)
/// that no longer have the vulnerability.
#[derive(Debug, Clone)]
pub struct FixSpec {
    intervals: Vec<Interval>,
}

#[derive(Debug, Clone)]
struct Interval {
    /// Inclusive lower bound (`>= x`, or a listed fixed version).
    from: Option<Version>,
    /// Exclusive lower bound (`> x`): a constraint, never a candidate.
    above: Option<Version>,
    /// Upper bound and whether it is inclusive.
    below: Option<(Version, bool)>,
    /// Release line: the version's leading release numbers must be these.
    line: Vec<u64>,
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    a.compare(b).unwrap_or(Ordering::Equal)
}

impl Interval {
    fn contains(&self, v: &Version) -> bool {
        if let Some(f) = &self.from
            && cmp(v, f) == Ordering::Less
        {
            return false;
        }
        if let Some(a) = &self.above
            && cmp(v, a) != Ordering::Greater
        {
            return false;
        }
        if let Some((b, inclusive)) = &self.below {
            match cmp(v, b) {
                Ordering::Less => {}
                Ordering::Equal if *inclusive => {}
                _ => return false,
            }
        }
        self.line.is_empty() || v.release().starts_with(&self.line)
    }
}

impl FixSpec {
    /// Reads one occurrence's fixed versions: each entry a version, a comma-separated list of
    /// versions (`4.17.5, 4.17.9`), or ranges (`>= 1.2.3`, `>=1.4.1 <2.0.0 || >=2.0.3`).
    /// Entries that are not versions of the scheme are left out; `None` when nothing is left.
    pub fn parse(scheme: Scheme, fixed: &[String]) -> Option<FixSpec> {
        let mut points: Vec<Version> = Vec::new();
        let mut intervals = Vec::new();
        for entry in fixed {
            for part in entry.split("||") {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                if part.starts_with(['<', '>', '=', '!']) {
                    if let Some(i) = range(scheme, part) {
                        intervals.push(i);
                    }
                } else {
                    for p in part.split(',') {
                        // `1.2.3 (something)`: the first word
                        let word = p.split_whitespace().next().unwrap_or("");
                        if let Some(v) = Version::parse(scheme, word) {
                            points.push(v);
                        }
                    }
                }
            }
        }
        points.sort_by(cmp);
        points.dedup_by(|a, b| cmp(a, b) == Ordering::Equal);
        for (k, p) in points.iter().enumerate() {
            intervals.push(Interval {
                from: Some(p.clone()),
                above: None,
                below: None,
                line: points
                    .get(k + 1)
                    .map(|next| release_line(p, next))
                    .unwrap_or_default(),
            });
        }
        (!intervals.is_empty()).then_some(FixSpec { intervals })
    }

    /// Whether `v` has the fix.
    pub fn contains(&self, v: &Version) -> bool {
        self.intervals.iter().any(|i| i.contains(v))
    }

    /// The versions one could upgrade to: every inclusive lower bound.
    fn candidates(&self) -> impl Iterator<Item = &Version> {
        self.intervals.iter().filter_map(|i| i.from.as_ref())
    }
}

/// The release line a listed fixed version fixes when a higher one is listed after it: its
/// release numbers up to where the two differ (`2.12` of `2.12.6.1` before `2.13.2.1`), and
/// never the whole version (`4.17.5` before `4.17.9` fixes the line `4.17`).
fn release_line(p: &Version, next: &Version) -> Vec<u64> {
    let (a, b) = (p.release(), next.release());
    if a.len() < 2 {
        return Vec::new();
    }
    let differ = a
        .iter()
        .zip(b.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let len = (differ + 1).min(a.len() - 1);
    a[..len].to_vec()
}

/// `>= 1.2.3 < 2.0.0` (comparators separated by spaces or commas, all of which hold).
fn range(scheme: Scheme, text: &str) -> Option<Interval> {
    let mut interval = Interval {
        from: None,
        above: None,
        below: None,
        line: Vec::new(),
    };
    let mut rest = text.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', ',', '\t']);
        if rest.is_empty() {
            break;
        }
        let op_len = rest
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
            .unwrap_or(rest.len());
        let (op, after) = rest.split_at(op_len);
        let after = after.trim_start();
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | '<' | '>' | '=' | '!'))
            .unwrap_or(after.len());
        let (word, tail) = after.split_at(end);
        rest = tail;
        if word.is_empty() {
            return None;
        }
        let v = Version::parse(scheme, word)?;
        match op {
            ">=" | "=>" => interval.from = Some(v),
            ">" => interval.above = Some(v),
            "<" => interval.below = Some((v, false)),
            "<=" | "=<" => interval.below = Some((v, true)),
            "=" | "==" | "===" | "" => {
                interval.from = Some(v.clone());
                interval.below = Some((v, true));
            }
            // `!=` excludes one version: it never makes one fixed
            "!=" => {}
            _ => return None,
        }
    }
    (interval.from.is_some() || interval.above.is_some()).then_some(interval)
}

/// A package name as one ecosystem compares names (PyPI: case-insensitive, `-_.` alike).
fn package_key(ecosystem: &str, name: &str) -> String {
    if ecosystem == "pypi" {
        name.to_ascii_lowercase().replace(['_', '.'], "-")
    } else {
        name.to_string()
    }
}

/// Union-find of the findings of one action into issues: one asset, one vulnerability under
/// any of its ids.
fn issues(inputs: &[&FixInput]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..inputs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut seen: HashMap<(&str, String), usize> = HashMap::new();
    for (k, f) in inputs.iter().enumerate() {
        for id in &f.vulnerability_ids {
            let id = normalize_vuln_id(id);
            if id.is_empty() {
                continue;
            }
            match seen.get(&(f.asset.as_str(), id.clone())) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, k), root(&mut parent, other));
                    if a != b {
                        parent[a] = b;
                    }
                }
                None => {
                    seen.insert((f.asset.as_str(), id), k);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for k in 0..inputs.len() {
        let r = root(&mut parent, k);
        groups.entry(r).or_default().push(k);
    }
    groups.into_values().collect()
}

/// The representative id of an alias group: a CVE when there is one, else the smallest.
fn representative(inputs: &[&FixInput], issue: &[usize]) -> Option<String> {
    let mut ids: Vec<String> = issue
        .iter()
        .flat_map(|&k| inputs[k].vulnerability_ids.iter())
        .map(|id| normalize_vuln_id(id))
        .filter(|id| !id.is_empty())
        .collect();
    ids.sort_by_key(|id| (!id.starts_with("CVE-"), id.clone()));
    ids.into_iter().next()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// What an action closes: ids, issues, vulnerabilities, assets, risk.
struct Closed {
    findings: Vec<i64>,
    closes: usize,
    vulnerabilities: Vec<String>,
    assets: Vec<String>,
    risk: f64,
}

fn closed(inputs: &[&FixInput], issues: &[&Vec<usize>]) -> Closed {
    let mut findings = BTreeSet::new();
    let mut assets = BTreeSet::new();
    let mut vulns = BTreeSet::new();
    let mut risk = 0.0;
    for issue in issues {
        let mut top: f64 = 0.0;
        for &k in issue.iter() {
            findings.insert(inputs[k].finding);
            assets.insert(inputs[k].asset.clone());
            top = top.max(inputs[k].risk.max(0.0));
        }
        risk += top;
        if let Some(v) = representative(inputs, issue) {
            vulns.insert(v);
        }
    }
    Closed {
        findings: findings.into_iter().collect(),
        closes: issues.len(),
        vulnerabilities: vulns.into_iter().collect(),
        assets: assets.into_iter().collect(),
        risk: round1(risk),
    }
}

/// Plans the remediation of `inputs` (open findings).
pub fn plan(inputs: &[FixInput]) -> FixPlan {
    let mut packages: BTreeMap<(String, String, String), Vec<&FixInput>> = BTreeMap::new();
    let mut images: BTreeMap<String, Vec<&FixInput>> = BTreeMap::new();
    let mut code: BTreeMap<(String, String, String), Vec<&FixInput>> = BTreeMap::new();
    for f in inputs {
        let dependency = f.category.is_none_or(Category::is_dependency);
        if let Some(p) = &f.package
            && dependency
        {
            let eco = p.ecosystem.as_deref().unwrap_or("").to_ascii_lowercase();
            if let Some(base) = &f.base_image
                && f.category == Some(Category::Container)
                && matches!(
                    Scheme::of(Some(&eco)),
                    Scheme::Debian | Scheme::Rpm | Scheme::Alpine
                )
            {
                images.entry(base.clone()).or_default().push(f);
                continue;
            }
            let key = (
                eco.clone(),
                package_key(&eco, &p.name),
                p.version.clone().unwrap_or_default(),
            );
            packages.entry(key).or_default().push(f);
        } else if f.category == Some(Category::Sast) {
            code.entry((
                f.asset.clone(),
                f.rule_id.clone(),
                f.path.clone().unwrap_or_default(),
            ))
            .or_default()
            .push(f);
        }
    }

    let mut actions = Vec::new();
    let mut unfixable = Vec::new();
    for ((eco, _, installed), members) in &packages {
        package_actions(eco, installed, members, &mut actions, &mut unfixable);
    }
    for (image, members) in &images {
        let groups = issues(members);
        let all: Vec<&Vec<usize>> = groups.iter().collect();
        let c = closed(members, &all);
        actions.push(FixAction {
            kind: FixKind::BaseImage,
            key: format!("base-image:{image}"),
            summary: format!("rebuild on a current {image}"),
            package: None,
            installed: None,
            to_version: None,
            major: false,
            findings: c.findings,
            closes: c.closes,
            vulnerabilities: c.vulnerabilities,
            assets: c.assets,
            risk_removed: c.risk,
            unfixable: Vec::new(),
            rule: None,
            path: None,
            image: Some(image.clone()),
        });
    }
    for ((asset, rule, path), members) in &code {
        let all: Vec<Vec<usize>> = (0..members.len()).map(|k| vec![k]).collect();
        let refs: Vec<&Vec<usize>> = all.iter().collect();
        let c = closed(members, &refs);
        let place = if path.is_empty() {
            asset.clone()
        } else {
            path.clone()
        };
        actions.push(FixAction {
            kind: FixKind::Code,
            key: format!("code:{asset}:{rule}:{path}"),
            summary: format!("fix {rule} in {place}"),
            package: None,
            installed: None,
            to_version: None,
            major: false,
            findings: c.findings,
            closes: c.closes,
            vulnerabilities: c.vulnerabilities,
            assets: c.assets,
            risk_removed: c.risk,
            unfixable: Vec::new(),
            rule: Some(rule.clone()),
            path: (!path.is_empty()).then(|| path.clone()),
            image: None,
        });
    }
    actions.sort_by(|a, b| {
        b.risk_removed
            .total_cmp(&a.risk_removed)
            .then(b.closes.cmp(&a.closes))
            .then_with(|| a.key.cmp(&b.key))
    });
    unfixable.sort_by(|a: &Unfixable, b: &Unfixable| {
        b.risk
            .total_cmp(&a.risk)
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.installed.cmp(&b.installed))
    });
    let findings_in_actions = actions.iter().map(|a| a.findings.len()).sum();
    FixPlan {
        actions,
        unfixable,
        open_findings: inputs.len(),
        findings_in_actions,
    }
}

/// The upgrade actions of one package at one installed version.
fn package_actions(
    eco: &str,
    installed: &str,
    members: &[&FixInput],
    actions: &mut Vec<FixAction>,
    unfixable_out: &mut Vec<Unfixable>,
) {
    let scheme = Scheme::of(Some(eco));
    let installed_v = Version::parse(scheme, installed);
    let above_installed = |v: &Version| {
        installed_v
            .as_ref()
            .is_none_or(|i| cmp(v, i) == Ordering::Greater)
    };
    // the usable specifications of each finding: one with a candidate above the installed
    // version (a fixed version at or below it says nothing an upgrade could do)
    let specs: Vec<Vec<FixSpec>> = members
        .iter()
        .map(|f| {
            f.fixed
                .iter()
                .filter_map(|list| FixSpec::parse(scheme, list))
                .filter(|s| s.candidates().any(above_installed))
                .collect()
        })
        .collect();
    let groups = issues(members);
    let (mut open, unfixable): (Vec<&Vec<usize>>, Vec<&Vec<usize>>) = groups
        .iter()
        .partition(|issue| issue.iter().any(|&k| !specs[k].is_empty()));
    let mut unfixable_ids: Vec<i64> = unfixable
        .iter()
        .flat_map(|i| i.iter().map(|&k| members[k].finding))
        .collect();
    unfixable_ids.sort_unstable();
    let first = members[0];
    let package = first.package.clone().map(|mut p| {
        p.ecosystem = p.ecosystem.map(|e| e.to_ascii_lowercase());
        p.purl = members
            .iter()
            .find_map(|m| m.package.as_ref().and_then(|p| p.purl.clone()));
        p
    });
    let package = package.unwrap_or_default();
    let installed_text = (!installed.is_empty()).then(|| installed.to_string());

    let mut candidates: Vec<Version> = specs
        .iter()
        .flatten()
        .flat_map(|s| s.candidates().cloned())
        .filter(above_installed)
        .collect();
    candidates.sort_by(cmp);
    candidates.dedup_by(|a, b| cmp(a, b) == Ordering::Equal);

    let mut made = Vec::new();
    while !open.is_empty() {
        // the version closing the most issues; the lowest of those
        let mut best: Option<(usize, &Version)> = None;
        for c in &candidates {
            let n = open
                .iter()
                .filter(|issue| {
                    issue
                        .iter()
                        .all(|&k| specs[k].iter().all(|s| s.contains(c)))
                })
                .count();
            if n > 0 && best.is_none_or(|(m, _)| n > m) {
                best = Some((n, c));
            }
        }
        let Some((_, to)) = best else {
            // no listed version satisfies every tool's fix of these: nothing to offer
            for issue in &open {
                unfixable_ids.extend(issue.iter().map(|&k| members[k].finding));
            }
            unfixable_ids.sort_unstable();
            break;
        };
        let (closing, rest): (Vec<&Vec<usize>>, Vec<&Vec<usize>>) =
            open.into_iter().partition(|issue| {
                issue
                    .iter()
                    .all(|&k| specs[k].iter().all(|s| s.contains(to)))
            });
        open = rest;
        let c = closed(members, &closing);
        let major = installed_v
            .as_ref()
            .is_some_and(|i| crosses_major(scheme, i, to));
        let summary = match &installed_text {
            Some(i) => format!("upgrade {} {i} → {}", package.name, to.as_str()),
            None => format!("upgrade {} to {}", package.name, to.as_str()),
        };
        made.push(FixAction {
            kind: FixKind::PackageUpgrade,
            key: format!(
                "package-upgrade:{}/{}@{}->{}",
                if eco.is_empty() { "generic" } else { eco },
                package.name,
                installed,
                to.as_str()
            ),
            summary,
            package: Some(package.clone()),
            installed: installed_text.clone(),
            to_version: Some(to.as_str().to_string()),
            major,
            findings: c.findings,
            closes: c.closes,
            vulnerabilities: c.vulnerabilities,
            assets: c.assets,
            risk_removed: c.risk,
            unfixable: Vec::new(),
            rule: None,
            path: None,
            image: None,
        });
    }
    if let Some(a) = made.first_mut() {
        a.unfixable = unfixable_ids;
    } else if !unfixable_ids.is_empty() {
        let all: Vec<&Vec<usize>> = groups.iter().collect();
        let c = closed(members, &all);
        unfixable_out.push(Unfixable {
            package,
            installed: installed_text,
            findings: unfixable_ids,
            assets: c.assets,
            risk: c.risk,
        });
    }
    actions.extend(made);
}

#[cfg(test)]
mod tests;
