//! Differential: the XML pre-check must accept every document roxmltree accepts within the
//! limits (it may only refuse what is over a limit or not well-formed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_limits::xml::check_xml;
use passgate_limits::{MAX_ATTRIBUTES_PER_ELEMENT, MAX_DEPTH};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verdict = check_xml(text);
    // Only give roxmltree inputs that cannot reach any limit: it recurses per level.
    let tags = text.bytes().filter(|b| *b == b'<').count();
    let equals = text.bytes().filter(|b| *b == b'=').count();
    if tags > MAX_DEPTH || equals > MAX_ATTRIBUTES_PER_ELEMENT {
        return;
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 20_000,
    };
    if roxmltree::Document::parse_with_options(text, options).is_ok() {
        assert_eq!(
            verdict,
            Ok(()),
            "roxmltree accepts what the pre-check refuses"
        );
    }
});
