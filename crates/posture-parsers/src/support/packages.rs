//! Package ecosystems (purl-type vocabulary) and package URLs.

/// Package ecosystem (purl type vocabulary) from a Trivy result `Type`.
pub(crate) fn ecosystem_of(kind: &str) -> Option<&'static str> {
    let k = kind.trim().to_ascii_lowercase();
    Some(match k.as_str() {
        "npm" | "yarn" | "pnpm" | "bun" | "node-pkg" | "nodejs" => "npm",
        "pip" | "pipenv" | "poetry" | "uv" | "python-pkg" | "python" => "pypi",
        "conda-pkg" | "conda-environment" | "conda" => "conda",
        "gomod" | "gobinary" | "go" => "golang",
        "jar" | "pom" | "gradle" | "sbt" | "java" => "maven",
        "cargo" | "rust-binary" | "rustbinary" => "cargo",
        "bundler" | "gemspec" | "rubygems" | "gem" => "gem",
        "nuget" | "dotnet-core" | "packages-props" | "dotnet" => "nuget",
        "composer" | "composer-vendor" => "composer",
        "hex" | "mix" => "hex",
        "pub" | "dart" => "pub",
        "swift" => "swift",
        "cocoapods" => "cocoapods",
        "conan" => "conan",
        "julia" => "julia",
        "bitnami" => "bitnami",
        "kubernetes" | "k8s" => "k8s",
        "debian" | "ubuntu" | "echo" => "deb",
        "alpine" | "wolfi" | "chainguard" | "minimos" => "apk",
        "redhat" | "centos" | "rocky" | "alma" | "amazon" | "oracle" | "fedora" | "photon"
        | "suse" | "sles" | "cbl-mariner" | "azurelinux" => "rpm",
        _ if k.starts_with("opensuse") || k.starts_with("suse ") => "rpm",
        _ => return None,
    })
}

/// The type of a package URL (`pkg:npm/...` → `npm`).
pub(crate) fn purl_type(purl: &str) -> Option<String> {
    let rest = purl.trim().strip_prefix("pkg:")?;
    let rest = rest.trim_start_matches('/');
    let end = rest.find('/')?;
    let t = rest[..end].trim().to_ascii_lowercase();
    (!t.is_empty()).then_some(t)
}

/// `>=1.2.3` (one lower bound, nothing else) → `1.2.3`.
pub(crate) fn fixed_from_patched(patched: &str) -> Option<String> {
    let rest = patched.trim().strip_prefix(">=")?.trim();
    (!rest.is_empty() && !rest.contains([' ', '|', '<', '>', ','])).then(|| rest.to_string())
}
