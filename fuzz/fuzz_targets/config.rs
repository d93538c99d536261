//! The configuration loader: TOML text to validated settings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate::config::{Overrides, Settings};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Settings::from_text(Some(("fuzz.toml", text)), &Overrides::default());
    }
});
