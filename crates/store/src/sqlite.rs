//! SQLite backend: one file, WAL journal, busy timeout, foreign keys on.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use passgate_core::audit::{AuditEvent, AuditRecord};
use passgate_core::credential::policy::MAX_HISTORY;
use passgate_core::domain::{Email, TokenHash, UserId};
use passgate_core::store::{
    AppTokenRecord, AuditFilter, NewSession, NewUser, PasswordChange, RevokeScope, SessionListing,
    SessionRecord, Store, ThrottleRow, UserChange, UserLookup, UserRecord,
};
use passgate_core::{CoreError, Timestamp};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Sqlite, Transaction};

use crate::rows::sqlite_rows::{self, column};
use crate::rows::{db_error, USER_COLUMNS};
use crate::sqlite_fast::FastReader;
use crate::PoolSettings;

/// The SQLite store.
///
/// Reads go through a pool of connections; every write goes through a second pool of exactly
/// one connection. SQLite allows one writer at a time, and a connection that finds the write
/// lock taken waits in SQLite's busy handler, which sleeps (1, 2, 5, 10 … ms) and retries.
/// With one writer connection, the writers of this process wait for it in a fair (FIFO)
/// async queue instead, so a burst of cheap writes (audit rows of refused attempts) cannot
/// push another request's write into those sleeps. The busy timeout still applies against
/// other processes (the command-line tools) writing the same file.
///
/// The hottest point reads (a session by token, a user, throttle counters) first try a
/// synchronous connection of their own ([`crate::sqlite_fast`]), which skips sqlx's hand-over
/// to a connection thread.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
    fast: Option<Arc<FastReader>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`, e.g. `sqlite://passgate.db`.
    /// Of `pool`, the connection limit and acquire timeout apply (SQLite has no statement
    /// timeout; writers wait on the busy timeout instead).
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, CoreError> {
        Self::connect_logging(url, pool, true).await
    }

    /// As [`SqliteStore::connect`]; `log_statements` false silences sqlx's statement log
    /// (for whole-table reads, which are slow by design).
    pub(crate) async fn connect_logging(
        url: &str,
        pool: &PoolSettings,
        log_statements: bool,
    ) -> Result<Self, CoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| CoreError::InvalidInput(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let options = if log_statements {
            options
        } else {
            options.disable_statement_logging()
        };
        let open = |max: u32| {
            SqlitePoolOptions::new()
                .max_connections(max)
                // An embedded database has no connection to lose between uses; the default
                // ping before every acquire costs a round trip to the connection's thread per
                // query.
                .test_before_acquire(false)
                .acquire_timeout(pool.acquire_timeout)
                .connect_with(options.clone())
        };
        let readers = open(pool.max_connections)
            .await
            .map_err(|e| CoreError::Storage(format!("cannot open SQLite database: {e}")))?;
        let writer = open(1)
            .await
            .map_err(|e| CoreError::Storage(format!("cannot open SQLite database: {e}")))?;
        // The file exists now (the pools created it). An in-memory database has no file a
        // second driver could open: it keeps the asynchronous path only.
        let file = options.get_filename();
        let fast = (file.as_os_str() != ":memory:" && file.is_file())
            .then(|| Arc::new(FastReader::new(file)));
        Ok(SqliteStore {
            pool: readers,
            writer,
            fast,
        })
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), CoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.writer)
            .await
            .map_err(|e| CoreError::Storage(format!("migration failed: {e}")))
    }

    async fn insert_audit<'e, E>(ex: E, e: &AuditEvent) -> Result<(), CoreError>
    where
        E: sqlx::Executor<'e, Database = Sqlite>,
    {
        sqlx::query(
            "INSERT INTO audit_events (at, user_id, username, event, front_end, client_addr, reason, actor) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.at.0)
        .bind(e.user_id.map(|u| u.to_string()))
        .bind(e.username.as_deref())
        .bind(e.kind.as_str())
        .bind(e.front_end.as_str())
        .bind(e.client_addr.as_deref())
        .bind(e.reason.as_deref())
        .bind(e.actor.as_deref())
        .execute(ex)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// The connection pool (for whole-database copies).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction, on the one writer connection.
    async fn begin(&self) -> Result<Transaction<'_, Sqlite>, CoreError> {
        self.writer.begin().await.map_err(db_error)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), CoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn create_user(&self, u: &NewUser, audit: &AuditEvent) -> Result<UserRecord, CoreError> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO users (id, associate_id, username, username_folded, email, email_folded, \
             full_name, role, password_hash, password_changed_at, credential_version, \
             must_change_password, created_at) \
             VALUES (?, (SELECT COALESCE(MAX(associate_id), 0) + 1 FROM users), ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?) \
             RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(u.id.to_string())
            .bind(u.username.as_str())
            .bind(u.username.folded())
            .bind(u.email.as_ref().map(Email::as_str))
            .bind(u.email.as_ref().map(Email::folded))
            .bind(u.full_name.as_ref().map(|n| n.as_str()))
            .bind(u.role.as_str())
            .bind(&u.password_hash)
            .bind(u.created_at.0)
            .bind(u.created_at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let record = sqlite_rows::user(&row)?;
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn find_user(&self, by: UserLookup<'_>) -> Result<Option<UserRecord>, CoreError> {
        if let Some(found) = self.fast.as_ref().and_then(|f| f.find_user(by)) {
            return found;
        }
        let (column, value) = match by {
            UserLookup::Id(id) => ("id", id.to_string()),
            UserLookup::Associate(a) => ("associate_id", a.get().to_string()),
            UserLookup::Name(n) => ("username_folded", n.folded()),
        };
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?");
        let q = sqlx::query(&sql);
        let q = match by {
            UserLookup::Associate(a) => q.bind(i64::from(a.get())),
            _ => q.bind(value),
        };
        let row = q.fetch_optional(&self.pool).await.map_err(db_error)?;
        row.as_ref().map(sqlite_rows::user).transpose()
    }

    async fn find_users_by_email(&self, email: &Email) -> Result<Vec<UserRecord>, CoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email_folded = ? ORDER BY associate_id LIMIT 2"
        );
        let rows = sqlx::query(&sql)
            .bind(email.folded())
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(sqlite_rows::user).collect()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, CoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY associate_id");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(sqlite_rows::user).collect()
    }

    async fn rehash_password(
        &self,
        user_id: UserId,
        expected_version: i64,
        new_hash: &str,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = ? WHERE id = ? AND credential_version = ?",
        )
        .bind(new_hash)
        .bind(user_id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected()
            == 1;
        if done {
            Self::insert_audit(&mut *tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(done)
    }

    async fn commit_password_change(&self, c: &PasswordChange) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let user_id = c.user_id.to_string();
        // History first: it is a write, so the transaction takes SQLite's write lock at once.
        sqlx::query(
            "INSERT INTO password_history (user_id, password_hash, created_at) \
             SELECT id, password_hash, ? FROM users WHERE id = ? AND credential_version = ?",
        )
        .bind(c.at.0)
        .bind(&user_id)
        .bind(c.expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let swapped = sqlx::query(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, \
             credential_version = credential_version + 1, must_change_password = ? \
             WHERE id = ? AND credential_version = ?",
        )
        .bind(&c.new_hash)
        .bind(c.at.0)
        .bind(c.must_change)
        .bind(&user_id)
        .bind(c.expected_version)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected()
            == 1;
        if !swapped {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE sessions SET revoked_at = ? \
             WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?",
        )
        .bind(c.at.0)
        .bind(&user_id)
        .bind(c.keep_session.map(|s| s.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "DELETE FROM password_history WHERE user_id = ? AND rowid NOT IN \
             (SELECT rowid FROM password_history WHERE user_id = ? \
              ORDER BY created_at DESC, rowid DESC LIMIT ?)",
        )
        .bind(&user_id)
        .bind(&user_id)
        .bind(MAX_HISTORY as i64)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::insert_audit(&mut *tx, &c.audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn change_user(
        &self,
        change: &UserChange,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let found = match change {
            UserChange::Rename(id, name) => {
                sqlx::query("UPDATE users SET username = ?, username_folded = ? WHERE id = ?")
                    .bind(name.as_str())
                    .bind(name.folded())
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
            }
            UserChange::Expire(id, at) => {
                let r = sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = ?")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await;
                if matches!(&r, Ok(done) if done.rows_affected() == 1) {
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                    )
                    .bind(at.0)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }
                r
            }
            UserChange::Delete(id) => {
                sqlx::query("DELETE FROM users WHERE id = ?")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
            }
        }
        .map_err(db_error)?
        .rows_affected()
            == 1;
        if !found {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn insert_app_token(
        &self,
        t: &AppTokenRecord,
        audit: &AuditEvent,
    ) -> Result<(), CoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO app_tokens (name, token_sha256, created_at, revoked_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&t.name)
        .bind(t.token_hash.as_str())
        .bind(t.created_at.0)
        .bind(t.revoked_at.map(|r| r.0))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn find_app_token(&self, hash: &TokenHash) -> Result<Option<AppTokenRecord>, CoreError> {
        sqlx::query(
            "SELECT name, token_sha256, created_at, revoked_at FROM app_tokens WHERE token_sha256 = ?",
        )
        .bind(hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .map(|r| sqlite_rows::app_token(&r))
        .transpose()
    }

    async fn list_app_tokens(&self) -> Result<Vec<AppTokenRecord>, CoreError> {
        sqlx::query(
            "SELECT name, token_sha256, created_at, revoked_at FROM app_tokens ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?
        .iter()
        .map(sqlite_rows::app_token)
        .collect()
    }

    async fn revoke_app_token(
        &self,
        name: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(
            "UPDATE app_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        )
        .bind(at.0)
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?
        .rows_affected()
            == 1;
        if !found {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn password_history(
        &self,
        user_id: UserId,
        limit: usize,
    ) -> Result<Vec<String>, CoreError> {
        let limit = i64::try_from(limit.min(MAX_HISTORY)).unwrap_or(0);
        sqlx::query_scalar(
            "SELECT password_hash FROM password_history WHERE user_id = ? \
             ORDER BY created_at DESC, rowid DESC LIMIT ?",
        )
        .bind(user_id.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn insert_session(&self, s: &NewSession, audit: &AuditEvent) -> Result<(), CoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_sha256, kind, created_at, last_seen_at, \
             expires_at, revoked_at, client_addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        )
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.token_hash.as_str())
        .bind(s.kind.as_str())
        .bind(s.created_at.0)
        .bind(s.created_at.0)
        .bind(s.expires_at.0)
        .bind(s.client_addr.as_deref())
        .bind(s.user_agent.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(())
    }

    async fn find_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<SessionRecord>, CoreError> {
        if let Some(found) = self.fast.as_ref().and_then(|f| f.find_session(token_hash)) {
            return found;
        }
        let row = sqlx::query(
            "SELECT id, user_id, kind, created_at, last_seen_at, expires_at, revoked_at \
             FROM sessions WHERE token_sha256 = ?",
        )
        .bind(token_hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(sqlite_rows::session).transpose()
    }

    async fn touch_session(
        &self,
        id: uuid::Uuid,
        last_seen_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), CoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = ?, expires_at = MAX(expires_at, ?) \
             WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(last_seen_at.0)
        .bind(expires_at.0)
        .bind(id.to_string())
        .execute(&self.writer)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn revoke_session(
        &self,
        id: uuid::Uuid,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let done =
            sqlx::query("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(at.0)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected()
                == 1;
        if done {
            Self::insert_audit(&mut *tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(done)
    }

    async fn throttle_rows(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, ThrottleRow)>, CoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(found) = self.fast.as_ref().and_then(|f| f.throttle_rows(keys)) {
            return found;
        }
        // One query for all keys (an account and an address): one round trip.
        let marks = vec!["?"; keys.len()].join(", ");
        let sql = format!(
            "SELECT key, failures, window_start, blocked_until FROM throttle WHERE key IN ({marks})"
        );
        let mut q = sqlx::query(&sql);
        for key in keys {
            q = q.bind(key);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db_error)?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            found.push((column::<String>(r, "key")?, sqlite_rows::throttle(r)?));
        }
        // In the order asked for.
        Ok(keys
            .iter()
            .filter_map(|k| found.iter().find(|(f, _)| f == k).cloned())
            .collect())
    }

    async fn bump_throttle(
        &self,
        key: &str,
        next: &(dyn Fn(ThrottleRow) -> ThrottleRow + Send + Sync),
    ) -> Result<ThrottleRow, CoreError> {
        let mut tx = self.begin().await?;
        // A write first, so the transaction holds SQLite's write lock before it reads.
        sqlx::query(
            "INSERT INTO throttle (key, failures, window_start, blocked_until) VALUES (?, 0, 0, NULL) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let row =
            sqlx::query("SELECT failures, window_start, blocked_until FROM throttle WHERE key = ?")
                .bind(key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
        let new = next(sqlite_rows::throttle(&row)?);
        sqlx::query(
            "UPDATE throttle SET failures = ?, window_start = ?, blocked_until = ? WHERE key = ?",
        )
        .bind(i64::from(new.failures))
        .bind(new.window_start.0)
        .bind(new.blocked_until.map(|t| t.0))
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(new)
    }

    async fn clear_throttle(&self, key: &str) -> Result<(), CoreError> {
        sqlx::query("DELETE FROM throttle WHERE key = ?")
            .bind(key)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn set_lock(
        &self,
        user_id: UserId,
        until: Option<Timestamp>,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query("UPDATE users SET locked_until = ? WHERE id = ?")
            .bind(until.map(|t| t.0))
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected()
            == 1;
        if !found {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        if until.is_some() {
            sqlx::query(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            )
            .bind(at.0)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn list_sessions(
        &self,
        user: Option<UserId>,
        include_dead: bool,
        now: Timestamp,
    ) -> Result<Vec<SessionListing>, CoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, \
                    s.client_addr, u.username \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE (? IS NULL OR s.user_id = ?) \
               AND (? OR (s.revoked_at IS NULL AND s.expires_at > ?)) \
             ORDER BY s.created_at DESC",
        )
        .bind(user.map(|u| u.to_string()))
        .bind(user.map(|u| u.to_string()))
        .bind(include_dead)
        .bind(now.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(SessionListing {
                    session: sqlite_rows::session(r)?,
                    username: column(r, "username")?,
                    client_addr: column(r, "client_addr")?,
                })
            })
            .collect()
    }

    async fn revoke_sessions(
        &self,
        scope: RevokeScope,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<u64, CoreError> {
        let mut tx = self.begin().await?;
        let (column, value) = match scope {
            RevokeScope::Session(id) => ("id", id.to_string()),
            RevokeScope::User(u) => ("user_id", u.to_string()),
        };
        let sql =
            format!("UPDATE sessions SET revoked_at = ? WHERE {column} = ? AND revoked_at IS NULL");
        let n = sqlx::query(&sql)
            .bind(at.0)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
        if n > 0 {
            Self::insert_audit(&mut *tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(n)
    }

    async fn append_audit(&self, event: &AuditEvent) -> Result<(), CoreError> {
        // One statement is its own transaction: no BEGIN and COMMIT round trips.
        Self::insert_audit(&self.writer, event).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>, CoreError> {
        let rows = sqlx::query(
            "SELECT id, at, user_id, username, event, front_end, client_addr, reason, actor FROM ( \
               SELECT * FROM audit_events \
               WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR at >= ?) \
               ORDER BY id DESC LIMIT ?) ORDER BY id",
        )
        .bind(f.user_id.map(|u| u.to_string()))
        .bind(f.user_id.map(|u| u.to_string()))
        .bind(f.since.map(|t| t.0))
        .bind(f.since.map(|t| t.0))
        .bind(f.limit.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(sqlite_rows::audit).collect()
    }
}
