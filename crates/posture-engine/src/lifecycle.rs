//! Re-import semantics, as a pure plan.
//!
//! The scope of a scan is (asset, tool, branch). For each scan the store loads what the scope
//! held (one query), [`diff_scope`] compares it with the report in memory, and [`plan`] decides
//! every state change; the store then writes the plan in bulk, in the same transaction.
//!
//! Rules:
//! * an occurrence the scope did not have is **new**; it joins the asset's finding with the
//!   same identity key (another tool or branch may have reported it already) or founds a new
//!   finding;
//! * an occurrence the scope had and the report has again is **seen** (its stored data is
//!   rewritten only when it changed: moved lines, another locator);
//! * an occurrence the scope had open and the report lacks is **closed**;
//! * a finding left with no open occurrence on the asset's **default branch** becomes
//!   **fixed**: occurrences on other branches (merge requests) never keep it open;
//! * a fixed finding that a scan of the default branch reports again is **reopened** (a
//!   regression, counted); a scan of another branch never reopens it;
//! * a finding founded by a scan of another branch is a *branch finding* (not on the default
//!   branch: no `opened` event, not portfolio risk); the first default-branch scan that reports
//!   it **promotes** it (opened then).
//!
//! Triage decisions live on findings and are never touched here, so they survive re-imports.

use crate::correlate::{
    Family, Features, Match, Thresholds, WordWeights, blocking_keys, decide_config, score_with,
};
use crate::identity::{Fingerprint, Identified, IdentifiedOccurrence};
use std::collections::{HashMap, HashSet};

/// An occurrence the scope already holds.
#[derive(Debug, Clone)]
pub struct ExistingOccurrence {
    pub id: i64,
    pub fingerprint: Fingerprint,
    pub finding_id: i64,
    pub open: bool,
    pub data_hash: Fingerprint,
    /// See [`crate::IdentifiedOccurrence::relocation_key`].
    pub relocation_key: Option<Fingerprint>,
    /// See [`crate::identity::place_key`] (`None` for occurrences stored before it existed).
    pub place_key: Option<Fingerprint>,
}

/// A finding of the asset, as far as the plan needs to know it.
#[derive(Debug, Clone)]
pub struct ExistingFinding {
    pub id: i64,
    pub key: Fingerprint,
    pub fixed: bool,
    /// Open occurrences of this finding in *other* scopes of the asset's default branch (other
    /// tools or targets). Occurrences on other branches do not count: they never keep a
    /// finding open.
    pub open_elsewhere: u32,
    /// The finding has been reported on the asset's default branch (false: a branch finding,
    /// founded by a scan of another branch and never reported on the default branch).
    pub on_default: bool,
}

/// An occurrence reported again.
#[derive(Debug, Clone)]
pub struct Seen {
    pub occurrence_id: i64,
    pub finding_id: i64,
    /// Index into [`Identified::occurrences`].
    pub index: usize,
    /// Its data differs from what is stored (always, for an occurrence whose file was renamed:
    /// the store then also takes the report's fingerprint for it).
    pub changed: bool,
    /// It had been closed by an earlier scan of this scope.
    pub was_closed: bool,
}

/// The comparison of a scope's stored occurrences with a new report.
#[derive(Debug, Clone, Default)]
pub struct ScopeDiff {
    /// Indices into [`Identified::occurrences`] of occurrences the scope never had.
    pub new: Vec<usize>,
    pub seen: Vec<Seen>,
    /// (occurrence id, finding id) of open occurrences the report no longer has.
    pub closed: Vec<(i64, i64)>,
}

impl ScopeDiff {
    /// Whether [`plan`] needs the asset's findings (it does not for an unchanged re-import,
    /// which is the common case and then costs no extra query).
    pub fn needs_findings(&self) -> bool {
        !self.new.is_empty() || !self.closed.is_empty() || self.seen.iter().any(|s| s.was_closed)
    }
}

