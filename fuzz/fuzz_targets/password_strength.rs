//! The strength estimator (passgate's zxcvbn fork) on untrusted passwords and context words:
//! never panics (the fork replaced upstream's unwraps with early returns), and stays cheap at
//! the length the server scores (`MAX_SCORED_CHARS`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use passgate_core::credential::policy::MAX_SCORED_CHARS;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the password, the others are context words (a name, an e-mail).
    let mut lines = text.split('\n');
    let password = lines.next().unwrap_or_default();
    let scored = match password.char_indices().nth(MAX_SCORED_CHARS) {
        Some((cut, _)) => &password[..cut],
        None => password,
    };
    let context: Vec<&str> = lines.take(4).collect();
    let entropy = passgate_zxcvbn::zxcvbn(scored, &context);
    assert!(u8::from(entropy.score()) <= 4);
});
