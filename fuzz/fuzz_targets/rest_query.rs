//! The REST query binder: strict percent-decoding into pairs, then binding onto every request
//! DTO.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_limits::Kind;
use passgate_rest::bind::{apply_pairs, parse_pairs};
use passgate_rest::ops::OPS;
use passgate_rest::value::Obj;

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = parse_pairs(data, Kind::Query) else {
        return;
    };
    for op in OPS {
        let mut dto = Obj::new(op.request);
        let mut errors = Vec::new();
        apply_pairs(&mut dto, &pairs, &mut errors);
    }
});
