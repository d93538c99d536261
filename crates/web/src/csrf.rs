//! CSRF protection: a synchronizer token derived from the secret the browser holds in an
//! `HttpOnly` cookie (the session id once signed in, the random form cookie before), so it
//! is bound to that session, needs no storage, and cannot be computed by another site,
//! which can neither read the cookie nor (with `SameSite=Strict`) make the browser send it.
//! Every POST carries it in the field `csrf`; a missing or wrong token refuses the request
//! before anything else is looked at.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Name of the hidden form field.
pub const FIELD: &str = "csrf";

/// Domain separation, so the token is never a hash used elsewhere.
const CONTEXT: &[u8] = b"passgate web csrf v1\0";

/// The token for forms of the holder of `secret` (unpadded base64url of a SHA-256).
pub fn token(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(CONTEXT);
    h.update(secret.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finalize())
}

/// Whether `presented` is the token for `secret` (constant time in the token).
pub fn verify(secret: &str, presented: Option<&str>) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    let expected = token(secret);
    expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// A fresh random value for the form cookie (32 bytes, unpadded base64url).
pub fn new_form_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `s` has the shape of a form cookie this server sets (anything else is replaced).
pub fn is_form_secret(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_to_their_secret() {
        let a = new_form_secret();
        let b = new_form_secret();
        assert!(is_form_secret(&a));
        assert_ne!(a, b);
        assert!(verify(&a, Some(&token(&a))));
        assert!(!verify(&a, Some(&token(&b))));
        assert!(!verify(&a, None));
        assert!(!verify(&a, Some("")));
        assert_ne!(token(&a), a, "the token is not the secret");
    }
}
