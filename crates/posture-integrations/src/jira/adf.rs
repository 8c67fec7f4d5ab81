//! Plain text to the Atlassian Document Format (Jira Cloud REST v3 descriptions).
//!
//! The description template renders text: blank lines separate paragraphs, lines starting
//! with `- ` form a bullet list, lines starting with `## ` are headings, and `http(s)://` words
//! become links. That is all a finding's description needs, and it keeps templates readable
//! for Server/Data Center (v2), which takes the same text as is.

use serde_json::{Value, json};

/// An ADF document (`{"type": "doc", "version": 1, ...}`) for the text.
pub fn to_adf(text: &str) -> Value {
    let mut content: Vec<Value> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut bullets: Vec<&str> = Vec::new();
    let flush_paragraph = |content: &mut Vec<Value>, paragraph: &mut Vec<&str>| {
        if paragraph.is_empty() {
            return;
        }
        let mut inline = Vec::new();
        for (i, line) in paragraph.iter().enumerate() {
            if i > 0 {
                inline.push(json!({"type": "hardBreak"}));
            }
            inline.extend(inline_text(line));
        }
        content.push(json!({"type": "paragraph", "content": inline}));
        paragraph.clear();
    };
    let flush_bullets = |content: &mut Vec<Value>, bullets: &mut Vec<&str>| {
        if bullets.is_empty() {
            return;
        }
        let items: Vec<Value> = bullets
            .iter()
            .map(|b| {
                json!({"type": "listItem", "content": [
                    {"type": "paragraph", "content": inline_text(b)}
                ]})
            })
            .collect();
        content.push(json!({"type": "bulletList", "content": items}));
        bullets.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim_end();
        if let Some(item) = trimmed.trim_start().strip_prefix("- ") {
            flush_paragraph(&mut content, &mut paragraph);
            bullets.push(item);
        } else if let Some(h) = trimmed.strip_prefix("## ") {
            flush_paragraph(&mut content, &mut paragraph);
            flush_bullets(&mut content, &mut bullets);
            content
                .push(json!({"type": "heading", "attrs": {"level": 3}, "content": inline_text(h)}));
        } else if trimmed.trim().is_empty() {
            flush_paragraph(&mut content, &mut paragraph);
            flush_bullets(&mut content, &mut bullets);
        } else {
            flush_bullets(&mut content, &mut bullets);
            paragraph.push(trimmed);
        }
    }
    flush_paragraph(&mut content, &mut paragraph);
    flush_bullets(&mut content, &mut bullets);
    json!({"type": "doc", "version": 1, "content": content})
}

/// Text nodes, with URLs as link marks. ADF refuses empty text nodes, so none are produced.
fn inline_text(line: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut plain = String::new();
    for (i, word) in line.split(' ').enumerate() {
        let sep = if i > 0 { " " } else { "" };
        if word.starts_with("https://") || word.starts_with("http://") {
            plain.push_str(sep);
            if !plain.is_empty() {
                out.push(json!({"type": "text", "text": plain}));
                plain = String::new();
            }
            out.push(json!({"type": "text", "text": word, "marks": [{"type": "link", "attrs": {"href": word}}]}));
        } else {
            plain.push_str(sep);
            plain.push_str(word);
        }
    }
    if !plain.is_empty() {
        out.push(json!({"type": "text", "text": plain}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_lists_headings_and_links() {
        let doc =
            to_adf("## Findings\nTwo issues.\nSee https://nvd.nist.gov/x now\n\n- one\n- two\n");
        let c = doc["content"].as_array().expect("content");
        assert_eq!(c[0]["type"], "heading");
        assert_eq!(c[1]["type"], "paragraph");
        assert_eq!(c[1]["content"][1]["type"], "hardBreak");
        assert_eq!(
            c[1]["content"][3]["marks"][0]["attrs"]["href"],
            "https://nvd.nist.gov/x"
        );
        assert_eq!(c[2]["type"], "bulletList");
        assert_eq!(c[2]["content"].as_array().map(Vec::len), Some(2));
        assert!(
            !doc.to_string().contains(r#""text":"""#),
            "no empty text nodes"
        );
    }
}
