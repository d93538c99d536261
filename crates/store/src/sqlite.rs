//! SQLite backend: one file, WAL journal, busy timeout, foreign keys on.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use passgate_core::audit::{AuditEvent, AuditRecord};
use passgate_core::credential::policy::MAX_HISTORY;
use passgate_core::domain::{Email, TokenHash, UserId};
use passgate_core::outbox::{
    MailResult, MailState, NewResetToken, OutboxMail, OutboxRecord, ResetTokenRecord,
};
use passgate_core::store::{
    AppTokenRecord, AuditFilter, ImportedUser, NewSession, NewUser, PasswordChange, RevokeScope,
    SessionListing, SessionRecord, Store, ThrottleRow, ThrottleUpdate, UserChange, UserLookup,
    UserRecord,
};
use passgate_core::store::{OwnSessions, UserSession};
use passgate_core::{CoreError, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;

use crate::rows::sqlite_rows::{self, column};
use crate::rows::{db_error, USER_COLUMNS};
use crate::sqlite_fast::{throttle_row, user_row, FastReader};
use crate::sqlite_outbox;
use crate::sqlite_writer::{Outcome, Writer};
use crate::PoolSettings;

/// The writer's page cache while it imports users, in KiB (as a negative `cache_size`).
const IMPORT_CACHE_KIB: i64 = -131_072;

/// The SQLite store.
///
/// Reads go through a pool of connections; every write goes to one writer thread
/// ([`crate::sqlite_writer`]), which runs each transaction whole. SQLite allows one writer at
/// a time, and a connection that finds the write lock taken waits in SQLite's busy handler,
/// which sleeps (1, 2, 5, 10 … ms) and retries. With one writer, the writers of this process
/// queue for it in FIFO order instead, so a burst of cheap writes (audit rows of refused
/// attempts) cannot push another request's write into those sleeps. The busy timeout still
/// applies against other processes (the command-line tools) writing the same file.
///
/// The hottest point reads (a session by token, a user, throttle counters) first try a
/// synchronous connection of their own ([`crate::sqlite_fast`]), which skips sqlx's hand-over
/// to a connection thread.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Writer,
    fast: Arc<FastReader>,
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
        let readers = open(pool.max_connections).await.map_err(|e| {
            CoreError::Storage(format!(
                "cannot open SQLite database {}: {e}",
                options.get_filename().display()
            ))
        })?;
        // The file exists now (the pool created it). The writer and the fast readers open it
        // again with rusqlite; an in-memory database has no file they could share (and with
        // sqlx alone each pooled connection would get its own empty one).
        let file = options.get_filename();
        if url.contains(":memory:") || url.contains("mode=memory") || !file.is_file() {
            return Err(CoreError::InvalidInput(
                "SQLite needs a database file (sqlite://FILE); in-memory databases are not supported"
                    .into(),
            ));
        }
        let writer = Writer::open(file).await?;
        let fast = Arc::new(FastReader::new(file));
        Ok(SqliteStore {
            pool: readers,
            writer,
            fast,
        })
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), CoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await
            .map_err(|e| CoreError::Storage(format!("migration failed: {e}")))
    }

    /// Appends `e` to the audit trail inside the writer's transaction.
    fn insert_audit(tx: &Connection, e: &AuditEvent) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO audit_events (at, user_id, username, event, front_end, client_addr, reason, actor) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            e.at.0,
            e.user_id.map(|u| u.to_string()),
            e.username.as_deref(),
            e.kind.as_str(),
            e.front_end.as_str(),
            e.client_addr.as_deref(),
            e.reason.as_deref(),
            e.actor.as_deref(),
        ])?;
        Ok(())
    }

    /// Runs `sql` (an update of at most one row) in a write transaction and, when it changed
    /// exactly that row, appends `audit` in the same transaction. Answers whether it did.
    async fn update_one_audited<P>(
        &self,
        sql: &'static str,
        params: P,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError>
    where
        P: rusqlite::Params + Send + 'static,
    {
        let audit = audit.clone();
        self.writer
            .transaction(move |tx| {
                let done = tx.prepare_cached(sql)?.execute(params)? == 1;
                if done {
                    Self::insert_audit(tx, &audit)?;
                }
                Ok(Outcome::Commit(done))
            })
            .await
    }

    /// The connection pool (for whole-database copies).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
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
        let (u, audit) = (u.clone(), audit.clone());
        self.writer
            .transaction(move |tx| {
                let row = tx
                    .prepare_cached(&format!(
                        "INSERT INTO users (id, associate_id, username, username_folded, email, \
                         email_folded, full_name, role, password_hash, password_changed_at, \
                         credential_version, must_change_password, created_at) \
                         VALUES (?1, (SELECT COALESCE(MAX(associate_id), 0) + 1 FROM users), \
                         ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, 0, ?10) RETURNING {USER_COLUMNS}"
                    ))?
                    .query_row(
                        params![
                            u.id.to_string(),
                            u.username.as_str(),
                            u.username.folded(),
                            u.email.as_ref().map(Email::as_str),
                            u.email.as_ref().map(Email::folded),
                            u.full_name.as_ref().map(|n| n.as_str()),
                            u.role.as_str(),
                            &u.password_hash,
                            u.created_at.0,
                            u.created_at.0,
                        ],
                        user_row,
                    )?;
                // Checked before the commit: a row the core cannot use is not kept.
                let record = row.into_record()?;
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(record))
            })
            .await
    }

    async fn import_users(
        &self,
        users: &[ImportedUser],
        audit: &AuditEvent,
    ) -> Result<Vec<bool>, CoreError> {
        let (users, audit) = (users.to_vec(), audit.clone());
        self.writer
            .transaction(move |tx| {
                // Random UUID keys put each insert on a random page of the primary key's
                // index: a page cache that holds the indexes of a million users (64 MiB, on
                // this connection only) keeps a large import from rereading them for every
                // row.
                tx.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
                let mut next: i64 = tx
                    .prepare_cached("SELECT COALESCE(MAX(associate_id), 0) + 1 FROM users")?
                    .query_row([], |r| r.get(0))?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO users (id, associate_id, username, username_folded, email, \
                     email_folded, full_name, role, password_hash, password_changed_at, \
                     credential_version, must_change_password, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12) \
                     ON CONFLICT (username_folded) DO NOTHING",
                )?;
                let mut inserted = Vec::with_capacity(users.len());
                for i in &users {
                    let u = &i.user;
                    let n = insert.execute(params![
                        u.id.to_string(),
                        next,
                        u.username.as_str(),
                        u.username.folded(),
                        u.email.as_ref().map(Email::as_str),
                        u.email.as_ref().map(Email::folded),
                        u.full_name.as_ref().map(|n| n.as_str()),
                        u.role.as_str(),
                        &u.password_hash,
                        i.password_changed_at.0,
                        i.must_change,
                        u.created_at.0,
                    ])?;
                    if n == 1 {
                        next += 1;
                    }
                    inserted.push(n == 1);
                }
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(inserted))
            })
            .await
    }

    async fn password_scheme_counts(&self) -> Result<Vec<(String, u64)>, CoreError> {
        let rows = sqlx::query(
            "SELECT CASE WHEN substr(password_hash, 1, 1) = '$' \
                    THEN substr(password_hash, 1, instr(substr(password_hash, 2), '$') + 1) \
                    ELSE substr(password_hash, 1, instr(password_hash, '$')) END AS scheme, \
                    COUNT(*) AS n \
             FROM users GROUP BY scheme ORDER BY scheme",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let scheme: String = column(r, "scheme")?;
                let n: i64 = column(r, "n")?;
                Ok((scheme, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    async fn find_user(&self, by: UserLookup<'_>) -> Result<Option<UserRecord>, CoreError> {
        if let Some(found) = self.fast.find_user(by) {
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
        self.update_one_audited(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND credential_version = ?3",
            (new_hash.to_owned(), user_id.to_string(), expected_version),
            audit,
        )
        .await
    }

    async fn commit_password_change(&self, c: &PasswordChange) -> Result<bool, CoreError> {
        let c = c.clone();
        self.writer
            .transaction(move |tx| {
                let user_id = c.user_id.to_string();
                tx.prepare_cached(
                    "INSERT INTO password_history (user_id, password_hash, created_at) \
                     SELECT id, password_hash, ?1 FROM users WHERE id = ?2 AND credential_version = ?3",
                )?
                .execute(params![c.at.0, &user_id, c.expected_version])?;
                let swapped = tx
                    .prepare_cached(
                        "UPDATE users SET password_hash = ?1, password_changed_at = ?2, \
                         credential_version = credential_version + 1, must_change_password = ?3 \
                         WHERE id = ?4 AND credential_version = ?5",
                    )?
                    .execute(params![
                        &c.new_hash,
                        c.at.0,
                        c.must_change,
                        &user_id,
                        c.expected_version
                    ])?
                    == 1;
                if !swapped {
                    return Ok(Outcome::Rollback(false));
                }
                tx.prepare_cached(
                    "UPDATE sessions SET revoked_at = ?1 \
                     WHERE user_id = ?2 AND revoked_at IS NULL AND id IS NOT ?3",
                )?
                .execute(params![
                    c.at.0,
                    &user_id,
                    c.keep_session.map(|s| s.to_string())
                ])?;
                tx.prepare_cached(
                    "DELETE FROM password_history WHERE user_id = ?1 AND rowid NOT IN \
                     (SELECT rowid FROM password_history WHERE user_id = ?1 \
                      ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
                )?
                .execute(params![&user_id, MAX_HISTORY as i64])?;
                sqlite_outbox::spend_tokens(tx, &user_id, c.at)?;
                for mail in &c.mail {
                    sqlite_outbox::insert_mail(tx, mail)?;
                }
                Self::insert_audit(tx, &c.audit)?;
                Ok(Outcome::Commit(true))
            })
            .await
    }

    async fn change_user(
        &self,
        change: &UserChange,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let (change, audit) = (change.clone(), audit.clone());
        self.writer
            .transaction(move |tx| {
                let found = match &change {
                    UserChange::Rename(id, name) => tx
                        .prepare_cached(
                            "UPDATE users SET username = ?1, username_folded = ?2 WHERE id = ?3",
                        )?
                        .execute(params![name.as_str(), name.folded(), id.to_string()])?,
                    UserChange::Expire(id, at) => {
                        let n = tx
                            .prepare_cached(
                                "UPDATE users SET must_change_password = 1 WHERE id = ?1",
                            )?
                            .execute([id.to_string()])?;
                        if n == 1 {
                            tx.prepare_cached(
                                "UPDATE sessions SET revoked_at = ?1 \
                                 WHERE user_id = ?2 AND revoked_at IS NULL",
                            )?
                            .execute(params![at.0, id.to_string()])?;
                        }
                        n
                    }
                    UserChange::Delete(id) => tx
                        .prepare_cached("DELETE FROM users WHERE id = ?1")?
                        .execute([id.to_string()])?,
                } == 1;
                if !found {
                    return Ok(Outcome::Rollback(false));
                }
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(true))
            })
            .await
    }

    async fn insert_app_token(
        &self,
        t: &AppTokenRecord,
        audit: &AuditEvent,
    ) -> Result<(), CoreError> {
        let (t, audit) = (t.clone(), audit.clone());
        self.writer
            .transaction(move |tx| {
                tx.prepare_cached(
                    "INSERT INTO app_tokens (name, token_sha256, created_at, revoked_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    &t.name,
                    t.token_hash.as_str(),
                    t.created_at.0,
                    t.revoked_at.map(|r| r.0)
                ])?;
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(()))
            })
            .await
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
        self.update_one_audited(
            "UPDATE app_tokens SET revoked_at = ?1 WHERE name = ?2 AND revoked_at IS NULL",
            (at.0, name.to_owned()),
            audit,
        )
        .await
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

    async fn insert_session(&self, s: &NewSession, audit: &AuditEvent) -> Result<bool, CoreError> {
        let (s, audit) = (s.clone(), audit.clone());
        self.writer
            .transaction(move |tx| {
                // Compare-and-swap on the credential the login verified: the row is written
                // only while the user still has that version and no lock, inside the one
                // writer's transaction, so no change or lock can commit in between.
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO sessions (id, user_id, token_sha256, kind, created_at, \
                         last_seen_at, expires_at, revoked_at, client_addr, user_agent) \
                         SELECT ?1, id, ?3, ?4, ?5, ?5, ?6, NULL, ?7, ?8 FROM users \
                         WHERE id = ?2 AND credential_version = ?9 \
                         AND (locked_until IS NULL OR locked_until <= ?5)",
                    )?
                    .execute(params![
                        s.id.to_string(),
                        s.user_id.to_string(),
                        s.token_hash.as_str(),
                        s.kind.as_str(),
                        s.created_at.0,
                        s.expires_at.0,
                        s.client_addr.as_deref(),
                        s.user_agent.as_deref(),
                        s.credential_version,
                    ])?;
                if inserted == 0 {
                    return Ok(Outcome::Rollback(false));
                }
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(true))
            })
            .await
    }

    async fn find_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<SessionRecord>, CoreError> {
        if let Some(found) = self.fast.find_session(token_hash) {
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
        // One statement is its own transaction.
        self.writer
            .run(move |conn| {
                conn.prepare_cached(
                    "UPDATE sessions SET last_seen_at = ?1, expires_at = MAX(expires_at, ?2) \
                     WHERE id = ?3 AND revoked_at IS NULL",
                )?
                .execute(params![last_seen_at.0, expires_at.0, id.to_string()])?;
                Ok(())
            })
            .await
    }

    async fn revoke_session(
        &self,
        id: uuid::Uuid,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        self.update_one_audited(
            "UPDATE sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
            (at.0, id.to_string()),
            audit,
        )
        .await
    }

    async fn throttle_rows(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, ThrottleRow)>, CoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(found) = self.fast.throttle_rows(keys) {
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
        next: ThrottleUpdate,
    ) -> Result<ThrottleRow, CoreError> {
        let key = key.to_owned();
        self.writer
            .transaction(move |tx| {
                let old = tx
                    .prepare_cached(
                        "SELECT failures, window_start, blocked_until FROM throttle WHERE key = ?1",
                    )?
                    .query_row([&key], throttle_row)
                    .optional()?
                    .unwrap_or(ThrottleRow {
                        failures: 0,
                        window_start: Timestamp(0),
                        blocked_until: None,
                    });
                let new = next(old);
                tx.prepare_cached(
                    "INSERT INTO throttle (key, failures, window_start, blocked_until) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET \
                     failures = excluded.failures, window_start = excluded.window_start, \
                     blocked_until = excluded.blocked_until",
                )?
                .execute(params![
                    &key,
                    i64::from(new.failures),
                    new.window_start.0,
                    new.blocked_until.map(|t| t.0)
                ])?;
                Ok(Outcome::Commit(new))
            })
            .await
    }

    async fn clear_throttle(&self, key: &str) -> Result<(), CoreError> {
        let key = key.to_owned();
        self.writer
            .run(move |conn| {
                conn.prepare_cached("DELETE FROM throttle WHERE key = ?1")?
                    .execute([key])?;
                Ok(())
            })
            .await
    }

    async fn set_lock(
        &self,
        user_id: UserId,
        until: Option<Timestamp>,
        at: Timestamp,
        audit: &AuditEvent,
        mail: &[OutboxMail],
    ) -> Result<bool, CoreError> {
        let (audit, mail) = (audit.clone(), mail.to_vec());
        self.writer
            .transaction(move |tx| {
                let id = user_id.to_string();
                let found = tx
                    .prepare_cached("UPDATE users SET locked_until = ?1 WHERE id = ?2")?
                    .execute(params![until.map(|t| t.0), &id])?
                    == 1;
                if !found {
                    return Ok(Outcome::Rollback(false));
                }
                if until.is_some() {
                    tx.prepare_cached(
                        "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                    )?
                    .execute(params![at.0, &id])?;
                }
                for m in &mail {
                    sqlite_outbox::insert_mail(tx, m)?;
                }
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(true))
            })
            .await
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
        let audit = audit.clone();
        self.writer
            .transaction(move |tx| {
                let (sql, value) = match scope {
                    RevokeScope::Session(id) => (
                        "UPDATE sessions SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                        id.to_string(),
                    ),
                    RevokeScope::User(u) => (
                        "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                        u.to_string(),
                    ),
                };
                let n = tx.prepare_cached(sql)?.execute(params![at.0, value])?;
                if n > 0 {
                    Self::insert_audit(tx, &audit)?;
                }
                Ok(Outcome::Commit(n as u64))
            })
            .await
    }

    async fn append_audit(&self, event: &AuditEvent) -> Result<(), CoreError> {
        // One statement is its own transaction: no BEGIN and COMMIT.
        let event = event.clone();
        self.writer
            .run(move |conn| Ok(Self::insert_audit(conn, &event)?))
            .await
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

    async fn insert_reset_token(
        &self,
        token: &NewResetToken,
        mail: Option<&OutboxMail>,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let (token, mail, audit) = (token.clone(), mail.cloned(), audit.clone());
        self.writer
            .transaction(move |tx| {
                if !sqlite_outbox::insert_token(tx, &token, mail.as_ref())? {
                    return Ok(Outcome::Rollback(false));
                }
                Self::insert_audit(tx, &audit)?;
                Ok(Outcome::Commit(true))
            })
            .await
    }

    async fn find_reset_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<ResetTokenRecord>, CoreError> {
        let hash = hash.clone();
        self.writer
            .run(move |conn| Ok(sqlite_outbox::find_token(conn, &hash)?))
            .await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError> {
        self.writer
            .transaction(move |tx| {
                Ok(Outcome::Commit(sqlite_outbox::claim(
                    tx,
                    now,
                    lease_until,
                    limit,
                )?))
            })
            .await
    }

    async fn finish_mail(&self, id: uuid::Uuid, result: &MailResult) -> Result<(), CoreError> {
        let result = result.clone();
        self.writer
            .run(move |conn| Ok(sqlite_outbox::finish(conn, id, &result)?))
            .await
    }

    async fn list_mail(
        &self,
        state: Option<MailState>,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError> {
        self.writer
            .run(move |conn| Ok(sqlite_outbox::list(conn, state, limit)?))
            .await
    }

    async fn retry_mail(&self, id: Option<uuid::Uuid>, now: Timestamp) -> Result<u64, CoreError> {
        self.writer
            .run(move |conn| Ok(sqlite_outbox::retry(conn, id, now)?))
            .await
    }

    async fn mail_counts(&self) -> Result<Vec<(MailState, u64)>, CoreError> {
        self.writer
            .run(move |conn| Ok(sqlite_outbox::counts(conn)?))
            .await
    }

    async fn user_sessions(
        &self,
        user: UserId,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<UserSession>, CoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, kind, created_at, last_seen_at, expires_at, revoked_at, \
                    client_addr, user_agent \
             FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? \
             ORDER BY created_at DESC LIMIT ?",
        )
        .bind(user.to_string())
        .bind(now.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(UserSession {
                    session: sqlite_rows::session(r)?,
                    client_addr: column(r, "client_addr")?,
                    user_agent: column(r, "user_agent")?,
                })
            })
            .collect()
    }

    async fn revoke_own_sessions(
        &self,
        user: UserId,
        which: OwnSessions,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<u64, CoreError> {
        let audit = audit.clone();
        self.writer
            .transaction(move |tx| {
                let (sql, id) = match which {
                    OwnSessions::One(id) => (
                        "UPDATE sessions SET revoked_at = ?1 \
                         WHERE user_id = ?2 AND id = ?3 AND revoked_at IS NULL",
                        id,
                    ),
                    OwnSessions::AllBut(id) => (
                        "UPDATE sessions SET revoked_at = ?1 \
                         WHERE user_id = ?2 AND id <> ?3 AND revoked_at IS NULL",
                        id,
                    ),
                };
                let n = tx.prepare_cached(sql)?.execute(params![
                    at.0,
                    user.to_string(),
                    id.to_string()
                ])?;
                if n > 0 {
                    Self::insert_audit(tx, &audit)?;
                }
                Ok(Outcome::Commit(n as u64))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_memory_databases_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let existing = dir.path().join("x.db");
        std::fs::write(&existing, b"")?;
        for url in [
            "sqlite::memory:".to_owned(),
            format!("sqlite://{}?mode=memory", existing.display()),
        ] {
            let refused = SqliteStore::connect(&url, &PoolSettings::default()).await;
            assert!(
                matches!(&refused, Err(CoreError::InvalidInput(m)) if m.contains("in-memory")),
                "{url}"
            );
        }
        let file = format!("sqlite://{}", dir.path().join("y.db").display());
        assert!(SqliteStore::connect(&file, &PoolSettings::default())
            .await
            .is_ok());
        Ok(())
    }
}
