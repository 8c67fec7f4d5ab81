//! URLs: joining a host and a path, percent-decoding.

/// Joins Burp's `host` (`http://bwa`) and `path` (`/a/b`).
pub(crate) fn join_url(host: Option<&str>, path: Option<&str>) -> Option<String> {
    match (host, path) {
        (Some(h), Some(p)) => {
            let h = h.trim_end_matches('/');
            if p.starts_with('/') {
                Some(format!("{h}{p}"))
            } else {
                Some(format!("{h}/{p}"))
            }
        }
        (Some(h), None) => Some(h.to_string()),
        (None, Some(p)) => Some(p.to_string()),
        (None, None) => None,
    }
}

/// Percent-decodes (`%20` → space); an invalid escape stays as written, and a result that is
/// not UTF-8 gives the input back unchanged.
pub(crate) fn percent_decode(s: &str) -> String {
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("src/a%20b.py"), "src/a b.py");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(
            percent_decode("a%FFb"),
            "a%FFb",
            "not UTF-8: kept as written"
        );
    }
}
