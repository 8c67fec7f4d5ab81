//! Maven versions, ordered by the rules of Maven's `ComparableVersion`, flattened (no nested
//! lists): items split at `.`, `-` and digit/letter transitions; numbers numerically; known
//! qualifiers `alpha` (`a1`) < `beta` (`b1`) < `milestone` (`m1`) < `rc` (`cr`) <
//! `snapshot` < release (`ga`, `final`, `release`, nothing) < `sp`, unknown qualifiers after
//! them, alphabetically; a number is newer than a qualifier; trailing zeros and release
//! qualifiers do not count (`1.0.0` = `1` = `1-ga`).

use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(crate) struct MavenVersion {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros.
    Number(String),
    /// (rank, the qualifier for unknown ones)
    Qualifier(u8, String),
}

const RELEASE: u8 = 5;

fn qualifier(word: &str, followed_by_digit: bool) -> Item {
    let rank = match word {
        "alpha" => 0,
        "a" if followed_by_digit => 0,
        "beta" => 1,
        "b" if followed_by_digit => 1,
        "milestone" => 2,
        "m" if followed_by_digit => 2,
        "rc" | "cr" => 3,
        "snapshot" => 4,
        "" | "ga" | "final" | "release" => RELEASE,
        "sp" => 6,
        _ => return Item::Qualifier(7, word.to_string()),
    };
    Item::Qualifier(rank, String::new())
}

impl MavenVersion {
    pub(crate) fn parse(text: &str) -> Option<MavenVersion> {
        let t = text.trim().to_ascii_lowercase();
        if t.is_empty()
            || !t.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !t.bytes().any(|b| b.is_ascii_digit())
            || t.chars()
                .any(|c| !(c.is_ascii_alphanumeric() || ".-_+".contains(c)))
        {
            return None;
        }
        let b = t.as_bytes();
        let mut items = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if matches!(b[i], b'.' | b'-' | b'_' | b'+') {
                i += 1;
                continue;
            }
            let start = i;
            let digits = b[i].is_ascii_digit();
            while i < b.len() && b[i].is_ascii_alphanumeric() && b[i].is_ascii_digit() == digits {
                i += 1;
            }
            let word = &t[start..i];
            if digits {
                let n = word.trim_start_matches('0');
                items.push(Item::Number(n.to_string()));
            } else {
                let next_digit = b.get(i).is_some_and(|c| c.is_ascii_digit());
                items.push(qualifier(word, next_digit));
            }
        }
        // zeros just before a qualifier do not count (`1.0-alpha` is `1-alpha`), nor do
        // trailing zeros and release qualifiers (`1.0.0` is `1`)
        let mut kept: Vec<Item> = Vec::new();
        for item in items {
            if matches!(item, Item::Qualifier(..)) {
                while matches!(kept.last(), Some(Item::Number(n)) if n.is_empty()) {
                    kept.pop();
                }
            }
            kept.push(item);
        }
        let mut items = kept;
        while matches!(items.last(), Some(Item::Number(n)) if n.is_empty())
            || matches!(items.last(), Some(Item::Qualifier(RELEASE, _)))
        {
            items.pop();
        }
        Some(MavenVersion { items })
    }
}

/// The place of an item in one total order: pre-release qualifiers, then a missing item (a
/// release), then `sp` and unknown qualifiers, then numbers.
fn rank(item: Option<&Item>) -> (u8, u8, usize, &str) {
    match item {
        None => (1, 0, 0, ""),
        Some(Item::Qualifier(RELEASE, _)) => (1, 0, 0, ""),
        Some(Item::Qualifier(r, name)) if *r < RELEASE => (0, *r, 0, name),
        Some(Item::Qualifier(r, name)) => (2, *r, 0, name),
        Some(Item::Number(digits)) => (3, 0, digits.len(), digits),
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.items.len().max(other.items.len());
        for k in 0..n {
            match rank(self.items.get(k)).cmp(&rank(other.items.get(k))) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}
