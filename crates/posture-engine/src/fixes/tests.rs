use super::*;

/// A dependency finding; `pkg` is `ecosystem/name@installed`.
fn dep(id: i64, asset: &str, pkg: &str, cve: &str, fixed: &[&str], risk: f64) -> FixInput {
    let (eco, rest) = pkg.split_once('/').unwrap_or(("", pkg));
    let (name, installed) = rest.rsplit_once('@').unwrap_or((rest, ""));
    FixInput {
        finding: id,
        asset: asset.to_string(),
        category: Some(Category::Sca),
        rule_id: cve.to_string(),
        risk,
        vulnerability_ids: vec![cve.to_string()],
        package: Some(FixPackage {
            name: name.to_string(),
            ecosystem: Some(eco.to_string()),
            purl: None,
            version: Some(installed.to_string()),
        }),
        fixed: if fixed.is_empty() {
            Vec::new()
        } else {
            vec![fixed.iter().map(|s| s.to_string()).collect()]
        },
        path: Some("package-lock.json".to_string()),
        base_image: None,
    }
}

#[test]
fn one_upgrade_to_the_highest_fix_closes_every_cve_in_every_asset() {
    let mut inputs = Vec::new();
    let mut id = 0;
    for asset in ["shop", "admin"] {
        for (cve, fix) in [
            ("CVE-2018-3721", "4.17.5"),
            ("CVE-2018-16487", "4.17.9"),
            ("CVE-2018-1000620", "4.17.10"),
        ] {
            id += 1;
            inputs.push(dep(id, asset, "npm/lodash@4.17.4", cve, &[fix], 10.0));
        }
    }
    id += 1;
    inputs.push(dep(
        id,
        "shop",
        "npm/left-pad@1.0.0",
        "CVE-2099-1",
        &[],
        50.0,
    ));
    let plan = plan(&inputs);
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let a = &plan.actions[0];
    assert_eq!(a.kind, FixKind::PackageUpgrade);
    assert_eq!(a.installed.as_deref(), Some("4.17.4"));
    assert_eq!(a.to_version.as_deref(), Some("4.17.10"));
    assert!(!a.major);
    assert_eq!(a.findings, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(a.closes, 6);
    assert_eq!(a.assets, vec!["admin", "shop"]);
    assert_eq!(a.risk_removed, 60.0);
    assert_eq!(
        a.sentence(),
        "upgrade lodash 4.17.4 → 4.17.10 closes 6 findings"
    );
    assert_eq!(plan.unfixable.len(), 1);
    assert_eq!(plan.unfixable[0].package.name, "left-pad");
    assert_eq!(plan.unfixable[0].findings, vec![7]);
}

#[test]
fn aliases_of_one_vulnerability_in_one_asset_count_once() {
    let mut a = dep(
        1,
        "shop",
        "npm/minimist@1.2.5",
        "CVE-2021-44906",
        &["1.2.6"],
        40.0,
    );
    let mut b = dep(
        2,
        "shop",
        "npm/minimist@1.2.5",
        "GHSA-xvch-5gv4-984h",
        &["1.2.6"],
        30.0,
    );
    a.vulnerability_ids.push("GHSA-xvch-5gv4-984h".into());
    b.vulnerability_ids.push("cve-2021-44906".into());
    let c = dep(
        3,
        "admin",
        "npm/minimist@1.2.5",
        "CVE-2021-44906",
        &["1.2.6"],
        20.0,
    );
    let plan = plan(&[a, b, c]);
    let act = &plan.actions[0];
    assert_eq!(act.findings, vec![1, 2, 3]);
    assert_eq!(act.closes, 2, "one per asset");
    assert_eq!(
        act.risk_removed, 60.0,
        "the highest of the alias group, plus the other asset"
    );
    assert_eq!(act.vulnerabilities, vec!["CVE-2021-44906"]);
}

#[test]
fn listed_fixes_are_release_lines() {
    // Tomcat: fixed in 9.0.112, 10.1.49 and 11.0.14, each on its line
    let spec = FixSpec::parse(Scheme::Maven, &["11.0.14, 10.1.49, 9.0.112".to_string()]).unwrap();
    let v = |s: &str| Version::parse(Scheme::Maven, s).unwrap();
    assert!(spec.contains(&v("9.0.112")));
    assert!(spec.contains(&v("9.0.200")));
    assert!(!spec.contains(&v("10.0.5")));
    assert!(spec.contains(&v("10.1.49")));
    assert!(!spec.contains(&v("10.1.48")));
    assert!(spec.contains(&v("12.0.0")));
    // a Django fix on three lines; installed 3.1.2 → 3.1.14, not 3.2.10
    let inputs = [dep(
        1,
        "a",
        "pypi/Django@3.1.2",
        "CVE-1",
        &["2.2.25", "3.1.14", "3.2.10"],
        5.0,
    )];
    let p = plan(&inputs);
    assert_eq!(p.actions[0].to_version.as_deref(), Some("3.1.14"));
    // same line twice: the lower fixes the line
    let spec = FixSpec::parse(Scheme::Semver, &["4.17.5, 4.17.9".to_string()]).unwrap();
    assert!(spec.contains(&Version::parse(Scheme::Semver, "4.17.7").unwrap()));
}

#[test]
fn a_higher_line_is_chosen_when_one_line_cannot_fix_everything() {
    // A is fixed on 2.12 and 2.13; B only from 2.13.1: 2.13.1 does not fix A (2.13.2.1 does)
    let inputs = [
        dep(
            1,
            "a",
            "maven/jackson@2.12.0",
            "CVE-A",
            &["2.12.6.1, 2.13.2.1"],
            5.0,
        ),
        dep(2, "a", "maven/jackson@2.12.0", "CVE-B", &["2.13.1"], 5.0),
    ];
    let p = plan(&inputs);
    assert_eq!(p.actions.len(), 1);
    assert_eq!(p.actions[0].to_version.as_deref(), Some("2.13.2.1"));
}

#[test]
fn ranges_and_operators_are_read() {
    let inputs = [
        dep(
            1,
            "a",
            "npm/x@2.5.0",
            "CVE-1",
            &[">= 2.6.9 < 3.0.0 || >= 3.1.0"],
            5.0,
        ),
        dep(2, "a", "npm/x@2.5.0", "CVE-2", &[">=2.7.0"], 5.0),
    ];
    let p = plan(&inputs);
    assert_eq!(p.actions[0].to_version.as_deref(), Some("2.7.0"));
    assert!(!p.actions[0].major);
    let q = plan(&[dep(1, "a", "npm/x@2.5.0", "CVE-1", &[">=3.1.0"], 5.0)]);
    assert!(q.actions[0].major);
    // below 1.0, a minor step is breaking in SemVer ecosystems
    let r = plan(&[dep(1, "a", "cargo/y@0.4.2", "RUSTSEC-1", &[">=0.5.1"], 5.0)]);
    assert!(r.actions[0].major);
}

#[test]
fn distro_versions_follow_their_order() {
    let inputs = [
        dep(
            1,
            "img",
            "deb/openssl@1.1.1d-0+deb10u3",
            "CVE-1",
            &["1.1.1d-0+deb10u4"],
            5.0,
        ),
        dep(
            2,
            "img",
            "deb/openssl@1.1.1d-0+deb10u3",
            "CVE-2",
            &["1.1.1d-0+deb10u5"],
            5.0,
        ),
        dep(3, "img", "apk/musl@1.1.22-r2", "CVE-3", &["1.1.22-r3"], 5.0),
        dep(
            4,
            "img",
            "apk/musl@1.1.22-r2",
            "CVE-4",
            &["1.1.22-r10"],
            5.0,
        ),
        dep(
            5,
            "img",
            "rpm/bind@32:9.11.4-26.P2.amzn2.5",
            "CVE-5",
            &["99:9.11.4-26.P2.amzn2.13"],
            5.0,
        ),
    ];
    let p = plan(&inputs);
    let to = |name: &str| {
        p.actions
            .iter()
            .find(|a| a.package.as_ref().unwrap().name == name)
            .and_then(|a| a.to_version.clone())
    };
    assert_eq!(to("openssl").as_deref(), Some("1.1.1d-0+deb10u5"));
    assert_eq!(to("musl").as_deref(), Some("1.1.22-r10"));
    assert_eq!(to("bind").as_deref(), Some("99:9.11.4-26.P2.amzn2.13"));
}

#[test]
fn fixes_at_or_below_the_installed_version_or_not_versions_fix_nothing() {
    let inputs = [
        dep(1, "a", "npm/x@2.0.0", "CVE-1", &["1.9.0"], 5.0),
        dep(
            2,
            "a",
            "npm/x@2.0.0",
            "CVE-2",
            &["023a0d52f106321838ab1c0997e76693f4dcbdf6"],
            5.0,
        ),
        dep(3, "a", "npm/x@2.0.0", "CVE-3", &["the-next-version"], 5.0),
    ];
    let p = plan(&inputs);
    assert!(p.actions.is_empty());
    assert_eq!(p.unfixable[0].findings, vec![1, 2, 3]);
}

#[test]
fn unfixable_findings_ride_with_the_package_upgrade() {
    let inputs = [
        dep(
            1,
            "a",
            "pypi/Urllib3@1.26.5",
            "CVE-1",
            &["1.26.18", "2.0.7"],
            5.0,
        ),
        dep(2, "a", "pypi/urllib3@1.26.5", "CVE-2", &[], 9.0),
    ];
    let p = plan(&inputs);
    assert_eq!(p.actions.len(), 1);
    assert_eq!(p.actions[0].to_version.as_deref(), Some("1.26.18"));
    assert_eq!(p.actions[0].findings, vec![1]);
    assert_eq!(p.actions[0].unfixable, vec![2]);
    assert!(p.unfixable.is_empty());
}

#[test]
fn code_actions_group_one_rule_in_one_file() {
    let sast = |id: i64, rule: &str, path: &str, risk: f64| FixInput {
        finding: id,
        asset: "api".into(),
        category: Some(Category::Sast),
        rule_id: rule.into(),
        risk,
        path: Some(path.into()),
        ..FixInput::default()
    };
    let p = plan(&[
        sast(1, "python.sqli", "app/db.py", 30.0),
        sast(2, "python.sqli", "app/db.py", 30.0),
        sast(3, "python.sqli", "app/web.py", 10.0),
    ]);
    assert_eq!(p.actions.len(), 2);
    assert_eq!(p.actions[0].kind, FixKind::Code);
    assert_eq!(p.actions[0].findings, vec![1, 2]);
    assert_eq!(p.actions[0].risk_removed, 60.0);
    assert_eq!(p.actions[0].path.as_deref(), Some("app/db.py"));
    assert_eq!(p.actions[0].summary, "fix python.sqli in app/db.py");
}

#[test]
fn os_packages_of_a_named_base_image_are_one_base_image_action() {
    let mut a = dep(1, "web", "deb/openssl@1.1.1d", "CVE-1", &["1.1.1e"], 10.0);
    a.category = Some(Category::Container);
    a.base_image = Some("debian:10".into());
    let mut b = dep(2, "web", "deb/zlib@1.2.11", "CVE-2", &[], 5.0);
    b.category = Some(Category::Container);
    b.base_image = Some("debian:10".into());
    let mut c = dep(3, "web", "npm/lodash@4.17.4", "CVE-3", &["4.17.5"], 1.0);
    c.category = Some(Category::Container);
    c.base_image = Some("debian:10".into());
    let p = plan(&[a, b, c]);
    assert_eq!(p.actions.len(), 2);
    assert_eq!(p.actions[0].kind, FixKind::BaseImage);
    assert_eq!(p.actions[0].image.as_deref(), Some("debian:10"));
    assert_eq!(p.actions[0].findings, vec![1, 2]);
    assert_eq!(p.actions[1].kind, FixKind::PackageUpgrade);
}

#[test]
fn the_plan_is_ranked_by_risk_removed() {
    let p = plan(&[
        dep(1, "a", "npm/small@1.0.0", "CVE-1", &["1.0.1"], 5.0),
        dep(2, "a", "npm/big@1.0.0", "CVE-2", &["1.0.1"], 50.0),
        dep(3, "a", "npm/mid@1.0.0", "CVE-3", &["1.0.1"], 20.0),
    ]);
    let names: Vec<&str> = p
        .actions
        .iter()
        .map(|a| a.package.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["big", "mid", "small"]);
    let json = serde_json::to_value(&p.actions[0]).unwrap();
    for key in [
        "kind",
        "package",
        "installed",
        "to_version",
        "major",
        "findings",
        "assets",
        "risk_removed",
        "unfixable",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["kind"], "package-upgrade");
    assert_eq!(json["package"]["name"], "big");
    assert_eq!(json["package"]["ecosystem"], "npm");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn semver_text() -> impl Strategy<Value = (u64, u64, u64)> {
        (0u64..5, 0u64..12, 0u64..12)
    }

    proptest! {
        /// Whatever the fixes, the version chosen is above the installed one, fixes every
        /// finding it closes, and no lower candidate fixes them all.
        #[test]
        fn the_chosen_version_is_the_lowest_that_fixes_everything_it_closes(
            installed in semver_text(),
            fixes in proptest::collection::vec(proptest::collection::vec(semver_text(), 1..3), 1..6),
        ) {
            let text = |(a, b, c): (u64, u64, u64)| format!("{a}.{b}.{c}");
            let inputs: Vec<FixInput> = fixes
                .iter()
                .enumerate()
                .map(|(k, list)| {
                    let list: Vec<String> = list.iter().map(|v| text(*v)).collect();
                    let joined = list.join(", ");
                    dep(k as i64 + 1, "a", &format!("npm/p@{}", text(installed)), &format!("CVE-{k}"), &[joined.as_str()], 1.0)
                })
                .collect();
            let p = plan(&inputs);
            let inst = Version::parse(Scheme::Semver, &text(installed)).unwrap();
            let mut seen = BTreeSet::new();
            for a in &p.actions {
                let to = Version::parse(Scheme::Semver, a.to_version.as_deref().unwrap()).unwrap();
                prop_assert_eq!(cmp(&to, &inst), Ordering::Greater);
                for id in &a.findings {
                    prop_assert!(seen.insert(*id), "a finding in two actions");
                    let spec = FixSpec::parse(Scheme::Semver, &inputs[*id as usize - 1].fixed[0]).unwrap();
                    prop_assert!(spec.contains(&to));
                }
            }
            for u in &p.unfixable {
                for id in &u.findings {
                    prop_assert!(seen.insert(*id));
                }
            }
            if let Some(a) = p.actions.first() {
                for id in &a.unfixable {
                    prop_assert!(seen.insert(*id));
                }
            }
            prop_assert_eq!(seen.len(), inputs.len(), "every finding is closed or unfixable");
            if p.actions.len() == 1 && p.actions[0].unfixable.is_empty() {
                let to = Version::parse(Scheme::Semver, p.actions[0].to_version.as_deref().unwrap()).unwrap();
                // no listed version below it fixes all
                for list in &fixes {
                    for v in list {
                        let c = Version::parse(Scheme::Semver, &text(*v)).unwrap();
                        if cmp(&c, &inst) == Ordering::Greater && cmp(&c, &to) == Ordering::Less {
                            let all = inputs.iter().all(|f| FixSpec::parse(Scheme::Semver, &f.fixed[0]).unwrap().contains(&c));
                            prop_assert!(!all, "{} is lower and fixes all", text(*v));
                        }
                    }
                }
            }
        }
    }
}
