//! Synchronous point reads for the SQLite backend's hot paths: a session by its token hash,
//! a user by id or name, the throttle counters of an attempt.
//!
//! sqlx runs every SQLite connection on a thread of its own, so each query is a round trip
//! between threads (and the pool pings the connection again when it is given back): on a
//! small machine that hand-over costs more CPU than the indexed lookup itself. These reads
//! are one B-tree probe each, a few microseconds, so they run directly on the calling
//! (async) thread on a connection of their own, which never writes.
//!
//! They never wait: the connections have no busy timeout, so when SQLite cannot start a read
//! at once (`SQLITE_BUSY` / `SQLITE_LOCKED`, e.g. while another process recovers the
//! write-ahead log) the read answers `None` and the caller takes the ordinary asynchronous
//! path. The same happens when every fast connection is in use. In WAL mode readers do not
//! wait for the writer, so in practice that fallback is rare.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use passgate_core::domain::TokenHash;
use passgate_core::store::{SessionRecord, ThrottleRow, UserLookup, UserRecord};
use passgate_core::{CoreError, Timestamp};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};

use crate::rows::{SessionRow, UserRow, USER_COLUMNS};

/// How many idle fast connections are kept (one per thread that reads at the same time).
const MAX_IDLE: usize = 8;

/// A small set of read-only connections used synchronously.
pub(crate) struct FastReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Set when a connection could not be opened: from then on every read takes the
    /// asynchronous path (this is an optimisation; retrying on every request would cost more
    /// than it saves).
    off: AtomicBool,
}

/// What a fast read found: `None` means "could not read now, use the asynchronous path".
pub(crate) type Fast<T> = Option<Result<T, CoreError>>;

impl FastReader {
    /// Fast reads of the database file at `path` (which must exist: the pool opens it first).
    pub(crate) fn new(path: &Path) -> Self {
        FastReader {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            off: AtomicBool::new(false),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never wait for a lock: fall back to the asynchronous path instead.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        // Belt and braces: this connection must never write.
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// Runs `f` on an idle fast connection (opening one if none is idle). `None` when the
    /// database could not be read at once.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Fast<T> {
        if self.off.load(Ordering::Relaxed) {
            return None;
        }
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => match self.open() {
                Ok(c) => c,
                Err(e) => {
                    if !self.off.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            error = %e,
                            "cannot open a fast SQLite read connection; using the pool for every read"
                        );
                    }
                    return None;
                }
            },
        };
        let result = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        match result {
            Ok(v) => Some(Ok(v)),
            Err(e) if is_busy(&e) => None,
            Err(e) => Some(Err(CoreError::Storage(e.to_string()))),
        }
    }

    /// The session with `token_hash`, as [`passgate_core::store::Store::find_session`].
    pub(crate) fn find_session(&self, token_hash: &TokenHash) -> Fast<Option<SessionRecord>> {
        let row = self.with(|c| {
            c.prepare_cached(
                "SELECT id, user_id, kind, created_at, last_seen_at, expires_at, revoked_at \
                 FROM sessions WHERE token_sha256 = ?1",
            )?
            .query_row([token_hash.as_str()], session_row)
            .optional()
        })?;
        Some(row.and_then(|r| r.map(SessionRow::into_record).transpose()))
    }

    /// The user `by` names, as [`passgate_core::store::Store::find_user`].
    pub(crate) fn find_user(&self, by: UserLookup<'_>) -> Fast<Option<UserRecord>> {
        let row = self.with(|c| match by {
            UserLookup::Id(id) => c
                .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([id.to_string()], user_row)
                .optional(),
            UserLookup::Associate(a) => c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE associate_id = ?1"
                ))?
                .query_row([i64::from(a.get())], user_row)
                .optional(),
            UserLookup::Name(n) => c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username_folded = ?1"
                ))?
                .query_row([n.folded()], user_row)
                .optional(),
        })?;
        Some(row.and_then(|r| r.map(UserRow::into_record).transpose()))
    }

    /// The counters of `keys` that exist, in the order of `keys`, as
    /// [`passgate_core::store::Store::throttle_rows`].
    pub(crate) fn throttle_rows(&self, keys: &[String]) -> Fast<Vec<(String, ThrottleRow)>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT failures, window_start, blocked_until FROM throttle WHERE key = ?1",
            )?;
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                let row = stmt.query_row([key.as_str()], throttle_row).optional()?;
                if let Some(row) = row {
                    out.push((key.clone(), row));
                }
            }
            Ok(out)
        })
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
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

/// A row of [`USER_COLUMNS`], in that order.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_database_means_take_the_async_path() {
        let reader = FastReader::new(Path::new("/nonexistent/dir/passgate.db"));
        let hash = TokenHash::from_stored("00".repeat(32));
        assert!(reader.find_session(&hash).is_none());
        assert!(reader.throttle_rows(&["acct:x".to_owned()]).is_none());
    }

    #[test]
    fn a_locked_database_means_take_the_async_path() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        let holder = Connection::open(&path)?;
        holder.execute_batch(
            "CREATE TABLE throttle (key TEXT PRIMARY KEY, failures INTEGER, \
             window_start INTEGER, blocked_until INTEGER); \
             INSERT INTO throttle VALUES ('acct:x', 3, 0, NULL);",
        )?;
        let reader = FastReader::new(&path);
        let keys = ["acct:x".to_owned(), "addr:y".to_owned()];
        let found = reader.throttle_rows(&keys);
        assert!(matches!(&found, Some(Ok(rows)) if rows.len() == 1 && rows[0].1.failures == 3));
        // A rollback-journal database with an exclusive lock held: readers cannot start.
        holder.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")?;
        // (No busy timeout: this returns at once rather than after a wait.)
        assert!(reader.throttle_rows(&keys).is_none());
        holder.execute_batch("COMMIT;")?;
        Ok(())
    }
}
