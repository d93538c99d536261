//! The REST XML binder, which is passgate's DataContractSerializer reader (the limits
//! pre-check, then roxmltree), for every request DTO.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_rest::bind::apply_xml;
use passgate_rest::ops::OPS;
use passgate_rest::value::Obj;

fuzz_target!(|data: &[u8]| {
    for op in OPS {
        let mut dto = Obj::new(op.request);
        let mut errors = Vec::new();
        apply_xml(&mut dto, data, &mut errors);
    }
});
