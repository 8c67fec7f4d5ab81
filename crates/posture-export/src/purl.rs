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
    let name = match ty {
        "maven" => p.name.replacen(':', "/", 1),
        // The purl specification: PyPI names are lower case with `_` as `-` (as pip and every
        // scanner write them), so a VEX product matches the scanner's purl.
        "pypi" => p.name.to_ascii_lowercase().replace('_', "-"),
        _ => p.name.clone(),
    };
    let name = name.split('/').map(encode).collect::<Vec<_>>().join("/");
    match p.version.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => format!("pkg:{ty}/{name}@{}", encode(v)),
        None => format!("pkg:{ty}/{name}"),
    }
}

/// The purl of a container image (`pkg:oci/<name>[@<digest>]?repository_url=<registry/path>`),
/// as Trivy and Grype write an image's own purl: the name is the last path segment, lower
/// case; the version is the digest when the reference pins one; Docker Hub's short names are
/// spelled out (`alpine` → `index.docker.io/library/alpine`). The tag is not part of it: a
/// tag moves, and scanners match a VEX product without a version against every digest of the
/// repository. `None` for an empty reference.
pub fn oci_purl(reference: &str) -> Option<String> {
    // Trivy's targets add the OS in parentheses: `alpine:3.10 (alpine 3.10.9)`.
    let reference = reference.split_whitespace().next()?.trim();
    let (no_digest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let last_slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let repository = match no_digest[last_slash..].find(':') {
        Some(i) => &no_digest[..last_slash + i],
        None => no_digest,
    };
    let repository = repository.to_ascii_lowercase();
    if repository.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = repository.split('/').collect();
    let has_registry = parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    let full = if has_registry {
        if parts[0] == "docker.io" {
            parts[0] = "index.docker.io";
            if parts.len() == 2 {
                format!("index.docker.io/library/{}", parts[1])
            } else {
                parts.join("/")
            }
        } else {
            parts.join("/")
        }
    } else if parts.len() == 1 {
        format!("index.docker.io/library/{}", parts[0])
    } else {
        format!("index.docker.io/{repository}")
    };
    let name = full.rsplit('/').next().unwrap_or(&full);
    let mut purl = format!("pkg:oci/{}", encode(name));
    if let Some(d) = digest.filter(|d| !d.is_empty()) {
        purl.push('@');
        purl.push_str(&encode(d));
    }
    purl.push_str("?repository_url=");
    purl.push_str(&encode(&full));
    Some(purl)
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
            purl_of(&pkg("PyPI", "Django_Extensions", "3.2")),
            "pkg:pypi/django-extensions@3.2"
        );
        assert_eq!(
            purl_of(&pkg("whatever", "x y", "1+2")),
            "pkg:generic/x%20y@1%2B2"
        );
        let mut given = pkg("npm", "lodash", "4.17.20");
        given.purl = Some("pkg:npm/lodash@4.17.20".into());
        assert_eq!(purl_of(&given), "pkg:npm/lodash@4.17.20");
    }

    #[test]
    fn builds_image_purls_as_scanners_write_them() {
        assert_eq!(
            oci_purl("alpine:3.10").as_deref(),
            Some("pkg:oci/alpine?repository_url=index.docker.io%2Flibrary%2Falpine")
        );
        assert_eq!(
            oci_purl("python:3.4-alpine (alpine 3.9.2)").as_deref(),
            Some("pkg:oci/python?repository_url=index.docker.io%2Flibrary%2Fpython")
        );
        assert_eq!(
            oci_purl("ghcr.io/Acme/payments-api:1.4@sha256:abc123").as_deref(),
            Some(
                "pkg:oci/payments-api@sha256%3Aabc123?repository_url=ghcr.io%2Facme%2Fpayments-api"
            )
        );
        assert_eq!(
            oci_purl("registry.local:5000/team/api:2").as_deref(),
            Some("pkg:oci/api?repository_url=registry.local%3A5000%2Fteam%2Fapi")
        );
        assert_eq!(
            oci_purl("docker.io/acme/web").as_deref(),
            Some("pkg:oci/web?repository_url=index.docker.io%2Facme%2Fweb")
        );
        assert_eq!(
            oci_purl("acme/web:latest").as_deref(),
            Some("pkg:oci/web?repository_url=index.docker.io%2Facme%2Fweb")
        );
        assert_eq!(oci_purl("  "), None);
    }
}
