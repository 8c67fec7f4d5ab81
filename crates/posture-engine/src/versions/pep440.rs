//! Python package versions by PEP 440 (`[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`), with
//! its normalizations (case, `v` prefix, `alpha`/`beta`/`c`/`pre`/`preview` spellings, `-`
//! `_` `.` separators, implicit numbers, `1.0-1` as a post-release). Ordered as the
//! `packaging` library orders them: epoch, release (trailing zeros ignored), then a dev
//! release of a final version before its pre-releases, pre-releases before the final
//! version, post-releases after it, dev releases before what they lead to; a local version
//! after the same public version.

use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub(crate) struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    /// (0 a, 1 b, 2 rc, number)
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<LocalPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    // letters sort before numbers in local versions
    Text(String),
    Number(u64),
}

/// Splits off a leading run of digits.
fn number(s: &str) -> (Option<u64>, &str) {
    let cut = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if cut == 0 {
        return (None, s);
    }
    (s[..cut].parse().ok(), &s[cut..])
}

fn skip_sep(s: &str) -> &str {
    s.strip_prefix(['.', '-', '_']).unwrap_or(s)
}

impl Pep440 {
    pub(crate) fn parse(text: &str) -> Option<Pep440> {
        let lower = text.trim().to_ascii_lowercase();
        let mut s = lower.strip_prefix('v').unwrap_or(&lower);
        let (public, local_text) = match s.split_once('+') {
            Some((p, l)) => (p, Some(l)),
            None => (s, None),
        };
        s = public;
        let mut epoch = 0;
        if let Some((e, rest)) = s.split_once('!') {
            epoch = e.parse().ok()?;
            s = rest;
        }
        let mut release = Vec::new();
        loop {
            let (n, rest) = number(s);
            release.push(n?);
            s = rest;
            match s.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => s = r,
                _ => break,
            }
        }
        let mut pre = None;
        {
            let t = skip_sep(s);
            let spelled = [
                ("alpha", 0),
                ("a", 0),
                ("beta", 1),
                ("b", 1),
                ("preview", 2),
                ("pre", 2),
                ("rc", 2),
                ("c", 2),
            ];
            if let Some((word, rank)) = spelled.iter().find(|(w, _)| t.starts_with(w)) {
                let rest = skip_sep(&t[word.len()..]);
                let (n, rest) = number(rest);
                pre = Some((*rank, n.unwrap_or(0)));
                s = rest;
            }
        }
        let mut post = None;
        {
            let t = skip_sep(s);
            if let Some(word) = ["post", "rev", "r"].iter().find(|w| t.starts_with(**w)) {
                let rest = skip_sep(&t[word.len()..]);
                let (n, rest) = number(rest);
                post = Some(n.unwrap_or(0));
                s = rest;
            } else if let Some(rest) = s.strip_prefix('-') {
                // `1.0-1`: an implicit post-release
                if let (Some(n), rest) = number(rest) {
                    post = Some(n);
                    s = rest;
                }
            }
        }
        let mut dev = None;
        {
            let t = skip_sep(s);
            if let Some(rest) = t.strip_prefix("dev") {
                let (n, rest) = number(skip_sep(rest));
                dev = Some(n.unwrap_or(0));
                s = rest;
            }
        }
        if !s.is_empty() {
            return None;
        }
        let mut local = Vec::new();
        if let Some(l) = local_text {
            for part in l.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                local.push(match part.parse() {
                    Ok(n) => LocalPart::Number(n),
                    Err(_) => LocalPart::Text(part.to_string()),
                });
            }
        }
        Some(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// The comparison key of `packaging`'s `_cmpkey`.
    fn key(&self) -> impl Ord + '_ {
        let mut release: &[u64] = &self.release;
        while let [rest @ .., 0] = release {
            release = rest;
        }
        // (0, _) sorts before any pre-release, (1, pre) pre-releases, (2, _) none
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (0, (0, 0)),
            (Some(p), _, _) => (1, p),
            (None, _, _) => (2, (0, 0)),
        };
        // no post-release sorts before any
        let post = self.post.map_or((0, 0), |p| (1, p));
        // no dev release sorts after any
        let dev = self.dev.map_or((1, 0), |d| (0, d));
        (
            self.epoch,
            release,
            pre,
            post,
            dev,
            (!self.local.is_empty(), &self.local),
        )
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440 {}
