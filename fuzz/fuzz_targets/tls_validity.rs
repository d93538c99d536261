//! The certificate validity reader (a bounded DER walk; see crates/passgate/src/tls/validity.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(v) = passgate::tls::validity(data) {
        // Both times come from 4-digit years at most.
        assert!(v.not_before > -62_167_219_201 && v.not_before < 253_402_300_800);
        assert!(v.not_after > -62_167_219_201 && v.not_after < 253_402_300_800);
    }
});
