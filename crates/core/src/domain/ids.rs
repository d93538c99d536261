//! Identifiers of users: a UUID for the REST side and a SuperOffice-style integer for SOAP.

use std::fmt;

use crate::CoreError;

/// The stable id of a user (a UUID, as the Net3 API's `userId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub uuid::Uuid);

impl UserId {
    /// A fresh random id.
    pub fn new_random() -> Self {
        UserId(uuid::Uuid::new_v4())
    }

    /// Parses any of the usual UUID forms (with or without dashes or braces).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        uuid::Uuid::try_parse(s.trim())
            .map(UserId)
            .map_err(|_| CoreError::InvalidInput("userId is not a valid GUID".into()))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.hyphenated().to_string())
    }
}

/// The SuperOffice `AssociateId`: a positive 32-bit integer, unique per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssociateId(i32);

impl AssociateId {
    /// Accepts only positive values (0 means "the caller" on the wire and is handled there).
    pub fn new(v: i32) -> Result<Self, CoreError> {
        if v > 0 {
            Ok(AssociateId(v))
        } else {
            Err(CoreError::InvalidInput(
                "AssociateId must be a positive integer".into(),
            ))
        }
    }

    /// The integer value.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for AssociateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
