//! Session tokens (SOAP tickets, REST session ids, web cookies) and their stored digests.

use std::fmt;

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Prefix of every token, as NetServer tickets (`7T:`).
pub const TOKEN_PREFIX: &str = "7T:";
const TOKEN_BYTES: usize = 32;

/// What created a session; all kinds live in one table and are revoked alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// A ticket from SoPrincipal.svc.
    SoapTicket,
    /// A session id from the REST API.
    RestSession,
    /// A browser session of the self-service page.
    Web,
}

impl SessionKind {
    /// Name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::SoapTicket => "soap_ticket",
            SessionKind::RestSession => "rest_session",
            SessionKind::Web => "web",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "soap_ticket" => Some(SessionKind::SoapTicket),
            "rest_session" => Some(SessionKind::RestSession),
            "web" => Some(SessionKind::Web),
            _ => None,
        }
    }
}

/// A bearer token: `7T:` + standard base64 of 32 random bytes (256 bits from the OS CSPRNG).
/// Only its SHA-256 ([`TokenHash`]) is ever stored.
pub struct SessionToken(SecretString);

impl SessionToken {
    /// A fresh SOAP-style ticket (`7T:` + standard base64) from the OS random source.
    pub fn generate() -> Self {
        Self::generate_for(SessionKind::SoapTicket)
    }

    /// A fresh token for `kind`: SOAP tickets look like NetServer's (`7T:` + standard
    /// base64); REST and web session ids are URL- and cookie-safe (unpadded base64url, 43
    /// characters) so naive clients can put them in query strings and cookies unescaped.
    pub fn generate_for(kind: SessionKind) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let text = match kind {
            SessionKind::SoapTicket => format!(
                "{TOKEN_PREFIX}{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ),
            SessionKind::RestSession | SessionKind::Web => {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            }
        };
        zeroize::Zeroize::zeroize(&mut bytes);
        SessionToken(SecretString::from(text))
    }

    /// Parses a token presented by a client. Anything that is not exactly one of the shapes
    /// passgate issues is rejected here, without touching the database.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let decoded = match s.strip_prefix(TOKEN_PREFIX) {
            Some(body) if body.len() == 44 => base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()?,
            None if s.len() == 43 => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()?,
            _ => return None,
        };
        (decoded.len() == TOKEN_BYTES).then(|| SessionToken(SecretString::from(s.to_owned())))
    }

    /// The token text, to hand to the client once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest that is stored and looked up.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.expose_secret())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// Lowercase hex SHA-256 of a token. Safe to store and log: it cannot be turned back into a
/// usable token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Digest of `text`.
    pub fn of(text: &str) -> Self {
        let digest = Sha256::digest(text.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        TokenHash(hex)
    }

    /// Wraps a digest read back from storage.
    pub fn from_stored(hex: String) -> Self {
        TokenHash(hex)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert!(a.expose().starts_with("7T:"));
        assert_eq!(a.expose().len(), 47);
        assert_ne!(a.expose(), b.expose());
        let parsed = SessionToken::parse(a.expose()).map(|t| t.hash());
        assert_eq!(parsed, Some(a.hash()));
        assert!(!format!("{a:?}").contains(&a.expose()[3..]));
    }

    #[test]
    fn rest_tokens_are_url_safe() {
        let t = SessionToken::generate_for(SessionKind::RestSession);
        assert_eq!(t.expose().len(), 43);
        assert!(t
            .expose()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(SessionToken::parse(t.expose()).is_some());
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in ["", "7T:", "7T:1234abcxyzExample==", "8A:abc", "7T:!!!!"] {
            assert!(SessionToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            TokenHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
