//! Detection by content across the registry.

use posture_parsers::{DetectError, PARSERS, detect};

#[test]
fn every_parser_has_a_unique_id() {
    let mut ids: Vec<&str> = PARSERS.iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate parser ids");
}

#[test]
fn garbage_and_empty_are_refused_clearly() {
    assert_eq!(detect(b"").err(), Some(DetectError::Empty));
    assert_eq!(detect(b" \n\t").err(), Some(DetectError::Empty));
    match detect(b"hello, world") {
        Err(DetectError::NotRecognized { .. }) => {}
        other => panic!("expected NotRecognized, got {:?}", other.map(|p| p.id())),
    }
    match detect(br#"{"some": "json"}"#) {
        Err(DetectError::NotRecognized { .. }) => {}
        other => panic!("expected NotRecognized, got {:?}", other.map(|p| p.id())),
    }
}
