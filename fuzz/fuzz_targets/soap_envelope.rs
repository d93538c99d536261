//! The SOAP envelope parser (both `.svc` endpoints parse every POST body with it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = passgate_soap::parse_envelope(data) {
        // Exercise the typed accessors the operations use.
        for p in &env.params {
            let _ = env.string(&p.name);
            let _ = env.int(&p.name);
        }
    }
});