/// Compares the scope's stored occurrences with the report.
pub fn diff_scope(existing: &[ExistingOccurrence], report: &Identified) -> ScopeDiff {
    let by_fp: HashMap<Fingerprint, &ExistingOccurrence> =
        existing.iter().map(|e| (e.fingerprint, e)).collect();
    let mut diff = ScopeDiff::default();
    let mut reported: HashMap<Fingerprint, ()> = HashMap::with_capacity(report.occurrences.len());
    // current fingerprints first: a legacy fingerprint never takes a stored occurrence that a
    // current one names
    let current: HashSet<Fingerprint> = report.occurrences.iter().map(|o| o.fingerprint).collect();
    for (index, occ) in report.occurrences.iter().enumerate() {
        reported.insert(occ.fingerprint, ());
        // stored under the previous identity formula: the same occurrence, which takes the
        // current fingerprint (`changed`), open or closed, and keeps its finding
        let legacy = occ
            .legacy_fingerprint
            .filter(|l| !current.contains(l))
            .and_then(|l| by_fp.get(&l).map(|e| (l, e)));
        match (by_fp.get(&occ.fingerprint), legacy) {
            (Some(e), _) => diff.seen.push(Seen {
                occurrence_id: e.id,
                finding_id: e.finding_id,
                index,
                changed: e.data_hash != occ.data_hash,
                was_closed: !e.open,
            }),
            (None, Some((l, e))) => {
                reported.insert(l, ());
                diff.seen.push(Seen {
                    occurrence_id: e.id,
                    finding_id: e.finding_id,
                    index,
                    changed: true,
                    was_closed: !e.open,
                });
            }
            (None, None) => diff.new.push(index),
        }
    }
    let mut gone: Vec<&ExistingOccurrence> = existing
        .iter()
        .filter(|e| e.open && !reported.contains_key(&e.fingerprint))
        .collect();
    // A file renamed with its content: an occurrence that disappears and a new one with the
    // same tool, rule and code (but another path) are one occurrence that moved, when the pair
    // is unambiguous on both sides.
    pair_unambiguous(
        &mut diff,
        report,
        &mut gone,
        |e| e.relocation_key,
        |o| o.relocation_key,
    );
    // The same tool's other format (JSON <-> SARIF): the fingerprint may differ (one format
    // has the code snippet, the other not) while the tool, rule, file and line agree. An
    // unambiguous pair on both sides is one result, seen again: a format switch opens and
    // closes nothing.
    pair_unambiguous(
        &mut diff,
        report,
        &mut gone,
        |e| e.place_key,
        |o| o.place_key,
    );
    diff.closed = gone.iter().map(|e| (e.id, e.finding_id)).collect();
    diff.closed.sort_unstable();
    diff
}

/// Pairs a disappeared occurrence with a new one when both carry the same key (`key_of` the
/// stored one, `key_of_new` the reported one) and the key is unique on both sides: the new
/// result is the stored occurrence seen again (changed), not a new one, and the stored one is
/// no longer gone.
fn pair_unambiguous(
    diff: &mut ScopeDiff,
    report: &Identified,
    gone: &mut Vec<&ExistingOccurrence>,
    key_of: impl Fn(&ExistingOccurrence) -> Option<Fingerprint>,
    key_of_new: impl Fn(&IdentifiedOccurrence) -> Option<Fingerprint>,
) {
    let mut gone_keys: HashMap<Fingerprint, usize> = HashMap::new();
    for k in gone.iter().filter_map(|e| key_of(e)) {
        *gone_keys.entry(k).or_default() += 1;
    }
    let mut new_keys: HashMap<Fingerprint, usize> = HashMap::new();
    for k in diff
        .new
        .iter()
        .filter_map(|&i| report.occurrences.get(i).and_then(&key_of_new))
    {
        *new_keys.entry(k).or_default() += 1;
    }
    let mut paired: HashMap<i64, ()> = HashMap::new();
    let seen = &mut diff.seen;
    diff.new.retain(|&i| {
        let Some(k) = report.occurrences.get(i).and_then(&key_of_new) else {
            return true;
        };
        if gone_keys.get(&k) != Some(&1) || new_keys.get(&k) != Some(&1) {
            return true;
        }
        let Some(e) = gone.iter().find(|e| key_of(e) == Some(k)) else {
            return true;
        };
        paired.insert(e.id, ());
        seen.push(Seen {
            occurrence_id: e.id,
            finding_id: e.finding_id,
            index: i,
            changed: true,
            was_closed: false,
        });
        false
    });
    gone.retain(|e| !paired.contains_key(&e.id));
}

