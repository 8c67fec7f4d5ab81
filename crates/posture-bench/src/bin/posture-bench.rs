//! `posture-bench`: the ingest benchmark. Prints figures; asserts nothing.
//!
//! Workload: `../shared/bench/gen_reports.py` (100,000-finding Trivy and SARIF reports, and
//! the same with 10% of findings dropped and every line shifted). For each format it measures,
//! each phase in a fresh child process so that peak memory is the phase's own:
//!
//! * `parse-value`: the bare `serde_json::from_slice::<Value>` of the file (the floor);
//! * `fresh`: ingest into an empty SQLite database, end to end (read, detect, parse,
//!   fingerprint, diff, write, commit);
//! * `identical`: re-ingest of the same file (short-circuits on the report digest);
//! * `identical-forced`: the same with `--force`: the full comparison of 100,000 findings;
//! * `moved-dropped`: re-ingest of the report with 10% dropped and lines shifted;
//! * `second-tool` (Trivy only): ingest of the same vulnerabilities as Grype reports them into
//!   the same asset, half under their CVE and half under a GHSA id with the CVE as alias, so
//!   every occurrence goes through correlation (candidate lookup and scoring), not only exact
//!   identity. Its throughput against `fresh` is the cost of correlation.
//!
//! Usage: `cargo run --release -p posture-bench --bin posture-bench -- [--n 100000] [--out DIR]
//! [--formats trivy,sarif] [--database postgres://USER@HOST:PORT/DB]`.
//!
//! `--database` with a PostgreSQL URL measures the PostgreSQL back end instead of a SQLite
//! file: each format gets a fresh database `posture_test_<random>` created on that server (the
//! URL's database is only used to run `CREATE DATABASE`), dropped at the end.

use posture_app::{IngestRequest, read_report_file};
use posture_store::ScanKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Runs one phase in this process and prints `secs occurrences peak_kib` on stdout.
fn child(phase: &str, file: &Path, db: &str) -> Result<(), String> {
    let start = Instant::now();
    let count = match phase {
        "parse-value" => {
            let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            std::hint::black_box(&v);
            0
        }
        "fresh" | "identical" | "identical-forced" | "moved-dropped" | "second-tool" => {
            let t0 = Instant::now();
            let src = read_report_file(file, posture_app::DEFAULT_MAX_REPORT_BYTES)
                .map_err(|e| e.to_string())?;
            let t_read = t0.elapsed().as_secs_f64();
            let store = posture_store::open(db).map_err(|e| e.to_string())?;
            let (outcome, reports) = posture_app::ingest(
                &*store,
                &[src],
                IngestRequest {
                    asset: "bench".into(),
                    target: None,
                    branch: "main".into(),
                    commit: None,
                    format: None,
                    kind: ScanKind::Findings,
                    at: posture_model::Timestamp::now(),
                    force: phase == "identical-forced",
                    thresholds: Default::default(),
                    branches: Default::default(),
                },
            )
            .map_err(|e| e.to_string())?;
            let t = outcome.total();
            eprintln!(
                "    {phase}: read {t_read:.3}s; {}; new {} unchanged {} updated {} fixed {} collapsed {}",
                reports
                    .first()
                    .map(|r| r.timings.to_string())
                    .unwrap_or_default(),
                t.new,
                t.unchanged,
                t.updated,
                t.fixed,
                t.collapsed
            );
            outcome.scopes.iter().map(|s| s.occurrences).sum::<usize>()
        }
        other => return Err(format!("unknown phase {other}")),
    };
    let secs = start.elapsed().as_secs_f64();
    println!("{secs} {count} {}", peak_rss_kib());
    Ok(())
}

struct Figures {
    secs: f64,
    count: usize,
    peak_kib: u64,
}

