//! The demo portfolio: determinism, well-formed reports in each tool's shape, the story
//! properties the demo is meant to show, and parsing with Posture's own parsers.

// Tests may unwrap: a panic is a test failure with its message.
#![allow(clippy::unwrap_used)]

use posture_demo::{DEFAULT_SEED, DEFAULT_WEEKS, DemoPortfolio, DemoReport, generate};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn end() -> jiff::Timestamp {
    "2025-06-30T06:00:00Z".parse().unwrap()
}

fn demo() -> DemoPortfolio {
    generate(DEFAULT_SEED, end(), DEFAULT_WEEKS)
}

fn json(r: &DemoReport) -> Value {
    serde_json::from_slice(&r.bytes)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", r.file_name))
}

fn kind(r: &DemoReport) -> &str {
    r.file_name.rsplit('_').next().unwrap()
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, ptr: &str) -> u64 {
    v.pointer(ptr).and_then(Value::as_u64).unwrap_or(0)
}

/// The items of a report: (identity the tool gives it, line if any).
fn items(r: &DemoReport) -> Vec<(String, Option<u64>)> {
    let v = json(r);
    match kind(r) {
        "trivy-image.json" | "trivy-fs.json" => arr(&v, "Results")
            .iter()
            .flat_map(|res| arr(res, "Vulnerabilities"))
            .map(|x| {
                (
                    format!("{} {}", s(x, "/VulnerabilityID"), s(x, "/PkgName")),
                    None,
                )
            })
            .collect(),
        "grype.json" => arr(&v, "matches")
            .iter()
            .map(|m| {
                let id = s(m, "/relatedVulnerabilities/0/id");
                let id = if id.is_empty() {
                    s(m, "/vulnerability/id")
                } else {
                    id
                };
                (format!("{id} {}", s(m, "/artifact/name")), None)
            })
            .collect(),
        "codeql.sarif" => arr(&v["runs"][0], "results")
            .iter()
            .map(|x| {
                let key = format!(
                    "{} {}",
                    s(x, "/ruleId"),
                    s(x, "/partialFingerprints/primaryLocationLineHash")
                );
                (
                    key,
                    Some(n(x, "/locations/0/physicalLocation/region/startLine")),
                )
            })
            .collect(),
        "semgrep.sarif" => arr(&v["runs"][0], "results")
            .iter()
            .map(|x| {
                let key = format!(
                    "{} {}",
                    s(x, "/ruleId"),
                    s(x, "/fingerprints/matchBasedId~1v1")
                );
                (
                    key,
                    Some(n(x, "/locations/0/physicalLocation/region/startLine")),
                )
            })
            .collect(),
        "semgrep.json" => arr(&v, "results")
            .iter()
            .map(|x| {
                let key = format!("{} {}", s(x, "/check_id"), s(x, "/extra/fingerprint"));
                (key, Some(n(x, "/start/line")))
            })
            .collect(),
        "gitleaks.json" => v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let key = format!("{} {} {}", s(x, "/RuleID"), s(x, "/File"), s(x, "/Secret"));
                (key, Some(n(x, "/StartLine")))
            })
            .collect(),
        other => panic!("unexpected report kind {other}"),
    }
}

/// Reports of one asset and kind, in scan order.
fn stream<'a>(p: &'a DemoPortfolio, asset: &str, k: &str) -> Vec<&'a DemoReport> {
    p.reports
        .iter()
        .filter(|r| r.asset == asset && kind(r) == k)
        .collect()
}

/// For each item key of a stream: the weeks (indices into the stream) it is present in.
fn presence(reports: &[&DemoReport]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (w, r) in reports.iter().enumerate() {
        for (key, _) in items(r) {
            let weeks = out.entry(key).or_default();
            if weeks.last() != Some(&w) {
                weeks.push(w);
            }
        }
    }
    out
}

