//! Grype JSON (`grype <image> -o json`) as Grype 0.8x writes it: one-space indentation, Go's
//! HTML escaping, `matches` with `vulnerability`, `relatedVulnerabilities`, `matchDetails`
//! and `artifact`, an image `source`, `distro` and `descriptor`.
//!
//! Debian packages match Debian's records (`debian:distro:debian:12`, NVD as related);
//! language packages match GitHub advisories (`GHSA-...` ids, the CVE as related).

use super::{Ctx, title_case};
use crate::catalog::Advisory;
use crate::deps::{deb_purl, lang_hits, os_hits, purl};
use crate::rng::stable_hex;
use crate::util::{go_json, rating, rfc3339};
use serde::Serialize;

#[derive(Serialize)]
struct Document {
    matches: Vec<Match>,
    source: Source,
    distro: Distro,
    descriptor: Descriptor,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Match {
    vulnerability: Vulnerability,
    related_vulnerabilities: Vec<Related>,
    match_details: Vec<MatchDetail>,
    artifact: Artifact,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Vulnerability {
    id: &'static str,
    data_source: String,
    namespace: &'static str,
    severity: String,
    urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    cvss: Vec<Cvss>,
    fix: Fix,
    advisories: Vec<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Related {
    id: &'static str,
    data_source: String,
    namespace: &'static str,
    severity: String,
    urls: Vec<String>,
    description: String,
    cvss: Vec<Cvss>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cvss {
    source: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    version: &'static str,
    vector: &'static str,
    metrics: Metrics,
    vendor_metadata: Empty,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    base_score: f64,
}

#[derive(Serialize)]
struct Fix {
    versions: Vec<&'static str>,
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MatchDetail {
    #[serde(rename = "type")]
    ty: &'static str,
    matcher: &'static str,
    searched_by: SearchedBy,
    found: Found,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<SuggestedFix>,
}

#[derive(Serialize)]
struct SearchedBy {
    #[serde(skip_serializing_if = "Option::is_none")]
    distro: Option<DistroRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'static str>,
    namespace: &'static str,
    package: PackageRef,
}

#[derive(Serialize)]
struct DistroRef {
    #[serde(rename = "type")]
    ty: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct PackageRef {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    #[serde(rename = "vulnerabilityID")]
    vulnerability_id: &'static str,
    version_constraint: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuggestedFix {
    suggested_version: &'static str,
}

#[derive(Serialize)]
struct Artifact {
    id: String,
    name: &'static str,
    version: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    locations: Vec<Location>,
    language: &'static str,
    licenses: Vec<&'static str>,
    cpes: Vec<String>,
    purl: String,
    upstreams: Vec<Upstream>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    path: String,
    #[serde(rename = "layerID")]
    layer_id: String,
    access_path: String,
    annotations: Annotations,
}

#[derive(Serialize)]
struct Annotations {
    evidence: &'static str,
}

#[derive(Serialize)]
struct Upstream {
    name: &'static str,
}

#[derive(Serialize)]
struct Source {
    #[serde(rename = "type")]
    ty: &'static str,
    target: Target,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    user_input: String,
    #[serde(rename = "imageID")]
    image_id: String,
    manifest_digest: String,
    media_type: &'static str,
    tags: Vec<String>,
    image_size: u64,
    layers: Vec<ImageLayer>,
    repo_digests: Vec<String>,
    architecture: &'static str,
    os: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageLayer {
    media_type: &'static str,
    digest: String,
    size: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Distro {
    name: &'static str,
    version: &'static str,
    id_like: Vec<&'static str>,
}

#[derive(Serialize)]
struct Descriptor {
    name: &'static str,
    version: &'static str,
    configuration: Configuration,
    db: Db,
    timestamp: String,
}

#[derive(Serialize)]
struct Configuration {
    output: Vec<&'static str>,
    file: &'static str,
    distro: &'static str,
    #[serde(rename = "add-cpes-if-none")]
    add_cpes_if_none: bool,
    #[serde(rename = "output-template-file")]
    output_template_file: &'static str,
    #[serde(rename = "check-for-app-update")]
    check_for_app_update: bool,
    #[serde(rename = "only-fixed")]
    only_fixed: bool,
    #[serde(rename = "only-notfixed")]
    only_notfixed: bool,
    platform: &'static str,
    search: Search,
    #[serde(rename = "fail-on-severity")]
    fail_on_severity: &'static str,
}

#[derive(Serialize)]
struct Search {
    scope: &'static str,
    #[serde(rename = "unindexed-archives")]
    unindexed_archives: bool,
    #[serde(rename = "indexed-archives")]
    indexed_archives: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Db {
    built: String,
    schema_version: u32,
    location: &'static str,
    checksum: String,
    error: Option<()>,
}

fn nvd_related(a: &'static Advisory) -> Related {
    let cvss = nvd_cvss(a);
    Related {
        id: a.id,
        data_source: format!("https://nvd.nist.gov/vuln/detail/{}", a.id),
        namespace: "nvd:cpe",
        severity: title_case(a.score().map_or("UNKNOWN", rating)),
        urls: vec![format!("https://nvd.nist.gov/vuln/detail/{}", a.id)],
        description: a.description(),
        cvss,
    }
}

fn nvd_cvss(a: &'static Advisory) -> Vec<Cvss> {
    a.score()
        .map(|s| Cvss {
            source: "nvd@nist.gov",
            ty: "Primary",
            version: "3.1",
            vector: a.vector,
            metrics: Metrics { base_score: s },
            vendor_metadata: Empty {},
        })
        .into_iter()
        .collect()
}

fn fix(a: &Advisory, debian: bool) -> Fix {
    let versions = a.fixed_versions();
    let state = if !versions.is_empty() {
        "fixed"
    } else if debian && a.severity() != "LOW" {
        "wont-fix"
    } else {
        "not-fixed"
    };
    // Debian records carry one fixed version; GHSA records all of them
    let versions = if debian {
        versions.into_iter().take(1).collect()
    } else {
        versions
    };
    Fix { versions, state }
}

/// `grype <image> -o json` of the service at this week.
pub(crate) fn write(ctx: &Ctx) -> Vec<u8> {
    let svc = ctx.service;
    let rebuilt = svc.os.is_some_and(|o| ctx.r >= o.bump);
    let diff_ids = ctx.layers(rebuilt);
    let base_layer = diff_ids.first().cloned().unwrap_or_default();
    let app_layer = diff_ids.last().cloned().unwrap_or_default();
    let image_ref = ctx.image_ref();
    let mut matches = Vec::new();
    let distro_version = "12";
    if let Some(os) = svc.os {
        for h in os_hits(os, ctx.r) {
            let a = h.adv;
            let severity = title_case(a.severity());
            let f = fix(a, true);
            let constraint = match f.versions.first() {
                Some(v) => format!("< {v} (deb)"),
                None => "none (deb)".to_string(),
            };
            let upstreams = if h.binary == h.source.name {
                Vec::new()
            } else {
                vec![Upstream {
                    name: h.source.name,
                }]
            };
            let purl = deb_purl(h.binary, h.version, h.source.name, distro_version);
            matches.push(Match {
                vulnerability: Vulnerability {
                    id: a.id,
                    data_source: format!("https://security-tracker.debian.org/tracker/{}", a.id),
                    namespace: "debian:distro:debian:12",
                    severity,
                    urls: vec![format!(
                        "https://security-tracker.debian.org/tracker/{}",
                        a.id
                    )],
                    description: None,
                    cvss: Vec::new(),
                    fix: f,
                    advisories: Vec::new(),
                },
                related_vulnerabilities: vec![nvd_related(a)],
                match_details: vec![MatchDetail {
                    ty: if upstreams.is_empty() {
                        "exact-direct-match"
                    } else {
                        "exact-indirect-match"
                    },
                    matcher: "dpkg-matcher",
                    searched_by: SearchedBy {
                        distro: Some(DistroRef {
                            ty: "debian",
                            version: distro_version,
                        }),
                        language: None,
                        namespace: "debian:distro:debian:12",
                        package: PackageRef {
                            name: h.source.name,
                            version: h.version,
                        },
                    },
                    found: Found {
                        vulnerability_id: a.id,
                        version_constraint: constraint,
                    },
                    fix: a.fixed_versions().first().map(|v| SuggestedFix {
                        suggested_version: v,
                    }),
                }],
                artifact: Artifact {
                    id: stable_hex(16, &[&purl]),
                    name: h.binary,
                    version: h.version,
                    ty: "deb",
                    locations: vec![
                        Location {
                            path: format!("/usr/share/doc/{}/copyright", h.binary),
                            layer_id: base_layer.clone(),
                            access_path: format!("/usr/share/doc/{}/copyright", h.binary),
                            annotations: Annotations {
                                evidence: "supporting",
                            },
                        },
                        Location {
                            path: "/var/lib/dpkg/status".to_string(),
                            layer_id: base_layer.clone(),
                            access_path: "/var/lib/dpkg/status".to_string(),
                            annotations: Annotations {
                                evidence: "primary",
                            },
                        },
                    ],
                    language: "",
                    licenses: vec!["GPL-2.0-or-later"],
                    cpes: vec![format!(
                        "cpe:2.3:a:{0}:{0}:{1}:*:*:*:*:*:*:*",
                        h.binary.replace('-', "_"),
                        h.version.replace(':', "\\:")
                    )],
                    purl,
                    upstreams,
                },
            });
        }
    }
    for t in svc.lang {
        let (language, gtype, matcher, namespace, site) = match t.ty {
            "python-pkg" | "pip" => (
                "python",
                "python",
                "python-matcher",
                "github:language:python",
                "/usr/local/lib/python3.11/site-packages",
            ),
            _ => (
                "javascript",
                "npm",
                "javascript-matcher",
                "github:language:javascript",
                "/app/node_modules",
            ),
        };
        for h in lang_hits(t, ctx.r) {
            let a = h.adv;
            let id = if a.ghsa.is_empty() { a.id } else { a.ghsa };
            let f = fix(a, false);
            let constraint = match a.fixed_versions().first() {
                Some(v) => format!("<{v} ({language})"),
                None => format!(">=0 ({language})"),
            };
            let path = if language == "python" {
                format!(
                    "{site}/{}-{}.dist-info/METADATA",
                    h.dep.name.replace('-', "_"),
                    h.version
                )
            } else {
                format!("{site}/{}/package.json", h.dep.name)
            };
            let purl = purl(t.ty, h.dep.name, h.version);
            let ghsa_cvss = a
                .score()
                .map(|s| Cvss {
                    source: "security-advisories@github.com",
                    ty: "Secondary",
                    version: "3.1",
                    vector: a.vector,
                    metrics: Metrics { base_score: s },
                    vendor_metadata: Empty {},
                })
                .into_iter()
                .collect();
            matches.push(Match {
                vulnerability: Vulnerability {
                    id,
                    data_source: format!("https://github.com/advisories/{id}"),
                    namespace,
                    severity: title_case(a.severity()),
                    urls: vec![format!("https://github.com/advisories/{id}")],
                    description: Some(a.title.to_string()),
                    cvss: ghsa_cvss,
                    fix: f,
                    advisories: Vec::new(),
                },
                related_vulnerabilities: if a.ghsa.is_empty() {
                    Vec::new()
                } else {
                    vec![nvd_related(a)]
                },
                match_details: vec![MatchDetail {
                    ty: "exact-direct-match",
                    matcher,
                    searched_by: SearchedBy {
                        distro: None,
                        language: Some(language),
                        namespace,
                        package: PackageRef {
                            name: h.dep.name,
                            version: h.version,
                        },
                    },
                    found: Found {
                        vulnerability_id: id,
                        version_constraint: constraint,
                    },
                    fix: a.fixed_versions().first().map(|v| SuggestedFix {
                        suggested_version: v,
                    }),
                }],
                artifact: Artifact {
                    id: stable_hex(16, &[&purl, &path]),
                    name: h.dep.name,
                    version: h.version,
                    ty: gtype,
                    locations: vec![Location {
                        path: path.clone(),
                        layer_id: app_layer.clone(),
                        access_path: path,
                        annotations: Annotations {
                            evidence: "primary",
                        },
                    }],
                    language,
                    licenses: vec!["MIT"],
                    cpes: vec![format!(
                        "cpe:2.3:a:{0}:{0}:{1}:*:*:*:*:{2}:*:*",
                        h.dep.name.to_ascii_lowercase(),
                        h.version,
                        if language == "python" {
                            "python"
                        } else {
                            "node.js"
                        }
                    )],
                    purl,
                    upstreams: Vec::new(),
                },
            });
        }
    }
    let repo = svc.image.unwrap_or(svc.name);
    let layers = diff_ids
        .iter()
        .enumerate()
        .map(|(i, d)| ImageLayer {
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            digest: d.clone(),
            size: 1_048_576 * (u64::try_from(i).unwrap_or(0) * 7 + 3) + 4_096,
        })
        .collect();
    let doc = Document {
        matches,
        source: Source {
            ty: "image",
            target: Target {
                user_input: image_ref.clone(),
                image_id: ctx.digest("image-id"),
                manifest_digest: ctx.digest("manifest"),
                media_type: "application/vnd.oci.image.manifest.v1+json",
                tags: vec![image_ref],
                image_size: u64::from(svc.minor) * 1_048_576 + 152_043_520,
                layers,
                repo_digests: vec![format!("{repo}@{}", ctx.digest("manifest"))],
                architecture: "amd64",
                os: "linux",
            },
        },
        distro: Distro {
            name: "debian",
            version: distro_version,
            id_like: Vec::new(),
        },
        descriptor: Descriptor {
            name: "grype",
            version: "0.86.1",
            configuration: Configuration {
                output: vec!["json"],
                file: "",
                distro: "",
                add_cpes_if_none: false,
                output_template_file: "",
                check_for_app_update: false,
                only_fixed: false,
                only_notfixed: false,
                platform: "",
                search: Search {
                    scope: "squashed",
                    unindexed_archives: false,
                    indexed_archives: true,
                },
                fail_on_severity: "",
            },
            db: Db {
                built: rfc3339(
                    ctx.scanned_at
                        .checked_sub(jiff::SignedDuration::from_hours(9))
                        .unwrap_or(ctx.scanned_at),
                ),
                schema_version: 5,
                location: "/root/.cache/grype/db/5",
                checksum: format!(
                    "sha256:{}",
                    stable_hex(64, &["grype-db", &crate::util::date(ctx.scanned_at)])
                ),
                error: None,
            },
            timestamp: ctx
                .scanned_at
                .strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
                .to_string(),
        },
    };
    go_json(&doc, b" ")
}
