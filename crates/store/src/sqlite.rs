//! SQLite backend: one file, WAL journal, busy timeout, foreign keys on; one driver
//! (rusqlite) for the writer thread, the inline point reads and the blocking readers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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

use crate::rows::USER_COLUMNS;
use crate::sqlite_fast::{point, FastReader};
use crate::sqlite_read::{corrupt, Readers};
use crate::sqlite_rows::{
    app_token_row, audit_row, session_row, throttle_row, user_row, APP_TOKEN_COLUMNS,
    AUDIT_COLUMNS, SESSION_COLUMNS,
};
use crate::sqlite_url::SqliteUrl;
use crate::sqlite_writer::{Outcome, Writer};
use crate::{sqlite_migrate, sqlite_outbox, PoolSettings};

/// The writer's page cache while it imports users, in KiB (as a negative `cache_size`).
const IMPORT_CACHE_KIB: i64 = -131_072;

/// The SQLite store.
///
/// Every write goes to one writer thread ([`crate::sqlite_writer`]), which runs each
/// transaction whole. SQLite allows one writer at a time, and a connection that finds the
/// write lock taken waits in SQLite's busy handler, which sleeps (1, 2, 5, 10 … ms) and
/// retries. With one writer, the writers of this process queue for it in FIFO order instead,
/// so a burst of cheap writes (audit rows of refused attempts) cannot push another request's
/// write into those sleeps. The busy timeout still applies against other processes (the
/// command-line tools) writing the same file.
///
/// The hottest point reads (a session by token, a user, throttle counters) run inline on a
/// connection of their own ([`crate::sqlite_fast`]); every other read, and a point read that
/// could not start at once, runs on a blocking thread ([`crate::sqlite_read`]).
#[derive(Clone)]
pub struct SqliteStore {
    file: PathBuf,
    readers: Readers,
    writer: Writer,
    fast: Arc<FastReader>,
}

impl SqliteStore {
    /// Opens (creating if missing, unless `mode=rw`) the database at `url`, e.g.
    /// `sqlite://passgate.db`. Of `pool`, the connection limit and acquire timeout apply to
    /// the readers (SQLite has no statement timeout; writers wait on the busy timeout).
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, CoreError> {
        let url = SqliteUrl::parse(url)?;
        if !url.create && !url.file.is_file() {
            return Err(CoreError::Storage(format!(
                "cannot open SQLite database {}: no such file (mode=rw)",
                url.file.display()
            )));
        }
        let writer = Writer::open(&url.file).await?;
        Ok(SqliteStore {
            readers: Readers::new(&url.file, pool),
            fast: Arc::new(FastReader::new(&url.file)),
            file: url.file,
            writer,
        })
    }

    /// Applies pending migrations (idempotent; see [`crate::sqlite_migrate`]).
    pub async fn migrate(&self) -> Result<(), CoreError> {
        self.writer
            .run(|conn| Ok(sqlite_migrate::migrate(conn).map_err(CoreError::from)?))
            .await
    }

    /// The database file (for whole-database copies, which open their own connections).
    pub(crate) fn file(&self) -> &Path {
        &self.file
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
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), CoreError> {
        self.readers
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())))
            .await
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
        self.readers
            .read(|c| {
                c.prepare(
                    "SELECT CASE WHEN substr(password_hash, 1, 1) = '$' \
                        THEN substr(password_hash, 1, instr(substr(password_hash, 2), '$') + 1) \
                        ELSE substr(password_hash, 1, instr(password_hash, '$')) END AS scheme, \
                        COUNT(*) AS n \
                     FROM users GROUP BY scheme ORDER BY scheme",
                )?
                .query_map([], |r| {
                    Ok((r.get(0)?, u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
                })?
                .collect()
            })
            .await
    }

    async fn find_user(&self, by: UserLookup<'_>) -> Result<Option<UserRecord>, CoreError> {
        if let Some(found) = self.fast.find_user(by) {
            return found;
        }
        let key = point::UserKey::of(by);
        self.readers.read(move |c| point::user(c, &key)).await
    }

    async fn find_users_by_email(&self, email: &Email) -> Result<Vec<UserRecord>, CoreError> {
        let folded = email.folded();
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE email_folded = ?1 \
                     ORDER BY associate_id LIMIT 2"
                ))?
                .query_map([folded], |r| user_row(r)?.into_record().map_err(corrupt))?
                .collect()
            })
            .await
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, CoreError> {
        self.readers
            .read(|c| {
                c.prepare(&format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY associate_id"
                ))?
                .query_map([], |r| user_row(r)?.into_record().map_err(corrupt))?
                .collect()
            })
            .await
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
        if let Some(found) = self.fast.find_app_token(hash) {
            return found;
        }
        let hash = hash.as_str().to_owned();
        self.readers.read(move |c| point::app_token(c, &hash)).await
    }

    async fn list_app_tokens(&self) -> Result<Vec<AppTokenRecord>, CoreError> {
        self.readers
            .read(|c| {
                c.prepare(&format!(
                    "SELECT {APP_TOKEN_COLUMNS} FROM app_tokens ORDER BY name"
                ))?
                .query_map([], app_token_row)?
                .collect()
            })
            .await
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
        if let Some(found) = self.fast.password_history(user_id, limit) {
            return found;
        }
        let user = user_id.to_string();
        self.readers
            .read(move |c| point::history(c, &user, limit))
            .await
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
        let hash = token_hash.as_str().to_owned();
        self.readers.read(move |c| point::session(c, &hash)).await
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
        let keys = keys.to_vec();
        self.readers.read(move |c| point::throttle(c, &keys)).await
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
        let user = user.map(|u| u.to_string());
        self.readers
            .read(move |c| {
                c.prepare(
                    "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at, \
                            s.revoked_at, s.client_addr, u.username \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE (?1 IS NULL OR s.user_id = ?1) \
                       AND (?2 OR (s.revoked_at IS NULL AND s.expires_at > ?3)) \
                     ORDER BY s.created_at DESC",
                )?
                .query_map(params![user, include_dead, now.0], |r| {
                    Ok(SessionListing {
                        session: session_row(r)?.into_record().map_err(corrupt)?,
                        client_addr: r.get(7)?,
                        username: r.get(8)?,
                    })
                })?
                .collect()
            })
            .await
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
        let user = f.user_id.map(|u| u.to_string());
        let since = f.since.map(|t| t.0);
        let limit = f.limit.unwrap_or(i64::MAX);
        self.readers
            .read(move |c| {
                c.prepare(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM ( \
                       SELECT * FROM audit_events \
                       WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR at >= ?2) \
                       ORDER BY id DESC LIMIT ?3) ORDER BY id"
                ))?
                .query_map(params![user, since, limit], audit_row)?
                .collect()
            })
            .await
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
        let user = user.to_string();
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS}, client_addr, user_agent \
                     FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
                     ORDER BY created_at DESC LIMIT ?3"
                ))?
                .query_map(params![user, now.0, i64::from(limit)], |r| {
                    Ok(UserSession {
                        session: session_row(r)?.into_record().map_err(corrupt)?,
                        client_addr: r.get(7)?,
                        user_agent: r.get(8)?,
                    })
                })?
                .collect()
            })
            .await
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
