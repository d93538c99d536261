//! Reading SQLite rows (rusqlite) into the raw row types shared with PostgreSQL
//! ([`crate::rows`]). Columns are read by position, in the order each `SELECT` lists them.

use passgate_core::audit::AuditRecord;
use passgate_core::domain::TokenHash;
use passgate_core::store::{AppTokenRecord, ThrottleRow};
use passgate_core::Timestamp;
use rusqlite::Row;

use crate::rows::{SessionRow, UserRow};

/// The session columns every session read selects first, in this order.
pub(crate) const SESSION_COLUMNS: &str =
    "id, user_id, kind, created_at, last_seen_at, expires_at, revoked_at";

/// The audit columns of a listing, in this order.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, at, user_id, username, event, front_end, client_addr, reason, actor";

/// The app token columns, in this order.
pub(crate) const APP_TOKEN_COLUMNS: &str = "name, token_sha256, created_at, revoked_at";

/// A row of [`crate::rows::USER_COLUMNS`], in that order.
pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        associate_id: r.get(1)?,
        username: r.get(2)?,
        email: r.get(3)?,
        full_name: r.get(4)?,
        role: r.get(5)?,
        locked_until: r.get(6)?,
        password_hash: r.get(7)?,
        password_changed_at: r.get(8)?,
        credential_version: r.get(9)?,
        must_change_password: r.get(10)?,
        created_at: r.get(11)?,
    })
}

/// A row starting with [`SESSION_COLUMNS`].
pub(crate) fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        kind: r.get(2)?,
        created_at: r.get(3)?,
        last_seen_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

/// A row of `failures, window_start, blocked_until` from `throttle`.
pub(crate) fn throttle_row(r: &Row<'_>) -> rusqlite::Result<ThrottleRow> {
    let failures: i64 = r.get(0)?;
    Ok(ThrottleRow {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        window_start: Timestamp(r.get(1)?),
        blocked_until: r.get::<_, Option<i64>>(2)?.map(Timestamp),
    })
}

/// A row of [`AUDIT_COLUMNS`].
pub(crate) fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.get(0)?,
        at: Timestamp(r.get(1)?).to_rfc3339(),
        user_id: r.get(2)?,
        username: r.get(3)?,
        event: r.get(4)?,
        front_end: r.get(5)?,
        client_addr: r.get(6)?,
        reason: r.get(7)?,
        actor: r.get(8)?,
    })
}

/// A row of [`APP_TOKEN_COLUMNS`].
pub(crate) fn app_token_row(r: &Row<'_>) -> rusqlite::Result<AppTokenRecord> {
    Ok(AppTokenRecord {
        name: r.get(0)?,
        token_hash: TokenHash::from_stored(r.get(1)?),
        created_at: Timestamp(r.get(2)?),
        revoked_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
    })
}
