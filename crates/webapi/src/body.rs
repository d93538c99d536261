//! The request body of an agent call: a bounded JSON object whose property names are matched
//! case-insensitively (the official TypeScript client sends camelCase, the documentation
//! PascalCase).
//!
//! Limits, all checked before serde_json allocates a tree: the body size (the server's
//! `body_limit`, checked by the handler), nesting depth and member count
//! ([`passgate_limits::json::check_json`]: 64 levels, 256 members). Only a top-level object
//! (or an empty body, for operations without parameters) is accepted.

use passgate_limits::LimitError;
use serde_json::{Map, Value};

/// Why a body was refused. Messages never quote the input (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// A pre-check limit was hit.
    Limit(LimitError),
    /// Not JSON.
    Malformed,
    /// JSON, but not an object.
    NotAnObject,
    /// A property has the wrong JSON type.
    WrongType(&'static str, &'static str),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Limit(e) => write!(f, "{e}"),
            BodyError::Malformed => f.write_str("the body is not valid JSON"),
            BodyError::NotAnObject => f.write_str("the body must be a JSON object"),
            BodyError::WrongType(name, want) => write!(f, "{name} must be {want}"),
        }
    }
}

/// The properties of a request body. (No `Debug`: it holds passwords.)
#[derive(Default)]
pub struct Fields(Map<String, Value>);

/// Parses a request body. Empty (or whitespace-only) means no properties.
pub fn parse(body: &[u8]) -> Result<Fields, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Fields::default());
    }
    passgate_limits::json::check_json(body).map_err(BodyError::Limit)?;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(_) => Err(BodyError::Malformed),
    }
}

impl Fields {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// A string property; absent or null is empty.
    pub fn string(&self, name: &'static str) -> Result<String, BodyError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(BodyError::WrongType(name, "a string")),
        }
    }

    /// A 32-bit integer property (a number or a numeric string, as .NET binders accept);
    /// absent or null is 0.
    pub fn int(&self, name: &'static str) -> Result<i32, BodyError> {
        let wrong = BodyError::WrongType(name, "a 32-bit integer");
        match self.get(name) {
            None | Some(Value::Null) => Ok(0),
            Some(Value::Number(n)) => n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or(wrong),
            Some(Value::String(s)) => s.trim().parse::<i32>().map_err(|_| wrong),
            Some(_) => Err(wrong),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_match_case_insensitively() -> Result<(), BodyError> {
        let f = parse(br#"{"oldPassword":"a","NEWPASSWORD":"b","associateId":"7"}"#)?;
        assert_eq!(f.string("OldPassword")?, "a");
        assert_eq!(f.string("NewPassword")?, "b");
        assert_eq!(f.int("AssociateId")?, 7);
        assert_eq!(f.string("Missing")?, "");
        Ok(())
    }

    #[test]
    fn refuses_what_is_not_a_bounded_object() {
        assert_eq!(parse(b"[1]").err(), Some(BodyError::NotAnObject));
        assert_eq!(parse(b"{").err(), Some(BodyError::Malformed));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(parse(deep.as_bytes()), Err(BodyError::Limit(_))));
        let many = format!(
            "{{{}}}",
            (0..300)
                .map(|i| format!("\"k{i}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(matches!(parse(many.as_bytes()), Err(BodyError::Limit(_))));
    }

    #[test]
    fn wrong_types_are_named() -> Result<(), BodyError> {
        let f = parse(br#"{"AssociateId":1.5,"Password":3}"#)?;
        assert!(f.int("AssociateId").is_err());
        assert!(f.string("Password").is_err());
        let f = parse(br#"{"AssociateId":99999999999}"#)?;
        assert!(f.int("AssociateId").is_err());
        Ok(())
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(f) = parse(&bytes) {
                let _ = f.string("OldPassword");
                let _ = f.int("AssociateId");
            }
        }
    }
}
