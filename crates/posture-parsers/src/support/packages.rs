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

/// A package URL read by the `packageurl` crate (scheme, type, percent-decoding, namespace,
/// name, version; qualifiers and subpath dropped), keeping the scanner's spelling of the
/// namespace and name.
///
/// The crate also applies each type's canonical form (lower-case npm, Go and PyPI names, `_`
/// to `-` for PyPI) and rejects purls that break a type's rules (a Maven purl without a
/// group). Posture does neither: a package's name is part of its identity hints, and reports
/// written before and after a scanner changed its casing must still match; a purl a type's
/// rules would refuse still names its package. So the crate reads the purl under a type that
/// has no rules, and the type itself is checked and lower-cased separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    /// The type, lower case (`npm`, `maven`...).
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
}

/// A type no purl specification rule applies to (see [`Purl`]).
const RULELESS_TYPE: &str = "posture-verbatim";

impl Purl {
    /// `None` when the text is not a package URL with a type and a name.
    pub(crate) fn parse(purl: &str) -> Option<Purl> {
        let rest = purl.trim().strip_prefix("pkg:")?.trim_start_matches('/');
        let (ty, tail) = rest.split_once('/')?;
        let ty = packageurl::PackageUrl::new(ty.trim().to_string(), "x")
            .ok()?
            .ty()
            .to_string();
        let p: packageurl::PackageUrl<'static> =
            format!("pkg:{RULELESS_TYPE}/{tail}").parse().ok()?;
        Some(Purl {
            ty,
            namespace: p.namespace().map(str::to_string),
            name: p.name().to_string(),
            version: p.version().map(str::to_string),
        })
    }

    /// Namespace and name joined by `sep` (`org.apache:log4j`, `@babel/core`, `github.com/x/y`).
    pub(crate) fn full_name(&self, sep: &str) -> String {
        match &self.namespace {
            Some(ns) => format!("{}{sep}{}", ns.replace('/', sep), self.name),
            None => self.name.clone(),
        }
    }

    /// The name a report would print: Maven as `group:artifact`, others `namespace/name`.
    pub(crate) fn display_name(&self) -> String {
        self.full_name(if self.ty == "maven" { ":" } else { "/" })
    }
}

/// The type of a package URL (`pkg:npm/...` → `npm`).
pub(crate) fn purl_type(purl: &str) -> Option<String> {
    Purl::parse(purl).map(|p| p.ty)
}

/// `>=1.2.3` (one lower bound, nothing else) → `1.2.3`.
pub(crate) fn fixed_from_patched(patched: &str) -> Option<String> {
    let rest = patched.trim().strip_prefix(">=")?.trim();
    (!rest.is_empty() && !rest.contains([' ', '|', '<', '>', ','])).then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(String, Option<String>, String, Option<String>)> {
        Purl::parse(s).map(|p| (p.ty, p.namespace, p.name, p.version))
    }

    fn own(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn purls_keep_the_scanners_spelling() {
        assert_eq!(
            p("pkg:golang/github.com/Masterminds/Semver@v1.5.0"),
            Some((
                own("golang"),
                Some(own("github.com/Masterminds")),
                own("Semver"),
                Some(own("v1.5.0"))
            ))
        );
        assert_eq!(
            p("pkg:pypi/Django_Rest@3.1"),
            Some((own("pypi"), None, own("Django_Rest"), Some(own("3.1"))))
        );
        // a Maven purl without a group is refused by the spec's rules, still a package here
        assert_eq!(
            p("pkg:maven/log4j@1.2"),
            Some((own("maven"), None, own("log4j"), Some(own("1.2"))))
        );
    }

    #[test]
    fn purls_are_decoded_and_stripped() {
        assert_eq!(
            p(" pkg:NPM/%40babel/core@7.0.0?repository_url=x#lib "),
            Some((
                own("npm"),
                Some(own("@babel")),
                own("core"),
                Some(own("7.0.0"))
            ))
        );
        assert_eq!(
            p("pkg://npm/a%20b"),
            Some((own("npm"), None, own("a b"), None))
        );
        let m = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(m.display_name(), "org.apache.logging.log4j:log4j-core");
        assert_eq!(m.full_name("/"), "org.apache.logging.log4j/log4j-core");
        assert_eq!(
            Purl::parse("pkg:npm/%40babel/core").unwrap().display_name(),
            "@babel/core"
        );
        assert_eq!(p("nonsense"), None);
        assert_eq!(p("pkg:npm"), None);
        assert_eq!(p("pkg:npm/"), None);
        assert_eq!(p("pkg:bad type/x"), None);
    }

    #[test]
    fn purl_types_and_ecosystems() {
        assert_eq!(ecosystem_of("pipenv"), Some("pypi"));
        assert_eq!(ecosystem_of("gobinary"), Some("golang"));
        assert_eq!(ecosystem_of("opensuse.leap"), Some("rpm"));
        assert_eq!(ecosystem_of("whatever"), None);
        assert_eq!(purl_type("pkg:apk/alpine/x@1"), Some("apk".to_string()));
        assert_eq!(purl_type("nonsense"), None);
    }
}
