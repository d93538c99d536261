//! The WebAPI front end's request parsers: the `Authorization` header (SOTicket / Basic) and
//! `Accept` negotiation on the first line, the bounded JSON body (pre-check, serde, the
//! case-insensitive property accessors) on the rest.
#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use passgate_webapi::auth::{credentials, Credentials};
use passgate_webapi::body;
use passgate_webapi::reply::Format;

fuzz_target!(|data: &[u8]| {
    let (line, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(value) = HeaderValue::from_bytes(line) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.clone());
        headers.insert(header::ACCEPT, value);
        match credentials(&headers) {
            Credentials::Ticket(t) => assert!(!t.is_empty()),
            Credentials::Basic(..) | Credentials::Missing(_) => {}
        }
        let _ = Format::negotiate(&headers);
    }
    if let Ok(fields) = body::parse(rest) {
        for name in ["OldPassword", "NewPassword", "AssociateName", "Password"] {
            let _ = fields.string(name);
        }
        let _ = fields.int("AssociateId");
        let _ = fields.int("PersonId");
    }
});
