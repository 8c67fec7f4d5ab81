//! Prints the size of the demo portfolio and optionally writes it out:
//! `cargo run -p posture-demo --example demo_stats [-- OUT_DIR]`.

fn count(bytes: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    if let Some(a) = v.as_array() {
        return a.len();
    }
    if let Some(r) = v.get("Results").and_then(|r| r.as_array()) {
        return r
            .iter()
            .map(|x| {
                x.get("Vulnerabilities")
                    .and_then(|v| v.as_array())
                    .map_or(0, Vec::len)
            })
            .sum();
    }
    if let Some(m) = v.get("matches").and_then(|m| m.as_array()) {
        return m.len();
    }
    if let Some(r) = v.get("runs").and_then(|r| r.as_array()) {
        return r
            .iter()
            .map(|x| {
                x.get("results")
                    .and_then(|v| v.as_array())
                    .map_or(0, Vec::len)
            })
            .sum();
    }
    v.get("results")
        .and_then(|r| r.as_array())
        .map_or(0, Vec::len)
}

fn main() {
    let end: jiff::Timestamp = "2025-06-30T06:00:00Z".parse().expect("timestamp");
    let p = posture_demo::generate(posture_demo::DEFAULT_SEED, end, posture_demo::DEFAULT_WEEKS);
    let mut total = 0;
    let mut bytes = 0;
    let mut per: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for r in &p.reports {
        let n = count(&r.bytes);
        total += n;
        bytes += r.bytes.len();
        let kind = r.file_name.rsplit('_').next().unwrap_or("").to_string();
        let e = per.entry(format!("{} {}", r.asset, kind)).or_default();
        e.0 += 1;
        e.1 += n;
    }
    for (k, (reports, n)) in &per {
        println!("{k:45} {reports:3} reports {n:6} occurrences");
    }
    println!(
        "{} reports, {total} occurrences, {bytes} bytes",
        p.reports.len()
    );
    if let Some(dir) = std::env::args().nth(1) {
        std::fs::create_dir_all(&dir).expect("mkdir");
        for r in &p.reports {
            std::fs::write(std::path::Path::new(&dir).join(&r.file_name), &r.bytes).expect("write");
        }
    }
}
