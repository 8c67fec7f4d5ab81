//! RubyGems versions, ordered as `Gem::Version#<=>`: segments of digits (numbers) and letters
//! (strings, which make a prerelease: `1.0.a` < `1.0`); a `-` reads as `.pre.`; trailing zeros
//! of the release part and of the prerelease part do not count; a missing segment is `0`; a
//! string is older than a number.

use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(crate) struct GemVersion {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    // strings sort before numbers
    Text(String),
    /// Digits without leading zeros (numbers of any length).
    Number(String),
}

impl GemVersion {
    pub(crate) fn parse(text: &str) -> Option<GemVersion> {
        let t = text.trim().replace('-', ".pre.");
        if !t.starts_with(|c: char| c.is_ascii_digit())
            || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return None;
        }
        let mut segments = Vec::new();
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'.' {
                i += 1;
                continue;
            }
            let start = i;
            let digits = b[i].is_ascii_digit();
            while i < b.len() && b[i] != b'.' && b[i].is_ascii_digit() == digits {
                i += 1;
            }
            let word = &t[start..i];
            segments.push(if digits {
                Segment::Number(word.trim_start_matches('0').to_string())
            } else {
                Segment::Text(word.to_string())
            });
        }
        // canonical segments: trailing zeros of the release and of the prerelease part dropped
        let cut = segments
            .iter()
            .position(|s| matches!(s, Segment::Text(_)))
            .unwrap_or(segments.len());
        let mut pre = segments.split_off(cut);
        let zero = |s: &Segment| matches!(s, Segment::Number(n) if n.is_empty());
        while segments.last().is_some_and(zero) {
            segments.pop();
        }
        while pre.last().is_some_and(zero) {
            pre.pop();
        }
        segments.extend(pre);
        Some(GemVersion { segments })
    }
}

fn key(s: Option<&Segment>) -> (u8, usize, &str) {
    match s {
        Some(Segment::Text(t)) => (0, 0, t),
        None => (1, 0, ""),
        Some(Segment::Number(n)) => (1, n.len(), n),
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for k in 0..n {
            match key(self.segments.get(k)).cmp(&key(other.segments.get(k))) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}
