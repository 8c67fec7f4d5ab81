/// The head of a report, for cheap format detection.
#[derive(Debug, Clone, Copy)]
pub struct Sniff<'a> {
    /// Up to [`Sniff::HEAD_BYTES`] of the report, BOM and leading whitespace removed, cut at a
    /// character boundary (invalid UTF-8 ends the head).
    pub head: &'a str,
    /// Whether `head` is the whole report.
    pub complete: bool,
}

impl<'a> Sniff<'a> {
    pub const HEAD_BYTES: usize = 64 * 1024;

    pub fn new(input: &'a [u8]) -> Self {
        let input = crate::json::strip_bom(input);
        let cut = input.len().min(Self::HEAD_BYTES);
        let head = match std::str::from_utf8(&input[..cut]) {
            Ok(s) => s,
            Err(e) => {
                // valid_up_to is always a char boundary
                std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default()
            }
        };
        Sniff {
            head: head.trim_start(),
            complete: cut == input.len(),
        }
    }

    /// The first non-whitespace character: `{`, `[`, `<`...
    pub fn first_char(&self) -> Option<char> {
        self.head.chars().next()
    }

    pub fn is_json_object(&self) -> bool {
        self.first_char() == Some('{')
    }

    pub fn is_json_array(&self) -> bool {
        self.first_char() == Some('[')
    }

    /// Whether the head contains `"key"` followed by optional whitespace and a colon, i.e. the
    /// key of a JSON object member (at any depth).
    pub fn has_key(&self, key: &str) -> bool {
        let needle_len = key.len() + 2;
        let bytes = self.head.as_bytes();
        let mut from = 0;
        while let Some(found) = find_quoted(&self.head[from..], key) {
            let after = from + found + needle_len;
            let rest = &bytes[after.min(bytes.len())..];
            let next = rest.iter().find(|b| !b.is_ascii_whitespace());
            if next == Some(&b':') {
                return true;
            }
            from = from + found + 1;
        }
        false
    }

    /// Whether every key is present (see [`Sniff::has_key`]).
    pub fn has_keys(&self, keys: &[&str]) -> bool {
        keys.iter().all(|k| self.has_key(k))
    }

    /// How many of the keys are present.
    pub fn count_keys(&self, keys: &[&str]) -> usize {
        keys.iter().filter(|k| self.has_key(k)).count()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.head.contains(text)
    }
}

fn find_quoted(hay: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = hay[from..].find(key) {
        let start = from + i;
        let end = start + key.len();
        if start > 0 && hay.as_bytes()[start - 1] == b'"' && hay.as_bytes().get(end) == Some(&b'"')
        {
            return Some(start - 1);
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_not_values() {
        let s = Sniff::new(br#"  {"a": "runs", "runs" : []}"#);
        assert!(s.is_json_object());
        assert!(s.has_key("runs"));
        assert!(s.has_key("a"));
        let s = Sniff::new(br#"{"x": "runs"}"#);
        assert!(!s.has_key("runs"));
        let s = Sniff::new(b"\xEF\xBB\xBF[ {\"RuleID\": 1}]");
        assert!(s.is_json_array());
        assert!(s.has_key("RuleID"));
    }
}
