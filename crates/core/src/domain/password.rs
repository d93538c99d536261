//! A password as received from a client: secret, zeroized on drop, never printed.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Longest new password accepted, in bytes, whatever the configured maximum in characters.
/// (Presented passwords are bounded by the 64 KiB request limit; Argon2 pre-hashes its input,
/// so their length barely changes the cost.)
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// A password. `Debug` prints a placeholder; the text is reachable only through
/// [`Password::expose`], which callers use to hash or check it and nothing else.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Wraps a password received on the wire, normalised to Unicode NFKC so that equivalent
    /// forms (full-width letters, ligatures, composed or decomposed accents) are one password
    /// for the policy, for hashing and for verification. Empty passwords are representable (an
    /// empty `OldPassword` has a meaning for admins); rules about content belong to the policy.
    pub fn new(s: impl Into<String>) -> Self {
        let mut raw: String = s.into();
        let normalized = match crate::credential::nfkc(&raw) {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(n) => Some(n),
        };
        match normalized {
            Some(n) => {
                zeroize::Zeroize::zeroize(&mut raw);
                Password(SecretString::from(n))
            }
            None => Password(SecretString::from(raw)),
        }
    }

    /// The secret text. Call sites are few and reviewed: hashing, verification, policy.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when the password is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    /// True when the password is longer than any path accepts.
    pub fn is_oversized(&self) -> bool {
        self.0.expose_secret().len() > MAX_PASSWORD_BYTES
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::new("hunter2-very-secret");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert_eq!(p.expose(), "hunter2-very-secret");
    }

    #[test]
    fn equivalent_forms_are_one_password() {
        assert_eq!(Password::new("ｈｕｎｔｅｒ２").expose(), "hunter2");
        assert_eq!(Password::new("caf\u{65}\u{301}").expose(), "caf\u{e9}");
    }
}
