//! Issue 19: the packaging (Dockerfile, docker-compose.yml, the Helm chart, the systemd unit)
//! checked as far as a machine without a container runtime or Helm allows: the files parse,
//! the Helm values pass the chart's own schema, every POSTURE_* variable they set is one the
//! binary reads, and every probe path they name is answered 200 by a real `posture serve`
//! (as is `posture healthcheck`, the image's HEALTHCHECK).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Yaml {
    YamlLoader::load_from_str(&read(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{path}: empty"))
}

fn to_json(y: &Yaml) -> serde_json::Value {
    use serde_json::Value;
    match y {
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.clone()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_json(v)))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Every `POSTURE_...` name in a text.
fn posture_variables(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("POSTURE_") {
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        // `POSTURE_*` in prose names no variable
        if name.len() > "POSTURE_".len() {
            found.insert(name);
        }
    }
    found
}

fn posture() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_posture"));
    for (k, _) in std::env::vars() {
        if k.starts_with("POSTURE_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn the_files_parse_and_the_helm_values_pass_the_chart_schema() {
    let compose = yaml("docker-compose.yml");
    let services = &compose["services"];
    assert!(
        !services["db"]["image"].is_badvalue(),
        "a PostgreSQL service"
    );
    assert!(
        services["db"]["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("postgres:"))
    );
    let posture = &services["posture"];
    assert_eq!(
        posture["depends_on"]["db"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert!(
        posture["environment"]["POSTURE_DATABASE"]
            .as_str()
            .is_some_and(|u| u.starts_with("postgres://"))
    );

    let chart = yaml("deploy/helm/posture/Chart.yaml");
    assert_eq!(chart["apiVersion"].as_str(), Some("v2"));
    assert_eq!(chart["name"].as_str(), Some("posture"));
    let values = to_json(&yaml("deploy/helm/posture/values.yaml"));
    let schema: serde_json::Value =
        serde_json::from_str(&read("deploy/helm/posture/values.schema.json"))
            .unwrap_or_else(|e| panic!("values.schema.json: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}"));
    let errors: Vec<String> = validator
        .iter_errors(&values)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "values.yaml against values.schema.json: {errors:#?}"
    );
    // The schema refuses what would break the server: a bad base URL, a zero cap.
    let mut bad = values.clone();
    bad["server"]["baseUrl"] = "tools.example/posture".into();
    bad["server"]["maxConcurrentUploads"] = 0.into();
    assert_eq!(validator.iter_errors(&bad).count(), 2);

    // The templates hold the probes, the disruption budget and secret references only.
    let deployment = read("deploy/helm/posture/templates/deployment.yaml");
    for needle in [
        "livenessProbe:",
        "readinessProbe:",
        "secretKeyRef:",
        "runAsNonRoot: true",
    ] {
        assert!(deployment.contains(needle), "deployment.yaml: {needle}");
    }
    assert!(read("deploy/helm/posture/templates/pdb.yaml").contains("kind: PodDisruptionBudget"));
    assert!(read("deploy/helm/posture/templates/ingress.yaml").contains("kind: Ingress"));

    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.matches("\nFROM ").count() >= 2,
        "a multi-stage build"
    );
    let user = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .unwrap_or_else(|| panic!("the image names its user"));
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "USER {user}"
    );
    assert!(dockerfile.contains("HEALTHCHECK"));

    let unit = read("deploy/systemd/posture.service");
    for needle in [
        "[Service]",
        "ExecStart=/usr/local/bin/posture serve",
        "DynamicUser=yes",
        "EnvironmentFile=",
        "[Install]",
    ] {
        assert!(unit.contains(needle), "posture.service: {needle}");
    }
}

#[test]
fn every_variable_the_packaging_sets_is_one_posture_reads() {
    let help = posture()
        .args(["serve", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let help = String::from_utf8_lossy(&help.stdout);
    let mut known = posture_variables(&help);
    // Read outside `serve`'s options: the global ones, the secret key, the log filter.
    for global in [
        "POSTURE_DATABASE",
        "POSTURE_CONFIG",
        "POSTURE_SECRET_KEY",
        "POSTURE_SECRET_KEY_FILE",
        "POSTURE_LOG",
    ] {
        known.insert(global.to_string());
    }
    assert!(
        known.contains("POSTURE_LISTEN") && known.contains("POSTURE_BASE_URL"),
        "{help}"
    );
    for file in [
        "Dockerfile",
        "docker-compose.yml",
        "deploy/helm/posture/templates/deployment.yaml",
        "deploy/systemd/posture.service",
    ] {
        for name in posture_variables(&read(file)) {
            assert!(
                known.contains(&name),
                "{file} sets {name}, which posture does not read"
            );
        }
    }
}

/// The probe paths the packaging names (under no base path).
fn probe_paths() -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    let deployment = read("deploy/helm/posture/templates/deployment.yaml");
    for line in deployment.lines() {
        if let Some(p) = line
            .trim()
            .strip_prefix("path: {{ include \"posture.basePath\" . }}")
        {
            paths.insert(p.trim().to_string());
        }
    }
    assert!(
        paths.contains("/healthz") && paths.contains("/readyz"),
        "{paths:?}"
    );
    paths
}

#[test]
fn the_probes_the_packaging_names_are_answered_by_a_real_server() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("p.db");
    let mut child = posture()
        .env(
            "POSTURE_SECRET_KEY",
            posture_store::testing::TEST_SECRET_KEY,
        )
        .env("POSTURE_DATABASE", &db)
        .env("POSTURE_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    // Keep reading: a closed pipe would fail the server's next line.
    std::thread::spawn(move || for _ in lines {});
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches('/').to_string());
    let check = || -> Result<(), String> {
        let base = base.clone().ok_or_else(|| format!("no URL: {first}"))?;
        let port = base.rsplit(':').next().unwrap_or_default().to_string();
        for path in probe_paths() {
            let out = posture()
                .args(["healthcheck", "--url", &format!("{base}{path}")])
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!("{path}: {}", String::from_utf8_lossy(&out.stderr)));
            }
        }
        // The image's HEALTHCHECK: `posture healthcheck` finds the port in POSTURE_LISTEN.
        let image = posture()
            .env("POSTURE_LISTEN", format!("0.0.0.0:{port}"))
            .arg("healthcheck")
            .output()
            .map_err(|e| e.to_string())?;
        if !image.status.success() {
            return Err(format!(
                "healthcheck: {}",
                String::from_utf8_lossy(&image.stderr)
            ));
        }
        let ready = posture()
            .env("POSTURE_LISTEN", format!("0.0.0.0:{port}"))
            .args(["healthcheck", "--ready"])
            .output()
            .map_err(|e| e.to_string())?;
        if !ready.status.success() {
            return Err("healthcheck --ready failed".into());
        }
        Ok(())
    };
    let result = check();
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap_or_else(|e| panic!("{e}"));
    // Nothing listening: exit 1, saying why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = posture()
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{closed}/healthz"),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/healthz"));
}
