//! The self-service pages' request parsers: the bounded `Cookie` header reader on the first
//! line, the bounded form decoder (duplicate fields refused) and the CSRF check on the rest.
#![no_main]

use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use passgate_web::cookies::{self, CookieNames, MAX_COOKIES};
use passgate_web::csrf;
use passgate_web::form::Form;

fuzz_target!(|data: &[u8]| {
    let (line, rest) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut secret = None;
    if let Ok(value) = HeaderValue::from_bytes(line) {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, value.clone());
        headers.append(header::COOKIE, value);
        for secure in [false, true] {
            let names = CookieNames::new(secure);
            secret = secret.or(cookies::read(&headers, names.session));
            let _ = cookies::read(&headers, names.form);
        }
        if let Ok(text) = std::str::from_utf8(line) {
            let mut seen = 0;
            let _ = cookies::find(text, "passgate", &mut seen);
            assert!(seen <= MAX_COOKIES);
        }
    }
    if let Ok(form) = Form::parse(rest) {
        let presented = form.get(csrf::FIELD);
        if let Some(secret) = &secret {
            // The token of a secret always verifies; anything else presented must not,
            // unless it happens to be that token.
            assert!(csrf::verify(secret, Some(&csrf::token(secret))));
            let ok = csrf::verify(secret, presented);
            assert_eq!(ok, presented == Some(csrf::token(secret).as_str()));
        }
        for name in ["username", "password", "new_password", "confirm", "token"] {
            let _ = form.text(name);
        }
    }
});
