//! Small pure helpers: CVSS 3.1 base scores, version ordering, JSON writing in each tool's
//! style, timestamps.

use jiff::Timestamp;
use serde::Serialize;

/// CVSS 3.1 base score of a `CVSS:3.1/AV:../AC:../PR:../UI:../S:../C:../I:../A:..` vector
/// (FIRST specification, section 7), so that every score in the demo matches its vector.
pub(crate) fn cvss31_score(vector: &str) -> Option<f64> {
    let mut m = std::collections::BTreeMap::new();
    for part in vector.split('/').skip(1) {
        let (k, v) = part.split_once(':')?;
        m.insert(k, v);
    }
    let get = |k: &str| m.get(k).copied();
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| match get(k) {
        Some("H") => Some(0.56),
        Some("L") => Some(0.22),
        Some("N") => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss: f64 = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let expl = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if changed {
        (1.08 * (impact + expl)).min(10.0)
    } else {
        (impact + expl).min(10.0)
    };
    Some(roundup(raw))
}

fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// The qualitative rating of a CVSS 3.x score, upper case as Trivy writes it.
pub(crate) fn rating(score: f64) -> &'static str {
    if score >= 9.0 {
        "CRITICAL"
    } else if score >= 7.0 {
        "HIGH"
    } else if score >= 4.0 {
        "MEDIUM"
    } else if score > 0.0 {
        "LOW"
    } else {
        "UNKNOWN"
    }
}

/// Orders versions by their numeric components (`1:1.2.13.dfsg-1`, `v0.17.0`, `2.36-9+deb12u3`,
/// `30.1-jre`): good enough for the versions of the demo catalog, where the first fixed
/// version listed is always on the installed version's release line.
pub(crate) fn version_lt(a: &str, b: &str) -> bool {
    let num = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u64>().unwrap_or(u64::MAX))
            .collect()
    };
    let (x, y) = (num(a), num(b));
    for k in 0..x.len().max(y.len()) {
        let (p, q) = (
            x.get(k).copied().unwrap_or(0),
            y.get(k).copied().unwrap_or(0),
        );
        if p != q {
            return p < q;
        }
    }
    false
}

/// Shannon entropy in bits per character, as Gitleaks reports it (a float32).
pub(crate) fn shannon_entropy(s: &str) -> f32 {
    let mut counts = std::collections::BTreeMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let e: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    e as f32
}

/// JSON as a Go tool writes it with `json.Encoder` + `SetIndent("", indent)`: HTML characters
/// escaped as `\u003c` `\u003e` `\u0026`, trailing newline.
pub(crate) fn go_json<T: Serialize>(value: &T, indent: &[u8]) -> Vec<u8> {
    let raw = pretty(value, indent);
    let mut out = Vec::with_capacity(raw.len() + 64);
    for &b in &raw {
        // these bytes only ever occur inside strings in serialized JSON
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            _ => out.push(b),
        }
    }
    out.push(b'\n');
    out
}

/// Indented JSON, without trailing newline.
pub(crate) fn pretty<T: Serialize>(value: &T, indent: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    // Serializing plain structs of strings and numbers into a Vec cannot fail.
    if value.serialize(&mut ser).is_err() {
        buf.clear();
        buf.extend_from_slice(b"null");
    }
    buf
}

/// Compact JSON (Semgrep's style), with trailing newline.
pub(crate) fn compact<T: Serialize>(value: &T) -> Vec<u8> {
    let mut buf = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    buf.push(b'\n');
    buf
}

/// `2025-06-02T07:14:09Z`.
pub(crate) fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2025-06-02T07:14:09.123456789Z` (Go's RFC3339Nano with a fixed fraction).
pub(crate) fn rfc3339_nanos(ts: Timestamp, nanos: u32) -> String {
    format!(
        "{}.{:09}Z",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        nanos % 1_000_000_000
    )
}

/// `2025-06-02`.
pub(crate) fn date(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_match_known_vectors() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.0),
        ];
        for (v, s) in cases {
            assert_eq!(cvss31_score(v), Some(s), "{v}");
        }
        assert_eq!(cvss31_score("nonsense"), None);
    }

    #[test]
    fn versions_order_numerically() {
        assert!(version_lt("2.14.1", "2.15.0"));
        assert!(version_lt("0.1.7", "0.1.10"));
        assert!(version_lt("2.36-9+deb12u1", "2.36-9+deb12u3"));
        assert!(version_lt("3.0.11-1~deb12u2", "3.0.13-1~deb12u1"));
        assert!(version_lt("v0.10.0", "0.17.0"));
        assert!(!version_lt("4.17.15", "4.17.12"));
        assert!(!version_lt("5.4", "5.4.0"));
    }

    #[test]
    fn go_escaping() {
        let v = serde_json::json!({"a": "x<y>&z"});
        let s = String::from_utf8(go_json(&v, b" ")).unwrap();
        assert!(s.contains("x\\u003cy\\u003e\\u0026z"), "{s}");
        assert!(s.ends_with("}\n"));
    }
}
