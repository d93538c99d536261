//! PostgreSQL backend: one database shared by every passgate node.
//!
//! Transactions run at READ COMMITTED. Where SQLite relies on its single writer, this
//! backend makes the race explicit: the password compare-and-swap locks the user row and
//! re-checks `credential_version`, a throttle bump locks its counter row, and associate id
//! allocation (max + 1, as in SQLite) holds a transaction-scoped advisory lock, so
//! concurrent requests on different nodes neither lose updates nor fail spuriously.

use std::str::FromStr;

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
use sqlx::postgres::PgArguments;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{ConnectOptions, Connection, Postgres, Transaction};

use crate::postgres_outbox;
use crate::rows::pg_rows::{self, column};
use crate::rows::{db_error, USER_COLUMNS};
use crate::{redact_url, PoolSettings};

/// A PostgreSQL statement with its bound parameters.
type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// Key of the advisory lock that serialises associate id allocation across nodes
/// (the ASCII bytes of "passgate").
const ASSOCIATE_ID_LOCK: i64 = 0x7061_7373_6761_7465;

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

/// Connect options for `url`, with passgate's session settings. The error never contains
/// the URL's password.
pub(crate) fn connect_options(
    url: &str,
    pool: &PoolSettings,
) -> Result<PgConnectOptions, CoreError> {
    let statement_timeout_ms = pool.statement_timeout.as_millis().max(1).to_string();
    let options = PgConnectOptions::from_str(url).map_err(|_| {
        CoreError::InvalidInput(format!("invalid PostgreSQL URL: {}", redact_url(url)))
    })?;
    // Named in pg_stat_activity, unless the URL names it otherwise.
    let options = match options.get_application_name() {
        Some(_) => options,
        None => options.application_name("passgate"),
    };
    Ok(options.options([
        ("statement_timeout", statement_timeout_ms.as_str()),
        ("idle_in_transaction_session_timeout", "60000"),
    ]))
}