/// The finding a new occurrence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingRef {
    Existing(i64),
    /// Index into [`IngestPlan::new_findings`].
    New(usize),
}

#[derive(Debug, Clone)]
pub struct NewOccurrence {
    /// Index into [`Identified::occurrences`].
    pub index: usize,
    pub finding: FindingRef,
    /// Why it joined an existing finding (`None` when it founded its finding).
    pub link: Option<Link>,
}

/// How an occurrence came to belong to a finding it did not found.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub confidence: f32,
    pub reason: String,
    /// The occurrence it was matched with (`None` for an exact identity match, which holds
    /// for the finding as a whole).
    pub matched: Option<OccurrenceRef>,
}

/// An occurrence stored before this scan, or one this scan creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceRef {
    Existing(i64),
    /// Index into [`Identified::occurrences`] of this scan.
    New(usize),
}

/// An occurrence of the asset that new occurrences may be correlated with.
#[derive(Debug, Clone)]
pub struct CorrelationCandidate {
    pub occurrence_id: i64,
    pub finding_id: i64,
    pub fingerprint: Fingerprint,
    pub features: Features,
}

/// What correlation needs beyond the scope: the asset's other occurrences, people's
/// decisions, and the thresholds.
#[derive(Debug, Clone, Default)]
pub struct CorrelationInput {
    pub candidates: Vec<CorrelationCandidate>,
    /// Pairs of occurrence fingerprints a person separated (split): never merged again.
    pub separated: HashSet<(Fingerprint, Fingerprint)>,
    pub thresholds: Thresholds,
}

/// A pair below the merge threshold but above the suggestion threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub finding: FindingRef,
    pub other: FindingRef,
    pub confidence: f32,
    pub reason: String,
}

/// Counts for the ingest summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanSummary {
    /// Findings created by this scan.
    pub new: usize,
    /// Items of the report were skipped (diagnostics): the scan is partial, so it closed
    /// nothing — an item Posture could not read is not evidence of a fix.
    #[serde(default)]
    pub partial: bool,
    /// New occurrences that joined a finding another scope already had.
    pub linked: usize,
    /// Occurrences reported again.
    pub unchanged: usize,
    /// Of those, how many had changed data (moved lines, another locator).
    pub updated: usize,
    /// Occurrences no longer reported.
    pub closed: usize,
    /// Findings that became fixed.
    pub fixed: usize,
    /// Fixed findings reported again (regressions).
    pub reopened: usize,
    /// New occurrences that joined another tool's (or rule's) finding by correlation.
    #[serde(default)]
    pub correlated: usize,
    /// Pairs recorded as suggested duplicates for a person to confirm.
    #[serde(default)]
    pub suggested: usize,
    /// Findings merged into another because a new occurrence showed them to be one issue.
    #[serde(default)]
    pub merged: usize,
    /// Branch findings reported on the default branch for the first time (opened now).
    #[serde(default)]
    pub promoted: usize,
    /// Duplicates within the report collapsed into one occurrence.
    pub collapsed: usize,
}

/// Every change a scan makes, for the store to write in bulk.
#[derive(Debug, Clone, Default)]
pub struct IngestPlan {
    /// Occurrence indices that found a new finding (its key is their fingerprint).
    pub new_findings: Vec<usize>,
    pub new_occurrences: Vec<NewOccurrence>,
    /// (occurrence id, index) of seen occurrences whose data changed.
    pub changed_occurrences: Vec<(i64, usize)>,
    /// Occurrences that had been closed and are reported again.
    pub reopened_occurrences: Vec<i64>,
    pub closed_occurrences: Vec<i64>,
    pub fixed_findings: Vec<i64>,
    pub reopened_findings: Vec<i64>,
    /// Branch findings this default-branch scan reports: they are on the default branch now
    /// (opened at this scan).
    pub promoted_findings: Vec<i64>,
    /// Whether the scan is of the asset's default branch: the findings it founds are on the
    /// default branch (else they are branch findings).
    pub on_default: bool,
    pub suggestions: Vec<Suggestion>,
    /// Findings found to be one issue by this scan (`from` joins `into`); resolved with
    /// [`IngestPlan::resolve`].
    pub merges: Vec<FindingMerge>,
    pub summary: PlanSummary,
}

