use super::*;
use proptest::prelude::*;

fn ord(scheme: Scheme, a: &str, b: &str) -> Ordering {
    let pa = Version::parse(scheme, a).unwrap_or_else(|| panic!("{a} is a {scheme:?} version"));
    let pb = Version::parse(scheme, b).unwrap_or_else(|| panic!("{b} is a {scheme:?} version"));
    pa.compare(&pb).unwrap()
}

/// Each list is strictly ascending in its scheme.
fn ascending(scheme: Scheme, list: &[&str]) {
    for (i, a) in list.iter().enumerate() {
        for (j, b) in list.iter().enumerate() {
            assert_eq!(ord(scheme, a, b), i.cmp(&j), "{scheme:?}: {a} vs {b}");
        }
    }
}

fn equal(scheme: Scheme, a: &str, b: &str) {
    assert_eq!(ord(scheme, a, b), Ordering::Equal, "{scheme:?}: {a} = {b}");
}

#[test]
fn semver() {
    ascending(
        Scheme::Semver,
        &[
            "0.9.9",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.2",
            "v1.2.1",
            "1.10.0",
            "2.0.0-0.20210101-abcdef",
            "2.0.0",
        ],
    );
    equal(Scheme::Semver, "v1.2.3+incompatible", "1.2.3");
    equal(Scheme::Semver, "1.2", "1.2.0");
    assert!(Version::parse(Scheme::Semver, "the-next-version").is_none());
    assert!(Version::parse(Scheme::Semver, "1.2.3.4").is_none());
}

#[test]
fn pep440() {
    ascending(
        Scheme::Pep440,
        &[
            "1.0.dev0",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0+local.1",
            "1.0.post1.dev0",
            "1.0.post1",
            "1.1",
            "19.7.0rc1",
            "19.7.0",
            "1!0.1",
        ],
    );
    equal(Scheme::Pep440, "1.0", "1.0.0");
    equal(Scheme::Pep440, "v1.0-RC-1", "1.0rc1");
    equal(Scheme::Pep440, "1.0-1", "1.0.post1");
    equal(Scheme::Pep440, "1.0alpha", "1.0a0");
}

#[test]
fn maven() {
    ascending(
        Scheme::Maven,
        &[
            "1.0-alpha-1",
            "1.0-alpha-2",
            "1.0-beta-1",
            "1.0-milestone-1",
            "1.0-rc1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0-sp1",
            "1.0-whatever",
            "1.0.1",
            "1.1",
            "2.9.10.4",
            "2.9.10.7",
            "2.10",
        ],
    );
    equal(Scheme::Maven, "1.0.0", "1");
    equal(Scheme::Maven, "1-ga", "1.0");
    equal(Scheme::Maven, "1.0-CR1", "1.0-rc1");
    equal(Scheme::Maven, "1.0-a1", "1.0-alpha1");
}

#[test]
fn rubygems() {
    ascending(
        Scheme::Gem,
        &[
            "1.0.a",
            "1.0.a.2",
            "1.0.b1",
            "1.0.rc1",
            "1.0",
            "1.0.1",
            "1.1",
            "5.2.4.3",
            "6.0.0-rc1",
            "6.0.0",
        ],
    );
    equal(Scheme::Gem, "1.0.0", "1");
    equal(Scheme::Gem, "1.0-rc1", "1.0.pre.rc1");
}

#[test]
fn nuget() {
    ascending(
        Scheme::Nuget,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.2",
            "1.0.0-alpha.beta",
            "1.0.0-Beta",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
            "4.3.1",
        ],
    );
    equal(Scheme::Nuget, "1.0", "1.0.0.0");
    equal(Scheme::Nuget, "1.0.0-RC", "1.0.0-rc");
    equal(Scheme::Nuget, "1.0.0+build", "1.0.0");
}

#[test]
fn debian() {
    ascending(
        Scheme::Debian,
        &[
            "1.0~rc1",
            "1.0",
            "1.0-1",
            "1.0-1+deb10u1",
            "1.0-2",
            "1.0a",
            "1.0+dfsg-1",
            "1.1.1d-0+deb10u4",
            "1.1.1d-0+deb10u5",
            "2.4.47+dfsg-3+deb10u5",
            "7.81.0-1ubuntu1.15",
            "1:0.1",
        ],
    );
    equal(Scheme::Debian, "0:1.0-1", "1.0-1");
    equal(Scheme::Debian, "1.01", "1.1");
    assert!(Version::parse(Scheme::Debian, "abc").is_none());
}

