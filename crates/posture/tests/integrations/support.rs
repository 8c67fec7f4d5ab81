//! Shared helpers: a workspace in a temporary folder, Trivy reports written on the fly.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> String {
        self.path("posture.db").display().to_string()
    }

    /// `posture` with this workspace's database and configuration, run in the folder.
    pub fn posture(&self) -> Command {
        let mut c = Command::cargo_bin("posture").expect("binary");
        c.current_dir(self.dir.path())
            .env_remove("POSTURE_CONFIG")
            .env_remove("POSTURE_DATABASE")
            .env_remove("POSTURE_JIRA_TOKEN")
            .arg("--database")
            .arg(self.db());
        if self.path("posture.toml").is_file() {
            c.arg("--config").arg(self.path("posture.toml"));
        }
        c
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Ingests a Trivy report with these vulnerabilities (CVE, package, severity) for the asset.
    pub fn ingest(&self, asset: &str, vulns: &[(&str, &str, &str)], at: &str) {
        let report = self.write(&format!("trivy-{asset}-{at}.json"), &trivy(vulns));
        self.posture()
            .args(["ingest", "--output", "json", "--asset", asset, "--at", at])
            .arg(&report)
            .assert()
            .success();
    }
}

/// A Trivy (schema 2) filesystem report of npm packages.
pub fn trivy(vulns: &[(&str, &str, &str)]) -> String {
    let items: Vec<serde_json::Value> = vulns
        .iter()
        .map(|(cve, pkg, sev)| {
            serde_json::json!({
                "VulnerabilityID": cve,
                "PkgName": pkg,
                "PkgIdentifier": {"PURL": format!("pkg:npm/{pkg}@1.0.0")},
                "InstalledVersion": "1.0.0",
                "FixedVersion": "1.0.1",
                "Title": format!("{pkg}: a vulnerability"),
                "Description": format!("{cve} in {pkg}."),
                "Severity": sev,
                "CweIDs": ["CWE-79"],
            })
        })
        .collect();
    serde_json::json!({
        "SchemaVersion": 2,
        "Trivy": {"Version": "0.58.1"},
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": [{
            "Target": "package-lock.json",
            "Class": "lang-pkgs",
            "Type": "npm",
            "Vulnerabilities": items,
        }],
    })
    .to_string()
}

pub fn schema(rel: &str) -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(&p).expect("schema")).expect("json")
}

pub fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON output")
}
