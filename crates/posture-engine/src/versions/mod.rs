//! Version orders of package ecosystems, for remediation planning ([`crate::fixes`]): which of
//! two versions is newer, by the ecosystem's own rules.
//!
//! | scheme | ecosystems (purl types) | rules |
//! |---|---|---|
//! | [`Scheme::Semver`] | npm, cargo, golang, hex, pub | SemVer 2.0 precedence (the `semver` crate); `v` prefixes and short forms (`1.2`) accepted; build metadata ignored |
//! | [`Scheme::Pep440`] | pypi | PEP 440: epoch, release, pre, post, dev, local |
//! | [`Scheme::Maven`] | maven | Maven's `ComparableVersion` (qualifiers alpha < beta < milestone < rc < snapshot < release < sp), flattened |
//! | [`Scheme::Gem`] | gem | RubyGems' `Gem::Version` (a letter makes a prerelease) |
//! | [`Scheme::Nuget`] | nuget | NuGet: up to four numbers, SemVer 2.0 prerelease labels, case-insensitive |
//! | [`Scheme::Debian`] | deb | dpkg: epoch, upstream, revision; `~` before anything |
//! | [`Scheme::Rpm`] | rpm | `rpmvercmp`: epoch, version, release; `~` and `^` |
//! | [`Scheme::Alpine`] | apk | apk-tools: numbers, a letter, `_alpha`.. `_p` suffixes, `-rN` |
//! | [`Scheme::Generic`] | anything else | segments of digits (numeric) and letters (lexical), digits newer |
//!
//! Every comparison is on parsed versions: a text that is not a version of its scheme (a
//! commit hash, `the-next-version` in a semver ecosystem) parses to `None` and is never a
//! candidate.

mod alpine;
mod debian;
mod gem;
mod maven;
mod nuget;
mod pep440;
mod rpm;

use std::cmp::Ordering;

/// A version order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Semver,
    Pep440,
    Maven,
    Gem,
    Nuget,
    Debian,
    Rpm,
    Alpine,
    Generic,
}

impl Scheme {
    /// The order of an ecosystem (purl type vocabulary, any case; OSV's names too).
    pub fn of(ecosystem: Option<&str>) -> Scheme {
        let e = ecosystem.unwrap_or("").trim().to_ascii_lowercase();
        match e.as_str() {
            "npm" | "cargo" | "crates.io" | "golang" | "go" | "hex" | "pub" => Scheme::Semver,
            "pypi" => Scheme::Pep440,
            "maven" => Scheme::Maven,
            "gem" | "rubygems" => Scheme::Gem,
            "nuget" => Scheme::Nuget,
            "deb" | "debian" | "ubuntu" => Scheme::Debian,
            "rpm" | "redhat" | "rocky" | "almalinux" | "suse" | "opensuse" => Scheme::Rpm,
            "apk" | "alpine" | "wolfi" | "chainguard" => Scheme::Alpine,
            _ => Scheme::Generic,
        }
    }

    /// Whether a change of the first release number (and, below 1.0, of the second) is a
    /// breaking one by the ecosystem's convention (SemVer's caret rules).
    fn zero_major_is_unstable(self) -> bool {
        matches!(self, Scheme::Semver)
    }
}

/// A parsed version of one scheme. Two versions of different schemes are not comparable.
#[derive(Debug, Clone)]
pub struct Version {
    raw: String,
    key: Key,
}

#[derive(Debug, Clone)]
enum Key {
    Semver(semver::Version),
    Pep440(pep440::Pep440),
    Maven(maven::MavenVersion),
    Gem(gem::GemVersion),
    Nuget(nuget::NugetVersion),
    Debian(debian::DebVersion),
    Rpm(rpm::RpmVersion),
    Alpine(alpine::ApkVersion),
    Generic(String),
}

