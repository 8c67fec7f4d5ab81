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

/// One request a local server received.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A port nothing listens on yet (a receiver that is down).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A local HTTP server on a thread: each request goes to `handle`, which returns the status,
/// extra headers and body of the answer. Stops when dropped.
pub struct Server {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start<F>(port: u16, mut handle: F) -> Server
    where
        F: FnMut(&Captured) -> (u16, Vec<(String, String)>, String) + Send + 'static,
    {
        let server = tiny_http::Server::http(("127.0.0.1", port)).expect("listen");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let Ok(Some(mut req)) = server.recv_timeout(std::time::Duration::from_millis(50))
                else {
                    continue;
                };
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(req.as_reader(), &mut body);
                let captured = Captured {
                    method: req.method().as_str().to_string(),
                    url: req.url().to_string(),
                    headers: req
                        .headers()
                        .iter()
                        .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_string()))
                        .collect(),
                    body,
                };
                let (status, headers, body) = handle(&captured);
                let mut resp = tiny_http::Response::from_string(body).with_status_code(status);
                for (k, v) in headers {
                    if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                        resp.add_header(h);
                    }
                }
                let _ = req.respond(resp);
            }
        });
        Server {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
