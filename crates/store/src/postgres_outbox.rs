//! PostgreSQL statements for reset tokens and the mail outbox. Senders on several nodes
//! claim rows with `FOR UPDATE SKIP LOCKED` and a lease, so no two nodes send one mail.

use passgate_core::domain::TokenHash;
use passgate_core::outbox::{
    MailResult, MailState, NewResetToken, OutboxMail, OutboxRecord, ResetTokenRecord,
};
use passgate_core::{CoreError, Timestamp};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::rows::db_error;
use crate::sqlite_outbox::{parse_user, secret_kinds_sql, MailRow};

/// The outbox columns every read selects.
const MAIL_COLUMNS: &str = "id, user_id, recipient, kind, params, state, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

/// Queues `mail` inside `tx`.
pub(crate) async fn insert_mail(
    tx: &mut Transaction<'_, Postgres>,
    mail: &OutboxMail,
) -> Result<(), CoreError> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, user_id, recipient, kind, params, state, attempts, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
    )
    .bind(mail.id.to_string())
    .bind(mail.user_id.map(|u| u.to_string()))
    .bind(mail.recipient.as_str())
    .bind(mail.kind.as_str())
    .bind(mail.params.to_json())
    .bind(mail.created_at.0)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Spends every unspent reset token of `user`.
