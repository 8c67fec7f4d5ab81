//! The safe XML DOM reader alone (every XML format goes through it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = posture_parsers::xml::parse(data) {
        let _ = root.all_text();
        let _ = root.path(&["a", "b"]);
        let _ = root.children_named("a").count();
    }
});
