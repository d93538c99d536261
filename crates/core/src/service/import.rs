//! Importing users with the password hashes of another system (`passgate user import`).
//!
//! Rule: a row is imported whole or not at all. Every field is parsed into its domain type and
//! the hash into a bounded [`LegacyHash`] before anything is written; a row with any problem
//! is refused with a reason that names the field, never its secret value. No password is
//! hashed at import (the hash is kept as it is); the first successful sign-in or password
//! change replaces it with Argon2id (`service/authenticate.rs`). Rows are stored in batches,
//! one transaction and one `users_imported` audit row per batch.

use crate::audit::AuditKind;
use crate::clock::Timestamp;
use crate::credential::legacy::{LegacyHash, LegacyHashError, NO_PASSWORD};
use crate::domain::{Email, FullName, Role, UserId, Username};
use crate::store::{ImportedUser, NewUser};
use crate::{Core, CoreError, RequestContext};

/// One user of an import file, as read (field names as in `user list --json`).
#[derive(Default, Clone)]
pub struct ImportRow {
    /// `username` (required).
    pub username: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `fullName`.
    pub full_name: Option<String>,
    /// `role`: `user` (default) or `admin`.
    pub role: Option<String>,
    /// `passwordHash`: a legacy hash; none (or empty) = the user must reset the password.
    pub password_hash: Option<String>,
    /// `hashFormat`: the format's name, required where the hash does not say it.
    pub hash_format: Option<String>,
    /// `salt`: the separate salt column (`servicestack-saltedhash`).
    pub salt: Option<String>,
    /// `passwordChangedAt`: RFC 3339, when the password was set in the other system.
    pub password_changed_at: Option<String>,
}

impl std::fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportRow")
            .field("username", &self.username)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Why a row was refused. The message never contains a hash, a salt or a part of one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportRefusal {
    /// A field is missing or invalid.
    #[error("{field}: {message}")]
    Field {
        /// The field name as in the file.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The hash was refused.
    #[error("passwordHash: {0}")]
    Hash(#[from] LegacyHashError),
    /// The user name is taken, by a stored user or an earlier row of the file.
    #[error("username: already exists")]
    Duplicate,
}

/// The outcome of one stored batch: per user, whether it was inserted (false: the name was
/// taken).
pub type BatchResult = Vec<bool>;

fn field(field: &'static str, e: &CoreError) -> ImportRefusal {
    let message = match e {
        CoreError::InvalidInput(m) => m.clone(),
        other => other.to_string(),
    };
    ImportRefusal::Field { field, message }
}

/// Present and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A time-ordered id (UUID version 7: the import time, then 74 random bits from the
/// thread's CSPRNG). Ids of a batch then sort together, so inserting them touches a few pages
/// of the primary key's index instead of one page per user (a random v4 id lands anywhere),
/// and a million users do not cost a million `getrandom` calls.
fn import_id(now: Timestamp) -> UserId {
    let millis = u64::try_from(now.0).unwrap_or(0);
    UserId(uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid())
}

impl Core {
    /// Validates one row into a user ready to store (no I/O, no hashing). The password
    /// counts as set now unless the row has `passwordChangedAt`.
    pub fn prepare_import(&self, row: &ImportRow) -> Result<ImportedUser, ImportRefusal> {
        let now = self.clock.now();
        let name = given(&row.username).ok_or(ImportRefusal::Field {
            field: "username",
            message: "required".into(),
        })?;
        let username = Username::parse(name).map_err(|e| field("username", &e))?;
        let email = given(&row.email)
            .map(Email::parse)
            .transpose()
            .map_err(|e| field("email", &e))?;
        let full_name = given(&row.full_name)
            .map(FullName::parse)
            .transpose()
            .map_err(|e| field("fullName", &e))?;
        let role = match given(&row.role) {
            None => Role::User,
            Some(r) => Role::parse(r).ok_or(ImportRefusal::Field {
                field: "role",
                message: "must be user or admin".into(),
            })?,
        };
        let password_hash = match given(&row.password_hash) {
            Some(h) => LegacyHash::parse_import(h, given(&row.hash_format), given(&row.salt))?
                .stored()
                .to_owned(),
            None if given(&row.hash_format).is_some() || given(&row.salt).is_some() => {
                return Err(ImportRefusal::Field {
                    field: "passwordHash",
                    message: "hashFormat or salt given without a hash".into(),
                })
            }
            None => NO_PASSWORD.to_owned(),
        };
        let password_changed_at = match given(&row.password_changed_at) {
            None => now,
            Some(t) => {
                let t = Timestamp::parse_rfc3339(t).ok_or(ImportRefusal::Field {
                    field: "passwordChangedAt",
                    message: "not an RFC 3339 time like 2024-05-01T10:00:00Z".into(),
                })?;
                if t.0 > now.0 {
                    return Err(ImportRefusal::Field {
                        field: "passwordChangedAt",
                        message: "in the future".into(),
                    });
                }
                t
            }
        };
        // Without a password the user cannot sign in at all; requiring a change would add
        // nothing, a reset sets a new one.
        let must_change = self.config.import.require_change && password_hash != NO_PASSWORD;
        Ok(ImportedUser {
            user: NewUser {
                id: import_id(now),
                username,
                email,
                full_name,
                role,
                password_hash,
                created_at: now,
            },
            password_changed_at,
            must_change,
        })
    }

    /// Stores one batch of prepared users in one transaction with one `users_imported` audit
    /// row (reason `offered:<n>`: the batch's size). Users whose name is taken are skipped and
    /// reported as false.
    pub async fn import_batch(
        &self,
        ctx: &RequestContext,
        users: &[ImportedUser],
    ) -> Result<BatchResult, CoreError> {
        let audit = self.event(
            ctx,
            AuditKind::UsersImported,
            None,
            None,
            Some(format!("offered:{}", users.len())),
        );
        let inserted = self.store.import_users(users, &audit).await?;
        Ok(inserted)
    }

    /// How many users have each stored password format (`argon2id`, `none`, or a legacy
    /// format's name), for `/metrics` and the CLI.
    pub async fn password_format_counts(&self) -> Result<Vec<(&'static str, u64)>, CoreError> {
        use crate::credential::legacy::StoredFormat;
        let mut counts: std::collections::BTreeMap<StoredFormat, u64> = Default::default();
        for (scheme, n) in self.store.password_scheme_counts().await? {
            *counts.entry(StoredFormat::of(&scheme)).or_default() += n;
        }
        Ok(counts.into_iter().map(|(f, n)| (f.name(), n)).collect())
    }
}