/// Two findings that a new occurrence showed to be one issue.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingMerge {
    pub from: FindingRef,
    pub into: FindingRef,
    pub reason: String,
}

/// Which of two findings survives a merge: an existing one over a new one, the older (lower
/// id or index) over the younger.
fn merge_order(a: FindingRef, b: FindingRef) -> (FindingRef, FindingRef) {
    let rank = |f: FindingRef| match f {
        FindingRef::Existing(id) => (0, id),
        FindingRef::New(n) => (1, n as i64),
    };
    if rank(a) <= rank(b) { (b, a) } else { (a, b) }
}

impl IngestPlan {
    /// Follows merges: the finding a reference ends up in.
    pub fn resolve(&self, mut f: FindingRef) -> FindingRef {
        // merges are few and each moves a finding to an older one: a short walk
        let mut guard = 0;
        while let Some(m) = self.merges.iter().find(|m| m.from == f) {
            f = m.into;
            guard += 1;
            if guard > self.merges.len() {
                break;
            }
        }
        f
    }
}

/// Decides every change. `findings` are the asset's findings (may be empty when
/// [`ScopeDiff::needs_findings`] is false); `on_default` says whether the scope is on the
/// asset's default branch (only such scans fix, reopen or promote findings).
pub fn plan(
    diff: &ScopeDiff,
    report: &Identified,
    findings: &[ExistingFinding],
    correlation: &CorrelationInput,
    on_default: bool,
) -> IngestPlan {
    let by_key: HashMap<Fingerprint, &ExistingFinding> =
        findings.iter().map(|f| (f.key, f)).collect();
    let by_id: HashMap<i64, &ExistingFinding> = findings.iter().map(|f| (f.id, f)).collect();
    // The asset's stored occurrences by identity (other scopes: other branches, targets). A
    // result with the same identity as one of them is that occurrence's issue, whichever
    // finding correlation joined it to (on main, semgrep's result may have joined bandit's
    // finding; on a merge-request branch the same result belongs to that finding too, not to
    // a new one: the one-rule-per-finding check must not keep it out).
    let by_occurrence: HashMap<Fingerprint, (i64, i64)> = correlation
        .candidates
        .iter()
        .filter(|c| by_id.contains_key(&c.finding_id))
        .map(|c| (c.fingerprint, (c.finding_id, c.occurrence_id)))
        .collect();

    let mut p = IngestPlan {
        on_default,
        summary: PlanSummary {
            collapsed: report.collapsed,
            ..PlanSummary::default()
        },
        ..IngestPlan::default()
    };
    // Open occurrences per existing finding in this scope after the scan.
    let mut open_here: HashMap<i64, u32> = HashMap::new();
    let mut touched_fixed: Vec<i64> = Vec::new();
    // existing findings this scan reports (whether fixed or branch findings: decided below)
    let mut touched: Vec<i64> = Vec::new();

    for s in &diff.seen {
        p.summary.unchanged += 1;
        if s.changed {
            p.summary.updated += 1;
            p.changed_occurrences.push((s.occurrence_id, s.index));
        }
        if s.was_closed {
            p.reopened_occurrences.push(s.occurrence_id);
        }
        *open_here.entry(s.finding_id).or_default() += 1;
        touched.push(s.finding_id);
    }

    let mut new_keys: HashMap<Fingerprint, usize> = HashMap::new();
    let weights = WordWeights::from_features(
        correlation
            .candidates
            .iter()
            .map(|c| &c.features)
            .chain(report.occurrences.iter().map(|o| &o.features)),
    );
    let mut index = CandidateIndex::new(&correlation.candidates, weights);
    for &index_in_report in &diff.new {
        let Some(occ) = report.occurrences.get(index_in_report) else {
            continue;
        };
        let mut link = None;
        let keys = blocking_keys(&occ.features);
        let finding = if let Some(f) = by_key.get(&occ.fingerprint) {
            link = Some(Link {
                confidence: 1.0,
                reason: format!("same {} identity as the finding", occ.tier.as_str()),
                matched: None,
            });
            p.summary.linked += 1;
            *open_here.entry(f.id).or_default() += 1;
            touched.push(f.id);
            FindingRef::Existing(f.id)
        } else if let Some(&(finding_id, occurrence_id)) = by_occurrence.get(&occ.fingerprint) {
            link = Some(Link {
                confidence: 1.0,
                reason: format!(
                    "same {} identity as occurrence {occurrence_id} of the finding",
                    occ.tier.as_str()
                ),
                matched: Some(OccurrenceRef::Existing(occurrence_id)),
            });
            p.summary.linked += 1;
            *open_here.entry(finding_id).or_default() += 1;
            touched.push(finding_id);
            FindingRef::Existing(finding_id)
        } else if let Some(&n) = new_keys.get(&occ.fingerprint) {
            FindingRef::New(n)
        } else {
            let best = index.best_match(occ, &keys, correlation);
            match best {
                Some((m, cand, others)) if m.confidence >= correlation.thresholds.merge => {
                    p.summary.correlated += 1;
                    // the occurrence is the same issue as several findings: they are one
                    for other in others {
                        let (from, into) = merge_order(other, cand.finding);
                        if from == into {
                            continue;
                        }
                        index.merge(from, into);
                        p.merges.push(FindingMerge {
                            from,
                            into,
                            reason: format!(
                                "{} is the same issue as both (via {})",
                                occ.summary.locator, m.reason
                            ),
                        });
                    }
                    if let FindingRef::Existing(id) = cand.finding {
                        p.summary.linked += 1;
                        *open_here.entry(id).or_default() += 1;
                        touched.push(id);
                    }
                    link = Some(Link {
                        confidence: m.confidence,
                        reason: m.reason,
                        matched: Some(cand.occurrence),
                    });
                    cand.finding
                }
                other => {
                    let n = p.new_findings.len();
                    p.new_findings.push(index_in_report);
                    new_keys.insert(occ.fingerprint, n);
                    p.summary.new += 1;
                    if let Some((m, cand, _)) = other
                        && m.confidence >= correlation.thresholds.suggest
                    {
                        p.summary.suggested += 1;
                        p.suggestions.push(Suggestion {
                            finding: FindingRef::New(n),
                            other: cand.finding,
                            confidence: m.confidence,
                            reason: m.reason,
                        });
                    }
                    FindingRef::New(n)
                }
            }
        };
        index.add(index_in_report, occ, finding, keys);
        p.new_occurrences.push(NewOccurrence {
            index: index_in_report,
            finding,
            link,
        });
    }

    // a new finding merged into another is not created after all
    let merged_new = p
        .merges
        .iter()
        .filter(|m| matches!(m.from, FindingRef::New(_)))
        .count();
    p.summary.new = p.summary.new.saturating_sub(merged_new);
    p.summary.merged = p.merges.len();

    // Only a scan of the default branch changes a finding's status: it reopens a fixed
    // finding and promotes a branch finding; a scan of another branch leaves both as they are.
    let mut promoted: Vec<i64> = Vec::new();
    if on_default {
        for id in touched {
            match by_id.get(&id) {
                Some(f) if !f.on_default => promoted.push(id),
                Some(f) if f.fixed => touched_fixed.push(id),
                _ => {}
            }
        }
    }
    promoted.sort_unstable();
    promoted.dedup();
    p.summary.promoted = promoted.len();
    p.promoted_findings = promoted;
    touched_fixed.sort_unstable();
    touched_fixed.dedup();
    p.summary.reopened = touched_fixed.len();
    p.reopened_findings = touched_fixed;

    let mut closed_findings: Vec<i64> = Vec::new();
    for &(occ_id, finding_id) in &diff.closed {
        p.closed_occurrences.push(occ_id);
        closed_findings.push(finding_id);
    }
    p.summary.closed = p.closed_occurrences.len();
    closed_findings.sort_unstable();
    closed_findings.dedup();
    // Closing occurrences on another branch fixes nothing: the finding's status follows the
    // default branch.
    if on_default {
        for fid in closed_findings {
            let here = open_here.get(&fid).copied().unwrap_or(0);
            let Some(f) = by_id.get(&fid) else {
                continue;
            };
            if here == 0 && f.open_elsewhere == 0 && !f.fixed && f.on_default {
                p.fixed_findings.push(fid);
            }
        }
    }
    p.summary.fixed = p.fixed_findings.len();
    p
}

