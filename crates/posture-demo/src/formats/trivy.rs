//! Trivy JSON (`trivy image|fs --format json`), SchemaVersion 2, as Trivy 0.5x writes it:
//! two-space indentation, Go's HTML escaping, field order of Trivy's structs.

use super::Ctx;
use crate::catalog::{Advisory, LangTarget};
use crate::deps::{deb_purl, lang_hits, os_hits, purl};
use crate::rng::stable_hex;
use crate::util::{go_json, rating, rfc3339_nanos};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    schema_version: u32,
    trivy: TrivyVersion,
    #[serde(rename = "ReportID")]
    report_id: String,
    created_at: String,
    artifact_name: String,
    artifact_type: &'static str,
    metadata: Metadata,
    results: Vec<ResultEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TrivyVersion {
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(rename = "OS", skip_serializing_if = "Option::is_none")]
    os: Option<Os>,
    #[serde(rename = "ImageID", skip_serializing_if = "Option::is_none")]
    image_id: Option<String>,
    #[serde(rename = "DiffIDs", skip_serializing_if = "Vec::is_empty")]
    diff_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    repo_tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    repo_digests: Vec<String>,
    image_config: ImageConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Os {
    family: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct ImageConfig {
    architecture: &'static str,
    created: String,
    os: &'static str,
    rootfs: RootFs,
    config: ImageConfigInner,
}

#[derive(Serialize)]
struct RootFs {
    #[serde(rename = "type")]
    ty: &'static str,
    diff_ids: Option<Vec<String>>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ImageConfigInner {
    #[serde(skip_serializing_if = "Option::is_none")]
    entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    working_dir: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResultEntry {
    target: String,
    class: &'static str,
    #[serde(rename = "Type")]
    ty: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vuln>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: &'static str,
    #[serde(rename = "PkgID")]
    pkg_id: String,
    pkg_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pkg_path: Option<String>,
    pkg_identifier: PkgIdentifier,
    installed_version: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    fixed_version: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<Layer>,
    severity_source: &'static str,
    #[serde(rename = "PrimaryURL")]
    primary_url: String,
    data_source: DataSource,
    fingerprint: String,
    title: &'static str,
    description: String,
    severity: &'static str,
    #[serde(rename = "CweIDs", skip_serializing_if = "Vec::is_empty")]
    cwe_ids: Vec<&'static str>,
    vendor_severity: BTreeMap<&'static str, u8>,
    #[serde(rename = "CVSS", skip_serializing_if = "BTreeMap::is_empty")]
    cvss: BTreeMap<&'static str, Cvss>,
    references: Vec<String>,
    published_date: String,
    last_modified_date: String,
}

#[derive(Serialize)]
struct PkgIdentifier {
    #[serde(rename = "PURL")]
    purl: String,
    #[serde(rename = "UID")]
    uid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Layer {
    digest: String,
    #[serde(rename = "DiffID")]
    diff_id: String,
}

#[derive(Serialize)]
struct DataSource {
    #[serde(rename = "ID")]
    id: &'static str,
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "URL")]
    url: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Cvss {
    #[serde(rename = "V3Vector")]
    v3_vector: &'static str,
    #[serde(rename = "V3Score")]
    v3_score: f64,
}

fn sev_num(s: &str) -> u8 {
    match s {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

fn references(a: &Advisory, debian: bool) -> Vec<String> {
    let mut refs = vec![
        format!("https://access.redhat.com/security/cve/{}", a.id),
        format!("https://nvd.nist.gov/vuln/detail/{}", a.id),
        format!("https://www.cve.org/CVERecord?id={}", a.id),
    ];
    if !a.ghsa.is_empty() {
        refs.push(format!("https://github.com/advisories/{}", a.ghsa));
    }
    if debian {
        refs.push(format!(
            "https://security-tracker.debian.org/tracker/{}",
            a.id
        ));
    }
    refs.sort();
    refs
}

fn last_modified(a: &Advisory) -> String {
    let year: u32 = a
        .published
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(2024);
    let h = stable_hex(4, &["lastmod", a.id]);
    let n = u32::from_str_radix(&h, 16).unwrap_or(0);
    format!(
        "{}-{:02}-{:02}T{:02}:15:00.000Z",
        (year + 1).min(2025),
        n % 12 + 1,
        n / 12 % 28 + 1,
        n / 400 % 24
    )
}

/// The package side of a Trivy vulnerability entry.
struct PkgRef {
    name: &'static str,
    id: String,
    path: Option<String>,
    purl: String,
    installed: &'static str,
    debian: bool,
    data_source: DataSource,
    layer: Option<Layer>,
}

fn vuln(ctx: &Ctx, a: &'static Advisory, p: PkgRef) -> Vuln {
    let fixed = a.fixed_versions().join(", ");
    let status = if !fixed.is_empty() {
        "fixed"
    } else if p.debian && a.severity() != "LOW" {
        "will_not_fix"
    } else {
        "affected"
    };
    let score = a.score();
    let severity = a.severity();
    let mut vendor = BTreeMap::new();
    let mut cvss = BTreeMap::new();
    vendor.insert(if p.debian { "debian" } else { "ghsa" }, sev_num(severity));
    if let Some(s) = score {
        vendor.insert("nvd", sev_num(rating(s)));
        cvss.insert(
            "nvd",
            Cvss {
                v3_vector: a.vector,
                v3_score: s,
            },
        );
        if !p.debian {
            cvss.insert(
                "ghsa",
                Cvss {
                    v3_vector: a.vector,
                    v3_score: s,
                },
            );
        }
    }
    let seed = ctx.seed.to_string();
    let severity_source = match (p.debian, a.sev.is_empty()) {
        (true, false) => "debian",
        (true, true) => "nvd",
        (false, _) => "ghsa",
    };
    Vuln {
        vulnerability_id: a.id,
        pkg_id: p.id,
        pkg_name: p.name,
        pkg_path: p.path,
        pkg_identifier: PkgIdentifier {
            uid: stable_hex(16, &[&p.purl, ctx.service.name]),
            purl: p.purl,
        },
        installed_version: p.installed,
        fixed_version: fixed,
        status,
        layer: p.layer,
        severity_source,
        primary_url: format!("https://avd.aquasec.com/nvd/{}", a.id.to_ascii_lowercase()),
        data_source: p.data_source,
        fingerprint: format!(
            "sha256:{}",
            stable_hex(64, &[&seed, ctx.service.name, a.id, p.name, p.installed])
        ),
        title: a.title,
        description: a.description(),
        severity,
        cwe_ids: a.cwes(),
        vendor_severity: vendor,
        cvss,
        references: references(a, p.debian),
        published_date: format!("{}T15:15:00.000Z", a.published),
        last_modified_date: last_modified(a),
    }
}

fn data_source(ty: &str) -> DataSource {
    let (id, name, url) = match ty {
        "debian" => (
            "debian",
            "Debian Security Tracker",
            "https://salsa.debian.org/security-tracker-team/security-tracker",
        ),
        "jar" | "pom" => (
            "ghsa",
            "GitHub Security Advisory Maven",
            "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Amaven",
        ),
        "npm" | "node-pkg" => (
            "ghsa",
            "GitHub Security Advisory npm",
            "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm",
        ),
        "gobinary" | "gomod" => (
            "govulndb",
            "The Go Vulnerability Database",
            "https://pkg.go.dev/vuln/",
        ),
        _ => (
            "ghsa",
            "GitHub Security Advisory pip",
            "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
        ),
    };
    DataSource { id, name, url }
}

fn pkg_id(ty: &str, name: &str, version: &str) -> String {
    match ty {
        "jar" | "pom" => format!("{name}:{version}"),
        _ => format!("{name}@{version}"),
    }
}

fn lang_result(ctx: &Ctx, t: &'static LangTarget, app_layer: Option<(&str, &str)>) -> ResultEntry {
    let vulnerabilities = lang_hits(t, ctx.r)
        .into_iter()
        .map(|h| {
            let path = match t.ty {
                "jar" => {
                    let artifact = h.dep.name.rsplit(':').next().unwrap_or(h.dep.name);
                    Some(format!("app/lib/{artifact}-{}.jar", h.version))
                }
                _ => None,
            };
            let p = PkgRef {
                name: h.dep.name,
                id: pkg_id(t.ty, h.dep.name, h.version),
                path,
                purl: purl(t.ty, h.dep.name, h.version),
                installed: h.version,
                debian: false,
                data_source: data_source(t.ty),
                layer: app_layer.map(|(d, i)| Layer {
                    digest: d.to_string(),
                    diff_id: i.to_string(),
                }),
            };
            vuln(ctx, h.adv, p)
        })
        .collect();
    ResultEntry {
        target: t.target.to_string(),
        class: "lang-pkgs",
        ty: t.ty,
        vulnerabilities,
    }
}

/// `trivy image` (with `image`) or `trivy fs .` of the service at this week.
pub(crate) fn write(ctx: &Ctx, image: bool) -> Vec<u8> {
    let svc = ctx.service;
    let created_at = rfc3339_nanos(ctx.scanned_at, ctx.week.wrapping_mul(7_919) + 104_729);
    let seed = ctx.seed.to_string();
    let week = ctx.week.to_string();
    let id = stable_hex(32, &[&seed, svc.name, &week, "trivy-report"]);
    let report_id = format!(
        "{}-{}-7{}-8{}-{}",
        id.get(0..8).unwrap_or(""),
        id.get(8..12).unwrap_or(""),
        id.get(13..16).unwrap_or(""),
        id.get(17..20).unwrap_or(""),
        id.get(20..32).unwrap_or("")
    );
    let mut results = Vec::new();
    let (artifact_name, artifact_type, metadata) = if image {
        let os = svc.os;
        let rebuilt = os.is_some_and(|o| ctx.r >= o.bump);
        let diff_ids = ctx.layers(rebuilt);
        let digests: Vec<String> = diff_ids.iter().map(|d| ctx.digest(d)).collect();
        let image_ref = ctx.image_ref();
        if let Some(os) = os {
            let name = os.debian_name(ctx.r);
            let base = digests.first().zip(diff_ids.first());
            let vulnerabilities = os_hits(os, ctx.r)
                .into_iter()
                .map(|h| {
                    let p = PkgRef {
                        name: h.binary,
                        id: format!("{}@{}", h.binary, h.version),
                        path: None,
                        purl: deb_purl(h.binary, h.version, h.source.name, name),
                        installed: h.version,
                        debian: true,
                        data_source: data_source("debian"),
                        layer: base.map(|(d, i)| Layer {
                            digest: d.clone(),
                            diff_id: i.clone(),
                        }),
                    };
                    vuln(ctx, h.adv, p)
                })
                .collect();
            results.push(ResultEntry {
                target: format!("{image_ref} (debian {name})"),
                class: "os-pkgs",
                ty: "debian",
                vulnerabilities,
            });
        }
        let app = digests
            .last()
            .map(String::as_str)
            .zip(diff_ids.last().map(String::as_str));
        for t in svc.lang {
            results.push(lang_result(ctx, t, app));
        }
        let repo = svc.image.unwrap_or(svc.name);
        let metadata = Metadata {
            size: Some(u64::from(ctx.service.minor) * 1_048_576 + 61_345_792),
            os: os.map(|o| Os {
                family: "debian",
                name: o.debian_name(ctx.r),
            }),
            image_id: Some(ctx.digest("image-id")),
            diff_ids: diff_ids.clone(),
            repo_tags: vec![image_ref.clone()],
            repo_digests: vec![format!("{repo}@{}", ctx.digest("manifest"))],
            image_config: ImageConfig {
                architecture: "amd64",
                created: crate::util::rfc3339(ctx.scanned_at),
                os: "linux",
                rootfs: RootFs {
                    ty: "layers",
                    diff_ids: Some(diff_ids),
                },
                config: ImageConfigInner {
                    entrypoint: Some(vec![format!("/usr/local/bin/{}", svc.name)]),
                    env: Some(vec![
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    ]),
                    working_dir: Some("/app"),
                },
            },
        };
        (image_ref, "container_image", metadata)
    } else {
        for t in svc.lang {
            results.push(lang_result(ctx, t, None));
        }
        let metadata = Metadata {
            size: None,
            os: None,
            image_id: None,
            diff_ids: Vec::new(),
            repo_tags: Vec::new(),
            repo_digests: Vec::new(),
            image_config: ImageConfig {
                architecture: "",
                created: "0001-01-01T00:00:00Z".to_string(),
                os: "",
                rootfs: RootFs {
                    ty: "",
                    diff_ids: None,
                },
                config: ImageConfigInner::default(),
            },
        };
        (".".to_string(), "filesystem", metadata)
    };
    let report = Report {
        schema_version: 2,
        trivy: TrivyVersion { version: "0.58.1" },
        report_id,
        created_at,
        artifact_name,
        artifact_type,
        metadata,
        results,
    };
    go_json(&report, b"  ")
}