impl Version {
    /// Parses `text` as a version of `scheme`; `None` when it is not one.
    pub fn parse(scheme: Scheme, text: &str) -> Option<Version> {
        let t = text.trim();
        if t.is_empty() || t.len() > 256 || looks_like_commit(t) {
            return None;
        }
        let key = match scheme {
            Scheme::Semver => Key::Semver(parse_semver(t)?),
            Scheme::Pep440 => Key::Pep440(pep440::Pep440::parse(t)?),
            Scheme::Maven => Key::Maven(maven::MavenVersion::parse(t)?),
            Scheme::Gem => Key::Gem(gem::GemVersion::parse(t)?),
            Scheme::Nuget => Key::Nuget(nuget::NugetVersion::parse(t)?),
            Scheme::Debian => Key::Debian(debian::DebVersion::parse(t)?),
            Scheme::Rpm => Key::Rpm(rpm::RpmVersion::parse(t)?),
            Scheme::Alpine => Key::Alpine(alpine::ApkVersion::parse(t)?),
            Scheme::Generic => {
                let body = t.strip_prefix(['v', 'V']).unwrap_or(t);
                if !body.starts_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
                Key::Generic(body.to_string())
            }
        };
        Some(Version {
            raw: t.to_string(),
            key,
        })
    }

    /// The text as the scanner wrote it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The leading release numbers (`1.2.3` of `1:1.2.3-4ubuntu1`, `2.4.47` of
    /// `2.4.47+dfsg-3+deb10u5`), after an epoch and a `v`: what release lines and major
    /// versions are read from.
    pub fn release(&self) -> Vec<u64> {
        release_numbers(&self.raw)
    }

    /// The order of two versions; `None` when they belong to different schemes.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        Some(match (&self.key, &other.key) {
            (Key::Semver(a), Key::Semver(b)) => {
                (a.major, a.minor, a.patch, &a.pre).cmp(&(b.major, b.minor, b.patch, &b.pre))
            }
            (Key::Pep440(a), Key::Pep440(b)) => a.cmp(b),
            (Key::Maven(a), Key::Maven(b)) => a.cmp(b),
            (Key::Gem(a), Key::Gem(b)) => a.cmp(b),
            (Key::Nuget(a), Key::Nuget(b)) => a.cmp(b),
            (Key::Debian(a), Key::Debian(b)) => a.cmp(b),
            (Key::Rpm(a), Key::Rpm(b)) => a.cmp(b),
            (Key::Alpine(a), Key::Alpine(b)) => a.cmp(b),
            (Key::Generic(a), Key::Generic(b)) => rpm::vercmp(a, b),
            _ => return None,
        })
    }
}

/// Whether going from `from` to `to` crosses a major version: the first release number
/// changes, or, for SemVer ecosystems below 1.0, the second (`0.4` → `0.5` breaks by the
/// caret rule).
pub fn crosses_major(scheme: Scheme, from: &Version, to: &Version) -> bool {
    let (a, b) = (from.release(), to.release());
    let first = |r: &[u64]| r.first().copied().unwrap_or(0);
    let second = |r: &[u64]| r.get(1).copied().unwrap_or(0);
    if first(&a) != first(&b) {
        return true;
    }
    scheme.zero_major_is_unstable() && first(&a) == 0 && second(&a) != second(&b)
}

/// SemVer, leniently: a `v` or `=` prefix, `1` and `1.2` as `1.0.0` and `1.2.0`, leading zeros.
fn parse_semver(text: &str) -> Option<semver::Version> {
    let t = text.trim_start_matches(['=', 'v', 'V']).trim();
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    // the release part ends at the first `-` or `+`
    let cut = t.find(['-', '+']).unwrap_or(t.len());
    let (release, rest) = t.split_at(cut);
    let parts: Vec<&str> = release.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut nums: Vec<u64> = Vec::new();
    for p in &parts {
        nums.push(p.parse().ok()?);
    }
    nums.resize(3, 0);
    semver::Version::parse(&format!("{}.{}.{}{rest}", nums[0], nums[1], nums[2])).ok()
}

/// A git commit id (OSV's `GIT` ranges): never a version.
fn looks_like_commit(t: &str) -> bool {
    t.len() >= 20 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The leading release numbers of a version text, after an epoch (`1:`, `1!`) and a `v`.
pub fn release_numbers(text: &str) -> Vec<u64> {
    let mut t = text.trim();
    if let Some((epoch, rest)) = t.split_once([':', '!'])
        && !epoch.is_empty()
        && epoch.bytes().all(|b| b.is_ascii_digit())
    {
        t = rest;
    }
    let t = t.trim_start_matches(['v', 'V', '=']);
    let mut out = Vec::new();
    for part in t.split('.') {
        let digits: &str = &part[..part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len())];
        if digits.is_empty() {
            break;
        }
        match digits.parse() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests;