/// A candidate for correlation: stored or created by this scan.
#[derive(Debug, Clone)]
struct IndexedCandidate<'a> {
    occurrence: OccurrenceRef,
    finding: FindingRef,
    fingerprint: Fingerprint,
    features: &'a Features,
    /// Hash of (tool, rule), for the one-rule-per-finding check without allocating.
    rule: u64,
}

fn rule_hash(f: &Features) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    f.tool.hash(&mut h);
    f.rule.hash(&mut h);
    h.finish()
}

/// Candidates by blocking key.
struct CandidateIndex<'a> {
    items: Vec<IndexedCandidate<'a>>,
    by_key: HashMap<String, Vec<usize>>,
    /// The (tool, rule) pairs each finding already holds: one rule of one tool at two places
    /// is two instances, so a finding never takes a second occurrence of a rule it has.
    rules_of: HashMap<FindingRef, HashSet<u64>>,
    weights: WordWeights,
}

impl<'a> CandidateIndex<'a> {
    fn new(candidates: &'a [CorrelationCandidate], weights: WordWeights) -> Self {
        let mut idx = CandidateIndex {
            items: Vec::with_capacity(candidates.len()),
            by_key: HashMap::new(),
            rules_of: HashMap::new(),
            weights,
        };
        for c in candidates {
            let keys = blocking_keys(&c.features);
            idx.push(
                IndexedCandidate {
                    occurrence: OccurrenceRef::Existing(c.occurrence_id),
                    finding: FindingRef::Existing(c.finding_id),
                    fingerprint: c.fingerprint,
                    features: &c.features,
                    rule: rule_hash(&c.features),
                },
                keys,
            );
        }
        idx
    }

