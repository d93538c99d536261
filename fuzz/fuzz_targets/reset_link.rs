//! Reset links: the token parser (every Guid form), the allow-list prefix match and the link
//! builder, on arbitrary text. Invariants: a parsed token is 32 lowercase hex digits; a link
//! contains its token and keeps the base's scheme and host; a prefix match implies the URL
//! starts with the prefix (case-insensitively).
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::domain::ResetToken;
use passgate_core::service::{build_link, url_has_prefix};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(token) = ResetToken::parse(text) {
        let t = token.expose();
        assert_eq!(t.len(), 32);
        assert!(t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
    let (url, prefix) = text.split_once('\n').unwrap_or((text, ""));
    if url_has_prefix(url, prefix) {
        assert!(url
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix)));
    }
    let token = "0123456789abcdef0123456789abcdef";
    let link = build_link(url, token);
    assert!(link.contains(token));
    if let Some((scheme_host, _)) = url.split_once('#') {
        if !url.contains("{token}") {
            assert!(link.starts_with(scheme_host.split('?').next().unwrap_or("")));
        }
    }
});
