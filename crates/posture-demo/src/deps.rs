//! Which advisories a service's packages have at a given reference week.

use crate::catalog::{Advisory, DebSource, Dep, LangTarget, OsImage, advisories_for, deb_source};

/// An advisory on one Debian binary package.
pub(crate) struct OsHit {
    pub binary: &'static str,
    pub source: &'static DebSource,
    pub version: &'static str,
    pub adv: &'static Advisory,
}

/// An advisory on one language package.
pub(crate) struct LangHit {
    pub dep: &'static Dep,
    pub version: &'static str,
    pub adv: &'static Advisory,
}

/// Debian findings, ordered by package then advisory as the scanners list them.
pub(crate) fn os_hits(os: &OsImage, r: u32) -> Vec<OsHit> {
    let mut out = Vec::new();
    for src in os.sources.iter().filter_map(|s| deb_source(s)) {
        let version = if r >= os.bump { src.after } else { src.before };
        for adv in advisories_for(src.name).filter(|a| a.affects(version, r)) {
            for binary in src.binaries {
                out.push(OsHit {
                    binary,
                    source: src,
                    version,
                    adv,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.binary, a.adv.id).cmp(&(b.binary, b.adv.id)));
    out
}

/// Language findings of one target, ordered by package then advisory.
pub(crate) fn lang_hits(target: &'static LangTarget, r: u32) -> Vec<LangHit> {
    let mut out = Vec::new();
    for dep in target.deps {
        let version = dep.version_at(r);
        for adv in advisories_for(dep.name).filter(|a| a.affects(version, r)) {
            out.push(LangHit { dep, version, adv });
        }
    }
    out.sort_by(|a, b| (a.dep.name, a.adv.id).cmp(&(b.dep.name, b.adv.id)));
    out
}

/// purl type and the name as it appears in a purl.
pub(crate) fn purl(ty: &str, name: &str, version: &str) -> String {
    match ty {
        "jar" | "pom" => {
            let (group, artifact) = name.split_once(':').unwrap_or(("", name));
            format!("pkg:maven/{group}/{artifact}@{version}")
        }
        "npm" | "node-pkg" => format!("pkg:npm/{}@{version}", name.replace('@', "%40")),
        "pip" | "python-pkg" | "poetry" => {
            format!("pkg:pypi/{}@{version}", name.to_ascii_lowercase())
        }
        "gobinary" | "gomod" => format!("pkg:golang/{name}@{version}"),
        _ => format!("pkg:generic/{name}@{version}"),
    }
}

/// Debian purl as Trivy writes it (`+` escaped, distro qualifier).
pub(crate) fn deb_purl(binary: &str, version: &str, source: &str, distro: &str) -> String {
    let v = version.replace('+', "%2B").replace(':', "%3A");
    if binary == source {
        format!("pkg:deb/debian/{binary}@{v}?arch=amd64&distro=debian-{distro}")
    } else {
        format!("pkg:deb/debian/{binary}@{v}?arch=amd64&distro=debian-{distro}&upstream={source}")
    }
}