    fn push(&mut self, c: IndexedCandidate<'a>, keys: Vec<String>) {
        let i = self.items.len();
        self.rules_of.entry(c.finding).or_default().insert(c.rule);
        for k in keys {
            self.by_key.entry(k).or_default().push(i);
        }
        self.items.push(c);
    }

    /// Records that finding `from` is now part of `into`.
    fn merge(&mut self, from: FindingRef, into: FindingRef) {
        for item in &mut self.items {
            if item.finding == from {
                item.finding = into;
            }
        }
        if let Some(rules) = self.rules_of.remove(&from) {
            self.rules_of.entry(into).or_default().extend(rules);
        }
    }

    fn add(
        &mut self,
        index: usize,
        occ: &'a crate::IdentifiedOccurrence,
        finding: FindingRef,
        keys: Vec<String>,
    ) {
        self.push(
            IndexedCandidate {
                occurrence: OccurrenceRef::New(index),
                finding,
                fingerprint: occ.fingerprint,
                features: &occ.features,
                rule: rule_hash(&occ.features),
            },
            keys,
        );
    }

    /// The best-scoring candidate (ties broken by the earliest candidate, so the result does
    /// not depend on hash order). A candidate a person separated from this occurrence never
    /// counts.
    fn best_match(
        &self,
        occ: &crate::IdentifiedOccurrence,
        keys: &[String],
        input: &CorrelationInput,
    ) -> Option<(Match, IndexedCandidateRef, Vec<FindingRef>)> {
        let occ_rule = rule_hash(&occ.features);
        let mut seen: HashSet<usize> = HashSet::new();
        let mut best: Option<(Match, usize)> = None;
        // every finding some candidate matches at the merge threshold: when there are several,
        // the new occurrence shows they are one issue
        let mut strong: Vec<FindingRef> = Vec::new();
        // configuration twins are chosen relative to the other checks of the block: the best
        // by shared word weight per finding, and the runner-up in another finding
        let mut config: Vec<(Match, usize)> = Vec::new();
        for k in keys {
            let Some(list) = self.by_key.get(k) else {
                continue;
            };
            for &i in list {
                if !seen.insert(i) {
                    continue;
                }
                let c = &self.items[i];
                // a finding holds one rule of one tool once (two places are two instances),
                // except the lines of one multi-line secret (checked by the score's `block`)
                let holds_rule = self
                    .rules_of
                    .get(&c.finding)
                    .is_some_and(|r| r.contains(&occ_rule));
                if holds_rule && occ.features.secret_rule.is_none() {
                    continue;
                }
                if input.separated.contains(&(occ.fingerprint, c.fingerprint))
                    || input.separated.contains(&(c.fingerprint, occ.fingerprint))
                {
                    continue;
                }
                let Some(m) = score_with(&occ.features, c.features, &self.weights) else {
                    continue;
                };
                if holds_rule && !m.block {
                    continue;
                }
                if occ.features.family == Family::Config && c.features.family == Family::Config {
                    config.push((m, i));
                    continue;
                }
                if m.confidence >= input.thresholds.merge
                    && !m.resemblance
                    && !strong.contains(&c.finding)
                {
                    strong.push(c.finding);
                }
                let better = match &best {
                    None => true,
                    Some((b, bi)) => {
                        m.confidence > b.confidence || (m.confidence == b.confidence && i < *bi)
                    }
                };
                if better {
                    best = Some((m, i));
                }
            }
        }
        if !config.is_empty() {
            config.sort_by(|a, b| {
                b.0.strength
                    .partial_cmp(&a.0.strength)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.1.cmp(&b.1))
            });
            let top_finding = self.items[config[0].1].finding;
            let runner_up = config
                .iter()
                .find(|(_, i)| self.items[*i].finding != top_finding)
                .map(|(m, _)| m);
            let decided = decide_config(&config[0].0, runner_up, config.len());
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| decided.confidence > b.confidence);
            if better {
                best = Some((decided, config[0].1));
            }
        }
        best.map(|(m, i)| {
            let c = &self.items[i];
            let others = strong.into_iter().filter(|f| *f != c.finding).collect();
            (
                m,
                IndexedCandidateRef {
                    occurrence: c.occurrence,
                    finding: c.finding,
                },
                others,
            )
        })
    }
}

