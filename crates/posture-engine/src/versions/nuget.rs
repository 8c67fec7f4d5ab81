//! NuGet versions (`Major.Minor[.Patch[.Revision]][-prerelease][+metadata]`, a `v` prefix
//! tolerated), ordered as NuGet orders them: the four numbers (missing ones are 0), then a
//! prerelease before the release, prerelease labels dot by dot, numeric labels numerically
//! and before alphanumeric ones, alphanumeric labels case-insensitively; metadata ignored.

use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(crate) struct NugetVersion {
    numbers: [u64; 4],
    pre: Vec<Label>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    // numeric labels sort before alphanumeric ones
    Number(u64),
    Text(String),
}

impl NugetVersion {
    pub(crate) fn parse(text: &str) -> Option<NugetVersion> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        let t = t.split_once('+').map_or(t, |(v, _metadata)| v);
        let (release, pre) = match t.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (t, None),
        };
        let parts: Vec<&str> = release.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        let mut numbers = [0u64; 4];
        for (k, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            numbers[k] = p.parse().ok()?;
        }
        let mut labels = Vec::new();
        if let Some(p) = pre {
            for l in p.split('.') {
                if l.is_empty() || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return None;
                }
                labels.push(match l.parse() {
                    Ok(n) if l.bytes().all(|b| b.is_ascii_digit()) => Label::Number(n),
                    _ => Label::Text(l.to_ascii_lowercase()),
                });
            }
        }
        Some(NugetVersion {
            numbers,
            pre: labels,
        })
    }
}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NugetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NugetVersion {}