fn present_in(p: &BTreeMap<String, Vec<usize>>, prefix: &str) -> Vec<usize> {
    p.iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .flat_map(|(_, w)| w.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn same_seed_gives_identical_bytes_and_other_seeds_differ() {
    let a = demo();
    let b = demo();
    assert_eq!(a, b);
    let c = generate(DEFAULT_SEED + 1, end(), DEFAULT_WEEKS);
    assert_eq!(a.reports.len(), c.reports.len());
    let differing = a
        .reports
        .iter()
        .zip(&c.reports)
        .filter(|(x, y)| x.bytes != y.bytes)
        .count();
    assert!(
        differing > a.reports.len() / 2,
        "only {differing} reports differ for another seed"
    );
    // the time is injected, never read from a clock
    let later = generate(
        DEFAULT_SEED,
        end() + jiff::SignedDuration::from_hours(24 * 7),
        DEFAULT_WEEKS,
    );
    assert!(
        later
            .reports
            .iter()
            .zip(&a.reports)
            .all(|(x, y)| x.scanned_at > y.scanned_at)
    );
}

#[test]
fn assets_are_six_services_of_four_teams() {
    let p = demo();
    assert_eq!(p.assets.len(), 6);
    let teams: BTreeSet<&str> = p.assets.iter().map(|a| a.team.as_str()).collect();
    assert_eq!(teams.len(), 4, "{teams:?}");
    let pay = p.assets.iter().find(|a| a.name == "payments-api").unwrap();
    assert_eq!(pay.criticality, "tier-1");
    for t in ["pci", "internet-facing", "production"] {
        assert!(pay.tags.iter().any(|x| x == t), "{t}");
    }
    assert_eq!(pay.image.as_deref(), Some("ghcr.io/acme-corp/payments-api"));
    let rep = p
        .assets
        .iter()
        .find(|a| a.name == "reporting-batch")
        .unwrap();
    assert!(rep.tags.iter().any(|x| x == "internal"));
    assert_eq!(rep.criticality, "tier-3");
    for a in &p.assets {
        assert!(["tier-1", "tier-2", "tier-3"].contains(&a.criticality.as_str()));
        assert!(a.repository.starts_with("https://github.com/acme-corp/"));
        assert!(
            p.reports.iter().any(|r| r.asset == a.name),
            "{} has no report",
            a.name
        );
    }
}

#[test]
fn reports_are_sorted_unique_and_well_formed() {
    let p = demo();
    assert_eq!(p.reports.len(), 258);
    assert!(
        p.reports
            .windows(2)
            .all(|w| w[0].scanned_at <= w[1].scanned_at)
    );
    let names: BTreeSet<&str> = p.reports.iter().map(|r| r.file_name.as_str()).collect();
    assert_eq!(names.len(), p.reports.len(), "file names must be unique");
    let first = p.reports.first().unwrap().scanned_at;
    assert!(end().duration_since(first) >= jiff::SignedDuration::from_hours(24 * 7 * 15));
    for r in &p.reports {
        assert!(r.scanned_at <= end());
        assert_eq!(r.branch, "main");
        assert_eq!(r.commit.len(), 40);
        assert!(r.commit.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(r.file_name.starts_with(&format!("{}_", r.asset)));
        assert!(r.bytes.ends_with(b"\n"));
        let v = json(r);
        match kind(r) {
            "trivy-image.json" | "trivy-fs.json" => {
                assert_eq!(r.tool, "trivy");
                assert_eq!(v["SchemaVersion"], 2);
                assert!(v["ArtifactName"].is_string() && v["CreatedAt"].is_string());
                let results = arr(&v, "Results");
                assert!(!results.is_empty());
                for res in results {
                    assert!(
                        res["Target"].is_string()
                            && res["Class"].is_string()
                            && res["Type"].is_string()
                    );
                    for x in arr(res, "Vulnerabilities") {
                        for k in [
                            "VulnerabilityID",
                            "PkgName",
                            "InstalledVersion",
                            "Severity",
                            "Status",
                        ] {
                            assert!(x[k].is_string(), "{} lacks {k}", r.file_name);
                        }
                    }
                }
                if kind(r) == "trivy-image.json" {
                    assert_eq!(v["ArtifactType"], "container_image");
                    assert_eq!(results[0]["Class"], "os-pkgs");
                } else {
                    assert_eq!(v["ArtifactType"], "filesystem");
                }
            }
            "grype.json" => {
                assert_eq!(r.tool, "grype");
                assert_eq!(v["source"]["type"], "image");
                assert_eq!(v["descriptor"]["name"], "grype");
                for m in arr(&v, "matches") {
                    assert!(m["vulnerability"]["id"].is_string());
                    assert!(m["vulnerability"]["severity"].is_string());
                    assert!(
                        m["artifact"]["name"].is_string() && m["artifact"]["version"].is_string()
                    );
                    assert!(m["relatedVulnerabilities"].is_array() && m["matchDetails"].is_array());
                }
            }
            "codeql.sarif" | "semgrep.sarif" => {
                assert_eq!(v["version"], "2.1.0");
                assert!(v["$schema"].as_str().unwrap().contains("sarif"));
                let run = &v["runs"][0];
                let rules = arr(&run["tool"]["driver"], "rules");
                assert!(!rules.is_empty());
                for x in arr(run, "results") {
                    let id = s(x, "/ruleId");
                    assert!(
                        rules.iter().any(|rule| rule["id"] == id),
                        "{id} not among the rules"
                    );
                    let region = &x["locations"][0]["physicalLocation"]["region"];
                    assert!(region["startLine"].as_u64().unwrap() >= 1);
                    assert!(
                        x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            .is_string()
                    );
                    if kind(r) == "codeql.sarif" {
                        let idx = x["ruleIndex"].as_u64().unwrap() as usize;
                        assert_eq!(rules[idx]["id"], id, "ruleIndex must point at the rule");
                        assert!(x["partialFingerprints"]["primaryLocationLineHash"].is_string());
                        assert!(x["locations"][0]["physicalLocation"]["contextRegion"]["snippet"]["text"].is_string());
                    } else {
                        assert!(x["fingerprints"]["matchBasedId/v1"].is_string());
                        assert!(region["snippet"]["text"].is_string());
                    }
                }
                let driver = s(run, "/tool/driver/name");
                if kind(r) == "codeql.sarif" {
                    assert_eq!((driver, r.tool.as_str()), ("CodeQL", "codeql"));
                } else {
                    assert_eq!((driver, r.tool.as_str()), ("Semgrep OSS", "semgrep"));
                }
            }
            "semgrep.json" => {
                assert_eq!(r.tool, "semgrep");
                assert!(v["version"].is_string() && v["errors"].is_array());
                for x in arr(&v, "results") {
                    assert!(x["check_id"].is_string() && x["path"].is_string());
                    assert!(x["start"]["line"].is_u64() && x["end"]["col"].is_u64());
                    for k in ["message", "severity", "fingerprint", "lines"] {
                        assert!(x["extra"][k].is_string(), "{k}");
                    }
                    assert!(["ERROR", "WARNING", "INFO"].contains(&s(x, "/extra/severity")));
                }
            }
            "gitleaks.json" => {
                assert_eq!(r.tool, "gitleaks");
                for x in v.as_array().unwrap() {
                    for k in [
                        "RuleID",
                        "Description",
                        "Match",
                        "Secret",
                        "File",
                        "Fingerprint",
                    ] {
                        assert!(x[k].is_string(), "{k}");
                    }
                    let secret = s(x, "/Secret");
                    assert!(
                        secret.contains("EXAMPLE") || secret.contains("XXXXXXXX"),
                        "secret {secret} is not obviously fake"
                    );
                }
            }
            other => panic!("unexpected kind {other}"),
        }
    }
}

#[test]
fn sizes_are_a_few_thousand_occurrences() {
    let p = demo();
    let total: usize = p.reports.iter().map(|r| items(r).len()).sum();
    assert!((3_000..=10_000).contains(&total), "{total} occurrences");
    let bytes: usize = p.reports.iter().map(|r| r.bytes.len()).sum();
    assert!(bytes < 25_000_000, "{bytes} bytes");
    // every kind of report has findings somewhere
    let kinds: BTreeSet<&str> = p
        .reports
        .iter()
        .filter(|r| !items(r).is_empty())
        .map(kind)
        .collect();
    assert_eq!(kinds.len(), 7, "{kinds:?}");
}

#[test]
fn findings_disappear_and_come_back() {
    let p = demo();
    // the SQL injection in payments-api is fixed in week 3 and regresses in weeks 8-10
    let sqli = present_in(
        &presence(&stream(&p, "payments-api", "codeql.sarif")),
        "java/sql-injection ",
    );
    for w in [0, 1, 2, 8, 9, 10] {
        assert!(
            sqli.contains(&w),
            "java/sql-injection missing in week {w}: {sqli:?}"
        );
    }
    // the same fingerprint: one key present at 0..3 and 8..11
    let pres = presence(&stream(&p, "payments-api", "codeql.sarif"));
    let regressed = pres.iter().any(|(k, w)| {
        k.starts_with("java/sql-injection ") && w.contains(&0) && !w.contains(&5) && w.contains(&9)
    });
    assert!(regressed, "no java/sql-injection fingerprint regresses");
    // the jsonwebtoken revert in mobile-bff
    let jwt = present_in(
        &presence(&stream(&p, "mobile-bff", "grype.json")),
        "CVE-2022-23540 jsonwebtoken",
    );
    assert_eq!(jwt, vec![0, 1, 2, 3, 9, 10]);
    // generic: some key in some stream is present, then absent, then present again
    let mut streams = 0;
    for a in &p.assets {
        for k in [
            "codeql.sarif",
            "semgrep.json",
            "semgrep.sarif",
            "gitleaks.json",
            "grype.json",
            "trivy-image.json",
            "trivy-fs.json",
        ] {
            let pres = presence(&stream(&p, &a.name, k));
            if pres.values().any(|w| w.windows(2).any(|x| x[1] > x[0] + 1)) {
                streams += 1;
            }
        }
    }
    assert!(streams >= 4, "only {streams} streams have a regression");
}

#[test]
fn code_moves_while_fingerprints_stay() {
    let p = demo();
    let mut moved = 0;
    for a in &p.assets {
        for k in ["codeql.sarif", "semgrep.json", "semgrep.sarif"] {
            let mut lines: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
            for r in stream(&p, &a.name, k) {
                for (key, line) in items(r) {
                    lines.entry(key).or_default().insert(line.unwrap());
                }
            }
            moved += lines.values().filter(|l| l.len() > 1).count();
        }
    }
    assert!(moved >= 20, "only {moved} findings changed lines");
}

#[test]
fn dependency_bumps_fix_several_cves_at_once() {
    let p = demo();
    let trivy = stream(&p, "payments-api", "trivy-image.json");
    let java = |r: &DemoReport| -> BTreeSet<String> {
        items(r)
            .into_iter()
            .map(|x| x.0)
            .filter(|k| k.contains(':'))
            .collect()
    };
    // the Spring Boot upgrade of week 5
    let (before, after) = (java(trivy[4]), java(trivy[5]));
    let fixed: Vec<&String> = before.difference(&after).collect();
    assert!(fixed.len() >= 10, "{fixed:?}");
    assert!(after.difference(&before).next().is_none());
    // the Express upgrade of checkout-web in week 9
    let fs = stream(&p, "checkout-web", "trivy-fs.json");
    let (b, a) = (items(fs[8]).len(), items(fs[9]).len());
    assert!(b >= a + 9, "{b} -> {a}");
}

#[test]
fn critical_findings_are_fixed_faster_than_low_ones() {
    let p = demo();
    let pres = presence(&stream(&p, "payments-api", "trivy-image.json"));
    assert_eq!(
        present_in(&pres, "CVE-2021-44228 "),
        vec![0],
        "Log4Shell is fixed in week 1"
    );
    assert_eq!(present_in(&pres, "CVE-2022-22965 ").len(), 2);
    assert_eq!(
        present_in(&pres, "CVE-2020-8908 ").len(),
        12,
        "the guava low waits for week 12"
    );
    // new advisories get published during the demo
    assert_eq!(present_in(&pres, "CVE-2022-42889 "), vec![4, 5]);
}

#[test]
fn a_stale_finding_stays_open_all_along() {
    let p = demo();
    let pres = presence(&stream(&p, "reporting-batch", "trivy-fs.json"));
    assert_eq!(present_in(&pres, "CVE-2020-14343 PyYAML").len(), 16);
    let pres = presence(&stream(&p, "orders-worker", "semgrep.sarif"));
    let stale = present_in(
        &pres,
        "python.requests.security.disabled-cert-validation.disabled-cert-validation ",
    );
    assert_eq!(stale.len(), 16);
}

#[test]
fn coverage_gaps_and_mid_way_onboarding() {
    let p = demo();
    let kinds = |asset: &str| -> BTreeSet<&str> {
        p.reports
            .iter()
            .filter(|r| r.asset == asset)
            .map(kind)
            .collect()
    };
    assert_eq!(kinds("reporting-batch"), BTreeSet::from(["trivy-fs.json"]));
    assert!(!kinds("orders-worker").contains("gitleaks.json"));
    let semgrep = stream(&p, "checkout-web", "semgrep.json");
    let trivy = stream(&p, "checkout-web", "trivy-fs.json");
    assert_eq!((semgrep.len(), trivy.len()), (10, 16));
    assert!(semgrep[0].scanned_at > trivy[5].scanned_at);
    assert!(
        items(semgrep[0]).len() >= 10,
        "the onboarding backlog appears at once"
    );
}

#[test]
fn other_lengths_work() {
    assert!(generate(1, end(), 0).reports.is_empty());
    assert_eq!(generate(1, end(), 0).assets.len(), 6);
    for weeks in [1, 4, 30] {
        let p = generate(1, end(), weeks);
        assert!(!p.reports.is_empty());
        assert!(
            p.reports
                .windows(2)
                .all(|w| w[0].scanned_at <= w[1].scanned_at)
        );
        for r in &p.reports {
            assert!(r.scanned_at <= end());
            let _ = json(r);
        }
        let names: BTreeSet<&str> = p.reports.iter().map(|r| r.file_name.as_str()).collect();
        assert_eq!(names.len(), p.reports.len());
    }
}

#[test]
fn reports_parse_with_posture_parsers() {
    let p = demo();
    let mut parsed = 0;
    for r in &p.reports {
        match r.tool.as_str() {
            "gitleaks" => {
                let leaks = json(r).as_array().unwrap().len();
                let parser = if leaks == 0 {
                    // `[]` cannot be recognized by content: the demo's `tool` says what it is
                    posture_parsers::parser_by_id("gitleaks-json").unwrap()
                } else {
                    posture_parsers::detect(&r.bytes).unwrap()
                };
                assert_eq!(parser.id(), "gitleaks-json", "{}", r.file_name);
                let report = parser.parse(&r.bytes).unwrap();
                assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
                assert_eq!(report.occurrence_count(), leaks, "{}", r.file_name);
                for occ in report.runs.iter().flat_map(|run| &run.occurrences) {
                    assert!(
                        occ.secret.is_some(),
                        "{} lost its secret evidence",
                        r.file_name
                    );
                    assert!(occ.location.path.is_some() && occ.location.start_line.is_some());
                }
                parsed += 1;
            }
            // full parse assertions: enable once the parser lands
            // (Trivy, Grype, SARIF and Semgrep parsers are placeholders on this branch; then
            // assert `detect(&r.bytes)` picks the right parser, `parse` succeeds without
            // diagnostics, and the occurrence count equals `items(r).len()`, modulo the
            // parser's documented collapsing.) Until then `reports_are_sorted_unique_and_well_formed`
            // checks each format's key shape.
            "trivy" | "grype" | "codeql" | "semgrep" => {}
            other => panic!("unknown tool {other}"),
        }
    }
    assert_eq!(parsed, 16 * 4);
}