/// The parts of a candidate a match needs.
#[derive(Debug, Clone, Copy)]
struct IndexedCandidateRef {
    occurrence: OccurrenceRef,
    finding: FindingRef,
}

/// A branch of an asset, as its lifecycle needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchActivity {
    pub branch: String,
    /// The last scan of any of the branch's scopes (unix ms).
    pub last_scan_at: Option<i64>,
    /// The asset's default branch: it never retires and cannot be deleted.
    pub default: bool,
    /// Retired already (by idleness or deleted by a person); a new scan brings it back.
    pub retired: bool,
}

/// The branches that retire at `now`: not the default branch, not retired yet, and idle (no
/// scan) for `idle_ms` or more. Retiring a branch closes its open occurrences and counts no
/// fix (see [`retire_plan`]).
pub fn idle_branches(branches: &[BranchActivity], now: i64, idle_ms: i64) -> Vec<String> {
    let mut out: Vec<String> = branches
        .iter()
        .filter(|b| !b.default && !b.retired)
        .filter(|b| {
            b.last_scan_at
                .is_none_or(|t| now.saturating_sub(t) >= idle_ms)
        })
        .map(|b| b.branch.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What retiring (or deleting) a branch changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetirePlan {
    /// The branch's open occurrences, closed.
    pub closed_occurrences: Vec<i64>,
    /// Findings fixed by it: none, ever. A branch going away is not a fix (no `fixed` event,
    /// no MTTR): on the default branch nothing changed, and a branch finding was never on it.
    pub fixed_findings: Vec<i64>,
}

/// The plan for retiring a branch whose open occurrences are `open_occurrences`. Refused for
/// the default branch (its findings' status is what the portfolio reports).
pub fn retire_plan(
    branch: &BranchActivity,
    open_occurrences: &[i64],
) -> Result<RetirePlan, String> {
    if branch.default {
        return Err(format!(
            "`{}` is the asset's default branch: its results are the asset's status and it cannot be retired or deleted",
            branch.branch
        ));
    }
    let mut closed = open_occurrences.to_vec();
    closed.sort_unstable();
    closed.dedup();
    Ok(RetirePlan {
        closed_occurrences: closed,
        fixed_findings: Vec::new(),
    })
}
