//! The legacy hash parsers (`passgate user import`): any string, with or without a
//! `hashFormat` and a salt column, is refused with an error or parsed within the documented
//! bounds; what parses reads back from its stored form as the same format and verifies
//! without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::credential::legacy::{LegacyHash, ALL_FORMATS};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = ALL_FORMATS
        .get(usize::from(selector) % (ALL_FORMATS.len() + 1))
        .map(|f| f.name());
    let (hash, salt) = match text.split_once('\n') {
        Some((h, s)) => (h, Some(s)),
        None => (text, None),
    };
    if let Ok(parsed) = LegacyHash::parse_import(hash, format, salt) {
        let again = LegacyHash::parse_stored(parsed.stored());
        assert!(matches!(&again, Ok(h) if h.format() == parsed.format()));
        let _ = parsed.verify("fuzz password");
    }
});
