//! Package URLs for exported packages: the scanner's purl when it gave one, else one built from
//! the ecosystem, name and version (<https://github.com/package-url/purl-spec>).

use posture_model::Package;

/// The package's purl: as the scanner gave it, else built from ecosystem (purl type), name and
/// version with percent-encoding; `pkg:generic/...` when the ecosystem is unknown.
pub fn purl_of(p: &Package) -> String {
    if let Some(purl) = p.purl.as_deref().filter(|s| s.starts_with("pkg:")) {
        return purl.to_string();
    }
    let ty = purl_type(p.ecosystem.as_deref().unwrap_or("generic"));
    // Maven and Go names carry a namespace (group, module path): keep `/` and `:` as segments.
    let name = if ty == "maven" {
        p.name.replacen(':', "/", 1)
    } else {
        p.name.clone()
    };
    let name = name.split('/').map(encode).collect::<Vec<_>>().join("/");
    match p.version.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => format!("pkg:{ty}/{name}@{}", encode(v)),
        None => format!("pkg:{ty}/{name}"),
    }
}

fn purl_type(ecosystem: &str) -> &'static str {
    match ecosystem.to_ascii_lowercase().as_str() {
        "npm" | "node" | "yarn" | "pnpm" => "npm",
        "pypi" | "pip" | "python" | "poetry" => "pypi",
        "maven" | "java" | "gradle" => "maven",
        "golang" | "go" | "gomod" => "golang",
        "cargo" | "crates.io" | "rust" => "cargo",
        "gem" | "rubygems" | "bundler" | "ruby" => "gem",
        "nuget" | ".net" | "dotnet" => "nuget",
        "composer" | "packagist" | "php" => "composer",
        "deb" | "debian" | "ubuntu" => "deb",
        "apk" | "alpine" => "apk",
        "rpm" | "redhat" | "centos" | "rocky" | "amazon" | "fedora" => "rpm",
        "hex" | "erlang" | "elixir" => "hex",
        "pub" | "dart" => "pub",
        "swift" => "swift",
        "cocoapods" => "cocoapods",
        "conan" => "conan",
        "github" | "actions" => "github",
        _ => "generic",
    }
}

pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(eco: &str, name: &str, version: &str) -> Package {
        Package {
            ecosystem: Some(eco.into()),
            name: name.into(),
            version: Some(version.into()),
            ..Default::default()
        }
    }

    #[test]
    fn builds_purls_per_ecosystem() {
        assert_eq!(
            purl_of(&pkg("npm", "@babel/core", "7.0.0")),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl_of(&pkg(
                "maven",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1"
            )),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert_eq!(
            purl_of(&pkg("PyPI", "Django", "3.2")),
            "pkg:pypi/Django@3.2"
        );
        assert_eq!(
            purl_of(&pkg("whatever", "x y", "1+2")),
            "pkg:generic/x%20y@1%2B2"
        );
        let mut given = pkg("npm", "lodash", "4.17.20");
        given.purl = Some("pkg:npm/lodash@4.17.20".into());
        assert_eq!(purl_of(&given), "pkg:npm/lodash@4.17.20");
    }
}
