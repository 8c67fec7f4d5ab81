//! Alpine package versions, ordered as apk-tools orders them:
//! `number{.number}[letter]{_suffix[number]}[~hash][-rN]`. Numbers compare numerically (more
//! numbers is newer: `1.2` < `1.2.1`), then the letter (`1.1.1` < `1.1.1a`), then the
//! suffixes (`_alpha` < `_beta` < `_pre` < `_rc` < none < `_cvs` < `_svn` < `_git` < `_hg` <
//! `_p`), then the package revision `-rN`. A commit hash does not order.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApkVersion {
    numbers: Vec<u64>,
    letter: Option<u8>,
    suffixes: Vec<(u8, u64)>,
    revision: u64,
}

const NO_SUFFIX: u8 = 4;

fn suffix_rank(s: &str) -> Option<u8> {
    Some(match s {
        "alpha" => 0,
        "beta" => 1,
        "pre" => 2,
        "rc" => 3,
        "cvs" => 5,
        "svn" => 6,
        "git" => 7,
        "hg" => 8,
        "p" => 9,
        _ => return None,
    })
}

impl ApkVersion {
    pub(crate) fn parse(text: &str) -> Option<ApkVersion> {
        let t = text.trim();
        let (body, revision) = match t.rsplit_once("-r") {
            Some((b, r)) if !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) => {
                (b, r.parse().ok()?)
            }
            _ => (t, 0),
        };
        let body = body.split_once('~').map_or(body, |(b, _hash)| b);
        let (head, suffix_text) = match body.split_once('_') {
            Some((h, s)) => (h, Some(s)),
            None => (body, None),
        };
        let (digits, letter) = match head.as_bytes().last() {
            Some(c) if c.is_ascii_lowercase() => (&head[..head.len() - 1], Some(*c)),
            _ => (head, None),
        };
        let mut numbers = Vec::new();
        for part in digits.split('.') {
            if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            numbers.push(part.parse().ok()?);
        }
        let mut suffixes = Vec::new();
        if let Some(s) = suffix_text {
            for one in s.split('_') {
                let cut = one.find(|c: char| c.is_ascii_digit()).unwrap_or(one.len());
                let (name, num) = one.split_at(cut);
                let rank = suffix_rank(name)?;
                let n = if num.is_empty() {
                    0
                } else if num.bytes().all(|c| c.is_ascii_digit()) {
                    num.parse().ok()?
                } else {
                    return None;
                };
                suffixes.push((rank, n));
            }
        }
        Some(ApkVersion {
            numbers,
            letter,
            suffixes,
            revision,
        })
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers
            .cmp(&other.numbers)
            .then_with(|| self.letter.cmp(&other.letter))
            .then_with(|| {
                let n = self.suffixes.len().max(other.suffixes.len());
                for k in 0..n {
                    let a = self.suffixes.get(k).copied().unwrap_or((NO_SUFFIX, 0));
                    let b = other.suffixes.get(k).copied().unwrap_or((NO_SUFFIX, 0));
                    match a.cmp(&b) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                Ordering::Equal
            })
            .then_with(|| self.revision.cmp(&other.revision))
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