fn run_child(phase: &str, file: &Path, db: &str) -> Result<Figures, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(["--child", phase])
        .arg(file)
        .arg(db)
        .output()
        .map_err(|e| e.to_string())?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(format!("phase {phase} failed"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let secs = it
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad child output")?;
    let count = it
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad child output")?;
    let peak_kib = it
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad child output")?;
    Ok(Figures {
        secs,
        count,
        peak_kib,
    })
}

/// Writes the vulnerabilities of a Trivy report as a Grype JSON report (same packages and
/// CVEs; every other one under a GHSA-style id with the CVE as related vulnerability).
fn trivy_to_grype(trivy: &Path, out: &Path) -> Result<(), String> {
    if out.exists() {
        return Ok(());
    }
    let bytes = std::fs::read(trivy).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    let mut matches = Vec::new();
    let mut n = 0usize;
    for result in v["Results"].as_array().into_iter().flatten() {
        let ty = result["Type"].as_str().unwrap_or("");
        let art_type = match ty {
            "debian" | "ubuntu" => "deb",
            "npm" | "node-pkg" => "npm",
            "pip" | "python-pkg" | "poetry" => "python",
            "gobinary" | "gomod" => "go-module",
            "jar" | "pom" => "java-archive",
            other => other,
        };
        for vuln in result["Vulnerabilities"].as_array().into_iter().flatten() {
            n += 1;
            let cve = vuln["VulnerabilityID"].as_str().unwrap_or("");
            let (id, related) = if n.is_multiple_of(2) {
                (
                    format!("GHSA-bnch-{:04x}-{:04x}", n / 65536, n % 65536),
                    vec![serde_json::json!({"id": cve, "namespace": "nvd:cpe"})],
                )
            } else {
                (cve.to_string(), vec![])
            };
            matches.push(serde_json::json!({
                "vulnerability": {
                    "id": id,
                    "dataSource": "https://example.invalid/advisory",
                    "namespace": "bench",
                    "severity": vuln["Severity"].as_str().map(|s| { let mut c = s.to_ascii_lowercase(); if let Some(f) = c.get_mut(0..1) { f.make_ascii_uppercase(); } c }),
                    "description": vuln["Description"],
                    "fix": {"versions": vuln["FixedVersion"].as_str().map(|f| vec![f]).unwrap_or_default(), "state": "fixed"},
                },
                "relatedVulnerabilities": related,
                "matchDetails": [{"type": "exact-direct-match", "matcher": "bench", "searchedBy": {}, "found": {}}],
                "artifact": {
                    "name": vuln["PkgName"], "version": vuln["InstalledVersion"], "type": art_type,
                    "locations": [{"path": result["Target"]}], "purl": vuln["PkgIdentifier"]["PURL"],
                },
            }));
        }
    }
    let doc = serde_json::json!({
        "matches": matches,
        "source": {"type": "image", "target": {"userInput": v["ArtifactName"]}},
        "distro": {"name": "debian", "version": "12"},
        "descriptor": {"name": "grype", "version": "0.80.0"},
    });
    std::fs::write(out, serde_json::to_vec(&doc).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

fn generate(script: &Path, args: &[&str], out: &Path) -> Result<(), String> {
    if out.exists() {
        return Ok(());
    }
    let status = Command::new("python3")
        .arg(script)
        .args(args)
        .arg(out)
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("gen_reports.py {args:?} failed"))
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let (Some(phase), Some(file), Some(db)) = (args.get(2), args.get(3), args.get(4)) else {
            return Err("usage: --child PHASE FILE DB".into());
        };
        return child(phase, Path::new(file), db);
    }
    let mut n: usize = 100_000;
    let mut out = PathBuf::from("target/bench-data");
    let mut formats = vec!["trivy".to_string(), "sarif".to_string()];
    let mut server: Option<String> = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--n" => {
                n = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .ok_or("--n needs a number")?
            }
            "--out" => out = PathBuf::from(args.get(i + 1).ok_or("--out needs a folder")?),
            "--formats" => {
                formats = args
                    .get(i + 1)
                    .ok_or("--formats needs a list")?
                    .split(',')
                    .map(String::from)
                    .collect()
            }
            "--database" => {
                let url = args.get(i + 1).ok_or("--database needs a PostgreSQL URL")?;
                if !posture_store::is_postgres_url(url) {
                    return Err(format!(
                        "--database takes a postgres:// URL (SQLite files are the default): {url}"
                    ));
                }
                server = Some(url.clone());
            }
            other => return Err(format!("unknown argument {other}")),
        }
        i += 2;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen_reports.py");
    if !script.exists() {
        return Err(format!(
            "the shared workload generator is missing: {}",
            script.display()
        ));
    }
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    println!(
        "posture-bench: {n} findings per report, {} core(s), {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if server.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!(
        "{:<7} {:<17} {:>9} {:>12} {:>14} {:>9} {:>11} {:>8}",
        "format", "phase", "seconds", "occurrences", "findings/s", "vs parse", "peak MiB", "x size"
    );
    for fmt in &formats {
        let ext = if fmt == "sarif" { "sarif" } else { "json" };
        let base = out.join(format!("{fmt}-{n}.{ext}"));
        let moved = out.join(format!("{fmt}-{n}-moved-dropped.{ext}"));
        let ns = n.to_string();
        generate(&script, &[fmt, &ns], &base)?;
        if fmt == "sarif" {
            generate(&script, &[fmt, &ns, "--shift", "7", "--drop", "10"], &moved)?;
        } else {
            generate(&script, &[fmt, &ns, "--drop", "10"], &moved)?;
        }
        let size = std::fs::metadata(&base).map_err(|e| e.to_string())?.len();
        let sqlite_file = out.join(format!("{fmt}-bench.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_file.display()));
        }
        // a fresh PostgreSQL database per format, dropped when this iteration ends
        let pg = match &server {
            Some(url) => Some(posture_store::testing::TestDatabase::create_on(url)?),
            None => None,
        };
        let db: String = match &pg {
            Some(pg) => pg.url().to_string(),
            None => sqlite_file
                .to_str()
                .ok_or("non-UTF-8 bench folder")?
                .to_string(),
        };
        let parse = run_child("parse-value", &base, &db)?;
        let phases = [
            ("fresh", &base),
            ("identical", &base),
            ("identical-forced", &base),
            ("moved-dropped", &moved),
        ];
        let row = |name: &str, f: &Figures, count: usize| {
            println!(
                "{:<7} {:<17} {:>9.3} {:>12} {:>14.0} {:>9.2} {:>11.1} {:>8.2}",
                fmt,
                name,
                f.secs,
                count,
                if f.secs > 0.0 {
                    count as f64 / f.secs
                } else {
                    0.0
                },
                f.secs / parse.secs.max(1e-9),
                f.peak_kib as f64 / 1024.0,
                (f.peak_kib as f64 * 1024.0) / size as f64,
            );
        };
        row("parse-value", &parse, n);
        for (phase, file) in phases {
            let f = run_child(phase, file, &db)?;
            row(phase, &f, f.count);
        }
        if fmt == "trivy" {
            let grype = out.join(format!("grype-from-trivy-{n}.json"));
            trivy_to_grype(&base, &grype)?;
            let f = run_child("second-tool", &grype, &db)?;
            row("second-tool", &f, f.count);
        }
        println!("{:<7} report size {:.1} MiB", fmt, size as f64 / 1048576.0);
    }
    Ok(())
}
