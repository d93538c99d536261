//! User attributes: names, e-mail addresses and roles, parsed once at the edge.

use std::fmt;

use crate::CoreError;

/// Longest accepted username, in characters.
pub const MAX_USERNAME_CHARS: usize = 128;

/// A login name. Trimmed; 1–128 characters; no control characters. Uniqueness is on the
/// case-folded form ([`Username::folded`]), display keeps the original case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Parses a login name.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 {
            return Err(CoreError::InvalidInput("username must not be empty".into()));
        }
        if n > MAX_USERNAME_CHARS {
            return Err(CoreError::InvalidInput(format!(
                "username must be at most {MAX_USERNAME_CHARS} characters"
            )));
        }
        if t.chars().any(char::is_control) {
            return Err(CoreError::InvalidInput(
                "username must not contain control characters".into(),
            ));
        }
        Ok(Username(t.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded key used for uniqueness and lookup.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// An e-mail address: one `@` with text on both sides, no spaces, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address (deliberately lenient: delivery is the proof of validity).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let ok = t.len() <= 254
            && !t.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(t.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
        if ok {
            Ok(Email(t.to_owned()))
        } else {
            Err(CoreError::InvalidInput(
                "email is not a valid e-mail address".into(),
            ))
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form used for lookup.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A display name: at most 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FullName(String);

impl FullName {
    /// Parses a display name.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        if t.chars().count() > 200 || t.chars().any(char::is_control) {
            return Err(CoreError::InvalidInput(
                "full name must be at most 200 characters without control characters".into(),
            ));
        }
        Ok(FullName(t.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// May manage only their own credentials.
    User,
    /// May manage any user's credentials.
    Admin,
}

impl Role {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            Username::parse("  Alice ").map(|u| u.folded()).ok(),
            Some("alice".into())
        );
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a\u{0}b").is_err());
        assert!(Username::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn emails() {
        assert!(Email::parse("a@b.example").is_ok());
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
