//! Secrets in text: the likely secret token of a line (quoted strings, the value side of an
//! assignment, highest entropy), shared by the secret scanners that report whole lines.

/// The likely secret in a matched line (rule in the module doc); `None` for blank text.
pub(crate) fn likely_secret_token(text: &str) -> Option<&str> {
    let side = value_side(text);
    let mut candidates: Vec<&str> = quoted_strings(side)
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if candidates.is_empty() {
        candidates = side
            .split(|c: char| c.is_whitespace() || ",;()[]{}<>#".contains(c))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
    }
    let long = candidates
        .iter()
        .copied()
        .filter(|c| c.chars().count() >= 8 && shannon_entropy(c) >= 3.0);
    longest(long)
        .or_else(|| longest(candidates.iter().copied()))
        .or_else(|| Some(side.trim()).filter(|s| !s.is_empty()))
}

/// The first of the longest strings, so that the choice is stable.
pub(crate) fn longest<'a>(it: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<&'a str> = None;
    for c in it {
        if best.is_none_or(|b| c.chars().count() > b.chars().count()) {
            best = Some(c);
        }
    }
    best
}

pub(crate) fn shannon_entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// The value side of an assignment (see the module doc), or the whole text.
pub(crate) fn value_side(text: &str) -> &str {
    let b = text.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            b'\'' | b'"' | b'`' => quote = Some(c),
            b'=' => {
                let prev = if i > 0 { b.get(i - 1).copied() } else { None };
                let next = b.get(i + 1).copied();
                let compound = matches!(prev, Some(b'=' | b'!' | b'<' | b'>'))
                    || matches!(next, Some(b'=' | b'>'));
                if !compound {
                    return text.get(i + 1..).unwrap_or("");
                }
            }
            b':' => {
                if matches!(b.get(i + 1).copied(), Some(b' ' | b'\t' | b'"' | b'\'')) {
                    return text.get(i + 1..).unwrap_or("");
                }
            }
            _ => {}
        }
    }
    text
}

pub(crate) fn quoted_strings(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for (i, c) in text.char_indices() {
        match open {
            Some((q, start)) if c == q => {
                if let Some(s) = text.get(start..i) {
                    out.push(s);
                }
                open = None;
            }
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => open = Some((c, i + c.len_utf8())),
            None => {}
        }
    }
    out
}