pub(crate) async fn spend_tokens(
    tx: &mut Transaction<'_, Postgres>,
    user: &str,
    at: Timestamp,
) -> Result<(), CoreError> {
    sqlx::query("UPDATE reset_tokens SET spent_at = $1 WHERE user_id = $2 AND spent_at IS NULL")
        .bind(at.0)
        .bind(user)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Stores a token if the user is still at its version (the user row is read `FOR SHARE`,
/// so a concurrent password change either commits first, and the token is refused, or waits
/// and then spends it).
pub(crate) async fn insert_token(
    tx: &mut Transaction<'_, Postgres>,
    token: &NewResetToken,
    mail: Option<&OutboxMail>,
) -> Result<bool, CoreError> {
    let user = token.user_id.to_string();
    let current: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM users WHERE id = $1 AND credential_version = $2 FOR SHARE",
    )
    .bind(&user)
    .bind(token.credential_version)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?;
    if current.is_none() {
        return Ok(false);
    }
    spend_tokens(tx, &user, token.created_at).await?;
    sqlx::query(
        "INSERT INTO reset_tokens (token_sha256, user_id, credential_version, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token.token_hash.as_str())
    .bind(&user)
    .bind(token.credential_version)
    .bind(token.created_at.0)
    .bind(token.expires_at.0)
    .execute(&mut **tx)
    .await
    .map_err(db_error)?;
    if let Some(mail) = mail {
        insert_mail(tx, mail).await?;
    }
    Ok(true)
}

/// The token with this digest.
pub(crate) async fn find_token(
    pool: &PgPool,
    hash: &TokenHash,
) -> Result<Option<ResetTokenRecord>, CoreError> {
    let row = sqlx::query(
        "SELECT user_id, credential_version, created_at, expires_at, spent_at \
         FROM reset_tokens WHERE token_sha256 = $1",
    )
    .bind(hash.as_str())
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.map(|r| {
        Ok(ResetTokenRecord {
            user_id: parse_user(&get::<String>(&r, "user_id")?)?,
            credential_version: get(&r, "credential_version")?,
            created_at: Timestamp(get(&r, "created_at")?),
            expires_at: Timestamp(get(&r, "expires_at")?),
            spent_at: get::<Option<i64>>(&r, "spent_at")?.map(Timestamp),
        })
    })
    .transpose()
}

/// Claims due mails; rows another node is claiming right now are skipped, not waited for.
pub(crate) async fn claim(
    pool: &PgPool,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<OutboxRecord>, CoreError> {
    let rows = sqlx::query(&format!(
        "UPDATE mail_outbox SET claimed_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE state = 'pending' \
           AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) \
           ORDER BY next_attempt_at, created_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING {MAIL_COLUMNS}"
    ))
    .bind(now.0)
    .bind(lease_until.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    let mut out: Vec<OutboxRecord> = rows.iter().map(record).collect::<Result<_, _>>()?;
    // RETURNING gives rows in no particular order: oldest due first, as claimed.
    out.sort_by_key(|r| (r.next_attempt_at, r.mail.created_at));
    Ok(out)
}

/// Records a delivery result and releases the claim.
pub(crate) async fn finish(
    pool: &PgPool,
    id: uuid::Uuid,
    result: &MailResult,
) -> Result<(), CoreError> {
    let secret_kinds = secret_kinds_sql();
    let id = id.to_string();
    let sent_sql = format!(
        "UPDATE mail_outbox SET state = 'sent', sent_at = $1, claimed_until = NULL, \
         last_error = NULL, params = CASE WHEN kind IN ({secret_kinds}) THEN '{{}}' \
         ELSE params END WHERE id = $2"
    );
    let dead_sql = format!(
        "UPDATE mail_outbox SET state = 'dead', claimed_until = NULL, last_error = $1, \
         params = CASE WHEN kind IN ({secret_kinds}) THEN '{{}}' ELSE params END \
         WHERE id = $2"
    );
    let q = match result {
        MailResult::Sent(at) => sqlx::query(&sent_sql).bind(at.0).bind(&id).execute(pool),
        MailResult::Retry {
            at: _,
            retry_at,
            error,
        } => sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1, claimed_until = NULL, \
             last_error = $2 WHERE id = $3",
        )
        .bind(retry_at.0)
        .bind(error)
        .bind(&id)
        .execute(pool),
        MailResult::Dead { at: _, error } => {
            sqlx::query(&dead_sql).bind(error).bind(&id).execute(pool)
        }
    };
    q.await.map_err(db_error)?;
    Ok(())
}

/// Rows newest first.
pub(crate) async fn list(
    pool: &PgPool,
    state: Option<MailState>,
    limit: u32,
) -> Result<Vec<OutboxRecord>, CoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {MAIL_COLUMNS} FROM mail_outbox WHERE ($1::TEXT IS NULL OR state = $1) \
         ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(state.map(MailState::as_str))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.iter().map(record).collect()
}

/// Dead rows back to pending.
pub(crate) async fn retry(
    pool: &PgPool,
    id: Option<uuid::Uuid>,
    now: Timestamp,
) -> Result<u64, CoreError> {
    let sql = format!(
        "UPDATE mail_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, \
         claimed_until = NULL WHERE state = 'dead' AND ($2::TEXT IS NULL OR id = $2) \
         AND kind NOT IN ({})",
        secret_kinds_sql()
    );
    let n = sqlx::query(&sql)
        .bind(now.0)
        .bind(id.map(|i| i.to_string()))
        .execute(pool)
        .await
        .map_err(db_error)?
        .rows_affected();
    Ok(n)
}

/// Rows per state.
pub(crate) async fn counts(pool: &PgPool) -> Result<Vec<(MailState, u64)>, CoreError> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM mail_outbox GROUP BY state")
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    let mut out = Vec::new();
    for r in &rows {
        let state: String = get(r, "state")?;
        let n: i64 = get(r, "n")?;
        if let Some(state) = MailState::parse(&state) {
            out.push((state, u64::try_from(n).unwrap_or(0)));
        }
    }
    Ok(out)
}

fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, CoreError>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(column)
        .map_err(|e| CoreError::Storage(format!("column {column}: {e}")))
}

fn record(r: &PgRow) -> Result<OutboxRecord, CoreError> {
    MailRow {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        recipient: get(r, "recipient")?,
        kind: get(r, "kind")?,
        params: get(r, "params")?,
        state: get(r, "state")?,
        attempts: get(r, "attempts")?,
        next_attempt_at: get(r, "next_attempt_at")?,
        last_error: get(r, "last_error")?,
        created_at: get(r, "created_at")?,
        sent_at: get(r, "sent_at")?,
    }
    .into_record()
}
