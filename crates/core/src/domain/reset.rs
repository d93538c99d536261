//! Password-reset tokens: 122 random bits in the Net3 `Guid` form, stored only as a digest.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::TokenHash;

/// A reset token as handed to the user (in a link) and presented back by
/// `ChangePasswordWithToken`. It is a version-4 UUID from the OS random source (122 random
/// bits), written in ServiceStack's `Guid` `N` form (32 lowercase hex digits). Only its
/// SHA-256 is stored; [`fmt::Debug`] never shows it.
pub struct ResetToken(SecretString);

impl ResetToken {
    /// A fresh token (`uuid`'s v4 draws from the operating system's CSPRNG).
    pub fn generate() -> Self {
        let text = uuid::Uuid::new_v4().simple().to_string();
        ResetToken(SecretString::from(text))
    }

    /// Parses a token in any `Guid` form a client may send (`N`, `D`, `B` with braces, `P`
    /// with parentheses, any case) into the canonical form; `None` for anything else.
    /// Bounded: longer input is refused before parsing.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() > 38 {
            return None;
        }
        let inner = s
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| s.strip_prefix('(').and_then(|r| r.strip_suffix(')')))
            .unwrap_or(s);
        if inner.len() != 32 && inner.len() != 36 {
            return None;
        }
        let id = uuid::Uuid::try_parse(inner).ok()?;
        Some(ResetToken(SecretString::from(id.simple().to_string())))
    }

    /// The token text (32 hex digits), to put in a link once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest that is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.expose_secret())
    }
}

impl fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResetToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_are_guid_n_form_and_differ() {
        let a = ResetToken::generate();
        let b = ResetToken::generate();
        assert_eq!(a.expose().len(), 32);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn every_guid_form_parses_to_the_same_digest() {
        let t = ResetToken::generate();
        let id = uuid::Uuid::try_parse(t.expose()).unwrap_or_default();
        let forms = [
            id.simple().to_string(),
            id.hyphenated().to_string(),
            id.braced().to_string(),
            format!("({})", id.hyphenated()),
            id.simple().to_string().to_uppercase(),
        ];
        for form in forms {
            assert_eq!(ResetToken::parse(&form).map(|p| p.hash()), Some(t.hash()));
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in [
            "",
            "abc",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "{0123456789abcdef0123456789abcdef",
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef0",
        ] {
            assert!(ResetToken::parse(bad).is_none(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,80}") {
            let _ = ResetToken::parse(&s);
        }
    }
}
