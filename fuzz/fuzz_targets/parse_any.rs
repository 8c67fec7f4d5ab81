//! Every parser on the same bytes: detection, the sniffer and each parser's `parse` must never
//! panic, and a report that parses must serialize.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posture_parsers::{PARSERS, Sniff, detect};

fuzz_target!(|data: &[u8]| {
    let sniff = Sniff::new(data);
    let _ = sniff.first_char();
    let _ = sniff.is_json_object();
    let _ = sniff.is_json_array();
    let _ = sniff.has_keys(&["runs", "results", "version"]);
    let _ = sniff.contains("<?xml");
    if let Err(e) = detect(data) {
        let _ = e.to_string();
    }
    for parser in PARSERS {
        let _ = parser.detect(&sniff);
        match parser.parse(data) {
            Ok(report) => {
                if let Err(e) = serde_json::to_vec(&report) {
                    panic!("{}: parsed report does not serialize: {e}", parser.id());
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