#[test]
fn rpm() {
    ascending(
        Scheme::Rpm,
        &[
            "1.0~rc1-1",
            "1.0-1",
            "1.0^git1-1",
            "1.0a-1",
            "1.0.1-1",
            "1.0.1-1.el8",
            "1.0.1-2",
            "9.11.4-26.P2.amzn2.5",
            "9.11.4-26.P2.amzn2.13",
            "1:0.1-1",
            "99:9.11.4-26.P2.amzn2.13",
        ],
    );
    equal(Scheme::Rpm, "0:1.0-1", "1.0-1");
    equal(Scheme::Rpm, "1.0_1", "1.0.1");
}

#[test]
fn alpine() {
    ascending(
        Scheme::Alpine,
        &[
            "1.0_alpha1",
            "1.0_beta",
            "1.0_rc2",
            "1.0",
            "1.0-r1",
            "1.0_p1",
            "1.0a",
            "1.0.1",
            "1.1.1d-r0",
            "1.1.1d-r2",
            "1.1.1e",
            "1.2",
            "1.10",
        ],
    );
    equal(Scheme::Alpine, "1.0-r0", "1.0");
    assert!(Version::parse(Scheme::Alpine, "1.0_bogus").is_none());
}

#[test]
fn generic_and_release_numbers() {
    ascending(Scheme::Generic, &["1.0", "1.0.1", "1.2", "1.10", "v2"]);
    assert_eq!(release_numbers("1:1.2.3-4ubuntu1"), vec![1, 2, 3]);
    assert_eq!(release_numbers("2.4.47+dfsg-3+deb10u5"), vec![2, 4, 47]);
    assert_eq!(release_numbers("v2.8.0"), vec![2, 8, 0]);
    assert_eq!(release_numbers("1!2.0rc1"), vec![2, 0]);
    assert_eq!(Scheme::of(Some("PyPI")), Scheme::Pep440);
    assert_eq!(Scheme::of(Some("crates.io")), Scheme::Semver);
    assert_eq!(Scheme::of(None), Scheme::Generic);
}

/// Versions of each scheme built from parts, to check the laws of an order.
fn parts() -> impl Strategy<Value = (Vec<u8>, u8, u8, u8)> {
    (
        proptest::collection::vec(0u8..12, 1..4),
        0u8..6,
        0u8..4,
        0u8..3,
    )
}

fn render(scheme: Scheme, (rel, pre, post, rev): &(Vec<u8>, u8, u8, u8)) -> String {
    let r: Vec<String> = rel.iter().map(|n| n.to_string()).collect();
    let dotted = r.join(".");
    let tag = ["", "alpha", "beta", "rc", "a", "b"][*pre as usize % 6];
    match scheme {
        Scheme::Semver => {
            let mut s = format!(
                "{}.{}.{}",
                rel[0],
                rel.get(1).unwrap_or(&0),
                rel.get(2).unwrap_or(&0)
            );
            if !tag.is_empty() {
                s.push_str(&format!("-{tag}.{post}"));
            }
            s
        }
        Scheme::Pep440 => {
            let mut s = dotted;
            if !tag.is_empty() {
                s.push_str(&format!("{tag}{post}"));
            }
            if *rev > 0 {
                s.push_str(&format!(".post{rev}"));
            }
            s
        }
        Scheme::Maven | Scheme::Gem | Scheme::Nuget => {
            let mut s = dotted;
            if rel.len() > 3 && scheme == Scheme::Nuget {
                s = r[..3].join(".");
            }
            if !tag.is_empty() {
                let sep = if scheme == Scheme::Gem { "." } else { "-" };
                s.push_str(&format!("{sep}{tag}{post}"));
            }
            s
        }
        Scheme::Debian => {
            let tilde = if tag.is_empty() {
                String::new()
            } else {
                format!("~{tag}{post}")
            };
            format!("{}{dotted}{tilde}-{rev}", if *post > 2 { "1:" } else { "" })
        }
        Scheme::Rpm => {
            let tilde = if tag.is_empty() {
                String::new()
            } else {
                format!("~{tag}{post}")
            };
            format!("{dotted}{tilde}-{rev}.el8")
        }
        Scheme::Alpine => {
            let suffix = ["", "_alpha", "_beta", "_rc", "_p", "_pre"][*pre as usize % 6];
            if suffix.is_empty() {
                format!("{dotted}-r{rev}")
            } else {
                format!("{dotted}{suffix}{post}-r{rev}")
            }
        }
        Scheme::Generic => dotted,
    }
}

