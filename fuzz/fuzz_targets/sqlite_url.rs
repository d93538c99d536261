//! `sqlite:` database URLs (the store's own parser, `sqlite_url.rs`): any text gives a file
//! or a refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(url) = std::str::from_utf8(data) {
        let _ = passgate_store::Backend::of(url);
        if let Some(file) = passgate_store::sqlite_file(url) {
            assert!(!file.as_os_str().is_empty());
        }
    }
});
