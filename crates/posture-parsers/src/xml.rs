//! A small, safe XML reader for XML report formats (Dependency-Check, ZAP, Burp, SpotBugs,
//! CycloneDX XML, Checkov/JUnit...): the document becomes a tree of [`Element`]s that parsers
//! navigate.
//!
//! Safety: built on quick-xml, which never expands DTD entities. A `<!DOCTYPE>` is allowed
//! (Burp exports carry one) but ignored; a reference to any entity other than the five
//! predefined ones and character references is refused, so external entities (XXE) and
//! entity expansion bombs ("billion laughs") fail closed with a clear error. Depth and element
//! counts are capped; memory stays a small multiple of the input.

use crate::{ParseError, ParseErrorKind, Position};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 256;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 5_000_000;

/// One XML element: its local name (namespace prefix removed), attributes, text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name, without namespace prefix (`v:vulnerability` -> `vulnerability`).
    pub name: String,
    /// Attributes in document order, with local names.
    pub attrs: Vec<(String, String)>,
    /// Concatenated text and CDATA directly inside this element (not its children's).
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The value of an attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Children with this local name, with their 1-based position among same-named siblings
    /// (for XPath-style locators).
    pub fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Element)> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name == name)
            .enumerate()
            .map(|(i, c)| (i + 1, c))
    }

    /// The trimmed text of the first child with this name, if not empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Follows a path of child names (`["analysis", "state"]`).
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        let mut cur = self;
        for n in names {
            cur = cur.child(n)?;
        }
        Some(cur)
    }

    /// This element's own trimmed text, if not empty.
    pub fn trimmed_text(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }
}

/// Appends a step to an XPath-style locator: `/issues/issue[3]`.
pub fn xpath(base: &str, name: &str, position: usize) -> String {
    format!("{base}/{name}[{position}]")
}

fn line_col(input: &str, offset: u64) -> Position {
    let end = (offset as usize).min(input.len());
    let before = &input.as_bytes()[..end];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    Position::LineColumn { line, column }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

/// An element with its name and attributes (values unescaped; only predefined entities and
/// character references are accepted).
fn open_element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut el = Element {
        name: local(e.name().as_ref()),
        ..Element::default()
    };
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| format!("invalid attribute: {e}"))?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| {
                format!(
                    "attribute value refused: {e} (only the predefined XML entities are expanded)"
                )
            })?;
        el.attrs.push((local(a.key.as_ref()), v.into_owned()));
    }
    Ok(el)
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Parses a whole XML document into its root element.
pub fn parse(input: &[u8]) -> Result<Element, ParseError> {
    let input = crate::json::strip_bom(input);
    if crate::json::is_blank(input) {
        return Err(ParseError::new(ParseErrorKind::Empty, "the file is empty"));
    }
    let text = std::str::from_utf8(input).map_err(|e| {
        ParseError::new(
            ParseErrorKind::Syntax,
            "the XML is not UTF-8 (Posture reads UTF-8 reports)",
        )
        .at(Position::Byte(e.valid_up_to() as u64))
    })?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let err_at = |reader: &Reader<&[u8]>, kind, msg: String| {
        ParseError::new(kind, msg).at(line_col(text, reader.buffer_position()))
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            let pos = reader.error_position();
            ParseError::new(ParseErrorKind::Syntax, format!("invalid XML: {e}"))
                .at(line_col(text, pos))
        })?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err(err_at(
                    &reader,
                    ParseErrorKind::Syntax,
                    "content after the root element".into(),
                ));
            }
            Event::Start(e) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(err_at(
                        &reader,
                        ParseErrorKind::Limit,
                        format!(
                            "the XML is nested deeper than {MAX_DEPTH} levels or has more than {MAX_ELEMENTS} elements"
                        ),
                    ));
                }
                let el =
                    open_element(&e).map_err(|m| err_at(&reader, ParseErrorKind::Syntax, m))?;
                stack.push(el);
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(err_at(
                        &reader,
                        ParseErrorKind::Limit,
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                let el =
                    open_element(&e).map_err(|m| err_at(&reader, ParseErrorKind::Syntax, m))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(err_at(
                        &reader,
                        ParseErrorKind::Syntax,
                        "closing tag without opening tag".into(),
                    ));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    predefined(&r)
                };
                match ch {
                    Some(c) => {
                        if let Some(cur) = stack.last_mut() {
                            cur.text.push(c);
                        }
                    }
                    None => {
                        return Err(err_at(
                            &reader,
                            ParseErrorKind::Syntax,
                            format!(
                                "entity reference `&{};` refused: Posture expands no DTD entities (XXE and entity-expansion protection)",
                                &*r
                            ),
                        ));
                    }
                }
            }
            Event::Eof => break,
            // declarations, DOCTYPE (never expanded), comments, processing instructions
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::Truncated,
            format!(
                "the XML is truncated: <{}> is never closed",
                stack.last().map(|e| e.name.as_str()).unwrap_or("")
            ),
        )
        .at(line_col(text, text.len() as u64)));
    }
    root.ok_or_else(|| ParseError::new(ParseErrorKind::Shape, "no root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_attributes_text_and_entities() {
        let doc = parse(br#"<?xml version="1.0"?><!DOCTYPE issues [<!ELEMENT issues ANY>]><a:root xmlns:a="x" v="1&amp;2"><b>x &lt; y &#65;</b><b><![CDATA[<raw>]]></b><c/></a:root>"#).unwrap();
        assert_eq!(doc.name, "root");
        assert_eq!(doc.attr("v"), Some("1&2"));
        let bs: Vec<_> = doc.children_named("b").collect();
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[0].1.text, "x < y A");
        assert_eq!(bs[1].1.text, "<raw>");
        assert!(doc.child("c").is_some());
    }

    #[test]
    fn refuses_xxe_and_billion_laughs() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"#;
        let e = parse(xxe).unwrap_err();
        assert!(e.message.contains("refused"), "{e}");
        let lol = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert!(parse(lol).is_err());
    }

    #[test]
    fn truncated_and_deep_documents_fail_cleanly() {
        let e = parse(b"<a><b></b>").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Truncated);
        let deep = "<a>".repeat(10_000);
        let e = parse(deep.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Limit);
        assert!(parse(b"<a></b>").is_err());
        assert_eq!(parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
    }
}