impl PgStore {
    /// Connects to the existing database at `url` (e.g.
    /// `postgres://passgate@db.internal/passgate`) with the given pool settings.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, CoreError> {
        Self::connect_logging(url, pool, true).await
    }

    /// As [`PgStore::connect`]; `log_statements` false silences sqlx's statement log (for
    /// whole-table reads, which are slow by design).
    pub(crate) async fn connect_logging(
        url: &str,
        pool: &PoolSettings,
        log_statements: bool,
    ) -> Result<Self, CoreError> {
        let options = connect_options(url, pool)?;
        let options = if log_statements {
            options
        } else {
            options.disable_statement_logging()
        };
        // One direct connection first: a pool that cannot connect reports only a timeout,
        // this reports why (refused, unknown database, authentication failed).
        let probe = options.connect().await.map_err(|e| {
            CoreError::Storage(format!(
                "cannot connect to PostgreSQL at {}: {e}",
                redact_url(url)
            ))
        })?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| {
                CoreError::Storage(format!(
                    "cannot connect to PostgreSQL at {}: {e}",
                    redact_url(url)
                ))
            })?;
        Ok(PgStore { pool })
    }

    /// Applies pending migrations (idempotent; concurrent nodes serialise on sqlx's
    /// migration lock).
    pub async fn migrate(&self) -> Result<(), CoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| CoreError::Storage(format!("migration failed: {e}")))
    }

    async fn insert_audit(
        tx: &mut Transaction<'_, Postgres>,
        e: &AuditEvent,
    ) -> Result<(), CoreError> {
        let q = sqlx::query(
            "INSERT INTO audit_events (at, user_id, username, event, front_end, client_addr, reason, actor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        );
        Self::bind_audit(q, e)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Binds the eight columns of an `audit_events` row, in the order `insert_audit` lists
    /// them, as the next parameters of `q`.
    fn bind_audit<'q>(q: PgQuery<'q>, e: &'q AuditEvent) -> PgQuery<'q> {
        q.bind(e.at.0)
            .bind(e.user_id.map(|u| u.to_string()))
            .bind(e.username.as_deref())
            .bind(e.kind.as_str())
            .bind(e.front_end.as_str())
            .bind(e.client_addr.as_deref())
            .bind(e.reason.as_deref())
            .bind(e.actor.as_deref())
    }

    /// The connection pool (for whole-database copies).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self) -> Result<Transaction<'_, Postgres>, CoreError> {
        self.pool.begin().await.map_err(db_error)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), CoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn create_user(&self, u: &NewUser, audit: &AuditEvent) -> Result<UserRecord, CoreError> {
        let mut tx = self.begin().await?;
        // Two nodes computing max + 1 at once would collide; the lock makes the second wait
        // for the first to commit, then see its row.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ASSOCIATE_ID_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let sql = format!(
            "INSERT INTO users (id, associate_id, username, username_folded, email, email_folded, \
             full_name, role, password_hash, password_changed_at, credential_version, \
             must_change_password, created_at) \
             VALUES ($1, (SELECT COALESCE(MAX(associate_id), 0) + 1 FROM users), $2, $3, $4, $5, \
             $6, $7, $8, $9, 1, FALSE, $9) \
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
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let record = pg_rows::user(&row)?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(record)
    }

    async fn import_users(
        &self,
        users: &[ImportedUser],
        audit: &AuditEvent,
    ) -> Result<Vec<bool>, CoreError> {
        /// Rows per INSERT (12 bound columns each, far below PostgreSQL's 65,535 binds).
        const ROWS: usize = 2000;
        let mut tx = self.begin().await?;
        // The same lock as create_user: associate ids are max + 1 onwards.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ASSOCIATE_ID_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(associate_id), 0) + 1 FROM users")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let mut inserted = vec![false; users.len()];
        for (chunk_no, chunk) in users.chunks(ROWS).enumerate() {
            let base = chunk_no * ROWS;
            let mut q = sqlx::QueryBuilder::<Postgres>::new(
                "INSERT INTO users (id, associate_id, username, username_folded, email, \
                 email_folded, full_name, role, password_hash, password_changed_at, \
                 credential_version, must_change_password, created_at) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (k, i)| {
                let u = &i.user;
                let index = i64::try_from(base + k).unwrap_or(i64::MAX);
                b.push_bind(u.id.to_string())
                    .push_bind(first.saturating_add(index))
                    .push_bind(u.username.as_str().to_owned())
                    .push_bind(u.username.folded())
                    .push_bind(u.email.as_ref().map(|e| e.as_str().to_owned()))
                    .push_bind(u.email.as_ref().map(Email::folded))
                    .push_bind(u.full_name.as_ref().map(|n| n.as_str().to_owned()))
                    .push_bind(u.role.as_str())
                    .push_bind(u.password_hash.clone())
                    .push_bind(i.password_changed_at.0)
                    .push_bind(1_i64)
                    .push_bind(i.must_change)
                    .push_bind(u.created_at.0);
            });
            q.push(" ON CONFLICT (username_folded) DO NOTHING RETURNING associate_id::BIGINT");
            let ids: Vec<i64> = q
                .build_query_scalar()
                .fetch_all(&mut *tx)
                .await
                .map_err(db_error)?;
            for id in ids {
                let at = usize::try_from(id - first).ok();
                if let Some(slot) = at.and_then(|at| inserted.get_mut(at)) {
                    *slot = true;
                }
            }
        }
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(inserted)
    }

    async fn password_scheme_counts(&self) -> Result<Vec<(String, u64)>, CoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT CASE WHEN left(password_hash, 1) = '$' \
                    THEN '$' || split_part(password_hash, '$', 2) || '$' \
                    WHEN strpos(password_hash, '$') > 0 \
                    THEN split_part(password_hash, '$', 1) || '$' \
                    ELSE '' END AS scheme, \
                    COUNT(*) AS n \
             FROM users GROUP BY scheme ORDER BY scheme",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(scheme, n)| (scheme, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn find_user(&self, by: UserLookup<'_>) -> Result<Option<UserRecord>, CoreError> {
        let row = match by {
            UserLookup::Id(id) => {
                sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
            }
            UserLookup::Associate(a) => {
                sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE associate_id = $1"
                ))
                .bind(i64::from(a.get()))
                .fetch_optional(&self.pool)
                .await
            }
            UserLookup::Name(n) => {
                sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username_folded = $1"
                ))
                .bind(n.folded())
                .fetch_optional(&self.pool)
                .await
            }
        }
        .map_err(db_error)?;
        row.as_ref().map(pg_rows::user).transpose()
    }

    async fn find_users_by_email(&self, email: &Email) -> Result<Vec<UserRecord>, CoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email_folded = $1 ORDER BY associate_id LIMIT 2"
        );
        let rows = sqlx::query(&sql)
            .bind(email.folded())
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(pg_rows::user).collect()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, CoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY associate_id");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(pg_rows::user).collect()
    }

    async fn rehash_password(
        &self,
        user_id: UserId,
        expected_version: i64,
        new_hash: &str,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        // A conditional UPDATE re-checks its WHERE on the newest row version after waiting
        // for a concurrent writer, so a rehash never overwrites a password change.
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND credential_version = $3",
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
            Self::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(done)
    }

    async fn commit_password_change(&self, c: &PasswordChange) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let user_id = c.user_id.to_string();
        // Lock the user row if it still holds the verified credential. A concurrent change
        // on another node blocks here until the first commits, then finds the version moved.
        // A login that verified the old credential reads this row FOR SHARE when it stores
        // its session, so it waits here and then finds the version moved (no surviving
        // session); NO KEY UPDATE still lets other sessions' foreign-key checks through.
        let old_hash: Option<String> = sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE id = $1 AND credential_version = $2 \
             FOR NO KEY UPDATE",
        )
        .bind(&user_id)
        .bind(c.expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(old_hash) = old_hash else {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        };
        let swapped = sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2, \
             credential_version = credential_version + 1, must_change_password = $3 \
             WHERE id = $4 AND credential_version = $5",
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
            "INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&user_id)
        .bind(&old_hash)
        .bind(c.at.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 \
             WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3",
        )
        .bind(c.at.0)
        .bind(&user_id)
        .bind(c.keep_session.map(|s| s.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "DELETE FROM password_history WHERE user_id = $1 AND ctid NOT IN \
             (SELECT ctid FROM password_history WHERE user_id = $1 \
              ORDER BY created_at DESC LIMIT $2)",
        )
        .bind(&user_id)
        .bind(MAX_HISTORY as i64)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        postgres_outbox::spend_tokens(&mut tx, &user_id, c.at).await?;
        for mail in &c.mail {
            postgres_outbox::insert_mail(&mut tx, mail).await?;
        }
        Self::insert_audit(&mut tx, &c.audit).await?;
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
            "SELECT password_hash FROM password_history WHERE user_id = $1 \
             ORDER BY created_at DESC LIMIT $2",
        )
        .bind(user_id.to_string())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    async fn change_user(
        &self,
        change: &UserChange,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let found = match change {
            UserChange::Rename(id, name) => {
                sqlx::query("UPDATE users SET username = $1, username_folded = $2 WHERE id = $3")
                    .bind(name.as_str())
                    .bind(name.folded())
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
            }
            UserChange::Expire(id, at) => {
                let r = sqlx::query("UPDATE users SET must_change_password = TRUE WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await;
                if matches!(&r, Ok(done) if done.rows_affected() == 1) {
                    sqlx::query(
                        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
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
                sqlx::query("DELETE FROM users WHERE id = $1")
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
        Self::insert_audit(&mut tx, audit).await?;
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
            "INSERT INTO app_tokens (name, token_sha256, created_at, revoked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&t.name)
        .bind(t.token_hash.as_str())
        .bind(t.created_at.0)
        .bind(t.revoked_at.map(|r| r.0))
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn find_app_token(&self, hash: &TokenHash) -> Result<Option<AppTokenRecord>, CoreError> {
        sqlx::query(
            "SELECT name, token_sha256, created_at, revoked_at FROM app_tokens WHERE token_sha256 = $1",
        )
        .bind(hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .map(|r| pg_rows::app_token(&r))
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
        .map(pg_rows::app_token)
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
            "UPDATE app_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
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
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn insert_session(&self, s: &NewSession, audit: &AuditEvent) -> Result<bool, CoreError> {
        // One statement, so one round trip instead of BEGIN, two INSERTs and COMMIT: a
        // statement is atomic on its own, so both rows are written or neither. The user row
        // is read `FOR SHARE`, which waits for a password change or lock that holds the row
        // and then re-checks the version and lock on the committed row; a change that starts
        // after this statement took the row waits for it, and its revocation then sees the
        // new session. Either way a login cannot outlive the change that raced it.
        let q = sqlx::query(
            "WITH u AS (SELECT id FROM users WHERE id = $2 AND credential_version = $17 \
             AND (locked_until IS NULL OR locked_until <= $5) FOR SHARE), \
             session AS (INSERT INTO sessions (id, user_id, token_sha256, kind, created_at, \
             last_seen_at, expires_at, revoked_at, client_addr, user_agent) \
             SELECT $1, u.id, $3, $4, $5, $5, $6, NULL, $7, $8 FROM u RETURNING id) \
             INSERT INTO audit_events (at, user_id, username, event, front_end, client_addr, reason, actor) \
             SELECT $9, $10, $11, $12, $13, $14, $15, $16 FROM session",
        )
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(s.token_hash.as_str())
        .bind(s.kind.as_str())
        .bind(s.created_at.0)
        .bind(s.expires_at.0)
        .bind(s.client_addr.as_deref())
        .bind(s.user_agent.as_deref());
        let done = Self::bind_audit(q, audit)
            .bind(s.credential_version)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<SessionRecord>, CoreError> {
        let row = sqlx::query(
            "SELECT id, user_id, kind, created_at, last_seen_at, expires_at, revoked_at \
             FROM sessions WHERE token_sha256 = $1",
        )
        .bind(token_hash.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(pg_rows::session).transpose()
    }

    async fn touch_session(
        &self,
        id: uuid::Uuid,
        last_seen_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), CoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = GREATEST(expires_at, $2) \
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(last_seen_at.0)
        .bind(expires_at.0)
        .bind(id.to_string())
        .execute(&self.pool)
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
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at.0)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected()
                == 1;
        if done {
            Self::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(done)
    }

    async fn throttle_rows(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, ThrottleRow)>, CoreError> {
        let rows = sqlx::query(
            "SELECT key, failures, window_start, blocked_until FROM throttle WHERE key = ANY($1)",
        )
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut found = Vec::with_capacity(rows.len());
        for r in &rows {
            found.push((column::<String>(r, "key")?, pg_rows::throttle(r)?));
        }
        // In the order asked for, as the SQLite backend answers.
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
        let mut tx = self.begin().await?;
        // Make sure the row exists (waiting for a concurrent insert of the same key), then
        // lock it: failures counted on other nodes meanwhile are serialised, none lost.
        sqlx::query(
            "INSERT INTO throttle (key, failures, window_start, blocked_until) \
             VALUES ($1, 0, 0, NULL) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        let row = sqlx::query(
            "SELECT failures, window_start, blocked_until FROM throttle WHERE key = $1 FOR UPDATE",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let new = next(pg_rows::throttle(&row)?);
        sqlx::query(
            "UPDATE throttle SET failures = $1, window_start = $2, blocked_until = $3 WHERE key = $4",
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
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
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
        mail: &[OutboxMail],
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
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
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(at.0)
            .bind(user_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for m in mail {
            postgres_outbox::insert_mail(&mut tx, m).await?;
        }
        Self::insert_audit(&mut tx, audit).await?;
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
            "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at, \
                    s.revoked_at, s.client_addr, u.username \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE ($1::TEXT IS NULL OR s.user_id = $1) \
               AND ($2 OR (s.revoked_at IS NULL AND s.expires_at > $3)) \
             ORDER BY s.created_at DESC",
        )
        .bind(user.map(|u| u.to_string()))
        .bind(include_dead)
        .bind(now.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(SessionListing {
                    session: pg_rows::session(r)?,
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
        let sql = format!(
            "UPDATE sessions SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"
        );
        let n = sqlx::query(&sql)
            .bind(at.0)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
        if n > 0 {
            Self::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(n)
    }

    async fn append_audit(&self, event: &AuditEvent) -> Result<(), CoreError> {
        let mut tx = self.begin().await?;
        Self::insert_audit(&mut tx, event).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>, CoreError> {
        let rows = sqlx::query(
            "SELECT id, at, user_id, username, event, front_end, client_addr, reason, actor FROM ( \
               SELECT * FROM audit_events \
               WHERE ($1::TEXT IS NULL OR user_id = $1) AND ($2::BIGINT IS NULL OR at >= $2) \
               ORDER BY id DESC LIMIT $3) AS newest ORDER BY id",
        )
        .bind(f.user_id.map(|u| u.to_string()))
        .bind(f.since.map(|t| t.0))
        .bind(f.limit.filter(|l| *l >= 0).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(pg_rows::audit).collect()
    }

    async fn insert_reset_token(
        &self,
        token: &NewResetToken,
        mail: Option<&OutboxMail>,
        audit: &AuditEvent,
    ) -> Result<bool, CoreError> {
        let mut tx = self.begin().await?;
        if !postgres_outbox::insert_token(&mut tx, token, mail).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        Self::insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn find_reset_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<ResetTokenRecord>, CoreError> {
        postgres_outbox::find_token(&self.pool, hash).await
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError> {
        postgres_outbox::claim(&self.pool, now, lease_until, limit).await
    }

    async fn finish_mail(&self, id: uuid::Uuid, result: &MailResult) -> Result<(), CoreError> {
        postgres_outbox::finish(&self.pool, id, result).await
    }

    async fn list_mail(
        &self,
        state: Option<MailState>,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, CoreError> {
        postgres_outbox::list(&self.pool, state, limit).await
    }

    async fn retry_mail(&self, id: Option<uuid::Uuid>, now: Timestamp) -> Result<u64, CoreError> {
        postgres_outbox::retry(&self.pool, id, now).await
    }

    async fn mail_counts(&self) -> Result<Vec<(MailState, u64)>, CoreError> {
        postgres_outbox::counts(&self.pool).await
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
             FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC LIMIT $3",
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
                    session: pg_rows::session(r)?,
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
        let (sql, id) = match which {
            OwnSessions::One(id) => (
                "UPDATE sessions SET revoked_at = $1 \
                 WHERE user_id = $2 AND id = $3 AND revoked_at IS NULL",
                id,
            ),
            OwnSessions::AllBut(id) => (
                "UPDATE sessions SET revoked_at = $1 \
                 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
                id,
            ),
        };
        let mut tx = self.begin().await?;
        let n = sqlx::query(sql)
            .bind(at.0)
            .bind(user.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
        if n > 0 {
            Self::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(n)
    }
}
