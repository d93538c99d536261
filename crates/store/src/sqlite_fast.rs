//! Synchronous point reads for the SQLite backend's hot paths: a session by its token hash,
//! a user by id or name, the throttle counters of an attempt, an application token, a user's
//! few old password hashes.
//!
//! The other reads run on blocking threads ([`crate::sqlite_read`]), so each is a round trip
//! between threads: on a small machine that hand-over costs more CPU than an indexed lookup
//! itself. These reads are one B-tree probe each, a few microseconds, so they run directly on
//! the calling (async) thread on a connection of their own, which never writes.
//!
//! They never wait: the connections have no busy timeout, so when SQLite cannot start a read
//! at once (`SQLITE_BUSY` / `SQLITE_LOCKED`, e.g. while another process recovers the
//! write-ahead log) the read answers `None` and the caller takes the ordinary asynchronous
//! path. The same happens when every fast connection is in use. In WAL mode readers do not
//! wait for the writer, so in practice that fallback is rare.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use passgate_core::domain::{TokenHash, UserId};
use passgate_core::store::{AppTokenRecord, SessionRecord, ThrottleRow, UserLookup, UserRecord};
use passgate_core::CoreError;
use rusqlite::Connection;

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
    /// Fast reads of the database file at `path` (which must exist: the writer opens it first).
    pub(crate) fn new(path: &Path) -> Self {
        FastReader {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            off: AtomicBool::new(false),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // Never wait for a lock: fall back to the blocking readers instead.
        crate::sqlite_read::open_reader(&self.path, std::time::Duration::ZERO)
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
                            "cannot open a fast SQLite read connection; using the blocking readers for every read"
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
            Err(e) => Some(Err(crate::sqlite_read::storage(e))),
        }
    }

    /// The session with `token_hash`, as [`passgate_core::store::Store::find_session`].
    pub(crate) fn find_session(&self, token_hash: &TokenHash) -> Fast<Option<SessionRecord>> {
        self.with(|c| point::session(c, token_hash.as_str()))
    }

    /// The user `by` names, as [`passgate_core::store::Store::find_user`].
    pub(crate) fn find_user(&self, by: UserLookup<'_>) -> Fast<Option<UserRecord>> {
        self.with(|c| point::user(c, &point::UserKey::of(by)))
    }

    /// The counters of `keys` that exist, in the order of `keys`, as
    /// [`passgate_core::store::Store::throttle_rows`].
    pub(crate) fn throttle_rows(&self, keys: &[String]) -> Fast<Vec<(String, ThrottleRow)>> {
        self.with(|c| point::throttle(c, keys))
    }

    /// The application token with `hash`, as
    /// [`passgate_core::store::Store::find_app_token`].
    pub(crate) fn find_app_token(&self, hash: &TokenHash) -> Fast<Option<AppTokenRecord>> {
        self.with(|c| point::app_token(c, hash.as_str()))
    }

    /// The newest `limit` old hashes of `user`, as
    /// [`passgate_core::store::Store::password_history`] (an indexed read of a few rows).
    pub(crate) fn password_history(&self, user: UserId, limit: i64) -> Fast<Vec<String>> {
        self.with(|c| point::history(c, &user.to_string(), limit))
    }
}

/// The point reads themselves, on any read connection: the fast path runs them inline, the
/// fallback on a blocking reader ([`crate::sqlite_read`]). Each answers domain records, so a
/// stored row the core cannot use is a storage error (`FromSqlConversionFailure`) on both.
pub(crate) mod point {
    use passgate_core::store::{
        AppTokenRecord, SessionRecord, ThrottleRow, UserLookup, UserRecord,
    };
    use rusqlite::{Connection, OptionalExtension};

    use crate::rows::{SessionRow, UserRow, USER_COLUMNS};
    use crate::sqlite_read::corrupt;
    use crate::sqlite_rows::{
        app_token_row, session_row, throttle_row, user_row, APP_TOKEN_COLUMNS, SESSION_COLUMNS,
    };

    /// A [`UserLookup`] that owns its value, so it can move to a blocking thread.
    pub(crate) enum UserKey {
        Id(String),
        Associate(i64),
        Name(String),
    }

    impl UserKey {
        pub(crate) fn of(by: UserLookup<'_>) -> Self {
            match by {
                UserLookup::Id(id) => UserKey::Id(id.to_string()),
                UserLookup::Associate(a) => UserKey::Associate(i64::from(a.get())),
                UserLookup::Name(n) => UserKey::Name(n.folded()),
            }
        }
    }

    pub(crate) fn session(
        c: &Connection,
        token_hash: &str,
    ) -> rusqlite::Result<Option<SessionRecord>> {
        c.prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_sha256 = ?1"
        ))?
        .query_row([token_hash], session_row)
        .optional()?
        .map(|r| SessionRow::into_record(r).map_err(corrupt))
        .transpose()
    }

    pub(crate) fn user(c: &Connection, key: &UserKey) -> rusqlite::Result<Option<UserRecord>> {
        let row = match key {
            UserKey::Id(id) => c
                .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
                .query_row([id], user_row)
                .optional()?,
            UserKey::Associate(a) => c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE associate_id = ?1"
                ))?
                .query_row([a], user_row)
                .optional()?,
            UserKey::Name(n) => c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username_folded = ?1"
                ))?
                .query_row([n], user_row)
                .optional()?,
        };
        row.map(|r| UserRow::into_record(r).map_err(corrupt))
            .transpose()
    }

    pub(crate) fn throttle(
        c: &Connection,
        keys: &[String],
    ) -> rusqlite::Result<Vec<(String, ThrottleRow)>> {
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
    }

    pub(crate) fn app_token(
        c: &Connection,
        hash: &str,
    ) -> rusqlite::Result<Option<AppTokenRecord>> {
        c.prepare_cached(&format!(
            "SELECT {APP_TOKEN_COLUMNS} FROM app_tokens WHERE token_sha256 = ?1"
        ))?
        .query_row([hash], app_token_row)
        .optional()
    }

    pub(crate) fn history(c: &Connection, user: &str, limit: i64) -> rusqlite::Result<Vec<String>> {
        c.prepare_cached(
            "SELECT password_hash FROM password_history WHERE user_id = ?1 \
             ORDER BY created_at DESC, rowid DESC LIMIT ?2",
        )?
        .query_map(rusqlite::params![user, limit], |r| r.get(0))?
        .collect()
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
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
