//! Text helpers: trimming, whitespace, HTML to text, numbered code lines, secret tokens.

pub(crate) fn push_unique(list: &mut Vec<String>, item: String) {
    let t = item.trim();
    if !t.is_empty() && !list.iter().any(|x| x == t) {
        list.push(trimmed(item));
    }
}

/// The string without surrounding whitespace, reusing its buffer when there is none.
pub(crate) fn trimmed(s: String) -> String {
    if s.trim().len() == s.len() {
        s
    } else {
        s.trim().to_string()
    }
}

pub(crate) fn non_empty_trimmed(s: Option<String>) -> Option<String> {
    non_empty(s).map(trimmed)
}

pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// Collapses runs of whitespace to one space and trims.
pub(crate) fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text out of the HTML-ish fields of DAST reports: `<p>`, `<br>` and `<li>` become line
/// breaks, other tags are dropped, the common entities decoded, blank lines collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match after.find('>') {
            Some(close) => {
                let tag = after[1..close]
                    .trim_start_matches('/')
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if matches!(tag.as_str(), "p" | "br" | "li" | "ul" | "ol" | "div" | "tr") {
                    out.push('\n');
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// URLs out of a reference field, which ZAP writes one per line, as `<p>` paragraphs, or (2.4
/// to 2.9) glued together without a separator.
pub(crate) fn split_urls(text: &str) -> Vec<String> {
    let text = html_to_text(text);
    let mut out: Vec<String> = Vec::new();
    for token in text.split_whitespace() {
        let mut starts: Vec<usize> = token
            .match_indices("http://")
            .chain(token.match_indices("https://"))
            .map(|(i, _)| i)
            .collect();
        starts.sort_unstable();
        if starts.is_empty() {
            continue;
        }
        for (n, s) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(token.len());
            let url = token
                .get(*s..end)
                .unwrap_or("")
                .trim_end_matches([',', ';']);
            if !url.is_empty() && !out.iter().any(|u| u == url) {
                out.push(url.to_string());
            }
        }
    }
    out
}

/// Removes a leading `./` (scanners run on `.`).
pub(crate) fn tidy_path(p: &str) -> String {
    let mut p = p.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

/// Splits code that a tool printed with line-number prefixes (`12 x = 1` for Bandit,
/// `12: x = 1` for gosec) into numbered lines. Lines without a prefix get `None`.
pub(crate) fn numbered_lines(code: &str) -> Vec<(Option<u32>, &str)> {
    code.lines()
        .map(|line| {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return (None, line);
            }
            let (num, rest) = line.split_at(digits);
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let rest = rest
                .strip_prefix(' ')
                .or_else(|| rest.strip_prefix('\t'))
                .or_else(|| rest.is_empty().then_some(""));
            match rest {
                Some(r) => (num.parse().ok(), r),
                None => (None, line),
            }
        })
        .collect()
}

/// The code lines between `first` and `last` (inclusive) with their prefixes removed and
/// whitespace collapsed; all lines when none is numbered in that range.
pub(crate) fn flagged_code(code: &str, first: Option<u32>, last: Option<u32>) -> Option<String> {
    let lines = numbered_lines(code);
    let picked: Vec<&str> = match (first, last) {
        (Some(f), l) => {
            let l = l.unwrap_or(f).max(f);
            lines
                .iter()
                .filter(|(n, _)| n.is_some_and(|n| n >= f && n <= l))
                .map(|(_, t)| *t)
                .collect()
        }
        _ => Vec::new(),
    };
    let picked = if picked.is_empty() {
        lines.iter().map(|(_, t)| *t).collect()
    } else {
        picked
    };
    let text = picked
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}
