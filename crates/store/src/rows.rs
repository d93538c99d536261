//! Conversions between stored columns and domain values, shared by the backends.

use passgate_core::domain::{AssociateId, Email, FullName, Role, SessionKind, UserId, Username};
use passgate_core::store::{SessionRecord, UserRecord};
use passgate_core::{CoreError, Timestamp};

/// The user columns every backend selects, in this order.
pub(crate) const USER_COLUMNS: &str = "id, associate_id, username, email, full_name, role, \
     locked_until, password_hash, password_changed_at, credential_version, \
     must_change_password, created_at";

/// Reads domain values out of PostgreSQL rows (SQLite's, read with rusqlite, are in
/// `sqlite_rows.rs`).
pub(crate) mod pg_rows {
    use passgate_core::audit::AuditRecord;
    use passgate_core::domain::TokenHash;
    use passgate_core::store::{AppTokenRecord, SessionRecord, ThrottleRow, UserRecord};
    use passgate_core::{CoreError, Timestamp};
    use sqlx::Row;

    use super::{SessionRow, UserRow};

    fn get<'r, T>(row: &'r sqlx::postgres::PgRow, column: &str) -> Result<T, CoreError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        row.try_get(column)
            .map_err(|e| CoreError::Storage(format!("column {column}: {e}")))
    }

    /// A user from a row of [`super::USER_COLUMNS`].
    pub(crate) fn user(row: &sqlx::postgres::PgRow) -> Result<UserRecord, CoreError> {
        UserRow {
            id: get(row, "id")?,
            associate_id: get(row, "associate_id")?,
            username: get(row, "username")?,
            email: get(row, "email")?,
            full_name: get(row, "full_name")?,
            role: get(row, "role")?,
            locked_until: get(row, "locked_until")?,
            password_hash: get(row, "password_hash")?,
            password_changed_at: get(row, "password_changed_at")?,
            credential_version: get(row, "credential_version")?,
            must_change_password: get(row, "must_change_password")?,
            created_at: get(row, "created_at")?,
        }
        .into_record()
    }

    /// A session from its columns.
    pub(crate) fn session(row: &sqlx::postgres::PgRow) -> Result<SessionRecord, CoreError> {
        SessionRow {
            id: get(row, "id")?,
            user_id: get(row, "user_id")?,
            kind: get(row, "kind")?,
            created_at: get(row, "created_at")?,
            last_seen_at: get(row, "last_seen_at")?,
            expires_at: get(row, "expires_at")?,
            revoked_at: get(row, "revoked_at")?,
        }
        .into_record()
    }

    /// A throttle counter from its columns.
    pub(crate) fn throttle(row: &sqlx::postgres::PgRow) -> Result<ThrottleRow, CoreError> {
        let failures: i64 = get(row, "failures")?;
        Ok(ThrottleRow {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            window_start: Timestamp(get(row, "window_start")?),
            blocked_until: get::<Option<i64>>(row, "blocked_until")?.map(Timestamp),
        })
    }

    /// An audit row from its columns.
    pub(crate) fn audit(row: &sqlx::postgres::PgRow) -> Result<AuditRecord, CoreError> {
        Ok(AuditRecord {
            id: get(row, "id")?,
            at: Timestamp(get(row, "at")?).to_rfc3339(),
            user_id: get(row, "user_id")?,
            username: get(row, "username")?,
            event: get(row, "event")?,
            front_end: get(row, "front_end")?,
            client_addr: get(row, "client_addr")?,
            reason: get(row, "reason")?,
            actor: get(row, "actor")?,
        })
    }

    /// An application token from its columns.
    pub(crate) fn app_token(row: &sqlx::postgres::PgRow) -> Result<AppTokenRecord, CoreError> {
        Ok(AppTokenRecord {
            name: get(row, "name")?,
            token_hash: TokenHash::from_stored(get(row, "token_sha256")?),
            created_at: Timestamp(get(row, "created_at")?),
            revoked_at: get::<Option<i64>>(row, "revoked_at")?.map(Timestamp),
        })
    }

    /// A named column of a listing (e.g. the owner's name next to a session).
    pub(crate) fn column<'r, T>(row: &'r sqlx::postgres::PgRow, name: &str) -> Result<T, CoreError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        get(row, name)
    }
}

/// Raw user columns as read from any backend.
pub(crate) struct UserRow {
    pub id: String,
    pub associate_id: i64,
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub role: String,
    pub locked_until: Option<i64>,
    pub password_hash: String,
    pub password_changed_at: i64,
    pub credential_version: i64,
    pub must_change_password: bool,
    pub created_at: i64,
}

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is invalid"))
}

impl UserRow {
    pub fn into_record(self) -> Result<UserRecord, CoreError> {
        Ok(UserRecord {
            id: parse_uuid(&self.id).map(UserId)?,
            associate_id: i32::try_from(self.associate_id)
                .ok()
                .and_then(|v| AssociateId::new(v).ok())
                .ok_or_else(|| corrupt("associate_id"))?,
            username: Username::parse(&self.username).map_err(|_| corrupt("username"))?,
            email: self
                .email
                .filter(|e| !e.is_empty())
                .map(|e| Email::parse(&e).map_err(|_| corrupt("email")))
                .transpose()?,
            full_name: self
                .full_name
                .filter(|n| !n.is_empty())
                .map(|n| FullName::parse(&n).map_err(|_| corrupt("full_name")))
                .transpose()?,
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role"))?,
            locked_until: self.locked_until.map(Timestamp),
            password_hash: self.password_hash,
            password_changed_at: Timestamp(self.password_changed_at),
            credential_version: self.credential_version,
            must_change_password: self.must_change_password,
            created_at: Timestamp(self.created_at),
        })
    }
}

/// Raw session columns.
pub(crate) struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl SessionRow {
    pub fn into_record(self) -> Result<SessionRecord, CoreError> {
        Ok(SessionRecord {
            id: parse_uuid(&self.id)?,
            user_id: parse_uuid(&self.user_id).map(UserId)?,
            kind: SessionKind::parse(&self.kind).ok_or_else(|| corrupt("session kind"))?,
            created_at: Timestamp(self.created_at),
            last_seen_at: Timestamp(self.last_seen_at),
            expires_at: Timestamp(self.expires_at),
            revoked_at: self.revoked_at.map(Timestamp),
        })
    }
}

pub(crate) fn parse_uuid(s: &str) -> Result<uuid::Uuid, CoreError> {
    uuid::Uuid::try_parse(s).map_err(|_| corrupt("id"))
}

/// Maps a database error to the core's error. Unique violations become `Conflict` naming
/// the column; everything else is a storage failure (its text is for logs only).
pub(crate) fn db_error(e: sqlx::Error) -> CoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return CoreError::Conflict(conflict_message(db.message()).into());
        }
    }
    CoreError::Storage(e.to_string())
}

/// What a unique violation whose database message is `msg` tells the caller.
pub(crate) fn conflict_message(msg: &str) -> &'static str {
    if msg.contains("username") {
        "a user with that name already exists"
    } else if msg.contains("associate_id") {
        "associate id already in use"
    } else {
        "the value is already in use"
    }
}