const SCHEMES: [Scheme; 9] = [
    Scheme::Semver,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::Gem,
    Scheme::Nuget,
    Scheme::Debian,
    Scheme::Rpm,
    Scheme::Alpine,
    Scheme::Generic,
];

proptest! {
    /// Every scheme is a total order on what it parses: reflexive, antisymmetric,
    /// transitive; and every version it renders, it parses.
    #[test]
    fn every_scheme_is_a_total_order(a in parts(), b in parts(), c in parts()) {
        for scheme in SCHEMES {
            let [x, y, z] = [&a, &b, &c].map(|p| {
                let text = render(scheme, p);
                Version::parse(scheme, &text).unwrap_or_else(|| panic!("{scheme:?} parses {text}"))
            });
            prop_assert_eq!(x.compare(&x), Some(Ordering::Equal));
            let xy = x.compare(&y).unwrap();
            prop_assert_eq!(y.compare(&x).unwrap(), xy.reverse(), "{:?} {} {}", scheme, x.as_str(), y.as_str());
            let yz = y.compare(&z).unwrap();
            let xz = x.compare(&z).unwrap();
            if xy != Ordering::Greater && yz != Ordering::Greater {
                prop_assert_ne!(xz, Ordering::Greater, "{:?}: {} <= {} <= {}", scheme, x.as_str(), y.as_str(), z.as_str());
            }
            if xy != Ordering::Less && yz != Ordering::Less {
                prop_assert_ne!(xz, Ordering::Less, "{:?}: {} >= {} >= {}", scheme, x.as_str(), y.as_str(), z.as_str());
            }
        }
    }

    /// Final releases order by their numbers, in every scheme (numbers compare as numbers,
    /// not as text: 1.10 > 1.9).
    #[test]
    fn final_releases_order_by_their_numbers(a in proptest::collection::vec(0u16..300, 3), b in proptest::collection::vec(0u16..300, 3)) {
        for scheme in SCHEMES {
            let text = |v: &[u16]| {
                let s = v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(".");
                match scheme {
                    Scheme::Debian | Scheme::Rpm => format!("{s}-1"),
                    Scheme::Alpine => format!("{s}-r0"),
                    _ => s,
                }
            };
            let (x, y) = (Version::parse(scheme, &text(&a)).unwrap(), Version::parse(scheme, &text(&b)).unwrap());
            prop_assert_eq!(x.compare(&y), Some(a.cmp(&b)), "{:?} {} {}", scheme, text(&a), text(&b));
        }
    }

    /// A pre-release sorts before its release, in every scheme that has them.
    #[test]
    fn a_prerelease_is_older_than_its_release(rel in proptest::collection::vec(0u8..20, 3), n in 1u8..9) {
        let dotted = rel.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(".");
        for (scheme, pre, fin) in [
            (Scheme::Semver, format!("{dotted}-rc.{n}"), dotted.clone()),
            (Scheme::Pep440, format!("{dotted}rc{n}"), dotted.clone()),
            (Scheme::Maven, format!("{dotted}-rc{n}"), dotted.clone()),
            (Scheme::Gem, format!("{dotted}.rc{n}"), dotted.clone()),
            (Scheme::Nuget, format!("{dotted}-rc.{n}"), dotted.clone()),
            (Scheme::Debian, format!("{dotted}~rc{n}-1"), format!("{dotted}-1")),
            (Scheme::Rpm, format!("{dotted}~rc{n}-1"), format!("{dotted}-1")),
            (Scheme::Alpine, format!("{dotted}_rc{n}-r0"), format!("{dotted}-r0")),
        ] {
            prop_assert_eq!(ord(scheme, &pre, &fin), Ordering::Less, "{:?} {} {}", scheme, pre, fin);
        }
    }

    /// No text makes a parser panic.
    #[test]
    fn parsing_never_panics(s in ".{0,40}") {
        for scheme in SCHEMES {
            if let Some(v) = Version::parse(scheme, &s) {
                let _ = v.compare(&v);
                let _ = v.release();
            }
        }
    }
}
